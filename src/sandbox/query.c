#include "sandbox/query.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sandbox/world.h"
#include "util/tz.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

void sb_filter_init_for(struct sb_filter *f, int resource) {
  memset(f, 0, sizeof(*f));
  f->resource = (uint8_t)resource;
  f->status = SB_ST_OPEN; /* Shopify's default: only open orders */
  f->created_min = f->updated_min = f->processed_min = f->published_min = INT64_MIN;
  f->created_max = f->updated_max = f->processed_max = f->published_max = INT64_MAX;
  switch (resource) {
  case SB_RES_ORDERS:
    f->sort = SB_SORT_CREATED;
    f->desc = 1;
    break;
  case SB_RES_EVENTS:
    f->sort = SB_SORT_ID;
    f->desc = 1;
    break;
  case SB_RES_LEVELS:
    f->sort = SB_SORT_LEVEL;
    break;
  default:
    f->sort = SB_SORT_ID;
    break;
  }
}

void sb_filter_init(struct sb_filter *f) {
  sb_filter_init_for(f, SB_RES_ORDERS);
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

/* "1,2, 3" into out[0..*n), sorted; MS_ETOOBIG past max entries. */
static int parse_id_list(const char *s, uint64_t *out, uint16_t *n, int max) {
  *n = 0;
  while (*s) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    uint64_t id;
    while (len && *s == ' ') {
      s++;
      len--;
    }
    if (parse_u64(s, len, &id))
      return MS_EINVAL;
    if (*n == max)
      return MS_ETOOBIG;
    out[(*n)++] = id;
    s = comma ? comma + 1 : s + len;
  }
  if (!*n)
    return MS_EINVAL;
  qsort(out, *n, sizeof(out[0]), cmp_u64);
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

/* order=FIELD [asc|desc]: updated_at, created_at or id; the direction
 * defaults to asc. */
static int parse_order(const struct sb_params *p, struct sb_filter *f, struct buf *err_body) {
  static const struct {
    const char *name;
    int sort;
  } fields[] = {
      {"updated_at", SB_SORT_UPDATED}, {"created_at", SB_SORT_CREATED}, {"id", SB_SORT_ID}};
  const char *v = sb_params_get(p, "order");
  size_t i, n;
  if (!v)
    return MS_OK;
  while (*v == ' ')
    v++;
  n = strcspn(v, " ");
  for (i = 0; i < N(fields); i++)
    if (strlen(fields[i].name) == n && strncmp(v, fields[i].name, n) == 0)
      break;
  const char *dir = v + n;
  while (*dir == ' ')
    dir++;
  size_t dn = strcspn(dir, " ");
  const char *rest = dir + dn;
  while (*rest == ' ')
    rest++;
  if (i == N(fields) || *rest ||
      (dn && !(dn == 3 && strncasecmp(dir, "asc", 3) == 0) &&
       !(dn == 4 && strncasecmp(dir, "desc", 4) == 0)))
    return param_error(err_body, "order",
                       "must be one of updated_at asc, updated_at desc, created_at asc, "
                       "created_at desc, id asc, id desc");
  f->sort = (uint8_t)fields[i].sort;
  f->desc = dn == 4;
  return MS_OK;
}

/* since_id, and the switch to id ascending it makes unless order= says
 * otherwise. */
static int parse_since(const struct sb_params *p, struct sb_filter *f, struct buf *err_body) {
  const char *v = sb_params_get(p, "since_id");
  if (!v)
    return MS_OK;
  if (parse_u64(v, strlen(v), &f->since_id))
    return param_error(err_body, "since_id", "must be a positive integer id");
  f->sort = SB_SORT_ID;
  f->desc = 0;
  return MS_OK;
}

static int parse_ids(const struct sb_params *p, struct sb_filter *f, struct buf *err_body) {
  const char *v = sb_params_get(p, "ids");
  if (v && parse_id_list(v, f->ids, &f->nids, SB_IDS_MAX))
    return param_error(err_body, "ids", "must be a comma-separated list of at most 250 ids");
  return MS_OK;
}

static int parse_dates(const struct sb_params *p, struct sb_filter *f, struct buf *err_body) {
  int rc;
  if ((rc = parse_time_param(p, "created_at_min", &f->created_min, err_body)) ||
      (rc = parse_time_param(p, "created_at_max", &f->created_max, err_body)) ||
      (rc = parse_time_param(p, "updated_at_min", &f->updated_min, err_body)) ||
      (rc = parse_time_param(p, "updated_at_max", &f->updated_max, err_body)))
    return rc;
  return MS_OK;
}

static int parse_orders(const struct sb_params *p, struct sb_filter *f, struct buf *err_body) {
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
  if ((v = sb_params_get(p, "status"))) {
    for (i = 0; i < N(st) && strcmp(v, st[i].name); i++)
      ;
    if (i == N(st))
      return param_error(err_body, "status", "must be one of open, closed, cancelled, any");
    f->status = (uint8_t)st[i].value;
  }
  if ((v = sb_params_get(p, "financial_status"))) {
    for (i = 0; i < N(fin) && strcmp(v, fin[i].name); i++)
      ;
    if (i == N(fin))
      return param_error(err_body, "financial_status",
                         "must be one of authorized, pending, paid, partially_paid, refunded, "
                         "voided, partially_refunded, unpaid, any");
    f->financial = (uint8_t)fin[i].value;
  }
  if ((v = sb_params_get(p, "fulfillment_status"))) {
    for (i = 0; i < N(ful) && strcmp(v, ful[i].name); i++)
      ;
    if (i == N(ful))
      return param_error(err_body, "fulfillment_status",
                         "must be one of shipped, partial, unshipped, unfulfilled, any");
    f->fulfillment = (uint8_t)ful[i].value;
  }
  if ((rc = parse_dates(p, f, err_body)) ||
      (rc = parse_time_param(p, "processed_at_min", &f->processed_min, err_body)) ||
      (rc = parse_time_param(p, "processed_at_max", &f->processed_max, err_body)) ||
      (rc = parse_since(p, f, err_body)) || (rc = parse_ids(p, f, err_body)) ||
      (rc = parse_order(p, f, err_body)))
    return rc;
  return MS_OK;
}

static int parse_text(const struct sb_params *p, const char *name, char *out, size_t len,
                      struct buf *err_body) {
  const char *v = sb_params_get(p, name);
  char msg[64];
  if (!v)
    return MS_OK;
  if (strlen(v) >= len) {
    snprintf(msg, sizeof(msg), "must be at most %zu bytes", len - 1);
    return param_error(err_body, name, msg);
  }
  snprintf(out, len, "%s", v);
  return MS_OK;
}

static int parse_products(const struct sb_params *p, struct sb_filter *f, struct buf *err_body) {
  static const char *const statuses[SB_PS_COUNT] = {"active", "archived", "draft"};
  const char *v;
  int rc;
  if ((v = sb_params_get(p, "status"))) {
    /* A comma list, as Shopify takes it. */
    while (*v) {
      size_t n = strcspn(v, ","), i;
      for (i = 0; i < SB_PS_COUNT; i++)
        if (strlen(statuses[i]) == n && strncmp(v, statuses[i], n) == 0)
          break;
      if (i == SB_PS_COUNT)
        return param_error(err_body, "status", "must be active, archived or draft (or a list)");
      f->pstatus |= (uint8_t)(1u << i);
      v += n + (v[n] == ',');
    }
    if (!f->pstatus)
      return param_error(err_body, "status", "must be active, archived or draft (or a list)");
  }
  if ((v = sb_params_get(p, "published_status"))) {
    if (strcmp(v, "published") == 0)
      f->published = SB_PUB_PUBLISHED;
    else if (strcmp(v, "unpublished") == 0)
      f->published = SB_PUB_UNPUBLISHED;
    else if (strcmp(v, "any") == 0)
      f->published = SB_PUB_ANY;
    else
      return param_error(err_body, "published_status", "must be published, unpublished or any");
  }
  if ((rc = parse_dates(p, f, err_body)) ||
      (rc = parse_time_param(p, "published_at_min", &f->published_min, err_body)) ||
      (rc = parse_time_param(p, "published_at_max", &f->published_max, err_body)) ||
      (rc = parse_since(p, f, err_body)) || (rc = parse_ids(p, f, err_body)) ||
      (rc = parse_text(p, "title", f->title, sizeof(f->title), err_body)) ||
      (rc = parse_text(p, "vendor", f->vendor, sizeof(f->vendor), err_body)) ||
      (rc = parse_text(p, "product_type", f->product_type, sizeof(f->product_type), err_body)) ||
      (rc = parse_text(p, "handle", f->handles, sizeof(f->handles), err_body)) ||
      (rc = parse_order(p, f, err_body)))
    return rc;
  return MS_OK;
}

static int parse_levels(const struct sb_params *p, struct sb_filter *f, struct buf *err_body) {
  static const char *const names[2] = {"inventory_item_ids", "location_ids"};
  uint64_t *lists[2] = {f->items, f->locs};
  uint16_t *counts[2] = {&f->nitems, &f->nlocs};
  for (int i = 0; i < 2; i++) {
    const char *v = sb_params_get(p, names[i]);
    int rc = v ? parse_id_list(v, lists[i], counts[i], SB_LEVEL_IDS_MAX) : MS_OK;
    if (rc == MS_ETOOBIG) {
      param_error(err_body, names[i], "must list at most 50 ids");
      return MS_ETOOBIG;
    }
    if (rc)
      return param_error(err_body, names[i], "must be a comma-separated list of ids");
  }
  return parse_time_param(p, "updated_at_min", &f->updated_min, err_body);
}

static int parse_events(const struct sb_params *p, struct sb_filter *f, struct buf *err_body) {
  const char *v;
  int rc;
  if ((v = sb_params_get(p, "filter"))) {
    /* "Order,Product" or "Order|Product" */
    while (*v) {
      size_t n = strcspn(v, ",|");
      const char *a = v;
      size_t an = n;
      while (an && *a == ' ') {
        a++;
        an--;
      }
      while (an && a[an - 1] == ' ')
        an--;
      int subj = sb_subject_lookup(a, an);
      if (subj < 0)
        return param_error(err_body, "filter",
                           "must list subject types among Order, Product and Customer, separated "
                           "by , or |");
      f->subjects |= (uint8_t)(1u << subj);
      v += n + (v[n] != '\0');
    }
    if (!f->subjects)
      return param_error(err_body, "filter",
                         "must list subject types among Order, Product and Customer, separated "
                         "by , or |");
  }
  if ((rc = parse_text(p, "verb", f->verb, sizeof(f->verb), err_body)) ||
      (rc = parse_time_param(p, "created_at_min", &f->created_min, err_body)) ||
      (rc = parse_time_param(p, "created_at_max", &f->created_max, err_body)) ||
      (rc = parse_since(p, f, err_body)))
    return rc;
  return MS_OK;
}

int sb_filter_parse_for(const struct sb_params *p, int resource, struct sb_filter *f,
                        struct buf *err_body) {
  sb_filter_init_for(f, resource);
  switch (resource) {
  case SB_RES_ORDERS:
    return parse_orders(p, f, err_body);
  case SB_RES_PRODUCTS:
    return parse_products(p, f, err_body);
  case SB_RES_CUSTOMERS: {
    int rc;
    if ((rc = parse_dates(p, f, err_body)) || (rc = parse_since(p, f, err_body)) ||
        (rc = parse_ids(p, f, err_body)) || (rc = parse_order(p, f, err_body)))
      return rc;
    return MS_OK;
  }
  case SB_RES_LEVELS:
    return parse_levels(p, f, err_body);
  default:
    return parse_events(p, f, err_body);
  }
}

int sb_filter_parse(const struct sb_params *p, struct sb_filter *f, struct buf *err_body) {
  return sb_filter_parse_for(p, SB_RES_ORDERS, f, err_body);
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

/* ---- matching ---- */

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

static int ids_match(const uint64_t *ids, int n, uint64_t id) {
  return !n || bsearch(&id, ids, (size_t)n, sizeof(ids[0]), cmp_u64);
}

int sb_filter_match(const struct sb_filter *f, const struct sb_order *o) {
  if (o->deleted)
    return 0;
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
  return ids_match(f->ids, f->nids, o->id);
}

static int text_match(const char *want, const char *have) {
  return !*want || (have && strcasecmp(want, have) == 0);
}

/* Whether handle is one of the comma list. */
static int handle_match(const char *list, const char *handle) {
  size_t hn = strlen(handle);
  if (!*list)
    return 1;
  while (*list) {
    size_t n = strcspn(list, ",");
    const char *a = list;
    size_t an = n;
    while (an && *a == ' ') {
      a++;
      an--;
    }
    while (an && a[an - 1] == ' ')
      an--;
    if (an == hn && strncmp(a, handle, hn) == 0)
      return 1;
    list += n + (list[n] == ',');
  }
  return 0;
}

static int product_match(const struct sb_filter *f, const struct sb_product_rec *p) {
  if (p->deleted_at || p->id <= f->since_id || p->created_at < f->created_min ||
      p->created_at > f->created_max || p->updated_at < f->updated_min ||
      p->updated_at > f->updated_max)
    return 0;
  if (f->published_min != INT64_MIN || f->published_max != INT64_MAX) {
    if (!p->published_at || p->published_at < f->published_min ||
        p->published_at > f->published_max)
      return 0;
  }
  if ((f->pstatus && !(f->pstatus & (1u << p->status))) ||
      (f->published == SB_PUB_PUBLISHED && !p->published_at) ||
      (f->published == SB_PUB_UNPUBLISHED && p->published_at))
    return 0;
  return ids_match(f->ids, f->nids, p->id) && text_match(f->title, p->title) &&
         text_match(f->vendor, p->vendor) && text_match(f->product_type, p->product_type) &&
         handle_match(f->handles, p->handle);
}

static int customer_match(const struct sb_filter *f, const struct sb_customer *c) {
  return !c->deleted_at && c->id > f->since_id && c->created_at >= f->created_min &&
         c->created_at <= f->created_max && c->updated_at >= f->updated_min &&
         c->updated_at <= f->updated_max && ids_match(f->ids, f->nids, c->id);
}

static int event_match(const struct sb_filter *f, const struct sb_event *e) {
  return e->id > f->since_id && e->created_at >= f->created_min &&
         e->created_at <= f->created_max && (!f->subjects || (f->subjects & (1u << e->subject))) &&
         (!f->verb[0] || strcmp(f->verb, sb_verb_name(e->verb)) == 0);
}

/* ---- the cursor: a little-endian record, a checksum, base64url ---- */

#define CURSOR_VERSION 2
#define CURSOR_RAW_MAX (SB_PAGE_INFO_MAX / 4 * 3 + 8)

struct wr {
  unsigned char p[CURSOR_RAW_MAX]; /* bytes */
  size_t n;                        /* used */
  int bad;                         /* overflowed */
};

static void w8(struct wr *w, unsigned v) {
  if (w->n + 1 > sizeof(w->p)) {
    w->bad = 1;
    return;
  }
  w->p[w->n++] = (unsigned char)v;
}

static void w64(struct wr *w, uint64_t v) {
  for (int i = 0; i < 8; i++)
    w8(w, (unsigned)(v >> (8 * i)) & 0xff);
}

static void wlist(struct wr *w, const uint64_t *ids, uint16_t n) {
  w8(w, n & 0xff);
  w8(w, n >> 8);
  for (int i = 0; i < n; i++)
    w64(w, ids[i]);
}

static void wstr(struct wr *w, const char *s) {
  size_t n = strlen(s);
  w8(w, (unsigned)n);
  for (size_t i = 0; i < n; i++)
    w8(w, (unsigned char)s[i]);
}

struct rd {
  const unsigned char *p; /* bytes */
  size_t n;               /* available */
  size_t k;               /* read so far */
  int bad;                /* ran past the end or out of range */
};

static unsigned r8(struct rd *r) {
  if (r->k + 1 > r->n) {
    r->bad = 1;
    return 0;
  }
  return r->p[r->k++];
}

static uint64_t r64(struct rd *r) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)r8(r) << (8 * i);
  return v;
}

