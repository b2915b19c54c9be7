/* The service's part of the store, through store.h only: schedules and
 * their firing, the job queue (overlaps, claims, leases, fencing, rescue,
 * retry, cancel), events and webhooks. Like test_store.c it runs on every
 * backend (see test_store_streams.h for where its store lives); races
 * between processes use two connections to one database. */
#include "test_store_streams.h"

#include <sys/wait.h>

/* ---- helpers ------------------------------------------------------------- */

static const char spec_nightly[] = "{\"sources\":[\"s\"],\"mode\":\"new\",\"daily_at\":\"02:00\"}";

static int64_t add_schedule(struct store *st, const char *name, int64_t created) {
  struct schedule_row s = {0};
  struct err err = {0};
  snprintf(s.name, sizeof(s.name), "%s", name);
  snprintf(s.timezone, sizeof(s.timezone), "Europe/Paris");
  s.spec = (char *)spec_nightly;
  s.enabled = 1;
  s.created_at = created;
  s.next_due = created + 100;
  if (st->ops->schedule_add(st, &s, &err))
    fail_msg("schedule_add(%s): %s", name, err.msg);
  assert_true(s.id > 0);
  return s.id;
}

static struct schedule_row get_schedule(struct store *st, const char *name) {
  struct schedule_row s;
  struct err err = {0};
  if (st->ops->schedule_get(st, name, &s, &err))
    fail_msg("schedule_get(%s): %s", name, err.msg);
  return s;
}

/* A job to enqueue: a request and the targets (a JSON array, MAY be NULL). */
static struct job_row new_job(const char *targets, int64_t created) {
  struct job_row j = {0};
  snprintf(j.trigger, sizeof(j.trigger), "api");
  j.request = (char *)"{\"sources\":[\"s\"]}";
  j.targets = (char *)targets;
  j.created_at = created;
  return j;
}

static int64_t enqueue(struct store *st, const char *targets, int64_t created) {
  struct job_row j = new_job(targets, created);
  struct err err = {0};
  if (st->ops->job_enqueue(st, &j, &err))
    fail_msg("job_enqueue(%s): %s", targets ? targets : "NULL", err.msg);
  assert_true(j.id > 0);
  return j.id;
}

static struct job_row claim(struct store *st, const char *owner, int64_t now, int lease) {
  struct job_row j;
  struct err err = {0};
  int rc = st->ops->job_claim(st, owner, now, lease, &j, &err);
  if (rc)
    fail_msg("job_claim(%s at %lld): %d %s", owner, (long long)now, rc, err.msg);
  return j;
}

static struct job_row get_job(struct store *st, int64_t id) {
  struct job_row j;
  struct err err = {0};
  if (st->ops->job_get(st, id, &j, &err))
    fail_msg("job_get(%lld): %s", (long long)id, err.msg);
  return j;
}

/* The state of a job, for short checks. */
static const char *job_state(struct store *st, int64_t id) {
  static char state[16];
  struct job_row j = get_job(st, id);
  snprintf(state, sizeof(state), "%s", j.state);
  job_row_release(&j);
  return state;
}

static void no_job_ready(struct store *st, int64_t now) {
  struct job_row j;
  struct err err = {0};
  assert_int_equal(st->ops->job_claim(st, "w", now, 60, &j, &err), MS_ENOTFOUND);
}

static int64_t count_of(struct store *st, const char *state) {
  static const char *const order[] = {"available", "running", "retryable",
                                      "completed", "failed",  "cancelled"};
  int64_t counts[6];
  struct err err = {0};
  assert_int_equal(st->ops->job_counts(st, counts, &err), MS_OK);
  for (int i = 0; i < 6; i++)
    if (strcmp(order[i], state) == 0)
      return counts[i];
  fail_msg("no job state %s", state);
  return -1;
}

/* Ids of listed rows, in the order they came. */
struct ids {
  int64_t v[64]; /* ids */
  int n;         /* how many */
};

static int collect_job(void *ctx, const struct job_row *j) {
  struct ids *ids = ctx;
  assert_true(ids->n < 64);
  ids->v[ids->n++] = j->id;
  return MS_OK;
}

static struct ids list_jobs(struct store *st, const char *state, int64_t schedule, int limit) {
  struct job_filter f = {.state = state, .schedule_id = schedule, .limit = limit};
  struct ids ids = {0};
  struct err err = {0};
  if (st->ops->job_list(st, &f, collect_job, &ids, &err))
    fail_msg("job_list: %s", err.msg);
  return ids;
}

/* ---- races between processes ----------------------------------------------- */

/* One step of a racer: kid 0 or 1, on its own connection; a result or a
 * code. */
typedef int64_t (*race_step)(struct store *st, void *ctx, int kid, int round);

/* What a racer tells the test after each step. */
struct race_report {
  int kid;        /* who */
  int64_t result; /* what its step returned */
};

static void racer(const char *loc, int kid, int rounds, race_step step, void *ctx, int go,
                  int report) {
  struct store *st = NULL;
  struct err err = {0};
  char c;
  if (store_open(loc, &st, &err))
    _exit(2);
  for (int i = 0; i < rounds; i++) {
    struct race_report r = {kid, 0};
    if (read(go, &c, 1) != 1)
      _exit(3);
    r.result = step(st, ctx, kid, i);
    if (write(report, &r, sizeof(r)) != sizeof(r))
      _exit(4);
  }
  store_close(st);
  _exit(0);
}

/* Two processes, each with its own connection to loc, run `rounds` steps
 * in lockstep: both are let go at once for each step, so they race for
 * real. results[round][kid] gets what each step returned. */
static void race(const char *loc, int rounds, race_step step, void *ctx, int64_t (*results)[2]) {
  int go[2][2], report[2];
  pid_t kids[2];
  assert_int_equal(pipe(report), 0);
  for (int k = 0; k < 2; k++) {
    assert_int_equal(pipe(go[k]), 0);
    kids[k] = fork();
    assert_true(kids[k] >= 0);
    if (kids[k] == 0)
      racer(loc, k, rounds, step, ctx, go[k][0], report[1]);
  }
  for (int i = 0; i < rounds; i++) {
    for (int k = 0; k < 2; k++)
      assert_int_equal(write(go[k][1], "g", 1), 1);
    for (int k = 0; k < 2; k++) {
      struct race_report r;
      assert_int_equal(read(report[0], &r, sizeof(r)), sizeof(r));
      assert_true(r.kid == 0 || r.kid == 1);
      results[i][r.kid] = r.result;
    }
  }
  for (int k = 0; k < 2; k++) {
    int status = 0;
    assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(go[k][0]);
    close(go[k][1]);
  }
  close(report[0]);
  close(report[1]);
}

/* ---- schedules ------------------------------------------------------------- */

static int collect_schedule(void *ctx, const struct schedule_row *s) {
  struct ids *ids = ctx;
  assert_true(ids->n < 64);
  ids->v[ids->n++] = s->id;
  return MS_OK;
}

