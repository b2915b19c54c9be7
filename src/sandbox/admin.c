/* The sandbox's own endpoints under /_sandbox/: ground truth, request log,
 * counters, changes to the data and to the rate limits, NextToken
 * invalidation. No token needed. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "sandbox/params.h"
#include "sandbox/query.h"
#include "sandbox/render.h"
#include "sandbox/sandbox.h"
#include "sandbox/world.h"

#define STREAM_CHUNK (64 * 1024)

static int is_method(const struct sb_request *req, const char *m) {
  return strcmp(req->method, m) == 0 || (strcmp(m, "GET") == 0 && strcmp(req->method, "HEAD") == 0);
}

/* methods: "GET" or "GET, POST" (as in an Allow header). */
static int method_ok(const struct sb_request *req, const char *methods) {
  char one[8];
  const char *m = methods;
  while (*m) {
    size_t n = strcspn(m, ",");
    snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) ? n : sizeof(one) - 1), m);
    if (is_method(req, one))
      return 1;
    m += n;
    while (*m == ',' || *m == ' ')
      m++;
  }
  return 0;
}

static int parse_count(const char *s, long long max, long long *out) {
  char *end;
  if (!s || !*s || *s == '-' || *s == '+')
    return MS_EINVAL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < 0 || v > max)
    return MS_EINVAL;
  *out = v;
  return MS_OK;
}

static int parse_positive(const char *s, double max, double *out) {
  char *end;
  if (!s || !*s)
    return MS_EINVAL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !isfinite(v) || v <= 0 || v > max)
    return MS_EINVAL;
  *out = v;
  return MS_OK;
}

static void unknown_name(struct sb_response *res, const char *what, const char *name) {
  char msg[200];
  snprintf(msg, sizeof(msg), "unknown %s '%.60s'; GET /_sandbox/info lists the shops and sellers",
           what, name);
  sb_response_error(res, 404, msg);
}

/* What ?shop= or ?seller= names: both NULL for all. Names are unique across
 * shops and sellers, so shop= also finds a seller. Answers 404 itself when
 * the name is unknown and 400 when both are given. */
static int target_param(struct sandbox *sb, const struct sb_params *p, struct sb_response *res,
                        struct sb_shop **shop, struct sb_seller **seller) {
  const char *sn = sb_params_get(p, "shop"), *ln = sb_params_get(p, "seller");
  *shop = NULL;
  *seller = NULL;
  if (sn && ln) {
    sb_response_error(res, 400, "give shop or seller, not both");
    return MS_EINVAL;
  }
  if (sn) {
    *shop = sandbox_shop(sb, sn, strlen(sn));
    if (!*shop)
      *seller = sandbox_seller(sb, sn, strlen(sn));
    if (!*shop && !*seller) {
      unknown_name(res, "shop", sn);
      return MS_ENOTFOUND;
    }
  } else if (ln) {
    *seller = sandbox_seller(sb, ln, strlen(ln));
    if (!*seller) {
      unknown_name(res, "seller", ln);
      return MS_ENOTFOUND;
    }
  }
  return MS_OK;
}

/* ---- streamed JSONL bodies ---- */

/* What a shop's truth lists, besides orders. */
enum truth_kind {
  TRUTH_PRODUCTS,
  TRUTH_CUSTOMERS,
  TRUTH_LOCATIONS,
  TRUTH_LEVELS,
  TRUTH_EVENTS,
  TRUTH_DELETED
};

struct jsonl_stream {
  struct sandbox *sb;         /* the sandbox */
  struct sb_shop *shop;       /* truth: the shop */
  int kind;                   /* truth of other records: enum truth_kind */
  unsigned char *recs;        /* truth of other records: copies taken at the start */
  size_t rec_size;            /* bytes per entry of recs */
  struct sb_seller *seller;   /* truth: the seller (then asnap, not snap) */
  const char *name;           /* requests: shop or seller to keep, or NULL */
  struct sb_order *snap;      /* truth: index entries copied at the start */
  struct sb_amz_order *asnap; /* truth: the seller's entries copied at the start */
  size_t n;                   /* truth: entries in snap or asnap */
  uint64_t next;              /* truth: next entry; requests: next seq */
  uint64_t end;               /* requests: seq to stop before */
  struct buf pending;         /* rendered, not yet sent */
  size_t sent;                /* bytes of pending already sent */
};

static void stream_free(void *ctx) {
  struct jsonl_stream *s = ctx;
  if (!s)
    return;
  free(s->snap);
  free(s->asnap);
  free(s->recs);
  buf_release(&s->pending);
  free(s);
}

static ssize_t stream_copy(struct jsonl_stream *s, char *out, size_t max) {
  size_t avail = s->pending.len - s->sent;
  if (avail > max)
    avail = max;
  if (avail)
    memcpy(out, s->pending.data + s->sent, avail);
  s->sent += avail;
  if (s->sent == s->pending.len) {
    buf_reset(&s->pending);
    s->sent = 0;
  }
  return (ssize_t)avail;
}

static ssize_t truth_next(void *ctx, char *out, size_t max) {
  struct jsonl_stream *s = ctx;
  while (s->pending.len - s->sent < max && s->next < s->n) {
    if (sb_order_render(s->shop, &s->snap[s->next++], NULL, &s->pending) ||
        buf_putc(&s->pending, '\n'))
      return -1;
  }
  return stream_copy(s, out, max);
}

static int truth_rec_render(struct jsonl_stream *s, const void *rec) {
  switch (s->kind) {
  case TRUTH_PRODUCTS:
    return sb_product_render(s->shop, rec, NULL, &s->pending);
  case TRUTH_CUSTOMERS:
    return sb_customer_render(s->shop, rec, NULL, &s->pending);
  case TRUTH_LOCATIONS:
    return sb_location_render(s->shop, rec, NULL, &s->pending);
  case TRUTH_LEVELS:
    return sb_level_render(s->shop, rec, NULL, &s->pending);
  case TRUTH_EVENTS:
    return sb_event_render(s->shop, rec, NULL, &s->pending);
  default:
    return sb_deleted_render(s->shop, rec, &s->pending);
  }
}

static ssize_t truth_recs_next(void *ctx, char *out, size_t max) {
  struct jsonl_stream *s = ctx;
  while (s->pending.len - s->sent < max && s->next < s->n) {
    if (truth_rec_render(s, s->recs + s->next++ * s->rec_size) || buf_putc(&s->pending, '\n'))
      return -1;
  }
  return stream_copy(s, out, max);
}

static ssize_t seller_truth_next(void *ctx, char *out, size_t max) {
  struct jsonl_stream *s = ctx;
  while (s->pending.len - s->sent < max && s->next < s->n) {
    if (sb_amz_order_render(s->seller, &s->asnap[s->next++], NULL, 1, &s->pending) ||
        buf_putc(&s->pending, '\n'))
      return -1;
  }
  return stream_copy(s, out, max);
}

