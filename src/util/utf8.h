/* UTF-8 validation for untrusted bodies (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
#ifndef MS_UTIL_UTF8_H
#define MS_UTIL_UTF8_H

#include <stddef.h>

/* Returns len when s[0..len) is valid UTF-8, else the offset of the first
 * byte that is not. */
size_t utf8_check(const char *s, size_t len);

#endif
