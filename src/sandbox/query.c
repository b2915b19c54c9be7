#include "sandbox/query.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/tz.h"

void sb_filter_init(struct sb_filter *f) {
  memset(f, 0, sizeof(*f));
  f->status = SB_ST_OPEN; /* Shopify's default: only open orders */
  f->created_min = f->updated_min = f->processed_min = INT64_MIN;
  f->created_max = f->updated_max = f->processed_max = INT64_MAX;
}

static int param_error(struct buf *body, const char *param, const char *msg) {
  if (body) {
    buf_reset(body);
    buf_puts(body, "{\"errors\":{");
    buf_json_str(body, param);
    buf_puts(body, ":[");
    buf_json_str(body, msg);
    buf_puts(body, "]}}");
  }
  return MS_EINVAL;
}

/* Strict unsigned decimal: digits only, no sign, no overflow. */
static int parse_u64(const char *s, size_t len, uint64_t *out) {
  char tmp[24];
  char *end;
  if (len == 0 || len > 20)
    return MS_EINVAL;
  for (size_t i = 0; i < len; i++)
    if (s[i] < '0' || s[i] > '9')
      return MS_EINVAL;
  memcpy(tmp, s, len);
  tmp[len] = '\0';
  errno = 0;
  unsigned long long v = strtoull(tmp, &end, 10);
  if (errno || *end)
    return MS_EINVAL;
  *out = v;
  return MS_OK;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int parse_ids(const char *s, struct sb_filter *f) {
  f->nids = 0;
  while (*s) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    uint64_t id;
    while (len && *s == ' ') {
      s++;
      len--;
    }
    if (parse_u64(s, len, &id) || f->nids == SB_IDS_MAX)
      return MS_EINVAL;
    f->ids[f->nids++] = id;
    s = comma ? comma + 1 : s + len;
  }
  if (!f->nids)
    return MS_EINVAL;
  qsort(f->ids, f->nids, sizeof(f->ids[0]), cmp_u64);
  return MS_OK;
}

static int parse_time_param(const struct sb_params *p, const char *name, int64_t *out,
                            struct buf *err_body) {
  const char *v = sb_params_get(p, name);
  if (!v)
    return MS_OK;
  if (time_parse(v, out))
    return param_error(err_body, name,
                       "must be an ISO 8601 date-time with an offset, such as "
                       "2026-11-01T00:00:00-04:00 or 2026-11-01T04:00:00Z");
  return MS_OK;
}

int sb_filter_parse(const struct sb_params *p, struct sb_filter *f, struct buf *err_body) {
  static const struct {
    const char *name;
    int value;
  } fin[] = {{"any", SB_FF_ANY},
             {"unpaid", SB_FF_UNPAID},
             {"partially_paid", SB_FF_PARTIALLY_PAID},
             {"pending", 1 + SB_FIN_PENDING},
             {"authorized", 1 + SB_FIN_AUTHORIZED},
             {"paid", 1 + SB_FIN_PAID},
             {"partially_refunded", 1 + SB_FIN_PARTIALLY_REFUNDED},
             {"refunded", 1 + SB_FIN_REFUNDED},
             {"voided", 1 + SB_FIN_VOIDED}},
    ful[] = {{"any", SB_UF_ANY},
             {"shipped", SB_UF_SHIPPED},
             {"fulfilled", SB_UF_SHIPPED},
             {"partial", SB_UF_PARTIAL},
             {"unshipped", SB_UF_UNSHIPPED},
             {"unfulfilled", SB_UF_UNFULFILLED}},
    st[] = {{"open", SB_ST_OPEN},
            {"closed", SB_ST_CLOSED},
            {"cancelled", SB_ST_CANCELLED},
            {"any", SB_ST_ANY}};
  const char *v;
  int rc;
  size_t i;
  sb_filter_init(f);
  if ((v = sb_params_get(p, "status"))) {
    for (i = 0; i < sizeof(st) / sizeof(st[0]) && strcmp(v, st[i].name); i++)
      ;
    if (i == sizeof(st) / sizeof(st[0]))
      return param_error(err_body, "status", "must be one of open, closed, cancelled, any");
    f->status = (uint8_t)st[i].value;
  }
  if ((v = sb_params_get(p, "financial_status"))) {
    for (i = 0; i < sizeof(fin) / sizeof(fin[0]) && strcmp(v, fin[i].name); i++)
      ;
    if (i == sizeof(fin) / sizeof(fin[0]))
      return param_error(err_body, "financial_status",
                         "must be one of authorized, pending, paid, partially_paid, refunded, "
                         "voided, partially_refunded, unpaid, any");
    f->financial = (uint8_t)fin[i].value;
  }
  if ((v = sb_params_get(p, "fulfillment_status"))) {
    for (i = 0; i < sizeof(ful) / sizeof(ful[0]) && strcmp(v, ful[i].name); i++)
      ;
    if (i == sizeof(ful) / sizeof(ful[0]))
      return param_error(err_body, "fulfillment_status",
                         "must be one of shipped, partial, unshipped, unfulfilled, any");
    f->fulfillment = (uint8_t)ful[i].value;
  }
  if ((rc = parse_time_param(p, "created_at_min", &f->created_min, err_body)) ||
      (rc = parse_time_param(p, "created_at_max", &f->created_max, err_body)) ||
      (rc = parse_time_param(p, "updated_at_min", &f->updated_min, err_body)) ||
      (rc = parse_time_param(p, "updated_at_max", &f->updated_max, err_body)) ||
      (rc = parse_time_param(p, "processed_at_min", &f->processed_min, err_body)) ||
      (rc = parse_time_param(p, "processed_at_max", &f->processed_max, err_body)))
    return rc;
  if ((v = sb_params_get(p, "since_id"))) {
    if (parse_u64(v, strlen(v), &f->since_id))
      return param_error(err_body, "since_id", "must be a positive integer id");
    f->ascending = 1;
  }
  if ((v = sb_params_get(p, "ids")) && parse_ids(v, f))
    return param_error(err_body, "ids", "must be a comma-separated list of at most 250 ids");
  return MS_OK;
}

