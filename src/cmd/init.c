#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "engine/keys.h"
#include "store/store.h"
#include "util/log.h"

static const char init_help[] =
    "usage: marketsync [--db PATH] init\n\n"
    "Creates the database, or upgrades it to this version's schema (every other\n"
    "command does this too when needed), and makes the master key file that seals\n"
    "the secrets marketsync stores: PATH.key next to the database, mode 0600, or the\n"
    "file MARKETSYNC_KEY_FILE names. An existing key file is kept, and checked.\n"
    "Back the key file up apart from the database (see 'marketsync key --help').\n";

/* The master key: made unless there, and refused when others may read it. */
static int init_key(struct store *st) {
  struct keyring *kr = NULL;
  struct err err = {0};
  const char *path = secret_keyfile();
  int created = 0;
  if (!path) {
    fprintf(stderr,
            "marketsync init: the database %s is not a file, so no master key is made next to "
            "it; set MARKETSYNC_KEY_FILE to the master key file to store sealed secrets\n",
            g_opts.db);
    return EXIT_OK;
  }
  if (key_ready(st, path, &kr, &created, &err))
    return log_error(EXIT_USAGE, "%s", err.msg);
  if (!g_opts.quiet && created)
    printf("master key %s made (key id %s): back it up apart from the database\n", path,
           keyring_id(kr));
  else if (!g_opts.quiet)
    printf("master key %s is there (key id %s)\n", path, keyring_id(kr));
  keyring_free(kr);
  return EXIT_OK;
}

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
  rc = init_key(st);
  store_close(st);
  return rc;
}
