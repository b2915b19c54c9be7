/* The affiliate accounts' part of /_sandbox/: naming an account, ground
 * truth, mutations, token expiry, lockout release, and their lines in
 * /_sandbox/info and /_sandbox/stats. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/params.h"
#include "sandbox/sandbox.h"

static const char *const target_keys[] = {"admitad", "boostiny", "account"};

int sb_aff_named(const struct sb_params *p) {
  for (int k = 0; k < 3; k++)
    if (sb_params_get(p, target_keys[k]))
      return 1;
  return 0;
}

int sb_aff_target(struct sandbox *sb, const struct sb_params *p, struct sb_response *res,
                  struct sb_aff_account **a) {
  const char *name = NULL;
  char msg[200];
  int given = 0, key = -1;
  *a = NULL;
  for (int k = 0; k < 3; k++)
    if (sb_params_get(p, target_keys[k])) {
      given++;
      key = k;
      name = sb_params_get(p, target_keys[k]);
    }
  if (!given)
    return MS_OK;
  if (given > 1 || sb_params_get(p, "shop") || sb_params_get(p, "seller")) {
    sb_response_error(res, 400,
                      "name one shop, seller or account: give only one of shop, "
                      "seller, admitad, boostiny and account");
    return MS_EINVAL;
  }
  *a = sb_aff_find(sb->aff, key == 2 ? -1 : key, name, strlen(name));
  if (!*a) {
    snprintf(msg, sizeof(msg), "unknown %s account '%.60s'; GET /_sandbox/info lists the accounts",
             key == 0   ? "Admitad"
             : key == 1 ? "Boostiny"
                        : "affiliate",
             name);
    sb_response_error(res, 404, msg);
    return MS_ENOTFOUND;
  }
  return MS_OK;
}

static int parse_count(const char *s, long long max, long long *out) {
  char *end;
  if (!s || !*s || *s == '-' || *s == '+')
    return MS_EINVAL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < 0 || v > max)
    return MS_EINVAL;
  *out = v;
  return MS_OK;
}

/* ---- resources ---- */

enum resource { RES_RECORDS, RES_CAMPAIGNS, RES_COUPONS, RES_BAD };

/* actions (Admitad) or performance (Boostiny) are the default. */
static enum resource resource_of(const struct sb_aff_account *a, const char *v) {
  if (!v || strcmp(v, a->net == SB_NET_ADMITAD ? "actions" : "performance") == 0)
    return RES_RECORDS;
  if (strcmp(v, "campaigns") == 0)
    return RES_CAMPAIGNS;
  if (strcmp(v, "coupons") == 0)
    return RES_COUPONS;
  return RES_BAD;
}

static void bad_resource(const struct sb_aff_account *a, struct sb_response *res) {
  sb_response_error(res, 400,
                    a->net == SB_NET_ADMITAD
                        ? "resource must be actions (the default), campaigns or coupons"
                        : "resource must be performance (the default), campaigns or coupons");
}

/* ---- the ground truth, streamed ---- */

struct perf_rec {
  struct sb_bst_sum sum; /* the row as one sum */
  int32_t day;           /* its day */
};

struct truth_stream {
  struct sb_aff_account *a;          /* the account (immutable parts only) */
  enum resource what;                /* what is streamed */
  struct sb_adm_action *actions;     /* copied entries */
  uint32_t *seqs;                    /* their positions */
  struct sb_aff_campaign *campaigns; /* copied campaigns */
  struct sb_aff_coupon *coupons;     /* copied coupons */
  size_t *idx;                       /* their positions */
  struct perf_rec *perf;             /* Boostiny rows */
  size_t n;                          /* records */
  size_t next;                       /* next to render */
  struct buf pending;                /* rendered, not yet sent */
  size_t sent;                       /* bytes of pending already sent */
};

static void truth_free(void *ctx) {
  struct truth_stream *s = ctx;
  if (!s)
    return;
  free(s->actions);
  free(s->seqs);
  free(s->campaigns);
  free(s->coupons);
  free(s->idx);
  free(s->perf);
  buf_release(&s->pending);
  free(s);
}

