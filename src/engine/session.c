#include "engine/session.h"

#include <stdlib.h>
#include <string.h>

#include "engine/sync.h"
#include "util/json.h"

int session_from_row(struct store *st, const struct source_row *row, int flags, struct session *out,
                     struct err *err) {
  int rc;
  memset(out, 0, sizeof(*out));
  rc = connector_for_row(row, &out->conn, err);
  if (rc)
    return rc;
  rc = source_from_row(row, &out->src, err);
  if (!rc)
    rc = out->conn->open(&out->src, &out->cstate, err);
  if (!rc && (flags & SESSION_ZONE) && !out->src.tz) {
    /* The time zone was never learned: ask the API now. */
    rc = session_probe(st, out, err);
    if (rc)
      err_prefix(err, "cannot learn the time zone of %s", row->name);
  }
  if (rc)
    session_close(out);
  return rc;
}

int session_open(struct store *st, const char *name, int flags, struct session *out,
                 struct err *err) {
  struct source_row row = {0};
  int rc = st->ops->source_get(st, name, &row, err);
  memset(out, 0, sizeof(*out));
  if (!rc)
    rc = session_from_row(st, &row, flags, out, err);
  source_row_release(&row);
  return rc;
}

/* Writes the zone into the stored settings when it is not there yet or
 * differs. */
static int save_zone(struct store *st, struct source *src, struct err *err) {
  cJSON *settings = cJSON_Parse(src->row.settings ? src->row.settings : "{}");
  const char *old = jstr(settings, "timezone");
  char *text;
  int rc = MS_OK;
  if (!cJSON_IsObject(settings)) {
    cJSON_Delete(settings);
    return err_set(err, MS_EINVAL, "the stored settings of %s are damaged", src->row.name);
  }
  if (src->timezone && (!old || strcmp(old, src->timezone) != 0)) {
    cJSON_DeleteItemFromObjectCaseSensitive(settings, "timezone");
    cJSON_AddStringToObject(settings, "timezone", src->timezone);
    text = cJSON_PrintUnformatted(settings);
    if (!text) {
      rc = err_set(err, MS_ENOMEM, "out of memory");
    } else {
      free(src->row.settings);
      src->row.settings = text;
      rc = st->ops->source_update(st, &src->row, err);
    }
  }
  cJSON_Delete(settings);
  return rc;
}

int session_probe(struct store *st, struct session *s, struct err *err) {
  int rc = sync_probe(&s->src, s->conn, s->cstate, err);
  if (!rc && s->src.timezone)
    rc = source_open_tz(&s->src, err);
  if (!rc && st && s->src.row.id)
    rc = save_zone(st, &s->src, err);
  return rc;
}

void session_close(struct session *s) {
  if (!s)
    return;
  if (s->conn && s->cstate)
    s->conn->close(s->cstate);
  source_release(&s->src);
  memset(s, 0, sizeof(*s));
}
