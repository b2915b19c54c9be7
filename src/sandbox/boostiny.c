/* The emulated Boostiny under /boostiny (in place of https://api.boostiny.com):
 * GET /publisher/campaigns, /publisher/coupons and /publisher/performance.
 * The API key in the Authorization header (no scheme) says whose account
 * it is. Checks run in this order: URL size, route, method, key (401),
 * lockout (429), fault, throttle (429, and a lockout after abuse),
 * parameters (422). Answers are Laravel's: {"message":...} errors and
 * {"payload":{"data","pagination","summary"}} pages. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/params.h"
#include "sandbox/sandbox.h"

#define PREFIX "/boostiny"
#define PAGE_NUMBER_MAX 1000000L /* largest page number accepted */

enum route { R_NONE, R_CAMPAIGNS, R_COUPONS, R_PERFORMANCE };

static void message(struct sb_response *res, int status, const char *msg) {
  res->status = status;
  buf_reset(&res->body);
  buf_puts(&res->body, "{\"message\":");
  buf_json_str(&res->body, msg);
  buf_putc(&res->body, '}');
}

/* Laravel's validation answer: 422 {"message":M,"errors":{"field":[M]}}. */
static void invalid(struct sb_response *res, const char *field, const char *msg) {
  res->status = 422;
  buf_reset(&res->body);
  buf_puts(&res->body, "{\"message\":");
  buf_json_str(&res->body, msg);
  buf_printf(&res->body, ",\"errors\":{\"%s\":[", field);
  buf_json_str(&res->body, msg);
  buf_puts(&res->body, "]}}");
}

static int is(const char *path, const char *want) {
  size_t n = strlen(want);
  return strncmp(path, want, n) == 0 && (path[n] == '\0' || (path[n] == '/' && path[n + 1] == 0));
}

static enum route route(const char *path) {
  if (is(path, "/publisher/campaigns"))
    return R_CAMPAIGNS;
  if (is(path, "/publisher/coupons"))
    return R_COUPONS;
  if (is(path, "/publisher/performance"))
    return R_PERFORMANCE;
  return R_NONE;
}

static struct sb_aff_account *key_account(struct sandbox *sb, const char *key) {
  struct sb_aff_account *found = NULL;
  for (int i = 0; key && i < sb->aff->n; i++) {
    struct sb_aff_account *a = &sb->aff->accounts[i];
    if (a->net == SB_NET_BOOSTINY && sb_aff_same_secret(key, a->secret1))
      found = a;
  }
  return found;
}

/* ---- parameters ---- */

struct page_q {
  long page;  /* 1.. */
  long limit; /* 1..500 */
};

static int whole(const char *v, long max, long *out) {
  char *end;
  if (!v || *v < '0' || *v > '9')
    return MS_EINVAL;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno || *end || n > max)
    return MS_EINVAL;
  *out = n;
  return MS_OK;
}

static int page_parse(const struct sb_params *p, struct page_q *q, struct sb_response *res) {
  const char *v;
  char msg[120];
  q->page = 1;
  q->limit = SB_BST_PAGE_DEFAULT;
  if ((v = sb_params_get(p, "page")) && (whole(v, PAGE_NUMBER_MAX, &q->page) || q->page < 1)) {
    snprintf(msg, sizeof(msg), "The page must be an integer between 1 and %ld.", PAGE_NUMBER_MAX);
    invalid(res, "page", msg);
    return MS_EINVAL;
  }
  if ((v = sb_params_get(p, "limit")) && (whole(v, SB_BST_PAGE_MAX, &q->limit) || q->limit < 1)) {
    snprintf(msg, sizeof(msg), "The limit must be an integer between 1 and %d.", SB_BST_PAGE_MAX);
    invalid(res, "limit", msg);
    return MS_EINVAL;
  }
  return MS_OK;
}

static int ymd(const struct sb_params *p, const char *field, int32_t *day,
               struct sb_response *res) {
  const char *v = sb_params_get(p, field);
  struct civil_date d;
  char msg[120];
  if (!v || !*v) {
    snprintf(msg, sizeof(msg), "The %s field is required.", field);
    invalid(res, field, msg);
    return MS_EINVAL;
  }
  if (date_parse(v, &d, NULL)) {
    snprintf(msg, sizeof(msg), "The %s does not match the format Y-m-d.", field);
    invalid(res, field, msg);
    return MS_EINVAL;
  }
  *day = (int32_t)date_to_days(d);
  return MS_OK;
}

