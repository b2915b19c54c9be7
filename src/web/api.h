/* The admin HTTP API: JSON under /api/, bearer tokens, every answer scoped
 * to what the caller may see; /metrics (Prometheus text) and /healthz.
 * It runs on the shared HTTP server (net/server.c) inside `marketsync
 * serve`, next to the scheduler and the workers; everything it does goes
 * through the engine and the store, as the commands do. docs/http-api.md
 * describes every route. */
#ifndef MS_WEB_API_H
#define MS_WEB_API_H

#include <pthread.h>
#include <stdint.h>

#include "util/err.h"

/* What the service tells the API about itself (for /api/system and
 * /metrics). Written by the service's threads under lock. */
struct service_state {
  pthread_mutex_t lock;
  int64_t started_at;        /* UTC */
  int64_t scheduler_tick_at; /* the scheduler's last pass, UTC; 0 never */
  int workers;               /* worker threads */
  int workers_busy;          /* running a job now */
  int64_t jobs_run;          /* since start */
  int64_t jobs_completed;
  int64_t webhook_deliveries;
  int64_t webhook_failures;
};

struct api_config {
  const char *db;              /* the store's location: each server thread opens it */
  const char *host;            /* an IP address */
  int port;                    /* 0: a free one */
  int threads;                 /* 0: 4 */
  struct service_state *state; /* MAY be NULL (then /api/system says less) */
  void (*wake)(void *ctx);     /* jobs were queued: wake the workers; MAY be NULL */
  void *wake_ctx;
};

struct api;

int api_start(const struct api_config *cfg, struct api **out, struct err *err);
/* "http://127.0.0.1:PORT" */
const char *api_base_url(const struct api *a);
void api_stop(struct api *a);

#endif
