/* The admin HTTP API: JSON under /api/, bearer tokens, every answer scoped
 * to what the caller may see; /metrics (Prometheus text) and /healthz.
 * It runs on the shared HTTP server (net/server.c) inside `marketsync
 * serve`, next to the scheduler and the workers; everything it does goes
 * through the engine and the store, as the commands do. docs/http-api.md
 * describes every route. */
#ifndef MS_WEB_API_H
#define MS_WEB_API_H

#include "engine/service.h"
#include "util/err.h"

/* The API's configuration is the service's listener configuration
 * (engine/service.h): where the store is, the address, the threads, and
 * the service's state for /api/system and /metrics. */
struct api;

int api_start(const struct listener_config *cfg, struct api **out, struct err *err);
/* "http://127.0.0.1:PORT" */
const char *api_base_url(const struct api *a);
void api_stop(struct api *a);

/* The same as a listener, for `serve --listen` (handed over by main.c). */
extern const struct listener_ops api_listener;

#endif
