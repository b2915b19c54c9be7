/* Shopify Admin REST API.
 *
 * Streams: orders (with their line items, refunds and refund lines) by the
 * shop's calendar day and by update time; products (with variants),
 * customers and inventory levels by update time; locations as a snapshot;
 * deletions from the shop's destroy events. Cursor pagination through the
 * Link header, followed only to the API base's own origin; pacing by the
 * leaky bucket reported in X-Shopify-Shop-Api-Call-Limit. The wire facts
 * relied on are in docs/connectors/shopify.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "net/headers.h"
#include "net/url.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"

#define SHOPIFY_DEFAULT_VERSION "2024-01"
#define SHOPIFY_PAGE_LIMIT 250 /* the API's largest page */
#define SHOPIFY_IDS_MAX 250    /* ids of one orders.json?ids= request */
#define LOCATION_IDS_MAX 50    /* location_ids of one inventory_levels.json request */
#define CURSOR_URL_MAX 8192    /* a stored next-page URL */

struct shopify {
  struct source *src;       /* borrowed */
  char *version;            /* API version in the path */
  struct read_context read; /* the shop's zone and currency */
};

/* ---- columns ---------------------------------------------------------- */

/* Shopify has no single status: cancelled and closed orders say so by
 * their timestamps. */
static int order_status(const void *json, const void *parent, struct value *out) {
  const char *s = "open";
  (void)parent;
  if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "cancelled_at")))
    s = "cancelled";
  else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "closed_at")))
    s = "closed";
  out->text = strdup(s);
  out->set = out->text != NULL;
  return out->text ? MS_OK : MS_ENOMEM;
}

static int price_missing(const void *json, const void *parent, struct value *out) {
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(json, "price");
  (void)parent;
  out->set = 1;
  out->i = !p || cJSON_IsNull(p);
  return MS_OK;
}

/* What a refund gave back: its refund transactions, in the order's
 * currency. */
static int refund_amount(const void *json, const void *parent, struct value *out) {
  const cJSON *t, *txs = cJSON_GetObjectItemCaseSensitive(json, "transactions");
  const char *cur = jstr(parent, "currency");
  int64_t sum = 0;
  char text[48];
  if (!cJSON_IsArray(txs))
    return MS_OK;
  cJSON_ArrayForEach(t, txs) {
    struct money m;
    const char *kind = jstr(t, "kind"), *amount = jstr(t, "amount");
    if (!kind || strcmp(kind, "refund") != 0 || !amount)
      continue;
    if (money_set(&m, amount, cur ? cur : jstr(t, "currency")))
      return MS_EPROTO;
    sum += m.minor;
  }
  money_format(sum, cur, text, sizeof(text));
  out->text = strdup(text);
  out->i = sum;
  out->set = out->text != NULL;
  return out->text ? MS_OK : MS_ENOMEM;
}

/* ---- streams ---------------------------------------------------------- */

static int list_request(void *state, const struct stream_def *def, const struct slice *sl,
                        struct http_request *req, struct err *err);
static int list_parse(void *state, const struct stream_def *def, const struct slice *sl,
                      const struct http_response *res, struct page *out, struct err *err);
static int inventory_request(void *state, const struct stream_def *def, const struct slice *sl,
                             struct http_request *req, struct err *err);
static int inventory_parse(void *state, const struct stream_def *def, const struct slice *sl,
                           const struct http_response *res, struct page *out, struct err *err);
static int deletions_parse(void *state, const struct stream_def *def, const struct slice *sl,
                           const struct http_response *res, struct page *out, struct err *err);

static const struct column_def order_item_columns[] = {
    COLUMN("sku", COL_TEXT, "sku", .flags = COL_INDEX),
    COLUMN("title", COL_TEXT, "title"),
    COLUMN("quantity", COL_INT, "quantity"),
    COLUMN("price", COL_MONEY, "price", .currency = "^currency", .minor = "price_minor",
           .flags = COL_REQUIRED),
    COLUMN("currency", COL_TEXT, "^currency"),
    COLUMN("price_missing", COL_BOOL, NULL, .read = price_missing),
    COLUMN("price_estimated", COL_BOOL, NULL, .flags = COL_LOCAL),
    COLUMN("product_id", COL_TEXT, "product_id"),
    COLUMN("variant_id", COL_TEXT, "variant_id"),
    COLUMN("variant_title", COL_TEXT, "variant_title"),
    COLUMN("vendor", COL_TEXT, "vendor"),
    COLUMN("total_discount", COL_MONEY, "total_discount", .currency = "^currency"),
    COLUMN("line_fulfillment_status", COL_TEXT, "fulfillment_status"),
    {0},
};

