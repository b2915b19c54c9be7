/* The resources of the emulated Shopify Admin REST API: which path is which
 * resource, the scope each needs, and the list, count and single-record
 * answers of orders, products, customers, locations, inventory levels and
 * events. Records are copied under the sandbox's lock and rendered outside
 * it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/query.h"
#include "sandbox/render.h"
#include "sandbox/shopify.h"
#include "sandbox/world.h"

#define RES_LOCATIONS SB_RES_COUNT /* locations have no list query of their own */

/* A resource under /admin/api/VERSION/. */
struct res_def {
  const char *name; /* path segment: "orders" */
  int list;         /* enum sb_resource, or RES_LOCATIONS */
  unsigned scope;   /* enum sb_scope it needs; 0: events, by subject type */
  const char *one;  /* key of a single record ("order"); NULL: no such endpoint */
  int countable;    /* NAME/count.json exists */
};

static const struct res_def defs[] = {
    {"orders", SB_RES_ORDERS, SB_SCOPE_ORDERS, "order", 1},
    {"products", SB_RES_PRODUCTS, SB_SCOPE_PRODUCTS, "product", 1},
    {"customers", SB_RES_CUSTOMERS, SB_SCOPE_CUSTOMERS, "customer", 1},
    {"locations", RES_LOCATIONS, SB_SCOPE_LOCATIONS, "location", 1},
    {"inventory_levels", SB_RES_LEVELS, SB_SCOPE_INVENTORY, NULL, 0},
    {"events", SB_RES_EVENTS, 0, NULL, 1},
};

enum target_kind { T_NONE, T_SHOP, T_LIST, T_COUNT, T_ONE, T_REFUNDS };

struct target {
  int kind;                  /* enum target_kind */
  const struct res_def *def; /* the resource, unless T_SHOP or T_NONE */
  uint64_t id;               /* T_ONE, T_REFUNDS: the record's id */
};

/* Strict decimal id of 1..19 digits in [s, s+n). */
static int id_parse(const char *s, size_t n, uint64_t *out) {
  uint64_t id = 0;
  if (n == 0 || n > 19)
    return MS_EINVAL;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return MS_EINVAL;
    id = id * 10 + (uint64_t)(s[i] - '0');
  }
  *out = id;
  return MS_OK;
}

/* NAME.json, NAME/count.json, NAME/ID.json, orders/ID/refunds.json. */
static void target_parse(const char *rs, struct target *t) {
  memset(t, 0, sizeof(*t));
  if (!rs)
    return;
  if (strcmp(rs, "shop.json") == 0) {
    t->kind = T_SHOP;
    return;
  }
  for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
    const struct res_def *d = &defs[i];
    size_t n = strlen(d->name);
    const char *rest;
    if (strncmp(rs, d->name, n) != 0)
      continue;
    rest = rs + n;
    t->def = d;
    if (strcmp(rest, ".json") == 0) {
      t->kind = T_LIST;
    } else if (d->countable && strcmp(rest, "/count.json") == 0) {
      t->kind = T_COUNT;
    } else if (*rest == '/') {
      const char *idtext = rest + 1;
      size_t idlen = strcspn(idtext, "/.");
      const char *after = idtext + idlen;
      if (id_parse(idtext, idlen, &t->id))
        break;
      if (d->one && strcmp(after, ".json") == 0)
        t->kind = T_ONE;
      else if (d->list == SB_RES_ORDERS && strcmp(after, "/refunds.json") == 0)
        t->kind = T_REFUNDS;
    }
    break;
  }
  if (t->kind == T_NONE)
    t->def = NULL;
}

static void no_scope(struct sb_response *res, unsigned scope) {
  char msg[160];
  snprintf(msg, sizeof(msg), "[API] This action requires merchant approval for %s scope.",
           sb_scope_name(scope));
  sb_response_error(res, 403, msg);
}

static unsigned shop_scopes(struct sandbox *sb, const struct sb_shop *shop) {
  unsigned scopes;
  pthread_mutex_lock(&sb->lock);
  scopes = sandbox_state(sb, shop)->scopes;
  pthread_mutex_unlock(&sb->lock);
  return scopes;
}

/* Events need the scope of each subject type they show: with a filter,
 * every type it names (403 naming the first missing scope); without one,
 * the events of the types the token may read. */
