/* Amazon Selling Partner API: orders and their items by the marketplace's
 * business day, Login-with-Amazon token refresh, one token bucket per
 * operation (getOrders, getOrderItems) corrected by x-amzn-RateLimit-Limit.
 *
 * A day's cursor is the next getOrders NextToken. The items of each page's
 * orders are follow-ups: every order is marked `follow`, the store keeps the
 * list of those still waiting (leaving out orders stored unchanged with their
 * items, so a day started over makes progress) and the next getOrderItems
 * token of the first; they are fetched before the next page of orders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "connectors/connector.h"
#include "util/json.h"
#include "net/headers.h"
#include "util/buf.h"
#include "util/clock.h"

#define AMAZON_PAGE 100 /* MaxResultsPerPage: the API's maximum */
#define AMAZON_BEFORE_SLACK                                                                        \
  180 /* Before must be 2 minutes before now; a minute spare for clock skew */
#define AMAZON_REFRESH_EARLY 60 /* refresh this long before expiry, or a fifth of the life */
#define AMAZON_MAX_MARKETPLACES 50

struct amazon {
  struct source *src; /* borrowed */
  char *token_url;    /* Login with Amazon */
  char *client_id;    /* not secret */
  char *marketplaces; /* comma list */
  char *access;       /* current access token; NULL when none */
  int64_t refresh_at; /* UTC seconds: time to fetch a new token */
};

static const struct stream_def amazon_streams[] = {
    {"orders", "getOrders"},
    {NULL, NULL},
};

/* Rates and bursts as documented; x-amzn-RateLimit-Limit corrects the rate. */
static const struct endpoint_def amazon_endpoints[] = {
    {"getOrders", RATE_TOKEN, 20, 0.0167},
    {"getOrderItems", RATE_TOKEN, 30, 0.5},
    {NULL, 0, 0, 0},
};

/* A marketplace's business-day time zone. */
struct marketplace {
  const char *id;     /* "ATVPDKIKX0DER" */
  const char *zone;   /* IANA */
  const char *region; /* na, eu, fe */
};

static const struct marketplace marketplaces[] = {
    {"ATVPDKIKX0DER", "America/Los_Angeles", "na"},  /* US */
    {"A2EUQ1WTGCTBG2", "America/Los_Angeles", "na"}, /* CA */
    {"A1AM78C64UM0Y8", "America/Mexico_City", "na"}, /* MX */
    {"A2Q3Y263D00KWC", "America/Sao_Paulo", "na"},   /* BR */
    {"A1F83G8C2ARO7P", "Europe/London", "eu"},       /* UK */
    {"A1PA6795UKMFR9", "Europe/Berlin", "eu"},       /* DE */
    {"A13V1IB3VIYZZH", "Europe/Paris", "eu"},        /* FR */
    {"APJ6JRA9NG5V4", "Europe/Rome", "eu"},          /* IT */
    {"A1RKKUPIHCS9HS", "Europe/Madrid", "eu"},       /* ES */
    {"A1805IZSGTT6HS", "Europe/Amsterdam", "eu"},    /* NL */
    {"A2NODRKZP88ZB9", "Europe/Stockholm", "eu"},    /* SE */
    {"A1C3SOZRARQ6R3", "Europe/Warsaw", "eu"},       /* PL */
    {"A33AVAJ2PDY3EV", "Europe/Istanbul", "eu"},     /* TR */
    {"A2VIGQ35RCS4UG", "Asia/Dubai", "eu"},          /* AE */
    {"A21TJRUUN4KGV", "Asia/Kolkata", "eu"},         /* IN */
    {"A1VC38T7YXB528", "Asia/Tokyo", "fe"},          /* JP */
    {"A39IBJ37TRP1C6", "Australia/Sydney", "fe"},    /* AU */
    {"A19VAU5U5O7RUS", "Asia/Singapore", "fe"},      /* SG */
    {NULL, NULL, NULL},
};

const char *amazon_marketplace_zone(const char *id) {
  for (size_t i = 0; marketplaces[i].id; i++)
    if (strcmp(marketplaces[i].id, id) == 0)
      return marketplaces[i].zone;
  return NULL;
}

