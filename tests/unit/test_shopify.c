/* The Shopify connector's streams without a network: the request each
 * stream and slice kind builds, the records each page gives, and the
 * verdicts of its errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "util/json.h"

extern const struct connector shopify_connector;

#define BASE "http://shop.test"
#define API BASE "/admin/api/2024-01"

struct fx {
  struct source src;
  void *st;
};

static const struct stream_def *stream(const char *name) {
  const struct stream_def *d = stream_find(shopify_connector.streams, name);
  assert_non_null(d);
  return d;
}

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof(*f));
  struct err err = {0};
  assert_non_null(f);
  snprintf(f->src.row.name, sizeof(f->src.row.name), "shop");
  f->src.row.settings = strdup("{\"api_base\":\"" BASE "\",\"api_version\":\"2024-01\"}");
  f->src.api_base = strdup(BASE);
  f->src.timezone = strdup("America/New_York");
  f->src.currency = strdup("JPY");
  assert_int_equal(tz_open(f->src.timezone, &f->src.tz, &err), MS_OK);
  snprintf(f->src.secrets[0].name, sizeof(f->src.secrets[0].name), "token");
  f->src.secrets[0].value = strdup("shpat_test");
  f->src.nsecrets = 1;
  assert_int_equal(shopify_connector.open(&f->src, &f->st, &err), MS_OK);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  shopify_connector.close(f->st);
  source_release(&f->src);
  free(f);
  return 0;
}

static void slice_of(struct slice *sl, enum slice_kind kind, int64_t start, int64_t end) {
  memset(sl, 0, sizeof(*sl));
  sl->kind = kind;
  sl->range_start = start;
  sl->range_end = end;
}

/* The request's URL, percent-decoding %20 and %2C to read it easily. */
static void request(struct fx *f, const struct stream_def *def, const struct slice *sl, char *out,
                    size_t n, int want) {
  struct http_request req;
  struct err err = {0};
  size_t o = 0;
  http_request_init(&req);
  assert_int_equal(def->page_request(f->st, def, sl, &req, &err), want);
  if (want == MS_OK) {
    for (const char *p = req.url.data; *p && o + 1 < n; p++) {
      if (strncmp(p, "%20", 3) == 0 || strncmp(p, "%2C", 3) == 0 || strncmp(p, "%3A", 3) == 0) {
        out[o++] = p[2] == '0' ? ' ' : p[2] == 'C' ? ',' : ':';
        p += 2;
      } else {
        out[o++] = *p;
      }
    }
  }
  out[o] = '\0';
  http_request_release(&req);
}

