/* The service's pure parts: schedule specs read and written back, their
 * descriptions, job backoff, event type filters, webhook signatures and
 * the sources a run noted for their health. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/dispatch.h"
#include "engine/health.h"
#include "engine/schedule.h"
#include "engine/worker.h"

static void roundtrip(const char *json, const char *timing_words) {
  struct schedule_spec s, again;
  struct err err = {0};
  char *out = NULL, *out2 = NULL, words[200];
  if (schedule_spec_read(json, 1, &s, &err))
    fail_msg("%s: %s", json, err.msg);
  assert_int_equal(schedule_spec_write(&s, 1, &out), MS_OK);
  if (schedule_spec_read(out, 1, &again, &err))
    fail_msg("%s: %s", out, err.msg);
  assert_int_equal(schedule_spec_write(&again, 1, &out2), MS_OK);
  assert_string_equal(out, out2);
  schedule_timing_describe(&again, words, sizeof(words));
  assert_string_equal(words, timing_words);
  free(out);
  free(out2);
  schedule_spec_release(&s);
  schedule_spec_release(&again);
}

static void test_specs_read_and_write_back_alike(void **state) {
  (void)state;
  roundtrip("{\"every\":7200,\"between\":\"06:00-22:00\",\"mode\":\"new\"}",
            "every 2h between 06:00-22:00");
  roundtrip("{\"daily_at\":\"2:00\",\"mode\":\"modified\"}", "daily at 02:00");
  roundtrip("{\"cron\":\"0 */4 * * *\",\"sources\":[\"a\",\"b\"],\"streams\":[\"orders\"]}",
            "cron 0 */4 * * *");
  roundtrip("{\"every\":1800,\"max_runs_per_day\":12,\"range\":\"last-7-days\"}",
            "every 30m, at most 12 a day");
  roundtrip("{\"every\":5400,\"range\":{\"from\":\"2026-01-01\",\"to\":\"2026-01-31\"}}",
            "every 90m");
}

static void refused(const char *json, const char *words) {
  struct schedule_spec s;
  struct err err = {0};
  if (schedule_spec_read(json, 1, &s, &err) != MS_EINVAL || !strstr(err.msg, words))
    fail_msg("%s: want MS_EINVAL saying \"%s\", got \"%s\"", json, words, err.msg);
}

static void test_bad_specs_say_what_is_wrong(void **state) {
  (void)state;
  refused("[]", "not a JSON object");
  refused("{}", "exactly one of every, cron and daily_at");
  refused("{\"every\":60,\"cron\":\"* * * * *\"}", "exactly one");
  refused("{\"every\":30}", "whole minutes");
  refused("{\"every\":3600,\"mode\":\"sideways\"}", "not a mode");
  refused("{\"every\":3600,\"sources\":\"a\"}", "list");
  refused("{\"every\":3600,\"sources\":[7]}", "not a name");
  refused("{\"every\":3600,\"max_runs_per_day\":0}", "max_runs_per_day");
  refused("{\"every\":3600,\"range\":\"custom\"}", "custom range");
  refused("{\"every\":3600,\"range\":{\"from\":\"2026-02-01\",\"to\":\"2026-01-01\"}}", "");
  refused("{\"cron\":\"61 * * * *\"}", "minute");
}

static void test_a_spec_becomes_a_request(void **state) {
  struct schedule_spec s;
  struct sync_request rq = {0};
  struct err err = {0};
  (void)state;
  assert_int_equal(schedule_spec_read("{\"sources\":[\"a\"],\"mode\":\"full\",\"range\":"
                                      "\"previous-month\"}",
                                      0, &s, &err),
                   MS_OK);
  schedule_spec_request(&s, &rq);
  assert_int_equal(rq.nsources, 1);
  assert_string_equal(rq.sources[0], "a");
  assert_int_equal(rq.mode, SYNC_FULL);
  assert_int_equal(rq.days.choice, DAYS_RANGE);
  assert_int_equal(rq.days.preset, RANGE_PREVIOUS_MONTH);
  schedule_spec_release(&s);
  /* Without a range: today and the pending days. */
  assert_int_equal(schedule_spec_read("{}", 0, &s, &err), MS_OK);
  schedule_spec_request(&s, &rq);
  assert_int_equal(rq.days.choice, DAYS_DEFAULT);
  assert_int_equal(rq.mode, SYNC_DEFAULT);
  schedule_spec_release(&s);
}

