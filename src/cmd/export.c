/* marketsync export orders: stored orders as JSON lines or CSV. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/source.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

static const char export_help[] =
    "usage: marketsync export orders [--source NAME] [--from DATE --to DATE]\n"
    "                                [--format jsonl|csv] [--output FILE]\n\n"
    "Writes one line per stored order: id (the API's), source, name, created_at,\n"
    "updated_at (UTC), status, financial_status, fulfillment_status, total_price,\n"
    "total_minor (integer minor units), currency, items and the raw JSON.\n\n"
    "  --from/--to   created on these days, both included: the source's own days with\n"
    "                --source, UTC days otherwise\n"
    "  --format      jsonl (default) or csv (RFC 4180, with a header row)\n"
    "  --output      write to FILE instead of standard output\n";

struct export_ctx {
  FILE *out;       /* destination */
  int csv;         /* csv, else jsonl */
  struct buf line; /* reused */
  int64_t rows;
  int failed; /* a write failed */
};

static void csv_field(struct buf *b, const char *s, int last) {
  buf_putc(b, '"');
  for (; s && *s; s++) {
    if (*s == '"')
      buf_putc(b, '"');
    buf_putc(b, *s);
  }
  buf_puts(b, last ? "\"\r\n" : "\",");
}

static void json_field(struct buf *b, const char *key, const char *v) {
  buf_printf(b, "\"%s\":", key);
  if (v)
    buf_json_str(b, v);
  else
    buf_puts(b, "null");
  buf_putc(b, ',');
}

static int write_order(void *ctx, const struct order_view *o) {
  struct export_ctx *c = ctx;
  char created[TIME_STR_LEN], updated[TIME_STR_LEN], minor[24], items[24];
  time_format(o->created_at, 0, 1, created);
  time_format(o->updated_at, 0, 1, updated);
  snprintf(minor, sizeof(minor), "%lld", (long long)o->total_minor);
  snprintf(items, sizeof(items), "%lld", (long long)o->nitems);
  buf_reset(&c->line);
  if (c->csv) {
    const char *cols[] = {o->external_id,
                          o->source,
                          o->name,
                          created,
                          updated,
                          o->status,
                          o->financial_status,
                          o->fulfillment_status,
                          o->total_price,
                          minor,
                          o->currency,
                          items,
                          o->raw};
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
      csv_field(&c->line, cols[i], i + 1 == sizeof(cols) / sizeof(cols[0]));
  } else {
    buf_putc(&c->line, '{');
    json_field(&c->line, "id", o->external_id);
    json_field(&c->line, "source", o->source);
    json_field(&c->line, "name", o->name);
    json_field(&c->line, "created_at", created);
    json_field(&c->line, "updated_at", updated);
    json_field(&c->line, "status", o->status);
    json_field(&c->line, "financial_status", o->financial_status);
    json_field(&c->line, "fulfillment_status", o->fulfillment_status);
    json_field(&c->line, "total_price", o->total_price);
    buf_printf(&c->line, "\"total_minor\":%s,", minor);
    json_field(&c->line, "currency", o->currency);
    buf_printf(&c->line, "\"items\":%s,\"raw\":%s}\n", items, o->raw ? o->raw : "null");
  }
  if (fwrite(c->line.data, 1, c->line.len, c->out) != c->line.len) {
    c->failed = errno ? errno : EIO;
    return MS_EIO;
  }
  c->rows++;
  return MS_OK;
}

int cmd_export(int argc, char **argv) {
  static const struct option opts[] = {{"source", required_argument, 0, 's'},
                                       {"from", required_argument, 0, 'f'},
                                       {"to", required_argument, 0, 't'},
                                       {"format", required_argument, 0, 'F'},
                                       {"output", required_argument, 0, 'o'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  struct export_ctx c = {stdout, 0, {0}, 0, 0};
  struct order_filter f = {0};
  struct civil_date from, to;
  int have_from = 0, have_to = 0, opt, rc;
  const char *output = NULL;
  struct store *st = NULL;
  struct err err = {0};
  struct tz *zone = NULL;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
    case 's':
      f.source = optarg;
      break;
    case 'f':
    case 't':
      if (date_parse(optarg, opt == 'f' ? &from : &to, &err))
        return cmd_usage_error("export", "--%s: %s", opt == 'f' ? "from" : "to", err.msg);
      *(opt == 'f' ? &have_from : &have_to) = 1;
      break;
    case 'F':
      if (strcmp(optarg, "csv") == 0)
        c.csv = 1;
      else if (strcmp(optarg, "jsonl") != 0 && strcmp(optarg, "json") != 0)
        return cmd_usage_error("export", "--format is jsonl or csv, not '%s'", optarg);
      break;
    case 'o':
      output = optarg;
      break;
    case 'h':
      fputs(export_help, stdout);
      return EXIT_OK;
    default:
      return cmd_usage_error("export", "unknown option or missing value");
    }
  }
  if (argc - optind != 1 || strcmp(argv[optind], "orders") != 0)
    return cmd_usage_error("export", "say what to export: 'marketsync export orders'");
  if (have_from && have_to && date_cmp(from, to) > 0)
    return cmd_usage_error("export", "--from is after --to");
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  if (f.source) {
    struct source_row row = {0};
    if (st->ops->source_get(st, f.source, &row, &err)) {
      store_close(st);
      return cmd_usage_error("export", "%s", err.msg);
    }
    source_row_zone(&row, &zone, NULL); /* no zone yet: UTC days */
    source_row_release(&row);
  }
  if (have_from) {
    int64_t s = date_to_days(from) * 86400, e;
    if (zone)
      tz_day_bounds(zone, from, &s, &e);
    f.created_from = s;
  }
  if (have_to) {
    int64_t s, e = (date_to_days(to) + 1) * 86400;
    if (zone)
      tz_day_bounds(zone, to, &s, &e);
    f.created_to = e;
  }
  tz_free(zone);
  if (output) {
    c.out = fopen(output, "w");
    if (!c.out) {
      store_close(st);
      return cmd_usage_error("export", "cannot write %s: %s", output, strerror(errno));
    }
  }
  buf_init(&c.line, 0);
  if (c.csv)
    fputs("id,source,name,created_at,updated_at,status,financial_status,fulfillment_status,"
          "total_price,total_minor,currency,items,raw\r\n",
          c.out);
  rc = st->ops->orders_each(st, &f, write_order, &c, &err);
  buf_release(&c.line);
  if (fflush(c.out) != 0 && !c.failed)
    c.failed = errno;
  if (output)
    fclose(c.out);
  store_close(st);
  if (c.failed)
    return log_error(EXIT_PARTIAL, "writing the export failed: %s", strerror(c.failed));
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  if (output && !g_opts.quiet)
    fprintf(stderr, "wrote %lld orders to %s\n", (long long)c.rows, output);
  return EXIT_OK;
}
