/* The sandbox's Boostiny: the API key, page lists against the ground truth,
 * performance rows per code and day and summed over ranges, Laravel's
 * validation errors, throttling and lockouts, mutations. Requests go
 * straight through sandbox_handle(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "sandbox/sandbox.h"
#include "sandbox/server.h"
#include "util/tz.h"

#define NOW_TEXT "2026-11-20T12:00:00Z"
#define KEY "sandbox-boostiny-mena"

struct reply {
  int status;           /* HTTP status */
  char retry_after[32]; /* Retry-After, "" if none */
  char limit[32];       /* X-RateLimit-Limit */
  char remaining[32];   /* X-RateLimit-Remaining */
  char date[64];        /* Date */
  struct buf body;      /* the body, streams drained */
  cJSON *json;          /* parsed body, or NULL */
};

static int64_t at(const char *text) {
  int64_t t = 0;
  assert_int_equal(time_parse(text, &t), 0);
  return t;
}

static void reply_free(struct reply *r) {
  buf_release(&r->body);
  cJSON_Delete(r->json);
  memset(r, 0, sizeof(*r));
}

static void header(const struct sb_response *res, const char *name, char *out, size_t len) {
  out[0] = '\0';
  for (int i = 0; i < res->nheaders; i++)
    if (strcmp(res->headers[i].name, name) == 0)
      snprintf(out, len, "%s", res->headers[i].value);
}

static void call(struct sandbox *sb, const char *method, const char *path, const char *query,
                 const char *key, struct reply *r) {
  struct sb_request req;
  struct sb_response res;
  char chunk[65536];
  memset(r, 0, sizeof(*r));
  buf_init(&r->body, 0);
  memset(&req, 0, sizeof(req));
  req.method = method;
  req.path = path;
  req.query = query ? query : "";
  req.authorization = key;
  sb_response_init(&res);
  sandbox_handle(sb, &req, &res);
  r->status = res.status;
  header(&res, "Retry-After", r->retry_after, sizeof(r->retry_after));
  header(&res, "X-RateLimit-Limit", r->limit, sizeof(r->limit));
  header(&res, "X-RateLimit-Remaining", r->remaining, sizeof(r->remaining));
  header(&res, "Date", r->date, sizeof(r->date));
  if (res.stream) {
    ssize_t n;
    while ((n = res.stream(res.stream_ctx, chunk, sizeof(chunk))) > 0)
      buf_append(&r->body, chunk, (size_t)n);
    assert_true(n == 0);
  } else if (res.body.len) {
    buf_append(&r->body, res.body.data, res.body.len);
  }
  sb_response_release(&res);
  r->json = r->body.data ? cJSON_Parse(r->body.data) : NULL;
}

static struct sandbox *make(uint64_t seed, int days, int limit, int lockout_after, double speed) {
  struct sb_config cfg;
  struct sandbox *sb;
  struct err err = {0};
  sb_config_defaults(&cfg);
  cfg.seed = seed;
  cfg.days = days;
  cfg.now = at(NOW_TEXT);
  cfg.log_entries = 10000;
  assert_int_equal(sb_aff_parse_boostiny(&cfg.aff, "mena:40", &err), 0);
  assert_int_equal(sb_aff_parse_boostiny(&cfg.aff, "gulf:20:Asia/Dubai", &err), 0);
  if (limit)
    cfg.aff.boostiny_limit = limit;
  if (lockout_after >= 0)
    cfg.aff.lockout_after = lockout_after;
  cfg.aff.speed = speed;
  if (sandbox_new(&cfg, &sb, &err))
    fail_msg("sandbox_new: %s", err.msg);
  return sb;
}