static int render_one(struct truth_stream *s, size_t i) {
  struct sb_aff_account *a = s->a;
  int adm = a->net == SB_NET_ADMITAD;
  char date[DATE_STR_LEN];
  switch (s->what) {
  case RES_RECORDS:
    if (adm)
      return sb_adm_action_render(a, s->seqs[i], &s->actions[i], &s->pending);
    date_format(date_from_days(s->perf[i].day), date);
    return sb_bst_perf_render(a, &s->perf[i].sum, date, &s->pending);
  case RES_CAMPAIGNS:
    return adm ? sb_adm_campaign_render(a, s->idx[i], &s->campaigns[i], &s->pending)
               : sb_bst_campaign_render(a, s->idx[i], &s->campaigns[i], &s->pending);
  default:
    return adm ? sb_adm_coupon_render(a, s->idx[i], &s->coupons[i], &s->pending)
               : sb_bst_coupon_render(a, s->idx[i], &s->coupons[i], &s->pending);
  }
}

static ssize_t truth_next(void *ctx, char *out, size_t max) {
  struct truth_stream *s = ctx;
  size_t avail;
  while (s->pending.len - s->sent < max && s->next < s->n)
    if (render_one(s, s->next++) || buf_putc(&s->pending, '\n'))
      return -1;
  avail = s->pending.len - s->sent;
  if (avail > max)
    avail = max;
  if (avail)
    memcpy(out, s->pending.data + s->sent, avail);
  s->sent += avail;
  if (s->sent == s->pending.len) {
    buf_reset(&s->pending);
    s->sent = 0;
  }
  return (ssize_t)avail;
}

/* Copies what the truth shows, under the lock. */
static int snapshot_actions(struct sandbox *sb, struct truth_stream *s,
                            const struct sb_adm_query *q) {
  struct sb_aff_account *a = s->a;
  uint32_t *pos = NULL;
  size_t n = 0;
  int rc;
  pthread_mutex_lock(&sb->lock);
  rc = sb_adm_select(a, q, &pos, &n);
  if (!rc) {
    s->actions = malloc((n + 1) * sizeof(*s->actions));
    s->seqs = malloc((n + 1) * sizeof(*s->seqs));
    if (!s->actions || !s->seqs)
      rc = MS_ENOMEM;
  }
  for (size_t i = 0; !rc && i < n; i++) {
    s->seqs[i] = pos[i];
    s->actions[i] = a->actions[pos[i]];
  }
  pthread_mutex_unlock(&sb->lock);
  free(pos);
  s->n = rc ? 0 : n;
  return rc;
}

static int snapshot_catalog(struct sandbox *sb, struct truth_stream *s) {
  struct sb_aff_account *a = s->a;
  int rc = MS_OK, coupons = s->what == RES_COUPONS;
  pthread_mutex_lock(&sb->lock);
  size_t total = coupons ? a->ncoupons : a->ncampaigns;
  s->idx = malloc((total + 1) * sizeof(*s->idx));
  if (coupons)
    s->coupons = malloc((total + 1) * sizeof(*s->coupons));
  else
    s->campaigns = malloc((total + 1) * sizeof(*s->campaigns));
  if (!s->idx || (!s->coupons && !s->campaigns))
    rc = MS_ENOMEM;
  for (size_t i = 0; !rc && i < total; i++) {
    if (coupons ? !sb_aff_coupon_listed(a, i) : a->campaigns[i].deleted)
      continue;
    s->idx[s->n] = i;
    if (coupons)
      s->coupons[s->n++] = a->coupons[i];
    else
      s->campaigns[s->n++] = a->campaigns[i];
  }
  pthread_mutex_unlock(&sb->lock);
  return rc;
}

static int snapshot_perf(struct sandbox *sb, struct truth_stream *s, int32_t from, int32_t to) {
  struct sb_aff_account *a = s->a;
  int rc = MS_OK;
  pthread_mutex_lock(&sb->lock);
  size_t lo = sb_bst_rows_from(a, from),
         hi = to == INT32_MAX ? a->nrows : sb_bst_rows_from(a, to + 1);
  s->perf = malloc((hi - lo + 1) * sizeof(*s->perf));
  if (!s->perf)
    rc = MS_ENOMEM;
  for (size_t i = lo; !rc && i < hi; i++) {
    struct perf_rec *r = &s->perf[s->n++];
    memset(r, 0, sizeof(*r));
    r->day = a->rows[i].day;
    r->sum.code = a->rows[i].code;
    sb_bst_sum_add(a, &r->sum, &a->rows[i]);
  }
  pthread_mutex_unlock(&sb->lock);
  return rc;
}

