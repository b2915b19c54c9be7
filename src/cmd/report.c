/* marketsync report: what the stored records add up to. `report skus` is
 * the sales per SKU; `report refresh` brings its summary up to date. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/opts.h"
#include "core/model.h"
#include "engine/report.h"
#include "store/store.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/tz.h"

#define REPORT_SOURCES_MAX 1000 /* --source options */
#define REPORT_LIMIT_MAX 1000000

static const char report_help[] =
    "usage: marketsync report skus [--source NAME]... [--from DATE] [--to DATE]\n"
    "                              [--range PRESET] [--currency CODE] [--limit N]\n"
    "                              [--sort revenue|units|sku] [--format table|csv|json]\n"
    "       marketsync report refresh [--source NAME]...\n\n"
    "report skus: units sold, revenue, orders, refunded units, last sale, stock on\n"
    "hand and days of cover of each SKU, per currency, over the orders created in\n"
    "the days asked for (every day when none are given).\n\n"
    "  --source NAME     only this source (repeatable; default: every source)\n"
    "  --from/--to DATE  the first and last day, YYYY-MM-DD, each source's own days\n"
    "                    in its own time zone (UTC days for a source not synced yet)\n"
    "  --range PRESET    today, yesterday, last-7-days, last-30-days, current-month or\n"
    "                    previous-month, in each source's zone (instead of --from/--to)\n"
    "  --currency CODE   only sales in this currency (USD, EUR, JPY, ...)\n"
    "  --sort KEY        revenue (default: per currency, the most revenue first),\n"
    "                    units (the most units first) or sku\n"
    "  --limit N         with --sort revenue the N SKUs with the most revenue in each\n"
    "                    currency (amounts in two currencies are not compared), else\n"
    "                    the first N rows\n"
    "  --format F        table (default), csv or json (an array of objects)\n\n"
    "What is counted: the lines of orders that are neither cancelled (Shopify's\n"
    "cancelled orders, Amazon's Canceled) nor deleted. Revenue is what the lines\n"
    "were sold for (unit price x quantity), before discounts, tax, shipping and\n"
    "refunds, in the currency's own decimals (JPY 0, BHD 3); lines without a price\n"
    "yet (Amazon orders still Pending) count in units only. Refunded counts the\n"
    "units of those lines refunded since. Stock is what the stock levels synced\n"
    "say is available now at every location, over the variants with that SKU;\n"
    "cover is stock divided by the units sold per day over the period. Lines\n"
    "without a SKU are shown as (no SKU) (an empty SKU in CSV and JSON).\n\n"
    "report refresh: brings the daily summary the report reads up to date (the days\n"
    "changed since the last refresh; every day at the first). The report is the\n"
    "same without it, only slower where much changed. Every job of 'serve' and\n"
    "'run-due' refreshes it after its sync; run it after syncs run by hand.\n";

enum { O_SOURCE = 1, O_FROM, O_TO, O_RANGE, O_CURRENCY, O_LIMIT, O_SORT, O_FORMAT };

static const struct cmd_option report_options[] = {
    {"source", required_argument, O_SOURCE},
    {"from", required_argument, O_FROM},
    {"to", required_argument, O_TO},
    {"range", required_argument, O_RANGE},
    {"currency", required_argument, O_CURRENCY},
    {"limit", required_argument, O_LIMIT},
    {"sort", required_argument, O_SORT},
    {"format", required_argument, O_FORMAT},
    {NULL, 0, 0},
};

enum report_format { FORMAT_TABLE = 0, FORMAT_CSV, FORMAT_JSON };

struct report_args {
  const char *sub;                       /* "skus" or "refresh" */
  const char *names[REPORT_SOURCES_MAX]; /* --source */
  size_t nnames;
  struct report_days days;   /* --from, --to, --range */
  char currency[8];          /* --currency, upper case; "" none */
  long limit;                /* --limit; 0 none */
  enum sku_order order;      /* --sort */
  enum report_format format; /* --format */
  int dates_given;           /* --from or --to */
};

