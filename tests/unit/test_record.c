/* Reading records by their stream's description (core/record.c): ids,
 * times, every column type, children, and records that cannot be read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/record.h"

static int upper_name(const void *json, const void *parent, struct value *out) {
  const char *n = jstr(json, "name");
  (void)parent;
  if (!n)
    return MS_OK;
  out->text = strdup(n);
  for (char *p = out->text; p && *p; p++)
    if (*p >= 'a' && *p <= 'z')
      *p = (char)(*p - 'a' + 'A');
  out->set = out->text != NULL;
  return MS_OK;
}

static const struct column_def line_columns[] = {
    COLUMN("sku", COL_TEXT, "sku"),
    COLUMN("quantity", COL_INT, "quantity"),
    COLUMN("price", COL_MONEY, "price", .currency = "^currency"),
    COLUMN("estimated", COL_BOOL, NULL, .flags = COL_LOCAL),
    {0},
};

static const struct stream_def lines = {
    .name = "lines",
    .table = "lines",
    .parent = "things",
    .parent_key = "thing_id",
    .path = "lines",
    .key = "id",
    .columns = line_columns,
};

static const struct stream_def *const thing_children[] = {&lines, NULL};

static const struct column_def thing_columns[] = {
    COLUMN("name", COL_TEXT, "name"),
    COLUMN("loud", COL_TEXT, NULL, .read = upper_name),
    COLUMN("total", COL_MONEY, "total", .currency = "currency", .minor = "total_minor"),
    COLUMN("currency", COL_TEXT, "currency"),
    COLUMN("count", COL_INT, "count"),
    COLUMN("paid", COL_BOOL, "paid"),
    COLUMN("closed", COL_TIME, "closed_at"),
    COLUMN("day", COL_DATE, "day", .format = "dd.mm.yyyy"),
    COLUMN("rate", COL_DECIMAL, "rate"),
    COLUMN("tags", COL_JSON, "tags"),
    COLUMN("city", COL_TEXT, "address.city"),
    COLUMN("first_tag", COL_TEXT, "tags.0"),
    {0},
};

static const struct stream_def things = {
    .name = "things",
    .table = "things",
    .slicing = SLICING_BY_DAY,
    .key = "id",
    .created = "created_at",
    .updated = "updated_at",
    .columns = thing_columns,
    .children = thing_children,
};

/* Zone-less times read in the source's zone; a key of two paths. */
static const struct column_def action_columns[] = {
    COLUMN("status", COL_TEXT, "status"),
    COLUMN("payment", COL_MONEY, "payment", .currency = "currency"),
    {0},
};

static const struct stream_def actions = {
    .name = "actions",
    .table = "actions",
    .slicing = SLICING_BY_DAY,
    .key = "website,action_id",
    .created = "action_date",
    .updated = "status_updated",
    .time_format = "yyyy-mm-dd HH:MM:SS",
    .columns = action_columns,
};

static void read_ok(const struct stream_def *def, const char *text, struct tz *zone,
                    struct record *r) {
  cJSON *json = cJSON_Parse(text);
  struct read_context ctx = {zone, NULL};
  assert_non_null(json);
  memset(r, 0, sizeof(*r));
  assert_int_equal(record_read(def, json, NULL, text, strlen(text), &ctx, r), MS_OK);
  cJSON_Delete(json);
  if (r->unreadable)
    fail_msg("unreadable: %s", r->unreadable);
}

static void test_every_column_type_is_read(void **state) {
  const char *text = "{\"id\":123456789012,\"created_at\":\"2026-03-08T01:30:00-05:00\","
                     "\"updated_at\":\"2026-03-09T10:00:00Z\",\"name\":\"mug\",\"total\":\"1234\","
                     "\"currency\":\"JPY\",\"count\":\"7\",\"paid\":true,\"closed_at\":null,"
                     "\"day\":\"31.12.2025\",\"rate\":\"0.12345\",\"tags\":[\"a\",\"b\"],"
                     "\"address\":{\"city\":\"Köln\"},"
                     "\"lines\":[{\"id\":1,\"sku\":\"S1\",\"quantity\":2,\"price\":\"600\"},"
                     "{\"id\":\"2\",\"sku\":null,\"quantity\":1,\"price\":\"34\"}]}";
  struct record r;
  (void)state;
  read_ok(&things, text, NULL, &r);
  assert_string_equal(r.external_id, "123456789012");
  assert_int_equal(r.created_at, 1772951400); /* 06:30 UTC */
  assert_int_equal(r.updated_at, 1773050400);
  assert_int_equal(r.nvals, 12);
  assert_string_equal(r.vals[0].text, "mug");
  assert_string_equal(r.vals[1].text, "MUG");
  assert_string_equal(r.vals[2].text, "1234");
  assert_int_equal(r.vals[2].i, 1234); /* JPY has no minor unit */
  assert_int_equal(r.vals[4].i, 7);
  assert_int_equal(r.vals[5].i, 1);
  assert_int_equal(r.vals[6].set, 0); /* null */
  assert_string_equal(r.vals[7].text, "2025-12-31");
  assert_string_equal(r.vals[8].text, "0.12345");
  assert_string_equal(r.vals[9].text, "[\"a\",\"b\"]");
  assert_string_equal(r.vals[10].text, "Köln");
  assert_string_equal(r.vals[11].text, "a");
  assert_string_equal(r.raw, text); /* the bytes as sent */
  /* children, with the parent's currency */
  assert_int_equal(r.nkids, 1);
  assert_ptr_equal(r.kids[0].def, &lines);
  assert_int_equal(r.kids[0].n, 2);
  assert_string_equal(r.kids[0].recs[0].external_id, "1");
  assert_int_equal(r.kids[0].recs[0].vals[2].i, 600);
  assert_string_equal(r.kids[0].recs[1].external_id, "2");
  assert_int_equal(r.kids[0].recs[1].vals[0].set, 0);
  assert_int_equal(r.kids[0].recs[1].vals[3].set, 0); /* local: never read */
  assert_null(r.kids[0].recs[0].raw);                 /* the parent's raw holds it */
  assert_ptr_equal(record_value(&r, &things, "count"), &r.vals[4]);
  assert_null(record_value(&r, &things, "nope"));
  record_release(&r);
}

