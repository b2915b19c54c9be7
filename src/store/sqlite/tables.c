/* Tables made from stream descriptions (stream_prepare).
 *
 * A top-level stream's table:
 *   source_id, external_id, created_at, updated_at, deleted_at, raw,
 *   first_seen_at, last_synced_at, then the stream's columns,
 *   PRIMARY KEY (source_id, external_id), indexed on (source_id, created_at,
 *   external_id);
 * a child stream's table:
 *   source_id, <parent_key>, external_id, line_no, raw, deleted_at, then its
 *   columns, PRIMARY KEY (source_id, <parent_key>, external_id).
 * A column is TEXT or INTEGER by its type; a money column adds its minor
 * units (INTEGER); COL_INDEX adds an index on (source_id, column).
 *
 * A table that exists (migration 0001's orders and order_items, or one a
 * stream of another connector made) gains the columns it lacks; one that
 * holds a column with the other storage class, or has another key, is
 * refused. Every name is checked by stream_check() before it goes into SQL,
 * and quoted there all the same (a column may be called "group").
 *
 * The connection remembers each stream it prepared, by the description's
 * address and a fingerprint of what it says, with the SQL its records need;
 * preparing again is then a lookup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"
#include "util/array.h"

#define NESTING_MAX 4 /* levels of children under a top-level stream */

/* What the file says of one column of a table. */
struct have_col {
  char name[STREAM_NAME_MAX + 16]; /* its name (others' names may be longer: cut) */
  char kind;                       /* 'i' INTEGER, 't' TEXT, 'o' anything else */
  int notnull;                     /* declared NOT NULL */
  char dflt[32];                   /* its default when a plain literal, else "" */
  int pk;                          /* position in the primary key, 0 if not in it */
};

/* A table's columns as the file holds them. */
struct have {
  struct have_col *v; /* columns */
  size_t n;           /* how many */
  size_t cap;         /* allocated */
  int bad;            /* MS_ENOMEM when a row could not be held */
};

/* A column every table of its kind has. */
struct common_col {
  const char *name; /* NULL: the child's parent key */
  char kind;        /* 'i' or 't' */
  int pk;           /* position in the primary key, 0 if not in it */
};

static const struct common_col top_common[] = {
    {"source_id", 'i', 1},     {"external_id", 't', 2},    {"created_at", 'i', 0},
    {"updated_at", 'i', 0},    {"deleted_at", 'i', 0},     {"raw", 't', 0},
    {"first_seen_at", 'i', 0}, {"last_synced_at", 'i', 0},
};

static const struct common_col child_common[] = {
    {"source_id", 'i', 1}, {NULL, 't', 2},  {"external_id", 't', 3},
    {"line_no", 'i', 0},   {"raw", 't', 0}, {"deleted_at", 'i', 0},
};

/* Tables of marketsync's own that no stream may take. */
static const char *const own_tables[] = {"sources", "slices", "runs", "failed_records",
                                         "schema_migrations", "schedules", "jobs", "job_targets",
                                         "events", "webhooks", "source_health", "run_slices",
                                         /* who may see what */
                                         "accounts", "users", "user_accounts", "api_tokens",
                                         /* the SKU report's summary */
                                         "sku_daily", "sku_dirty", "sku_refreshed", NULL};

/* ---- fingerprints -------------------------------------------------------- */

static uint64_t mix_str(uint64_t h, const char *s) {
  for (const unsigned char *p = (const unsigned char *)(s ? s : "\x01"); *p; p++)
    h = (h ^ *p) * 1099511628211ULL;
  return (h ^ 0xff) * 1099511628211ULL; /* a separator no name holds */
}

static uint64_t mix_int(uint64_t h, int64_t v) {
  char num[24];
  snprintf(num, sizeof(num), "%lld", (long long)v);
  return mix_str(h, num);
}

/* What the store relies on in a description: names, types, flags, children
 * and cascades. A description changed in place, or another one at the same
 * address, has another fingerprint. */
