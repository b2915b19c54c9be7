/* Query strings of sandbox requests: split, percent-decoded, bounded. */
#ifndef MS_SANDBOX_PARAMS_H
#define MS_SANDBOX_PARAMS_H

#include <stddef.h>

#define SB_QUERY_MAX 8192 /* bytes of query string (and of the whole URL) */
#define SB_PARAMS_MAX 50  /* parameters per request */

struct sb_param {
  char *key;   /* decoded name, points into the arena */
  char *value; /* decoded value ("" when absent), into the arena */
};

struct sb_params {
  struct sb_param items[SB_PARAMS_MAX];             /* in request order */
  int n;                                            /* used entries */
  char arena[SB_QUERY_MAX + 2 * SB_PARAMS_MAX + 2]; /* decoded text, NUL-separated */
};

enum sb_params_rc {
  SB_PARAMS_OK = 0,
  SB_PARAMS_TOO_LONG = -1, /* over SB_QUERY_MAX: answer 414 */
  SB_PARAMS_TOO_MANY = -2, /* over SB_PARAMS_MAX: answer 400 */
  SB_PARAMS_BAD = -3       /* a NUL byte or similar: answer 400 */
};

/* Parses "a=1&b=x%2Cy" (without the '?'); '+' is a space. */
int sb_params_parse(struct sb_params *p, const char *query);
/* The value of the last parameter with this name, or NULL. */
const char *sb_params_get(const struct sb_params *p, const char *key);

#endif