static void rlist(struct rd *r, uint64_t *ids, uint16_t *n, int max) {
  unsigned lo = r8(r), hi = r8(r);
  *n = (uint16_t)(lo | hi << 8);
  if (*n > max) {
    r->bad = 1;
    *n = 0;
    return;
  }
  for (int i = 0; i < *n; i++)
    ids[i] = r64(r);
}

static void rstr(struct rd *r, char *out, size_t len) {
  unsigned n = r8(r);
  if (n >= len) {
    r->bad = 1;
    n = 0;
  }
  for (unsigned i = 0; i < n; i++) {
    out[i] = (char)r8(r);
    if (!out[i])
      r->bad = 1;
  }
  out[n] = '\0';
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

/* The times a cursor carries, in their order. */
static void times_of(struct sb_filter *f, int64_t *t[8]) {
  t[0] = &f->created_min;
  t[1] = &f->created_max;
  t[2] = &f->updated_min;
  t[3] = &f->updated_max;
  t[4] = &f->processed_min;
  t[5] = &f->processed_max;
  t[6] = &f->published_min;
  t[7] = &f->published_max;
}

int sb_cursor_encode(const struct sb_cursor *c, uint64_t secret, struct buf *out) {
  struct wr *w = malloc(sizeof(*w));
  struct sb_filter *f = (struct sb_filter *)&c->f;
  int64_t *t[8];
  int rc;
  if (!w)
    return MS_ENOMEM;
  w->n = 0;
  w->bad = 0;
  w8(w, CURSOR_VERSION);
  w8(w, f->resource);
  w8(w, c->dir);
  w8(w, f->sort);
  w8(w, f->desc);
  w8(w, f->status);
  w8(w, f->financial);
  w8(w, f->fulfillment);
  w8(w, f->pstatus);
  w8(w, f->published);
  w8(w, f->subjects);
  w64(w, (uint64_t)c->key_time);
  w64(w, c->key_id);
  times_of(f, t);
  for (int i = 0; i < 8; i++)
    w64(w, (uint64_t)*t[i]);
  w64(w, f->since_id);
  switch (f->resource) {
  case SB_RES_LEVELS:
    wlist(w, f->items, f->nitems);
    wlist(w, f->locs, f->nlocs);
    break;
  case SB_RES_EVENTS:
    wstr(w, f->verb);
    break;
  case SB_RES_PRODUCTS:
    wlist(w, f->ids, f->nids);
    wstr(w, f->title);
    wstr(w, f->vendor);
    wstr(w, f->product_type);
    wstr(w, f->handles);
    break;
  default:
    wlist(w, f->ids, f->nids);
    break;
  }
  uint32_t sum = checksum(w->p, w->n, secret);
  for (int i = 0; i < 4; i++)
    w8(w, (sum >> (8 * i)) & 0xff);
  rc = w->bad ? MS_ETOOBIG : buf_reserve(out, w->n * 4 / 3 + 4);
  for (size_t i = 0; !rc && i < w->n; i += 3) {
    uint32_t v = (uint32_t)w->p[i] << 16;
    size_t k = w->n - i;
    if (k > 1)
      v |= (uint32_t)w->p[i + 1] << 8;
    if (k > 2)
      v |= w->p[i + 2];
    char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63]};
    rc = buf_append(out, q, k > 2 ? 4 : k + 1);
  }
  free(w);
  return rc;
}

