/* commit_page: one page of one slice, in one transaction.
 *
 * Fenced by the slice's lease token, the page's records are upserted,
 * deletions are applied, a follow-up page stores its parent's children, a
 * completed snapshot sweeps what it did not see, and the slice takes its new
 * cursor, counters and watermark. A record the checks or a constraint refuse
 * goes to failed_records alone; any other failure, or a lease that moved,
 * writes nothing.
 *
 * A savepoint per record would undo a refused record alone, but SQLite then
 * copies every page a record touches into its sub-journal: with 16 KiB pages
 * that copying was most of the time a page took. So a page is first written
 * without savepoints; only when a constraint refuses one of its records is
 * the transaction rolled back and the page written again, each record in a
 * savepoint of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

/* What the page's writing shares with its records. */
struct commit {
  struct upsert u;          /* the records' upsert */
  const struct slice *sl;   /* the slice, as claimed */
  const struct stable *t;   /* the page's stream */
  const struct stable *top; /* the slice's stream (t's parent on a follow-up page) */
  int careful;              /* each record in a savepoint of its own (the second pass) */
  int refused;              /* a constraint refused a record of the first pass */
  int failures;             /* the stream may have open failures to close: it had some when
                               the page began, or the page added one */
};

/* The entries of the streams the page's deletions name, prepared before the
 * transaction starts. */
static int prepare_gone(struct sqlite_store *s, const struct page *pg, struct err *err) {
  const struct stream_def *last = NULL;
  for (size_t i = 0; i < pg->n; i++) {
    const struct stream_def *g = pg->recs[i].gone_from;
    const struct stable *t;
    int rc;
    if (!g || g == last)
      continue;
    rc = stable_get(s, g, &t, err);
    if (rc)
      return rc;
    last = g;
  }
  return MS_OK;
}

/* What a page MUST be, checked before anything is written. */
static int page_check(const struct slice *sl, const struct page *pg, struct err *err) {
  const struct stream_def *d = pg->def;
  if (!d)
    return err_set(err, MS_EINVAL, "the page names no stream; nothing was stored");
  if (pg->n && !pg->recs)
    return err_set(err, MS_EINVAL, "the page has %zu records but no record array", pg->n);
  if (pg->children_of) {
    if (!*pg->children_of)
      return err_set(err, MS_EINVAL, "a follow-up page must name its parent; nothing was stored");
    if (!(d->flags & STREAM_FOLLOW) || !d->parent || strcmp(d->parent, sl->stream) != 0)
      return err_set(err, MS_EINVAL,
                     "a follow-up page of %s cannot be stored in a slice of %s: it must be of "
                     "that stream's follow-up child",
                     d->name ? d->name : "(unnamed)", sl->stream);
    if (pg->n > STORE_ITEMS_MAX)
      return err_set(err, MS_EINVAL, "a follow-up page holds %zu children, over the limit of %d",
                     pg->n, STORE_ITEMS_MAX);
    return MS_OK;
  }
  if (d->parent || !d->name || strcmp(d->name, sl->stream) != 0)
    return err_set(err, MS_EINVAL, "a page of stream %s cannot be stored in a slice of %s",
                   d->name ? d->name : "(unnamed)", sl->stream);
  for (size_t i = 0; i < pg->n; i++)
    if (pg->recs[i].follow && !stream_follow_child(d))
      return err_set(err, MS_EINVAL,
                     "record %zu asks for follow-ups, but stream %s has no child fetched by them; "
                     "nothing was stored",
                     i + 1, d->name);
  return MS_OK;
}

/* Drops the ids a refused record queued after `before`. */
static void follow_trim(cJSON *follow, int before) {
  while (follow && cJSON_GetArraySize(follow) > before)
    cJSON_DeleteItemFromArray(follow, cJSON_GetArraySize(follow) - 1);
}

/* Writes one record: its row and children, what a deletion names, and the
 * end of an open failure of it. */
static int record_write(struct commit *cm, const struct record *r, struct err *err) {
  struct sqlite_store *s = cm->u.s;
  const struct stable *gone = NULL;
  int rc = MS_OK;
  if (r->gone_from)
    rc = stable_get(s, r->gone_from, &gone, err);
  /* A deletion is kept like any record of its stream, and marks what it
   * names deleted. */
  if (!rc)
    rc = record_put(&cm->u, cm->t, r, err);
  if (!rc && gone)
    rc = record_gone(&cm->u, gone, r, err);
  if (!rc && cm->failures)
    rc = failed_clear(s, cm->sl->source_id, cm->sl->stream, r->external_id, cm->u.now, err);
  return rc;
}

/* Writes one record inside its savepoint. A constraint's refusal comes
 * back as MS_EINVAL in why, with everything it wrote undone. */