static void test_schedules_add_get_update_remove(void **state) {
  struct err err = {0};
  struct schedule_row s = {0}, got;
  struct ids ids = {0};
  (void)state;
  struct store *st = ts_store("schedules");
  int64_t b = add_schedule(st, "nightly", 1000);
  int64_t a = add_schedule(st, "hourly", 1001);

  got = get_schedule(st, "nightly");
  assert_int_equal(got.id, b);
  assert_string_equal(got.spec, spec_nightly);
  assert_string_equal(got.timezone, "Europe/Paris");
  assert_int_equal(got.enabled, 1);
  assert_int_equal(got.created_at, 1000);
  assert_int_equal(got.updated_at, 1000);
  assert_int_equal(got.last_due, 0);
  assert_int_equal(got.next_due, 1100);
  assert_string_equal(got.last_status, "");
  schedule_row_release(&got);

  /* A name is one schedule's. */
  snprintf(s.name, sizeof(s.name), "nightly");
  snprintf(s.timezone, sizeof(s.timezone), "UTC");
  s.spec = "{}";
  s.created_at = 5;
  assert_int_equal(st->ops->schedule_add(st, &s, &err), MS_EEXIST);
  assert_non_null(strstr(err.msg, "\"nightly\" already exists"));

  /* Refused, not cut: long specs, specs that are not objects, no name, no
   * time. */
  s.name[0] = '\0';
  assert_int_equal(st->ops->schedule_add(st, &s, &err), MS_EINVAL);
  snprintf(s.name, sizeof(s.name), "other");
  s.spec = "[1]";
  assert_int_equal(st->ops->schedule_add(st, &s, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "not a JSON object"));
  char *big = malloc(SCHEDULE_SPEC_MAX + 16);
  assert_non_null(big);
  memset(big, ' ', SCHEDULE_SPEC_MAX + 15);
  big[0] = '{';
  big[SCHEDULE_SPEC_MAX + 14] = '}';
  big[SCHEDULE_SPEC_MAX + 15] = '\0';
  s.spec = big;
  assert_int_equal(st->ops->schedule_add(st, &s, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "too long"));
  free(big);
  s.spec = "{}";
  s.created_at = 0;
  assert_int_equal(st->ops->schedule_add(st, &s, &err), MS_EINVAL);

  /* Listed by name. */
  assert_int_equal(st->ops->schedule_list(st, collect_schedule, &ids, &err), MS_OK);
  assert_int_equal(ids.n, 2);
  assert_int_equal(ids.v[0], a);
  assert_int_equal(ids.v[1], b);

  /* An update writes its fields, and keeps the firing state. */
  got = get_schedule(st, "hourly");
  snprintf(got.name, sizeof(got.name), "every-two-hours");
  free(got.spec);
  got.spec = strdup("{\"every\":7200}");
  got.enabled = 0;
  got.next_due = 9000;
  got.updated_at = 2000;
  assert_int_equal(st->ops->schedule_update(st, &got, &err), MS_OK);
  schedule_row_release(&got);
  assert_int_equal(st->ops->schedule_get_id(st, a, &got, &err), MS_OK);
  assert_string_equal(got.name, "every-two-hours");
  assert_string_equal(got.spec, "{\"every\":7200}");
  assert_int_equal(got.enabled, 0);
  assert_int_equal(got.next_due, 9000);
  assert_int_equal(got.updated_at, 2000);
  assert_int_equal(got.created_at, 1001);
  snprintf(got.name, sizeof(got.name), "nightly");
  assert_int_equal(st->ops->schedule_update(st, &got, &err), MS_EEXIST);
  got.id = 999;
  snprintf(got.name, sizeof(got.name), "ghost");
  assert_int_equal(st->ops->schedule_update(st, &got, &err), MS_ENOTFOUND);
  schedule_row_release(&got);

  assert_int_equal(st->ops->schedule_remove(st, "nightly", &err), MS_OK);
  assert_int_equal(st->ops->schedule_get(st, "nightly", &got, &err), MS_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no schedule named \"nightly\""));
  assert_int_equal(st->ops->schedule_get_id(st, b, &got, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->schedule_remove(st, "nightly", &err), MS_ENOTFOUND);
  store_close(st);
}

static void test_a_due_time_becomes_one_job(void **state) {
  struct err err = {0};
  struct job_row j = new_job("[\"s/orders/new\"]", 100);
  struct schedule_row s;
  (void)state;
  struct store *st = ts_store("fire");
  int64_t id = add_schedule(st, "nightly", 10);

  j.trigger[0] = '\0';
  assert_int_equal(st->ops->schedule_fire(st, id, 0, 100, 1, 200, &j, &err), MS_OK);
  assert_true(j.id > 0);
  s = get_schedule(st, "nightly");
  assert_int_equal(s.last_due, 100);
  assert_int_equal(s.day_runs, 1);
  assert_int_equal(s.next_due, 200);
  schedule_row_release(&s);
  struct job_row got = get_job(st, j.id);
  assert_int_equal(got.schedule_id, id);
  assert_int_equal(got.due, 100);
  assert_string_equal(got.state, "available");
  assert_string_equal(got.trigger, "schedule");
  assert_string_equal(got.targets, "[\"s/orders/new\"]");
  assert_int_equal(got.max_attempts, 3);
  assert_int_equal(got.run_after, 100);
  job_row_release(&got);

  /* The same due time again: another scheduler's view, already made. */
  struct job_row again = new_job(NULL, 100);
  assert_int_equal(st->ops->schedule_fire(st, id, 0, 100, 1, 200, &again, &err), MS_EEXIST);
  assert_non_null(strstr(err.msg, "made already"));
  assert_int_equal(again.id, 0);
  /* A due time never moves back. */
  assert_int_equal(st->ops->schedule_fire(st, id, 100, 100, 2, 200, &again, &err), MS_EINVAL);
  assert_int_equal(st->ops->schedule_fire(st, id, 100, 50, 2, 200, &again, &err), MS_EINVAL);
  assert_int_equal(st->ops->schedule_fire(st, 999, 0, 100, 1, 200, &again, &err), MS_ENOTFOUND);
  /* A job that cannot be made leaves the due time to be made. */
  again.targets = "[\"s/orders\"]";
  assert_int_equal(st->ops->schedule_fire(st, id, 100, 200, 2, 300, &again, &err), MS_EINVAL);
  s = get_schedule(st, "nightly");
  assert_int_equal(s.last_due, 100);
  schedule_row_release(&s);
  again.targets = NULL;
  assert_int_equal(list_jobs(st, NULL, id, 0).n, 1);

  /* A disabled schedule makes no runs. */
  s = get_schedule(st, "nightly");
  s.enabled = 0;
  s.updated_at = 150;
  assert_int_equal(st->ops->schedule_update(st, &s, &err), MS_OK);
  schedule_row_release(&s);
  assert_int_equal(st->ops->schedule_fire(st, id, 100, 200, 2, 300, &again, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "disabled"));
  s = get_schedule(st, "nightly");
  assert_int_equal(s.last_due, 100);
  schedule_row_release(&s);

  /* By hand, a schedule's due time is one job too. */
  struct job_row dup = new_job(NULL, 100);
  dup.schedule_id = id;
  dup.due = 100;
  assert_int_equal(st->ops->job_enqueue(st, &dup, &err), MS_EEXIST);
  dup.schedule_id = 999;
  dup.due = 0;
  assert_int_equal(st->ops->job_enqueue(st, &dup, &err), MS_ENOTFOUND);
  store_close(st);
}

