/* marketsync: one binary, one file per command (src/cmd/), dispatched here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/secret.h"
#include "util/json.h"
#include "util/log.h"
#include "web/api.h"

struct global_opts g_opts;

struct command {
  const char *name;                 /* as typed */
  int (*fn)(int argc, char **argv); /* gets argv[0] == name */
  const char *summary;              /* one line for the help */
};

static const struct command commands[] = {
    {"init", cmd_init, "create or upgrade the database, make its master key"},
    {"source", cmd_source, "add, edit, list, test or remove sources (shops, sellers, networks)"},
    {"sync", cmd_sync, "fetch days of data from the sources"},
    {"status", cmd_status, "show each day's sync status"},
    {"export", cmd_export, "write stored orders as JSON lines or CSV"},
    {"report", cmd_report, "sales per SKU: units, revenue, refunds, stock, days of cover"},
    {"runs", cmd_runs, "show the sync log: one line per run"},
    {"failed", cmd_failed, "list and retry records that could not be stored"},
    {"repair", cmd_repair, "fetch again the items of orders stored without items or prices"},
    {"schedule", cmd_schedule, "add, list, edit or run schedules: syncs that happen on their own"},
    {"jobs", cmd_jobs, "list, show, retry or cancel jobs of the queue"},
    {"serve", cmd_serve, "run the scheduler, the workers and the webhooks as a service"},
    {"run-due", cmd_run_due, "make jobs of due schedules, run them, deliver events, exit"},
    {"events", cmd_events, "list or follow the events (new orders, status changes, ...)"},
    {"webhook", cmd_webhook, "add, list or remove endpoints that receive events"},
    {"account", cmd_account, "add, list or remove accounts: the owners of sources"},
    {"user", cmd_user, "add, list or remove users of the admin API, set passwords"},
    {"token", cmd_token, "create, list or revoke API tokens of users"},
    {"key", cmd_key, "show or rotate the master key that seals stored secrets"},
    {"spec", cmd_spec, "check a spec of the rest connector, or show a built-in one"},
    {"sandbox", cmd_sandbox, "serve emulated APIs on loopback for demos and tests"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out) {
  fprintf(out, "usage: marketsync [--db PATH] [--quiet|--verbose] COMMAND [ARGS]\n\n"
               "Keeps a local database in step with commerce APIs, day by day.\n\n"
               "commands:\n");
  for (const struct command *c = commands; c->name; c++)
    fprintf(out, "  %-9s %s\n", c->name, c->summary);
  fprintf(out, "\nglobal options:\n"
               "  --db PATH   the database (default: $MARKETSYNC_DB or ./marketsync.db); its\n"
               "              master key is PATH.key, or the file $MARKETSYNC_KEY_FILE names\n"
               "  --quiet     only errors\n"
               "  --verbose   debug detail\n"
               "  --version   print the version\n\n"
               "'marketsync COMMAND --help' tells more about a command.\n");
}

/* Global options may stand anywhere; they are taken out of argv. */
static int take_globals(int *argc, char **argv) {
  int out = 1;
  for (int i = 1; i < *argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      while (i < *argc)
        argv[out++] = argv[i++];
      break;
    }
    if (strcmp(a, "--db") == 0) {
      if (i + 1 >= *argc) {
        fprintf(stderr, "marketsync: --db needs a path\n");
        return -1;
      }
      g_opts.db = argv[++i];
    } else if (strncmp(a, "--db=", 5) == 0) {
      g_opts.db = a + 5;
    } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
      g_opts.quiet = 1;
    } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
      g_opts.verbose = 1;
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  argv[out] = NULL;
  return 0;
}

int main(int argc, char **argv) {
  const char *name;
  if (take_globals(&argc, argv))
    return EXIT_USAGE;
  if (!g_opts.db || !*g_opts.db)
    g_opts.db = getenv("MARKETSYNC_DB");
  if (!g_opts.db || !*g_opts.db)
    g_opts.db = "marketsync.db";
  log_set_level(g_opts.quiet ? LOG_ERROR : g_opts.verbose ? LOG_DEBUG : LOG_INFO);
  {
    /* Where sealed secrets are opened and sealed, for this whole process:
     * set before any thread starts. None for a database that is not a file
     * without MARKETSYNC_KEY_FILE; the commands that need a key say so. */
    char keyfile[KEY_PATH_MAX];
    if (keyfile_for_db(g_opts.db, keyfile, sizeof(keyfile), NULL) == MS_OK)
      secret_keyfile_set(keyfile);
  }
  cmd_serve_listener_set(&api_listener);
  json_init(); /* cJSON's hooks are the process's: set before any thread starts */
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    usage(stdout);
    return EXIT_OK;
  }
  if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
    printf("marketsync %s\n", MS_VERSION);
    return EXIT_OK;
  }
  for (const struct command *c = commands; c->name; c++)
    if (strcmp(c->name, name) == 0)
      return c->fn(argc - 1, argv + 1);
  fprintf(stderr, "marketsync: '%s' is not a command. See 'marketsync --help'.\n", name);
  return EXIT_USAGE;
}
