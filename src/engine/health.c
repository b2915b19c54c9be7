#include "engine/health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/array.h"
#include "util/log.h"

/* The marks are kept in name order: a run over thousands of sources notes
 * one at every page, and a walk of them all each time grew with the square
 * of the sources. */
static size_t mark_at(const struct source_health *h, const char *source, int *found) {
  size_t lo = 0, hi = h->n;
  *found = 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(h->v[mid].name, source);
    if (c == 0) {
      *found = 1;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

void health_note(struct source_health *h, const char *source, int failed, const char *why) {
  struct source_mark *m;
  int found;
  size_t at;
  if (!source || !*source)
    return;
  at = mark_at(h, source, &found);
  if (!found) {
    /* health is advice: without memory, this source goes unnoted */
    if (array_reserve((void **)&h->v, &h->cap, h->n + 1, sizeof(*h->v), 8))
      return;
    memmove(&h->v[at + 1], &h->v[at], (h->n - at) * sizeof(*h->v));
    h->n++;
    memset(&h->v[at], 0, sizeof(h->v[at]));
    snprintf(h->v[at].name, sizeof(h->v[at].name), "%s", source);
  }
  m = &h->v[at];
  if (failed && !m->failed)
    snprintf(m->error, sizeof(m->error), "%s", why ? why : "");
  m->failed |= failed;
}

static void raise_event(struct store *st, const char *type, const struct source_row *src,
                        int64_t streak, int64_t run_id, const char *error, int64_t now) {
  struct event_row ev;
  struct err err = {0};
  cJSON *data = cJSON_CreateObject();
  memset(&ev, 0, sizeof(ev));
  snprintf(ev.type, sizeof(ev.type), "%s", type);
  ev.source_id = src->id;
  ev.created_at = now;
  cJSON_AddStringToObject(data, "source", src->name);
  cJSON_AddNumberToObject(data, "failed_runs", (double)streak);
  cJSON_AddNumberToObject(data, "run_id", (double)run_id);
  if (error && *error)
    cJSON_AddStringToObject(data, "error", error);
  ev.data = cJSON_PrintUnformatted(data);
  cJSON_Delete(data);
  if (!ev.data || st->ops->event_add(st, &ev, &err))
    log_error(MS_EDB, "%s: the %s event could not be written: %s", src->name, type,
              ev.data ? err.msg : "out of memory");
  free(ev.data);
}

void health_record(struct store *st, const struct source_health *h, int64_t run_id, int64_t now,
                   int alert_after) {
  if (alert_after <= 0)
    alert_after = HEALTH_ALERT_AFTER;
  for (size_t i = 0; i < h->n; i++) {
    const struct source_mark *m = &h->v[i];
    struct source_row src = {0};
    struct err err = {0};
    int64_t before = 0, after = 0;
    if (st->ops->source_get(st, m->name, &src, &err) ||
        st->ops->source_streak(st, src.id, m->failed, now, &before, &after, &err)) {
      log_warn("%s: its run of failures could not be counted: %s", m->name, err.msg);
      source_row_release(&src);
      continue;
    }
    if (m->failed && after == alert_after)
      raise_event(st, "sync.failed", &src, after, run_id, m->error, now);
    else if (!m->failed && before >= alert_after)
      raise_event(st, "sync.recovered", &src, before, run_id, NULL, now);
    source_row_release(&src);
  }
}

void health_release(struct source_health *h) {
  free(h->v);
  memset(h, 0, sizeof(*h));
}
