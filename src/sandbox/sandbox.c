#include "sandbox/sandbox.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/tz.h"

void sb_config_defaults(struct sb_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  snprintf(cfg->host, sizeof(cfg->host), "127.0.0.1");
  cfg->seed = 1;
  cfg->days = 45;
  cfg->now = (int64_t)time(NULL);
  snprintf(cfg->token, sizeof(cfg->token), "shpat_sandbox_token");
  cfg->bucket_size = 40;
  cfg->leak_rate = 2;
  cfg->rate_limit = 1;
  cfg->threads = 2;
  cfg->log_entries = SB_REQLOG_ENTRIES;
  snprintf(cfg->lwa_client_id, sizeof(cfg->lwa_client_id), "amzn1.application-oa2-client.sandbox");
  snprintf(cfg->lwa_client_secret, sizeof(cfg->lwa_client_secret), "sandbox-client-secret");
  cfg->token_lifetime = 3600;
  cfg->sp_speed = 1;
  cfg->fault_seed = 1;
  cfg->fault_hang_ms = SB_FAULT_HANG_MS;
  cfg->fault_huge_bytes = SB_FAULT_HUGE_BYTES;
  sb_aff_config_defaults(&cfg->aff);
}

double sandbox_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t sandbox_now(const struct sandbox *sb) {
  return sb->cfg.now + (int64_t)(sandbox_mono() - sb->mono_start);
}

int64_t sandbox_now_ms(const struct sandbox *sb) {
  return sb->cfg.now * 1000 + (int64_t)((sandbox_mono() - sb->mono_start) * 1000.0);
}

uint64_t sandbox_ms(const struct sandbox *sb) {
  double d = sandbox_mono() - sb->mono_start;
  return d > 0 ? (uint64_t)(d * 1000.0) : 0;
}

struct gen_job {
  struct sandbox *sb; /* the sandbox being built */
  int seller;         /* 1: a seller, 0: a shop */
  int index;          /* which one */
  int rc;             /* result */
  struct err err;     /* message on failure */
};

static void *gen_thread(void *arg) {
  struct gen_job *j = arg;
  const struct sb_config *c = &j->sb->cfg;
  if (j->seller)
    j->rc = sb_seller_init(&j->sb->sellers[j->index], &c->sellers[j->index], j->index, c->seed,
                           c->now, c->days, &j->err);
  else
    j->rc = sb_shop_init(&j->sb->shops[j->index], &c->shops[j->index], j->index, c->seed, c->now,
                         c->days, &j->err);
  return NULL;
}

/* Shops and sellers are independent: generate them side by side. */
static int generate_all(struct sandbox *sb, struct err *err) {
  enum { MAX_JOBS = SB_MAX_SHOPS + SB_MAX_SELLERS };
  struct gen_job jobs[MAX_JOBS];
  pthread_t th[MAX_JOBS];
  int started[MAX_JOBS] = {0}, rc = MS_OK, n = 0;
  for (int i = 0; i < sb->cfg.nshops; i++)
    jobs[n++] = (struct gen_job){sb, 0, i, MS_OK, {0, ""}};
  for (int i = 0; i < sb->cfg.nsellers; i++)
    jobs[n++] = (struct gen_job){sb, 1, i, MS_OK, {0, ""}};
  for (int i = 0; i < n; i++) {
    started[i] = pthread_create(&th[i], NULL, gen_thread, &jobs[i]) == 0;
    if (!started[i])
      gen_thread(&jobs[i]);
  }
  for (int i = 0; i < n; i++) {
    if (started[i])
      pthread_join(th[i], NULL);
    if (jobs[i].rc && !rc)
      rc = err_set(err, jobs[i].rc, "%s", jobs[i].err.msg);
  }
  return rc;
}

static void seller_buckets_init(struct sandbox *sb) {
  double speed = sb->cfg.sp_speed > 0 ? sb->cfg.sp_speed : 1;
  for (int i = 0; i < sb->cfg.nsellers; i++) {
    sb_tbucket_init(&sb->sstate[i].orders, SB_SP_ORDERS_RATE * speed, SB_SP_ORDERS_BURST,
                    sb->cfg.rate_limit);
    sb_tbucket_init(&sb->sstate[i].items, SB_SP_ITEMS_RATE * speed, SB_SP_ITEMS_BURST,
                    sb->cfg.rate_limit);
    sb_tbucket_init(&sb->sstate[i].order, SB_SP_ORDER_RATE * speed, SB_SP_ORDER_BURST,
                    sb->cfg.rate_limit);
  }
}

