/* marketsync status: one row per day, with totals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "util/json.h"
#include "core/source.h"
#include "net/http.h"
#include "store/store.h"
#include "util/log.h"

static const char status_help[] =
    "usage: marketsync status [NAME] [--stream S] [--from DATE --to DATE] [--failed] [--json]\n\n"
    "Shows the sync status of each day of each stream (and of the passes by update\n"
    "time, 'modified', and the whole snapshots): status, records, pages, last update\n"
    "and error, then totals of the days. --stream shows one stream. On a UTF-8 terminal\n"
    "the status is a symbol:\n"
    "  ✅ completed   ❌ failed   ⏳ in progress   ⏸️  pending\n"
    "A completed day marked (open) was fetched before it ended; the next sync checks it\n"
    "again.\n";

/* Per source: name and time zone, for labels and open-day checks. */
struct src_info {
  int64_t id;
  char name[MS_NAME_MAX];
  struct tz *tz; /* MAY be NULL */
};

struct status_ctx {
  int json;              /* --json */
  int emoji;             /* UTF-8 terminal */
  struct src_info *srcs; /* all sources */
  size_t nsrcs;
  int64_t rows, pages, records, inserted, updated;
  int64_t passes; /* window, snapshot and refetch slices shown */
  int64_t by_status[4];
};

static int utf8_terminal(void) {
  const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
  if (!isatty(STDOUT_FILENO))
    return 0;
  for (size_t i = 0; i < 3; i++) {
    const char *v = getenv(vars[i]);
    if (v && *v)
      return strstr(v, "UTF-8") || strstr(v, "utf8") || strstr(v, "UTF8") || strstr(v, "utf-8");
  }
  return 0;
}

static const char *symbol(enum slice_status s, int emoji) {
  static const char *e[] = {"⏸️ ", "⏳", "✅", "❌"};
  static const char *w[] = {"pending", "running", "completed", "FAILED"};
  return emoji ? e[s] : w[s];
}

static struct src_info *find_src(struct status_ctx *c, int64_t id) {
  for (size_t i = 0; i < c->nsrcs; i++)
    if (c->srcs[i].id == id)
      return &c->srcs[i];
  return NULL;
}

static int day_open(const struct src_info *si, const struct slice *sl) {
  int64_t start, end;
  return sl->kind == SLICE_DAY && sl->status == SLICE_COMPLETED && si && si->tz &&
         !tz_day_bounds(si->tz, sl->day, &start, &end) && sl->completed_at < end;
}

static int print_slice(void *ctx, const struct slice *sl) {
  struct status_ctx *c = ctx;
  struct src_info *si = find_src(c, sl->source_id);
  char upd[TIME_STR_LEN] = "-", mark[TIME_STR_LEN] = "";
  const char *day = sl->key;
  int open = day_open(si, sl), is_day = sl->kind == SLICE_DAY;
  if (sl->kind == SLICE_WINDOW && sl->watermark)
    time_format(sl->watermark, 0, 1, mark);
  if (sl->updated_at)
    time_format(sl->updated_at, 0, 1, upd);
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", si ? si->name : "?");
    cJSON_AddStringToObject(o, "stream", sl->stream);
    cJSON_AddStringToObject(o, "day", day);
    cJSON_AddStringToObject(o, "kind", slice_kind_name(sl->kind));
    if (*mark)
      cJSON_AddStringToObject(o, "watermark", mark);
    cJSON_AddNumberToObject(o, "deleted", (double)sl->deleted);
    cJSON_AddStringToObject(o, "status", slice_status_name(sl->status));
    cJSON_AddBoolToObject(o, "day_open", open);
    cJSON_AddNumberToObject(o, "records", (double)sl->records);
    cJSON_AddNumberToObject(o, "pages", (double)sl->pages);
    cJSON_AddNumberToObject(o, "inserted", (double)sl->inserted);
    cJSON_AddNumberToObject(o, "updated", (double)sl->updated);
    cJSON_AddNumberToObject(o, "unchanged", (double)sl->unchanged);
    cJSON_AddNumberToObject(o, "failed", (double)sl->failed);
    cJSON_AddNumberToObject(o, "retries", (double)sl->retries);
    cJSON_AddNumberToObject(o, "updated_at", (double)sl->updated_at);
    if (sl->last_error)
      cJSON_AddStringToObject(o, "error", sl->last_error);
    else
      cJSON_AddNullToObject(o, "error");
    if (sl->cursor)
      cJSON_AddStringToObject(o, "cursor", "saved");
    else
      cJSON_AddNullToObject(o, "cursor");
    char *text = cJSON_PrintUnformatted(o);
    printf("%s\n", text ? text : "{}");
    free(text);
    cJSON_Delete(o);
  } else {
    if (c->rows + c->passes == 0)
      printf("%-14s %-16s %-20s %-12s %9s %6s  %-20s %s\n", "SOURCE", "STREAM", "DATE", "STATUS",
             "RECORDS", "PAGES", "LAST UPDATE", "ERROR");
    char st[32], err_or_mark[MS_ERR_MSG_MAX + 64];
    snprintf(st, sizeof(st), "%s%s", symbol(sl->status, c->emoji), open ? " (open)" : "");
    if (*mark && !sl->last_error)
      snprintf(err_or_mark, sizeof(err_or_mark), "changes caught up to %s", mark);
    else
      snprintf(err_or_mark, sizeof(err_or_mark), "%s", sl->last_error ? sl->last_error : "");
    printf("%-14s %-16s %-20s %-12s %9lld %6lld  %-20s %s\n", si ? si->name : "?", sl->stream, day,
           st, (long long)sl->records, (long long)sl->pages, upd, err_or_mark);
  }
  if (!is_day) {
    c->passes++;
    return MS_OK;
  }
  c->rows++;
  c->pages += sl->pages;
  c->records += sl->records;
  c->inserted += sl->inserted;
  c->updated += sl->updated;
  if ((unsigned)sl->status < 4)
    c->by_status[sl->status]++;
  return MS_OK;
}

