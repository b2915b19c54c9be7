/* marketsync spec check|show|list: the specs of the rest connector. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "connectors/rest.h"
#include "connectors/rest_spec.h"
#include "store/store.h"

static const char spec_help[] =
    "usage: marketsync spec check FILE\n"
    "       marketsync spec show NAME\n"
    "       marketsync spec list\n\n"
    "A spec describes a REST API to the rest connector: its base URL, credentials,\n"
    "streams, pagination, rate limit and errors (docs/connectors/rest.md).\n\n"
    "  check FILE   reads FILE the way 'source add rest NAME --spec FILE' and every sync\n"
    "               will, and says what is wrong with it, naming the field\n"
    "  show NAME    prints a spec built into marketsync (admitad, boostiny): a start for\n"
    "               a corrected copy, added with 'source add rest NAME --spec FILE'\n"
    "  list         the specs built into marketsync\n\n"
    "Exit status: 0 the spec is usable, 2 it is not (or the arguments are wrong).\n";

static const char *slicing_words(const struct stream_def *d) {
  switch (d->slicing) {
  case SLICING_BY_DAY:
    return d->flags & STREAM_MODIFIED ? "by day; changes by update time" : "by day";
  case SLICING_BY_UPDATES:
    return "by update time";
  default:
    return "snapshot";
  }
}

/* The tables the spec's streams make must agree with those the built-in
 * connectors make (a spec may share "campaigns" or "coupons" with them):
 * checked on a database in memory. */
static int check_tables(const struct connector *c, struct err *err) {
  const struct connector *const *all = connector_all();
  struct store *st = NULL;
  int rc = store_open(":memory:", &st, err);
  for (size_t i = 0; !rc && all[i]; i++)
    for (size_t k = 0; !rc && all[i] != c && all[i]->streams && all[i]->streams[k]; k++)
      rc = st->ops->stream_prepare(st, all[i]->streams[k], err);
  for (size_t k = 0; !rc && c->streams && c->streams[k]; k++) {
    rc = st->ops->stream_prepare(st, c->streams[k], err);
    if (rc)
      err_prefix(err, "stream %s cannot share its tables with the other connectors",
                 c->streams[k]->name);
  }
  store_close(st);
  return rc;
}

static int spec_check(const char *path) {
  const struct connector *c = NULL;
  const struct rest_spec *spec;
  struct err err = {0};
  int rc = rest_load_file(path, &c, &err);
  if (!rc && (rc = check_tables(c, &err)) != MS_OK)
    err_prefix(&err, "spec %s", path);
  if (rc) {
    fprintf(stderr,
            "marketsync spec check: %s\nThe format is described in docs/connectors/rest.md.\n",
            err.msg);
    return EXIT_USAGE;
  }
  spec = c->impl;
  if (g_opts.quiet)
    return EXIT_OK;
  printf("%s: a usable spec for %s (%s)\n  source add rest NAME --spec %s", path, spec->name,
         spec->title, path);
  for (const struct setting_def *d = c->settings; d && d->key; d++) {
    if (!(d->flags & SETTING_REQUIRED) || strcmp(d->key, "spec") == 0)
      continue;
    if (d->kind == SETTING_SECRET)
      printf(" --%s-env VAR", d->flag);
    else
      printf(" --%s %s", d->flag,
             d->kind == SETTING_INT   ? "N"
             : d->kind == SETTING_URL ? "URL"
                                      : "VALUE");
  }
  printf("\n  streams:");
  for (int i = 0; i < spec->nstreams; i++)
    printf("%s %s (%s)", i ? "," : "", spec->streams[i]->def.name,
           slicing_words(&spec->streams[i]->def));
  printf("\n");
  if (spec->rate.requests > 0)
    printf("  rate limit: %g requests per %g s; paced at %.3g a second after a burst of %g\n",
           spec->rate.requests, spec->rate.per, spec->endpoints[0].rate, spec->endpoints[0].size);
  else
    printf("  rate limit: none given; only --delay paces the requests\n");
  return EXIT_OK;
}

static int spec_show(const char *name) {
  const struct rest_embedded *e = rest_embedded_find(name);
  if (!e)
    return cmd_usage_error("spec", "no spec named '%s' is built in (see 'marketsync spec list')",
                           name);
  fwrite(e->text, 1, e->len, stdout);
  return EXIT_OK;
}

static int spec_list(void) {
  for (size_t i = 0; rest_embedded_specs[i].name; i++) {
    const struct connector *c = connector_find(rest_embedded_specs[i].name);
    printf("%-12s %s\n", rest_embedded_specs[i].name,
           c ? c->title : "(does not read: a build error)");
  }
  return EXIT_OK;
}

int cmd_spec(int argc, char **argv) {
  int first, rc;
  const char *sub;
  rc = cmd_parse("spec", spec_help, argc, argv, NULL, NULL, NULL, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  if (argc - first < 1)
    return cmd_usage_error("spec", "say what to do: check FILE, show NAME or list");
  sub = argv[first];
  if (strcmp(sub, "list") == 0 && argc - first == 1)
    return spec_list();
  if ((strcmp(sub, "check") == 0 || strcmp(sub, "show") == 0) && argc - first == 2)
    return sub[0] == 'c' ? spec_check(argv[first + 1]) : spec_show(argv[first + 1]);
  if (strcmp(sub, "check") == 0)
    return cmd_usage_error("spec", "give one spec file: spec check FILE");
  if (strcmp(sub, "show") == 0)
    return cmd_usage_error("spec", "give one name: spec show admitad");
  return cmd_usage_error("spec", "'%s' is not a spec subcommand (check, show, list)", sub);
}