static uint64_t def_sig(const struct stream_def *def, int depth) {
  uint64_t h = 1469598103934665603ULL;
  h = mix_str(h, def->name);
  h = mix_str(h, def->table);
  h = mix_str(h, def->parent);
  h = mix_str(h, def->parent_key);
  h = mix_int(h, def->flags);
  for (const struct column_def *c = def->columns; c && c->name; c++) {
    h = mix_str(h, c->name);
    h = mix_int(h, c->type);
    h = mix_str(h, c->minor);
    h = mix_int(h, c->flags);
  }
  for (size_t i = 0; depth < NESTING_MAX && def->children && def->children[i]; i++)
    h = mix_int(h, (int64_t)def_sig(def->children[i], depth + 1));
  for (const struct cascade_def *c = def->cascades; c && c->via; c++) {
    h = mix_str(h, c->via->name);
    h = mix_str(h, c->column);
    h = mix_str(h, c->target ? c->target->table : NULL);
    h = mix_str(h, c->target_column);
  }
  return h;
}

/* ---- the registry -------------------------------------------------------- */

static struct stable *registry_find(struct sqlite_store *s, const struct stream_def *def,
                                    uint64_t sig) {
  for (size_t i = 0; i < s->ntables; i++)
    if (s->tables[i]->def == def && s->tables[i]->sig == sig)
      return s->tables[i];
  return NULL;
}

static void stable_free(struct stable *t) {
  if (!t)
    return;
  free(t->cols);
  free(t->sql_find);
  free(t->sql_insert);
  free(t->sql_update);
  free(t->sql_touch);
  free(t->sql_exists);
  free(t->sql_next_line);
  free(t);
}

void stables_free(struct sqlite_store *s) {
  for (size_t i = 0; i < s->ntables; i++)
    stable_free(s->tables[i]);
  free(s->tables);
  s->tables = NULL;
  s->ntables = s->tables_cap = 0;
}

/* Forgets the entries from `mark` on: their DDL was rolled back. */
static void registry_drop(struct sqlite_store *s, size_t mark) {
  for (size_t i = mark; i < s->ntables; i++)
    stable_free(s->tables[i]);
  s->ntables = mark;
}

const struct stable *stable_kid(const struct stable *t, const struct stream_def *child) {
  for (size_t i = 0; i < t->nkids; i++)
    if (t->kids[i]->def == child)
      return t->kids[i];
  return NULL;
}

/* ---- checks -------------------------------------------------------------- */

static int check_nesting(const struct stream_def *def, int depth, struct err *err) {
  if (depth > NESTING_MAX)
    return err_set(err, MS_EINVAL, "stream %s: children nest more than %d levels deep",
                   def->name ? def->name : "(unnamed)", NESTING_MAX);
  for (size_t i = 0; def->children && def->children[i]; i++) {
    int rc = check_nesting(def->children[i], depth + 1, err);
    if (rc)
      return rc;
  }
  return MS_OK;
}

static int check_table_name(const struct stream_def *def, struct err *err) {
  for (size_t i = 0; own_tables[i]; i++)
    if (strcmp(def->table, own_tables[i]) == 0)
      return err_set(err, MS_EINVAL,
                     "stream %s: table %s is one marketsync keeps for itself; name another",
                     def->name, def->table);
  if (strncmp(def->table, "sqlite_", 7) == 0)
    return err_set(err, MS_EINVAL, "stream %s: table names starting with sqlite_ are SQLite's",
                   def->name);
  return MS_OK;
}

static int check_cascade(const struct stream_def *def, const struct cascade_def *c,
                         struct err *err) {
  int via_is_child = 0;
  for (size_t i = 0; def->children && def->children[i]; i++)
    via_is_child |= def->children[i] == c->via;
  if (!via_is_child)
    return err_set(err, MS_EINVAL, "stream %s: a cascade goes via %s, which is not its child",
                   def->name, c->via->name ? c->via->name : "(unnamed)");
  if (!c->column || !stream_column(c->via, c->column))
    return err_set(err, MS_EINVAL, "stream %s: a cascade names a column %s has not (%s)", def->name,
                   c->via->name, c->column ? c->column : "none");
  if (!c->target)
    return err_set(err, MS_EINVAL, "stream %s: a cascade via %s names no target stream", def->name,
                   c->via->name);
  if (!c->target_column || !stream_column(c->target, c->target_column))
    return err_set(err, MS_EINVAL, "stream %s: a cascade names a column %s has not (%s)", def->name,
                   c->target->name ? c->target->name : "(unnamed)",
                   c->target_column ? c->target_column : "none");
  return MS_OK;
}

