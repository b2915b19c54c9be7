/* marketsync failed: records that could not be stored, listed and retried. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "engine/session.h"
#include "util/json.h"
#include "core/source.h"
#include "store/store.h"
#include "util/log.h"

#define RETRY_IDS_MAX 100000 /* failed records one retry takes on */

static const char failed_help[] =
    "usage: marketsync failed list [NAME] [--json]\n"
    "       marketsync failed retry --all | ID...\n\n"
    "A record the database cannot take (no id, over a size limit, refused by a\n"
    "constraint) does not fail its day: it is kept aside with the reason, and the rest\n"
    "of its page is stored.\n\n"
    "  list    one line per record still not stored: id, source, stream, day, external\n"
    "          id, attempts, when it last failed and why (--json: one object a line)\n"
    "  retry   reads each record again from the JSON the API sent and stores it (an\n"
    "          older copy never replaces a newer one); the source's secrets must be\n"
    "          available, but nothing is fetched\n\n"
    "Exit status: 0 all stored, 1 some still fail, 2 bad arguments (such as an\n"
    "unknown id).\n";

static int64_t now_utc(void) {
  return (int64_t)time(NULL);
}

/* ---- list ------------------------------------------------------------ */

struct list_ctx {
  int json; /* --json */
  int n;    /* rows printed */
};

static int print_failed(void *ctx, const struct failed_row *f) {
  struct list_ctx *c = ctx;
  char when[TIME_STR_LEN];
  time_format(f->last_failed_at, 0, 1, when);
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    char *text;
    cJSON_AddNumberToObject(o, "id", (double)f->id);
    cJSON_AddStringToObject(o, "source", f->source);
    cJSON_AddStringToObject(o, "stream", f->stream);
    cJSON_AddStringToObject(o, "day", f->day);
    if (f->external_id)
      cJSON_AddStringToObject(o, "external_id", f->external_id);
    else
      cJSON_AddNullToObject(o, "external_id");
    cJSON_AddNumberToObject(o, "attempts", (double)f->attempts);
    cJSON_AddStringToObject(o, "error", f->error ? f->error : "");
    cJSON_AddNumberToObject(o, "first_failed_at", (double)f->first_failed_at);
    cJSON_AddNumberToObject(o, "last_failed_at", (double)f->last_failed_at);
    text = cJSON_PrintUnformatted(o);
    printf("%s\n", text ? text : "{}");
    free(text);
    cJSON_Delete(o);
  } else {
    if (c->n == 0)
      printf("%-6s %-14s %-8s %-10s %-20s %8s  %-20s  %s\n", "ID", "SOURCE", "STREAM", "DAY",
             "EXTERNAL ID", "ATTEMPTS", "LAST FAILED", "ERROR");
    printf("%-6lld %-14s %-8s %-10s %-20.40s %8lld  %-20s  %s\n", (long long)f->id, f->source,
           f->stream, f->day, f->external_id ? f->external_id : "-", (long long)f->attempts, when,
           f->error ? f->error : "");
  }
  c->n++;
  return MS_OK;
}

static int failed_list(struct store *st, int argc, char **argv) {
  struct list_ctx c = {0, 0};
  struct source_row src = {0};
  const char *name = NULL;
  struct err err = {0};
  int rc;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      c.json = 1;
    else if (argv[i][0] == '-' || name)
      return cmd_usage_error("failed", "unexpected argument '%s'", argv[i]);
    else
      name = argv[i];
  }
  if (name) {
    rc = st->ops->source_get(st, name, &src, &err);
    if (rc == MS_ENOTFOUND)
      return cmd_usage_error("failed", "there is no source named '%s'", name);
    if (rc)
      return log_error(EXIT_PARTIAL, "%s", err.msg);
    source_row_release(&src);
  }
  rc = st->ops->failed_list(st, src.id, print_failed, &c, &err);
  if (rc)
    return log_error(EXIT_PARTIAL, "%s", err.msg);
  if (!c.n && !c.json)
    printf("no records are waiting: every record received was stored\n");
  return EXIT_OK;
}