static void test_job_backoff_doubles_with_jitter_and_a_cap(void **state) {
  (void)state;
  assert_int_equal(job_backoff(1, 0.5), JOB_BACKOFF_FIRST);
  assert_int_equal(job_backoff(2, 0.5), 2 * JOB_BACKOFF_FIRST);
  assert_int_equal(job_backoff(4, 0.5), 8 * JOB_BACKOFF_FIRST);
  assert_int_equal(job_backoff(40, 0.5), JOB_BACKOFF_MAX);
  assert_int_equal(job_backoff(1, 0.0), (int64_t)(JOB_BACKOFF_FIRST * 0.8));
  assert_true(job_backoff(1, 0.999) <= (int64_t)(JOB_BACKOFF_FIRST * 1.2));
}

static void test_event_types_match_exactly_or_by_prefix(void **state) {
  (void)state;
  assert_true(event_type_matches("*", "order.created"));
  assert_true(event_type_matches(NULL, "sync.failed"));
  assert_true(event_type_matches("order.", "order.refunded"));
  assert_true(event_type_matches("sync.failed,order.created", "order.created"));
  assert_false(event_type_matches("order.created", "order.created_late"));
  assert_false(event_type_matches("order.", "sync.failed"));
  assert_false(event_type_matches("order", "order.created"));
}

static void test_webhook_signatures(void **state) {
  char a[160], b[160], c[160], d[160];
  (void)state;
  assert_int_equal(webhook_sign("k", 1764100000, "{\"id\":1}", 8, a, sizeof(a)), MS_OK);
  assert_int_equal(webhook_sign("k", 1764100000, "{\"id\":1}", 8, b, sizeof(b)), MS_OK);
  assert_int_equal(webhook_sign("k", 1764100001, "{\"id\":1}", 8, c, sizeof(c)), MS_OK);
  assert_int_equal(webhook_sign("K", 1764100000, "{\"id\":1}", 8, d, sizeof(d)), MS_OK);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  assert_string_not_equal(a, d);
  assert_int_equal(strncmp(a, "t=1764100000,v1=", 16), 0);
  assert_int_equal(strlen(a), 16 + 64);
}

/* A source is noted once however many pages it had; its first failure is
 * the one kept; thousands of sources keep their own marks. */
static void test_health_notes_each_source_once(void **state) {
  struct source_health h = {0};
  char name[32];
  (void)state;
  health_note(&h, "shop-b", 0, NULL);
  health_note(&h, "shop-a", 0, NULL);
  health_note(&h, "shop-b", 1, "HTTP 401");
  health_note(&h, "shop-b", 1, "HTTP 500");
  health_note(&h, "shop-c", 0, NULL);
  health_note(&h, "", 1, "nameless");
  assert_int_equal(h.n, 3);
  assert_string_equal(h.v[0].name, "shop-a");
  assert_false(h.v[0].failed);
  assert_string_equal(h.v[1].name, "shop-b");
  assert_true(h.v[1].failed);
  assert_string_equal(h.v[1].error, "HTTP 401");
  assert_false(h.v[2].failed);
  for (int round = 0; round < 3; round++)
    for (int i = 999; i >= 0; i--) {
      snprintf(name, sizeof(name), "s%04d", (i * 7919) % 1000);
      health_note(&h, name, round == 2 && i == 17, "late");
    }
  assert_int_equal(h.n, 1003);
  for (size_t i = 1; i < h.n; i++)
    assert_true(strcmp(h.v[i - 1].name, h.v[i].name) < 0);
  health_release(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_specs_read_and_write_back_alike),
      cmocka_unit_test(test_bad_specs_say_what_is_wrong),
      cmocka_unit_test(test_a_spec_becomes_a_request),
      cmocka_unit_test(test_job_backoff_doubles_with_jitter_and_a_cap),
      cmocka_unit_test(test_event_types_match_exactly_or_by_prefix),
      cmocka_unit_test(test_webhook_signatures),
      cmocka_unit_test(test_health_notes_each_source_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
