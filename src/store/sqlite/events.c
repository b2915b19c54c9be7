/* Events: the outbox of what happened, in the order it happened.
 *
 * Record events (order.created, ...) are written by commit_page in the
 * page's transaction; the run's own (sync.failed, sync.recovered) here. Ids
 * only rise (AUTOINCREMENT, and SQLite commits one writer at a time), so a
 * webhook's cursor on them never skips one. An event outlives its source:
 * the source's id becomes NULL and its name is kept (migration 0005's
 * trigger), because the outbox is an audit of what was delivered.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

#define EVENT_SELECT                                                                               \
  "SELECT e.id, e.type, coalesce(e.source_id, 0), coalesce(s.name, e.source_name, ''), "           \
  "e.stream, e.record_id, e.data, e.created_at FROM events e "                                     \
  "LEFT JOIN sources s ON s.id = e.source_id "

/* ---- types and prefixes --------------------------------------------------- */

static int type_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Lowercase words joined by dots, at least two ("order.created"); with
 * `prefix`, ending with a dot instead ("order."). */
static int type_shaped(const char *t, int prefix) {
  size_t n = strlen(t), dots = 0;
  if (n == 0 || n >= EVENT_TYPE_MAX || !type_char(t[0]))
    return 0;
  for (size_t i = 0; i < n; i++) {
    if (t[i] == '.' && (i + 1 == n || t[i + 1] != '.'))
      dots++;
    else if (!type_char(t[i]))
      return 0;
  }
  return prefix ? t[n - 1] == '.' : dots > 0 && t[n - 1] != '.';
}

static int event_type_check(const char *type, struct err *err) {
  if (!type_shaped(type, 0))
    return err_set(err, MS_EINVAL,
                   "event type \"%.40s\" is not lowercase words joined by dots "
                   "(\"sync.failed\"), at most %d characters",
                   type, EVENT_TYPE_MAX - 1);
  return MS_OK;
}

/* One entry of a list: a type, a prefix, or "*". */
static int types_entry(const char *what, const char *entry, cJSON *list, int *all,
                       struct err *err) {
  cJSON *item;
  if (strcmp(entry, "*") == 0) {
    *all = 1;
    return MS_OK;
  }
  if (!type_shaped(entry, 0) && !type_shaped(entry, 1))
    return err_set(err, MS_EINVAL,
                   "%s: \"%.40s\" is neither an event type (order.created) nor a prefix ending "
                   "with a dot (order.)",
                   what, entry);
  if (cJSON_GetArraySize(list) >= EVENT_TYPES_MAX)
    return err_set(err, MS_EINVAL, "%s: at most %d types or prefixes", what, EVENT_TYPES_MAX);
  item = cJSON_CreateString(entry);
  if (!item || !cJSON_AddItemToArray(list, item)) {
    cJSON_Delete(item);
    return err_set(err, MS_ENOMEM, "%s: out of memory", what);
  }
  return MS_OK;
}

/* Splits the comma list into list's entries, spaces around them dropped. */
static int types_split(const char *what, const char *text, cJSON *list, int *all, struct err *err) {
  char entry[EVENT_TYPE_MAX + 1];
  const char *p = text;
  int rc = MS_OK;
  while (!rc) {
    const char *end = strchr(p, ','), *stop = end ? end : p + strlen(p);
    while (p < stop && *p == ' ')
      p++;
    while (stop > p && stop[-1] == ' ')
      stop--;
    if (stop == p)
      return err_set(err, MS_EINVAL, "%s: an entry of \"%.60s\" is empty", what, text);
    if ((size_t)(stop - p) > EVENT_TYPE_MAX - 1)
      return err_set(err, MS_EINVAL, "%s: \"%.40s...\" is longer than an event type", what, p);
    snprintf(entry, sizeof(entry), "%.*s", (int)(stop - p), p);
    rc = types_entry(what, entry, list, all, err);
    if (!end)
      break;
    p = end + 1;
  }
  return rc;
}

/* The list as stored: its entries joined by commas, or "*". */
static void types_join(const cJSON *list, int all, struct event_types *out) {
  size_t at = 0;
  if (all) {
    snprintf(out->text, sizeof(out->text), "*");
    return;
  }
  for (const cJSON *e = list->child; e; e = e->next) {
    int n = snprintf(out->text + at, sizeof(out->text) - at, "%s%s", at ? "," : "", e->valuestring);
    at += n > 0 ? (size_t)n : 0;
  }
}