static void test_requests_by_stream_and_slice_kind(void **state) {
  struct fx *f = *state;
  struct slice sl;
  char url[2048];
  /* a day of orders: created bounds in the shop's offset, inclusive */
  slice_of(&sl, SLICE_DAY, 1772946000, 1773028800); /* 2026-03-08 New York, 23 h */
  request(f, stream("orders"), &sl, url, sizeof(url), MS_OK);
  assert_string_equal(url,
                      API "/orders.json?limit=250&status=any&created_at_min=2026-03-08T00:00:00"
                          "-05:00&created_at_max=2026-03-08T23:59:59-04:00");
  /* changes: in update order, from the window's start */
  slice_of(&sl, SLICE_WINDOW, 1773000000, 0);
  request(f, stream("orders"), &sl, url, sizeof(url), MS_OK);
  assert_non_null(strstr(url, "&order=updated_at asc&updated_at_min=2026-03-08T"));
  request(f, stream("products"), &sl, url, sizeof(url), MS_OK);
  assert_non_null(strstr(url, API "/products.json?limit=250&order=updated_at asc&updated_at_min="));
  /* a first pass has no lower bound */
  slice_of(&sl, SLICE_WINDOW, 0, 0);
  request(f, stream("customers"), &sl, url, sizeof(url), MS_OK);
  assert_string_equal(url, API "/customers.json?limit=250&order=updated_at asc");
  /* deletions: destroy events since the window's start */
  slice_of(&sl, SLICE_WINDOW, 1773000000, 0);
  request(f, stream("deletions"), &sl, url, sizeof(url), MS_OK);
  assert_non_null(strstr(url, "/events.json?limit=250&filter=Order,Product,Customer&verb=destroy"
                              "&created_at_min="));
  assert_null(strstr(url, "order=")); /* the events list has no update order */
  /* locations: the whole list */
  slice_of(&sl, SLICE_SNAPSHOT, 0, 0);
  request(f, stream("locations"), &sl, url, sizeof(url), MS_OK);
  assert_string_equal(url, API "/locations.json");
  /* fetched again by id, 250 at a time */
  slice_of(&sl, SLICE_REFETCH, 0, 0);
  sl.cursor = strdup("[\"11\",\"12\"]");
  request(f, stream("orders"), &sl, url, sizeof(url), MS_OK);
  assert_string_equal(url, API "/orders.json?limit=250&status=any&ids=11,12");
  free(sl.cursor);
  sl.cursor = strdup("[\"x'\"]");
  request(f, stream("orders"), &sl, url, sizeof(url), MS_ECURSOR);
  free(sl.cursor);
  sl.cursor = NULL;
  request(f, stream("orders"), &sl, url, sizeof(url), MS_ENOTFOUND);
  /* a next page is the Link URL as given, on the API's own origin only */
  slice_of(&sl, SLICE_WINDOW, 0, 0);
  sl.cursor = strdup(API "/customers.json?limit=250&page_info=abc");
  request(f, stream("customers"), &sl, url, sizeof(url), MS_OK);
  assert_string_equal(url, API "/customers.json?limit=250&page_info=abc");
  free(sl.cursor);
  sl.cursor = strdup("http://evil.test/admin/api/2024-01/customers.json?page_info=abc");
  request(f, stream("customers"), &sl, url, sizeof(url), MS_ECURSOR);
  free(sl.cursor);
}

static void response(struct http_response *res, long status, const char *body, const char *link) {
  http_response_init(res);
  res->status = status;
  if (body)
    assert_int_equal(buf_puts(&res->body, body), MS_OK);
  if (link)
    assert_int_equal(http_response_add_header(res, "Link", 4, link, strlen(link)), MS_OK);
}

static void parse_ok(struct fx *f, const struct stream_def *def, const struct slice *sl,
                     const char *body, const char *link, struct page *pg) {
  struct http_response res;
  struct err err = {0};
  int rc;
  response(&res, 200, body, link);
  page_init(pg, def);
  rc = def->parse_page(f->st, def, sl, &res, pg, &err);
  http_response_release(&res);
  if (rc)
    fail_msg("%s page: %d %s", def->name, rc, err.msg);
}

static const char *text(const struct record *r, const struct stream_def *def, const char *col) {
  const struct value *v = record_value(r, def, col);
  assert_non_null(v);
  return v->set ? v->text : NULL;
}

