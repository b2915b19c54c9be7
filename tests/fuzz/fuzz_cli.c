/* Fuzzes the argument parsing of `marketsync sync`, `status` and `export`
 * through their real entry points. The input is split on NUL and newline
 * into arguments; its first byte picks the command (sync, status, export).
 *
 * Safety: the database is a path in a fresh temporary directory.
 *  - sync and status get an empty but real database: with no sources, every
 *    argument list ends in help, a usage error or "nothing to do" before
 *    any request is made;
 *  - export gets a database whose directory does not exist, so that it
 *    stops at opening it, before it could write an --output file anywhere.
 * Anything else (exit status other than 0 or 2) is reported as a finding.
 * The commands' own output goes to /dev/null; sanitizer reports still
 * reach file descriptor 2. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "fuzz.h"
#include "util/log.h"

/* main.c is not part of the library; the commands read their global
 * options from here. */
struct global_opts g_opts;

#define CLI_MAX_ARGS 64
#define CLI_MAX_INPUT 4096

static char db_ok[512], db_absent[512];
static char tmpdir[256];

static void cleanup(void) {
  char path[600];
  static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
  for (size_t i = 0; i < 4; i++) {
    snprintf(path, sizeof(path), "%s%s", db_ok, suffixes[i]);
    unlink(path);
  }
  rmdir(tmpdir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *base = getenv("TMPDIR");
  FILE *devnull;
  (void)argc;
  (void)argv;
  snprintf(tmpdir, sizeof(tmpdir), "%s/ms-fuzz-cli-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(tmpdir)) {
    perror("fuzz_cli: mkdtemp");
    abort();
  }
  snprintf(db_ok, sizeof(db_ok), "%s/marketsync.db", tmpdir);
  snprintf(db_absent, sizeof(db_absent), "%s/absent/marketsync.db", tmpdir);
  setenv("MARKETSYNC_DB", db_ok, 1);
  atexit(cleanup);
  /* Quiet the commands, not the sanitizers (they write to fd 2 directly). */
  if (!freopen("/dev/null", "w", stdout))
    abort();
  devnull = fopen("/dev/null", "w");
  if (!devnull)
    abort();
  stderr = devnull;
  log_set_level(LOG_ERROR);
  return 0;
}

/* glibc's getopt keeps a pointer into the previous argv when a run stopped
 * inside a cluster of short options; optind = 0 makes it start afresh, as a
 * new process would. */
static void getopt_reset(void) {
  static char prog[] = "reset";
  char *args[] = {prog, NULL};
  optind = 0;
  opterr = 0;
  while (getopt(1, args, "") != -1)
    ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const names[] = {"sync", "status", "export"};
  char *argv[CLI_MAX_ARGS + 2], *text;
  int argc = 0, which, rc;
  size_t start = 1;
  if (size < 1 || size > CLI_MAX_INPUT)
    return 0;
  which = data[0] % 3;
  text = fuzz_strndup(data, size);
  argv[argc++] = (char *)names[which];
  for (size_t i = 1; i <= size && argc <= CLI_MAX_ARGS; i++) {
    if (i == size || text[i] == '\0' || text[i] == '\n') {
      text[i] = '\0';
      argv[argc++] = text + start;
      start = i + 1;
    }
  }
  argv[argc] = NULL;
  memset(&g_opts, 0, sizeof(g_opts));
  g_opts.db = which == 2 ? db_absent : db_ok;
  g_opts.quiet = 1;
  getopt_reset();
  rc = which == 0   ? cmd_sync(argc, argv)
       : which == 1 ? cmd_status(argc, argv)
                    : cmd_export(argc, argv);
  FUZZ_CHECK(rc == EXIT_OK || rc == EXIT_USAGE);
  free(text);
  return 0;
}
