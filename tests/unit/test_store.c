/* The store, through store.h only: sources, slices and leases, pages of
 * records of any stream, deletions, snapshots, windows, failed records,
 * runs and the record queries. The same suite runs on every backend (see
 * test_store_streams.h for where its store lives); SQLite's own checks are
 * in test_store_sqlite.c. */
#include "test_store_streams.h"

/* ---- sources --------------------------------------------------------------- */

struct names {
  char v[8][MS_NAME_MAX]; /* names seen */
  int n;                  /* how many */
};

static int collect_source(void *ctx, const struct source_row *s) {
  struct names *names = ctx;
  assert_true(names->n < 8);
  snprintf(names->v[names->n++], MS_NAME_MAX, "%s", s->name);
  return 0;
}

static void test_sources_add_get_update_remove(void **state) {
  struct err err = {0};
  struct source_row s = {0}, got = {0};
  struct names names = {0};
  (void)state;
  struct store *st = ts_store("sources");
  int64_t a = ts_source(st, "shop-b");
  int64_t b = ts_source(st, "shop-a");
  assert_true(a != b);

  snprintf(s.name, sizeof(s.name), "shop-a");
  snprintf(s.connector, sizeof(s.connector), "amazon");
  assert_int_equal(st->ops->source_add(st, &s, &err), MS_EEXIST);
  assert_non_null(strstr(err.msg, "\"shop-a\" already exists"));
  s.name[0] = '\0';
  assert_int_equal(st->ops->source_add(st, &s, &err), MS_EINVAL);

  assert_int_equal(st->ops->source_get(st, "shop-b", &got, &err), MS_OK);
  assert_int_equal(got.id, a);
  assert_string_equal(got.connector, "shopify");
  assert_string_equal(got.settings, "{\"shop\":\"x\"}");
  assert_string_equal(got.credentials, "{\"token_env\":\"T\"}");
  assert_true(got.created_at > 0);
  assert_null(got.last_error);

  free(got.settings);
  got.settings = strdup("{\"shop\":\"y\"}");
  got.last_sync_at = 1234;
  got.last_error = strdup("HTTP 401");
  assert_int_equal(st->ops->source_update(st, &got, &err), MS_OK);
  source_row_release(&got);
  assert_int_equal(st->ops->source_get_id(st, a, &got, &err), MS_OK);
  assert_string_equal(got.name, "shop-b");
  assert_string_equal(got.settings, "{\"shop\":\"y\"}");
  assert_int_equal(got.last_sync_at, 1234);
  assert_string_equal(got.last_error, "HTTP 401");
  snprintf(got.name, sizeof(got.name), "shop-a");
  assert_int_equal(st->ops->source_update(st, &got, &err), MS_EEXIST);
  source_row_release(&got);

  assert_int_equal(st->ops->source_list(st, collect_source, &names, &err), MS_OK);
  assert_int_equal(names.n, 2);
  assert_string_equal(names.v[0], "shop-a");
  assert_string_equal(names.v[1], "shop-b");

  assert_int_equal(st->ops->source_get(st, "nope", &got, &err), MS_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no source named \"nope\""));
  assert_int_equal(st->ops->source_get_id(st, 999, &got, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->source_remove(st, "nope", &err), MS_ENOTFOUND);
  assert_non_null(strstr(err.msg, "\"nope\""));
  store_close(st);
}

static int count_slice(void *ctx, const struct slice *sl) {
  (void)sl;
  (*(int *)ctx)++;
  return 0;
}

static void test_source_remove_takes_everything_with_it(void **state) {
  struct err err = {0};
  struct ts_rows rows;
  struct page pg;
  (void)state;
  struct store *st = ts_store("cascade");
  int64_t gone = ts_source(st, "gone");
  int64_t kept = ts_source(st, "kept");
  int64_t ids[2] = {gone, kept};
  for (int i = 0; i < 2; i++) {
    struct slice sl = ts_claim(st, ids[i], "orders", "2025-03-01", "w", 100, 60);
    page_init(&pg, &orders_def);
    ts_order(&pg, "1", 10, 10, "v1", 3);
    ts_order(&pg, "2", 10, 10, "v1", 2);
    ts_order(&pg, "", 10, 10, "no id", 0); /* a failed record */
    ts_commit(st, &sl, &pg, 100, NULL);
    page_release(&pg);
    slice_release(&sl);
    sl = ts_claim(st, ids[i], "products", "snapshot", "w", 100, 60);
    page_init(&pg, &products_def);
    struct record *p = ts_rec(&pg, "P", 0, 5, "p");
    ts_kid(p, &variants_def, "V", NULL);
    ts_commit(st, &sl, &pg, 100, NULL);
    page_release(&pg);
    slice_release(&sl);
    assert_int_equal(st->ops->slice_ensure(st, ids[i], "refunds", "2025-03-02", &err), MS_OK);
  }
  assert_int_equal(st->ops->source_remove(st, "gone", &err), MS_OK);

  ts_rows(st, &orders_def, 0, 1, &rows);
  assert_int_equal(rows.n, 2);
  assert_string_equal(rows.v[0].source, "kept");
  assert_int_equal(rows.v[0].nkids[0], 3);
  ts_rows(st, &products_def, 0, 1, &rows);
  assert_int_equal(rows.n, 1);
  assert_int_equal(rows.v[0].nkids[0], 1);
  assert_int_equal(ts_kids_count(st, gone, &variants_def, "P", "\"id\""), 0);
  assert_int_equal(ts_kids_count(st, gone, &items_def, "1", "\"line\""), 0);
  struct slice_filter of_gone = {.source_id = gone}, of_kept = {.source_id = kept};
  int n = 0;
  assert_int_equal(st->ops->slice_list(st, &of_gone, count_slice, &n, &err), MS_OK);
  assert_int_equal(n, 0);
  assert_int_equal(st->ops->slice_list(st, &of_kept, count_slice, &n, &err), MS_OK);
  assert_int_equal(n, 3);
  struct ts_failed failed;
  ts_failed_list(st, 0, &failed);
  assert_int_equal(failed.n, 1);
  assert_int_equal(failed.v[0].source_id, kept);
  ts_failed_release(&failed);
  assert_int_equal(st->ops->source_remove(st, "gone", &err), MS_ENOTFOUND);
  store_close(st);
}

/* ---- slices ------------------------------------------------------------------ */

static void test_claim_busy_and_expired_takeover(void **state) {
  struct err err = {0};
  struct slice sl, other, got;
  struct page pg;
  (void)state;
  struct store *st = ts_store("claim");
  int64_t src = ts_source(st, "s");
  const char *d = "2025-01-02";

  sl = ts_claim(st, src, "orders", d, "w1", 1000, 60);
  assert_int_equal(sl.source_id, src);
  assert_string_equal(sl.stream, "orders");
  assert_string_equal(sl.key, d);
  assert_int_equal(sl.kind, SLICE_DAY);
  assert_int_equal(sl.day.y, 2025);
  assert_int_equal(sl.day.m, 1);
  assert_int_equal(sl.day.d, 2);
  assert_int_equal(sl.status, SLICE_IN_PROGRESS);
  assert_string_equal(sl.lease_owner, "w1");
  assert_int_equal(sl.lease_token, 1);
  assert_int_equal(sl.lease_expires, 1060);
  assert_int_equal(sl.started_at, 1000);
  assert_null(sl.cursor);

  page_init(&pg, &orders_def);
  ts_order(&pg, "1", 10, 10, "v1", 1);
  ts_cursor(&pg, "page-2");
  ts_commit(st, &sl, &pg, 1010, NULL);
  page_release(&pg);

  /* Another worker while the lease holds. */
  assert_int_equal(st->ops->slice_claim(st, src, "orders", d, "w2", 1030, 60, &other, &err),
                   MS_EHELD);
  assert_non_null(strstr(err.msg, "w1"));
  got = ts_get(st, src, "orders", d);
  assert_int_equal(got.lease_token, 1);
  slice_release(&got);

  /* The holder renews: a new token. */
  slice_release(&sl);
  sl = ts_claim(st, src, "orders", d, "w1", 1030, 60);
  assert_int_equal(sl.lease_token, 2);
  assert_int_equal(sl.lease_expires, 1090);

  /* Expired: another worker takes over where the cursor stands. */
  other = ts_claim(st, src, "orders", d, "w2", 1090, 60);
  assert_string_equal(other.lease_owner, "w2");
  assert_int_equal(other.lease_token, 3);
  assert_int_equal(other.started_at, 1000);
  assert_string_equal(other.cursor, "page-2");
  assert_int_equal(other.pages, 1);

  /* A completed slice can be claimed again. */
  page_init(&pg, &orders_def);
  ts_commit(st, &other, &pg, 1100, NULL);
  assert_int_equal(other.status, SLICE_COMPLETED);
  page_release(&pg);
  slice_release(&other);
  other = ts_claim(st, src, "orders", d, "w3", 1200, 60);
  assert_int_equal(other.status, SLICE_IN_PROGRESS);
  assert_int_equal(other.lease_token, 4);
  slice_release(&other);
  slice_release(&sl);

  assert_int_equal(st->ops->slice_claim(st, 9999, "orders", d, "w1", 1, 60, &other, &err),
                   MS_ENOTFOUND);
  assert_int_equal(st->ops->slice_claim(st, src, "orders", d, "", 1, 60, &other, &err), MS_EINVAL);
  assert_int_equal(st->ops->slice_claim(st, src, "orders", "yesterday", "w", 1, 60, &other, &err),
                   MS_EINVAL);
  assert_non_null(strstr(err.msg, "yesterday"));
  assert_int_equal(st->ops->slice_ensure(st, src, "orders", "2025-02-30", &err), MS_EINVAL);
  store_close(st);
}