/* from/to of the Boostiny truth: YYYY-MM-DD, inclusive. */
static int truth_day(const struct sb_params *p, const char *name, int32_t dflt, int32_t *out,
                     struct sb_response *res) {
  const char *v = sb_params_get(p, name);
  struct civil_date d;
  char msg[120];
  *out = dflt;
  if (!v)
    return MS_OK;
  if (date_parse(v, &d, NULL)) {
    snprintf(msg, sizeof(msg), "%s must be a date such as 2026-11-20", name);
    sb_response_error(res, 400, msg);
    return MS_EINVAL;
  }
  *out = (int32_t)date_to_days(d);
  return MS_OK;
}

void sb_aff_truth(struct sandbox *sb, struct sb_aff_account *a, const struct sb_params *p,
                  struct sb_response *res) {
  enum resource what = resource_of(a, sb_params_get(p, "resource"));
  struct truth_stream *s;
  struct sb_adm_query q;
  int32_t from = INT32_MIN, to = INT32_MAX;
  int rc;
  if (what == RES_BAD) {
    bad_resource(a, res);
    return;
  }
  if (what == RES_RECORDS && a->net == SB_NET_ADMITAD) {
    if (sb_adm_query_parse(sb, a, p, 1, &q, res))
      return;                  /* 400 with the API's own error body */
    q.order = SB_ADM_DATE_ASC; /* ascending by action_id, whatever order_by says */
  }
  if (what == RES_RECORDS && a->net == SB_NET_BOOSTINY &&
      (truth_day(p, "from", INT32_MIN, &from, res) || truth_day(p, "to", INT32_MAX, &to, res)))
    return;
  s = calloc(1, sizeof(*s));
  if (!s) {
    sb_response_error(res, 500, "out of memory");
    return;
  }
  s->a = a;
  s->what = what;
  buf_init(&s->pending, 0);
  if (what == RES_RECORDS)
    rc = a->net == SB_NET_ADMITAD ? snapshot_actions(sb, s, &q) : snapshot_perf(sb, s, from, to);
  else
    rc = snapshot_catalog(sb, s);
  if (rc) {
    truth_free(s);
    sb_response_error(res, 500, "out of memory");
    return;
  }
  res->stream = truth_next;
  res->stream_free = truth_free;
  res->stream_ctx = s;
  res->content_type = "application/x-ndjson; charset=utf-8";
}

/* ---- mutations ---- */

struct mutation {
  long long update, create, remove; /* asked for, per account */
  const char *resource;             /* as given, or NULL */
  int days;                         /* Boostiny: rows of the last `days` days change */
};

/* One account, under the lock. Returns MS_ETOOBIG when it cannot hold more. */
static int mutate_one(struct sb_aff_account *a, const struct mutation *m, enum resource what,
                      int64_t now, unsigned long long *u, unsigned long long *c,
                      unsigned long long *d) {
  int adm = a->net == SB_NET_ADMITAD;
  for (long long k = 0; k < m->update; k++) {
    long r = what == RES_CAMPAIGNS ? sb_aff_campaign_update(a, now)
             : what == RES_COUPONS ? sb_aff_coupon_update(a, now)
             : adm                 ? sb_adm_update_one(a, now)
                                   : sb_bst_update_row(a, now, m->days);
    if (r < 0)
      break;
    (*u)++;
  }
  for (long long k = 0; k < m->create; k++) {
    long r;
    if (what == RES_RECORDS && adm) {
      if (sb_adm_create_action(a, now))
        return MS_ETOOBIG;
      r = 0;
    } else {
      r = what == RES_CAMPAIGNS ? sb_aff_campaign_create(a, now)
          : what == RES_COUPONS ? sb_aff_coupon_create(a, now)
                                : sb_bst_create_row(a, now);
    }
    if (r < 0)
      break;
    (*c)++;
  }
  for (long long k = 0; k < m->remove; k++) {
    long r = what == RES_CAMPAIGNS ? sb_aff_campaign_delete(a, now) : sb_aff_coupon_delete(a, now);
    if (r < 0)
      break;
    (*d)++;
  }
  return MS_OK;
}

