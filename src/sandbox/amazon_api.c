/* The emulated Amazon: POST /auth/o2/token (Login with Amazon) and the
 * Selling Partner API's Orders v0 under /sp-api/ (in place of
 * https://sellingpartnerapi-na.amazon.com). A seller is known by its access
 * token, as on Amazon. Checks run in this order: URL size, route, method,
 * access token (403), the operation's token bucket (429), parameters (400),
 * the order (404). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/params.h"
#include "sandbox/prng.h"
#include "sandbox/sandbox.h"

#define TOKEN_PATH "/auth/o2/token"
#define SP_PREFIX "/sp-api"
#define ORDERS_PATH "/orders/v0/orders"
#define REFRESH_PREFIX "Atzr|sandbox-"
#define LOG_TEXT_MAX 8192   /* bytes of path or query kept in the request log */
#define MARKETPLACES_MAX 50 /* MarketplaceIds entries */
#define PAGE_MAX 100        /* MaxResultsPerPage */
#define BEFORE_MARGIN 120   /* *Before must be at least 2 minutes before now */
#define NEXT_VERSION 1      /* of the NextToken records */
#define ORDERS_RECORD 52    /* bytes of a getOrders NextToken record */
#define ITEMS_RECORD 24     /* bytes of a getOrderItems NextToken record */

static const char MSG_DENIED[] = "Access to requested resource is denied.";
static const char MSG_EXPIRED[] = "The access token you provided has expired.";
static const char MSG_QUOTA[] = "You exceeded your quota for the requested resource.";

enum next_kind { NEXT_ORDERS = 1, NEXT_ITEMS = 2 };
enum family { FAM_CREATED = 0, FAM_UPDATED = 1 };

int sb_amazon_path(const char *path) {
  return strcmp(path, TOKEN_PATH) == 0 || strcmp(path, SP_PREFIX) == 0 ||
         strncmp(path, SP_PREFIX "/", sizeof(SP_PREFIX)) == 0;
}

/* ---- small helpers ---- */

static void sp_error(struct sb_response *res, int status, const char *code, const char *message,
                     const char *details) {
  res->status = status;
  buf_reset(&res->body);
  buf_puts(&res->body, "{\"errors\":[{\"code\":");
  buf_json_str(&res->body, code);
  buf_puts(&res->body, ",\"message\":");
  buf_json_str(&res->body, message);
  buf_puts(&res->body, ",\"details\":");
  buf_json_str(&res->body, details);
  buf_puts(&res->body, "}]}");
}

static void invalid_input(struct sb_response *res, const char *message) {
  sp_error(res, 400, "InvalidInput", message, "");
}

static void oauth_error(struct sb_response *res, int status, const char *error,
                        const char *description) {
  res->status = status;
  buf_reset(&res->body);
  buf_puts(&res->body, "{\"error\":");
  buf_json_str(&res->body, error);
  buf_puts(&res->body, ",\"error_description\":");
  buf_json_str(&res->body, description);
  buf_puts(&res->body, "}");
}

/* Compares without stopping at the first difference. */
static int same_secret(const char *given, const char *want) {
  size_t a = strlen(given), b = strlen(want);
  unsigned char diff = (unsigned char)(a != b);
  for (size_t i = 0; i < b; i++)
    diff |= (unsigned char)((i < a ? given[i] : 0) ^ want[i]);
  return !diff;
}

/* Printable ASCII copy for the log. */
static void log_text(const char *s, char *out, size_t len) {
  size_t n = 0;
  for (; *s && n + 1 < len; s++)
    out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
  out[n] = '\0';
}

/* "f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d": unique within a run. */
static void request_id(struct sandbox *sb, char out[40]) {
  uint64_t n = __atomic_fetch_add(&sb->request_ids, 1, __ATOMIC_RELAXED);
  uint64_t a = sb_hash4(sb->cfg.seed, n, 0x7265712d6964ULL, 1);
  uint64_t b = sb_hash4(sb->cfg.seed, n, 0x7265712d6964ULL, 2);
  snprintf(out, 40, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
           (unsigned)(a >> 16 & 0xffff), (unsigned)(a & 0xfff),
           (unsigned)(0x8000 | (b >> 48 & 0x3fff)), (unsigned long long)(b & 0xffffffffffffULL));
}

