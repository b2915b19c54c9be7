/* marketsync export STREAM: stored records of a stream as JSON lines or CSV. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "connectors/connector.h"
#include "core/source.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

static const char export_help[] =
    "usage: marketsync export STREAM [--source NAME] [--from DATE --to DATE]\n"
    "                         [--format jsonl|csv] [--output FILE] [--with-deleted]\n\n"
    "Writes the stored records of a stream (orders, products, customers, locations,\n"
    "inventory_levels, deletions, ...), oldest first: its id, source, times, every\n"
    "column, how many children of each kind it has (an order's order_items and\n"
    "refunds), and the raw JSON the API sent. JSON lines by default; CSV has a header.\n\n"
    "  --source NAME     only this source's records (its connector's columns)\n"
    "  --from/--to DATE  only records created on these days (the source's own days)\n"
    "  --with-deleted    also records marked deleted (with their deleted_at)\n"
    "  --output FILE     write there instead of standard output\n";

enum { O_SOURCE = 1, O_FROM, O_TO, O_FORMAT, O_OUTPUT, O_DELETED };

static const struct cmd_option export_options[] = {
    {"source", required_argument, O_SOURCE},
    {"from", required_argument, O_FROM},
    {"to", required_argument, O_TO},
    {"format", required_argument, O_FORMAT},
    {"output", required_argument, O_OUTPUT},
    {"with-deleted", no_argument, O_DELETED},
    {NULL, 0, 0},
};

struct export_args {
  const char *source;         /* --source */
  struct civil_date from, to; /* --from, --to */
  int have_from, have_to;
  int csv;          /* --format csv */
  const char *path; /* --output */
  int deleted;      /* --with-deleted */
};

struct export_ctx {
  FILE *out;                    /* destination */
  int csv;                      /* csv, else jsonl */
  const struct stream_def *def; /* the columns */
  struct buf line;              /* reused */
  int64_t rows;
  int failed; /* a write failed */
};

static int on_option(void *ctx, int key, const char *v) {
  struct export_args *a = ctx;
  switch (key) {
  case O_SOURCE:
    a->source = v;
    return 0;
  case O_FROM:
    a->have_from = 1;
    return cmd_date("export", "--from", v, &a->from);
  case O_TO:
    a->have_to = 1;
    return cmd_date("export", "--to", v, &a->to);
  case O_FORMAT:
    if (strcmp(v, "csv") == 0)
      a->csv = 1;
    else if (strcmp(v, "jsonl") != 0 && strcmp(v, "json") != 0)
      return cmd_usage_error("export", "--format is jsonl or csv, not '%s'", v);
    return 0;
  case O_OUTPUT:
    a->path = v;
    return 0;
  case O_DELETED:
    a->deleted = 1;
    return 0;
  }
  return cmd_usage_error("export", "unknown option");
}

static void csv_field(struct buf *b, const char *s, int last) {
  buf_putc(b, '"');
  for (; s && *s; s++) {
    if (*s == '"')
      buf_putc(b, '"');
    buf_putc(b, *s);
  }
  buf_puts(b, last ? "\"\r\n" : "\",");
}

/* The text of a value as a CSV field shows it. */
static void value_text(const struct column_def *c, const struct value *v, char *tmp, size_t n,
                       const char **out) {
  *out = NULL;
  if (!v->set)
    return;
  switch (c->type) {
  case COL_INT:
  case COL_BOOL:
    snprintf(tmp, n, "%lld", (long long)v->i);
    *out = tmp;
    return;
  case COL_TIME:
    time_format(v->i, 0, 1, tmp);
    *out = tmp;
    return;
  default:
    *out = v->text;
  }
}

static const char *minor_name(const struct column_def *c, char *buf, size_t n) {
  if (c->minor)
    return c->minor;
  snprintf(buf, n, "%s_minor", c->name);
  return buf;
}

