#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cmd_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "marketsync %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nSee 'marketsync %s --help'.\n", cmd);
  return EXIT_USAGE;
}