static void time_utc(int64_t t, char out[TIME_STR_LEN]) {
  time_format(t, 0, 1, out);
}

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

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Writes the request log entry and counts the request; seller MAY be -1. */
static void log_request(struct sandbox *sb, int seller, const char *method, const char *path,
                        const char *query, const struct sb_response *res) {
  char *lpath = malloc(LOG_TEXT_MAX + 1), *lquery = malloc(LOG_TEXT_MAX + 1);
  if (lpath && lquery) {
    log_text(path, lpath, LOG_TEXT_MAX + 1);
    log_text(query, lquery, LOG_TEXT_MAX + 1);
    pthread_mutex_lock(&sb->lock);
    sb->requests++;
    if (seller >= 0)
      sb->sstate[seller].requests++;
    sb_reqlog_add_fault(&sb->log, sandbox_ms(sb), seller >= 0 ? sb->sellers[seller].name : "",
                        method, lpath, lquery, sb_fault_log_status(res), res->fault);
    pthread_mutex_unlock(&sb->lock);
  }
  free(lpath);
  free(lquery);
}

/* ---- POST /auth/o2/token ---- */

/* The seller a refresh token "Atzr|sandbox-NAME" belongs to, or -1. */
static int refresh_seller(struct sandbox *sb, const char *token) {
  size_t plen = sizeof(REFRESH_PREFIX) - 1;
  if (!token || strncmp(token, REFRESH_PREFIX, plen) != 0)
    return -1;
  struct sb_seller *s = sandbox_seller(sb, token + plen, strnlen(token + plen, SB_SHOP_NAME_MAX));
  return s ? s->index : -1;
}

static void token_grant(struct sandbox *sb, const struct sb_request *req, struct sb_response *res,
                        int *seller) {
  static const char *const required[] = {"grant_type", "refresh_token", "client_id",
                                         "client_secret"};
  const char *body = req->body ? req->body : "";
  struct sb_params *p;
  char msg[160], access[SB_ACCESS_MAX];
  if (strcmp(req->method, "POST") != 0) {
    sb_response_header(res, "Allow", "POST");
    oauth_error(res, 405, "invalid_request",
                "Use POST for /auth/o2/token, with the parameters in a form-encoded body.");
    return;
  }
  if (req->body_truncated || strlen(body) != req->body_len) {
    oauth_error(res, 400, "invalid_request",
                "The request body is over 8192 bytes or holds a NUL byte; send the four form "
                "parameters only.");
    return;
  }
  if (body[0] == '{') {
    oauth_error(res, 400, "invalid_request",
                "Send the parameters form-encoded (application/x-www-form-urlencoded), not as "
                "JSON.");
    return;
  }
  p = malloc(sizeof(*p));
  if (!p) {
    oauth_error(res, 500, "server_error", "out of memory");
    return;
  }
  if (sb_params_parse(p, body) != SB_PARAMS_OK) {
    oauth_error(res, 400, "invalid_request",
                "The request body could not be decoded as a form (too many fields, or a NUL "
                "byte).");
    goto done;
  }
  *seller = refresh_seller(sb, sb_params_get(p, "refresh_token"));
  for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
    const char *v = sb_params_get(p, required[i]);
    if (!v || !*v) {
      snprintf(msg, sizeof(msg), "The request is missing a required parameter : %s", required[i]);
      oauth_error(res, 400, "invalid_request", msg);
      goto done;
    }
  }
  if (strcmp(sb_params_get(p, "grant_type"), "refresh_token") != 0) {
    oauth_error(res, 400, "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server; "
                "the sandbox serves grant_type=refresh_token.");
    goto done;
  }
  if (!same_secret(sb_params_get(p, "client_id"), sb->cfg.lwa_client_id) ||
      !same_secret(sb_params_get(p, "client_secret"), sb->cfg.lwa_client_secret)) {
    oauth_error(res, 401, "invalid_client", "Client authentication failed");
    goto done;
  }
  if (*seller < 0) {
    oauth_error(res, 400, "invalid_grant",
                "The request has an invalid grant parameter : refresh_token");
    goto done;
  }
  {
    struct sb_access a = {*seller, sandbox_now_ms(sb) + (int64_t)sb->cfg.token_lifetime * 1000};
    if (sb_access_mint(sb->access_key, &a, sb->sellers[*seller].name, access, sizeof(access))) {
      oauth_error(res, 500, "server_error", "the sandbox could not mint an access token");
      goto done;
    }
  }
  buf_puts(&res->body, "{\"access_token\":");
  buf_json_str(&res->body, access);
  buf_printf(&res->body, ",\"token_type\":\"bearer\",\"expires_in\":%d,\"refresh_token\":",
             sb->cfg.token_lifetime);
  buf_json_str(&res->body, sb_params_get(p, "refresh_token"));
  buf_puts(&res->body, "}");
  sb_response_header(res, "Cache-Control", "no-store");
done:
  free(p);
}

