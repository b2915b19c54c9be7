/* marketsync as a service: the scheduler, the workers and the event
 * dispatcher together (`serve`), or one pass of them (`run-due`, for
 * operators who prefer cron). Every thread opens its own connection to the
 * store; several processes, on several hosts with PostgreSQL, may share one
 * database: the store makes each due run one job, and leases keep a job on
 * one worker. */
#ifndef MS_ENGINE_SERVICE_H
#define MS_ENGINE_SERVICE_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "engine/worker.h"

#define SERVICE_WORKERS_MAX 64
#define SERVICE_POLL_SECS 2 /* workers look for jobs from other processes this often */

/* What the running service tells about itself (the admin API's
 * /api/system and /metrics read it). Written by the service's threads
 * under lock; service_state_init before use. */
struct service_state {
  pthread_mutex_t lock;
  int64_t started_at;        /* UTC */
  int64_t scheduler_tick_at; /* the scheduler's last pass, UTC; 0 never */
  int workers;               /* worker threads started */
  int64_t jobs_run;          /* since start */
  int64_t jobs_completed;
  void (*wake)(void *ctx); /* set by the service while it runs: wakes the workers */
  void *wake_ctx;
};

void service_state_init(struct service_state *s);
void service_state_destroy(struct service_state *s);
/* Jobs were queued (by the admin API): the workers look now rather than
 * at their next poll. */
void service_state_wake(struct service_state *s);

/* An HTTP front that `serve --listen` starts beside the service (the
 * admin API). The command layer does not know it: the program's top
 * (src/main.c) hands it over, so cmd and web stay apart. */
struct listener_config {
  const char *db;              /* the store's location: each thread opens it */
  const char *host;            /* an IP address */
  int port;                    /* 0: a free one */
  int threads;                 /* 0: 4 */
  struct service_state *state; /* MAY be NULL */
};

struct listener_ops {
  int (*start)(const struct listener_config *cfg, void **out, struct err *err);
  const char *(*base_url)(void *l); /* "http://127.0.0.1:PORT" */
  void (*stop)(void *l);
};

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
  struct service_state *state; /* kept up to date when given; MAY be NULL */
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