/* Every shop and seller starts with --faults and its own stream. */
static void faults_init(struct sandbox *sb) {
  sb->fault_seed = sb->cfg.fault_seed;
  sb->fault_hang_ms = sb->cfg.fault_hang_ms;
  sb->fault_huge_bytes = sb->cfg.fault_huge_bytes;
  for (int i = 0; i < sb->cfg.nshops; i++) {
    sb_fault_state_init(&sb->state[i].faults, sb->shops[i].name);
    sb->state[i].faults.probs = sb->cfg.faults;
  }
  for (int i = 0; i < sb->cfg.nsellers; i++) {
    sb_fault_state_init(&sb->sstate[i].faults, sb->sellers[i].name);
    sb->sstate[i].faults.probs = sb->cfg.faults;
    sb->sstate[i].faults.probs.p[SB_FAULT_EXPIRED] = sb->cfg.faults.p[SB_FAULT_EXPIRED];
  }
  for (int i = 0; i < sb->cfg.nshops; i++)
    sb->state[i].faults.probs.p[SB_FAULT_EXPIRED] = 0; /* Shopify tokens never expire */
  for (int i = 0; sb->aff && i < sb->aff->n; i++) {
    struct sb_aff_account *a = &sb->aff->accounts[i];
    sb_fault_state_init(&a->faults, a->name);
    a->faults.probs = sb->cfg.faults;
    if (a->net != SB_NET_ADMITAD)
      a->faults.probs.p[SB_FAULT_EXPIRED] = 0; /* Boostiny keys never expire */
  }
}

int sandbox_new(const struct sb_config *cfg, struct sandbox **out, struct err *err) {
  struct sandbox *sb;
  int rc;
  if (cfg->nshops < 0 || cfg->nshops > SB_MAX_SHOPS || cfg->nsellers < 0 ||
      cfg->nsellers > SB_MAX_SELLERS ||
      cfg->nshops + cfg->nsellers + cfg->aff.nadmitad + cfg->aff.nboostiny < 1)
    return err_set(err, MS_EINVAL,
                   "the sandbox needs 1 to %d shops, 1 to %d sellers or an affiliate account",
                   SB_MAX_SHOPS, SB_MAX_SELLERS);
  if (sodium_init() < 0)
    return err_set(err, MS_EIO, "cannot initialise libsodium");
  sb = calloc(1, sizeof(*sb));
  if (!sb)
    return err_set(err, MS_ENOMEM, "out of memory");
  sb->cfg = *cfg;
  pthread_mutex_init(&sb->lock, NULL);
  /* One spare entry each, so that none of the arrays is a zero-size calloc. */
  sb->shops = calloc((size_t)cfg->nshops + 1, sizeof(*sb->shops));
  sb->state = calloc((size_t)cfg->nshops + 1, sizeof(*sb->state));
  sb->sellers = calloc((size_t)cfg->nsellers + 1, sizeof(*sb->sellers));
  sb->sstate = calloc((size_t)cfg->nsellers + 1, sizeof(*sb->sstate));
  if (!sb->shops || !sb->state || !sb->sellers || !sb->sstate ||
      sb_reqlog_init(&sb->log, cfg->log_entries ? cfg->log_entries : SB_REQLOG_ENTRIES,
                     SB_REQLOG_BYTES)) {
    sandbox_free(sb);
    return err_set(err, MS_ENOMEM, "out of memory");
  }
  rc = generate_all(sb, err);
  if (!rc)
    rc = sb_aff_new(&cfg->aff, cfg->seed, cfg->now, cfg->days, cfg->rate_limit, &sb->aff, err);
  if (rc) {
    sandbox_free(sb);
    return rc;
  }
  for (int i = 0; i < cfg->nshops; i++) {
    sb_bucket_init(&sb->state[i].bucket, cfg->bucket_size, cfg->leak_rate, cfg->rate_limit);
    sb->state[i].scopes = SB_SCOPES_ALL & ~cfg->shops[i].denied_scopes;
  }
  seller_buckets_init(sb);
  faults_init(sb);
  sb_key_derive(cfg->seed, 1, sb->access_key);
  sb_key_derive(cfg->seed, 2, sb->next_key);
  sb->mono_start = sandbox_mono();
  *out = sb;
  return MS_OK;
}

void sandbox_free(struct sandbox *sb) {
  if (!sb)
    return;
  if (sb->shops)
    for (int i = 0; i < sb->cfg.nshops; i++)
      sb_shop_release(&sb->shops[i]);
  if (sb->sellers)
    for (int i = 0; i < sb->cfg.nsellers; i++)
      sb_seller_release(&sb->sellers[i]);
  free(sb->shops);
  free(sb->state);
  free(sb->sellers);
  free(sb->sstate);
  sb_aff_free(sb->aff);
  sb_reqlog_release(&sb->log);
  pthread_mutex_destroy(&sb->lock);
  free(sb);
}