/* ---- access tokens ---- */

/* Finds the caller's seller; answers 403 itself and returns -1 when the
 * token is missing, not ours or expired (*seller is still set then when
 * the token names a seller). */
static int authenticate(struct sandbox *sb, const struct sb_request *req, struct sb_response *res,
                        int *seller) {
  struct sb_access a;
  *seller = -1;
  if (!req->amz_token || sb_access_peek(req->amz_token, &a) || a.seller >= sb->cfg.nsellers ||
      sb_access_verify(sb->access_key, req->amz_token, sb->sellers[a.seller].name)) {
    sp_error(res, 403, "Unauthorized", MSG_DENIED, "");
    return -1;
  }
  *seller = a.seller;
  pthread_mutex_lock(&sb->lock);
  int64_t revoked = sb->sstate[a.seller].revoked_ms;
  pthread_mutex_unlock(&sb->lock);
  /* Issued at expiry minus the lifetime; expired early by the admin call. */
  if (sandbox_now_ms(sb) >= a.expires_ms ||
      a.expires_ms - (int64_t)sb->cfg.token_lifetime * 1000 < revoked) {
    sp_error(res, 403, "Unauthorized", MSG_DENIED, MSG_EXPIRED);
    return -1;
  }
  return 0;
}

/* ---- getOrders ---- */

struct orders_query {
  uint8_t family;       /* enum family */
  uint16_t statuses;    /* a bit per enum sb_amz_status; 0: all */
  uint8_t channels;     /* bit 0 AFN, bit 1 MFN; 0: both */
  uint8_t limit;        /* MaxResultsPerPage */
  int64_t after;        /* inclusive */
  int64_t before;       /* inclusive */
  int has_key;          /* a NextToken page: start after the key */
  int64_t key_purchase; /* PurchaseDate of the last order sent */
  uint64_t key_idnum;   /* and its id */
};

static int check_marketplaces(const char *v, struct sb_response *res) {
  char msg[256];
  int n = 0;
  if (!v || !*v) {
    invalid_input(res, "MarketplaceIds is required: a comma-separated list of marketplace ids, "
                       "e.g. MarketplaceIds=" SB_AMZ_MARKETPLACE ".");
    return MS_EINVAL;
  }
  for (const char *s = v; s; n++) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    if (n == MARKETPLACES_MAX) {
      snprintf(msg, sizeof(msg), "MarketplaceIds accepts at most %d marketplace ids.",
               MARKETPLACES_MAX);
      invalid_input(res, msg);
      return MS_EINVAL;
    }
    if (len != sizeof(SB_AMZ_MARKETPLACE) - 1 || memcmp(s, SB_AMZ_MARKETPLACE, len) != 0) {
      snprintf(msg, sizeof(msg),
               "MarketplaceIds contains '%.*s', which is not a marketplace of this seller; it "
               "sells in " SB_AMZ_MARKETPLACE " (amazon.com) only.",
               (int)(len < 40 ? len : 40), s);
      invalid_input(res, msg);
      return MS_EINVAL;
    }
    s = comma ? comma + 1 : NULL;
  }
  return MS_OK;
}

static int parse_date(const struct sb_params *p, const char *name, int64_t *out,
                      struct sb_response *res) {
  const char *v = sb_params_get(p, name);
  char msg[200];
  if (time_parse(v, out)) {
    snprintf(msg, sizeof(msg),
             "%s '%.40s' is not an ISO 8601 date-time such as 2026-11-01T07:00:00Z.", name, v);
    invalid_input(res, msg);
    return MS_EINVAL;
  }
  return MS_OK;
}

/* Parses a comma list against names; sets a bit per name found. */
static int parse_list(const char *v, const char *param, int (*lookup)(const char *, size_t),
                      const char *choices, unsigned *mask, struct sb_response *res) {
  char msg[320];
  *mask = 0;
  for (const char *s = v;; s++) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    int k = lookup(s, len);
    if (k < 0) {
      snprintf(msg, sizeof(msg), "%s contains '%.*s', which is not one of %s.", param,
               (int)(len < 40 ? len : 40), s, choices);
      invalid_input(res, msg);
      return MS_EINVAL;
    }
    *mask |= 1u << k;
    if (!comma)
      break;
    s = comma;
  }
  return MS_OK;
}

static int channel_parse(const char *s, size_t len) {
  if (len == 3 && memcmp(s, "AFN", 3) == 0)
    return 0;
  if (len == 3 && memcmp(s, "MFN", 3) == 0)
    return 1;
  return -1;
}

