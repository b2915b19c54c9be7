/* marketsync events and webhook: the outbox of what changed, and where it
 * is delivered. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "core/secret.h"
#include "engine/dispatch.h"
#include "net/url.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/tz.h"

static const char events_help[] =
    "usage: marketsync events list [--after ID] [--type T[,T...]] [--source NAME] [--limit N]\n"
    "                              [--json]\n"
    "       marketsync events tail [--after ID] [--type T[,T...]] [--source NAME]\n\n"
    "Events are written with the records they tell of, in the same transaction:\n"
    "order.created, order.status_changed (data: field, old, new), order.refunded,\n"
    "order.deleted, and per source sync.failed (after several failed runs in a row)\n"
    "and sync.recovered. A sync that changes nothing writes none; the repair modes\n"
    "write no order events.\n\n"
    "  list   the events, oldest first (--limit, default 100)\n"
    "  tail   every event as one JSON line on standard output, then each new one as it\n"
    "         comes, until interrupted (without --after: only new ones)\n"
    "  --type takes exact types and prefixes ending in a dot (order.)\n";

static const char webhook_help[] =
    "usage: marketsync webhook add URL [--events T[,T...]] (--secret-env VAR | --secret-file F)\n"
    "       marketsync webhook list\n"
    "       marketsync webhook remove ID\n\n"
    "A webhook receives each event it asked for (default: all) as a JSON POST, in\n"
    "the order they were written, at least once, from `marketsync serve` or\n"
    "`marketsync run-due`. A failing endpoint is tried again with growing waits and\n"
    "gets everything once it answers again. Each request carries\n"
    "X-Marketsync-Event-Id (to drop repeats) and X-Marketsync-Signature: t=TIME,v1=HEX,\n"
    "the HMAC-SHA256 of \"TIME.\" and the body keyed with the secret, which is read\n"
    "from the variable or file at each delivery and never stored.\n";

enum { O_AFTER = 1, O_TYPE, O_SOURCE, O_LIMIT, O_JSON, O_EVENTS, O_SECRET_ENV, O_SECRET_FILE };
static const struct cmd_option options[] = {{"after", required_argument, O_AFTER},
                                            {"type", required_argument, O_TYPE},
                                            {"source", required_argument, O_SOURCE},
                                            {"limit", required_argument, O_LIMIT},
                                            {"json", no_argument, O_JSON},
                                            {"events", required_argument, O_EVENTS},
                                            {"secret-env", required_argument, O_SECRET_ENV},
                                            {"secret-file", required_argument, O_SECRET_FILE},
                                            {NULL}};

struct ev_args {
  const char *cmd;
  long after, limit;
  int after_given, json;
  const char *types, *source, *events, *secret_env, *secret_file;
};

static int types_ok(const char *list) {
  for (const char *p = list; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || *p == '.' || *p == '_' || *p == ',' || *p == '*'))
      return 0;
  return *list != '\0' && strlen(list) < 512;
}

static int on_option(void *ctx, int key, const char *v) {
  struct ev_args *a = ctx;
  switch (key) {
  case O_AFTER:
    a->after_given = 1;
    return cmd_int(a->cmd, "--after", v, 0, INT64_MAX / 2, &a->after);
  case O_LIMIT:
    return cmd_int(a->cmd, "--limit", v, 1, 100000, &a->limit);
  case O_JSON:
    a->json = 1;
    return 0;
  case O_TYPE:
  case O_EVENTS:
    if (!types_ok(v))
      return cmd_usage_error(a->cmd,
                             "--%s takes event types such as order.created or order. "
                             "separated by commas",
                             key == O_TYPE ? "type" : "events");
    if (key == O_TYPE)
      a->types = v;
    else
      a->events = v;
    return 0;
  case O_SOURCE:
    a->source = v;
    return 0;
  case O_SECRET_ENV:
    a->secret_env = v;
    return 0;
  case O_SECRET_FILE:
    a->secret_file = v;
    return 0;
  }
  return EXIT_USAGE;
}

/* ---- events ------------------------------------------------------------------ */

struct print_ctx {
  int json;     /* one JSON object a line */
  int n;        /* printed */
  int64_t last; /* the last id seen */
};