int sb_limit_parse(const struct sb_params *p, int *limit, struct buf *err_body) {
  const char *v = sb_params_get(p, "limit");
  uint64_t n;
  *limit = SB_LIMIT_DEFAULT;
  if (!v)
    return MS_OK;
  if (parse_u64(v, strlen(v), &n) || n < 1 || n > SB_LIMIT_MAX)
    return param_error(err_body, "limit", "must be a whole number from 1 to 250");
  *limit = (int)n;
  return MS_OK;
}

static int financial_match(int want, int have) {
  if (want == SB_FF_ANY)
    return 1;
  if (want == SB_FF_UNPAID)
    return have == SB_FIN_PENDING || have == SB_FIN_AUTHORIZED;
  if (want == SB_FF_PARTIALLY_PAID)
    return 0;
  return want == 1 + have;
}

static int fulfillment_match(int want, int have) {
  switch (want) {
  case SB_UF_SHIPPED:
    return have == SB_FUL_FULFILLED;
  case SB_UF_PARTIAL:
    return have == SB_FUL_PARTIAL;
  case SB_UF_UNSHIPPED:
    return have == SB_FUL_NONE;
  case SB_UF_UNFULFILLED:
    return have != SB_FUL_FULFILLED;
  default:
    return 1;
  }
}

int sb_filter_match(const struct sb_filter *f, const struct sb_order *o) {
  switch (f->status) {
  case SB_ST_OPEN:
    if (o->closed_at || o->cancelled_at)
      return 0;
    break;
  case SB_ST_CLOSED:
    if (!o->closed_at)
      return 0;
    break;
  case SB_ST_CANCELLED:
    if (!o->cancelled_at)
      return 0;
    break;
  default:
    break;
  }
  if (o->created_at < f->created_min || o->created_at > f->created_max ||
      o->created_at < f->processed_min || o->created_at > f->processed_max ||
      o->updated_at < f->updated_min || o->updated_at > f->updated_max || o->id <= f->since_id)
    return 0;
  if (!financial_match(f->financial, o->financial) ||
      !fulfillment_match(f->fulfillment, o->fulfillment))
    return 0;
  if (f->nids && !bsearch(&o->id, f->ids, f->nids, sizeof(f->ids[0]), cmp_u64))
    return 0;
  return 1;
}

/* ---- the cursor: a little-endian record, a checksum, base64url ---- */

#define CURSOR_VERSION 1
#define CURSOR_FIXED (1 + 1 + 4 + 8 + 8 + 6 * 8 + 8 + 2) /* before the ids */

