/* The sandbox's Shopify streams besides orders (products, customers,
 * locations, inventory levels, events), refunds inside orders, sort orders
 * and page_info, scopes, mutations, the ground truth and the Date header,
 * driven through sandbox_handle() as a client would see them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "sandbox/sandbox.h"
#include "sandbox/server.h"
#include "util/tz.h"

#define NOW_TEXT "2026-11-20T12:00:00Z"
#define API "/shops/alpha/admin/api/2024-01/"
#define TOKEN "shpat_sandbox_token"

static int64_t test_now(void) {
  int64_t t = 0;
  assert_int_equal(time_parse(NOW_TEXT, &t), 0);
  return t;
}

static struct sandbox *sandbox_in(uint64_t seed, unsigned denied, const char *tzid) {
  struct sb_config cfg;
  struct sandbox *sb;
  struct err err = {0};
  sb_config_defaults(&cfg);
  cfg.seed = seed;
  cfg.now = test_now();
  cfg.days = 10;
  cfg.rate_limit = 0;
  cfg.nshops = 1;
  cfg.log_entries = 100000;
  snprintf(cfg.shops[0].name, sizeof(cfg.shops[0].name), "alpha");
  snprintf(cfg.shops[0].tzid, sizeof(cfg.shops[0].tzid), "%s", tzid);
  cfg.shops[0].orders_per_day = 30;
  cfg.shops[0].denied_scopes = denied;
  if (sandbox_new(&cfg, &sb, &err))
    fail_msg("sandbox_new: %s", err.msg);
  return sb;
}

static struct sandbox *sandbox_make(uint64_t seed, unsigned denied) {
  return sandbox_in(seed, denied, "America/New_York");
}

/* Moves the world's clock on by `seconds` (sandbox_now counts from
 * mono_start). */
static void advance(struct sandbox *sb, double seconds) {
  sb->mono_start -= seconds;
}

/* One request; the caller releases res. Streamed bodies are read whole. */
static void call(struct sandbox *sb, const char *method, const char *path, const char *query,
                 struct sb_response *res) {
  struct sb_request req;
  memset(&req, 0, sizeof(req));
  req.method = method;
  req.path = path;
  req.query = query ? query : "";
  req.token = TOKEN;
  sb_response_init(res);
  sandbox_handle(sb, &req, res);
  if (res->stream) {
    char chunk[65536];
    ssize_t n;
    while ((n = res->stream(res->stream_ctx, chunk, sizeof(chunk))) > 0)
      buf_append(&res->body, chunk, (size_t)n);
    assert_true(n == 0);
  }
}

static const char *header(const struct sb_response *res, const char *name) {
  for (int i = 0; i < res->nheaders; i++)
    if (strcasecmp(res->headers[i].name, name) == 0)
      return res->headers[i].value;
  return NULL;
}

/* The page_info of the rel ("next" or "previous") in the Link header. */
static int page_info_of(const struct sb_response *res, const char *rel, char *out, size_t len) {
  const char *link = header(res, "Link");
  char want[32];
  if (!link)
    return 0;
  snprintf(want, sizeof(want), "rel=\"%s\"", rel);
  const char *r = strstr(link, want);
  if (!r)
    return 0;
  const char *open = r;
  while (open > link && *open != '<')
    open--;
  const char *pi = strstr(open, "page_info=");
  assert_non_null(pi);
  pi += 10;
  size_t n = strcspn(pi, "&>");
  assert_true(n < len);
  snprintf(out, len, "%.*s", (int)n, pi);
  return 1;
}

static cJSON *body_json(const struct sb_response *res) {
  cJSON *j = cJSON_Parse(res->body.data ? res->body.data : "");
  if (!j)
    fail_msg("not JSON: %.200s", res->body.data ? res->body.data : "");
  return j;
}

/* GET API+resource.json with the query; the records array of the answer is
 * appended to `into` (if given); returns the status. */
static int get_list(struct sandbox *sb, const char *resource, const char *query, cJSON *into,
                    char *next, char *prev, size_t len) {
  char path[128];
  struct sb_response res;
  snprintf(path, sizeof(path), API "%s.json", resource);
  call(sb, "GET", path, query, &res);
  int status = res.status;
  if (status == 200) {
    cJSON *j = body_json(&res), *item;
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, resource);
    assert_true(cJSON_IsArray(arr));
    if (into)
      cJSON_ArrayForEach(item, arr) cJSON_AddItemToArray(into, cJSON_Duplicate(item, 1));
    cJSON_Delete(j);
  }
  if (next && !page_info_of(&res, "next", next, len))
    next[0] = '\0';
  if (prev && !page_info_of(&res, "previous", prev, len))
    prev[0] = '\0';
  sb_response_release(&res);
  return status;
}

/* Every record of a list by following rel="next" from the first page. */
static cJSON *walk(struct sandbox *sb, const char *resource, const char *first_query, int limit,
                   int *pages, char *last_prev, size_t len) {
  cJSON *all = cJSON_CreateArray();
  char next[8192], prev[8192], q[8400];
  int n = 0;
  assert_int_equal(get_list(sb, resource, first_query, all, next, prev, sizeof(next)), 200);
  assert_string_equal(prev, ""); /* the first page has no previous page */
  n++;
  while (next[0]) {
    snprintf(q, sizeof(q), "limit=%d&page_info=%s", limit, next);
    assert_int_equal(get_list(sb, resource, q, all, next, prev, sizeof(next)), 200);
    assert_string_not_equal(prev, "");
    n++;
    assert_true(n < 10000);
  }
  if (pages)
    *pages = n;
  if (last_prev)
    snprintf(last_prev, len, "%s", n > 1 ? prev : "");
  return all;
}

static int64_t time_of(cJSON *o, const char *field) {
  int64_t t = 0;
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, field));
  assert_non_null(s);
  assert_int_equal(time_parse(s, &t), 0);
  return t;
}

static uint64_t id_of(cJSON *o, const char *field) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);
  assert_true(cJSON_IsNumber(v));
  return (uint64_t)cJSON_GetNumberValue(v);
}

