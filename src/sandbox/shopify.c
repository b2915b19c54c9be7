/* The emulated Shopify Admin REST API: /shops/NAME/admin/api/VERSION/... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/params.h"
#include "sandbox/query.h"
#include "sandbox/render.h"
#include "sandbox/sandbox.h"

#define SHOPS_PREFIX "/shops/"
#define LOG_TEXT_MAX 8192 /* bytes of path or query kept in the request log */

struct route {
  char shop[SB_SHOP_NAME_MAX * 2]; /* the name as given (logged) */
  const char *rest;                /* path after /shops/NAME, e.g. /admin/api/... */
  char version[16];                /* "2024-01", "" when not parsed */
  const char *resource;            /* after /admin/api/VERSION/, or NULL */
};

static const char MSG_BAD_TOKEN[] =
    "[API] Invalid API key or access token (unrecognized login or wrong password)";
static const char MSG_THROTTLED[] =
    "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted "
    "service.";

static int valid_version(const char *v, size_t n) {
  if (n == 8 && memcmp(v, "unstable", 8) == 0)
    return 1;
  if (n != 7 || v[4] != '-')
    return 0;
  for (size_t i = 0; i < 7; i++)
    if (i != 4 && (v[i] < '0' || v[i] > '9'))
      return 0;
  return 1;
}

/* Splits /shops/NAME/admin/api/VERSION/RESOURCE; returns 0 when the path is
 * not under /shops/. */
static int route_parse(const char *path, struct route *r) {
  memset(r, 0, sizeof(*r));
  r->rest = path;
  if (strncmp(path, SHOPS_PREFIX, sizeof(SHOPS_PREFIX) - 1) != 0)
    return 0;
  const char *name = path + sizeof(SHOPS_PREFIX) - 1;
  const char *slash = strchr(name, '/');
  size_t n = slash ? (size_t)(slash - name) : strlen(name);
  snprintf(r->shop, sizeof(r->shop), "%.*s", (int)(n < sizeof(r->shop) ? n : sizeof(r->shop) - 1),
           name);
  r->rest = name + n;
  if (strncmp(r->rest, "/admin/api/", 11) == 0) {
    const char *v = r->rest + 11, *vs = strchr(v, '/');
    if (vs && valid_version(v, (size_t)(vs - v))) {
      snprintf(r->version, sizeof(r->version), "%.*s", (int)(vs - v), v);
      r->resource = vs + 1;
    }
  }
  return 1;
}

static int token_ok(const char *given, const char *want) {
  size_t a = given ? strlen(given) : 0, b = strlen(want);
  unsigned char diff = (unsigned char)(a != b);
  for (size_t i = 0; i < b; i++)
    diff |= (unsigned char)((i < a ? given[i] : 0) ^ want[i]);
  return given && !diff;
}