/* Numbers, booleans and objects as text, exact; a record's texts are one
 * block it owns. */
static void test_values_as_text(void **state) {
  static const struct column_def columns[] = {
      COLUMN("a", COL_TEXT, "a"), COLUMN("b", COL_TEXT, "b"), COLUMN("c", COL_TEXT, "c"),
      COLUMN("d", COL_TEXT, "d"), COLUMN("e", COL_TEXT, "e"), COLUMN("f", COL_TEXT, "f"),
      COLUMN("g", COL_TEXT, "g"), COLUMN("h", COL_TEXT, "h"), {0},
  };
  static const struct stream_def values = {
      .name = "values",
      .table = "values",
      .slicing = SLICING_SNAPSHOT,
      .key = "id",
      .columns = columns,
  };
  static const char *const want[] = {"-42",  "0",     "9007199254740991", "1.5",
                                     "true", "false", "{\"x\":[1]}",      NULL};
  struct record r;
  (void)state;
  read_ok(&values,
          "{\"id\":-7,\"a\":-42,\"b\":0,\"c\":9007199254740991,\"d\":1.5,\"e\":true,"
          "\"f\":false,\"g\":{\"x\":[1]},\"h\":null}",
          NULL, &r);
  assert_string_equal(r.external_id, "-7");
  for (size_t i = 0; i < 8; i++) {
    if (!want[i]) {
      assert_int_equal(r.vals[i].set, 0);
      assert_null(r.vals[i].text);
      continue;
    }
    assert_string_equal(r.vals[i].text, want[i]);
    assert_true(r.vals[i].text >= r.texts && r.vals[i].text < r.texts + 64);
  }
  record_release(&r);
}

static void test_zone_less_times_and_composite_keys(void **state) {
  struct tz *moscow = NULL, *berlin = NULL;
  struct record r;
  (void)state;
  assert_int_equal(tz_open("Europe/Moscow", &moscow, NULL), MS_OK);
  assert_int_equal(tz_open("Europe/Berlin", &berlin, NULL), MS_OK);
  read_ok(&actions,
          "{\"website\":42,\"action_id\":9,\"action_date\":\"2026-11-20 14:05:33\","
          "\"status_updated\":\"2026-11-21 00:00:00\",\"status\":\"pending\","
          "\"payment\":12.3456,\"currency\":\"USD\"}",
          moscow, &r);
  assert_string_equal(r.external_id, "42:9");
  assert_int_equal(r.created_at, 1795172733); /* 11:05:33 UTC: Moscow is UTC+3 */
  assert_string_equal(r.vals[1].text, "12.3456");
  assert_int_equal(r.vals[1].i, 1234); /* more decimals than USD has: cut toward zero */
  record_release(&r);
  /* A time that happens twice in Berlin (2026-10-25 02:30) is its first. */
  read_ok(&actions,
          "{\"website\":1,\"action_id\":2,\"action_date\":\"2026-10-25 02:30:00\","
          "\"status\":\"x\",\"payment\":\"1\",\"currency\":\"EUR\"}",
          berlin, &r);
  assert_int_equal(r.created_at, 1792888200); /* 00:30 UTC, at +02:00 */
  assert_int_equal(r.updated_at, r.created_at);
  record_release(&r);
  tz_free(moscow);
  tz_free(berlin);
}

