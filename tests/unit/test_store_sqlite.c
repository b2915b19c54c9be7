/* The SQLite store's own behaviour: its file (migrations, WAL, damaged and
 * newer files), the tables it makes from descriptions as SQLite holds them,
 * constraints that refuse records, and locks. test_store.c holds the
 * behaviour every backend shares. */
#include "test_store_streams.h"

#include <sqlite3.h>

#include "store/migrations.h"

/* ---- raw SQL beside the store -------------------------------------------------- */

/* One integer from the file through a connection of its own. */
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

/* One text from the file, copied into out ("" for none). */
static void q_text(const char *path, const char *sql, char *out, size_t n) {
  sqlite3 *db = NULL;
  sqlite3_stmt *q = NULL;
  out[0] = '\0';
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
    snprintf(out, n, "%s", (const char *)sqlite3_column_text(q, 0));
  sqlite3_finalize(q);
  sqlite3_close(db);
}

static void q_exec(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  char *msg = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
    fail_msg("%s: %s", sql, msg);
  sqlite3_close(db);
}

/* Runs sql on a connection of its own, foreign keys on, and returns
 * SQLite's extended result code. */
static int q_try(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  int rc;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_extended_result_codes(db, 1);
  assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
  rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  sqlite3_close(db);
  return rc;
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
  for (const struct migration *m = ms_migrations_sqlite; m->number; m++)
    if (m->number > v)
      v = m->number;
  return v;
}

/* A store at a SQLite file of the test's directory, streams prepared. */
static struct store *file_store(const char *name, char *path, size_t n) {
  struct err err = {0};
  static const struct stream_def *const all[] = {&orders_def,    &forders_def,
                                                 &products_def,  &levels_def,
                                                 &customers_def, &product_deletions_def};
  ts_path(name, path, n);
  struct store *st = ts_open(path);
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
    if (st->ops->stream_prepare(st, all[i], &err))
      fail_msg("stream_prepare(%s): %s", all[i]->name, err.msg);
  return st;
}

/* "name:TYPE:pk,..." of a table's columns, in order. */
static void columns_of(const char *path, const char *table, char *out, size_t n) {
  char sql[256];
  snprintf(sql, sizeof(sql),
           "SELECT group_concat(name || ':' || type || ':' || pk, ',') FROM "
           "pragma_table_info('%s')",
           table);
  q_text(path, sql, out, n);
}

/* ---- opening and migrations ----------------------------------------------------- */

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
  ts_path("migrate.db", path, sizeof(path));
  struct store *st = ts_open(path);
  assert_int_equal(st->ops->schema_version(st, &version), MS_OK);
  assert_int_equal(version, known_schema());
  assert_true(version >= 4);
  ts_source(st, "kept");
  store_close(st);

  static const char *const tables[] = {
      "schema_migrations", "sources",   "slices", "runs",        "orders", "order_items",
      "failed_records",    "schedules", "jobs",   "job_targets", "events", "webhooks"};
  for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'", tables[i]);
    assert_int_equal(q_int(path, sql), 1);
  }
  assert_int_equal(q_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'slices_status'"),
                   1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM schema_migrations"), known_schema());
  /* WAL is a property of the file: a fresh connection sees it. */
  assert_int_equal(q_int(path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
  assert_int_equal(q_int(path, "SELECT page_size FROM pragma_page_size"), 16384);

  int64_t cookie = q_int(path, "PRAGMA schema_version");
  int64_t applied = q_int(path, "SELECT sum(applied_at) FROM schema_migrations");
  st = ts_open(path);
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
  ts_path("newer.db", path, sizeof(path));
  store_close(ts_open(path));
  q_exec(path, "INSERT INTO schema_migrations VALUES (99, '0099_future.sql', 1)");
  char *before = read_all(path, &before_len);

  assert_int_equal(store_open(path, &st, &err), MS_EVERSION);
  assert_null(st);
  assert_int_equal(err.code, MS_EVERSION);
  char want[64];
  snprintf(want, sizeof(want), "schema 99, this build knows up to %d", known_schema());
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

  ts_path("garbage.db", path, sizeof(path));
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
  ts_path("damaged.db", path, sizeof(path));
  st = ts_open(path);
  ts_source(st, "a");
  store_close(st);
  char *data = read_all(path, &len);
  assert_true(len > 4096);
  memset(data + 100, 0xA5, 4096 - 100);
  write_all(path, data, len);
  free(data);
  expect_damaged(path);

  /* Another program's SQLite file is not ours to migrate. */
  ts_path("foreign.db", path, sizeof(path));
  q_exec(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
  expect_damaged(path);
  assert_int_equal(q_int(path, "SELECT count(*) FROM sqlite_schema"), 1);
}

/* A file with the schema of migrations 1 to `last`, as an older marketsync
 * left it; the connection stays open for its rows. */
static sqlite3 *schema_upto(const char *path, int last) {
  sqlite3 *db = NULL;
  char *msg = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "PRAGMA journal_mode = WAL; CREATE TABLE schema_migrations "
                                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at "
                                "INTEGER NOT NULL)",
                                NULL, NULL, &msg),
                   SQLITE_OK);
  for (const struct migration *m = ms_migrations_sqlite; m->number && m->number <= last; m++) {
    char sql[200];
    if (sqlite3_exec(db, m->sql, NULL, NULL, &msg) != SQLITE_OK)
      fail_msg("%s: %s", m->name, msg);
    snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES (%d, '%s', 7)", m->number,
             m->name);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK);
  }
  return db;
}