static ssize_t requests_next(void *ctx, char *out, size_t max) {
  struct jsonl_stream *s = ctx;
  if (s->pending.len - s->sent < max && s->next < s->end) {
    pthread_mutex_lock(&s->sb->lock);
    uint64_t first = sb_reqlog_first(&s->sb->log);
    if (s->next < first)
      s->next = first; /* older entries were evicted meanwhile */
    for (; s->pending.len - s->sent < max && s->next < s->end; s->next++) {
      const struct sb_logent *e = sb_reqlog_get(&s->sb->log, s->next);
      if (!e)
        continue;
      if (s->name && (e->shop_len != strlen(s->name) || memcmp(e->text, s->name, e->shop_len) != 0))
        continue;
      if (sb_logent_json(e, &s->pending)) {
        pthread_mutex_unlock(&s->sb->lock);
        return -1;
      }
    }
    pthread_mutex_unlock(&s->sb->lock);
  }
  return stream_copy(s, out, max);
}

static struct jsonl_stream *stream_new(struct sandbox *sb, struct sb_response *res,
                                       sb_stream_fn fn) {
  struct jsonl_stream *s = calloc(1, sizeof(*s));
  if (!s) {
    sb_response_error(res, 500, "out of memory");
    return NULL;
  }
  s->sb = sb;
  buf_init(&s->pending, 0);
  res->stream = fn;
  res->stream_free = stream_free;
  res->stream_ctx = s;
  res->content_type = "application/x-ndjson; charset=utf-8";
  return s;
}

/* GET /_sandbox/truth?shop=S[&created_at_min=..&created_at_max=..&updated_at_min=..&...]
 * Every order of the shop (status any unless ?status= is given), as the API
 * renders it now, one per line, ascending by id. */
/* A time filter of the seller truth: inclusive, absent = unbounded. */
static int truth_time(const struct sb_params *p, const char *name, int64_t dflt, int64_t *out,
                      struct sb_response *res) {
  const char *v = sb_params_get(p, name);
  *out = dflt;
  if (v && time_parse(v, out)) {
    char msg[160];
    snprintf(msg, sizeof(msg), "%s must be an ISO 8601 date-time such as 2026-11-01T07:00:00Z",
             name);
    sb_response_error(res, 400, msg);
    return MS_EINVAL;
  }
  return MS_OK;
}

/* GET /_sandbox/truth?seller=S[&CreatedAfter=..&CreatedBefore=..&LastUpdatedAfter=..&
 * LastUpdatedBefore=..]: every order of the seller with all its items, as
 * the API renders them now, sorted by PurchaseDate then id. */
static void seller_truth(struct sandbox *sb, struct sb_seller *seller, const struct sb_params *p,
                         struct sb_response *res) {
  int64_t ca, cb, ua, ub;
  struct jsonl_stream *s;
  if (truth_time(p, "CreatedAfter", INT64_MIN, &ca, res) ||
      truth_time(p, "CreatedBefore", INT64_MAX, &cb, res) ||
      truth_time(p, "LastUpdatedAfter", INT64_MIN, &ua, res) ||
      truth_time(p, "LastUpdatedBefore", INT64_MAX, &ub, res))
    return;
  s = stream_new(sb, res, seller_truth_next);
  if (!s)
    return;
  s->seller = seller;
  pthread_mutex_lock(&sb->lock);
  s->asnap = malloc((seller->norders ? seller->norders : 1) * sizeof(*s->asnap));
  if (s->asnap)
    for (size_t i = 0; i < seller->norders; i++) {
      const struct sb_amz_order *o = &seller->orders[i];
      if (o->purchase >= ca && o->purchase <= cb && o->updated >= ua && o->updated <= ub)
        s->asnap[s->n++] = *o;
    }
  pthread_mutex_unlock(&sb->lock);
  if (!s->asnap) {
    res->stream = NULL;
    sb_response_error(res, 500, "out of memory");
  }
}

/* Copies the live records of one kind into s->recs, in the order the
 * truth lists them. Under the lock. */
static int truth_snapshot(struct jsonl_stream *s, const struct sb_shop *shop) {
  size_t cap;
  switch (s->kind) {
  case TRUTH_PRODUCTS:
    s->rec_size = sizeof(struct sb_product_rec);
    cap = shop->nproducts;
    break;
  case TRUTH_CUSTOMERS:
    s->rec_size = sizeof(struct sb_customer);
    cap = shop->ncustomer_recs;
    break;
  case TRUTH_LOCATIONS:
    s->rec_size = sizeof(struct sb_location);
    cap = (size_t)shop->nlocations;
    break;
  case TRUTH_LEVELS:
    s->rec_size = sizeof(struct sb_level);
    cap = shop->nproducts * SB_MAX_VARIANTS * SB_MAX_LOCATIONS;
    break;
  default:
    s->rec_size = sizeof(struct sb_event);
    cap = shop->nevents;
    break;
  }
  s->recs = malloc((cap ? cap : 1) * s->rec_size);
  if (!s->recs)
    return MS_ENOMEM;
  unsigned char *d = s->recs;
  switch (s->kind) {
  case TRUTH_PRODUCTS:
    for (size_t i = 0; i < shop->nproducts; i++)
      if (!shop->products[i].deleted_at)
        memcpy(d + s->n++ * s->rec_size, &shop->products[i], s->rec_size);
    break;
  case TRUTH_CUSTOMERS:
    for (size_t i = 0; i < shop->ncustomer_recs; i++)
      if (!shop->customers[i].deleted_at)
        memcpy(d + s->n++ * s->rec_size, &shop->customers[i], s->rec_size);
    break;
  case TRUTH_LOCATIONS:
    for (int i = 0; i < shop->nlocations; i++)
      memcpy(d + s->n++ * s->rec_size, &shop->locations[i], s->rec_size);
    break;
  case TRUTH_LEVELS:
    /* Inventory item ids ascend with the product and the variant, location
     * ids with the location: this is (inventory_item_id, location_id) order. */
    for (size_t i = 0; i < shop->nproducts; i++) {
      const struct sb_product_rec *p = &shop->products[i];
      for (int v = 0; !p->deleted_at && v < p->nvariants; v++)
        for (int l = 0; l < shop->nlocations; l++) {
          struct sb_level lv = {p->variants[v].inventory_item_id, shop->locations[l].id,
                                p->variants[v].level_updated[l], p->variants[v].available[l],
                                p->tracked};
          memcpy(d + s->n++ * s->rec_size, &lv, s->rec_size);
        }
    }
    break;
  default:
    for (size_t i = 0; i < shop->nevents; i++)
      if (s->kind == TRUTH_EVENTS || shop->events[i].verb == SB_VERB_DESTROY)
        memcpy(d + s->n++ * s->rec_size, &shop->events[i], s->rec_size);
    break;
  }
  return MS_OK;
}

/* GET /_sandbox/truth?shop=S&resource=products|customers|locations|inventory_levels|events
 * and /_sandbox/truth/deleted?shop=S */
static void truth_records(struct sandbox *sb, struct sb_shop *shop, int kind,
                          struct sb_response *res) {
  struct jsonl_stream *s = stream_new(sb, res, truth_recs_next);
  int rc;
  if (!s)
    return;
  s->shop = shop;
  s->kind = kind;
  pthread_mutex_lock(&sb->lock);
  rc = kind == TRUTH_CUSTOMERS ? sb_customers_ready(shop) : MS_OK;
  if (!rc)
    rc = truth_snapshot(s, shop);
  pthread_mutex_unlock(&sb->lock);
  if (rc) {
    res->stream = NULL;
    sb_response_error(res, 500, "out of memory");
  }
}