/* Printable ASCII copy for the log. */
static void log_text(const char *s, char *out, size_t len) {
  size_t n = 0;
  for (; *s && n + 1 < len; s++)
    out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
  out[n] = '\0';
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

/* ---- orders.json ---- */

static int is_page_param(const char *k) {
  return strcmp(k, "limit") == 0 || strcmp(k, "fields") == 0 || strcmp(k, "page_info") == 0;
}

static int link_url(struct sandbox *sb, const struct sb_request *req, const struct route *r,
                    int limit, const char *fields, const struct sb_cursor *c, struct buf *out) {
  int rc;
  if (valid_host(req->host))
    rc = buf_printf(out, "<http://%s", req->host);
  else
    rc = buf_printf(out, "<%s", sb->base_url);
  if (!rc)
    rc = buf_printf(out, "/shops/%s/admin/api/%s/orders.json?limit=%d", r->shop, r->version, limit);
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

static void orders_list(struct sandbox *sb, struct sb_shop *shop, const struct sb_request *req,
                        const struct route *r, const struct sb_params *p, struct sb_response *res) {
  struct sb_cursor cur, *curp = NULL;
  struct sb_filter *f;
  struct sb_fieldset fs;
  struct sb_page_result page;
  struct sb_order *items;
  int limit;
  const char *fields = sb_params_get(p, "fields");
  const char *page_info = sb_params_get(p, "page_info");
  memset(&cur, 0, sizeof(cur));
  if (sb_limit_parse(p, &limit, &res->body)) {
    res->status = 400;
    return;
  }
  if (page_info) {
    for (int i = 0; i < p->n; i++) {
      if (!is_page_param(p->items[i].key)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "%.100s cannot be passed when page_info is present.",
                 p->items[i].key);
        res->status = 400;
        buf_puts(&res->body, "{\"errors\":{\"page_info\":[");
        buf_json_str(&res->body, msg);
        buf_puts(&res->body, "]}}");
        return;
      }
    }
    if (sb_cursor_decode(page_info, sb->cfg.seed, &cur)) {
      res->status = 400;
      buf_puts(&res->body, "{\"errors\":{\"page_info\":[\"Invalid value.\"]}}");
      return;
    }
    curp = &cur;
    f = &cur.f;
  } else {
    if (sb_filter_parse(p, &cur.f, &res->body)) {
      res->status = 400;
      return;
    }
    f = &cur.f;
  }
  if (fields)
    sb_fieldset_parse(fields, &fs);
  else
    sb_fieldset_all(&fs);
  items = malloc((size_t)limit * sizeof(*items));
  if (!items) {
    sb_response_error(res, 500, "out of memory");
    return;
  }
  pthread_mutex_lock(&sb->lock);
  sb_query_page(shop->orders, shop->norders, f, curp, (size_t)limit, items, &page);
  pthread_mutex_unlock(&sb->lock);

  /* Rendering happens outside the lock, from the copied index entries. */
  int rc = buf_reserve(&res->body, page.n * 3600 + 16);
  if (!rc)
    rc = buf_puts(&res->body, "{\"orders\":[");
  for (size_t i = 0; !rc && i < page.n; i++) {
    if (i)
      rc = buf_putc(&res->body, ',');
    if (!rc)
      rc = sb_order_render(shop, &items[i], &fs, &res->body);
  }
  if (!rc)
    rc = buf_puts(&res->body, "]}");
  if (!rc && (page.has_prev || page.has_next)) {
    struct buf link;
    struct sb_cursor lc = cur;
    buf_init(&link, 0);
    if (page.has_prev) {
      lc.dir = SB_DIR_PREV;
      lc.key_id = items[0].id;
      lc.key_created = items[0].created_at;
      rc = link_url(sb, req, r, limit, fields, &lc, &link);
    }
    if (!rc && page.has_next) {
      lc.dir = SB_DIR_NEXT;
      lc.key_id = items[page.n - 1].id;
      lc.key_created = items[page.n - 1].created_at;
      if (page.has_prev)
        rc = buf_puts(&link, ", ");
      if (!rc)
        rc = link_url(sb, req, r, limit, fields, &lc, &link);
    }
    if (!rc)
      rc = sb_response_header(res, "Link", link.data);
    buf_release(&link);
  }
  free(items);
  if (rc)
    sb_response_error(res, 500, "the sandbox could not build the response");
}

static void orders_count(struct sandbox *sb, struct sb_shop *shop, const struct sb_params *p,
                         struct sb_response *res) {
  struct sb_filter *f = malloc(sizeof(*f));
  size_t n;
  if (!f) {
    sb_response_error(res, 500, "out of memory");
    return;
  }
  if (sb_filter_parse(p, f, &res->body)) {
    res->status = 400;
    free(f);
    return;
  }
  pthread_mutex_lock(&sb->lock);
  n = sb_query_count(shop->orders, shop->norders, f);
  pthread_mutex_unlock(&sb->lock);
  free(f);
  buf_printf(&res->body, "{\"count\":%zu}", n);
}

static void order_one(struct sandbox *sb, struct sb_shop *shop, const char *idtext, size_t idlen,
                      const struct sb_params *p, struct sb_response *res) {
  struct sb_order o;
  struct sb_fieldset fs;
  uint64_t id = 0;
  long pos = -1;
  const char *fields = sb_params_get(p, "fields");
  if (idlen == 0 || idlen > 19) {
    sb_response_error(res, 404, "Not Found");
    return;
  }
  for (size_t i = 0; i < idlen; i++) {
    if (idtext[i] < '0' || idtext[i] > '9') {
      sb_response_error(res, 404, "Not Found");
      return;
    }
    id = id * 10 + (uint64_t)(idtext[i] - '0');
  }
  pthread_mutex_lock(&sb->lock);
  pos = sb_shop_find(shop, id);
  if (pos >= 0)
    o = shop->orders[pos];
  pthread_mutex_unlock(&sb->lock);
  if (pos < 0) {
    sb_response_error(res, 404, "Not Found");
    return;
  }
  if (fields)
    sb_fieldset_parse(fields, &fs);
  else
    sb_fieldset_all(&fs);
  int rc = buf_puts(&res->body, "{\"order\":");
  if (!rc)
    rc = sb_order_render(shop, &o, &fs, &res->body);
  if (!rc)
    rc = buf_puts(&res->body, "}");
  if (rc)
    sb_response_error(res, 500, "the sandbox could not build the response");
}

static void shop_one(struct sandbox *sb, struct sb_shop *shop, struct sb_response *res) {
  int rc = buf_puts(&res->body, "{\"shop\":");
  if (!rc)
    rc = sb_shop_render(shop, sandbox_now(sb), &res->body);
  if (!rc)
    rc = buf_puts(&res->body, "}");
  if (rc)
    sb_response_error(res, 500, "the sandbox could not build the response");
}

/* Dispatches on the resource after /admin/api/VERSION/. */
static void api_route(struct sandbox *sb, struct sb_shop *shop, const struct sb_request *req,
                      const struct route *r, const struct sb_params *p, struct sb_response *res) {
  const char *rs = r->resource;
  int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
  enum { R_NONE, R_SHOP, R_LIST, R_COUNT, R_ONE } kind = R_NONE;
  const char *idtext = NULL;
  size_t idlen = 0;
  if (!rs) {
    kind = R_NONE;
  } else if (strcmp(rs, "shop.json") == 0) {
    kind = R_SHOP;
  } else if (strcmp(rs, "orders.json") == 0) {
    kind = R_LIST;
  } else if (strcmp(rs, "orders/count.json") == 0) {
    kind = R_COUNT;
  } else if (strncmp(rs, "orders/", 7) == 0) {
    size_t n = strlen(rs);
    if (n > 12 && strcmp(rs + n - 5, ".json") == 0 && !memchr(rs + 7, '/', n - 12)) {
      kind = R_ONE;
      idtext = rs + 7;
      idlen = n - 12;
    }
  }
  if (kind == R_NONE) {
    sb_response_error(res, 404, "Not Found");
    return;
  }
  if (!get) {
    sb_response_header(res, "Allow", "GET, HEAD");
    sb_response_error(res, 405,
                      "Method Not Allowed: the sandbox serves this resource to GET only.");
    return;
  }
  switch (kind) {
  case R_SHOP:
    shop_one(sb, shop, res);
    break;
  case R_LIST:
    orders_list(sb, shop, req, r, p, res);
    break;
  case R_COUNT:
    orders_count(sb, shop, p, res);
    break;
  default:
    order_one(sb, shop, idtext, idlen, p, res);
    break;
  }
}

void sb_shopify_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res) {
  struct route r;
  struct sb_params *p = malloc(sizeof(*p));
  struct sb_shop *shop = NULL;
  char limit_hdr[48], retry[16], *lpath = NULL, *lquery = NULL;
  int under_shops = route_parse(req->path, &r), fault = SB_FAULT_NONE;
  if (!p) {
    sb_response_error(res, 500, "out of memory");
    return;
  }
  snprintf(limit_hdr, sizeof(limit_hdr), "0/%.0f", sb->cfg.bucket_size);
  if (req->uri_too_long || strlen(req->path) + strlen(req->query) > SB_QUERY_MAX) {
    sb_response_error(res, 414, "Request-URI Too Large: URLs are limited to 8192 bytes.");
    goto done;
  }
  switch (sb_params_parse(p, req->query)) {
  case SB_PARAMS_OK:
    break;
  case SB_PARAMS_TOO_LONG:
    sb_response_error(res, 414, "Request-URI Too Large: URLs are limited to 8192 bytes.");
    goto done;
  case SB_PARAMS_TOO_MANY:
    sb_response_error(res, 400, "Too many query parameters: at most 50 are accepted.");
    goto done;
  default:
    sb_response_error(res, 400, "The query string could not be decoded.");
    goto done;
  }
  if (under_shops)
    shop = sandbox_shop(sb, r.shop, strlen(r.shop));
  if (!shop) {
    sb_response_error(res, 404, "Not Found");
    goto done;
  }
  {
    struct sb_shop_state *st = sandbox_state(sb, shop);
    double wait = 0;
    int ok_token = token_ok(req->token, sb->cfg.token), admitted = 0;
    /* The fault is drawn before the bucket: a faulted request takes a slot
     * (when there is room) unless it is an injected 429, and the fault wins
     * over a real 429. */
    if (ok_token)
      fault = sb_fault_decide(sb, shop->index, -1, SB_API_SHOPIFY, req->path, req->query);
    pthread_mutex_lock(&sb->lock);
    if (ok_token && (!fault || sb_fault_counted(fault)))
      admitted = sb_bucket_take(&st->bucket, sandbox_mono(), &wait);
    else
      sb_bucket_drain(&st->bucket, sandbox_mono());
    sb_bucket_header(&st->bucket, limit_hdr, sizeof(limit_hdr));
    st->requests++;
    if (ok_token && ((!fault && !admitted) || (fault && !sb_fault_counted(fault)))) {
      st->throttled++;
      sb->throttled++;
    }
    pthread_mutex_unlock(&sb->lock);
    if (!ok_token) {
      sb_response_error(res, 401, MSG_BAD_TOKEN);
      goto done;
    }
    if (fault && sb_fault_replaces(fault)) {
      sb_fault_answer(sb, fault, SB_API_SHOPIFY, req->path, res);
      goto done;
    }
    if (fault) {
      api_route(sb, shop, req, &r, p, res);
      sb_fault_corrupt(fault, res);
      goto done;
    }
    if (!admitted) {
      sb_retry_after_format(wait, retry, sizeof(retry));
      sb_response_header(res, "Retry-After", retry);
      sb_response_error(res, 429, MSG_THROTTLED);
      goto done;
    }
  }
  if (req->body_too_big) {
    sb_response_error(res, 413, "Request body too large.");
    goto done;
  }
  api_route(sb, shop, req, &r, p, res);

done:
  sb_response_header(res, "X-Shopify-Shop-Api-Call-Limit", limit_hdr);
  if (r.version[0])
    sb_response_header(res, "X-Shopify-API-Version", r.version);
  lpath = malloc(LOG_TEXT_MAX + 1);
  lquery = malloc(LOG_TEXT_MAX + 1);
  if (lpath && lquery) {
    log_text(r.rest, lpath, LOG_TEXT_MAX + 1);
    log_text(req->query, lquery, LOG_TEXT_MAX + 1);
    char lshop[sizeof(r.shop)];
    log_text(r.shop, lshop, sizeof(lshop));
    pthread_mutex_lock(&sb->lock);
    sb->requests++;
    sb_reqlog_add_fault(&sb->log, sandbox_ms(sb), lshop, req->method, lpath, lquery,
                        sb_fault_log_status(res), res->fault);
    pthread_mutex_unlock(&sb->lock);
  }
  free(lpath);
  free(lquery);
  free(p);
}