static cJSON *get(cJSON *o, const char *k) {
  return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(cJSON *o, const char *k) {
  return cJSON_GetStringValue(get(o, k));
}

static double num(cJSON *o, const char *k) {
  return cJSON_GetNumberValue(get(o, k));
}

static cJSON *payload(struct reply *r) {
  return get(r->json, "payload");
}

/* A whole number the API sent as a string; fails the test on anything else. */
static long long whole(const char *s) {
  char *end;
  assert_non_null(s);
  long long v = strtoll(s, &end, 10);
  if (!*s || *end)
    fail_msg("'%s' is not a whole number", s);
  return v;
}

/* "12.34" -> 1234 */
static long long cents(const char *s) {
  long long v = 0;
  int neg = *s == '-';
  for (s += neg; *s; s++)
    if (*s != '.')
      v = v * 10 + (*s - '0');
  return neg ? -v : v;
}

/* Every page of path?query, as Boostiny's public clients read them: done
 * when currentPage * perPage >= total. */
static cJSON *all_pages(struct sandbox *sb, const char *path, const char *query, int limit) {
  cJSON *all = cJSON_CreateArray();
  char q[512];
  for (int page = 1;; page++) {
    struct reply r;
    snprintf(q, sizeof(q), "%s%spage=%d&limit=%d", query, *query ? "&" : "", page, limit);
    call(sb, "GET", path, q, KEY, &r);
    if (r.status != 200)
      fail_msg("%s?%s: %d %s", path, q, r.status, r.body.data);
    cJSON *pg = get(payload(&r), "pagination"), *it;
    assert_int_equal((int)num(pg, "currentPage"), page);
    assert_int_equal((int)num(pg, "perPage"), limit);
    cJSON_ArrayForEach(it, get(payload(&r), "data"))
        cJSON_AddItemToArray(all, cJSON_Duplicate(it, 1));
    int total = (int)num(pg, "total");
    reply_free(&r);
    assert_true(page < 100000);
    if (page * limit >= total) {
      assert_int_equal(cJSON_GetArraySize(all), total);
      break;
    }
  }
  return all;
}

static cJSON *truth(struct sandbox *sb, const char *query) {
  struct reply r;
  cJSON *all = cJSON_CreateArray();
  call(sb, "GET", "/_sandbox/truth", query, NULL, &r);
  assert_int_equal(r.status, 200);
  for (char *line = r.body.data, *nl; line && *line; line = nl + 1) {
    nl = strchr(line, '\n');
    assert_non_null(nl);
    *nl = '\0';
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j);
    cJSON_AddItemToArray(all, j);
  }
  reply_free(&r);
  return all;
}

static void assert_same(cJSON *a, cJSON *b) {
  char *x = cJSON_PrintUnformatted(a), *y = cJSON_PrintUnformatted(b);
  if (strcmp(x, y) != 0) {
    size_t i = 0;
    while (x[i] && x[i] == y[i])
      i++;
    fail_msg("differ at %zu: ...%.80s vs ...%.80s", i, x + (i > 20 ? i - 20 : 0),
             y + (i > 20 ? i - 20 : 0));
  }
  free(x);
  free(y);
}

/* ---- the key ---- */