static int record_try(struct commit *cm, const struct record *r, struct err *why, struct err *err) {
  struct sqlite_store *s = cm->u.s;
  struct upsert saved = cm->u;
  struct page_counts before = *cm->u.c;
  size_t events_len = cm->u.events ? cm->u.events->len : 0;
  int queued = cm->u.follow ? cJSON_GetArraySize(cm->u.follow) : 0;
  int rc = savepoint(s, err);
  if (rc)
    return rc;
  s->last_rc = SQLITE_OK;
  rc = record_write(cm, r, err);
  if (!rc)
    return savepoint_release(s, err);
  if (!is_constraint(s->last_rc)) {
    err_prefix(err, "record %.40s", r->external_id);
    return rc;
  }
  err_set(why, MS_EINVAL, "record %.40s was refused by the database: %s", r->external_id,
          s->last_msg);
  *cm->u.c = before;
  if (cm->u.events && cm->u.events->data) { /* its events go with it */
    cm->u.events->len = events_len;
    cm->u.events->data[events_len] = '\0';
  }
  cm->u.nevents = saved.nevents;
  cm->u.max_updated = saved.max_updated;
  cm->u.has_updated = saved.has_updated;
  follow_trim(cm->u.follow, queued);
  return savepoint_undo(s, err);
}

/* Writes one record without a savepoint (the first pass). A constraint's
 * refusal marks the pass refused: what the record wrote cannot be undone
 * alone, so the page is written again with savepoints. */
static int record_try_fast(struct commit *cm, const struct record *r, struct err *err) {
  struct sqlite_store *s = cm->u.s;
  int rc;
  s->last_rc = SQLITE_OK;
  rc = record_write(cm, r, err);
  if (rc && is_constraint(s->last_rc))
    cm->refused = 1;
  else if (rc)
    err_prefix(err, "record %.40s", r->external_id);
  return rc;
}

/* One record of a listing page. A record the checks or a constraint refuse
 * goes to failed_records and the page goes on; any other failure fails the
 * page. */
static int page_record(struct commit *cm, const struct record *r, struct err *err) {
  struct err why = {0};
  int rc;
  if (r->unreadable) /* the connector could not read it: set it aside as it came */
    err_set(&why, MS_EINVAL, "%s", r->unreadable);
  else if (record_check(cm->t, r, &why) == MS_OK) {
    rc = cm->careful ? record_try(cm, r, &why, err) : record_try_fast(cm, r, err);
    if (rc || why.code == MS_OK)
      return rc;
  }
  rc = failed_add(cm->u.s, cm->sl, r, why.msg, cm->u.now, err);
  cm->failures = 1; /* the same record may come again later in the page, readable */
  /* A snapshot must not take a record it saw for gone: it was only refused. */
  if (!rc && cm->u.snapshot && r->external_id && *r->external_id &&
      strlen(r->external_id) <= STORE_ID_MAX)
    rc = record_touch(&cm->u, cm->t, r->external_id, err);
  if (!rc)
    cm->u.c->failed++;
  return rc;
}

/* A follow-up page: the children of the first record waiting for them,
 * refused whole when one of them cannot be stored (they are one set). */
static int follow_page(struct commit *cm, const struct page *pg, struct err *err) {
  char head[STORE_ID_MAX + 1];
  int rc = slice_follow_head(cm->sl, head, sizeof(head));
  if (rc || strcmp(head, pg->children_of) != 0)
    return err_set(err, MS_EINVAL, "children of %.40s came, but %s; nothing was stored",
                   pg->children_of,
                   rc ? "no record of the slice waits for children" : "another record waits first");
  rc = children_check(cm->t, pg->children_of, pg->recs, pg->n, err);
  if (rc)
    return err_prefix(err, "a follow-up page was refused, nothing was stored");
  return children_put(&cm->u, cm->t, pg->children_of, pg->recs, pg->n, pg->children_first, err);
}

/* Where the slice goes: the listing cursor, the follow-ups (the last
 * follow-up page of a record takes it off the list), and whether the slice
 * is complete (listed, nothing waiting). *text owns the list's JSON. */
static int advance_plan(const struct slice *sl, const struct page *pg, cJSON *follow,
                        struct slice_advance *a, char **text) {
  memset(a, 0, sizeof(*a));
  *text = NULL;
  if (pg->children_of) {
    a->cursor = sl->cursor;
    a->listed = sl->listed;
    a->follow_cursor = pg->next_cursor;
    if (!pg->next_cursor)
      cJSON_DeleteItemFromArray(follow, 0);
  } else {
    a->cursor = pg->next_cursor;
    a->listed = pg->next_cursor == NULL;
    a->follow_cursor = sl->follow_cursor;
    a->records = (int64_t)pg->n;
  }
  if (cJSON_GetArraySize(follow) > 0) {
    *text = cJSON_PrintUnformatted(follow);
    if (!*text)
      return MS_ENOMEM;
  }
  a->follow = *text;
  a->done = a->listed && !*text;
  return MS_OK;
}