static size_t count_of(struct sandbox *sb, const char *resource, const char *query) {
  char path[128];
  struct sb_response res;
  snprintf(path, sizeof(path), API "%s/count.json", resource);
  call(sb, "GET", path, query, &res);
  assert_int_equal(res.status, 200);
  cJSON *j = body_json(&res);
  size_t n = (size_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "count"));
  cJSON_Delete(j);
  sb_response_release(&res);
  return n;
}

/* The truth of a resource as an array of records. */
static cJSON *truth(struct sandbox *sb, const char *resource) {
  char q[96];
  struct sb_response res;
  cJSON *all = cJSON_CreateArray();
  snprintf(q, sizeof(q), "shop=alpha&resource=%s", resource);
  call(sb, "GET", "/_sandbox/truth", q, &res);
  assert_int_equal(res.status, 200);
  for (char *line = res.body.data; line && *line;) {
    char *nl = strchr(line, '\n');
    assert_non_null(nl);
    *nl = '\0';
    cJSON *o = cJSON_Parse(line);
    assert_non_null(o);
    cJSON_AddItemToArray(all, o);
    line = nl + 1;
  }
  sb_response_release(&res);
  return all;
}

/* POST /_sandbox/mutate; returns the answer. */
static cJSON *mutate(struct sandbox *sb, const char *query) {
  struct sb_response res;
  call(sb, "POST", "/_sandbox/mutate", query, &res);
  if (res.status != 200)
    fail_msg("mutate %s: %d %s", query, res.status, res.body.data);
  cJSON *j = body_json(&res);
  sb_response_release(&res);
  return j;
}

static int has_id(cJSON *arr, const char *field, uint64_t id) {
  cJSON *o;
  cJSON_ArrayForEach(o, arr) if (id_of(o, field) == id) return 1;
  return 0;
}

/* ---- pagination ---- */

/* The records run in the list's order, by field then id. */
static void check_sorted(cJSON *all, const char *field, int desc) {
  cJSON *prev = NULL, *o;
  cJSON_ArrayForEach(o, all) {
    if (prev) {
      int64_t a = field ? time_of(prev, field) : 0, b = field ? time_of(o, field) : 0;
      uint64_t ia = id_of(prev, "id"), ib = id_of(o, "id");
      int cmp = a < b ? -1 : a > b ? 1 : ia < ib ? -1 : ia > ib;
      assert_true(desc ? cmp > 0 : cmp < 0);
    }
    prev = o;
  }
}

/* Following rel="previous" back from the last page gives the same records. */
static void check_back(struct sandbox *sb, const char *resource, int limit, const char *last_prev,
                       cJSON *forward) {
  char prev[8192], q[8400];
  cJSON *back = cJSON_CreateArray();
  int total = cJSON_GetArraySize(forward), last = total % limit ? total % limit : limit;
  snprintf(prev, sizeof(prev), "%s", last_prev);
  while (prev[0]) {
    cJSON *page = cJSON_CreateArray(), *o;
    snprintf(q, sizeof(q), "limit=%d&page_info=%s", limit, prev);
    assert_int_equal(get_list(sb, resource, q, page, NULL, prev, sizeof(prev)), 200);
    assert_int_equal(cJSON_GetArraySize(page), limit);
    /* prepend, keeping the page's order */
    for (int i = cJSON_GetArraySize(page) - 1; i >= 0; i--) {
      o = cJSON_DetachItemFromArray(page, i);
      cJSON_InsertItemInArray(back, 0, o);
    }
    cJSON_Delete(page);
  }
  assert_int_equal(cJSON_GetArraySize(back), total - last);
  for (int i = 0; i < total - last; i++)
    assert_true(cJSON_Compare(cJSON_GetArrayItem(back, i), cJSON_GetArrayItem(forward, i), 1));
  cJSON_Delete(back);
}

static void test_pagination_every_list_and_order(void **state) {
  static const char *const orders[] = {
      NULL,     "updated_at asc", "updated_at desc", "created_at asc", "created_at desc",
      "id asc", "id desc"};
  static const char *const resources[] = {"orders", "products", "customers"};
  struct sandbox *sb = sandbox_make(3, 0);
  char q[512], last_prev[8192];
  cJSON_Delete(mutate(sb, "shop=alpha&resource=products&update=5&create=3&delete=2"));
  cJSON_Delete(mutate(sb, "shop=alpha&resource=customers&update=5&create=3&delete=1"));
  cJSON_Delete(mutate(sb, "shop=alpha&update=20&create=4&delete=3"));
  for (size_t r = 0; r < 3; r++) {
    for (size_t k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
      int pages, limit = r == 1 ? 7 : 23;
      snprintf(q, sizeof(q), "limit=%d%s%s%s", limit, r == 0 ? "&status=any" : "",
               orders[k] ? "&order=" : "", orders[k] ? orders[k] : "");
      for (char *c = q; *c; c++)
        if (*c == ' ')
          *c = '+';
      cJSON *all = walk(sb, resources[r], q, limit, &pages, last_prev, sizeof(last_prev));
      size_t n = (size_t)cJSON_GetArraySize(all);
      assert_int_equal(n, count_of(sb, resources[r], r == 0 ? "status=any" : ""));
      assert_true(pages >= 3);
      const char *field = NULL;
      int desc = 0;
      if (!orders[k]) {
        field = r == 0 ? "created_at" : NULL; /* orders: created_at DESC; others: id ASC */
        desc = r == 0;
      } else {
        field = strncmp(orders[k], "id", 2) == 0        ? NULL
                : strncmp(orders[k], "updated", 7) == 0 ? "updated_at"
                                                        : "created_at";
        desc = strstr(orders[k], "desc") != NULL;
      }
      check_sorted(all, field, desc);
      check_back(sb, resources[r], limit, last_prev, all);
      cJSON_Delete(all);
    }
  }
  /* Events (newest first) and inventory levels (by item, then location). */
  cJSON *ev = walk(sb, "events", "limit=4", 4, NULL, last_prev, sizeof(last_prev));
  assert_int_equal(cJSON_GetArraySize(ev), 3 + 2 + 3 + 1 + 4 + 3);
  check_sorted(ev, NULL, 1);
  check_back(sb, "events", 4, last_prev, ev);
  cJSON_Delete(ev);
  cJSON *locs = truth(sb, "locations"), *l;
  char ids[256] = "";
  cJSON_ArrayForEach(l, locs) {
    snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%llu", ids[0] ? "," : "",
             (unsigned long long)id_of(l, "id"));
  }
  snprintf(q, sizeof(q), "limit=11&location_ids=%s", ids);
  cJSON *lv = walk(sb, "inventory_levels", q, 11, NULL, last_prev, sizeof(last_prev));
  cJSON *tl = truth(sb, "inventory_levels");
  assert_true(cJSON_Compare(lv, tl, 1));
  check_back(sb, "inventory_levels", 11, last_prev, lv);
  cJSON *prev = NULL, *o;
  cJSON_ArrayForEach(o, lv) {
    if (prev) {
      uint64_t a = id_of(prev, "inventory_item_id"), b = id_of(o, "inventory_item_id");
      assert_true(a < b || (a == b && id_of(prev, "location_id") < id_of(o, "location_id")));
    }
    prev = o;
  }
  cJSON_Delete(lv);
  cJSON_Delete(tl);
  cJSON_Delete(locs);
  sandbox_free(sb);
}