static void test_auth(void **state) {
  struct sandbox *sb = make(1, 3, 0, -1, 1);
  struct reply r;
  static const char *const bad[] = {NULL, "", "sandbox-boostiny-men", "Bearer " KEY, KEY "x"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    call(sb, "GET", "/boostiny/publisher/campaigns", "", bad[i], &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(r.body.data, "{\"message\":\"Unauthenticated.\"}");
    reply_free(&r);
  }
  call(sb, "GET", "/boostiny/publisher/campaigns", "", KEY, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.limit, "60");
  assert_string_equal(r.remaining, "59");
  assert_non_null(strstr(r.date, "Nov 2026 12:00"));
  reply_free(&r);
  /* The other account's key sees its own data. */
  call(sb, "GET", "/boostiny/publisher/campaigns", "limit=1", "sandbox-boostiny-gulf", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.remaining, "59");
  reply_free(&r);
  call(sb, "POST", "/boostiny/publisher/campaigns", "", KEY, &r);
  assert_int_equal(r.status, 405);
  assert_non_null(strstr(str(r.json, "message"), "POST method is not supported"));
  reply_free(&r);
  call(sb, "GET", "/boostiny/publisher/orders", "", KEY, &r);
  assert_int_equal(r.status, 404);
  reply_free(&r);
  sandbox_free(sb);
}

/* ---- lists against the truth ---- */

static void test_paging_equals_truth(void **state) {
  struct sandbox *sb = make(7, 14, 0, -1, 1);
  static const char *const lists[][2] = {{"/boostiny/publisher/campaigns", "resource=campaigns"},
                                         {"/boostiny/publisher/coupons", "resource=coupons"}};
  for (size_t k = 0; k < 2; k++) {
    char q[64];
    snprintf(q, sizeof(q), "boostiny=mena&%s", lists[k][1]);
    cJSON *api = all_pages(sb, lists[k][0], "", 7), *t = truth(sb, q);
    assert_true(cJSON_GetArraySize(t) >= 16);
    assert_same(api, t);
    cJSON_Delete(api);
    cJSON_Delete(t);
  }
  /* One day, page by page, equals that day's truth (without its date member). */
  cJSON *api = all_pages(sb, "/boostiny/publisher/performance", "from=2026-11-18&to=2026-11-18", 9);
  cJSON *t = truth(sb, "boostiny=mena&resource=performance&from=2026-11-18&to=2026-11-18"), *it;
  assert_true(cJSON_GetArraySize(t) >= 25);
  cJSON_ArrayForEach(it, t) {
    assert_string_equal(str(it, "date"), "2026-11-18");
    cJSON_DeleteItemFromObjectCaseSensitive(it, "date");
  }
  assert_same(api, t);
  /* All strings, codes ascending. */
  double prev = 0;
  cJSON_ArrayForEach(it, api) {
    static const char *const fields[] = {
        "code",         "code_id",          "campaign_id",    "campaign_name",
        "orders",       "net_orders",       "revenue",        "net_revenue",
        "sales_amount", "sales_amount_usd", "last_updated_at"};
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
      assert_true(cJSON_IsString(get(it, fields[f])));
    assert_true((double)whole(str(it, "code_id")) > prev);
    prev = (double)whole(str(it, "code_id"));
    assert_true((int)whole(str(it, "net_orders")) <= (int)whole(str(it, "orders")));
  }
  cJSON_Delete(api);
  cJSON_Delete(t);
  /* A range sums the days, per code; the summary sums the rows. */
  api = all_pages(sb, "/boostiny/publisher/performance", "from=2026-11-10&to=2026-11-19", 50);
  t = truth(sb, "boostiny=mena&resource=performance&from=2026-11-10&to=2026-11-19");
  long long orders = 0, revenue = 0, t_orders = 0, t_revenue = 0;
  cJSON_ArrayForEach(it, api) {
    long long o = 0, rv = 0;
    const char *last = "";
    cJSON *d;
    cJSON_ArrayForEach(d, t) if (strcmp(str(d, "code"), str(it, "code")) == 0) {
      o += whole(str(d, "orders"));
      rv += cents(str(d, "revenue"));
      if (strcmp(str(d, "last_updated_at"), last) > 0)
        last = str(d, "last_updated_at");
    }
    assert_int_equal(whole(str(it, "orders")), o);
    assert_int_equal(cents(str(it, "revenue")), rv);
    assert_string_equal(str(it, "last_updated_at"), last);
    orders += o;
    revenue += rv;
  }
  cJSON_ArrayForEach(it, t) {
    t_orders += whole(str(it, "orders"));
    t_revenue += cents(str(it, "revenue"));
  }
  assert_int_equal(orders, t_orders);
  assert_int_equal(revenue, t_revenue);
  struct reply r;
  call(sb, "GET", "/boostiny/publisher/performance", "from=2026-11-10&to=2026-11-19&limit=1", KEY,
       &r);
  cJSON *summary = get(payload(&r), "summary");
  assert_int_equal(whole(str(summary, "orders")), t_orders);
  assert_int_equal(cents(str(summary, "revenue")), t_revenue);
  assert_int_equal((int)num(get(payload(&r), "pagination"), "lastPage"), cJSON_GetArraySize(api));
  reply_free(&r);
  cJSON_Delete(api);
  cJSON_Delete(t);
  /* Days outside the history are empty, not errors. */
  call(sb, "GET", "/boostiny/publisher/performance", "from=2020-01-01&to=2020-01-31", KEY, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal((int)num(get(payload(&r), "pagination"), "total"), 0);
  assert_int_equal((int)num(get(payload(&r), "pagination"), "lastPage"), 1);
  reply_free(&r);
  sandbox_free(sb);
}

/* ---- validation ---- */

static void test_bad_parameters(void **state) {
  struct sandbox *sb = make(1, 3, 1000, -1, 1);
  struct reply r;
  static const struct {
    const char *query; /* sent */
    const char *field; /* the error names it */
  } bad[] = {{"to=2026-11-19", "from"},
             {"from=2026-11-19", "to"},
             {"from=19.11.2026&to=2026-11-19", "from"},
             {"from=2026-11-19&to=2026-11-31", "to"},
             {"from=2026-11-19&to=2026-11-18", "to"},
             {"from=2026-11-19&to=2026-11-19&limit=0", "limit"},
             {"from=2026-11-19&to=2026-11-19&limit=501", "limit"},
             {"from=2026-11-19&to=2026-11-19&page=0", "page"},
             {"from=2026-11-19&to=2026-11-19&page=x", "page"}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    call(sb, "GET", "/boostiny/publisher/performance", bad[i].query, KEY, &r);
    if (r.status != 422)
      fail_msg("%s: %d", bad[i].query, r.status);
    cJSON *errs = get(get(r.json, "errors"), bad[i].field);
    assert_true(cJSON_IsArray(errs));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(errs, 0)), str(r.json, "message"));
    reply_free(&r);
  }
  call(sb, "GET", "/boostiny/publisher/coupons", "limit=9999", KEY, &r);
  assert_int_equal(r.status, 422);
  reply_free(&r);
  /* Filtering by campaign. */
  char q[128];
  snprintf(q, sizeof(q), "from=2026-11-17&to=2026-11-19&limit=500&campaign_id=%u",
           sb_aff_campaign_id(&sb->aff->accounts[0], 1));
  call(sb, "GET", "/boostiny/publisher/performance", q, KEY, &r);
  assert_int_equal(r.status, 200);
  cJSON *it;
  cJSON_ArrayForEach(it, get(payload(&r), "data")) assert_int_equal(
      (int)whole(str(it, "campaign_id")), sb_aff_campaign_id(&sb->aff->accounts[0], 1));
  reply_free(&r);
  sandbox_free(sb);
}

