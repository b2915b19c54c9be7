/* The sandbox's Amazon sellers: data, token buckets, tokens and the SP-API
 * surface over HTTP. */
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

#include "sandbox/amazon.h"
#include "sandbox/sandbox.h"
#include "sandbox/server.h"
#include "sandbox/sptoken.h"
#include "sandbox/tbucket.h"
#include "util/tz.h"

#define NOW_TEXT "2026-11-20T12:00:00Z"
#define LA "America/Los_Angeles"

static int64_t at(const char *text) {
  int64_t t = 0;
  assert_int_equal(time_parse(text, &t), 0);
  return t;
}

static void seller_make(struct sb_seller *s, const char *name, const char *tzid, int per_day,
                        int index, uint64_t seed, int days) {
  struct sb_seller_conf c;
  struct err err = {0};
  memset(&c, 0, sizeof(c));
  snprintf(c.name, sizeof(c.name), "%s", name);
  snprintf(c.tzid, sizeof(c.tzid), "%s", tzid);
  c.orders_per_day = per_day;
  if (sb_seller_init(s, &c, index, seed, at(NOW_TEXT), days, &err))
    fail_msg("sb_seller_init: %s", err.msg);
}

static uint64_t fnv(const char *p, size_t n, uint64_t h) {
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
  return h;
}

/* Hash of every order with all its items, as the ground truth renders them. */
static uint64_t seller_digest(const struct sb_seller *s) {
  struct buf b;
  uint64_t h = 0xcbf29ce484222325ULL;
  buf_init(&b, 0);
  for (size_t i = 0; i < s->norders; i++) {
    buf_reset(&b);
    assert_int_equal(sb_amz_order_render(s, &s->orders[i], NULL, 1, &b), 0);
    h = fnv(b.data, b.len, h);
  }
  buf_release(&b);
  return h;
}

static cJSON *order_json(const struct sb_seller *s, const struct sb_amz_order *o, size_t *len) {
  struct buf b;
  buf_init(&b, 0);
  assert_int_equal(sb_amz_order_render(s, o, NULL, 1, &b), 0);
  cJSON *j = cJSON_Parse(b.data);
  if (!j)
    fail_msg("invalid JSON near: %.40s", cJSON_GetErrorPtr());
  if (len)
    *len = b.len;
  buf_release(&b);
  return j;
}

