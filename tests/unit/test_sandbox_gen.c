/* The sandbox's data generator, renderer, cursors and HTTP surface. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "sandbox/gen.h"
#include "sandbox/query.h"
#include "sandbox/render.h"
#include "sandbox/sandbox.h"
#include "sandbox/server.h"
#include "util/tz.h"

#define NOW_TEXT "2026-11-20T12:00:00Z"
#define DAYS 45

static int64_t test_now(void) {
  int64_t t = 0;
  assert_int_equal(time_parse(NOW_TEXT, &t), 0);
  return t;
}

static void shop_make(struct sb_shop *s, const char *name, const char *tzid, int per_day, int index,
                      uint64_t seed) {
  struct sb_shop_conf c;
  struct err err = {0};
  memset(&c, 0, sizeof(c));
  snprintf(c.name, sizeof(c.name), "%s", name);
  snprintf(c.tzid, sizeof(c.tzid), "%s", tzid);
  c.orders_per_day = per_day;
  int rc = sb_shop_init(s, &c, index, seed, test_now(), DAYS, &err);
  if (rc)
    fail_msg("sb_shop_init: %s", err.msg);
}

static uint64_t fnv(const char *p, size_t n, uint64_t h) {
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
  return h;
}

/* Hash of every rendered order of the shop. */
static uint64_t shop_digest(struct sb_shop *s) {
  struct buf b;
  uint64_t h = 0xcbf29ce484222325ULL;
  buf_init(&b, 0);
  for (size_t i = 0; i < s->norders; i++) {
    buf_reset(&b);
    assert_int_equal(sb_order_render(s, &s->orders[i], NULL, &b), 0);
    h = fnv(b.data, b.len, h);
  }
  buf_release(&b);
  return h;
}

static void test_deterministic(void **state) {
  struct sb_shop a, b, c;
  shop_make(&a, "alpha", "America/New_York", 40, 0, 1);
  shop_make(&b, "alpha", "America/New_York", 40, 0, 1);
  shop_make(&c, "alpha", "America/New_York", 40, 0, 2);
  assert_true(a.norders > 1000);
  assert_int_equal(a.norders, b.norders);
  for (size_t i = 0; i < a.norders; i++) {
    assert_int_equal(a.orders[i].id, b.orders[i].id);
    if (i)
      assert_true(a.orders[i].id > a.orders[i - 1].id);
    assert_true(a.orders[i].id >= 1000000000000ULL && a.orders[i].id <= 9999999999999ULL);
  }
  assert_int_equal(shop_digest(&a), shop_digest(&b));
  assert_int_not_equal(shop_digest(&a), shop_digest(&c));
  sb_shop_release(&a);
  sb_shop_release(&b);
  sb_shop_release(&c);
}

static int has_order_at(const struct sb_shop *s, int64_t t) {
  for (size_t i = 0; i < s->norders; i++)
    if (s->orders[i].created_at == t)
      return 1;
  return 0;
}

static void check_edges(const char *tzid) {
  struct sb_shop s;
  struct tz *tz;
  struct civil_date today, d;
  int64_t now = test_now(), start, end;
  shop_make(&s, "edges", tzid, 10, 3, 7);
  assert_int_equal(tz_open(tzid, &tz, NULL), 0);
  assert_int_equal(tz_local_date(tz, now, &today), 0);
  for (d = date_add(today, -DAYS); date_cmp(d, today) <= 0; d = date_add(d, 1)) {
    assert_int_equal(tz_day_bounds(tz, d, &start, &end), 0);
    assert_true(has_order_at(&s, start));
    if (end - 1 <= now)
      assert_true(has_order_at(&s, end - 1));
    else
      assert_false(has_order_at(&s, end - 1));
  }
  /* Nothing before the first local midnight, nothing after now. */
  assert_int_equal(tz_day_bounds(tz, date_add(today, -DAYS), &start, &end), 0);
  assert_int_equal(s.orders[0].created_at, start);
  assert_true(s.orders[s.norders - 1].created_at <= now);
  tz_free(tz);
  sb_shop_release(&s);
}

static void test_day_edges(void **state) {
  check_edges("America/New_York");
  check_edges("Europe/Berlin");
  check_edges("Asia/Kolkata");
}