/* The schema of migrations 0001 to 0003, with the rows an old marketsync
 * left: a day done, a repair work list of items, an order with two lines
 * (one without a price), failed records of both streams. */
static void old_database(const char *path) {
  sqlite3 *db = schema_upto(path, 3);
  char *msg = NULL;
  static const char rows[] =
      "INSERT INTO sources (id, name, connector, created_at) VALUES (1, 'old', 'shopify', 1);"
      "INSERT INTO slices (source_id, stream, day, status, cursor, pages, records, inserted, "
      "  completed_at) VALUES (1, 'orders', '2025-01-02', 'completed', NULL, 3, 10, 10, 50);"
      "INSERT INTO slices (source_id, stream, day, status, cursor, listed, follow, follow_cursor) "
      "  VALUES (1, 'repair-items', '2025-01-03', 'pending', NULL, 1, '[\"1001\",\"1002\"]', "
      "  'it-2');"
      "INSERT INTO slices (source_id, stream, day, status, cursor, lease_owner, lease_token, "
      "  lease_expires) VALUES (1, 'orders', '2025-01-04', 'in_progress', 'page-7', 'host:1', 4, "
      "  99);"
      "INSERT INTO orders VALUES (1, '1001', '#1001', 100, 200, 'open', 'paid', NULL, '19.99', "
      "  1999, 'USD', '{\"id\":1001}', 5, 6);"
      "INSERT INTO order_items (source_id, order_external_id, external_id, line_no, sku, title, "
      "  quantity, price, price_minor, currency, price_missing, raw) VALUES "
      "  (1, '1001', 'L1', 0, 'MUG', 'Mug', 2, '5.00', 500, 'USD', 0, '{\"id\":\"L1\"}'),"
      "  (1, '1001', 'L2', 1, 'CUP', NULL, 1, NULL, NULL, 'USD', 1, NULL);"
      "INSERT INTO failed_records (source_id, stream, day, external_id, raw, error, "
      "  first_failed_at, last_failed_at) VALUES (1, 'orders', '2025-01-02', 'X', '{}', 'bad', 1, "
      "  2), (1, 'repair-items', '2025-01-03', 'Y', '{}', 'worse', 3, 4);";
  if (sqlite3_exec(db, rows, NULL, NULL, &msg) != SQLITE_OK)
    fail_msg("old rows: %s", msg);
  sqlite3_close(db);
}

static int incomplete_what(void *ctx, const char *id, int64_t created, int what) {
  assert_string_equal(id, "1001");
  assert_int_equal(created, 100);
  *(int *)ctx = what;
  return MS_OK;
}

