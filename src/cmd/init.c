#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "store/store.h"

int cmd_init(int argc, char **argv) {
  struct store *st = NULL;
  int version = 0, rc;
  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("usage: marketsync [--db PATH] init\n\n"
           "Creates the database, or upgrades it to this version's schema. Every other\n"
           "command does this too when needed; init does nothing else.\n");
    return EXIT_OK;
  }
  if (argc > 1)
    return cmd_usage_error("init", "unexpected argument '%s'", argv[1]);
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  st->ops->schema_version(st, &version);
  if (!g_opts.quiet)
    printf("database %s is ready (schema version %d)\n", g_opts.db, version);
  store_close(st);
  return EXIT_OK;
}
