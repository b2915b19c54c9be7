#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

/* The end of the run of ASCII bytes from i, eight at a time: API answers
 * are nearly all ASCII, and a whole page is checked before it is read. */
static size_t ascii_run(const unsigned char *s, size_t i, size_t len) {
  uint64_t w;
  while (len - i >= 8) {
    memcpy(&w, s + i, 8);
    if (w & 0x8080808080808080ULL)
      break;
    i += 8;
  }
  while (i < len && s[i] < 0x80)
    i++;
  return i;
}

size_t utf8_check(const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    size_t n;
    uint32_t cp, min;
    if (c < 0x80) {
      i = ascii_run(s, i, len);
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf)
      n = 1, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
      n = 2, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
      n = 3, cp = c & 0x07, min = 0x10000;
    else
      return i; /* a continuation byte, an overlong lead or beyond U+10FFFF */
    if (len - i <= n)
      return i; /* cut short */
    for (size_t k = 1; k <= n; k++) {
      if ((s[i + k] & 0xc0) != 0x80)
        return i;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return i;
    i += n + 1;
  }
  return len;
}