static cJSON *get(cJSON *o, const char *k) {
  return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(cJSON *o, const char *k) {
  return cJSON_GetStringValue(get(o, k));
}

/* {"CurrencyCode":"USD","Amount":"12.34"} -> 1234 */
static long long money(cJSON *m) {
  const char *s = str(m, "Amount");
  long long whole = 0;
  int digits = 0, frac = 0;
  assert_non_null(s);
  assert_string_equal(str(m, "CurrencyCode"), "USD");
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

static void test_deterministic(void **state) {
  struct sb_seller a, b, c;
  char id[SB_AMZ_ID_LEN], prev[SB_AMZ_ID_LEN] = "";
  seller_make(&a, "acme", LA, 30, 0, 1, 45);
  seller_make(&b, "acme", LA, 30, 0, 1, 45);
  seller_make(&c, "acme", LA, 30, 0, 2, 45);
  assert_true(a.norders > 1000);
  assert_int_equal(a.norders, b.norders);
  for (size_t i = 0; i < a.norders; i++) {
    uint64_t back;
    assert_int_equal(a.orders[i].idnum, b.orders[i].idnum);
    sb_amz_order_id(&a.orders[i], id);
    /* NNN-NNNNNNN-NNNNNNN */
    assert_int_equal(strlen(id), 19);
    for (int k = 0; k < 19; k++)
      assert_true(k == 3 || k == 11 ? id[k] == '-' : id[k] >= '0' && id[k] <= '9');
    assert_int_equal(sb_amz_id_parse(id, &back), 0);
    assert_int_equal(back, a.orders[i].idnum);
    assert_int_equal(sb_seller_find(&a, back), (long)i);
    /* Sorted by PurchaseDate, then id. */
    if (i && a.orders[i].purchase == a.orders[i - 1].purchase)
      assert_true(strcmp(prev, id) < 0);
    if (i)
      assert_true(a.orders[i].purchase >= a.orders[i - 1].purchase);
    assert_true(a.orders[i].updated >= a.orders[i].purchase);
    snprintf(prev, sizeof(prev), "%s", id);
  }
  assert_int_equal(seller_digest(&a), seller_digest(&b));
  assert_int_not_equal(seller_digest(&a), seller_digest(&c));
  /* Ids of another seller's order are not found here. */
  struct sb_seller d;
  seller_make(&d, "other", LA, 30, 1, 1, 45);
  for (size_t i = 0; i < d.norders; i += 17)
    assert_int_equal(sb_seller_find(&a, d.orders[i].idnum), -1);
  assert_int_not_equal(sb_amz_id_parse("113-1234567-123456", &d.orders[0].idnum), 0);
  assert_int_not_equal(sb_amz_id_parse("113-1234567-12345678", &d.orders[0].idnum), 0);
  assert_int_not_equal(sb_amz_id_parse("113_1234567-1234567", &d.orders[0].idnum), 0);
  uint64_t foreign;
  assert_int_equal(sb_amz_id_parse("902-1845936-5435065", &foreign), 0);
  assert_int_equal(sb_seller_find(&a, foreign), -1);
  sb_seller_release(&a);
  sb_seller_release(&b);
  sb_seller_release(&c);
  sb_seller_release(&d);
}

static long order_at(const struct sb_seller *s, int64_t t) {
  for (size_t i = 0; i < s->norders; i++)
    if (s->orders[i].purchase == t)
      return (long)i;
  return -1;
}

/* Every local day has an order at 00:00:00 and one at 23:59:59 Los Angeles
 * time, and the DST days are 23 and 25 hours long. */
static void test_local_day_edges(void **state) {
  static const struct {
    const char *day;   /* local day */
    const char *first; /* its 00:00:00 in UTC */
    const char *last;  /* its 23:59:59 in UTC */
    int hours;         /* its length */
  } dst[] = {{"2026-03-08", "2026-03-08T08:00:00Z", "2026-03-09T06:59:59Z", 23},
             {"2026-11-01", "2026-11-01T07:00:00Z", "2026-11-02T07:59:59Z", 25},
             {"2026-07-01", "2026-07-01T07:00:00Z", "2026-07-02T06:59:59Z", 24}};
  struct sb_seller s;
  struct tz *tz;
  struct civil_date today, d;
  int64_t now = at(NOW_TEXT), start, end;
  int days = 260; /* back to 2026-03-05 */
  seller_make(&s, "edges", LA, 5, 3, 7, days);
  assert_int_equal(tz_open(LA, &tz, NULL), 0);
  assert_int_equal(tz_local_date(tz, now, &today), 0);
  for (d = date_add(today, -days); date_cmp(d, today) <= 0; d = date_add(d, 1)) {
    assert_int_equal(tz_day_bounds(tz, d, &start, &end), 0);
    assert_true(order_at(&s, start) >= 0);
    if (end - 1 <= now)
      assert_true(order_at(&s, end - 1) >= 0);
    else
      assert_int_equal(order_at(&s, end - 1), -1);
  }
  assert_int_equal(tz_day_bounds(tz, date_add(today, -days), &start, &end), 0);
  assert_int_equal(s.orders[0].purchase, start);
  assert_true(s.orders[s.norders - 1].purchase <= now);
  for (size_t k = 0; k < sizeof(dst) / sizeof(dst[0]); k++) {
    struct civil_date day;
    assert_int_equal(date_parse(dst[k].day, &day, NULL), 0);
    assert_int_equal(tz_day_bounds(tz, day, &start, &end), 0);
    assert_int_equal(end - start, dst[k].hours * 3600);
    assert_int_equal(start, at(dst[k].first));
    assert_int_equal(end - 1, at(dst[k].last));
    long first = order_at(&s, start), last = order_at(&s, end - 1);
    assert_true(first >= 0 && last >= 0);
    cJSON *j = order_json(&s, &s.orders[first], NULL);
    assert_string_equal(str(j, "PurchaseDate"), dst[k].first);
    cJSON_Delete(j);
    j = order_json(&s, &s.orders[last], NULL);
    assert_string_equal(str(j, "PurchaseDate"), dst[k].last);
    cJSON_Delete(j);
    /* Nothing of the day falls outside its bounds: the orders in between
     * are exactly those of the day. */
    assert_true(first == 0 || s.orders[first - 1].purchase < start);
    assert_true((size_t)last + 1 == s.norders || s.orders[last + 1].purchase >= end);
  }
  tz_free(tz);
  sb_seller_release(&s);
}

/* Pending orders lack OrderTotal and item prices; the others add up. */
static void test_money_and_pending(void **state) {
  struct sb_seller s;
  size_t pending = 0, priced = 0, canceled_unpriced = 0, big = 0;
  size_t min_len = SIZE_MAX, max_len = 0, sum_len = 0;
  seller_make(&s, "money", LA, 300, 0, 11, 10);
  for (size_t i = 0; i < s.norders; i++) {
    size_t len;
    cJSON *o = order_json(&s, &s.orders[i], &len), *it;
    const char *status = str(o, "OrderStatus");
    cJSON *items = get(o, "OrderItems");
    int n = cJSON_GetArraySize(items), units = 0, shipped = 0;
    assert_true(n >= 1 && n <= SB_AMZ_MAX_ITEMS);
    big += n > SB_AMZ_ITEMS_PAGE;
    cJSON_DetachItemViaPointer(o, items);
    char *plain = cJSON_PrintUnformatted(o);
    len = strlen(plain);
    free(plain);
    min_len = len < min_len ? len : min_len;
    max_len = len > max_len ? len : max_len;
    sum_len += len;
    long long total = 0;
    int has_prices = get(o, "OrderTotal") != NULL;
    if (strcmp(status, "Pending") == 0 || strcmp(status, "PendingAvailability") == 0) {
      assert_false(has_prices);
      pending++;
    }
    if (!has_prices && strcmp(status, "Canceled") == 0)
      canceled_unpriced++;
    assert_int_equal(has_prices, get(o, "ShippingAddress") != NULL);
    cJSON_ArrayForEach(it, items) {
      int q = (int)cJSON_GetNumberValue(get(it, "QuantityOrdered"));
      units += q;
      shipped += (int)cJSON_GetNumberValue(get(it, "QuantityShipped"));
      assert_true(strcmp(str(it, "IsGift"), "true") == 0 ||
                  strcmp(str(it, "IsGift"), "false") == 0);
      assert_int_equal(strlen(str(it, "ASIN")), 10);
      assert_int_equal(strlen(str(it, "OrderItemId")), 14);
      if (!has_prices) {
        assert_null(get(it, "ItemPrice"));
        assert_null(get(it, "ItemTax"));
        assert_null(get(it, "PromotionDiscount"));
        continue;
      }
      total += money(get(it, "ItemPrice")) + money(get(it, "ItemTax")) +
               money(get(it, "ShippingPrice")) + money(get(it, "ShippingTax")) -
               money(get(it, "PromotionDiscount")) - money(get(it, "ShippingDiscount"));
    }
    if (has_prices) {
      assert_int_equal(money(get(o, "OrderTotal")), total);
      priced++;
    }
    int ns = (int)cJSON_GetNumberValue(get(o, "NumberOfItemsShipped"));
    int nu = (int)cJSON_GetNumberValue(get(o, "NumberOfItemsUnshipped"));
    assert_int_equal(ns, shipped);
    if (strcmp(status, "Canceled") == 0)
      assert_int_equal(ns + nu, 0);
    else
      assert_int_equal(ns + nu, units);
    if (strcmp(status, "Shipped") == 0)
      assert_int_equal(ns, units);
    if (strcmp(status, "PartiallyShipped") == 0)
      assert_true(ns > 0 && ns < units);
    assert_string_equal(str(o, "MarketplaceId"), SB_AMZ_MARKETPLACE);
    assert_string_equal(str(o, "SalesChannel"), "Amazon.com");
    assert_true(strcmp(str(o, "FulfillmentChannel"), "AFN") == 0 ||
                strcmp(str(o, "FulfillmentChannel"), "MFN") == 0);
    assert_true(cJSON_IsBool(get(o, "IsPrime")) && cJSON_IsBool(get(o, "IsBusinessOrder")) &&
                cJSON_IsBool(get(o, "IsReplacementOrder")));
    cJSON_Delete(items);
    cJSON_Delete(o);
  }
  assert_true(pending > 10);
  assert_true(priced > s.norders / 2);
  assert_true(canceled_unpriced > 0);
  assert_true(big > 10); /* orders that need several getOrderItems pages */
  print_message("%zu orders: %zu pending, %zu with more than 10 items; %zu-%zu bytes, mean %zu\n",
                s.norders, pending, big, min_len, max_len, sum_len / s.norders);
  assert_true(max_len <= 2048);
  sb_seller_release(&s);
}

/* A SKU costs the same in every order: ItemPrice = unit price x quantity. */
static void test_sku_price_stable(void **state) {
  struct sb_seller s;
  struct {
    char sku[32];   /* SellerSKU */
    long long unit; /* unit price seen first */
    int seen;       /* items seen */
  } *map = calloc(SB_AMZ_CATALOG, sizeof(*map));
  int nmap = 0, repeated = 0;
  assert_non_null(map);
  seller_make(&s, "stable", LA, 100, 2, 5, 20);
  for (size_t i = 0; i < s.norders; i++) {
    cJSON *o = order_json(&s, &s.orders[i], NULL), *it;
    cJSON_ArrayForEach(it, get(o, "OrderItems")) {
      if (!get(it, "ItemPrice"))
        continue;
      long long price = money(get(it, "ItemPrice"));
      int q = (int)cJSON_GetNumberValue(get(it, "QuantityOrdered"));
      assert_int_equal(price % q, 0);
      int k = 0;
      while (k < nmap && strcmp(map[k].sku, str(it, "SellerSKU")) != 0)
        k++;
      if (k == nmap) {
        assert_true(nmap < SB_AMZ_CATALOG);
        snprintf(map[k].sku, sizeof(map[k].sku), "%s", str(it, "SellerSKU"));
        map[k].unit = price / q;
        nmap++;
      }
      assert_int_equal(map[k].unit, price / q);
      repeated += ++map[k].seen == 2;
    }
    cJSON_Delete(o);
  }
  assert_true(repeated > 50);
  free(map);
  sb_seller_release(&s);
}

static void test_token_bucket(void **state) {
  struct sb_tbucket b;
  char text[32];
  double wait = 0, t = 100.0;
  /* getOrders: a burst of 20, then one every 1/0.0167 s. */
  sb_tbucket_init(&b, 0.0167, 20, 1);
  for (int i = 0; i < 20; i++)
    assert_true(sb_tbucket_take(&b, t, NULL));
  assert_false(sb_tbucket_take(&b, t, &wait));
  assert_true(wait > 59.8 && wait < 59.9);
  assert_false(sb_tbucket_take(&b, t + 59.0, NULL));
  assert_true(sb_tbucket_take(&b, t + 59.9, NULL));
  assert_false(sb_tbucket_take(&b, t + 60.0, NULL));
  /* Refill stops at the burst. */
  sb_tbucket_refill(&b, t + 100000);
  assert_true(b.tokens <= 20.0 + 1e-9);
  for (int i = 0; i < 20; i++)
    assert_true(sb_tbucket_take(&b, t + 100000, NULL));
  assert_false(sb_tbucket_take(&b, t + 100000, NULL));

  /* --sp-speed 500 multiplies the rate, not the burst. */
  sb_tbucket_init(&b, 0.0167 * 500, 20, 1);
  for (int i = 0; i < 20; i++)
    assert_true(sb_tbucket_take(&b, t, NULL));
  assert_false(sb_tbucket_take(&b, t, &wait));
  assert_true(wait > 0.1 && wait < 0.13); /* 1 / 8.35 */
  assert_true(sb_tbucket_take(&b, t + 0.12, NULL));
  /* getOrderItems: burst 30, 0.5/s. */
  sb_tbucket_init(&b, 0.5, 30, 1);
  for (int i = 0; i < 30; i++)
    assert_true(sb_tbucket_take(&b, t, NULL));
  assert_false(sb_tbucket_take(&b, t + 1.9, NULL));
  assert_true(sb_tbucket_take(&b, t + 2.0, NULL));
  /* Off: never refuses. */
  sb_tbucket_init(&b, 0.0167, 20, 0);
  for (int i = 0; i < 1000; i++)
    assert_true(sb_tbucket_take(&b, t, NULL));

  sb_rate_format(0.0167, text, sizeof(text));
  assert_string_equal(text, "0.0167");
  sb_rate_format(0.0167 * 500, text, sizeof(text));
  assert_string_equal(text, "8.35");
  sb_rate_format(0.5, text, sizeof(text));
  assert_string_equal(text, "0.5");
  sb_rate_format(0.5 * 4, text, sizeof(text));
  assert_string_equal(text, "2");
  sb_rate_format(0.0167 * 0.001, text, sizeof(text));
  assert_string_equal(text, "0.0000167");
}

static void test_tokens(void **state) {
  unsigned char key[SB_KEY_LEN], other[SB_KEY_LEN], rec[SB_SEALED_MAX], back[SB_SEALED_MAX];
  char tok[SB_ACCESS_MAX], tok2[SB_ACCESS_MAX];
  struct sb_access a = {3, 1790000000123LL}, got;
  struct buf b;
  size_t n;
  int plus_or_slash = 0;
  sb_key_derive(1, 1, key);
  sb_key_derive(2, 1, other);
  assert_int_equal(sb_access_mint(key, &a, "acme", tok, sizeof(tok)), 0);
  assert_int_equal(sb_access_mint(key, &a, "acme", tok2, sizeof(tok2)), 0);
  assert_int_equal(strncmp(tok, "Atza|", 5), 0);
  assert_string_not_equal(tok, tok2); /* random */
  assert_int_equal(sb_access_peek(tok, &got), 0);
  assert_int_equal(got.seller, 3);
  assert_int_equal(got.expires_ms, a.expires_ms);
  assert_int_equal(sb_access_verify(key, tok, "acme"), 0);
  assert_int_not_equal(sb_access_verify(key, tok, "acm"), 0);
  assert_int_not_equal(sb_access_verify(other, tok, "acme"), 0);
  tok[10] = tok[10] == 'A' ? 'B' : 'A';
  assert_int_not_equal(sb_access_verify(key, tok, "acme"), 0);
  assert_int_not_equal(sb_access_peek("Atza|", &got), 0);
  assert_int_not_equal(sb_access_peek("Bearer x", &got), 0);

  buf_init(&b, 0);
  for (int k = 0; k < 50; k++) {
    for (int i = 0; i < 44; i++)
      rec[i] = (unsigned char)(i * 7 + k);
    buf_reset(&b);
    assert_int_equal(sb_seal(key, rec, 44, &b), 0);
    plus_or_slash |= strpbrk(b.data, "+/") != NULL;
    assert_int_equal(b.len % 4, 0);
    assert_int_equal(sb_unseal(key, b.data, back, sizeof(back), &n), 0);
    assert_int_equal(n, 44);
    assert_memory_equal(rec, back, 44);
    assert_int_not_equal(sb_unseal(other, b.data, back, sizeof(back), &n), 0);
    for (size_t i = 0; i < b.len; i++) { /* any changed character is refused */
      char keep = b.data[i];
      b.data[i] = keep == 'A' ? 'B' : 'A';
      if (keep != '=')
        assert_int_not_equal(sb_unseal(key, b.data, back, sizeof(back), &n), 0);
      b.data[i] = keep;
    }
  }
  assert_true(plus_or_slash); /* clients must URL-encode NextTokens */
  assert_int_not_equal(sb_unseal(key, "", back, sizeof(back), &n), 0);
  assert_int_not_equal(sb_unseal(key, "abc", back, sizeof(back), &n), 0);
  buf_release(&b);
}

/* Mutations move orders forward and bump LastUpdateDate; new orders are
 * Pending and findable. */
static void test_mutate(void **state) {
  struct sb_seller s;
  int64_t now = at(NOW_TEXT) + 3600;
  int to_unshipped = 0, moved = 0;
  seller_make(&s, "mut", LA, 200, 4, 3, 5);
  for (int k = 0; k < 400; k++) {
    struct sb_amz_order before;
    size_t n = s.norders;
    long pos;
    /* The chosen order is not known in advance: compare by id afterwards. */
    struct sb_amz_order *copy = malloc(n * sizeof(*copy));
    assert_non_null(copy);
    memcpy(copy, s.orders, n * sizeof(*copy));
    pos = sb_seller_update_one(&s, now);
    assert_true(pos >= 0);
    before = copy[pos];
    free(copy);
    assert_int_equal(before.idnum, s.orders[pos].idnum);
    assert_int_equal(s.orders[pos].updated, now > before.updated ? now : before.updated + 1);
    assert_int_equal(s.orders[pos].version, before.version + 1);
    moved += s.orders[pos].status != before.status;
    if (before.status == SB_AMZ_PENDING && s.orders[pos].status == SB_AMZ_UNSHIPPED) {
      assert_false(before.priced);
      assert_true(s.orders[pos].priced);
      to_unshipped++;
    }
  }
  assert_true(moved > 300);
  assert_true(to_unshipped > 0);
  size_t n = s.norders;
  for (int k = 0; k < 5; k++)
    assert_int_equal(sb_seller_create_order(&s, now), 0);
  assert_int_equal(s.norders, n + 5);
  for (size_t i = n; i < s.norders; i++) {
    assert_int_equal(s.orders[i].purchase, now);
    assert_int_equal(s.orders[i].status, SB_AMZ_PENDING);
    assert_int_equal(sb_seller_find(&s, s.orders[i].idnum), (long)i);
    assert_true(s.orders[i].idnum > s.orders[i - 1].idnum ||
                s.orders[i].purchase > s.orders[i - 1].purchase);
  }
  for (size_t i = 0; i < s.norders; i++)
    assert_int_equal(sb_seller_find(&s, s.orders[i].idnum), (long)i);
  sb_seller_release(&s);
}

/* ---- the HTTP surface, in-process ---- */

struct reply {
  long status;         /* HTTP status */
  char rate[32];       /* x-amzn-RateLimit-Limit, "" if none */
  char request_id[64]; /* x-amzn-RequestId */
  char type[64];       /* Content-Type */
  struct buf body;     /* the body */
  cJSON *json;         /* parsed body, or NULL */
};

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  struct reply *r = ud;
  size_t len = size * n;
  static const struct {
    const char *name;
    size_t off;
    size_t cap;
  } want[] = {{"x-amzn-ratelimit-limit: ", offsetof(struct reply, rate), 32},
              {"x-amzn-requestid: ", offsetof(struct reply, request_id), 64},
              {"content-type: ", offsetof(struct reply, type), 64}};
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    size_t k = strlen(want[i].name);
    if (len > k + 2 && strncasecmp(p, want[i].name, k) == 0)
      snprintf((char *)r + want[i].off, want[i].cap, "%.*s", (int)(len - k - 2), p + k);
  }
  return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  buf_append(ud, p, size * n);
  return size * n;
}

