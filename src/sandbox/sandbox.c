#include "sandbox/sandbox.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

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
}

double sandbox_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t sandbox_now(const struct sandbox *sb) {
  return sb->cfg.now + (int64_t)(sandbox_mono() - sb->mono_start);
}

uint64_t sandbox_ms(const struct sandbox *sb) {
  double d = sandbox_mono() - sb->mono_start;
  return d > 0 ? (uint64_t)(d * 1000.0) : 0;
}

struct gen_job {
  struct sandbox *sb; /* the sandbox being built */
  int index;          /* shop to generate */
  int rc;             /* result */
  struct err err;     /* message on failure */
};

static void *gen_thread(void *arg) {
  struct gen_job *j = arg;
  const struct sb_config *c = &j->sb->cfg;
  j->rc = sb_shop_init(&j->sb->shops[j->index], &c->shops[j->index], j->index, c->seed, c->now,
                       c->days, &j->err);
  return NULL;
}

/* Shops are independent: generate them side by side. */
static int generate_shops(struct sandbox *sb, struct err *err) {
  struct gen_job jobs[SB_MAX_SHOPS];
  pthread_t th[SB_MAX_SHOPS];
  int started[SB_MAX_SHOPS] = {0}, rc = MS_OK;
  for (int i = 0; i < sb->cfg.nshops; i++) {
    jobs[i] = (struct gen_job){sb, i, MS_OK, {0, ""}};
    started[i] = pthread_create(&th[i], NULL, gen_thread, &jobs[i]) == 0;
    if (!started[i])
      gen_thread(&jobs[i]);
  }
  for (int i = 0; i < sb->cfg.nshops; i++) {
    if (started[i])
      pthread_join(th[i], NULL);
    if (jobs[i].rc && !rc)
      rc = err_set(err, jobs[i].rc, "%s", jobs[i].err.msg);
  }
  return rc;
}

int sandbox_new(const struct sb_config *cfg, struct sandbox **out, struct err *err) {
  struct sandbox *sb;
  int rc;
  if (cfg->nshops < 1 || cfg->nshops > SB_MAX_SHOPS)
    return err_set(err, MS_EINVAL, "the sandbox needs 1 to %d shops", SB_MAX_SHOPS);
  sb = calloc(1, sizeof(*sb));
  if (!sb)
    return err_set(err, MS_ENOMEM, "out of memory");
  sb->cfg = *cfg;
  pthread_mutex_init(&sb->lock, NULL);
  sb->shops = calloc((size_t)cfg->nshops, sizeof(*sb->shops));
  sb->state = calloc((size_t)cfg->nshops, sizeof(*sb->state));
  if (!sb->shops || !sb->state ||
      sb_reqlog_init(&sb->log, cfg->log_entries ? cfg->log_entries : SB_REQLOG_ENTRIES,
                     SB_REQLOG_BYTES)) {
    sandbox_free(sb);
    return err_set(err, MS_ENOMEM, "out of memory");
  }
  rc = generate_shops(sb, err);
  if (rc) {
    sandbox_free(sb);
    return rc;
  }
  for (int i = 0; i < cfg->nshops; i++)
    sb_bucket_init(&sb->state[i].bucket, cfg->bucket_size, cfg->leak_rate, cfg->rate_limit);
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
  free(sb->shops);
  free(sb->state);
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

void sandbox_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res) {
  if (strncmp(req->path, "/_sandbox/", 10) == 0 || strcmp(req->path, "/_sandbox") == 0)
    sb_admin_handle(sb, req, res);
  else
    sb_shopify_handle(sb, req, res);
}
