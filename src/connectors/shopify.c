/* Shopify Admin REST API: orders (with their line items) by the shop's
 * calendar day, cursor pagination through the Link header, pacing by the
 * leaky bucket reported in X-Shopify-Shop-Api-Call-Limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "util/json.h"
#include "net/headers.h"
#include "net/url.h"
#include "util/buf.h"

#define SHOPIFY_DEFAULT_VERSION "2024-01"
#define SHOPIFY_PAGE_LIMIT 250
#define SHOPIFY_MAX_ITEMS 10000 /* line items per order we accept */

struct shopify {
  struct source *src; /* borrowed */
  char *version;      /* API version in the path */
};

static const struct stream_def shopify_streams[] = {
    {"orders", "rest"},
    {NULL, NULL},
};

/* Standard plan: 40 requests, 2 per second drained. The size is read from
 * every response and the leak rate learned, so Plus shops get their 400/20
 * after the first few answers. */
static const struct endpoint_def shopify_endpoints[] = {
    {"rest", RATE_LEAKY, 40, 2},
    {NULL, 0, 0, 0},
};

static int shopify_open(struct source *src, void **state, struct err *err) {
  struct shopify *s = calloc(1, sizeof(*s));
  cJSON *settings;
  const char *ver;
  if (!s)
    return err_set(err, MS_ENOMEM, "out of memory");
  s->src = src;
  settings = cJSON_Parse(src->row.settings ? src->row.settings : "{}");
  if (!cJSON_IsObject(settings)) {
    cJSON_Delete(settings);
    free(s);
    return err_set(err, MS_EINVAL, "source %s: settings are not a JSON object", src->row.name);
  }
  ver = jstr(settings, "api_version");
  s->version = strdup(ver ? ver : SHOPIFY_DEFAULT_VERSION);
  cJSON_Delete(settings);
  if (!src->api_base || !src->secret || !s->version) {
    free(s->version);
    free(s);
    return err_set(err, MS_EINVAL, "source %s: API base URL or access token missing",
                   src->row.name);
  }
  *state = s;
  return MS_OK;
}

static void shopify_close(void *state) {
  struct shopify *s = state;
  if (!s)
    return;
  free(s->version);
  free(s);
}

static int add_auth(struct shopify *s, struct http_request *req) {
  int rc = http_request_header(req, "X-Shopify-Access-Token", s->src->secret, 1);
  return rc ? rc : http_request_header(req, "Accept", "application/json", 0);
}

static int shopify_probe_request(void *state, struct http_request *req, struct err *err) {
  struct shopify *s = state;
  int rc = buf_printf(&req->url, "%s/admin/api/%s/shop.json", s->src->api_base, s->version);
  snprintf(req->endpoint, sizeof(req->endpoint), "rest");
  if (!rc)
    rc = add_auth(s, req);
  return rc ? err_set(err, rc, "cannot build the shop request") : MS_OK;
}

static int shopify_parse_probe(void *state, const struct http_response *res, struct source *src,
                               struct err *err) {
  cJSON *root = jparse(res->body.data, res->body.len, err);
  const cJSON *shop = cJSON_GetObjectItemCaseSensitive(root, "shop");
  const char *zone = jstr(shop, "iana_timezone");
  (void)state;
  if (!cJSON_IsObject(shop)) {
    cJSON_Delete(root);
    return err_set(err, MS_EPROTO, "the shop answer has no \"shop\" object");
  }
  if (zone && !src->timezone_overridden) {
    free(src->timezone);
    src->timezone = strdup(zone);
  }
  cJSON_Delete(root);
  return MS_OK;
}

/* A cursor is the next-page URL exactly as Shopify gave it. We follow it only
 * to the same scheme, host and port as the configured API base, so that the
 * access token is never sent elsewhere. */
static int same_origin(const char *base, const char *url) {
  const char *p = strstr(base, "://");
  size_t n;
  if (!p)
    return 0;
  p = strchr(p + 3, '/');
  n = p ? (size_t)(p - base) : strlen(base);
  return strncmp(base, url, n) == 0 && (url[n] == '/' || url[n] == '\0');
}