static int collect_src(void *ctx, const struct source_row *s) {
  struct status_ctx *c = ctx;
  struct src_info *n = realloc(c->srcs, (c->nsrcs + 1) * sizeof(*n));
  if (!n)
    return MS_ENOMEM;
  c->srcs = n;
  memset(&n[c->nsrcs], 0, sizeof(n[0]));
  n[c->nsrcs].id = s->id;
  snprintf(n[c->nsrcs].name, sizeof(n[0].name), "%s", s->name);
  source_row_zone(s, &n[c->nsrcs].tz, NULL); /* no zone yet: no open-day marks */
  c->nsrcs++;
  return MS_OK;
}

enum { O_FROM = 1, O_TO, O_FAILED, O_JSON, O_STREAM };
static const struct cmd_option status_options[] = {
    {"from", required_argument, O_FROM},     {"to", required_argument, O_TO},
    {"failed", no_argument, O_FAILED},       {"json", no_argument, O_JSON},
    {"stream", required_argument, O_STREAM}, {NULL}};

struct status_args {
  struct slice_filter f;
  struct civil_date from, to;
  char from_s[DATE_STR_LEN], to_s[DATE_STR_LEN];
  int json;
};

static int on_option(void *ctx, int key, const char *v) {
  struct status_args *a = ctx;
  int rc;
  switch (key) {
  case O_FROM:
    rc = cmd_date("status", "--from", v, &a->from);
    date_format(a->from, a->from_s);
    a->f.from = a->from_s;
    return rc;
  case O_TO:
    rc = cmd_date("status", "--to", v, &a->to);
    date_format(a->to, a->to_s);
    a->f.to = a->to_s;
    return rc;
  case O_FAILED:
    a->f.only_failed = 1;
    return 0;
  case O_JSON:
    a->json = 1;
    return 0;
  case O_STREAM:
    if (strlen(v) >= MS_STREAM_MAX)
      return cmd_usage_error("status", "--stream names a stream such as orders");
    a->f.stream = v;
    return 0;
  }
  return EXIT_USAGE;
}

int cmd_status(int argc, char **argv) {
  struct status_ctx c = {0};
  struct status_args a = {0};
  struct store *st = NULL;
  struct err err = {0};
  const char *name = NULL;
  int first, rc;
  rc = cmd_parse("status", status_help, argc, argv, status_options, on_option, &a, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  c.json = a.json;
  if (a.f.from && a.f.to && date_cmp(a.from, a.to) > 0)
    return cmd_usage_error("status", "--from is after --to");
  if (argc - first > 1)
    return cmd_usage_error("status", "give at most one source name");
  if (argc - first == 1)
    name = argv[first];
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = st->ops->source_list(st, collect_src, &c, &err);
  if (!rc && name) {
    struct source_row row = {0};
    rc = st->ops->source_get(st, name, &row, &err);
    if (rc) {
      rc = cmd_usage_error("status", "%s", err.msg);
      goto out;
    }
    a.f.source_id = row.id;
    source_row_release(&row);
  }

  c.emoji = !c.json && utf8_terminal();
  if (!rc)
    rc = st->ops->slice_list(st, &a.f, print_slice, &c, &err);
  if (rc) {
    rc = log_error(EXIT_PARTIAL, "%s", err.msg);
    goto out;
  }
  if (!c.json) {
    if (c.rows + c.passes == 0)
      printf("nothing recorded yet%s; run 'marketsync sync'\n",
             a.f.only_failed ? " as failed" : "");
    else if (c.rows)
      printf("\n%lld days: %lld completed, %lld failed, %lld in progress, %lld pending; "
             "%lld records in %lld pages (%lld new, %lld updated)\n",
             (long long)c.rows, (long long)c.by_status[SLICE_COMPLETED],
             (long long)c.by_status[SLICE_FAILED], (long long)c.by_status[SLICE_IN_PROGRESS],
             (long long)c.by_status[SLICE_PENDING], (long long)c.records, (long long)c.pages,
             (long long)c.inserted, (long long)c.updated);
  }
  rc = EXIT_OK;
out:
  for (size_t i = 0; i < c.nsrcs; i++)
    tz_free(c.srcs[i].tz);
  free(c.srcs);
  store_close(st);
  return rc;
}
