/* One sandbox with a shop, an Amazon seller and an account of each
 * affiliate network: the admin endpoints that serve all of them (mutate,
 * truth, info, stats, config) and the one Date header of every answer.
 * Requests go straight through sandbox_handle(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "sandbox/sandbox.h"
#include "util/tz.h"

#define NOW_TEXT "2026-11-20T12:00:00Z"
#define NOW_DATE "Fri, 20 Nov 2026 12:00:0"
#define SHOP_API "/shops/alpha/admin/api/2024-01/"
#define BOOSTINY_KEY "sandbox-boostiny-mena"

struct reply {
  int status;      /* HTTP status */
  int dates;       /* Date headers */
  char date[64];   /* the last one */
  struct buf body; /* the body, streams drained */
  cJSON *json;     /* parsed body, or NULL */
};

static void reply_free(struct reply *r) {
  buf_release(&r->body);
  cJSON_Delete(r->json);
  memset(r, 0, sizeof(*r));
}

static struct sandbox *make(void) {
  struct sb_config cfg;
  struct sandbox *sb;
  struct err err = {0};
  sb_config_defaults(&cfg);
  assert_int_equal(time_parse(NOW_TEXT, &cfg.now), 0);
  cfg.days = 5;
  cfg.rate_limit = 0;
  cfg.log_entries = 10000;
  cfg.nshops = 1;
  snprintf(cfg.shops[0].name, sizeof(cfg.shops[0].name), "alpha");
  snprintf(cfg.shops[0].tzid, sizeof(cfg.shops[0].tzid), "America/New_York");
  cfg.shops[0].orders_per_day = 20;
  cfg.nsellers = 1;
  snprintf(cfg.sellers[0].name, sizeof(cfg.sellers[0].name), "acme");
  snprintf(cfg.sellers[0].tzid, sizeof(cfg.sellers[0].tzid), "America/Los_Angeles");
  cfg.sellers[0].orders_per_day = 20;
  assert_int_equal(sb_aff_parse_admitad(&cfg.aff, "pubone:20", &err), 0);
  assert_int_equal(sb_aff_parse_boostiny(&cfg.aff, "mena:20", &err), 0);
  if (sandbox_new(&cfg, &sb, &err))
    fail_msg("sandbox_new: %s", err.msg);
  return sb;
}