static void test_migration_0004_keeps_an_old_database(void **state) {
  char path[600], text[512];
  struct err err = {0};
  struct failed_row f;
  struct slice sl;
  struct page pg;
  int version = 0;
  (void)state;
  ts_path("old.db", path, sizeof(path));
  old_database(path);
  struct store *st = ts_open(path);
  assert_int_equal(st->ops->schema_version(st, &version), MS_OK);
  assert_int_equal(version, known_schema());

  /* Day slices keep their keys, counters and leases. */
  sl = ts_get(st, 1, "orders", "2025-01-02");
  assert_int_equal(sl.kind, SLICE_DAY);
  assert_int_equal(sl.status, SLICE_COMPLETED);
  assert_int_equal(sl.pages, 3);
  assert_int_equal(sl.records, 10);
  assert_int_equal(sl.completed_at, 50);
  assert_int_equal(sl.watermark, 0);
  slice_release(&sl);
  sl = ts_get(st, 1, "orders", "2025-01-04");
  assert_string_equal(sl.cursor, "page-7");
  assert_string_equal(sl.lease_owner, "host:1");
  assert_int_equal(sl.lease_token, 4);
  slice_release(&sl);
  /* The repair work list is a refetch of its day now. */
  sl = ts_get(st, 1, "orders", "refetch:2025-01-03");
  assert_int_equal(sl.kind, SLICE_REFETCH);
  assert_int_equal(sl.day.d, 3);
  assert_int_equal(sl.listed, 1);
  assert_string_equal(sl.follow, "[\"1001\",\"1002\"]");
  assert_string_equal(sl.follow_cursor, "it-2");
  slice_release(&sl);
  assert_int_equal(st->ops->slice_get(st, 1, "repair-items", "2025-01-03", &sl, &err),
                   MS_ENOTFOUND);
  q_text(path, "SELECT day FROM slices WHERE slice_key = 'refetch:2025-01-03'", text, sizeof(text));
  assert_string_equal(text, "2025-01-03");

  /* Failed records keep their slice's key. */
  assert_int_equal(st->ops->failed_get(st, 1, &f, &err), MS_OK);
  assert_string_equal(f.key, "2025-01-02");
  assert_string_equal(f.external_id, "X");
  failed_row_release(&f);
  assert_int_equal(st->ops->failed_get(st, 2, &f, &err), MS_OK);
  assert_string_equal(f.stream, "orders");
  assert_string_equal(f.key, "refetch:2025-01-03");
  failed_row_release(&f);

  /* The old orders are records of the orders stream. */
  assert_int_equal(st->ops->stream_prepare(st, &orders_def, &err), MS_OK);
  struct ts_row r = ts_one(st, &orders_def, 1, "1001");
  assert_string_equal(r.text[ts_col(&orders_def, "name")], "#1001");
  assert_string_equal(r.text[ts_col(&orders_def, "total_price")], "19.99");
  assert_int_equal(r.i[ts_col(&orders_def, "total_price")], 1999);
  assert_int_equal(r.set[ts_col(&orders_def, "fulfillment_status")], 0);
  assert_int_equal(r.nkids[0], 2);
  assert_int_equal(r.deleted_at, 0);
  assert_int_equal(r.first_seen_at, 5);
  char *json = ts_kids_json(st, 1, &items_def, "1001");
  assert_string_equal(json, "[{\"id\":\"L1\"},{\"id\":\"L2\",\"sku\":\"CUP\",\"title\":null,"
                            "\"quantity\":1,\"price\":null,\"currency\":\"USD\"}]");
  free(json);
  /* The line without a price makes its order incomplete. */
  int what = 0;
  assert_int_equal(
      st->ops->records_incomplete(st, 1, &orders_def, 0, 1000, incomplete_what, &what, &err),
      MS_OK);
  assert_int_equal(what, INCOMPLETE_CHILD_FIELDS);

  /* The old day goes on: a newer copy replaces the order and its lines. */
  assert_int_equal(st->ops->slice_reset(st, 1, "orders", "2025-01-02", &err), MS_OK);
  sl = ts_claim(st, 1, "orders", "2025-01-02", "w", 1000, 60);
  page_init(&pg, &orders_def);
  ts_order(&pg, "1001", 100, 300, "new", 1);
  ts_commit(st, &sl, &pg, 1001, NULL);
  page_release(&pg);
  slice_release(&sl);
  r = ts_one(st, &orders_def, 1, "1001");
  assert_int_equal(r.updated_at, 300);
  assert_int_equal(r.first_seen_at, 5);
  assert_int_equal(r.nkids[0], 1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items"), 1);
  store_close(st);
  /* Opening again applies nothing more. */
  assert_int_equal(q_int(path, "SELECT count(*) FROM schema_migrations"), known_schema());
}

/* A database of migration 0004 with a source, a day and an order gains the
 * service's tables, keeps its rows, and the service works on it. */
static void test_migration_0005_adds_the_service_to_a_0004_database(void **state) {
  char path[600], name[64];
  struct err err = {0};
  struct schedule_row s = {0};
  struct job_row j = {0};
  struct event_row e = {0};
  struct slice sl;
  int version = 0;
  (void)state;
  ts_path("v4.db", path, sizeof(path));
  sqlite3 *db = schema_upto(path, 4);
  assert_int_equal(
      sqlite3_exec(db,
                   "INSERT INTO sources (id, name, connector, created_at) VALUES (1, 'old', "
                   "'shopify', 1);"
                   "INSERT INTO slices (source_id, stream, slice_key, kind, day, status, pages) "
                   "VALUES (1, 'orders', '2025-01-02', 'day', '2025-01-02', 'completed', 3);"
                   "INSERT INTO orders (source_id, external_id, created_at, updated_at, raw, "
                   "first_seen_at, last_synced_at) VALUES (1, '1001', 100, 200, '{}', 5, 6);",
                   NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);

  struct store *st = ts_open(path);
  assert_int_equal(st->ops->schema_version(st, &version), MS_OK);
  assert_int_equal(version, known_schema());
  q_text(path, "SELECT name FROM schema_migrations WHERE version = 5", name, sizeof(name));
  assert_string_equal(name, "0005_service.sql");
  sl = ts_get(st, 1, "orders", "2025-01-02");
  assert_int_equal(sl.pages, 3);
  slice_release(&sl);
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders"), 1);

  snprintf(s.name, sizeof(s.name), "nightly");
  snprintf(s.timezone, sizeof(s.timezone), "UTC");
  s.spec = "{\"daily_at\":\"02:00\"}";
  s.enabled = 1;
  s.created_at = 10;
  assert_int_equal(st->ops->schedule_add(st, &s, &err), MS_OK);
  snprintf(j.trigger, sizeof(j.trigger), "schedule");
  j.request = "{}";
  j.targets = "[\"old/orders/new\"]";
  j.created_at = 20;
  assert_int_equal(st->ops->schedule_fire(st, s.id, 0, 20, 1, 86420, &j, &err), MS_OK);
  snprintf(e.type, sizeof(e.type), "sync.failed");
  e.source_id = 1;
  e.created_at = 30;
  assert_int_equal(st->ops->event_add(st, &e, &err), MS_OK);
  /* The old source's removal keeps its event, with its name. */
  assert_int_equal(st->ops->source_remove(st, "old", &err), MS_OK);
  store_close(st);
  q_text(path, "SELECT source_name FROM events", name, sizeof(name));
  assert_string_equal(name, "old");
  assert_int_equal(q_int(path, "SELECT count(*) FROM events WHERE source_id IS NULL"), 1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM job_targets"), 1);
}

/* The rules of the job queue hold in the database itself: whatever writes
 * the jobs table, two holders of a target are refused. */
static void test_the_database_keeps_jobs_from_overlapping(void **state) {
  char path[600];
  struct err err = {0};
  (void)state;
  struct store *st = file_store("job_rules.db", path, sizeof(path));

  /* A stream cannot take the service's tables. */
  struct stream_def jobs_def = customers_def;
  jobs_def.name = "jobs";
  jobs_def.table = "jobs";
  assert_int_equal(st->ops->stream_prepare(st, &jobs_def, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "keeps for itself"));
  store_close(st);

#define JOB_INSERT "INSERT INTO jobs (id, state, trigger, request, targets, created_at) VALUES "
  assert_int_equal(q_try(path, JOB_INSERT "(1, 'available', 'api', '{}', '[\"s/o/new\"]', 1)"),
                   SQLITE_OK);
  assert_int_equal(q_int(path, "SELECT job_id FROM job_targets WHERE target = 's/o/new'"), 1);
  assert_int_equal(q_try(path, JOB_INSERT "(2, 'retryable', 'api', '{}', '[\"s/o/new\"]', 1)"),
                   SQLITE_CONSTRAINT_PRIMARYKEY);
  /* A job that is done holds nothing, and cannot come back while another
   * holds its target. */
  assert_int_equal(q_try(path, JOB_INSERT "(3, 'failed', 'api', '{}', '[\"s/o/new\"]', 1)"),
                   SQLITE_OK);
  assert_int_equal(q_try(path, "UPDATE jobs SET state = 'available' WHERE id = 3"),
                   SQLITE_CONSTRAINT_PRIMARYKEY);
  assert_int_equal(q_try(path, "UPDATE jobs SET state = 'completed' WHERE id = 1"), SQLITE_OK);
  assert_int_equal(q_int(path, "SELECT count(*) FROM job_targets"), 0);
  assert_int_equal(q_try(path, "UPDATE jobs SET state = 'available' WHERE id = 3"), SQLITE_OK);
  assert_int_equal(q_int(path, "SELECT job_id FROM job_targets WHERE target = 's/o/new'"), 3);
  /* Running and available hold alike: no change there. */
  assert_int_equal(q_try(path, "UPDATE jobs SET state = 'running', lease_owner = 'w' WHERE id = 3"),
                   SQLITE_OK);
  assert_int_equal(q_int(path, "SELECT count(*) FROM job_targets"), 1);

  /* What a job covers does not change; nor is it anything but a list. */
  assert_int_equal(q_try(path, "UPDATE jobs SET targets = '[]' WHERE id = 3"),
                   SQLITE_CONSTRAINT_TRIGGER);
  assert_int_equal(q_try(path, JOB_INSERT "(4, 'completed', 'api', '{}', 'x', 1)"),
                   SQLITE_CONSTRAINT_CHECK);
  assert_int_equal(q_try(path, JOB_INSERT "(5, 'completed', 'api', '{}', '{}', 1)"),
                   SQLITE_CONSTRAINT_CHECK);
  /* A running job has an owner. */
  assert_int_equal(q_try(path, JOB_INSERT "(6, 'running', 'api', '{}', '[]', 1)"),
                   SQLITE_CONSTRAINT_CHECK);
  /* One job per due time of a schedule. */
  assert_int_equal(q_try(path, "INSERT INTO schedules (id, name, spec, timezone, created_at, "
                               "updated_at) VALUES (1, 'n', '{}', 'UTC', 1, 1)"),
                   SQLITE_OK);
  assert_int_equal(q_try(path, "INSERT INTO jobs (schedule_id, due, state, trigger, request, "
                               "created_at) VALUES (1, 60, 'completed', 's', '{}', 1)"),
                   SQLITE_OK);
  assert_int_equal(q_try(path, "INSERT INTO jobs (schedule_id, due, state, trigger, request, "
                               "created_at) VALUES (1, 60, 'failed', 's', '{}', 1)"),
                   SQLITE_CONSTRAINT_UNIQUE);
  /* Removing the schedule keeps its jobs. */
  assert_int_equal(q_try(path, "DELETE FROM schedules WHERE id = 1"), SQLITE_OK);
  assert_int_equal(q_int(path, "SELECT count(*) FROM jobs WHERE due = 60 AND schedule_id IS NULL"),
                   1);
#undef JOB_INSERT
}

/* ---- tables made from descriptions ------------------------------------------------ */

static void test_tables_as_sqlite_holds_them(void **state) {
  char path[600], cols[1024];
  struct err err = {0};
  (void)state;
  struct store *st = file_store("tables.db", path, sizeof(path));
  int64_t cookie = q_int(path, "PRAGMA schema_version");

  columns_of(path, "products", cols, sizeof(cols));
  assert_string_equal(cols, "source_id:INTEGER:1,external_id:TEXT:2,created_at:INTEGER:0,"
                            "updated_at:INTEGER:0,deleted_at:INTEGER:0,raw:TEXT:0,"
                            "first_seen_at:INTEGER:0,last_synced_at:INTEGER:0,title:TEXT:0,"
                            "status:TEXT:0");
  columns_of(path, "product_variants", cols, sizeof(cols));
  assert_string_equal(cols, "source_id:INTEGER:1,product_id:TEXT:2,external_id:TEXT:3,"
                            "line_no:INTEGER:0,raw:TEXT:0,deleted_at:INTEGER:0,sku:TEXT:0,"
                            "inventory_item_id:TEXT:0,price:TEXT:0,price_minor:INTEGER:0");
  columns_of(path, "variant_media", cols, sizeof(cols));
  assert_string_equal(cols, "source_id:INTEGER:1,variant_id:TEXT:2,external_id:TEXT:3,"
                            "line_no:INTEGER:0,raw:TEXT:0,deleted_at:INTEGER:0,url:TEXT:0");
  columns_of(path, "customers", cols, sizeof(cols));
  assert_non_null(strstr(cols, "email:TEXT:0,orders_count:INTEGER:0,tags:TEXT:0,vip:INTEGER:0"));
  /* Indexes: by creation for exports, and the columns that ask for one. */
  assert_int_equal(q_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name "
                               "IN ('products_created', 'product_variants_by_sku', "
                               "'product_variants_by_inventory_item_id', "
                               "'inventory_levels_by_inventory_item_id', 'order_items_by_sku', "
                               "'orders_created')"),
                   6);
  /* Every record goes with its source. */
  assert_int_equal(q_int(path, "SELECT count(*) FROM pragma_foreign_key_list('variant_media') "
                               "WHERE \"table\" = 'sources' AND on_delete = 'CASCADE'"),
                   1);
  /* The tables of migration 0001 only gained deleted_at. */
  columns_of(path, "orders", cols, sizeof(cols));
  assert_string_equal(cols, "source_id:INTEGER:1,external_id:TEXT:2,name:TEXT:0,"
                            "created_at:INTEGER:0,updated_at:INTEGER:0,status:TEXT:0,"
                            "financial_status:TEXT:0,fulfillment_status:TEXT:0,"
                            "total_price:TEXT:0,total_minor:INTEGER:0,currency:TEXT:0,"
                            "raw:TEXT:0,first_seen_at:INTEGER:0,last_synced_at:INTEGER:0,"
                            "deleted_at:INTEGER:0");
  store_close(st);

  /* Opened and prepared again: nothing changes. */
  st = file_store("tables.db", path, sizeof(path));
  assert_int_equal(q_int(path, "PRAGMA schema_version"), cookie);

  /* A second description sharing a table adds its columns to it. */
  static const struct column_def more_cols[] = {
      {.name = "title", .type = COL_TEXT, .path = "title"},
      {.name = "vendor", .type = COL_TEXT, .path = "vendor"},
      {.name = "weight", .type = COL_DECIMAL, .path = "weight"},
      {.name = "cost", .type = COL_MONEY, .path = "cost", .minor = "cost_cents"},
      {.name = "published", .type = COL_TIME, .path = "published_at", .flags = COL_INDEX},
      {0}};
  struct stream_def more = products_def;
  more.name = "catalog";
  more.columns = more_cols;
  more.children = NULL;
  more.cascades = NULL;
  assert_int_equal(st->ops->stream_prepare(st, &more, &err), MS_OK);
  columns_of(path, "products", cols, sizeof(cols));
  assert_non_null(strstr(cols, "title:TEXT:0,status:TEXT:0,vendor:TEXT:0,weight:TEXT:0,"
                               "cost:TEXT:0,cost_cents:INTEGER:0,published:INTEGER:0"));
  assert_int_equal(q_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = "
                               "'products_by_published'"),
                   1);
  /* The other storage class is refused, naming table and column. */
  static const struct column_def clash_cols[] = {
      {.name = "vendor", .type = COL_INT, .path = "vendor_id"}, {0}};
  more.columns = clash_cols;
  assert_int_equal(st->ops->stream_prepare(st, &more, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "table products has column vendor holding text"));
  store_close(st);
}

/* Migration 0001's order_items.quantity is NOT NULL DEFAULT 0: a line the
 * API sent without one takes the default instead of breaking the rule. */
static void test_old_defaults_fill_missing_values(void **state) {
  char path[600];
  struct page_counts c;
  struct page pg;
  (void)state;
  struct store *st = file_store("defaults.db", path, sizeof(path));
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "orders", "2025-08-01", "w", 1, 60);
  page_init(&pg, &orders_def);
  struct record *o = ts_order(&pg, "A", 1, 1, "a", 1);
  o->kids[0].recs[0].vals[ts_col(&items_def, "quantity")].set = 0;
  ts_commit(st, &sl, &pg, 2, &c);
  assert_int_equal(c.inserted, 1);
  assert_int_equal(c.failed, 0);
  assert_int_equal(q_int(path, "SELECT quantity FROM order_items WHERE external_id = 'A-0'"), 0);
  assert_int_equal(q_int(path, "SELECT price_estimated FROM order_items"), 0);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

static void test_local_column_survives_a_newer_copy(void **state) {
  char path[600];
  struct page pg;
  (void)state;
  struct store *st = file_store("local.db", path, sizeof(path));
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "customers", "modified", "w", 1, 600);
  page_init(&pg, &customers_def);
  ts_text(ts_rec(&pg, "C1", 1, 10, "c1"), &customers_def, "email", "a@b.c");
  ts_cursor(&pg, "p2");
  ts_commit(st, &sl, &pg, 2, NULL);
  page_release(&pg);
  q_exec(path, "UPDATE customers SET vip = 1");
  page_init(&pg, &customers_def);
  struct record *r = ts_rec(&pg, "C1", 1, 20, "c2");
  ts_text(r, &customers_def, "email", "new@b.c");
  ts_int(r, &customers_def, "vip", 0);
  ts_commit(st, &sl, &pg, 3, NULL);
  page_release(&pg);
  assert_int_equal(q_int(path, "SELECT vip FROM customers WHERE external_id = 'C1'"), 1);
  struct ts_row row = ts_one(st, &customers_def, src, "C1");
  assert_string_equal(row.text[ts_col(&customers_def, "email")], "new@b.c");
  assert_int_equal(row.i[ts_col(&customers_def, "vip")], 1);
  slice_release(&sl);
  store_close(st);
}

