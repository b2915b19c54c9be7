/* The store registry: backends by name, and opening a store by location. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

extern const struct store_ops sqlite_store_ops;

/* Every backend built into this binary; NULL ends the table. */
static const struct store_ops *const backends[] = {
    &sqlite_store_ops,
    NULL,
};

const struct store_ops *store_backend(const char *name) {
  if (!name)
    return NULL;
  for (size_t i = 0; backends[i]; i++)
    if (strcmp(backends[i]->name, name) == 0)
      return backends[i];
  return NULL;
}

static int has_prefix(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

int store_open(const char *location, struct store **out, struct err *err) {
  const struct store_ops *ops;
  *out = NULL;
  if (!location || !*location)
    return err_set(err, MS_EINVAL, "no database given; pass a SQLite file path with --db");
  if (has_prefix(location, "postgres://") || has_prefix(location, "postgresql://")) {
    ops = store_backend("postgres");
    if (!ops)
      return err_set(err, MS_EINVAL,
                     "PostgreSQL support is not built yet; use a SQLite file path for now");
    return ops->open(location, out, err);
  }
  ops = store_backend("sqlite");
  if (!ops)
    return err_set(err, MS_EINVAL, "SQLite support is not built into this marketsync");
  return ops->open(location, out, err);
}

void store_close(struct store *st) {
  if (st)
    st->ops->close(st);
}

void run_row_release(struct run_row *r) {
  if (!r)
    return;
  free(r->scope);
  free(r->error);
  r->scope = NULL;
  r->error = NULL;
}

void failed_row_release(struct failed_row *f) {
  if (!f)
    return;
  free(f->external_id);
  free(f->raw);
  free(f->error);
  f->external_id = NULL;
  f->raw = NULL;
  f->error = NULL;
}

void schedule_row_release(struct schedule_row *s) {
  if (!s)
    return;
  free(s->spec);
  s->spec = NULL;
}

void job_row_release(struct job_row *j) {
  if (!j)
    return;
  free(j->request);
  free(j->targets);
  free(j->last_error);
  j->request = NULL;
  j->targets = NULL;
  j->last_error = NULL;
}

void event_row_release(struct event_row *e) {
  if (!e)
    return;
  free(e->record_id);
  free(e->data);
  e->record_id = NULL;
  e->data = NULL;
}

void webhook_row_release(struct webhook_row *w) {
  if (!w)
    return;
  free(w->url);
  free(w->events);
  free(w->secret);
  free(w->last_error);
  w->url = NULL;
  w->events = NULL;
  w->secret = NULL;
  w->last_error = NULL;
}

void user_row_release(struct user_row *u) {
  if (!u)
    return;
  free(u->password_hash);
  free(u->accounts);
  u->password_hash = NULL;
  u->accounts = NULL;
  u->naccounts = 0;
}