const char *amazon_region_base(const char *region) {
  if (strcmp(region, "na") == 0)
    return "https://sellingpartnerapi-na.amazon.com";
  if (strcmp(region, "eu") == 0)
    return "https://sellingpartnerapi-eu.amazon.com";
  if (strcmp(region, "fe") == 0)
    return "https://sellingpartnerapi-fe.amazon.com";
  return NULL;
}

static void forget_token(struct amazon *a) {
  if (a->access) {
    sodium_memzero(a->access, strlen(a->access));
    free(a->access);
    a->access = NULL;
  }
  a->refresh_at = 0;
}

static int amazon_open(struct source *src, void **state, struct err *err) {
  cJSON *settings = cJSON_Parse(src->row.settings ? src->row.settings : "{}");
  const cJSON *mps = cJSON_GetObjectItemCaseSensitive(settings, "marketplaces"), *m;
  struct amazon *a = calloc(1, sizeof(*a));
  struct buf list;
  int rc = MS_OK;
  buf_init(&list, 4096);
  if (!a || !cJSON_IsObject(settings)) {
    rc = err_set(err, MS_EINVAL, "source %s: settings are damaged", src->row.name);
    goto done;
  }
  a->src = src;
  a->token_url = jstrdup(settings, "token_url");
  a->client_id = jstrdup(settings, "client_id");
  cJSON_ArrayForEach(m, mps) {
    if (cJSON_IsString(m))
      rc = buf_printf(&list, "%s%s", list.len ? "," : "", m->valuestring);
  }
  a->marketplaces = list.len ? buf_detach(&list) : NULL;
  if (!a->token_url || !a->client_id || !a->marketplaces || !src->api_base)
    rc = err_set(err, MS_EINVAL, "source %s: marketplace, client id, token URL or API base missing",
                 src->row.name);
  else if (!source_secret(src, "client_secret") || !source_secret(src, "refresh_token"))
    rc = err_set(err, MS_EINVAL, "source %s: the client secret and the refresh token are needed",
                 src->row.name);
done:
  cJSON_Delete(settings);
  buf_release(&list);
  if (rc) {
    if (a) {
      free(a->token_url);
      free(a->client_id);
      free(a->marketplaces);
      free(a);
    }
    return rc;
  }
  *state = a;
  return MS_OK;
}

static void amazon_close(void *state) {
  struct amazon *a = state;
  if (!a)
    return;
  forget_token(a);
  free(a->token_url);
  free(a->client_id);
  free(a->marketplaces);
  free(a);
}

static int amazon_auth_needed(void *state, int64_t now) {
  struct amazon *a = state;
  return !a->access || now >= a->refresh_at;
}

static int form_field(struct buf *b, const char *name, const char *value) {
  int rc = buf_printf(b, "%s%s=", b->len ? "&" : "", name);
  return rc ? rc : buf_url_encode(b, value);
}

static int amazon_auth_request(void *state, struct http_request *req, struct err *err) {
  struct amazon *a = state;
  int rc;
  snprintf(req->method, sizeof(req->method), "POST");
  snprintf(req->endpoint, sizeof(req->endpoint), "auth");
  rc = buf_puts(&req->url, a->token_url);
  if (!rc)
    rc = form_field(&req->body, "grant_type", "refresh_token");
  if (!rc)
    rc = form_field(&req->body, "refresh_token", source_secret(a->src, "refresh_token"));
  if (!rc)
    rc = form_field(&req->body, "client_id", a->client_id);
  if (!rc)
    rc = form_field(&req->body, "client_secret", source_secret(a->src, "client_secret"));
  if (!rc)
    rc = http_request_header(req, "Content-Type", "application/x-www-form-urlencoded", 0);
  return rc ? err_set(err, rc, "cannot build the token request") : MS_OK;
}

/* True when an answer's text repeats one of our credentials. */
static int echoes_secret(const struct amazon *a, const char *text) {
  const char *rt = source_secret(a->src, "refresh_token");
  const char *cs = source_secret(a->src, "client_secret");
  return text && ((rt && *rt && strstr(text, rt)) || (cs && *cs && strstr(text, cs)));
}

/* The error codes of OAuth that say the credentials themselves are wrong. */
static int refused_credentials(const char *code) {
  return code && (strcmp(code, "invalid_grant") == 0 || strcmp(code, "invalid_client") == 0 ||
                  strcmp(code, "unauthorized_client") == 0);
}

