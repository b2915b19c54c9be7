/* The JSON helpers every connector relies on: exact raw slices, refusal of
 * damaged answers (invalid UTF-8, trailing data, deep nesting), exact ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/json.h"
#include "util/utf8.h"

static void test_utf8(void **state) {
  (void)state;
  assert_int_equal(utf8_check("plain", 5), 5);
  assert_int_equal(utf8_check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14), 14);
  assert_int_equal(utf8_check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 13), 10);
  assert_int_equal(utf8_check("a\xc0\x80", 3), 1);        /* overlong NUL */
  assert_int_equal(utf8_check("ab\xed\xa0\x80", 5), 2);   /* a surrogate */
  assert_int_equal(utf8_check("\xf4\x90\x80\x80", 4), 0); /* above U+10FFFF */
  assert_int_equal(utf8_check("xyz\xe2\x82", 5), 3);      /* cut short */
  assert_int_equal(utf8_check("\x80", 1), 0);             /* stray continuation */
  assert_int_equal(utf8_check("\xe0\x80\xaf", 3), 0);     /* overlong slash */
  /* Long ASCII runs are skipped eight bytes at a time: what follows them,
   * at any offset, is still checked. */
  for (size_t at = 0; at < 24; at++) {
    char s[40];
    memset(s, 'a', sizeof(s));
    s[at] = '\xc3';
    s[at + 1] = '\xa9';
    assert_int_equal(utf8_check(s, sizeof(s)), sizeof(s));
    s[at + 1] = 'b';
    assert_int_equal(utf8_check(s, sizeof(s)), at);
  }
}

struct seen {
  char raw[4][64]; /* raw slices handed out */
  int n;
};

static int keep(void *ctx, const cJSON *elem, const char *raw, size_t len) {
  struct seen *s = ctx;
  (void)elem;
  assert_true(s->n < 4 && len < 64);
  memcpy(s->raw[s->n], raw, len);
  s->raw[s->n][len] = '\0';
  s->n++;
  return 0;
}

static void test_each_in_hands_out_exact_bytes(void **state) {
  const char *body = "{ \"meta\" : {\"x\":[1,2,{\"orders\":[9]}]},\n \"orders\" : [ {\"id\": 1,"
                     "\"t\":\"a\\u00e9\"} , {\"id\":2}\n], \"tail\":null }";
  struct seen s = {0};
  struct err err = {0};
  (void)state;
  assert_int_equal(json_each_in(body, strlen(body), "orders", keep, &s, &err), MS_OK);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.raw[0], "{\"id\": 1,\"t\":\"a\\u00e9\"}");
  assert_string_equal(s.raw[1], "{\"id\":2}");
}

static void test_each_at_walks_a_nested_path_or_a_bare_list(void **state) {
  const char *nested = "{\"payload\":{\"data\":[{\"a\":\"1\"}, {\"a\":2.50}],"
                       "\"pagination\":{\"total\":2}},\"data\":[9]}";
  const char *bare = " [ {\"id\":1} ,{\"id\": 2} ] ";
  struct seen s = {0};
  struct err err = {0};
  (void)state;
  assert_int_equal(json_each_at(nested, strlen(nested), "payload.data", keep, &s, &err), MS_OK);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.raw[1], "{\"a\":2.50}");
  memset(&s, 0, sizeof(s));
  assert_int_equal(json_each_at(bare, strlen(bare), "", keep, &s, &err), MS_OK);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.raw[1], "{\"id\": 2}");
  assert_int_equal(json_each_at(nested, strlen(nested), "payload.rows", keep, &s, &err),
                   MS_ENOTFOUND);
  assert_int_equal(json_each_at(nested, strlen(nested), "data.x", keep, &s, &err), MS_ENOTFOUND);
  assert_int_equal(json_each_at(nested, strlen(nested), "", keep, &s, &err), MS_EPROTO);
}

static int expect_proto(const char *body, size_t len) {
  struct seen s = {0};
  struct err err = {0};
  int rc = json_each_in(body, len, "orders", keep, &s, &err);
  if (rc == MS_EPROTO)
    assert_true(strlen(err.msg) > 0);
  return rc;
}

/* Each element is parsed into an arena dropped after its callback: what
 * the callback copies (a print, a duplicate) is its own, elements larger
 * than a chunk of the arena read whole, and a damaged element after many
 * good ones is still reported. */
struct big {
  int n;          /* elements seen */
  size_t longest; /* length of the longest "s" */
};