static int events_scopes(struct sb_filter *f, unsigned scopes, struct sb_response *res) {
  static const unsigned need[SB_SUBJ_COUNT] = {SB_SCOPE_ORDERS, SB_SCOPE_PRODUCTS,
                                               SB_SCOPE_CUSTOMERS};
  unsigned allowed = 0;
  for (int i = 0; i < SB_SUBJ_COUNT; i++)
    if (scopes & need[i])
      allowed |= 1u << i;
  if (!f->subjects) {
    if (!allowed) {
      no_scope(res, SB_SCOPE_ORDERS);
      return MS_EAUTH;
    }
    f->subjects = (uint8_t)allowed;
  }
  for (int i = 0; i < SB_SUBJ_COUNT; i++)
    if ((f->subjects & (1u << i)) && !(scopes & need[i])) {
      no_scope(res, need[i]);
      return MS_EAUTH;
    }
  return MS_OK;
}

static void build_failed(struct sb_response *res) {
  sb_response_error(res, 500, "the sandbox could not build the response");
}

/* ---- lists ---- */

static int is_page_param(const char *k) {
  return strcmp(k, "limit") == 0 || strcmp(k, "fields") == 0 || strcmp(k, "page_info") == 0;
}

static int valid_host(const char *h) {
  size_t n = h ? strlen(h) : 0;
  if (n == 0 || n > 255)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = h[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-' || c == ':' || c == '[' || c == ']'))
      return 0;
  }
  return 1;
}

static int link_url(struct sandbox *sb, const struct sb_request *req, const struct sb_route *r,
                    const char *name, int limit, const char *fields, const struct sb_cursor *c,
                    struct buf *out) {
  int rc;
  if (valid_host(req->host))
    rc = buf_printf(out, "<http://%s", req->host);
  else
    rc = buf_printf(out, "<%s", sb->base_url);
  if (!rc)
    rc = buf_printf(out, "/shops/%s/admin/api/%s/%s.json?limit=%d", r->shop, r->version, name,
                    limit);
  if (!rc && fields) {
    rc = buf_puts(out, "&fields=");
    if (!rc)
      rc = buf_url_encode(out, fields);
  }
  if (!rc)
    rc = buf_puts(out, "&page_info=");
  if (!rc)
    rc = sb_cursor_encode(c, sb->cfg.seed, out);
  if (!rc)
    rc = buf_printf(out, ">; rel=\"%s\"", c->dir == SB_DIR_PREV ? "previous" : "next");
  return rc;
}

static size_t rec_size(int resource) {
  switch (resource) {
  case SB_RES_PRODUCTS:
    return sizeof(struct sb_product_rec);
  case SB_RES_CUSTOMERS:
    return sizeof(struct sb_customer);
  case SB_RES_LEVELS:
    return sizeof(struct sb_level);
  case SB_RES_EVENTS:
    return sizeof(struct sb_event);
  default:
    return sizeof(struct sb_order);
  }
}

/* Rough bytes of one rendered record, to size the body once. */
static size_t rec_bytes(int resource) {
  switch (resource) {
  case SB_RES_PRODUCTS:
    return 3000;
  case SB_RES_CUSTOMERS:
    return 1400;
  case SB_RES_LEVELS:
    return 220;
  case SB_RES_EVENTS:
    return 400;
  default:
    return 3600;
  }
}

/* Copies the record of a hit. Under the lock. */
static void rec_copy(const struct sb_shop *s, int resource, const struct sb_hit *h, void *dst) {
  switch (resource) {
  case SB_RES_PRODUCTS:
    memcpy(dst, &s->products[h->pos], sizeof(struct sb_product_rec));
    break;
  case SB_RES_CUSTOMERS:
    memcpy(dst, &s->customers[h->pos], sizeof(struct sb_customer));
    break;
  case SB_RES_EVENTS:
    memcpy(dst, &s->events[h->pos], sizeof(struct sb_event));
    break;
  case SB_RES_LEVELS: {
    size_t pos = h->pos / (SB_MAX_VARIANTS * SB_MAX_LOCATIONS);
    int v = (int)(h->pos / SB_MAX_LOCATIONS % SB_MAX_VARIANTS),
        l = (int)(h->pos % SB_MAX_LOCATIONS);
    const struct sb_product_rec *p = &s->products[pos];
    struct sb_level lv = {p->variants[v].inventory_item_id, s->locations[l].id,
                          p->variants[v].level_updated[l], p->variants[v].available[l], p->tracked};
    memcpy(dst, &lv, sizeof(lv));
    break;
  }
  default:
    memcpy(dst, &s->orders[h->pos], sizeof(struct sb_order));
    break;
  }
}