/* The first page's parameters. */
static int orders_query_parse(struct sandbox *sb, const struct sb_params *p, struct orders_query *q,
                              struct sb_response *res) {
  const char *fam = NULL, *after_name, *before_name;
  char msg[256], t1[TIME_STR_LEN], t2[TIME_STR_LEN];
  int created = sb_params_get(p, "CreatedAfter") || sb_params_get(p, "CreatedBefore");
  int updated = sb_params_get(p, "LastUpdatedAfter") || sb_params_get(p, "LastUpdatedBefore");
  int64_t now = sandbox_now(sb), latest = now - BEFORE_MARGIN;
  const char *v;
  unsigned mask;
  memset(q, 0, sizeof(*q));
  if (created && updated) {
    invalid_input(res, "CreatedAfter and CreatedBefore cannot be combined with LastUpdatedAfter "
                       "or LastUpdatedBefore; filter by one of the two families.");
    return MS_EINVAL;
  }
  if (!sb_params_get(p, "CreatedAfter") && !sb_params_get(p, "LastUpdatedAfter")) {
    invalid_input(res, "Exactly one of CreatedAfter and LastUpdatedAfter is required.");
    return MS_EINVAL;
  }
  fam = created ? "Created" : "LastUpdated";
  q->family = created ? FAM_CREATED : FAM_UPDATED;
  after_name = created ? "CreatedAfter" : "LastUpdatedAfter";
  before_name = created ? "CreatedBefore" : "LastUpdatedBefore";
  if (parse_date(p, after_name, &q->after, res))
    return MS_EINVAL;
  if (sb_params_get(p, before_name)) {
    if (parse_date(p, before_name, &q->before, res))
      return MS_EINVAL;
    if (q->before > latest) {
      time_utc(q->before, t1);
      time_utc(latest, t2);
      snprintf(msg, sizeof(msg),
               "%sBefore (%s) must be at least 2 minutes before the current time: no later "
               "than %s.",
               fam, t1, t2);
      invalid_input(res, msg);
      return MS_EINVAL;
    }
    if (q->before < q->after) {
      time_utc(q->before, t1);
      time_utc(q->after, t2);
      snprintf(msg, sizeof(msg), "%sBefore (%s) must not be earlier than %sAfter (%s).", fam, t1,
               fam, t2);
      invalid_input(res, msg);
      return MS_EINVAL;
    }
  } else {
    q->before = latest;
    if (q->after > latest) {
      time_utc(q->after, t1);
      time_utc(latest, t2);
      snprintf(msg, sizeof(msg),
               "%sAfter (%s) must be at least 2 minutes before the current time: no later than "
               "%s.",
               fam, t1, t2);
      invalid_input(res, msg);
      return MS_EINVAL;
    }
  }
  if ((v = sb_params_get(p, "OrderStatuses"))) {
    if (parse_list(v, "OrderStatuses", sb_amz_status_parse,
                   "Pending, Unshipped, PartiallyShipped, Shipped, Canceled, Unfulfillable, "
                   "InvoiceUnconfirmed, PendingAvailability",
                   &mask, res))
      return MS_EINVAL;
    q->statuses = (uint16_t)mask;
  }
  if ((v = sb_params_get(p, "FulfillmentChannels"))) {
    if (parse_list(v, "FulfillmentChannels", channel_parse, "AFN, MFN", &mask, res))
      return MS_EINVAL;
    q->channels = (uint8_t)mask;
  }
  q->limit = PAGE_MAX;
  if ((v = sb_params_get(p, "MaxResultsPerPage"))) {
    char *end;
    errno = 0;
    long n = *v >= '0' && *v <= '9' ? strtol(v, &end, 10) : -1;
    if (n < 1 || n > PAGE_MAX || errno || *end) {
      invalid_input(res, "MaxResultsPerPage must be a whole number from 1 to 100.");
      return MS_EINVAL;
    }
    q->limit = (uint8_t)n;
  }
  return MS_OK;
}

/* A NextToken issued at issued_ms (world clock) has outlived
 * --next-token-lifetime. Amazon does not say how long they live; the option
 * lets tests make them expire while a client fetches items. */
static int token_expired(struct sandbox *sb, uint64_t issued_ms) {
  int64_t life = sb->cfg.next_token_lifetime_ms;
  return life > 0 && sandbox_now_ms(sb) - (int64_t)issued_ms > life;
}

