/* The sandbox's injected faults: the seeded draw, exact plans, the --faults
 * spec, and what a client sees on the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "sandbox/fault.h"
#include "sandbox/sandbox.h"
#include "sandbox/server.h"

#define ORDERS "/shops/alpha/admin/api/2024-01/orders.json"

static void test_draw_is_deterministic(void **state) {
  struct sb_fault_probs probs;
  struct sb_fault_state a, b, c;
  int hits = 0, differ = 0;
  memset(&probs, 0, sizeof(probs));
  probs.p[SB_FAULT_500] = 0.05;
  probs.p[SB_FAULT_RESET] = 0.05;
  sb_fault_state_init(&a, "alpha");
  sb_fault_state_init(&b, "alpha");
  sb_fault_state_init(&c, "beta");
  a.probs = b.probs = c.probs = probs;
  for (int i = 0; i < 20000; i++) {
    int ka = sb_fault_next(&a, 42, SB_API_SHOPIFY, ORDERS);
    int kb = sb_fault_next(&b, 42, SB_API_SHOPIFY, ORDERS);
    int kc = sb_fault_next(&c, 42, SB_API_SHOPIFY, ORDERS);
    assert_int_equal(ka, kb);
    assert_int_equal(ka, sb_fault_draw(&probs, 42, a.id, (uint64_t)i));
    assert_true(ka == SB_FAULT_NONE || ka == SB_FAULT_500 || ka == SB_FAULT_RESET);
    hits += ka != SB_FAULT_NONE;
    differ += ka != kc;
  }
  /* 10 % of 20,000, give or take five standard deviations. */
  assert_in_range(hits, 2000 - 210, 2000 + 210);
  assert_true(differ > 0); /* another shop has its own stream */
  assert_int_equal(a.counts[SB_FAULT_500] + a.counts[SB_FAULT_RESET], (uint64_t)hits);
  /* Another seed, another sequence. */
  differ = 0;
  for (uint64_t i = 0; i < 2000; i++)
    differ += sb_fault_draw(&probs, 42, a.id, i) != sb_fault_draw(&probs, 43, a.id, i);
  assert_true(differ > 0);
  /* Probability 0 never fires, 1 always does. */
  memset(&probs, 0, sizeof(probs));
  for (uint64_t i = 0; i < 1000; i++)
    assert_int_equal(sb_fault_draw(&probs, 1, 2, i), SB_FAULT_NONE);
  probs.p[SB_FAULT_503] = 1;
  for (uint64_t i = 0; i < 1000; i++)
    assert_int_equal(sb_fault_draw(&probs, 1, 2, i), SB_FAULT_503);
}

static void test_plans(void **state) {
  struct sb_fault_state st;
  struct err err = {0};
  int got[8];
  sb_fault_state_init(&st, "alpha");
  assert_int_equal(sb_fault_plan_add(&st, "orders.json", 3, 2, SB_FAULT_503, &err), 0);
  assert_int_equal(sb_fault_plan_add(&st, "", 1, 1, SB_FAULT_RESET, &err), 0);
  /* Requests that do not match are not counted. */
  assert_int_equal(sb_fault_next(&st, 1, SB_API_SHOPIFY, "/shops/alpha/shop.json"), 0);
  for (int i = 0; i < 5; i++)
    got[i] = sb_fault_next(&st, 1, SB_API_SHOPIFY, ORDERS "?limit=250");
  assert_int_equal(got[0], SB_FAULT_NONE);
  assert_int_equal(got[1], SB_FAULT_NONE);
  assert_int_equal(got[2], SB_FAULT_503);
  assert_int_equal(got[3], SB_FAULT_503);
  /* The second plan became active after the first was used up. */
  assert_int_equal(got[4], SB_FAULT_RESET);
  assert_int_equal(st.nplans, 0);
  assert_int_equal(sb_fault_next(&st, 1, SB_API_SHOPIFY, ORDERS), SB_FAULT_NONE);
  assert_int_equal(st.counts[SB_FAULT_503], 2);
  assert_int_equal(st.counts[SB_FAULT_RESET], 1);
  /* expired does not apply to Shopify, but does to the SP-API. */
  assert_int_equal(sb_fault_plan_add(&st, "", 1, 2, SB_FAULT_EXPIRED, &err), 0);
  assert_int_equal(sb_fault_next(&st, 1, SB_API_SHOPIFY, ORDERS), SB_FAULT_NONE);
  assert_int_equal(sb_fault_next(&st, 1, SB_API_SP, "/sp-api/orders/v0/orders"), SB_FAULT_EXPIRED);
  /* Bad plans are refused. */
  assert_int_not_equal(sb_fault_plan_add(&st, "", 0, 1, SB_FAULT_500, &err), 0);
  assert_int_not_equal(sb_fault_plan_add(&st, "", 1, 0, SB_FAULT_500, &err), 0);
  assert_int_not_equal(sb_fault_plan_add(&st, "", 1, 1, SB_FAULT_NONE, &err), 0);
  for (int i = 0; i < SB_FAULT_PLANS_MAX; i++)
    assert_int_equal(sb_fault_plan_add(&st, "x", 1, 1, SB_FAULT_500, &err), 0);
  assert_int_not_equal(sb_fault_plan_add(&st, "x", 1, 1, SB_FAULT_500, &err), 0);
  assert_non_null(strstr(err.msg, "plans"));
}

