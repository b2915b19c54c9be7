#include "connectors/json_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *jstr(const json_t *obj, const char *key) {
  const json_t *v = json_object_get(obj, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

char *jstrdup(const json_t *obj, const char *key) {
  const char *s = jstr(obj, key);
  return s ? strdup(s) : NULL;
}

char *jid(const json_t *obj, const char *key) {
  const json_t *v = json_object_get(obj, key);
  char tmp[32];
  if (json_is_integer(v)) {
    snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
    return strdup(tmp);
  }
  if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 128)
    return strdup(json_string_value(v));
  return NULL;
}

int64_t jint(const json_t *obj, const char *key, int64_t def) {
  const json_t *v = json_object_get(obj, key);
  if (json_is_integer(v))
    return json_integer_value(v);
  if (json_is_string(v)) {
    char *end;
    errno = 0;
    long long x = strtoll(json_string_value(v), &end, 10);
    if (!errno && *end == '\0' && end != json_string_value(v))
      return x;
  }
  return def;
}

char *jdump(const json_t *v, size_t *len) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (s && len)
    *len = strlen(s);
  return s;
}
