/* marketsync as a service: the scheduler, the workers and the event
 * dispatcher together (`serve`), or one pass of them (`run-due`, for
 * operators who prefer cron). Every thread opens its own connection to the
 * store; several processes, on several hosts with PostgreSQL, may share one
 * database: the store makes each due run one job, and leases keep a job on
 * one worker. */
#ifndef MS_ENGINE_SERVICE_H
#define MS_ENGINE_SERVICE_H

#include <signal.h>

#include "engine/worker.h"

#define SERVICE_WORKERS_MAX 64
#define SERVICE_POLL_SECS 2 /* workers look for jobs from other processes this often */

struct service_opts {
  const char *db;              /* the store's location (each thread opens it) */
  int workers;                 /* worker threads; 0: 2 */
  volatile sig_atomic_t *stop; /* set by SIGTERM/SIGINT: finish pages in flight, release, exit */
  struct worker_opts work;     /* per worker (owner is made per thread) */
  int dispatch;                /* deliver webhooks */
  /* Called once a second on the scheduler's thread with the store it uses
   * (the admin API's metrics, say); MAY be NULL. */
  void (*on_tick)(void *ctx, struct store *st);
  void *ctx;
};

/* Runs until *stop. MS_OK after a clean stop; another code when the store
 * cannot be opened. */
int service_serve(const struct service_opts *o, struct err *err);

struct run_due_report {
  int fired;         /* due runs made into jobs */
  int jobs;          /* jobs run */
  int completed;     /* of which completed */
  int unfinished;    /* retryable, failed, released or lost */
  int64_t delivered; /* webhook deliveries */
};

/* Makes jobs of what is due, runs every job that may run now (its own and
 * any other waiting), delivers webhooks, and returns. */
int service_run_due(const struct service_opts *o, struct run_due_report *rep, struct err *err);

#endif