static void expect_error(struct sandbox *sb, const char *resource, const char *query, int status,
                         const char *body) {
  char path[128];
  struct sb_response res;
  snprintf(path, sizeof(path), API "%s", resource);
  call(sb, "GET", path, query, &res);
  assert_int_equal(res.status, status);
  if (!strstr(res.body.data, body))
    fail_msg("%s?%s: %s lacks %s", resource, query, res.body.data, body);
  sb_response_release(&res);
}

static void test_page_info_rules(void **state) {
  struct sandbox *sb = sandbox_make(3, 0);
  char next[8192], q[8400];
  assert_int_equal(get_list(sb, "products", "limit=5&order=updated_at+asc&vendor=Studio+Kiln", NULL,
                            next, NULL, sizeof(next)),
                   200);
  assert_int_equal(
      get_list(sb, "products", "limit=5&order=updated_at+asc", NULL, next, NULL, sizeof(next)),
      200);
  assert_string_not_equal(next, "");
  snprintf(q, sizeof(q), "limit=5&page_info=%s&order=id+asc", next);
  expect_error(
      sb, "products.json", q, 400,
      "{\"errors\":{\"page_info\":[\"order cannot be passed when page_info is present.\"]}}");
  snprintf(q, sizeof(q), "page_info=%s&updated_at_min=2026-01-01T00:00:00Z", next);
  expect_error(sb, "products.json", q, 400, "updated_at_min cannot be passed when page_info");
  snprintf(q, sizeof(q), "page_info=%s&fields=id,title&limit=3", next);
  assert_int_equal(get_list(sb, "products", q, NULL, NULL, NULL, 0), 200);
  /* A products cursor is not a customers cursor. */
  snprintf(q, sizeof(q), "page_info=%s", next);
  expect_error(sb, "customers.json", q, 400, "{\"errors\":{\"page_info\":[\"Invalid value.\"]}}");
  expect_error(sb, "orders.json", "page_info=AAAA", 400, "Invalid value.");
  expect_error(sb, "customers.json", "order=name+asc", 400, "{\"errors\":{\"order\":[");
  expect_error(sb, "products.json", "status=sold", 400, "{\"errors\":{\"status\":[");
  expect_error(sb, "products.json", "published_status=maybe", 400, "published_status");
  expect_error(sb, "events.json", "filter=Order,Refund", 400, "{\"errors\":{\"filter\":[");
  expect_error(sb, "events.json", "limit=251", 400, "{\"errors\":{\"limit\":[");
  sandbox_free(sb);
}

static void test_inventory_levels_need_ids(void **state) {
  struct sandbox *sb = sandbox_make(3, 0);
  char q[2048] = "inventory_item_ids=";
  expect_error(sb, "inventory_levels.json", "", 422,
               "{\"errors\":{\"base\":[\"inventory_item_ids or location_ids must be present\"]}}");
  expect_error(sb, "inventory_levels.json", "limit=10&updated_at_min=2026-01-01T00:00:00Z", 422,
               "must be present");
  for (int i = 0; i < 51; i++)
    snprintf(q + strlen(q), sizeof(q) - strlen(q), "%s%d", i ? "," : "", 1000 + i);
  expect_error(sb, "inventory_levels.json", q, 422,
               "{\"errors\":{\"inventory_item_ids\":[\"must list at most 50 ids\"]}}");
  /* One item at every location; untracked ones have available null. */
  cJSON *products = truth(sb, "products"), *p, *lv;
  int nlocs = (int)count_of(sb, "locations", ""), untracked = 0;
  cJSON_ArrayForEach(p, products) {
    cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "variants"), 0);
    snprintf(q, sizeof(q), "inventory_item_ids=%llu",
             (unsigned long long)id_of(v, "inventory_item_id"));
    cJSON *levels = cJSON_CreateArray();
    assert_int_equal(get_list(sb, "inventory_levels", q, levels, NULL, NULL, 0), 200);
    assert_int_equal(cJSON_GetArraySize(levels), nlocs);
    int sum = 0,
        tracked = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "inventory_management"));
    cJSON_ArrayForEach(lv, levels) {
      cJSON *a = cJSON_GetObjectItemCaseSensitive(lv, "available");
      assert_true(tracked ? cJSON_IsNumber(a) : cJSON_IsNull(a));
      sum += tracked ? (int)cJSON_GetNumberValue(a) : 0;
    }
    untracked += !tracked;
    assert_int_equal(
        sum, (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(v, "inventory_quantity")));
    cJSON_Delete(levels);
  }
  assert_true(untracked > 0);
  cJSON_Delete(products);
  sandbox_free(sb);
}

