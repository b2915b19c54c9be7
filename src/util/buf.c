#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

void buf_init(struct buf *b, size_t limit) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->limit = limit;
}

void buf_release(struct buf *b) {
  free(b->data);
  buf_init(b, b->limit);
}

void buf_reset(struct buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

int buf_reserve(struct buf *b, size_t extra) {
  size_t need = b->len + extra + 1, cap;
  char *p;
  if (need < b->len)
    return MS_ENOMEM;
  if (b->limit && b->len + extra > b->limit)
    return MS_ETOOBIG;
  if (need <= b->cap)
    return MS_OK;
  cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap *= 2;
  p = realloc(b->data, cap);
  if (!p)
    return MS_ENOMEM;
  b->data = p;
  b->cap = cap;
  return MS_OK;
}

int buf_append(struct buf *b, const void *data, size_t len) {
  int rc = buf_reserve(b, len);
  if (rc)
    return rc;
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return MS_OK;
}

int buf_puts(struct buf *b, const char *s) {
  return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c) {
  return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  int n, rc;
  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return MS_EINVAL;
  rc = buf_reserve(b, (size_t)n);
  if (rc)
    return rc;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return MS_OK;
}

int buf_printf(struct buf *b, const char *fmt, ...) {
  va_list ap;
  int rc;
  va_start(ap, fmt);
  rc = buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

int buf_json_str(struct buf *b, const char *s) {
  static const char hex[] = "0123456789abcdef";
  int rc = buf_putc(b, '"');
  for (; !rc && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      rc = buf_append(b, esc, 2);
    } else if (c < 0x20) {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      rc = buf_append(b, esc, 6);
    } else {
      rc = buf_putc(b, (char)c);
    }
  }
  return rc ? rc : buf_putc(b, '"');
}

int buf_url_encode(struct buf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  int rc = MS_OK;
  for (; !rc && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      rc = buf_putc(b, (char)c);
    } else {
      char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
      rc = buf_append(b, esc, 3);
    }
  }
  return rc;
}

char *buf_detach(struct buf *b) {
  char *p = b->data;
  if (!p)
    p = calloc(1, 1);
  buf_init(b, b->limit);
  return p;
}