static void expect_unreadable(const struct stream_def *def, const char *text, const char *words) {
  cJSON *json = cJSON_Parse(text);
  struct record r;
  memset(&r, 0, sizeof(r));
  assert_non_null(json);
  assert_int_equal(record_read(def, json, NULL, text, strlen(text), NULL, &r), MS_OK);
  cJSON_Delete(json);
  if (!r.unreadable || !strstr(r.unreadable, words))
    fail_msg("%s: %s, want a reason saying \"%s\"", text, r.unreadable ? r.unreadable : "(read)",
             words);
  assert_string_equal(r.raw, text); /* kept aside with its bytes */
  record_release(&r);
}

static void test_records_that_cannot_be_read_come_back_marked(void **state) {
  (void)state;
  expect_unreadable(&things, "{\"created_at\":\"2026-01-01T00:00:00Z\"}", "no usable id");
  expect_unreadable(&things, "{\"id\":1.5,\"created_at\":\"2026-01-01T00:00:00Z\"}", "id");
  expect_unreadable(&things, "{\"id\":1}", "created_at");
  expect_unreadable(&things, "{\"id\":1,\"created_at\":\"yesterday\"}", "created_at");
  expect_unreadable(&things, "{\"id\":1,\"created_at\":\"2026-01-01T00:00:00Z\",\"total\":\"1,5\"}",
                    "total");
  expect_unreadable(&things, "{\"id\":1,\"created_at\":\"2026-01-01T00:00:00Z\",\"count\":\"x\"}",
                    "count");
  expect_unreadable(
      &things, "{\"id\":1,\"created_at\":\"2026-01-01T00:00:00Z\",\"day\":\"2025-12-31\"}", "day");
  expect_unreadable(&things, "{\"id\":1,\"created_at\":\"2026-01-01T00:00:00Z\",\"lines\":{}}",
                    "not a list");
  expect_unreadable(
      &things, "{\"id\":1,\"created_at\":\"2026-01-01T00:00:00Z\",\"lines\":[{\"sku\":\"x\"}]}",
      "lines");
  expect_unreadable(&things, "[1,2]", "not an object");
}

static void test_rereading_kept_bytes(void **state) {
  struct record r;
  struct err err = {0};
  (void)state;
  memset(&r, 0, sizeof(r));
  assert_int_equal(record_reread(&things, "{\"id\":5,\"created_at\":\"2026-01-01T00:00:00Z\"}", 44,
                                 NULL, &r, &err),
                   MS_OK);
  assert_string_equal(r.external_id, "5");
  record_release(&r);
  memset(&r, 0, sizeof(r));
  assert_int_equal(record_reread(&things, "{\"id\":5,", 7, NULL, &r, &err), MS_EPROTO);
  assert_non_null(strstr(err.msg, "cut JSON"));
  record_release(&r);
  memset(&r, 0, sizeof(r));
  assert_int_equal(record_reread(&things, "{\"id\":5}", 8, NULL, &r, &err), MS_EPROTO);
  assert_non_null(strstr(err.msg, "created_at"));
  record_release(&r);
}

static void test_descriptions_are_checked(void **state) {
  static const struct column_def clash[] = {COLUMN("raw", COL_TEXT, "raw"), {0}};
  static const struct column_def bad_name[] = {COLUMN("Total Price", COL_TEXT, "x"), {0}};
  static const struct column_def nowhere[] = {COLUMN("x", COL_TEXT, NULL), {0}};
  struct stream_def d = things;
  struct err err = {0};
  (void)state;
  assert_int_equal(stream_check(&things, &err), MS_OK);
  d.columns = clash;
  assert_int_equal(stream_check(&d, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "raw"));
  d.columns = bad_name;
  assert_int_equal(stream_check(&d, &err), MS_EINVAL);
  d.columns = nowhere;
  assert_int_equal(stream_check(&d, &err), MS_EINVAL);
  d = things;
  d.table = "things; DROP TABLE sources";
  assert_int_equal(stream_check(&d, &err), MS_EINVAL);
  d = things;
  d.key = NULL;
  assert_int_equal(stream_check(&d, &err), MS_EINVAL);
}

static void test_money_is_written_in_each_currency(void **state) {
  char out[32];
  (void)state;
  money_format(19900, "USD", out, sizeof(out));
  assert_string_equal(out, "199.00");
  money_format(1500, "JPY", out, sizeof(out));
  assert_string_equal(out, "1500");
  money_format(1234, "BHD", out, sizeof(out));
  assert_string_equal(out, "1.234");
  money_format(-5, "EUR", out, sizeof(out));
  assert_string_equal(out, "-0.05");
  money_format(7, NULL, out, sizeof(out));
  assert_string_equal(out, "0.07");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_column_type_is_read),
      cmocka_unit_test(test_values_as_text),
      cmocka_unit_test(test_zone_less_times_and_composite_keys),
      cmocka_unit_test(test_records_that_cannot_be_read_come_back_marked),
      cmocka_unit_test(test_rereading_kept_bytes),
      cmocka_unit_test(test_descriptions_are_checked),
      cmocka_unit_test(test_money_is_written_in_each_currency),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
