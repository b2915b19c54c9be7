/* How sources fare run after run: a source failing several runs in a row
 * raises sync.failed (once), and its first good run after that raises
 * sync.recovered. A source "fails a run" when it could not be opened, the
 * API refused it, or one of its slices failed for good. */
#ifndef MS_ENGINE_HEALTH_H
#define MS_ENGINE_HEALTH_H

#include <stdint.h>

#include "core/model.h"
#include "store/store.h"

#define HEALTH_ALERT_AFTER 3 /* failed runs in a row before sync.failed */

struct source_mark {
  char name[MS_NAME_MAX];
  int failed;                 /* anything of it failed in this run */
  char error[MS_ERR_MSG_MAX]; /* the first reason */
};

struct source_health {
  struct source_mark *v; /* owned */
  size_t n, cap;
};

/* Notes that the source took part (failed: and something of it failed). */
void health_note(struct source_health *h, const char *source, int failed, const char *why);
/* Moves each noted source's streak and writes sync.failed when it reaches
 * alert_after (0: HEALTH_ALERT_AFTER), sync.recovered when a source past
 * it runs well again. Problems are logged, never fatal. */
void health_record(struct store *st, const struct source_health *h, int64_t run_id, int64_t now,
                   int alert_after);
void health_release(struct source_health *h);

#endif
