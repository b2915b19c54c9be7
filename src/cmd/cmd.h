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
struct listener_ops;

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
int cmd_report(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_sandbox(int argc, char **argv);
int cmd_failed(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_run_due(int argc, char **argv);
/* The admin API that `serve --listen` starts: given by main.c (the
 * commands do not include the web layer, which sits beside them). */
void cmd_serve_listener_set(const struct listener_ops *ops);
int cmd_events(int argc, char **argv);
int cmd_webhook(int argc, char **argv);
int cmd_account(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_key(int argc, char **argv);
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

/* Secrets from standard input (cmd/secret_input.c); 0 or EXIT_USAGE after
 * saying why. cmd_read_secret takes all of a pipe or file (trimmed, one
 * line, at most SECRET_MAX bytes) or one line typed on a terminal without
 * echo; `what` names it in the prompt and messages. cmd_read_new_password
 * takes the first line of a pipe or file, or asks twice on a terminal
 * without echo; at least AUTH_PASSWORD_MIN characters. *out is freed with
 * cmd_secret_free, which wipes it. */
int cmd_read_secret(const char *cmd, const char *what, char **out);
int cmd_read_new_password(const char *cmd, char **out);
void cmd_secret_free(char *s);

/* The exit code for an error code of the library: EXIT_USAGE for what a
 * person must fix (bad input, a missing thing, a master key problem),
 * EXIT_PARTIAL for the rest. */
int cmd_exit_for(int code);

/* Prints "marketsync CMD: MESSAGE" and a hint to stderr, returns EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
