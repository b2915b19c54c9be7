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

/* Rates and bursts as documented; x-amzn-RateLimit-Limit corrects the rate. */
static const struct endpoint_def amazon_endpoints[] = {
    {"getOrders", RATE_TOKEN, 20, 0.0167},
    {"getOrderItems", RATE_TOKEN, 30, 0.5},
    {"getOrder", RATE_TOKEN, 30, 0.5},
    {NULL, 0, 0, 0},
};

static int orders_request(void *state, const struct stream_def *def, const struct slice *sl,
                          struct http_request *req, struct err *err);
static int orders_parse(void *state, const struct stream_def *def, const struct slice *sl,
                        const struct http_response *res, struct page *out, struct err *err);
static int items_request(void *state, const struct stream_def *def, const struct slice *sl,
                         struct http_request *req, struct err *err);
static int items_parse(void *state, const struct stream_def *def, const struct slice *sl,
                       const struct http_response *res, struct page *out, struct err *err);

/* Pricing is left out while an order is Pending. */
static int item_price_missing(const void *json, const void *parent, struct value *out) {
  (void)parent;
  out->set = 1;
  out->i = json_path(json, "ItemPrice.Amount") == NULL;
  return MS_OK;
}

static const struct column_def item_columns[] = {
    COLUMN("sku", COL_TEXT, "SellerSKU", .flags = COL_INDEX),
    COLUMN("title", COL_TEXT, "Title"),
    COLUMN("quantity", COL_INT, "QuantityOrdered"),
    COLUMN("price", COL_MONEY, "ItemPrice.Amount", .currency = "ItemPrice.CurrencyCode",
           .minor = "price_minor", .flags = COL_REQUIRED),
    COLUMN("currency", COL_TEXT, "ItemPrice.CurrencyCode"),
    COLUMN("price_missing", COL_BOOL, NULL, .read = item_price_missing),
    COLUMN("price_estimated", COL_BOOL, NULL, .flags = COL_LOCAL),
    COLUMN("asin", COL_TEXT, "ASIN"),
    COLUMN("quantity_shipped", COL_INT, "QuantityShipped"),
    COLUMN("item_tax", COL_MONEY, "ItemTax.Amount", .currency = "ItemTax.CurrencyCode"),
    COLUMN("shipping_price", COL_MONEY, "ShippingPrice.Amount",
           .currency = "ShippingPrice.CurrencyCode"),
    COLUMN("promotion_discount", COL_MONEY, "PromotionDiscount.Amount",
           .currency = "PromotionDiscount.CurrencyCode"),
    {0},
};

/* An order's items: fetched by follow-up requests, one order at a time. */
static const struct stream_def order_items = {
    .name = "order_items",
    .table = "order_items",
    .parent = "orders",
    .parent_key = "order_external_id",
    .key = "OrderItemId",
    .columns = item_columns,
    .endpoint = "getOrderItems",
    .flags = STREAM_FOLLOW | STREAM_REQUIRED,
    .page_request = items_request,
    .parse_page = items_parse,
};

static const struct stream_def *const order_children[] = {&order_items, NULL};

static const struct column_def order_columns[] = {
    COLUMN("status", COL_TEXT, "OrderStatus", .flags = COL_STATUS),
    COLUMN("total_price", COL_MONEY, "OrderTotal.Amount", .currency = "OrderTotal.CurrencyCode",
           .minor = "total_minor", .flags = COL_REQUIRED),
    COLUMN("currency", COL_TEXT, "OrderTotal.CurrencyCode"),
    COLUMN("fulfillment_channel", COL_TEXT, "FulfillmentChannel"),
    COLUMN("sales_channel", COL_TEXT, "SalesChannel"),
    COLUMN("marketplace_id", COL_TEXT, "MarketplaceId"),
    COLUMN("items_shipped", COL_INT, "NumberOfItemsShipped"),
    COLUMN("items_unshipped", COL_INT, "NumberOfItemsUnshipped"),
    COLUMN("is_prime", COL_BOOL, "IsPrime"),
    COLUMN("is_business_order", COL_BOOL, "IsBusinessOrder"),
    COLUMN("earliest_ship_date", COL_TIME, "EarliestShipDate"),
    COLUMN("latest_ship_date", COL_TIME, "LatestShipDate"),
    {0},
};