static int b64val(char c) {
  const char *p = c ? strchr(b64, c) : NULL;
  return p ? (int)(p - b64) : -1;
}

int sb_cursor_decode(const char *token, uint64_t secret, struct sb_cursor *out) {
  unsigned char raw[CURSOR_RAW_MAX];
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
  if (n < 5 || raw[0] != CURSOR_VERSION)
    return MS_EINVAL;
  uint32_t sum = 0;
  for (int i = 0; i < 4; i++)
    sum |= (uint32_t)raw[n - 4 + (size_t)i] << (8 * i);
  if (sum != checksum(raw, n - 4, secret))
    return MS_EINVAL;
  struct rd r = {raw, n - 4, 1, 0};
  struct sb_filter *f = &out->f;
  int64_t *t[8];
  unsigned resource = r8(&r);
  if (resource >= SB_RES_COUNT)
    return MS_EINVAL;
  sb_filter_init_for(f, (int)resource);
  out->dir = (uint8_t)r8(&r);
  f->sort = (uint8_t)r8(&r);
  f->desc = (uint8_t)r8(&r);
  f->status = (uint8_t)r8(&r);
  f->financial = (uint8_t)r8(&r);
  f->fulfillment = (uint8_t)r8(&r);
  f->pstatus = (uint8_t)r8(&r);
  f->published = (uint8_t)r8(&r);
  f->subjects = (uint8_t)r8(&r);
  out->key_time = (int64_t)r64(&r);
  out->key_id = r64(&r);
  times_of(f, t);
  for (int i = 0; i < 8; i++)
    *t[i] = (int64_t)r64(&r);
  f->since_id = r64(&r);
  switch (resource) {
  case SB_RES_LEVELS:
    rlist(&r, f->items, &f->nitems, SB_LEVEL_IDS_MAX);
    rlist(&r, f->locs, &f->nlocs, SB_LEVEL_IDS_MAX);
    break;
  case SB_RES_EVENTS:
    rstr(&r, f->verb, sizeof(f->verb));
    break;
  case SB_RES_PRODUCTS:
    rlist(&r, f->ids, &f->nids, SB_IDS_MAX);
    rstr(&r, f->title, sizeof(f->title));
    rstr(&r, f->vendor, sizeof(f->vendor));
    rstr(&r, f->product_type, sizeof(f->product_type));
    rstr(&r, f->handles, sizeof(f->handles));
    break;
  default:
    rlist(&r, f->ids, &f->nids, SB_IDS_MAX);
    break;
  }
  if (r.bad || r.k != r.n || out->dir > SB_DIR_PREV || f->sort > SB_SORT_LEVEL || f->desc > 1 ||
      f->status > SB_ST_ANY || f->fulfillment > SB_UF_UNFULFILLED ||
      f->pstatus >= (1u << SB_PS_COUNT) || f->published > SB_PUB_UNPUBLISHED ||
      f->subjects >= (1u << SB_SUBJ_COUNT))
    return MS_EINVAL;
  return MS_OK;
}