static void test_an_overlapping_due_run_counts_without_a_job(void **state) {
  struct err err = {0};
  struct job_row j = new_job("[\"s/orders/modified\",\"s/orders/new\"]", 100);
  char want[64];
  (void)state;
  struct store *st = ts_store("fire_overlap");
  int64_t id = add_schedule(st, "nightly", 10);
  int64_t busy = enqueue(st, "[\"s/orders/new\"]", 50);

  assert_int_equal(st->ops->schedule_fire(st, id, 0, 100, 1, 200, &j, &err), MS_EBUSY);
  assert_int_equal(j.id, 0);
  snprintf(want, sizeof(want), "job %lld (available)", (long long)busy);
  assert_non_null(strstr(err.msg, want));
  assert_non_null(strstr(err.msg, "s/orders/new"));
  assert_non_null(strstr(err.msg, "schedule nightly"));
  struct schedule_row s = get_schedule(st, "nightly");
  assert_int_equal(s.last_due, 100);
  assert_int_equal(s.day_runs, 1);
  schedule_row_release(&s);
  assert_int_equal(count_of(st, "available"), 1);
  assert_int_equal(list_jobs(st, NULL, id, 0).n, 0);
  /* That due time is over: firing it again is another scheduler's late try. */
  j = new_job(NULL, 100);
  assert_int_equal(st->ops->schedule_fire(st, id, 0, 100, 1, 200, &j, &err), MS_EEXIST);
  store_close(st);
}

/* Schedulers racing for the same due times (kid 0 and 1 alike). */
struct fire_race {
  int64_t schedule; /* the schedule both fire */
};

static int64_t fire_step(struct store *st, void *ctx, int kid, int round) {
  const struct fire_race *r = ctx;
  int64_t due = 100 + round * 100;
  struct job_row j = new_job(NULL, due);
  struct err err = {0};
  (void)kid;
  return st->ops->schedule_fire(st, r->schedule, due - 100, due, 1, due + 100, &j, &err);
}

static void test_two_schedulers_make_one_job_per_due_time(void **state) {
  enum { DUES = 40 };
  struct err err = {0};
  char loc[700];
  int64_t results[DUES][2];
  (void)state;
  ts_location("race_fire", loc, sizeof(loc));
  struct store *st = ts_store("race_fire");
  int64_t id = add_schedule(st, "nightly", 10);

  /* Two connections, one with a stale view: only the first fire counts. */
  struct store *other = ts_open(loc);
  struct job_row a = new_job(NULL, 1), b = new_job(NULL, 1);
  assert_int_equal(other->ops->schedule_fire(other, id, 0, 50, 1, 60, &a, &err), MS_OK);
  assert_int_equal(st->ops->schedule_fire(st, id, 0, 50, 1, 60, &b, &err), MS_EEXIST);
  store_close(other);

  /* Two processes, released together for each due time. */
  struct fire_race r = {add_schedule(st, "racing", 10)};
  store_close(st);
  race(loc, DUES, fire_step, &r, results);
  for (int i = 0; i < DUES; i++) {
    int64_t won = results[i][0] == MS_OK ? 0 : 1;
    if (results[i][won] != MS_OK || results[i][1 - won] != MS_EEXIST)
      fail_msg("due time %d: the schedulers got %lld and %lld", i, (long long)results[i][0],
               (long long)results[i][1]);
  }

  st = ts_open(loc);
  struct ids ids = list_jobs(st, NULL, r.schedule, 0);
  assert_int_equal(ids.n, DUES);
  for (int i = 0; i < ids.n; i++) {
    struct job_row j = get_job(st, ids.v[i]);
    assert_int_equal(j.due, (DUES - i) * 100); /* newest first, one per due time */
    job_row_release(&j);
  }
  struct schedule_row s = get_schedule(st, "racing");
  assert_int_equal(s.last_due, DUES * 100);
  schedule_row_release(&s);
  store_close(st);
}

