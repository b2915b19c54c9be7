/* The sandbox's Admitad: tokens, the actions, programmes and coupons lists
 * against the ground truth, local-time filters, the rate limit, mutations,
 * faults. Requests go straight through sandbox_handle(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "sandbox/sandbox.h"
#include "util/tz.h"

#define NOW_TEXT "2026-11-20T12:00:00Z"
#define CLIENT "sandbox-admitad-pubone"
#define SECRET "sandbox-admitad-secret-pubone"
#define ALL_SCOPES "statistics advcampaigns_for_website coupons_for_website websites"

struct reply {
  int status;      /* HTTP status */
  char date[64];   /* Date header */
  char allow[64];  /* Allow header */
  struct buf body; /* the body, streams drained */
  cJSON *json;     /* parsed body (first line of JSONL), or NULL */
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

static void call(struct sandbox *sb, const char *method, const char *path, const char *query,
                 const char *auth, const char *body, struct reply *r) {
  struct sb_request req;
  struct sb_response res;
  char chunk[65536];
  memset(r, 0, sizeof(*r));
  buf_init(&r->body, 0);
  memset(&req, 0, sizeof(req));
  req.method = method;
  req.path = path;
  req.query = query ? query : "";
  req.authorization = auth;
  req.body = body;
  req.body_len = body ? strlen(body) : 0;
  sb_response_init(&res);
  sandbox_handle(sb, &req, &res);
  r->status = res.status;
  for (int i = 0; i < res.nheaders; i++) {
    if (strcmp(res.headers[i].name, "Date") == 0)
      snprintf(r->date, sizeof(r->date), "%s", res.headers[i].value);
    if (strcmp(res.headers[i].name, "Allow") == 0)
      snprintf(r->allow, sizeof(r->allow), "%s", res.headers[i].value);
  }
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

static struct sandbox *make(uint64_t seed, int days, int lifetime, int limit, double speed) {
  struct sb_config cfg;
  struct sandbox *sb;
  struct err err = {0};
  sb_config_defaults(&cfg);
  cfg.seed = seed;
  cfg.days = days;
  cfg.now = at(NOW_TEXT);
  cfg.log_entries = 10000;
  assert_int_equal(sb_aff_parse_admitad(&cfg.aff, "pubone:60", &err), 0);
  assert_int_equal(sb_aff_parse_admitad(&cfg.aff, "ber:40:Europe/Berlin", &err), 0);
  if (lifetime)
    cfg.aff.token_lifetime = lifetime;
  if (limit)
    cfg.aff.admitad_limit = limit;
  cfg.aff.speed = speed;
  if (sandbox_new(&cfg, &sb, &err))
    fail_msg("sandbox_new: %s", err.msg);
  return sb;
}

static const char *str(cJSON *o, const char *k) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static double num(cJSON *o, const char *k) {
  return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void b64(const char *in, char *out) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen(in), o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
    if (i + 1 < n)
      v |= (uint32_t)(unsigned char)in[i + 1] << 8;
    if (i + 2 < n)
      v |= (unsigned char)in[i + 2];
    out[o++] = t[v >> 18 & 63];
    out[o++] = t[v >> 12 & 63];
    out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? t[v & 63] : '=';
  }
  out[o] = '\0';
}

static void basic(const char *id, const char *secret, char *out, size_t len) {
  char pair[300], enc[420];
  snprintf(pair, sizeof(pair), "%s:%s", id, secret);
  b64(pair, enc);
  snprintf(out, len, "Basic %s", enc);
}

/* A token of account NAME with these scopes; "Bearer ..." in out. */
static void grant(struct sandbox *sb, const char *name, const char *scope, char *out, size_t len,
                  char *refresh, size_t rlen) {
  char auth[512], body[400], id[64], secret[80];
  struct reply r;
  snprintf(id, sizeof(id), "sandbox-admitad-%s", name);
  snprintf(secret, sizeof(secret), "sandbox-admitad-secret-%s", name);
  basic(id, secret, auth, sizeof(auth));
  snprintf(body, sizeof(body), "grant_type=client_credentials&client_id=%s&scope=%s", id, scope);
  call(sb, "POST", "/admitad/token/", "", auth, body, &r);
  assert_int_equal(r.status, 200);
  snprintf(out, len, "Bearer %s", str(r.json, "access_token"));
  if (refresh)
    snprintf(refresh, rlen, "%s", str(r.json, "refresh_token"));
  reply_free(&r);
}

static int error_code(struct reply *r) {
  cJSON *c = cJSON_GetObjectItemCaseSensitive(r->json, "error_code");
  return c ? (int)cJSON_GetNumberValue(c) : -1;
}