/* ---- a page by key, over any records ---- */

/* Picks the `limit` records of a page in one pass over the matches: a heap
 * of the best so far, plus the first and last match of the whole list, which
 * say whether pages exist before and after. */
struct collect {
  int desc;             /* the list runs descending */
  int dir;              /* enum sb_dir */
  int bounded;          /* a cursor key applies */
  struct sb_key cur;    /* the cursor key */
  size_t limit;         /* page size */
  struct sb_hit *hits;  /* heap, then the page in list order */
  size_t n;             /* entries in hits */
  int any;              /* a match was seen */
  struct sb_key lo, hi; /* first and last match in list order */
};

/* <0, 0, >0 as a comes before, with, after b in list order. */
static int key_cmp(const struct collect *c, struct sb_key a, struct sb_key b) {
  int r = a.t < b.t ? -1 : a.t > b.t ? 1 : a.id < b.id ? -1 : a.id > b.id;
  return c->desc ? -r : r;
}

/* The heap keeps its worst entry on top: the last in list order when paging
 * forward, the first when paging back. */
static int worse(const struct collect *c, struct sb_key a, struct sb_key b) {
  int r = key_cmp(c, a, b);
  return c->dir == SB_DIR_PREV ? r < 0 : r > 0;
}

static void sift_down(struct collect *c, size_t i, size_t n) {
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    if (l < n && worse(c, c->hits[l].key, c->hits[m].key))
      m = l;
    if (l + 1 < n && worse(c, c->hits[l + 1].key, c->hits[m].key))
      m = l + 1;
    if (m == i)
      return;
    struct sb_hit t = c->hits[i];
    c->hits[i] = c->hits[m];
    c->hits[m] = t;
    i = m;
  }
}