static int amazon_parse_auth(void *state, const struct http_response *res, int64_t now,
                             struct err *err) {
  struct amazon *a = state;
  cJSON *root = res->body.len ? cJSON_ParseWithLength(res->body.data, res->body.len) : NULL;
  const char *token = jstr(root, "access_token"), *e = jstr(root, "error");
  const char *why = jstr(root, "error_description");
  int64_t life = jint(root, "expires_in", 3600);
  int rc = MS_OK;
  if (echoes_secret(a, e))
    e = "an error code that repeats a credential";
  if (echoes_secret(a, why))
    why = "a description that repeats a credential";
  if (res->status == 200 && token && *token) {
    forget_token(a);
    a->access = strdup(token);
    if (life <= 0 || life > 86400 * 30)
      life = 3600;
    a->refresh_at =
        now + life - (life / 5 < AMAZON_REFRESH_EARLY ? life / 5 : AMAZON_REFRESH_EARLY);
    rc = a->access ? MS_OK : err_set(err, MS_ENOMEM, "out of memory");
  } else if (res->status == 429) {
    rc = err_set(err, MS_ERATELIMIT, "Login with Amazon is rate-limiting token requests");
  } else if (res->status >= 500 || res->status == 0) {
    rc = err_set(err, MS_ETRANSIENT, "Login with Amazon answered HTTP %ld", res->status);
  } else if (res->status == 401 || refused_credentials(e)) {
    /* Only an explicit refusal means the credentials are wrong. */
    rc = err_set(err, MS_EAUTH,
                 "Login with Amazon refused the credentials (HTTP %ld, %s%s%s); check the "
                 "client id, the client secret and the refresh token",
                 res->status, e ? e : "no error code", why ? ": " : "", why ? why : "");
  } else if (e) {
    /* A readable refusal of the request itself: sending it again changes
     * nothing. */
    rc = err_set(err, MS_EFATAL, "Login with Amazon refused the token request (HTTP %ld, %s%s%s)",
                 res->status, e, why ? ": " : "", why ? why : "");
  } else {
    /* Whatever could not be read (a proxy's page, a body cut short) may
     * well be read the next time: retried like any failure on the way. */
    const char *what = json_body_kind(res->body.data, res->body.len);
    rc = err_set(err, MS_ETRANSIENT,
                 "Login with Amazon answered HTTP %ld with %s instead of a token; trying again",
                 res->status,
                 what                 ? what
                 : res->status == 200 ? "a JSON answer without an access token"
                                      : "a JSON answer without an error code");
  }
  cJSON_Delete(root);
  return rc;
}

static void amazon_auth_expired(void *state) {
  forget_token(state);
}

static int add_auth(struct amazon *a, struct http_request *req) {
  int rc = http_request_header(req, "x-amz-access-token", a->access ? a->access : "", 1);
  return rc ? rc : http_request_header(req, "Accept", "application/json", 0);
}

static int orders_url(struct amazon *a, struct http_request *req) {
  int rc = buf_printf(&req->url, "%s/orders/v0/orders?MarketplaceIds=", a->src->api_base);
  return rc ? rc : buf_url_encode(&req->url, a->marketplaces);
}

static int amazon_probe_request(void *state, struct http_request *req, struct err *err) {
  struct amazon *a = state;
  char after[TIME_STR_LEN];
  int rc;
  snprintf(req->endpoint, sizeof(req->endpoint), "getOrders");
  time_format(wall_now() - 86400, 0, 1, after);
  rc = orders_url(a, req);
  if (!rc)
    rc = buf_puts(&req->url, "&MaxResultsPerPage=1&CreatedAfter=");
  if (!rc)
    rc = buf_url_encode(&req->url, after);
  if (!rc)
    rc = add_auth(a, req);
  return rc ? err_set(err, rc, "cannot build the probe request") : MS_OK;
}

static int amazon_parse_probe(void *state, const struct http_response *res, struct source *src,
                              struct err *err) {
  cJSON *root = jparse(res->body.data, res->body.len, err);
  int ok = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "payload"));
  (void)state;
  (void)src;
  cJSON_Delete(root);
  return ok ? MS_OK : err_set(err, MS_EPROTO, "the orders answer has no \"payload\"");
}