static int orders_token_encode(struct sandbox *sb, int seller, uint32_t epoch,
                               const struct orders_query *q, struct buf *out) {
  unsigned char r[ORDERS_RECORD];
  r[0] = NEXT_VERSION;
  r[1] = NEXT_ORDERS;
  r[2] = (unsigned char)seller;
  r[3] = q->family;
  put32(r + 4, epoch);
  r[8] = (unsigned char)(q->statuses & 0xff);
  r[9] = (unsigned char)(q->statuses >> 8);
  r[10] = q->channels;
  r[11] = q->limit;
  put64(r + 12, (uint64_t)q->after);
  put64(r + 20, (uint64_t)q->before);
  put64(r + 28, (uint64_t)q->key_purchase);
  put64(r + 36, q->key_idnum);
  put64(r + 44, (uint64_t)sandbox_now_ms(sb)); /* issued: for --next-token-lifetime */
  return sb_seal(sb->next_key, r, sizeof(r), out);
}

static int orders_token_decode(struct sandbox *sb, const char *text, int seller, uint32_t epoch,
                               struct orders_query *q) {
  unsigned char r[SB_SEALED_MAX];
  size_t n;
  if (sb_unseal(sb->next_key, text, r, sizeof(r), &n) || n != ORDERS_RECORD ||
      r[0] != NEXT_VERSION || r[1] != NEXT_ORDERS || r[2] != seller || get32(r + 4) != epoch ||
      r[3] > FAM_UPDATED || r[11] < 1 || r[11] > PAGE_MAX || token_expired(sb, get64(r + 44)))
    return MS_EINVAL;
  memset(q, 0, sizeof(*q));
  q->family = r[3];
  q->statuses = (uint16_t)(r[8] | r[9] << 8);
  q->channels = r[10];
  q->limit = r[11];
  q->after = (int64_t)get64(r + 12);
  q->before = (int64_t)get64(r + 20);
  q->key_purchase = (int64_t)get64(r + 28);
  q->key_idnum = get64(r + 36);
  q->has_key = 1;
  return MS_OK;
}

/* First position whose (purchase, idnum) is above the key. */
static size_t after_key(const struct sb_seller *s, int64_t purchase, uint64_t idnum) {
  size_t a = 0, b = s->norders;
  while (a < b) {
    size_t mid = a + (b - a) / 2;
    const struct sb_amz_order *o = &s->orders[mid];
    if (o->purchase < purchase || (o->purchase == purchase && o->idnum <= idnum))
      a = mid + 1;
    else
      b = mid;
  }
  return a;
}

/* First position purchased at or after t. */
static size_t from_time(const struct sb_seller *s, int64_t t) {
  size_t a = 0, b = s->norders;
  while (a < b) {
    size_t mid = a + (b - a) / 2;
    if (s->orders[mid].purchase < t)
      a = mid + 1;
    else
      b = mid;
  }
  return a;
}

static int order_matches(const struct orders_query *q, const struct sb_seller *s,
                         const struct sb_amz_order *o) {
  int64_t t = q->family == FAM_CREATED ? o->purchase : o->updated;
  if (t < q->after || t > q->before)
    return 0;
  if (q->statuses && !(q->statuses & (1u << o->status)))
    return 0;
  if (q->channels && !(q->channels & (1u << (sb_amz_is_afn(s, o) ? 0 : 1))))
    return 0;
  return 1;
}

/* Copies up to q->limit matching entries to out; *more when others follow.
 * Called under the lock. */
static size_t orders_page(const struct sb_seller *s, const struct orders_query *q,
                          struct sb_amz_order *out, int *more) {
  size_t i = 0, n = 0;
  if (q->family == FAM_CREATED)
    i = from_time(s, q->after);
  if (q->has_key) {
    size_t k = after_key(s, q->key_purchase, q->key_idnum);
    if (k > i)
      i = k;
  }
  *more = 0;
  for (; i < s->norders; i++) {
    const struct sb_amz_order *o = &s->orders[i];
    if (q->family == FAM_CREATED && o->purchase > q->before)
      break;
    if (!order_matches(q, s, o))
      continue;
    if (n == q->limit) {
      *more = 1;
      break;
    }
    out[n++] = *o;
  }
  return n;
}