static int check_big(void *ctx, const cJSON *elem, const char *raw, size_t len) {
  struct big *b = ctx;
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(elem, "s");
  char *printed = cJSON_PrintUnformatted(elem);
  cJSON *copy = cJSON_Duplicate(elem, 1);
  (void)raw;
  assert_int_equal(jint(elem, "id", -1), b->n);
  assert_true(cJSON_IsString(s));
  assert_non_null(printed);
  assert_int_equal(strlen(printed), len);
  assert_true(cJSON_Compare(copy, elem, 1));
  if (strlen(s->valuestring) > b->longest)
    b->longest = strlen(s->valuestring);
  free(printed);
  cJSON_Delete(copy);
  b->n++;
  return 0;
}

static void test_each_in_reads_many_and_large_elements(void **state) {
  size_t huge = 200 * 1024, cap = huge + 300 * 64 + 64, len = 0;
  char *body = malloc(cap);
  struct big b = {0};
  struct err err = {0};
  (void)state;
  assert_non_null(body);
  len += (size_t)snprintf(body + len, cap - len, "{\"orders\":[");
  for (int i = 0; i < 300; i++) {
    len += (size_t)snprintf(body + len, cap - len, "%s{\"id\":%d,\"n\":[1,2.5,true],\"s\":\"",
                            i ? "," : "", i);
    if (i == 150) { /* one element larger than a chunk of the arena */
      memset(body + len, 'x', huge);
      len += huge;
    }
    len += (size_t)snprintf(body + len, cap - len, "\"}");
  }
  len += (size_t)snprintf(body + len, cap - len, "]}");
  assert_int_equal(json_each_in(body, len, "orders", check_big, &b, &err), MS_OK);
  assert_int_equal(b.n, 300);
  assert_int_equal(b.longest, huge);
  /* The same page with its last element cut open. */
  memcpy(body + len - 4, "\"x]}", 4);
  b.n = 0;
  assert_int_equal(json_each_in(body, len, "orders", check_big, &b, &err), MS_EPROTO);
  assert_int_equal(b.n, 299);
  free(body);
}

static void test_each_in_refuses_damaged_answers(void **state) {
  static const char *bad[] = {
      "{\"orders\":[{\"id\":1}]} trailing", /* data after the object */
      "{\"orders\":[{\"id\":1}",            /* cut short */
      "{\"orders\":{}}",                    /* wrong shape */
      "[{\"id\":1}]",                       /* not an object */
      "{\"orders\":[1],\"orders\":[2]}",    /* the list twice */
      "{\"orders\":[{\"id\":1},]}",         /* trailing comma */
  };
  struct seen s = {0};
  struct err err = {0};
  (void)state;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(expect_proto(bad[i], strlen(bad[i])), MS_EPROTO);
  assert_int_equal(json_each_in("{\"other\":[]}", 12, "orders", keep, &s, &err), MS_ENOTFOUND);
}

static void test_each_in_refuses_invalid_utf8(void **state) {
  const char body[] = "{\"orders\":[{\"name\":\"bad \xff byte\"}]}";
  struct seen s = {0};
  struct err err = {0};
  (void)state;
  assert_int_equal(json_each_in(body, sizeof(body) - 1, "orders", keep, &s, &err), MS_EPROTO);
  assert_non_null(strstr(err.msg, "UTF-8"));
  assert_int_equal(s.n, 0); /* nothing was handed out before the refusal */
  assert_null(jparse(body, sizeof(body) - 1, &err));
}

static void test_deep_nesting_is_refused_without_a_crash(void **state) {
  size_t depth = 200000, len = depth + 12;
  char *body = malloc(len + depth + 4);
  (void)state;
  assert_non_null(body);
  memcpy(body, "{\"orders\":[", 11);
  memset(body + 11, '[', depth);
  len = 11 + depth;
  body[len] = '\0';
  assert_int_equal(expect_proto(body, len), MS_EPROTO);
  free(body);
}

static void test_ids_are_exact_or_refused(void **state) {
  cJSON *o = cJSON_Parse("{\"a\":5812345678901,\"b\":9007199254740993,\"c\":\"123-4\","
                         "\"d\":1.5,\"e\":\"\"}");
  char *a = jid(o, "a"), *c = jid(o, "c");
  (void)state;
  assert_string_equal(a, "5812345678901");
  assert_null(jid(o, "b")); /* above 2^53: a double cannot hold it exactly */
  assert_string_equal(c, "123-4");
  assert_null(jid(o, "d"));
  assert_null(jid(o, "e"));
  free(a);
  free(c);
  cJSON_Delete(o);
}

