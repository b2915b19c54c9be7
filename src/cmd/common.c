#include <stdarg.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "net/http.h"
#include "store/store.h"
#include "util/log.h"
#include "util/clock.h"

int cmd_open_store(struct store **out) {
  struct err err = {0};
  int rc = store_open(g_opts.db, out, &err);
  if (rc) {
    log_error(rc, "%s", err.msg);
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

struct name_ctx {
  char **names; /* collected */
  int n;
};

static int collect_name(void *ctx, const struct source_row *s) {
  struct name_ctx *nc = ctx;
  char **p = realloc(nc->names, (size_t)(nc->n + 1) * sizeof(*p));
  if (!p)
    return MS_ENOMEM;
  nc->names = p;
  nc->names[nc->n] = strdup(s->name);
  return nc->names[nc->n++] ? MS_OK : MS_ENOMEM;
}

int cmd_source_names(struct store *st, char ***names, int *n, struct err *err) {
  struct name_ctx nc = {NULL, 0};
  int rc = st->ops->source_list(st, collect_name, &nc, err);
  if (rc) {
    cmd_names_free(nc.names, nc.n);
    return rc;
  }
  *names = nc.names;
  *n = nc.n;
  return MS_OK;
}

void cmd_names_free(char **names, int n) {
  for (int i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

volatile sig_atomic_t *cmd_catch_stop_signals(void) {
  signal(SIGINT, on_stop_signal);
  signal(SIGTERM, on_stop_signal);
  return &stop_flag;
}

struct dead_runs {
  struct run_row *rows; /* copies of the dead ones */
  size_t n;
};

static int find_dead(void *ctx, const struct run_row *r) {
  struct dead_runs *d = ctx;
  struct run_row *p;
  if (strcmp(r->status, "running") != 0 || r->pid <= 0 || r->pid == getpid())
    return MS_OK;
  if (kill((pid_t)r->pid, 0) == 0 || errno != ESRCH)
    return MS_OK; /* alive, or not ours to know */
  p = realloc(d->rows, (d->n + 1) * sizeof(*p));
  if (!p)
    return MS_ENOMEM;
  d->rows = p;
  d->rows[d->n] = *r;
  d->rows[d->n].scope = r->scope ? strdup(r->scope) : NULL;
  d->n++;
  return MS_OK;
}

void cmd_close_dead_runs(struct store *st) {
  struct dead_runs d = {NULL, 0};
  struct err err = {0};
  st->ops->run_list(st, 1000, find_dead, &d, &err);
  for (size_t i = 0; i < d.n; i++) {
    snprintf(d.rows[i].status, sizeof(d.rows[i].status), "killed");
    d.rows[i].finished_at = wall_now();
    st->ops->run_update(st, &d.rows[i], &err);
    run_row_release(&d.rows[i]);
  }
  free(d.rows);
}

int cmd_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "marketsync %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nSee 'marketsync %s --help'.\n", cmd);
  return EXIT_USAGE;
}