static int rec_render(struct sb_shop *s, int resource, const void *rec,
                      const struct sb_fieldset *fs, struct buf *out) {
  switch (resource) {
  case SB_RES_PRODUCTS:
    return sb_product_render(s, rec, fs, out);
  case SB_RES_CUSTOMERS:
    return sb_customer_render(s, rec, fs, out);
  case SB_RES_LEVELS:
    return sb_level_render(s, rec, fs, out);
  case SB_RES_EVENTS:
    return sb_event_render(s, rec, fs, out);
  default:
    return sb_order_render(s, rec, fs, out);
  }
}

/* The filters of a list request, from page_info or from the parameters;
 * answers the errors itself. */
static int list_filters(struct sandbox *sb, const struct res_def *d, const struct sb_params *p,
                        struct sb_cursor *cur, int *paged, struct sb_response *res) {
  const char *page_info = sb_params_get(p, "page_info");
  *paged = page_info != NULL;
  if (page_info) {
    for (int i = 0; i < p->n; i++) {
      if (!is_page_param(p->items[i].key)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "%.100s cannot be passed when page_info is present.",
                 p->items[i].key);
        res->status = 400;
        buf_reset(&res->body);
        buf_puts(&res->body, "{\"errors\":{\"page_info\":[");
        buf_json_str(&res->body, msg);
        buf_puts(&res->body, "]}}");
        return MS_EINVAL;
      }
    }
    if (sb_cursor_decode(page_info, sb->cfg.seed, cur) || cur->f.resource != d->list) {
      res->status = 400;
      buf_reset(&res->body);
      buf_puts(&res->body, "{\"errors\":{\"page_info\":[\"Invalid value.\"]}}");
      return MS_EINVAL;
    }
    return MS_OK;
  }
  int rc = sb_filter_parse_for(p, d->list, &cur->f, &res->body);
  if (rc) {
    res->status = rc == MS_ETOOBIG ? 422 : 400;
    return rc;
  }
  if (d->list == SB_RES_LEVELS && !cur->f.nitems && !cur->f.nlocs) {
    res->status = 422;
    buf_reset(&res->body);
    buf_puts(&res->body, "{\"errors\":{\"base\":[\"inventory_item_ids or location_ids must be "
                         "present\"]}}");
    return MS_EINVAL;
  }
  return MS_OK;
}

static void list_handle(struct sandbox *sb, struct sb_shop *shop, const struct sb_request *req,
                        const struct sb_route *r, const struct res_def *d,
                        const struct sb_params *p, struct sb_response *res) {
  struct sb_cursor *cur = calloc(1, sizeof(*cur));
  struct sb_fieldset fs;
  struct sb_page_result page;
  struct sb_hit *hits = NULL;
  unsigned char *recs = NULL;
  size_t size = rec_size(d->list);
  int limit, paged, rc;
  const char *fields = sb_params_get(p, "fields");
  if (!cur) {
    sb_response_error(res, 500, "out of memory");
    return;
  }
  if (sb_limit_parse(p, &limit, &res->body)) {
    res->status = 400;
    goto done;
  }
  if (list_filters(sb, d, p, cur, &paged, res))
    goto done;
  if (d->list == SB_RES_EVENTS && events_scopes(&cur->f, shop_scopes(sb, shop), res))
    goto done;
  if (fields)
    sb_fieldset_parse_for(d->list, fields, &fs);
  else
    sb_fieldset_all(&fs);
  hits = malloc((size_t)limit * sizeof(*hits));
  recs = malloc((size_t)limit * size);
  if (!hits || !recs) {
    sb_response_error(res, 500, "out of memory");
    goto done;
  }
  pthread_mutex_lock(&sb->lock);
  rc = d->list == SB_RES_CUSTOMERS ? sb_customers_ready(shop) : MS_OK;
  if (!rc) {
    sb_list_page(shop, &cur->f, paged ? cur : NULL, (size_t)limit, hits, &page);
    for (size_t i = 0; i < page.n; i++)
      rec_copy(shop, d->list, &hits[i], recs + i * size);
  }
  pthread_mutex_unlock(&sb->lock);
  if (rc) {
    sb_response_error(res, 500, "out of memory");
    goto done;
  }

  /* Rendering happens outside the lock, from the copies. */
  rc = buf_reserve(&res->body, page.n * rec_bytes(d->list) + 32);
  if (!rc)
    rc = buf_printf(&res->body, "{\"%s\":[", d->name);
  for (size_t i = 0; !rc && i < page.n; i++) {
    if (i)
      rc = buf_putc(&res->body, ',');
    if (!rc)
      rc = rec_render(shop, d->list, recs + i * size, &fs, &res->body);
  }
  if (!rc)
    rc = buf_puts(&res->body, "]}");
  if (!rc && (page.has_prev || page.has_next)) {
    struct buf link;
    struct sb_cursor *lc = malloc(sizeof(*lc));
    buf_init(&link, 0);
    rc = lc ? MS_OK : MS_ENOMEM;
    if (!rc)
      *lc = *cur;
    if (!rc && page.has_prev) {
      lc->dir = SB_DIR_PREV;
      lc->key_time = hits[0].key.t;
      lc->key_id = hits[0].key.id;
      rc = link_url(sb, req, r, d->name, limit, fields, lc, &link);
    }
    if (!rc && page.has_next) {
      lc->dir = SB_DIR_NEXT;
      lc->key_time = hits[page.n - 1].key.t;
      lc->key_id = hits[page.n - 1].key.id;
      if (page.has_prev)
        rc = buf_puts(&link, ", ");
      if (!rc)
        rc = link_url(sb, req, r, d->name, limit, fields, lc, &link);
    }
    if (!rc)
      rc = sb_response_header(res, "Link", link.data);
    buf_release(&link);
    free(lc);
  }
  if (rc)
    build_failed(res);
done:
  free(hits);
  free(recs);
  free(cur);
}