/* The index finds what json_path finds, path by path. */
static void same_as_path(const cJSON *o, const char *path) {
  struct json_index ix;
  json_index_build(&ix, o);
  if (json_index_path(&ix, path) != json_path(o, path))
    fail_msg("%s: the index and json_path disagree", path);
}

static void test_index_finds_what_paths_find(void **state) {
  cJSON *o = cJSON_Parse("{\"id\":1,\"total\":\"2.00\",\"id\":2,\"customer\":{\"id\":7},"
                         "\"lines\":[{\"sku\":\"A\"},{\"sku\":\"B\"}],\"\":3,\"to\":4}");
  static const char *const paths[] = {
      "id", "total", "customer.id", "customer.x", "lines.1.sku", "lines.9", "lines.x",     "",
      ".",  "id.",   "tot",         "totals",     "to",          "missing", "customer..id"};
  struct json_index ix;
  cJSON *big = cJSON_CreateObject(), *list = cJSON_Parse("[1,2]");
  char name[16];
  (void)state;
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
    same_as_path(o, paths[i]);
  json_index_build(&ix, o);
  assert_int_equal(json_index_path(&ix, "id")->valueint, 1); /* the first of two */
  assert_int_equal(json_index_get(&ix, "totals", 5), cJSON_GetObjectItem(o, "total"));
  /* More members than the index holds: searched one by one, same answers. */
  for (int i = 0; i < JSON_INDEX_MEMBERS + 5; i++) {
    snprintf(name, sizeof(name), "m%d", i);
    cJSON_AddNumberToObject(big, name, i);
  }
  same_as_path(big, "m0");
  same_as_path(big, "m132");
  same_as_path(big, "m133");
  /* Not an object: json_path's answers. */
  same_as_path(list, "1");
  same_as_path(list, "x");
  cJSON_Delete(list);
  cJSON_Delete(big);
  cJSON_Delete(o);
}

static void kind_is(const char *body, const char *want) {
  const char *got = json_body_kind(body, strlen(body));
  if (!want) {
    if (got)
      fail_msg("%s: \"%s\", want NULL", body, got);
    return;
  }
  if (!got || strcmp(got, want) != 0)
    fail_msg("%s: \"%s\", want \"%s\"", body, got ? got : "(null)", want);
}

static void test_body_kinds_are_named_for_messages(void **state) {
  struct err err = {0};
  (void)state;
  kind_is("{\"orders\":[]}", NULL);
  kind_is(" [1, 2] \n", NULL);
  kind_is("", "an empty body");
  kind_is(" \r\n", "an empty body");
  kind_is("<!DOCTYPE html><html><body>Log in</body></html>", "an HTML page");
  kind_is("\xef\xbb\xbf\n  <HTML lang=en>", "an HTML page");
  kind_is("<?xml version=\"1.0\"?><html/>", "an HTML page");
  kind_is("{\"orders\":[{\"id\":1},", "a cut JSON body");
  kind_is("{\"access_token\":\"Atza|abc", "a cut JSON body");
  kind_is("[1,2", "a cut JSON body");
  kind_is("{\"orders\":[}", "malformed JSON");
  kind_is("{\"a\":1} trailing", "malformed JSON");
  kind_is("Service Unavailable", "malformed JSON");
  kind_is("{\"a\":\"\xff\"}", "a body that is not UTF-8");
  /* The parsers' own messages say the same. */
  assert_null(jparse("<html><body>502</body></html>", 29, &err));
  assert_non_null(strstr(err.msg, "an HTML page came back where JSON was expected"));
  assert_null(jparse("{\"a\":[1,", 9, &err));
  assert_non_null(strstr(err.msg, "a cut JSON body"));
  assert_int_equal(json_each_in("<html></html>", 13, "orders", NULL, NULL, &err), MS_EPROTO);
  assert_non_null(strstr(err.msg, "an HTML page"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_utf8),
      cmocka_unit_test(test_each_in_hands_out_exact_bytes),
      cmocka_unit_test(test_each_in_refuses_damaged_answers),
      cmocka_unit_test(test_each_in_reads_many_and_large_elements),
      cmocka_unit_test(test_each_at_walks_a_nested_path_or_a_bare_list),
      cmocka_unit_test(test_each_in_refuses_invalid_utf8),
      cmocka_unit_test(test_deep_nesting_is_refused_without_a_crash),
      cmocka_unit_test(test_ids_are_exact_or_refused),
      cmocka_unit_test(test_index_finds_what_paths_find),
      cmocka_unit_test(test_body_kinds_are_named_for_messages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