static void truth_deleted(struct sandbox *sb, const struct sb_params *p, struct sb_response *res) {
  struct sb_shop *shop;
  struct sb_seller *seller;
  if (target_param(sb, p, res, &shop, &seller))
    return;
  if (!shop || sb_aff_named(p)) {
    sb_response_error(res, 400,
                      "shop is required: GET /_sandbox/truth/deleted?shop=NAME (only shops "
                      "report deletions)");
    return;
  }
  truth_records(sb, shop, TRUTH_DELETED, res);
}

static void truth(struct sandbox *sb, const struct sb_params *p, struct sb_response *res) {
  static const struct {
    const char *name;
    int kind;
  } kinds[] = {{"products", TRUTH_PRODUCTS},
               {"customers", TRUTH_CUSTOMERS},
               {"locations", TRUTH_LOCATIONS},
               {"inventory_levels", TRUTH_LEVELS},
               {"events", TRUTH_EVENTS}};
  struct sb_shop *shop;
  struct sb_seller *seller;
  struct sb_filter *f;
  struct jsonl_stream *s;
  struct sb_aff_account *acct;
  const char *resource = sb_params_get(p, "resource");
  if (target_param(sb, p, res, &shop, &seller) || sb_aff_target(sb, p, res, &acct))
    return;
  if (acct) {
    sb_aff_truth(sb, acct, p, res); /* its own resource= */
    return;
  }
  if (!shop && !seller) {
    sb_response_error(res, 400,
                      "shop, seller, admitad or boostiny is required: GET "
                      "/_sandbox/truth?shop=NAME, ?seller=NAME, ?admitad=NAME or ?boostiny=NAME");
    return;
  }
  if (resource && strcmp(resource, "orders") != 0) {
    if (!shop) {
      sb_response_error(res, 400,
                        "a seller's truth lists orders only; resource= is for shops and "
                        "affiliate accounts");
      return;
    }
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
      if (strcmp(resource, kinds[i].name) == 0) {
        truth_records(sb, shop, kinds[i].kind, res);
        return;
      }
    sb_response_error(res, 400,
                      "resource must be orders, products, customers, locations, "
                      "inventory_levels or events");
    return;
  }
  if (seller) {
    seller_truth(sb, seller, p, res);
    return;
  }
  f = malloc(sizeof(*f));
  if (!f) {
    sb_response_error(res, 500, "out of memory");
    return;
  }
  if (sb_filter_parse(p, f, &res->body)) {
    res->status = 400;
    free(f);
    return;
  }
  if (!sb_params_get(p, "status"))
    f->status = SB_ST_ANY;
  s = stream_new(sb, res, truth_next);
  if (!s) {
    free(f);
    return;
  }
  s->shop = shop;
  pthread_mutex_lock(&sb->lock);
  s->snap = malloc((shop->norders ? shop->norders : 1) * sizeof(*s->snap));
  if (s->snap)
    for (size_t i = 0; i < shop->norders; i++)
      if (sb_filter_match(f, &shop->orders[i]))
        s->snap[s->n++] = shop->orders[i];
  pthread_mutex_unlock(&sb->lock);
  free(f);
  if (!s->snap) {
    res->stream = NULL;
    sb_response_error(res, 500, "out of memory");
  }
}

/* GET /_sandbox/requests[?shop=S][&since=SEQ]: log entries with seq > SEQ. */
static void requests(struct sandbox *sb, const struct sb_params *p, struct sb_response *res) {
  struct sb_shop *shop;
  struct sb_seller *seller;
  struct jsonl_stream *s;
  long long since = 0;
  const char *v = sb_params_get(p, "since");
  struct sb_aff_account *acct;
  if (target_param(sb, p, res, &shop, &seller) || sb_aff_target(sb, p, res, &acct))
    return;
  if (v && parse_count(v, INT64_MAX, &since)) {
    sb_response_error(res, 400, "since must be a request sequence number (0 or more)");
    return;
  }
  s = stream_new(sb, res, requests_next);
  if (!s)
    return;
  s->name = shop ? shop->name : seller ? seller->name : acct ? acct->name : NULL;
  s->next = (uint64_t)since + 1;
  pthread_mutex_lock(&sb->lock);
  s->end = sb->log.next_seq;
  pthread_mutex_unlock(&sb->lock);
}

/* "faults":{"500":N,...}: every kind, in the order of enum sb_fault_kind. */
static void fault_counts_json(struct buf *b, const uint64_t counts[SB_FAULT_N]) {
  buf_puts(b, "\"faults\":{");
  for (int k = 1; k < SB_FAULT_N; k++)
    buf_printf(b, "%s\"%s\":%llu", k > 1 ? "," : "", sb_fault_name(k),
               (unsigned long long)counts[k]);
  buf_putc(b, '}');
}

/* },"admitad":{NAME:{...}},"boostiny":{NAME:{...} of /_sandbox/stats (the
 * closing brace is the caller's). Called under the lock. */
static void aff_stats(struct sandbox *sb, struct buf *b) {
  for (int net = 0; net < SB_NET_N; net++) {
    buf_printf(b, "},\"%s\":{", sb_aff_net_name(net));
    for (int i = 0, first = 1; i < sb->aff->n; i++) {
      const struct sb_aff_account *a = &sb->aff->accounts[i];
      if ((int)a->net != net)
        continue;
      buf_printf(b, "%s\"%s\":{", first ? "" : ",", a->name);
      sb_aff_stats_members(a, b);
      fault_counts_json(b, a->faults.counts);
      buf_putc(b, '}');
      first = 0;
    }
  }
}

/* GET /_sandbox/stats */
static void stats(struct sandbox *sb, struct sb_response *res) {
  struct buf *b = &res->body;
  pthread_mutex_lock(&sb->lock);
  buf_printf(b, "{\"requests\":%llu,\"throttled\":%llu,", (unsigned long long)sb->requests,
             (unsigned long long)sb->throttled);
  fault_counts_json(b, sb->fault_counts);
  buf_puts(b, ",\"shops\":{");
  for (int i = 0; i < sb->cfg.nshops; i++) {
    const struct sb_shop_state *st = &sb->state[i];
    const struct sb_shop *sh = &sb->shops[i];
    buf_printf(b,
               "%s\"%s\":{\"requests\":%llu,\"throttled\":%llu,\"orders\":%zu,\"products\":%zu,"
               "\"customers\":%zu,\"events\":%zu,",
               i ? "," : "", sh->name, (unsigned long long)st->requests,
               (unsigned long long)st->throttled, sh->norders - sh->orders_deleted,
               sh->nproducts - sh->products_deleted,
               sh->customers_ready ? sh->ncustomer_recs - sh->customers_deleted : sh->ncustomers,
               sh->nevents);
    fault_counts_json(b, st->faults.counts);
    buf_putc(b, '}');
  }
  buf_puts(b, "},\"sellers\":{");
  for (int i = 0; i < sb->cfg.nsellers; i++) {
    const struct sb_seller_state *st = &sb->sstate[i];
    buf_printf(b, "%s\"%s\":{\"requests\":%llu,\"throttled\":%llu,\"orders\":%zu,", i ? "," : "",
               sb->sellers[i].name, (unsigned long long)st->requests,
               (unsigned long long)st->throttled, sb->sellers[i].norders);
    fault_counts_json(b, st->faults.counts);
    buf_putc(b, '}');
  }
  aff_stats(sb, b);
  pthread_mutex_unlock(&sb->lock);
  buf_puts(b, "}}");
}