static void get_orders(struct sandbox *sb, int seller, uint32_t epoch, const struct sb_params *p,
                       struct sb_response *res) {
  struct sb_seller *s = &sb->sellers[seller];
  struct orders_query q;
  struct sb_amz_order *page;
  const char *next = sb_params_get(p, "NextToken");
  char before[TIME_STR_LEN];
  size_t n;
  int more, rc;
  if (check_marketplaces(sb_params_get(p, "MarketplaceIds"), res))
    return;
  if (next) {
    for (int i = 0; i < p->n; i++) {
      const char *k = p->items[i].key;
      if (strcmp(k, "NextToken") != 0 && strcmp(k, "MarketplaceIds") != 0) {
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "NextToken cannot be combined with %.60s; send only NextToken and "
                 "MarketplaceIds.",
                 k);
        invalid_input(res, msg);
        return;
      }
    }
    if (orders_token_decode(sb, next, seller, epoch, &q)) {
      invalid_input(res, "Invalid NextToken");
      return;
    }
  } else if (orders_query_parse(sb, p, &q, res)) {
    return;
  }
  page = malloc(PAGE_MAX * sizeof(*page));
  if (!page) {
    sp_error(res, 500, "InternalFailure", "out of memory", "");
    return;
  }
  pthread_mutex_lock(&sb->lock);
  n = orders_page(s, &q, page, &more);
  pthread_mutex_unlock(&sb->lock);

  /* Rendering happens outside the lock, from the copied index entries. */
  rc = buf_reserve(&res->body, n * 1600 + 256);
  if (!rc)
    rc = buf_puts(&res->body, "{\"payload\":{\"Orders\":[");
  for (size_t i = 0; !rc && i < n; i++) {
    if (i)
      rc = buf_putc(&res->body, ',');
    if (!rc)
      rc = sb_amz_order_render(s, &page[i], NULL, 0, &res->body);
  }
  if (!rc)
    rc = buf_puts(&res->body, "]");
  if (!rc && more) {
    q.key_purchase = page[n - 1].purchase;
    q.key_idnum = page[n - 1].idnum;
    rc = buf_puts(&res->body, ",\"NextToken\":\"");
    if (!rc)
      rc = orders_token_encode(sb, seller, epoch, &q, &res->body);
    if (!rc)
      rc = buf_puts(&res->body, "\"");
  }
  time_utc(q.before, before);
  if (!rc)
    rc = buf_printf(&res->body, ",\"%s\":\"%s\"}}",
                    q.family == FAM_CREATED ? "CreatedBefore" : "LastUpdatedBefore", before);
  free(page);
  if (rc)
    sp_error(res, 500, "InternalFailure", "the sandbox could not build the response", "");
}

/* ---- getOrder ---- */

/* The order with that id: looked up as getOrderItems does, rendered as in a
 * getOrders page, alone in the payload. */
static void get_order(struct sandbox *sb, int seller, const struct sb_params *p, const char *idtext,
                      struct sb_response *res) {
  struct sb_seller *s = &sb->sellers[seller];
  struct sb_amz_order o;
  char msg[160];
  uint64_t idnum;
  long pos;
  int rc;
  if (p->n > 0) {
    snprintf(msg, sizeof(msg), "getOrder takes no query parameters, not %.60s.", p->items[0].key);
    invalid_input(res, msg);
    return;
  }
  if (sb_amz_id_parse(idtext, &idnum)) {
    snprintf(msg, sizeof(msg),
             "'%.40s' is not an AmazonOrderId; they look like 113-1234567-1234567.", idtext);
    invalid_input(res, msg);
    return;
  }
  pthread_mutex_lock(&sb->lock);
  pos = sb_seller_find(s, idnum);
  if (pos >= 0)
    o = s->orders[pos];
  pthread_mutex_unlock(&sb->lock);
  if (pos < 0) {
    snprintf(msg, sizeof(msg), "Order %s was not found for this seller.", idtext);
    sp_error(res, 404, "NotFound", msg, "");
    return;
  }
  rc = buf_puts(&res->body, "{\"payload\":");
  if (!rc)
    rc = sb_amz_order_render(s, &o, NULL, 0, &res->body);
  if (!rc)
    rc = buf_puts(&res->body, "}");
  if (rc)
    sp_error(res, 500, "InternalFailure", "the sandbox could not build the response", "");
}

/* ---- getOrderItems ---- */

static int items_token_encode(struct sandbox *sb, int seller, uint32_t epoch, uint64_t idnum,
                              int offset, struct buf *out) {
  unsigned char r[ITEMS_RECORD];
  r[0] = NEXT_VERSION;
  r[1] = NEXT_ITEMS;
  r[2] = (unsigned char)seller;
  r[3] = (unsigned char)offset;
  put32(r + 4, epoch);
  put64(r + 8, idnum);
  put64(r + 16, (uint64_t)sandbox_now_ms(sb));
  return sb_seal(sb->next_key, r, sizeof(r), out);
}