static void csv_header(struct export_ctx *c) {
  char minor[64];
  buf_reset(&c->line);
  buf_puts(&c->line, "id,source,created_at,updated_at,deleted_at");
  for (const struct column_def *col = c->def->columns; col && col->name; col++) {
    buf_printf(&c->line, ",%s", col->name);
    if (col->type == COL_MONEY)
      buf_printf(&c->line, ",%s", minor_name(col, minor, sizeof(minor)));
  }
  for (size_t i = 0; c->def->children && c->def->children[i]; i++)
    buf_printf(&c->line, ",%s", c->def->children[i]->name);
  buf_puts(&c->line, ",raw\r\n");
  fwrite(c->line.data, 1, c->line.len, c->out);
}

static void json_value(struct buf *b, const struct column_def *c, const struct value *v) {
  char t[TIME_STR_LEN];
  if (!v->set) {
    buf_puts(b, "null");
  } else if (c->type == COL_INT) {
    buf_printf(b, "%lld", (long long)v->i);
  } else if (c->type == COL_BOOL) {
    buf_puts(b, v->i ? "true" : "false");
  } else if (c->type == COL_TIME) {
    time_format(v->i, 0, 1, t);
    buf_json_str(b, t);
  } else if (c->type == COL_JSON) {
    buf_puts(b, v->text ? v->text : "null");
  } else {
    buf_json_str(b, v->text ? v->text : "");
  }
}

static int write_record(void *ctx, const struct record_view *r) {
  struct export_ctx *c = ctx;
  char created[TIME_STR_LEN] = "", updated[TIME_STR_LEN] = "", deleted[TIME_STR_LEN] = "";
  char minor[64], tmp[TIME_STR_LEN];
  size_t k = 0;
  if (r->created_at)
    time_format(r->created_at, 0, 1, created);
  time_format(r->updated_at, 0, 1, updated);
  if (r->deleted_at)
    time_format(r->deleted_at, 0, 1, deleted);
  buf_reset(&c->line);
  if (c->csv) {
    csv_field(&c->line, r->external_id, 0);
    csv_field(&c->line, r->source, 0);
    csv_field(&c->line, created, 0);
    csv_field(&c->line, updated, 0);
    csv_field(&c->line, deleted, 0);
    for (const struct column_def *col = c->def->columns; col && col->name; col++, k++) {
      const char *text = NULL;
      if (k < r->nvals)
        value_text(col, &r->vals[k], tmp, sizeof(tmp), &text);
      csv_field(&c->line, text, 0);
      if (col->type == COL_MONEY) {
        snprintf(minor, sizeof(minor), "%lld", k < r->nvals ? (long long)r->vals[k].i : 0LL);
        csv_field(&c->line, k < r->nvals && r->vals[k].set ? minor : NULL, 0);
      }
    }
    for (size_t i = 0; c->def->children && c->def->children[i]; i++) {
      snprintf(minor, sizeof(minor), "%lld", r->nchildren ? (long long)r->nchildren[i] : 0LL);
      csv_field(&c->line, minor, 0);
    }
    csv_field(&c->line, r->raw, 1);
  } else {
    buf_puts(&c->line, "{\"id\":");
    buf_json_str(&c->line, r->external_id);
    buf_puts(&c->line, ",\"source\":");
    buf_json_str(&c->line, r->source);
    buf_puts(&c->line, ",\"created_at\":");
    if (*created)
      buf_json_str(&c->line, created);
    else
      buf_puts(&c->line, "null");
    buf_puts(&c->line, ",\"updated_at\":");
    buf_json_str(&c->line, updated);
    buf_puts(&c->line, ",\"deleted_at\":");
    if (*deleted)
      buf_json_str(&c->line, deleted);
    else
      buf_puts(&c->line, "null");
    for (const struct column_def *col = c->def->columns; col && col->name; col++, k++) {
      static const struct value none = {0, 0, NULL};
      const struct value *v = k < r->nvals ? &r->vals[k] : &none;
      buf_printf(&c->line, ",\"%s\":", col->name);
      json_value(&c->line, col, v);
      if (col->type == COL_MONEY) {
        buf_printf(&c->line, ",\"%s\":", minor_name(col, minor, sizeof(minor)));
        if (v->set)
          buf_printf(&c->line, "%lld", (long long)v->i);
        else
          buf_puts(&c->line, "null");
      }
    }
    buf_puts(&c->line, ",\"children\":{");
    for (size_t i = 0; c->def->children && c->def->children[i]; i++)
      buf_printf(&c->line, "%s\"%s\":%lld", i ? "," : "", c->def->children[i]->name,
                 r->nchildren ? (long long)r->nchildren[i] : 0LL);
    buf_printf(&c->line, "},\"raw\":%s}\n", r->raw && *r->raw ? r->raw : "null");
  }
  if (fwrite(c->line.data, 1, c->line.len, c->out) != c->line.len) {
    c->failed = errno ? errno : EIO;
    return MS_EIO;
  }
  c->rows++;
  return MS_OK;
}