static int amazon_page_request(void *state, const struct slice *sl, struct http_request *req,
                               struct err *err) {
  struct amazon *a = state;
  char order[128];
  int rc = slice_follow_head(sl, order, sizeof(order));
  if (rc == MS_ECURSOR)
    return err_set(err, rc, "the list of orders waiting for items is not readable");
  if (rc == MS_OK) {
    snprintf(req->endpoint, sizeof(req->endpoint), "getOrderItems");
    rc = buf_printf(&req->url, "%s/orders/v0/orders/", a->src->api_base);
    if (!rc)
      rc = buf_url_encode(&req->url, order);
    if (!rc)
      rc = buf_puts(&req->url, "/orderItems");
    if (!rc && sl->follow_cursor) {
      rc = buf_puts(&req->url, "?NextToken=");
      if (!rc)
        rc = buf_url_encode(&req->url, sl->follow_cursor);
    }
  } else if (sl->listed) {
    return MS_ENOTFOUND; /* nothing left to fetch */
  } else if (sl->cursor) {
    snprintf(req->endpoint, sizeof(req->endpoint), "getOrders");
    rc = orders_url(a, req);
    if (!rc)
      rc = buf_puts(&req->url, "&NextToken=");
    if (!rc)
      rc = buf_url_encode(&req->url, sl->cursor);
  } else {
    /* The day's first page. Before must be two minutes in the past. */
    char after[TIME_STR_LEN], before[TIME_STR_LEN];
    int64_t last = sl->range_end - 1, limit = wall_now() - AMAZON_BEFORE_SLACK;
    if (last > limit)
      last = limit;
    if (last < sl->range_start)
      return MS_ENOTFOUND; /* the day has not really begun */
    time_format(sl->range_start, 0, 1, after);
    time_format(last, 0, 1, before);
    snprintf(req->endpoint, sizeof(req->endpoint), "getOrders");
    rc = orders_url(a, req);
    if (!rc)
      rc = buf_printf(&req->url, "&MaxResultsPerPage=%d&CreatedAfter=", AMAZON_PAGE);
    if (!rc)
      rc = buf_url_encode(&req->url, after);
    if (!rc)
      rc = buf_puts(&req->url, "&CreatedBefore=");
    if (!rc)
      rc = buf_url_encode(&req->url, before);
  }
  if (!rc)
    rc = add_auth(a, req);
  return rc ? err_set(err, rc, "cannot build the request") : MS_OK;
}

/* Amazon error bodies: {"errors":[{"code":..,"message":..,"details":..}]}. */
static void error_text(const struct http_response *res, char *out, size_t outsz) {
  cJSON *root = res->body.len ? cJSON_ParseWithLength(res->body.data, res->body.len) : NULL;
  const cJSON *e0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "errors"), 0);
  const char *code = jstr(e0, "code"), *msg = jstr(e0, "message"), *det = jstr(e0, "details");
  snprintf(out, outsz, "%s: %s%s%s", code ? code : "no code", msg ? msg : "",
           det && *det ? " " : "", det && *det ? det : "");
  cJSON_Delete(root);
}

static void amazon_classify(void *state, const struct http_response *res, struct verdict *v,
                            struct err *err) {
  char text[300];
  const char *rid;
  (void)state;
  if (verdict_common(res, "Amazon", v, err))
    return;
  error_text(res, text, sizeof(text));
  rid = http_response_header(res, "x-amzn-RequestId");
  if (res->status == 429) {
    v->rc = MS_ERATELIMIT;
    err_set(err, v->rc, "Amazon rate limit (429, %s; request %s)", text, rid ? rid : "?");
  } else if (res->status == 401 || res->status == 403) {
    v->rc = MS_EAUTH;
    v->refresh = 1; /* an expired token looks like this: refresh once, then believe it */
    err_set(err, v->rc, "Amazon refused the access token (HTTP %ld, %s; request %s)", res->status,
            text, rid ? rid : "?");
  } else if (res->status == 400 && strstr(text, "NextToken")) {
    v->rc = MS_ECURSOR;
    err_set(err, v->rc, "Amazon rejected the NextToken (%s; request %s)", text, rid ? rid : "?");
  } else if (res->status >= 500) {
    v->rc = MS_ETRANSIENT;
    err_set(err, v->rc, "Amazon server error (HTTP %ld, request %s)", res->status, rid ? rid : "?");
  } else {
    v->rc = MS_EFATAL;
    err_set(err, v->rc, "Amazon refused the request (HTTP %ld, %s; request %s)", res->status, text,
            rid ? rid : "?");
  }
}

