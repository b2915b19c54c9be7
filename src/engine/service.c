#include "engine/service.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/dispatch.h"
#include "engine/schedule.h"
#include "util/clock.h"
#include "util/log.h"

/* What the threads share. */
struct shared {
  const struct service_opts *o;
  pthread_mutex_t lock;
  pthread_cond_t wake; /* jobs were made, or stopping */
  int fatal;           /* a thread could not open the store */
  struct err fatal_err;
};

/* Waits up to `secs` or until woken; returns at once when stopping. */
static void nap(struct shared *sh, double secs) {
  struct timespec ts;
  if (*sh->o->stop)
    return;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (secs > 1)
    secs = 1; /* the stop flag comes from a signal handler: look at it every second */
  ts.tv_sec += (time_t)secs;
  ts.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&sh->lock);
  pthread_cond_timedwait(&sh->wake, &sh->lock, &ts);
  pthread_mutex_unlock(&sh->lock);
}

static void wake_all(struct shared *sh) {
  pthread_mutex_lock(&sh->lock);
  pthread_cond_broadcast(&sh->wake);
  pthread_mutex_unlock(&sh->lock);
}

static void wake_cb(void *ctx) {
  wake_all(ctx);
}

void service_state_init(struct service_state *s) {
  memset(s, 0, sizeof(*s));
  pthread_mutex_init(&s->lock, NULL);
  s->started_at = wall_now();
}

void service_state_destroy(struct service_state *s) {
  pthread_mutex_destroy(&s->lock);
}

void service_state_wake(struct service_state *s) {
  void (*wake)(void *) = NULL;
  void *ctx = NULL;
  if (!s)
    return;
  pthread_mutex_lock(&s->lock);
  wake = s->wake;
  ctx = s->wake_ctx;
  pthread_mutex_unlock(&s->lock);
  if (wake)
    wake(ctx);
}

/* Counts a job a worker ran, for the state. */
static void state_job_ran(struct shared *sh, const struct job_outcome *out) {
  struct service_state *s = sh->o->state;
  if (!s)
    return;
  pthread_mutex_lock(&s->lock);
  s->jobs_run++;
  s->jobs_completed += strcmp(out->state, "completed") == 0;
  pthread_mutex_unlock(&s->lock);
}

static void state_ticked(struct shared *sh, int64_t now) {
  struct service_state *s = sh->o->state;
  if (!s)
    return;
  pthread_mutex_lock(&s->lock);
  s->scheduler_tick_at = now;
  pthread_mutex_unlock(&s->lock);
}

static struct store *open_store(struct shared *sh, const char *who) {
  struct store *st = NULL;
  struct err err = {0};
  if (store_open(sh->o->db, &st, &err)) {
    log_error(MS_EDB, "%s: the database cannot be opened: %s", who, err.msg);
    pthread_mutex_lock(&sh->lock);
    if (!sh->fatal) {
      sh->fatal = MS_EDB;
      sh->fatal_err = err;
    }
    pthread_mutex_unlock(&sh->lock);
    return NULL;
  }
  return st;
}

/* ---- threads ---------------------------------------------------------------- */

struct worker_thread {
  struct shared *sh;
  pthread_t id;
  int index;
  char owner[MS_NAME_MAX];
};

static void *worker_main(void *arg) {
  struct worker_thread *t = arg;
  struct shared *sh = t->sh;
  struct store *st = open_store(sh, t->owner);
  struct worker_opts wo = sh->o->work;
  wo.owner = t->owner;
  wo.stop = sh->o->stop;
  while (st && !*sh->o->stop) {
    struct job_outcome out;
    struct err err = {0};
    int rc = worker_run_one(st, &wo, &out, &err);
    if (rc == MS_OK)
      state_job_ran(sh, &out);
    if (rc == MS_ENOTFOUND)
      nap(sh, SERVICE_POLL_SECS);
    else if (rc) {
      log_warn("%s: the job queue cannot be read: %s", t->owner, err.msg);
      nap(sh, SERVICE_POLL_SECS);
    }
  }
  store_close(st);
  return NULL;
}

static void *scheduler_main(void *arg) {
  struct shared *sh = arg;
  struct store *st = open_store(sh, "scheduler");
  double last_dispatch = 0;
  while (st && !*sh->o->stop) {
    struct tick_report rep;
    struct err err = {0};
    int64_t now = wall_now();
    if (schedule_tick(st, now, &rep, &err)) {
      log_warn("scheduler: %s", err.msg);
    } else {
      state_ticked(sh, now);
      if (rep.fired)
        wake_all(sh);
    }
    if (sh->o->dispatch && mono_now() - last_dispatch >= 1) {
      struct dispatch_report dr;
      last_dispatch = mono_now();
      if (dispatch_once(st, now, 0, &dr, &err))
        log_warn("webhooks: %s", err.msg);
    }
    if (sh->o->on_tick)
      sh->o->on_tick(sh->o->ctx, st);
    nap(sh, 1);
  }
  store_close(st);
  return NULL;
}

