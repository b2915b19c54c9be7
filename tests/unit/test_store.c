/* The store over real SQLite files in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/migrations.h"
#include "store/store.h"

static char tmpdir[512];

/* ---- helpers --------------------------------------------------------- */

static void path_for(const char *name, char *out, size_t size) {
  int n = snprintf(out, size, "%s/%s", tmpdir, name);
  assert_true(n > 0 && (size_t)n < size);
}

static struct store *open_ok(const char *path) {
  struct store *st = NULL;
  struct err err = {0};
  int rc = store_open(path, &st, &err);
  if (rc)
    fail_msg("store_open(%s): %d %s", path, rc, err.msg);
  assert_non_null(st);
  return st;
}

static int64_t add_source(struct store *st, const char *name) {
  struct source_row s = {0};
  struct err err = {0};
  snprintf(s.name, sizeof(s.name), "%s", name);
  snprintf(s.connector, sizeof(s.connector), "shopify");
  s.settings = "{\"shop\":\"x\"}";
  s.credentials = "{\"token_env\":\"T\"}";
  assert_int_equal(st->ops->source_add(st, &s, &err), MS_OK);
  assert_true(s.id > 0);
  return s.id;
}

static struct civil_date day(int y, int m, int d) {
  struct civil_date c = {y, m, d};
  return c;
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  char *s = strdup(buf);
  assert_non_null(s);
  return s;
}

/* Appends order `id` with `nitems` lines; `tag` marks this copy's raw JSON. */
static void add_order(struct page *pg, const char *id, int64_t created, int64_t updated,
                      const char *tag, size_t nitems) {
  struct record *r = page_add(pg);
  assert_non_null(r);
  r->external_id = strdup(id);
  r->name = dupf("#%s", id);
  r->created_at = created;
  r->updated_at = updated;
  r->status = strdup("open");
  r->financial_status = strdup("paid");
  assert_int_equal(money_set(&r->total, "19.99", "USD"), MS_OK);
  r->raw = dupf("{\"id\":\"%s\",\"tag\":\"%s\"}", id, tag);
  r->raw_len = strlen(r->raw);
  r->items_included = 1;
  if (!nitems)
    return;
  r->items = calloc(nitems, sizeof(*r->items));
  assert_non_null(r->items);
  r->nitems = nitems;
  for (size_t j = 0; j < nitems; j++) {
    struct record_item *it = &r->items[j];
    it->external_id = dupf("%s-%zu", id, j);
    it->sku = dupf("SKU%zu", j);
    it->quantity = 1;
    assert_int_equal(money_set(&it->price, "5.00", "USD"), MS_OK);
    it->raw = dupf("{\"line\":\"%s-%zu\",\"tag\":\"%s\"}", id, j, tag);
  }
}

static void set_cursor(struct page *pg, const char *next) {
  free(pg->next_cursor);
  pg->next_cursor = next ? strdup(next) : NULL;
}

/* One integer from the file through a separate connection. */
static int64_t q_int(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  sqlite3_stmt *q = NULL;
  int64_t v = -1;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  if (sqlite3_step(q) == SQLITE_ROW)
    v = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  sqlite3_close(db);
  return v;
}

static void q_exec(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  char *msg = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
    fail_msg("%s: %s", sql, msg);
  sqlite3_close(db);
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  long n = ftell(f);
  assert_true(n >= 0);
  rewind(f);
  char *data = malloc((size_t)n + 1);
  assert_non_null(data);
  assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return data;
}