static void test_slice_fail_keeps_cursor(void **state) {
  struct err err = {0};
  struct page pg;
  (void)state;
  struct store *st = ts_store("fail");
  int64_t src = ts_source(st, "s");
  const char *d = "2025-01-03";
  struct slice sl = ts_claim(st, src, "orders", d, "w1", 100, 60);
  page_init(&pg, &orders_def);
  ts_order(&pg, "1", 10, 10, "v1", 1);
  ts_cursor(&pg, "c2");
  ts_commit(st, &sl, &pg, 110, NULL);

  assert_int_equal(st->ops->slice_fail(st, &sl, SLICE_FAILED, "HTTP 500\nserver said no", &err),
                   MS_OK);
  struct slice got = ts_get(st, src, "orders", d);
  assert_int_equal(got.status, SLICE_FAILED);
  assert_string_equal(got.cursor, "c2");
  assert_int_equal(got.retries, 1);
  assert_int_equal(got.pages, 1);
  assert_string_equal(got.last_error, "HTTP 500 server said no");
  assert_string_equal(got.lease_owner, "");
  assert_int_equal(got.lease_expires, 0);
  slice_release(&got);
  /* The lease is gone: a second report is fenced off. */
  assert_int_equal(st->ops->slice_fail(st, &sl, SLICE_FAILED, "again", &err), MS_ELEASE);
  slice_release(&sl);

  sl = ts_claim(st, src, "orders", d, "w2", 200, 60);
  assert_string_equal(sl.cursor, "c2");
  assert_int_equal(st->ops->slice_fail(st, &sl, SLICE_PENDING, "timeout", &err), MS_OK);
  got = ts_get(st, src, "orders", d);
  assert_int_equal(got.status, SLICE_PENDING);
  assert_int_equal(got.retries, 2);
  slice_release(&got);
  slice_release(&sl);

  /* A good page clears the retry count and the error. */
  sl = ts_claim(st, src, "orders", d, "w2", 300, 60);
  ts_commit(st, &sl, &pg, 310, NULL);
  assert_int_equal(sl.retries, 0);
  assert_null(sl.last_error);
  got = ts_get(st, src, "orders", d);
  assert_int_equal(got.retries, 0);
  assert_null(got.last_error);
  slice_release(&got);
  assert_int_equal(st->ops->slice_fail(st, &sl, SLICE_COMPLETED, "x", &err), MS_EINVAL);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

static void test_restart_release_and_reset(void **state) {
  struct err err = {0};
  struct page pg;
  (void)state;
  struct store *st = ts_store("restart");
  int64_t src = ts_source(st, "s");
  const char *d = "2025-01-04";
  struct slice sl = ts_claim(st, src, "orders", d, "w1", 100, 60);
  page_init(&pg, &orders_def);
  ts_order(&pg, "1", 10, 10, "v1", 1);
  ts_cursor(&pg, "c2");
  ts_commit(st, &sl, &pg, 110, NULL);

  assert_int_equal(st->ops->slice_restart(st, &sl, "cursor expired", &err), MS_OK);
  struct slice got = ts_get(st, src, "orders", d);
  assert_null(got.cursor);
  assert_int_equal(got.status, SLICE_IN_PROGRESS);
  assert_int_equal(got.pages, 1);
  assert_string_equal(got.last_error, "cursor expired");
  slice_release(&got);

  ts_cursor(&pg, "c3");
  ts_commit(st, &sl, &pg, 120, NULL);
  assert_int_equal(st->ops->slice_release(st, &sl, &err), MS_OK);
  got = ts_get(st, src, "orders", d);
  assert_int_equal(got.status, SLICE_PENDING);
  assert_string_equal(got.cursor, "c3");
  assert_string_equal(got.lease_owner, "");
  assert_int_equal(got.pages, 2);
  slice_release(&got);
  assert_int_equal(st->ops->slice_release(st, &sl, &err), MS_ELEASE);
  assert_int_equal(st->ops->slice_restart(st, &sl, "x", &err), MS_ELEASE);
  slice_release(&sl);

  /* Reset clears progress and fences out whoever held the slice. */
  sl = ts_claim(st, src, "orders", d, "w1", 200, 60);
  assert_int_equal(st->ops->slice_reset(st, src, "orders", d, &err), MS_OK);
  got = ts_get(st, src, "orders", d);
  assert_int_equal(got.status, SLICE_PENDING);
  assert_null(got.cursor);
  assert_int_equal(got.pages, 0);
  assert_int_equal(got.records, 0);
  assert_int_equal(got.inserted, 0);
  assert_int_equal(got.started_at, 0);
  assert_int_equal(got.lease_token, sl.lease_token + 1);
  slice_release(&got);
  assert_int_equal(st->ops->commit_page(st, &sl, &pg, 210, NULL, &err), MS_ELEASE);
  /* Reset of a day never seen creates it pending. */
  assert_int_equal(st->ops->slice_reset(st, src, "orders", "2025-01-05", &err), MS_OK);
  got = ts_get(st, src, "orders", "2025-01-05");
  assert_int_equal(got.status, SLICE_PENDING);
  slice_release(&got);
  assert_int_equal(st->ops->slice_get(st, src, "orders", "2025-01-06", &got, &err), MS_ENOTFOUND);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

struct listed {
  char v[16][128];        /* "key stream source" per slice */
  int n;                  /* how many */
  struct store *claim_in; /* when set, claims each slice from the callback */
};

static int collect_slice(void *ctx, const struct slice *sl) {
  struct listed *l = ctx;
  assert_true(l->n < 16);
  snprintf(l->v[l->n++], 128, "%s %s %lld", sl->key, sl->stream, (long long)sl->source_id);
  if (l->claim_in) {
    struct slice got;
    struct err err = {0};
    int rc = l->claim_in->ops->slice_claim(l->claim_in, sl->source_id, sl->stream, sl->key, "cb",
                                           5000, 60, &got, &err);
    if (rc)
      fail_msg("claim from callback: %s", err.msg);
    slice_release(&got);
  }
  return 0;
}

static void list(struct store *st, const struct slice_filter *f, struct listed *l) {
  struct err err = {0};
  struct store *claim_in = l->claim_in;
  memset(l, 0, sizeof(*l));
  l->claim_in = claim_in;
  int rc = st->ops->slice_list(st, f, collect_slice, l, &err);
  if (rc)
    fail_msg("slice_list: %s", err.msg);
}

static void test_slice_list_filters(void **state) {
  struct err err = {0};
  struct listed l = {0};
  (void)state;
  struct store *st = ts_store("list");
  int64_t a = ts_source(st, "a"), b = ts_source(st, "b");
  assert_int_equal(st->ops->slice_ensure(st, b, "orders", "2025-01-01", &err), MS_OK);
  assert_int_equal(st->ops->slice_ensure(st, a, "refunds", "2025-01-01", &err), MS_OK);
  assert_int_equal(st->ops->slice_ensure(st, a, "orders", "2025-01-01", &err), MS_OK);
  assert_int_equal(st->ops->slice_ensure(st, a, "orders", "2025-01-01", &err), MS_OK);
  /* day 2: completed; day 3: failed; day 4: held until 1060; day 5: expired at 560 */
  struct page pg;
  page_init(&pg, &orders_def);
  struct slice sl = ts_claim(st, a, "orders", "2025-01-02", "w", 100, 60);
  ts_commit(st, &sl, &pg, 100, NULL);
  slice_release(&sl);
  sl = ts_claim(st, a, "orders", "2025-01-03", "w", 100, 60);
  assert_int_equal(st->ops->slice_fail(st, &sl, SLICE_FAILED, "boom", &err), MS_OK);
  slice_release(&sl);
  sl = ts_claim(st, a, "orders", "2025-01-04", "w", 1000, 60);
  slice_release(&sl);
  sl = ts_claim(st, a, "orders", "2025-01-05", "w", 500, 60);
  slice_release(&sl);
  page_release(&pg);

  struct slice_filter all = {0};
  list(st, &all, &l);
  assert_int_equal(l.n, 7);
  assert_string_equal(l.v[0], "2025-01-01 orders 1");
  assert_string_equal(l.v[1], "2025-01-01 refunds 1");
  assert_string_equal(l.v[2], "2025-01-01 orders 2");
  assert_string_equal(l.v[3], "2025-01-02 orders 1");
  assert_string_equal(l.v[6], "2025-01-05 orders 1");

  struct slice_filter f = {
      .source_id = a, .stream = "orders", .from = "2025-01-02", .to = "2025-01-04"};
  list(st, &f, &l);
  assert_int_equal(l.n, 3);
  assert_string_equal(l.v[0], "2025-01-02 orders 1");
  assert_string_equal(l.v[2], "2025-01-04 orders 1");

  struct slice_filter failed = {.only_failed = 1};
  list(st, &failed, &l);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.v[0], "2025-01-03 orders 1");

  struct slice_filter open = {.only_open = 1, .now = 1000};
  list(st, &open, &l);
  assert_int_equal(l.n, 5); /* three pending, the failed one, the expired one */
  assert_string_equal(l.v[3], "2025-01-03 orders 1");
  assert_string_equal(l.v[4], "2025-01-05 orders 1");

  struct slice_filter bad = {.from = "2025-13-01"};
  assert_int_equal(st->ops->slice_list(st, &bad, collect_slice, &l, &err), MS_EINVAL);

  /* Slices of other kinds: listed by kind, left out by day bounds. */
  assert_int_equal(st->ops->slice_ensure(st, a, "customers", "modified", &err), MS_OK);
  assert_int_equal(st->ops->slice_ensure(st, a, "products", "snapshot", &err), MS_OK);
  assert_int_equal(st->ops->slice_ensure(st, a, "orders", "refetch:2025-01-02", &err), MS_OK);
  struct slice_filter windows = {.kind = SLICE_WINDOW};
  list(st, &windows, &l);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.v[0], "modified customers 1");
  struct slice_filter refetch = {.kind = SLICE_REFETCH, .from = "2025-01-02", .to = "2025-01-02"};
  list(st, &refetch, &l);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.v[0], "refetch:2025-01-02 orders 1");
  /* A refetch of a day is within its bounds too; the kind tells them apart. */
  list(st, &f, &l);
  assert_int_equal(l.n, 4);
  f.kind = SLICE_DAY;
  list(st, &f, &l);
  assert_int_equal(l.n, 3);
  struct slice got = ts_get(st, a, "products", "snapshot");
  assert_int_equal(got.kind, SLICE_SNAPSHOT);
  slice_release(&got);

  /* A callback may claim the slice it is given. */
  l.claim_in = st;
  list(st, &open, &l);
  assert_int_equal(l.n, 8);
  l.claim_in = NULL;
  list(st, &open, &l);
  assert_int_equal(l.n, 0);
  store_close(st);
}

static void test_seed_makes_a_work_list(void **state) {
  struct err err = {0};
  struct slice sl;
  (void)state;
  struct store *st = ts_store("seed");
  int64_t src = ts_source(st, "s");
  assert_int_equal(
      st->ops->slice_seed(st, src, "orders", "refetch:2025-01-07", NULL, "[\"A\",\"B\"]", &err),
      MS_OK);
  sl = ts_get(st, src, "orders", "refetch:2025-01-07");
  assert_int_equal(sl.kind, SLICE_REFETCH);
  assert_int_equal(sl.status, SLICE_PENDING);
  assert_int_equal(sl.listed, 1);
  assert_null(sl.cursor);
  assert_string_equal(sl.follow, "[\"A\",\"B\"]");
  slice_release(&sl);
  /* Seeding again starts it over with the new list and a listing cursor. */
  assert_int_equal(
      st->ops->slice_seed(st, src, "orders", "refetch:2025-01-07", "[\"C\"]", NULL, &err), MS_OK);
  sl = ts_get(st, src, "orders", "refetch:2025-01-07");
  assert_int_equal(sl.listed, 0);
  assert_string_equal(sl.cursor, "[\"C\"]");
  assert_null(sl.follow);
  slice_release(&sl);
  assert_int_equal(
      st->ops->slice_seed(st, src, "orders", "refetch:2025-01-07", NULL, "{\"A\":1}", &err),
      MS_EINVAL);
  store_close(st);
}

/* ---- write groups ------------------------------------------------------------ */

/* The writes of a group are seen by other connections all at once at its
 * end; a write of the group that fails takes nothing else with it. */
static void test_write_group(void **state) {
  struct err err = {0};
  struct slice a, b, stale, got;
  struct page pg;
  struct ts_rows rows;
  char loc[700];
  (void)state;
  struct store *st = ts_store("group");
  int64_t src = ts_source(st, "s");
  ts_location("group", loc, sizeof(loc));
  struct store *other = ts_open(loc);

  st->ops->group_begin(st);
  a = ts_claim(st, src, "orders", "2025-03-01", "w1", 1000, 600);
  b = ts_claim(st, src, "orders", "2025-03-02", "w1", 1000, 600);
  page_init(&pg, &orders_def);
  ts_order(&pg, "A", 1740787200, 10, "a1", 2);
  ts_commit(st, &a, &pg, 1001, NULL); /* no next cursor: the day is done */
  page_release(&pg);
  page_init(&pg, &orders_def);
  ts_order(&pg, "B", 1740873600, 10, "b1", 1);
  ts_cursor(&pg, "b-2");
  ts_commit(st, &b, &pg, 1002, NULL);
  page_release(&pg);
  /* A page under a lease that is no longer ours is refused alone. */
  stale = b;
  stale.lease_token = b.lease_token - 1;
  page_init(&pg, &orders_def);
  ts_order(&pg, "C", 1740873700, 10, "c1", 1);
  assert_int_equal(st->ops->commit_page(st, &stale, &pg, 1003, NULL, &err), MS_ELEASE);
  page_release(&pg);

  /* Nothing of the group is seen before its end. */
  assert_int_equal(other->ops->slice_get(other, src, "orders", "2025-03-01", &got, &err),
                   MS_ENOTFOUND);
  assert_int_equal(other->ops->slice_get(other, src, "orders", "2025-03-02", &got, &err),
                   MS_ENOTFOUND);

  assert_int_equal(st->ops->group_end(st, &err), MS_OK);
  got = ts_get(other, src, "orders", "2025-03-01");
  assert_int_equal(got.status, SLICE_COMPLETED);
  slice_release(&got);
  got = ts_get(other, src, "orders", "2025-03-02");
  assert_int_equal(got.status, SLICE_IN_PROGRESS);
  assert_string_equal(got.cursor, "b-2");
  slice_release(&got);
  ts_rows(other, &orders_def, src, 1, &rows);
  assert_int_equal(rows.n, 2);
  assert_non_null(ts_find(&rows, "A"));
  assert_non_null(ts_find(&rows, "B"));
  assert_null(ts_find(&rows, "C"));
  assert_int_equal(ts_kids_count(other, src, &items_def, "A", "\"a1\""), 2);

  /* Outside a group each write is durable at once; an empty group is
   * nothing. */
  st->ops->group_begin(st);
  assert_int_equal(st->ops->group_end(st, &err), MS_OK);
  slice_release(&b);
  b = ts_claim(st, src, "orders", "2025-03-02", "w1", 1010, 600);
  got = ts_get(other, src, "orders", "2025-03-02");
  assert_int_equal(got.lease_token, b.lease_token);
  slice_release(&got);
  slice_release(&a);
  slice_release(&b);
  store_close(other);
  store_close(st);
}