static int money_of(const cJSON *obj, const char *key, struct money *m, int *missing) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  const char *amount = jstr(v, "Amount"), *cur = jstr(v, "CurrencyCode");
  if (!amount) {
    if (missing)
      *missing = 1;
    return money_set(m, "", cur);
  }
  return money_set(m, amount, cur);
}

static int parse_order(const cJSON *o, struct record *r, struct err *err) {
  const char *bought = jstr(o, "PurchaseDate"), *changed = jstr(o, "LastUpdateDate");
  if (!cJSON_IsObject(o))
    return err_set(err, MS_EPROTO, "an element of \"Orders\" is not an object");
  r->external_id = jstrdup(o, "AmazonOrderId");
  if (!r->external_id || !*r->external_id)
    return err_set(err, MS_EPROTO, "an order has no AmazonOrderId");
  if (!bought || time_parse(bought, &r->created_at))
    return err_set(err, MS_EPROTO, "order %s has no valid PurchaseDate", r->external_id);
  if (!changed || time_parse(changed, &r->updated_at))
    r->updated_at = r->created_at;
  r->status = jstrdup(o, "OrderStatus");
  r->fulfillment_status = jstrdup(o, "FulfillmentChannel");
  if (money_of(o, "OrderTotal", &r->total, NULL))
    return err_set(err, MS_EPROTO, "order %s has an OrderTotal that is not a decimal",
                   r->external_id);
  r->raw = jdump(o, &r->raw_len);
  return r->raw ? MS_OK : err_set(err, MS_ENOMEM, "out of memory");
}

static int parse_item(const cJSON *li, struct record_item *it, struct err *err) {
  it->external_id = jstrdup(li, "OrderItemId");
  if (!it->external_id || !*it->external_id)
    return err_set(err, MS_EPROTO, "an order item has no OrderItemId");
  it->sku = jstrdup(li, "SellerSKU");
  it->title = jstrdup(li, "Title");
  it->quantity = jint(li, "QuantityOrdered", 0);
  if (money_of(li, "ItemPrice", &it->price, &it->price_missing))
    return err_set(err, MS_EPROTO, "item %s has an ItemPrice that is not a decimal",
                   it->external_id);
  it->raw = jdump(li, &it->raw_len);
  return it->raw ? MS_OK : err_set(err, MS_ENOMEM, "out of memory");
}

/* A NextToken worth following: present and not empty. */
static int set_next(const char *token, char **out) {
  *out = NULL;
  if (!token || !*token)
    return MS_OK;
  *out = strdup(token);
  return *out ? MS_OK : MS_ENOMEM;
}

static int parse_orders_page(const cJSON *payload, struct page *out, struct err *err) {
  const cJSON *orders = cJSON_GetObjectItemCaseSensitive(payload, "Orders"), *o;
  int rc = MS_OK;
  if (!cJSON_IsArray(orders))
    return err_set(err, MS_EPROTO, "Amazon answer has no \"Orders\" list");
  cJSON_ArrayForEach(o, orders) {
    struct record *r = page_add(out);
    struct err why = {0};
    if (!r)
      return err_set(err, MS_ENOMEM, "out of memory");
    rc = parse_order(o, r, &why);
    if (rc == MS_EPROTO) {
      /* Kept aside by the store with its bytes; no items are asked for it. */
      char *text = cJSON_PrintUnformatted(o);
      rc = text ? record_set_unreadable(r, text, strlen(text), why.msg) : MS_ENOMEM;
      free(text);
      if (rc)
        return err_set(err, MS_ENOMEM, "out of memory");
      continue;
    }
    if (rc)
      return err_set(err, rc, "%s", why.msg);
    r->follow = 1; /* its items: a follow-up request */
  }
  if (set_next(jstr(payload, "NextToken"), &out->next_cursor))
    return err_set(err, MS_ENOMEM, "out of memory");
  return MS_OK;
}

