/* Records of any stream: the generic upsert, children, deletions, cascades
 * and snapshot sweeps; then the queries that read records back.
 *
 * A record is keyed by (source, external_id). A copy whose updated_at is
 * not newer than the stored one changes nothing but last_synced_at; a newer
 * copy replaces the row and the children it carries (the children of each
 * child stream read with it: the parent's rows in that child's table are
 * deleted, with their own children, and the new set inserted in order); a
 * new record is inserted. Columns flagged COL_LOCAL are kept by marketsync
 * and never written from a record.
 *
 * Deleting never drops a row: deleted_at is set on the record, on its
 * children at every depth, and on the records its cascades reach. Writing a
 * newer copy of a deleted record brings it back, with its children.
 *
 * The SQL that walks down the children is generated per call from the
 * stream's description: each level selects the ids of the level above
 * ("... WHERE parent_key IN (SELECT external_id FROM <parent table> WHERE
 * ...)"), with ?1 the source, ?2 the record's id (or a sweep's start), ?3
 * the time of deletion. The statement cache keeps each text prepared.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"
#include "util/array.h"

#define VALUE_ARGS (2 * STREAM_COLUMNS_MAX + 8) /* arguments of an insert or update */

static size_t text_len(const char *s, size_t len) {
  return len ? len : strlen(s);
}

static const struct value *val_at(const struct record *r, size_t i) {
  return r && i < r->nvals ? &r->vals[i] : NULL;
}

static int event_of(struct upsert *u, const struct stable *t, const char *prefix, const char *what,
                    const char *id, const cJSON *data, struct err *err);
static int makes_events(const struct upsert *u, const struct stable *t);

/* ---- checks -------------------------------------------------------------- */

/* Who a checked record is, for messages: "record 1001", or one of its
 * children ("record 1001: line_items 2"). Written out only when a check
 * fails: a page holds thousands of children, and naming each one as it
 * was checked took longer than checking it. */
struct who {
  const struct who *parent; /* the record holding it; NULL at the top */
  const char *id;           /* at the top: the record's id */
  const char *stream;       /* a child: the name of its stream */
  size_t pos;               /* a child: its position, from 1 */
};

/* The name, cut to n bytes: a top-level record's (STORE_ID_MAX + 16 bytes)
 * or a child's (160). */
static void who_text(const struct who *w, char *out, size_t n) {
  size_t len;
  if (!w->parent) {
    snprintf(out, n, "record %s", w->id);
    return;
  }
  who_text(w->parent, out, n);
  len = strlen(out);
  snprintf(out + len, n - len, "%s%s %zu", len ? ": " : "", w->stream, w->pos);
}

#define WHO_MAX 160 /* bytes of a child's name in messages */