/* ---- commit_page ---------------------------------------------------------------- */

static void test_upsert_counts_and_monotonic_updates(void **state) {
  struct page_counts c;
  struct page pg;
  struct ts_row r;
  (void)state;
  struct store *st = ts_store("upsert");
  int64_t src = ts_source(st, "s");
  const char *d = "2025-02-01";
  struct slice sl = ts_claim(st, src, "orders", d, "w1", 1000, 600);
  size_t total = ts_col(&orders_def, "total_price");

  page_init(&pg, &orders_def);
  ts_order(&pg, "A", 50, 100, "a1", 3);
  ts_order(&pg, "B", 60, 100, "b1", 2);
  ts_cursor(&pg, "c1");
  ts_commit(st, &sl, &pg, 1001, &c);
  page_release(&pg);
  assert_int_equal(c.inserted, 2);
  assert_int_equal(c.updated, 0);
  assert_int_equal(c.unchanged, 0);
  assert_int_equal(c.children, 5);
  assert_string_equal(sl.cursor, "c1");
  assert_int_equal(sl.pages, 1);
  r = ts_one(st, &orders_def, src, "A");
  assert_int_equal(r.nkids[0], 3);
  assert_string_equal(r.text[total], "19.99");
  assert_int_equal(r.i[total], 1999);

  /* The same copy again: unchanged, but seen. */
  page_init(&pg, &orders_def);
  ts_order(&pg, "A", 50, 100, "a1-again", 3);
  ts_cursor(&pg, "c2");
  ts_commit(st, &sl, &pg, 1002, &c);
  page_release(&pg);
  assert_int_equal(c.inserted, 0);
  assert_int_equal(c.unchanged, 1);
  assert_int_equal(c.updated, 0);
  assert_int_equal(c.children, 0);
  r = ts_one(st, &orders_def, src, "A");
  assert_non_null(strstr(r.raw, "\"a1\""));
  assert_int_equal(r.last_synced_at, 1002);
  assert_int_equal(r.first_seen_at, 1001);

  /* A newer B: updated, its items replaced by the new set. */
  page_init(&pg, &orders_def);
  ts_order(&pg, "B", 60, 200, "b2", 1);
  ts_cursor(&pg, "c3");
  ts_commit(st, &sl, &pg, 1003, &c);
  page_release(&pg);
  assert_int_equal(c.updated, 1);
  assert_int_equal(c.inserted + c.unchanged, 0);
  assert_int_equal(c.children, 1);
  r = ts_one(st, &orders_def, src, "B");
  assert_int_equal(r.nkids[0], 1);
  assert_int_equal(ts_kids_count(st, src, &items_def, "B", "\"b2\""), 1);
  assert_int_equal(ts_kids_count(st, src, &items_def, "B", "\"b1\""), 0);
  assert_int_equal(r.first_seen_at, 1001);
  assert_int_equal(r.updated_at, 200);

  /* An older B: unchanged, the newer data and items stay. */
  page_init(&pg, &orders_def);
  ts_order(&pg, "B", 60, 150, "b-old", 4);
  ts_cursor(&pg, "c4");
  ts_commit(st, &sl, &pg, 1004, &c);
  page_release(&pg);
  assert_int_equal(c.unchanged, 1);
  assert_int_equal(c.updated + c.inserted, 0);
  assert_int_equal(c.children, 0);
  r = ts_one(st, &orders_def, src, "B");
  assert_non_null(strstr(r.raw, "\"b2\""));
  assert_int_equal(r.updated_at, 200);
  assert_int_equal(r.nkids[0], 1);

  /* The slice adds it all up, and the stored row matches memory. */
  assert_int_equal(sl.pages, 4);
  assert_int_equal(sl.records, 5);
  assert_int_equal(sl.inserted, 2);
  assert_int_equal(sl.updated, 1);
  assert_int_equal(sl.unchanged, 2);
  struct slice got = ts_get(st, src, "orders", d);
  assert_int_equal(got.records, 5);
  assert_int_equal(got.unchanged, 2);
  assert_string_equal(got.cursor, "c4");
  assert_int_equal(got.updated_at, 1004);
  slice_release(&got);
  slice_release(&sl);
  store_close(st);
}

/* Copies of one record in one page: the first is inserted, a newer one
 * after it updates it, an older one after that changes nothing. */
static void test_copies_in_one_page_count_once_each(void **state) {
  struct page_counts c;
  struct page pg;
  struct ts_row r;
  (void)state;
  struct store *st = ts_store("copies");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "orders", "2025-02-01", "w1", 1000, 600);
  page_init(&pg, &orders_def);
  ts_order(&pg, "A", 50, 100, "a1", 3);
  ts_order(&pg, "A", 50, 200, "a2", 2);
  ts_order(&pg, "A", 50, 150, "a-old", 4);
  ts_commit(st, &sl, &pg, 1001, &c);
  page_release(&pg);
  assert_int_equal(c.inserted, 1);
  assert_int_equal(c.updated, 1);
  assert_int_equal(c.unchanged, 1);
  assert_int_equal(c.children, 5);
  r = ts_one(st, &orders_def, src, "A");
  assert_non_null(strstr(r.raw, "\"a2\""));
  assert_int_equal(r.updated_at, 200);
  assert_int_equal(r.first_seen_at, 1001);
  assert_int_equal(r.nkids[0], 2);
  slice_release(&sl);
  store_close(st);
}

/* Programmes of an affiliate network: a snapshot without any update time. */
static const struct column_def programme_cols[] = {
    {.name = "status", .type = COL_TEXT, .path = "status", .flags = COL_STATUS}, {0}};

static const struct stream_def programmes_def = {
    .name = "programmes",
    .table = "programmes",
    .slicing = SLICING_SNAPSHOT,
    .key = "id",
    .columns = programme_cols,
};

static void test_records_without_an_update_time_change_when_they_differ(void **state) {
  struct page_counts c;
  struct page pg;
  struct ts_row r;
  (void)state;
  struct store *st = ts_store("unversioned");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "programmes", "snapshot", "w1", 1000, 600);
  page_init(&pg, &programmes_def);
  ts_text(ts_rec(&pg, "P1", 0, 0, "active"), &programmes_def, "status", "active");
  ts_text(ts_rec(&pg, "P2", 0, 0, "active"), &programmes_def, "status", "active");
  ts_cursor(&pg, "p2");
  ts_commit(st, &sl, &pg, 1001, &c);
  page_release(&pg);
  assert_int_equal(c.inserted, 2);
  /* The same bytes: unchanged; other bytes with the same (no) time: newer. */
  page_init(&pg, &programmes_def);
  ts_text(ts_rec(&pg, "P1", 0, 0, "active"), &programmes_def, "status", "active");
  ts_text(ts_rec(&pg, "P2", 0, 0, "disabled"), &programmes_def, "status", "disabled");
  ts_cursor(&pg, NULL);
  ts_commit(st, &sl, &pg, 1002, &c);
  page_release(&pg);
  assert_int_equal(c.unchanged, 1);
  assert_int_equal(c.updated, 1);
  assert_int_equal(c.inserted, 0);
  r = ts_one(st, &programmes_def, src, "P2");
  assert_non_null(strstr(r.raw, "\"disabled\""));
  assert_string_equal(r.text[ts_col(&programmes_def, "status")], "disabled");
  /* A stream with an update time keeps its rule: an equal time is no newer
   * (test_upsert_counts_and_monotonic_updates). */
  slice_release(&sl);
  store_close(st);
}

static void test_children_at_every_depth_are_replaced(void **state) {
  struct page_counts c;
  struct page pg;
  (void)state;
  struct store *st = ts_store("depth");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "products", "snapshot", "w", 100, 600);

  page_init(&pg, &products_def);
  struct record *p = ts_rec(&pg, "P", 0, 10, "p1");
  struct record *v = ts_kid(p, &variants_def, "V1", "v1");
  ts_kid(v, &media_def, "M1", "m1");
  ts_kid(v, &media_def, "M2", "m2");
  v = ts_kid(p, &variants_def, "V2", "v2");
  ts_kid(v, &media_def, "M3", "m3");
  ts_cursor(&pg, "next");
  ts_commit(st, &sl, &pg, 101, &c);
  page_release(&pg);
  assert_int_equal(c.inserted, 1);
  assert_int_equal(c.children, 5);
  assert_int_equal(ts_kids_count(st, src, &media_def, "V1", "\"line\""), 2);
  assert_int_equal(ts_kids_count(st, src, &media_def, "V2", "\"line\""), 1);

  /* A newer copy: V2 is gone with its media, V1 has one picture now. */
  page_init(&pg, &products_def);
  p = ts_rec(&pg, "P", 0, 20, "p2");
  v = ts_kid(p, &variants_def, "V1", "v1b");
  ts_kid(v, &media_def, "M9", "m9");
  ts_commit(st, &sl, &pg, 102, &c);
  page_release(&pg);
  assert_int_equal(c.updated, 1);
  assert_int_equal(c.children, 2);
  assert_int_equal(ts_kids_count(st, src, &variants_def, "P", "\"line\""), 1);
  assert_int_equal(ts_kids_count(st, src, &media_def, "V1", "\"m9\""), 1);
  assert_int_equal(ts_kids_count(st, src, &media_def, "V1", "\"line\""), 1);
  assert_int_equal(ts_kids_count(st, src, &media_def, "V2", "\"line\""), 0);
  slice_release(&sl);
  store_close(st);
}

static void test_stale_lease_writes_nothing(void **state) {
  struct err err = {0};
  struct ts_rows rows;
  struct page pg;
  (void)state;
  struct store *st = ts_store("stale");
  int64_t src = ts_source(st, "s");
  const char *d = "2025-02-02";
  struct slice mine = ts_claim(st, src, "orders", d, "w1", 1000, 60);
  struct slice theirs = ts_claim(st, src, "orders", d, "w2", 2000, 60); /* after expiry */

  page_init(&pg, &orders_def);
  ts_order(&pg, "A", 50, 100, "a1", 3);
  ts_cursor(&pg, "c1");
  assert_int_equal(st->ops->commit_page(st, &mine, &pg, 2001, NULL, &err), MS_ELEASE);
  assert_int_equal(err.code, MS_ELEASE);
  assert_non_null(strstr(err.msg, "lost the lease"));
  assert_non_null(strstr(err.msg, "w2"));
  ts_rows(st, &orders_def, src, 1, &rows);
  assert_int_equal(rows.n, 0);
  assert_int_equal(ts_kids_count(st, src, &items_def, "A", "\"line\""), 0);
  struct slice got = ts_get(st, src, "orders", d);
  assert_int_equal(got.pages, 0);
  assert_null(got.cursor);
  slice_release(&got);
  assert_null(mine.cursor);
  assert_int_equal(mine.pages, 0);

  /* The current holder still can. */
  ts_commit(st, &theirs, &pg, 2002, NULL);
  ts_rows(st, &orders_def, src, 1, &rows);
  assert_int_equal(rows.n, 1);
  page_release(&pg);
  slice_release(&mine);
  slice_release(&theirs);
  store_close(st);
}