struct sb_shop *sandbox_shop(struct sandbox *sb, const char *name, size_t len) {
  for (int i = 0; i < sb->cfg.nshops; i++)
    if (strlen(sb->shops[i].name) == len && memcmp(sb->shops[i].name, name, len) == 0)
      return &sb->shops[i];
  return NULL;
}

struct sb_seller *sandbox_seller(struct sandbox *sb, const char *name, size_t len) {
  for (int i = 0; i < sb->cfg.nsellers; i++)
    if (strlen(sb->sellers[i].name) == len && memcmp(sb->sellers[i].name, name, len) == 0)
      return &sb->sellers[i];
  return NULL;
}

struct sb_shop_state *sandbox_state(struct sandbox *sb, const struct sb_shop *shop) {
  return &sb->state[shop->index];
}

void sb_response_init(struct sb_response *res) {
  memset(res, 0, sizeof(*res));
  res->status = 200;
  res->content_type = "application/json; charset=utf-8";
  buf_init(&res->body, 0);
}

void sb_response_release(struct sb_response *res) {
  buf_release(&res->body);
  for (int i = 0; i < res->nheaders; i++)
    free(res->headers[i].value);
  if (res->stream_free)
    res->stream_free(res->stream_ctx);
  res->nheaders = 0;
  res->stream = NULL;
  res->stream_free = NULL;
  res->stream_ctx = NULL;
}

int sb_response_header(struct sb_response *res, const char *name, const char *value) {
  if (res->nheaders == SB_MAX_HEADERS)
    return MS_ETOOBIG;
  char *v = strdup(value);
  if (!v)
    return MS_ENOMEM;
  snprintf(res->headers[res->nheaders].name, sizeof(res->headers[0].name), "%s", name);
  res->headers[res->nheaders++].value = v;
  return MS_OK;
}

void sb_response_error(struct sb_response *res, int status, const char *message) {
  res->status = status;
  buf_reset(&res->body);
  buf_puts(&res->body, "{\"errors\":");
  buf_json_str(&res->body, message);
  buf_puts(&res->body, "}");
}

static const char *const scope_names[] = {"read_orders", "read_products", "read_customers",
                                          "read_inventory", "read_locations"};

const char *sb_scope_name(unsigned scope) {
  for (unsigned i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); i++)
    if (scope == 1u << i)
      return scope_names[i];
  return NULL;
}

int sb_scopes_parse(const char *list, unsigned *out, struct err *err) {
  *out = 0;
  while (*list) {
    size_t n = strcspn(list, ","), i;
    for (i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); i++)
      if (strlen(scope_names[i]) == n && strncmp(list, scope_names[i], n) == 0)
        break;
    if (i == sizeof(scope_names) / sizeof(scope_names[0]))
      return err_set(err, MS_EINVAL,
                     "unknown scope '%.*s'; the scopes are read_orders, read_products, "
                     "read_customers, read_inventory and read_locations",
                     (int)(n < 40 ? n : 40), list);
    *out |= 1u << i;
    list += n + (list[n] == ',');
  }
  return MS_OK;
}

int sb_scopes_json(unsigned scopes, struct buf *out) {
  int rc = buf_putc(out, '['), first = 1;
  for (unsigned i = 0; !rc && i < sizeof(scope_names) / sizeof(scope_names[0]); i++) {
    if (!(scopes & (1u << i)))
      continue;
    rc = buf_printf(out, "%s\"%s\"", first ? "" : ",", scope_names[i]);
    first = 0;
  }
  return rc ? rc : buf_putc(out, ']');
}

/* "Fri, 20 Nov 2026 12:00:00 GMT" (RFC 7231's IMF-fixdate) of t. */
static void imf_date(int64_t t, char *out, size_t len) {
  static const char days[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t dn = t >= 0 ? t / 86400 : (t - 86399) / 86400, secs = t - dn * 86400;
  struct civil_date d = date_from_days(dn);
  snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[((dn % 7) + 7) % 7], d.d,
           months[(d.m - 1) % 12], d.y, (int)(secs / 3600), (int)(secs / 60 % 60),
           (int)(secs % 60));
}

void sandbox_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res) {
  char date[40];
  if (strncmp(req->path, "/_sandbox/", 10) == 0 || strcmp(req->path, "/_sandbox") == 0)
    sb_admin_handle(sb, req, res);
  else if (sb_amazon_path(req->path))
    sb_amazon_handle(sb, req, res);
  else if (sb_aff_path(req->path))
    sb_aff_handle(sb, req, res);
  else
    sb_shopify_handle(sb, req, res);
  imf_date(sandbox_now(sb), date, sizeof(date));
  sb_response_header(res, "Date", date);
}