static void test_scopes(void **state) {
  struct sandbox *sb = sandbox_make(3, SB_SCOPE_CUSTOMERS | SB_SCOPE_INVENTORY);
  struct sb_response res;
  expect_error(sb, "customers.json", "", 403,
               "{\"errors\":\"[API] This action requires merchant approval for read_customers "
               "scope.\"}");
  expect_error(sb, "customers/count.json", "", 403, "read_customers scope");
  expect_error(sb, "inventory_levels.json", "location_ids=1", 403, "read_inventory scope");
  assert_int_equal(get_list(sb, "products", "", NULL, NULL, NULL, 0), 200);
  assert_int_equal(get_list(sb, "locations", "", NULL, NULL, NULL, 0), 200);
  /* Events: a filter naming a type without its scope is refused; without a
   * filter only the readable types are listed. */
  cJSON_Delete(mutate(sb, "shop=alpha&resource=customers&create=2"));
  cJSON_Delete(mutate(sb, "shop=alpha&create=1"));
  expect_error(sb, "events.json", "filter=Order,Customer", 403, "read_customers scope");
  cJSON *ev = cJSON_CreateArray(), *e;
  assert_int_equal(get_list(sb, "events", "", ev, NULL, NULL, 0), 200);
  assert_int_equal(cJSON_GetArraySize(ev), 1);
  cJSON_ArrayForEach(e, ev) assert_string_equal(
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "subject_type")), "Order");
  cJSON_Delete(ev);
  /* At run time: only read_products left. */
  call(sb, "POST", "/_sandbox/config", "shop=alpha&scopes=read_products", &res);
  assert_int_equal(res.status, 200);
  assert_non_null(strstr(res.body.data, "\"scopes\":[\"read_products\"]"));
  sb_response_release(&res);
  expect_error(sb, "orders.json", "", 403, "read_orders scope");
  expect_error(sb, "orders/count.json", "", 403, "read_orders scope");
  expect_error(sb, "locations.json", "", 403, "read_locations scope");
  ev = cJSON_CreateArray();
  assert_int_equal(get_list(sb, "events", "", ev, NULL, NULL, 0), 200); /* Product events only */
  assert_int_equal(cJSON_GetArraySize(ev), 0);
  cJSON_Delete(ev);
  assert_int_equal(get_list(sb, "products", "", NULL, NULL, NULL, 0), 200);
  assert_int_equal(get_list(sb, "events", "filter=Product", NULL, NULL, NULL, 0), 200);
  call(sb, "POST", "/_sandbox/config", "shop=alpha&scopes=read_locations", &res);
  assert_int_equal(res.status, 200);
  sb_response_release(&res);
  expect_error(sb, "events.json", "", 403, "read_orders scope");
  expect_error(sb, "events/count.json", "filter=Product", 403, "read_products scope");
  call(sb, "GET", API "shop.json", "", &res);
  assert_int_equal(res.status, 200); /* shop.json needs no scope */
  sb_response_release(&res);
  call(sb, "POST", "/_sandbox/config", "shop=alpha&scopes=read_everything", &res);
  assert_int_equal(res.status, 400);
  sb_response_release(&res);
  /* All back. */
  call(sb, "POST", "/_sandbox/config",
       "scopes=read_orders,read_products,read_customers,read_inventory,read_locations", &res);
  assert_int_equal(res.status, 200);
  sb_response_release(&res);
  assert_int_equal(get_list(sb, "customers", "", NULL, NULL, NULL, 0), 200);
  sandbox_free(sb);
}

/* ---- mutations ---- */

static void since_text(struct sandbox *sb, char *out, size_t len) {
  char t[TIME_STR_LEN];
  time_format(sandbox_now(sb), 0, 1, t);
  snprintf(out, len, "%s", t);
}

/* The ids of an answer's "ids" array. */
static int ids_of(cJSON *answer, uint64_t *out, int max) {
  cJSON *v;
  int n = 0;
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(answer, "ids")) {
    assert_true(n < max);
    out[n++] = (uint64_t)cJSON_GetNumberValue(v);
  }
  return n;
}

/* After the clock moves on, exactly the changed records come back with
 * updated_at_min = now, last in updated_at order. */
static void check_changed(struct sandbox *sb, const char *resource, const char *mut,
                          const char *extra, int expect) {
  char since[TIME_STR_LEN], q[512];
  uint64_t ids[64];
  advance(sb, 60);
  since_text(sb, since, sizeof(since));
  cJSON *ans = mutate(sb, mut);
  int n = ids_of(ans, ids, 64);
  assert_int_equal(n, expect);
  snprintf(q, sizeof(q), "limit=250&updated_at_min=%s%s", since, extra);
  cJSON *got = cJSON_CreateArray();
  assert_int_equal(get_list(sb, resource, q, got, NULL, NULL, 0), 200);
  assert_int_equal(cJSON_GetArraySize(got), n);
  for (int i = 0; i < n; i++)
    assert_true(has_id(got, "id", ids[i]));
  cJSON_Delete(got);
  cJSON_Delete(ans);
}

static void test_mutations_move_updated_at(void **state) {
  struct sandbox *sb = sandbox_make(5, 0);
  check_changed(sb, "products", "shop=alpha&resource=products&update=6", "", 6);
  check_changed(sb, "customers", "shop=alpha&resource=customers&update=6", "", 6);
  check_changed(sb, "orders", "shop=alpha&resource=orders&update=6&from=2026-11-12&to=2026-11-14",
                "&status=any", 6);
  check_changed(sb, "orders", "shop=alpha&resource=refunds&update=4", "&status=any", 4);
  /* Created records are new at now, too. */
  check_changed(sb, "customers", "shop=alpha&resource=customers&create=3", "", 3);
  check_changed(sb, "products", "shop=alpha&resource=products&create=2", "", 2);

  /* Inventory: the levels changed, and their variants' products. */
  char since[TIME_STR_LEN], q[512];
  advance(sb, 60);
  since_text(sb, since, sizeof(since));
  cJSON *ans = mutate(sb, "shop=alpha&resource=inventory&update=5");
  cJSON *levels = cJSON_GetObjectItemCaseSensitive(ans, "levels"), *lv;
  assert_int_equal(cJSON_GetArraySize(levels), 5);
  cJSON_ArrayForEach(lv, levels) {
    snprintf(q, sizeof(q), "inventory_item_ids=%llu&location_ids=%llu&updated_at_min=%s",
             (unsigned long long)id_of(lv, "inventory_item_id"),
             (unsigned long long)id_of(lv, "location_id"), since);
    cJSON *got = cJSON_CreateArray();
    assert_int_equal(get_list(sb, "inventory_levels", q, got, NULL, NULL, 0), 200);
    assert_int_equal(cJSON_GetArraySize(got), 1);
    cJSON_Delete(got);
  }
  snprintf(q, sizeof(q), "updated_at_min=%s", since);
  size_t moved = count_of(sb, "products", q);
  assert_true(moved >= 1 && moved <= 5);
  cJSON_Delete(ans);

  /* Orders: a day range picks only orders of those days, each once. */
  advance(sb, 60);
  ans = mutate(sb, "shop=alpha&update=15&from=2026-11-15&to=2026-11-15");
  uint64_t ids[64];
  int n = ids_of(ans, ids, 64);
  assert_int_equal(n, 15);
  assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ans, "updated")), 15);
  cJSON *day = cJSON_CreateArray();
  assert_int_equal(get_list(sb, "orders",
                            "status=any&limit=250&created_at_min=2026-11-15T00:00:00-05:00&"
                            "created_at_max=2026-11-15T23:59:59-05:00",
                            day, NULL, NULL, 0),
                   200);
  for (int i = 0; i < n; i++)
    assert_true(has_id(day, "id", ids[i]));
  cJSON_Delete(day);
  cJSON_Delete(ans);
  /* More than the day holds: every order once, no more. */
  ans = mutate(sb, "shop=alpha&update=100000&from=2026-11-15&to=2026-11-15");
  assert_int_equal(
      (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ans, "updated")),
      (int)count_of(sb, "orders",
                    "status=any&created_at_min=2026-11-15T00:00:00-05:00&created_at_max=2026-11-"
                    "15T23:59:59-05:00"));
  cJSON_Delete(ans);
  sandbox_free(sb);
}

