#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "store/store.h"

static const char init_help[] =
    "usage: marketsync [--db PATH] init\n\n"
    "Creates the database, or upgrades it to this version's schema. Every other\n"
    "command does this too when needed; init does nothing else.\n";

int cmd_init(int argc, char **argv) {
  struct store *st = NULL;
  int version = 0, first, rc;
  rc = cmd_parse("init", init_help, argc, argv, NULL, NULL, NULL, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  if (first < argc)
    return cmd_usage_error("init", "unexpected argument '%s'", argv[first]);
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  st->ops->schema_version(st, &version);
  if (!g_opts.quiet)
    printf("database %s is ready (schema version %d)\n", g_opts.db, version);
  store_close(st);
  return EXIT_OK;
}
