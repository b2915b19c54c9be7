/* marketsync serve and run-due: the scheduler, the workers and the webhook
 * dispatcher, for good (serve) or for one pass (run-due, from cron). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "engine/service.h"
#include "util/clock.h"
#include "util/log.h"

static const char serve_help[] =
    "usage: marketsync serve [--listen HOST:PORT] [--workers N] [--no-webhooks]\n"
    "                        [--lease-seconds N] [--concurrency N] [--max-retries N]\n\n"
    "Runs marketsync as a service: the scheduler makes jobs of due schedules, the\n"
    "workers run them, and events are delivered to webhooks. Several `serve`\n"
    "processes may share one database: each due run becomes one job, and a job runs\n"
    "on one worker. SIGTERM or SIGINT finishes the pages in flight, hands the jobs\n"
    "back to the queue and exits.\n\n"
    "  --listen HOST:PORT    serve the admin API there (docs/http-api.md): JSON under\n"
    "                        /api/ for bearer tokens ('marketsync token create'),\n"
    "                        /metrics and /healthz (default: no listener)\n"
    "  --workers N           jobs run at once by this process (default 2)\n"
    "  --no-webhooks         do not deliver events from this process\n"
    "  --lease-seconds N     a job's lease, renewed while it runs (default 60); a job\n"
    "                        whose worker died is taken over after it\n"
    "  --concurrency N       slices in flight per source and stream (default 2)\n"
    "  --max-retries N       failed attempts of one page before its slice fails\n";

static const char run_due_help[] =
    "usage: marketsync run-due [--no-webhooks] [--lease-seconds N] [--concurrency N]\n\n"
    "One pass of the service, for cron (`* * * * * marketsync run-due`): makes jobs of\n"
    "the schedules that are due, runs every job that may run now, delivers waiting\n"
    "events to webhooks, and exits: 0 when every job it ran completed, 1 otherwise.\n"
    "A second run-due started while one works finds the due runs already made and\n"
    "the jobs already held, and does nothing twice.\n";

enum { O_LISTEN = 1, O_WORKERS, O_NO_WEBHOOKS, O_LEASE, O_CONCURRENCY, O_RETRIES };
static const struct cmd_option serve_options[] = {{"listen", required_argument, O_LISTEN},
                                                  {"workers", required_argument, O_WORKERS},
                                                  {"no-webhooks", no_argument, O_NO_WEBHOOKS},
                                                  {"lease-seconds", required_argument, O_LEASE},
                                                  {"concurrency", required_argument, O_CONCURRENCY},
                                                  {"max-retries", required_argument, O_RETRIES},
                                                  {NULL}};

struct serve_args {
  const char *cmd;
  const char *listen;
  struct service_opts so;
};

static int on_option(void *ctx, int key, const char *v) {
  struct serve_args *a = ctx;
  long n;
  switch (key) {
  case O_LISTEN:
    if (strcmp(a->cmd, "serve") != 0)
      return cmd_usage_error(a->cmd, "--listen belongs to serve");
    a->listen = v;
    return 0;
  case O_WORKERS:
    if (strcmp(a->cmd, "serve") != 0)
      return cmd_usage_error(a->cmd, "--workers belongs to serve");
    if (cmd_int(a->cmd, "--workers", v, 1, SERVICE_WORKERS_MAX, &n))
      return EXIT_USAGE;
    a->so.workers = (int)n;
    return 0;
  case O_NO_WEBHOOKS:
    a->so.dispatch = 0;
    return 0;
  case O_LEASE:
    if (cmd_int(a->cmd, "--lease-seconds", v, 3, 86400, &n))
      return EXIT_USAGE;
    a->so.work.lease_secs = (int)n;
    return 0;
  case O_CONCURRENCY:
    if (cmd_int(a->cmd, "--concurrency", v, 1, 64, &n))
      return EXIT_USAGE;
    a->so.work.sync.per_source = (int)n;
    return 0;
  case O_RETRIES:
    if (cmd_int(a->cmd, "--max-retries", v, 0, 1000, &n))
      return EXIT_USAGE;
    a->so.work.sync.max_retries = (int)n;
    return 0;
  }
  return EXIT_USAGE;
}

/* ---- the admin API ----------------------------------------------------------- */