/* ---- what the file holds -------------------------------------------------- */

/* The storage class SQLite gives a declared type (its affinity rules). */
static char affinity(const char *type) {
  char up[64];
  size_t i = 0;
  for (; type && type[i] && i + 1 < sizeof(up); i++)
    up[i] = (char)(type[i] >= 'a' && type[i] <= 'z' ? type[i] - 'a' + 'A' : type[i]);
  up[i] = '\0';
  if (strstr(up, "INT"))
    return 'i';
  if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT"))
    return 't';
  return 'o';
}

/* A default we may write into SQL ourselves: a number or a quoted string. */
static int plain_literal(const char *v) {
  size_t n = v ? strlen(v) : 0;
  if (n == 0 || n >= sizeof(((struct have_col *)0)->dflt))
    return 0;
  if (v[0] == '\'')
    return n >= 2 && v[n - 1] == '\'' && !memchr(v + 1, '\'', n - 2);
  for (size_t i = (v[0] == '-'); i < n; i++)
    if (!((v[i] >= '0' && v[i] <= '9') || v[i] == '.'))
      return 0;
  return 1;
}

static int have_row(void *ctx, sqlite3_stmt *q) {
  struct have *h = ctx;
  struct have_col *c;
  const char *dflt = col_text(q, 3);
  if (array_reserve((void **)&h->v, &h->cap, h->n + 1, sizeof(*h->v), 16))
    return h->bad = MS_ENOMEM;
  c = &h->v[h->n++];
  memset(c, 0, sizeof(*c));
  col_copy(q, 0, c->name, sizeof(c->name));
  c->kind = affinity(col_text(q, 1));
  c->notnull = sqlite3_column_int(q, 2) != 0;
  if (plain_literal(dflt))
    snprintf(c->dflt, sizeof(c->dflt), "%s", dflt);
  c->pk = sqlite3_column_int(q, 4);
  return MS_OK;
}

static int have_read(struct sqlite_store *s, const char *table, struct have *h, struct err *err) {
  int rc = q_each(s, "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)",
                  ARGS(A_TEXT(table)), have_row, h, err, "reading a table's columns");
  if (h->bad)
    return err_set(err, h->bad, "out of memory reading the columns of %s", table);
  return rc;
}

static const struct have_col *have_find(const struct have *h, const char *name) {
  for (size_t i = 0; i < h->n; i++)
    if (strcmp(h->v[i].name, name) == 0)
      return &h->v[i];
  return NULL;
}

static const char *kind_words(char kind) {
  return kind == 'i' ? "integers" : kind == 't' ? "text" : "values of another type";
}

/* ---- stored columns ------------------------------------------------------- */

static int is_integer(enum col_type t) {
  return t == COL_INT || t == COL_BOOL || t == COL_TIME;
}

static int name_taken(const struct stable *t, const char *name) {
  const struct common_col *common = t->def->parent ? child_common : top_common;
  size_t n = t->def->parent ? sizeof(child_common) / sizeof(child_common[0])
                            : sizeof(top_common) / sizeof(top_common[0]);
  for (size_t i = 0; i < n; i++)
    if (strcmp(common[i].name ? common[i].name : t->def->parent_key, name) == 0)
      return 1;
  for (size_t i = 0; i < t->ncols; i++)
    if (strcmp(t->cols[i].name, name) == 0)
      return 1;
  return 0;
}

static int scol_add(struct stable *t, const struct column_def *c, size_t val, int minor,
                    struct err *err) {
  struct scol *sc = &t->cols[t->ncols];
  memset(sc, 0, sizeof(*sc));
  if (minor && c->minor)
    snprintf(sc->name, sizeof(sc->name), "%s", c->minor);
  else if (minor)
    snprintf(sc->name, sizeof(sc->name), "%s_minor", c->name);
  else
    snprintf(sc->name, sizeof(sc->name), "%s", c->name);
  if (name_taken(t, sc->name))
    return err_set(err, MS_EINVAL, "stream %s: column %s is named twice (%s holds it)",
                   t->def->name, sc->name, minor ? "a money column's minor units" : "a column");
  sc->def = c;
  sc->val = val;
  sc->integer = minor || is_integer(c->type);
  sc->minor = minor;
  sc->local = (c->flags & COL_LOCAL) != 0;
  t->ncols++;
  return MS_OK;
}