/* Sets err to "<who> <the rest>": fmt and the arguments say the rest. */
static int who_fail(struct err *err, const struct who *w, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int who_fail(struct err *err, const struct who *w, const char *fmt, ...) {
  char who[WHO_MAX > STORE_ID_MAX + 16 ? WHO_MAX : STORE_ID_MAX + 16], rest[MS_ERR_MSG_MAX];
  va_list ap;
  who_text(w, who, w->parent ? WHO_MAX : STORE_ID_MAX + 16);
  va_start(ap, fmt);
  vsnprintf(rest, sizeof(rest), fmt, ap);
  va_end(ap);
  return err_set(err, MS_EINVAL, "%s %s", who, rest);
}

/* The values of r that a stored column cannot hold. */
static int values_check(const struct stable *t, const struct record *r, const struct who *w,
                        struct err *err) {
  if (r->nvals > t->nvals)
    return who_fail(err, w, "holds %zu values, but stream %s has %zu columns", r->nvals,
                    t->def->name, t->nvals);
  for (size_t i = 0; i < t->ncols; i++) {
    const struct scol *sc = &t->cols[i];
    const struct value *v = val_at(r, sc->val);
    /* JSON values are bounded by the record's raw size instead. */
    if (sc->integer || sc->def->type == COL_JSON || !v || !v->set || !v->text)
      continue;
    if (strlen(v->text) > STORE_TEXT_MAX)
      return who_fail(err, w, "has a %s longer than %d bytes", sc->name, STORE_TEXT_MAX);
  }
  return MS_OK;
}

static int kids_check(const struct stable *t, const struct record *r, const struct who *w,
                      struct err *err);

/* One child of a set (or of a follow-up page), position j from 0. */
static int child_check(const struct stable *k, const struct record *c, size_t j,
                       const struct who *parent, struct err *err) {
  struct who w = {parent, NULL, k->def->name, j + 1};
  if (c->unreadable)
    return who_fail(err, &w, "could not be read: %s", c->unreadable);
  if (!c->external_id || !*c->external_id)
    return who_fail(err, &w, "has no id");
  if (strlen(c->external_id) > STORE_ID_MAX)
    return who_fail(err, &w, "has an id longer than %d bytes", STORE_ID_MAX);
  if (c->raw && text_len(c->raw, c->raw_len) > STORE_RAW_MAX)
    return who_fail(err, &w, "is %zu bytes of JSON, over the limit of %d",
                    text_len(c->raw, c->raw_len), STORE_RAW_MAX);
  int rc = values_check(k, c, &w, err);
  return rc ? rc : kids_check(k, c, &w, err);
}

static int kids_check(const struct stable *t, const struct record *r, const struct who *w,
                      struct err *err) {
  for (size_t i = 0; i < r->nkids; i++) {
    const struct record_set *set = &r->kids[i];
    const struct stable *k = set->def ? stable_kid(t, set->def) : NULL;
    if (!k)
      return who_fail(err, w, "holds children of %s, which is not a child of %s",
                      set->def && set->def->name ? set->def->name : "an unnamed stream",
                      t->def->name);
    if (set->n > STORE_ITEMS_MAX)
      return who_fail(err, w, "has %zu %s, over the limit of %d", set->n, k->def->name,
                      STORE_ITEMS_MAX);
    if (set->n && !set->recs)
      return who_fail(err, w, "lost its %s", k->def->name);
    for (size_t j = 0; j < set->n; j++) {
      int rc = child_check(k, &set->recs[j], j, w, err);
      if (rc)
        return rc;
    }
  }
  return MS_OK;
}

int children_check(const struct stable *k, const char *parent_id, const struct record *recs,
                   size_t n, struct err *err) {
  struct who w = {NULL, parent_id, NULL, 0};
  for (size_t j = 0; j < n; j++) {
    int rc = child_check(k, &recs[j], j, &w, err);
    if (rc)
      return rc;
  }
  return MS_OK;
}

int record_check(const struct stable *t, const struct record *r, struct err *err) {
  const char *id = r->external_id;
  struct who w = {NULL, id, NULL, 0};
  size_t raw;
  if (!id || !*id)
    return err_set(err, MS_EINVAL, "the record has no id");
  if (strlen(id) > STORE_ID_MAX)
    return err_set(err, MS_EINVAL, "the record's id is longer than %d bytes (\"%.40s...\")",
                   STORE_ID_MAX, id);
  if (r->gone_from && (!r->gone_id || !*r->gone_id || strlen(r->gone_id) > STORE_ID_MAX))
    return err_set(err, MS_EINVAL, "deletion %s names no usable record id", id);
  if (!r->raw)
    return err_set(err, MS_EINVAL, "record %s has no raw JSON", id);
  raw = text_len(r->raw, r->raw_len);
  if (raw > STORE_RAW_MAX)
    return err_set(err, MS_EINVAL, "record %s is %zu bytes of JSON, over the limit of %d", id, raw,
                   STORE_RAW_MAX);
  if (r->created_at < 0 || r->updated_at < 0)
    return err_set(err, MS_EINVAL, "record %s has a time before 1970", id);
  int rc = values_check(t, r, &w, err);
  return rc ? rc : kids_check(t, r, &w, err);
}

/* ---- binding values ------------------------------------------------------ */

/* Appends the arguments of r's stored columns (COL_LOCAL ones left out) to a. */
static size_t values_args(const struct stable *t, const struct record *r, struct arg *a, size_t n) {
  for (size_t i = 0; i < t->ncols && n < VALUE_ARGS; i++) {
    const struct scol *sc = &t->cols[i];
    const struct value *v = val_at(r, sc->val);
    if (sc->local)
      continue;
    if (!v || !v->set)
      a[n++] = A_NULL;
    else if (sc->integer)
      a[n++] = A_INT(v->i);
    else
      a[n++] = A_TEXT(v->text);
  }
  return n;
}

static struct arg raw_arg(const struct record *r) {
  return r->raw ? A_TEXTN(r->raw, text_len(r->raw, r->raw_len)) : A_NULL;
}

/* ---- walking down the children ------------------------------------------- */

/* What to do at each level under a set of parents. */
enum walk_op {
  WALK_PURGE,  /* delete the rows (deepest first): ?1 source, ?2 id */
  WALK_BURY,   /* mark them deleted at ?3, unless they are: ?1, ?2, ?3 */
  WALK_UNBURY, /* clear their mark: ?1, ?2 */
};

/* The ids of k's rows under the parents `ids` selects. */
static int ids_below(struct buf *b, const struct stable *k, const char *ids) {
  return buf_printf(b, "SELECT external_id FROM \"%s\" WHERE source_id = ?1 AND \"%s\" IN (%s)",
                    k->def->table, k->def->parent_key, ids);
}

/* One level: op on k's rows under the parents `ids` selects; p2 binds ?2
 * (a record's id, or a sweep's start). */
static int walk_level(struct upsert *u, const struct stable *k, const char *ids, enum walk_op op,
                      struct arg p2, int64_t when, struct err *err) {
  const char *tb = k->def->table, *pk = k->def->parent_key;
  struct buf b;
  int rc;
  buf_init(&b, 0);
  if (op == WALK_PURGE)
    rc = buf_printf(&b, "DELETE FROM \"%s\" WHERE source_id = ?1 AND \"%s\" IN (%s)", tb, pk, ids);
  else if (op == WALK_BURY)
    rc = buf_printf(&b,
                    "UPDATE \"%s\" SET deleted_at = ?3 WHERE source_id = ?1 AND \"%s\" IN (%s) "
                    "AND deleted_at IS NULL",
                    tb, pk, ids);
  else
    rc = buf_printf(&b,
                    "UPDATE \"%s\" SET deleted_at = NULL WHERE source_id = ?1 AND \"%s\" IN (%s) "
                    "AND deleted_at IS NOT NULL",
                    tb, pk, ids);
  if (rc)
    rc = err_set(err, rc, "out of memory writing SQL");
  else if (op == WALK_BURY)
    rc = q_each(u->s, b.data, ARGS(A_INT(u->source_id), p2, A_INT(when)), NULL, NULL, err,
                "marking records deleted");
  else
    rc = q_each(u->s, b.data, ARGS(A_INT(u->source_id), p2), NULL, NULL, err,
                op == WALK_PURGE ? "replacing children" : "restoring children");
  buf_release(&b);
  return rc;
}

/* Applies op to k's rows under the parents `ids` selects, and to all the
 * rows under those. */
static int walk(struct upsert *u, const struct stable *k, const char *ids, enum walk_op op,
                struct arg p2, int64_t when, struct err *err) {
  struct buf below;
  int rc = op != WALK_PURGE ? walk_level(u, k, ids, op, p2, when, err) : MS_OK;
  if (!rc && k->nkids) {
    buf_init(&below, 0);
    rc = ids_below(&below, k, ids);
    if (rc)
      rc = err_set(err, rc, "out of memory writing SQL");
    for (size_t i = 0; !rc && i < k->nkids; i++)
      rc = walk(u, k->kids[i], below.data, op, p2, when, err);
    buf_release(&below);
  }
  /* Deleting goes deepest first: the levels below select through this one. */
  if (!rc && op == WALK_PURGE)
    rc = walk_level(u, k, ids, op, p2, when, err);
  return rc;
}

/* The same under one parent, by its id. */
static int walk_id(struct upsert *u, const struct stable *k, const char *parent_id, enum walk_op op,
                   int64_t when, struct err *err) {
  return walk(u, k, "?2", op, A_TEXT(parent_id), when, err);
}

/* ---- deletions ------------------------------------------------------------ */

/* The cascades of t's records that `ids` selects: the target records whose
 * target column holds the via column of one of their via children, marked
 * deleted with their children. One level: a target's own cascades do not
 * follow. */
static int cascades_bury(struct upsert *u, const struct stable *t, const char *ids, struct arg p2,
                         int64_t when, struct err *err) {
  for (const struct cascade_def *c = t->def->cascades; c && c->via; c++) {
    const struct stable *via = stable_kid(t, c->via), *target;
    struct buf from, sql, gone;
    int rc = stable_get(u->s, c->target, &target, err);
    if (rc)
      return rc;
    if (!via)
      return err_set(err, MS_EINVAL, "stream %s: its cascade via %s was not prepared", t->def->name,
                     c->via->name);
    buf_init(&from, 0);
    buf_init(&sql, 0);
    buf_init(&gone, 0);
    rc = buf_printf(&from,
                    "\"%s\" IN (SELECT \"%s\" FROM \"%s\" WHERE source_id = ?1 AND \"%s\" IN (%s))",
                    c->target_column, c->column, via->def->table, via->def->parent_key, ids);
    if (!rc)
      rc = buf_printf(&sql,
                      "UPDATE \"%s\" SET deleted_at = ?3 WHERE source_id = ?1 AND %s AND "
                      "deleted_at IS NULL",
                      target->def->table, from.data);
    if (!rc)
      rc = buf_printf(&gone,
                      "SELECT external_id FROM \"%s\" WHERE source_id = ?1 AND deleted_at = ?3 "
                      "AND %s",
                      target->def->table, from.data);
    if (rc)
      rc = err_set(err, rc, "out of memory writing SQL");
    if (!rc)
      rc = q_each(u->s, sql.data, ARGS(A_INT(u->source_id), p2, A_INT(when)), NULL, NULL, err,
                  "marking records deleted");
    if (!rc)
      u->c->deleted += q_changes(u->s);
    for (size_t i = 0; !rc && i < target->nkids; i++)
      rc = walk(u, target->kids[i], gone.data, WALK_BURY, p2, when, err);
    buf_release(&from);
    buf_release(&sql);
    buf_release(&gone);
    if (rc)
      return rc;
  }
  return MS_OK;
}

int record_gone(struct upsert *u, const struct stable *gone, const struct record *r,
                struct err *err) {
  int64_t when = r->gone_at > 0 ? r->gone_at : u->now;
  const char *id = r->gone_id;
  int rc = gone->sku_days && u->days
               ? sku_days_of_stored(u->s, gone, u->source_id, id, u->days, err)
               : MS_OK;
  if (rc)
    return rc;
  rc = q_eachf(u->s, ARGS(A_INT(u->source_id), A_TEXT(id), A_INT(when)), NULL, NULL, err,
               "marking a record deleted",
               "UPDATE \"%s\" SET deleted_at = ?3 WHERE source_id = ?1 AND external_id = ?2 AND "
               "deleted_at IS NULL",
               gone->def->table);
  if (!rc && q_changes(u->s) > 0) {
    u->c->deleted += q_changes(u->s);
    if (makes_events(u, gone))
      rc = event_of(u, gone, gone->def->event, "deleted", id, NULL, err);
  }
  for (size_t i = 0; !rc && i < gone->nkids; i++)
    rc = walk_id(u, gone->kids[i], id, WALK_BURY, when, err);
  if (!rc)
    rc = cascades_bury(u, gone, "?2", A_TEXT(id), when, err);
  return rc;
}

int records_sweep(struct upsert *u, const struct stable *t, int64_t started_at, struct err *err) {
  struct buf sql, ids;
  int rc;
  buf_init(&sql, 0);
  buf_init(&ids, 0);
  rc = buf_printf(&sql,
                  "UPDATE \"%s\" SET deleted_at = ?3 WHERE source_id = ?1 AND last_synced_at < ?2 "
                  "AND deleted_at IS NULL",
                  t->def->table);
  if (!rc)
    rc = buf_printf(&ids,
                    "SELECT external_id FROM \"%s\" WHERE source_id = ?1 AND deleted_at = ?3 AND "
                    "last_synced_at < ?2",
                    t->def->table);
  if (rc)
    rc = err_set(err, rc, "out of memory writing SQL");
  else
    rc = q_each(u->s, sql.data, ARGS(A_INT(u->source_id), A_INT(started_at), A_INT(u->now)), NULL,
                NULL, err, "marking records the snapshot lacks deleted");
  if (!rc)
    u->c->deleted += q_changes(u->s);
  for (size_t i = 0; !rc && i < t->nkids; i++)
    rc = walk(u, t->kids[i], ids.data, WALK_BURY, A_INT(started_at), u->now, err);
  if (!rc)
    rc = cascades_bury(u, t, ids.data, A_INT(started_at), u->now, err);
  buf_release(&sql);
  buf_release(&ids);
  return rc;
}

/* ---- children ------------------------------------------------------------- */

static int child_insert(struct upsert *u, const struct stable *k, const char *parent_id,
                        const struct record *c, int64_t line_no, struct err *err);

/* The set of k's rows under parent_id becomes `recs`, numbered from base;
 * `replace` deletes what was there first. */
static int kids_write(struct upsert *u, const struct stable *k, const char *parent_id,
                      const struct record *recs, size_t n, int replace, int64_t base,
                      struct err *err) {
  int rc = replace ? walk_id(u, k, parent_id, WALK_PURGE, 0, err) : MS_OK;
  for (size_t j = 0; !rc && j < n; j++)
    rc = child_insert(u, k, parent_id, &recs[j], base + (int64_t)j, err);
  return rc;
}

/* One child row (upserted: a set naming a child twice keeps the last), then
 * the children it carries in place of its stored ones. */
static int child_insert(struct upsert *u, const struct stable *k, const char *parent_id,
                        const struct record *c, int64_t line_no, struct err *err) {
  struct arg a[VALUE_ARGS];
  size_t n = 0;
  int rc;
  a[n++] = A_INT(u->source_id);
  a[n++] = A_TEXT(parent_id);
  a[n++] = A_TEXT(c->external_id);
  a[n++] = A_INT(line_no);
  a[n++] = raw_arg(c);
  n = values_args(k, c, a, n);
  rc = q_each(u->s, k->sql_insert, (struct args){a, n}, NULL, NULL, err, "storing a child record");
  if (rc)
    return rc;
  u->c->children++;
  for (size_t i = 0; !rc && i < c->nkids; i++) {
    const struct stable *kk = stable_kid(k, c->kids[i].def);
    rc =
        kk ? kids_write(u, kk, c->external_id, c->kids[i].recs, c->kids[i].n, 1, 0, err)
           : err_set(err, MS_EINVAL, "%s is not a child of %s", c->kids[i].def->name, k->def->name);
  }
  return rc;
}

int children_put(struct upsert *u, const struct stable *k, const char *parent_id,
                 const struct record *recs, size_t n, int first, struct err *err) {
  int64_t base = 0;
  int rc = first ? MS_OK
                 : q_int(u->s, k->sql_next_line, ARGS(A_INT(u->source_id), A_TEXT(parent_id)),
                         &base, NULL, err, "numbering children");
  return rc ? rc : kids_write(u, k, parent_id, recs, n, first, base, err);
}

/* ---- the upsert ----------------------------------------------------------- */

/* Appends id to the JSON array unless it is there already (or there is no
 * array: the caller has no slice to queue follow-ups in). */
static int follow_add(cJSON *follow, const char *id, struct err *err) {
  const cJSON *e;
  if (!follow)
    return MS_OK;
  cJSON_ArrayForEach(e, follow) {
    if (cJSON_IsString(e) && strcmp(e->valuestring, id) == 0)
      return MS_OK;
  }
  if (!cJSON_AddItemToArray(follow, cJSON_CreateString(id)))
    return err_set(err, MS_ENOMEM, "out of memory queueing follow-ups");
  return MS_OK;
}

/* The child stream of t fetched by follow-ups, or NULL. */
static const struct stable *follow_kid(const struct stable *t) {
  for (size_t i = 0; i < t->nkids; i++)
    if (t->kids[i]->def->flags & STREAM_FOLLOW)
      return t->kids[i];
  return NULL;
}

/* A status as text, long enough for any status an API sends. */
#define STATUS_TEXT 96

/* What is stored of a record. */
struct stamp {
  int found;          /* it is stored */
  int64_t updated_at; /* its version */
  int deleted;        /* marked deleted */
  int same;           /* a stream without an update time: the stored raw is this copy's */
  int64_t created_at; /* its creation time as stored */
  /* its status columns, in the stream's order (NULL: set 0) */
  struct {
    int set;
    char text[STATUS_TEXT];
  } status[STAMP_STATUS_MAX];
};

static int stamp_row(void *ctx, sqlite3_stmt *q) {
  struct stamp *st = ctx;
  int n = sqlite3_column_count(q);
  st->found = 1;
  st->updated_at = sqlite3_column_int64(q, 0);
  st->deleted = sqlite3_column_type(q, 1) != SQLITE_NULL;
  st->same = sqlite3_column_int(q, 2);
  st->created_at = sqlite3_column_int64(q, 3);
  for (int i = 4; i < n && i - 4 < STAMP_STATUS_MAX; i++) {
    const unsigned char *v = sqlite3_column_text(q, i);
    st->status[i - 4].set = v != NULL;
    snprintf(st->status[i - 4].text, STATUS_TEXT, "%s", v ? (const char *)v : "");
  }
  return MS_OK;
}

/* ---- events ---------------------------------------------------------------- */

/* Appends s with its NUL: an event's fields are NUL-ended strings, read
 * back by events_flush. */
static int event_field(struct buf *b, const char *s) {
  return buf_append(b, s, strlen(s) + 1);
}

/* One event of a record, kept with the page's others until the page ends
 * (events_flush): TYPE is the stream's prefix and what happened ("order"
 * "created"). data MAY be NULL. */
static int event_of(struct upsert *u, const struct stable *t, const char *prefix, const char *what,
                    const char *id, const cJSON *data, struct err *err) {
  char type[EVENT_TYPE_MAX], *text = NULL;
  struct buf *b = u->events;
  int rc;
  if (!b)
    return MS_OK;
  snprintf(type, sizeof(type), "%s%s%s", prefix, what ? "." : "", what ? what : "");
  if (data && !(text = cJSON_PrintUnformatted(data)))
    return err_set(err, MS_ENOMEM, "out of memory writing an event");
  rc = event_field(b, type);
  if (!rc)
    rc = event_field(b, t->def->name);
  if (!rc)
    rc = event_field(b, id);
  if (!rc)
    rc = event_field(b, text ? text : ""); /* "": none */
  cJSON_free(text);
  if (rc)
    return err_set(err, MS_ENOMEM, "out of memory writing an event");
  u->nevents++;
  return MS_OK;
}

/* Whether t's records make events in this commit. */
static int makes_events(const struct upsert *u, const struct stable *t) {
  return !u->refetch && t->def->event && *t->def->event;
}

/* A value of r as the store keeps it, as text (set 0: NULL). */
static int value_text(const struct scol *c, const struct record *r, char *out, size_t n) {
  const struct value *v = val_at(r, c->val);
  if (!v || !v->set) {
    *out = '\0';
    return 0;
  }
  if (c->integer)
    snprintf(out, n, "%lld", (long long)v->i);
  else
    snprintf(out, n, "%s", v->text ? v->text : "");
  return 1;
}

static cJSON *text_or_null(int set, const char *text) {
  return set ? cJSON_CreateString(text) : cJSON_CreateNull();
}

/* PREFIX.status_changed for each status column a newer copy changed, with
 * the field and its old and new values. */
static int status_events(struct upsert *u, const struct stable *t, const struct record *r,
                         const struct stamp *st, struct err *err) {
  int rc = MS_OK;
  for (size_t i = 0, k = 0; !rc && i < t->ncols && k < STAMP_STATUS_MAX; i++) {
    char now[STATUS_TEXT];
    int set;
    cJSON *data;
    if (!status_col(&t->cols[i]))
      continue;
    set = value_text(&t->cols[i], r, now, sizeof(now));
    k++;
    if (set == st->status[k - 1].set && strcmp(now, st->status[k - 1].text) == 0)
      continue;
    data = cJSON_CreateObject();
    if (!data || !cJSON_AddStringToObject(data, "field", t->cols[i].name) ||
        !cJSON_AddItemToObject(data, "old",
                               text_or_null(st->status[k - 1].set, st->status[k - 1].text)) ||
        !cJSON_AddItemToObject(data, "new", text_or_null(set, now)))
      rc = err_set(err, MS_ENOMEM, "out of memory writing an event");
    else
      rc = event_of(u, t, t->def->event, "status_changed", r->external_id, data, err);
    cJSON_Delete(data);
  }
  return rc;
}

/* The ids of k's rows under parent_id, as a JSON array (NULL: out of memory
 * or a failure, err says). */
static int kid_ids_row(void *ctx, sqlite3_stmt *q) {
  const unsigned char *id = sqlite3_column_text(q, 0);
  cJSON *s = cJSON_CreateString(id ? (const char *)id : "");
  return s && cJSON_AddItemToArray(ctx, s) ? MS_OK : (cJSON_Delete(s), MS_ENOMEM);
}

static int kid_ids(struct upsert *u, const struct stable *k, const char *parent_id, cJSON **out,
                   struct err *err) {
  *out = cJSON_CreateArray();
  if (!*out)
    return err_set(err, MS_ENOMEM, "out of memory reading children");
  return q_eachf(u->s, ARGS(A_INT(u->source_id), A_TEXT(parent_id)), kid_ids_row, *out, err,
                 "reading children",
                 "SELECT external_id FROM \"%s\" WHERE source_id = ?1 AND "
                 "\"%s\" = ?2",
                 k->def->table, k->def->parent_key);
}

static int id_listed(const cJSON *ids, const char *id) {
  const cJSON *e;
  cJSON_ArrayForEach(e, ids) if (cJSON_IsString(e) && strcmp(e->valuestring, id) == 0) return 1;
  return 0;
}

/* The child stream's event (order.refunded) for each child the parent did
 * not have before (`had`), named by the parent's id. */
static int kid_events(struct upsert *u, const struct stable *k, const char *parent_id,
                      const struct record *recs, size_t n, const cJSON *had, struct err *err) {
  int rc = MS_OK;
  for (size_t j = 0; !rc && j < n; j++) {
    cJSON *data;
    if (id_listed(had, recs[j].external_id))
      continue;
    data = cJSON_CreateObject();
    if (!data || !cJSON_AddStringToObject(data, "stream", k->def->name) ||
        !cJSON_AddStringToObject(data, "id", recs[j].external_id))
      rc = err_set(err, MS_ENOMEM, "out of memory writing an event");
    else
      rc = event_of(u, k, k->def->event, NULL, parent_id, data, err);
    cJSON_Delete(data);
  }
  return rc;
}

/* Writes the children of one child stream of r, with their events. */
static int kids_of(struct upsert *u, const struct stable *k, const struct record *r,
                   const struct record_set *set, int replace, struct err *err) {
  cJSON *had = NULL;
  int events = makes_events(u, k), rc = MS_OK;
  /* A new record's children are told by its own event (order.created). */
  if (events && replace)
    rc = kid_ids(u, k, r->external_id, &had, err);
  if (!rc)
    rc = kids_write(u, k, r->external_id, set->recs, set->n, replace, 0, err);
  if (!rc && events && replace)
    rc = kid_events(u, k, r->external_id, set->recs, set->n, had, err);
  cJSON_Delete(had);
  return rc;
}

static int touch(struct upsert *u, const struct stable *t, const char *id, int revive,
                 struct err *err) {
  return q_each(u->s, t->sql_touch,
                ARGS(A_INT(u->source_id), A_TEXT(id), A_INT(u->now), A_INT(revive)), NULL, NULL,
                err, "storing a record");
}

int record_touch(struct upsert *u, const struct stable *t, const char *external_id,
                 struct err *err) {
  return touch(u, t, external_id, 0, err);
}

static void seen_update(struct upsert *u, int64_t updated_at) {
  if (!u->has_updated || updated_at > u->max_updated)
    u->max_updated = updated_at;
  u->has_updated = 1;
}

/* Stored unchanged: seen now; still queued for follow-ups when it has no
 * children of that stream yet. */
static int record_same(struct upsert *u, const struct stable *t, const struct record *r,
                       const struct stamp *st, struct err *err) {
  const struct stable *fk = r->follow ? follow_kid(t) : NULL;
  int revive = st->deleted && u->snapshot, has = 0, rc;
  u->c->unchanged++;
  seen_update(u, r->updated_at);
  rc = touch(u, t, r->external_id, revive, err);
  if (revive && t->sku_days && u->days)
    sku_days_add(u->days, st->created_at);
  for (size_t i = 0; !rc && revive && i < t->nkids; i++)
    rc = walk_id(u, t->kids[i], r->external_id, WALK_UNBURY, 0, err);
  if (!rc && fk) {
    int64_t one = 0;
    rc = q_int(u->s, fk->sql_exists, ARGS(A_INT(u->source_id), A_TEXT(r->external_id)), &one, &has,
               err, "looking for stored children");
  }
  if (!rc && r->follow && !has)
    rc = follow_add(u->follow, r->external_id, err);
  return rc;
}

/* The arguments of the insert and of the update, in their order. */
static size_t record_args(const struct upsert *u, const struct stable *t, const struct record *r,
                          struct arg *a) {
  size_t n = 0;
  a[n++] = A_INT(u->source_id);
  a[n++] = A_TEXT(r->external_id);
  a[n++] = A_INT(r->created_at);
  a[n++] = A_INT(r->updated_at);
  a[n++] = raw_arg(r);
  a[n++] = A_INT(u->now);
  return values_args(t, r, a, n);
}

/* Inserts r unless it is stored already; *inserted tells which. */
static int insert_new(struct upsert *u, const struct stable *t, const struct record *r,
                      const struct args *a, int *inserted, struct err *err) {
  int rc = q_each(u->s, t->sql_insert, *a, NULL, NULL, err, "storing a record");
  *inserted = !rc && q_changes(u->s) > 0;
  return rc;
}

/* What is stored of r, into st. */
static int stamp_get(struct upsert *u, const struct stable *t, const struct record *r,
                     struct stamp *st, struct err *err) {
  if (!t->def->updated) /* the stored raw is compared with this copy's */
    return q_each(u->s, t->sql_find, ARGS(A_INT(u->source_id), A_TEXT(r->external_id), raw_arg(r)),
                  stamp_row, st, err, "storing a record");
  return q_each(u->s, t->sql_find, ARGS(A_INT(u->source_id), A_TEXT(r->external_id)), stamp_row, st,
                err, "storing a record");
}

/* A copy no newer than the stored one. A stream without an update time has
 * no versions to order: a copy that differs from the stored one is the
 * newer. A repair's equal copy is written again for its children. */
static int copy_stale(const struct upsert *u, const struct stable *t, const struct record *r,
                      const struct stamp *st) {
  if (!st->found)
    return 0;
  if (r->updated_at != st->updated_at)
    return r->updated_at < st->updated_at;
  if (!t->def->updated)
    return st->same;
  return !u->refetch;
}

int record_put(struct upsert *u, const struct stable *t, const struct record *r, struct err *err) {
  struct stamp st = {0};
  struct arg a[VALUE_ARGS];
  struct args args = {a, record_args(u, t, r, a)};
  int rc = MS_OK, inserted = 0;
  /* The records of a page are mostly all new (a first sync) or all stored
   * (days synced again), so each is written the way the one before it
   * went: a new one is inserted at once, one statement instead of a look
   * and a write; a stored one is looked at first. */
  if (u->expect_new)
    rc = insert_new(u, t, r, &args, &inserted, err);
  if (!rc && !inserted) {
    rc = stamp_get(u, t, r, &st, err);
    if (!rc && !st.found) {
      rc = insert_new(u, t, r, &args, &inserted, err);
      if (!rc && !inserted) /* neither there nor new: SQLite failed us */
        rc = err_set(err, MS_EDB, "record %.40s was neither inserted nor found", r->external_id);
    }
  }
  if (rc)
    return rc;
  u->expect_new = inserted;
  if (copy_stale(u, t, r, &st))
    return record_same(u, t, r, &st, err);
  if (st.found)
    rc = q_each(u->s, t->sql_update, args, NULL, NULL, err, "storing a record");
  if (rc)
    return rc;
  if (st.found)
    u->c->updated++;
  else
    u->c->inserted++;
  seen_update(u, r->updated_at);
  if (t->sku_days && u->days) { /* the SKU summary counts these days again */
    sku_days_add(u->days, r->created_at);
    if (st.found)
      sku_days_add(u->days, st.created_at);
  }
  if (makes_events(u, t))
    rc = st.found ? status_events(u, t, r, &st, err)
                  : event_of(u, t, t->def->event, "created", r->external_id, NULL, err);
  /* Back from the dead: its children come back with it. */
  for (size_t i = 0; !rc && st.deleted && i < t->nkids; i++)
    rc = walk_id(u, t->kids[i], r->external_id, WALK_UNBURY, 0, err);
  for (size_t i = 0; !rc && i < r->nkids; i++) {
    const struct stable *k = stable_kid(t, r->kids[i].def);
    rc = k ? kids_of(u, k, r, &r->kids[i], st.found, err)
           : err_set(err, MS_EINVAL, "%s is not a child of %s", r->kids[i].def->name, t->def->name);
  }
  if (!rc && r->follow)
    rc = follow_add(u->follow, r->external_id, err);
  return rc;
}

/* ---- records_each ---------------------------------------------------------- */

/* The top-level entry of a stream a query reads. */
static int top_table(struct sqlite_store *s, const struct stream_def *def,
                     const struct stable **out, struct err *err) {
  int rc = stable_get(s, def, out, err);
  if (!rc && def->parent)
    return err_set(err, MS_EINVAL,
                   "stream %s is a child of %s: its records are read with their parent's",
                   def->name, def->parent);
  return rc;
}

/* One row of records_each decoded into a view. */
struct each {
  const struct stable *t; /* the stream */
  struct value *vals;     /* one per column of the stream */
  int64_t *nchildren;     /* one per child stream */
  record_cb cb;           /* the caller's */
  void *ctx;              /* its context */
};

/* Reads the stored columns from `first` on into vals (borrowed text). */
static void values_read(const struct stable *t, sqlite3_stmt *q, int first, struct value *vals) {
  memset(vals, 0, t->nvals * sizeof(*vals));
  for (size_t i = 0; i < t->ncols; i++) {
    const struct scol *sc = &t->cols[i];
    struct value *v = &vals[sc->val];
    int col = first + (int)i, null = sqlite3_column_type(q, col) == SQLITE_NULL;
    if (sc->minor) {
      v->i = sqlite3_column_int64(q, col);
    } else if (sc->integer) {
      v->set = !null;
      v->i = sqlite3_column_int64(q, col);
    } else {
      v->set = !null;
      v->text = null ? NULL : (char *)sqlite3_column_text(q, col);
    }
  }
}

static int each_row(void *ctx, sqlite3_stmt *q) {
  struct each *e = ctx;
  const struct stable *t = e->t;
  int first = 8;
  struct record_view v = {
      .source = col_text(q, 0),
      .external_id = col_text(q, 1),
      .created_at = sqlite3_column_int64(q, 2),
      .updated_at = sqlite3_column_int64(q, 3),
      .deleted_at = sqlite3_column_int64(q, 4),
      .first_seen_at = sqlite3_column_int64(q, 5),
      .last_synced_at = sqlite3_column_int64(q, 6),
      .raw = col_text(q, 7),
      .vals = e->vals,
      .nvals = t->nvals,
      .nchildren = e->nchildren,
  };
  values_read(t, q, first, e->vals);
  for (size_t i = 0; i < t->nkids; i++)
    e->nchildren[i] = sqlite3_column_int64(q, first + (int)t->ncols + (int)i);
  return e->cb(e->ctx, &v);
}

static int each_sql(const struct stable *t, const struct record_filter *f, struct buf *b) {
  int rc = buf_puts(b, "SELECT s.name, t.external_id, t.created_at, t.updated_at, "
                       "coalesce(t.deleted_at, 0), t.first_seen_at, t.last_synced_at, t.raw");
  for (size_t i = 0; !rc && i < t->ncols; i++)
    rc = buf_printf(b, ", t.\"%s\"", t->cols[i].name);
  for (size_t i = 0; !rc && i < t->nkids; i++)
    rc = buf_printf(b,
                    ", (SELECT count(*) FROM \"%s\" k WHERE k.source_id = t.source_id AND "
                    "k.\"%s\" = t.external_id AND (?4 OR k.deleted_at IS NULL))",
                    t->kids[i]->def->table, t->kids[i]->def->parent_key);
  if (!rc)
    rc = buf_printf(b,
                    " FROM \"%s\" t JOIN sources s ON s.id = t.source_id WHERE "
                    "(?4 OR t.deleted_at IS NULL)",
                    t->def->table);
  /* Conditions only for the bounds given, so the index serves them. */
  if (!rc && f->source_id)
    rc = buf_puts(b, " AND t.source_id = ?1");
  if (!rc && f->created_from)
    rc = buf_puts(b, " AND t.created_at >= ?2");
  if (!rc && f->created_to)
    rc = buf_puts(b, " AND t.created_at < ?3");
  if (!rc)
    rc = buf_puts(b, " ORDER BY t.source_id, t.created_at, t.external_id");
  return rc;
}

int sqlite_records_each(struct store *st, const struct record_filter *f, record_cb cb, void *ctx,
                        struct err *err) {
  struct sqlite_store *s = backend(st);
  struct each e = {0};
  struct buf sql;
  int rc = top_table(s, f->def, &e.t, err);
  if (rc)
    return rc;
  e.cb = cb;
  e.ctx = ctx;
  e.vals = calloc(e.t->nvals ? e.t->nvals : 1, sizeof(*e.vals));
  e.nchildren = calloc(e.t->nkids ? e.t->nkids : 1, sizeof(*e.nchildren));
  buf_init(&sql, 0);
  rc = e.vals && e.nchildren ? each_sql(e.t, f, &sql) : MS_ENOMEM;
  if (rc)
    rc = err_set(err, rc, "out of memory listing records");
  else
    rc = q_each(s, sql.data,
                ARGS(A_INT(f->source_id), A_INT(f->created_from), A_INT(f->created_to),
                     A_INT(f->with_deleted != 0)),
                each_row, &e, err, "listing records");
  buf_release(&sql);
  free(e.vals);
  free(e.nchildren);
  return rc;
}

/* ---- records_incomplete ---------------------------------------------------- */

static const struct scol *scol_named(const struct stable *t, const char *name) {
  for (size_t i = 0; i < t->ncols; i++)
    if (strcmp(t->cols[i].name, name) == 0)
      return &t->cols[i];
  return NULL;
}

/* The condition "one of t's COL_REQUIRED columns is missing" on alias a: a
 * NULL, or with zero_money a money column of zero minor units (a line
 * priced 0 is unpriced; an order of 0 is free); "0" when it has none. */
static int missing_expr(struct buf *b, const struct stable *t, const char *a, int zero_money) {
  int n = 0, rc = MS_OK;
  for (size_t i = 0; !rc && i < t->ncols; i++) {
    const struct scol *sc = &t->cols[i];
    if (!(sc->def->flags & COL_REQUIRED) || (sc->minor && !zero_money))
      continue;
    if (sc->minor)
      rc = buf_printf(b, " OR coalesce(%s.\"%s\", 0) = 0", a, sc->name);
    else
      rc = buf_printf(b, "%s%s.\"%s\" IS NULL", n++ ? " OR " : "", a, sc->name);
  }
  if (!rc && !n)
    rc = buf_putc(b, '0');
  return rc;
}

static int has_required(const struct stable *t) {
  for (size_t i = 0; i < t->ncols; i++)
    if (t->cols[i].def->flags & COL_REQUIRED)
      return 1;
  return 0;
}

/* On the record aliased t: INCOMPLETE_CHILDREN (fields 0), a
 * STREAM_REQUIRED child stream without rows; INCOMPLETE_CHILD_FIELDS
 * (fields 1), a child of any stream lacking a required column and not
 * estimated. */
static int children_expr(struct buf *b, const struct stable *t, int fields) {
  int n = 0, rc = MS_OK;
  for (size_t i = 0; !rc && i < t->nkids; i++) {
    const struct stable *k = t->kids[i];
    const char *tb = k->def->table, *pk = k->def->parent_key;
    if (!fields && (k->def->flags & STREAM_REQUIRED)) {
      rc = buf_printf(b,
                      "%sNOT EXISTS (SELECT 1 FROM \"%s\" k WHERE k.source_id = t.source_id AND "
                      "k.\"%s\" = t.external_id AND k.deleted_at IS NULL)",
                      n++ ? " OR " : "", tb, pk);
    }
    if (!rc && fields && has_required(k)) {
      rc = buf_printf(b,
                      "%sEXISTS (SELECT 1 FROM \"%s\" k WHERE k.source_id = t.source_id AND "
                      "k.\"%s\" = t.external_id AND k.deleted_at IS NULL AND (",
                      n++ ? " OR " : "", tb, pk);
      if (!rc)
        rc = missing_expr(b, k, "k", 1);
      if (!rc)
        rc = buf_putc(b, ')');
      if (!rc && scol_named(k, "price_estimated"))
        rc = buf_puts(b, " AND coalesce(k.price_estimated, 0) <> 1");
      if (!rc)
        rc = buf_putc(b, ')');
    }
  }
  if (!rc && !n)
    rc = buf_putc(b, '0');
  return rc;
}

struct incomplete {
  incomplete_cb cb; /* the caller's */
  void *ctx;        /* its context */
};

static int incomplete_row(void *ctx, sqlite3_stmt *q) {
  struct incomplete *in = ctx;
  return in->cb(in->ctx, col_text(q, 0), sqlite3_column_int64(q, 1), sqlite3_column_int(q, 2));
}

int sqlite_records_incomplete(struct store *st, int64_t source_id, const struct stream_def *def,
                              int64_t from, int64_t to, incomplete_cb cb, void *ctx,
                              struct err *err) {
  struct sqlite_store *s = backend(st);
  struct incomplete in = {cb, ctx};
  const struct stable *t;
  struct buf sql;
  int rc = top_table(s, def, &t, err);
  if (rc)
    return rc;
  buf_init(&sql, 0);
  rc = buf_puts(&sql, "SELECT external_id, created_at, what FROM (SELECT t.external_id, "
                      "t.created_at, CASE WHEN ");
  if (!rc)
    rc = missing_expr(&sql, t, "t", 0);
  if (!rc)
    rc = buf_puts(&sql, " THEN 1 ELSE 0 END | CASE WHEN ");
  if (!rc)
    rc = children_expr(&sql, t, 0);
  if (!rc)
    rc = buf_puts(&sql, " THEN 2 ELSE 0 END | CASE WHEN ");
  if (!rc)
    rc = children_expr(&sql, t, 1);
  if (!rc)
    rc = buf_printf(&sql,
                    " THEN 4 ELSE 0 END AS what FROM \"%s\" t WHERE t.source_id = ?1 AND "
                    "t.created_at >= ?2 AND t.created_at < ?3 AND t.deleted_at IS NULL) "
                    "WHERE what <> 0 ORDER BY created_at, external_id",
                    t->def->table);
  if (rc)
    rc = err_set(err, rc, "out of memory writing SQL");
  else
    rc = q_each(s, sql.data, ARGS(A_INT(source_id), A_INT(from), A_INT(to)), incomplete_row, &in,
                err, "finding incomplete records");
  buf_release(&sql);
  return rc;
}

/* ---- the zero-price rule's queries ----------------------------------------- */

/* The columns the zero-price rule reads, as the child stores them. */
struct priced {
  const struct stable *k;      /* the child stream */
  const struct stable *parent; /* its parent */
  const char *minor;           /* the price's minor column */
};

static int priced_get(struct sqlite_store *s, const struct stream_def *child, struct priced *p,
                      struct err *err) {
  static const char *const need[] = {"sku", "quantity", "price", "currency", "price_estimated"};
  const struct column_def *price;
  int rc = stable_get(s, child, &p->k, err);
  if (rc)
    return rc;
  for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
    if (!stream_column(child, need[i]))
      return err_set(err, MS_EINVAL, "stream %s has no column %s, which prices need", child->name,
                     need[i]);
  price = stream_column(child, "price");
  if (price->type != COL_MONEY)
    return err_set(err, MS_EINVAL, "stream %s: its price is not a money column", child->name);
  for (size_t i = 0; i < p->k->ncols; i++)
    if (p->k->cols[i].minor && p->k->cols[i].def == price)
      p->minor = p->k->cols[i].name;
  p->parent = p->k->parent;
  if (!p->parent)
    return err_set(err, MS_EINVAL,
                   "stream %s: prepare its parent stream %s first, prices are found through it",
                   child->name, child->parent ? child->parent : "(none)");
  return MS_OK;
}

/* An unpriced child held in memory: its strings in one block after it. */
struct unpriced_row {
  int64_t quantity; /* units */
  char *parent_id;  /* into the block */
  char *child_id;   /* into the block */
  char *sku;        /* into the block, MAY be NULL */
  char *currency;   /* into the block, MAY be NULL */
};

struct unpriced_set {
  struct unpriced_row **v; /* rows, each one allocation */
  size_t n;                /* used */
  size_t cap;              /* allocated */
  int bad;                 /* MS_ENOMEM when a row could not be held */
};

static int unpriced_row_add(void *ctx, sqlite3_stmt *q) {
  struct unpriced_set *set = ctx;
  const char *t[4] = {col_text(q, 0), col_text(q, 1), col_text(q, 2), col_text(q, 4)};
  size_t len[4], total = sizeof(struct unpriced_row);
  struct unpriced_row *r;
  char *p, **dst[4];
  for (int i = 0; i < 4; i++)
    total += (len[i] = t[i] ? strlen(t[i]) + 1 : 0);
  if (array_reserve((void **)&set->v, &set->cap, set->n + 1, sizeof(*set->v), 64) ||
      !(r = calloc(1, total)))
    return set->bad = MS_ENOMEM;
  dst[0] = &r->parent_id;
  dst[1] = &r->child_id;
  dst[2] = &r->sku;
  dst[3] = &r->currency;
  p = (char *)(r + 1);
  for (int i = 0; i < 4; i++) {
    if (!t[i])
      continue;
    memcpy(p, t[i], len[i]);
    *dst[i] = p;
    p += len[i];
  }
  r->quantity = sqlite3_column_int64(q, 3);
  set->v[set->n++] = r;
  return MS_OK;
}

/* Read in full before the callbacks run, so that a callback may write the
 * estimate (child_estimate) of the child it is given. */
int sqlite_children_unpriced(struct store *st, int64_t source_id, const struct stream_def *child,
                             int64_t from, int64_t to, unpriced_cb cb, void *ctx, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct unpriced_set set = {0};
  struct priced p = {0};
  int rc = priced_get(s, child, &p, err);
  if (rc)
    return rc;
  rc = q_eachf(s, ARGS(A_INT(source_id), A_INT(from), A_INT(to)), unpriced_row_add, &set, err,
               "finding unpriced children",
               "SELECT c.\"%s\", c.external_id, c.sku, c.quantity, c.currency FROM \"%s\" c "
               "JOIN \"%s\" p ON p.source_id = c.source_id AND p.external_id = c.\"%s\" "
               "WHERE c.source_id = ?1 AND p.created_at >= ?2 AND p.created_at < ?3 AND "
               "p.deleted_at IS NULL AND c.deleted_at IS NULL AND "
               "coalesce(c.\"%s\", 0) = 0 AND coalesce(c.price_estimated, 0) <> 1 "
               "ORDER BY p.created_at, p.external_id, c.line_no, c.external_id",
               p.k->def->parent_key, p.k->def->table, p.parent->def->table, p.k->def->parent_key,
               p.minor);
  if (set.bad)
    rc = err_set(err, set.bad, "out of memory finding unpriced children");
  for (size_t i = 0; i < set.n && !rc; i++) {
    const struct unpriced_row *r = set.v[i];
    struct unpriced_child c = {r->parent_id, r->child_id, r->sku, r->quantity, r->currency};
    rc = cb(ctx, &c);
  }
  for (size_t i = 0; i < set.n; i++)
    free(set.v[i]);
  free(set.v);
  return rc;
}

/* A price and its quantity. */
struct known {
  int64_t minor;    /* the line's price in minor units */
  int64_t quantity; /* its units */
  int found;        /* a row came */
};

static int known_row(void *ctx, sqlite3_stmt *q) {
  struct known *k = ctx;
  k->minor = sqlite3_column_int64(q, 0);
  k->quantity = sqlite3_column_int64(q, 1);
  k->found = 1;
  return MS_OK;
}

/* "Latest" is by the parent's updated_at (then its created_at and id):
 * the price of the most recently changed order that sold the SKU. */
int sqlite_child_price_known(struct store *st, int64_t source_id, const struct stream_def *child,
                             const char *sku, const char *currency, int64_t *minor,
                             int64_t *quantity, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct known k = {0};
  struct priced p = {0};
  int rc = priced_get(s, child, &p, err);
  if (rc)
    return rc;
  if (!sku || !*sku)
    return err_set(err, MS_EINVAL, "a known price needs a SKU");
  rc = q_eachf(s, ARGS(A_INT(source_id), A_TEXT(sku), A_TEXT(currency)), known_row, &k, err,
               "finding a known price",
               "SELECT c.\"%s\", c.quantity FROM \"%s\" c JOIN \"%s\" p ON p.source_id = "
               "c.source_id AND p.external_id = c.\"%s\" WHERE c.source_id = ?1 AND "
               "c.sku = ?2 AND c.currency IS ?3 AND coalesce(c.price_estimated, 0) <> 1 AND "
               "c.\"%s\" > 0 AND c.quantity > 0 ORDER BY p.updated_at DESC, "
               "p.created_at DESC, p.external_id DESC, c.line_no LIMIT 1",
               p.minor, p.k->def->table, p.parent->def->table, p.k->def->parent_key, p.minor);
  if (!rc && !k.found)
    return err_set(err, MS_ENOTFOUND, "no real price of SKU %.80s in %s is known", sku,
                   currency ? currency : "its currency");
  if (!rc) {
    *minor = k.minor;
    *quantity = k.quantity;
  }
  return rc;
}

int sqlite_child_estimate(struct store *st, int64_t source_id, const struct stream_def *child,
                          const char *parent_id, const char *child_id, const char *amount,
                          int64_t minor, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct priced p = {0};
  int rc = priced_get(s, child, &p, err);
  if (rc)
    return rc;
  if (!amount || !*amount || strlen(amount) > STORE_TEXT_MAX)
    return err_set(err, MS_EINVAL, "an estimated price needs its amount as text");
  rc = q_eachf(
      s, ARGS(A_INT(source_id), A_TEXT(parent_id), A_TEXT(child_id), A_TEXT(amount), A_INT(minor)),
      NULL, NULL, err, "storing an estimated price",
      "UPDATE \"%s\" SET price = ?4, \"%s\" = ?5, price_estimated = 1 WHERE source_id = ?1 AND "
      "\"%s\" = ?2 AND external_id = ?3",
      p.k->def->table, p.minor, p.k->def->parent_key);
  if (!rc && q_changes(s) == 0)
    return err_set(err, MS_ENOTFOUND, "no %s %.80s of %.80s is stored", child->name,
                   child_id ? child_id : "", parent_id ? parent_id : "");
  return rc;
}

/* ---- children_json --------------------------------------------------------- */

struct kids_json {
  const struct stable *k; /* the child stream */
  struct buf *out;        /* the array being written */
  size_t n;               /* children written */
};

/* A child kept without raw JSON of its own (its parent's holds it): an
 * object of its id and its columns, in their JSON types. */
static int child_object(struct buf *b, const struct stable *k, sqlite3_stmt *q) {
  int rc = buf_puts(b, "{\"id\":");
  if (!rc)
    rc = buf_json_str(b, col_text(q, 1) ? col_text(q, 1) : "");
  for (size_t i = 0; !rc && i < k->ncols; i++) {
    const struct scol *sc = &k->cols[i];
    int col = 2 + (int)i;
    if (sc->minor || sc->local)
      continue;
    rc = buf_printf(b, ",\"%s\":", sc->name);
    if (rc)
      break;
    if (sqlite3_column_type(q, col) == SQLITE_NULL)
      rc = buf_puts(b, "null");
    else if (sc->def->type == COL_BOOL)
      rc = buf_puts(b, sqlite3_column_int64(q, col) ? "true" : "false");
    else if (sc->integer)
      rc = buf_printf(b, "%lld", (long long)sqlite3_column_int64(q, col));
    else if (sc->def->type == COL_JSON)
      rc = buf_puts(b, col_text(q, col));
    else
      rc = buf_json_str(b, col_text(q, col));
  }
  return rc ? rc : buf_putc(b, '}');
}

static int kids_json_row(void *ctx, sqlite3_stmt *q) {
  struct kids_json *j = ctx;
  const char *raw = col_text(q, 0);
  int rc = j->n++ ? buf_putc(j->out, ',') : MS_OK;
  if (!rc)
    rc = raw ? buf_puts(j->out, raw) : child_object(j->out, j->k, q);
  return rc;
}

int sqlite_children_json(struct store *st, int64_t source_id, const struct stream_def *child,
                         const char *parent_id, char **out, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct kids_json j = {0};
  struct buf sql, json;
  int rc;
  *out = NULL;
  rc = stable_get(s, child, &j.k, err);
  if (!rc && !child->parent)
    rc = err_set(err, MS_EINVAL, "stream %s is not a child stream", child->name);
  if (rc)
    return rc;
  buf_init(&sql, 0);
  buf_init(&json, 0);
  j.out = &json;
  rc = buf_puts(&sql, "SELECT raw, external_id");
  for (size_t i = 0; !rc && i < j.k->ncols; i++)
    rc = buf_printf(&sql, ", \"%s\"", j.k->cols[i].name);
  if (!rc)
    rc = buf_printf(&sql,
                    " FROM \"%s\" WHERE source_id = ?1 AND \"%s\" = ?2 ORDER BY line_no, "
                    "external_id",
                    child->table, child->parent_key);
  if (!rc)
    rc = buf_putc(&json, '[');
  if (rc)
    rc = err_set(err, rc, "out of memory reading children");
  else
    rc = q_each(s, sql.data, ARGS(A_INT(source_id), A_TEXT(parent_id ? parent_id : "")),
                kids_json_row, &j, err, "reading children");
  if (rc == MS_ENOMEM || rc == MS_ETOOBIG)
    err_set(err, rc, "out of memory reading children");
  if (!rc && (rc = buf_putc(&json, ']')) != MS_OK)
    err_set(err, rc, "out of memory reading children");
  buf_release(&sql);
  if (rc) {
    buf_release(&json);
    return rc;
  }
  *out = buf_detach(&json);
  return MS_OK;
}