/* Keyset pages over a moving sort key behave like a database's: a record
 * updated after it was seen shows up again at the end (ascending), one not
 * yet seen that jumps behind the cursor (descending) is not seen. */
static void test_records_move_while_paging(void **state) {
  static const char *const resources[] = {"products", "customers", "orders"};
  for (int r = 0; r < 3; r++) {
    for (int desc = 0; desc < 2; desc++) {
      struct sandbox *sb = sandbox_make(9, 0);
      char next[8192], q[8400], mut[128];
      uint64_t ids[64];
      cJSON *seen = cJSON_CreateArray(), *first = cJSON_CreateArray();
      snprintf(q, sizeof(q), "limit=10&order=updated_at+%s%s", desc ? "desc" : "asc",
               r == 2 ? "&status=any" : "");
      assert_int_equal(get_list(sb, resources[r], q, first, next, NULL, sizeof(next)), 200);
      advance(sb, 60);
      snprintf(mut, sizeof(mut), "shop=alpha&resource=%s&update=15", resources[r]);
      cJSON *ans = mutate(sb, mut);
      int n = ids_of(ans, ids, 64);
      while (next[0]) {
        snprintf(q, sizeof(q), "limit=10&page_info=%s", next);
        assert_int_equal(get_list(sb, resources[r], q, seen, next, NULL, sizeof(next)), 200);
      }
      for (int i = 0; i < n; i++) {
        int before = has_id(first, "id", ids[i]), after = has_id(seen, "id", ids[i]);
        if (!desc)
          assert_true(after); /* moved to the end: seen (again, if seen before) */
        else
          assert_false(after); /* moved to the front, behind the cursor */
        (void)before;
      }
      cJSON_Delete(ans);
      cJSON_Delete(seen);
      cJSON_Delete(first);
      sandbox_free(sb);
    }
  }
}