static void pagination(struct buf *b, size_t total, const struct page_q *q) {
  size_t last = total ? (total + (size_t)q->limit - 1) / (size_t)q->limit : 1;
  buf_printf(
      b, "],\"pagination\":{\"total\":%zu,\"perPage\":%ld,\"currentPage\":%ld,\"lastPage\":%zu}",
      total, q->limit, q->page, last);
}

static size_t first_on_page(const struct page_q *q) {
  return (size_t)(q->page - 1) * (size_t)q->limit;
}

static void out_of_memory(struct sb_response *res) {
  message(res, 500, "Server Error: out of memory");
}

/* ---- campaigns and coupons ---- */

static void catalog(struct sandbox *sb, struct sb_aff_account *a, int coupons,
                    const struct sb_params *p, struct sb_response *res) {
  struct page_q q;
  size_t count = 0, n = 0, skip;
  int rc;
  if (page_parse(p, &q, res))
    return;
  skip = first_on_page(&q);
  struct sb_aff_campaign *cs = coupons ? NULL : malloc((size_t)q.limit * sizeof(*cs));
  struct sb_aff_coupon *ks = coupons ? malloc((size_t)q.limit * sizeof(*ks)) : NULL;
  size_t *idx = malloc((size_t)q.limit * sizeof(*idx));
  if ((!cs && !ks) || !idx) {
    free(cs);
    free(ks);
    free(idx);
    out_of_memory(res);
    return;
  }
  pthread_mutex_lock(&sb->lock);
  size_t total = coupons ? a->ncoupons : a->ncampaigns;
  for (size_t i = 0; i < total; i++) {
    if (coupons ? !sb_aff_coupon_listed(a, i) : a->campaigns[i].deleted)
      continue;
    if (count++ < skip || n == (size_t)q.limit)
      continue;
    idx[n] = i;
    if (coupons)
      ks[n++] = a->coupons[i];
    else
      cs[n++] = a->campaigns[i];
  }
  pthread_mutex_unlock(&sb->lock);
  rc = buf_puts(&res->body, "{\"payload\":{\"data\":[");
  for (size_t i = 0; !rc && i < n; i++) {
    if (i)
      rc = buf_putc(&res->body, ',');
    if (!rc)
      rc = coupons ? sb_bst_coupon_render(a, idx[i], &ks[i], &res->body)
                   : sb_bst_campaign_render(a, idx[i], &cs[i], &res->body);
  }
  if (!rc) {
    pagination(&res->body, count, &q);
    rc = buf_puts(&res->body, ",\"summary\":{}}}");
  }
  free(cs);
  free(ks);
  free(idx);
  if (rc)
    out_of_memory(res);
}

/* ---- performance ---- */

static int sum_cmp(const void *x, const void *y) {
  const struct sb_bst_sum *a = x, *b = y;
  return a->code < b->code ? -1 : a->code > b->code;
}

static void money(struct buf *b, const char *key, int64_t minor, int comma) {
  buf_printf(b, "%s\"%s\":\"%s%lld.%02lld\"", comma ? "," : "", key, minor < 0 ? "-" : "",
             (long long)(llabs(minor) / 100), (long long)(llabs(minor) % 100));
}

