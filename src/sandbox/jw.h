/* A small, fast JSON writer over struct buf for the sandbox's responses.
 * Errors are sticky: check jw.rc once at the end. */
#ifndef MS_SANDBOX_JW_H
#define MS_SANDBOX_JW_H

#include <stdint.h>

#include "sandbox/zone.h"
#include "util/buf.h"

#define JW_MAX_DEPTH 16

struct jw {
  struct buf *b;                     /* output */
  int rc;                            /* first error, MS_OK when none */
  int depth;                         /* current nesting, 0 = top */
  unsigned char first[JW_MAX_DEPTH]; /* nothing written yet at this level */
  unsigned char array[JW_MAX_DEPTH]; /* this level is an array */
};

void jw_init(struct jw *w, struct buf *b);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
/* Writes the separator and "key": — key MUST need no escaping. */
void jw_key(struct jw *w, const char *key);
void jw_raw(struct jw *w, const char *json); /* a literal JSON value */
void jw_str(struct jw *w, const char *s);    /* NULL gives null */
void jw_null(struct jw *w);
void jw_bool(struct jw *w, int v);
void jw_i64(struct jw *w, int64_t v);
void jw_u64(struct jw *w, uint64_t v);
void jw_money(struct jw *w, int64_t minor);               /* "199.00" */
void jw_rate(struct jw *w, int ppm);                      /* 0.08875 */
void jw_fixed(struct jw *w, double v, int decimals);      /* 40.7128 */
void jw_time(struct jw *w, struct sb_zone *z, int64_t t); /* 0 gives null */

/* Raw appends without separators, for hand-made parts. */
void jw_append(struct jw *w, const char *s, size_t n);
void jw_puts(struct jw *w, const char *s);
void jw_put_u64(struct jw *w, uint64_t v);
void jw_put_money(struct jw *w, int64_t minor);

#endif