static const struct listener_ops *g_listener; /* set by main before any command runs */

void cmd_serve_listener_set(const struct listener_ops *ops) {
  g_listener = ops;
}

/* "127.0.0.1:8080" or "[::1]:8080" into host and port. */
static int split_listen(const char *s, char *host, size_t n, int *port) {
  const char *colon = strrchr(s, ':');
  char *end;
  long p;
  size_t hl;
  if (!colon)
    return MS_EINVAL;
  p = strtol(colon + 1, &end, 10);
  if (*end || end == colon + 1 || p < 0 || p > 65535)
    return MS_EINVAL;
  hl = (size_t)(colon - s);
  if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
    s++;
    hl -= 2;
  }
  if (!hl || hl >= n)
    return MS_EINVAL;
  memcpy(host, s, hl);
  host[hl] = '\0';
  *port = (int)p;
  return MS_OK;
}

static int start_listener(const char *listen, struct service_state *state, void **out) {
  struct listener_config cfg = {0};
  struct err err = {0};
  char host[64];
  int port;
  if (split_listen(listen, host, sizeof(host), &port))
    return cmd_usage_error("serve", "--listen takes HOST:PORT, such as 127.0.0.1:8080");
  if (!g_listener)
    return log_error(EXIT_USAGE, "--listen: this build has no admin API");
  cfg.db = g_opts.db;
  cfg.host = host;
  cfg.port = port;
  cfg.threads = 8; /* a live progress stream holds one while it lasts */
  cfg.state = state;
  if (g_listener->start(&cfg, out, &err))
    return log_error(EXIT_USAGE, "--listen: %s", err.msg);
  /* The first line says where: a test or an operator reads the port from it. */
  printf("listening on %s\n", g_listener->base_url(*out));
  fflush(stdout);
  return 0;
}

static int parse(const char *cmd, const char *help, int argc, char **argv, struct serve_args *a) {
  int first, rc;
  memset(a, 0, sizeof(*a));
  a->cmd = cmd;
  a->so.db = g_opts.db;
  a->so.dispatch = 1;
  sync_opts_defaults(&a->so.work.sync);
  rc = cmd_parse(cmd, help, argc, argv, serve_options, on_option, a, &first);
  if (!rc && first < argc)
    rc = cmd_usage_error(cmd, "unexpected argument '%s'", argv[first]);
  return rc;
}

int cmd_serve(int argc, char **argv) {
  struct serve_args a;
  struct service_state state;
  void *listener = NULL;
  struct err err = {0};
  int rc = parse("serve", serve_help, argc, argv, &a);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  a.so.stop = cmd_catch_stop_signals();
  service_state_init(&state);
  a.so.state = &state;
  if (a.listen && (rc = start_listener(a.listen, &state, &listener)) != 0) {
    service_state_destroy(&state);
    return rc;
  }
  rc = service_serve(&a.so, &err);
  if (listener)
    g_listener->stop(listener);
  service_state_destroy(&state);
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  return EXIT_OK;
}

int cmd_run_due(int argc, char **argv) {
  struct serve_args a;
  struct run_due_report rep;
  struct err err = {0};
  int rc = parse("run-due", run_due_help, argc, argv, &a);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  a.so.stop = cmd_catch_stop_signals();
  rc = service_run_due(&a.so, &rep, &err);
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!g_opts.quiet)
    printf("run-due: %d due run%s made into jobs; %d job%s run: %d completed, %d not; %lld "
           "webhook deliveries\n",
           rep.fired, rep.fired == 1 ? "" : "s", rep.jobs, rep.jobs == 1 ? "" : "s", rep.completed,
           rep.unfinished, (long long)rep.delivered);
  return rep.unfinished ? EXIT_PARTIAL : EXIT_OK;
}