static void performance(struct sandbox *sb, struct sb_aff_account *a, const struct sb_params *p,
                        struct sb_response *res) {
  struct page_q q;
  int32_t from, to;
  int64_t campaign = -1;
  const char *v;
  int rc = MS_OK;
  if (ymd(p, "from", &from, res) || ymd(p, "to", &to, res) || page_parse(p, &q, res))
    return;
  if (to < from) {
    invalid(res, "to", "The to must be a date after or equal to from.");
    return;
  }
  if ((v = sb_params_get(p, "campaign_id"))) {
    long n;
    if (whole(v, 4000000000L, &n)) {
      invalid(res, "campaign_id", "The campaign id must be an integer.");
      return;
    }
    campaign = n;
  }
  struct sb_bst_sum *sums = NULL, total;
  int32_t *slot = NULL;
  size_t nsums = 0;
  memset(&total, 0, sizeof(total));
  pthread_mutex_lock(&sb->lock);
  size_t lo = sb_bst_rows_from(a, from), hi = sb_bst_rows_from(a, to + 1);
  slot = malloc((a->ncoupons + 1) * sizeof(*slot));
  sums = malloc((hi - lo + 1) * sizeof(*sums));
  if (slot && sums) {
    for (size_t i = 0; i < a->ncoupons; i++)
      slot[i] = -1;
    for (size_t i = lo; i < hi; i++) {
      const struct sb_bst_row *r = &a->rows[i];
      if (campaign >= 0 && (int64_t)sb_aff_campaign_id(a, a->coupons[r->code].campaign) != campaign)
        continue;
      if (slot[r->code] < 0) {
        slot[r->code] = (int32_t)nsums;
        memset(&sums[nsums], 0, sizeof(sums[0]));
        sums[nsums++].code = r->code;
      }
      sb_bst_sum_add(a, &sums[slot[r->code]], r);
    }
  } else {
    rc = MS_ENOMEM;
  }
  pthread_mutex_unlock(&sb->lock);
  free(slot);
  if (rc) {
    free(sums);
    out_of_memory(res);
    return;
  }
  qsort(sums, nsums, sizeof(*sums), sum_cmp);
  for (size_t i = 0; i < nsums; i++) {
    total.orders += sums[i].orders;
    total.net_orders += sums[i].net_orders;
    total.revenue += sums[i].revenue;
    total.net_revenue += sums[i].net_revenue;
    total.sales_usd += sums[i].sales_usd;
  }
  rc = buf_puts(&res->body, "{\"payload\":{\"data\":[");
  for (size_t i = first_on_page(&q), n = 0; !rc && i < nsums && n < (size_t)q.limit; i++, n++) {
    if (n)
      rc = buf_putc(&res->body, ',');
    if (!rc)
      rc = sb_bst_perf_render(a, &sums[i], NULL, &res->body);
  }
  if (!rc) {
    pagination(&res->body, nsums, &q);
    buf_printf(&res->body, ",\"summary\":{\"orders\":\"%llu\",\"net_orders\":\"%llu\"",
               (unsigned long long)total.orders, (unsigned long long)total.net_orders);
    money(&res->body, "revenue", total.revenue, 1);
    money(&res->body, "net_revenue", total.net_revenue, 1);
    money(&res->body, "sales_amount_usd", total.sales_usd, 1);
    rc = buf_puts(&res->body, "}}}");
  }
  free(sums);
  if (rc)
    out_of_memory(res);
}

/* ---- throttling ---- */

static void rate_headers(struct sb_response *res, int limit, int remaining) {
  char v[24];
  snprintf(v, sizeof(v), "%d", limit);
  sb_response_header(res, "X-RateLimit-Limit", v);
  snprintf(v, sizeof(v), "%d", remaining);
  sb_response_header(res, "X-RateLimit-Remaining", v);
}

static void retry_after(struct sandbox *sb, struct sb_response *res, double seconds) {
  char v[24];
  long s = (long)ceil(seconds);
  if (s < 1)
    s = 1;
  snprintf(v, sizeof(v), "%ld", s);
  sb_response_header(res, "Retry-After", v);
  snprintf(v, sizeof(v), "%lld", (long long)(sandbox_now(sb) + s));
  sb_response_header(res, "X-RateLimit-Reset", v);
}

static void lockout_answer(struct sandbox *sb, struct sb_response *res, double left) {
  char msg[120];
  double speed = sb->aff->cfg.speed > 0 ? sb->aff->cfg.speed : 1;
  long minutes = (long)ceil(left * speed / 60.0 - 1e-9);
  if (minutes < 1)
    minutes = 1;
  snprintf(msg, sizeof(msg), "Too many attempts, retry after %ld minute%s", minutes,
           minutes == 1 ? "" : "s");
  message(res, 429, msg);
  retry_after(sb, res, left);
}

enum verdict { V_ADMIT, V_THROTTLED, V_LOCKED };

/* Decides under the lock whether a request of the key goes through; a 429
 * beyond lockout_after within a window locks the key out. */
static enum verdict throttle(struct sandbox *sb, struct sb_aff_account *a, int take, double *wait,
                             int *remaining) {
  double now = sandbox_mono();
  *remaining = sb_fwin_remaining(&a->throttle, now);
  if (!sb->aff->rate_limit || !take)
    return V_ADMIT;
  if (sb_fwin_take(&a->throttle, now, wait)) {
    *remaining = sb_fwin_remaining(&a->throttle, now);
    return V_ADMIT;
  }
  *remaining = 0;
  if (sb_rwin_take(&a->abuse, now, NULL))
    return V_THROTTLED;
  a->locked_until =
      now + sb->aff->cfg.lockout_minutes * 60.0 / (sb->aff->cfg.speed > 0 ? sb->aff->cfg.speed : 1);
  a->lockouts++;
  a->abuse.n = 0;
  sb_fwin_init(&a->throttle, a->throttle.limit, a->throttle.window);
  *wait = a->locked_until - now;
  return V_LOCKED;
}