static void test_last_page_completes_slice(void **state) {
  struct err err = {0};
  struct page pg;
  (void)state;
  struct store *st = ts_store("complete");
  int64_t src = ts_source(st, "s");
  const char *d = "2025-02-03";
  struct slice sl = ts_claim(st, src, "orders", d, "w1", 1000, 60);
  page_init(&pg, &orders_def);
  ts_order(&pg, "A", 50, 100, "a1", 1);
  ts_cursor(&pg, "c1");
  ts_commit(st, &sl, &pg, 1001, NULL);
  assert_int_equal(sl.status, SLICE_IN_PROGRESS);
  assert_int_equal(sl.completed_at, 0);
  ts_cursor(&pg, NULL);
  ts_commit(st, &sl, &pg, 1002, NULL);

  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_null(sl.cursor);
  assert_int_equal(sl.completed_at, 1002);
  assert_string_equal(sl.lease_owner, "");
  assert_int_equal(sl.lease_expires, 0);
  struct slice got = ts_get(st, src, "orders", d);
  assert_int_equal(got.status, SLICE_COMPLETED);
  assert_null(got.cursor);
  assert_int_equal(got.completed_at, 1002);
  assert_string_equal(got.lease_owner, "");
  assert_int_equal(got.pages, 2);
  slice_release(&got);
  /* Finished is finished: no more pages under the old lease. */
  assert_int_equal(st->ops->commit_page(st, &sl, &pg, 1003, NULL, &err), MS_ELEASE);
  page_release(&pg);

  /* A page of another stream is not this slice's. */
  slice_release(&sl);
  sl = ts_claim(st, src, "orders", d, "w1", 2000, 60);
  page_init(&pg, &products_def);
  assert_int_equal(st->ops->commit_page(st, &sl, &pg, 2001, NULL, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "products"));
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

/* A follow-up page of order `id`: `n` items, then `next` (NULL: its last). */
static void follow_items(struct page *pg, const char *id, int first, size_t n, const char *next) {
  page_release(pg);
  page_init(pg, &fitems_def);
  pg->children_of = strdup(id);
  pg->children_first = first;
  for (size_t j = 0; j < n; j++) {
    char kid[64];
    snprintf(kid, sizeof(kid), "%s-%s-%zu", id, first ? "f" : "n", j);
    struct record *k = ts_follow_kid(pg, kid);
    ts_int(k, &fitems_def, "quantity", 1);
  }
  ts_cursor(pg, next);
}

/* Orders whose items come by follow-up requests (Amazon's way). */
static void follow_orders(struct page *pg, int64_t updated_a, int64_t updated_b, const char *next) {
  page_release(pg);
  page_init(pg, &forders_def);
  ts_rec(pg, "A", 50, updated_a, "a")->follow = 1;
  ts_rec(pg, "B", 60, updated_b, "b")->follow = 1;
  ts_cursor(pg, next);
}

static void test_follow_ups_queue_and_complete(void **state) {
  struct err err = {0};
  struct page_counts c;
  struct page pg = {0};
  (void)state;
  struct store *st = ts_store("follow");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "amazon_orders", "2025-02-03", "w1", 1000, 60);

  /* The listing's last page: done listing, but its orders wait for items. */
  follow_orders(&pg, 100, 100, NULL);
  ts_commit(st, &sl, &pg, 1001, NULL);
  assert_int_equal(sl.status, SLICE_IN_PROGRESS);
  assert_int_equal(sl.listed, 1);
  assert_string_equal(sl.follow, "[\"A\",\"B\"]");

  /* Items of an order that is not first in line are refused, whole. */
  follow_items(&pg, "B", 1, 1, NULL);
  assert_int_equal(st->ops->commit_page(st, &sl, &pg, 1002, NULL, &err), MS_EINVAL);
  assert_int_equal(ts_kids_count(st, src, &fitems_def, "B", "OrderItemId"), 0);
  /* So are items without an id. */
  follow_items(&pg, "A", 1, 2, "it2");
  free(pg.recs[1].external_id);
  pg.recs[1].external_id = strdup("");
  assert_int_equal(st->ops->commit_page(st, &sl, &pg, 1002, NULL, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "no id"));
  assert_int_equal(ts_kids_count(st, src, &fitems_def, "A", "OrderItemId"), 0);

  /* A's items over two pages, then B's: the slice completes. */
  follow_items(&pg, "A", 1, 2, "it2");
  ts_commit(st, &sl, &pg, 1003, &c);
  assert_int_equal(c.children, 2);
  assert_int_equal(sl.records, 2);
  assert_string_equal(sl.follow_cursor, "it2");
  assert_string_equal(sl.follow, "[\"A\",\"B\"]");
  follow_items(&pg, "A", 0, 1, NULL);
  ts_commit(st, &sl, &pg, 1004, NULL);
  assert_null(sl.follow_cursor);
  assert_string_equal(sl.follow, "[\"B\"]");
  follow_items(&pg, "B", 1, 1, NULL);
  ts_commit(st, &sl, &pg, 1005, NULL);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_null(sl.follow);
  assert_int_equal(ts_kids_count(st, src, &fitems_def, "A", "OrderItemId"), 3);
  /* The second page's lines are numbered after the first's. */
  char *json = ts_kids_json(st, src, &fitems_def, "A");
  assert_string_equal(json, "[{\"OrderItemId\":\"A-f-0\"},{\"OrderItemId\":\"A-f-1\"},"
                            "{\"OrderItemId\":\"A-n-0\"}]");
  free(json);
  slice_release(&sl);
  page_release(&pg);
  store_close(st);
}

static void test_a_restarted_day_does_not_fetch_stored_items_again(void **state) {
  struct err err = {0};
  struct page pg = {0};
  (void)state;
  struct store *st = ts_store("restart-follow");
  int64_t src = ts_source(st, "s");
  const char *d = "2025-02-04";
  struct slice sl = ts_claim(st, src, "amazon_orders", d, "w1", 1000, 60);
  follow_orders(&pg, 100, 100, "page2");
  ts_commit(st, &sl, &pg, 1001, NULL);
  follow_items(&pg, "A", 1, 1, NULL);
  ts_commit(st, &sl, &pg, 1002, NULL);
  assert_string_equal(sl.follow, "[\"B\"]");

  /* The API rejects an items cursor: only B's items start again. */
  free(sl.follow_cursor);
  sl.follow_cursor = strdup("it-old");
  assert_int_equal(st->ops->slice_restart(st, &sl, "items cursor rejected", &err), MS_OK);
  struct slice got = ts_get(st, src, "amazon_orders", d);
  assert_string_equal(got.cursor, "page2");
  assert_null(got.follow_cursor);
  assert_string_equal(got.follow, "[\"B\"]");
  slice_release(&got);
  free(sl.follow_cursor);
  sl.follow_cursor = NULL;
  follow_items(&pg, "B", 1, 1, NULL);
  ts_commit(st, &sl, &pg, 1003, NULL);
  assert_null(sl.follow);

  /* The listing cursor is rejected: the listing starts over... */
  assert_int_equal(st->ops->slice_restart(st, &sl, "NextToken rejected", &err), MS_OK);
  slice_restart_local(&sl);
  got = ts_get(st, src, "amazon_orders", d);
  assert_null(got.cursor);
  assert_int_equal(got.listed, 0);
  slice_release(&got);
  assert_null(sl.cursor);

  /* ...and page 1 again queues nothing: both orders are stored unchanged
   * with their items. */
  follow_orders(&pg, 100, 100, "page2");
  ts_commit(st, &sl, &pg, 1004, NULL);
  assert_null(sl.follow);
  assert_string_equal(sl.cursor, "page2");

  /* An order changed since is queued again; so is one stored without items
   * (C: its follow-up was lost to a reset of the day). */
  slice_release(&sl);
  sl = ts_claim(st, src, "amazon_orders", "2025-02-05", "w1", 1005, 60);
  page_release(&pg);
  page_init(&pg, &forders_def);
  ts_rec(&pg, "C", 70, 100, "c")->follow = 1;
  ts_cursor(&pg, "more");
  ts_commit(st, &sl, &pg, 1005, NULL);
  page_release(&pg);
  assert_int_equal(st->ops->slice_reset(st, src, "amazon_orders", "2025-02-05", &err), MS_OK);
  slice_release(&sl);
  sl = ts_claim(st, src, "amazon_orders", d, "w1", 1006, 60);
  page_init(&pg, &forders_def);
  ts_rec(&pg, "A", 50, 200, "a2")->follow = 1;
  ts_rec(&pg, "B", 60, 100, "b")->follow = 1;
  ts_rec(&pg, "C", 70, 100, "c")->follow = 1;
  ts_commit(st, &sl, &pg, 1006, NULL);
  assert_string_equal(sl.follow, "[\"A\",\"C\"]");
  assert_int_equal(sl.listed, 1);
  assert_int_equal(sl.status, SLICE_IN_PROGRESS);
  /* A newer copy of an order does not drop the items it had meanwhile. */
  assert_int_equal(ts_kids_count(st, src, &fitems_def, "A", "OrderItemId"), 1);

  /* Records asking for follow-ups of a stream without such a child. */
  page_release(&pg);
  page_init(&pg, &orders_def);
  slice_release(&sl);
  sl = ts_claim(st, src, "orders", d, "w1", 1007, 60);
  ts_order(&pg, "X", 1, 1, "x", 0)->follow = 1;
  assert_int_equal(st->ops->commit_page(st, &sl, &pg, 1007, NULL, &err), MS_EINVAL);
  slice_release(&sl);
  page_release(&pg);
  store_close(st);
}

static void test_invalid_records_kept_aside(void **state) {
  struct ts_failed failed;
  const struct failed_row *f;
  struct page_counts c;
  struct ts_rows rows;
  struct page pg;
  (void)state;
  struct store *st = ts_store("invalid");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "orders", "2025-02-04", "w1", 1000, 60);

  page_init(&pg, &orders_def);
  ts_order(&pg, "A", 50, 100, "a1", 1);
  ts_order(&pg, "", 50, 100, "empty", 1);
  ts_order(&pg, "C", 50, 100, "c1", 1);
  ts_order(&pg, "D", 50, 100, "d1", 2);
  ts_order(&pg, "E", 50, 100, "e1", 0);
  /* C: its raw JSON is over the size limit. */
  free(pg.recs[2].raw);
  pg.recs[2].raw_len = STORE_RAW_MAX + 1;
  pg.recs[2].raw = malloc(pg.recs[2].raw_len + 1);
  assert_non_null(pg.recs[2].raw);
  memset(pg.recs[2].raw, ' ', pg.recs[2].raw_len);
  pg.recs[2].raw[pg.recs[2].raw_len] = '\0';
  /* D: a line without an id. */
  free(pg.recs[3].kids[0].recs[1].external_id);
  pg.recs[3].kids[0].recs[1].external_id = strdup("");
  /* E: a status longer than the text limit. */
  char *longer = malloc(STORE_TEXT_MAX + 2);
  assert_non_null(longer);
  memset(longer, 'x', STORE_TEXT_MAX + 1);
  longer[STORE_TEXT_MAX + 1] = '\0';
  ts_text(&pg.recs[4], &orders_def, "status", longer);
  free(longer);
  ts_cursor(&pg, "c1");
  ts_commit(st, &sl, &pg, 1001, &c);
  assert_int_equal(c.inserted, 1);
  assert_int_equal(c.failed, 4);

  /* The good record and the cursor are stored; the others are kept aside. */
  ts_rows(st, &orders_def, src, 1, &rows);
  assert_int_equal(rows.n, 1);
  assert_string_equal(rows.v[0].id, "A");
  assert_int_equal(rows.v[0].nkids[0], 1);
  assert_string_equal(sl.cursor, "c1");
  assert_int_equal(sl.pages, 1);
  assert_int_equal(sl.failed, 4);
  struct slice got = ts_get(st, src, "orders", "2025-02-04");
  assert_int_equal(got.failed, 4);
  slice_release(&got);
  ts_failed_list(st, src, &failed);
  assert_int_equal(failed.n, 4);
  for (int i = 0; i < failed.n; i++) {
    assert_string_equal(failed.v[i].stream, "orders");
    assert_string_equal(failed.v[i].key, "2025-02-04");
    assert_string_equal(failed.v[i].source, "s");
    assert_int_equal(failed.v[i].attempts, 1);
    assert_int_equal(failed.v[i].first_failed_at, 1001);
    assert_int_equal(failed.v[i].last_failed_at, 1001);
    assert_int_equal(failed.v[i].resolved_at, 0);
  }
  f = ts_failed_find(&failed, NULL);
  assert_non_null(f);
  assert_non_null(strstr(f->error, "no id"));
  assert_non_null(strstr(f->raw, "empty"));
  f = ts_failed_find(&failed, "C");
  assert_non_null(f);
  assert_non_null(strstr(f->error, "over the limit"));
  assert_true(strlen(f->raw) > STORE_RAW_MAX);
  f = ts_failed_find(&failed, "D");
  assert_non_null(f);
  assert_non_null(strstr(f->error, "line_items 2 has no id"));
  f = ts_failed_find(&failed, "E");
  assert_non_null(f);
  assert_non_null(strstr(f->error, "status longer than"));
  ts_failed_release(&failed);

  /* The same page again: a record that fails again counts an attempt, and
   * one that now stores closes its failure. */
  ts_text(&pg.recs[4], &orders_def, "status", "open");
  pg.recs[4].updated_at = 200;
  ts_cursor(&pg, NULL);
  ts_commit(st, &sl, &pg, 1002, &c);
  assert_int_equal(c.failed, 3);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_int_equal(sl.failed, 7);
  ts_failed_list(st, src, &failed);
  assert_int_equal(failed.n, 4); /* A, C, D and the two without an id, less E */
  f = ts_failed_find(&failed, "C");
  assert_int_equal(f->attempts, 2);
  assert_int_equal(f->last_failed_at, 1002);
  assert_null(ts_failed_find(&failed, "E"));
  int no_id = 0;
  for (int i = 0; i < failed.n; i++)
    no_id += failed.v[i].external_id == NULL;
  assert_int_equal(no_id, 2);
  ts_failed_release(&failed);
  ts_rows(st, &orders_def, src, 1, &rows);
  assert_non_null(ts_find(&rows, "E"));
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