static int commit_in(struct commit *cm, const struct page *pg, struct slice *stored,
                     struct err *err) {
  struct slice_advance a;
  char *follow_text = NULL;
  int rc = slice_fence(cm->u.s, cm->sl, err);
  if (!rc)
    rc = failed_open(cm->u.s, cm->sl->source_id, cm->sl->stream, &cm->failures, err);
  for (size_t i = 0; !rc && !pg->children_of && i < pg->n; i++)
    rc = page_record(cm, &pg->recs[i], err);
  if (!rc && pg->children_of)
    rc = follow_page(cm, pg, err);
  if (!rc && advance_plan(cm->sl, pg, cm->u.follow, &a, &follow_text))
    rc = err_set(err, MS_ENOMEM, "out of memory saving the slice");
  if (!rc && a.done && cm->sl->kind == SLICE_SNAPSHOT && cm->sl->started_at) {
    if (!cm->top)
      rc = err_set(err, MS_EINVAL, "stream %s: prepare its parent stream before its pages",
                   cm->t->def->name);
    else
      rc = records_sweep(&cm->u, cm->top, cm->sl->started_at, err);
  }
  if (!rc)
    rc = events_flush(cm->u.s, cm->sl->source_id, cm->u.now, cm->u.events, err);
  if (!rc)
    rc = sku_days_flush(cm->u.s, cm->sl->source_id, cm->u.days, err);
  if (!rc) {
    /* Midway, only a listing in update order bounds what it has not shown
     * yet by what it has. */
    a.has_updated = cm->u.has_updated && !(cm->t->def->flags & STREAM_UNORDERED);
    a.max_updated = cm->u.max_updated;
    /* The first page of a pass starts it at the API's clock, or failing
     * that at the newest record the page held. */
    a.pass_start = pg->server_time > 0 ? pg->server_time : cm->u.max_updated;
    rc = slice_advance(cm->u.s, cm->sl, &a, cm->u.c, cm->u.now, stored, err);
  }
  free(follow_text);
  return rc;
}

/* One pass over the page in its transaction: nothing of it stays unless
 * it returns MS_OK. */
static int commit_pass(struct commit *cm, const struct page *pg, struct page_counts *c,
                       struct slice *stored, struct err *err) {
  struct sqlite_store *s = cm->u.s;
  int rc;
  memset(c, 0, sizeof(*c));
  cm->u.c = c;
  cm->u.max_updated = 0;
  cm->u.has_updated = 0;
  cm->u.nevents = 0;
  if (cm->u.events)
    buf_reset(cm->u.events);
  if (cm->u.days) /* a refused record's day stays marked: one more day counted again */
    memset(cm->u.days, 0, sizeof(*cm->u.days));
  cm->u.follow = cm->sl->follow ? cJSON_Parse(cm->sl->follow) : cJSON_CreateArray();
  if (!cJSON_IsArray(cm->u.follow)) {
    cJSON_Delete(cm->u.follow);
    cm->u.follow = NULL;
    return err_set(err, MS_EINVAL, "the slice's list of records waiting for children is damaged");
  }
  rc = tx_begin(s, err);
  if (!rc) {
    rc = commit_in(cm, pg, stored, err);
    if (!rc && (rc = tx_commit(s, err)) != MS_OK)
      slice_release(stored);
    if (rc)
      tx_rollback(s);
  }
  cJSON_Delete(cm->u.follow);
  cm->u.follow = NULL;
  return rc;
}

int sqlite_commit_page(struct store *st, struct slice *sl, const struct page *pg, int64_t now,
                       struct page_counts *counts, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct page_counts c;
  struct commit cm = {0};
  struct slice stored;
  struct buf events;
  struct sku_days days;
  int rc = page_check(sl, pg, err);
  if (!rc)
    rc = stable_get(s, pg->def, &cm.t, err);
  if (!rc)
    rc = prepare_gone(s, pg, err);
  if (rc)
    return rc;
  cm.sl = sl;
  cm.top = pg->children_of ? cm.t->parent : cm.t;
  cm.u.s = s;
  cm.u.source_id = sl->source_id;
  cm.u.now = now;
  cm.u.snapshot = sl->kind == SLICE_SNAPSHOT;
  cm.u.refetch = sl->kind == SLICE_REFETCH;
  buf_init(&events, 0);
  cm.u.events = &events;
  cm.u.days = &days;
  rc = commit_pass(&cm, pg, &c, &stored, err);
  if (rc && cm.refused) {
    /* A record was refused: again, each record in its savepoint, so that
     * it alone goes to failed_records. */
    cm.careful = 1;
    err_clear(err);
    rc = commit_pass(&cm, pg, &c, &stored, err);
  }
  buf_release(&events);
  if (rc)
    return rc == MS_ELEASE ? lease_lost(s, sl, err) : rc;
  stored.range_start = sl->range_start;
  stored.range_end = sl->range_end;
  slice_release(sl);
  *sl = stored;
  if (counts)
    *counts = c;
  return MS_OK;
}