static void render_one(struct sb_shop *s, const struct sb_order *o, const char *field, char *out,
                       size_t len) {
  struct sb_fieldset fs;
  struct buf b;
  buf_init(&b, 0);
  sb_fieldset_parse(field, &fs);
  assert_int_equal(sb_order_render(s, o, &fs, &b), 0);
  cJSON *j = cJSON_Parse(b.data);
  assert_non_null(j);
  assert_int_equal(cJSON_GetArraySize(j), 1);
  snprintf(out, len, "%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, field)));
  cJSON_Delete(j);
  buf_release(&b);
}

static void test_dst_offsets(void **state) {
  struct sb_shop s;
  char text[TIME_STR_LEN], got[64];
  int64_t t;
  shop_make(&s, "alpha", "America/New_York", 2000, 0, 1);
  /* 2026-11-01: 01:30 happens twice in New York. */
  assert_int_equal(time_parse("2026-11-01T05:30:00Z", &t), 0);
  sb_zone_format(&s.zone, t, text);
  assert_string_equal(text, "2026-11-01T01:30:00-04:00");
  assert_int_equal(time_parse("2026-11-01T06:30:00Z", &t), 0);
  sb_zone_format(&s.zone, t, text);
  assert_string_equal(text, "2026-11-01T01:30:00-05:00");
  assert_int_equal(time_parse("2026-11-01T05:59:59Z", &t), 0);
  sb_zone_format(&s.zone, t, text);
  assert_string_equal(text, "2026-11-01T01:59:59-04:00");
  assert_int_equal(time_parse("2026-11-01T06:00:00Z", &t), 0);
  sb_zone_format(&s.zone, t, text);
  assert_string_equal(text, "2026-11-01T01:00:00-05:00");

  /* The day's edge orders render with the offset of their own instant. */
  struct sb_order o;
  memset(&o, 0, sizeof(o));
  int64_t start, end, change;
  assert_int_equal(time_parse("2026-11-01T06:00:00Z", &change), 0);
  assert_int_equal(time_parse("2026-11-01T00:00:00-04:00", &start), 0);
  assert_int_equal(time_parse("2026-11-01T23:59:59-05:00", &end), 0);
  int found = 0, twice[2] = {0, 0};
  for (size_t i = 0; i < s.norders; i++) {
    const struct sb_order *p = &s.orders[i];
    if (p->created_at < start || p->created_at > end)
      continue;
    render_one(&s, p, "created_at", got, sizeof(got));
    int64_t back;
    assert_int_equal(time_parse(got, &back), 0);
    assert_int_equal(back, p->created_at);
    const char *off = got + strlen(got) - 6;
    assert_string_equal(off, p->created_at < change ? "-04:00" : "-05:00");
    twice[p->created_at < change] |= got[11] == '0' && got[12] == '1';
    if (p->created_at == start) {
      assert_string_equal(got, "2026-11-01T00:00:00-04:00");
      found |= 1;
    }
    if (p->created_at == end) {
      assert_string_equal(got, "2026-11-01T23:59:59-05:00");
      found |= 2;
    }
  }
  assert_int_equal(found, 3);
  assert_true(twice[0] && twice[1]); /* orders in both 01:xx hours */
  sb_shop_release(&s);

  /* Berlin, 2026-10-25: 02:30 happens twice. */
  shop_make(&s, "beta", "Europe/Berlin", 25, 1, 1);
  assert_int_equal(time_parse("2026-10-25T00:30:00Z", &t), 0);
  sb_zone_format(&s.zone, t, text);
  assert_string_equal(text, "2026-10-25T02:30:00+02:00");
  assert_int_equal(time_parse("2026-10-25T01:30:00Z", &t), 0);
  sb_zone_format(&s.zone, t, text);
  assert_string_equal(text, "2026-10-25T02:30:00+01:00");
  sb_shop_release(&s);
}

/* "12.34" -> 1234 */
static long long cents(cJSON *v) {
  const char *s = cJSON_GetStringValue(v);
  long long whole = 0;
  int frac = 0, digits = 0;
  assert_non_null(s);
  for (; *s && *s != '.'; s++) {
    assert_true(*s >= '0' && *s <= '9');
    whole = whole * 10 + (*s - '0');
  }
  assert_int_equal(*s, '.');
  for (s++; *s; s++, digits++)
    frac = frac * 10 + (*s - '0');
  assert_int_equal(digits, 2);
  return whole * 100 + frac;
}

static long long tax_sum(cJSON *tax_lines) {
  long long sum = 0;
  cJSON *t;
  cJSON_ArrayForEach(t, tax_lines) sum += cents(cJSON_GetObjectItemCaseSensitive(t, "price"));
  return sum;
}

static void check_order_json(const char *text, size_t len) {
  cJSON *o = cJSON_Parse(text);
  if (!o)
    fail_msg("invalid JSON near: %.40s", cJSON_GetErrorPtr());
  /* 2-5 KB; a refund repeats the line items it returns, so refunded
   * orders may reach 12 KB. */
  if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "refunds")) == 0)
    assert_true(len >= 2048 && len <= 5120);
  else
    assert_true(len >= 2048 && len <= 12288);
  cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "line_items"), *li;
  size_t n = (size_t)cJSON_GetArraySize(items);
  assert_true(n >= 1 && n <= 5);
  long long lines = 0, disc = 0, tax = 0, ship = 0;
  cJSON_ArrayForEach(li, items) {
    lines += cents(cJSON_GetObjectItemCaseSensitive(li, "price")) *
             (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(li, "quantity"));
    disc += cents(cJSON_GetObjectItemCaseSensitive(li, "total_discount"));
    tax += tax_sum(cJSON_GetObjectItemCaseSensitive(li, "tax_lines"));
  }
  cJSON *sl;
  cJSON_ArrayForEach(sl, cJSON_GetObjectItemCaseSensitive(o, "shipping_lines")) {
    ship += cents(cJSON_GetObjectItemCaseSensitive(sl, "price"));
    tax += tax_sum(cJSON_GetObjectItemCaseSensitive(sl, "tax_lines"));
  }
  long long subtotal = cents(cJSON_GetObjectItemCaseSensitive(o, "subtotal_price"));
  long long total_tax = cents(cJSON_GetObjectItemCaseSensitive(o, "total_tax"));
  assert_int_equal(lines, cents(cJSON_GetObjectItemCaseSensitive(o, "total_line_items_price")));
  assert_int_equal(disc, cents(cJSON_GetObjectItemCaseSensitive(o, "total_discounts")));
  assert_int_equal(subtotal, lines - disc);
  assert_int_equal(total_tax, tax);
  if (total_tax)
    assert_int_equal(tax_sum(cJSON_GetObjectItemCaseSensitive(o, "tax_lines")), total_tax);
  int included = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "taxes_included"));
  assert_int_equal(cents(cJSON_GetObjectItemCaseSensitive(o, "total_price")),
                   subtotal + ship + (included ? 0 : total_tax));
  cJSON *set = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(o, "total_price_set"), "shop_money");
  assert_int_equal(cents(cJSON_GetObjectItemCaseSensitive(set, "amount")),
                   cents(cJSON_GetObjectItemCaseSensitive(o, "total_price")));
  cJSON *dc = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "discount_codes"), 0);
  if (dc)
    assert_int_equal(cents(cJSON_GetObjectItemCaseSensitive(dc, "amount")), disc);
  else
    assert_int_equal(disc, 0);
  assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "id")));
  assert_string_equal(
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "currency")),
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "presentment_currency")));
  cJSON_Delete(o);
}