/* A record the connector could not read arrives marked unreadable with its
 * bytes: it is kept aside with the reason, and the rest of the page and the
 * cursor commit. */
static void test_unreadable_record_kept_aside(void **state) {
  struct ts_failed failed;
  struct page_counts c;
  struct ts_rows rows;
  struct page pg;
  (void)state;
  struct store *st = ts_store("unreadable");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "orders", "2025-02-05", "w1", 1000, 60);
  page_init(&pg, &orders_def);
  ts_order(&pg, "A", 50, 100, "a1", 1);
  ts_order(&pg, "B", 50, 100, "b1", 1);
  const char *bad_raw = "{\"id\":\"B\",\"created_at\":7}";
  assert_int_equal(record_set_unreadable(&pg.recs[1], bad_raw, strlen(bad_raw),
                                         "order B has no valid created_at"),
                   MS_OK);
  ts_cursor(&pg, "page-2");
  ts_commit(st, &sl, &pg, 1010, &c);
  page_release(&pg);
  assert_int_equal(c.inserted, 1);
  assert_int_equal(c.failed, 1);
  assert_string_equal(sl.cursor, "page-2");
  ts_rows(st, &orders_def, src, 1, &rows);
  assert_int_equal(rows.n, 1);
  assert_string_equal(rows.v[0].id, "A");
  ts_failed_list(st, src, &failed);
  assert_int_equal(failed.n, 1);
  assert_string_equal(failed.v[0].external_id, "B");
  assert_string_equal(failed.v[0].raw, bad_raw);
  assert_non_null(strstr(failed.v[0].error, "created_at"));
  ts_failed_release(&failed);
  slice_release(&sl);
  store_close(st);
}

/* A record read again from a failed record's raw JSON is stored like any
 * page's, and closes its failure. */