/* GET /_sandbox/info: what is served where. */
static void info(struct sandbox *sb, struct sb_response *res) {
  struct buf *b = &res->body;
  char now[TIME_STR_LEN];
  time_format(sandbox_now(sb), 0, 1, now);
  buf_printf(b, "{\"base_url\":\"%s\",\"token\":", sb->base_url);
  buf_json_str(b, sb->cfg.token);
  buf_printf(b, ",\"seed\":%llu,\"days\":%d,\"now\":\"%s\",\"shops\":[",
             (unsigned long long)sb->cfg.seed, sb->cfg.days, now);
  pthread_mutex_lock(&sb->lock);
  for (int i = 0; i < sb->cfg.nshops; i++) {
    const struct sb_shop *s = &sb->shops[i];
    buf_printf(b,
               "%s{\"name\":\"%s\",\"url\":\"%s/shops/%s\",\"timezone\":\"%s\",\"currency\":\"%s\","
               "\"orders\":%zu,\"products\":%zu,\"customers\":%zu,\"locations\":%d,\"scopes\":",
               i ? "," : "", s->name, sb->base_url, s->name, s->tzid, sb_shop_currency(s),
               s->norders - s->orders_deleted, s->nproducts - s->products_deleted,
               s->customers_ready ? s->ncustomer_recs - s->customers_deleted : s->ncustomers,
               s->nlocations);
    sb_scopes_json(sb->state[i].scopes, b);
    buf_putc(b, '}');
  }
  buf_printf(b,
             "],\"amazon\":{\"sp_api_url\":\"%s/sp-api\",\"token_url\":\"%s/auth/o2/token\","
             "\"client_id\":",
             sb->base_url, sb->base_url);
  buf_json_str(b, sb->cfg.lwa_client_id);
  buf_puts(b, ",\"client_secret\":");
  buf_json_str(b, sb->cfg.lwa_client_secret);
  buf_printf(b, ",\"token_lifetime\":%d,\"sp_speed\":%g,\"marketplace_id\":\"%s\"},\"sellers\":[",
             sb->cfg.token_lifetime, sb->cfg.sp_speed, SB_AMZ_MARKETPLACE);
  for (int i = 0; i < sb->cfg.nsellers; i++) {
    const struct sb_seller *s = &sb->sellers[i];
    buf_printf(b,
               "%s{\"name\":\"%s\",\"timezone\":\"%s\",\"marketplace_id\":\"%s\","
               "\"refresh_token\":\"Atzr|sandbox-%s\",\"orders\":%zu}",
               i ? "," : "", s->name, s->tzid, SB_AMZ_MARKETPLACE, s->name, s->norders);
  }
  pthread_mutex_unlock(&sb->lock);
  buf_putc(b, ']');
  sb_aff_info_json(sb, b);
  buf_putc(b, '}');
}

/* The AmazonOrderIds a seller mutation touched, each once, sorted. */
struct amz_ids {
  char (*ids)[SB_AMZ_ID_LEN]; /* the ids */
  size_t n;                   /* entries */
  size_t cap;                 /* allocated */
};

static int amz_ids_add(struct amz_ids *a, const struct sb_amz_order *o) {
  int rc = array_reserve((void **)&a->ids, &a->cap, a->n + 1, sizeof(*a->ids), 64);
  if (!rc)
    sb_amz_order_id(o, a->ids[a->n++]);
  return rc;
}

static int amz_id_cmp(const void *x, const void *y) {
  return strcmp((const char *)x, (const char *)y);
}

/* Whether resource= names a list only the affiliate accounts have. */
static int aff_resource(const char *r) {
  static const char *const names[] = {"actions", "performance", "campaigns", "coupons"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcmp(r, names[i]) == 0)
      return 1;
  return 0;
}

/* Reads ?resource=, ?update=, ?create=, ?delete=, ?from=, ?to= into m, the
 * day range still in local dates; answers 400 itself. With accounts set (no
 * shop or seller named), a resource of the affiliate accounts is accepted
 * and leaves m->resource at SB_MUT_COUNT: no shop or seller has it. */
static int mutation_parse(const struct sb_params *p, int accounts, struct sb_mutation *m,
                          struct civil_date *from, struct civil_date *to, struct sb_response *res) {
  static const char *const names[SB_MUT_COUNT] = {"orders", "products", "customers", "inventory",
                                                  "refunds"};
  const char *u = sb_params_get(p, "update"), *c = sb_params_get(p, "create"),
             *d = sb_params_get(p, "delete"), *r = sb_params_get(p, "resource"),
             *vf = sb_params_get(p, "from"), *vt = sb_params_get(p, "to");
  memset(m, 0, sizeof(*m));
  if (r) {
    for (m->resource = 0; m->resource < SB_MUT_COUNT && strcmp(r, names[m->resource]);
         m->resource++)
      ;
    if (m->resource == SB_MUT_COUNT && !(accounts && aff_resource(r))) {
      sb_response_error(res, 400,
                        accounts ? "resource must be orders, products, customers, inventory or "
                                   "refunds (shops; sellers have orders), or actions, "
                                   "performance, campaigns or coupons (affiliate accounts)"
                                 : "resource must be orders, products, customers, inventory or "
                                   "refunds");
      return MS_EINVAL;
    }
  }
  if ((u && parse_count(u, SB_MUTATE_MAX, &m->update)) ||
      (c && parse_count(c, SB_MUTATE_MAX, &m->create)) ||
      (d && parse_count(d, SB_MUTATE_MAX, &m->remove))) {
    sb_response_error(res, 400,
                      "update, create and delete must be whole numbers from 0 to 1000000");
    return MS_EINVAL;
  }
  if ((m->resource == SB_MUT_INVENTORY || m->resource == SB_MUT_REFUNDS) &&
      (m->create || m->remove)) {
    sb_response_error(res, 400,
                      "inventory and refunds take update=N only: inventory levels come and go "
                      "with their products, and refunds are never deleted");
    return MS_EINVAL;
  }
  if (vf || vt) {
    if (m->resource != SB_MUT_ORDERS && m->resource != SB_MUT_REFUNDS) {
      sb_response_error(res, 400,
                        "from and to choose among orders' days: resource=orders or "
                        "refunds only");
      return MS_EINVAL;
    }
    if (date_parse(vf ? vf : vt, from, NULL) || date_parse(vt ? vt : vf, to, NULL) ||
        date_cmp(*from, *to) > 0) {
      sb_response_error(res, 400,
                        "from and to must be days YYYY-MM-DD of the shop's zone, from <= to");
      return MS_EINVAL;
    }
    m->ranged = 1;
  }
  return MS_OK;
}

/* [lo, hi): the UTC bounds of the shop's local days from..to. */
static int shop_days(struct sb_shop *s, struct civil_date from, struct civil_date to, int64_t *lo,
                     int64_t *hi) {
  int64_t a, b;
  int rc;
  pthread_mutex_lock(&s->zone.lock);
  rc = tz_day_bounds(s->zone.tz, from, lo, &a);
  if (!rc)
    rc = tz_day_bounds(s->zone.tz, to, &b, hi);
  pthread_mutex_unlock(&s->zone.lock);
  return rc;
}

/* The one answer of /_sandbox/mutate: {"updated":N,"created":N,"deleted":N}
 * for every target; "ids" (Shopify ids, then AmazonOrderIds) once a shop or
 * seller was among them, and "levels" too for resource=inventory. */
