#include "cmd/opts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

#define OPTIONS_MAX 64

int cmd_parse(const char *cmd, const char *help, int argc, char **argv,
              const struct cmd_option *opts, int (*on)(void *ctx, int key, const char *value),
              void *ctx, int *operand) {
  struct option table[OPTIONS_MAX + 2];
  size_t n = 0;
  int c;
  for (; opts && opts[n].name && n < OPTIONS_MAX; n++) {
    table[n].name = opts[n].name;
    table[n].has_arg = opts[n].arg;
    table[n].flag = NULL;
    table[n].val = opts[n].key;
  }
  table[n].name = "help";
  table[n].has_arg = no_argument;
  table[n].flag = NULL;
  table[n].val = 'h';
  memset(&table[n + 1], 0, sizeof(table[0]));
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", table, NULL)) != -1) {
    int rc;
    if (c == 'h') {
      fputs(help, stdout);
      return CMD_HELP;
    }
    if (c == '?' || c == ':') {
      const char *bad = argv[optind - 1];
      for (size_t i = 0; i < n; i++)
        if (optopt == opts[i].key && opts[i].arg == required_argument)
          return cmd_usage_error(cmd, "--%s needs a value", opts[i].name);
      return cmd_usage_error(cmd, "unknown option or missing value: '%s'", bad ? bad : "?");
    }
    rc = on(ctx, c, optarg);
    if (rc)
      return rc;
  }
  /* getopt_long moved the operands after the options. */
  if (operand)
    *operand = optind;
  return 0;
}

int cmd_int(const char *cmd, const char *option, const char *value, long lo, long hi, long *out) {
  char *end;
  long v;
  errno = 0;
  v = value ? strtol(value, &end, 10) : 0;
  if (!value || errno || end == value || *end || v < lo || v > hi)
    return cmd_usage_error(cmd, "%s takes a whole number from %ld to %ld, not '%s'", option, lo, hi,
                           value ? value : "");
  *out = v;
  return 0;
}

int cmd_number(const char *cmd, const char *option, const char *value, double lo, double hi,
               double *out) {
  char *end;
  double v;
  errno = 0;
  v = value ? strtod(value, &end) : 0;
  if (!value || errno || end == value || *end || !isfinite(v) || v < lo || v > hi)
    return cmd_usage_error(cmd, "%s takes a number from %g to %g, not '%s'", option, lo, hi,
                           value ? value : "");
  *out = v;
  return 0;
}

int cmd_date(const char *cmd, const char *option, const char *value, struct civil_date *out) {
  struct err err = {0};
  if (date_parse(value, out, &err))
    return cmd_usage_error(cmd, "%s: %s", option, err.msg);
  return 0;
}

static int name_ok(const char *s, size_t n) {
  if (n == 0 || n > 63)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
          s[i] == '-'))
      return 0;
  return 1;
}

int cmd_names(const char *cmd, const char *option, const char *value, char ***list, int *n,
              int max) {
  const char *p = value;
  while (p && *p) {
    size_t len = strcspn(p, ",");
    char **v;
    if (!name_ok(p, len))
      return cmd_usage_error(cmd, "%s takes names such as 'orders' separated by commas, not '%s'",
                             option, value);
    if (*n >= max)
      return cmd_usage_error(cmd, "%s names more than %d", option, max);
    v = realloc(*list, (size_t)(*n + 1) * sizeof(*v));
    if (!v)
      return cmd_usage_error(cmd, "out of memory");
    *list = v;
    v[*n] = strndup(p, len);
    if (!v[*n])
      return cmd_usage_error(cmd, "out of memory");
    (*n)++;
    p += len;
    if (*p == ',')
      p++;
  }
  return 0;
}

void cmd_names_free(char **names, int n) {
  for (int i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

int cmd_parse_name(const char *cmd, const char *help, int argc, char **argv,
                   const struct cmd_option *opts, int (*on)(void *ctx, int key, const char *value),
                   void *ctx, const char *what, const char **name) {
  int first, rc = cmd_parse(cmd, help, argc, argv, opts, on, ctx, &first);
  if (rc)
    return rc;
  if (name && argc - first != 1)
    return cmd_usage_error(cmd, "give one %s name", what);
  if (!name && argc - first != 0)
    return cmd_usage_error(cmd, "unexpected argument '%s'", argv[first]);
  if (name)
    *name = argv[first];
  return 0;
}
