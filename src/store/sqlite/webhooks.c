/* Webhooks: where events are delivered, each with its cursor in the outbox.
 *
 * delivered_id says every event up to it was delivered to the webhook (or
 * did not match its list), so it only moves forward: a dispatcher that
 * reports late never makes a webhook receive events twice. One webhook per
 * URL: a receiver that wants several kinds of events lists them all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/sqlite/sqlite_store.h"

#define WEBHOOK_COLS                                                                               \
  "id, url, events, secret, enabled, created_at, delivered_id, failures, retry_at, last_error"

/* http(s)://host..., printable ASCII without spaces, and no user or
 * password (those belong in the secret, not in a URL that lists show).
 * The admin API checks more (libcurl's parser); the store keeps out what
 * could never be delivered to. */
static int url_check(const char *url, struct err *err) {
  const char *host, *end;
  if (!url || !*url)
    return err_set(err, MS_EINVAL, "the webhook URL is empty");
  if (strlen(url) >= WEBHOOK_URL_MAX)
    return err_set(err, MS_EINVAL, "the webhook URL is too long (at most %d bytes)",
                   WEBHOOK_URL_MAX - 1);
  for (const unsigned char *p = (const unsigned char *)url; *p; p++)
    if (*p <= ' ' || *p > '~')
      return err_set(err, MS_EINVAL,
                     "the webhook URL \"%.60s\" holds a space or a character outside ASCII; "
                     "percent-encode it",
                     url);
  if (strncasecmp(url, "https://", 8) == 0)
    host = url + 8;
  else if (strncasecmp(url, "http://", 7) == 0)
    host = url + 7;
  else
    return err_set(err, MS_EINVAL,
                   "the webhook URL \"%.60s\" does not start with https:// or "
                   "http://",
                   url);
  end = host + strcspn(host, "/?#");
  if (end == host)
    return err_set(err, MS_EINVAL, "the webhook URL \"%.60s\" names no host", url);
  if (memchr(host, '@', (size_t)(end - host)))
    return err_set(err, MS_EINVAL,
                   "the webhook URL holds a user name or password; keep the credentials out of "
                   "it and sign with the webhook's secret instead");
  return MS_OK;
}

/* Fills out from a row in WEBHOOK_COLS order; on failure nothing is held. */
static int webhook_read(sqlite3_stmt *q, void *out) {
  struct webhook_row *w = out;
  int rc;
  memset(w, 0, sizeof(*w));
  w->id = sqlite3_column_int64(q, 0);
  rc = col_dup(q, 1, &w->url);
  if (!rc)
    rc = col_dup(q, 2, &w->events);
  if (!rc)
    rc = col_dup(q, 3, &w->secret);
  w->enabled = sqlite3_column_int(q, 4);
  w->created_at = sqlite3_column_int64(q, 5);
  w->delivered_id = sqlite3_column_int64(q, 6);
  w->failures = sqlite3_column_int(q, 7);
  w->retry_at = sqlite3_column_int64(q, 8);
  if (!rc)
    rc = col_dup(q, 9, &w->last_error);
  if (rc)
    webhook_row_release(w);
  return rc;
}

static void webhook_forget(void *row) {
  webhook_row_release(row);
}

static int webhook_missing(int64_t id, struct err *err) {
  return err_set(err, MS_ENOTFOUND, "there is no webhook with id %lld", (long long)id);
}

/* The webhook of that id into out, or MS_ENOTFOUND. */
static int webhook_fetch(struct sqlite_store *s, int64_t id, struct webhook_row *out,
                         struct err *err) {
  struct webhook_row *v = NULL;
  size_t n = 0;
  int rc = q_collect(s, "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = ?1", ARGS(A_INT(id)),
                     sizeof(*v), webhook_read, webhook_forget, 1, (void **)&v, &n, err,
                     "reading a webhook");
  memset(out, 0, sizeof(*out));
  if (!rc && n == 0)
    rc = webhook_missing(id, err);
  if (!rc)
    *out = v[0];
  free(v);
  return rc;
}

/* The id and cursor a new webhook got. */
static int added_row(void *ctx, sqlite3_stmt *q) {
  struct webhook_row *w = ctx;
  w->id = sqlite3_column_int64(q, 0);
  w->delivered_id = sqlite3_column_int64(q, 1);
  return MS_OK;
}

