/* marketsync key show|rotate: the master key that seals stored secrets. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "engine/keys.h"
#include "util/log.h"

static const char key_help[] =
    "usage: marketsync key show\n"
    "       marketsync key rotate\n\n"
    "Secrets given to marketsync itself (source add --NAME-stdin, the admin API) are\n"
    "stored sealed with the master key, kept in a key file: DB.key next to the\n"
    "database, or the file MARKETSYNC_KEY_FILE names. 'marketsync init' makes it.\n"
    "Back it up apart from the database: a stolen database backup is useless\n"
    "without it, and a lost key file makes the sealed secrets useless.\n\n"
    "  show    where the key file is, its key id, and the sealed secrets it opens\n"
    "          (exit 2 when some were sealed with a key it does not hold)\n"
    "  rotate  makes a new key and seals every secret again with it, in one\n"
    "          transaction, then puts the new key in the key file. Safe to interrupt:\n"
    "          every secret still opens, and running it again finishes the work.\n"
    "          Back up the new key file afterwards; the old key opens only older\n"
    "          backups of the database.\n";

static int key_path(const char *cmd, const char **path) {
  *path = secret_keyfile();
  if (!*path)
    return cmd_usage_error(cmd,
                           "the database %s is not a file: set MARKETSYNC_KEY_FILE to its "
                           "master key file",
                           g_opts.db);
  return 0;
}

static int key_show(struct store *st) {
  struct keyring *kr = NULL;
  struct err err = {0};
  const char *path;
  int sealed = 0, foreign = 0, rc = key_path("key show", &path);
  if (rc)
    return rc;
  rc = keyring_load(path, &kr, &err);
  if (rc && rc != MS_ENOTFOUND)
    return log_error(cmd_exit_for(rc), "%s", err.msg);
  if (key_census(st, kr, &sealed, &foreign, &err)) {
    keyring_free(kr);
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  }
  if (!kr)
    printf("master key file: %s (not there yet; 'marketsync init' makes it)\n", path);
  else
    printf("master key file: %s (key id %s)\n", path, kr->keys[0].id);
  if (kr && kr->pending)
    printf("a rotation was interrupted: %s.new holds the new key (key id %s); "
           "'marketsync key rotate' finishes it\n",
           path, keyring_id(kr));
  printf("sealed secrets: %d", sealed);
  if (foreign)
    printf(", %d of them sealed with a key this file does not hold", foreign);
  printf("\n");
  keyring_free(kr);
  return foreign ? EXIT_USAGE : EXIT_OK;
}

static int key_rotate_cmd(struct store *st) {
  struct key_rotation rot;
  struct err err = {0};
  const char *path;
  int rc = key_path("key rotate", &path);
  if (rc)
    return rc;
  rc = key_rotate(st, path, &rot, &err);
  if (rc)
    return log_error(cmd_exit_for(rc), "key rotate: %s", err.msg);
  if (!g_opts.quiet) {
    if (rot.resumed)
      printf("finished a rotation that had been interrupted\n");
    printf("the master key in %s is now key id %s%s%s%s; %d secret%s of %d source%s sealed "
           "again\n",
           path, rot.new_id, rot.old_id[0] ? " (was " : "", rot.old_id, rot.old_id[0] ? ")" : "",
           rot.secrets, rot.secrets == 1 ? "" : "s", rot.sources, rot.sources == 1 ? "" : "s");
    printf("back up %s now; the old key is no longer on disk and opens only database backups "
           "made before this rotation\n",
           path);
  }
  return EXIT_OK;
}

int cmd_key(int argc, char **argv) {
  struct store *st = NULL;
  const char *sub;
  int first, rc;
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(key_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
  }
  sub = argv[1];
  if (strcmp(sub, "show") != 0 && strcmp(sub, "rotate") != 0)
    return cmd_usage_error("key", "'%s' is not a key subcommand (show, rotate)", sub);
  rc = cmd_parse("key", key_help, argc - 1, argv + 1, NULL, NULL, NULL, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  if (first + 1 < argc)
    return cmd_usage_error("key", "unexpected argument '%s'", argv[first + 1]);
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = strcmp(sub, "show") == 0 ? key_show(st) : key_rotate_cmd(st);
  store_close(st);
  return rc;
}