static int scols_make(struct stable *t, struct err *err) {
  size_t n = 0, i = 0;
  const struct column_def *c;
  for (c = t->def->columns; c && c->name; c++)
    n += c->type == COL_MONEY ? 2 : 1;
  t->cols = calloc(n ? n : 1, sizeof(*t->cols));
  if (!t->cols)
    return err_set(err, MS_ENOMEM, "out of memory preparing stream %s", t->def->name);
  for (c = t->def->columns; c && c->name; c++, i++) {
    int rc = scol_add(t, c, i, 0, err);
    if (!rc && c->type == COL_MONEY)
      rc = scol_add(t, c, i, 1, err);
    if (rc)
      return rc;
  }
  t->nvals = i;
  return MS_OK;
}

/* ---- DDL ----------------------------------------------------------------- */

static int ddl(struct sqlite_store *s, struct buf *b, struct err *err) {
  if (!b->data)
    return err_set(err, MS_ENOMEM, "out of memory writing SQL");
  return q_each(s, b->data, NO_ARGS, NULL, NULL, err, "changing a stream's table");
}

static int create_table(struct sqlite_store *s, const struct stable *t, struct err *err) {
  const struct stream_def *d = t->def;
  struct buf b;
  int rc;
  buf_init(&b, 0);
  rc = buf_printf(&b,
                  "CREATE TABLE \"%s\" (source_id INTEGER NOT NULL REFERENCES sources (id) "
                  "ON DELETE CASCADE, ",
                  d->table);
  if (!rc && d->parent)
    rc = buf_printf(&b,
                    "\"%s\" TEXT NOT NULL, external_id TEXT NOT NULL, line_no INTEGER, raw TEXT, "
                    "deleted_at INTEGER",
                    d->parent_key);
  else if (!rc)
    rc = buf_puts(&b, "external_id TEXT NOT NULL, created_at INTEGER, updated_at INTEGER, "
                      "deleted_at INTEGER, raw TEXT, first_seen_at INTEGER, "
                      "last_synced_at INTEGER");
  for (size_t i = 0; !rc && i < t->ncols; i++)
    rc = buf_printf(&b, ", \"%s\" %s", t->cols[i].name, t->cols[i].integer ? "INTEGER" : "TEXT");
  if (!rc && d->parent)
    rc = buf_printf(&b, ", PRIMARY KEY (source_id, \"%s\", external_id))", d->parent_key);
  else if (!rc)
    rc = buf_puts(&b, ", PRIMARY KEY (source_id, external_id))");
  rc = rc ? err_set(err, rc, "out of memory writing SQL") : ddl(s, &b, err);
  buf_release(&b);
  return rc;
}

static int add_column(struct sqlite_store *s, const char *table, const char *name, int integer,
                      struct err *err) {
  struct buf b;
  int rc;
  buf_init(&b, 0);
  rc = buf_printf(&b, "ALTER TABLE \"%s\" ADD COLUMN \"%s\" %s", table, name,
                  integer ? "INTEGER" : "TEXT");
  rc = rc ? err_set(err, rc, "out of memory writing SQL") : ddl(s, &b, err);
  buf_release(&b);
  return rc;
}