static void collect_init(struct collect *c, int desc, const struct sb_cursor *cur, size_t limit,
                         struct sb_hit *hits) {
  memset(c, 0, sizeof(*c));
  c->desc = desc;
  c->dir = cur ? cur->dir : SB_DIR_NEXT;
  c->bounded = cur != NULL;
  if (cur) {
    c->cur.t = cur->key_time;
    c->cur.id = cur->key_id;
  }
  c->limit = limit;
  c->hits = hits;
}

static void collect_add(struct collect *c, size_t pos, struct sb_key key) {
  if (!c->any) {
    c->lo = c->hi = key;
    c->any = 1;
  } else if (key_cmp(c, key, c->lo) < 0) {
    c->lo = key;
  } else if (key_cmp(c, key, c->hi) > 0) {
    c->hi = key;
  }
  if (c->bounded) {
    int r = key_cmp(c, key, c->cur);
    if (c->dir == SB_DIR_NEXT ? r <= 0 : r >= 0)
      return;
  }
  if (!c->limit)
    return;
  if (c->n < c->limit) {
    size_t i = c->n++;
    c->hits[i] = (struct sb_hit){pos, key};
    while (i > 0 && worse(c, c->hits[i].key, c->hits[(i - 1) / 2].key)) {
      struct sb_hit t = c->hits[i];
      c->hits[i] = c->hits[(i - 1) / 2];
      c->hits[(i - 1) / 2] = t;
      i = (i - 1) / 2;
    }
  } else if (worse(c, c->hits[0].key, key)) {
    c->hits[0] = (struct sb_hit){pos, key};
    sift_down(c, 0, c->n);
  }
}