static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static uint32_t checksum(const unsigned char *p, size_t n, uint64_t secret) {
  uint64_t h = 0xcbf29ce484222325ULL ^ secret;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 29;
  return (uint32_t)(h ^ (h >> 32));
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sb_cursor_encode(const struct sb_cursor *c, uint64_t secret, struct buf *out) {
  unsigned char raw[CURSOR_FIXED + SB_IDS_MAX * 8 + 4];
  size_t n = 0;
  const struct sb_filter *f = &c->f;
  raw[n++] = CURSOR_VERSION;
  raw[n++] = c->dir;
  raw[n++] = f->status;
  raw[n++] = f->financial;
  raw[n++] = f->fulfillment;
  raw[n++] = f->ascending;
  put64(raw + n, (uint64_t)c->key_created);
  n += 8;
  put64(raw + n, c->key_id);
  n += 8;
  const int64_t t[6] = {f->created_min, f->created_max,   f->updated_min,
                        f->updated_max, f->processed_min, f->processed_max};
  for (int i = 0; i < 6; i++, n += 8)
    put64(raw + n, (uint64_t)t[i]);
  put64(raw + n, f->since_id);
  n += 8;
  raw[n++] = (unsigned char)(f->nids & 0xff);
  raw[n++] = (unsigned char)(f->nids >> 8);
  for (int i = 0; i < f->nids; i++, n += 8)
    put64(raw + n, f->ids[i]);
  uint32_t sum = checksum(raw, n, secret);
  for (int i = 0; i < 4; i++)
    raw[n++] = (unsigned char)(sum >> (8 * i));
  int rc = buf_reserve(out, n * 4 / 3 + 4);
  for (size_t i = 0; !rc && i < n; i += 3) {
    uint32_t v = (uint32_t)raw[i] << 16;
    size_t k = n - i;
    if (k > 1)
      v |= (uint32_t)raw[i + 1] << 8;
    if (k > 2)
      v |= raw[i + 2];
    char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63]};
    rc = buf_append(out, q, k > 2 ? 4 : k + 1);
  }
  return rc;
}

static int b64val(char c) {
  const char *p = c ? strchr(b64, c) : NULL;
  return p ? (int)(p - b64) : -1;
}

int sb_cursor_decode(const char *token, uint64_t secret, struct sb_cursor *out) {
  unsigned char raw[CURSOR_FIXED + SB_IDS_MAX * 8 + 8];
  size_t len = strnlen(token, SB_PAGE_INFO_MAX + 1), n = 0;
  uint32_t acc = 0;
  int bits = 0;
  if (len == 0 || len > SB_PAGE_INFO_MAX || len % 4 == 1)
    return MS_EINVAL;
  for (size_t i = 0; i < len; i++) {
    int v = b64val(token[i]);
    if (v < 0)
      return MS_EINVAL;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n == sizeof(raw))
        return MS_EINVAL;
      raw[n++] = (unsigned char)(acc >> bits);
    }
  }
  if (n < CURSOR_FIXED + 4 || raw[0] != CURSOR_VERSION)
    return MS_EINVAL;
  uint32_t sum = 0;
  for (int i = 0; i < 4; i++)
    sum |= (uint32_t)raw[n - 4 + (size_t)i] << (8 * i);
  if (sum != checksum(raw, n - 4, secret))
    return MS_EINVAL;
  struct sb_filter *f = &out->f;
  size_t k = 1;
  sb_filter_init(f);
  out->dir = raw[k++];
  f->status = raw[k++];
  f->financial = raw[k++];
  f->fulfillment = raw[k++];
  f->ascending = raw[k++];
  out->key_created = (int64_t)get64(raw + k);
  k += 8;
  out->key_id = get64(raw + k);
  k += 8;
  int64_t *t[6] = {&f->created_min, &f->created_max,   &f->updated_min,
                   &f->updated_max, &f->processed_min, &f->processed_max};
  for (int i = 0; i < 6; i++, k += 8)
    *t[i] = (int64_t)get64(raw + k);
  f->since_id = get64(raw + k);
  k += 8;
  f->nids = (uint16_t)(raw[k] | raw[k + 1] << 8);
  k += 2;
  if (out->dir > SB_DIR_PREV || f->status > SB_ST_ANY || f->fulfillment > SB_UF_UNFULFILLED ||
      f->ascending > 1 || f->nids > SB_IDS_MAX || n != k + (size_t)f->nids * 8 + 4)
    return MS_EINVAL;
  for (int i = 0; i < f->nids; i++, k += 8)
    f->ids[i] = get64(raw + k);
  return MS_OK;
}

