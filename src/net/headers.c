#include "net/headers.h"
#include "util/clock.h"

#include <math.h>
#include <string.h>

#include "util/err.h"
#include "util/tz.h"

/* Limits on what a server may send us. Real values are far below them. */
#define LINK_HEADER_MAX 65536 /* bytes of a Link header */
#define LINK_VALUES_MAX 256   /* link-values in one header */
#define LINK_PARAMS_MAX 64    /* parameters of one link-value */
#define SMALL_VALUE_MAX 128   /* bytes of Retry-After, call limit, rate */
#define RETRY_AFTER_CAP 86400.0
#define CALL_LIMIT_SIZE_MAX 1000000
#define RATE_MAX 1e6

static int is_ows(char c) {
  return c == ' ' || c == '\t';
}

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static char lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* tchar of RFC 9110 section 5.6.2. */
static int is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))
    return 1;
  return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static const char *skip_ows(const char *p) {
  while (is_ows(*p))
    p++;
  return p;
}

static int span_ieq(const char *a, size_t n, const char *b) {
  if (strlen(b) != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (lower(a[i]) != lower(b[i]))
      return 0;
  return 1;
}

/* Trims OWS from both ends of s into [*b, *e); MS_EINVAL when longer than max. */
static int trim(const char *s, size_t max, const char **b, const char **e) {
  size_t n = strnlen(s, max + 1);
  if (n > max)
    return MS_EINVAL;
  const char *p = s, *q = s + n;
  while (p < q && is_ows(*p))
    p++;
  while (q > p && is_ows(q[-1]))
    q--;
  *b = p;
  *e = q;
  return MS_OK;
}

/* ---- Link (RFC 8288) ---------------------------------------------------- */

struct span {
  const char *p; /* start, not NUL-terminated */
  size_t n;      /* length */
};

/* Does the relation-type list (space-separated, as in a quoted rel) contain
 * `rel`? Relation types compare case-insensitively. Quoted-pair escapes are
 * kept as they are, which cannot make a valid relation type match. */
static int rel_list_has(struct span v, const char *rel) {
  size_t i = 0;
  while (i < v.n) {
    while (i < v.n && (is_ows(v.p[i])))
      i++;
    size_t start = i;
    while (i < v.n && !is_ows(v.p[i]))
      i++;
    if (i > start && span_ieq(v.p + start, i - start, rel))
      return 1;
  }
  return 0;
}

/* Parses a quoted-string starting at the opening quote; *val gets the text
 * between the quotes. Returns the position after the closing quote, or NULL. */
static const char *parse_quoted(const char *p, struct span *val) {
  const char *start = ++p;
  for (;;) {
    char c = *p;
    if (c == '"')
      break;
    if (c == '\\') {
      p++;
      if (*p == '\0' || *p == '\r' || *p == '\n')
        return NULL;
    } else if (c == '\0' || c == '\r' || c == '\n' || c == 0x7f) {
      return NULL;
    }
    p++;
  }
  val->p = start;
  val->n = (size_t)(p - start);
  return p + 1;
}

/* One link-value: `<url>` *( OWS ";" OWS param ). On success *url is the
 * target, *match whether its first rel parameter lists `rel`, and the return
 * value points after the link-value; NULL when malformed. */
static const char *parse_link_value(const char *p, const char *rel, struct span *url, int *match) {
  int seen_rel = 0, nparams = 0;
  *match = 0;
  if (*p != '<')
    return NULL;
  url->p = ++p;
  while (*p != '>') {
    /* Commas and semicolons inside <...> belong to the URL; controls and
     * spaces cannot appear in a URI reference. */
    if ((unsigned char)*p <= 0x20 || *p == 0x7f)
      return NULL;
    p++;
  }
  url->n = (size_t)(p - url->p);
  if (url->n == 0)
    return NULL; /* "<>" would send us back to the same page forever */
  p = skip_ows(p + 1);
  while (*p == ';') {
    if (++nparams > LINK_PARAMS_MAX)
      return NULL;
    p = skip_ows(p + 1);
    struct span name = {p, 0}, val = {NULL, 0};
    while (is_tchar(*p))
      p++;
    name.n = (size_t)(p - name.p);
    if (name.n == 0)
      return NULL;
    p = skip_ows(p);
    if (*p == '=') {
      p = skip_ows(p + 1);
      if (*p == '"') {
        p = parse_quoted(p, &val);
        if (!p)
          return NULL;
      } else {
        val.p = p;
        while (is_tchar(*p))
          p++;
        val.n = (size_t)(p - val.p);
        if (val.n == 0)
          return NULL;
      }
    }
    /* Only the first rel counts (RFC 8288 section 3.3). */
    if (!seen_rel && span_ieq(name.p, name.n, "rel")) {
      seen_rel = 1;
      *match = val.p && rel_list_has(val, rel);
    }
    p = skip_ows(p);
  }
  return p;
}

int link_find(const char *header, const char *rel, char *out, size_t outsz) {
  struct span found = {NULL, 0};
  int nvalues = 0;
  if (!rel || !*rel || !out)
    return MS_EINVAL;
  if (!header)
    return MS_ENOTFOUND;
  if (strnlen(header, LINK_HEADER_MAX + 1) > LINK_HEADER_MAX)
    return MS_ETOOBIG;
  /* The whole header is checked before anything is returned: a header that
   * was cut or mangled must not send us to a wrong page. */
  const char *p = header;
  for (;;) {
    p = skip_ows(p);
    if (*p == '\0')
      break;
    if (*p == ',') { /* empty list elements are allowed (RFC 9110 5.6.1) */
      p++;
      continue;
    }
    if (++nvalues > LINK_VALUES_MAX)
      return MS_ETOOBIG;
    struct span url;
    int match;
    p = parse_link_value(p, rel, &url, &match);
    if (!p)
      return MS_EINVAL;
    if (match && !found.p)
      found = url;
    if (*p == ',')
      p++;
    else if (*p != '\0')
      return MS_EINVAL;
  }
  if (!found.p)
    return MS_ENOTFOUND;
  if (found.n >= outsz)
    return MS_ETOOBIG;
  memcpy(out, found.p, found.n);
  out[found.n] = '\0';
  return MS_OK;
}

/* ---- Numbers ------------------------------------------------------------ */

/* A decimal 1*DIGIT [ "." 1*DIGIT ] filling exactly [p, e). Parsed by hand
 * because strtod follows the locale's decimal point and accepts forms
 * ("1e3", "inf", "0x10") that no header of ours uses. */
static int parse_decimal(const char *p, const char *e, double *out) {
  double ip = 0, fp = 0, scale = 1;
  if (p == e || !is_digit(*p))
    return MS_EINVAL;
  while (p < e && is_digit(*p))
    ip = ip * 10 + (*p++ - '0');
  if (p < e && *p == '.') {
    p++;
    if (p == e || !is_digit(*p))
      return MS_EINVAL;
    for (; p < e && is_digit(*p); p++) {
      if (scale < 1e18) {
        fp = fp * 10 + (*p - '0');
        scale *= 10;
      }
    }
  }
  if (p != e)
    return MS_EINVAL;
  *out = ip + fp / scale;
  return MS_OK;
}

/* 1..9 digits without sign into *out; returns the position after them. */
static const char *parse_small_uint(const char *p, const char *e, int *out) {
  int v = 0, n = 0;
  while (p < e && is_digit(*p)) {
    if (++n > 9)
      return NULL;
    v = v * 10 + (*p++ - '0');
  }
  if (n == 0)
    return NULL;
  *out = v;
  return p;
}

/* ---- HTTP dates (RFC 9110 section 5.6.7) -------------------------------- */

static int month_index(const char *p) {
  static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  for (int i = 0; i < 12; i++)
    if (strncmp(p, names + 3 * i, 3) == 0)
      return i + 1;
  return 0;
}

/* Matches a day name at p (short, or long for RFC 850) and returns the
 * position after it, or NULL. */
static const char *skip_day_name(const char *p, int longname) {
  static const char *const days[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                     "Friday", "Saturday", "Sunday"};
  for (int i = 0; i < 7; i++) {
    size_t n = longname ? strlen(days[i]) : 3;
    if (strncmp(p, days[i], n) == 0)
      return p + n;
  }
  return NULL;
}

/* Exactly n digits at p (p has at least n readable bytes or a NUL first). */
static int fixed_digits(const char *p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!is_digit(p[i]))
      return 0;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return 1;
}

