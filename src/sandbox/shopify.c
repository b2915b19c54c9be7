/* The emulated Shopify Admin REST API: /shops/NAME/admin/api/VERSION/...
 * This part checks and logs every request; shopify_res.c answers it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/shopify.h"

#define SHOPS_PREFIX "/shops/"
#define LOG_TEXT_MAX 8192 /* bytes of path or query kept in the request log */

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
static int route_parse(const char *path, struct sb_route *r) {
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

void sb_shopify_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res) {
  struct sb_route r;
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
      sb_shopify_resource(sb, shop, req, &r, p, res);
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
  sb_shopify_resource(sb, shop, req, &r, p, res);

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
