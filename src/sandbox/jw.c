#include "sandbox/jw.h"

#include <stdio.h>
#include <string.h>

#include "util/err.h"

void jw_init(struct jw *w, struct buf *b) {
  memset(w, 0, sizeof(*w));
  w->b = b;
  w->first[0] = 1;
}

void jw_append(struct jw *w, const char *s, size_t n) {
  if (!w->rc)
    w->rc = buf_append(w->b, s, n);
}

void jw_puts(struct jw *w, const char *s) {
  jw_append(w, s, strlen(s));
}

static void value_begin(struct jw *w) {
  if (w->array[w->depth]) {
    if (!w->first[w->depth])
      jw_append(w, ",", 1);
    w->first[w->depth] = 0;
  }
}

static void push(struct jw *w, int array) {
  if (w->depth + 1 >= JW_MAX_DEPTH) {
    w->rc = MS_ETOOBIG;
    return;
  }
  w->depth++;
  w->first[w->depth] = 1;
  w->array[w->depth] = (unsigned char)array;
}

void jw_obj_begin(struct jw *w) {
  value_begin(w);
  jw_append(w, "{", 1);
  push(w, 0);
}

void jw_obj_end(struct jw *w) {
  jw_append(w, "}", 1);
  if (w->depth > 0)
    w->depth--;
}

void jw_arr_begin(struct jw *w) {
  value_begin(w);
  jw_append(w, "[", 1);
  push(w, 1);
}

void jw_arr_end(struct jw *w) {
  jw_append(w, "]", 1);
  if (w->depth > 0)
    w->depth--;
}

void jw_key(struct jw *w, const char *key) {
  char tmp[64];
  size_t n = strlen(key), k = 0;
  if (!w->first[w->depth])
    tmp[k++] = ',';
  w->first[w->depth] = 0;
  if (n + 4 > sizeof(tmp)) {
    jw_append(w, tmp, k);
    jw_append(w, "\"", 1);
    jw_append(w, key, n);
    jw_append(w, "\":", 2);
    return;
  }
  tmp[k++] = '"';
  memcpy(tmp + k, key, n);
  k += n;
  tmp[k++] = '"';
  tmp[k++] = ':';
  jw_append(w, tmp, k);
}

void jw_raw(struct jw *w, const char *json) {
  value_begin(w);
  jw_puts(w, json);
}

void jw_str(struct jw *w, const char *s) {
  value_begin(w);
  if (!s) {
    jw_append(w, "null", 4);
    return;
  }
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
    if (*p < 0x20 || *p == '"' || *p == '\\') {
      if (!w->rc)
        w->rc = buf_json_str(w->b, s);
      return;
    }
  }
  if (w->rc || (w->rc = buf_reserve(w->b, n + 2)))
    return;
  char *d = w->b->data + w->b->len;
  d[0] = '"';
  memcpy(d + 1, s, n);
  d[n + 1] = '"';
  w->b->len += n + 2;
  w->b->data[w->b->len] = '\0';
}

void jw_null(struct jw *w) {
  value_begin(w);
  jw_append(w, "null", 4);
}

void jw_bool(struct jw *w, int v) {
  value_begin(w);
  if (v)
    jw_append(w, "true", 4);
  else
    jw_append(w, "false", 5);
}

void jw_put_u64(struct jw *w, uint64_t v) {
  char tmp[24];
  int i = (int)sizeof(tmp);
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  jw_append(w, tmp + i, sizeof(tmp) - (size_t)i);
}

void jw_u64(struct jw *w, uint64_t v) {
  value_begin(w);
  jw_put_u64(w, v);
}

void jw_i64(struct jw *w, int64_t v) {
  value_begin(w);
  if (v < 0) {
    jw_append(w, "-", 1);
    jw_put_u64(w, (uint64_t)0 - (uint64_t)v);
  } else {
    jw_put_u64(w, (uint64_t)v);
  }
}

void jw_put_money(struct jw *w, int64_t minor) {
  char tmp[4];
  if (minor < 0) {
    jw_append(w, "-", 1);
    minor = -minor;
  }
  jw_put_u64(w, (uint64_t)(minor / 100));
  tmp[0] = '.';
  tmp[1] = (char)('0' + minor / 10 % 10);
  tmp[2] = (char)('0' + minor % 10);
  jw_append(w, tmp, 3);
}

void jw_money(struct jw *w, int64_t minor) {
  value_begin(w);
  jw_append(w, "\"", 1);
  jw_put_money(w, minor);
  jw_append(w, "\"", 1);
}

void jw_rate(struct jw *w, int ppm) {
  char tmp[16];
  int n;
  value_begin(w);
  if (ppm <= 0) {
    jw_append(w, "0.0", 3);
    return;
  }
  n = snprintf(tmp, sizeof(tmp), "%d.%06d", ppm / 1000000, ppm % 1000000);
  while (n > 3 && tmp[n - 1] == '0')
    n--;
  jw_append(w, tmp, (size_t)n);
}

void jw_fixed(struct jw *w, double v, int decimals) {
  char tmp[48];
  int n = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
  value_begin(w);
  if (n > 0 && (size_t)n < sizeof(tmp))
    jw_append(w, tmp, (size_t)n);
  else
    jw_append(w, "0", 1);
}

void jw_time(struct jw *w, struct sb_zone *z, int64_t t) {
  char tmp[TIME_STR_LEN + 2];
  if (!t) {
    jw_null(w);
    return;
  }
  value_begin(w);
  tmp[0] = '"';
  sb_zone_format(z, t, tmp + 1);
  size_t n = strlen(tmp);
  tmp[n++] = '"';
  jw_append(w, tmp, n);
}