static const struct stream_def order_items = {
    .name = "order_items",
    .table = "order_items",
    .parent = "orders",
    .parent_key = "order_external_id",
    .path = "line_items",
    .key = "id",
    .columns = order_item_columns,
    .flags = STREAM_REQUIRED,
};

static const struct column_def refund_line_columns[] = {
    COLUMN("line_item_id", COL_TEXT, "line_item_id"),
    COLUMN("quantity", COL_INT, "quantity"),
    COLUMN("restock_type", COL_TEXT, "restock_type"),
    COLUMN("location_id", COL_TEXT, "location_id"),
    COLUMN("subtotal", COL_MONEY, "subtotal"),
    COLUMN("total_tax", COL_MONEY, "total_tax"),
    {0},
};

static const struct stream_def refund_lines = {
    .name = "refund_lines",
    .table = "refund_lines",
    .parent = "refunds",
    .parent_key = "refund_external_id",
    .path = "refund_line_items",
    .key = "id",
    .columns = refund_line_columns,
};

static const struct stream_def *const refund_children[] = {&refund_lines, NULL};

static const struct column_def refund_columns[] = {
    COLUMN("refunded_at", COL_TIME, "created_at"),
    COLUMN("processed_at", COL_TIME, "processed_at"),
    COLUMN("note", COL_TEXT, "note"),
    COLUMN("restock", COL_BOOL, "restock"),
    COLUMN("amount", COL_MONEY, NULL, .read = refund_amount),
    COLUMN("currency", COL_TEXT, "^currency"),
    {0},
};

static const struct stream_def refunds = {
    .name = "refunds",
    .table = "refunds",
    .parent = "orders",
    .parent_key = "order_external_id",
    .path = "refunds",
    .key = "id",
    .columns = refund_columns,
    .event = "order.refunded",
    .children = refund_children,
};

static const struct stream_def *const order_children[] = {&order_items, &refunds, NULL};

static const struct column_def order_columns[] = {
    COLUMN("name", COL_TEXT, "name"),
    COLUMN("status", COL_TEXT, NULL, .read = order_status, .flags = COL_STATUS),
    COLUMN("financial_status", COL_TEXT, "financial_status", .flags = COL_STATUS),
    COLUMN("fulfillment_status", COL_TEXT, "fulfillment_status", .flags = COL_STATUS),
    COLUMN("total_price", COL_MONEY, "total_price", .currency = "currency", .minor = "total_minor"),
    COLUMN("currency", COL_TEXT, "currency"),
    COLUMN("subtotal_price", COL_MONEY, "subtotal_price", .currency = "currency"),
    COLUMN("total_tax", COL_MONEY, "total_tax", .currency = "currency"),
    COLUMN("total_discounts", COL_MONEY, "total_discounts", .currency = "currency"),
    COLUMN("order_number", COL_INT, "order_number"),
    COLUMN("customer_id", COL_TEXT, "customer.id"),
    COLUMN("email", COL_TEXT, "email"),
    COLUMN("processed_at", COL_TIME, "processed_at"),
    COLUMN("cancelled_at", COL_TIME, "cancelled_at"),
    COLUMN("closed_at", COL_TIME, "closed_at"),
    {0},
};

static const struct stream_def orders = {
    .name = "orders",
    .table = "orders",
    .slicing = SLICING_BY_DAY,
    .key = "id",
    .created = "created_at",
    .updated = "updated_at",
    .columns = order_columns,
    .children = order_children,
    .endpoint = "rest",
    .scope = "read_orders",
    .event = "order",
    .flags = STREAM_MODIFIED | STREAM_EVENTS | STREAM_REFETCH,
    .page_request = list_request,
    .parse_page = list_parse,
    .impl = "orders",
};

static const struct column_def variant_columns[] = {
    COLUMN("sku", COL_TEXT, "sku", .flags = COL_INDEX),
    COLUMN("title", COL_TEXT, "title"),
    COLUMN("price", COL_MONEY, "price"),
    COLUMN("compare_at_price", COL_MONEY, "compare_at_price"),
    COLUMN("inventory_item_id", COL_TEXT, "inventory_item_id", .flags = COL_INDEX),
    COLUMN("inventory_quantity", COL_INT, "inventory_quantity"),
    COLUMN("position", COL_INT, "position"),
    COLUMN("barcode", COL_TEXT, "barcode"),
    COLUMN("variant_updated_at", COL_TIME, "updated_at"),
    {0},
};