int sb_aff_mutate(struct sandbox *sb, struct sb_aff_account *a, const struct sb_params *p,
                  unsigned long long *updated, unsigned long long *created,
                  unsigned long long *deleted, struct sb_response *res) {
  struct mutation m = {0, 0, 0, sb_params_get(p, "resource"), SB_BST_RECENT_DAYS};
  const char *u = sb_params_get(p, "update"), *c = sb_params_get(p, "create"),
             *d = sb_params_get(p, "delete"), *days = sb_params_get(p, "days");
  long long nd = 0;
  int rc = MS_OK;
  if ((u && parse_count(u, SB_MUTATE_MAX, &m.update)) ||
      (c && parse_count(c, SB_MUTATE_MAX, &m.create)) ||
      (d && parse_count(d, SB_MUTATE_MAX, &m.remove)) ||
      (days && (parse_count(days, SB_MAX_DAYS, &nd) || nd < 1))) {
    sb_response_error(res, 400,
                      "update, create and delete must be whole numbers from 0 to 1000000, days "
                      "from 1 to 3650");
    return MS_EINVAL;
  }
  if (days)
    m.days = (int)nd;
  if (a) {
    enum resource what = resource_of(a, m.resource);
    if (what == RES_BAD) {
      bad_resource(a, res);
      return MS_EINVAL;
    }
    if (what == RES_RECORDS && m.remove) {
      sb_response_error(res, 400,
                        a->net == SB_NET_ADMITAD
                            ? "actions are never deleted; delete applies to campaigns and coupons"
                            : "performance rows are never deleted; delete applies to campaigns "
                              "and coupons");
      return MS_EINVAL;
    }
  }
  pthread_mutex_lock(&sb->lock);
  int64_t now = sandbox_now(sb);
  for (int i = 0; !rc && sb->aff && i < sb->aff->n; i++) {
    struct sb_aff_account *x = &sb->aff->accounts[i];
    enum resource what = resource_of(x, m.resource);
    if ((a && x != a) || what == RES_BAD)
      continue; /* for all accounts, a resource of the other network is skipped */
    struct mutation mm = m;
    if (what == RES_RECORDS)
      mm.remove = 0;
    rc = mutate_one(x, &mm, what, now, updated, created, deleted);
  }
  pthread_mutex_unlock(&sb->lock);
  if (rc) {
    sb_response_error(res, 507, "the sandbox cannot hold more records for this account");
    return rc;
  }
  return MS_OK;
}

/* ---- POST /_sandbox/admitad/expire-tokens and /_sandbox/boostiny/unlock ---- */

static void expire_tokens(struct sandbox *sb, struct sb_aff_account *a, const struct sb_params *p,
                          struct sb_response *res) {
  long long refresh = 0;
  const char *v = sb_params_get(p, "refresh");
  int64_t now = sandbox_now_ms(sb) + 1;
  if (a && a->net != SB_NET_ADMITAD) {
    sb_response_error(res, 400, "Boostiny API keys do not expire; name an Admitad account");
    return;
  }
  if (v && parse_count(v, 1, &refresh)) {
    sb_response_error(res, 400, "refresh must be 0 or 1");
    return;
  }
  pthread_mutex_lock(&sb->lock);
  buf_puts(&res->body, "{\"admitad\":[");
  for (int i = 0, first = 1; i < sb->aff->n; i++) {
    struct sb_aff_account *x = &sb->aff->accounts[i];
    if (x->net != SB_NET_ADMITAD || (a && x != a))
      continue;
    x->revoked_ms = now;
    if (refresh)
      x->refresh_revoked_ms = now;
    buf_printf(&res->body, "%s\"%s\"", first ? "" : ",", x->name);
    first = 0;
  }
  pthread_mutex_unlock(&sb->lock);
  buf_puts(&res->body, "]}");
}

static void unlock(struct sandbox *sb, struct sb_aff_account *a, struct sb_response *res) {
  if (a && a->net != SB_NET_BOOSTINY) {
    sb_response_error(res, 400, "only Boostiny accounts are locked out; name a Boostiny account");
    return;
  }
  pthread_mutex_lock(&sb->lock);
  buf_puts(&res->body, "{\"boostiny\":{");
  for (int i = 0, first = 1; i < sb->aff->n; i++) {
    struct sb_aff_account *x = &sb->aff->accounts[i];
    if (x->net != SB_NET_BOOSTINY || (a && x != a))
      continue;
    buf_printf(&res->body, "%s\"%s\":{\"was_locked\":%s}", first ? "" : ",", x->name,
               x->locked_until > sandbox_mono() ? "true" : "false");
    x->locked_until = 0;
    x->abuse.n = 0;
    sb_fwin_init(&x->throttle, x->throttle.limit, x->throttle.window);
    first = 0;
  }
  pthread_mutex_unlock(&sb->lock);
  buf_puts(&res->body, "}}");
}