static void test_failed_resolve_stores_the_record(void **state) {
  struct err err = {0};
  struct ts_failed failed;
  struct failed_row f;
  struct page pg, again;
  (void)state;
  struct store *st = ts_store("resolve");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "orders", "2025-02-06", "w1", 1000, 60);
  page_init(&pg, &orders_def);
  ts_order(&pg, "X", 50, 100, "x1", 1);
  ts_text(&pg.recs[0], &orders_def, "name", NULL);
  pg.recs[0].created_at = -5; /* refused: a time before 1970 */
  ts_commit(st, &sl, &pg, 1001, NULL);
  ts_failed_list(st, src, &failed);
  assert_int_equal(failed.n, 1);
  int64_t id = failed.v[0].id;
  ts_failed_release(&failed);
  assert_int_equal(st->ops->failed_get(st, id, &f, &err), MS_OK);
  assert_string_equal(f.external_id, "X");
  assert_string_equal(f.key, "2025-02-06");
  assert_string_equal(f.stream, "orders");
  failed_row_release(&f);
  assert_int_equal(st->ops->failed_get(st, id + 100, &f, &err), MS_ENOTFOUND);

  page_init(&again, &orders_def);
  ts_order(&again, "X", 50, 100, "x2", 2);
  assert_int_equal(st->ops->failed_resolve(st, id, &products_def, &again.recs[0], 1100, &err),
                   MS_EINVAL);
  assert_non_null(strstr(err.msg, "not of products"));
  again.recs[0].created_at = -1;
  assert_int_equal(st->ops->failed_resolve(st, id, &orders_def, &again.recs[0], 1100, &err),
                   MS_EINVAL);
  assert_non_null(strstr(err.msg, "before 1970"));
  again.recs[0].created_at = 50;
  assert_int_equal(st->ops->failed_resolve(st, id, &orders_def, &again.recs[0], 1200, &err), MS_OK);
  struct ts_row r = ts_one(st, &orders_def, src, "X");
  assert_non_null(strstr(r.raw, "x2"));
  assert_int_equal(r.nkids[0], 2);
  ts_failed_list(st, 0, &failed);
  assert_int_equal(failed.n, 0);
  assert_int_equal(st->ops->failed_get(st, id, &f, &err), MS_OK);
  assert_int_equal(f.resolved_at, 1200);
  failed_row_release(&f);
  assert_int_equal(st->ops->failed_again(st, id, "late", 1300, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->failed_resolve(st, id, &orders_def, &again.recs[0], 1300, &err),
                   MS_EINVAL);
  page_release(&again);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

/* ---- tables made from descriptions ---------------------------------------------- */

/* Two connectors keep their orders in one table, each with its columns. */
static const struct column_def acme_cols[] = {
    {.name = "status", .type = COL_TEXT, .path = "status"},
    {.name = "total", .type = COL_MONEY, .path = "total", .currency = "currency"},
    {0}};
static const struct stream_def acme_def = {
    .name = "acme_orders",
    .table = "shared_orders",
    .slicing = SLICING_BY_DAY,
    .key = "id",
    .columns = acme_cols,
};
static const struct column_def beta_cols[] = {
    {.name = "status", .type = COL_TEXT, .path = "state"},
    {.name = "channel", .type = COL_TEXT, .path = "channel"},
    {.name = "placed_on", .type = COL_DATE, .path = "date"},
    {.name = "paid", .type = COL_BOOL, .path = "paid"},
    {0}};
static const struct stream_def beta_def = {
    .name = "beta_orders",
    .table = "shared_orders",
    .slicing = SLICING_BY_DAY,
    .key = "id",
    .columns = beta_cols,
};
/* A third one that counts statuses in integers: refused. */
static const struct column_def clash_cols[] = {
    {.name = "status", .type = COL_INT, .path = "status"}, {0}};
static const struct stream_def clash_def = {
    .name = "clash_orders",
    .table = "shared_orders",
    .slicing = SLICING_BY_DAY,
    .key = "id",
    .columns = clash_cols,
};

static void test_tables_from_descriptions_shared_and_extended(void **state) {
  struct err err = {0};
  struct ts_rows rows;
  struct page pg;
  (void)state;
  struct store *st = ts_store("shared");
  int64_t a = ts_source(st, "acme"), b = ts_source(st, "beta");
  assert_int_equal(st->ops->stream_prepare(st, &acme_def, &err), MS_OK);
  assert_int_equal(st->ops->stream_prepare(st, &beta_def, &err), MS_OK);
  /* Preparing again is cheap and changes nothing. */
  assert_int_equal(st->ops->stream_prepare(st, &acme_def, &err), MS_OK);

  struct slice sl = ts_claim(st, a, "acme_orders", "2025-04-01", "w", 1, 60);
  page_init(&pg, &acme_def);
  struct record *r = ts_rec(&pg, "1", 10, 10, "acme");
  ts_text(r, &acme_def, "status", "paid");
  ts_money(r, &acme_def, "total", "12.50", 1250);
  ts_commit(st, &sl, &pg, 2, NULL);
  page_release(&pg);
  slice_release(&sl);
  sl = ts_claim(st, b, "beta_orders", "2025-04-01", "w", 1, 60);
  page_init(&pg, &beta_def);
  r = ts_rec(&pg, "1", 20, 20, "beta");
  ts_text(r, &beta_def, "status", "shipped");
  ts_text(r, &beta_def, "channel", "web");
  ts_text(r, &beta_def, "placed_on", "2025-04-01");
  ts_int(r, &beta_def, "paid", 1);
  ts_commit(st, &sl, &pg, 3, NULL);
  page_release(&pg);
  slice_release(&sl);

  /* Each reads its own columns of the one table. */
  ts_rows(st, &acme_def, a, 0, &rows);
  assert_int_equal(rows.n, 1);
  assert_string_equal(rows.v[0].text[0], "paid");
  assert_string_equal(rows.v[0].text[1], "12.50");
  assert_int_equal(rows.v[0].i[1], 1250);
  ts_rows(st, &beta_def, b, 0, &rows);
  assert_int_equal(rows.n, 1);
  assert_string_equal(rows.v[0].text[0], "shipped");
  assert_string_equal(rows.v[0].text[1], "web");
  assert_string_equal(rows.v[0].text[2], "2025-04-01");
  assert_int_equal(rows.v[0].set[3], 1);
  assert_int_equal(rows.v[0].i[3], 1);
  ts_rows(st, &beta_def, 0, 0, &rows);
  assert_int_equal(rows.n, 2);
  assert_string_equal(rows.v[0].source, "acme");
  assert_int_equal(rows.v[0].set[1], 0); /* acme's order has no channel */

  /* A column that exists with the other storage class is refused. */
  assert_int_equal(st->ops->stream_prepare(st, &clash_def, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "shared_orders"));
  assert_non_null(strstr(err.msg, "status"));
  /* So is a description store.h cannot trust, and a table of marketsync's. */
  struct stream_def bad = acme_def;
  bad.table = "Shared Orders";
  assert_int_equal(st->ops->stream_prepare(st, &bad, &err), MS_EINVAL);
  bad.table = "slices";
  assert_int_equal(st->ops->stream_prepare(st, &bad, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "slices"));
  /* A child stream cannot move into a top-level stream's table. */
  struct stream_def lost = items_def;
  lost.table = "orders";
  assert_int_equal(st->ops->stream_prepare(st, &lost, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "another key"));
  /* The money column's minor units may not take another column's name. */
  static const struct column_def twice_cols[] = {
      {.name = "total", .type = COL_MONEY, .path = "total"},
      {.name = "total_minor", .type = COL_INT, .path = "cents"},
      {0}};
  struct stream_def twice = acme_def;
  twice.columns = twice_cols;
  twice.table = "twice";
  assert_int_equal(st->ops->stream_prepare(st, &twice, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "total_minor"));
  /* A description changed in place is prepared again. */
  struct stream_def grown = beta_def;
  static const struct column_def grown_cols[] = {
      {.name = "status", .type = COL_TEXT, .path = "state"},
      {.name = "note", .type = COL_TEXT, .path = "note"},
      {0}};
  assert_int_equal(st->ops->stream_prepare(st, &grown, &err), MS_OK);
  grown.columns = grown_cols;
  assert_int_equal(st->ops->stream_prepare(st, &grown, &err), MS_OK);
  ts_rows(st, &grown, b, 0, &rows);
  assert_int_equal(rows.n, 1);
  assert_int_equal(rows.v[0].set[1], 0);
  store_close(st);
}

/* ---- COL_LOCAL ---------------------------------------------------------------- */

struct unpriced_seen {
  char v[16][80]; /* "parent child sku qty currency" */
  int n;          /* how many */
};

static int collect_unpriced(void *ctx, const struct unpriced_child *c) {
  struct unpriced_seen *s = ctx;
  assert_true(s->n < 16);
  snprintf(s->v[s->n++], 80, "%s %s %s %lld %s", c->parent_id, c->child_id, c->sku ? c->sku : "-",
           (long long)c->quantity, c->currency ? c->currency : "-");
  return 0;
}

static void test_local_columns_are_kept(void **state) {
  struct unpriced_seen seen = {0};
  struct err err = {0};
  struct page pg = {0};
  (void)state;
  struct store *st = ts_store("local");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "amazon_orders", "2025-05-01", "w", 1, 600);
  page_init(&pg, &forders_def);
  ts_rec(&pg, "A", 50, 100, "a")->follow = 1;
  ts_commit(st, &sl, &pg, 2, NULL);
  follow_items(&pg, "A", 1, 1, "more"); /* A-f-0, without a price */
  ts_text(&pg.recs[0], &fitems_def, "sku", "CUP");
  ts_commit(st, &sl, &pg, 3, NULL);
  assert_int_equal(
      st->ops->children_unpriced(st, src, &fitems_def, 0, 100, collect_unpriced, &seen, &err),
      MS_OK);
  assert_int_equal(seen.n, 1);
  assert_string_equal(seen.v[0], "A A-f-0 CUP 1 -");

  /* The store's own mark on the line... */
  assert_int_equal(st->ops->child_estimate(st, src, &fitems_def, "A", "A-f-0", "7.00", 700, &err),
                   MS_OK);
  /* ...stays when the API sends the line again, whatever the record says
   * (a local value is never read from a record). */
  page_release(&pg);
  page_init(&pg, &fitems_def);
  pg.children_of = strdup("A");
  struct record *k = ts_follow_kid(&pg, "A-f-0");
  ts_text(k, &fitems_def, "sku", "CUP");
  ts_int(k, &fitems_def, "quantity", 2);
  ts_int(k, &fitems_def, "price_estimated", 0);
  ts_commit(st, &sl, &pg, 4, NULL);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  memset(&seen, 0, sizeof(seen));
  assert_int_equal(
      st->ops->children_unpriced(st, src, &fitems_def, 0, 100, collect_unpriced, &seen, &err),
      MS_OK);
  assert_int_equal(seen.n, 0);
  char *json = ts_kids_json(st, src, &fitems_def, "A");
  assert_string_equal(json, "[{\"OrderItemId\":\"A-f-0\"}]");
  free(json);
  assert_int_equal(st->ops->child_estimate(st, src, &fitems_def, "A", "nope", "1", 1, &err),
                   MS_ENOTFOUND);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

/* ---- deletions, cascades and snapshots ------------------------------------------ */

/* A product with one variant (its stock item `item`) and a picture. */
static struct record *product(struct page *pg, const char *id, int64_t updated, const char *item) {
  char vid[32], mid[32];
  struct record *p = ts_rec(pg, id, 0, updated, id);
  ts_text(p, &products_def, "title", id);
  snprintf(vid, sizeof(vid), "%s-v", id);
  snprintf(mid, sizeof(mid), "%s-m", id);
  struct record *v = ts_kid(p, &variants_def, vid, NULL);
  ts_text(v, &variants_def, "inventory_item_id", item);
  ts_kid(v, &media_def, mid, NULL);
  return p;
}

static void stock(struct store *st, int64_t src, int64_t now, const char *const *items) {
  struct slice sl = ts_claim(st, src, "inventory_levels", "snapshot", "w", now, 60);
  struct page pg;
  page_init(&pg, &levels_def);
  for (size_t i = 0; items[i]; i++) {
    char id[64];
    snprintf(id, sizeof(id), "%s:L1", items[i]);
    struct record *r = ts_rec(&pg, id, 0, 1, "lvl");
    ts_text(r, &levels_def, "inventory_item_id", items[i]);
    ts_text(r, &levels_def, "location_id", "L1");
    ts_int(r, &levels_def, "available", 5);
  }
  ts_commit(st, &sl, &pg, now, NULL);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  page_release(&pg);
  slice_release(&sl);
}

static void test_deletions_take_children_and_cascades(void **state) {
  static const char *const items[] = {"I1", "I2", NULL};
  struct page_counts c;
  struct ts_rows rows;
  struct page pg;
  (void)state;
  struct store *st = ts_store("deletions");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "products", "snapshot", "w", 100, 600);
  page_init(&pg, &products_def);
  product(&pg, "P1", 10, "I1");
  product(&pg, "P2", 10, "I2");
  ts_commit(st, &sl, &pg, 100, NULL);
  page_release(&pg);
  slice_release(&sl);
  stock(st, src, 100, items);

  /* Shopify says P1 was destroyed at 500. */
  sl = ts_claim(st, src, "product_deletions", "modified", "w", 600, 60);
  page_init(&pg, &product_deletions_def);
  struct record *d = page_add(&pg);
  d->external_id = strdup("E1"); /* the event, kept as a record of its own */
  d->raw = strdup("{\"id\":\"E1\",\"subject_id\":\"P1\"}");
  d->gone_from = &products_def;
  d->gone_id = strdup("P1");
  d->gone_at = 500;
  d = page_add(&pg);
  d->external_id = strdup("E2");
  d->raw = strdup("{\"id\":\"E2\",\"subject_id\":\"P-never-seen\"}");
  d->gone_from = &products_def;
  d->gone_id = strdup("P-never-seen");
  d->gone_at = 500;
  ts_cursor(&pg, "more");
  ts_commit(st, &sl, &pg, 600, &c);
  assert_int_equal(c.deleted, 2);  /* P1 and its stock level */
  assert_int_equal(c.inserted, 2); /* the two deletions themselves */
  assert_int_equal(c.updated + c.unchanged + c.failed, 0);
  assert_int_equal(sl.deleted, 2);
  struct ts_row r = ts_one(st, &products_def, src, "P1");
  assert_int_equal(r.deleted_at, 500);
  assert_int_equal(r.nkids[0], 1); /* read with the deleted ones */
  ts_rows(st, &products_def, src, 0, &rows);
  assert_int_equal(rows.n, 1);
  assert_string_equal(rows.v[0].id, "P2");
  ts_rows(st, &levels_def, src, 0, &rows);
  assert_int_equal(rows.n, 1);
  assert_string_equal(rows.v[0].id, "I2:L1");
  r = ts_one(st, &levels_def, src, "I1:L1");
  assert_int_equal(r.deleted_at, 500);
  /* Deleted twice is deleted once. */
  ts_commit(st, &sl, &pg, 601, &c);
  assert_int_equal(c.deleted, 0);
  assert_int_equal(ts_one(st, &products_def, src, "P1").deleted_at, 500);
  page_release(&pg);
  slice_release(&sl);

  /* Its children are marked too: only a list with the deleted shows them. */
  ts_rows(st, &products_def, src, 1, &rows);
  assert_int_equal(ts_find(&rows, "P1")->nkids[0], 1);
  struct ts_rows live;
  ts_rows(st, &products_def, src, 0, &live);
  assert_null(ts_find(&live, "P1"));

  /* A newer copy brings it back, with its children. */
  sl = ts_claim(st, src, "products", "snapshot", "w", 700, 600);
  page_init(&pg, &products_def);
  product(&pg, "P1", 20, "I1");
  ts_cursor(&pg, "next");
  ts_commit(st, &sl, &pg, 700, &c);
  assert_int_equal(c.updated, 1);
  r = ts_one(st, &products_def, src, "P1");
  assert_int_equal(r.deleted_at, 0);
  ts_rows(st, &products_def, src, 0, &live);
  assert_int_equal(ts_find(&live, "P1")->nkids[0], 1);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

static void test_snapshot_marks_what_it_did_not_see(void **state) {
  static const char *const items[] = {"I1", "I2", "I3", NULL};
  struct err err = {0};
  struct page_counts c;
  struct ts_rows rows;
  struct page pg;
  (void)state;
  struct store *st = ts_store("snapshot");
  int64_t src = ts_source(st, "s"), other = ts_source(st, "other");
  struct slice sl = ts_claim(st, src, "products", "snapshot", "w", 100, 600);
  page_init(&pg, &products_def);
  product(&pg, "P1", 10, "I1");
  product(&pg, "P2", 10, "I2");
  ts_cursor(&pg, "p2");
  ts_commit(st, &sl, &pg, 101, NULL);
  page_release(&pg);
  page_init(&pg, &products_def);
  product(&pg, "P3", 10, "I3");
  ts_commit(st, &sl, &pg, 102, &c);
  page_release(&pg);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_int_equal(c.deleted, 0);
  slice_release(&sl);
  stock(st, src, 102, items);
  /* Another source's products are not this snapshot's. */
  sl = ts_claim(st, other, "products", "snapshot", "w", 100, 600);
  page_init(&pg, &products_def);
  product(&pg, "P9", 10, "I9");
  ts_commit(st, &sl, &pg, 101, NULL);
  page_release(&pg);
  slice_release(&sl);

  /* The next pass: P2 is not in the list any more, P3 comes in a copy the
   * store refuses (seen all the same), P1 unchanged, on two pages. */
  assert_int_equal(st->ops->slice_reset(st, src, "products", "snapshot", &err), MS_OK);
  sl = ts_claim(st, src, "products", "snapshot", "w", 200, 600);
  assert_int_equal(sl.started_at, 200);
  page_init(&pg, &products_def);
  product(&pg, "P1", 10, "I1");
  ts_cursor(&pg, "p2");
  ts_commit(st, &sl, &pg, 201, &c);
  assert_int_equal(c.deleted, 0);
  page_release(&pg);
  page_init(&pg, &products_def);
  struct record *p3 = product(&pg, "P3", 30, "I3");
  free(p3->raw);
  p3->raw = NULL; /* refused: no raw JSON */
  ts_commit(st, &sl, &pg, 202, &c);
  page_release(&pg);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_int_equal(c.failed, 1);
  assert_int_equal(c.deleted, 2); /* P2, and its stock level by the cascade */
  assert_int_equal(sl.deleted, 2);

  ts_rows(st, &products_def, src, 0, &rows);
  assert_int_equal(rows.n, 2);
  assert_non_null(ts_find(&rows, "P1"));
  assert_non_null(ts_find(&rows, "P3"));
  assert_int_equal(ts_one(st, &products_def, src, "P2").deleted_at, 202);
  assert_int_equal(ts_one(st, &levels_def, src, "I2:L1").deleted_at, 202);
  ts_rows(st, &levels_def, src, 0, &rows);
  assert_int_equal(rows.n, 2);
  ts_rows(st, &products_def, other, 0, &rows);
  assert_int_equal(rows.n, 1);

  /* P2 is back in the list the pass after, unchanged: it exists after all. */
  assert_int_equal(st->ops->slice_reset(st, src, "products", "snapshot", &err), MS_OK);
  slice_release(&sl);
  sl = ts_claim(st, src, "products", "snapshot", "w", 300, 600);
  page_init(&pg, &products_def);
  product(&pg, "P1", 10, "I1");
  product(&pg, "P2", 10, "I2");
  product(&pg, "P3", 10, "I3");
  ts_commit(st, &sl, &pg, 301, &c);
  page_release(&pg);
  assert_int_equal(c.deleted, 0);
  assert_int_equal(c.unchanged, 3);
  assert_int_equal(ts_one(st, &products_def, src, "P2").deleted_at, 0);
  ts_rows(st, &products_def, src, 0, &rows);
  assert_int_equal(ts_find(&rows, "P2")->nkids[0], 1);
  slice_release(&sl);
  store_close(st);
}

/* ---- windows ------------------------------------------------------------------- */

static void customers(struct page *pg, const char *id, int64_t updated) {
  struct record *r = ts_rec(pg, id, 1, updated, id);
  ts_text(r, &customers_def, "email", "a@b.c");
  ts_text(r, &customers_def, "tags", "[\"vip\",\"b2b\"]");
}

static void test_window_watermark_moves_page_by_page(void **state) {
  struct err err = {0};
  struct page pg;
  (void)state;
  struct store *st = ts_store("window");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "customers", "modified", "w", 900, 600);
  assert_int_equal(sl.kind, SLICE_WINDOW);
  assert_int_equal(sl.watermark, 0);
  assert_int_equal(sl.pass_start, 0);

  /* The first page starts the pass at the API's clock. */
  page_init(&pg, &customers_def);
  customers(&pg, "1", 200);
  customers(&pg, "2", 300);
  pg.server_time = 1000;
  ts_cursor(&pg, "p2");
  ts_commit(st, &sl, &pg, 901, NULL);
  page_release(&pg);
  assert_int_equal(sl.pass_start, 1000);
  assert_int_equal(sl.watermark, 300);

  /* The pass moves it on... */
  page_init(&pg, &customers_def);
  customers(&pg, "3", 500);
  pg.server_time = 1010; /* not the pass's start any more */
  ts_cursor(&pg, "p3");
  ts_commit(st, &sl, &pg, 902, NULL);
  page_release(&pg);
  assert_int_equal(sl.pass_start, 1000);
  assert_int_equal(sl.watermark, 500);

  /* ...never back, and never past the pass's start: records changed since
   * it began may be missing from pages already read. */
  page_init(&pg, &customers_def);
  customers(&pg, "4", 400);
  ts_cursor(&pg, "p4");
  ts_commit(st, &sl, &pg, 903, NULL);
  page_release(&pg);
  assert_int_equal(sl.watermark, 500);
  page_init(&pg, &customers_def);
  customers(&pg, "5", 2000);
  ts_cursor(&pg, "p5");
  ts_commit(st, &sl, &pg, 904, NULL);
  page_release(&pg);
  assert_int_equal(sl.watermark, 1000);
  struct slice got = ts_get(st, src, "customers", "modified");
  assert_int_equal(got.watermark, 1000);
  assert_int_equal(got.pass_start, 1000);
  slice_release(&got);

  /* A commit that fails moves nothing. */
  struct slice stale = sl;
  stale.cursor = NULL;
  stale.follow = stale.follow_cursor = stale.last_error = NULL;
  stale.lease_token--;
  page_init(&pg, &customers_def);
  customers(&pg, "6", 999);
  assert_int_equal(st->ops->commit_page(st, &stale, &pg, 905, NULL, &err), MS_ELEASE);
  page_release(&pg);
  got = ts_get(st, src, "customers", "modified");
  assert_int_equal(got.watermark, 1000);
  slice_release(&got);

  /* The last page completes the pass; the next pass keeps the watermark
   * and starts again from an empty cursor. */
  page_init(&pg, &customers_def);
  ts_commit(st, &sl, &pg, 906, NULL);
  page_release(&pg);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_int_equal(st->ops->slice_reset(st, src, "customers", "modified", &err), MS_OK);
  got = ts_get(st, src, "customers", "modified");
  assert_int_equal(got.status, SLICE_PENDING);
  assert_int_equal(got.watermark, 1000);
  assert_int_equal(got.pass_start, 0);
  assert_int_equal(got.pages, 0);
  assert_int_equal(got.started_at, 0);
  assert_null(got.cursor);
  slice_release(&got);

  /* Without the API's clock the pass starts at its first page's newest
   * record. */
  slice_release(&sl);
  sl = ts_claim(st, src, "customers", "modified", "w", 2000, 600);
  page_init(&pg, &customers_def);
  customers(&pg, "7", 3000);
  customers(&pg, "8", 2500);
  ts_cursor(&pg, "p2");
  ts_commit(st, &sl, &pg, 2001, NULL);
  page_release(&pg);
  assert_int_equal(sl.pass_start, 3000);
  assert_int_equal(sl.watermark, 3000);
  slice_release(&sl);
  store_close(st);
}