static const struct stream_def product_variants = {
    .name = "product_variants",
    .table = "product_variants",
    .parent = "products",
    .parent_key = "product_external_id",
    .path = "variants",
    .key = "id",
    .columns = variant_columns,
};

static const struct stream_def *const product_children[] = {&product_variants, NULL};

static const struct stream_def inventory_levels;

/* A deleted product takes its variants' stock levels with it. */
static const struct cascade_def product_cascades[] = {
    {&product_variants, "inventory_item_id", &inventory_levels, "inventory_item_id"},
    {0},
};

static const struct column_def product_columns[] = {
    COLUMN("title", COL_TEXT, "title"),
    COLUMN("vendor", COL_TEXT, "vendor"),
    COLUMN("product_type", COL_TEXT, "product_type"),
    COLUMN("handle", COL_TEXT, "handle"),
    COLUMN("status", COL_TEXT, "status", .flags = COL_STATUS),
    COLUMN("tags", COL_TEXT, "tags"),
    COLUMN("published_at", COL_TIME, "published_at"),
    {0},
};

static const struct stream_def products = {
    .name = "products",
    .table = "products",
    .slicing = SLICING_BY_UPDATES,
    .key = "id",
    .created = "created_at",
    .updated = "updated_at",
    .columns = product_columns,
    .children = product_children,
    .cascades = product_cascades,
    .endpoint = "rest",
    .scope = "read_products",
    .page_request = list_request,
    .parse_page = list_parse,
    .impl = "products",
};

static const struct column_def customer_columns[] = {
    COLUMN("email", COL_TEXT, "email"),
    COLUMN("first_name", COL_TEXT, "first_name"),
    COLUMN("last_name", COL_TEXT, "last_name"),
    COLUMN("phone", COL_TEXT, "phone"),
    COLUMN("state", COL_TEXT, "state", .flags = COL_STATUS),
    COLUMN("orders_count", COL_INT, "orders_count"),
    COLUMN("total_spent", COL_MONEY, "total_spent", .currency = "currency"),
    COLUMN("currency", COL_TEXT, "currency"),
    COLUMN("last_order_id", COL_TEXT, "last_order_id"),
    COLUMN("tags", COL_TEXT, "tags"),
    COLUMN("verified_email", COL_BOOL, "verified_email"),
    COLUMN("accepts_marketing", COL_BOOL, "accepts_marketing"),
    {0},
};

static const struct stream_def customers = {
    .name = "customers",
    .table = "customers",
    .slicing = SLICING_BY_UPDATES,
    .key = "id",
    .created = "created_at",
    .updated = "updated_at",
    .columns = customer_columns,
    .endpoint = "rest",
    .scope = "read_customers",
    .page_request = list_request,
    .parse_page = list_parse,
    .impl = "customers",
};

static const struct column_def location_columns[] = {
    COLUMN("name", COL_TEXT, "name"),
    COLUMN("address1", COL_TEXT, "address1"),
    COLUMN("address2", COL_TEXT, "address2"),
    COLUMN("city", COL_TEXT, "city"),
    COLUMN("zip", COL_TEXT, "zip"),
    COLUMN("province", COL_TEXT, "province"),
    COLUMN("country_code", COL_TEXT, "country_code"),
    COLUMN("phone", COL_TEXT, "phone"),
    COLUMN("active", COL_BOOL, "active"),
    COLUMN("legacy", COL_BOOL, "legacy"),
    {0},
};

static const struct stream_def locations = {
    .name = "locations",
    .table = "locations",
    .slicing = SLICING_SNAPSHOT,
    .key = "id",
    .created = "created_at",
    .updated = "updated_at",
    .columns = location_columns,
    .endpoint = "rest",
    .scope = "read_locations",
    .page_request = list_request,
    .parse_page = list_parse,
    .impl = "locations",
};

static const struct column_def inventory_columns[] = {
    COLUMN("inventory_item_id", COL_TEXT, "inventory_item_id", .flags = COL_INDEX),
    COLUMN("location_id", COL_TEXT, "location_id"),
    COLUMN("available", COL_INT, "available"),
    {0},
};