static void write_all(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static int known_schema(void) {
  int v = 0;
  for (const struct migration *m = ms_migrations; m->number; m++)
    if (m->number > v)
      v = m->number;
  return v;
}

static struct slice claim_ok(struct store *st, int64_t src, struct civil_date d, const char *owner,
                             int64_t now, int lease) {
  struct slice sl;
  struct err err = {0};
  int rc = st->ops->slice_claim(st, src, "orders", d, owner, now, lease, &sl, &err);
  if (rc)
    fail_msg("claim: %d %s", rc, err.msg);
  return sl;
}

static void commit_ok(struct store *st, struct slice *sl, struct page *pg, int64_t now,
                      struct page_counts *c) {
  struct err err = {0};
  int rc = st->ops->commit_page(st, sl, pg, now, c, &err);
  if (rc)
    fail_msg("commit_page: %d %s", rc, err.msg);
}

static struct slice get_ok(struct store *st, int64_t src, struct civil_date d) {
  struct slice sl;
  struct err err = {0};
  int rc = st->ops->slice_get(st, src, "orders", d, &sl, &err);
  if (rc)
    fail_msg("slice_get: %d %s", rc, err.msg);
  return sl;
}

/* ---- opening and migrations ----------------------------------------- */

static void test_registry(void **state) {
  struct store *st = (struct store *)1;
  struct err err = {0};
  (void)state;
  assert_non_null(store_backend("sqlite"));
  assert_string_equal(store_backend("sqlite")->name, "sqlite");
  assert_null(store_backend("oracle"));
  assert_int_equal(store_open("postgres://u@h/db", &st, &err), MS_EINVAL);
  assert_null(st);
  assert_non_null(strstr(err.msg, "PostgreSQL support is not built yet"));
  assert_int_equal(store_open("postgresql://h/db", &st, &err), MS_EINVAL);
  assert_int_equal(store_open("", &st, &err), MS_EINVAL);
  store_close(NULL);
}

static void test_migrations_create_schema_once(void **state) {
  char path[600];
  struct err err = {0};
  struct source_row got = {0};
  int version = 0;
  (void)state;
  path_for("migrate.db", path, sizeof(path));
  struct store *st = open_ok(path);
  assert_int_equal(st->ops->schema_version(st, &version), MS_OK);
  assert_int_equal(version, known_schema());
  assert_true(version >= 1);
  add_source(st, "kept");
  store_close(st);

  static const char *const tables[] = {
      "schema_migrations", "sources", "slices", "runs", "orders", "order_items", "failed_records"};
  for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
             "name = '%s'",
             tables[i]);
    assert_int_equal(q_int(path, sql), 1);
  }
  assert_int_equal(q_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'slices_status'"),
                   1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM schema_migrations"), known_schema());
  /* WAL is a property of the file: a fresh connection sees it. */
  assert_int_equal(q_int(path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);

  int64_t cookie = q_int(path, "PRAGMA schema_version");
  int64_t applied = q_int(path, "SELECT sum(applied_at) FROM schema_migrations");
  st = open_ok(path);
  assert_int_equal(st->ops->source_get(st, "kept", &got, &err), MS_OK);
  source_row_release(&got);
  store_close(st);
  /* The second open changed no schema and re-applied nothing. */
  assert_int_equal(q_int(path, "PRAGMA schema_version"), cookie);
  assert_int_equal(q_int(path, "SELECT sum(applied_at) FROM schema_migrations"), applied);
  assert_int_equal(q_int(path, "SELECT count(*) FROM schema_migrations"), known_schema());
}

static void test_newer_database_is_refused_untouched(void **state) {
  char path[600], wal[620];
  struct store *st = NULL;
  struct err err = {0};
  size_t before_len, after_len;
  (void)state;
  path_for("newer.db", path, sizeof(path));
  store_close(open_ok(path));
  q_exec(path, "INSERT INTO schema_migrations VALUES (7, '0007_future.sql', 1)");
  char *before = read_all(path, &before_len);

  assert_int_equal(store_open(path, &st, &err), MS_EVERSION);
  assert_null(st);
  assert_int_equal(err.code, MS_EVERSION);
  char want[64];
  snprintf(want, sizeof(want), "schema 7, this build knows up to %d", known_schema());
  assert_non_null(strstr(err.msg, want));
  assert_non_null(strstr(err.msg, "upgrade marketsync"));
  assert_non_null(strstr(err.msg, path));

  char *after = read_all(path, &after_len);
  assert_int_equal(after_len, before_len);
  assert_memory_equal(after, before, before_len);
  snprintf(wal, sizeof(wal), "%s-wal", path);
  struct stat sb;
  assert_true(stat(wal, &sb) != 0 || sb.st_size == 0);
  free(before);
  free(after);
}

static void expect_damaged(const char *path) {
  struct store *st = NULL;
  struct err err = {0};
  int rc = store_open(path, &st, &err);
  if (rc != MS_EDB)
    fail_msg("%s: want MS_EDB, got %d (%s)", path, rc, err.msg);
  assert_null(st);
  assert_non_null(strstr(err.msg, "is not a marketsync database or is damaged"));
  assert_non_null(strstr(err.msg, path));
}

static void test_garbage_and_damaged_files(void **state) {
  char path[600];
  size_t len, after_len;
  (void)state;

  path_for("garbage.db", path, sizeof(path));
  static const char junk[] = "order_id,total\n1001,19.99\n1002,5.00\n"
                             "this is a CSV export, not a database at all......................"
                             "................................................................";
  write_all(path, junk, sizeof(junk) - 1);
  expect_damaged(path);
  struct err err = {0};
  struct store *st = NULL;
  assert_int_equal(store_open(path, &st, &err), MS_EDB);
  assert_non_null(strstr(err.msg, "file is not a database"));
  char *after = read_all(path, &after_len);
  assert_int_equal(after_len, sizeof(junk) - 1);
  assert_memory_equal(after, junk, after_len);
  free(after);

  /* A real marketsync file whose first page was scribbled over. */
  path_for("damaged.db", path, sizeof(path));
  st = open_ok(path);
  add_source(st, "a");
  store_close(st);
  char *data = read_all(path, &len);
  assert_true(len > 4096);
  memset(data + 100, 0xA5, 4096 - 100);
  write_all(path, data, len);
  free(data);
  expect_damaged(path);

  /* Another program's SQLite file is not ours to migrate. */
  path_for("foreign.db", path, sizeof(path));
  q_exec(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
  expect_damaged(path);
  assert_int_equal(q_int(path, "SELECT count(*) FROM sqlite_schema"), 1);
}

/* ---- sources --------------------------------------------------------- */

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
  char path[600];
  struct err err = {0};
  struct source_row s = {0}, got = {0};
  struct names names = {0};
  (void)state;
  path_for("sources.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t a = add_source(st, "shop-b");
  int64_t b = add_source(st, "shop-a");
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

static void test_source_remove_cascades(void **state) {
  char path[600];
  struct err err = {0};
  struct page pg;
  (void)state;
  path_for("cascade.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t gone = add_source(st, "gone");
  int64_t kept = add_source(st, "kept");
  int64_t ids[2] = {gone, kept};
  for (int i = 0; i < 2; i++) {
    struct slice sl = claim_ok(st, ids[i], day(2025, 3, 1), "w", 100, 60);
    page_init(&pg);
    add_order(&pg, "1", 10, 10, "v1", 3);
    add_order(&pg, "2", 10, 10, "v1", 2);
    commit_ok(st, &sl, &pg, 100, NULL);
    page_release(&pg);
    slice_release(&sl);
    assert_int_equal(st->ops->slice_ensure(st, ids[i], "refunds", day(2025, 3, 2), &err), MS_OK);
  }
  assert_int_equal(st->ops->source_remove(st, "gone", &err), MS_OK);
  char sql[160];
  static const char *const tables[] = {"slices", "orders", "order_items"};
  static const int64_t kept_rows[] = {2, 2, 5};
  for (int i = 0; i < 3; i++) {
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE source_id = %lld", tables[i],
             (long long)gone);
    assert_int_equal(q_int(path, sql), 0);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE source_id = %lld", tables[i],
             (long long)kept);
    assert_int_equal(q_int(path, sql), kept_rows[i]);
  }
  assert_int_equal(st->ops->source_remove(st, "gone", &err), MS_ENOTFOUND);
  store_close(st);
}

/* ---- slices ---------------------------------------------------------- */

static void test_claim_busy_and_expired_takeover(void **state) {
  char path[600];
  struct err err = {0};
  struct slice sl, other;
  struct page pg;
  (void)state;
  path_for("claim.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct civil_date d = day(2025, 1, 2);

  sl = claim_ok(st, src, d, "w1", 1000, 60);
  assert_int_equal(sl.source_id, src);
  assert_string_equal(sl.stream, "orders");
  assert_int_equal(date_cmp(sl.day, d), 0);
  assert_int_equal(sl.status, SLICE_IN_PROGRESS);
  assert_string_equal(sl.lease_owner, "w1");
  assert_int_equal(sl.lease_token, 1);
  assert_int_equal(sl.lease_expires, 1060);
  assert_int_equal(sl.started_at, 1000);
  assert_null(sl.cursor);

  page_init(&pg);
  add_order(&pg, "1", 10, 10, "v1", 1);
  set_cursor(&pg, "page-2");
  commit_ok(st, &sl, &pg, 1010, NULL);
  page_release(&pg);

  /* Another worker while the lease holds. */
  assert_int_equal(st->ops->slice_claim(st, src, "orders", d, "w2", 1030, 60, &other, &err),
                   MS_EHELD);
  assert_non_null(strstr(err.msg, "w1"));
  assert_int_equal(q_int(path, "SELECT lease_token FROM slices"), 1);

  /* The holder renews: a new token. */
  slice_release(&sl);
  sl = claim_ok(st, src, d, "w1", 1030, 60);
  assert_int_equal(sl.lease_token, 2);
  assert_int_equal(sl.lease_expires, 1090);

  /* Expired: another worker takes over where the cursor stands. */
  other = claim_ok(st, src, d, "w2", 1090, 60);
  assert_string_equal(other.lease_owner, "w2");
  assert_int_equal(other.lease_token, 3);
  assert_int_equal(other.started_at, 1000);
  assert_string_equal(other.cursor, "page-2");
  assert_int_equal(other.pages, 1);

  /* A completed slice can be claimed again. */
  page_init(&pg);
  commit_ok(st, &other, &pg, 1100, NULL);
  assert_int_equal(other.status, SLICE_COMPLETED);
  page_release(&pg);
  slice_release(&other);
  other = claim_ok(st, src, d, "w3", 1200, 60);
  assert_int_equal(other.status, SLICE_IN_PROGRESS);
  assert_int_equal(other.lease_token, 4);
  slice_release(&other);
  slice_release(&sl);

  assert_int_equal(st->ops->slice_claim(st, 9999, "orders", d, "w1", 1, 60, &other, &err),
                   MS_ENOTFOUND);
  assert_int_equal(st->ops->slice_claim(st, src, "orders", d, "", 1, 60, &other, &err), MS_EINVAL);
  store_close(st);
}

static void test_slice_fail_keeps_cursor(void **state) {
  char path[600];
  struct err err = {0};
  struct page pg;
  (void)state;
  path_for("fail.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct civil_date d = day(2025, 1, 3);
  struct slice sl = claim_ok(st, src, d, "w1", 100, 60);
  page_init(&pg);
  add_order(&pg, "1", 10, 10, "v1", 1);
  set_cursor(&pg, "c2");
  commit_ok(st, &sl, &pg, 110, NULL);

  assert_int_equal(st->ops->slice_fail(st, &sl, SLICE_FAILED, "HTTP 500\nserver said no", &err),
                   MS_OK);
  struct slice got = get_ok(st, src, d);
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

  sl = claim_ok(st, src, d, "w2", 200, 60);
  assert_string_equal(sl.cursor, "c2");
  assert_int_equal(st->ops->slice_fail(st, &sl, SLICE_PENDING, "timeout", &err), MS_OK);
  got = get_ok(st, src, d);
  assert_int_equal(got.status, SLICE_PENDING);
  assert_int_equal(got.retries, 2);
  slice_release(&got);
  slice_release(&sl);

  /* A good page clears the retry count and the error. */
  sl = claim_ok(st, src, d, "w2", 300, 60);
  commit_ok(st, &sl, &pg, 310, NULL);
  assert_int_equal(sl.retries, 0);
  assert_null(sl.last_error);
  got = get_ok(st, src, d);
  assert_int_equal(got.retries, 0);
  assert_null(got.last_error);
  slice_release(&got);
  assert_int_equal(st->ops->slice_fail(st, &sl, SLICE_COMPLETED, "x", &err), MS_EINVAL);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

static void test_restart_release_and_reset(void **state) {
  char path[600];
  struct err err = {0};
  struct page pg;
  (void)state;
  path_for("restart.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct civil_date d = day(2025, 1, 4);
  struct slice sl = claim_ok(st, src, d, "w1", 100, 60);
  page_init(&pg);
  add_order(&pg, "1", 10, 10, "v1", 1);
  set_cursor(&pg, "c2");
  commit_ok(st, &sl, &pg, 110, NULL);

  assert_int_equal(st->ops->slice_restart(st, &sl, "cursor expired", &err), MS_OK);
  struct slice got = get_ok(st, src, d);
  assert_null(got.cursor);
  assert_int_equal(got.status, SLICE_IN_PROGRESS);
  assert_int_equal(got.pages, 1);
  assert_string_equal(got.last_error, "cursor expired");
  slice_release(&got);

  set_cursor(&pg, "c3");
  commit_ok(st, &sl, &pg, 120, NULL);
  assert_int_equal(st->ops->slice_release(st, &sl, &err), MS_OK);
  got = get_ok(st, src, d);
  assert_int_equal(got.status, SLICE_PENDING);
  assert_string_equal(got.cursor, "c3");
  assert_string_equal(got.lease_owner, "");
  assert_int_equal(got.pages, 2);
  slice_release(&got);
  assert_int_equal(st->ops->slice_release(st, &sl, &err), MS_ELEASE);
  assert_int_equal(st->ops->slice_restart(st, &sl, "x", &err), MS_ELEASE);
  slice_release(&sl);

  /* Reset clears progress and fences out whoever held the slice. */
  sl = claim_ok(st, src, d, "w1", 200, 60);
  assert_int_equal(st->ops->slice_reset(st, src, "orders", d, &err), MS_OK);
  got = get_ok(st, src, d);
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
  assert_int_equal(st->ops->slice_reset(st, src, "orders", day(2025, 1, 5), &err), MS_OK);
  got = get_ok(st, src, day(2025, 1, 5));
  assert_int_equal(got.status, SLICE_PENDING);
  slice_release(&got);
  assert_int_equal(st->ops->slice_get(st, src, "orders", day(2025, 1, 6), &got, &err),
                   MS_ENOTFOUND);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

struct listed {
  char v[16][64];         /* "day stream source" per slice */
  int n;                  /* how many */
  struct store *claim_in; /* when set, claims each slice from the callback */
};

static int collect_slice(void *ctx, const struct slice *sl) {
  struct listed *l = ctx;
  char d[DATE_STR_LEN];
  assert_true(l->n < 16);
  date_format(sl->day, d);
  snprintf(l->v[l->n++], 64, "%s %s %lld", d, sl->stream, (long long)sl->source_id);
  if (l->claim_in) {
    struct slice got;
    struct err err = {0};
    int rc = l->claim_in->ops->slice_claim(l->claim_in, sl->source_id, sl->stream, sl->day, "cb",
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
  char path[600];
  struct err err = {0};
  struct listed l = {0};
  (void)state;
  path_for("list.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t a = add_source(st, "a"), b = add_source(st, "b");
  assert_int_equal(st->ops->slice_ensure(st, b, "orders", day(2025, 1, 1), &err), MS_OK);
  assert_int_equal(st->ops->slice_ensure(st, a, "refunds", day(2025, 1, 1), &err), MS_OK);
  assert_int_equal(st->ops->slice_ensure(st, a, "orders", day(2025, 1, 1), &err), MS_OK);
  assert_int_equal(st->ops->slice_ensure(st, a, "orders", day(2025, 1, 1), &err), MS_OK);
  /* day 2: completed; day 3: failed; day 4: held until 1060; day 5: expired at 560 */
  struct page pg;
  page_init(&pg);
  struct slice sl = claim_ok(st, a, day(2025, 1, 2), "w", 100, 60);
  commit_ok(st, &sl, &pg, 100, NULL);
  slice_release(&sl);
  sl = claim_ok(st, a, day(2025, 1, 3), "w", 100, 60);
  assert_int_equal(st->ops->slice_fail(st, &sl, SLICE_FAILED, "boom", &err), MS_OK);
  slice_release(&sl);
  sl = claim_ok(st, a, day(2025, 1, 4), "w", 1000, 60);
  slice_release(&sl);
  sl = claim_ok(st, a, day(2025, 1, 5), "w", 500, 60);
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

  /* A callback may claim the slice it is given. */
  l.claim_in = st;
  list(st, &open, &l);
  assert_int_equal(l.n, 5);
  l.claim_in = NULL;
  list(st, &open, &l);
  assert_int_equal(l.n, 0);
  store_close(st);
}

/* ---- commit_page ----------------------------------------------------- */

static void test_upsert_counts_and_monotonic_updates(void **state) {
  char path[600], sql[200];
  struct page_counts c;
  struct page pg;
  (void)state;
  path_for("upsert.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct civil_date d = day(2025, 2, 1);
  struct slice sl = claim_ok(st, src, d, "w1", 1000, 600);

  page_init(&pg);
  add_order(&pg, "A", 50, 100, "a1", 3);
  add_order(&pg, "B", 60, 100, "b1", 2);
  set_cursor(&pg, "c1");
  commit_ok(st, &sl, &pg, 1001, &c);
  page_release(&pg);
  assert_int_equal(c.inserted, 2);
  assert_int_equal(c.updated, 0);
  assert_int_equal(c.unchanged, 0);
  assert_int_equal(c.items, 5);
  assert_string_equal(sl.cursor, "c1");
  assert_int_equal(sl.pages, 1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items"), 5);
  assert_int_equal(q_int(path, "SELECT total_minor FROM orders WHERE external_id = 'A'"), 1999);

  /* The same copy again: unchanged, but seen. */
  page_init(&pg);
  add_order(&pg, "A", 50, 100, "a1-again", 3);
  set_cursor(&pg, "c2");
  commit_ok(st, &sl, &pg, 1002, &c);
  page_release(&pg);
  assert_int_equal(c.inserted, 0);
  assert_int_equal(c.unchanged, 1);
  assert_int_equal(c.updated, 0);
  assert_int_equal(q_int(path, "SELECT raw LIKE '%\"a1\"%' FROM orders WHERE external_id = 'A'"),
                   1);
  assert_int_equal(q_int(path, "SELECT last_synced_at FROM orders WHERE external_id = 'A'"), 1002);

  /* A newer B: updated, its items replaced by the new set. */
  page_init(&pg);
  add_order(&pg, "B", 60, 200, "b2", 1);
  set_cursor(&pg, "c3");
  commit_ok(st, &sl, &pg, 1003, &c);
  page_release(&pg);
  assert_int_equal(c.updated, 1);
  assert_int_equal(c.inserted + c.unchanged, 0);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items WHERE order_external_id = 'B'"),
                   1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items WHERE order_external_id = 'B' "
                               "AND raw LIKE '%\"b2\"%'"),
                   1);
  assert_int_equal(q_int(path, "SELECT first_seen_at FROM orders WHERE external_id = 'B'"), 1001);
  assert_int_equal(q_int(path, "SELECT updated_at FROM orders WHERE external_id = 'B'"), 200);

  /* An older B: unchanged, the newer data and items stay. */
  page_init(&pg);
  add_order(&pg, "B", 60, 150, "b-old", 4);
  set_cursor(&pg, "c4");
  commit_ok(st, &sl, &pg, 1004, &c);
  page_release(&pg);
  assert_int_equal(c.unchanged, 1);
  assert_int_equal(c.updated + c.inserted, 0);
  assert_int_equal(c.items, 0);
  snprintf(sql, sizeof(sql), "SELECT raw LIKE '%%\"b2\"%%' FROM orders WHERE external_id = 'B'");
  assert_int_equal(q_int(path, sql), 1);
  assert_int_equal(q_int(path, "SELECT updated_at FROM orders WHERE external_id = 'B'"), 200);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items WHERE order_external_id = 'B'"),
                   1);

  /* The slice adds it all up, and the stored row matches memory. */
  assert_int_equal(sl.pages, 4);
  assert_int_equal(sl.records, 5);
  assert_int_equal(sl.inserted, 2);
  assert_int_equal(sl.updated, 1);
  assert_int_equal(sl.unchanged, 2);
  struct slice got = get_ok(st, src, d);
  assert_int_equal(got.records, 5);
  assert_int_equal(got.unchanged, 2);
  assert_string_equal(got.cursor, "c4");
  assert_int_equal(got.updated_at, 1004);
  slice_release(&got);
  slice_release(&sl);
  store_close(st);
}

static void test_stale_lease_writes_nothing(void **state) {
  char path[600];
  struct err err = {0};
  struct page pg;
  (void)state;
  path_for("stale.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct civil_date d = day(2025, 2, 2);
  struct slice mine = claim_ok(st, src, d, "w1", 1000, 60);
  struct slice theirs = claim_ok(st, src, d, "w2", 2000, 60); /* after expiry */

  page_init(&pg);
  add_order(&pg, "A", 50, 100, "a1", 3);
  set_cursor(&pg, "c1");
  assert_int_equal(st->ops->commit_page(st, &mine, &pg, 2001, NULL, &err), MS_ELEASE);
  assert_int_equal(err.code, MS_ELEASE);
  assert_non_null(strstr(err.msg, "lost the lease"));
  assert_non_null(strstr(err.msg, "w2"));
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders"), 0);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items"), 0);
  assert_int_equal(q_int(path, "SELECT pages FROM slices"), 0);
  assert_int_equal(q_int(path, "SELECT cursor IS NULL FROM slices"), 1);
  assert_null(mine.cursor);
  assert_int_equal(mine.pages, 0);

  /* The current holder still can. */
  commit_ok(st, &theirs, &pg, 2002, NULL);
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders"), 1);
  page_release(&pg);
  slice_release(&mine);
  slice_release(&theirs);
  store_close(st);
}

static void test_last_page_completes_slice(void **state) {
  char path[600];
  struct err err = {0};
  struct page pg;
  (void)state;
  path_for("complete.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct civil_date d = day(2025, 2, 3);
  struct slice sl = claim_ok(st, src, d, "w1", 1000, 60);
  page_init(&pg);
  add_order(&pg, "A", 50, 100, "a1", 1);
  set_cursor(&pg, "c1");
  commit_ok(st, &sl, &pg, 1001, NULL);
  assert_int_equal(sl.status, SLICE_IN_PROGRESS);
  assert_int_equal(sl.completed_at, 0);
  set_cursor(&pg, NULL);
  commit_ok(st, &sl, &pg, 1002, NULL);

  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_null(sl.cursor);
  assert_int_equal(sl.completed_at, 1002);
  assert_string_equal(sl.lease_owner, "");
  assert_int_equal(sl.lease_expires, 0);
  struct slice got = get_ok(st, src, d);
  assert_int_equal(got.status, SLICE_COMPLETED);
  assert_null(got.cursor);
  assert_int_equal(got.completed_at, 1002);
  assert_string_equal(got.lease_owner, "");
  assert_int_equal(got.pages, 2);
  slice_release(&got);
  /* Finished is finished: no more pages under the old lease. */
  assert_int_equal(st->ops->commit_page(st, &sl, &pg, 1003, NULL, &err), MS_ELEASE);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

/* An items page of order `id`: `n` lines, then `next` (NULL: its last). */
static void items_page(struct page *pg, const char *id, int first, size_t n, const char *next) {
  page_release(pg);
  pg->items_of = strdup(id);
  pg->items_first = first;
  pg->items = calloc(n, sizeof(*pg->items));
  assert_non_null(pg->items);
  pg->nitems = n;
  for (size_t j = 0; j < n; j++) {
    pg->items[j].external_id = dupf("%s-%s-%zu", id, first ? "f" : "n", j);
    pg->items[j].quantity = 1;
  }
  set_cursor(pg, next);
}

/* Orders whose items come by follow-up requests (Amazon's way). */
static void follow_page(struct page *pg, int64_t updated, const char *next) {
  page_release(pg);
  add_order(pg, "A", 50, updated, "a", 0);
  add_order(pg, "B", 60, updated, "b", 0);
  for (size_t i = 0; i < pg->n; i++) {
    pg->recs[i].items_included = 0;
    pg->recs[i].follow = 1;
  }
  set_cursor(pg, next);
}

static void test_follow_ups_queue_and_complete(void **state) {
  char path[600];
  struct err err = {0};
  struct page pg;
  (void)state;
  path_for("follow.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct civil_date d = day(2025, 2, 3);
  struct slice sl = claim_ok(st, src, d, "w1", 1000, 60);
  page_init(&pg);

  /* The listing's last page: done listing, but its orders wait for items. */
  follow_page(&pg, 100, NULL);
  commit_ok(st, &sl, &pg, 1001, NULL);
  assert_int_equal(sl.status, SLICE_IN_PROGRESS);
  assert_int_equal(sl.listed, 1);
  assert_string_equal(sl.follow, "[\"A\",\"B\"]");

  /* Items of an order that is not first in line are refused, whole. */
  items_page(&pg, "B", 1, 1, NULL);
  assert_int_equal(st->ops->commit_page(st, &sl, &pg, 1002, NULL, &err), MS_EINVAL);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items"), 0);

  /* A's items over two pages, then B's: the slice completes. */
  items_page(&pg, "A", 1, 2, "it2");
  commit_ok(st, &sl, &pg, 1003, NULL);
  assert_string_equal(sl.follow_cursor, "it2");
  assert_string_equal(sl.follow, "[\"A\",\"B\"]");
  items_page(&pg, "A", 0, 1, NULL);
  commit_ok(st, &sl, &pg, 1004, NULL);
  assert_null(sl.follow_cursor);
  assert_string_equal(sl.follow, "[\"B\"]");
  items_page(&pg, "B", 1, 1, NULL);
  commit_ok(st, &sl, &pg, 1005, NULL);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_null(sl.follow);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items WHERE order_external_id = 'A'"),
                   3);
  slice_release(&sl);
  page_release(&pg);
  store_close(st);
}

static void test_a_restarted_day_does_not_fetch_stored_items_again(void **state) {
  char path[600];
  struct err err = {0};
  struct page pg;
  (void)state;
  path_for("restart-follow.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct civil_date d = day(2025, 2, 4);
  struct slice sl = claim_ok(st, src, d, "w1", 1000, 60);
  page_init(&pg);
  follow_page(&pg, 100, "page2");
  commit_ok(st, &sl, &pg, 1001, NULL);
  items_page(&pg, "A", 1, 1, NULL);
  commit_ok(st, &sl, &pg, 1002, NULL);
  assert_string_equal(sl.follow, "[\"B\"]");

  /* The API rejects an items cursor: only B's items start again. */
  set_cursor(&pg, NULL);
  free(sl.follow_cursor);
  sl.follow_cursor = strdup("it-old");
  assert_int_equal(st->ops->slice_restart(st, &sl, "items cursor rejected", &err), MS_OK);
  struct slice got = get_ok(st, src, d);
  assert_string_equal(got.cursor, "page2");
  assert_null(got.follow_cursor);
  assert_string_equal(got.follow, "[\"B\"]");
  slice_release(&got);
  free(sl.follow_cursor);
  sl.follow_cursor = NULL;
  items_page(&pg, "B", 1, 1, NULL);
  commit_ok(st, &sl, &pg, 1003, NULL);
  assert_null(sl.follow);

  /* The listing cursor is rejected: the listing starts over... */
  assert_int_equal(st->ops->slice_restart(st, &sl, "NextToken rejected", &err), MS_OK);
  slice_restart_local(&sl);
  got = get_ok(st, src, d);
  assert_null(got.cursor);
  assert_int_equal(got.listed, 0);
  slice_release(&got);
  assert_null(sl.cursor);

  /* ...and page 1 again queues nothing: both orders are stored unchanged
   * with their items. */
  follow_page(&pg, 100, "page2");
  commit_ok(st, &sl, &pg, 1004, NULL);
  assert_null(sl.follow);
  assert_string_equal(sl.cursor, "page2");

  /* An order changed since is queued again; so is one stored without items. */
  q_exec(path, "DELETE FROM order_items WHERE order_external_id = 'B'");
  page_release(&pg);
  add_order(&pg, "A", 50, 200, "a2", 0);
  add_order(&pg, "B", 60, 100, "b", 0);
  for (size_t i = 0; i < pg.n; i++) {
    pg.recs[i].items_included = 0;
    pg.recs[i].follow = 1;
  }
  commit_ok(st, &sl, &pg, 1005, NULL);
  assert_string_equal(sl.follow, "[\"A\",\"B\"]");
  assert_int_equal(sl.listed, 1);
  assert_int_equal(sl.status, SLICE_IN_PROGRESS);
  slice_release(&sl);
  page_release(&pg);
  store_close(st);
}

static void test_invalid_records_kept_aside(void **state) {
  char path[600];
  struct err err = {0};
  struct page_counts c;
  struct page pg;
  (void)state;
  path_for("invalid.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct slice sl = claim_ok(st, src, day(2025, 2, 4), "w1", 1000, 60);

  page_init(&pg);
  add_order(&pg, "A", 50, 100, "a1", 1);
  add_order(&pg, "", 50, 100, "empty", 1);
  add_order(&pg, "C", 50, 100, "c1", 1);
  add_order(&pg, "D", 50, 100, "d1", 2);
  add_order(&pg, "E", 50, 100, "e1", 0);
  /* C: its raw JSON is over the size limit. */
  free(pg.recs[2].raw);
  pg.recs[2].raw_len = STORE_RAW_MAX + 1;
  pg.recs[2].raw = malloc(pg.recs[2].raw_len + 1);
  assert_non_null(pg.recs[2].raw);
  memset(pg.recs[2].raw, ' ', pg.recs[2].raw_len);
  pg.recs[2].raw[pg.recs[2].raw_len] = '\0';
  /* D: a line without an id. */
  free(pg.recs[3].items[1].external_id);
  pg.recs[3].items[1].external_id = strdup("");
  /* E: a status longer than the text limit. */
  free(pg.recs[4].status);
  pg.recs[4].status = malloc(STORE_TEXT_MAX + 2);
  assert_non_null(pg.recs[4].status);
  memset(pg.recs[4].status, 'x', STORE_TEXT_MAX + 1);
  pg.recs[4].status[STORE_TEXT_MAX + 1] = '\0';
  set_cursor(&pg, "c1");
  commit_ok(st, &sl, &pg, 1001, &c);
  assert_int_equal(c.inserted, 1);
  assert_int_equal(c.failed, 4);

  /* The good record and the cursor are stored; the others are kept aside. */
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders"), 1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders WHERE external_id = 'A'"), 1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items"), 1);
  assert_string_equal(sl.cursor, "c1");
  assert_int_equal(sl.pages, 1);
  assert_int_equal(sl.failed, 4);
  assert_int_equal(q_int(path, "SELECT failed FROM slices"), 4);
  assert_int_equal(q_int(path, "SELECT count(*) FROM failed_records WHERE resolved_at IS NULL "
                               "AND stream = 'orders' AND day = '2025-02-04' AND attempts = 1 "
                               "AND first_failed_at = 1001 AND last_failed_at = 1001"),
                   4);
  assert_int_equal(q_int(path, "SELECT count(*) FROM failed_records WHERE external_id IS NULL "
                               "AND error LIKE '%no id%' AND raw LIKE '%empty%'"),
                   1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM failed_records WHERE external_id = 'C' "
                               "AND error LIKE '%over the limit%' AND length(raw) > 1048576"),
                   1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM failed_records WHERE external_id = 'D' "
                               "AND error LIKE '%line 2 has no id%'"),
                   1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM failed_records WHERE external_id = 'E' "
                               "AND error LIKE '%status longer than%'"),
                   1);

  /* The same page again: a record that fails again counts an attempt, and
   * one that now stores closes its failure. */
  free(pg.recs[4].status);
  pg.recs[4].status = strdup("open");
  pg.recs[4].updated_at = 200;
  set_cursor(&pg, NULL);
  commit_ok(st, &sl, &pg, 1002, &c);
  assert_int_equal(c.failed, 3);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_int_equal(sl.failed, 7);
  assert_int_equal(q_int(path, "SELECT attempts FROM failed_records WHERE external_id = 'C'"), 2);
  assert_int_equal(q_int(path, "SELECT last_failed_at FROM failed_records WHERE "
                               "external_id = 'C'"),
                   1002);
  assert_int_equal(q_int(path, "SELECT count(*) FROM failed_records WHERE external_id IS NULL"), 2);
  assert_int_equal(q_int(path, "SELECT resolved_at FROM failed_records WHERE external_id = 'E'"),
                   1002);
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders WHERE external_id = 'E'"), 1);

  /* An items page is still refused whole. */
  struct page items;
  page_init(&items);
  items.items_of = strdup("A");
  items.items = calloc(1, sizeof(*items.items));
  assert_non_null(items.items);
  items.nitems = 1;
  assert_int_equal(st->ops->commit_page(st, &sl, &items, 1003, NULL, &err), MS_EINVAL);
  page_release(&items);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

/* A record a constraint refuses is undone alone, by its savepoint. */
/* A record the connector could not read arrives marked unreadable with its
 * bytes: it is kept aside with the reason, and the rest of the page and the
 * cursor commit. */
static void test_unreadable_record_kept_aside(void **state) {
  char path[600];
  struct page_counts c;
  struct page pg;
  (void)state;
  path_for("unreadable.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct slice sl = claim_ok(st, src, day(2025, 2, 5), "w1", 1000, 60);
  page_init(&pg);
  add_order(&pg, "A", 50, 100, "a1", 1);
  add_order(&pg, "B", 50, 100, "b1", 1);
  const char *bad_raw = "{\"id\":\"B\",\"created_at\":7}";
  assert_int_equal(record_set_unreadable(&pg.recs[1], bad_raw, strlen(bad_raw),
                                         "order B has no valid created_at"),
                   MS_OK);
  set_cursor(&pg, "page-2");
  commit_ok(st, &sl, &pg, 1010, &c);
  page_release(&pg);
  assert_int_equal(c.inserted, 1);
  assert_int_equal(c.failed, 1);
  assert_string_equal(sl.cursor, "page-2");
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders WHERE external_id = 'A'"), 1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders WHERE external_id = 'B'"), 0);
  assert_int_equal(q_int(path, "SELECT count(*) FROM failed_records WHERE external_id = 'B' AND "
                               "raw LIKE '%created_at\":7}' AND error LIKE '%created_at%' AND "
                               "resolved_at IS NULL"),
                   1);
  slice_release(&sl);
  store_close(st);
}

static void test_refused_record_rolls_back_alone(void **state) {
  char path[600];
  struct page_counts c;
  struct page pg;
  (void)state;
  path_for("refused.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct slice sl = claim_ok(st, src, day(2025, 2, 5), "w1", 1000, 60);
  /* The order row of BAD goes in, then its second line is refused. */
  q_exec(path, "CREATE TRIGGER refuse BEFORE INSERT ON order_items WHEN "
               "NEW.external_id = 'BAD-1' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");

  page_init(&pg);
  add_order(&pg, "A", 50, 100, "a1", 2);
  add_order(&pg, "BAD", 50, 100, "bad", 2);
  add_order(&pg, "C", 50, 100, "c1", 2);
  set_cursor(&pg, "next");
  commit_ok(st, &sl, &pg, 1001, &c);
  assert_int_equal(c.inserted, 2);
  assert_int_equal(c.failed, 1);
  assert_int_equal(c.items, 4);
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders"), 2);
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders WHERE external_id = 'BAD'"), 0);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items"), 4);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items WHERE order_external_id = 'BAD'"),
                   0);
  assert_int_equal(q_int(path, "SELECT count(*) FROM failed_records WHERE external_id = 'BAD' "
                               "AND error LIKE '%refused by the test%' AND raw LIKE '%bad%'"),
                   1);
  assert_string_equal(sl.cursor, "next");
  assert_int_equal(sl.inserted, 2);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

static int count_failed(void *ctx, const struct failed_row *f) {
  int *n = ctx;
  assert_non_null(f->raw);
  (*n)++;
  return MS_OK;
}

/* Retrying: still refused counts an attempt; stored closes it. */
static void test_failed_retry_resolves_or_counts(void **state) {
  char path[600];
  struct err err = {0};
  struct failed_row f;
  struct page pg, again;
  int n = 0;
  (void)state;
  path_for("retry.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t src = add_source(st, "s");
  struct slice sl = claim_ok(st, src, day(2025, 2, 6), "w1", 1000, 60);
  q_exec(path, "CREATE TRIGGER refuse BEFORE INSERT ON orders WHEN NEW.external_id = 'X' "
               "BEGIN SELECT RAISE(ABORT, 'X is refused'); END");
  page_init(&pg);
  add_order(&pg, "X", 50, 100, "x1", 1);
  commit_ok(st, &sl, &pg, 1001, NULL);
  assert_int_equal(st->ops->failed_list(st, src, count_failed, &n, &err), MS_OK);
  assert_int_equal(n, 1);
  int64_t id = q_int(path, "SELECT id FROM failed_records");
  assert_int_equal(st->ops->failed_get(st, id, &f, &err), MS_OK);
  assert_string_equal(f.external_id, "X");
  assert_string_equal(f.source, "s");
  assert_string_equal(f.day, "2025-02-06");
  assert_int_equal(f.attempts, 1);
  assert_int_equal(f.resolved_at, 0);
  failed_row_release(&f);
  assert_int_equal(st->ops->failed_get(st, id + 100, &f, &err), MS_ENOTFOUND);

  /* Still refused: nothing stored, one more attempt with the new error. */
  page_init(&again);
  add_order(&again, "X", 50, 100, "x2", 1);
  assert_int_equal(st->ops->failed_resolve(st, id, &again.recs[0], 1100, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "X is refused"));
  assert_int_equal(st->ops->failed_again(st, id, err.msg, 1100, &err), MS_OK);
  assert_int_equal(q_int(path, "SELECT attempts FROM failed_records"), 2);
  assert_int_equal(q_int(path, "SELECT last_failed_at FROM failed_records"), 1100);
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders"), 0);

  /* Accepted now: stored like any record, and the failure is closed. */
  q_exec(path, "DROP TRIGGER refuse");
  assert_int_equal(st->ops->failed_resolve(st, id, &again.recs[0], 1200, &err), MS_OK);
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders WHERE external_id = 'X' AND "
                               "raw LIKE '%x2%'"),
                   1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items"), 1);
  assert_int_equal(q_int(path, "SELECT resolved_at FROM failed_records"), 1200);
  n = 0;
  assert_int_equal(st->ops->failed_list(st, 0, count_failed, &n, &err), MS_OK);
  assert_int_equal(n, 0);
  assert_int_equal(st->ops->failed_again(st, id, "late", 1300, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->failed_resolve(st, id, &again.recs[0], 1300, &err), MS_EINVAL);
  page_release(&again);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

/* ---- runs ------------------------------------------------------------ */

struct run_ids {
  int64_t started[8]; /* started_at in callback order */
  int n;              /* how many */
};

static int collect_run(void *ctx, const struct run_row *r) {
  struct run_ids *ids = ctx;
  assert_true(ids->n < 8);
  ids->started[ids->n++] = r->started_at;
  return 0;
}

static void test_runs(void **state) {
  char path[600];
  struct err err = {0};
  struct run_ids ids = {0};
  (void)state;
  path_for("runs.db", path, sizeof(path));
  struct store *st = open_ok(path);
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
  assert_int_equal(q_int(path, "SELECT inserted * 100 + rate_limited FROM runs WHERE "
                               "status = 'completed' AND finished_at = 99"),
                   703);
  r.id = 999;
  assert_int_equal(st->ops->run_update(st, &r, &err), MS_ENOTFOUND);
  store_close(st);
}

/* ---- orders ---------------------------------------------------------- */

struct seen_orders {
  char v[16][80]; /* "source id created nitems" */
  int n;          /* how many */
};

static int collect_order(void *ctx, const struct order_view *o) {
  struct seen_orders *s = ctx;
  assert_true(s->n < 16);
  assert_non_null(strstr(o->raw, o->external_id));
  assert_string_equal(o->status, "open");
  assert_string_equal(o->total_price, "19.99");
  assert_int_equal(o->total_minor, 1999);
  assert_string_equal(o->currency, "USD");
  assert_null(o->fulfillment_status); /* never set: NULL, not "" */
  snprintf(s->v[s->n++], 80, "%s %s %lld %lld", o->source, o->external_id, (long long)o->created_at,
           (long long)o->nitems);
  return 0;
}

static void test_orders_each_and_items_json(void **state) {
  char path[600];
  struct err err = {0};
  struct seen_orders seen = {0};
  struct page pg;
  char *json = NULL;
  (void)state;
  path_for("orders.db", path, sizeof(path));
  struct store *st = open_ok(path);
  int64_t a = add_source(st, "alpha"), b = add_source(st, "beta");
  struct slice sl = claim_ok(st, a, day(2025, 1, 1), "w", 1, 60);
  page_init(&pg);
  add_order(&pg, "3", 300, 300, "t", 1);
  add_order(&pg, "1", 100, 100, "t", 2);
  add_order(&pg, "2", 100, 100, "t", 0);
  add_order(&pg, "4", 400, 400, "t", 3);
  /* A line kept only inside the order's raw JSON. */
  free(pg.recs[3].items[1].raw);
  pg.recs[3].items[1].raw = NULL;
  free(pg.recs[3].items[1].sku);
  pg.recs[3].items[1].sku = strdup("S\"Q");
  commit_ok(st, &sl, &pg, 2, NULL);
  page_release(&pg);
  slice_release(&sl);
  sl = claim_ok(st, b, day(2025, 1, 1), "w", 1, 60);
  page_init(&pg);
  add_order(&pg, "9", 100, 100, "t", 1);
  commit_ok(st, &sl, &pg, 2, NULL);
  page_release(&pg);
  slice_release(&sl);

  struct order_filter all = {0};
  assert_int_equal(st->ops->orders_each(st, &all, collect_order, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 5);
  assert_string_equal(seen.v[0], "alpha 1 100 2");
  assert_string_equal(seen.v[1], "alpha 2 100 0");
  assert_string_equal(seen.v[2], "alpha 3 300 1");
  assert_string_equal(seen.v[3], "alpha 4 400 3");
  assert_string_equal(seen.v[4], "beta 9 100 1");

  memset(&seen, 0, sizeof(seen));
  struct order_filter f = {.source = "alpha", .created_from = 100, .created_to = 400};
  assert_int_equal(st->ops->orders_each(st, &f, collect_order, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 3);
  assert_string_equal(seen.v[0], "alpha 1 100 2");
  assert_string_equal(seen.v[2], "alpha 3 300 1");

  memset(&seen, 0, sizeof(seen));
  struct order_filter only_b = {.source = "beta"};
  assert_int_equal(st->ops->orders_each(st, &only_b, collect_order, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 1);
  struct order_filter unknown = {.source = "gamma"};
  assert_int_equal(st->ops->orders_each(st, &unknown, collect_order, &seen, &err), MS_ENOTFOUND);

  assert_int_equal(st->ops->order_items_json(st, a, "1", &json, &err), MS_OK);
  assert_string_equal(json, "[{\"line\":\"1-0\",\"tag\":\"t\"},{\"line\":\"1-1\",\"tag\":\"t\"}]");
  free(json);
  assert_int_equal(st->ops->order_items_json(st, a, "4", &json, &err), MS_OK);
  assert_string_equal(json, "[{\"line\":\"4-0\",\"tag\":\"t\"},"
                            "{\"id\":\"4-1\",\"sku\":\"S\\\"Q\",\"title\":null,\"quantity\":1,"
                            "\"price\":\"5.00\",\"currency\":\"USD\"},"
                            "{\"line\":\"4-2\",\"tag\":\"t\"}]");
  free(json);
  assert_int_equal(st->ops->order_items_json(st, a, "2", &json, &err), MS_OK);
  assert_string_equal(json, "[]");
  free(json);
  store_close(st);
}

/* ---- setup ----------------------------------------------------------- */

static int make_tmpdir(void **state) {
  const char *base = getenv("MS_TEST_TMP");
  (void)state;
  if (!base || !*base)
    base = "/tmp";
  if (mkdir(base, 0777) != 0 && errno != EEXIST)
    return -1;
  snprintf(tmpdir, sizeof(tmpdir), "%s/test_store.XXXXXX", base);
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state) {
  char path[1024];
  DIR *d = opendir(tmpdir);
  struct dirent *e;
  (void)state;
  if (!d)
    return 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(tmpdir);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry),
      cmocka_unit_test(test_migrations_create_schema_once),
      cmocka_unit_test(test_newer_database_is_refused_untouched),
      cmocka_unit_test(test_garbage_and_damaged_files),
      cmocka_unit_test(test_sources_add_get_update_remove),
      cmocka_unit_test(test_source_remove_cascades),
      cmocka_unit_test(test_claim_busy_and_expired_takeover),
      cmocka_unit_test(test_slice_fail_keeps_cursor),
      cmocka_unit_test(test_restart_release_and_reset),
      cmocka_unit_test(test_slice_list_filters),
      cmocka_unit_test(test_upsert_counts_and_monotonic_updates),
      cmocka_unit_test(test_stale_lease_writes_nothing),
      cmocka_unit_test(test_last_page_completes_slice),
      cmocka_unit_test(test_follow_ups_queue_and_complete),
      cmocka_unit_test(test_a_restarted_day_does_not_fetch_stored_items_again),
      cmocka_unit_test(test_invalid_records_kept_aside),
      cmocka_unit_test(test_unreadable_record_kept_aside),
      cmocka_unit_test(test_refused_record_rolls_back_alone),
      cmocka_unit_test(test_failed_retry_resolves_or_counts),
      cmocka_unit_test(test_runs),
      cmocka_unit_test(test_orders_each_and_items_json),
  };
  return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