static void test_render_size_json_money(void **state) {
  const char *zones[] = {"America/New_York", "Europe/Berlin", "Europe/London"};
  struct buf b;
  buf_init(&b, 0);
  for (int z = 0; z < 3; z++) {
    struct sb_shop s;
    shop_make(&s, "money", zones[z], 60, z, 11);
    for (size_t i = 0; i < s.norders; i++) {
      buf_reset(&b);
      assert_int_equal(sb_order_render(&s, &s.orders[i], NULL, &b), 0);
      check_order_json(b.data, b.len);
    }
    sb_shop_release(&s);
  }
  buf_release(&b);
}

static void test_fields(void **state) {
  struct sb_shop s;
  struct sb_fieldset fs;
  struct buf b;
  shop_make(&s, "alpha", "America/New_York", 10, 0, 1);
  buf_init(&b, 0);
  assert_int_equal(sb_fieldset_parse("id, name,nope,total_price", &fs), 3);
  assert_int_equal(sb_order_render(&s, &s.orders[5], &fs, &b), 0);
  cJSON *j = cJSON_Parse(b.data);
  assert_non_null(j);
  assert_int_equal(cJSON_GetArraySize(j), 3);
  assert_non_null(cJSON_GetObjectItemCaseSensitive(j, "name"));
  cJSON_Delete(j);
  buf_release(&b);
  sb_shop_release(&s);
}