static void mutate_answer(struct buf *b, const struct sb_mut_out *out, const struct amz_ids *amz,
                          int with_ids, int inventory) {
  buf_printf(b, "{\"updated\":%llu,\"created\":%llu,\"deleted\":%llu", out->updated, out->created,
             out->deleted);
  if (!with_ids) {
    buf_putc(b, '}');
    return;
  }
  buf_puts(b, ",\"ids\":[");
  int first = 1;
  for (size_t i = 0; i < out->nids; i++) {
    if (i && out->ids[i].id == out->ids[i - 1].id)
      continue; /* inventory: one id per item, its levels are below */
    buf_printf(b, "%s%llu", first ? "" : ",", (unsigned long long)out->ids[i].id);
    first = 0;
  }
  for (size_t i = 0; i < amz->n; i++) {
    buf_printf(b, "%s\"%s\"", first ? "" : ",", amz->ids[i]);
    first = 0;
  }
  buf_putc(b, ']');
  if (inventory) {
    buf_puts(b, ",\"levels\":[");
    for (size_t i = 0; i < out->nids; i++)
      buf_printf(b, "%s{\"inventory_item_id\":%llu,\"location_id\":%llu}", i ? "," : "",
                 (unsigned long long)out->ids[i].id, (unsigned long long)out->ids[i].location_id);
    buf_putc(b, ']');
  }
  buf_putc(b, '}');
}

/* Sorts the AmazonOrderIds and drops repeats. */
static void amz_ids_finish(struct amz_ids *amz) {
  size_t k = 0;
  if (!amz->n)
    return;
  qsort(amz->ids, amz->n, sizeof(*amz->ids), amz_id_cmp);
  for (size_t i = 1; i < amz->n; i++)
    if (strcmp(amz->ids[i], amz->ids[k]) != 0)
      memcpy(amz->ids[++k], amz->ids[i], sizeof(amz->ids[0]));
  amz->n = k + 1;
}

/* The shops and sellers part of a mutation, under the lock: those named, or
 * all of them (all set). *reached is set once one of them had the resource. */
static int mutate_shops_sellers(struct sandbox *sb, const struct sb_mutation *m,
                                struct sb_shop *shop, struct sb_seller *seller, int all,
                                struct sb_mut_out *out, struct amz_ids *amz, int *reached) {
  int64_t now = sandbox_now(sb);
  int rc = MS_OK;
  for (int i = 0; !rc && i < sb->cfg.nshops && m->resource != SB_MUT_COUNT; i++) {
    struct sb_shop *s = &sb->shops[i];
    if (!all && s != shop)
      continue;
    *reached = 1;
    rc = sb_shop_mutate(s, m, now, out);
  }
  for (int i = 0; !rc && i < sb->cfg.nsellers && m->resource == SB_MUT_ORDERS; i++) {
    struct sb_seller *s = &sb->sellers[i];
    if (!all && s != seller)
      continue;
    *reached = 1;
    for (long long k = 0; !rc && k < m->update && s->norders; k++, out->updated++)
      rc = amz_ids_add(amz, &s->orders[sb_seller_update_one(s, now)]);
    for (long long k = 0; !rc && k < m->create; k++) {
      rc = sb_seller_create_order(s, now);
      out->created += !rc;
      if (!rc)
        rc = amz_ids_add(amz, &s->orders[s->norders - 1]);
    }
  }
  return rc;
}

/* POST /_sandbox/mutate?[shop=S|seller=S|admitad=A|boostiny=B&][resource=R&]update=N&create=M
 * &delete=K[&from=D&to=D][&days=N]: one shop, seller or affiliate account, or
 * all of them when none is named (each with the resource it has). */
static void mutate(struct sandbox *sb, const struct sb_params *p, struct sb_response *res) {
  struct sb_shop *shop;
  struct sb_seller *seller;
  struct sb_aff_account *acct;
  struct sb_mutation m;
  struct sb_mut_out out;
  struct amz_ids amz;
  struct civil_date from, to;
  int rc = MS_OK, all, reached = 0;
  memset(&out, 0, sizeof(out));
  memset(&amz, 0, sizeof(amz));
  if (target_param(sb, p, res, &shop, &seller) || sb_aff_target(sb, p, res, &acct))
    return;
  if (acct) {
    /* The account's own resources and rules (affiliate_admin.c). */
    if (sb_aff_mutate(sb, acct, p, &out.updated, &out.created, &out.deleted, res) == MS_OK)
      mutate_answer(&res->body, &out, &amz, 0, 0);
    return;
  }
  all = !shop && !seller;
  if (mutation_parse(p, all, &m, &from, &to, res))
    return;
  if (seller && (m.resource != SB_MUT_ORDERS || m.remove || m.ranged)) {
    sb_response_error(res, 400,
                      "sellers take resource=orders with update and create only (no delete, "
                      "from or to)");
    return;
  }
  if (m.ranged && !shop) {
    sb_response_error(res, 400, "from and to are days of one shop: name it with shop=NAME");
    return;
  }
  if (m.ranged && shop_days(shop, from, to, &m.lo, &m.hi)) {
    sb_response_error(res, 400, "from and to must be days the shop's zone can place");
    return;
  }
  /* Every affiliate account too, when nothing is named; first, so that a
   * bad days= is refused before anything changes. */
  if (all && sb_aff_mutate(sb, NULL, p, &out.updated, &out.created, &out.deleted, res))
    return;
  pthread_mutex_lock(&sb->lock);
  rc = mutate_shops_sellers(sb, &m, shop, seller, all, &out, &amz, &reached);
  pthread_mutex_unlock(&sb->lock);
  if (rc) {
    sb_response_error(res, rc == MS_ENOMEM ? 500 : 507,
                      rc == MS_ENOMEM ? "out of memory"
                                      : "the sandbox cannot hold more records of this kind");
  } else {
    sb_mut_out_finish(&out);
    amz_ids_finish(&amz);
    mutate_answer(&res->body, &out, &amz, reached, m.resource == SB_MUT_INVENTORY);
  }
  sb_mut_out_release(&out);
  free(amz.ids);
}

/* POST /_sandbox/amazon/invalidate-tokens[?seller=S]: every NextToken handed
 * out so far (orders and items) of the seller, or of all sellers, is refused
 * from now on with 400 "Invalid NextToken". */
static void invalidate_tokens(struct sandbox *sb, const struct sb_params *p,
                              struct sb_response *res) {
  struct sb_shop *shop;
  struct sb_seller *seller;
  if (target_param(sb, p, res, &shop, &seller))
    return;
  if (shop) {
    sb_response_error(res, 400, "Shopify shops have no NextTokens; name a seller: ?seller=NAME");
    return;
  }
  pthread_mutex_lock(&sb->lock);
  buf_puts(&res->body, "{\"sellers\":{");
  for (int i = 0, first = 1; i < sb->cfg.nsellers; i++) {
    if (seller && &sb->sellers[i] != seller)
      continue;
    sb->sstate[i].epoch++;
    buf_printf(&res->body, "%s\"%s\":{\"epoch\":%u}", first ? "" : ",", sb->sellers[i].name,
               (unsigned)sb->sstate[i].epoch);
    first = 0;
  }
  pthread_mutex_unlock(&sb->lock);
  buf_puts(&res->body, "}}");
}

/* POST /_sandbox/amazon/expire-access-tokens[?seller=S]: every access token
 * issued so far to the seller (or to all) answers 403 "expired" from now on,
 * as if its hour were over: clients must refresh and retry. */