int event_types_parse(const char *what, const char *text, struct event_types *out,
                      struct err *err) {
  cJSON *list;
  int all = 0, rc;
  memset(out, 0, sizeof(*out));
  if (!text || strspn(text, " ") == strlen(text)) {
    snprintf(out->text, sizeof(out->text), "*");
    return MS_OK;
  }
  if (strlen(text) >= sizeof(out->text))
    return err_set(err, MS_EINVAL, "%s is too long (at most %zu bytes)", what,
                   sizeof(out->text) - 1);
  list = cJSON_CreateArray();
  if (!list)
    return err_set(err, MS_ENOMEM, "%s: out of memory", what);
  rc = types_split(what, text, list, &all, err);
  if (!rc)
    types_join(list, all, out);
  if (!rc && !all && !(out->json = cJSON_PrintUnformatted(list)))
    rc = err_set(err, MS_ENOMEM, "%s: out of memory", what);
  cJSON_Delete(list);
  return rc;
}

void event_types_release(struct event_types *t) {
  cJSON_free(t->json);
  t->json = NULL;
}

/* ---- adding and listing ------------------------------------------------------ */

static int event_check(const struct event_row *e, struct err *err) {
  int rc = event_type_check(e->type, err);
  if (!rc && e->source_id < 0)
    rc = err_set(err, MS_EINVAL, "an event's source id cannot be negative");
  if (!rc && strlen(e->stream) >= sizeof(e->stream))
    rc = err_set(err, MS_EINVAL, "an event's stream name is too long");
  if (!rc && e->record_id && strlen(e->record_id) > STORE_ID_MAX)
    rc = err_set(err, MS_EINVAL, "an event's record id \"%.40s...\" is too long (at most %d bytes)",
                 e->record_id, STORE_ID_MAX);
  if (!rc && e->data)
    rc = check_json_object("the event's data", e->data, EVENT_DATA_MAX, err);
  if (!rc)
    rc = check_time("the event's time", e->created_at, err);
  return rc;
}

static int id_row(void *ctx, sqlite3_stmt *q) {
  *(int64_t *)ctx = sqlite3_column_int64(q, 0);
  return MS_OK;
}

int sqlite_event_add(struct store *st, struct event_row *e, struct err *err) {
  return event_insert(backend(st), e, err);
}

