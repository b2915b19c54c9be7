#include <stdarg.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "store/store.h"
#include "util/log.h"

int cmd_open_store(struct store **out) {
  struct err err = {0};
  int rc = store_open(g_opts.db, out, &err);
  if (rc) {
    log_error(rc, "%s", err.msg);
    return EXIT_USAGE;
  }
  return EXIT_OK;
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
