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
#include "net/server.h"
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
    "  --listen HOST:PORT    answer GET /health there (default: no listener)\n"
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

/* ---- GET /health ------------------------------------------------------------ */

struct health_srv {
  pthread_mutex_t lock;
  struct store *st; /* its own connection, used under lock */
  double started;   /* monotonic */
};

static void health_answer(void *ctx, const struct srv_request *req, struct srv_response *res) {
  struct health_srv *h = ctx;
  struct err err = {0};
  int64_t c[6] = {0};
  int rc;
  if (strcmp(req->path, "/health") != 0) {
    res->status = 404;
    buf_puts(&res->body, "{\"error\":\"not found: this listener answers GET /health\"}");
    return;
  }
  if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
    res->status = 405;
    srv_response_header(res, "Allow", "GET, HEAD");
    buf_puts(&res->body, "{\"error\":\"GET only\"}");
    return;
  }
  pthread_mutex_lock(&h->lock);
  rc = h->st->ops->job_counts(h->st, c, &err);
  pthread_mutex_unlock(&h->lock);
  res->status = rc ? 503 : 200;
  buf_printf(&res->body,
             "{\"status\":\"%s\",\"uptime_seconds\":%.0f,\"jobs\":{\"available\":%lld,"
             "\"running\":%lld,\"retryable\":%lld,\"completed\":%lld,\"failed\":%lld,"
             "\"cancelled\":%lld}}",
             rc ? "database unavailable" : "ok", mono_now() - h->started, (long long)c[0],
             (long long)c[1], (long long)c[2], (long long)c[3], (long long)c[4], (long long)c[5]);
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

static int start_listener(const char *listen, struct health_srv *h, struct http_server **srv) {
  struct srv_config cfg = {0};
  struct err err = {0};
  char host[64];
  int port;
  if (split_listen(listen, host, sizeof(host), &port))
    return cmd_usage_error("serve", "--listen takes HOST:PORT, such as 127.0.0.1:8080");
  if (store_open(g_opts.db, &h->st, &err))
    return log_error(EXIT_USAGE, "%s", err.msg);
  pthread_mutex_init(&h->lock, NULL);
  h->started = mono_now();
  cfg.host = host;
  cfg.port = port;
  cfg.threads = 2;
  cfg.body_keep = 4096;
  cfg.body_max = 65536;
  cfg.uri_max = 4096;
  cfg.timeout_s = 30;
  cfg.handler = health_answer;
  cfg.ctx = h;
  if (srv_start(&cfg, srv, &err)) {
    store_close(h->st);
    return log_error(EXIT_USAGE, "--listen: %s", err.msg);
  }
  /* The first line says where: a test or an operator reads the port from it. */
  printf("listening on %s\n", srv_base_url(*srv));
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
  struct health_srv h;
  struct http_server *srv = NULL;
  struct err err = {0};
  int rc = parse("serve", serve_help, argc, argv, &a);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  memset(&h, 0, sizeof(h));
  a.so.stop = cmd_catch_stop_signals();
  if (a.listen && (rc = start_listener(a.listen, &h, &srv)) != 0)
    return rc;
  rc = service_serve(&a.so, &err);
  if (srv) {
    srv_stop(srv);
    store_close(h.st);
    pthread_mutex_destroy(&h.lock);
  }
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