static int shopify_page_request(void *state, const struct slice *sl, struct http_request *req,
                                struct err *err) {
  struct shopify *s = state;
  char from[TIME_STR_LEN], to[TIME_STR_LEN];
  int off_from = 0, off_to = 0, rc;
  snprintf(req->endpoint, sizeof(req->endpoint), "rest");
  if (sl->cursor) {
    if (!same_origin(s->src->api_base, sl->cursor)) {
      char origin[256];
      url_origin(s->src->api_base, origin, sizeof(origin));
      return err_set(err, MS_ECURSOR, "stored cursor points outside %s", origin);
    }
    rc = buf_puts(&req->url, sl->cursor);
  } else {
    /* Bounds in the shop's own offset, inclusive to the second, as the API
     * filters created_at_min and created_at_max inclusively. */
    if (s->src->tz) {
      tz_offset_at(s->src->tz, sl->range_start, &off_from);
      tz_offset_at(s->src->tz, sl->range_end - 1, &off_to);
    }
    time_format(sl->range_start, off_from, 1, from);
    time_format(sl->range_end - 1, off_to, 1, to);
    rc = buf_printf(&req->url, "%s/admin/api/%s/orders.json?status=any&limit=%d&created_at_min=",
                    s->src->api_base, s->version, SHOPIFY_PAGE_LIMIT);
    if (!rc)
      rc = buf_url_encode(&req->url, from);
    if (!rc)
      rc = buf_puts(&req->url, "&created_at_max=");
    if (!rc)
      rc = buf_url_encode(&req->url, to);
  }
  if (!rc)
    rc = add_auth(s, req);
  return rc ? err_set(err, rc, "cannot build the orders request") : MS_OK;
}

/* Shopify's error bodies are {"errors": "text"} or {"errors": {...}}. */
static void error_text(const struct http_response *res, char *out, size_t outsz) {
  cJSON *root = res->body.len ? cJSON_ParseWithLength(res->body.data, res->body.len) : NULL;
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "errors");
  out[0] = '\0';
  if (cJSON_IsString(e)) {
    snprintf(out, outsz, "%s", e->valuestring);
  } else if (e) {
    char *d = cJSON_PrintUnformatted(e);
    snprintf(out, outsz, "%s", d ? d : "");
    free(d);
  }
  cJSON_Delete(root);
}

static void shopify_classify(void *state, const struct http_response *res, struct verdict *v,
                             struct err *err) {
  char text[256];
  (void)state;
  if (verdict_common(res, "Shopify", v, err))
    return;
  error_text(res, text, sizeof(text));
  if (res->status == 429) {
    v->rc = MS_ERATELIMIT;
    err_set(err, v->rc, "Shopify rate limit (429): %s", text);
  } else if (res->status == 401 || res->status == 403) {
    v->rc = MS_EAUTH;
    err_set(err, v->rc,
            "Shopify refused the access token (HTTP %ld: %s); check the token and its "
            "read_orders scope",
            res->status, text);
  } else if (res->status == 400 && strstr(text, "page_info")) {
    v->rc = MS_ECURSOR;
    err_set(err, v->rc, "Shopify rejected the page cursor (%s)", text);
  } else if (res->status == 404) {
    v->rc = MS_EFATAL;
    err_set(err, v->rc, "Shopify answered 404 Not Found: check the shop domain and API base");
  } else if (res->status >= 500 || res->status == 408) {
    v->rc = MS_ETRANSIENT;
    err_set(err, v->rc, "Shopify server error (HTTP %ld)", res->status);
  } else {
    v->rc = MS_EFATAL;
    err_set(err, v->rc, "Shopify refused the request (HTTP %ld: %s)", res->status, text);
  }
}

static int parse_item(const cJSON *li, const char *currency, struct record_item *it,
                      struct err *err) {
  const char *price = jstr(li, "price");
  it->external_id = jid(li, "id");
  if (!it->external_id)
    return err_set(err, MS_EPROTO, "a line item has no id");
  it->sku = jstrdup(li, "sku");
  it->title = jstrdup(li, "title");
  it->quantity = jint(li, "quantity", 0);
  if (!price)
    it->price_missing = 1;
  else if (money_set(&it->price, price, currency))
    return err_set(err, MS_EPROTO, "line item %s has a price that is not a decimal: \"%.40s\"",
                   it->external_id, price);
  /* No raw copy of the line: the order's raw JSON holds it as sent. */
  return MS_OK;
}

static const char *order_status(const cJSON *o) {
  if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "cancelled_at")))
    return "cancelled";
  if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "closed_at")))
    return "closed";
  return "open";
}