static void collect_finish(struct collect *c, struct sb_page_result *res) {
  /* Heap sort: popping the worst to the end leaves the best first. */
  for (size_t end = c->n; end > 1; end--) {
    struct sb_hit t = c->hits[0];
    c->hits[0] = c->hits[end - 1];
    c->hits[end - 1] = t;
    sift_down(c, 0, end - 1);
  }
  if (c->dir == SB_DIR_PREV) /* best first means last first: put them in list order */
    for (size_t i = 0; i < c->n / 2; i++) {
      struct sb_hit t = c->hits[i];
      c->hits[i] = c->hits[c->n - 1 - i];
      c->hits[c->n - 1 - i] = t;
    }
  memset(res, 0, sizeof(*res));
  res->n = c->n;
  if (!c->n)
    return;
  res->has_prev = key_cmp(c, c->lo, c->hits[0].key) < 0;
  res->has_next = key_cmp(c, c->hi, c->hits[c->n - 1].key) > 0;
}

static struct sb_key key_of(int sort, int64_t created, int64_t updated, uint64_t id) {
  struct sb_key k = {sort == SB_SORT_CREATED ? created : sort == SB_SORT_UPDATED ? updated : 0, id};
  return k;
}

/* ---- orders: array order (id == created_at) by binary search ---- */

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