static void expire_access(struct sandbox *sb, const struct sb_params *p, struct sb_response *res) {
  struct sb_shop *shop;
  struct sb_seller *seller;
  int64_t now = sandbox_now_ms(sb) + 1;
  if (target_param(sb, p, res, &shop, &seller))
    return;
  if (shop) {
    sb_response_error(res, 400,
                      "Shopify shops have no expiring tokens; name a seller: ?seller=NAME");
    return;
  }
  pthread_mutex_lock(&sb->lock);
  buf_puts(&res->body, "{\"sellers\":[");
  for (int i = 0, first = 1; i < sb->cfg.nsellers; i++) {
    if (seller && &sb->sellers[i] != seller)
      continue;
    sb->sstate[i].revoked_ms = now;
    buf_printf(&res->body, "%s\"%s\"", first ? "" : ",", sb->sellers[i].name);
    first = 0;
  }
  pthread_mutex_unlock(&sb->lock);
  buf_puts(&res->body, "]}");
}

static void seller_bucket_json(struct buf *b, const char *name, const struct sb_tbucket *t) {
  char rate[32];
  sb_rate_format(t->rate, rate, sizeof(rate));
  buf_printf(b, "\"%s\":{\"rate\":%s,\"burst\":%.0f,\"tokens\":%.3f}", name, rate, t->burst,
             t->tokens);
}

/* POST /_sandbox/config?[shop=S|seller=S&]bucket_size=N&leak_rate=R&sp_speed=F&rate_limit=0|1
 * &scopes=LIST. Shops take bucket_size, leak_rate and scopes, sellers
 * sp_speed; rate_limit goes to both. Without shop or seller, every shop and
 * every seller. Affiliate accounts are refused: their limits are fixed at
 * start. */
static void config(struct sandbox *sb, const struct sb_params *p, struct sb_response *res) {
  struct sb_shop *shop;
  struct sb_seller *seller;
  double size = 0, leak = 0, speed = 0;
  long long on = -1;
  unsigned scopes = 0;
  struct err err = {0, ""};
  const char *vs = sb_params_get(p, "bucket_size"), *vl = sb_params_get(p, "leak_rate"),
             *vr = sb_params_get(p, "rate_limit"), *vp = sb_params_get(p, "sp_speed"),
             *vc = sb_params_get(p, "scopes");
  if (target_param(sb, p, res, &shop, &seller))
    return;
  if (sb_aff_named(p)) {
    sb_response_error(res, 400,
                      "config changes shops and sellers only; the affiliate accounts' limits "
                      "are set on the command line");
    return;
  }
  if (vc && seller) {
    sb_response_error(res, 400, "scopes are the Shopify token's: name a shop, not a seller");
    return;
  }
  if (vc && sb_scopes_parse(vc, &scopes, &err)) {
    sb_response_error(res, 400, err.msg);
    return;
  }
  if ((vs && parse_positive(vs, 1000000, &size)) || (vl && parse_positive(vl, 1000000, &leak)) ||
      (vp && parse_positive(vp, 1000000, &speed)) || (vr && parse_count(vr, 1, &on))) {
    sb_response_error(res, 400,
                      "bucket_size, leak_rate and sp_speed must be positive numbers, rate_limit 0 "
                      "or 1");
    return;
  }
  if (vs && size != floor(size)) {
    sb_response_error(res, 400, "bucket_size must be a whole number");
    return;
  }
  pthread_mutex_lock(&sb->lock);
  double now = sandbox_mono();
  buf_puts(&res->body, "{\"shops\":{");
  for (int i = 0, first = 1; i < sb->cfg.nshops; i++) {
    struct sb_bucket *bk = &sb->state[i].bucket;
    if (seller || (shop && &sb->shops[i] != shop))
      continue;
    sb_bucket_drain(bk, now);
    if (vs)
      bk->size = size;
    if (vl)
      bk->leak = leak;
    if (vr)
      bk->enabled = (int)on;
    if (vc)
      sb->state[i].scopes = scopes;
    if (bk->level > bk->size)
      bk->level = bk->size;
    buf_printf(&res->body,
               "%s\"%s\":{\"bucket_size\":%.0f,\"leak_rate\":%g,\"rate_limit\":%s,\"level\":%.3f,"
               "\"scopes\":",
               first ? "" : ",", sb->shops[i].name, bk->size, bk->leak,
               bk->enabled ? "true" : "false", bk->level);
    sb_scopes_json(sb->state[i].scopes, &res->body);
    buf_putc(&res->body, '}');
    first = 0;
  }
  buf_puts(&res->body, "},\"sellers\":{");
  for (int i = 0, first = 1; i < sb->cfg.nsellers; i++) {
    struct sb_seller_state *st = &sb->sstate[i];
    if (shop || (seller && &sb->sellers[i] != seller))
      continue;
    sb_tbucket_refill(&st->orders, now);
    sb_tbucket_refill(&st->items, now);
    sb_tbucket_refill(&st->order, now);
    if (vp) {
      st->orders.rate = SB_SP_ORDERS_RATE * speed;
      st->items.rate = SB_SP_ITEMS_RATE * speed;
      st->order.rate = SB_SP_ORDER_RATE * speed;
    }
    if (vr)
      st->orders.enabled = st->items.enabled = st->order.enabled = (int)on;
    buf_printf(&res->body, "%s\"%s\":{\"sp_speed\":%g,\"rate_limit\":%s,", first ? "" : ",",
               sb->sellers[i].name, st->orders.rate / SB_SP_ORDERS_RATE,
               st->orders.enabled ? "true" : "false");
    seller_bucket_json(&res->body, "getOrders", &st->orders);
    buf_putc(&res->body, ',');
    seller_bucket_json(&res->body, "getOrderItems", &st->items);
    buf_putc(&res->body, ',');
    seller_bucket_json(&res->body, "getOrder", &st->order);
    buf_putc(&res->body, '}');
    first = 0;
  }
  pthread_mutex_unlock(&sb->lock);
  buf_puts(&res->body, "}}");
}

/* ---- faults ---- */

/* The fault state of every shop, seller and affiliate account that ?shop=,
 * ?seller= or an account name selects (all when none): calls fn(state,
 * is_seller, ctx) for each; is_seller is set wherever access tokens expire
 * (sellers and Admitad accounts). */
static int for_targets(struct sandbox *sb, const struct sb_shop *shop,
                       const struct sb_seller *seller, const struct sb_aff_account *acct,
                       int (*fn)(struct sb_fault_state *, int, void *), void *ctx) {
  int rc = MS_OK;
  for (int i = 0; !rc && i < sb->cfg.nshops; i++)
    if (!seller && !acct && (!shop || &sb->shops[i] == shop))
      rc = fn(&sb->state[i].faults, 0, ctx);
  for (int i = 0; !rc && i < sb->cfg.nsellers; i++)
    if (!shop && !acct && (!seller || &sb->sellers[i] == seller))
      rc = fn(&sb->sstate[i].faults, 1, ctx);
  for (int i = 0; !rc && i < sb->aff->n; i++) {
    struct sb_aff_account *a = &sb->aff->accounts[i];
    if (!shop && !seller && (!acct || a == acct))
      rc = fn(&a->faults, a->net == SB_NET_ADMITAD, ctx);
  }
  return rc;
}