/* inventory_levels.json takes no order: its listing is not by update time. */
static const struct stream_def inventory_levels = {
    .name = "inventory_levels",
    .table = "inventory_levels",
    .slicing = SLICING_BY_UPDATES,
    .key = "inventory_item_id,location_id",
    .updated = "updated_at",
    .columns = inventory_columns,
    .endpoint = "rest",
    .scope = "read_inventory, read_locations",
    .flags = STREAM_UNORDERED,
    .page_request = inventory_request,
    .parse_page = inventory_parse,
    .impl = "inventory_levels",
};

static const struct column_def deletion_columns[] = {
    COLUMN("subject_type", COL_TEXT, "subject_type"),
    COLUMN("subject_id", COL_TEXT, "subject_id"),
    COLUMN("verb", COL_TEXT, "verb"),
    COLUMN("message", COL_TEXT, "message"),
    {0},
};

/* Deletions are not in any list: destroy events tell them. */
static const struct stream_def deletions = {
    .name = "deletions",
    .table = "shopify_deletions",
    .slicing = SLICING_BY_UPDATES,
    .key = "id",
    .created = "created_at",
    .updated = "created_at",
    .columns = deletion_columns,
    .endpoint = "rest",
    .scope = "read_orders, read_products, read_customers",
    .flags = STREAM_DELETIONS | STREAM_UNORDERED,
    .page_request = list_request,
    .parse_page = deletions_parse,
    .impl = "events",
};

static const struct stream_def *const shopify_streams[] = {
    &orders, &products, &customers, &locations, &inventory_levels, &deletions, NULL,
};

/* Standard plan: 40 requests, 2 per second drained. The size is read from
 * every response and the leak rate learned, so Plus shops get their 400/20
 * after the first few answers. */
static const struct endpoint_def shopify_endpoints[] = {
    {"rest", RATE_LEAKY, 40, 2},
    {NULL, 0, 0, 0},
};

static const struct setting_def shopify_settings[] = {
    {"shop", "shop", SETTING_TEXT, SETTING_REQUIRED, NULL,
     "the shop, as my-shop or my-shop.myshopify.com"},
    {"token", "token", SETTING_SECRET, SETTING_REQUIRED, NULL,
     "the Admin API access token (read_orders, and read_products, read_customers, "
     "read_inventory, read_locations for those streams)"},
    {"api_base", "api-base", SETTING_URL, 0, NULL,
     "talk to this base URL instead of https://SHOP (sandbox, proxies)"},
    {"api_version", "api-version", SETTING_TEXT, 0, NULL,
     "Admin API version in the path (default " SHOPIFY_DEFAULT_VERSION ")"},
    {"timezone", "timezone", SETTING_ZONE, 0, NULL,
     "the IANA zone of the source's days (default: the shop's own)"},
    {0},
};

/* ---- settings and state ------------------------------------------------- */

static int name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