static void test_orders_with_items_refunds_and_their_lines(void **state) {
  struct fx *f = *state;
  const struct stream_def *orders = stream("orders");
  struct slice sl;
  struct page pg;
  const struct record_set *items = NULL, *refunds = NULL;
  slice_of(&sl, SLICE_DAY, 0, 1);
  parse_ok(
      f, orders, &sl,
      "{\"orders\":[{\"id\":5000000000001,\"name\":\"#1001\",\"created_at\":"
      "\"2026-03-08T10:00:00-05:00\",\"updated_at\":\"2026-03-09T10:00:00-04:00\","
      "\"currency\":\"EUR\",\"total_price\":\"64.67\",\"financial_status\":\"partially_refunded\","
      "\"cancelled_at\":null,\"closed_at\":\"2026-03-09T10:00:00-04:00\",\"customer\":{\"id\":9},"
      "\"line_items\":[{\"id\":1,\"sku\":\"A\",\"quantity\":2,\"price\":\"20.00\"}],"
      "\"refunds\":[{\"id\":77,\"created_at\":\"2026-03-09T10:00:00-04:00\",\"restock\":true,"
      "\"transactions\":[{\"kind\":\"refund\",\"amount\":\"20.00\",\"currency\":\"EUR\"},"
      "{\"kind\":\"sale\",\"amount\":\"5.00\"}],"
      "\"refund_line_items\":[{\"id\":88,\"line_item_id\":1,\"quantity\":1,\"subtotal\":"
      "20.0}]}]}]}",
      "<" API "/orders.json?limit=250&page_info=n2>; rel=\"next\"", &pg);
  assert_int_equal(pg.n, 1);
  assert_string_equal(pg.next_cursor, API "/orders.json?limit=250&page_info=n2");
  assert_string_equal(pg.recs[0].external_id, "5000000000001");
  assert_string_equal(text(&pg.recs[0], orders, "status"), "closed");
  assert_string_equal(text(&pg.recs[0], orders, "customer_id"), "9");
  assert_int_equal(record_value(&pg.recs[0], orders, "total_price")->i, 6467);
  for (size_t i = 0; i < pg.recs[0].nkids; i++) {
    if (strcmp(pg.recs[0].kids[i].def->name, "order_items") == 0)
      items = &pg.recs[0].kids[i];
    if (strcmp(pg.recs[0].kids[i].def->name, "refunds") == 0)
      refunds = &pg.recs[0].kids[i];
  }
  assert_non_null(items);
  assert_non_null(refunds);
  assert_int_equal(items->n, 1);
  assert_string_equal(text(&items->recs[0], items->def, "currency"), "EUR");
  assert_int_equal(record_value(&items->recs[0], items->def, "price")->i, 2000);
  assert_int_equal(refunds->n, 1);
  /* only refund transactions count, in the order's currency */
  assert_string_equal(text(&refunds->recs[0], refunds->def, "amount"), "20.00");
  assert_int_equal(refunds->recs[0].nkids, 1);
  assert_int_equal(refunds->recs[0].kids[0].n, 1);
  assert_string_equal(refunds->recs[0].kids[0].recs[0].external_id, "88");
  page_release(&pg);
}

static void test_products_use_the_shop_currency(void **state) {
  struct fx *f = *state;
  const struct stream_def *products = stream("products");
  struct slice sl;
  struct page pg;
  slice_of(&sl, SLICE_WINDOW, 0, 0);
  parse_ok(
      f, products, &sl,
      "{\"products\":[{\"id\":7,\"title\":\"Mug\",\"status\":\"active\","
      "\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-02-01T00:00:00Z\","
      "\"variants\":[{\"id\":70,\"sku\":\"M-1\",\"price\":\"1500\",\"inventory_item_id\":700}]}]}",
      NULL, &pg);
  assert_int_equal(pg.n, 1);
  assert_null(pg.next_cursor);
  assert_int_equal(pg.recs[0].nkids, 1);
  /* the shop sells in JPY: 1500 is 1500 minor units */
  assert_int_equal(record_value(&pg.recs[0].kids[0].recs[0], pg.recs[0].kids[0].def, "price")->i,
                   1500);
  page_release(&pg);
}

static void test_inventory_levels_ask_the_locations_first(void **state) {
  struct fx *f = *state;
  const struct stream_def *levels = stream("inventory_levels");
  struct slice sl;
  struct page pg;
  char url[2048];
  slice_of(&sl, SLICE_WINDOW, 1773000000, 0);
  request(f, levels, &sl, url, sizeof(url), MS_OK);
  assert_string_equal(url, API "/locations.json");
  parse_ok(f, levels, &sl, "{\"locations\":[{\"id\":1},{\"id\":2}]}", NULL, &pg);
  assert_int_equal(pg.n, 0);
  assert_non_null(pg.next_cursor);
  sl.cursor = pg.next_cursor;
  pg.next_cursor = NULL;
  page_release(&pg);
  request(f, levels, &sl, url, sizeof(url), MS_OK);
  assert_non_null(
      strstr(url, API "/inventory_levels.json?limit=250&location_ids=1,2&updated_at_min="));
  parse_ok(f, levels, &sl,
           "{\"inventory_levels\":[{\"inventory_item_id\":700,\"location_id\":1,\"available\":3,"
           "\"updated_at\":\"2026-03-08T12:00:00Z\"}]}",
           "<" API "/inventory_levels.json?page_info=p2>; rel=\"next\"", &pg);
  assert_int_equal(pg.n, 1);
  assert_string_equal(pg.recs[0].external_id, "700:1"); /* item and location */
  free(sl.cursor);
  sl.cursor = pg.next_cursor;
  pg.next_cursor = NULL;
  page_release(&pg);
  request(f, levels, &sl, url, sizeof(url), MS_OK);
  assert_string_equal(url, API "/inventory_levels.json?page_info=p2");
  /* the last page of the last batch ends the pass */
  parse_ok(f, levels, &sl, "{\"inventory_levels\":[]}", NULL, &pg);
  assert_null(pg.next_cursor);
  page_release(&pg);
  free(sl.cursor);
}