static void test_schedule_ran_and_remove_keep_history(void **state) {
  struct err err = {0};
  struct job_row j = new_job("[\"s/orders/new\"]", 100);
  (void)state;
  struct store *st = ts_store("schedule_history");
  int64_t id = add_schedule(st, "nightly", 10);
  assert_int_equal(st->ops->schedule_fire(st, id, 0, 100, 1, 200, &j, &err), MS_OK);

  assert_int_equal(st->ops->schedule_ran(st, id, 5, "running", &err), MS_OK);
  assert_int_equal(st->ops->schedule_ran(st, id, 5, "completed", &err), MS_OK);
  /* A late report of an older run changes nothing. */
  assert_int_equal(st->ops->schedule_ran(st, id, 3, "failed", &err), MS_OK);
  struct schedule_row s = get_schedule(st, "nightly");
  assert_int_equal(s.last_run_id, 5);
  assert_string_equal(s.last_status, "completed");
  schedule_row_release(&s);
  assert_int_equal(st->ops->schedule_ran(st, 999, 6, "completed", &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->schedule_ran(st, id, 6, "", &err), MS_EINVAL);

  /* Its job is history and still runs. */
  assert_int_equal(st->ops->schedule_remove(st, "nightly", &err), MS_OK);
  struct job_row got = get_job(st, j.id);
  assert_int_equal(got.schedule_id, 0);
  assert_int_equal(got.due, 100);
  job_row_release(&got);
  got = claim(st, "w", 200, 60);
  assert_int_equal(got.id, j.id);
  job_row_release(&got);
  store_close(st);
}

/* ---- enqueue and overlaps --------------------------------------------------- */

static void expect_refused(struct store *st, struct job_row j, int code, const char *words) {
  struct err err = {0};
  assert_int_equal(st->ops->job_enqueue(st, &j, &err), code);
  assert_int_equal(j.id, 0);
  if (!strstr(err.msg, words))
    fail_msg("\"%s\" does not say \"%s\"", err.msg, words);
}

static void test_jobs_never_overlap(void **state) {
  char want[64];
  struct err err = {0};
  (void)state;
  struct store *st = ts_store("overlap");
  int64_t a = enqueue(st, "[\"s/orders/new\",\"s/products/new\"]", 10);

  /* One target shared: refused, naming the job and the target, nothing
   * written. */
  snprintf(want, sizeof(want), "job %lld (available) already covers s/products/new", (long long)a);
  expect_refused(st, new_job("[\"t/orders/new\",\"s/products/new\"]", 11), MS_EBUSY, want);
  assert_int_equal(count_of(st, "available"), 1);
  /* Another mode, another source: no overlap. */
  int64_t b = enqueue(st, "[\"s/orders/modified\"]", 12);
  int64_t c = enqueue(st, "[\"t/orders/new\"]", 13);
  int64_t none = enqueue(st, NULL, 14);
  int64_t none2 = enqueue(st, "[]", 15);
  assert_true(b && c && none && none2);

  /* Running and retryable jobs hold their targets too. */
  struct job_row run = claim(st, "w1", 100, 60);
  assert_int_equal(run.id, a);
  snprintf(want, sizeof(want), "job %lld (running on w1)", (long long)a);
  expect_refused(st, new_job("[\"s/orders/new\"]", 101), MS_EBUSY, want);
  assert_int_equal(
      st->ops->job_finish(st, a, run.lease_token, "retryable", 110, 500, 7, "HTTP 503", &err),
      MS_OK);
  job_row_release(&run);
  snprintf(want, sizeof(want), "job %lld (retryable)", (long long)a);
  expect_refused(st, new_job("[\"s/orders/new\"]", 111), MS_EBUSY, want);
  /* Done, it lets go (claims come oldest first: the others end before it). */
  for (int64_t id = 0; id != a;) {
    run = claim(st, "w1", 600, 60);
    id = run.id;
    assert_int_equal(
        st->ops->job_finish(st, run.id, run.lease_token, "completed", 601, 0, 8, NULL, &err),
        MS_OK);
    job_row_release(&run);
  }
  int64_t d = enqueue(st, "[\"s/orders/new\"]", 602);
  assert_true(d > a);

  /* What a job is made of is checked. */
  expect_refused(st, new_job("[\"s/orders\"]", 1), MS_EINVAL, "not \"source/stream/mode\"");
  expect_refused(st, new_job("[\"s//new\"]", 1), MS_EINVAL, "not \"source/stream/mode\"");
  expect_refused(st, new_job("[\"a/b/c\",\"a/b/c\"]", 1), MS_EINVAL, "listed twice");
  expect_refused(st, new_job("[1]", 1), MS_EINVAL, "strings");
  expect_refused(st, new_job("{\"a\":1}", 1), MS_EINVAL, "JSON array");
  expect_refused(st, new_job("[\"x/orders/new\"]", 0), MS_EINVAL, "creation time");
  struct job_row bad = new_job(NULL, 1);
  bad.request = "[]";
  expect_refused(st, bad, MS_EINVAL, "not a JSON object");
  bad = new_job(NULL, 1);
  snprintf(bad.state, sizeof(bad.state), "running");
  expect_refused(st, bad, MS_EINVAL, "only a claim makes it running");
  bad = new_job(NULL, 1);
  bad.max_attempts = JOB_ATTEMPTS_MAX + 1;
  expect_refused(st, bad, MS_EINVAL, "max attempts");
  bad = new_job(NULL, 1);
  bad.trigger[0] = '\0';
  expect_refused(st, bad, MS_EINVAL, "trigger");
  char target[JOB_TARGET_MAX + 32];
  snprintf(target, sizeof(target), "[\"%0*d/orders/new\"]", JOB_TARGET_MAX, 7);
  expect_refused(st, new_job(target, 1), MS_EINVAL, "too long");
  /* A source's name may hold a slash: the stream and mode are the last two. */
  assert_true(enqueue(st, "[\"shop/eu/orders/new\"]", 700) > 0);
  store_close(st);
}

/* ---- claims, leases, fencing --------------------------------------------------- */

static void test_claims_take_the_longest_waiting_first(void **state) {
  struct err err = {0};
  struct job_row j = new_job(NULL, 10);
  (void)state;
  struct store *st = ts_store("claim_order");
  j.run_after = 300;
  assert_int_equal(st->ops->job_enqueue(st, &j, &err), MS_OK);
  int64_t late = j.id;
  j = new_job(NULL, 10);
  j.run_after = 100;
  assert_int_equal(st->ops->job_enqueue(st, &j, &err), MS_OK);
  int64_t first = j.id;
  j = new_job(NULL, 10);
  snprintf(j.state, sizeof(j.state), "retryable");
  j.run_after = 200;
  assert_int_equal(st->ops->job_enqueue(st, &j, &err), MS_OK);
  int64_t retry = j.id;
  j = new_job(NULL, 10);
  j.run_after = 100;
  assert_int_equal(st->ops->job_enqueue(st, &j, &err), MS_OK);
  int64_t second = j.id;
  /* run_after 0 is its creation time. */
  int64_t oldest = enqueue(st, NULL, 5);

  no_job_ready(st, 4);
  struct job_row got = claim(st, "host:1", 150, 600);
  assert_int_equal(got.id, oldest);
  assert_string_equal(got.state, "running");
  assert_int_equal(got.attempts, 1);
  assert_string_equal(got.lease_owner, "host:1");
  assert_int_equal(got.lease_token, 1);
  assert_int_equal(got.lease_expires, 750);
  assert_int_equal(got.started_at, 150);
  job_row_release(&got);
  got = claim(st, "host:1", 150, 600);
  assert_int_equal(got.id, first);
  job_row_release(&got);
  got = claim(st, "host:2", 150, 600);
  assert_int_equal(got.id, second);
  job_row_release(&got);
  no_job_ready(st, 150);
  got = claim(st, "host:2", 250, 600);
  assert_int_equal(got.id, retry);
  job_row_release(&got);
  no_job_ready(st, 250);
  got = claim(st, "host:2", 300, 600);
  assert_int_equal(got.id, late);
  job_row_release(&got);
  assert_int_equal(count_of(st, "running"), 5);

  assert_int_equal(st->ops->job_claim(st, "", 300, 60, &got, &err), MS_EINVAL);
  assert_int_equal(st->ops->job_claim(st, "w", 300, 0, &got, &err), MS_EINVAL);
  store_close(st);
}

static void test_an_expired_lease_is_rescued_and_fences_its_owner(void **state) {
  struct err err = {0};
  (void)state;
  struct store *st = ts_store("rescue");
  int64_t id = enqueue(st, "[\"s/orders/new\"]", 10);
  struct job_row a = claim(st, "worker-a", 100, 60);

  /* A heartbeat keeps it: nobody may take it before its lease runs out. */
  assert_int_equal(st->ops->job_heartbeat(st, id, a.lease_token, 130, 60, &err), MS_OK);
  no_job_ready(st, 180);
  struct job_row b = claim(st, "worker-b", 190, 60);
  assert_int_equal(b.id, id);
  assert_true(b.lease_token > a.lease_token);
  assert_int_equal(b.attempts, 2);
  assert_string_equal(b.lease_owner, "worker-b");

  /* The old owner's writes fail and change nothing. */
  assert_int_equal(st->ops->job_heartbeat(st, id, a.lease_token, 191, 60, &err), MS_ELEASE);
  assert_non_null(strstr(err.msg, "worker-b"));
  assert_int_equal(st->ops->job_finish(st, id, a.lease_token, "completed", 192, 0, 1, NULL, &err),
                   MS_ELEASE);
  struct job_row now = get_job(st, id);
  assert_string_equal(now.state, "running");
  assert_string_equal(now.lease_owner, "worker-b");
  assert_int_equal(now.lease_expires, 250);
  job_row_release(&now);

  /* The new owner's lease ran out, but nobody took the job: its heartbeat
   * still holds. */
  assert_int_equal(st->ops->job_heartbeat(st, id, b.lease_token, 260, 60, &err), MS_OK);
  assert_int_equal(st->ops->job_finish(st, id, b.lease_token, "completed", 270, 0, 42, NULL, &err),
                   MS_OK);
  now = get_job(st, id);
  assert_string_equal(now.state, "completed");
  assert_int_equal(now.finished_at, 270);
  assert_int_equal(now.run_id, 42);
  assert_string_equal(now.lease_owner, "");
  assert_null(now.last_error);
  job_row_release(&now);
  /* Done: its lease and its targets are gone. */
  assert_int_equal(st->ops->job_heartbeat(st, id, b.lease_token, 271, 60, &err), MS_ELEASE);
  assert_true(enqueue(st, "[\"s/orders/new\"]", 272) > id);
  assert_int_equal(st->ops->job_heartbeat(st, 999, 1, 271, 60, &err), MS_ENOTFOUND);
  job_row_release(&a);
  job_row_release(&b);
  store_close(st);
}

static void test_a_released_job_is_claimed_again_at_once(void **state) {
  struct err err = {0};
  (void)state;
  struct store *st = ts_store("release");
  int64_t id = enqueue(st, "[\"s/orders/new\"]", 10);
  struct job_row a = claim(st, "worker-a", 100, 600);
  assert_int_equal(
      st->ops->job_finish(st, id, a.lease_token, "available", 110, 0, 3, "shutting down", &err),
      MS_OK);
  struct job_row now = get_job(st, id);
  assert_string_equal(now.state, "available");
  assert_string_equal(now.lease_owner, "");
  assert_int_equal(now.attempts, 0); /* a release is not a failed try */
  assert_int_equal(now.finished_at, 0);
  assert_string_equal(now.last_error, "shutting down");
  job_row_release(&now);
  /* Still holding its targets while it waits. */
  expect_refused(st, new_job("[\"s/orders/new\"]", 111), MS_EBUSY, "already covers");

  struct job_row b = claim(st, "worker-b", 110, 60);
  assert_int_equal(b.id, id);
  assert_true(b.lease_token > a.lease_token);
  assert_int_equal(b.attempts, 1);

  /* Retryable: it waits for run_after, with the error of its try. */
  assert_int_equal(st->ops->job_finish(st, id, b.lease_token, "retryable", 120, 500, 4,
                                       "HTTP 503\nfrom the API", &err),
                   MS_OK);
  now = get_job(st, id);
  assert_string_equal(now.state, "retryable");
  assert_int_equal(now.run_after, 500);
  assert_string_equal(now.last_error, "HTTP 503 from the API");
  assert_int_equal(now.run_id, 4);
  job_row_release(&now);
  no_job_ready(st, 499);
  struct job_row c = claim(st, "worker-c", 500, 60);
  assert_int_equal(c.id, id);
  assert_int_equal(c.attempts, 2);

  /* A try ends in a state a job can be in, but not running. */
  assert_int_equal(st->ops->job_finish(st, id, c.lease_token, "running", 510, 0, 0, NULL, &err),
                   MS_EINVAL);
  assert_int_equal(st->ops->job_finish(st, id, c.lease_token, "done", 510, 0, 0, NULL, &err),
                   MS_EINVAL);
  assert_int_equal(st->ops->job_finish(st, id, c.lease_token, "failed", 510, 0, 5, "gave up", &err),
                   MS_OK);
  now = get_job(st, id);
  assert_string_equal(now.state, "failed");
  assert_int_equal(now.finished_at, 510);
  job_row_release(&now);
  job_row_release(&a);
  job_row_release(&b);
  job_row_release(&c);
  store_close(st);
}

static void test_a_job_whose_workers_die_fails_after_its_last_try(void **state) {
  struct err err = {0};
  struct job_row j = new_job("[\"s/orders/new\"]", 10);
  (void)state;
  struct store *st = ts_store("exhausted");
  j.max_attempts = 2;
  assert_int_equal(st->ops->job_enqueue(st, &j, &err), MS_OK);
  struct job_row a = claim(st, "worker-a", 100, 10);
  struct job_row b = claim(st, "worker-b", 200, 10);
  assert_int_equal(b.id, j.id);
  assert_int_equal(b.attempts, 2);
  no_job_ready(st, 300);
  struct job_row now = get_job(st, j.id);
  assert_string_equal(now.state, "failed");
  assert_int_equal(now.finished_at, 300);
  assert_non_null(strstr(now.last_error, "worker-b"));
  assert_non_null(strstr(now.last_error, "2 of 2"));
  job_row_release(&now);
  assert_true(enqueue(st, "[\"s/orders/new\"]", 301) > j.id);
  job_row_release(&a);
  job_row_release(&b);
  store_close(st);
}

static int64_t claim_step(struct store *st, void *ctx, int kid, int round) {
  struct job_row j;
  struct err err = {0};
  int rc = st->ops->job_claim(st, kid ? "worker-b" : "worker-a", 1000, 600, &j, &err);
  (void)ctx;
  (void)round;
  if (rc)
    return rc;
  job_row_release(&j);
  return j.id;
}

/* Two workers claim from one queue at once: each job goes to one of them. */
static void test_two_workers_never_claim_one_job(void **state) {
  enum { ROUNDS = 30 };
  char loc[700];
  int64_t results[ROUNDS + 1][2], first = 0;
  int seen[2 * ROUNDS] = {0};
  (void)state;
  ts_location("race_claim", loc, sizeof(loc));
  struct store *st = ts_store("race_claim");
  for (int i = 0; i < 2 * ROUNDS; i++) {
    int64_t id = enqueue(st, NULL, 10 + i);
    first = first ? first : id;
    assert_int_equal(id, first + i);
  }
  store_close(st);
  race(loc, ROUNDS + 1, claim_step, NULL, results);
  for (int i = 0; i < ROUNDS; i++)
    for (int k = 0; k < 2; k++) {
      int64_t id = results[i][k];
      assert_true(id >= first && id < first + 2 * ROUNDS);
      seen[id - first]++;
    }
  for (int i = 0; i < 2 * ROUNDS; i++)
    assert_int_equal(seen[i], 1);
  assert_int_equal(results[ROUNDS][0], MS_ENOTFOUND);
  assert_int_equal(results[ROUNDS][1], MS_ENOTFOUND);
}

/* ---- retry, cancel, lists, counts ------------------------------------------------ */

static void test_retry_and_cancel(void **state) {
  struct err err = {0};
  char want[64];
  (void)state;
  struct store *st = ts_store("retry_cancel");
  int64_t id = enqueue(st, "[\"s/orders/new\"]", 10);
  struct job_row a = claim(st, "w", 100, 60);
  assert_int_equal(
      st->ops->job_finish(st, id, a.lease_token, "failed", 110, 0, 1, "HTTP 401", &err), MS_OK);
  job_row_release(&a);

  /* A failed job runs again, from its first try. */
  assert_int_equal(st->ops->job_retry(st, id, 200, &err), MS_OK);
  struct job_row now = get_job(st, id);
  assert_string_equal(now.state, "available");
  assert_int_equal(now.attempts, 0);
  assert_int_equal(now.run_after, 200);
  assert_int_equal(now.finished_at, 0);
  job_row_release(&now);
  assert_int_equal(st->ops->job_retry(st, id, 200, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "available already"));

  /* Queued jobs are cancelled, and let go of their targets. */
  assert_int_equal(st->ops->job_cancel(st, id, 210, &err), MS_OK);
  assert_string_equal(job_state(st, id), "cancelled");
  assert_int_equal(st->ops->job_cancel(st, id, 211, &err), MS_EINVAL);
  int64_t other = enqueue(st, "[\"s/orders/new\"]", 212);

  /* A cancelled job may run again, unless another job took its targets. */
  snprintf(want, sizeof(want), "job %lld (available) already covers s/orders/new",
           (long long)other);
  assert_int_equal(st->ops->job_retry(st, id, 220, &err), MS_EBUSY);
  assert_non_null(strstr(err.msg, want));
  assert_string_equal(job_state(st, id), "cancelled");
  assert_int_equal(st->ops->job_cancel(st, other, 221, &err), MS_OK);
  assert_int_equal(st->ops->job_retry(st, id, 222, &err), MS_OK);

  /* A running job is left to finish, unless its worker is gone. */
  a = claim(st, "w", 300, 60);
  assert_int_equal(a.id, id);
  assert_int_equal(st->ops->job_cancel(st, id, 310, &err), MS_EBUSY);
  assert_non_null(strstr(err.msg, "running on w"));
  assert_int_equal(st->ops->job_cancel(st, id, 360, &err), MS_OK);
  assert_int_equal(st->ops->job_finish(st, id, a.lease_token, "completed", 361, 0, 1, NULL, &err),
                   MS_ELEASE);
  job_row_release(&a);

  /* A retryable job is cancelled too; a completed one is neither
   * cancelled nor run again. */
  int64_t r = enqueue(st, "[\"t/orders/new\"]", 400);
  a = claim(st, "w", 400, 60);
  assert_int_equal(a.id, r);
  assert_int_equal(st->ops->job_finish(st, r, a.lease_token, "retryable", 401, 900, 0, "x", &err),
                   MS_OK);
  job_row_release(&a);
  assert_int_equal(st->ops->job_cancel(st, r, 402, &err), MS_OK);
  assert_int_equal(st->ops->job_retry(st, r, 403, &err), MS_OK);
  a = claim(st, "w", 403, 60);
  assert_int_equal(st->ops->job_finish(st, r, a.lease_token, "completed", 404, 0, 0, NULL, &err),
                   MS_OK);
  job_row_release(&a);
  assert_int_equal(st->ops->job_retry(st, r, 405, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "completed"));
  assert_int_equal(st->ops->job_cancel(st, r, 405, &err), MS_EINVAL);
  assert_int_equal(st->ops->job_retry(st, 999, 405, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->job_cancel(st, 999, 405, &err), MS_ENOTFOUND);
  store_close(st);
}

static void test_job_lists_and_counts(void **state) {
  struct err err = {0};
  struct job_row j, got;
  struct ids ids;
  (void)state;
  struct store *st = ts_store("job_lists");
  int64_t sched = add_schedule(st, "nightly", 1);
  int64_t ids_made[5];
  for (int i = 0; i < 4; i++)
    ids_made[i] = enqueue(st, NULL, 10 + i);
  j = new_job(NULL, 20);
  assert_int_equal(st->ops->schedule_fire(st, sched, 0, 20, 1, 30, &j, &err), MS_OK);
  ids_made[4] = j.id;
  got = claim(st, "w", 100, 60); /* the oldest */
  assert_int_equal(
      st->ops->job_finish(st, got.id, got.lease_token, "completed", 101, 0, 0, NULL, &err), MS_OK);
  job_row_release(&got);
  got = claim(st, "w", 100, 60);
  assert_int_equal(
      st->ops->job_finish(st, got.id, got.lease_token, "failed", 101, 0, 0, "bad", &err), MS_OK);
  job_row_release(&got);
  got = claim(st, "w", 100, 60);
  job_row_release(&got);
  assert_int_equal(st->ops->job_cancel(st, ids_made[3], 100, &err), MS_OK);

  ids = list_jobs(st, NULL, 0, 0);
  assert_int_equal(ids.n, 5);
  for (int i = 0; i < 5; i++)
    assert_int_equal(ids.v[i], ids_made[4 - i]); /* newest first */
  ids = list_jobs(st, NULL, 0, 2);
  assert_int_equal(ids.n, 2);
  assert_int_equal(ids.v[0], ids_made[4]);
  ids = list_jobs(st, "failed", 0, 0);
  assert_int_equal(ids.n, 1);
  assert_int_equal(ids.v[0], ids_made[1]);
  ids = list_jobs(st, NULL, sched, 0);
  assert_int_equal(ids.n, 1);
  assert_int_equal(ids.v[0], ids_made[4]);
  ids = list_jobs(st, "running", sched, 0);
  assert_int_equal(ids.n, 0);

  struct job_filter bad = {.state = "stuck"};
  assert_int_equal(st->ops->job_list(st, &bad, collect_job, &ids, &err), MS_EINVAL);
  bad.state = NULL;
  bad.limit = SERVICE_LIST_MAX + 1;
  assert_int_equal(st->ops->job_list(st, &bad, collect_job, &ids, &err), MS_EINVAL);

  int64_t counts[6];
  assert_int_equal(st->ops->job_counts(st, counts, &err), MS_OK);
  assert_int_equal(counts[0], 1); /* available: the scheduled one */
  assert_int_equal(counts[1], 1); /* running */
  assert_int_equal(counts[2], 0); /* retryable */
  assert_int_equal(counts[3], 1); /* completed */
  assert_int_equal(counts[4], 1); /* failed */
  assert_int_equal(counts[5], 1); /* cancelled */
  assert_int_equal(st->ops->job_get(st, 999, &got, &err), MS_ENOTFOUND);
  store_close(st);
}

/* ---- events ---------------------------------------------------------------------- */

struct events_seen {
  int64_t id[32];                /* in the order listed */
  char type[32][EVENT_TYPE_MAX]; /* their types */
  char source[32][MS_NAME_MAX];  /* their sources' names */
  int64_t source_id[32];         /* and ids */
  int n;                         /* how many */
};

static int collect_event(void *ctx, const struct event_row *e) {
  struct events_seen *seen = ctx;
  assert_true(seen->n < 32);
  seen->id[seen->n] = e->id;
  snprintf(seen->type[seen->n], EVENT_TYPE_MAX, "%s", e->type);
  snprintf(seen->source[seen->n], MS_NAME_MAX, "%s", e->source);
  seen->source_id[seen->n] = e->source_id;
  seen->n++;
  return MS_OK;
}

static struct events_seen list_events(struct store *st, int64_t after, const char *types,
                                      int64_t source, int limit) {
  struct event_filter f = {.after_id = after, .types = types, .source_id = source, .limit = limit};
  struct events_seen seen = {0};
  struct err err = {0};
  if (st->ops->event_list(st, &f, collect_event, &seen, &err))
    fail_msg("event_list(%s): %s", types ? types : "NULL", err.msg);
  return seen;
}

static int64_t add_event(struct store *st, const char *type, int64_t source, const char *data) {
  struct event_row e = {0};
  struct err err = {0};
  snprintf(e.type, sizeof(e.type), "%s", type);
  e.source_id = source;
  e.data = (char *)data;
  e.created_at = 1000;
  if (st->ops->event_add(st, &e, &err))
    fail_msg("event_add(%s): %s", type, err.msg);
  assert_true(e.id > 0);
  return e.id;
}

static void test_events_in_order_and_filtered(void **state) {
  struct err err = {0};
  struct event_row e = {0};
  struct events_seen seen;
  (void)state;
  struct store *st = ts_store("events");
  int64_t a = ts_source(st, "shop-a"), b = ts_source(st, "shop-b");
  int64_t e1 = add_event(st, "sync.failed", a, "{\"error\":\"HTTP 401\"}");
  int64_t e2 = add_event(st, "order.created", b, NULL);
  int64_t e3 = add_event(st, "sync.recovered", a, NULL);
  int64_t e4 = add_event(st, "orders.synced", 0, NULL);
  int64_t e5 = add_event(st, "order.status_changed", b, NULL);
  assert_true(e1 < e2 && e2 < e3 && e3 < e4 && e4 < e5);

  /* Oldest first, with the source's name. */
  seen = list_events(st, 0, NULL, 0, 0);
  assert_int_equal(seen.n, 5);
  assert_int_equal(seen.id[0], e1);
  assert_string_equal(seen.type[0], "sync.failed");
  assert_string_equal(seen.source[0], "shop-a");
  assert_int_equal(seen.source_id[0], a);
  assert_string_equal(seen.source[3], "");
  assert_int_equal(seen.source_id[3], 0);
  assert_int_equal(seen.id[4], e5);
  seen = list_events(st, e2, NULL, 0, 2);
  assert_int_equal(seen.n, 2);
  assert_int_equal(seen.id[0], e3);
  assert_int_equal(seen.id[1], e4);

  /* Types exact, or prefixes ending with a dot ("order." is not "orders."). */
  seen = list_events(st, 0, "order.", 0, 0);
  assert_int_equal(seen.n, 2);
  assert_int_equal(seen.id[0], e2);
  assert_int_equal(seen.id[1], e5);
  seen = list_events(st, 0, "sync.failed", 0, 0);
  assert_int_equal(seen.n, 1);
  seen = list_events(st, 0, " order.created , sync.", 0, 0);
  assert_int_equal(seen.n, 3);
  seen = list_events(st, 0, "*", 0, 0);
  assert_int_equal(seen.n, 5);
  seen = list_events(st, 0, "sync.", a, 0);
  assert_int_equal(seen.n, 2);
  seen = list_events(st, 0, NULL, b, 0);
  assert_int_equal(seen.n, 2);
  assert_string_equal(seen.source[1], "shop-b");

  static const char *const bad_lists[] = {"order", "Order.created", "order..x", ",", "a.b,,c.d"};
  for (size_t i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++) {
    struct event_filter f = {.types = bad_lists[i]};
    seen.n = 0;
    if (st->ops->event_list(st, &f, collect_event, &seen, &err) != MS_EINVAL)
      fail_msg("the event types \"%s\" were taken", bad_lists[i]);
  }
  struct event_filter f = {.limit = -1};
  assert_int_equal(st->ops->event_list(st, &f, collect_event, &seen, &err), MS_EINVAL);

  /* What an event is made of is checked. */
  snprintf(e.type, sizeof(e.type), "sync");
  e.created_at = 5;
  assert_int_equal(st->ops->event_add(st, &e, &err), MS_EINVAL);
  snprintf(e.type, sizeof(e.type), "sync.failed");
  e.data = "\"text\"";
  assert_int_equal(st->ops->event_add(st, &e, &err), MS_EINVAL);
  e.data = NULL;
  e.source_id = 999;
  assert_int_equal(st->ops->event_add(st, &e, &err), MS_ENOTFOUND);
  e.source_id = a;
  e.created_at = 0;
  assert_int_equal(st->ops->event_add(st, &e, &err), MS_EINVAL);
  e.created_at = 5;
  snprintf(e.stream, sizeof(e.stream), "orders");
  e.record_id = "1001";
  assert_int_equal(st->ops->event_add(st, &e, &err), MS_OK);
  assert_int_equal(list_events(st, e5, NULL, 0, 0).n, 1);
  store_close(st);
}

/* The outbox is an audit: an event says whose it was after its source is
 * gone. */
static void test_events_outlive_their_source(void **state) {
  struct err err = {0};
  struct events_seen seen;
  (void)state;
  struct store *st = ts_store("events_source");
  int64_t a = ts_source(st, "shop-a");
  int64_t kept = add_event(st, "sync.failed", a, NULL);
  assert_int_equal(st->ops->source_remove(st, "shop-a", &err), MS_OK);
  seen = list_events(st, 0, NULL, 0, 0);
  assert_int_equal(seen.n, 1);
  assert_int_equal(seen.id[0], kept);
  assert_int_equal(seen.source_id[0], 0);
  assert_string_equal(seen.source[0], "shop-a");
  /* A new source never takes over the old one's events. */
  int64_t b = ts_source(st, "shop-b");
  assert_int_equal(list_events(st, 0, NULL, b, 0).n, 0);
  seen = list_events(st, 0, NULL, 0, 0);
  assert_string_equal(seen.source[0], "shop-a");
  store_close(st);
}

/* ---- webhooks --------------------------------------------------------------------- */

static int64_t add_webhook(struct store *st, const char *url, const char *events) {
  struct webhook_row w = {0};
  struct err err = {0};
  w.url = (char *)url;
  w.events = (char *)events;
  w.secret = "{\"secret_env\":\"HOOK_SECRET\"}";
  w.enabled = 1;
  w.created_at = 100;
  if (st->ops->webhook_add(st, &w, &err))
    fail_msg("webhook_add(%s): %s", url, err.msg);
  assert_true(w.id > 0);
  return w.id;
}

static struct webhook_row get_webhook(struct store *st, int64_t id) {
  struct webhook_row w;
  struct err err = {0};
  if (st->ops->webhook_get(st, id, &w, &err))
    fail_msg("webhook_get(%lld): %s", (long long)id, err.msg);
  return w;
}

static int collect_webhook(void *ctx, const struct webhook_row *w) {
  struct ids *ids = ctx;
  assert_true(ids->n < 64);
  ids->v[ids->n++] = w->id;
  return MS_OK;
}

static void test_webhooks_and_their_cursor(void **state) {
  struct err err = {0};
  struct webhook_row w = {0};
  struct ids ids = {0};
  (void)state;
  struct store *st = ts_store("webhooks");
  int64_t src = ts_source(st, "shop");
  add_event(st, "order.created", src, NULL);
  int64_t before = add_event(st, "order.created", src, NULL);

  /* A new webhook gets the events written after it. */
  int64_t h = add_webhook(st, "https://example.com/hooks?team=7", " order. ,sync.failed");
  w = get_webhook(st, h);
  assert_string_equal(w.url, "https://example.com/hooks?team=7");
  assert_string_equal(w.events, "order.,sync.failed");
  assert_string_equal(w.secret, "{\"secret_env\":\"HOOK_SECRET\"}");
  assert_int_equal(w.enabled, 1);
  assert_int_equal(w.created_at, 100);
  assert_int_equal(w.delivered_id, before);
  assert_int_equal(w.failures, 0);
  assert_null(w.last_error);
  webhook_row_release(&w);
  int64_t all = add_webhook(st, "http://127.0.0.1:8080/in", NULL);
  w = get_webhook(st, all);
  assert_string_equal(w.events, "*");
  assert_string_equal(w.secret, "{\"secret_env\":\"HOOK_SECRET\"}");
  webhook_row_release(&w);

  /* One webhook per URL. */
  w.url = "https://example.com/hooks?team=7";
  w.created_at = 100;
  assert_int_equal(st->ops->webhook_add(st, &w, &err), MS_EEXIST);
  assert_non_null(strstr(err.msg, "delivers to"));

  /* URLs that could never be delivered to, or would show a password. */
  static const char *const bad_urls[] = {"",
                                         "ftp://example.com/x",
                                         "example.com/hook",
                                         "https:///path",
                                         "https://user:pw@example.com/",
                                         "https://example.com/a b",
                                         "https://ex\xc3\xa4mple.com/"};
  for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
    w.url = (char *)bad_urls[i];
    if (st->ops->webhook_add(st, &w, &err) != MS_EINVAL)
      fail_msg("the webhook URL \"%s\" was taken", bad_urls[i]);
  }
  char *long_url = malloc(WEBHOOK_URL_MAX + 1);
  assert_non_null(long_url);
  memset(long_url, 'a', WEBHOOK_URL_MAX);
  memcpy(long_url, "https://", 8);
  long_url[WEBHOOK_URL_MAX] = '\0';
  w.url = long_url;
  assert_int_equal(st->ops->webhook_add(st, &w, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "too long"));
  free(long_url);
  w.url = "https://example.com/other";
  w.events = "order";
  assert_int_equal(st->ops->webhook_add(st, &w, &err), MS_EINVAL);
  w.events = NULL;
  w.secret = "hunter2";
  assert_int_equal(st->ops->webhook_add(st, &w, &err), MS_EINVAL);
  w.secret = NULL;
  w.created_at = 0;
  assert_int_equal(st->ops->webhook_add(st, &w, &err), MS_EINVAL);

  assert_int_equal(st->ops->webhook_list(st, collect_webhook, &ids, &err), MS_OK);
  assert_int_equal(ids.n, 2);
  assert_int_equal(ids.v[0], h);
  assert_int_equal(ids.v[1], all);

  /* Failures count up until a delivery succeeds. */
  assert_int_equal(st->ops->webhook_failed(st, h, 500, "HTTP 502\nBad Gateway", &err), MS_OK);
  assert_int_equal(st->ops->webhook_failed(st, h, 700, "timeout", &err), MS_OK);
  w = get_webhook(st, h);
  assert_int_equal(w.failures, 2);
  assert_int_equal(w.retry_at, 700);
  assert_string_equal(w.last_error, "timeout");
  webhook_row_release(&w);
  assert_int_equal(st->ops->webhook_delivered(st, h, before + 5, &err), MS_OK);
  w = get_webhook(st, h);
  assert_int_equal(w.delivered_id, before + 5);
  assert_int_equal(w.failures, 0);
  assert_int_equal(w.retry_at, 0);
  assert_null(w.last_error);
  webhook_row_release(&w);
  /* The cursor never moves back. */
  assert_int_equal(st->ops->webhook_delivered(st, h, before + 2, &err), MS_OK);
  w = get_webhook(st, h);
  assert_int_equal(w.delivered_id, before + 5);
  webhook_row_release(&w);
  assert_int_equal(st->ops->webhook_delivered(st, h, -1, &err), MS_EINVAL);

  assert_int_equal(st->ops->webhook_remove(st, h, &err), MS_OK);
  assert_int_equal(st->ops->webhook_get(st, h, &w, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->webhook_remove(st, h, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->webhook_delivered(st, h, 9, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->webhook_failed(st, h, 9, "x", &err), MS_ENOTFOUND);
  /* A removed webhook's id is never another's. */
  assert_true(add_webhook(st, "https://example.com/hooks?team=7", NULL) > all);
  store_close(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_schedules_add_get_update_remove),
      cmocka_unit_test(test_a_due_time_becomes_one_job),
      cmocka_unit_test(test_an_overlapping_due_run_counts_without_a_job),
      cmocka_unit_test(test_two_schedulers_make_one_job_per_due_time),
      cmocka_unit_test(test_schedule_ran_and_remove_keep_history),
      cmocka_unit_test(test_jobs_never_overlap),
      cmocka_unit_test(test_claims_take_the_longest_waiting_first),
      cmocka_unit_test(test_an_expired_lease_is_rescued_and_fences_its_owner),
      cmocka_unit_test(test_a_released_job_is_claimed_again_at_once),
      cmocka_unit_test(test_a_job_whose_workers_die_fails_after_its_last_try),
      cmocka_unit_test(test_two_workers_never_claim_one_job),
      cmocka_unit_test(test_retry_and_cancel),
      cmocka_unit_test(test_job_lists_and_counts),
      cmocka_unit_test(test_events_in_order_and_filtered),
      cmocka_unit_test(test_events_outlive_their_source),
      cmocka_unit_test(test_webhooks_and_their_cursor),
  };
  return cmocka_run_group_tests(tests, ts_make_tmpdir, ts_remove_tmpdir);
}