/* The array index of logical position L of the result order. */
static size_t at(const struct view *v, size_t L) {
  return v->asc ? L : v->n - 1 - L;
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
    if (sb_filter_match(f, &v->arr[at(v, L)]))
      return 1;
  return 0;
}

static void hit_order(struct sb_hit *h, const struct sb_order *arr, size_t i, int sort) {
  h->pos = i;
  h->key = key_of(sort, arr[i].created_at, arr[i].updated_at, arr[i].id);
}

/* Orders by created_at or id: both are array order. */
static void orders_by_array(const struct sb_order *arr, size_t n, const struct sb_filter *f,
                            const struct sb_cursor *cur, size_t limit, struct sb_hit *hits,
                            struct sb_page_result *res) {
  struct view v = {arr, n, !f->desc};
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
      if (!sb_filter_match(f, &arr[at(&v, L)]))
        continue;
      if (!res->n)
        first = L;
      last = L;
      hit_order(&hits[res->n++], arr, at(&v, L), f->sort);
    }
  } else {
    size_t before = v.asc ? bound_id(arr, n, cur->key_id, 0) : n - bound_id(arr, n, cur->key_id, 1);
    size_t L = before < Lhi ? before : Lhi;
    while (L > Llo && res->n < limit) {
      L--;
      if (!sb_filter_match(f, &arr[at(&v, L)]))
        continue;
      if (!res->n)
        last = L;
      first = L;
      hit_order(&hits[res->n++], arr, at(&v, L), f->sort);
    }
    for (size_t i = 0; i < res->n / 2; i++) {
      struct sb_hit t = hits[i];
      hits[i] = hits[res->n - 1 - i];
      hits[res->n - 1 - i] = t;
    }
  }
  if (!res->n)
    return;
  res->has_prev = any_match(&v, f, Llo, first);
  res->has_next = any_match(&v, f, last + 1, Lhi);
}

static void orders_page(const struct sb_order *arr, size_t n, const struct sb_filter *f,
                        const struct sb_cursor *cur, size_t limit, struct sb_hit *hits,
                        struct sb_page_result *res) {
  struct collect c;
  size_t lo, hi;
  if (f->sort != SB_SORT_UPDATED) {
    orders_by_array(arr, n, f, cur, limit, hits, res);
    return;
  }
  /* By updated_at: one pass over the created_at window. */
  collect_init(&c, f->desc, cur, limit, hits);
  array_range(arr, n, f, &lo, &hi);
  for (size_t i = lo; i < hi; i++)
    if (sb_filter_match(f, &arr[i]))
      collect_add(&c, i, key_of(SB_SORT_UPDATED, 0, arr[i].updated_at, arr[i].id));
  collect_finish(&c, res);
}