int event_insert(struct sqlite_store *s, struct event_row *e, struct err *err) {
  int rc = event_check(e, err);
  e->id = 0;
  if (rc)
    return rc;
  rc = q_each(s,
              "INSERT INTO events (type, source_id, stream, record_id, data, created_at) "
              "VALUES (?1, nullif(?2, 0), ?3, ?4, ?5, ?6) RETURNING id",
              ARGS(A_TEXT(e->type), A_INT(e->source_id), A_TEXT(e->stream), A_TEXT(e->record_id),
                   A_TEXT(e->data ? e->data : "{}"), A_INT(e->created_at)),
              id_row, &e->id, err, "recording an event");
  if (rc && s->last_rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    return err_set(err, MS_ENOTFOUND, "no source with id %lld (was it removed?)",
                   (long long)e->source_id);
  return rc;
}

/* ---- a page's events ------------------------------------------------------- */

#define EVENTS_ROWS_MAX 64 /* events of the largest insert */
#define EVENTS_SIZES 7     /* inserts of 64, 32, 16, ..., 1 events */
#define EVENT_ARGS 4       /* type, stream, record id, data */

/* The inserts of 64, 32, ..., 1 events: ?1 the source, ?2 the time, then
 * the four fields of each event. Bound values, where reading them back out
 * of a JSON array with json_each cost twice as much. */
static char events_sql[EVENTS_SIZES][EVENTS_ROWS_MAX * 64 + 128];
static pthread_once_t events_sql_once = PTHREAD_ONCE_INIT;

static void events_sql_make(void) {
  for (int k = 0; k < EVENTS_SIZES; k++) {
    char *p = events_sql[k];
    size_t size = sizeof(events_sql[k]);
    int n = snprintf(p, size,
                     "INSERT INTO events (type, source_id, stream, record_id, data, created_at) "
                     "VALUES ");
    for (int r = 0; r < EVENTS_ROWS_MAX >> k; r++) {
      int a = 3 + EVENT_ARGS * r;
      n += snprintf(p + n, size - (size_t)n, "%s(?%d, ?1, ?%d, ?%d, ?%d, ?2)", r ? ", " : "", a,
                    a + 1, a + 2, a + 3);
    }
  }
}

/* Reads the next event's fields at *p (before end) into a. */
static int event_args(const char **p, const char *end, struct arg *a) {
  for (int f = 0; f < EVENT_ARGS; f++) {
    const char *nul = *p < end ? memchr(*p, '\0', (size_t)(end - *p)) : NULL;
    size_t len;
    if (!nul)
      return MS_EINVAL;
    len = (size_t)(nul - *p);
    a[f] = f == EVENT_ARGS - 1 && !len ? A_TEXT("{}") : A_TEXTN(*p, len);
    *p = nul + 1;
  }
  return MS_OK;
}

/* Inserts the n events whose fields ev holds, in inserts of 64, 32, ... */
static int events_insert(struct sqlite_store *s, int64_t source_id, int64_t now,
                         const struct arg *ev, size_t n, struct err *err) {
  struct arg a[2 + EVENT_ARGS * EVENTS_ROWS_MAX];
  int rc = MS_OK;
  a[0] = A_INT(source_id);
  a[1] = A_INT(now);
  for (int k = 0; !rc && k < EVENTS_SIZES; k++) {
    size_t rows = (size_t)EVENTS_ROWS_MAX >> k;
    while (!rc && n >= rows) {
      memcpy(a + 2, ev, rows * EVENT_ARGS * sizeof(*ev));
      rc = q_each(s, events_sql[k], (struct args){a, 2 + rows * EVENT_ARGS}, NULL, NULL, err,
                  "recording events");
      ev += rows * EVENT_ARGS;
      n -= rows;
    }
  }
  return rc;
}

int events_flush(struct sqlite_store *s, int64_t source_id, int64_t now, const struct buf *rows,
                 struct err *err) {
  struct arg ev[EVENT_ARGS * EVENTS_ROWS_MAX];
  const char *p, *end;
  int rc = MS_OK;
  if (!rows || rows->len == 0)
    return MS_OK;
  pthread_once(&events_sql_once, events_sql_make);
  p = rows->data;
  end = p + rows->len;
  while (!rc && p < end) {
    size_t n = 0;
    while (!rc && p < end && n < EVENTS_ROWS_MAX)
      rc = event_args(&p, end, ev + EVENT_ARGS * n++);
    rc = rc ? err_set(err, rc, "the page's events are damaged; nothing was stored")
            : events_insert(s, source_id, now, ev, n, err);
  }
  return rc;
}

/* Fills out from a row of EVENT_SELECT; on failure nothing is held. */
static int event_read(sqlite3_stmt *q, void *out) {
  struct event_row *e = out;
  int rc;
  memset(e, 0, sizeof(*e));
  e->id = sqlite3_column_int64(q, 0);
  col_copy(q, 1, e->type, sizeof(e->type));
  e->source_id = sqlite3_column_int64(q, 2);
  col_copy(q, 3, e->source, sizeof(e->source));
  col_copy(q, 4, e->stream, sizeof(e->stream));
  rc = col_dup(q, 5, &e->record_id);
  if (!rc)
    rc = col_dup(q, 6, &e->data);
  e->created_at = sqlite3_column_int64(q, 7);
  if (rc)
    event_row_release(e);
  return rc;
}

static void event_forget(void *row) {
  event_row_release(row);
}

/* A type matches an entry equal to it, or a prefix (ending with a dot) it
 * starts with. */
int sqlite_event_list(struct store *st, const struct event_filter *f, event_cb cb, void *ctx,
                      struct err *err) {
  struct event_types types;
  struct event_row *v = NULL;
  size_t n = 0;
  int limit = f->limit ? f->limit : SERVICE_LIST_DEFAULT;
  int rc = event_types_parse("the event types", f->types, &types, err);
  if (rc)
    return rc;
  if (limit < 0 || limit > SERVICE_LIST_MAX)
    rc = err_set(err, MS_EINVAL, "an event list shows 1 to %d events, not %d", SERVICE_LIST_MAX,
                 limit);
  if (!rc)
    rc = q_collect(backend(st),
                   EVENT_SELECT "WHERE e.id > ?1 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM "
                                "json_each(?2) t WHERE t.value = e.type OR (substr(t.value, -1) "
                                "= '.' AND substr(e.type, 1, length(t.value)) = t.value))) "
                                "AND (?3 = 0 OR e.source_id = ?3) ORDER BY e.id LIMIT ?4",
                   ARGS(A_INT(f->after_id), A_TEXT(types.json), A_INT(f->source_id), A_INT(limit)),
                   sizeof(*v), event_read, event_forget, (size_t)limit, (void **)&v, &n, err,
                   "listing events");
  event_types_release(&types);
  for (size_t i = 0; i < n && !rc; i++)
    rc = cb(ctx, &v[i]);
  for (size_t i = 0; i < n; i++)
    event_row_release(&v[i]);
  free(v);
  return rc;
}
