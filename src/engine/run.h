/* One sync, start to end, as every caller asks for it: the command line,
 * the scheduler's jobs and the admin API's quick sync all describe what
 * they want in a sync_request and get a sync_report back. This is where
 * sources are opened, streams chosen, slices planned for the mode, the run
 * recorded in the sync log and the page loop (engine/sync.h) driven. */
#ifndef MS_ENGINE_RUN_H
#define MS_ENGINE_RUN_H

#include "engine/plan.h"
#include "engine/session.h"
#include "engine/sync.h"

enum sync_mode {
  SYNC_DEFAULT = 0,   /* what a user wants every hour: the chosen days (by default today and
                         every pending or failed day), snapshots, then every stream's changes */
  SYNC_NEW,           /* records created in the chosen days; the update-time streams from their
                         watermark; snapshots */
  SYNC_MODIFIED,      /* records changed since each stream's watermark (less the overlap);
                         deletions; snapshots */
  SYNC_FULL,          /* everything again: the chosen days fetched anew, update-time streams
                         from the beginning, snapshots */
  SYNC_INCOMPLETE,    /* records stored without what they need (items, prices, fields their
                         connector requires) fetched again; then prices estimated */
  SYNC_REPAIR_ITEMS,  /* only records without any children (items) */
  SYNC_REPAIR_PRICES, /* only children without a price, then the estimate */
};

const char *sync_mode_name(enum sync_mode m);
int sync_mode_parse(const char *s, enum sync_mode *out);

struct sync_request {
  char **sources; /* names; NULL or nsources 0: every source */
  int nsources;
  char **streams; /* names; NULL or nstreams 0: each source's own choice (its
                     "streams" setting), else every stream it offers */
  int nstreams;
  enum sync_mode mode;   /* what to fetch */
  struct day_range days; /* which days of day-sliced streams */
  const char *trigger;   /* "cli", "schedule", "api", "quick" (the sync log) */
  int64_t schedule_id;   /* the schedule that asked for it; 0: none */
  int64_t job_id;        /* the job it serves; 0: none */
  struct sync_opts opts; /* the page loop's */
};

/* How one source took part. */
struct source_outcome {
  char name[MS_NAME_MAX];     /* the source */
  int failed;                 /* it could not be opened or planned */
  int code;                   /* why, as a code (MS_EKEY: its sealed secret cannot be opened) */
  char error[MS_ERR_MSG_MAX]; /* why, when failed */
  size_t skipped_complete;    /* days already complete, not fetched again */
};

/* What the repair passes found and did (SYNC_INCOMPLETE, SYNC_REPAIR_*). */
struct repair_counts {
  int64_t incomplete_before; /* records lacking something, before */
  int64_t incomplete_after;  /* still lacking it after the run */
  int64_t unpriced_before;   /* children without a price, before */
  int64_t unpriced_after;    /* after the run, before estimating */
  int64_t estimated;         /* priced from a known price of their SKU */
};

struct sync_report {
  struct run_row run;             /* the sync log's row (run.scope owned) */
  struct sync_stats stats;        /* the page loop's counters */
  struct source_outcome *sources; /* one per source asked for; owned */
  size_t nsources;
  int failed_sources;          /* how many could not take part */
  size_t skipped_complete;     /* days left alone, all sources */
  struct repair_counts repair; /* the repair passes */
};

void sync_report_release(struct sync_report *rep);

/* Runs a sync. MS_ENOTFOUND (err names it) when a source or stream asked
 * for does not exist, MS_EINVAL for a request that makes no sense; nothing
 * is run then. Otherwise the run is recorded and its outcome is in rep:
 * MS_OK when every slice completed and every source took part, MS_EINTR
 * when stopped, or the code of a failure that ended the run. Slices that
 * failed, and sources that could not take part, are counted in rep; the
 * caller decides what that means (the command exits 1). */
int engine_sync(struct store *st, const struct sync_request *rq, struct sync_report *rep,
                struct err *err);

/* The names of every source, in the store's order (caller frees with
 * source_names_free). */
int source_names(struct store *st, char ***names, int *n, struct err *err);
void source_names_free(char **names, int n);

/* Runs still marked running whose process is gone (killed, crashed) are
 * marked "killed", so that the sync log accounts for every run. */
void runs_close_dead(struct store *st);

/* The streams a session syncs when none are named: its "streams" setting,
 * else every stream its connector offers. *n of them into out (at most
 * max). */
int session_default_streams(const struct session *s, const struct stream_def **out, size_t max,
                            size_t *n, struct err *err);
/* The streams of a session that names (stream names, their aliases such as
 * "purchases", or "all") ask for, in the connector's order and each once;
 * with no names, its default ones. */
int session_pick_streams(const struct session *s, char *const *names, int nnames,
                         const struct stream_def **out, size_t max, size_t *n, struct err *err);
/* How many recent days of a stream a source fetches again (see
 * stream_def.recent_days): the source's setting, else the stream's. */
int session_recent_days(const struct session *s, const struct stream_def *def);

#endif