/* Lets the state wake the workers while the service runs, and no longer
 * once it stops (the shared part is gone then). */
static void state_attach(struct shared *sh, int workers, int on) {
  struct service_state *s = sh->o->state;
  if (!s)
    return;
  pthread_mutex_lock(&s->lock);
  s->workers = workers;
  s->wake = on ? wake_cb : NULL;
  s->wake_ctx = on ? sh : NULL;
  pthread_mutex_unlock(&s->lock);
}

int service_serve(const struct service_opts *o, struct err *err) {
  struct shared sh;
  struct worker_thread *workers;
  pthread_t scheduler;
  struct store *st = NULL;
  char base[MS_NAME_MAX];
  int n = o->workers > 0 ? o->workers : 2, started = 0, rc;
  if (n > SERVICE_WORKERS_MAX)
    n = SERVICE_WORKERS_MAX;
  /* Opened once first: migrations run before the threads start, and a
   * database that cannot be opened is said at once. */
  rc = store_open(o->db, &st, err);
  if (rc)
    return rc;
  runs_close_dead(st);
  store_close(st);
  memset(&sh, 0, sizeof(sh));
  sh.o = o;
  pthread_mutex_init(&sh.lock, NULL);
  pthread_cond_init(&sh.wake, NULL);
  workers = calloc((size_t)n, sizeof(*workers));
  if (!workers)
    return err_set(err, MS_ENOMEM, "out of memory");
  sync_owner_id(base, sizeof(base));
  for (int i = 0; i < n; i++) {
    workers[i].sh = &sh;
    workers[i].index = i + 1;
    snprintf(workers[i].owner, sizeof(workers[i].owner), "%.50s:w%d", base, i + 1);
    if (pthread_create(&workers[i].id, NULL, worker_main, &workers[i]) == 0)
      started++;
    else
      workers[i].index = 0;
  }
  state_attach(&sh, started, 1);
  rc = pthread_create(&scheduler, NULL, scheduler_main, &sh);
  log_info("serving: scheduler, %d workers%s", started, o->dispatch ? ", webhooks" : "");
  if (!rc)
    pthread_join(scheduler, NULL);
  else
    *o->stop = 1; /* without a scheduler the workers stop too */
  wake_all(&sh);
  for (int i = 0; i < n; i++)
    if (workers[i].index)
      pthread_join(workers[i].id, NULL);
  free(workers);
  state_attach(&sh, 0, 0);
  pthread_cond_destroy(&sh.wake);
  pthread_mutex_destroy(&sh.lock);
  if (sh.fatal)
    return err_set(err, sh.fatal, "%s", sh.fatal_err.msg);
  if (rc)
    return err_set(err, MS_ENOMEM, "the scheduler thread could not start");
  log_info("stopped: jobs in flight were released for the next worker");
  return MS_OK;
}

int service_run_due(const struct service_opts *o, struct run_due_report *rep, struct err *err) {
  struct store *st = NULL;
  struct worker_opts wo = o->work;
  struct tick_report tick;
  char owner[MS_NAME_MAX];
  int rc;
  memset(rep, 0, sizeof(*rep));
  rc = store_open(o->db, &st, err);
  if (rc)
    return rc;
  runs_close_dead(st);
  rc = schedule_tick(st, wall_now(), &tick, err);
  rep->fired = tick.fired;
  sync_owner_id(owner, sizeof(owner));
  wo.owner = owner;
  wo.stop = o->stop;
  /* Every job that may run now: this pass's and any left waiting. */
  while (!rc && !*o->stop) {
    struct job_outcome out;
    int w = worker_run_one(st, &wo, &out, err);
    if (w == MS_ENOTFOUND)
      break;
    if (w) {
      rc = w;
      break;
    }
    rep->jobs++;
    if (strcmp(out.state, "completed") == 0)
      rep->completed++;
    else
      rep->unfinished++;
  }
  if (!rc && o->dispatch) {
    struct dispatch_report dr;
    if (dispatch_once(st, wall_now(), 0, &dr, err) == MS_OK)
      rep->delivered = dr.delivered;
    else
      log_warn("webhooks: %s", err->msg);
  }
  store_close(st);
  return rc;
}