/* ---- tokens ---- */

static void test_token_grant(void **state) {
  struct sandbox *sb = make(1, 3, 0, 0, 1);
  struct reply r;
  char auth[512], bad[512], body[400], refresh[200], bearer[200];
  basic(CLIENT, SECRET, auth, sizeof(auth));
  basic(CLIENT, "wrong", bad, sizeof(bad));

  call(sb, "POST", "/admitad/token/", "", auth,
       "grant_type=client_credentials&client_id=" CLIENT "&scope=statistics+websites+nonsense", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(str(r.json, "token_type"), "bearer");
  assert_int_equal((int)num(r.json, "expires_in"), 604800);
  assert_string_equal(str(r.json, "scope"), "statistics websites"); /* known ones only */
  assert_string_equal(str(r.json, "username"), "pubone");
  assert_string_equal(str(r.json, "group"), "webmaster");
  assert_true(num(r.json, "id") > 0);
  assert_int_equal(strlen(str(r.json, "access_token")), 72);
  assert_string_not_equal(str(r.json, "access_token"), str(r.json, "refresh_token"));
  assert_non_null(strstr(r.date, "Nov 2026"));
  snprintf(refresh, sizeof(refresh), "%s", str(r.json, "refresh_token"));
  snprintf(bearer, sizeof(bearer), "Bearer %s", str(r.json, "access_token"));
  reply_free(&r);

  /* The token works where its scope allows, and only there. */
  call(sb, "GET", "/admitad/websites/v2/", "limit=1", bearer, NULL, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  call(sb, "GET", "/admitad/coupons/website/1/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 403);
  assert_string_equal(str(r.json, "error"), "insufficient_scope");
  assert_int_equal(error_code(&r), 2);
  reply_free(&r);

  static const struct {
    const char *auth; /* Authorization */
    const char *body; /* form */
    int status;       /* answer */
    const char *error;
  } cases[] = {
      {NULL, "grant_type=client_credentials&client_id=" CLIENT "&scope=statistics", 401,
       "invalid_client"},
      {"BAD", "grant_type=client_credentials&client_id=" CLIENT "&scope=statistics", 401,
       "invalid_client"},
      {"AUTH", "grant_type=client_credentials&client_id=other&scope=statistics", 401,
       "invalid_client"},
      {"AUTH", "client_id=" CLIENT "&scope=statistics", 400, "invalid_request"},
      {"AUTH", "grant_type=password&client_id=" CLIENT, 400, "unsupported_grant_type"},
      {"AUTH", "grant_type=client_credentials&client_id=" CLIENT "&scope=banners", 400,
       "invalid_scope"},
      {"AUTH", "grant_type=client_credentials&client_id=" CLIENT, 400, "invalid_scope"},
      {"AUTH", "{\"grant_type\":\"client_credentials\"}", 400, "invalid_request"},
      {NULL, "grant_type=refresh_token&client_id=" CLIENT "&client_secret=" SECRET, 400,
       "invalid_request"},
      {NULL, "grant_type=refresh_token&client_id=" CLIENT "&client_secret=x&refresh_token=x", 401,
       "invalid_client"},
      {NULL,
       "grant_type=refresh_token&client_id=" CLIENT "&client_secret=" SECRET "&refresh_token=ab",
       400, "invalid_grant"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *h = !cases[i].auth ? NULL : strcmp(cases[i].auth, "AUTH") == 0 ? auth : bad;
    call(sb, "POST", "/admitad/token/", "", h, cases[i].body, &r);
    if (r.status != cases[i].status)
      fail_msg("case %zu: %d %s", i, r.status, r.body.data);
    assert_string_equal(str(r.json, "error"), cases[i].error);
    assert_true(strlen(str(r.json, "error_description")) > 10);
    reply_free(&r);
  }
  call(sb, "GET", "/admitad/token/", "", auth, NULL, &r);
  assert_int_equal(r.status, 405);
  assert_string_equal(r.allow, "POST");
  reply_free(&r);

  /* Refresh: a new pair with the same scopes; an access token is no refresh token. */
  snprintf(body, sizeof(body),
           "grant_type=refresh_token&client_id=" CLIENT "&client_secret=" SECRET
           "&refresh_token=%s",
           refresh);
  call(sb, "POST", "/admitad/token/", "", NULL, body, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(str(r.json, "scope"), "statistics websites");
  reply_free(&r);
  snprintf(body, sizeof(body),
           "grant_type=refresh_token&client_id=" CLIENT "&client_secret=" SECRET
           "&refresh_token=%s",
           bearer + 7);
  call(sb, "POST", "/admitad/token/", "", NULL, body, &r);
  assert_int_equal(r.status, 400);
  assert_string_equal(str(r.json, "error"), "invalid_grant");
  reply_free(&r);
  /* Another account's refresh token is refused. */
  snprintf(body, sizeof(body),
           "grant_type=refresh_token&client_id=sandbox-admitad-ber&client_secret=sandbox-"
           "admitad-secret-ber&refresh_token=%s",
           refresh);
  call(sb, "POST", "/admitad/token/", "", NULL, body, &r);
  assert_int_equal(r.status, 400);
  assert_string_equal(str(r.json, "error"), "invalid_grant");
  reply_free(&r);
  /* Token requests are logged without their body, under the account. */
  assert_true(sb->aff->accounts[0].requests >= 10);
  sandbox_free(sb);
}

static void test_token_expiry(void **state) {
  struct sandbox *sb = make(1, 2, 60, 0, 1);
  struct reply r;
  char bearer[200], refresh[200], body[400], other[200];
  grant(sb, "pubone", ALL_SCOPES, bearer, sizeof(bearer), refresh, sizeof(refresh));
  grant(sb, "ber", ALL_SCOPES, other, sizeof(other), NULL, 0);
  call(sb, "GET", "/admitad/websites/v2/", "limit=1", bearer, NULL, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  /* A minute later on the world's clock, it has expired. */
  sb->cfg.now += 61;
  call(sb, "GET", "/admitad/websites/v2/", "limit=1", bearer, NULL, &r);
  assert_int_equal(r.status, 401);
  assert_string_equal(str(r.json, "error"), "invalid_token");
  assert_int_equal(error_code(&r), 0);
  assert_non_null(strstr(str(r.json, "error_description"), "expired"));
  reply_free(&r);
  /* The refresh token still works. */
  snprintf(body, sizeof(body),
           "grant_type=refresh_token&client_id=" CLIENT "&client_secret=" SECRET
           "&refresh_token=%s",
           refresh);
  call(sb, "POST", "/admitad/token/", "", NULL, body, &r);
  assert_int_equal(r.status, 200);
  snprintf(bearer, sizeof(bearer), "Bearer %s", str(r.json, "access_token"));
  reply_free(&r);
  grant(sb, "ber", ALL_SCOPES, other, sizeof(other), NULL, 0);
  call(sb, "GET", "/admitad/websites/v2/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  /* The admin endpoint expires one account's tokens at once; the other keeps its own. */
  call(sb, "POST", "/_sandbox/admitad/expire-tokens", "account=pubone", NULL, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body.data, "{\"admitad\":[\"pubone\"]}");
  reply_free(&r);
  call(sb, "GET", "/admitad/websites/v2/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 401);
  assert_int_equal(error_code(&r), 0);
  reply_free(&r);
  call(sb, "GET", "/admitad/websites/v2/", "", other, NULL, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  call(sb, "POST", "/admitad/token/", "", NULL, body, &r);
  assert_int_equal(r.status, 200); /* refresh tokens survive unless refresh=1 */
  reply_free(&r);
  call(sb, "POST", "/_sandbox/admitad/expire-tokens", "admitad=pubone&refresh=1", NULL, NULL, &r);
  reply_free(&r);
  call(sb, "POST", "/admitad/token/", "", NULL, body, &r);
  assert_int_equal(r.status, 400);
  assert_string_equal(str(r.json, "error"), "invalid_grant");
  reply_free(&r);
  /* Not ours, mangled, or no token at all: error_code 1. */
  call(sb, "GET", "/admitad/websites/v2/", "", "Bearer 00ff", NULL, &r);
  assert_int_equal(r.status, 401);
  assert_int_equal(error_code(&r), 1);
  reply_free(&r);
  other[20] = other[20] == 'a' ? 'b' : 'a';
  call(sb, "GET", "/admitad/websites/v2/", "", other, NULL, &r);
  assert_int_equal(error_code(&r), 1);
  reply_free(&r);
  call(sb, "GET", "/admitad/websites/v2/", "", NULL, NULL, &r);
  assert_int_equal(r.status, 401);
  assert_int_equal(error_code(&r), 1);
  reply_free(&r);
  call(sb, "POST", "/_sandbox/admitad/expire-tokens", "boostiny=pubone", NULL, NULL, &r);
  assert_int_equal(r.status, 404);
  reply_free(&r);
  sandbox_free(sb);
}

/* ---- lists against the truth ---- */

/* Every object of results[], printed compactly. */
static void collect(struct reply *r, cJSON *into) {
  cJSON *results = cJSON_GetObjectItemCaseSensitive(r->json, "results"), *it;
  assert_true(cJSON_IsArray(results));
  cJSON_ArrayForEach(it, results) cJSON_AddItemToArray(into, cJSON_Duplicate(it, 1));
}

/* Pages through path with query + limit/offset until done; returns the
 * array of all results and checks _meta on the way. */
static cJSON *all_pages(struct sandbox *sb, const char *bearer, const char *path, const char *query,
                        int limit) {
  cJSON *all = cJSON_CreateArray();
  char q[1024];
  for (int offset = 0, pages = 0;; offset += limit, pages++) {
    struct reply r;
    snprintf(q, sizeof(q), "%s%slimit=%d&offset=%d", query, *query ? "&" : "", limit, offset);
    call(sb, "GET", path, q, bearer, NULL, &r);
    if (r.status != 200)
      fail_msg("%s?%s: %d %s", path, q, r.status, r.body.data);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(r.json, "_meta");
    assert_int_equal((int)num(meta, "limit"), limit);
    assert_int_equal((int)num(meta, "offset"), offset);
    int count = (int)num(meta, "count"),
        got = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.json, "results"));
    collect(&r, all);
    reply_free(&r);
    assert_true(pages < 100000);
    if (offset + limit >= count || got < limit)
      break;
  }
  return all;
}

/* The truth's lines as one array. */
static cJSON *truth(struct sandbox *sb, const char *query) {
  struct reply r;
  cJSON *all = cJSON_CreateArray();
  call(sb, "GET", "/_sandbox/truth", query, NULL, NULL, &r);
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

static void test_paging_equals_truth(void **state) {
  struct sandbox *sb = make(7, 12, 0, 0, 1);
  char bearer[200], path[96];
  grant(sb, "pubone", ALL_SCOPES, bearer, sizeof(bearer), NULL, 0);
  cJSON *api = all_pages(sb, bearer, "/admitad/statistics/actions/", "order_by=datetime", 97);
  cJSON *t = truth(sb, "admitad=pubone");
  assert_true(cJSON_GetArraySize(t) > 600);
  assert_int_equal(cJSON_GetArraySize(api), (int)sb->aff->accounts[0].nactions);
  assert_same(api, t);
  /* action_id ascending with the action's date; -datetime is the default and reverses it. */
  double prev = 0;
  cJSON *it;
  cJSON_ArrayForEach(it, t) {
    assert_true(num(it, "action_id") > prev);
    prev = num(it, "action_id");
  }
  cJSON *desc = all_pages(sb, bearer, "/admitad/statistics/actions/", "", 500);
  assert_int_equal(cJSON_GetArraySize(desc), cJSON_GetArraySize(t));
  assert_same(cJSON_GetArrayItem(desc, 0), cJSON_GetArrayItem(t, cJSON_GetArraySize(t) - 1));
  /* status_updated ascending: sorted by it. */
  cJSON *su = all_pages(sb, bearer, "/admitad/statistics/actions/", "order_by=status_updated", 250);
  const char *last = "";
  cJSON_ArrayForEach(it, su) {
    assert_true(strcmp(str(it, "status_updated"), last) >= 0);
    last = str(it, "status_updated");
  }
  cJSON_Delete(api);
  cJSON_Delete(t);
  cJSON_Delete(desc);
  cJSON_Delete(su);
  /* Programmes and coupons of the ad space. */
  snprintf(path, sizeof(path), "/admitad/advcampaigns/website/%llu/",
           (unsigned long long)sb->aff->accounts[0].website_id);
  api = all_pages(sb, bearer, path, "", 7);
  t = truth(sb, "admitad=pubone&resource=campaigns");
  assert_true(cJSON_GetArraySize(t) >= 16);
  assert_same(api, t);
  cJSON_Delete(api);
  cJSON_Delete(t);
  snprintf(path, sizeof(path), "/admitad/coupons/website/%llu",
           (unsigned long long)sb->aff->accounts[0].website_id);
  api = all_pages(sb, bearer, path, "", 20);
  t = truth(sb, "admitad=pubone&resource=coupons");
  assert_true(cJSON_GetArraySize(t) >= 48);
  assert_same(api, t);
  cJSON_ArrayForEach(it, t) {
    const char *start = str(it, "date_start");
    assert_int_equal(strlen(start), 19);
    assert_int_equal(start[10], 'T');
  }
  cJSON_Delete(api);
  cJSON_Delete(t);
  sandbox_free(sb);
}

/* ---- local time ---- */

static int count_day(cJSON *arr, const char *day) {
  int n = 0;
  cJSON *it;
  cJSON_ArrayForEach(it, arr) n += strncmp(str(it, "action_date"), day, 10) == 0;
  return n;
}

static int has_time(cJSON *arr, const char *when) {
  cJSON *it;
  cJSON_ArrayForEach(it, arr) if (strcmp(str(it, "action_date"), when) == 0) return 1;
  return 0;
}

static void test_local_days(void **state) {
  struct sandbox *sb = make(3, 30, 0, 0, 1);
  char bearer[200];
  struct reply r;
  grant(sb, "ber", ALL_SCOPES, bearer, sizeof(bearer), NULL, 0);
  cJSON *all = truth(sb, "admitad=ber");
  static const struct {
    const char *dmy;                        /* the filter */
    const char *iso;                        /* the same day */
  } days[] = {{"25.10.2026", "2026-10-25"}, /* Berlin leaves summer time: 25 hours */
              {"24.10.2026", "2026-10-24"},
              {"19.11.2026", "2026-11-19"}};
  for (size_t k = 0; k < sizeof(days) / sizeof(days[0]); k++) {
    char q[128], edge[32];
    snprintf(q, sizeof(q), "date_start=%s&date_end=%s&order_by=datetime", days[k].dmy, days[k].dmy);
    cJSON *got = all_pages(sb, bearer, "/admitad/statistics/actions/", q, 500);
    assert_true(cJSON_GetArraySize(got) > 10);
    assert_int_equal(cJSON_GetArraySize(got), count_day(all, days[k].iso));
    assert_int_equal(count_day(got, days[k].iso), cJSON_GetArraySize(got));
    /* Local midnight and the last second belong to the day. */
    snprintf(edge, sizeof(edge), "%s 00:00:00", days[k].iso);
    assert_true(has_time(got, edge));
    snprintf(edge, sizeof(edge), "%s 23:59:59", days[k].iso);
    assert_true(has_time(got, edge));
    cJSON_Delete(got);
  }
  /* Two days at once. */
  cJSON *two = all_pages(sb, bearer, "/admitad/statistics/actions/",
                         "date_start=24.10.2026&date_end=25.10.2026", 500);
  assert_int_equal(cJSON_GetArraySize(two),
                   count_day(all, "2026-10-24") + count_day(all, "2026-10-25"));
  cJSON_Delete(two);
  /* The 25-hour day: its actions span 25 hours of UTC. */
  {
    struct sb_aff_account *a = &sb->aff->accounts[1];
    int64_t lo = at("2026-10-24T22:00:00Z"), hi = at("2026-10-25T23:00:00Z");
    int n = 0;
    for (size_t i = 0; i < a->nactions; i++)
      n += a->actions[i].date >= lo && a->actions[i].date < hi;
    assert_int_equal(n, count_day(all, "2026-10-25"));
  }
  static const char *const bad[] = {"date_start=2026-11-20", "date_start=32.01.2026",
                                    "date_end=1.1.2026",
                                    "date_start=20.11.2026&date_end=19.11.2026"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    call(sb, "GET", "/admitad/statistics/actions/", bad[i], bearer, NULL, &r);
    assert_int_equal(r.status, 400);
    assert_int_equal(error_code(&r), 3);
    assert_non_null(strstr(str(r.json, "error_description"), "date_"));
    reply_free(&r);
  }
  cJSON_Delete(all);
  sandbox_free(sb);
}

/* ---- changes and the status_updated window ---- */

static void local_now(struct sandbox *sb, struct sb_aff_account *a, int64_t delta, char *out) {
  char s[20];
  sb_aff_local(a, sandbox_now(sb) + delta, s);
  /* "2026-11-20 15:00:00" -> "20.11.2026 15:00:00" */
  snprintf(out, 24, "%.2s.%.2s.%.4s %.8s", s + 8, s + 5, s, s + 11);
}

static void test_mutations(void **state) {
  struct sandbox *sb = make(5, 20, 0, 0, 1);
  struct sb_aff_account *a = &sb->aff->accounts[0];
  char bearer[200], q[256], start[24], end[24];
  struct reply r;
  grant(sb, "pubone", ALL_SCOPES, bearer, sizeof(bearer), NULL, 0);
  /* The world moves on an hour: nothing generated changed since. */
  sb->cfg.now += 3600;
  cJSON *before = truth(sb, "admitad=pubone");
  /* The dates of the oldest pending actions: updates go to those first. */
  int64_t oldest_pending[12];
  int np = 0;
  for (size_t i = 0; i < a->nactions && np < 12; i++)
    if (a->actions[i].status == SB_ADM_PENDING)
      oldest_pending[np++] = a->actions[i].date;
  assert_int_equal(np, 12);
  call(sb, "POST", "/_sandbox/mutate", "admitad=pubone&update=4&create=3", NULL, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body.data, "{\"updated\":4,\"created\":3,\"deleted\":0}");
  reply_free(&r);
  local_now(sb, a, -30, start);
  local_now(sb, a, 0, end);
  snprintf(q, sizeof(q), "status_updated_start=%s&status_updated_end=%s&order_by=datetime", start,
           end);
  for (char *c = q; *c; c++)
    if (*c == ' ')
      *c = '+';
  cJSON *changed = all_pages(sb, bearer, "/admitad/statistics/actions/", q, 50);
  assert_int_equal(cJSON_GetArraySize(changed), 7);
  int moved = 0, created = 0;
  cJSON *it;
  cJSON_ArrayForEach(it, changed) {
    double id = num(it, "action_id");
    cJSON *old = NULL, *o;
    cJSON_ArrayForEach(o, before) if (num(o, "action_id") == id) old = o;
    if (!old) {
      created++;
      assert_string_equal(str(it, "status"), "pending");
      assert_string_equal(str(it, "action_date"), str(it, "status_updated"));
      continue;
    }
    moved++;
    assert_string_equal(str(old, "status"), "pending");
    assert_string_not_equal(str(it, "status"), "pending");
    assert_int_equal((int)num(it, "processed"), 1);
    assert_string_equal(str(it, "action_date"), str(old, "action_date"));
    /* One of the oldest pending ones. */
    char oldest[20];
    sb_aff_local(a, oldest_pending[11], oldest);
    assert_true(strcmp(str(it, "action_date"), oldest) <= 0);
  }
  assert_int_equal(moved, 4);
  assert_int_equal(created, 3);
  cJSON_Delete(changed);
  cJSON_Delete(before);
  /* An end in the future is refused, as Admitad does. */
  local_now(sb, a, 120, end);
  snprintf(q, sizeof(q), "status_updated_start=%s&status_updated_end=%s", start, end);
  call(sb, "GET", "/admitad/statistics/actions/", q, bearer, NULL, &r);
  assert_int_equal(r.status, 400);
  assert_int_equal(error_code(&r), 3);
  assert_non_null(strstr(str(r.json, "error_description"), "future"));
  reply_free(&r);
  /* Programmes and coupons change too. */
  call(sb, "POST", "/_sandbox/mutate", "admitad=pubone&resource=coupons&update=3&create=2&delete=4",
       NULL, NULL, &r);
  assert_string_equal(r.body.data, "{\"updated\":3,\"created\":2,\"deleted\":4}");
  reply_free(&r);
  cJSON *coupons = truth(sb, "admitad=pubone&resource=coupons");
  size_t listed = 0;
  for (size_t i = 0; i < a->ncoupons; i++)
    listed += sb_aff_coupon_listed(a, i);
  assert_int_equal(cJSON_GetArraySize(coupons), (int)listed);
  cJSON_Delete(coupons);
  call(sb, "POST", "/_sandbox/mutate", "admitad=pubone&resource=campaigns&delete=1&create=1", NULL,
       NULL, &r);
  assert_string_equal(r.body.data, "{\"updated\":0,\"created\":1,\"deleted\":1}");
  reply_free(&r);
  call(sb, "POST", "/_sandbox/mutate", "admitad=pubone&resource=orders&update=1", NULL, NULL, &r);
  assert_int_equal(r.status, 400);
  reply_free(&r);
  call(sb, "POST", "/_sandbox/mutate", "admitad=pubone&delete=1", NULL, NULL, &r);
  assert_int_equal(r.status, 400);
  reply_free(&r);
  sandbox_free(sb);
}

/* ---- limits ---- */

static void test_rate_limit(void **state) {
  /* 5 requests in a rolling window of 60 / 60 = 1 s. */
  struct sandbox *sb = make(1, 1, 0, 5, 60);
  char bearer[200];
  struct reply r;
  grant(sb, "pubone", "websites", bearer, sizeof(bearer), NULL, 0);
  for (int i = 0; i < 5; i++) {
    call(sb, "GET", "/admitad/websites/v2/", "", bearer, NULL, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
  }
  call(sb, "GET", "/admitad/websites/v2/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 503);
  assert_string_equal(str(r.json, "error"), "request_limit");
  assert_int_equal(error_code(&r), 4);
  reply_free(&r);
  /* The other application has its own window. */
  char other[200];
  grant(sb, "ber", "websites", other, sizeof(other), NULL, 0);
  call(sb, "GET", "/admitad/websites/v2/", "", other, NULL, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  usleep(1050000);
  call(sb, "GET", "/admitad/websites/v2/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  assert_int_equal(sb->aff->accounts[0].throttled, 1);
  assert_int_equal(sb->throttled, 1);
  call(sb, "GET", "/_sandbox/stats", "", NULL, NULL, &r);
  cJSON *acc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r.json, "admitad"),
                                                "pubone");
  assert_int_equal((int)num(acc, "throttled"), 1);
  assert_int_equal((int)num(acc, "requests"), 8); /* token + 7 */
  reply_free(&r);
  sandbox_free(sb);
}

/* Admitad's window rolls; Boostiny's (Laravel's) is fixed from its first hit. */
static void test_windows(void **state) {
  struct sb_rwin w;
  struct sb_fwin f;
  double wait = 0;
  sb_rwin_init(&w, 3, 60);
  assert_true(sb_rwin_take(&w, 100, NULL));
  assert_true(sb_rwin_take(&w, 130, NULL));
  assert_true(sb_rwin_take(&w, 131, NULL));
  assert_false(sb_rwin_take(&w, 140, &wait));
  assert_true(wait > 19.9 && wait < 20.1); /* until the one of 100 leaves */
  assert_true(sb_rwin_take(&w, 160.5, NULL));
  assert_false(sb_rwin_take(&w, 170, NULL)); /* 130 and 131 still count */
  assert_int_equal(sb_rwin_count(&w, 191.5), 1);
  sb_rwin_release(&w);
  sb_fwin_init(&f, 3, 60);
  assert_true(sb_fwin_take(&f, 100, NULL));
  assert_true(sb_fwin_take(&f, 130, NULL));
  assert_true(sb_fwin_take(&f, 159, NULL));
  assert_int_equal(sb_fwin_remaining(&f, 159.5), 0);
  assert_false(sb_fwin_take(&f, 159.5, &wait));
  assert_true(wait > 0.4 && wait < 0.6);    /* the window of 100 ends at 160 */
  assert_true(sb_fwin_take(&f, 160, NULL)); /* a new window, although 130 was 30 s ago */
  assert_true(sb_fwin_take(&f, 161, NULL));
  assert_int_equal(sb_fwin_remaining(&f, 161), 1);
  assert_int_equal(sb_fwin_remaining(&f, 220), 3);
}

static void test_bad_parameters(void **state) {
  struct sandbox *sb = make(1, 2, 0, 0, 1);
  char bearer[200], q[128];
  struct reply r;
  grant(sb, "pubone", ALL_SCOPES, bearer, sizeof(bearer), NULL, 0);
  static const struct {
    const char *query; /* sent */
    const char *names; /* the description mentions it */
  } bad[] = {{"limit=0", "limit"},
             {"limit=501", "limit"},
             {"limit=x", "limit"},
             {"offset=-1", "offset"},
             {"status=open", "status"},
             {"action_type=click", "action_type"},
             {"order_by=payment", "order_by"},
             {"campaign=abc", "campaign"},
             {"website=w1", "website"},
             {"status_updated_start=20.11.2026T10:00:00", "status_updated_start"}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    call(sb, "GET", "/admitad/statistics/actions/", bad[i].query, bearer, NULL, &r);
    if (r.status != 400)
      fail_msg("%s: %d", bad[i].query, r.status);
    assert_string_equal(str(r.json, "error"), "bad_request");
    assert_non_null(strstr(str(r.json, "error_description"), bad[i].names));
    reply_free(&r);
  }
  /* Filters that match nothing are not errors. */
  call(sb, "GET", "/admitad/statistics/actions/", "website=1", bearer, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal((int)num(cJSON_GetObjectItemCaseSensitive(r.json, "_meta"), "count"), 0);
  reply_free(&r);
  /* Statuses by name or by number, action types, campaigns. */
  call(sb, "GET", "/admitad/statistics/actions/", "status=2&limit=500", bearer, NULL, &r);
  cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json, "results"))
      assert_string_equal(str(it, "status"), "approved");
  reply_free(&r);
  call(sb, "GET", "/admitad/statistics/actions/", "action_type=lead&limit=500", bearer, NULL, &r);
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json, "results"))
      assert_string_equal(str(it, "action_type"), "lead");
  reply_free(&r);
  snprintf(q, sizeof(q), "campaign=%u&limit=500", sb_aff_campaign_id(&sb->aff->accounts[0], 0));
  call(sb, "GET", "/admitad/statistics/actions/", q, bearer, NULL, &r);
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json, "results")) assert_int_equal(
      (unsigned)num(it, "advcampaign_id"), sb_aff_campaign_id(&sb->aff->accounts[0], 0));
  reply_free(&r);
  call(sb, "GET", "/admitad/advcampaigns/website/12/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 404);
  assert_string_equal(str(r.json, "error"), "not_found");
  reply_free(&r);
  call(sb, "GET", "/admitad/statistics/sales/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 404);
  reply_free(&r);
  call(sb, "POST", "/admitad/statistics/actions/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 405);
  assert_string_equal(r.allow, "GET, HEAD");
  reply_free(&r);
  sandbox_free(sb);
}

/* ---- determinism ---- */

static void test_determinism(void **state) {
  struct sandbox *a = make(11, 8, 0, 0, 1), *b = make(11, 8, 0, 0, 1), *c = make(12, 8, 0, 0, 1);
  static const char *const what[] = {"admitad=pubone", "admitad=ber&resource=campaigns",
                                     "admitad=pubone&resource=coupons"};
  for (size_t k = 0; k < 3; k++) {
    struct reply x, y, z;
    call(a, "GET", "/_sandbox/truth", what[k], NULL, NULL, &x);
    call(b, "GET", "/_sandbox/truth", what[k], NULL, NULL, &y);
    call(c, "GET", "/_sandbox/truth", what[k], NULL, NULL, &z);
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

/* ---- faults ---- */

static void test_faults(void **state) {
  struct sandbox *sb = make(1, 2, 0, 0, 1);
  char bearer[200];
  struct reply r;
  grant(sb, "pubone", ALL_SCOPES, bearer, sizeof(bearer), NULL, 0);
  call(sb, "POST", "/_sandbox/faults/plan", "admitad=pubone&kind=503&match=actions", NULL, NULL,
       &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  call(sb, "POST", "/_sandbox/faults/plan", "account=pubone&kind=expired", NULL, NULL, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  call(sb, "GET", "/admitad/statistics/actions/", "limit=5", bearer, NULL, &r);
  assert_int_equal(r.status, 503);
  assert_string_equal(str(r.json, "error"), "server_error");
  reply_free(&r);
  call(sb, "GET", "/admitad/websites/v2/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 401);
  assert_int_equal(error_code(&r), 0);
  reply_free(&r);
  call(sb, "POST", "/_sandbox/faults/plan", "admitad=pubone&kind=shape", NULL, NULL, &r);
  reply_free(&r);
  call(sb, "GET", "/admitad/websites/v2/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body.data, "{\"results\":{},\"_meta\":[]}");
  reply_free(&r);
  call(sb, "POST", "/_sandbox/faults/plan", "admitad=pubone&kind=malformed", NULL, NULL, &r);
  reply_free(&r);
  call(sb, "GET", "/admitad/statistics/actions/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_null(r.json);
  reply_free(&r);
  /* Counted per kind, per account; the next request is clean. */
  assert_int_equal(sb->aff->accounts[0].faults.counts[SB_FAULT_503], 1);
  assert_int_equal(sb->aff->accounts[0].faults.counts[SB_FAULT_EXPIRED], 1);
  call(sb, "GET", "/admitad/websites/v2/", "", bearer, NULL, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  /* Logged under the account, without the /admitad prefix, faults named. */
  call(sb, "GET", "/_sandbox/requests", "admitad=pubone", NULL, NULL, &r);
  assert_non_null(strstr(r.body.data, "\"shop\":\"pubone\",\"method\":\"GET\",\"path\":"
                                      "\"/statistics/actions/\",\"query\":\"limit=5\","
                                      "\"status\":503,\"fault\":\"503\"}"));
  assert_non_null(strstr(r.body.data, "\"path\":\"/token/\",\"query\":\"\",\"status\":200"));
  reply_free(&r);
  /* Probabilities for every account with --faults style settings. */
  call(sb, "POST", "/_sandbox/faults", "admitad=ber&500=1", NULL, NULL, &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  {
    char auth[512];
    basic("sandbox-admitad-ber", "sandbox-admitad-secret-ber", auth, sizeof(auth));
    call(sb, "POST", "/admitad/token/", "", auth,
         "grant_type=client_credentials&client_id=sandbox-admitad-ber&scope=websites", &r);
    assert_int_equal(r.status, 500); /* the token endpoint is faulted too */
    assert_string_equal(str(r.json, "error"), "server_error");
    reply_free(&r);
  }
  call(sb, "POST", "/_sandbox/faults", "admitad=ber&clear=1", NULL, NULL, &r);
  reply_free(&r);
  grant(sb, "ber", "websites", bearer, sizeof(bearer), NULL, 0);
  assert_int_equal(sb->aff->accounts[1].faults.counts[SB_FAULT_500], 1);
  sandbox_free(sb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_token_grant),
      cmocka_unit_test(test_token_expiry),
      cmocka_unit_test(test_paging_equals_truth),
      cmocka_unit_test(test_local_days),
      cmocka_unit_test(test_mutations),
      cmocka_unit_test(test_rate_limit),
      cmocka_unit_test(test_windows),
      cmocka_unit_test(test_bad_parameters),
      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_faults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