int sb_aff_admin_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res) {
  static const char *const paths[] = {"/_sandbox/admitad/expire-tokens",
                                      "/_sandbox/boostiny/unlock"};
  struct sb_aff_account *a;
  struct sb_params *p;
  int r = strcmp(req->path, paths[0]) == 0 ? 0 : strcmp(req->path, paths[1]) == 0 ? 1 : -1;
  if (r < 0)
    return 0;
  if (strcmp(req->method, "POST") != 0) {
    char msg[96];
    snprintf(msg, sizeof(msg), "Method Not Allowed: use POST for %s", paths[r]);
    sb_response_header(res, "Allow", "POST");
    sb_response_error(res, 405, msg);
    return 1;
  }
  p = malloc(sizeof(*p));
  if (!p) {
    sb_response_error(res, 500, "out of memory");
    return 1;
  }
  if (sb_params_parse(p, req->query) != SB_PARAMS_OK)
    sb_response_error(res, 400, "The query string has too many parameters or cannot be decoded.");
  else if (sb_aff_target(sb, p, res, &a) == MS_OK)
    r == 0 ? expire_tokens(sb, a, p, res) : unlock(sb, a, res);
  free(p);
  return 1;
}

/* ---- info and stats ---- */

void sb_aff_info_json(struct sandbox *sb, struct buf *b) {
  const struct sb_aff_config *c = &sb->aff->cfg;
  buf_printf(b,
             ",\"admitad\":{\"api_url\":\"%s/admitad\",\"token_url\":\"%s/admitad/token/\","
             "\"token_lifetime\":%d,\"limit\":%d,\"speed\":%g,\"accounts\":[",
             sb->base_url, sb->base_url, c->token_lifetime, c->admitad_limit, c->speed);
  pthread_mutex_lock(&sb->lock);
  for (int i = 0, first = 1; i < sb->aff->n; i++) {
    const struct sb_aff_account *a = &sb->aff->accounts[i];
    if (a->net != SB_NET_ADMITAD)
      continue;
    buf_printf(b, "%s{\"name\":\"%s\",\"timezone\":\"%s\",\"website_id\":%llu,\"client_id\":",
               first ? "" : ",", a->name, a->tzid, (unsigned long long)a->website_id);
    buf_json_str(b, a->secret1);
    buf_puts(b, ",\"client_secret\":");
    buf_json_str(b, a->secret2);
    buf_printf(b, ",\"actions\":%zu,\"campaigns\":%zu,\"coupons\":%zu}", a->nactions, a->ncampaigns,
               a->ncoupons);
    first = 0;
  }
  buf_printf(b,
             "]},\"boostiny\":{\"api_url\":\"%s/boostiny\",\"limit\":%d,\"lockout_after\":%d,"
             "\"lockout_minutes\":%d,\"speed\":%g,\"accounts\":[",
             sb->base_url, c->boostiny_limit, c->lockout_after, c->lockout_minutes, c->speed);
  for (int i = 0, first = 1; i < sb->aff->n; i++) {
    const struct sb_aff_account *a = &sb->aff->accounts[i];
    if (a->net != SB_NET_BOOSTINY)
      continue;
    buf_printf(b, "%s{\"name\":\"%s\",\"timezone\":\"%s\",\"api_key\":", first ? "" : ",", a->name,
               a->tzid);
    buf_json_str(b, a->secret1);
    buf_printf(b, ",\"rows\":%zu,\"campaigns\":%zu,\"coupons\":%zu}", a->nrows, a->ncampaigns,
               a->ncoupons);
    first = 0;
  }
  pthread_mutex_unlock(&sb->lock);
  buf_puts(b, "]}");
}

void sb_aff_stats_members(const struct sb_aff_account *a, struct buf *b) {
  buf_printf(b, "\"requests\":%llu,\"throttled\":%llu,", (unsigned long long)a->requests,
             (unsigned long long)a->throttled);
  if (a->net == SB_NET_ADMITAD)
    buf_printf(b, "\"actions\":%zu,", a->nactions);
  else
    buf_printf(b, "\"lockouts\":%llu,\"locked\":%s,\"rows\":%zu,", (unsigned long long)a->lockouts,
               a->locked_until > sandbox_mono() ? "true" : "false", a->nrows);
  buf_printf(b, "\"campaigns\":%zu,\"coupons\":%zu,", a->ncampaigns, a->ncoupons);
}