/* ---- the dispatcher ---- */

static void api(struct sandbox *sb, const struct sb_request *req, enum route r,
                struct sb_aff_account **account, struct sb_response *res) {
  struct sb_aff_account *a;
  struct sb_params *p;
  enum verdict verdict;
  double wait = 0, left = 0;
  int fault, remaining, limit;
  if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
    char msg[200];
    snprintf(msg, sizeof(msg),
             "The %.10s method is not supported for route %s. Supported methods: GET, HEAD.",
             req->method, req->path + sizeof(PREFIX));
    sb_response_header(res, "Allow", "GET, HEAD");
    message(res, 405, msg);
    return;
  }
  *account = a = key_account(sb, req->authorization);
  if (!a) {
    message(res, 401, "Unauthenticated.");
    return;
  }
  pthread_mutex_lock(&sb->lock);
  limit = a->throttle.limit;
  if (a->locked_until > 0 && sandbox_mono() >= a->locked_until)
    a->locked_until = 0; /* the lockout is over */
  if (a->locked_until > 0 && sb->aff->rate_limit) {
    left = a->locked_until - sandbox_mono();
    a->throttled++;
    sb->throttled++;
  }
  pthread_mutex_unlock(&sb->lock);
  if (left > 0) {
    lockout_answer(sb, res, left);
    rate_headers(res, limit, 0);
    return;
  }
  /* Drawn before the throttle, as for the shops and sellers. */
  fault = sb_fault_decide_in(sb, &a->faults, SB_API_BOOSTINY, req->path, req->query);
  pthread_mutex_lock(&sb->lock);
  verdict = throttle(sb, a, !fault || sb_fault_counted(fault), &wait, &remaining);
  if ((!fault && verdict != V_ADMIT) || fault == SB_FAULT_429 || fault == SB_FAULT_429_DATE ||
      fault == SB_FAULT_429_BARE) {
    a->throttled++;
    sb->throttled++;
  }
  pthread_mutex_unlock(&sb->lock);
  if (fault && sb_fault_replaces(fault)) {
    sb_aff_fault_answer(sb, fault, SB_API_BOOSTINY, req->path, res);
    rate_headers(res, limit, remaining);
    return;
  }
  if (!fault && verdict == V_LOCKED) {
    lockout_answer(sb, res, wait);
    rate_headers(res, limit, 0);
    return;
  }
  if (!fault && verdict == V_THROTTLED) {
    message(res, 429, "Too Many Attempts.");
    retry_after(sb, res, wait);
    rate_headers(res, limit, 0);
    return;
  }
  rate_headers(res, limit, remaining);
  p = malloc(sizeof(*p));
  if (!p) {
    out_of_memory(res);
    return;
  }
  switch (sb_params_parse(p, req->query)) {
  case SB_PARAMS_OK:
    if (r == R_PERFORMANCE)
      performance(sb, a, p, res);
    else
      catalog(sb, a, r == R_COUPONS, p, res);
    break;
  case SB_PARAMS_TOO_MANY:
    message(res, 400, "Too many query parameters: at most 50 are accepted.");
    break;
  default:
    message(res, 400, "The query string could not be decoded.");
    break;
  }
  free(p);
  if (fault)
    sb_fault_corrupt(fault, res);
}

void sb_boostiny_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res) {
  const char *path = req->path + sizeof(PREFIX) - 1;
  struct sb_aff_account *a = NULL;
  enum route r;
  res->content_type = "application/json";
  if (req->uri_too_long || strlen(req->path) + strlen(req->query) > SB_QUERY_MAX) {
    message(res, 414, "The URL is too long: at most 8192 bytes are accepted.");
  } else if ((r = route(path)) == R_NONE) {
    char msg[200];
    snprintf(msg, sizeof(msg),
             "The route %.80s could not be found. The sandbox serves publisher/campaigns, "
             "publisher/coupons and publisher/performance.",
             *path ? path + 1 : "");
    message(res, 404, msg);
  } else {
    api(sb, req, r, &a, res);
  }
  sb_aff_log(sb, a, req->method, *path ? path : "/", req->query, res);
}