static int on_option(void *ctx, int key, const char *v) {
  struct report_args *a = ctx;
  struct err err = {0};
  switch (key) {
  case O_SOURCE:
    if (a->nnames >= REPORT_SOURCES_MAX)
      return cmd_usage_error("report", "--source is given more than %d times", REPORT_SOURCES_MAX);
    a->names[a->nnames++] = v;
    return 0;
  case O_FROM:
    a->days.has_from = a->dates_given = 1;
    return cmd_date("report", "--from", v, &a->days.from);
  case O_TO:
    a->days.has_to = a->dates_given = 1;
    return cmd_date("report", "--to", v, &a->days.to);
  case O_RANGE:
    if (range_preset_parse(v, &a->days.preset, &err) || a->days.preset == RANGE_CUSTOM)
      return cmd_usage_error("report",
                             "--range is today, yesterday, last-7-days, last-30-days, "
                             "current-month or previous-month, not '%s' (give other days "
                             "with --from and --to)",
                             v);
    return 0;
  case O_CURRENCY:
    if (report_currency_parse(v, a->currency))
      return cmd_usage_error("report", "--currency takes a three-letter code such as USD, not '%s'",
                             v);
    return 0;
  case O_LIMIT:
    return cmd_int("report", "--limit", v, 1, REPORT_LIMIT_MAX, &a->limit);
  case O_SORT:
    if (report_order_parse(v, &a->order))
      return cmd_usage_error("report", "--sort is revenue, units or sku, not '%s'", v);
    return 0;
  case O_FORMAT:
    if (strcmp(v, "table") == 0)
      a->format = FORMAT_TABLE;
    else if (strcmp(v, "csv") == 0)
      a->format = FORMAT_CSV;
    else if (strcmp(v, "json") == 0)
      a->format = FORMAT_JSON;
    else
      return cmd_usage_error("report", "--format is table, csv or json, not '%s'", v);
    return 0;
  }
  return cmd_usage_error("report", "unknown option");
}

/* ---- the rows --------------------------------------------------------------- */

/* A row kept for printing (a table needs every row to size its columns). */
struct shown {
  char *sku;         /* owned */
  char currency[16]; /* "" none */
  char revenue[48];  /* decimal text in the currency's minor units */
  char last_sold[TIME_STR_LEN];
  struct sku_row r; /* its figures; sku and currency point above */
};

struct shown_list {
  struct shown *v;
  size_t n, cap;
};

static int keep(void *ctx, const struct sku_row *r) {
  struct shown_list *l = ctx;
  struct shown *s;
  if (array_reserve((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v), 64))
    return MS_ENOMEM;
  s = &l->v[l->n];
  memset(s, 0, sizeof(*s));
  s->sku = strdup(r->sku);
  if (!s->sku)
    return MS_ENOMEM;
  snprintf(s->currency, sizeof(s->currency), "%s", r->currency);
  money_format(r->revenue, *r->currency ? r->currency : NULL, s->revenue, sizeof(s->revenue));
  time_format(r->last_sold, 0, 1, s->last_sold);
  s->r = *r;
  s->r.sku = s->sku;
  s->r.currency = s->currency;
  l->n++;
  return MS_OK;
}

static void shown_release(struct shown_list *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i].sku);
  free(l->v);
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

static void print_csv(const struct shown_list *l, struct buf *b) {
  buf_puts(b, "sku,currency,units,revenue,revenue_minor,orders,refunded_units,unpriced_units,"
              "last_sold,stock,cover_days\r\n");
  for (size_t i = 0; i < l->n; i++) {
    const struct shown *s = &l->v[i];
    char n[8][32];
    snprintf(n[0], sizeof(n[0]), "%lld", (long long)s->r.units);
    snprintf(n[1], sizeof(n[1]), "%lld", (long long)s->r.revenue);
    snprintf(n[2], sizeof(n[2]), "%lld", (long long)s->r.orders);
    snprintf(n[3], sizeof(n[3]), "%lld", (long long)s->r.refunded);
    snprintf(n[4], sizeof(n[4]), "%lld", (long long)s->r.unpriced);
    snprintf(n[5], sizeof(n[5]), "%lld", (long long)s->r.stock);
    snprintf(n[6], sizeof(n[6]), "%.1f", s->r.cover_days);
    csv_field(b, s->sku, 0);
    csv_field(b, s->currency, 0);
    csv_field(b, n[0], 0);
    csv_field(b, s->revenue, 0);
    csv_field(b, n[1], 0);
    csv_field(b, n[2], 0);
    csv_field(b, n[3], 0);
    csv_field(b, n[4], 0);
    csv_field(b, s->last_sold, 0);
    csv_field(b, s->r.has_stock ? n[5] : "", 0);
    csv_field(b, s->r.has_cover ? n[6] : "", 1);
  }
}