static void fault_state_json(struct buf *b, const char *name, const struct sb_fault_state *st,
                             int first) {
  int any = 0;
  buf_printf(b, "%s\"%s\":{\"probabilities\":{", first ? "" : ",", name);
  for (int k = 1; k < SB_FAULT_N; k++)
    if (st->probs.p[k] > 0) {
      buf_printf(b, "%s\"%s\":%g", any ? "," : "", sb_fault_name(k), st->probs.p[k]);
      any = 1;
    }
  buf_printf(b, "},\"drawn\":%llu,\"plans\":[", (unsigned long long)st->draws);
  for (int i = 0; i < st->nplans; i++) {
    const struct sb_fault_plan *pl = &st->plans[i];
    buf_printf(b, "%s{\"match\":", i ? "," : "");
    buf_json_str(b, pl->match);
    buf_printf(b, ",\"nth\":%u,\"times\":%u,\"kind\":\"%s\"}", (unsigned)pl->skip + 1,
               (unsigned)pl->times, sb_fault_name(pl->kind));
  }
  buf_puts(b, "],");
  fault_counts_json(b, st->counts);
  buf_putc(b, '}');
}

/* The answer of GET /_sandbox/faults. Called under the lock. */
static void faults_json(struct sandbox *sb, struct buf *b) {
  buf_printf(b, "{\"seed\":%llu,\"hang_ms\":%u,\"huge_bytes\":%llu,",
             (unsigned long long)sb->fault_seed, sb->fault_hang_ms,
             (unsigned long long)sb->fault_huge_bytes);
  fault_counts_json(b, sb->fault_counts);
  buf_puts(b, ",\"shops\":{");
  for (int i = 0; i < sb->cfg.nshops; i++)
    fault_state_json(b, sb->shops[i].name, &sb->state[i].faults, i == 0);
  buf_puts(b, "},\"sellers\":{");
  for (int i = 0; i < sb->cfg.nsellers; i++)
    fault_state_json(b, sb->sellers[i].name, &sb->sstate[i].faults, i == 0);
  for (int net = 0; net < SB_NET_N; net++) {
    buf_printf(b, "},\"%s\":{", sb_aff_net_name(net));
    for (int i = 0, first = 1; i < sb->aff->n; i++)
      if ((int)sb->aff->accounts[i].net == net) {
        fault_state_json(b, sb->aff->accounts[i].name, &sb->aff->accounts[i].faults, first);
        first = 0;
      }
  }
  buf_puts(b, "}}");
}

struct probs_change {
  double p[SB_FAULT_N]; /* new probability, or -1: unchanged */
  int clear;            /* zero everything and drop the plans first */
  int check;            /* 1: only check the sums; 0: apply */
};

static void probs_new(const struct sb_fault_state *st, int is_seller, const struct probs_change *c,
                      struct sb_fault_probs *out) {
  *out = st->probs;
  if (c->clear)
    memset(out, 0, sizeof(*out));
  for (int k = 1; k < SB_FAULT_N; k++)
    if (c->p[k] >= 0 && (is_seller || k != SB_FAULT_EXPIRED))
      out->p[k] = c->p[k];
}

static int probs_apply(struct sb_fault_state *st, int is_seller, void *ctx) {
  const struct probs_change *c = ctx;
  struct sb_fault_probs np;
  probs_new(st, is_seller, c, &np);
  if (c->check)
    return sb_fault_probs_sum(&np) > 1.0 + 1e-9 ? MS_EINVAL : MS_OK;
  st->probs = np;
  if (c->clear)
    st->nplans = 0;
  return MS_OK;
}

/* POST /_sandbox/faults?[shop=S|seller=S&]KIND=P...[&clear=1][&seed=N][&hang_ms=N][&huge_bytes=N]
 */
static void faults_set(struct sandbox *sb, const struct sb_params *p, struct sb_response *res) {
  struct sb_shop *shop;
  struct sb_seller *seller;
  struct probs_change c;
  long long clear = 0, seed = -1, hang = -1, huge_b = -1;
  char msg[320];
  struct sb_aff_account *acct;
  if (target_param(sb, p, res, &shop, &seller) || sb_aff_target(sb, p, res, &acct))
    return;
  memset(&c, 0, sizeof(c));
  for (int k = 0; k < SB_FAULT_N; k++)
    c.p[k] = -1;
  for (int i = 0; i < p->n; i++) {
    const char *k = p->items[i].key, *v = p->items[i].value;
    int kind = sb_fault_lookup(k, strlen(k));
    double pr;
    char *end;
    if (strcmp(k, "shop") == 0 || strcmp(k, "seller") == 0 || strcmp(k, "admitad") == 0 ||
        strcmp(k, "boostiny") == 0 || strcmp(k, "account") == 0)
      continue;
    if (strcmp(k, "clear") == 0 && parse_count(v, 1, &clear) == MS_OK)
      continue;
    if (strcmp(k, "seed") == 0 && parse_count(v, INT64_MAX, &seed) == MS_OK)
      continue;
    if (strcmp(k, "hang_ms") == 0 && parse_count(v, SB_FAULT_HANG_MS_MAX, &hang) == MS_OK)
      continue;
    if (strcmp(k, "huge_bytes") == 0 &&
        parse_count(v, (long long)SB_FAULT_HUGE_BYTES_MAX, &huge_b) == MS_OK)
      continue;
    if (strcmp(k, "clear") == 0 || strcmp(k, "seed") == 0 || strcmp(k, "hang_ms") == 0 ||
        strcmp(k, "huge_bytes") == 0) {
      sb_response_error(res, 400,
                        "clear must be 0 or 1, seed a whole number, hang_ms a whole number of "
                        "milliseconds up to 600000 and huge_bytes a whole number of bytes up to "
                        "68719476736");
      return;
    }
    if (!kind) {
      snprintf(msg, sizeof(msg),
               "'%.40s=%.20s' is neither a fault kind (500, 502, 503, 429, 429-date, 429-bare, "
               "hang, reset, truncated, malformed, shape, huge, deep, utf8, expired) nor a "
               "setting",
               k, v);
      sb_response_error(res, 400, msg);
      return;
    }
    errno = 0;
    pr = strtod(v, &end);
    if (!*v || errno || *end || !isfinite(pr) || pr < 0 || pr > 1) {
      snprintf(msg, sizeof(msg), "the probability of %s must be a number from 0 to 1", k);
      sb_response_error(res, 400, msg);
      return;
    }
    if (kind == SB_FAULT_EXPIRED && (shop || (acct && acct->net != SB_NET_ADMITAD)) && pr > 0) {
      sb_response_error(res, 400,
                        "Shopify shops and Boostiny accounts have no expiring tokens; expired is "
                        "for sellers and Admitad accounts");
      return;
    }
    c.p[kind] = pr;
  }
  c.clear = (int)clear;
  pthread_mutex_lock(&sb->lock);
  c.check = 1;
  if (for_targets(sb, shop, seller, acct, probs_apply, &c)) {
    pthread_mutex_unlock(&sb->lock);
    sb_response_error(res, 400,
                      "the fault probabilities of a shop or seller would add up to more than 1");
    return;
  }
  c.check = 0;
  for_targets(sb, shop, seller, acct, probs_apply, &c);
  if (seed >= 0) {
    sb->fault_seed = (uint64_t)seed;
    for (int i = 0; i < sb->cfg.nshops; i++)
      sb->state[i].faults.draws = 0;
    for (int i = 0; i < sb->cfg.nsellers; i++)
      sb->sstate[i].faults.draws = 0;
    for (int i = 0; i < sb->aff->n; i++)
      sb->aff->accounts[i].faults.draws = 0;
  }
  if (hang >= 0)
    sb->fault_hang_ms = (unsigned)hang;
  if (huge_b >= 0)
    sb->fault_huge_bytes = (uint64_t)huge_b;
  faults_json(sb, &res->body);
  pthread_mutex_unlock(&sb->lock);
}