static void reply_reset(struct reply *r) {
  cJSON_Delete(r->json);
  buf_release(&r->body);
  memset(r, 0, sizeof(*r));
  buf_init(&r->body, 0);
}

static long call(CURL *c, const char *method, const char *url, const char *token, const char *form,
                 struct reply *r) {
  struct curl_slist *hl = NULL;
  char th[256];
  reply_reset(r);
  if (token) {
    snprintf(th, sizeof(th), "x-amz-access-token: %s", token);
    hl = curl_slist_append(hl, th);
  }
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (form)
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  curl_slist_free_all(hl);
  if (r->body.data)
    r->json = cJSON_Parse(r->body.data);
  return r->status;
}

static const char *error_code(struct reply *r) {
  return str(cJSON_GetArrayItem(get(r->json, "errors"), 0), "code");
}

static const char *error_message(struct reply *r) {
  return str(cJSON_GetArrayItem(get(r->json, "errors"), 0), "message");
}

struct env {
  struct sandbox *sb;        /* the sandbox */
  struct sb_server *srv;     /* its server */
  CURL *c;                   /* one connection */
  struct reply r;            /* the last reply */
  char token[SB_ACCESS_MAX]; /* an access token of "acme" */
};

static void env_start(struct env *e, double speed, int lifetime) {
  struct sb_config cfg;
  struct err err = {0};
  memset(e, 0, sizeof(*e));
  sb_config_defaults(&cfg);
  cfg.now = time(NULL) - 3600; /* a real clock: tokens expire in real time */
  cfg.days = 3;
  cfg.nshops = 0;
  cfg.nsellers = 2;
  snprintf(cfg.sellers[0].name, sizeof(cfg.sellers[0].name), "acme");
  snprintf(cfg.sellers[0].tzid, sizeof(cfg.sellers[0].tzid), LA);
  cfg.sellers[0].orders_per_day = 150;
  snprintf(cfg.sellers[1].name, sizeof(cfg.sellers[1].name), "zeta");
  snprintf(cfg.sellers[1].tzid, sizeof(cfg.sellers[1].tzid), LA);
  cfg.sellers[1].orders_per_day = 5;
  cfg.sp_speed = speed;
  cfg.token_lifetime = lifetime;
  cfg.log_entries = 10000;
  if (sandbox_new(&cfg, &e->sb, &err) || sb_server_start(e->sb, &e->srv, &err))
    fail_msg("sandbox: %s", err.msg);
  e->c = curl_easy_init();
  buf_init(&e->r.body, 0);
}