static void count_handle(struct sandbox *sb, struct sb_shop *shop, const struct res_def *d,
                         const struct sb_params *p, struct sb_response *res) {
  struct sb_filter *f;
  size_t n;
  if (d->list == RES_LOCATIONS) {
    buf_printf(&res->body, "{\"count\":%d}", shop->nlocations);
    return;
  }
  f = malloc(sizeof(*f));
  if (!f) {
    sb_response_error(res, 500, "out of memory");
    return;
  }
  if (sb_filter_parse_for(p, d->list, f, &res->body)) {
    res->status = 400;
    free(f);
    return;
  }
  if (d->list == SB_RES_EVENTS && events_scopes(f, shop_scopes(sb, shop), res)) {
    free(f);
    return;
  }
  pthread_mutex_lock(&sb->lock);
  int rc = d->list == SB_RES_CUSTOMERS ? sb_customers_ready(shop) : MS_OK;
  n = rc ? 0 : sb_list_count(shop, f);
  pthread_mutex_unlock(&sb->lock);
  free(f);
  if (rc)
    sb_response_error(res, 500, "out of memory");
  else
    buf_printf(&res->body, "{\"count\":%zu}", n);
}

/* ---- single records ---- */

/* The record with the id as a copy, or 0 when there is none (or it was
 * deleted). Under the lock. */
static int one_copy(const struct sb_shop *s, int list, uint64_t id, void *dst) {
  long pos;
  switch (list) {
  case SB_RES_PRODUCTS:
    pos = sb_product_find(s, id);
    if (pos < 0 || s->products[pos].deleted_at)
      return 0;
    memcpy(dst, &s->products[pos], sizeof(struct sb_product_rec));
    return 1;
  case SB_RES_CUSTOMERS:
    pos = sb_customer_find(s, id);
    if (pos < 0 || s->customers[pos].deleted_at)
      return 0;
    memcpy(dst, &s->customers[pos], sizeof(struct sb_customer));
    return 1;
  case RES_LOCATIONS:
    for (int i = 0; i < s->nlocations; i++)
      if (s->locations[i].id == id) {
        memcpy(dst, &s->locations[i], sizeof(struct sb_location));
        return 1;
      }
    return 0;
  default:
    pos = sb_shop_find(s, id);
    if (pos < 0 || s->orders[pos].deleted)
      return 0;
    memcpy(dst, &s->orders[pos], sizeof(struct sb_order));
    return 1;
  }
}