static int print_event(void *ctx, const struct event_row *e) {
  struct print_ctx *c = ctx;
  c->last = e->id;
  if (c->json) {
    char *text = event_json(e);
    printf("%s\n", text ? text : "{}");
    free(text);
  } else {
    char when[TIME_STR_LEN];
    time_format(e->created_at, 0, 1, when);
    if (c->n == 0)
      printf("%-8s %-21s %-22s %-14s %-18s %s\n", "ID", "TIME", "TYPE", "SOURCE", "RECORD", "DATA");
    printf("%-8lld %-21s %-22s %-14s %-18s %s\n", (long long)e->id, when, e->type,
           e->source[0] ? e->source : "-", e->record_id ? e->record_id : "-",
           e->data ? e->data : "");
  }
  c->n++;
  return MS_OK;
}

static int source_id_of(struct store *st, const char *cmd, const char *name, int64_t *id) {
  struct source_row row = {0};
  struct err err = {0};
  int rc;
  *id = 0;
  if (!name)
    return 0;
  rc = st->ops->source_get(st, name, &row, &err);
  if (rc == MS_ENOTFOUND)
    return cmd_usage_error(cmd, "there is no source named '%s'", name);
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  *id = row.id;
  source_row_release(&row);
  return 0;
}

/* The id of the newest event, so that tail starts after it. */
static int newest_event(void *ctx, const struct event_row *e) {
  *(int64_t *)ctx = e->id;
  return MS_OK;
}

static int events_tail(struct store *st, struct event_filter *f) {
  volatile sig_atomic_t *stop = cmd_catch_stop_signals();
  struct print_ctx c = {1, 0, f->after_id};
  struct err err = {0};
  while (!*stop) {
    int before = c.n;
    f->after_id = c.last;
    f->limit = 1000;
    if (st->ops->event_list(st, f, print_event, &c, &err))
      return log_error(EXIT_PARTIAL, "%s", err.msg);
    fflush(stdout);
    if (c.n == before)
      sleep(1);
  }
  return 0;
}

static int events_main(struct store *st, struct ev_args *a, int tail) {
  struct event_filter f = {a->after, a->types, 0, (int)a->limit};
  struct print_ctx c = {a->json, 0, 0};
  struct err err = {0};
  int rc = source_id_of(st, "events", a->source, &f.source_id);
  if (rc)
    return rc;
  if (tail) {
    if (!a->after_given) {
      /* Only what comes from now on: find where the stream ends. */
      struct event_filter all = {0, NULL, 0, 0};
      int64_t last = 0, step;
      do {
        step = last;
        all.after_id = last;
        all.limit = 10000;
        if (st->ops->event_list(st, &all, newest_event, &last, &err))
          return log_error(EXIT_PARTIAL, "%s", err.msg);
      } while (last != step);
      f.after_id = last;
    }
    return events_tail(st, &f);
  }
  if (st->ops->event_list(st, &f, print_event, &c, &err))
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!c.n && !c.json)
    printf("no events%s\n", a->after_given ? " after that id" : " yet");
  return 0;
}

int cmd_events(int argc, char **argv) {
  struct ev_args a;
  struct store *st = NULL;
  int first, rc, tail;
  memset(&a, 0, sizeof(a));
  a.cmd = "events";
  a.limit = 100;
  if (argc < 2)
    return cmd_usage_error("events", "say list or tail");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(events_help, stdout);
    return EXIT_OK;
  }
  if (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "tail") != 0)
    return cmd_usage_error("events", "'%s' is not an events subcommand (list, tail)", argv[1]);
  tail = strcmp(argv[1], "tail") == 0;
  rc = cmd_parse("events", events_help, argc - 1, argv + 1, options, on_option, &a, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  if (first + 1 < argc)
    return cmd_usage_error("events", "unexpected argument '%s'", argv[first + 1]);
  if (a.events || a.secret_env || a.secret_file)
    return cmd_usage_error("events", "--events and --secret-... belong to 'webhook add'");
  if (tail && a.json)
    return cmd_usage_error("events", "tail always writes JSON lines");
  rc = cmd_open_store(&st);
  if (!rc)
    rc = events_main(st, &a, tail);
  store_close(st);
  return rc;
}

/* ---- webhook ----------------------------------------------------------------- */