static void env_stop(struct env *e) {
  reply_reset(&e->r);
  buf_release(&e->r.body);
  curl_easy_cleanup(e->c);
  sb_server_stop(e->srv);
  sandbox_free(e->sb);
}

static long env_call(struct env *e, const char *method, const char *path, const char *token,
                     const char *form) {
  char url[8192];
  snprintf(url, sizeof(url), "%s%s", e->sb->base_url, path);
  long st = call(e->c, method, url, token, form, &e->r);
  assert_non_null(e->r.json);
  if (strncmp(path, "/_sandbox/", 10) != 0) {
    assert_string_equal(e->r.type, "application/json");
    assert_int_equal(strlen(e->r.request_id), 36);
  }
  return st;
}

static void get_token(struct env *e, const char *seller) {
  char form[256];
  snprintf(form, sizeof(form),
           "grant_type=refresh_token&refresh_token=Atzr%%7Csandbox-%s&client_id="
           "amzn1.application-oa2-client.sandbox&client_secret=sandbox-client-secret",
           seller);
  assert_int_equal(env_call(e, "POST", "/auth/o2/token", NULL, form), 200);
  assert_string_equal(str(e->r.json, "token_type"), "bearer");
  snprintf(e->token, sizeof(e->token), "%s", str(e->r.json, "access_token"));
}