static int parse_order(const cJSON *o, const char *raw, size_t rawlen, struct record *r,
                       struct err *err) {
  const char *created = jstr(o, "created_at"), *updated = jstr(o, "updated_at");
  const char *currency = jstr(o, "currency"), *total = jstr(o, "total_price");
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "line_items");
  if (!cJSON_IsObject(o))
    return err_set(err, MS_EPROTO, "an element of \"orders\" is not an object");
  r->external_id = jid(o, "id");
  if (!r->external_id)
    return err_set(err, MS_EPROTO, "an order has no usable id");
  if (!created || time_parse(created, &r->created_at))
    return err_set(err, MS_EPROTO, "order %s has no valid created_at", r->external_id);
  if (!updated || time_parse(updated, &r->updated_at))
    r->updated_at = r->created_at;
  r->name = jstrdup(o, "name");
  r->status = strdup(order_status(o));
  r->financial_status = jstrdup(o, "financial_status");
  r->fulfillment_status = jstrdup(o, "fulfillment_status");
  if (total && money_set(&r->total, total, currency))
    return err_set(err, MS_EPROTO, "order %s has a total that is not a decimal: \"%.40s\"",
                   r->external_id, total);
  if (!total && currency)
    money_set(&r->total, "", currency);
  if (cJSON_IsArray(items)) {
    size_t n = (size_t)cJSON_GetArraySize(items), i = 0;
    const cJSON *li;
    if (n > SHOPIFY_MAX_ITEMS)
      return err_set(err, MS_ETOOBIG, "order %s has %zu line items", r->external_id, n);
    r->items = n ? calloc(n, sizeof(*r->items)) : NULL;
    if (n && !r->items)
      return err_set(err, MS_ENOMEM, "out of memory");
    cJSON_ArrayForEach(li, items) {
      int rc = parse_item(li, currency, &r->items[i++], err);
      r->nitems = i;
      if (rc)
        return rc;
    }
    r->items_included = 1;
  }
  /* The order's bytes exactly as Shopify sent them. */
  r->raw = malloc(rawlen + 1);
  if (!r->raw)
    return err_set(err, MS_ENOMEM, "out of memory");
  memcpy(r->raw, raw, rawlen);
  r->raw[rawlen] = '\0';
  r->raw_len = rawlen;
  return MS_OK;
}

struct page_ctx {
  struct page *out; /* records go here */
  struct err *err;  /* why an order was refused */
};

/* One order of the page. An order we cannot read does not fail the page: it
 * goes to the store marked unreadable, to be kept aside with its bytes. */
static int take_order(void *ctx, const cJSON *o, const char *raw, size_t rawlen) {
  struct page_ctx *pc = ctx;
  struct record *r = page_add(pc->out);
  struct err why = {0};
  int rc;
  if (!r)
    return err_set(pc->err, MS_ENOMEM, "out of memory");
  rc = parse_order(o, raw, rawlen, r, &why);
  if (rc == MS_EPROTO || rc == MS_ETOOBIG)
    rc = record_set_unreadable(r, raw, rawlen, why.msg);
  else if (rc)
    err_set(pc->err, rc, "%s", why.msg);
  return rc == MS_ENOMEM ? err_set(pc->err, rc, "out of memory") : rc;
}

static int shopify_parse_record(void *state, const char *raw, size_t len, struct record *out,
                                struct err *err) {
  cJSON *o = jparse(raw, len, err);
  int rc;
  (void)state;
  if (!o) {
    err_prefix(err, "Shopify order");
    return MS_EPROTO;
  }
  rc = parse_order(o, raw, len, out, err);
  cJSON_Delete(o);
  return rc;
}

static int shopify_parse_page(void *state, const struct slice *sl, const struct http_response *res,
                              struct page *out, struct err *err) {
  struct page_ctx pc = {out, err};
  const char *link;
  char next[8192];
  int rc;
  (void)state;
  (void)sl;
  out->bytes = res->body.len;
  rc = json_each_in(res->body.data, res->body.len, "orders", take_order, &pc, err);
  if (rc == MS_ENOTFOUND)
    return err_set(err, MS_EPROTO, "Shopify answer has no \"orders\" list");
  if (rc)
    return rc == MS_EPROTO ? err_prefix(err, "Shopify orders page") : rc;
  link = http_response_header(res, "Link");
  if (link) {
    rc = link_find(link, "next", next, sizeof(next));
    if (rc == MS_OK) {
      out->next_cursor = strdup(next);
      if (!out->next_cursor)
        return err_set(err, MS_ENOMEM, "out of memory");
    } else if (rc != MS_ENOTFOUND) {
      return err_set(err, MS_EPROTO, "Shopify sent a Link header we cannot read");
    }
  }
  return MS_OK;
}

static void shopify_observe(void *state, const struct http_response *res, struct rate_hint *hint) {
  const char *h = http_response_header(res, "X-Shopify-Shop-Api-Call-Limit");
  int used, size;
  (void)state;
  if (h && call_limit_parse(h, &used, &size) == MS_OK) {
    hint->kind = HINT_LEVEL;
    hint->used = used;
    hint->size = size;
  }
}

static void shopify_plan_day(double orders, double *requests) {
  double pages = orders / SHOPIFY_PAGE_LIMIT;
  requests[0] = pages < 1 ? 1 : (double)(long)(pages + 0.999);
}

const struct connector shopify_connector = {
    .name = "shopify",
    .streams = shopify_streams,
    .endpoints = shopify_endpoints,
    .open = shopify_open,
    .close = shopify_close,
    .probe_request = shopify_probe_request,
    .parse_probe = shopify_parse_probe,
    .page_request = shopify_page_request,
    .classify = shopify_classify,
    .parse_page = shopify_parse_page,
    .parse_record = shopify_parse_record,
    .observe = shopify_observe,
    .plan_day = shopify_plan_day,
};