static void call_with(struct sandbox *sb, const struct sb_request *req, struct reply *r) {
  struct sb_response res;
  char chunk[65536];
  memset(r, 0, sizeof(*r));
  buf_init(&r->body, 0);
  sb_response_init(&res);
  sandbox_handle(sb, req, &res);
  r->status = res.status;
  for (int i = 0; i < res.nheaders; i++)
    if (strcasecmp(res.headers[i].name, "Date") == 0) {
      snprintf(r->date, sizeof(r->date), "%s", res.headers[i].value);
      r->dates++;
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

/* An admin request (no credentials). */
static void admin(struct sandbox *sb, const char *method, const char *path, const char *query,
                  struct reply *r) {
  struct sb_request req;
  memset(&req, 0, sizeof(req));
  req.method = method;
  req.path = path;
  req.query = query;
  call_with(sb, &req, r);
}

static cJSON *get(cJSON *o, const char *k) {
  return cJSON_GetObjectItemCaseSensitive(o, k);
}

static double num(cJSON *o, const char *k) {
  cJSON *v = get(o, k);
  if (!cJSON_IsNumber(v))
    fail_msg("no number '%s'", k);
  return cJSON_GetNumberValue(v);
}

/* The counts of /_sandbox/info that mutations move. */
struct counts {
  double orders, products;     /* shop alpha */
  double seller_orders;        /* seller acme */
  double actions, adm_coupons; /* Admitad pubone */
  double rows, bst_campaigns;  /* Boostiny mena */
};

static void counts(struct sandbox *sb, struct counts *c) {
  struct reply r;
  admin(sb, "GET", "/_sandbox/info", "", &r);
  assert_int_equal(r.status, 200);
  cJSON *shop = cJSON_GetArrayItem(get(r.json, "shops"), 0);
  cJSON *seller = cJSON_GetArrayItem(get(r.json, "sellers"), 0);
  cJSON *adm = cJSON_GetArrayItem(get(get(r.json, "admitad"), "accounts"), 0);
  cJSON *bst = cJSON_GetArrayItem(get(get(r.json, "boostiny"), "accounts"), 0);
  c->orders = num(shop, "orders");
  c->products = num(shop, "products");
  c->seller_orders = num(seller, "orders");
  c->actions = num(adm, "actions");
  c->adm_coupons = num(adm, "coupons");
  c->rows = num(bst, "rows");
  c->bst_campaigns = num(bst, "campaigns");
  reply_free(&r);
}

/* Without a name, every shop, seller and account takes the resource it has:
 * none given, each its default (orders, actions, performance rows). */
static void test_mutate_everyone(void **state) {
  struct sandbox *sb = make();
  struct counts before, after;
  struct reply r;
  counts(sb, &before);
  admin(sb, "POST", "/_sandbox/mutate", "update=3&create=2", &r);
  assert_int_equal(r.status, 200);
  counts(sb, &after);
  assert_int_equal(after.orders, before.orders + 2);
  assert_int_equal(after.seller_orders, before.seller_orders + 2);
  assert_int_equal(after.actions, before.actions + 2);
  assert_in_range(after.rows - before.rows, 0, 2); /* only codes without a row today */
  double created = 2 + 2 + 2 + (after.rows - before.rows);
  assert_int_equal(num(r.json, "created"), created);
  assert_int_equal(num(r.json, "updated"), 4 * 3);
  assert_int_equal(num(r.json, "deleted"), 0);
  /* ids: the shop's records as numbers, then the seller's AmazonOrderIds. */
  cJSON *ids = get(r.json, "ids"), *id;
  int numbers = 0, strings = 0;
  assert_true(cJSON_IsArray(ids));
  cJSON_ArrayForEach(id, ids) {
    numbers += cJSON_IsNumber(id);
    strings += cJSON_IsString(id);
    if (cJSON_IsNumber(id))
      assert_int_equal(strings, 0);
  }
  assert_in_range(numbers, 3, 5); /* an order may be updated twice */
  assert_in_range(strings, 3, 5);
  assert_null(get(r.json, "levels"));
  reply_free(&r);
  sandbox_free(sb);
}

static void test_mutate_by_resource(void **state) {
  struct sandbox *sb = make();
  struct counts before, after;
  struct reply r;
  /* An account's resource: the accounts only, and no ids. */
  counts(sb, &before);
  admin(sb, "POST", "/_sandbox/mutate", "resource=campaigns&create=2", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body.data, "{\"updated\":0,\"created\":4,\"deleted\":0}");
  reply_free(&r);
  counts(sb, &after);
  assert_int_equal(after.bst_campaigns, before.bst_campaigns + 2);
  assert_int_equal(after.orders, before.orders);
  assert_int_equal(after.products, before.products);
  assert_int_equal(after.seller_orders, before.seller_orders);
  /* A shop's resource: the shops only. */
  counts(sb, &before);
  admin(sb, "POST", "/_sandbox/mutate", "resource=products&create=1", &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(num(r.json, "created"), 1);
  assert_int_equal(cJSON_GetArraySize(get(r.json, "ids")), 1);
  reply_free(&r);
  counts(sb, &after);
  assert_int_equal(after.products, before.products + 1);
  assert_int_equal(after.actions, before.actions);
  assert_int_equal(after.bst_campaigns, before.bst_campaigns);
  /* Inventory: ids and levels, as for a named shop. */
  admin(sb, "POST", "/_sandbox/mutate", "resource=inventory&update=2", &r);
  assert_int_equal(r.status, 200);
  assert_true(cJSON_IsArray(get(r.json, "levels")));
  reply_free(&r);
  /* A named account answers the same three totals. */
  admin(sb, "POST", "/_sandbox/mutate", "admitad=pubone&resource=coupons&update=1&delete=1", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body.data, "{\"updated\":1,\"created\":0,\"deleted\":1}");
  reply_free(&r);
  /* A resource nobody has, or one the named target does not have. */
  static const char *const bad[] = {"resource=widgets&update=1", "shop=alpha&resource=coupons",
                                    "seller=acme&resource=products&update=1",
                                    "boostiny=mena&resource=products&update=1"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    admin(sb, "POST", "/_sandbox/mutate", bad[i], &r);
    if (r.status != 400)
      fail_msg("%s: %d %s", bad[i], r.status, r.body.data);
    reply_free(&r);
  }
  /* A bad days= is refused before anything changes. */
  counts(sb, &before);
  admin(sb, "POST", "/_sandbox/mutate", "update=5&create=5&days=0", &r);
  assert_int_equal(r.status, 400);
  reply_free(&r);
  counts(sb, &after);
  assert_memory_equal(&before, &after, sizeof(before));
  sandbox_free(sb);
}

static int jsonl_lines(const struct reply *r) {
  int n = 0;
  for (const char *p = r->body.data; p && *p; p++)
    n += *p == '\n';
  return n;
}

static void test_truth_routing(void **state) {
  struct sandbox *sb = make();
  struct reply r;
  static const struct {
    const char *query;
    int status;
  } cases[] = {
      {"shop=alpha", 200},
      {"shop=alpha&resource=products", 200},
      {"shop=alpha&resource=locations", 200},
      {"seller=acme", 200},
      {"admitad=pubone", 200},
      {"admitad=pubone&resource=coupons", 200},
      {"boostiny=mena&resource=campaigns", 200},
      {"account=mena", 200},
      {"", 400},
      {"resource=products", 400},
      {"seller=acme&resource=products", 400},
      {"shop=alpha&resource=coupons", 400},
      {"boostiny=mena&resource=products", 400},
      {"admitad=pubone&shop=alpha", 400},
      {"admitad=nobody", 404},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    admin(sb, "GET", "/_sandbox/truth", cases[i].query, &r);
    if (r.status != cases[i].status)
      fail_msg("truth?%s: %d %s", cases[i].query, r.status, r.body.data);
    if (r.status == 200)
      assert_true(jsonl_lines(&r) > 0);
    reply_free(&r);
  }
  admin(sb, "GET", "/_sandbox/truth/deleted", "shop=alpha", &r);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  admin(sb, "GET", "/_sandbox/truth/deleted", "admitad=pubone", &r);
  assert_int_equal(r.status, 400);
  reply_free(&r);
  sandbox_free(sb);
}

static void test_info_stats_config(void **state) {
  struct sandbox *sb = make();
  struct reply r;
  admin(sb, "GET", "/_sandbox/info", "", &r);
  assert_int_equal(r.status, 200);
  cJSON *shop = cJSON_GetArrayItem(get(r.json, "shops"), 0);
  assert_int_equal(cJSON_GetArraySize(get(shop, "scopes")), 5);
  assert_true(num(shop, "customers") > 0 && num(shop, "locations") > 0);
  assert_int_equal(cJSON_GetArraySize(get(r.json, "sellers")), 1);
  assert_int_equal(cJSON_GetArraySize(get(get(r.json, "admitad"), "accounts")), 1);
  assert_int_equal(cJSON_GetArraySize(get(get(r.json, "boostiny"), "accounts")), 1);
  reply_free(&r);
  admin(sb, "GET", "/_sandbox/stats", "", &r);
  assert_int_equal(r.status, 200);
  cJSON *alpha = get(get(r.json, "shops"), "alpha");
  assert_true(num(alpha, "products") > 0 && num(alpha, "events") >= 0);
  assert_non_null(get(get(r.json, "sellers"), "acme"));
  assert_true(num(get(get(r.json, "admitad"), "pubone"), "actions") > 0);
  assert_true(num(get(get(r.json, "boostiny"), "mena"), "rows") > 0);
  reply_free(&r);
  /* Scopes for shops; the accounts' limits stay as started. */
  admin(sb, "POST", "/_sandbox/config", "shop=alpha&scopes=read_orders", &r);
  assert_int_equal(r.status, 200);
  cJSON *scopes = get(get(get(r.json, "shops"), "alpha"), "scopes");
  assert_int_equal(cJSON_GetArraySize(scopes), 1);
  reply_free(&r);
  static const char *const refused[] = {"admitad=pubone&scopes=read_orders",
                                        "boostiny=mena&rate_limit=0", "seller=acme&scopes="};
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    admin(sb, "POST", "/_sandbox/config", refused[i], &r);
    if (r.status != 400)
      fail_msg("config?%s: %d %s", refused[i], r.status, r.body.data);
    reply_free(&r);
  }
  sandbox_free(sb);
}

/* Exactly one Date header, the world's clock, whichever API answers, and
 * whether the answer is a success or an error. */
static void test_one_date_header(void **state) {
  struct sandbox *sb = make();
  struct sb_request req;
  struct reply r;
  static const struct {
    const char *path, *query, *shop_token, *authorization;
  } cases[] = {
      {SHOP_API "orders.json", "limit=1", "shpat_sandbox_token", NULL},
      {SHOP_API "products.json", "limit=1", "shpat_sandbox_token", NULL},
      {SHOP_API "orders.json", "", "wrong", NULL},
      {"/sp-api/orders/v0/orders", "MarketplaceIds=ATVPDKIKX0DER", NULL, NULL},
      {"/admitad/websites/v2/", "", NULL, "Bearer nope"},
      {"/admitad/token/", "", NULL, NULL},
      {"/boostiny/publisher/coupons", "limit=1", NULL, BOOSTINY_KEY},
      {"/boostiny/publisher/coupons", "", NULL, "wrong"},
      {"/_sandbox/info", "", NULL, NULL},
      {"/_sandbox/nowhere", "", NULL, NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = cases[i].path;
    req.query = cases[i].query;
    req.token = cases[i].shop_token;
    req.authorization = cases[i].authorization;
    call_with(sb, &req, &r);
    if (r.dates != 1 || strncmp(r.date, NOW_DATE, strlen(NOW_DATE)) != 0)
      fail_msg("%s: %d Date headers, the last '%s'", cases[i].path, r.dates, r.date);
    reply_free(&r);
  }
  sandbox_free(sb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mutate_everyone), cmocka_unit_test(test_mutate_by_resource),
      cmocka_unit_test(test_truth_routing),   cmocka_unit_test(test_info_stats_config),
      cmocka_unit_test(test_one_date_header),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