/* ---- retry ----------------------------------------------------------- */

/* A source opened for re-reading records: connector state, no network. */
struct opened {
  int64_t source_id;   /* the source */
  struct session sess; /* sess.conn NULL when it could not be opened */
};

struct retry_ctx {
  int64_t *ids; /* failed records to retry */
  size_t n, cap;
  struct opened *open; /* sources opened so far */
  size_t nopen;
  int64_t stored, failing, skipped;
};

static int collect_id(void *ctx, const struct failed_row *f) {
  struct retry_ctx *r = ctx;
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 64;
    int64_t *v;
    if (cap > RETRY_IDS_MAX)
      return MS_ETOOBIG;
    v = realloc(r->ids, cap * sizeof(*v));
    if (!v)
      return MS_ENOMEM;
    r->ids = v;
    r->cap = cap;
  }
  r->ids[r->n++] = f->id;
  return MS_OK;
}

static int parse_id(const char *s, int64_t *out) {
  char *end;
  long long v;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 1)
    return MS_EINVAL;
  *out = v;
  return MS_OK;
}

/* The opened connector of the source, opening it on first use; NULL (with
 * the reason logged once) when it cannot re-read records. */
static struct opened *source_for(struct store *st, struct retry_ctx *r, int64_t source_id) {
  struct source_row row = {0};
  struct err err = {0};
  struct opened *o, *v;
  for (size_t i = 0; i < r->nopen; i++)
    if (r->open[i].source_id == source_id)
      return r->open[i].sess.conn ? &r->open[i] : NULL;
  v = realloc(r->open, (r->nopen + 1) * sizeof(*v));
  if (!v) {
    log_error(MS_ENOMEM, "out of memory");
    return NULL;
  }
  r->open = v;
  o = &r->open[r->nopen++];
  memset(o, 0, sizeof(*o));
  o->source_id = source_id;
  if (st->ops->source_get_id(st, source_id, &row, &err)) {
    log_error(MS_ENOTFOUND, "%s", err.msg);
    return NULL;
  }
  if (session_from_row(NULL, &row, 0, &o->sess, &err)) {
    log_error(MS_EINVAL,
              "cannot re-read the records of source %s: %s; make it usable as for a "
              "sync, then retry",
              row.name, err.msg);
    source_row_release(&row);
    return NULL;
  }
  source_row_release(&row);
  if (!o->sess.conn->parse_record) {
    log_error(MS_EINVAL, "source %s: connector '%s' cannot re-read stored records",
              o->sess.src.row.name, o->sess.conn->name);
    session_close(&o->sess);
    return NULL;
  }
  return o;
}

static void opened_release(struct retry_ctx *r) {
  for (size_t i = 0; i < r->nopen; i++)
    session_close(&r->open[i].sess);
  free(r->open);
  free(r->ids);
}

/* Parses the record again and stores it, or counts one more failure. A
 * database failure (not the record's fault) stops the retry. */
static int retry_one(struct store *st, struct retry_ctx *r, const struct failed_row *f) {
  struct opened *o = source_for(st, r, f->source_id);
  struct record rec;
  struct err err = {0};
  int rc;
  if (!o) {
    r->skipped++;
    return MS_OK;
  }
  memset(&rec, 0, sizeof(rec));
  rc = o->sess.conn->parse_record(o->sess.cstate, f->raw, strlen(f->raw), &rec, &err);
  if (!rc)
    rc = st->ops->failed_resolve(st, f->id, &rec, now_utc(), &err);
  record_release(&rec);
  if (!rc) {
    r->stored++;
    log_info("failed record %lld (%s %s) stored", (long long)f->id, f->source,
             f->external_id ? f->external_id : "without id");
    return MS_OK;
  }
  if (rc != MS_EINVAL && rc != MS_EPROTO && rc != MS_ETOOBIG)
    return log_error(rc, "failed record %lld: %s", (long long)f->id, err.msg);
  r->failing++;
  log_warn("failed record %lld (%s %s) still fails: %s", (long long)f->id, f->source,
           f->external_id ? f->external_id : "without id", err.msg);
  {
    struct err again = {0};
    rc = st->ops->failed_again(st, f->id, err.msg, now_utc(), &again);
    if (rc)
      return log_error(rc, "%s", again.msg);
  }
  return MS_OK;
}