static int shopify_configure(const struct connector *self, void *settings_json, struct err *err) {
  cJSON *settings = settings_json;
  const char *shop = jstr(settings, "shop"), *ver = jstr(settings, "api_version");
  char domain[256];
  (void)self;
  if (!shop || !*shop || strlen(shop) > 200)
    return err_set(err, MS_EINVAL, "--shop is required (e.g. --shop my-shop)");
  for (const char *p = shop; *p; p++)
    if (!name_char(*p))
      return err_set(err, MS_EINVAL, "--shop '%s' is not a shop domain such as my-shop", shop);
  if (ver && (strlen(ver) > 16 || strspn(ver, "0123456789-unstable") != strlen(ver)))
    return err_set(err, MS_EINVAL, "--api-version '%s' is not a version such as 2024-01", ver);
  snprintf(domain, sizeof(domain), "%s%s", shop, strchr(shop, '.') ? "" : ".myshopify.com");
  cJSON_ReplaceItemInObjectCaseSensitive(settings, "shop", cJSON_CreateString(domain));
  if (!jstr(settings, "api_base")) {
    char base[300];
    snprintf(base, sizeof(base), "https://%s", domain);
    cJSON_AddStringToObject(settings, "api_base", base);
  }
  if (!ver)
    cJSON_AddStringToObject(settings, "api_version", SHOPIFY_DEFAULT_VERSION);
  return MS_OK;
}

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
  if (!src->api_base || !source_secret(src, "token") || !s->version) {
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

/* The shop's zone and currency as they are now (a probe may learn them). */
static const struct read_context *reading(struct shopify *s) {
  s->read.zone = s->src->tz;
  s->read.currency = s->src->currency;
  return &s->read;
}

static int add_auth(struct shopify *s, struct http_request *req) {
  int rc = http_request_header(req, "X-Shopify-Access-Token", source_secret(s->src, "token"), 1);
  return rc ? rc : http_request_header(req, "Accept", "application/json", 0);
}

/* BASE/admin/api/VERSION/RESOURCE.json? */
static int resource_url(struct shopify *s, struct http_request *req, const char *resource) {
  snprintf(req->endpoint, sizeof(req->endpoint), "rest");
  return buf_printf(&req->url, "%s/admin/api/%s/%s.json?", s->src->api_base, s->version, resource);
}

static int shopify_probe_request(void *state, struct http_request *req, struct err *err) {
  struct shopify *s = state;
  int rc = resource_url(s, req, "shop");
  if (!rc) {
    req->url.data[--req->url.len] = '\0'; /* no query */
    rc = add_auth(s, req);
  }
  return rc ? err_set(err, rc, "cannot build the shop request") : MS_OK;
}

static int shopify_parse_probe(void *state, const struct http_response *res, struct source *src,
                               struct err *err) {
  cJSON *root = jparse(res->body.data, res->body.len, err);
  const cJSON *shop = cJSON_GetObjectItemCaseSensitive(root, "shop");
  const char *zone = jstr(shop, "iana_timezone"), *currency = jstr(shop, "currency");
  (void)state;
  if (!cJSON_IsObject(shop)) {
    cJSON_Delete(root);
    return err_set(err, MS_EPROTO, "the shop answer has no \"shop\" object");
  }
  if (zone && !src->timezone_overridden) {
    free(src->timezone);
    src->timezone = strdup(zone);
  }
  if (currency && strlen(currency) == 3) {
    free(src->currency);
    src->currency = strdup(currency);
  }
  cJSON_Delete(root);
  return MS_OK;
}

/* ---- requests --------------------------------------------------------- */

/* A cursor is a next-page URL exactly as Shopify gave it. We follow it only
 * to the same scheme, host and port as the configured API base, so that the
 * access token is never sent elsewhere. */
static int same_origin(const char *base, const char *url) {
  char a[256], b[256];
  url_origin(base, a, sizeof(a));
  url_origin(url, b, sizeof(b));
  return strcmp(a, "?") != 0 && strcmp(a, b) == 0;
}

static int follow_cursor(struct shopify *s, const char *cursor, struct http_request *req,
                         struct err *err) {
  if (!same_origin(s->src->api_base, cursor)) {
    char origin[256];
    url_origin(s->src->api_base, origin, sizeof(origin));
    return err_set(err, MS_ECURSOR, "stored cursor points outside %s", origin);
  }
  snprintf(req->endpoint, sizeof(req->endpoint), "rest");
  return buf_puts(&req->url, cursor) ? err_set(err, MS_ENOMEM, "out of memory") : MS_OK;
}

/* "&NAME=TIME" in the shop's own offset, as the API writes its times. */
static int time_param(struct shopify *s, struct buf *url, const char *name, int64_t t) {
  char text[TIME_STR_LEN];
  int off = 0, rc;
  if (s->src->tz)
    tz_offset_at(s->src->tz, t, &off);
  time_format(t, off, 1, text);
  rc = buf_printf(url, "&%s=", name);
  return rc ? rc : buf_url_encode(url, text);
}

/* orders.json?ids=: the first SHOPIFY_IDS_MAX ids of a refetch cursor. */
static int ids_param(struct buf *url, const char *cursor, struct err *err) {
  cJSON *ids = cJSON_Parse(cursor);
  const cJSON *e;
  int n = 0, rc = MS_OK;
  if (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) == 0) {
    cJSON_Delete(ids);
    return err_set(err, MS_ECURSOR, "the list of records to fetch again is not readable");
  }
  rc = buf_puts(url, "&ids=");
  cJSON_ArrayForEach(e, ids) {
    if (rc || n == SHOPIFY_IDS_MAX)
      break;
    if (!cJSON_IsString(e) || strspn(e->valuestring, "0123456789") != strlen(e->valuestring)) {
      rc = err_set(err, MS_ECURSOR, "the list of records to fetch again holds a bad id");
      break;
    }
    rc = buf_printf(url, "%s%s", n++ ? "%2C" : "", e->valuestring);
  }
  cJSON_Delete(ids);
  return rc;
}