static int parse_items_page(const cJSON *payload, const char *order, const struct slice *sl,
                            struct page *out, struct err *err) {
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(payload, "OrderItems"), *li;
  const char *got = jstr(payload, "AmazonOrderId");
  size_t n, k = 0;
  if (!cJSON_IsArray(items))
    return err_set(err, MS_EPROTO, "Amazon answer has no \"OrderItems\" list");
  if (got && strcmp(got, order) != 0)
    return err_set(err, MS_EPROTO, "asked for the items of %s, got those of %s", order, got);
  n = (size_t)cJSON_GetArraySize(items);
  out->items_of = strdup(order);
  out->items_first = sl->follow_cursor == NULL;
  out->items = n ? calloc(n, sizeof(*out->items)) : NULL;
  if (!out->items_of || (n && !out->items))
    return err_set(err, MS_ENOMEM, "out of memory");
  cJSON_ArrayForEach(li, items) {
    int rc = parse_item(li, &out->items[k++], err);
    out->nitems = k;
    if (rc)
      return rc;
  }
  /* More items of this order, or (NULL) on to the next one. */
  if (set_next(jstr(payload, "NextToken"), &out->next_cursor))
    return err_set(err, MS_ENOMEM, "out of memory");
  return MS_OK;
}

static int amazon_parse_page(void *state, const struct slice *sl, const struct http_response *res,
                             struct page *out, struct err *err) {
  char order[128];
  cJSON *root;
  const cJSON *payload;
  int rc, follow;
  (void)state;
  out->bytes = res->body.len;
  follow = slice_follow_head(sl, order, sizeof(order));
  if (follow == MS_ECURSOR)
    return err_set(err, MS_ECURSOR, "the list of orders waiting for items is not readable");
  root = jparse(res->body.data, res->body.len, err);
  payload = cJSON_GetObjectItemCaseSensitive(root, "payload");
  if (!root) {
    err_prefix(err, "Amazon answer");
    rc = MS_EPROTO; /* err_prefix returns MS_OK when err is NULL */
  } else if (!cJSON_IsObject(payload))
    rc = err_set(err, MS_EPROTO, "Amazon answer has no \"payload\" object");
  else if (follow == MS_OK)
    rc = parse_items_page(payload, order, sl, out, err);
  else
    rc = parse_orders_page(payload, out, err);
  cJSON_Delete(root);
  return rc;
}

static int amazon_parse_record(void *state, const char *raw, size_t len, struct record *out,
                               struct err *err) {
  cJSON *o = jparse(raw, len, err);
  int rc;
  (void)state;
  if (!o) {
    err_prefix(err, "Amazon order");
    return MS_EPROTO;
  }
  rc = parse_order(o, out, err);
  cJSON_Delete(o);
  return rc;
}

static void amazon_observe(void *state, const struct http_response *res, struct rate_hint *hint) {
  const char *h = http_response_header(res, "x-amzn-RateLimit-Limit");
  double rate;
  (void)state;
  if (h && rate_limit_parse(h, &rate) == MS_OK) {
    hint->kind = HINT_RATE;
    hint->rate = rate;
  }
}

/* A page of orders per 100, then one items request per order (orders with
 * more than a page of items are rare enough to leave out). */
static void amazon_plan_day(double orders, double *requests) {
  double pages = orders / AMAZON_PAGE;
  requests[0] = pages < 1 ? 1 : (double)(long)(pages + 0.999);
  requests[1] = orders;
}

const struct connector amazon_connector = {
    .name = "amazon",
    .flags = CONN_ITEMS_FOLLOW,
    .streams = amazon_streams,
    .endpoints = amazon_endpoints,
    .open = amazon_open,
    .close = amazon_close,
    .auth_needed = amazon_auth_needed,
    .auth_request = amazon_auth_request,
    .parse_auth = amazon_parse_auth,
    .auth_expired = amazon_auth_expired,
    .probe_request = amazon_probe_request,
    .parse_probe = amazon_parse_probe,
    .page_request = amazon_page_request,
    .classify = amazon_classify,
    .parse_page = amazon_parse_page,
    .parse_record = amazon_parse_record,
    .observe = amazon_observe,
    .plan_day = amazon_plan_day,
};