static int failed_retry(struct store *st, int argc, char **argv) {
  struct retry_ctx r = {0};
  struct err err = {0};
  int all = 0, rc = MS_OK, exit_code;
  for (int i = 2; i < argc; i++) {
    int64_t id;
    if (strcmp(argv[i], "--all") == 0) {
      all = 1;
    } else if (parse_id(argv[i], &id) == MS_OK) {
      struct failed_row f;
      rc = st->ops->failed_get(st, id, &f, &err);
      if (rc == MS_ENOTFOUND || (!rc && f.resolved_at)) {
        if (!rc)
          failed_row_release(&f);
        opened_release(&r);
        return cmd_usage_error("failed",
                               "there is no failed record %lld waiting to be stored; "
                               "'marketsync failed list' shows them",
                               (long long)id);
      }
      if (rc) {
        opened_release(&r);
        return log_error(EXIT_PARTIAL, "%s", err.msg);
      }
      rc = collect_id(&r, &f);
      failed_row_release(&f);
      if (rc) {
        opened_release(&r);
        return log_error(EXIT_PARTIAL, "too many ids");
      }
    } else {
      opened_release(&r);
      return cmd_usage_error("failed", "'%s' is not the id of a failed record", argv[i]);
    }
  }
  if (all == (r.n > 0)) {
    opened_release(&r);
    return cmd_usage_error("failed", "retry takes --all or the ids of failed records");
  }
  if (all) {
    rc = st->ops->failed_list(st, 0, collect_id, &r, &err);
    if (rc) {
      opened_release(&r);
      return log_error(EXIT_PARTIAL, "%s",
                       rc == MS_ETOOBIG ? "too many failed records for one retry" : err.msg);
    }
  }
  for (size_t i = 0; i < r.n && !rc; i++) {
    struct failed_row f;
    rc = st->ops->failed_get(st, r.ids[i], &f, &err);
    if (rc) {
      log_error(rc, "%s", err.msg);
      break;
    }
    if (f.resolved_at) { /* an id given twice */
      failed_row_release(&f);
      continue;
    }
    rc = retry_one(st, &r, &f);
    failed_row_release(&f);
  }
  printf("retried %lld: %lld stored, %lld still failing\n", (long long)(r.stored + r.failing),
         (long long)r.stored, (long long)r.failing);
  if (r.skipped)
    printf("%lld not retried: their source could not be opened (see above)\n",
           (long long)r.skipped);
  exit_code = !rc && !r.failing && !r.skipped ? EXIT_OK : EXIT_PARTIAL;
  opened_release(&r);
  return exit_code;
}

int cmd_failed(int argc, char **argv) {
  struct store *st = NULL;
  int rc;
  if (argc < 2)
    return cmd_usage_error("failed", "say 'list' or 'retry'");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(failed_help, stdout);
    return EXIT_OK;
  }
  if (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "retry") != 0)
    return cmd_usage_error("failed", "unknown subcommand '%s'; say 'list' or 'retry'", argv[1]);
  for (int i = 2; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0) {
      fputs(failed_help, stdout);
      return EXIT_OK;
    }
  rc = cmd_open_store(&st);
  if (rc)
    return rc;
  rc = strcmp(argv[1], "list") == 0 ? failed_list(st, argc, argv) : failed_retry(st, argc, argv);
  store_close(st);
  return rc;
}