/* An existing table: the key it must have, and the columns it lacks. */
static int extend_table(struct sqlite_store *s, const struct stable *t, const struct have *h,
                        struct err *err) {
  const struct stream_def *d = t->def;
  const struct common_col *common = d->parent ? child_common : top_common;
  size_t ncommon = d->parent ? sizeof(child_common) / sizeof(child_common[0])
                             : sizeof(top_common) / sizeof(top_common[0]);
  int keys = 0;
  for (size_t i = 0; i < h->n; i++)
    keys += h->v[i].pk != 0;
  for (size_t i = 0; i < ncommon; i++) {
    const char *name = common[i].name ? common[i].name : d->parent_key;
    const struct have_col *c = have_find(h, name);
    if (common[i].pk && (!c || c->pk != common[i].pk)) {
      keys = -1;
      break;
    }
    if (c && c->kind != common[i].kind)
      return err_set(err, MS_EINVAL,
                     "stream %s: table %s has column %s holding %s, not %s as every stream "
                     "table does",
                     d->name, d->table, name, kind_words(c->kind), kind_words(common[i].kind));
  }
  if (keys != (d->parent ? 3 : 2))
    return err_set(err, MS_EINVAL,
                   "stream %s: table %s exists with another key than a %s stream needs "
                   "(source_id, %s%sexternal_id); give the stream a table of its own",
                   d->name, d->table, d->parent ? "child" : "top-level",
                   d->parent ? d->parent_key : "", d->parent ? ", " : "");
  for (size_t i = 0; i < ncommon; i++) {
    const char *name = common[i].name ? common[i].name : d->parent_key;
    int rc = have_find(h, name) ? MS_OK : add_column(s, d->table, name, common[i].kind == 'i', err);
    if (rc)
      return rc;
  }
  for (size_t i = 0; i < t->ncols; i++) {
    const struct scol *sc = &t->cols[i];
    const struct have_col *c = have_find(h, sc->name);
    char want = sc->integer ? 'i' : 't';
    int rc = MS_OK;
    if (c && c->kind != want)
      return err_set(err, MS_EINVAL,
                     "stream %s: table %s has column %s holding %s, but the stream stores %s "
                     "in it; name the stream's column otherwise",
                     d->name, d->table, sc->name, kind_words(c->kind), kind_words(want));
    if (!c)
      rc = add_column(s, d->table, sc->name, sc->integer, err);
    if (rc)
      return rc;
  }
  return MS_OK;
}

static int create_indexes(struct sqlite_store *s, const struct stable *t, struct err *err) {
  const struct stream_def *d = t->def;
  struct buf b;
  int rc = MS_OK;
  buf_init(&b, 0);
  /* external_id last: exports walk the index in order without sorting. */
  if (!d->parent) {
    rc = buf_printf(&b,
                    "CREATE INDEX IF NOT EXISTS \"%s_created\" ON \"%s\" (source_id, created_at, "
                    "external_id)",
                    d->table, d->table);
    rc = rc ? err_set(err, rc, "out of memory writing SQL") : ddl(s, &b, err);
  }
  for (const struct column_def *c = d->columns; !rc && c && c->name; c++) {
    if (!(c->flags & COL_INDEX))
      continue;
    buf_reset(&b);
    rc = buf_printf(&b, "CREATE INDEX IF NOT EXISTS \"%s_by_%s\" ON \"%s\" (source_id, \"%s\")",
                    d->table, c->name, d->table, c->name);
    rc = rc ? err_set(err, rc, "out of memory writing SQL") : ddl(s, &b, err);
  }
  buf_release(&b);
  return rc;
}

/* ---- generated SQL -------------------------------------------------------- */

/* ?N, or coalesce(?N, default) for a NOT NULL column with a default (the
 * tables of migration 0001): a value the record lacks takes the default
 * rather than breaking the constraint. */
static int put_param(struct buf *b, const struct have *h, const char *name, int n) {
  const struct have_col *c = h ? have_find(h, name) : NULL;
  if (c && c->notnull && c->dflt[0])
    return buf_printf(b, "coalesce(?%d, %s)", n, c->dflt);
  return buf_printf(b, "?%d", n);
}

static char *sql_done(struct buf *b, int rc) {
  if (rc) {
    buf_release(b);
    return NULL;
  }
  return buf_detach(b);
}