static void test_spec(void **state) {
  struct sb_fault_probs p;
  struct err err = {0};
  static const char *const bad[] = {
      "",         "500",      "500=", "500=x",           "500=1.5", "500=-0.1",
      "nope=0.1", "500=0.1,", "=0.1", "500=0.6,502=0.6", "500=nan", "500=0.1,,502=0.1"};
  memset(&p, 0, sizeof(p));
  assert_int_equal(
      sb_fault_spec_parse("500=0.02,reset=0.01,truncated=0.01,malformed=0.01,429=0.01", &p, &err),
      0);
  assert_true(p.p[SB_FAULT_500] == 0.02);
  assert_true(p.p[SB_FAULT_RESET] == 0.01);
  assert_true(p.p[SB_FAULT_429] == 0.01);
  assert_true(p.p[SB_FAULT_502] == 0);
  assert_int_equal(sb_fault_spec_parse("429-date=0.5,429-bare=0.5", &p, &err), MS_EINVAL);
  for (int k = 1; k < SB_FAULT_N; k++)
    assert_int_equal(sb_fault_lookup(sb_fault_name(k), strlen(sb_fault_name(k))), k);
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct sb_fault_probs q = p;
    err.msg[0] = '\0';
    assert_int_equal(sb_fault_spec_parse(bad[i], &q, &err), MS_EINVAL);
    assert_true(strlen(err.msg) > 10);
    assert_memory_equal(&q, &p, sizeof(p)); /* untouched on failure */
  }
  assert_int_equal(sb_fault_spec_parse("nope=0.1", &p, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "unknown fault kind 'nope'"));
  assert_non_null(strstr(err.msg, "truncated"));
  assert_int_equal(sb_fault_spec_parse("500=0.6,502=0.6", &p, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "add up to"));
}

/* ---- over HTTP ---- */

struct env {
  struct sandbox *sb;    /* served */
  struct sb_server *srv; /* on a free port */
  CURL *c;               /* one client */
  long timeout_ms;       /* of one transfer; 0: 20 s */
  int fresh;             /* open a new connection for each transfer */
};

static size_t sink(char *p, size_t size, size_t n, void *ud) {
  size_t *got = ud;
  *got += size * n;
  return size * n;
}