void sb_query_page(const struct sb_order *arr, size_t n, const struct sb_filter *f,
                   const struct sb_cursor *cur, size_t limit, struct sb_order *out,
                   struct sb_page_result *res) {
  struct sb_hit *hits = malloc((limit ? limit : 1) * sizeof(*hits));
  memset(res, 0, sizeof(*res));
  if (!hits)
    return;
  orders_page(arr, n, f, cur, limit, hits, res);
  for (size_t i = 0; i < res->n; i++)
    out[i] = arr[hits[i].pos];
  free(hits);
}

size_t sb_query_count(const struct sb_order *arr, size_t n, const struct sb_filter *f) {
  size_t lo, hi, count = 0;
  array_range(arr, n, f, &lo, &hi);
  for (size_t i = lo; i < hi; i++)
    count += (size_t)sb_filter_match(f, &arr[i]);
  return count;
}

/* ---- the other lists ---- */

/* Calls add(ctx, pos, key) for every match of the list; returns the count. */
static size_t list_scan(const struct sb_shop *s, const struct sb_filter *f, struct collect *c) {
  size_t count = 0;
  switch (f->resource) {
  case SB_RES_PRODUCTS:
    for (size_t i = 0; i < s->nproducts; i++) {
      const struct sb_product_rec *p = &s->products[i];
      if (!product_match(f, p))
        continue;
      count++;
      if (c)
        collect_add(c, i, key_of(f->sort, p->created_at, p->updated_at, p->id));
    }
    break;
  case SB_RES_CUSTOMERS:
    for (size_t i = 0; i < s->ncustomer_recs; i++) {
      const struct sb_customer *cu = &s->customers[i];
      if (!customer_match(f, cu))
        continue;
      count++;
      if (c)
        collect_add(c, i, key_of(f->sort, cu->created_at, cu->updated_at, cu->id));
    }
    break;
  case SB_RES_LEVELS:
    for (size_t i = 0; i < s->nproducts; i++) {
      const struct sb_product_rec *p = &s->products[i];
      if (p->deleted_at)
        continue;
      for (int v = 0; v < p->nvariants; v++) {
        const struct sb_variant_rec *pv = &p->variants[v];
        if (!ids_match(f->items, f->nitems, pv->inventory_item_id))
          continue;
        for (int l = 0; l < s->nlocations; l++) {
          if (!ids_match(f->locs, f->nlocs, s->locations[l].id) ||
              pv->level_updated[l] < f->updated_min)
            continue;
          count++;
          if (c) {
            struct sb_key k = {(int64_t)pv->inventory_item_id, s->locations[l].id};
            collect_add(c, (i * SB_MAX_VARIANTS + (size_t)v) * SB_MAX_LOCATIONS + (size_t)l, k);
          }
        }
      }
    }
    break;
  case SB_RES_EVENTS:
    for (size_t i = 0; i < s->nevents; i++) {
      const struct sb_event *e = &s->events[i];
      if (!event_match(f, e))
        continue;
      count++;
      if (c)
        collect_add(c, i, key_of(f->sort, e->created_at, e->created_at, e->id));
    }
    break;
  default:
    break;
  }
  return count;
}

void sb_list_page(const struct sb_shop *s, const struct sb_filter *f, const struct sb_cursor *cur,
                  size_t limit, struct sb_hit *hits, struct sb_page_result *res) {
  struct collect c;
  if (f->resource == SB_RES_ORDERS) {
    orders_page(s->orders, s->norders, f, cur, limit, hits, res);
    return;
  }
  collect_init(&c, f->desc, cur, limit, hits);
  list_scan(s, f, &c);
  collect_finish(&c, res);
}

size_t sb_list_count(const struct sb_shop *s, const struct sb_filter *f) {
  if (f->resource == SB_RES_ORDERS)
    return sb_query_count(s->orders, s->norders, f);
  return list_scan(s, f, NULL);
}