static void print_json(const struct shown_list *l, struct buf *b) {
  buf_putc(b, '[');
  for (size_t i = 0; i < l->n; i++) {
    const struct shown *s = &l->v[i];
    buf_puts(b, i ? ",\n{\"sku\":" : "\n{\"sku\":");
    buf_json_str(b, s->sku);
    buf_puts(b, ",\"currency\":");
    buf_json_str(b, s->currency);
    buf_printf(b, ",\"units\":%lld,\"revenue\":", (long long)s->r.units);
    buf_json_str(b, s->revenue);
    buf_printf(b,
               ",\"revenue_minor\":%lld,\"orders\":%lld,\"refunded_units\":%lld,"
               "\"unpriced_units\":%lld,\"last_sold\":",
               (long long)s->r.revenue, (long long)s->r.orders, (long long)s->r.refunded,
               (long long)s->r.unpriced);
    buf_json_str(b, s->last_sold);
    if (s->r.has_stock)
      buf_printf(b, ",\"stock\":%lld", (long long)s->r.stock);
    else
      buf_puts(b, ",\"stock\":null");
    if (s->r.has_cover)
      buf_printf(b, ",\"cover_days\":%.1f}", s->r.cover_days);
    else
      buf_puts(b, ",\"cover_days\":null}");
  }
  buf_puts(b, l->n ? "\n]\n" : "]\n");
}

/* The display width of UTF-8 text, counting code points. */
static int width(const char *s) {
  int w = 0;
  for (; *s; s++)
    w += ((unsigned char)*s & 0xC0) != 0x80;
  return w;
}

static void pad(struct buf *b, const char *s, int w, int right) {
  int n = w - width(s);
  if (right)
    for (int i = 0; i < n; i++)
      buf_putc(b, ' ');
  buf_puts(b, s);
  if (!right)
    for (int i = 0; i < n; i++)
      buf_putc(b, ' ');
}

#define TABLE_COLS 9

static void print_table(const struct shown_list *l, struct buf *b) {
  static const char *const head[TABLE_COLS] = {"SKU",       "CURRENCY", "UNITS",
                                               "REVENUE",   "ORDERS",   "REFUNDED",
                                               "LAST SOLD", "STOCK",    "COVER (DAYS)"};
  static const int right[TABLE_COLS] = {0, 0, 1, 1, 1, 1, 0, 1, 1};
  int w[TABLE_COLS];
  char(*cell)[TABLE_COLS][64] = calloc(l->n ? l->n : 1, sizeof(*cell));
  int64_t unpriced = 0;
  if (!cell) {
    buf_puts(b, "out of memory\n");
    return;
  }
  for (int c = 0; c < TABLE_COLS; c++)
    w[c] = width(head[c]);
  for (size_t i = 0; i < l->n; i++) {
    const struct shown *s = &l->v[i];
    snprintf(cell[i][0], 64, "%s", *s->sku ? s->sku : "(no SKU)");
    snprintf(cell[i][1], 64, "%s", *s->currency ? s->currency : "-");
    snprintf(cell[i][2], 64, "%lld", (long long)s->r.units);
    snprintf(cell[i][3], 64, "%s", s->revenue);
    snprintf(cell[i][4], 64, "%lld", (long long)s->r.orders);
    snprintf(cell[i][5], 64, "%lld", (long long)s->r.refunded);
    snprintf(cell[i][6], 64, "%s", s->last_sold);
    if (s->r.has_stock)
      snprintf(cell[i][7], 64, "%lld", (long long)s->r.stock);
    else
      snprintf(cell[i][7], 64, "-");
    if (s->r.has_cover)
      snprintf(cell[i][8], 64, "%.1f", s->r.cover_days);
    else
      snprintf(cell[i][8], 64, "-");
    for (int c = 0; c < TABLE_COLS; c++)
      if (width(cell[i][c]) > w[c])
        w[c] = width(cell[i][c]);
    unpriced += s->r.unpriced;
  }
  for (int c = 0; c < TABLE_COLS; c++) {
    pad(b, head[c], w[c], right[c]);
    buf_puts(b, c + 1 < TABLE_COLS ? "  " : "\n");
  }
  for (size_t i = 0; i < l->n; i++)
    for (int c = 0; c < TABLE_COLS; c++) {
      pad(b, cell[i][c], w[c], right[c]);
      buf_puts(b, c + 1 < TABLE_COLS ? "  " : "\n");
    }
  if (!l->n)
    buf_puts(b, "(no sales in these days)\n");
  else if (l->v[0].r.total > (int64_t)l->n)
    buf_printf(b, "%zu of %lld rows\n", l->n, (long long)l->v[0].r.total);
  if (unpriced)
    buf_printf(b, "%lld units have no price yet: they count in units, not in revenue\n",
               (long long)unpriced);
  free(cell);
}

