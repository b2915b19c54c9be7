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

int cmd_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "marketsync %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nSee 'marketsync %s --help'.\n", cmd);
  return EXIT_USAGE;
}

int cmd_exit_for(int code) {
  switch (code) {
  case MS_OK:
    return EXIT_OK;
  case MS_EINVAL:
  case MS_ENOTFOUND:
  case MS_EEXIST:
  case MS_EKEY:
  case MS_EPERM:
  case MS_EVERSION:
  case MS_ETOOBIG:
    return EXIT_USAGE;
  default:
    return EXIT_PARTIAL;
  }
}