static int webhook_add(struct store *st, struct ev_args *a, const char *url) {
  struct webhook_row w;
  struct err err = {0};
  cJSON *secret;
  char *probe = NULL, shown[URL_MAX + 8];
  int rc;
  if (url_check_endpoint(url, "the webhook URL", &err))
    return cmd_usage_error("webhook", "%s", err.msg);
  if (!a->secret_env == !a->secret_file)
    return cmd_usage_error("webhook", "give the signing secret with --secret-env VAR or "
                                      "--secret-file FILE (one of them)");
  /* The secret must be readable now; it is read again at each delivery. */
  rc = a->secret_env ? secret_from_env(a->secret_env, &probe, &err)
                     : secret_from_file(a->secret_file, &probe, &err);
  if (rc)
    return cmd_usage_error("webhook", "%s", err.msg);
  secret_free(probe);
  secret = cJSON_CreateObject();
  if (!secret)
    return log_error(EXIT_PARTIAL, "out of memory");
  cJSON_AddStringToObject(secret, a->secret_env ? "secret_env" : "secret_file",
                          a->secret_env ? a->secret_env : a->secret_file);
  memset(&w, 0, sizeof(w));
  w.url = (char *)url;
  w.events = (char *)(a->events ? a->events : "*");
  w.secret = cJSON_PrintUnformatted(secret);
  w.enabled = 1;
  w.created_at = wall_now();
  /* The store starts a new endpoint with the events written from now on. */
  rc = st->ops->webhook_add(st, &w, &err);
  cJSON_Delete(secret);
  free(w.secret);
  if (rc == MS_EEXIST)
    return cmd_usage_error("webhook", "%s", err.msg);
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  url_no_query(url, shown, sizeof(shown));
  if (!g_opts.quiet)
    printf("webhook %lld: %s receives %s from the next event on\n", (long long)w.id, shown,
           a->events ? a->events : "every event");
  return 0;
}

static int print_webhook(void *ctx, const struct webhook_row *w) {
  int *n = ctx;
  char shown[URL_MAX + 8], retry[TIME_STR_LEN] = "-";
  url_no_query(w->url, shown, sizeof(shown));
  if (w->retry_at)
    time_format(w->retry_at, 0, 1, retry);
  if ((*n)++ == 0)
    printf("%-5s %-48s %-24s %-10s %-8s %-21s %s\n", "ID", "URL", "EVENTS", "DELIVERED", "FAILURES",
           "NEXT TRY", "LAST ERROR");
  printf("%-5lld %-48s %-24s %-10lld %-8d %-21s %s\n", (long long)w->id, shown, w->events,
         (long long)w->delivered_id, w->failures, w->failures ? retry : "-",
         w->last_error ? w->last_error : "");
  return MS_OK;
}

int cmd_webhook(int argc, char **argv) {
  struct ev_args a;
  struct store *st = NULL;
  struct err err = {0};
  const char *sub;
  int first, rc, n = 0;
  memset(&a, 0, sizeof(a));
  a.cmd = "webhook";
  if (argc < 2)
    return cmd_usage_error("webhook", "say add, list or remove");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(webhook_help, stdout);
    return EXIT_OK;
  }
  sub = argv[1];
  if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "remove") != 0)
    return cmd_usage_error("webhook", "'%s' is not a webhook subcommand (add, list, remove)", sub);
  rc = cmd_parse("webhook", webhook_help, argc - 1, argv + 1, options, on_option, &a, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  first++;
  if (a.after_given || a.types || a.source || a.json || a.limit)
    return cmd_usage_error("webhook", "that option belongs to 'events'");
  if (strcmp(sub, "add") != 0 && (a.events || a.secret_env || a.secret_file))
    return cmd_usage_error("webhook", "--events and --secret-... belong to add");
  if (strcmp(sub, "list") == 0 ? argc != first : argc - first != 1)
    return cmd_usage_error("webhook", "%s",
                           strcmp(sub, "add") == 0      ? "add takes one URL"
                           : strcmp(sub, "remove") == 0 ? "remove takes one id"
                                                        : "list takes nothing");
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  if (strcmp(sub, "add") == 0) {
    rc = webhook_add(st, &a, argv[first]);
  } else if (strcmp(sub, "list") == 0) {
    if (st->ops->webhook_list(st, print_webhook, &n, &err))
      rc = log_error(EXIT_PARTIAL, "%s", err.msg);
    else if (!n)
      printf("no webhooks; add one with 'marketsync webhook add URL --secret-env VAR'\n");
  } else {
    char *end;
    long long id = strtoll(argv[first], &end, 10);
    if (*end || id < 1)
      rc = cmd_usage_error("webhook", "'%s' is not a webhook id", argv[first]);
    else if ((rc = st->ops->webhook_remove(st, id, &err)) == MS_ENOTFOUND)
      rc = cmd_usage_error("webhook", "there is no webhook %lld", id);
    else if (rc)
      rc = log_error(EXIT_PARTIAL, "%s", err.msg);
    else if (!g_opts.quiet)
      printf("removed webhook %lld\n", id);
  }
  store_close(st);
  return rc;
}