struct hdate {
  int y, mo, d, h, mi, s;
};

/* "08:49:37" */
static int parse_clock(const char *p, struct hdate *t) {
  return fixed_digits(p, 2, &t->h) && p[2] == ':' && fixed_digits(p + 3, 2, &t->mi) &&
         p[5] == ':' && fixed_digits(p + 6, 2, &t->s);
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (after the day name). */
static int parse_imf(const char *p, const char *e, struct hdate *t) {
  if (e - p != 26 || p[0] != ',' || p[1] != ' ' || !fixed_digits(p + 2, 2, &t->d) || p[4] != ' ')
    return 0;
  t->mo = month_index(p + 5);
  return t->mo && p[8] == ' ' && fixed_digits(p + 9, 4, &t->y) && p[13] == ' ' &&
         parse_clock(p + 14, t) && strncmp(p + 22, " GMT", 4) == 0;
}

/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (after the day name). The two-digit
 * year means the most recent such year not over 50 years ahead of now. */
static int parse_rfc850(const char *p, const char *e, int now_year, struct hdate *t) {
  int yy;
  if (e - p != 24 || p[0] != ',' || p[1] != ' ' || !fixed_digits(p + 2, 2, &t->d) || p[4] != '-')
    return 0;
  t->mo = month_index(p + 5);
  if (!t->mo || p[8] != '-' || !fixed_digits(p + 9, 2, &yy) || p[11] != ' ' ||
      !parse_clock(p + 12, t) || strncmp(p + 20, " GMT", 4) != 0)
    return 0;
  t->y = now_year - now_year % 100 + yy;
  if (t->y > now_year + 50)
    t->y -= 100;
  return 1;
}

/* asctime: "Sun Nov  6 08:49:37 1994" (after the day name). */
static int parse_asctime(const char *p, const char *e, struct hdate *t) {
  if (e - p != 21 || p[0] != ' ')
    return 0;
  t->mo = month_index(p + 1);
  if (!t->mo || p[4] != ' ')
    return 0;
  if (p[5] == ' ') {
    if (!fixed_digits(p + 6, 1, &t->d))
      return 0;
  } else if (!fixed_digits(p + 5, 2, &t->d)) {
    return 0;
  }
  return p[7] == ' ' && parse_clock(p + 8, t) && p[16] == ' ' && fixed_digits(p + 17, 4, &t->y);
}

static int http_date_parse(const char *p, const char *e, int64_t now, int64_t *out) {
  struct hdate t = {0};
  const char *q;
  int64_t now_days = (now >= 0 ? now : now - 86399) / 86400;
  int now_year = date_from_days(now_days).y;
  int ok = 0;
  if ((q = skip_day_name(p, 0)) != NULL && q < e && *q == ',')
    ok = parse_imf(q, e, &t);
  else if ((q = skip_day_name(p, 0)) != NULL && q < e && *q == ' ')
    ok = parse_asctime(q, e, &t);
  else if ((q = skip_day_name(p, 1)) != NULL)
    ok = parse_rfc850(q, e, now_year, &t);
  if (!ok || t.y < 1 || t.h > 23 || t.mi > 59 || t.s > 60)
    return MS_EINVAL;
  /* A real calendar day survives the round trip through a day count. */
  struct civil_date cd = {t.y, t.mo, t.d};
  int64_t days = date_to_days(cd);
  struct civil_date back = date_from_days(days);
  if (t.d < 1 || back.y != t.y || back.m != t.mo || back.d != t.d)
    return MS_EINVAL;
  *out = days * 86400 + t.h * 3600 + t.mi * 60 + t.s;
  return MS_OK;
}

int date_header_parse(const char *value, int64_t *out) {
  const char *b, *e;
  if (!value || !out || trim(value, SMALL_VALUE_MAX, &b, &e))
    return MS_EINVAL;
  return http_date_parse(b, e, wall_now(), out);
}

int retry_after_parse(const char *value, int64_t now, double *seconds) {
  const char *b, *e;
  double v;
  if (!value || !seconds || trim(value, SMALL_VALUE_MAX, &b, &e))
    return MS_EINVAL;
  if (b < e && is_digit(*b)) {
    if (parse_decimal(b, e, &v))
      return MS_EINVAL;
  } else {
    int64_t when;
    if (http_date_parse(b, e, now, &when))
      return MS_EINVAL;
    v = when > now ? (double)(when - now) : 0.0;
  }
  *seconds = v > RETRY_AFTER_CAP ? RETRY_AFTER_CAP : v;
  return MS_OK;
}

int call_limit_parse(const char *value, int *used, int *size) {
  const char *b, *e, *p;
  int u, s;
  if (!value || !used || !size || trim(value, SMALL_VALUE_MAX, &b, &e))
    return MS_EINVAL;
  p = parse_small_uint(b, e, &u);
  if (!p)
    return MS_EINVAL;
  p = skip_ows(p);
  if (p >= e || *p != '/')
    return MS_EINVAL;
  p = skip_ows(p + 1);
  p = parse_small_uint(p, e, &s);
  if (!p || p != e)
    return MS_EINVAL;
  if (s < 1 || s > CALL_LIMIT_SIZE_MAX || u > 10 * s)
    return MS_EINVAL;
  *used = u;
  *size = s;
  return MS_OK;
}

int rate_limit_parse(const char *value, double *rate) {
  const char *b, *e;
  double v;
  if (!value || !rate || trim(value, SMALL_VALUE_MAX, &b, &e) || parse_decimal(b, e, &v))
    return MS_EINVAL;
  if (!(v > 0) || !isfinite(v) || v > RATE_MAX)
    return MS_EINVAL;
  *rate = v;
  return MS_OK;
}