static void one_handle(struct sandbox *sb, struct sb_shop *shop, const struct target *t,
                       const struct sb_params *p, struct sb_response *res) {
  union {
    struct sb_order o;
    struct sb_product_rec p;
    struct sb_customer c;
    struct sb_location l;
  } *rec = malloc(sizeof(*rec));
  struct sb_fieldset fs;
  const char *fields = sb_params_get(p, "fields");
  int found, rc, list = t->def->list;
  if (!rec) {
    sb_response_error(res, 500, "out of memory");
    return;
  }
  pthread_mutex_lock(&sb->lock);
  found = (list != SB_RES_CUSTOMERS || sb_customers_ready(shop) == MS_OK) &&
          one_copy(shop, list, t->id, rec);
  pthread_mutex_unlock(&sb->lock);
  if (!found) {
    free(rec);
    sb_response_error(res, 404, "Not Found");
    return;
  }
  if (!fields)
    sb_fieldset_all(&fs);
  else if (list == RES_LOCATIONS)
    sb_fieldset_parse_locations(fields, &fs);
  else
    sb_fieldset_parse_for(list, fields, &fs);
  rc = buf_printf(&res->body, "{\"%s\":", t->def->one);
  if (!rc && list == RES_LOCATIONS)
    rc = sb_location_render(shop, &rec->l, &fs, &res->body);
  else if (!rc)
    rc = rec_render(shop, list, rec, &fs, &res->body);
  if (!rc)
    rc = buf_puts(&res->body, "}");
  if (rc)
    build_failed(res);
  free(rec);
}

/* GET orders/ID/refunds.json: {"refunds":[...]}, the ones inside the order. */
static void refunds_handle(struct sandbox *sb, struct sb_shop *shop, const struct target *t,
                           struct sb_response *res) {
  struct sb_order o;
  int rc;
  pthread_mutex_lock(&sb->lock);
  int found = one_copy(shop, SB_RES_ORDERS, t->id, &o);
  pthread_mutex_unlock(&sb->lock);
  if (!found) {
    sb_response_error(res, 404, "Not Found");
    return;
  }
  rc = buf_puts(&res->body, "{\"refunds\":");
  if (!rc)
    rc = sb_order_refunds_render(shop, &o, &res->body);
  if (!rc)
    rc = buf_puts(&res->body, "}");
  if (rc)
    build_failed(res);
}

/* GET locations.json: all of them, no filters, no pages. */
static void locations_handle(struct sb_shop *shop, const struct sb_params *p,
                             struct sb_response *res) {
  struct sb_fieldset fs;
  const char *fields = sb_params_get(p, "fields");
  int rc;
  if (fields)
    sb_fieldset_parse_locations(fields, &fs);
  else
    sb_fieldset_all(&fs);
  rc = buf_puts(&res->body, "{\"locations\":[");
  for (int i = 0; !rc && i < shop->nlocations; i++) {
    if (i)
      rc = buf_putc(&res->body, ',');
    if (!rc)
      rc = sb_location_render(shop, &shop->locations[i], &fs, &res->body);
  }
  if (!rc)
    rc = buf_puts(&res->body, "]}");
  if (rc)
    build_failed(res);
}

static void shop_one(struct sandbox *sb, struct sb_shop *shop, struct sb_response *res) {
  int rc = buf_puts(&res->body, "{\"shop\":");
  if (!rc)
    rc = sb_shop_render(shop, sandbox_now(sb), &res->body);
  if (!rc)
    rc = buf_puts(&res->body, "}");
  if (rc)
    build_failed(res);
}

void sb_shopify_resource(struct sandbox *sb, struct sb_shop *shop, const struct sb_request *req,
                         const struct sb_route *r, const struct sb_params *p,
                         struct sb_response *res) {
  struct target t;
  int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
  target_parse(r->resource, &t);
  if (t.kind == T_NONE) {
    sb_response_error(res, 404, "Not Found");
    return;
  }
  if (!get) {
    sb_response_header(res, "Allow", "GET, HEAD");
    sb_response_error(res, 405,
                      "Method Not Allowed: the sandbox serves this resource to GET only.");
    return;
  }
  if (t.kind == T_SHOP) {
    shop_one(sb, shop, res);
    return;
  }
  if (t.def->scope && !(shop_scopes(sb, shop) & t.def->scope)) {
    no_scope(res, t.def->scope);
    return;
  }
  switch (t.kind) {
  case T_LIST:
    if (t.def->list == RES_LOCATIONS)
      locations_handle(shop, p, res);
    else
      list_handle(sb, shop, req, r, t.def, p, res);
    break;
  case T_COUNT:
    count_handle(sb, shop, t.def, p, res);
    break;
  case T_REFUNDS:
    refunds_handle(sb, shop, &t, res);
    break;
  default:
    one_handle(sb, shop, &t, p, res);
    break;
  }
}