static void test_destroy_events_name_what_is_gone(void **state) {
  struct fx *f = *state;
  const struct stream_def *del = stream("deletions");
  struct slice sl;
  struct page pg;
  slice_of(&sl, SLICE_WINDOW, 0, 0);
  parse_ok(f, del, &sl,
           "{\"events\":[{\"id\":1,\"subject_id\":5000000000001,\"subject_type\":\"Order\","
           "\"verb\":\"destroy\",\"created_at\":\"2026-03-10T10:00:00Z\"},"
           "{\"id\":2,\"subject_id\":7,\"subject_type\":\"Product\",\"verb\":\"destroy\","
           "\"created_at\":\"2026-03-10T11:00:00Z\"},"
           "{\"id\":3,\"subject_id\":8,\"subject_type\":\"Collection\",\"verb\":\"destroy\","
           "\"created_at\":\"2026-03-10T12:00:00Z\"}]}",
           NULL, &pg);
  assert_int_equal(pg.n, 3);
  assert_ptr_equal(pg.recs[0].gone_from, stream("orders"));
  assert_string_equal(pg.recs[0].gone_id, "5000000000001");
  assert_int_equal(pg.recs[0].gone_at, 1773136800);
  assert_ptr_equal(pg.recs[1].gone_from, stream("products"));
  assert_null(pg.recs[2].gone_from); /* not a stream we keep */
  page_release(&pg);
}

static void test_a_missing_scope_fails_only_its_stream(void **state) {
  struct fx *f = *state;
  struct http_response res;
  struct verdict v;
  struct err err = {0};
  response(
      &res, 403,
      "{\"errors\":\"[API] This action requires merchant approval for read_customers scope.\"}",
      NULL);
  shopify_connector.classify(f->st, &res, &v, &err);
  assert_int_equal(v.rc, MS_ESCOPE);
  assert_non_null(strstr(err.msg, "read_customers"));
  http_response_release(&res);
  response(&res, 401, "{\"errors\":\"[API] Invalid API key or access token\"}", NULL);
  shopify_connector.classify(f->st, &res, &v, &err);
  assert_int_equal(v.rc, MS_EAUTH);
  http_response_release(&res);
}

static void test_settings_are_completed(void **state) {
  cJSON *s = cJSON_Parse("{\"shop\":\"my-shop\"}");
  struct err err = {0};
  (void)state;
  assert_int_equal(shopify_connector.configure(&shopify_connector, s, &err), MS_OK);
  assert_string_equal(jstr(s, "shop"), "my-shop.myshopify.com");
  assert_string_equal(jstr(s, "api_base"), "https://my-shop.myshopify.com");
  assert_string_equal(jstr(s, "api_version"), "2024-01");
  cJSON_Delete(s);
  s = cJSON_Parse("{\"shop\":\"bad shop\"}");
  assert_int_equal(shopify_connector.configure(&shopify_connector, s, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "--shop"));
  cJSON_Delete(s);
  for (size_t i = 0; shopify_connector.streams[i]; i++)
    if (stream_check(shopify_connector.streams[i], &err))
      fail_msg("%s", err.msg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_requests_by_stream_and_slice_kind, setup, teardown),
      cmocka_unit_test_setup_teardown(test_orders_with_items_refunds_and_their_lines, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_products_use_the_shop_currency, setup, teardown),
      cmocka_unit_test_setup_teardown(test_inventory_levels_ask_the_locations_first, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_destroy_events_name_what_is_gone, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_missing_scope_fails_only_its_stream, setup, teardown),
      cmocka_unit_test(test_settings_are_completed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