/* The description of the stream: the source's connector's (a rest source's:
 * its spec's), or the first connector's that offers one of that name. */
static const struct stream_def *find_stream(const struct source_row *row, const char *name) {
  const struct connector *const *all = connector_all();
  const struct connector *c;
  if (row)
    return connector_for_row(row, &c, NULL) == MS_OK ? stream_find(c->streams, name) : NULL;
  for (size_t i = 0; all[i]; i++) {
    const struct stream_def *def = stream_find(all[i]->streams, name);
    if (def)
      return def;
  }
  return NULL;
}

int cmd_export(int argc, char **argv) {
  struct export_args a;
  struct export_ctx c;
  struct record_filter f = {0};
  struct store *st = NULL;
  struct err err = {0};
  struct tz *zone = NULL;
  struct source_row row = {0};
  const char *stream;
  int first, rc;
  memset(&a, 0, sizeof(a));
  memset(&c, 0, sizeof(c));
  c.out = stdout;
  rc = cmd_parse("export", export_help, argc, argv, export_options, on_option, &a, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  if (argc - first != 1)
    return cmd_usage_error("export", "say what to export: 'marketsync export orders'");
  stream = argv[first];
  if (a.have_from && a.have_to && date_cmp(a.from, a.to) > 0)
    return cmd_usage_error("export", "--from is after --to");
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  if (a.source) {
    if (st->ops->source_get(st, a.source, &row, &err)) {
      store_close(st);
      return cmd_usage_error("export", "%s", err.msg);
    }
    f.source_id = row.id;
    source_row_zone(&row, &zone, NULL); /* no zone yet: UTC days */
  }
  c.def = find_stream(a.source ? &row : NULL, stream);
  source_row_release(&row);
  if (!c.def) {
    tz_free(zone);
    store_close(st);
    return cmd_usage_error("export", "there is no stream '%s' to export%s%s", stream,
                           a.source ? " for source " : "", a.source ? a.source : "");
  }
  if (a.have_from) {
    int64_t s = date_to_days(a.from) * 86400, e;
    if (zone)
      tz_day_bounds(zone, a.from, &s, &e);
    f.created_from = s;
  }
  if (a.have_to) {
    int64_t s, e = (date_to_days(a.to) + 1) * 86400;
    if (zone)
      tz_day_bounds(zone, a.to, &s, &e);
    f.created_to = e;
  }
  tz_free(zone);
  f.def = c.def;
  f.with_deleted = a.deleted;
  c.csv = a.csv;
  rc = st->ops->stream_prepare(st, c.def, &err);
  if (rc) {
    store_close(st);
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  }
  if (a.path) {
    c.out = fopen(a.path, "w");
    if (!c.out) {
      store_close(st);
      return cmd_usage_error("export", "cannot write %s: %s", a.path, strerror(errno));
    }
  }
  buf_init(&c.line, 0);
  if (c.csv)
    csv_header(&c);
  rc = st->ops->records_each(st, &f, write_record, &c, &err);
  buf_release(&c.line);
  if (fflush(c.out) != 0 && !c.failed)
    c.failed = errno;
  if (a.path)
    fclose(c.out);
  store_close(st);
  if (c.failed)
    return log_error(EXIT_PARTIAL, "writing the export failed: %s", strerror(c.failed));
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  if (a.path && !g_opts.quiet)
    fprintf(stderr, "wrote %lld %s to %s\n", (long long)c.rows, stream, a.path);
  return EXIT_OK;
}