/* ---- paging ---- */

/* First index whose id is >= id (strict: > id). */
static size_t bound_id(const struct sb_order *arr, size_t n, uint64_t id, int strict) {
  size_t a = 0, b = n;
  while (a < b) {
    size_t mid = a + (b - a) / 2;
    if (arr[mid].id < id || (strict && arr[mid].id == id))
      a = mid + 1;
    else
      b = mid;
  }
  return a;
}

/* First index whose created_at is >= t (strict: > t). */
static size_t bound_created(const struct sb_order *arr, size_t n, int64_t t, int strict) {
  size_t a = 0, b = n;
  while (a < b) {
    size_t mid = a + (b - a) / 2;
    if (arr[mid].created_at < t || (strict && arr[mid].created_at == t))
      a = mid + 1;
    else
      b = mid;
  }
  return a;
}

struct view {
  const struct sb_order *arr; /* the shop's orders */
  size_t n;                   /* their number */
  int asc;                    /* logical order is array order */
};

/* The order at logical position L of the result order. */
static const struct sb_order *at(const struct view *v, size_t L) {
  return &v->arr[v->asc ? L : v->n - 1 - L];
}

/* Narrows [lo, hi) (array indices) by created/processed bounds and since_id. */
static void array_range(const struct sb_order *arr, size_t n, const struct sb_filter *f, size_t *lo,
                        size_t *hi) {
  int64_t cmin = f->created_min > f->processed_min ? f->created_min : f->processed_min;
  int64_t cmax = f->created_max < f->processed_max ? f->created_max : f->processed_max;
  *lo = cmin == INT64_MIN ? 0 : bound_created(arr, n, cmin, 0);
  *hi = cmax == INT64_MAX ? n : bound_created(arr, n, cmax, 1);
  if (f->since_id) {
    size_t s = bound_id(arr, n, f->since_id, 1);
    if (s > *lo)
      *lo = s;
  }
  if (*hi < *lo)
    *hi = *lo;
}

static int any_match(const struct view *v, const struct sb_filter *f, size_t a, size_t b) {
  for (size_t L = a; L < b; L++)
    if (sb_filter_match(f, at(v, L)))
      return 1;
  return 0;
}

void sb_query_page(const struct sb_order *arr, size_t n, const struct sb_filter *f,
                   const struct sb_cursor *cur, size_t limit, struct sb_order *out,
                   struct sb_page_result *res) {
  struct view v = {arr, n, f->ascending};
  size_t lo, hi, Llo, Lhi, first = 0, last = 0;
  memset(res, 0, sizeof(*res));
  array_range(arr, n, f, &lo, &hi);
  Llo = v.asc ? lo : n - hi;
  Lhi = v.asc ? hi : n - lo;
  if (!cur || cur->dir == SB_DIR_NEXT) {
    size_t L = Llo;
    if (cur) {
      size_t after =
          v.asc ? bound_id(arr, n, cur->key_id, 1) : n - bound_id(arr, n, cur->key_id, 0);
      if (after > L)
        L = after;
    }
    for (; L < Lhi && res->n < limit; L++) {
      if (!sb_filter_match(f, at(&v, L)))
        continue;
      if (!res->n)
        first = L;
      last = L;
      out[res->n++] = *at(&v, L);
    }
  } else {
    size_t before = v.asc ? bound_id(arr, n, cur->key_id, 0) : n - bound_id(arr, n, cur->key_id, 1);
    size_t L = before < Lhi ? before : Lhi;
    while (L > Llo && res->n < limit) {
      L--;
      if (!sb_filter_match(f, at(&v, L)))
        continue;
      if (!res->n)
        last = L;
      first = L;
      out[res->n++] = *at(&v, L);
    }
    for (size_t i = 0; i < res->n / 2; i++) {
      struct sb_order t = out[i];
      out[i] = out[res->n - 1 - i];
      out[res->n - 1 - i] = t;
    }
  }
  if (!res->n)
    return;
  res->has_prev = any_match(&v, f, Llo, first);
  res->has_next = any_match(&v, f, last + 1, Lhi);
}

size_t sb_query_count(const struct sb_order *arr, size_t n, const struct sb_filter *f) {
  size_t lo, hi, count = 0;
  array_range(arr, n, f, &lo, &hi);
  for (size_t i = lo; i < hi; i++)
    count += (size_t)sb_filter_match(f, &arr[i]);
  return count;
}