static void url_encode(const char *s, char *out, size_t len) {
  struct buf b;
  buf_init(&b, 0);
  buf_url_encode(&b, s);
  snprintf(out, len, "%s", b.data ? b.data : "");
  buf_release(&b);
}

static void test_http_auth(void **state) {
  struct env e;
  env_start(&e, 1, 1);
  /* Token exchange and its errors. */
  get_token(&e, "acme");
  assert_int_equal(strncmp(e.token, "Atza|", 5), 0);
  assert_int_equal(cJSON_GetNumberValue(get(e.r.json, "expires_in")), 1);
  assert_string_equal(str(e.r.json, "refresh_token"), "Atzr|sandbox-acme");
  assert_int_equal(
      env_call(&e, "POST", "/auth/o2/token", NULL,
               "grant_type=refresh_token&refresh_token=Atzr%7Csandbox-nobody&client_id="
               "amzn1.application-oa2-client.sandbox&client_secret=sandbox-client-secret"),
      400);
  assert_string_equal(str(e.r.json, "error"), "invalid_grant");
  assert_int_equal(env_call(&e, "POST", "/auth/o2/token", NULL,
                            "grant_type=refresh_token&refresh_token=Atzr%7Csandbox-acme&client_id="
                            "amzn1.application-oa2-client.sandbox&client_secret=wrong"),
                   401);
  assert_string_equal(str(e.r.json, "error"), "invalid_client");
  assert_int_equal(env_call(&e, "POST", "/auth/o2/token", NULL,
                            "grant_type=refresh_token&client_id=x&client_secret=y"),
                   400);
  assert_string_equal(str(e.r.json, "error"), "invalid_request");
  assert_non_null(strstr(str(e.r.json, "error_description"), "refresh_token"));

  /* 403 without, with a bad and with an expired token; never a rate header. */
  const char *q = "/sp-api/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter="
                  "2026-01-01T00:00:00Z";
  assert_int_equal(env_call(&e, "GET", q, NULL, NULL), 403);
  assert_string_equal(error_code(&e.r), "Unauthorized");
  assert_string_equal(error_message(&e.r), "Access to requested resource is denied.");
  assert_string_equal(e.r.rate, "");
  assert_int_equal(env_call(&e, "GET", q, "Atza|forged", NULL), 403);
  assert_int_equal(env_call(&e, "GET", q, e.token, NULL), 200);
  assert_string_equal(e.r.rate, "0.0167");
  usleep(1100 * 1000);
  assert_int_equal(env_call(&e, "GET", q, e.token, NULL), 403);
  assert_string_equal(str(cJSON_GetArrayItem(get(e.r.json, "errors"), 0), "details"),
                      "The access token you provided has expired.");
  assert_string_equal(e.r.rate, "");

  /* The request log keeps no secret; stats count per seller. */
  char *log = NULL;
  {
    struct buf b;
    struct reply r;
    char url[256];
    memset(&r, 0, sizeof(r));
    buf_init(&b, 0);
    snprintf(url, sizeof(url), "%s/_sandbox/requests?seller=acme", e.sb->base_url);
    call(e.c, "GET", url, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    log = strdup(r.body.data);
    reply_reset(&r);
    buf_release(&r.body);
    buf_release(&b);
  }
  assert_null(strstr(log, "sandbox-client-secret"));
  assert_null(strstr(log, "Atzr"));
  assert_non_null(strstr(log, "\"path\":\"/auth/o2/token\",\"query\":\"\""));
  assert_non_null(strstr(log, "\"path\":\"/orders/v0/orders\""));
  free(log);
  assert_int_equal(env_call(&e, "GET", "/_sandbox/stats", NULL, NULL), 200);
  cJSON *acme = get(get(e.r.json, "sellers"), "acme");
  assert_non_null(acme);
  /* Token: 1 ok, invalid_client (names acme); SP-API: 200 and expired. */
  assert_int_equal(cJSON_GetNumberValue(get(acme, "requests")), 4);
  env_stop(&e);
}

static void test_http_rules(void **state) {
  struct env e;
  char path[2048], now[TIME_STR_LEN], recent[TIME_STR_LEN];
  env_start(&e, 1000, 3600);
  get_token(&e, "acme");
  int64_t t = sandbox_now(e.sb);
  time_format(t, 0, 1, now);
  time_format(t - 60, 0, 1, recent);
  static const struct {
    const char *query;   /* after ?MarketplaceIds=ATVPDKIKX0DER */
    const char *message; /* part of the message */
  } bad[] = {
      {"&CreatedAfter=2026-01-01T00:00:00Z&LastUpdatedAfter=2026-01-01T00:00:00Z",
       "cannot be combined"},
      {"&CreatedAfter=2026-01-01T00:00:00Z&LastUpdatedBefore=2026-01-02T00:00:00Z",
       "cannot be combined"},
      {"", "Exactly one of CreatedAfter and LastUpdatedAfter"},
      {"&CreatedBefore=2026-01-01T00:00:00Z", "Exactly one of"},
      {"&CreatedAfter=2026-01-02T00:00:00Z&CreatedBefore=2026-01-01T00:00:00Z",
       "must not be earlier than CreatedAfter"},
      {"&CreatedAfter=yesterday", "not an ISO 8601 date-time"},
      {"&CreatedAfter=2026-01-01T00:00:00Z&MaxResultsPerPage=101", "MaxResultsPerPage"},
      {"&CreatedAfter=2026-01-01T00:00:00Z&MaxResultsPerPage=0", "MaxResultsPerPage"},
      {"&CreatedAfter=2026-01-01T00:00:00Z&OrderStatuses=Shipped,Lost", "'Lost'"},
      {"&NextToken=abcd", "Invalid NextToken"},
      {"&NextToken=abcd&CreatedAfter=2026-01-01T00:00:00Z", "cannot be combined with CreatedAfter"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(path, sizeof(path), "/sp-api/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER%s",
             bad[i].query);
    assert_int_equal(env_call(&e, "GET", path, e.token, NULL), 400);
    assert_string_equal(error_code(&e.r), "InvalidInput");
    if (!strstr(error_message(&e.r), bad[i].message))
      fail_msg("%s: got '%s'", bad[i].query, error_message(&e.r));
    assert_string_equal(e.r.rate, "16.7");
  }
  /* Before within the last 2 minutes; After in the future without Before. */
  snprintf(path, sizeof(path),
           "/sp-api/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2026-01-01T00:00:"
           "00Z&CreatedBefore=%s",
           recent);
  assert_int_equal(env_call(&e, "GET", path, e.token, NULL), 400);
  assert_non_null(strstr(error_message(&e.r), "at least 2 minutes before the current time"));
  snprintf(path, sizeof(path),
           "/sp-api/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&LastUpdatedAfter=%s", now);
  assert_int_equal(env_call(&e, "GET", path, e.token, NULL), 400);
  assert_non_null(strstr(error_message(&e.r), "LastUpdatedAfter"));
  /* MarketplaceIds: required, ours only, at most 50. */
  assert_int_equal(env_call(&e, "GET", "/sp-api/orders/v0/orders?CreatedAfter=2026-01-01T00:00:00Z",
                            e.token, NULL),
                   400);
  assert_non_null(strstr(error_message(&e.r), "MarketplaceIds is required"));
  assert_int_equal(env_call(&e, "GET",
                            "/sp-api/orders/v0/orders?MarketplaceIds=A1PA6795UKMFR9&CreatedAfter="
                            "2026-01-01T00:00:00Z",
                            e.token, NULL),
                   400);
  {
    size_t n = (size_t)snprintf(path, sizeof(path), "/sp-api/orders/v0/orders?MarketplaceIds=");
    for (int i = 0; i < 51; i++)
      n += (size_t)snprintf(path + n, sizeof(path) - n, "%sATVPDKIKX0DER", i ? "," : "");
    snprintf(path + n, sizeof(path) - n, "&CreatedAfter=2026-01-01T00:00:00Z");
    assert_int_equal(env_call(&e, "GET", path, e.token, NULL), 400);
    assert_non_null(strstr(error_message(&e.r), "at most 50"));
  }
  /* Items: bad id 400, unknown id 404, unknown route 404. */
  assert_int_equal(env_call(&e, "GET", "/sp-api/orders/v0/orders/nope/orderItems", e.token, NULL),
                   400);
  assert_int_equal(
      env_call(&e, "GET", "/sp-api/orders/v0/orders/111-0000000-0000000/orderItems", e.token, NULL),
      404);
  assert_string_equal(error_code(&e.r), "NotFound");
  assert_string_equal(e.r.rate, "500");
  assert_int_equal(
      env_call(&e, "GET", "/sp-api/orders/v0/orders/902-1845936-5435065/orderItems", e.token, NULL),
      404);
  assert_int_equal(env_call(&e, "GET", "/sp-api/orders/v1/orders", e.token, NULL), 404);
  env_stop(&e);
}

/* Pages of a local day, fetched with NextToken, equal the ground truth of
 * that day; so do the items of every order, fetched 10 at a time. */
static void test_http_paging_truth(void **state) {
  struct env e;
  char path[4096], enc[1024], day_from[TIME_STR_LEN], day_to[TIME_STR_LEN];
  struct tz *tz;
  struct civil_date today;
  int64_t start, end;
  cJSON *got = cJSON_CreateArray();
  int pages = 0, item_pages = 0;
  env_start(&e, 100000, 3600); /* items come faster than 500/s here */
  get_token(&e, "acme");
  assert_int_equal(tz_open(LA, &tz, NULL), 0);
  assert_int_equal(tz_local_date(tz, sandbox_now(e.sb), &today), 0);
  assert_int_equal(tz_day_bounds(tz, date_add(today, -1), &start, &end), 0);
  tz_free(tz);
  time_format(start, 0, 1, day_from);
  time_format(end - 1, 0, 1, day_to);
  snprintf(path, sizeof(path),
           "/sp-api/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=%s&CreatedBefore=%s"
           "&MaxResultsPerPage=9",
           day_from, day_to);
  for (;;) {
    assert_int_equal(env_call(&e, "GET", path, e.token, NULL), 200);
    pages++;
    cJSON *payload = get(e.r.json, "payload"), *o;
    assert_string_equal(str(payload, "CreatedBefore"), day_to);
    assert_true(cJSON_GetArraySize(get(payload, "Orders")) <= 9);
    cJSON_ArrayForEach(o, get(payload, "Orders")) cJSON_AddItemToArray(got, cJSON_Duplicate(o, 1));
    const char *next = str(payload, "NextToken");
    if (!next)
      break;
    url_encode(next, enc, sizeof(enc));
    snprintf(path, sizeof(path),
             "/sp-api/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&NextToken=%s", enc);
  }
  assert_true(pages > 3);
  /* Items, page by page. */
  cJSON *o;
  cJSON_ArrayForEach(o, got) {
    cJSON *items = cJSON_CreateArray(), *it;
    const char *id = str(o, "AmazonOrderId");
    snprintf(path, sizeof(path), "/sp-api/orders/v0/orders/%s/orderItems", id);
    for (;;) {
      assert_int_equal(env_call(&e, "GET", path, e.token, NULL), 200);
      item_pages++;
      cJSON *payload = get(e.r.json, "payload");
      assert_string_equal(str(payload, "AmazonOrderId"), id);
      assert_true(cJSON_GetArraySize(get(payload, "OrderItems")) <= SB_AMZ_ITEMS_PAGE);
      cJSON_ArrayForEach(it, get(payload, "OrderItems"))
          cJSON_AddItemToArray(items, cJSON_Duplicate(it, 1));
      const char *next = str(payload, "NextToken");
      if (!next)
        break;
      url_encode(next, enc, sizeof(enc));
      snprintf(path, sizeof(path), "/sp-api/orders/v0/orders/%s/orderItems?NextToken=%s", id, enc);
    }
    cJSON_AddItemToObject(o, "OrderItems", items);
  }
  /* The truth of the same day. */
  struct reply r;
  memset(&r, 0, sizeof(r));
  snprintf(path, sizeof(path), "%s/_sandbox/truth?seller=acme&CreatedAfter=%s&CreatedBefore=%s",
           e.sb->base_url, day_from, day_to);
  assert_int_equal(call(e.c, "GET", path, NULL, NULL, &r), 200);
  int lines = 0;
  for (char *line = r.body.data, *nl; line && *line; line = nl + 1, lines++) {
    nl = strchr(line, '\n');
    assert_non_null(nl);
    *nl = '\0';
    cJSON *want = cJSON_Parse(line);
    assert_non_null(want);
    cJSON *have = cJSON_GetArrayItem(got, lines);
    assert_non_null(have);
    if (!cJSON_Compare(want, have, 1))
      fail_msg("order %d differs from the truth: %s", lines, str(want, "AmazonOrderId"));
    cJSON_Delete(want);
  }
  assert_int_equal(lines, cJSON_GetArraySize(got));
  assert_true(lines > 40);
  assert_true(item_pages >= lines);
  print_message("%d orders in %d pages, %d item pages\n", lines, pages, item_pages);
  reply_reset(&r);
  buf_release(&r.body);
  cJSON_Delete(got);
  env_stop(&e);
}

static void test_http_quota_and_invalidation(void **state) {
  struct env e;
  char path[2048], enc[1024], next[1024], items_next[1024], big_id[32] = "";
  env_start(&e, 0.001, 3600); /* tokens come back once in 16 hours */
  get_token(&e, "acme");
  snprintf(path, sizeof(path),
           "/sp-api/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2000-01-01T00:00:"
           "00Z&MaxResultsPerPage=100");
  for (int i = 0; i < SB_SP_ORDERS_BURST; i++) {
    assert_int_equal(env_call(&e, "GET", path, e.token, NULL), 200);
    assert_string_equal(e.r.rate, "0.0000167");
    if (i == 0)
      snprintf(next, sizeof(next), "%s", str(get(e.r.json, "payload"), "NextToken"));
  }
  assert_int_equal(env_call(&e, "GET", path, e.token, NULL), 429);
  assert_string_equal(error_code(&e.r), "QuotaExceeded");
  assert_string_equal(error_message(&e.r), "You exceeded your quota for the requested resource.");
  assert_string_equal(e.r.rate, ""); /* never on a 429 */
  /* The other seller has its own bucket. */
  char acme_token[SB_ACCESS_MAX];
  snprintf(acme_token, sizeof(acme_token), "%s", e.token);
  get_token(&e, "zeta");
  assert_int_equal(env_call(&e, "GET", path, e.token, NULL), 200);
  /* A NextToken of acme is not zeta's. */
  url_encode(next, enc, sizeof(enc));
  snprintf(path, sizeof(path), "/sp-api/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&NextToken=%s",
           enc);
  assert_int_equal(env_call(&e, "GET", path, e.token, NULL), 400);
  assert_string_equal(error_message(&e.r), "Invalid NextToken");

  /* An order with more than 10 items, for an items NextToken. */
  pthread_mutex_lock(&e.sb->lock);
  for (size_t i = 0; i < e.sb->sellers[0].norders && !big_id[0]; i++) {
    struct sb_amz_content c;
    sb_amz_content(&e.sb->sellers[0], &e.sb->sellers[0].orders[i], &c);
    if (c.nitems > SB_AMZ_ITEMS_PAGE)
      sb_amz_order_id(&e.sb->sellers[0].orders[i], big_id);
  }
  pthread_mutex_unlock(&e.sb->lock);
  assert_true(big_id[0]);
  snprintf(path, sizeof(path), "/sp-api/orders/v0/orders/%s/orderItems", big_id);
  assert_int_equal(env_call(&e, "GET", path, acme_token, NULL), 200);
  assert_int_equal(cJSON_GetArraySize(get(get(e.r.json, "payload"), "OrderItems")), 10);
  snprintf(items_next, sizeof(items_next), "%s", str(get(e.r.json, "payload"), "NextToken"));
  url_encode(items_next, enc, sizeof(enc));
  snprintf(path, sizeof(path), "/sp-api/orders/v0/orders/%s/orderItems?NextToken=%s", big_id, enc);
  assert_int_equal(env_call(&e, "GET", path, acme_token, NULL), 200);

  /* Invalidation: acme's tokens stop working, with 400 Invalid NextToken. */
  struct reply r;
  char url[256];
  memset(&r, 0, sizeof(r));
  snprintf(url, sizeof(url), "%s/_sandbox/amazon/invalidate-tokens?seller=acme", e.sb->base_url);
  assert_int_equal(call(e.c, "POST", url, NULL, NULL, &r), 200);
  reply_reset(&r);
  buf_release(&r.body);
  assert_int_equal(env_call(&e, "GET", path, acme_token, NULL), 400);
  assert_string_equal(error_code(&e.r), "InvalidInput");
  assert_string_equal(error_message(&e.r), "Invalid NextToken");
  /* Without the token the items still come. */
  snprintf(path, sizeof(path), "/sp-api/orders/v0/orders/%s/orderItems", big_id);
  assert_int_equal(env_call(&e, "GET", path, acme_token, NULL), 200);
  assert_string_equal(e.r.rate, "0.0005");

  assert_int_equal(env_call(&e, "GET", "/_sandbox/stats", NULL, NULL), 200);
  cJSON *acme = get(get(e.r.json, "sellers"), "acme");
  assert_int_equal(cJSON_GetNumberValue(get(acme, "throttled")), 1);
  assert_int_equal(cJSON_GetNumberValue(get(e.r.json, "throttled")), 1);
  env_stop(&e);
}

/* Fetches every page of a getOrders query; returns the orders. */
static cJSON *all_pages(struct env *e, const char *first_query, int *pages) {
  char path[4096], enc[1024];
  cJSON *got = cJSON_CreateArray(), *o;
  snprintf(path, sizeof(path), "/sp-api/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER%s",
           first_query);
  for (*pages = 0;; (*pages)++) {
    assert_int_equal(env_call(e, "GET", path, e->token, NULL), 200);
    cJSON *payload = get(e->r.json, "payload");
    cJSON_ArrayForEach(o, get(payload, "Orders")) cJSON_AddItemToArray(got, cJSON_Duplicate(o, 1));
    const char *next = str(payload, "NextToken");
    if (!next)
      break;
    url_encode(next, enc, sizeof(enc));
    snprintf(path, sizeof(path),
             "/sp-api/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&NextToken=%s", enc);
  }
  return got;
}

/* OrderStatuses, FulfillmentChannels and the LastUpdated family, before and
 * after /_sandbox/mutate?seller=. */
static void test_http_filters(void **state) {
  struct env e;
  char q[512], since[TIME_STR_LEN];
  int pages, n = 0;
  cJSON *got, *o;
  env_start(&e, 100000, 3600);
  e.sb->sstate[0].orders.enabled = 0; /* many small pages, as fast as they come */
  get_token(&e, "acme");
  got = all_pages(&e,
                  "&CreatedAfter=2000-01-01T00:00:00Z&OrderStatuses=Pending,Canceled"
                  "&MaxResultsPerPage=5",
                  &pages);
  cJSON_ArrayForEach(o, got) {
    assert_true(strcmp(str(o, "OrderStatus"), "Pending") == 0 ||
                strcmp(str(o, "OrderStatus"), "Canceled") == 0);
    n++;
  }
  assert_true(n > 0 && pages > 1);
  cJSON_Delete(got);
  got = all_pages(&e, "&CreatedAfter=2000-01-01T00:00:00Z&FulfillmentChannels=MFN", &pages);
  n = 0;
  cJSON_ArrayForEach(o, got) {
    assert_string_equal(str(o, "FulfillmentChannel"), "MFN");
    n++;
  }
  assert_true(n > 0);
  cJSON_Delete(got);

  /* Changes show up in a LastUpdatedAfter window, sorted by PurchaseDate.
   * A minute on first: a generated order may have been updated in the
   * last second before now, and would fall in the window too. */
  e.sb->cfg.now += 60;
  time_format(sandbox_now(e.sb) - 1, 0, 1, since);
  {
    struct reply r;
    char url[256];
    memset(&r, 0, sizeof(r));
    snprintf(url, sizeof(url), "%s/_sandbox/mutate?seller=acme&update=30", e.sb->base_url);
    assert_int_equal(call(e.c, "POST", url, NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body.data, "\"updated\":30"));
    reply_reset(&r);
    buf_release(&r.body);
  }
  /* LastUpdatedBefore must lie 2 minutes back, so move the clock on. */
  e.sb->cfg.now += 300;
  snprintf(q, sizeof(q), "&LastUpdatedAfter=%s&MaxResultsPerPage=4", since);
  got = all_pages(&e, q, &pages);
  n = cJSON_GetArraySize(got);
  assert_true(n >= 20 && n <= 30); /* an order may be picked twice */
  assert_non_null(strstr(e.r.body.data, "\"LastUpdatedBefore\""));
  const char *prev = "";
  cJSON_ArrayForEach(o, got) {
    assert_true(strcmp(str(o, "LastUpdateDate"), since) >= 0);
    assert_true(strcmp(prev, str(o, "PurchaseDate")) <= 0);
    prev = str(o, "PurchaseDate");
  }
  {
    struct reply r;
    char url[256];
    int lines = 0;
    memset(&r, 0, sizeof(r));
    snprintf(url, sizeof(url), "%s/_sandbox/truth?seller=acme&LastUpdatedAfter=%s", e.sb->base_url,
             since);
    assert_int_equal(call(e.c, "GET", url, NULL, NULL, &r), 200);
    for (char *line = r.body.data, *nl; line && *line; line = nl + 1, lines++) {
      nl = strchr(line, '\n');
      *nl = '\0';
      cJSON *want = cJSON_Parse(line);
      cJSON_DeleteItemFromObjectCaseSensitive(want, "OrderItems");
      assert_true(cJSON_Compare(want, cJSON_GetArrayItem(got, lines), 1));
      cJSON_Delete(want);
    }
    assert_int_equal(lines, n);
    reply_reset(&r);
    buf_release(&r.body);
  }
  cJSON_Delete(got);
  env_stop(&e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_local_day_edges),
      cmocka_unit_test(test_money_and_pending),
      cmocka_unit_test(test_sku_price_stable),
      cmocka_unit_test(test_token_bucket),
      cmocka_unit_test(test_tokens),
      cmocka_unit_test(test_mutate),
      cmocka_unit_test(test_http_auth),
      cmocka_unit_test(test_http_rules),
      cmocka_unit_test(test_http_paging_truth),
      cmocka_unit_test(test_http_quota_and_invalidation),
      cmocka_unit_test(test_http_filters),
  };
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