/* A completed pass has seen every change before it began: its watermark
 * moves to its start, however old the records it found. */
static void test_completed_window_moves_to_its_start(void **state) {
  struct err err = {0};
  struct page pg;
  (void)state;
  struct store *st = ts_store("window_done");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "customers", "modified", "w", 900, 600);
  page_init(&pg, &customers_def);
  customers(&pg, "1", 200);
  pg.server_time = 1000;
  ts_commit(st, &sl, &pg, 901, NULL);
  page_release(&pg);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_int_equal(sl.watermark, 1000);
  /* A later pass without news still moves it on to its own start. */
  slice_release(&sl);
  assert_int_equal(st->ops->slice_reset(st, src, "customers", "modified", &err), MS_OK);
  sl = ts_claim(st, src, "customers", "modified", "w", 1500, 600);
  page_init(&pg, &customers_def);
  pg.server_time = 1600;
  ts_commit(st, &sl, &pg, 1501, NULL);
  page_release(&pg);
  assert_int_equal(sl.watermark, 1600);
  slice_release(&sl);
  store_close(st);
}

/* Pages out of update order say nothing about the records still to come:
 * the watermark moves only when the pass completes. */
static void test_unordered_window_moves_only_when_complete(void **state) {
  struct page pg;
  (void)state;
  struct store *st = ts_store("window_unordered");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "ucustomers", "modified", "w", 900, 600);
  page_init(&pg, &ucustomers_def);
  ts_rec(&pg, "1", 1, 700, "1");
  pg.server_time = 1000;
  ts_cursor(&pg, "p2");
  ts_commit(st, &sl, &pg, 901, NULL);
  page_release(&pg);
  assert_int_equal(sl.pass_start, 1000);
  assert_int_equal(sl.watermark, 0);
  page_init(&pg, &ucustomers_def);
  ts_rec(&pg, "2", 1, 300, "2");
  ts_commit(st, &sl, &pg, 902, NULL);
  page_release(&pg);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_int_equal(sl.watermark, 1000);
  slice_release(&sl);
  store_close(st);
}

/* A day keeps when its pass began by the API's clock: the first window of
 * its stream starts there. */
static void test_a_day_keeps_its_pass_start(void **state) {
  struct page pg;
  (void)state;
  struct store *st = ts_store("day_start");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "orders", "2025-03-01", "w", 900, 600);
  page_init(&pg, &orders_def);
  pg.server_time = 777;
  ts_cursor(&pg, "p2");
  ts_commit(st, &sl, &pg, 901, NULL);
  page_release(&pg);
  page_init(&pg, &orders_def);
  pg.server_time = 790;
  ts_commit(st, &sl, &pg, 902, NULL);
  page_release(&pg);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_int_equal(sl.pass_start, 777);
  assert_int_equal(sl.watermark, 0); /* days have no watermark */
  slice_release(&sl);
  store_close(st);
}

/* ---- record queries ------------------------------------------------------------ */

struct seen_orders {
  char v[16][80]; /* "source id created nitems" */
  int n;          /* how many */
};

static int collect_order(void *ctx, const struct record_view *o) {
  struct seen_orders *s = ctx;
  size_t status = ts_col(&orders_def, "status"), total = ts_col(&orders_def, "total_price"),
         cur = ts_col(&orders_def, "currency"), ful = ts_col(&orders_def, "fulfillment_status");
  assert_true(s->n < 16);
  assert_non_null(strstr(o->raw, o->external_id));
  assert_int_equal(o->nvals, 6);
  assert_string_equal(o->vals[status].text, "open");
  assert_string_equal(o->vals[total].text, "19.99");
  assert_int_equal(o->vals[total].i, 1999);
  assert_string_equal(o->vals[cur].text, "USD");
  assert_int_equal(o->vals[ful].set, 0); /* never set: NULL, not "" */
  assert_null(o->vals[ful].text);
  snprintf(s->v[s->n++], 80, "%s %s %lld %lld", o->source, o->external_id, (long long)o->created_at,
           (long long)o->nchildren[0]);
  return 0;
}