static void test_deletes_make_destroy_events(void **state) {
  struct sandbox *sb = sandbox_make(11, 0);
  struct sb_response res;
  char path[128], q[256], since[TIME_STR_LEN];
  uint64_t oid[8], pid[8], cid[8];
  size_t orders0 = count_of(sb, "orders", "status=any"), products0 = count_of(sb, "products", "");
  cJSON *tl0 = truth(sb, "inventory_levels");
  size_t levels0 = (size_t)cJSON_GetArraySize(tl0);
  cJSON_Delete(tl0);
  advance(sb, 30);
  since_text(sb, since, sizeof(since));
  cJSON *a = mutate(sb, "shop=alpha&delete=3");
  cJSON *b = mutate(sb, "shop=alpha&resource=products&delete=2");
  cJSON *c0 = mutate(sb, "shop=alpha&resource=customers&create=2");
  cJSON *c = mutate(sb, "shop=alpha&resource=customers&delete=2");
  assert_int_equal(ids_of(a, oid, 8), 3);
  assert_int_equal(ids_of(b, pid, 8), 2);
  assert_int_equal(ids_of(c, cid, 8), 2);
  assert_int_equal(count_of(sb, "orders", "status=any"), orders0 - 3);
  assert_int_equal(count_of(sb, "products", ""), products0 - 2);
  /* Gone from lists, counts, single answers and the truth. */
  cJSON *to = truth(sb, "orders"), *tp = truth(sb, "products"), *tc = truth(sb, "customers");
  cJSON *tl = truth(sb, "inventory_levels"), *te = truth(sb, "events"), *l;
  for (int i = 0; i < 3; i++) {
    assert_false(has_id(to, "id", oid[i]));
    snprintf(path, sizeof(path), API "orders/%llu.json", (unsigned long long)oid[i]);
    call(sb, "GET", path, "", &res);
    assert_int_equal(res.status, 404);
    sb_response_release(&res);
  }
  for (int i = 0; i < 2; i++) {
    assert_false(has_id(tp, "id", pid[i]));
    assert_false(has_id(tc, "id", cid[i]));
    snprintf(path, sizeof(path), API "products/%llu.json", (unsigned long long)pid[i]);
    call(sb, "GET", path, "", &res);
    assert_int_equal(res.status, 404);
    sb_response_release(&res);
    snprintf(path, sizeof(path), API "customers/%llu.json", (unsigned long long)cid[i]);
    call(sb, "GET", path, "", &res);
    assert_int_equal(res.status, 404);
    sb_response_release(&res);
  }
  /* The deleted products took their inventory levels with them. */
  assert_true((size_t)cJSON_GetArraySize(tl) < levels0);
  cJSON_ArrayForEach(l, tl) {
    uint64_t item = id_of(l, "inventory_item_id");
    cJSON *p;
    int found = 0;
    cJSON_ArrayForEach(p, tp) {
      cJSON *v;
      cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(p, "variants")) found |=
          id_of(v, "inventory_item_id") == item;
    }
    assert_true(found);
  }
  /* events.json: destroy events of each, by filter (, or |) and verb. */
  snprintf(q, sizeof(q), "filter=Order|Product,Customer&verb=destroy&created_at_min=%s", since);
  cJSON *ev = cJSON_CreateArray(), *e;
  assert_int_equal(get_list(sb, "events", q, ev, NULL, NULL, 0), 200);
  assert_int_equal(cJSON_GetArraySize(ev), 7);
  for (int i = 0; i < 3; i++)
    assert_true(has_id(ev, "subject_id", oid[i]));
  for (int i = 0; i < 2; i++)
    assert_true(has_id(ev, "subject_id", pid[i]) && has_id(ev, "subject_id", cid[i]));
  cJSON_ArrayForEach(e, ev) {
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "verb")),
                        "destroy");
    assert_true(time_of(e, "created_at") >= test_now());
  }
  cJSON_Delete(ev);
  ev = cJSON_CreateArray();
  assert_int_equal(get_list(sb, "events", "filter=Product&verb=destroy", ev, NULL, NULL, 0), 200);
  assert_int_equal(cJSON_GetArraySize(ev), 2);
  cJSON_Delete(ev);
  assert_int_equal(count_of(sb, "events", "verb=create"), 2);
  assert_int_equal(cJSON_GetArraySize(te), 9);
  /* truth/deleted lists the same, oldest first. */
  call(sb, "GET", "/_sandbox/truth/deleted", "shop=alpha", &res);
  assert_int_equal(res.status, 200);
  int lines = 0;
  for (const char *p = res.body.data; p && (p = strchr(p, '\n')); p++)
    lines++;
  assert_int_equal(lines, 7);
  assert_non_null(strstr(res.body.data, "{\"subject_type\":\"Order\",\"subject_id\":"));
  assert_non_null(strstr(res.body.data, "\"deleted_at\":\"2026-11-20T07:00:"));
  sb_response_release(&res);
  /* Customers with orders cannot be deleted, as on Shopify: deleting more
   * than there are customers without orders stops at those. */
  size_t customers = count_of(sb, "customers", ""), orderless = 0;
  cJSON *co;
  cJSON_ArrayForEach(co, tc) orderless +=
      cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(co, "orders_count")) == 0;
  cJSON *all = mutate(sb, "shop=alpha&resource=customers&delete=100000");
  assert_int_equal((size_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(all, "deleted")),
                   orderless);
  assert_int_equal(count_of(sb, "customers", ""), customers - orderless);
  cJSON_Delete(all);
  cJSON_Delete(a);
  cJSON_Delete(b);
  cJSON_Delete(c0);
  cJSON_Delete(c);
  cJSON_Delete(to);
  cJSON_Delete(tp);
  cJSON_Delete(tc);
  cJSON_Delete(tl);
  cJSON_Delete(te);
  sandbox_free(sb);
}

/* ---- refunds and money ---- */

/* "12.34" or 12.34 -> 1234 */
static long long cents(cJSON *v) {
  char tmp[32];
  const char *s;
  if (cJSON_IsNumber(v)) {
    snprintf(tmp, sizeof(tmp), "%.2f", cJSON_GetNumberValue(v));
    s = tmp;
  } else {
    s = cJSON_GetStringValue(v);
  }
  assert_non_null(s);
  int neg = *s == '-';
  long long whole = 0, frac = 0;
  for (s += neg; *s && *s != '.'; s++)
    whole = whole * 10 + (*s - '0');
  assert_int_equal(*s, '.');
  assert_true(s[1] && s[2] && !s[3]);
  frac = (s[1] - '0') * 10 + (s[2] - '0');
  return (neg ? -1 : 1) * (whole * 100 + frac);
}

static long long field_cents(cJSON *o, const char *k) {
  return cents(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* Checks one order's refunds against its status and totals; returns what
 * they refund. */
static long long check_refunds(cJSON *o) {
  const char *fin = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "financial_status"));
  int included = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "taxes_included"));
  long long total = field_cents(o, "total_price"), refunded = 0;
  cJSON *refunds = cJSON_GetObjectItemCaseSensitive(o, "refunds"), *r;
  int per_line[64] = {0};
  cJSON_ArrayForEach(r, refunds) {
    long long lines = 0, adj = 0, tx = 0;
    cJSON *x;
    assert_int_equal(id_of(r, "order_id"), id_of(o, "id"));
    assert_true(time_of(r, "created_at") >= time_of(o, "created_at"));
    assert_true(time_of(r, "created_at") <= time_of(o, "updated_at"));
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "refund_line_items")) {
      cJSON *li = cJSON_GetObjectItemCaseSensitive(x, "line_item"), *ol;
      int idx = 0, found = 0;
      assert_int_equal(id_of(x, "line_item_id"), id_of(li, "id"));
      cJSON_ArrayForEach(ol, cJSON_GetObjectItemCaseSensitive(o, "line_items")) {
        if (id_of(ol, "id") == id_of(li, "id")) {
          found = 1;
          break;
        }
        idx++;
      }
      assert_true(found && idx < 64);
      per_line[idx] += (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "quantity"));
      assert_true(per_line[idx] <=
                  (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ol, "quantity")));
      lines += field_cents(x, "subtotal") + (included ? 0 : field_cents(x, "total_tax"));
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "order_adjustments")) adj -=
        field_cents(x, "amount");
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "transactions")) {
      assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "kind")),
                          "refund");
      assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "status")),
                          "success");
      tx += field_cents(x, "amount");
    }
    assert_int_equal(lines + adj, tx);
    assert_true(tx > 0);
    refunded += tx;
  }
  if (strcmp(fin, "refunded") == 0)
    assert_int_equal(refunded, total);
  else if (strcmp(fin, "partially_refunded") == 0)
    assert_true(refunded > 0 && refunded < total);
  else
    assert_int_equal(cJSON_GetArraySize(refunds), 0);
  return refunded;
}

