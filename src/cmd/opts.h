/* One way for every command to read its options (getopt_long underneath):
 * --help, unknown options and missing values are handled alike, and the
 * value helpers say in one sentence what is wrong with a value. */
#ifndef MS_CMD_OPTS_H
#define MS_CMD_OPTS_H

#include <getopt.h>

#include "util/tz.h"

#define CMD_HELP (-1) /* cmd_parse printed the help: exit 0 */

/* One option of a command. */
struct cmd_option {
  const char *name; /* long name, without "--" */
  int arg;          /* no_argument, required_argument or optional_argument */
  int key;          /* what cmd_parse hands to the callback; > 0 */
};

/* Parses argv[1..] (argv[0] is the command's name). For each option calls
 * on(ctx, key, value) (value NULL when none), which returns 0 or an exit
 * code (EXIT_USAGE once it said why). --help prints help to stdout and
 * returns CMD_HELP. Unknown options and missing values are refused with
 * EXIT_USAGE. *operand is the index of the first argument that is not an
 * option. opts ends with {NULL}. */
int cmd_parse(const char *cmd, const char *help, int argc, char **argv,
              const struct cmd_option *opts, int (*on)(void *ctx, int key, const char *value),
              void *ctx, int *operand);

/* cmd_parse for a subcommand that takes its options and then one name
 * (`what`: "account" makes "give one account name"), or none at all when
 * name is NULL. Returns what cmd_parse returns, or EXIT_USAGE. */
int cmd_parse_name(const char *cmd, const char *help, int argc, char **argv,
                   const struct cmd_option *opts, int (*on)(void *ctx, int key, const char *value),
                   void *ctx, const char *what, const char **name);

/* Value readers: 0 and *out, or EXIT_USAGE after saying what `option`
 * expects. */
int cmd_int(const char *cmd, const char *option, const char *value, long lo, long hi, long *out);
int cmd_number(const char *cmd, const char *option, const char *value, double lo, double hi,
               double *out);
int cmd_date(const char *cmd, const char *option, const char *value, struct civil_date *out);
/* Appends the comma-separated names of value to *list (of *n, bounded by
 * max), each [a-z0-9_-] and at most 63 bytes. */
int cmd_names(const char *cmd, const char *option, const char *value, char ***list, int *n,
              int max);
void cmd_names_free(char **names, int n);

#endif