/* Orders by PurchaseDate day, by LastUpdateDate window, or one by one again.
 * The order of getOrders by update time is not documented: unordered. */
static const struct stream_def orders = {
    .name = "orders",
    .table = "orders",
    .slicing = SLICING_BY_DAY,
    .key = "AmazonOrderId",
    .created = "PurchaseDate",
    .updated = "LastUpdateDate",
    .columns = order_columns,
    .children = order_children,
    .endpoint = "getOrders",
    .event = "order",
    .flags = STREAM_MODIFIED | STREAM_EVENTS | STREAM_REFETCH | STREAM_UNORDERED,
    .page_request = orders_request,
    .parse_page = orders_parse,
};

static const struct stream_def *const amazon_streams[] = {&orders, NULL};

static const struct setting_def amazon_settings[] = {
    {"region", "region", SETTING_CHOICE, SETTING_REQUIRED, "na,eu,fe",
     "the SP-API region of the seller account"},
    {"marketplaces", "marketplace", SETTING_LIST, SETTING_REQUIRED, NULL,
     "marketplace ids, e.g. ATVPDKIKX0DER (the US); several separated by commas"},
    {"client_id", "client-id", SETTING_TEXT, SETTING_REQUIRED, NULL,
     "the LWA client id of the app (not a secret)"},
    {"client_secret", "client-secret", SETTING_SECRET, SETTING_REQUIRED, NULL,
     "the LWA client secret of the app"},
    {"refresh_token", "refresh-token", SETTING_SECRET, SETTING_REQUIRED, NULL,
     "the seller's LWA refresh token"},
    {"api_base", "api-base", SETTING_URL, 0, NULL, "the SP-API base URL (default: the region's)"},
    {"token_url", "token-url", SETTING_URL, 0, NULL,
     "the LWA token endpoint (default https://api.amazon.com/auth/o2/token)"},
    {"timezone", "timezone", SETTING_ZONE, 0, NULL,
     "the zone of the source's days (default: the first marketplace's)"},
    {0},
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

static const char *amazon_marketplace_zone(const char *id) {
  for (size_t i = 0; marketplaces[i].id; i++)
    if (strcmp(marketplaces[i].id, id) == 0)
      return marketplaces[i].zone;
  return NULL;
}

static const char *amazon_region_base(const char *region) {
  if (strcmp(region, "na") == 0)
    return "https://sellingpartnerapi-na.amazon.com";
  if (strcmp(region, "eu") == 0)
    return "https://sellingpartnerapi-eu.amazon.com";
  if (strcmp(region, "fe") == 0)
    return "https://sellingpartnerapi-fe.amazon.com";
  return NULL;
}

static int amazon_configure(const struct connector *self, void *settings_json, struct err *err) {
  cJSON *settings = settings_json;
  const cJSON *mps = cJSON_GetObjectItemCaseSensitive(settings, "marketplaces"), *m;
  const char *region = jstr(settings, "region"), *id = jstr(settings, "client_id"), *zone;
  int n = 0;
  (void)self;
  if (!region || !amazon_region_base(region))
    return err_set(err, MS_EINVAL, "--region is required: na, eu or fe");
  if (!id || !*id || strlen(id) > 256 || strpbrk(id, " \t\n"))
    return err_set(err, MS_EINVAL, "--client-id is required (amzn1.application-oa2-client...)");
  cJSON_ArrayForEach(m, mps) {
    const char *v = cJSON_IsString(m) ? m->valuestring : "";
    if (!*v || strlen(v) > 20 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(v) ||
        ++n > AMAZON_MAX_MARKETPLACES)
      return err_set(err, MS_EINVAL, "--marketplace '%s' is not a marketplace id (at most %d)", v,
                     AMAZON_MAX_MARKETPLACES);
  }
  if (n == 0)
    return err_set(err, MS_EINVAL, "--marketplace is required (e.g. ATVPDKIKX0DER for the US)");
  if (!jstr(settings, "api_base"))
    cJSON_AddStringToObject(settings, "api_base", amazon_region_base(region));
  if (!jstr(settings, "token_url"))
    cJSON_AddStringToObject(settings, "token_url", "https://api.amazon.com/auth/o2/token");
  if (!jstr(settings, "timezone")) {
    /* Amazon counts business days in the (first) marketplace's zone. */
    zone = amazon_marketplace_zone(cJSON_GetArrayItem(mps, 0)->valuestring);
    cJSON_AddStringToObject(settings, "timezone", zone ? zone : "UTC");
  }
  return MS_OK;
}

/* A refetch cursor is a JSON array of order ids: its first, and the rest. */
static int refetch_head(const char *cursor, char *out, size_t n) {
  cJSON *ids = cursor ? cJSON_Parse(cursor) : NULL;
  const cJSON *first = cJSON_GetArrayItem(ids, 0);
  int rc = !cursor               ? MS_ENOTFOUND
           : !cJSON_IsArray(ids) ? MS_ECURSOR
           : !first              ? MS_ENOTFOUND
           : !cJSON_IsString(first) || !*first->valuestring || strlen(first->valuestring) >= n
               ? MS_ECURSOR
               : MS_OK;
  if (!rc)
    snprintf(out, n, "%s", first->valuestring);
  cJSON_Delete(ids);
  return rc;
}

static int refetch_rest(const char *cursor, char **out) {
  cJSON *ids = cJSON_Parse(cursor);
  *out = NULL;
  if (!cJSON_IsArray(ids)) {
    cJSON_Delete(ids);
    return MS_ECURSOR;
  }
  cJSON_DeleteItemFromArray(ids, 0);
  if (cJSON_GetArraySize(ids) > 0)
    *out = cJSON_PrintUnformatted(ids);
  cJSON_Delete(ids);
  return MS_OK;
}

/* Times are UTC with Z; money names its currency. */
static const struct read_context *reading(struct amazon *a) {
  static const struct read_context utc = {NULL, NULL};
  (void)a;
  return &utc;
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

/* The listing of a day (CreatedAfter/Before), of a window
 * (LastUpdatedAfter/Before) or of a refetch (getOrder, one id at a time). */
static int orders_request(void *state, const struct stream_def *def, const struct slice *sl,
                          struct http_request *req, struct err *err) {
  struct amazon *a = state;
  int rc;
  (void)def;
  if (sl->kind == SLICE_REFETCH) {
    char id[128];
    rc = refetch_head(sl->cursor, id, sizeof(id));
    if (rc == MS_ENOTFOUND)
      return rc; /* nothing left to fetch by id */
    if (rc)
      return err_set(err, rc, "the list of orders to fetch again is not readable");
    snprintf(req->endpoint, sizeof(req->endpoint), "getOrder");
    rc = buf_printf(&req->url, "%s/orders/v0/orders/", a->src->api_base);
    if (!rc)
      rc = buf_url_encode(&req->url, id);
  } else if (sl->cursor) {
    snprintf(req->endpoint, sizeof(req->endpoint), "getOrders");
    rc = orders_url(a, req);
    if (!rc)
      rc = buf_puts(&req->url, "&NextToken=");
    if (!rc)
      rc = buf_url_encode(&req->url, sl->cursor);
  } else {
    /* The first page. Before must be two minutes in the past. */
    char after[TIME_STR_LEN], before[TIME_STR_LEN];
    int window = sl->kind == SLICE_WINDOW;
    int64_t last = window ? INT64_MAX : sl->range_end - 1;
    int64_t limit = wall_now() - AMAZON_BEFORE_SLACK;
    if (last > limit)
      last = limit;
    if (last < sl->range_start)
      return MS_ENOTFOUND; /* the day (or the window) has not really begun */
    time_format(sl->range_start, 0, 1, after);
    time_format(last, 0, 1, before);
    snprintf(req->endpoint, sizeof(req->endpoint), "getOrders");
    rc = orders_url(a, req);
    if (!rc)
      rc = buf_printf(&req->url, "&MaxResultsPerPage=%d&%s=", AMAZON_PAGE,
                      window ? "LastUpdatedAfter" : "CreatedAfter");
    if (!rc)
      rc = buf_url_encode(&req->url, after);
    if (!rc)
      rc = buf_puts(&req->url, window ? "&LastUpdatedBefore=" : "&CreatedBefore=");
    if (!rc)
      rc = buf_url_encode(&req->url, before);
  }
  if (!rc)
    rc = add_auth(a, req);
  return rc ? err_set(err, rc, "cannot build the request") : MS_OK;
}

/* The items of the slice's first order waiting for them. */
static int items_request(void *state, const struct stream_def *def, const struct slice *sl,
                         struct http_request *req, struct err *err) {
  struct amazon *a = state;
  char order[128];
  int rc = slice_follow_head(sl, order, sizeof(order));
  (void)def;
  if (rc == MS_ECURSOR)
    return err_set(err, rc, "the list of orders waiting for items is not readable");
  if (rc)
    return rc;
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

/* A NextToken worth following: present and not empty. */
static int set_next(const char *token, char **out) {
  *out = NULL;
  if (!token || !*token)
    return MS_OK;
  *out = strdup(token);
  return *out ? MS_OK : MS_ENOMEM;
}

/* The payload of an answer, or NULL with err set (the body is damaged). */
static cJSON *payload_of(const struct http_response *res, const cJSON **payload, struct err *err) {
  cJSON *root = jparse(res->body.data, res->body.len, err);
  *payload = cJSON_GetObjectItemCaseSensitive(root, "payload");
  if (!root) {
    err_prefix(err, "Amazon answer");
    return NULL;
  }
  if (!cJSON_IsObject(*payload)) {
    err_set(err, MS_EPROTO, "Amazon answer has no \"payload\" object");
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

static int take_order(struct amazon *a, const cJSON *o, struct page *out, struct err *err) {
  struct record *r = page_add(out);
  if (!r || record_read(&orders, o, NULL, NULL, 0, reading(a), r))
    return err_set(err, MS_ENOMEM, "out of memory");
  /* Its items: a follow-up request (none for an order we cannot read). */
  r->follow = !r->unreadable;
  return MS_OK;
}

static int orders_parse(void *state, const struct stream_def *def, const struct slice *sl,
                        const struct http_response *res, struct page *out, struct err *err) {
  struct amazon *a = state;
  const cJSON *payload, *list, *o;
  cJSON *root;
  int rc = MS_OK;
  (void)def;
  out->bytes = res->body.len;
  root = payload_of(res, &payload, err);
  if (!root)
    return MS_EPROTO;
  if (sl->kind == SLICE_REFETCH) {
    /* getOrder: the order itself is the payload. */
    rc = take_order(a, payload, out, err);
    if (!rc && refetch_rest(sl->cursor, &out->next_cursor))
      rc = err_set(err, MS_ECURSOR, "the list of orders to fetch again is not readable");
    cJSON_Delete(root);
    return rc;
  }
  list = cJSON_GetObjectItemCaseSensitive(payload, "Orders");
  if (!cJSON_IsArray(list)) {
    cJSON_Delete(root);
    return err_set(err, MS_EPROTO, "Amazon answer has no \"Orders\" list");
  }
  cJSON_ArrayForEach(o, list) {
    rc = take_order(a, o, out, err);
    if (rc)
      break;
  }
  if (!rc && set_next(jstr(payload, "NextToken"), &out->next_cursor))
    rc = err_set(err, MS_ENOMEM, "out of memory");
  /* A window lists changes up to the LastUpdatedBefore we sent (echoed
   * back): the next pass starts there, not at the answer's clock, which is
   * minutes later. */
  if (!rc && sl->kind == SLICE_WINDOW) {
    const char *before = jstr(payload, "LastUpdatedBefore");
    int64_t t;
    if (before && time_parse(before, &t) == MS_OK)
      out->server_time = t;
  }
  cJSON_Delete(root);
  return rc;
}

static int items_parse(void *state, const struct stream_def *def, const struct slice *sl,
                       const struct http_response *res, struct page *out, struct err *err) {
  struct amazon *a = state;
  const cJSON *payload, *items, *li;
  const char *got;
  char order[128];
  cJSON *root;
  int rc = slice_follow_head(sl, order, sizeof(order));
  out->bytes = res->body.len;
  if (rc)
    return err_set(err, MS_ECURSOR, "the list of orders waiting for items is not readable");
  root = payload_of(res, &payload, err);
  if (!root)
    return MS_EPROTO;
  items = cJSON_GetObjectItemCaseSensitive(payload, "OrderItems");
  got = jstr(payload, "AmazonOrderId");
  if (!cJSON_IsArray(items))
    rc = err_set(err, MS_EPROTO, "Amazon answer has no \"OrderItems\" list");
  else if (got && strcmp(got, order) != 0)
    rc = err_set(err, MS_EPROTO, "asked for the items of %s, got those of %s", order, got);
  out->children_of = rc ? NULL : strdup(order);
  out->children_first = sl->follow_cursor == NULL;
  if (!rc && !out->children_of)
    rc = err_set(err, MS_ENOMEM, "out of memory");
  cJSON_ArrayForEach(li, items) {
    struct record *r;
    if (rc)
      break;
    r = page_add(out);
    if (!r || record_read_child(def, li, NULL, 0, reading(a), r)) {
      rc = err_set(err, MS_ENOMEM, "out of memory");
      break;
    }
    /* The lines of an order come whole or not at all: a line we cannot
     * read fails the page (it is asked for again). */
    if (r->unreadable) {
      rc = err_set(err, MS_EPROTO, "an item of order %s: %s", order, r->unreadable);
      break;
    }
  }
  /* More items of this order, or (NULL) on to the next one. */
  if (!rc && set_next(jstr(payload, "NextToken"), &out->next_cursor))
    rc = err_set(err, MS_ENOMEM, "out of memory");
  cJSON_Delete(root);
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
static void amazon_plan_day(const struct stream_def *def, double records, double *requests) {
  double pages = records / AMAZON_PAGE;
  (void)def;
  requests[0] = pages < 1 ? 1 : (double)(long)(pages + 0.999);
  requests[1] = records;
}

const struct connector amazon_connector = {
    .name = "amazon",
    .title = "Amazon Selling Partner API (Orders v0)",
    .flags = CONN_ITEMS_FOLLOW,
    .settings = amazon_settings,
    .streams = amazon_streams,
    .endpoints = amazon_endpoints,
    .configure = amazon_configure,
    .open = amazon_open,
    .close = amazon_close,
    .auth_needed = amazon_auth_needed,
    .auth_request = amazon_auth_request,
    .parse_auth = amazon_parse_auth,
    .auth_expired = amazon_auth_expired,
    .probe_request = amazon_probe_request,
    .parse_probe = amazon_parse_probe,
    .classify = amazon_classify,
    .observe = amazon_observe,
    .plan_day = amazon_plan_day,
};