/* Every customer's counts and total_spent add up from the orders. */
static void check_customers(struct sandbox *sb) {
  cJSON *to = truth(sb, "orders"), *tc = truth(sb, "customers"), *c, *o;
  cJSON_ArrayForEach(c, tc) {
    uint64_t id = id_of(c, "id");
    long long spent = 0;
    int n = 0;
    uint64_t last = 0;
    cJSON_ArrayForEach(o, to) {
      if (id_of(cJSON_GetObjectItemCaseSensitive(o, "customer"), "id") != id)
        continue;
      const char *fin =
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "financial_status"));
      n++;
      last = id_of(o, "id");
      if (!strcmp(fin, "paid") || !strcmp(fin, "partially_refunded") || !strcmp(fin, "refunded"))
        spent += field_cents(o, "total_price") - check_refunds(o);
      assert_true(time_of(c, "updated_at") >= time_of(o, "updated_at"));
    }
    assert_int_equal(
        n, (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "orders_count")));
    assert_int_equal(spent, field_cents(c, "total_spent"));
    if (n)
      assert_int_equal(last, id_of(c, "last_order_id"));
    else
      assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c, "last_order_id")));
  }
  cJSON_Delete(to);
  cJSON_Delete(tc);
}

/* Every refund of the shop, without the line items' current state, as an
 * array. */
static cJSON *refunds_now(struct sandbox *sb) {
  cJSON *to = truth(sb, "orders"), *all = cJSON_CreateArray(), *o, *r, *x;
  cJSON_ArrayForEach(o, to) {
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(o, "refunds")) {
      cJSON *copy = cJSON_Duplicate(r, 1);
      cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(copy, "refund_line_items"))
          cJSON_DeleteItemFromObjectCaseSensitive(x, "line_item");
      cJSON_AddItemToArray(all, copy);
    }
  }
  cJSON_Delete(to);
  return all;
}

/* Once made, a refund stays as it was while its order goes on changing
 * (fulfilled, cancelled, refunded further). */
static void test_refunds_never_change(void **state) {
  struct sandbox *sb = sandbox_make(19, 0);
  cJSON *before = refunds_now(sb), *r;
  advance(sb, 60);
  cJSON_Delete(mutate(sb, "shop=alpha&update=5000")); /* every order, many times */
  cJSON_Delete(mutate(sb, "shop=alpha&resource=refunds&update=40"));
  cJSON *after = refunds_now(sb);
  assert_true(cJSON_GetArraySize(after) > cJSON_GetArraySize(before));
  cJSON_ArrayForEach(r, before) {
    cJSON *a;
    int found = 0;
    cJSON_ArrayForEach(a, after) {
      if (id_of(a, "id") != id_of(r, "id"))
        continue;
      found = 1;
      assert_true(cJSON_Compare(a, r, 1));
    }
    assert_true(found);
  }
  cJSON_Delete(before);
  cJSON_Delete(after);
  sandbox_free(sb);
}

static void test_refunds_and_money(void **state) {
  const char *zones[] = {"America/New_York", "Europe/Berlin"};
  for (int z = 0; z < 2; z++) {
    struct sandbox *sb = sandbox_in(13, 0, zones[z]);
    cJSON *to = truth(sb, "orders"), *o;
    int partial = 0, full = 0;
    cJSON_ArrayForEach(o, to) {
      check_refunds(o);
      const char *fin =
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "financial_status"));
      partial += strcmp(fin, "partially_refunded") == 0;
      full += strcmp(fin, "refunded") == 0;
    }
    assert_true(partial > 0 && full > 0);
    cJSON_Delete(to);
    /* Changes before the customers are first read, then after. */
    cJSON_Delete(mutate(sb, "shop=alpha&update=30&create=5&delete=2"));
    check_customers(sb);
    /* Refunds added later: paid -> partially_refunded -> refunded. */
    advance(sb, 120);
    cJSON *before = truth(sb, "orders");
    cJSON *ans = mutate(sb, "shop=alpha&resource=refunds&update=25");
    uint64_t ids[32];
    int n = ids_of(ans, ids, 32);
    assert_int_equal(n, 25);
    cJSON *after = truth(sb, "orders");
    for (int i = 0; i < n; i++) {
      cJSON *a = NULL, *b = NULL;
      cJSON_ArrayForEach(o, before) if (id_of(o, "id") == ids[i]) a = o;
      cJSON_ArrayForEach(o, after) if (id_of(o, "id") == ids[i]) b = o;
      assert_non_null(a);
      assert_non_null(b);
      const char *fa =
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "financial_status"));
      const char *fb =
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "financial_status"));
      assert_string_equal(fb, strcmp(fa, "paid") == 0 ? "partially_refunded" : "refunded");
      assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "refunds")),
                       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "refunds")) + 1);
      assert_true(time_of(b, "updated_at") >= test_now() + 120);
      assert_true(time_of(b, "updated_at") > time_of(a, "updated_at"));
      check_refunds(b);
    }
    check_customers(sb);
    cJSON_Delete(ans);
    cJSON_Delete(before);
    cJSON_Delete(after);
    /* orders/ID/refunds.json shows the same refunds. */
    char path[128];
    struct sb_response res;
    snprintf(path, sizeof(path), API "orders/%llu/refunds.json", (unsigned long long)ids[0]);
    call(sb, "GET", path, "", &res);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.body.data, "{\"refunds\":[{\"id\":"));
    sb_response_release(&res);
    sandbox_free(sb);
  }
}

/* ---- truth, determinism, Date ---- */

