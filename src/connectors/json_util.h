/* Small helpers over jansson for connectors: typed field reads that never
 * trust the shape of what an API sent. */
#ifndef MS_CONNECTORS_JSON_UTIL_H
#define MS_CONNECTORS_JSON_UTIL_H

#include <stdint.h>

#include <jansson.h>

/* The string at key, or NULL when absent, null or not a string. */
const char *jstr(const json_t *obj, const char *key);
/* A copy of the string at key (caller frees), or NULL. */
char *jstrdup(const json_t *obj, const char *key);
/* An integer or a numeric string as text ("5812345678901"); NULL if neither. */
char *jid(const json_t *obj, const char *key);
/* An integer (or an integer string); def when absent or invalid. */
int64_t jint(const json_t *obj, const char *key, int64_t def);
/* Compact JSON text of v (caller frees), with its length. */
char *jdump(const json_t *v, size_t *len);

#endif
