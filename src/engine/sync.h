/* The engine's page loop: drives slices through their pages for many
 * sources and streams at once.
 *
 * For each source it keeps one limiter per rate class and the token
 * conversation; for each (source, stream) a few slices in flight. Before
 * every request it asks the source's limiter, sends through libcurl multi,
 * classifies each answer through the connector, and commits every page with
 * its cursor in one store transaction. Retries, backoff, pauses and
 * failures are decided here and only here (with engine/policy.c).
 */
#ifndef MS_ENGINE_SYNC_H
#define MS_ENGINE_SYNC_H

#include <signal.h>

#include "engine/session.h"
#include "store/store.h"

/* One (source, stream) share of a run: which slices to work through. */
struct sync_target {
  struct session *sess;         /* the source, opened; borrowed; targets MAY share one */
  const struct stream_def *def; /* the stream (prepared in the store) */
  char (*keys)[MS_KEY_MAX];     /* the slices, in order; borrowed */
  size_t nkeys;
  int64_t window_start; /* a window slice with no watermark yet starts here (UTC;
                           0: from the beginning) */
  int from_start;       /* a window starts at window_start whatever its watermark
                           (mode `full`) */
};

enum sync_event_kind {
  SYNC_EV_DAY_START,     /* a slice was claimed */
  SYNC_EV_PAGE,          /* a page was committed */
  SYNC_EV_DAY_DONE,      /* a slice completed */
  SYNC_EV_DAY_FAILED,    /* a slice failed for good (this run) */
  SYNC_EV_RETRY,         /* an attempt failed and will be retried */
  SYNC_EV_RESTART,       /* the API rejected the cursor: the slice starts over */
  SYNC_EV_BUSY,          /* another worker holds the slice */
  SYNC_EV_SOURCE_DEAD,   /* the source refused us: its other slices are skipped */
  SYNC_EV_SOURCE_LOCKED, /* the API locked the source out: its other slices failed (message:
                            when to try again) */
  SYNC_EV_STREAM_DEAD,   /* the credentials may not read the stream: its slices are skipped */
  SYNC_EV_TICK,          /* periodic, for progress displays */
};

struct sync_stats {
  int64_t days_total; /* slices this run was asked to do */
  int64_t days_done;
  int64_t days_failed;
  int64_t days_skipped; /* busy elsewhere, source or stream dead */
  int64_t passes_total; /* window and snapshot slices: the same four */
  int64_t passes_done;
  int64_t passes_failed;
  int64_t passes_skipped;
  int64_t pages;
  int64_t records;
  int64_t inserted;
  int64_t updated;
  int64_t unchanged;
  int64_t deleted; /* records marked deleted */
  int64_t failed;  /* records that could not be stored (kept in failed_records) */
  int64_t requests;
  int64_t retries;
  int64_t rate_limited;    /* 429 answers */
  int64_t bytes;           /* response bodies */
  double started;          /* monotonic */
  double waiting;          /* seconds the engine is waiting for budget now */
  const char *waiting_for; /* source name when waiting > 0 */
};

struct sync_event {
  enum sync_event_kind kind;
  const char *source;               /* source name */
  const char *stream;               /* stream name; MAY be NULL (TICK, SOURCE_DEAD) */
  const struct slice *slice;        /* MAY be NULL (TICK, SOURCE_DEAD, STREAM_DEAD) */
  const struct page_counts *counts; /* PAGE only */
  const char *message;              /* RETRY, RESTART, FAILED, DEAD; MAY be NULL */
  const struct sync_stats *stats;
};

struct sync_opts {
  int max_retries;             /* failed attempts of one page before the slice fails */
  int max_day_retries;         /* retries of one slice in all; 0: grows with its pages */
  double delay_floor;          /* seconds between requests to one source, at least */
  int per_source;              /* slices in flight per (source, stream) */
  int lease_secs;              /* lease length; renewed while working */
  int overlap_secs;            /* a window starts this long before its watermark */
  const char *owner;           /* worker id for leases */
  volatile sig_atomic_t *stop; /* set by a signal handler: finish and release */
  long request_timeout_ms;     /* one request at most this long; 0: the default */
  void (*on_event)(void *ctx, const struct sync_event *ev); /* MAY be NULL */
  void *ctx;
};

void sync_opts_defaults(struct sync_opts *o);

/* Runs until every slice of every target is completed or failed, or *stop.
 * Returns MS_OK when all completed, MS_EINTR when stopped, or the code of a
 * failure that stopped the whole run (database gone). Slices that failed are
 * counted in stats; the run row is kept up to date. */
int sync_run(struct store *st, struct sync_target *targets, size_t ntargets,
             const struct sync_opts *o, struct run_row *run, struct sync_stats *stats,
             struct err *err);

/* The id this process uses for leases: "host:pid". */
int sync_owner_id(char *out, size_t n);

/* A probe request with a few retries (blocking): proves the credentials and
 * fills what the source learns from it (time zone). */
int sync_probe(struct source *src, const struct connector *conn, void *cstate, struct err *err);

#endif