/* ---- the subcommands ------------------------------------------------------------ */

static int report_skus_cmd(struct store *st, const struct report_args *a) {
  struct report_request req = {0};
  struct report_note note = {0};
  struct shown_list rows = {0};
  struct err err = {0};
  struct buf out;
  int rc;
  req.sources = a->names;
  req.nsources = a->nnames;
  req.days = a->days;
  req.currency = *a->currency ? a->currency : NULL;
  req.order = a->order;
  req.limit = a->limit;
  req.now = wall_now();
  rc = report_skus(st, &req, keep, &rows, &note, &err);
  if (rc == MS_ENOTFOUND || rc == MS_EINVAL) {
    shown_release(&rows);
    return cmd_usage_error("report", "%s", err.msg);
  }
  if (rc) {
    shown_release(&rows);
    if (rc == MS_ENOMEM && !err.msg[0])
      snprintf(err.msg, sizeof(err.msg), "out of memory");
    return log_error(EXIT_PARTIAL, "report skus: %s", err.msg);
  }
  if (note.utc && (a->dates_given || a->days.preset))
    log_warn("report skus: the days of %s%s are UTC days: its time zone is learned at its "
             "first sync",
             note.utc_name, note.utc > 1 ? " and others" : "");
  buf_init(&out, 0);
  if (a->format == FORMAT_CSV)
    print_csv(&rows, &out);
  else if (a->format == FORMAT_JSON)
    print_json(&rows, &out);
  else
    print_table(&rows, &out);
  shown_release(&rows);
  rc = out.len && fwrite(out.data, 1, out.len, stdout) != out.len;
  buf_release(&out);
  if (rc || fflush(stdout) != 0)
    return log_error(EXIT_PARTIAL, "report skus: writing the report failed: %s", strerror(errno));
  return EXIT_OK;
}

static int report_refresh(struct store *st, const struct report_args *a) {
  struct sku_refresh_counts all = {0};
  struct err err = {0};
  int64_t now = wall_now();
  double t0 = mono_now();
  int rc = MS_OK;
  if (a->dates_given || a->days.preset || *a->currency || a->limit)
    return cmd_usage_error("report", "refresh takes only --source");
  for (size_t i = 0; !rc && i < (a->nnames ? a->nnames : 1); i++) {
    struct sku_refresh_counts c = {0};
    struct source_row row = {0};
    if (a->nnames) {
      if (st->ops->source_get(st, a->names[i], &row, &err))
        return cmd_usage_error("report", "%s", err.msg);
      source_row_release(&row);
    }
    rc = st->ops->report_refresh(st, a->nnames ? row.id : 0, now, &c, &err);
    all.sources += c.sources;
    all.days += c.days;
    all.rows += c.rows;
  }
  if (rc)
    return log_error(EXIT_PARTIAL, "report refresh: %s", err.msg);
  if (!g_opts.quiet)
    printf("summary of %lld source%s up to date: %lld day%s summarized anew (%lld rows) in "
           "%.1f s\n",
           (long long)all.sources, all.sources == 1 ? "" : "s", (long long)all.days,
           all.days == 1 ? "" : "s", (long long)all.rows, mono_now() - t0);
  return EXIT_OK;
}

int cmd_report(int argc, char **argv) {
  struct report_args a;
  struct store *st = NULL;
  int first, rc;
  memset(&a, 0, sizeof(a));
  if (argc < 2)
    return cmd_usage_error("report", "say which report: 'marketsync report skus'");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(report_help, stdout);
    return EXIT_OK;
  }
  a.sub = argv[1];
  if (strcmp(a.sub, "skus") != 0 && strcmp(a.sub, "refresh") != 0)
    return cmd_usage_error("report", "'%s' is not a report (skus, refresh)", a.sub);
  rc = cmd_parse("report", report_help, argc - 1, argv + 1, report_options, on_option, &a, &first);
  if (rc)
    return rc == CMD_HELP ? EXIT_OK : rc;
  if (first + 1 < argc)
    return cmd_usage_error("report", "unexpected argument '%s'", argv[first + 1]);
  if (a.days.preset && a.dates_given)
    return cmd_usage_error("report", "give either --range or --from/--to, not both");
  if (a.days.has_from && a.days.has_to && date_cmp(a.days.from, a.days.to) > 0)
    return cmd_usage_error("report", "--from is after --to");
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = strcmp(a.sub, "skus") == 0 ? report_skus_cmd(st, &a) : report_refresh(st, &a);
  store_close(st);
  return rc;
}