static int items_token_decode(struct sandbox *sb, const char *text, int seller, uint32_t epoch,
                              uint64_t idnum, int *offset) {
  unsigned char r[SB_SEALED_MAX];
  size_t n;
  if (sb_unseal(sb->next_key, text, r, sizeof(r), &n) || n != ITEMS_RECORD ||
      r[0] != NEXT_VERSION || r[1] != NEXT_ITEMS || r[2] != seller || get32(r + 4) != epoch ||
      get64(r + 8) != idnum || r[3] == 0 || r[3] >= SB_AMZ_MAX_ITEMS ||
      token_expired(sb, get64(r + 16)))
    return MS_EINVAL;
  *offset = r[3];
  return MS_OK;
}

static void get_items(struct sandbox *sb, int seller, uint32_t epoch, const char *idtext,
                      const struct sb_params *p, struct sb_response *res) {
  struct sb_seller *s = &sb->sellers[seller];
  struct sb_amz_order o;
  struct sb_amz_content *c;
  const char *next = sb_params_get(p, "NextToken");
  char msg[160], id[SB_AMZ_ID_LEN];
  uint64_t idnum;
  long pos;
  int offset = 0, rc;
  if (sb_amz_id_parse(idtext, &idnum)) {
    snprintf(msg, sizeof(msg),
             "'%.40s' is not an AmazonOrderId; they look like 113-1234567-1234567.", idtext);
    invalid_input(res, msg);
    return;
  }
  pthread_mutex_lock(&sb->lock);
  pos = sb_seller_find(s, idnum);
  if (pos >= 0)
    o = s->orders[pos];
  pthread_mutex_unlock(&sb->lock);
  if (pos < 0) {
    snprintf(msg, sizeof(msg), "Order %s was not found for this seller.", idtext);
    sp_error(res, 404, "NotFound", msg, "");
    return;
  }
  if (next && items_token_decode(sb, next, seller, epoch, idnum, &offset)) {
    invalid_input(res, "Invalid NextToken");
    return;
  }
  c = malloc(sizeof(*c));
  if (!c) {
    sp_error(res, 500, "InternalFailure", "out of memory", "");
    return;
  }
  sb_amz_content(s, &o, c);
  if (offset >= c->nitems) {
    free(c);
    invalid_input(res, "Invalid NextToken");
    return;
  }
  sb_amz_order_id(&o, id);
  rc = buf_printf(&res->body, "{\"payload\":{\"AmazonOrderId\":\"%s\",\"OrderItems\":[", id);
  if (!rc)
    rc = sb_amz_items_render(s, &o, c, offset, SB_AMZ_ITEMS_PAGE, &res->body);
  if (!rc)
    rc = buf_puts(&res->body, "]");
  if (!rc && offset + SB_AMZ_ITEMS_PAGE < c->nitems) {
    rc = buf_puts(&res->body, ",\"NextToken\":\"");
    if (!rc)
      rc = items_token_encode(sb, seller, epoch, idnum, offset + SB_AMZ_ITEMS_PAGE, &res->body);
    if (!rc)
      rc = buf_puts(&res->body, "\"");
  }
  if (!rc)
    rc = buf_puts(&res->body, "}}");
  free(c);
  if (rc)
    sp_error(res, 500, "InternalFailure", "the sandbox could not build the response", "");
}

/* ---- the SP-API dispatcher ---- */

enum op { OP_NONE, OP_ORDERS, OP_ORDER, OP_ITEMS };

/* Splits /orders/v0/orders, /orders/v0/orders/{id} and
 * /orders/v0/orders/{id}/orderItems. */
static enum op route(const char *path, char *id, size_t idlen) {
  static const char items[] = "/orderItems";
  size_t plen = sizeof(ORDERS_PATH) - 1;
  if (strcmp(path, ORDERS_PATH) == 0)
    return OP_ORDERS;
  if (strncmp(path, ORDERS_PATH "/", plen + 1) != 0)
    return OP_NONE;
  const char *s = path + plen + 1, *slash = strchr(s, '/');
  if (!slash && *s && strlen(s) < idlen) {
    memcpy(id, s, strlen(s) + 1);
    return OP_ORDER;
  }
  if (!slash || slash == s || strcmp(slash, items) != 0 || (size_t)(slash - s) >= idlen)
    return OP_NONE;
  memcpy(id, s, (size_t)(slash - s));
  id[slash - s] = '\0';
  return OP_ITEMS;
}