static int list_request(void *state, const struct stream_def *def, const struct slice *sl,
                        struct http_request *req, struct err *err) {
  struct shopify *s = state;
  const char *resource = def->impl;
  int rc;
  if (sl->cursor && sl->kind != SLICE_REFETCH)
    rc = follow_cursor(s, sl->cursor, req, err);
  else if (sl->kind == SLICE_REFETCH && !sl->cursor)
    return MS_ENOTFOUND; /* nothing left to fetch by id */
  else {
    rc = resource_url(s, req, resource);
    if (!rc && def == &locations) {
      req->url.data[--req->url.len] = '\0'; /* the whole list, no parameters */
    } else if (!rc) {
      rc = buf_printf(&req->url, "limit=%d", SHOPIFY_PAGE_LIMIT);
      if (!rc && def == &orders)
        rc = buf_puts(&req->url, "&status=any");
      if (!rc && def == &deletions)
        rc = buf_puts(&req->url, "&filter=Order%2CProduct%2CCustomer&verb=destroy");
      if (!rc && sl->kind == SLICE_DAY) {
        /* Inclusive to the second, as the API filters them. */
        rc = time_param(s, &req->url, "created_at_min", sl->range_start);
        if (!rc)
          rc = time_param(s, &req->url, "created_at_max", sl->range_end - 1);
      } else if (!rc && sl->kind == SLICE_WINDOW) {
        /* In update order, so that a page's newest update bounds all before it. */
        const char *field = def == &deletions ? "created_at_min" : "updated_at_min";
        if (!(def->flags & STREAM_UNORDERED))
          rc = buf_puts(&req->url, "&order=updated_at%20asc");
        if (!rc && sl->range_start > 0)
          rc = time_param(s, &req->url, field, sl->range_start);
      } else if (!rc && sl->kind == SLICE_REFETCH) {
        rc = ids_param(&req->url, sl->cursor, err);
        if (rc && rc != MS_ENOMEM)
          return rc;
      }
    }
    if (rc)
      rc = err_set(err, rc, "cannot build the %s request", def->name);
  }
  if (!rc && add_auth(s, req))
    rc = err_set(err, MS_ENOMEM, "out of memory");
  return rc;
}

/* The remaining ids of a refetch cursor after the first SHOPIFY_IDS_MAX,
 * NULL when none remain. */
static int ids_rest(const char *cursor, char **out) {
  cJSON *ids = cJSON_Parse(cursor);
  *out = NULL;
  if (!cJSON_IsArray(ids)) {
    cJSON_Delete(ids);
    return MS_ECURSOR;
  }
  for (int i = 0; i < SHOPIFY_IDS_MAX && cJSON_GetArraySize(ids) > 0; i++)
    cJSON_DeleteItemFromArray(ids, 0);
  if (cJSON_GetArraySize(ids) > 0) {
    *out = cJSON_PrintUnformatted(ids);
    if (!*out) {
      cJSON_Delete(ids);
      return MS_ENOMEM;
    }
  }
  cJSON_Delete(ids);
  return MS_OK;
}

/* inventory_levels.json needs location ids: the first request of a pass
 * lists the locations; the cursor then holds the next page's URL and the
 * locations still to ask about:
 *   {"u": next page URL, or absent to start the next batch, "l": [ids]} */
static int inventory_batch_url(struct shopify *s, const struct slice *sl, const cJSON *ids,
                               struct http_request *req) {
  const cJSON *e;
  int n = 0, rc = resource_url(s, req, "inventory_levels");
  if (!rc)
    rc = buf_printf(&req->url, "limit=%d&location_ids=", SHOPIFY_PAGE_LIMIT);
  cJSON_ArrayForEach(e, ids) {
    if (rc || n == LOCATION_IDS_MAX)
      break;
    if (cJSON_IsString(e))
      rc = buf_printf(&req->url, "%s%s", n++ ? "%2C" : "", e->valuestring);
  }
  if (!rc && sl->range_start > 0)
    rc = time_param(s, &req->url, "updated_at_min", sl->range_start);
  return rc;
}

static int inventory_request(void *state, const struct stream_def *def, const struct slice *sl,
                             struct http_request *req, struct err *err) {
  struct shopify *s = state;
  cJSON *cur;
  const char *url;
  int rc;
  if (!sl->cursor) {
    rc = resource_url(s, req, "locations");
    if (!rc) {
      req->url.data[--req->url.len] = '\0';
      rc = add_auth(s, req);
    }
    return rc ? err_set(err, rc, "cannot build the locations request") : MS_OK;
  }
  cur = cJSON_Parse(sl->cursor);
  url = jstr(cur, "u");
  if (!cJSON_IsObject(cur)) {
    cJSON_Delete(cur);
    return err_set(err, MS_ECURSOR, "the stored %s cursor is not readable", def->name);
  }
  if (url)
    rc = follow_cursor(s, url, req, err);
  else
    rc = inventory_batch_url(s, sl, cJSON_GetObjectItemCaseSensitive(cur, "l"), req)
             ? err_set(err, MS_ENOMEM, "out of memory")
             : MS_OK;
  cJSON_Delete(cur);
  if (!rc && add_auth(s, req))
    rc = err_set(err, MS_ENOMEM, "out of memory");
  return rc;
}

