/* The commands of the marketsync binary: one file per command, one entry
 * point each, dispatched from the table in main.c. Every cmd_*() returns the
 * process exit code: 0 all done, 1 some work failed, 2 usage or
 * configuration error. */
#ifndef MS_CMD_CMD_H
#define MS_CMD_CMD_H

#include <signal.h>

#define EXIT_OK 0
#define EXIT_PARTIAL 1
#define EXIT_USAGE 2

struct err;

/* Options every command understands, parsed by main.c before dispatch. */
struct global_opts {
  const char *db; /* --db, MARKETSYNC_DB, or ./marketsync.db */
  int quiet;      /* --quiet */
  int verbose;    /* --verbose */
};

extern struct global_opts g_opts;

int cmd_init(int argc, char **argv);
int cmd_source(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_sandbox(int argc, char **argv);
int cmd_failed(int argc, char **argv);
int cmd_spec(int argc, char **argv);

/* Shared by commands: opens the database named by --db, creating or
 * upgrading it; logs and returns EXIT_USAGE-worthy failures. */
struct store;
int cmd_open_store(struct store **out);

/* Runs a sync the engine way, with progress on the terminal, and prints its
 * summary; the exit code. (cmd/sync.c; `repair` uses it too.) */
struct sync_request;
int cmd_run_sync(struct store *st, struct sync_request *rq);

/* From now on SIGINT and SIGTERM ask the engine to finish the pages in
 * flight, release its days and stop; returns the flag they set. */
volatile sig_atomic_t *cmd_catch_stop_signals(void);

/* Prints "marketsync CMD: MESSAGE" and a hint to stderr, returns EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
