#include "engine/failed.h"

#include <stdlib.h>
#include <string.h>

#include "engine/session.h"
#include "util/clock.h"
#include "util/log.h"

/* A source opened once for re-reading its records (no network). */
struct opened {
  int64_t source_id;   /* the source */
  struct session sess; /* sess.conn NULL when it could not be opened */
};

struct retry_ctx {
  int64_t *ids; /* failed records to retry */
  size_t n;
  size_t cap;
  struct opened *open; /* sources opened so far */
  size_t nopen;
};

static int collect_id(void *ctx, const struct failed_row *f) {
  struct retry_ctx *r = ctx;
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 64;
    int64_t *v;
    if (cap > FAILED_RETRY_MAX)
      return MS_ETOOBIG;
    v = realloc(r->ids, cap * sizeof(*v));
    if (!v)
      return MS_ENOMEM;
    r->ids = v;
    r->cap = cap;
  }
  r->ids[r->n++] = f->id;
  return MS_OK;
}

/* The source, opened on first use; NULL (the reason logged once) when it
 * cannot be. */
static struct opened *source_for(struct store *st, struct retry_ctx *r, int64_t source_id) {
  struct source_row row = {0};
  struct err err = {0};
  struct opened *o, *v;
  for (size_t i = 0; i < r->nopen; i++)
    if (r->open[i].source_id == source_id)
      return r->open[i].sess.conn ? &r->open[i] : NULL;
  v = realloc(r->open, (r->nopen + 1) * sizeof(*v));
  if (!v) {
    log_error(MS_ENOMEM, "out of memory");
    return NULL;
  }
  r->open = v;
  o = &r->open[r->nopen++];
  memset(o, 0, sizeof(*o));
  o->source_id = source_id;
  if (st->ops->source_get_id(st, source_id, &row, &err)) {
    log_error(MS_ENOTFOUND, "%s", err.msg);
    return NULL;
  }
  if (session_from_row(NULL, &row, 0, &o->sess, &err)) {
    log_error(MS_EINVAL,
              "cannot re-read the records of source %s: %s; make it usable as for a sync, then "
              "retry",
              row.name, err.msg);
    source_row_release(&row);
    return NULL;
  }
  source_row_release(&row);
  return o;
}

/* The stream a failed record belongs to: a top-level stream of its
 * source, or one of their children. */
static const struct stream_def *stream_of(const struct session *s, const char *name) {
  const struct stream_def *const *all = connector_streams(s->conn, s->cstate);
  for (size_t i = 0; all && all[i]; i++) {
    if (strcmp(all[i]->name, name) == 0)
      return all[i];
    for (size_t k = 0; all[i]->children && all[i]->children[k]; k++)
      if (strcmp(all[i]->children[k]->name, name) == 0)
        return all[i]->children[k];
  }
  return NULL;
}

/* Reads the record again and stores it, or counts one more failure. A
 * database failure (not the record's fault) stops the retry. */
static int retry_one(struct store *st, struct retry_ctx *r, const struct failed_row *f,
                     struct failed_report *rep, struct err *err) {
  struct opened *o = source_for(st, r, f->source_id);
  const struct stream_def *def = o ? stream_of(&o->sess, f->stream) : NULL;
  struct read_context ctx;
  struct record rec;
  struct err why = {0};
  int rc;
  if (!o || !def) {
    if (o)
      log_error(MS_EINVAL, "failed record %lld: its source no longer offers the stream %s",
                (long long)f->id, f->stream);
    rep->skipped++;
    return MS_OK;
  }
  ctx.zone = o->sess.src.tz;
  ctx.currency = o->sess.src.currency;
  memset(&rec, 0, sizeof(rec));
  rc = record_reread(def, f->raw, strlen(f->raw), &ctx, &rec, &why);
  if (!rc)
    rc = st->ops->failed_resolve(st, f->id, def, &rec, wall_now(), &why);
  record_release(&rec);
  if (!rc) {
    rep->stored++;
    log_info("failed record %lld (%s %s) stored", (long long)f->id, f->source,
             f->external_id ? f->external_id : "without id");
    return MS_OK;
  }
  if (rc != MS_EINVAL && rc != MS_EPROTO && rc != MS_ETOOBIG)
    return err_set(err, rc, "failed record %lld: %s", (long long)f->id, why.msg);
  rep->failing++;
  log_warn("failed record %lld (%s %s) still fails: %s", (long long)f->id, f->source,
           f->external_id ? f->external_id : "without id", why.msg);
  return st->ops->failed_again(st, f->id, why.msg, wall_now(), err);
}

int failed_retry(struct store *st, const int64_t *ids, size_t n, struct failed_report *rep,
                 struct err *err) {
  struct retry_ctx r = {0};
  int rc = MS_OK;
  memset(rep, 0, sizeof(*rep));
  if (n) {
    r.ids = malloc(n * sizeof(*r.ids));
    if (!r.ids)
      return err_set(err, MS_ENOMEM, "out of memory");
    memcpy(r.ids, ids, n * sizeof(*ids));
    r.n = r.cap = n;
  } else {
    rc = st->ops->failed_list(st, 0, collect_id, &r, err);
    if (rc == MS_ETOOBIG)
      err_set(err, rc, "more than %d failed records for one retry", FAILED_RETRY_MAX);
  }
  for (size_t i = 0; i < r.n && !rc; i++) {
    struct failed_row f;
    rc = st->ops->failed_get(st, r.ids[i], &f, err);
    if (rc == MS_ENOTFOUND) {
      rc = MS_OK;
      continue;
    }
    if (rc)
      break;
    if (!f.resolved_at) /* an id given twice is done the second time */
      rc = retry_one(st, &r, &f, rep, err);
    failed_row_release(&f);
  }
  for (size_t i = 0; i < r.nopen; i++)
    session_close(&r.open[i].sess);
  free(r.open);
  free(r.ids);
  return rc;
}