/* ---- answers ---------------------------------------------------------- */

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

/* The scope a 403 names ("... requires merchant approval for read_customers
 * scope."), or "". */
static void scope_named(const char *text, char *out, size_t n) {
  const char *p = strstr(text, "read_");
  size_t len = p ? strspn(p, "abcdefghijklmnopqrstuvwxyz_") : 0;
  snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), p ? p : "");
}

static void shopify_classify(void *state, const struct http_response *res, struct verdict *v,
                             struct err *err) {
  char text[256], scope[64];
  (void)state;
  if (verdict_common(res, "Shopify", v, err))
    return;
  error_text(res, text, sizeof(text));
  if (res->status == 429) {
    v->rc = MS_ERATELIMIT;
    err_set(err, v->rc, "Shopify rate limit (429): %s", text);
  } else if (res->status == 403 && (scope_named(text, scope, sizeof(scope)), *scope)) {
    v->rc = MS_ESCOPE;
    err_set(err, v->rc,
            "Shopify refused this stream: the access token lacks the %s scope; grant it to the "
            "app in the shop's admin (the other streams go on)",
            scope);
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

struct page_ctx {
  struct shopify *s; /* for the read context */
  struct page *out;  /* records go here */
  struct err *err;   /* why a page failed */
};

/* One record of the page, read by its stream's description. A record that
 * cannot be read does not fail the page: it comes back marked unreadable. */
static int take_record(void *ctx, const cJSON *elem, const char *raw, size_t rawlen) {
  struct page_ctx *pc = ctx;
  struct record *r = page_add(pc->out);
  if (!r || record_read(pc->out->def, elem, NULL, raw, rawlen, reading(pc->s), r))
    return err_set(pc->err, MS_ENOMEM, "out of memory");
  return MS_OK;
}

/* The next page's URL from the Link header, or NULL. */
static int next_link(const struct http_response *res, char **next, struct err *err) {
  const char *link = http_response_header(res, "Link");
  char url[CURSOR_URL_MAX];
  int rc;
  *next = NULL;
  if (!link)
    return MS_OK;
  rc = link_find(link, "next", url, sizeof(url));
  if (rc == MS_ENOTFOUND)
    return MS_OK;
  if (rc)
    return err_set(err, MS_EPROTO, "Shopify sent a Link header we cannot read");
  *next = strdup(url);
  return *next ? MS_OK : err_set(err, MS_ENOMEM, "out of memory");
}

/* The list's name in the answer: orders, products, ... */
static const char *list_key(const struct stream_def *def) {
  return def->impl;
}

static int parse_list(struct shopify *s, const struct stream_def *def,
                      const struct http_response *res, struct page *out, json_elem_fn fn, void *ctx,
                      struct err *err) {
  int rc;
  out->bytes = res->body.len;
  rc = json_each_in(res->body.data, res->body.len, list_key(def), fn, ctx, err);
  if (rc == MS_ENOTFOUND)
    return err_set(err, MS_EPROTO, "Shopify answer has no \"%s\" list", list_key(def));
  if (rc == MS_EPROTO)
    err_prefix(err, "Shopify %s page", def->name);
  (void)s;
  return rc;
}

static int list_parse(void *state, const struct stream_def *def, const struct slice *sl,
                      const struct http_response *res, struct page *out, struct err *err) {
  struct shopify *s = state;
  struct page_ctx pc = {s, out, err};
  int rc = parse_list(s, def, res, out, take_record, &pc, err);
  if (rc)
    return rc;
  if (sl->kind == SLICE_REFETCH) {
    rc = ids_rest(sl->cursor, &out->next_cursor);
    return rc ? err_set(err, rc, "the list of records to fetch again is not readable") : MS_OK;
  }
  return def == &locations ? MS_OK : next_link(res, &out->next_cursor, err);
}

/* Destroy events: each one names the record that is gone. */
static int take_deletion(void *ctx, const cJSON *elem, const char *raw, size_t rawlen) {
  struct page_ctx *pc = ctx;
  const char *type = jstr(elem, "subject_type");
  struct record *r;
  int rc = take_record(ctx, elem, raw, rawlen);
  if (rc)
    return rc;
  r = &pc->out->recs[pc->out->n - 1];
  if (r->unreadable)
    return MS_OK;
  r->gone_from = !type                           ? NULL
                 : strcmp(type, "Order") == 0    ? &orders
                 : strcmp(type, "Product") == 0  ? &products
                 : strcmp(type, "Customer") == 0 ? &customers
                                                 : NULL;
  r->gone_id = jid(elem, "subject_id");
  r->gone_at = r->created_at;
  if (r->gone_from && !r->gone_id)
    return record_set_unreadable(r, raw, rawlen, "a destroy event without a subject_id");
  return MS_OK;
}

static int deletions_parse(void *state, const struct stream_def *def, const struct slice *sl,
                           const struct http_response *res, struct page *out, struct err *err) {
  struct shopify *s = state;
  struct page_ctx pc = {s, out, err};
  int rc = parse_list(s, def, res, out, take_deletion, &pc, err);
  (void)sl;
  return rc ? rc : next_link(res, &out->next_cursor, err);
}

static int inventory_parse(void *state, const struct stream_def *def, const struct slice *sl,
                           const struct http_response *res, struct page *out, struct err *err) {
  struct shopify *s = state;
  struct page_ctx pc = {s, out, err};
  cJSON *cur = NULL, *ids = NULL, *next_state;
  char *next = NULL;
  int rc;
  out->bytes = res->body.len;
  if (!sl->cursor) {
    /* The locations' ids: every batch of them is asked about in turn. */
    cJSON *root = jparse(res->body.data, res->body.len, err);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "locations"), *e;
    if (!cJSON_IsArray(list)) {
      cJSON_Delete(root);
      return root ? err_set(err, MS_EPROTO, "Shopify answer has no \"locations\" list") : MS_EPROTO;
    }
    ids = cJSON_CreateArray();
    cJSON_ArrayForEach(e, list) {
      char *id = jid(e, "id");
      if (id)
        cJSON_AddItemToArray(ids, cJSON_CreateString(id));
      free(id);
    }
    cJSON_Delete(root);
    if (cJSON_GetArraySize(ids) == 0) {
      cJSON_Delete(ids);
      return MS_OK; /* no location, no stock: the pass is done */
    }
  } else {
    rc = parse_list(s, def, res, out, take_record, &pc, err);
    if (!rc)
      rc = next_link(res, &next, err);
    if (rc)
      return rc;
    cur = cJSON_Parse(sl->cursor);
    ids = cJSON_DetachItemFromObjectCaseSensitive(cur, "l");
    cJSON_Delete(cur);
    if (!cJSON_IsArray(ids)) {
      cJSON_Delete(ids);
      free(next);
      return err_set(err, MS_ECURSOR, "the stored %s cursor is not readable", def->name);
    }
    if (!next) /* this batch is done: on to the next one, if any */
      for (int i = 0; i < LOCATION_IDS_MAX && cJSON_GetArraySize(ids) > 0; i++)
        cJSON_DeleteItemFromArray(ids, 0);
    if (!next && cJSON_GetArraySize(ids) == 0) {
      cJSON_Delete(ids);
      return MS_OK;
    }
  }
  next_state = cJSON_CreateObject();
  if (next)
    cJSON_AddStringToObject(next_state, "u", next);
  cJSON_AddItemToObject(next_state, "l", ids);
  out->next_cursor = cJSON_PrintUnformatted(next_state);
  cJSON_Delete(next_state);
  free(next);
  return out->next_cursor ? MS_OK : err_set(err, MS_ENOMEM, "out of memory");
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

static void shopify_plan_day(const struct stream_def *def, double records, double *requests) {
  double pages = records / SHOPIFY_PAGE_LIMIT;
  (void)def;
  requests[0] = pages < 1 ? 1 : (double)(long)(pages + 0.999);
}

const struct connector shopify_connector = {
    .name = "shopify",
    .title = "Shopify Admin API (REST)",
    .settings = shopify_settings,
    .streams = shopify_streams,
    .endpoints = shopify_endpoints,
    .configure = shopify_configure,
    .open = shopify_open,
    .close = shopify_close,
    .probe_request = shopify_probe_request,
    .parse_probe = shopify_parse_probe,
    .classify = shopify_classify,
    .observe = shopify_observe,
    .plan_day = shopify_plan_day,
};