/* MS_EEXIST naming the webhook that has the URL. */
static int url_taken(struct sqlite_store *s, const char *url, struct err *err) {
  int64_t id = 0;
  q_int(s, "SELECT id FROM webhooks WHERE url = ?1", ARGS(A_TEXT(url)), &id, NULL, NULL,
        "reading webhooks");
  return err_set(err, MS_EEXIST,
                 "webhook %lld delivers to %.60s already; list every event type it should get "
                 "there instead of adding a second one",
                 (long long)id, url);
}

/* The events written before it are not its: delivered_id starts at the
 * newest. The list of types is stored as parsed (entries trimmed). */
int sqlite_webhook_add(struct store *st, struct webhook_row *w, struct err *err) {
  struct sqlite_store *s = backend(st);
  struct event_types types;
  int rc = url_check(w->url, err);
  if (!rc)
    rc = w->secret ? check_json_object("the webhook's secret", w->secret, WEBHOOK_SECRET_MAX, err)
                   : MS_OK;
  if (!rc)
    rc = check_time("the webhook's creation time", w->created_at, err);
  if (!rc)
    rc = event_types_parse("the webhook's event types", w->events, &types, err);
  if (rc)
    return rc;
  rc = q_each(s,
              "INSERT INTO webhooks (url, events, secret, enabled, created_at, delivered_id) "
              "VALUES (?1, ?2, ?3, ?4, ?5, (SELECT coalesce(max(id), 0) FROM events)) "
              "RETURNING id, delivered_id",
              ARGS(A_TEXT(w->url), A_TEXT(types.text), A_TEXT(w->secret ? w->secret : "{}"),
                   A_INT(w->enabled != 0), A_INT(w->created_at)),
              added_row, w, err, "adding the webhook");
  event_types_release(&types);
  if (rc && s->last_rc == SQLITE_CONSTRAINT_UNIQUE)
    return url_taken(s, w->url, err);
  return rc;
}

#define WEBHOOKS_MAX 100000 /* a list holds no more; far more than anyone configures */

int sqlite_webhook_list(struct store *st, webhook_cb cb, void *ctx, struct err *err) {
  struct webhook_row *v = NULL;
  size_t n = 0;
  int rc = q_collect(backend(st), "SELECT " WEBHOOK_COLS " FROM webhooks ORDER BY id", NO_ARGS,
                     sizeof(*v), webhook_read, webhook_forget, WEBHOOKS_MAX, (void **)&v, &n, err,
                     "listing webhooks");
  for (size_t i = 0; i < n && !rc; i++)
    rc = cb(ctx, &v[i]);
  for (size_t i = 0; i < n; i++)
    webhook_row_release(&v[i]);
  free(v);
  return rc;
}

int sqlite_webhook_get(struct store *st, int64_t id, struct webhook_row *out, struct err *err) {
  return webhook_fetch(backend(st), id, out, err);
}

int sqlite_webhook_remove(struct store *st, int64_t id, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = q_each(s, "DELETE FROM webhooks WHERE id = ?1", ARGS(A_INT(id)), NULL, NULL, err,
                  "removing the webhook");
  if (!rc && q_changes(s) == 0)
    return webhook_missing(id, err);
  return rc;
}

int sqlite_webhook_delivered(struct store *st, int64_t id, int64_t delivered_id, struct err *err) {
  struct sqlite_store *s = backend(st);
  int rc = delivered_id < 0 ? err_set(err, MS_EINVAL, "an event id cannot be negative") : MS_OK;
  if (!rc)
    rc = q_each(s,
                "UPDATE webhooks SET delivered_id = max(delivered_id, ?2), failures = 0, "
                "retry_at = 0, last_error = NULL WHERE id = ?1",
                ARGS(A_INT(id), A_INT(delivered_id)), NULL, NULL, err,
                "recording a webhook's delivery");
  if (!rc && q_changes(s) == 0)
    return webhook_missing(id, err);
  return rc;
}

int sqlite_webhook_failed(struct store *st, int64_t id, int64_t retry_at, const char *error,
                          struct err *err) {
  struct sqlite_store *s = backend(st);
  char msg[ERROR_TEXT_MAX];
  int rc = check_time("the time to retry the webhook", retry_at, err);
  if (rc)
    return rc;
  one_line(error && *error ? error : "the delivery failed", msg, sizeof(msg));
  rc = q_each(s,
              "UPDATE webhooks SET failures = failures + 1, retry_at = ?2, last_error = ?3 "
              "WHERE id = ?1",
              ARGS(A_INT(id), A_INT(retry_at), A_TEXT(msg)), NULL, NULL, err,
              "recording a webhook's failure");
  if (!rc && q_changes(s) == 0)
    return webhook_missing(id, err);
  return rc;
}