/* ---- constraints ---------------------------------------------------------------- */

/* A record a constraint refuses is undone alone, by its savepoint. */
static void test_refused_record_rolls_back_alone(void **state) {
  char path[600];
  struct page_counts c;
  struct page pg;
  (void)state;
  struct store *st = file_store("refused.db", path, sizeof(path));
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "orders", "2025-02-05", "w1", 1000, 60);
  /* The order row of BAD goes in, then its second line is refused. */
  q_exec(path, "CREATE TRIGGER refuse BEFORE INSERT ON order_items WHEN "
               "NEW.external_id = 'BAD-1' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");

  page_init(&pg, &orders_def);
  ts_order(&pg, "A", 50, 100, "a1", 2);
  ts_order(&pg, "BAD", 50, 100, "bad", 2);
  ts_order(&pg, "C", 50, 100, "c1", 2);
  ts_cursor(&pg, "next");
  ts_commit(st, &sl, &pg, 1001, &c);
  assert_int_equal(c.inserted, 2);
  assert_int_equal(c.failed, 1);
  assert_int_equal(c.children, 4);
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
  struct store *st = file_store("retry.db", path, sizeof(path));
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "orders", "2025-02-06", "w1", 1000, 60);
  q_exec(path, "CREATE TRIGGER refuse BEFORE INSERT ON orders WHEN NEW.external_id = 'X' "
               "BEGIN SELECT RAISE(ABORT, 'X is refused'); END");
  page_init(&pg, &orders_def);
  ts_order(&pg, "X", 50, 100, "x1", 1);
  ts_commit(st, &sl, &pg, 1001, NULL);
  assert_int_equal(st->ops->failed_list(st, src, count_failed, &n, &err), MS_OK);
  assert_int_equal(n, 1);
  int64_t id = q_int(path, "SELECT id FROM failed_records");
  assert_int_equal(st->ops->failed_get(st, id, &f, &err), MS_OK);
  assert_string_equal(f.external_id, "X");
  assert_string_equal(f.source, "s");
  assert_string_equal(f.key, "2025-02-06");
  assert_int_equal(f.attempts, 1);
  assert_int_equal(f.resolved_at, 0);
  failed_row_release(&f);
  assert_int_equal(st->ops->failed_get(st, id + 100, &f, &err), MS_ENOTFOUND);

  /* Still refused: nothing stored, one more attempt with the new error. */
  page_init(&again, &orders_def);
  ts_order(&again, "X", 50, 100, "x2", 1);
  assert_int_equal(st->ops->failed_resolve(st, id, &orders_def, &again.recs[0], 1100, &err),
                   MS_EINVAL);
  assert_non_null(strstr(err.msg, "X is refused"));
  assert_int_equal(st->ops->failed_again(st, id, err.msg, 1100, &err), MS_OK);
  assert_int_equal(q_int(path, "SELECT attempts FROM failed_records"), 2);
  assert_int_equal(q_int(path, "SELECT last_failed_at FROM failed_records"), 1100);
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders"), 0);

  /* Accepted now: stored like any record, and the failure is closed. */
  q_exec(path, "DROP TRIGGER refuse");
  assert_int_equal(st->ops->failed_resolve(st, id, &orders_def, &again.recs[0], 1200, &err), MS_OK);
  assert_int_equal(q_int(path, "SELECT count(*) FROM orders WHERE external_id = 'X' AND "
                               "raw LIKE '%x2%'"),
                   1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM order_items"), 1);
  assert_int_equal(q_int(path, "SELECT resolved_at FROM failed_records"), 1200);
  n = 0;
  assert_int_equal(st->ops->failed_list(st, 0, count_failed, &n, &err), MS_OK);
  assert_int_equal(n, 0);
  assert_int_equal(st->ops->failed_again(st, id, "late", 1300, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->failed_resolve(st, id, &orders_def, &again.recs[0], 1300, &err),
                   MS_EINVAL);
  page_release(&again);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

/* The watermark moves in the page's transaction: a page that fails to
 * commit leaves it, and the records, where they were. */
static void test_watermark_rolls_back_with_its_page(void **state) {
  char path[600];
  struct err err = {0};
  struct page pg;
  (void)state;
  struct store *st = file_store("watermark.db", path, sizeof(path));
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "customers", "modified", "w", 100, 600);
  page_init(&pg, &customers_def);
  ts_rec(&pg, "1", 1, 300, "a");
  pg.server_time = 1000;
  ts_cursor(&pg, "p2");
  ts_commit(st, &sl, &pg, 101, NULL);
  page_release(&pg);
  assert_int_equal(sl.watermark, 300);
  q_exec(path, "CREATE TRIGGER boom BEFORE UPDATE OF cursor ON slices WHEN NEW.cursor = 'boom' "
               "BEGIN SELECT RAISE(ABORT, 'the disk is full, says the test'); END");
  page_init(&pg, &customers_def);
  ts_rec(&pg, "2", 1, 800, "b");
  ts_cursor(&pg, "boom");
  assert_int_equal(st->ops->commit_page(st, &sl, &pg, 102, NULL, &err), MS_EDB);
  assert_non_null(strstr(err.msg, "the disk is full"));
  assert_int_equal(sl.watermark, 300);
  assert_int_equal(q_int(path, "SELECT watermark FROM slices"), 300);
  assert_int_equal(q_int(path, "SELECT pages FROM slices"), 1);
  assert_int_equal(q_int(path, "SELECT count(*) FROM customers WHERE external_id = '2'"), 0);
  ts_cursor(&pg, "p3");
  ts_commit(st, &sl, &pg, 103, NULL);
  assert_int_equal(sl.watermark, 800);
  page_release(&pg);
  slice_release(&sl);
  store_close(st);
}

/* ---- locks ----------------------------------------------------------------------- */

/* A database another connection is writing is MS_EBUSY, which is not a
 * slice held by another worker (MS_EHELD). */
static void test_a_locked_file_is_busy_not_held(void **state) {
  char path[600];
  struct err err = {0};
  struct slice sl;
  sqlite3 *db = NULL;
  (void)state;
  ts_path("busy.db", path, sizeof(path));
  struct store *st = ts_open(path);
  int64_t src = ts_source(st, "s");
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(st->ops->slice_claim(st, src, "orders", "2025-01-01", "w", 1, 60, &sl, &err),
                   MS_EBUSY);
  assert_non_null(strstr(err.msg, "busy"));
  assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  sl = ts_claim(st, src, "orders", "2025-01-01", "w", 1, 60);
  slice_release(&sl);
  store_close(st);
}

/* A scheduler that finds the file locked made nothing: unlike an overlap
 * (MS_EBUSY too), the due run is not counted, and firing again makes it. */
static void test_a_locked_file_fires_nothing(void **state) {
  char path[600];
  struct err err = {0};
  struct schedule_row s = {0};
  struct job_row j = {0};
  sqlite3 *db = NULL;
  (void)state;
  ts_path("busy_fire.db", path, sizeof(path));
  struct store *st = ts_open(path);
  snprintf(s.name, sizeof(s.name), "nightly");
  snprintf(s.timezone, sizeof(s.timezone), "UTC");
  s.spec = "{}";
  s.created_at = 1;
  s.enabled = 1;
  assert_int_equal(st->ops->schedule_add(st, &s, &err), MS_OK);
  snprintf(j.trigger, sizeof(j.trigger), "schedule");
  j.request = "{}";
  j.created_at = 100;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(st->ops->schedule_fire(st, s.id, 0, 100, 1, 200, &j, &err), MS_EBUSY);
  assert_non_null(strstr(err.msg, "busy"));
  assert_int_equal(j.id, 0);
  assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(q_int(path, "SELECT last_due FROM schedules"), 0);
  assert_int_equal(st->ops->schedule_fire(st, s.id, 0, 100, 1, 200, &j, &err), MS_OK);
  assert_true(j.id > 0);
  store_close(st);
}

/* ---- the statement cache -------------------------------------------------------- */

struct nested {
  struct store *st; /* read again from the callback */
  int outer;        /* rows of the outer query */
  int inner;        /* rows the inner queries saw */
};

static int count_row(void *ctx, const struct record_view *r) {
  (void)r;
  (*(int *)ctx)++;
  return MS_OK;
}

static int nested_row(void *ctx, const struct record_view *r) {
  struct nested *n = ctx;
  struct record_filter f = {.def = &orders_def};
  struct err err = {0};
  char *json = NULL;
  n->outer++;
  /* The same query while it runs: it gets a statement of its own. */
  assert_int_equal(n->st->ops->records_each(n->st, &f, count_row, &n->inner, &err), MS_OK);
  assert_int_equal(n->st->ops->children_json(n->st, 1, &items_def, r->external_id, &json, &err),
                   MS_OK);
  free(json);
  return MS_OK;
}

static void test_queries_nest_in_callbacks(void **state) {
  char path[600];
  struct err err = {0};
  struct page pg;
  (void)state;
  struct store *st = file_store("nested.db", path, sizeof(path));
  int64_t src = ts_source(st, "s");
  struct slice sl = ts_claim(st, src, "orders", "2025-01-01", "w", 1, 60);
  page_init(&pg, &orders_def);
  ts_order(&pg, "1", 1, 1, "a", 1);
  ts_order(&pg, "2", 2, 2, "b", 1);
  ts_order(&pg, "3", 3, 3, "c", 1);
  ts_commit(st, &sl, &pg, 2, NULL);
  page_release(&pg);
  slice_release(&sl);
  struct nested n = {st, 0, 0};
  struct record_filter f = {.def = &orders_def};
  assert_int_equal(st->ops->records_each(st, &f, nested_row, &n, &err), MS_OK);
  assert_int_equal(n.outer, 3);
  assert_int_equal(n.inner, 9);
  store_close(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry),
      cmocka_unit_test(test_migrations_create_schema_once),
      cmocka_unit_test(test_newer_database_is_refused_untouched),
      cmocka_unit_test(test_garbage_and_damaged_files),
      cmocka_unit_test(test_migration_0004_keeps_an_old_database),
      cmocka_unit_test(test_migration_0005_adds_the_service_to_a_0004_database),
      cmocka_unit_test(test_the_database_keeps_jobs_from_overlapping),
      cmocka_unit_test(test_tables_as_sqlite_holds_them),
      cmocka_unit_test(test_old_defaults_fill_missing_values),
      cmocka_unit_test(test_local_column_survives_a_newer_copy),
      cmocka_unit_test(test_refused_record_rolls_back_alone),
      cmocka_unit_test(test_failed_retry_resolves_or_counts),
      cmocka_unit_test(test_watermark_rolls_back_with_its_page),
      cmocka_unit_test(test_a_locked_file_is_busy_not_held),
      cmocka_unit_test(test_a_locked_file_fires_nothing),
      cmocka_unit_test(test_queries_nest_in_callbacks),
  };
  return cmocka_run_group_tests(tests, ts_make_tmpdir, ts_remove_tmpdir);
}