static void test_cursor(void **state) {
  struct sb_cursor c, d;
  struct buf b;
  memset(&c, 0, sizeof(c));
  sb_filter_init(&c.f);
  c.f.status = SB_ST_ANY;
  c.f.created_min = 1790000000;
  c.f.nids = 2;
  c.f.ids[0] = 5;
  c.f.ids[1] = 9;
  c.dir = SB_DIR_PREV;
  c.key_id = 5000000001234ULL;
  c.key_time = 1790001234;
  buf_init(&b, 0);
  assert_int_equal(sb_cursor_encode(&c, 1, &b), 0);
  assert_null(strpbrk(b.data, "+/=&"));
  assert_int_equal(sb_cursor_decode(b.data, 1, &d), 0);
  assert_int_equal(d.dir, SB_DIR_PREV);
  assert_int_equal(d.key_id, c.key_id);
  assert_int_equal(d.f.created_min, c.f.created_min);
  assert_int_equal(d.f.created_max, INT64_MAX);
  assert_int_equal(d.f.nids, 2);
  assert_int_not_equal(sb_cursor_decode(b.data, 2, &d), 0); /* another seed */
  b.data[b.len / 2] = b.data[b.len / 2] == 'A' ? 'B' : 'A';
  assert_int_not_equal(sb_cursor_decode(b.data, 1, &d), 0);
  assert_int_not_equal(sb_cursor_decode("eyJsYXN0X2lkIjo0fQ", 1, &d), 0);
  assert_int_not_equal(sb_cursor_decode("", 1, &d), 0);
  buf_release(&b);
}

/* Paging forward over every order visits each exactly once, newest first. */
static void test_paging_covers_all(void **state) {
  struct sb_shop s;
  struct sb_filter f;
  struct sb_cursor cur;
  struct sb_order page[7];
  struct sb_page_result res;
  size_t seen = 0;
  uint64_t prev_id = UINT64_MAX;
  shop_make(&s, "alpha", "America/New_York", 10, 0, 1);
  sb_filter_init(&f);
  f.status = SB_ST_ANY;
  sb_query_page(s.orders, s.norders, &f, NULL, 7, page, &res);
  assert_false(res.has_prev);
  for (;;) {
    for (size_t i = 0; i < res.n; i++) {
      assert_true(page[i].id < prev_id);
      prev_id = page[i].id;
    }
    seen += res.n;
    if (!res.has_next)
      break;
    assert_true(res.n == 7);
    cur.f = f;
    cur.dir = SB_DIR_NEXT;
    cur.key_id = page[res.n - 1].id;
    cur.key_time = page[res.n - 1].created_at;
    sb_query_page(s.orders, s.norders, &f, &cur, 7, page, &res);
    assert_true(res.has_prev);
  }
  assert_int_equal(seen, s.norders);
  assert_int_equal(sb_query_count(s.orders, s.norders, &f), s.norders);
  sb_shop_release(&s);
}

/* ---- the HTTP surface, in-process ---- */

struct hdrs {
  char link[4096]; /* Link header, "" if none */
  char limit[64];  /* X-Shopify-Shop-Api-Call-Limit */
};

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  struct hdrs *h = ud;
  size_t len = size * n;
  if (len > 6 && strncasecmp(p, "link: ", 6) == 0)
    snprintf(h->link, sizeof(h->link), "%.*s", (int)(len - 8), p + 6);
  if (len > 31 && strncasecmp(p, "x-shopify-shop-api-call-limit: ", 31) == 0)
    snprintf(h->limit, sizeof(h->limit), "%.*s", (int)(len - 33), p + 31);
  return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  buf_append(ud, p, size * n);
  return size * n;
}