struct plan_add {
  const char *match; /* substring */
  uint32_t nth;      /* 1-based */
  uint32_t times;    /* 1 or more */
  int kind;          /* enum sb_fault_kind */
  int check;         /* 1: only check there is room */
  struct err err;    /* why not */
};

static int plan_apply(struct sb_fault_state *st, int is_seller, void *ctx) {
  struct plan_add *a = ctx;
  if (!sb_fault_applies(a->kind, is_seller ? SB_API_SP : SB_API_SHOPIFY))
    return MS_OK; /* expired: sellers only */
  if (a->check)
    return st->nplans == SB_FAULT_PLANS_MAX
               ? err_set(&a->err, MS_ETOOBIG, "at most %d plans can wait per shop or seller",
                         SB_FAULT_PLANS_MAX)
               : MS_OK;
  return sb_fault_plan_add(st, a->match, a->nth, a->times, a->kind, &a->err);
}

/* POST /_sandbox/faults/plan?[shop=S|seller=S&]kind=K[&match=SUBSTRING][&nth=N][&times=T] */
static void faults_plan(struct sandbox *sb, const struct sb_params *p, struct sb_response *res) {
  struct sb_shop *shop;
  struct sb_seller *seller;
  struct plan_add a;
  const char *kind = sb_params_get(p, "kind"), *nth = sb_params_get(p, "nth"),
             *times = sb_params_get(p, "times");
  long long n = 1, t = 1;
  struct sb_aff_account *acct;
  if (target_param(sb, p, res, &shop, &seller) || sb_aff_target(sb, p, res, &acct))
    return;
  memset(&a, 0, sizeof(a));
  a.match = sb_params_get(p, "match") ? sb_params_get(p, "match") : "";
  a.kind = kind ? sb_fault_lookup(kind, strlen(kind)) : SB_FAULT_NONE;
  if (!a.kind) {
    sb_response_error(res, 400,
                      "kind is required and must be one of 500, 502, 503, 429, 429-date, "
                      "429-bare, hang, reset, truncated, malformed, shape, huge, deep, utf8, "
                      "expired");
    return;
  }
  if ((nth && parse_count(nth, SB_FAULT_TIMES_MAX, &n)) || n < 1 ||
      (times && parse_count(times, SB_FAULT_TIMES_MAX, &t)) || t < 1) {
    sb_response_error(res, 400, "nth and times must be whole numbers from 1 to 1000000");
    return;
  }
  if (strlen(a.match) >= SB_FAULT_MATCH_MAX) {
    sb_response_error(res, 400, "match must be at most 255 bytes");
    return;
  }
  if (a.kind == SB_FAULT_EXPIRED && (shop || (acct && acct->net != SB_NET_ADMITAD))) {
    sb_response_error(res, 400,
                      "Shopify shops and Boostiny accounts have no expiring tokens; expired is "
                      "for sellers and Admitad accounts");
    return;
  }
  a.nth = (uint32_t)n;
  a.times = (uint32_t)t;
  pthread_mutex_lock(&sb->lock);
  a.check = 1;
  if (for_targets(sb, shop, seller, acct, plan_apply, &a)) {
    pthread_mutex_unlock(&sb->lock);
    sb_response_error(res, 400, a.err.msg);
    return;
  }
  a.check = 0;
  for_targets(sb, shop, seller, acct, plan_apply, &a);
  faults_json(sb, &res->body);
  pthread_mutex_unlock(&sb->lock);
}

static void faults_get(struct sandbox *sb, struct sb_response *res) {
  pthread_mutex_lock(&sb->lock);
  faults_json(sb, &res->body);
  pthread_mutex_unlock(&sb->lock);
}

void sb_admin_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res) {
  static const struct {
    const char *path;   /* under /_sandbox/ */
    const char *method; /* the one accepted (GET also takes HEAD) */
  } routes[] = {{"truth", "GET"},
                {"requests", "GET"},
                {"stats", "GET"},
                {"info", "GET"},
                {"mutate", "POST"},
                {"config", "POST"},
                {"amazon/invalidate-tokens", "POST"},
                {"amazon/expire-access-tokens", "POST"},
                {"faults", "GET, POST"},
                {"faults/plan", "POST"},
                {"truth/deleted", "GET"}};
  struct sb_params *p;
  const char *name = req->path + (strncmp(req->path, "/_sandbox/", 10) == 0 ? 10 : 9);
  size_t r, nroutes = sizeof(routes) / sizeof(routes[0]);
  if (req->uri_too_long) {
    sb_response_error(res, 414, "Request-URI Too Large: URLs are limited to 8192 bytes.");
    return;
  }
  if (sb_aff_admin_handle(sb, req, res))
    return; /* /_sandbox/admitad/... and /_sandbox/boostiny/... */
  for (r = 0; r < nroutes && strcmp(name, routes[r].path) != 0; r++)
    ;
  if (r == nroutes) {
    sb_response_error(res, 404,
                      "Not Found: the sandbox serves /_sandbox/truth, truth/deleted, requests, "
                      "stats, info, mutate, config, amazon/invalidate-tokens, "
                      "amazon/expire-access-tokens, admitad/expire-tokens, boostiny/unlock, "
                      "faults and faults/plan");
    return;
  }
  if (!method_ok(req, routes[r].method)) {
    char msg[128];
    snprintf(msg, sizeof(msg), "Method Not Allowed: use %s for /_sandbox/%s", routes[r].method,
             routes[r].path);
    sb_response_header(res, "Allow", routes[r].method);
    sb_response_error(res, 405, msg);
    return;
  }
  p = malloc(sizeof(*p));
  if (!p) {
    sb_response_error(res, 500, "out of memory");
    return;
  }
  switch (sb_params_parse(p, req->query)) {
  case SB_PARAMS_OK:
    break;
  case SB_PARAMS_TOO_LONG:
    sb_response_error(res, 414, "Request-URI Too Large: URLs are limited to 8192 bytes.");
    free(p);
    return;
  default:
    sb_response_error(res, 400, "The query string has too many parameters or cannot be decoded.");
    free(p);
    return;
  }
  switch (r) {
  case 0:
    truth(sb, p, res);
    break;
  case 1:
    requests(sb, p, res);
    break;
  case 2:
    stats(sb, res);
    break;
  case 3:
    info(sb, res);
    break;
  case 4:
    mutate(sb, p, res);
    break;
  case 5:
    config(sb, p, res);
    break;
  case 6:
    invalidate_tokens(sb, p, res);
    break;
  case 7:
    expire_access(sb, p, res);
    break;
  case 8:
    if (strcmp(req->method, "POST") == 0)
      faults_set(sb, p, res);
    else
      faults_get(sb, res);
    break;
  case 9:
    faults_plan(sb, p, res);
    break;
  default:
    truth_deleted(sb, p, res);
    break;
  }
  free(p);
}
