#include "core/stream.h"

#include <string.h>

const struct stream_def *stream_find(const struct stream_def *const *list, const char *name) {
  for (size_t i = 0; list && list[i]; i++)
    if (strcmp(list[i]->name, name) == 0)
      return list[i];
  return NULL;
}

int stream_answers_to(const struct stream_def *def, const char *name) {
  size_t n = strlen(name);
  if (strcmp(def->name, name) == 0 || strcmp(name, "all") == 0)
    return 1;
  for (const char *p = def->aliases; p && *p;) {
    size_t len = strcspn(p, ",");
    if (len == n && strncmp(p, name, n) == 0)
      return 1;
    p += len + (p[len] == ',');
  }
  return 0;
}

int stream_offered(const struct stream_def *const *list, const char *name) {
  for (size_t i = 0; list && list[i]; i++)
    if (stream_answers_to(list[i], name))
      return 1;
  return 0;
}

const struct stream_def *stream_follow_child(const struct stream_def *def) {
  for (size_t i = 0; def->children && def->children[i]; i++)
    if (def->children[i]->flags & STREAM_FOLLOW)
      return def->children[i];
  return NULL;
}

const struct column_def *stream_column(const struct stream_def *def, const char *name) {
  for (const struct column_def *c = def->columns; c && c->name; c++)
    if (strcmp(c->name, name) == 0)
      return c;
  return NULL;
}

/* SQL names we write into statements: [a-z][a-z0-9_]*, bounded. */
static int sql_name(const char *s, size_t max) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > max || s[0] < 'a' || s[0] > 'z')
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      return 0;
  return 1;
}

static const char *const common[] = {"source_id",  "external_id", "created_at",    "updated_at",
                                     "deleted_at", "raw",         "first_seen_at", "last_synced_at",
                                     "line_no",    NULL};

static int clashes(const struct stream_def *def, const char *name) {
  for (size_t i = 0; common[i]; i++)
    if (strcmp(common[i], name) == 0)
      return 1;
  return def->parent_key && strcmp(def->parent_key, name) == 0;
}

int stream_check(const struct stream_def *def, struct err *err) {
  const char *name = def && def->name ? def->name : "(unnamed)";
  size_t ncols = 0, nkids = 0;
  if (!def || !sql_name(def->name, STREAM_NAME_MAX - 1))
    return err_set(err, MS_EINVAL, "stream %s: the name must be [a-z][a-z0-9_]*, at most %d bytes",
                   name, STREAM_NAME_MAX - 1);
  if (!sql_name(def->table, STREAM_NAME_MAX - 1))
    return err_set(err, MS_EINVAL, "stream %s: table must be [a-z][a-z0-9_]*, at most %d bytes",
                   name, STREAM_NAME_MAX - 1);
  if (!def->key || !*def->key || strlen(def->key) >= STREAM_PATH_MAX)
    return err_set(err, MS_EINVAL, "stream %s: key must name the path of the record's id", name);
  if (def->parent && (!sql_name(def->parent_key, STREAM_NAME_MAX - 1)))
    return err_set(err, MS_EINVAL, "stream %s: a child must name its parent_key column", name);
  if (def->parent && !def->path && !(def->flags & STREAM_FOLLOW))
    return err_set(err, MS_EINVAL,
                   "stream %s: a child is read from a path in its parent, or by follow-ups", name);
  if (!def->parent && (def->slicing < SLICING_BY_DAY || def->slicing > SLICING_SNAPSHOT))
    return err_set(err, MS_EINVAL, "stream %s: slicing must be by day, by updates or snapshot",
                   name);
  for (const struct column_def *c = def->columns; c && c->name; c++, ncols++) {
    if (!sql_name(c->name, STREAM_NAME_MAX - 8))
      return err_set(err, MS_EINVAL,
                     "stream %s: column '%.60s' must be [a-z][a-z0-9_]*, at most %d bytes", name,
                     c->name, STREAM_NAME_MAX - 8);
    if (clashes(def, c->name))
      return err_set(err, MS_EINVAL, "stream %s: column %s is one every table has already", name,
                     c->name);
    if (c->type < COL_TEXT || c->type > COL_JSON)
      return err_set(err, MS_EINVAL, "stream %s: column %s has no known type", name, c->name);
    if (c->type == COL_MONEY && c->minor && !sql_name(c->minor, STREAM_NAME_MAX - 1))
      return err_set(err, MS_EINVAL, "stream %s: column %s: minor must be a column name", name,
                     c->name);
    if (!c->path && !c->read && !(c->flags & COL_LOCAL))
      return err_set(err, MS_EINVAL, "stream %s: column %s says neither where it is read nor how",
                     name, c->name);
    for (const struct column_def *d = def->columns; d != c; d++)
      if (strcmp(d->name, c->name) == 0)
        return err_set(err, MS_EINVAL, "stream %s: column %s is named twice", name, c->name);
  }
  if (def->recent_days < 0 || def->recent_days > 3660 ||
      (def->recent_days && (def->parent || def->slicing != SLICING_BY_DAY)))
    return err_set(err, MS_EINVAL,
                   "stream %s: recent days (0 to 3660) belong to a top-level stream sliced by day",
                   name);
  if (ncols > STREAM_COLUMNS_MAX)
    return err_set(err, MS_EINVAL, "stream %s: more than %d columns", name, STREAM_COLUMNS_MAX);
  for (size_t i = 0; def->children && def->children[i]; i++, nkids++) {
    const struct stream_def *k = def->children[i];
    int rc;
    if (!k->parent || strcmp(k->parent, def->name) != 0)
      return err_set(err, MS_EINVAL, "stream %s: child %s does not name it as its parent", name,
                     k->name);
    rc = stream_check(k, err);
    if (rc)
      return rc;
  }
  if (nkids > STREAM_CHILDREN_MAX)
    return err_set(err, MS_EINVAL, "stream %s: more than %d children", name, STREAM_CHILDREN_MAX);
  return MS_OK;
}