static long fetch(CURL *c, const char *url, const char *token, struct hdrs *h, struct buf *body) {
  struct curl_slist *hl = NULL;
  char th[200];
  long status = 0;
  memset(h, 0, sizeof(*h));
  buf_reset(body);
  snprintf(th, sizeof(th), "X-Shopify-Access-Token: %s", token);
  hl = curl_slist_append(hl, th);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hl);
  return status;
}

/* The URL inside <...> of the rel in a Link header. */
static int link_get(const char *link, const char *rel, char *out, size_t len) {
  char want[32];
  snprintf(want, sizeof(want), "rel=\"%s\"", rel);
  const char *r = strstr(link, want);
  if (!r)
    return 0;
  const char *open = r;
  while (open > link && *open != '<')
    open--;
  const char *close = strchr(open, '>');
  snprintf(out, len, "%.*s", (int)(close - open - 1), open + 1);
  return 1;
}

static void test_http_smoke(void **state) {
  struct sb_config cfg;
  struct sandbox *sb;
  struct sb_server *srv;
  struct err err = {0};
  struct hdrs h;
  struct buf body;
  char url[8192], next[4096];
  sb_config_defaults(&cfg);
  cfg.now = test_now();
  cfg.days = 3;
  cfg.nshops = 1;
  snprintf(cfg.shops[0].name, sizeof(cfg.shops[0].name), "alpha");
  snprintf(cfg.shops[0].tzid, sizeof(cfg.shops[0].tzid), "America/New_York");
  cfg.shops[0].orders_per_day = 20;
  cfg.log_entries = 1000;
  if (sandbox_new(&cfg, &sb, &err) || sb_server_start(sb, &srv, &err))
    fail_msg("sandbox: %s", err.msg);
  CURL *c = curl_easy_init();
  buf_init(&body, 0);

  snprintf(url, sizeof(url), "%s/shops/alpha/admin/api/2024-01/shop.json", sb->base_url);
  assert_int_equal(fetch(c, url, "wrong", &h, &body), 401);
  assert_non_null(strstr(body.data, "Invalid API key or access token"));
  assert_string_equal(h.limit, "0/40");

  /* A single page: no Link header at all. */
  snprintf(url, sizeof(url), "%s/shops/alpha/admin/api/2024-01/orders.json?status=any&limit=250",
           sb->base_url);
  assert_int_equal(fetch(c, url, cfg.token, &h, &body), 200);
  assert_string_equal(h.link, "");
  assert_string_equal(h.limit, "1/40");

  /* Several pages: next only, then both, then previous only. */
  snprintf(url, sizeof(url), "%s/shops/alpha/admin/api/2024-01/orders.json?status=any&limit=30",
           sb->base_url);
  assert_int_equal(fetch(c, url, cfg.token, &h, &body), 200);
  assert_true(link_get(h.link, "next", next, sizeof(next)));
  assert_false(link_get(h.link, "previous", next, sizeof(next)));
  assert_true(link_get(h.link, "next", next, sizeof(next)));
  int pages = 1, both = 0;
  for (;;) {
    snprintf(url, sizeof(url), "%s", next);
    assert_non_null(strstr(url, "limit=30"));
    assert_int_equal(fetch(c, url, cfg.token, &h, &body), 200);
    pages++;
    assert_true(link_get(h.link, "previous", next, sizeof(next)));
    if (!link_get(h.link, "next", next, sizeof(next)))
      break;
    both++;
  }
  assert_true(pages >= 3);
  assert_int_equal(both, pages - 2);

  /* A filter next to page_info is refused. */
  snprintf(url, sizeof(url), "%s&status=any", next);
  link_get(h.link, "previous", next, sizeof(next));
  snprintf(url, sizeof(url), "%s&created_at_min=2026-11-01T00:00:00Z", next);
  assert_int_equal(fetch(c, url, cfg.token, &h, &body), 400);
  assert_non_null(strstr(body.data, "created_at_min cannot be passed when page_info is present."));

  curl_easy_cleanup(c);
  buf_release(&body);
  sb_server_stop(srv);
  sandbox_free(sb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_day_edges),
      cmocka_unit_test(test_dst_offsets),
      cmocka_unit_test(test_render_size_json_money),
      cmocka_unit_test(test_fields),
      cmocka_unit_test(test_cursor),
      cmocka_unit_test(test_paging_covers_all),
      cmocka_unit_test(test_http_smoke),
  };
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