static void sp_api(struct sandbox *sb, const struct sb_request *req, struct sb_response *res,
                   const char *path, int *seller) {
  struct sb_params *p = NULL;
  char id[64], rate[32];
  enum op op;
  int admitted = 0, fault = SB_FAULT_NONE;
  uint32_t epoch;
  if (req->uri_too_long || strlen(req->path) + strlen(req->query) > SB_QUERY_MAX) {
    sp_error(res, 414, "InvalidInput", "The URL is too long: at most 8192 bytes are accepted.", "");
    return;
  }
  op = route(path, id, sizeof(id));
  if (op == OP_NONE) {
    sp_error(res, 404, "NotFound",
             "Resource not found: the sandbox serves GET /sp-api/orders/v0/orders, GET "
             "/sp-api/orders/v0/orders/{orderId} and GET "
             "/sp-api/orders/v0/orders/{orderId}/orderItems.",
             "");
    return;
  }
  if (strcmp(req->method, "GET") != 0) {
    sb_response_header(res, "Allow", "GET");
    sp_error(res, 405, "InvalidInput",
             op == OP_ORDERS  ? "getOrders is served to GET only."
             : op == OP_ORDER ? "getOrder is served to GET only."
                              : "getOrderItems is served to GET only.",
             "");
    return;
  }
  if (authenticate(sb, req, res, seller))
    return;
  /* Drawn before the bucket: see sb_shopify_handle. */
  fault = sb_fault_decide(sb, -1, *seller, SB_API_SP, req->path, req->query);
  {
    struct sb_seller_state *st = &sb->sstate[*seller];
    struct sb_tbucket *b = op == OP_ORDERS ? &st->orders : op == OP_ORDER ? &st->order : &st->items;
    pthread_mutex_lock(&sb->lock);
    if (!fault || sb_fault_counted(fault))
      admitted = sb_tbucket_take(b, sandbox_mono(), NULL);
    if ((!fault && !admitted) || fault == SB_FAULT_429 || fault == SB_FAULT_429_DATE ||
        fault == SB_FAULT_429_BARE) {
      st->throttled++;
      sb->throttled++;
    }
    epoch = st->epoch;
    sb_rate_format(b->rate, rate, sizeof(rate));
    pthread_mutex_unlock(&sb->lock);
  }
  if (fault && sb_fault_replaces(fault)) {
    sb_fault_answer(sb, fault, SB_API_SP, req->path, res);
    return;
  }
  if (!admitted && !fault) {
    sp_error(res, 429, "QuotaExceeded", MSG_QUOTA, "");
    return;
  }
  sb_response_header(res, "x-amzn-RateLimit-Limit", rate);
  p = malloc(sizeof(*p));
  if (!p) {
    sp_error(res, 500, "InternalFailure", "out of memory", "");
    return;
  }
  switch (sb_params_parse(p, req->query)) {
  case SB_PARAMS_OK:
    if (op == OP_ORDERS)
      get_orders(sb, *seller, epoch, p, res);
    else if (op == OP_ORDER)
      get_order(sb, *seller, p, id, res);
    else
      get_items(sb, *seller, epoch, id, p, res);
    break;
  case SB_PARAMS_TOO_MANY:
    invalid_input(res, "Too many query parameters: at most 50 are accepted.");
    break;
  default:
    invalid_input(res, "The query string could not be decoded.");
    break;
  }
  free(p);
  if (fault)
    sb_fault_corrupt(fault, res);
}

/* Faults of the token endpoint: the LWA server has no rate limit here. */
static void token_fault(struct sandbox *sb, int seller, const struct sb_request *req,
                        struct sb_response *res) {
  int fault = sb_fault_decide(sb, -1, seller, SB_API_LWA, req->path, req->query);
  if (!fault)
    return;
  if (fault == SB_FAULT_429 || fault == SB_FAULT_429_DATE || fault == SB_FAULT_429_BARE) {
    pthread_mutex_lock(&sb->lock);
    sb->sstate[seller].throttled++;
    sb->throttled++;
    pthread_mutex_unlock(&sb->lock);
  }
  if (sb_fault_replaces(fault))
    sb_fault_answer(sb, fault, SB_API_LWA, req->path, res);
  else
    sb_fault_corrupt(fault, res);
}

void sb_amazon_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res) {
  char rid[40];
  int seller = -1;
  res->content_type = "application/json";
  request_id(sb, rid);
  sb_response_header(res, "x-amzn-RequestId", rid);
  if (strcmp(req->path, TOKEN_PATH) == 0) {
    token_grant(sb, req, res, &seller);
    /* A faulted grant is minted and then discarded: tokens are not stored. */
    if (seller >= 0)
      token_fault(sb, seller, req, res);
    /* Neither the body nor the query is logged: they may hold secrets. */
    log_request(sb, seller, req->method, TOKEN_PATH, "", res);
    return;
  }
  const char *path = req->path + sizeof(SP_PREFIX) - 1;
  sp_api(sb, req, res, path, &seller);
  log_request(sb, seller, req->method, *path ? path : "/", req->query, res);
}