/* ---- throttling ---- */

static void test_throttle(void **state) {
  /* 5 requests in a window of 60 / 60 = 1 s; no lockout here. */
  struct sandbox *sb = make(1, 1, 5, 1000, 60);
  struct reply r;
  char want[8];
  for (int i = 0; i < 5; i++) {
    call(sb, "GET", "/boostiny/publisher/campaigns", "limit=1", KEY, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.limit, "5");
    snprintf(want, sizeof(want), "%d", 4 - i);
    assert_string_equal(r.remaining, want);
    reply_free(&r);
  }
  call(sb, "GET", "/boostiny/publisher/campaigns", "limit=1", KEY, &r);
  assert_int_equal(r.status, 429);
  assert_string_equal(r.body.data, "{\"message\":\"Too Many Attempts.\"}");
  assert_string_equal(r.retry_after, "1");
  assert_string_equal(r.remaining, "0");
  reply_free(&r);
  /* Each key has its own window. */
  call(sb, "GET", "/boostiny/publisher/campaigns", "limit=1", "sandbox-boostiny-gulf", &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  usleep(1050000);
  call(sb, "GET", "/boostiny/publisher/campaigns", "limit=1", KEY, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.remaining, "4");
  reply_free(&r);
  assert_int_equal(sb->aff->accounts[0].throttled, 1);
  assert_int_equal(sb->aff->accounts[0].lockouts, 0);
  sandbox_free(sb);
}

static void test_lockout(void **state) {
  /* 2 requests a window of 60 / 120 = 0.5 s; more than 3 429s in a window
   * lock the key out for 10 minutes / 120 = 5 s. */
  struct sandbox *sb = make(1, 1, 2, 3, 120);
  struct reply r;
  int statuses[8];
  for (int i = 0; i < 6; i++) {
    call(sb, "GET", "/boostiny/publisher/coupons", "limit=1", KEY, &r);
    statuses[i] = r.status;
    if (i == 5) {
      /* The fourth 429 in a row is the lockout. */
      assert_string_equal(str(r.json, "message"), "Too many attempts, retry after 10 minutes");
      assert_in_range((int)whole(r.retry_after), 4, 5);
    }
    reply_free(&r);
  }
  assert_int_equal(statuses[0], 200);
  assert_int_equal(statuses[1], 200);
  for (int i = 2; i < 6; i++)
    assert_int_equal(statuses[i], 429);
  assert_int_equal(sb->aff->accounts[0].lockouts, 1);
  /* While locked out, every request is refused, even after the window passed. */
  usleep(600000);
  call(sb, "GET", "/boostiny/publisher/campaigns", "", KEY, &r);
  assert_int_equal(r.status, 429);
  assert_non_null(strstr(str(r.json, "message"), "retry after"));
  assert_in_range((int)whole(r.retry_after), 1, 5);
  reply_free(&r);
  call(sb, "GET", "/_sandbox/stats", "", NULL, &r);
  cJSON *acc = get(get(r.json, "boostiny"), "mena");
  assert_int_equal((int)num(acc, "lockouts"), 1);
  assert_true(cJSON_IsTrue(get(acc, "locked")));
  assert_int_equal((int)num(get(get(r.json, "boostiny"), "gulf"), "lockouts"), 0);
  reply_free(&r);
  /* The other key is not affected. */
  call(sb, "GET", "/boostiny/publisher/campaigns", "", "sandbox-boostiny-gulf", &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  /* The admin endpoint ends a lockout at once. */
  call(sb, "POST", "/_sandbox/boostiny/unlock", "boostiny=mena", NULL, &r);
  assert_string_equal(r.body.data, "{\"boostiny\":{\"mena\":{\"was_locked\":true}}}");
  reply_free(&r);
  call(sb, "GET", "/boostiny/publisher/campaigns", "", KEY, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  sandbox_free(sb);

  /* And it ends by itself: 10 minutes / 600 = 1 s. */
  sb = make(1, 1, 1, 0, 600);
  call(sb, "GET", "/boostiny/publisher/campaigns", "", KEY, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  call(sb, "GET", "/boostiny/publisher/campaigns", "", KEY, &r);
  assert_int_equal(r.status, 429); /* lockout_after 0: the first 429 locks out */
  assert_non_null(strstr(str(r.json, "message"), "retry after 10 minutes"));
  reply_free(&r);
  usleep(1100000);
  call(sb, "GET", "/boostiny/publisher/campaigns", "", KEY, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  sandbox_free(sb);
}

/* A client that keeps to the limit never triggers a lockout. */
static void test_polite_client(void **state) {
  struct sandbox *sb = make(1, 10, 10, -1, 600); /* 10 a window of 0.1 s */
  struct reply r;
  int pages = 0;
  for (int page = 1;; page++) {
    char q[96];
    snprintf(q, sizeof(q), "from=2026-11-11&to=2026-11-20&page=%d&limit=3", page);
    call(sb, "GET", "/boostiny/publisher/performance", q, KEY, &r);
    assert_int_equal(r.status, 200);
    cJSON *pg = get(payload(&r), "pagination");
    int done = num(pg, "currentPage") * num(pg, "perPage") >= num(pg, "total");
    reply_free(&r);
    pages++;
    usleep(12000); /* 10 per 0.1 s */
    if (done)
      break;
  }
  assert_true(pages > 10);
  call(sb, "GET", "/_sandbox/stats", "", NULL, &r);
  assert_int_equal((int)num(get(get(r.json, "boostiny"), "mena"), "lockouts"), 0);
  reply_free(&r);
  sandbox_free(sb);
}

/* ---- changes ---- */

static void test_mutations(void **state) {
  struct sandbox *sb = make(5, 60, 0, -1, 1);
  struct sb_aff_account *a = &sb->aff->accounts[0];
  struct reply r;
  sb->cfg.now += 3600; /* an hour on: every change is newer than the data */
  char now_text[20];
  sb_aff_local(a, sandbox_now(sb), now_text);
  cJSON *before = truth(sb, "boostiny=mena&resource=performance");
  call(sb, "POST", "/_sandbox/mutate", "boostiny=mena&update=30&create=5", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body.data, "{\"updated\":30,\"created\":5,\"deleted\":0}");
  reply_free(&r);
  cJSON *after = truth(sb, "boostiny=mena&resource=performance"), *it;
  assert_int_equal(cJSON_GetArraySize(after), cJSON_GetArraySize(before) + 5);
  int changed = 0, added = 0;
  cJSON_ArrayForEach(it, after) {
    if (strncmp(str(it, "last_updated_at"), now_text, 13) != 0)
      continue; /* untouched: the same hour cannot hold generated data */
    cJSON *old = NULL, *o;
    cJSON_ArrayForEach(o, before) if (strcmp(str(o, "date"), str(it, "date")) == 0 &&
                                      strcmp(str(o, "code"), str(it, "code")) == 0) old = o;
    if (!old) {
      added++;
      assert_string_equal(str(it, "date"), "2026-11-20");
      continue;
    }
    changed++;
    assert_true(strcmp(str(old, "orders"), str(it, "orders")) != 0 ||
                strcmp(str(old, "net_orders"), str(it, "net_orders")) != 0);
    /* Only rows of the last 45 days change. */
    assert_true(strcmp(str(it, "date"), "2026-10-07") >= 0);
  }
  assert_int_equal(added, 5);
  assert_in_range(changed, 1, 30); /* a row may change twice */
  cJSON_Delete(before);
  cJSON_Delete(after);
  /* A narrower window: only the last 2 days change. */
  before = truth(sb, "boostiny=mena&resource=performance&to=2026-11-18");
  call(sb, "POST", "/_sandbox/mutate", "boostiny=mena&update=10&days=2", NULL, &r);
  assert_string_equal(r.body.data, "{\"updated\":10,\"created\":0,\"deleted\":0}");
  reply_free(&r);
  after = truth(sb, "boostiny=mena&resource=performance&to=2026-11-18");
  assert_same(before, after);
  cJSON_Delete(before);
  cJSON_Delete(after);
  /* Campaigns and coupons: updated ones show the new updated_at. */
  call(sb, "POST", "/_sandbox/mutate",
       "boostiny=mena&resource=campaigns&update=3&create=1&delete=2", NULL, &r);
  assert_string_equal(r.body.data, "{\"updated\":3,\"created\":1,\"deleted\":2}");
  reply_free(&r);
  cJSON *camps = all_pages(sb, "/boostiny/publisher/campaigns", "", 100);
  int fresh = 0;
  cJSON_ArrayForEach(it, camps) fresh += strncmp(str(it, "updated_at"), now_text, 13) == 0;
  assert_in_range(fresh, 2, 4); /* 3 updated (maybe one twice) and 1 created, minus deleted */
  cJSON_Delete(camps);
  call(sb, "POST", "/_sandbox/mutate", "boostiny=mena&resource=performance&delete=1", NULL, &r);
  assert_int_equal(r.status, 400);
  reply_free(&r);
  call(sb, "POST", "/_sandbox/mutate", "boostiny=mena&resource=actions&update=1", NULL, &r);
  assert_int_equal(r.status, 400);
  reply_free(&r);
  call(sb, "POST", "/_sandbox/mutate", "boostiny=nobody&update=1", NULL, &r);
  assert_int_equal(r.status, 404);
  reply_free(&r);
  call(sb, "POST", "/_sandbox/mutate", "boostiny=mena&admitad=mena&update=1", NULL, &r);
  assert_int_equal(r.status, 400);
  reply_free(&r);
  sandbox_free(sb);
}

static void test_determinism(void **state) {
  struct sandbox *a = make(11, 8, 0, -1, 1), *b = make(11, 8, 0, -1, 1), *c = make(12, 8, 0, -1, 1);
  static const char *const what[] = {"boostiny=mena&resource=performance",
                                     "boostiny=gulf&resource=campaigns",
                                     "boostiny=mena&resource=coupons"};
  for (size_t k = 0; k < 3; k++) {
    struct reply x, y, z;
    call(a, "GET", "/_sandbox/truth", what[k], NULL, &x);
    call(b, "GET", "/_sandbox/truth", what[k], NULL, &y);
    call(c, "GET", "/_sandbox/truth", what[k], NULL, &z);
    assert_true(x.body.len > 1000);
    assert_string_equal(x.body.data, y.body.data);
    assert_string_not_equal(x.body.data, z.body.data);
    reply_free(&x);
    reply_free(&y);
    reply_free(&z);
  }
  sandbox_free(a);
  sandbox_free(b);
  sandbox_free(c);
}

static void test_faults(void **state) {
  struct sandbox *sb = make(1, 2, 3, -1, 1);
  struct reply r;
  call(sb, "POST", "/_sandbox/faults/plan", "boostiny=mena&kind=500", NULL, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  call(sb, "POST", "/_sandbox/faults/plan", "boostiny=mena&kind=expired", NULL, &r);
  assert_int_equal(r.status, 400); /* API keys do not expire */
  reply_free(&r);
  call(sb, "GET", "/boostiny/publisher/coupons", "", KEY, &r);
  assert_int_equal(r.status, 500);
  assert_non_null(strstr(str(r.json, "message"), "Server Error"));
  assert_string_equal(r.remaining, "2"); /* a 500 was admitted first */
  reply_free(&r);
  call(sb, "POST", "/_sandbox/faults/plan", "boostiny=mena&kind=429", NULL, &r);
  reply_free(&r);
  call(sb, "GET", "/boostiny/publisher/coupons", "", KEY, &r);
  assert_int_equal(r.status, 429);
  assert_string_equal(r.retry_after, "2");
  assert_string_equal(r.body.data, "{\"message\":\"Too Many Attempts.\"}");
  assert_string_equal(r.remaining, "2"); /* an injected 429 takes no slot */
  reply_free(&r);
  call(sb, "POST", "/_sandbox/faults/plan", "boostiny=mena&kind=shape", NULL, &r);
  reply_free(&r);
  call(sb, "GET", "/boostiny/publisher/coupons", "", KEY, &r);
  assert_int_equal(r.status, 200);
  assert_true(cJSON_IsObject(get(payload(&r), "data")));
  reply_free(&r);
  assert_int_equal(sb->aff->accounts[0].faults.counts[SB_FAULT_500], 1);
  assert_int_equal(sb->aff->accounts[0].throttled, 1);
  call(sb, "GET", "/_sandbox/requests", "boostiny=mena", NULL, &r);
  assert_non_null(strstr(r.body.data, "\"shop\":\"mena\",\"method\":\"GET\",\"path\":"
                                      "\"/publisher/coupons\",\"query\":\"\",\"status\":500,"
                                      "\"fault\":\"500\"}"));
  reply_free(&r);
  call(sb, "GET", "/_sandbox/faults", "", NULL, &r);
  assert_non_null(get(get(r.json, "boostiny"), "mena"));
  reply_free(&r);
  sandbox_free(sb);
}

/* ---- over the wire ---- */

struct wire {
  struct buf body; /* the body */
  char date[64];   /* Date, as the server sent it */
  int dates;       /* Date headers seen */
  char limit[32];  /* X-RateLimit-Limit */
};

static size_t wire_header(char *p, size_t size, size_t n, void *ud) {
  struct wire *w = ud;
  size_t len = size * n;
  if (len > 6 && strncasecmp(p, "Date: ", 6) == 0) {
    snprintf(w->date, sizeof(w->date), "%.*s", (int)(len - 8), p + 6);
    w->dates++;
  }
  if (len > 19 && strncasecmp(p, "X-RateLimit-Limit: ", 19) == 0)
    snprintf(w->limit, sizeof(w->limit), "%.*s", (int)(len - 21), p + 19);
  return len;
}

static size_t wire_body(char *p, size_t size, size_t n, void *ud) {
  buf_append(ud, p, size * n);
  return size * n;
}

static long fetch(CURL *c, const char *url, const char *header, const char *userpwd,
                  const char *form, struct wire *w) {
  struct curl_slist *hl = header ? curl_slist_append(NULL, header) : NULL;
  long status = 0;
  buf_reset(&w->body);
  w->date[0] = w->limit[0] = '\0';
  w->dates = 0;
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  if (userpwd)
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
  if (form)
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, wire_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, w);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, wire_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &w->body);
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hl);
  return status;
}

/* The Authorization header reaches both networks through the server, and
 * the one Date header is the world's clock, not the machine's. */
static void test_wire(void **state) {
  struct sb_config cfg;
  struct sandbox *sb;
  struct sb_server *srv;
  struct err err = {0};
  struct wire w;
  char url[256], bearer[128];
  CURL *c = curl_easy_init();
  sb_config_defaults(&cfg);
  cfg.days = 2;
  cfg.now = at("2031-03-04T05:06:07Z");
  assert_int_equal(sb_aff_parse_boostiny(&cfg.aff, "mena", &err), 0);
  assert_int_equal(sb_aff_parse_admitad(&cfg.aff, "pubone", &err), 0);
  if (sandbox_new(&cfg, &sb, &err) || sb_server_start(sb, &srv, &err))
    fail_msg("sandbox: %s", err.msg);
  buf_init(&w.body, 0);
  snprintf(url, sizeof(url), "%s/boostiny/publisher/coupons?limit=2", sb->base_url);
  assert_int_equal(fetch(c, url, "Authorization: " KEY, NULL, NULL, &w), 200);
  assert_int_equal(w.dates, 1);
  assert_non_null(strstr(w.date, "Tue, 04 Mar 2031 05:06:"));
  assert_string_equal(w.limit, "60");
  assert_int_equal(fetch(c, url, "Authorization: wrong", NULL, NULL, &w), 401);
  assert_int_equal(fetch(c, url, NULL, NULL, NULL, &w), 401);
  snprintf(url, sizeof(url), "%s/admitad/token/", sb->base_url);
  assert_int_equal(fetch(c, url, NULL, "sandbox-admitad-pubone:sandbox-admitad-secret-pubone",
                         "grant_type=client_credentials&scope=websites", &w),
                   200);
  cJSON *j = cJSON_Parse(w.body.data);
  snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", str(j, "access_token"));
  cJSON_Delete(j);
  snprintf(url, sizeof(url), "%s/admitad/websites/v2/?limit=1", sb->base_url);
  assert_int_equal(fetch(c, url, bearer, NULL, NULL, &w), 200);
  assert_non_null(strstr(w.date, "Mar 2031"));
  assert_int_equal(w.dates, 1);
  buf_release(&w.body);
  curl_easy_cleanup(c);
  sb_server_stop(srv);
  sandbox_free(sb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_auth),           cmocka_unit_test(test_paging_equals_truth),
      cmocka_unit_test(test_bad_parameters), cmocka_unit_test(test_throttle),
      cmocka_unit_test(test_lockout),        cmocka_unit_test(test_polite_client),
      cmocka_unit_test(test_mutations),      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_faults),         cmocka_unit_test(test_wire),
  };
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
