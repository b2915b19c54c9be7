/* A growable byte buffer, always NUL-terminated, with an optional size cap. */
#ifndef MS_UTIL_BUF_H
#define MS_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
  char *data;   /* NUL-terminated contents; NULL until the first append */
  size_t len;   /* bytes used, not counting the NUL */
  size_t cap;   /* bytes allocated */
  size_t limit; /* 0: no limit; else appends past it fail with MS_ETOOBIG */
};

void buf_init(struct buf *b, size_t limit);
void buf_release(struct buf *b);
void buf_reset(struct buf *b); /* keeps the memory */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
int buf_json_str(struct buf *b, const char *s);
/* Appends s percent-encoded for a URL query value. */
int buf_url_encode(struct buf *b, const char *s);
/* Hands the data to the caller (who frees it) and empties the buffer. */
char *buf_detach(struct buf *b);

#endif