/* GET or POST a path; returns the CURLcode, sets *status. */
static CURLcode fetch(struct env *e, const char *method, const char *path, long *status) {
  char url[512];
  size_t got = 0;
  struct curl_slist *hl = curl_slist_append(NULL, "X-Shopify-Access-Token: shpat_sandbox_token");
  CURLcode rc;
  snprintf(url, sizeof(url), "%s%s", e->sb->base_url, path);
  curl_easy_reset(e->c);
  curl_easy_setopt(e->c, CURLOPT_URL, url);
  curl_easy_setopt(e->c, CURLOPT_CUSTOMREQUEST, method);
  if (strcmp(method, "POST") == 0)
    curl_easy_setopt(e->c, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(e->c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(e->c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(e->c, CURLOPT_WRITEDATA, &got);
  curl_easy_setopt(e->c, CURLOPT_TIMEOUT_MS, e->timeout_ms ? e->timeout_ms : 20000L);
  curl_easy_setopt(e->c, CURLOPT_FRESH_CONNECT, (long)e->fresh);
  rc = curl_easy_perform(e->c);
  *status = 0;
  curl_easy_getinfo(e->c, CURLINFO_RESPONSE_CODE, status);
  curl_slist_free_all(hl);
  return rc;
}

static int env_setup(void **state) {
  struct env *e = calloc(1, sizeof(*e));
  struct sb_config cfg;
  struct err err = {0};
  sb_config_defaults(&cfg);
  cfg.days = 2;
  cfg.nshops = 1;
  snprintf(cfg.shops[0].name, sizeof(cfg.shops[0].name), "alpha");
  snprintf(cfg.shops[0].tzid, sizeof(cfg.shops[0].tzid), "UTC");
  cfg.shops[0].orders_per_day = 20;
  cfg.rate_limit = 0;
  cfg.threads = 1;
  cfg.log_entries = 1000;
  if (sandbox_new(&cfg, &e->sb, &err) || sb_server_start(e->sb, &e->srv, &err))
    fail_msg("sandbox: %s", err.msg);
  e->c = curl_easy_init();
  *state = e;
  return 0;
}

static int env_teardown(void **state) {
  struct env *e = *state;
  curl_easy_cleanup(e->c);
  sb_server_stop(e->srv);
  sandbox_free(e->sb);
  free(e);
  return 0;
}

static void test_wire(void **state) {
  struct env *e = *state;
  long status;
  assert_int_equal(fetch(e, "GET", ORDERS "?limit=5", &status), CURLE_OK);
  assert_int_equal(status, 200);

  assert_int_equal(fetch(e, "POST", "/_sandbox/faults/plan?shop=alpha&kind=reset", &status),
                   CURLE_OK);
  assert_int_equal(status, 200);
  assert_int_equal(fetch(e, "GET", ORDERS "?limit=5", &status), CURLE_RECV_ERROR);

  assert_int_equal(fetch(e, "POST", "/_sandbox/faults/plan?shop=alpha&kind=truncated", &status),
                   CURLE_OK);
  assert_int_equal(fetch(e, "GET", ORDERS "?limit=5", &status), CURLE_PARTIAL_FILE);

  /* The 2nd request matching "count" fails with 503, and the one after. */
  assert_int_equal(fetch(e, "POST",
                         "/_sandbox/faults/plan?shop=alpha&match=count&nth=2&times=2&kind=503",
                         &status),
                   CURLE_OK);
  assert_int_equal(fetch(e, "GET", "/shops/alpha/admin/api/2024-01/orders/count.json", &status),
                   CURLE_OK);
  assert_int_equal(status, 200);
  assert_int_equal(fetch(e, "GET", ORDERS "?limit=1", &status), CURLE_OK);
  assert_int_equal(status, 200);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(fetch(e, "GET", "/shops/alpha/admin/api/2024-01/orders/count.json", &status),
                     CURLE_OK);
    assert_int_equal(status, 503);
  }
  assert_int_equal(fetch(e, "GET", "/shops/alpha/admin/api/2024-01/orders/count.json", &status),
                   CURLE_OK);
  assert_int_equal(status, 200);

  /* Counted and logged with the kind. */
  pthread_mutex_lock(&e->sb->lock);
  assert_int_equal(e->sb->fault_counts[SB_FAULT_RESET], 1);
  assert_int_equal(e->sb->fault_counts[SB_FAULT_TRUNCATED], 1);
  assert_int_equal(e->sb->fault_counts[SB_FAULT_503], 2);
  const struct sb_logent *le = sb_reqlog_get(&e->sb->log, 2);
  assert_non_null(le);
  assert_int_equal(le->status, 0);
  assert_int_equal(le->fault, SB_FAULT_RESET);
  pthread_mutex_unlock(&e->sb->lock);

  /* Bad requests to the admin endpoints are refused. */
  assert_int_equal(fetch(e, "POST", "/_sandbox/faults/plan?shop=alpha&kind=nope", &status),
                   CURLE_OK);
  assert_int_equal(status, 400);
  assert_int_equal(fetch(e, "POST", "/_sandbox/faults?500=2", &status), CURLE_OK);
  assert_int_equal(status, 400);
  assert_int_equal(fetch(e, "POST", "/_sandbox/faults?shop=alpha&expired=0.1", &status), CURLE_OK);
  assert_int_equal(status, 400);
  assert_int_equal(fetch(e, "POST", "/_sandbox/faults?500=1", &status), CURLE_OK);
  assert_int_equal(status, 200);
  assert_int_equal(fetch(e, "GET", ORDERS, &status), CURLE_OK);
  assert_int_equal(status, 500);
  assert_int_equal(fetch(e, "POST", "/_sandbox/faults?clear=1", &status), CURLE_OK);
  assert_int_equal(fetch(e, "GET", ORDERS, &status), CURLE_OK);
  assert_int_equal(status, 200);
  /* A hang holds the connection, then closes it without an answer. */
  assert_int_equal(fetch(e, "POST", "/_sandbox/faults?hang_ms=300", &status), CURLE_OK);
  assert_int_equal(fetch(e, "POST", "/_sandbox/faults/plan?kind=hang", &status), CURLE_OK);
  /* On a reused connection libcurl would take the silent close for a stale
   * keep-alive and send the request again: use a fresh one. */
  e->fresh = 1;
  assert_int_equal(fetch(e, "GET", ORDERS, &status), CURLE_GOT_NOTHING);
  /* A client that gives up first times out; the server stops all the same
   * while the connection is still held. */
  assert_int_equal(fetch(e, "POST", "/_sandbox/faults?hang_ms=60000", &status), CURLE_OK);
  assert_int_equal(fetch(e, "POST", "/_sandbox/faults/plan?kind=hang", &status), CURLE_OK);
  e->timeout_ms = 500;
  assert_int_equal(fetch(e, "GET", ORDERS, &status), CURLE_OPERATION_TIMEDOUT);
  e->timeout_ms = 0;
  /* Admin requests are never faulted. */
  assert_int_equal(fetch(e, "GET", "/_sandbox/faults", &status), CURLE_OK);
  assert_int_equal(status, 200);
}

/* One Shopify request through sandbox_handle; returns the call-limit header. */
static void call(struct sandbox *sb, const char *path, int *status, char *limit, size_t len) {
  struct sb_request req;
  struct sb_response res;
  memset(&req, 0, sizeof(req));
  req.method = "GET";
  req.path = path;
  req.query = "";
  req.token = "shpat_sandbox_token";
  sb_response_init(&res);
  sandbox_handle(sb, &req, &res);
  *status = res.status;
  limit[0] = '\0';
  for (int i = 0; i < res.nheaders; i++)
    if (strcmp(res.headers[i].name, "X-Shopify-Shop-Api-Call-Limit") == 0)
      snprintf(limit, len, "%s", res.headers[i].value);
  sb_response_release(&res);
}

static void test_bucket_accounting(void **state) {
  struct sb_config cfg;
  struct sandbox *sb;
  struct err err = {0};
  char limit[32];
  int status;
  static const struct {
    int kind;          /* planned */
    int status;        /* answered */
    const char *limit; /* call limit after it */
  } steps[] = {{SB_FAULT_500, 500, "1/40"}, {SB_FAULT_MALFORMED, 200, "2/40"},
               {SB_FAULT_429, 429, "2/40"}, {SB_FAULT_429_DATE, 429, "2/40"},
               {SB_FAULT_503, 503, "3/40"}, {SB_FAULT_NONE, 200, "4/40"}};
  sb_config_defaults(&cfg);
  cfg.days = 1;
  cfg.nshops = 1;
  snprintf(cfg.shops[0].name, sizeof(cfg.shops[0].name), "alpha");
  snprintf(cfg.shops[0].tzid, sizeof(cfg.shops[0].tzid), "UTC");
  cfg.shops[0].orders_per_day = 5;
  cfg.leak_rate = 0.001; /* nothing drains during the test */
  cfg.log_entries = 100;
  assert_int_equal(sandbox_new(&cfg, &sb, &err), 0);
  for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
    if (steps[i].kind)
      assert_int_equal(sb_fault_plan_add(&sb->state[0].faults, "", 1, 1, steps[i].kind, &err), 0);
    call(sb, "/shops/alpha/admin/api/2024-01/shop.json", &status, limit, sizeof(limit));
    assert_int_equal(status, steps[i].status);
    assert_string_equal(limit, steps[i].limit);
  }
  /* Injected 429s count as throttled; every request is logged. */
  assert_int_equal(sb->state[0].throttled, 2);
  assert_int_equal(sb->requests, 6);
  assert_int_equal(sb->state[0].faults.counts[SB_FAULT_429_DATE], 1);
  sandbox_free(sb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_draw_is_deterministic),
      cmocka_unit_test(test_plans),
      cmocka_unit_test(test_spec),
      cmocka_unit_test(test_bucket_accounting),
      cmocka_unit_test_setup_teardown(test_wire, env_setup, env_teardown),
  };
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