static void test_truth_equals_paged_lists(void **state) {
  static const struct {
    const char *resource;
    const char *query;
  } lists[] = {{"orders", "status=any&order=id+asc&limit=250"},
               {"products", "limit=250"},
               {"customers", "limit=250&order=id+asc"},
               {"events", "limit=250&since_id=1"}};
  struct sandbox *sb = sandbox_make(17, 0);
  cJSON_Delete(mutate(sb, "shop=alpha&update=10&create=3&delete=2"));
  cJSON_Delete(mutate(sb, "shop=alpha&resource=products&update=5&create=2&delete=1"));
  cJSON_Delete(mutate(sb, "shop=alpha&resource=customers&update=5&create=2&delete=1"));
  cJSON_Delete(mutate(sb, "shop=alpha&resource=inventory&update=10"));
  cJSON_Delete(mutate(sb, "shop=alpha&resource=refunds&update=5"));
  for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
    cJSON *paged = walk(sb, lists[i].resource, lists[i].query, 250, NULL, NULL, 0);
    cJSON *t = truth(sb, lists[i].resource);
    assert_true(cJSON_GetArraySize(t) > 0);
    assert_true(cJSON_Compare(paged, t, 1));
    cJSON_Delete(paged);
    cJSON_Delete(t);
  }
  cJSON *locs = cJSON_CreateArray(), *t = truth(sb, "locations");
  assert_int_equal(get_list(sb, "locations", "", locs, NULL, NULL, 0), 200);
  assert_true(cJSON_Compare(locs, t, 1));
  assert_true(cJSON_GetArraySize(t) >= 2 && cJSON_GetArraySize(t) <= 4);
  cJSON_Delete(locs);
  cJSON_Delete(t);
  sandbox_free(sb);
}

/* Every truth of a sandbox after a fixed series of changes, as one text. */
static void truth_bytes(struct sandbox *sb, struct buf *out) {
  static const char *const kinds[] = {"orders",    "products",         "customers",
                                      "locations", "inventory_levels", "events"};
  struct sb_response res;
  char q[96];
  const char *muts[] = {"shop=alpha&update=20&create=3&delete=2",
                        "shop=alpha&resource=products&update=4&create=2&delete=1",
                        "shop=alpha&resource=customers&update=4&create=2&delete=1",
                        "shop=alpha&resource=inventory&update=9",
                        "shop=alpha&resource=refunds&update=6",
                        "shop=alpha&update=5&from=2026-11-16&to=2026-11-17"};
  for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
    cJSON *a = mutate(sb, muts[i]);
    char *text = cJSON_PrintUnformatted(a);
    buf_puts(out, text);
    free(text);
    cJSON_Delete(a);
  }
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    snprintf(q, sizeof(q), "shop=alpha&resource=%s", kinds[i]);
    call(sb, "GET", "/_sandbox/truth", q, &res);
    buf_append(out, res.body.data, res.body.len);
    sb_response_release(&res);
  }
  call(sb, "GET", "/_sandbox/truth/deleted", "shop=alpha", &res);
  buf_append(out, res.body.data, res.body.len);
  sb_response_release(&res);
}

static void test_deterministic(void **state) {
  struct buf a, b, c;
  struct sandbox *s1 = sandbox_make(21, 0), *s2 = sandbox_make(21, 0), *s3 = sandbox_make(22, 0);
  buf_init(&a, 0);
  buf_init(&b, 0);
  buf_init(&c, 0);
  /* The same world time for each: --now + 90 s when it starts (a run takes
   * far less than the second that would tell them apart). */
  s1->mono_start = sandbox_mono() - 90;
  truth_bytes(s1, &a);
  s2->mono_start = sandbox_mono() - 90;
  truth_bytes(s2, &b);
  s3->mono_start = sandbox_mono() - 90;
  truth_bytes(s3, &c);
  assert_true(a.len > 100000);
  assert_int_equal(a.len, b.len);
  assert_memory_equal(a.data, b.data, a.len);
  assert_false(a.len == c.len && memcmp(a.data, c.data, a.len) == 0);
  buf_release(&a);
  buf_release(&b);
  buf_release(&c);
  sandbox_free(s1);
  sandbox_free(s2);
  sandbox_free(s3);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  struct buf *b = ud;
  size_t len = size * n;
  if (len > 5 && strncasecmp(p, "date:", 5) == 0)
    buf_append(b, p, len);
  return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  return size * n;
}

static void test_date_header_follows_now(void **state) {
  struct sandbox *sb = sandbox_make(3, 0);
  struct sb_response res;
  const char *paths[] = {API "orders.json", API "products.json", "/_sandbox/info",
                         "/shops/nope/admin/api/2024-01/orders.json"};
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    call(sb, "GET", paths[i], "", &res);
    const char *d = header(&res, "Date");
    assert_non_null(d);
    assert_true(strcmp(d, "Fri, 20 Nov 2026 12:00:00 GMT") == 0 ||
                strcmp(d, "Fri, 20 Nov 2026 12:00:01 GMT") == 0);
    int dates = 0;
    for (int k = 0; k < res.nheaders; k++)
      dates += strcasecmp(res.headers[k].name, "Date") == 0;
    assert_int_equal(dates, 1);
    sb_response_release(&res);
  }
  advance(sb, 86400 * 40 + 3600);
  call(sb, "GET", API "shop.json", "", &res);
  assert_string_equal(header(&res, "Date"), "Wed, 30 Dec 2026 13:00:00 GMT");
  sb_response_release(&res);

  /* Over HTTP: exactly one Date header, the world's. */
  struct sb_server *srv;
  struct err err = {0};
  struct buf dates;
  char url[256];
  struct curl_slist *hl = curl_slist_append(NULL, "X-Shopify-Access-Token: " TOKEN);
  if (sb_server_start(sb, &srv, &err))
    fail_msg("server: %s", err.msg);
  buf_init(&dates, 0);
  CURL *c = curl_easy_init();
  snprintf(url, sizeof(url), "%s" API "products.json?limit=1", sb->base_url);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &dates);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  assert_non_null(dates.data);
  assert_non_null(strstr(dates.data, "Wed, 30 Dec 2026 13:00:0"));
  assert_null(strstr(strchr(dates.data, '\n') + 1, "ate:")); /* only one */
  curl_easy_cleanup(c);
  curl_slist_free_all(hl);
  buf_release(&dates);
  sb_server_stop(srv);
  sandbox_free(sb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pagination_every_list_and_order),
      cmocka_unit_test(test_page_info_rules),
      cmocka_unit_test(test_inventory_levels_need_ids),
      cmocka_unit_test(test_scopes),
      cmocka_unit_test(test_mutations_move_updated_at),
      cmocka_unit_test(test_records_move_while_paging),
      cmocka_unit_test(test_deletes_make_destroy_events),
      cmocka_unit_test(test_refunds_and_money),
      cmocka_unit_test(test_refunds_never_change),
      cmocka_unit_test(test_truth_equals_paged_lists),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_date_header_follows_now),
  };
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
