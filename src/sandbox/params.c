#include "sandbox/params.h"

#include <string.h>

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes [s, e) into out; returns the bytes written or -1 on a NUL. */
static long decode(const char *s, const char *e, char *out) {
  long n = 0;
  while (s < e) {
    char c = *s++;
    if (c == '+') {
      c = ' ';
    } else if (c == '%' && e - s >= 2 && hexval(s[0]) >= 0 && hexval(s[1]) >= 0) {
      c = (char)(hexval(s[0]) * 16 + hexval(s[1]));
      s += 2;
    }
    if (c == '\0')
      return -1;
    out[n++] = c;
  }
  out[n] = '\0';
  return n;
}

int sb_params_parse(struct sb_params *p, const char *query) {
  size_t len = query ? strlen(query) : 0, used = 0;
  p->n = 0;
  if (len > SB_QUERY_MAX)
    return SB_PARAMS_TOO_LONG;
  const char *s = query, *end = query + len;
  while (s < end) {
    const char *amp = memchr(s, '&', (size_t)(end - s));
    const char *stop = amp ? amp : end;
    if (stop > s) {
      const char *eq = memchr(s, '=', (size_t)(stop - s));
      const char *kend = eq ? eq : stop;
      long kn, vn;
      if (p->n == SB_PARAMS_MAX)
        return SB_PARAMS_TOO_MANY;
      /* Decoded text never grows, and each piece needs one NUL more. */
      if (used + (size_t)(stop - s) + 2 > sizeof(p->arena))
        return SB_PARAMS_TOO_LONG;
      p->items[p->n].key = p->arena + used;
      kn = decode(s, kend, p->arena + used);
      if (kn < 0)
        return SB_PARAMS_BAD;
      used += (size_t)kn + 1;
      p->items[p->n].value = p->arena + used;
      vn = eq ? decode(eq + 1, stop, p->arena + used) : (p->arena[used] = '\0', 0);
      if (vn < 0)
        return SB_PARAMS_BAD;
      used += (size_t)vn + 1;
      p->n++;
    }
    s = amp ? amp + 1 : end;
  }
  return SB_PARAMS_OK;
}

const char *sb_params_get(const struct sb_params *p, const char *key) {
  for (int i = p->n - 1; i >= 0; i--)
    if (strcmp(p->items[i].key, key) == 0)
      return p->items[i].value;
  return NULL;
}
