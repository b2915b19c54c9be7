/* A worker: claims a job from the queue, runs its sync under the job's
 * lease (renewed by a heartbeat while pages come in), and records how it
 * ended: completed, retryable later (backoff with jitter), failed for good,
 * or released unfinished when the process is asked to stop.
 *
 * A worker that dies leaves its job running with a lease that runs out;
 * the next claim rescues it. Nothing is locked beyond the lease. */
#ifndef MS_ENGINE_WORKER_H
#define MS_ENGINE_WORKER_H

#include <signal.h>

#include "engine/run.h"
#include "store/store.h"

#define JOB_LEASE_SECS 60          /* a job's lease; renewed every third of it */
#define JOB_BACKOFF_FIRST 60       /* seconds before a job's second try */
#define JOB_BACKOFF_MAX (6 * 3600) /* the longest wait between tries */

struct worker_opts {
  const char *owner;           /* the worker's id for leases: "host:pid:wN" */
  int lease_secs;              /* 0: JOB_LEASE_SECS */
  volatile sig_atomic_t *stop; /* set when the process must stop: the job is released */
  struct sync_opts sync;       /* the page loop's options (owner and stop are set per job) */
  int fail_streak_alert;       /* a source failing this many runs in a row: sync.failed */
};

/* How a job ended. */
struct job_outcome {
  int64_t job_id;             /* 0: no job was waiting */
  char state[16];             /* completed, retryable, failed, available (released), lost */
  int64_t run_id;             /* the sync log's run; 0 none */
  char error[MS_ERR_MSG_MAX]; /* why, when not completed */
  struct sync_stats stats;    /* the run's counters */
};

/* Claims one job that may run now and runs it. MS_ENOTFOUND when none
 * waits; MS_OK when a job ran, however it ended (see out); another code
 * when the queue cannot be read. */
int worker_run_one(struct store *st, const struct worker_opts *o, struct job_outcome *out,
                   struct err *err);

/* Seconds to wait before try number `attempt` + 1 of a job: doubling from
 * JOB_BACKOFF_FIRST, capped at JOB_BACKOFF_MAX, and spread by +-20 % so
 * that jobs failing together do not come back together. u in [0, 1). */
int64_t job_backoff(int attempt, double u);

#endif