static void test_records_each_and_children_json(void **state) {
  struct err err = {0};
  struct seen_orders seen = {0};
  struct page pg;
  char *json = NULL;
  (void)state;
  struct store *st = ts_store("orders");
  int64_t a = ts_source(st, "alpha"), b = ts_source(st, "beta");
  struct slice sl = ts_claim(st, a, "orders", "2025-01-01", "w", 1, 60);
  page_init(&pg, &orders_def);
  ts_order(&pg, "3", 300, 300, "t", 1);
  ts_order(&pg, "1", 100, 100, "t", 2);
  ts_order(&pg, "2", 100, 100, "t", 0);
  struct record *four = ts_order(&pg, "4", 400, 400, "t", 3);
  /* A line kept only inside the order's raw JSON. */
  struct record *line = &four->kids[0].recs[1];
  free(line->raw);
  line->raw = NULL;
  line->raw_len = 0;
  ts_text(line, &items_def, "sku", "S\"Q");
  ts_commit(st, &sl, &pg, 2, NULL);
  page_release(&pg);
  slice_release(&sl);
  sl = ts_claim(st, b, "orders", "2025-01-01", "w", 1, 60);
  page_init(&pg, &orders_def);
  ts_order(&pg, "9", 100, 100, "t", 1);
  ts_commit(st, &sl, &pg, 2, NULL);
  page_release(&pg);
  slice_release(&sl);

  struct record_filter all = {.def = &orders_def};
  assert_int_equal(st->ops->records_each(st, &all, collect_order, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 5);
  assert_string_equal(seen.v[0], "alpha 1 100 2");
  assert_string_equal(seen.v[1], "alpha 2 100 0");
  assert_string_equal(seen.v[2], "alpha 3 300 1");
  assert_string_equal(seen.v[3], "alpha 4 400 3");
  assert_string_equal(seen.v[4], "beta 9 100 1");

  memset(&seen, 0, sizeof(seen));
  struct record_filter f = {
      .def = &orders_def, .source_id = a, .created_from = 100, .created_to = 400};
  assert_int_equal(st->ops->records_each(st, &f, collect_order, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 3);
  assert_string_equal(seen.v[0], "alpha 1 100 2");
  assert_string_equal(seen.v[2], "alpha 3 300 1");

  memset(&seen, 0, sizeof(seen));
  struct record_filter only_b = {.def = &orders_def, .source_id = b};
  assert_int_equal(st->ops->records_each(st, &only_b, collect_order, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 1);
  struct record_filter unknown = {.def = &orders_def, .source_id = 999};
  memset(&seen, 0, sizeof(seen));
  assert_int_equal(st->ops->records_each(st, &unknown, collect_order, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 0);
  struct record_filter child = {.def = &items_def};
  assert_int_equal(st->ops->records_each(st, &child, collect_order, &seen, &err), MS_EINVAL);

  json = ts_kids_json(st, a, &items_def, "1");
  assert_string_equal(json, "[{\"line\":\"1-0\",\"tag\":\"t\"},{\"line\":\"1-1\",\"tag\":\"t\"}]");
  free(json);
  json = ts_kids_json(st, a, &items_def, "4");
  assert_string_equal(json, "[{\"line\":\"4-0\",\"tag\":\"t\"},"
                            "{\"id\":\"4-1\",\"sku\":\"S\\\"Q\",\"title\":null,\"quantity\":1,"
                            "\"price\":\"5.00\",\"currency\":\"USD\"},"
                            "{\"line\":\"4-2\",\"tag\":\"t\"}]");
  free(json);
  json = ts_kids_json(st, a, &items_def, "2");
  assert_string_equal(json, "[]");
  free(json);
  assert_int_equal(st->ops->children_json(st, a, &orders_def, "1", &json, &err), MS_EINVAL);
  store_close(st);
}

struct incomplete_seen {
  char v[16][40]; /* "id created what" */
  int n;          /* how many */
};

static int collect_incomplete(void *ctx, const char *id, int64_t created, int what) {
  struct incomplete_seen *s = ctx;
  assert_true(s->n < 16);
  snprintf(s->v[s->n++], 40, "%s %lld %d", id, (long long)created, what);
  return 0;
}

static void test_records_incomplete(void **state) {
  struct incomplete_seen seen = {0};
  struct err err = {0};
  struct page pg;
  (void)state;
  struct store *st = ts_store("incomplete");
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "orders", "2025-06-01", "w", 1, 600);
  page_init(&pg, &orders_def);
  ts_order(&pg, "ok", 10, 10, "t", 1);
  ts_money(ts_order(&pg, "no-total", 11, 10, "t", 1), &orders_def, "total_price", NULL, 0);
  ts_order(&pg, "no-items", 12, 10, "t", 0);
  struct record *zero = ts_order(&pg, "zero-price", 13, 10, "t", 2);
  ts_money(&zero->kids[0].recs[1], &items_def, "price", "0.00", 0);
  struct record *est = ts_order(&pg, "estimated", 14, 10, "t", 1);
  ts_money(&est->kids[0].recs[0], &items_def, "price", NULL, 0);
  struct record *both = ts_order(&pg, "both", 15, 10, "t", 0);
  ts_money(both, &orders_def, "total_price", NULL, 0);
  ts_money(ts_order(&pg, "free", 17, 10, "t", 1), &orders_def, "total_price", "0.00", 0);
  ts_order(&pg, "later", 99, 10, "t", 0);
  ts_order(&pg, "deleted", 16, 10, "t", 0);
  ts_commit(st, &sl, &pg, 2, NULL);
  page_release(&pg);
  slice_release(&sl);
  assert_int_equal(
      st->ops->child_estimate(st, src, &items_def, "estimated", "estimated-0", "5.00", 500, &err),
      MS_OK);
  /* A deleted order is not worth fetching again: mark one through a
   * deletion stream of orders. */
  static const struct stream_def order_deletions = {.name = "order_deletions",
                                                    .table = "order_deletions",
                                                    .slicing = SLICING_BY_UPDATES,
                                                    .key = "id",
                                                    .flags = STREAM_DELETIONS};
  sl = ts_claim(st, src, "order_deletions", "modified", "w", 3, 60);
  page_init(&pg, &order_deletions);
  struct record *d = page_add(&pg);
  d->external_id = strdup("event-1");
  d->raw = strdup("{}");
  d->gone_from = &orders_def;
  d->gone_id = strdup("deleted");
  ts_commit(st, &sl, &pg, 4, NULL);
  page_release(&pg);
  slice_release(&sl);

  assert_int_equal(
      st->ops->records_incomplete(st, src, &orders_def, 0, 50, collect_incomplete, &seen, &err),
      MS_OK);
  assert_int_equal(seen.n, 4);
  assert_string_equal(seen.v[0], "no-total 11 1");
  assert_string_equal(seen.v[1], "no-items 12 2");
  assert_string_equal(seen.v[2], "zero-price 13 4");
  assert_string_equal(seen.v[3], "both 15 3");
  memset(&seen, 0, sizeof(seen));
  assert_int_equal(
      st->ops->records_incomplete(st, src, &orders_def, 12, 14, collect_incomplete, &seen, &err),
      MS_OK);
  assert_int_equal(seen.n, 2);
  assert_int_equal(
      st->ops->records_incomplete(st, src, &items_def, 0, 50, collect_incomplete, &seen, &err),
      MS_EINVAL);
  store_close(st);
}

/* The store and source an estimating callback works in. */
struct estimating {
  struct store *st; /* the store */
  int64_t src;      /* the source */
};

/* What the engine does with the store's answers: a unit price times the
 * quantity, written with the currency's exponent. */
static int estimate_all(void *ctx, const struct unpriced_child *c) {
  struct estimating *e = ctx;
  struct store *st = e->st;
  struct err err = {0};
  int64_t minor = 0, qty = 0;
  char amount[32];
  int rc =
      st->ops->child_price_known(st, e->src, &items_def, c->sku, c->currency, &minor, &qty, &err);
  if (rc == MS_ENOTFOUND)
    return MS_OK;
  assert_int_equal(rc, MS_OK);
  money_format(minor / qty * c->quantity, c->currency, amount, sizeof(amount));
  assert_int_equal(st->ops->child_estimate(st, e->src, &items_def, c->parent_id, c->child_id,
                                           amount, minor / qty * c->quantity, &err),
                   MS_OK);
  return MS_OK;
}

/* An order in `currency` with one line of `sku`: `qty` units at `minor`
 * (NULL amount: no price). */
static void priced_order(struct page *pg, const char *id, int64_t created, int64_t updated,
                         const char *sku, int64_t qty, const char *amount, int64_t minor,
                         const char *currency) {
  struct record *o = ts_order(pg, id, created, updated, "t", 1);
  struct record *k = &o->kids[0].recs[0];
  free(k->raw); /* kept in the order's: children_json shows its columns */
  k->raw = NULL;
  k->raw_len = 0;
  ts_text(o, &orders_def, "currency", currency);
  ts_text(k, &items_def, "sku", sku);
  ts_int(k, &items_def, "quantity", qty);
  ts_money(k, &items_def, "price", amount, minor);
  ts_text(k, &items_def, "currency", currency);
}

static void test_unpriced_children_and_estimates(void **state) {
  struct unpriced_seen seen = {0};
  struct err err = {0};
  int64_t minor = 0, qty = 0;
  struct page pg;
  (void)state;
  struct store *st = ts_store("unpriced");
  int64_t src = ts_source(st, "s");
  struct estimating est = {st, src};
  struct slice sl = ts_claim(st, src, "orders", "2025-07-01", "w", 1, 600);
  page_init(&pg, &orders_def);
  /* Known prices: the latest (by the order's update time) counts. */
  priced_order(&pg, "old", 1, 50, "CUP", 2, "3000", 3000, "JPY");
  priced_order(&pg, "new", 2, 60, "CUP", 4, "8000", 8000, "JPY");
  priced_order(&pg, "gold", 3, 60, "RING", 1, "1.250", 1250, "BHD");
  /* Sales without a price. */
  priced_order(&pg, "u1", 10, 10, "CUP", 3, NULL, 0, "JPY");
  priced_order(&pg, "u2", 11, 10, "RING", 2, "0.000", 0, "BHD");
  priced_order(&pg, "u3", 12, 10, "MUG", 1, NULL, 0, "USD");
  priced_order(&pg, "u4", 99, 10, "CUP", 1, NULL, 0, "JPY");
  ts_commit(st, &sl, &pg, 2, NULL);
  page_release(&pg);
  slice_release(&sl);

  assert_int_equal(
      st->ops->children_unpriced(st, src, &items_def, 0, 50, collect_unpriced, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 3);
  assert_string_equal(seen.v[0], "u1 u1-0 CUP 3 JPY");
  assert_string_equal(seen.v[1], "u2 u2-0 RING 2 BHD");
  assert_string_equal(seen.v[2], "u3 u3-0 MUG 1 USD");
  assert_int_equal(
      st->ops->child_price_known(st, src, &items_def, "CUP", "JPY", &minor, &qty, &err), MS_OK);
  assert_int_equal(minor, 8000);
  assert_int_equal(qty, 4);
  assert_int_equal(
      st->ops->child_price_known(st, src, &items_def, "CUP", "USD", &minor, &qty, &err),
      MS_ENOTFOUND);
  assert_int_equal(
      st->ops->child_price_known(st, src, &items_def, "MUG", "USD", &minor, &qty, &err),
      MS_ENOTFOUND);

  /* The callbacks may write the estimates as they go. */
  assert_int_equal(st->ops->children_unpriced(st, src, &items_def, 0, 50, estimate_all, &est, &err),
                   MS_OK);
  /* Each in its currency's exponent: 8000 yen for 4 cups is 2000 a cup,
   * 1.250 dinars a ring. */
  char *json = ts_kids_json(st, src, &items_def, "u1");
  assert_non_null(strstr(json, "\"quantity\":3,\"price\":\"6000\",\"currency\":\"JPY\""));
  free(json);
  json = ts_kids_json(st, src, &items_def, "u2");
  assert_non_null(strstr(json, "\"price\":\"2.500\",\"currency\":\"BHD\""));
  free(json);
  struct ts_rows rows;
  memset(&seen, 0, sizeof(seen));
  assert_int_equal(
      st->ops->children_unpriced(st, src, &items_def, 0, 50, collect_unpriced, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 1);
  assert_string_equal(seen.v[0], "u3 u3-0 MUG 1 USD");
  ts_rows(st, &orders_def, src, 0, &rows);
  assert_int_equal(rows.n, 7);
  /* An estimate is not a real price. */
  assert_int_equal(
      st->ops->child_price_known(st, src, &items_def, "CUP", "JPY", &minor, &qty, &err), MS_OK);
  assert_int_equal(minor, 8000);
  struct incomplete_seen inc = {0};
  assert_int_equal(
      st->ops->records_incomplete(st, src, &orders_def, 0, 50, collect_incomplete, &inc, &err),
      MS_OK);
  assert_int_equal(inc.n, 1);
  assert_string_equal(inc.v[0], "u3 12 4");
  assert_int_equal(
      st->ops->children_unpriced(st, src, &variants_def, 0, 50, collect_unpriced, &seen, &err),
      MS_EINVAL);
  assert_non_null(strstr(err.msg, "quantity"));
  store_close(st);
}

/* ---- runs ---------------------------------------------------------------------- */

struct run_ids {
  int64_t started[8]; /* started_at in callback order */
  int n;              /* how many */
};

static int collect_run(void *ctx, const struct run_row *r) {
  struct run_ids *ids = ctx;
  assert_true(ids->n < 8);
  ids->started[ids->n++] = r->started_at;
  if (r->status[0] == 'c') {
    assert_int_equal(r->inserted, 7);
    assert_int_equal(r->rate_limited, 3);
    assert_int_equal(r->finished_at, 99);
    assert_string_equal(r->scope, "s 2025-01-01..2025-01-02");
  }
  return 0;
}

static void test_runs(void **state) {
  struct err err = {0};
  struct run_ids ids = {0};
  (void)state;
  struct store *st = ts_store("runs");
  static const int64_t starts[] = {10, 30, 20};
  struct run_row r = {0};
  for (int i = 0; i < 3; i++) {
    memset(&r, 0, sizeof(r));
    snprintf(r.trigger, sizeof(r.trigger), "cli");
    snprintf(r.status, sizeof(r.status), "running");
    r.scope = "s 2025-01-01..2025-01-02";
    r.started_at = starts[i];
    r.pid = 42;
    assert_int_equal(st->ops->run_start(st, &r, &err), MS_OK);
    assert_true(r.id > 0);
  }
  r.finished_at = 99;
  r.inserted = 7;
  r.rate_limited = 3;
  snprintf(r.status, sizeof(r.status), "completed");
  assert_int_equal(st->ops->run_update(st, &r, &err), MS_OK);
  assert_int_equal(st->ops->run_list(st, 0, collect_run, &ids, &err), MS_OK);
  assert_int_equal(ids.n, 3);
  assert_int_equal(ids.started[0], 30);
  assert_int_equal(ids.started[1], 20);
  assert_int_equal(ids.started[2], 10);
  memset(&ids, 0, sizeof(ids));
  assert_int_equal(st->ops->run_list(st, 2, collect_run, &ids, &err), MS_OK);
  assert_int_equal(ids.n, 2);
  r.id = 999;
  assert_int_equal(st->ops->run_update(st, &r, &err), MS_ENOTFOUND);
  r.status[0] = '\0';
  assert_int_equal(st->ops->run_update(st, &r, &err), MS_EINVAL);
  store_close(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sources_add_get_update_remove),
      cmocka_unit_test(test_source_remove_takes_everything_with_it),
      cmocka_unit_test(test_claim_busy_and_expired_takeover),
      cmocka_unit_test(test_write_group),
      cmocka_unit_test(test_slice_fail_keeps_cursor),
      cmocka_unit_test(test_restart_release_and_reset),
      cmocka_unit_test(test_slice_list_filters),
      cmocka_unit_test(test_seed_makes_a_work_list),
      cmocka_unit_test(test_upsert_counts_and_monotonic_updates),
      cmocka_unit_test(test_copies_in_one_page_count_once_each),
      cmocka_unit_test(test_records_without_an_update_time_change_when_they_differ),
      cmocka_unit_test(test_children_at_every_depth_are_replaced),
      cmocka_unit_test(test_stale_lease_writes_nothing),
      cmocka_unit_test(test_last_page_completes_slice),
      cmocka_unit_test(test_follow_ups_queue_and_complete),
      cmocka_unit_test(test_a_restarted_day_does_not_fetch_stored_items_again),
      cmocka_unit_test(test_invalid_records_kept_aside),
      cmocka_unit_test(test_unreadable_record_kept_aside),
      cmocka_unit_test(test_failed_resolve_stores_the_record),
      cmocka_unit_test(test_tables_from_descriptions_shared_and_extended),
      cmocka_unit_test(test_local_columns_are_kept),
      cmocka_unit_test(test_deletions_take_children_and_cascades),
      cmocka_unit_test(test_snapshot_marks_what_it_did_not_see),
      cmocka_unit_test(test_window_watermark_moves_page_by_page),
      cmocka_unit_test(test_completed_window_moves_to_its_start),
      cmocka_unit_test(test_unordered_window_moves_only_when_complete),
      cmocka_unit_test(test_a_day_keeps_its_pass_start),
      cmocka_unit_test(test_records_each_and_children_json),
      cmocka_unit_test(test_records_incomplete),
      cmocka_unit_test(test_unpriced_children_and_estimates),
      cmocka_unit_test(test_runs),
  };
  return cmocka_run_group_tests(tests, ts_make_tmpdir, ts_remove_tmpdir);
}