static int top_sql(struct stable *t, const struct have *h) {
  const char *tb = t->def->table;
  struct buf ins, upd, find, touch;
  int rc, n = 7;
  buf_init(&ins, 0);
  buf_init(&upd, 0);
  buf_init(&find, 0);
  buf_init(&touch, 0);
  rc = buf_printf(&touch,
                  "UPDATE \"%s\" SET last_synced_at = ?3, deleted_at = CASE WHEN ?4 THEN NULL "
                  "ELSE deleted_at END WHERE source_id = ?1 AND external_id = ?2",
                  tb);
  /* The status columns come along: a newer copy that changes one is an
   * event (records.c). */
  if (!rc)
    /* Without an update time, a copy is newer when it differs (?3: its
     * raw); with one, the third column is a constant. */
    rc = buf_printf(&find, "SELECT updated_at, deleted_at, %s, created_at",
                    t->def->updated ? "0" : "raw IS ?3");
  for (size_t i = 0, k = 0; !rc && i < t->ncols && k < STAMP_STATUS_MAX; i++)
    if (status_col(&t->cols[i]) && ++k)
      rc = buf_printf(&find, ", \"%s\"", t->cols[i].name);
  if (!rc)
    rc = buf_printf(&find, " FROM \"%s\" WHERE source_id = ?1 AND external_id = ?2", tb);
  if (!rc)
    rc = buf_printf(&ins,
                    "INSERT INTO \"%s\" (source_id, external_id, created_at, updated_at, raw, "
                    "first_seen_at, last_synced_at",
                    tb);
  if (!rc)
    rc = buf_printf(&upd,
                    "UPDATE \"%s\" SET created_at = ?3, updated_at = ?4, raw = ?5, "
                    "last_synced_at = ?6, deleted_at = NULL",
                    tb);
  for (size_t i = 0; !rc && i < t->ncols; i++) {
    if (t->cols[i].local)
      continue;
    rc = buf_printf(&ins, ", \"%s\"", t->cols[i].name);
    if (!rc)
      rc = buf_printf(&upd, ", \"%s\" = ", t->cols[i].name);
    if (!rc)
      rc = put_param(&upd, h, t->cols[i].name, n++);
  }
  if (!rc)
    rc = buf_puts(&ins, ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6");
  n = 7;
  for (size_t i = 0; !rc && i < t->ncols; i++) {
    if (t->cols[i].local)
      continue;
    rc = buf_puts(&ins, ", ");
    if (!rc)
      rc = put_param(&ins, h, t->cols[i].name, n++);
  }
  if (!rc)
    rc = buf_puts(&ins, ") ON CONFLICT (source_id, external_id) DO NOTHING");
  if (!rc)
    rc = buf_puts(&upd, " WHERE source_id = ?1 AND external_id = ?2");
  t->sql_find = sql_done(&find, rc);
  t->sql_insert = sql_done(&ins, rc);
  t->sql_update = sql_done(&upd, rc);
  t->sql_touch = sql_done(&touch, rc);
  return t->sql_find && t->sql_insert && t->sql_update && t->sql_touch ? MS_OK : MS_ENOMEM;
}

static int child_sql(struct stable *t, const struct have *h) {
  const char *tb = t->def->table, *pk = t->def->parent_key;
  struct buf ins, set, exists, next;
  int rc, n = 6;
  buf_init(&ins, 0);
  buf_init(&set, 0);
  buf_init(&exists, 0);
  buf_init(&next, 0);
  rc = buf_printf(&exists, "SELECT 1 FROM \"%s\" WHERE source_id = ?1 AND \"%s\" = ?2 LIMIT 1", tb,
                  pk);
  if (!rc)
    rc = buf_printf(&next,
                    "SELECT coalesce(max(line_no) + 1, 0) FROM \"%s\" WHERE source_id = ?1 AND "
                    "\"%s\" = ?2",
                    tb, pk);
  if (!rc)
    rc = buf_printf(&ins, "INSERT INTO \"%s\" (source_id, \"%s\", external_id, line_no, raw", tb,
                    pk);
  if (!rc)
    rc = buf_printf(&set,
                    " ON CONFLICT (source_id, \"%s\", external_id) DO UPDATE SET "
                    "line_no = excluded.line_no, raw = excluded.raw, deleted_at = NULL",
                    pk);
  for (size_t i = 0; !rc && i < t->ncols; i++) {
    if (t->cols[i].local)
      continue;
    rc = buf_printf(&ins, ", \"%s\"", t->cols[i].name);
    if (!rc)
      rc = buf_printf(&set, ", \"%s\" = excluded.\"%s\"", t->cols[i].name, t->cols[i].name);
  }
  if (!rc)
    rc = buf_puts(&ins, ") VALUES (?1, ?2, ?3, ?4, ?5");
  for (size_t i = 0; !rc && i < t->ncols; i++) {
    if (t->cols[i].local)
      continue;
    rc = buf_puts(&ins, ", ");
    if (!rc)
      rc = put_param(&ins, h, t->cols[i].name, n++);
  }
  if (!rc)
    rc = buf_putc(&ins, ')');
  if (!rc)
    rc = buf_append(&ins, set.data, set.len);
  buf_release(&set);
  t->sql_exists = sql_done(&exists, rc);
  t->sql_next_line = sql_done(&next, rc);
  t->sql_insert = sql_done(&ins, rc);
  return t->sql_exists && t->sql_next_line && t->sql_insert ? MS_OK : MS_ENOMEM;
}

/* ---- preparing ----------------------------------------------------------- */

/* The table of t as its description says: made, or extended; then the SQL
 * its records need. */
static int table_make(struct sqlite_store *s, struct stable *t, struct err *err) {
  struct have h = {0};
  int rc = check_table_name(t->def, err);
  if (!rc)
    rc = scols_make(t, err);
  if (!rc)
    rc = have_read(s, t->def->table, &h, err);
  if (!rc && h.n == 0)
    rc = create_table(s, t, err);
  else if (!rc)
    rc = extend_table(s, t, &h, err);
  if (!rc)
    rc = create_indexes(s, t, err);
  if (!rc)
    rc = t->def->parent ? child_sql(t, h.n ? &h : NULL) : top_sql(t, h.n ? &h : NULL);
  if (rc == MS_ENOMEM)
    err_set(err, rc, "out of memory preparing stream %s", t->def->name);
  free(h.v);
  return rc;
}

static int registry_add(struct sqlite_store *s, struct stable *t) {
  if (array_reserve((void **)&s->tables, &s->tables_cap, s->ntables + 1, sizeof(*s->tables), 16))
    return MS_ENOMEM;
  s->tables[s->ntables++] = t;
  return MS_OK;
}

/* Inside the transaction: def's table, then its children's, then the
 * targets of its cascades. An entry met again (a cascade that comes back)
 * is the same entry. */
static int prepare_tree(struct sqlite_store *s, const struct stream_def *def,
                        const struct stable *parent, struct stable **out, struct err *err) {
  uint64_t sig = def_sig(def, 0);
  struct stable *t = registry_find(s, def, sig);
  int rc;
  if (t) {
    if (parent && !t->parent)
      t->parent = parent;
    *out = t;
    return MS_OK;
  }
  t = calloc(1, sizeof(*t));
  if (!t || registry_add(s, t)) {
    free(t);
    return err_set(err, MS_ENOMEM, "out of memory preparing stream %s", def->name);
  }
  t->def = def;
  t->sku_days = strcmp(def->table, "orders") == 0; /* skus.c: the summary reads it */
  t->sig = sig;
  t->parent = parent;
  rc = table_make(s, t, err);
  for (size_t i = 0; !rc && def->children && def->children[i]; i++)
    rc = prepare_tree(s, def->children[i], t, &t->kids[t->nkids++], err);
  for (const struct cascade_def *c = def->cascades; !rc && c && c->via; c++) {
    struct stable *target;
    rc = check_cascade(def, c, err);
    if (!rc)
      rc = check_nesting(c->target, 0, err);
    if (!rc)
      rc = stream_check(c->target, err);
    if (!rc)
      rc = prepare_tree(s, c->target, NULL, &target, err);
  }
  *out = t;
  return rc;
}

int stable_get(struct sqlite_store *s, const struct stream_def *def, const struct stable **out,
               struct err *err) {
  struct stable *t;
  size_t mark;
  int rc;
  if (!def)
    return err_set(err, MS_EINVAL, "no stream given");
  t = registry_find(s, def, def_sig(def, 0));
  if (t && t->ready) {
    *out = t;
    return MS_OK;
  }
  rc = check_nesting(def, 0, err);
  if (!rc)
    rc = stream_check(def, err);
  if (rc)
    return rc;
  if (!sqlite3_get_autocommit(s->db))
    return err_set(err, MS_EINVAL, "stream %s must be prepared before its records are written",
                   def->name);
  rc = tx_begin_alone(s, err); /* its registry entry must not outlive a lost group */
  if (rc)
    return rc;
  mark = s->ntables;
  rc = prepare_tree(s, def, NULL, &t, err);
  if (!rc)
    rc = tx_commit(s, err);
  if (rc) {
    tx_rollback(s);
    registry_drop(s, mark);
    return rc;
  }
  for (size_t i = mark; i < s->ntables; i++)
    s->tables[i]->ready = 1;
  *out = t;
  return MS_OK;
}

int sqlite_stream_prepare(struct store *st, const struct stream_def *def, struct err *err) {
  const struct stable *t;
  return stable_get(backend(st), def, &t, err);
}
