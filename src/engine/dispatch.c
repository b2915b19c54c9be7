#include "engine/dispatch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "core/source.h"
#include "net/http.h"
#include "net/url.h"
#include "util/array.h"
#include "util/log.h"
#include "util/tz.h"

int event_type_matches(const char *list, const char *type) {
  const char *p = list;
  size_t tl = strlen(type);
  if (!list || !*list)
    return 1;
  while (*p) {
    size_t n = strcspn(p, ",");
    while (n && *p == ' ') {
      p++;
      n--;
    }
    if ((n == 1 && *p == '*') || (n == tl && strncmp(p, type, n) == 0) ||
        (n > 0 && p[n - 1] == '.' && n <= tl && strncmp(p, type, n) == 0))
      return 1;
    p += n;
    if (*p == ',')
      p++;
  }
  return 0;
}

char *event_json(const struct event_row *e) {
  cJSON *o = cJSON_CreateObject(), *data = cJSON_Parse(e->data ? e->data : "{}");
  char when[TIME_STR_LEN];
  char *text;
  time_format(e->created_at, 0, 1, when);
  cJSON_AddNumberToObject(o, "id", (double)e->id);
  cJSON_AddStringToObject(o, "type", e->type);
  cJSON_AddStringToObject(o, "created_at", when);
  if (e->source[0])
    cJSON_AddStringToObject(o, "source", e->source);
  if (e->stream[0])
    cJSON_AddStringToObject(o, "stream", e->stream);
  if (e->record_id)
    cJSON_AddStringToObject(o, "record_id", e->record_id);
  cJSON_AddItemToObject(o, "data", data ? data : cJSON_CreateObject());
  text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return text;
}

int webhook_sign(const char *secret, int64_t t, const char *body, size_t len, char *out, size_t n) {
  crypto_auth_hmacsha256_state st;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  char stamp[24], hex[2 * crypto_auth_hmacsha256_BYTES + 1];
  int sl = snprintf(stamp, sizeof(stamp), "%lld.", (long long)t);
  if (crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret)) ||
      crypto_auth_hmacsha256_update(&st, (const unsigned char *)stamp, (unsigned long long)sl) ||
      crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len) ||
      crypto_auth_hmacsha256_final(&st, mac))
    return MS_EINVAL;
  sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
  sodium_memzero(&st, sizeof(st));
  snprintf(out, n, "t=%lld,v1=%s", (long long)t, hex);
  return MS_OK;
}

/* The endpoint's signing secret, read from where it was configured. */
static int webhook_secret(const struct webhook_row *w, char **out, struct err *err) {
  cJSON *where = cJSON_Parse(w->secret ? w->secret : "{}");
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(where, "secret_env");
  const cJSON *file = cJSON_GetObjectItemCaseSensitive(where, "secret_file");
  int rc;
  if (cJSON_IsString(env))
    rc = secret_from_env(env->valuestring, out, err);
  else if (cJSON_IsString(file))
    rc = secret_from_file(file->valuestring, out, err);
  else
    rc = err_set(err, MS_EINVAL, "the webhook has no secret configured");
  cJSON_Delete(where);
  return rc;
}

/* Posts one event; MS_OK on 2xx. */
static int deliver(struct http_client *http, const struct webhook_row *w, const char *secret,
                   const struct event_row *e, int64_t now, struct err *err) {
  struct http_request req;
  struct http_response res;
  char *body = event_json(e), sig[160], id[24];
  int rc;
  if (!body)
    return err_set(err, MS_ENOMEM, "out of memory");
  http_request_init(&req);
  http_response_init(&res);
  snprintf(req.method, sizeof(req.method), "POST");
  snprintf(id, sizeof(id), "%lld", (long long)e->id);
  rc = buf_puts(&req.url, w->url);
  if (!rc)
    rc = buf_puts(&req.body, body);
  if (!rc)
    rc = webhook_sign(secret, now, body, strlen(body), sig, sizeof(sig));
  if (!rc)
    rc = http_request_header(&req, "Content-Type", "application/json", 0) ||
         http_request_header(&req, "X-Marketsync-Event", e->type, 0) ||
         http_request_header(&req, "X-Marketsync-Event-Id", id, 0) ||
         http_request_header(&req, "X-Marketsync-Signature", sig, 1);
  if (rc)
    rc = err_set(err, MS_ENOMEM, "out of memory");
  else
    rc = http_client_fetch(http, &req, &res, err);
  if (!rc && (res.status < 200 || res.status > 299))
    rc = err_set(err, MS_EPROTO, "event %lld: the endpoint answered HTTP %ld", (long long)e->id,
                 res.status);
  else if (rc)
    rc = err_set(err, rc, "event %lld: %s", (long long)e->id, err->msg);
  http_response_release(&res);
  http_request_release(&req);
  free(body);
  return rc;
}

static int64_t backoff(int failures) {
  double wait = DISPATCH_BACKOFF_FIRST * pow(2, failures > 0 ? failures : 0);
  if (wait > DISPATCH_BACKOFF_MAX)
    wait = DISPATCH_BACKOFF_MAX;
  return (int64_t)(wait * (0.8 + 0.4 * (randombytes_uniform(1000) / 1000.0)));
}

struct batch {
  struct event_row *v; /* copies */
  size_t n, cap;
};

static int take_event(void *ctx, const struct event_row *e) {
  struct batch *b = ctx;
  struct event_row *c;
  if (array_reserve((void **)&b->v, &b->cap, b->n + 1, sizeof(*b->v), 32))
    return MS_ENOMEM;
  c = &b->v[b->n];
  *c = *e;
  c->record_id = e->record_id ? strdup(e->record_id) : NULL;
  c->data = e->data ? strdup(e->data) : NULL;
  b->n++;
  return MS_OK;
}

static void batch_release(struct batch *b) {
  for (size_t i = 0; i < b->n; i++)
    event_row_release(&b->v[i]);
  free(b->v);
  memset(b, 0, sizeof(*b));
}

/* Brings one endpoint up to date, or to its first failure. */
static void serve_endpoint(struct store *st, struct http_client *http, struct webhook_row *w,
                           int64_t now, int64_t max_events, struct dispatch_report *rep) {
  struct err err = {0};
  char *secret = NULL, shown[URL_MAX + 8];
  int64_t at = w->delivered_id, sent = 0;
  int rc = webhook_secret(w, &secret, &err);
  url_no_query(w->url, shown, sizeof(shown));
  while (!rc && (!max_events || sent < max_events)) {
    struct event_filter f = {at, NULL, 0, DISPATCH_BATCH};
    struct batch b = {0};
    rc = st->ops->event_list(st, &f, take_event, &b, &err);
    for (size_t i = 0; !rc && i < b.n; i++) {
      if (!event_type_matches(w->events, b.v[i].type)) {
        rep->skipped++;
      } else {
        rc = deliver(http, w, secret, &b.v[i], now, &err);
        if (rc)
          break;
        rep->delivered++;
        sent++;
      }
      at = b.v[i].id;
      /* Kept after each delivery: a restart sends at most this one again. */
      rc = st->ops->webhook_delivered(st, w->id, at, &err);
    }
    if (b.n == 0) {
      batch_release(&b);
      break;
    }
    batch_release(&b);
  }
  if (rc) {
    int64_t retry = now + backoff(w->failures);
    struct err ignored = {0};
    rep->failures++;
    if (!rep->next || retry < rep->next)
      rep->next = retry;
    log_warn("webhook %lld (%s): %s; trying again in %lld s", (long long)w->id, shown, err.msg,
             (long long)(retry - now));
    st->ops->webhook_failed(st, w->id, retry, err.msg, &ignored);
  }
  if (secret) {
    sodium_memzero(secret, strlen(secret));
    free(secret);
  }
}

struct endpoints {
  struct webhook_row *v;
  size_t n, cap;
};

static int take_endpoint(void *ctx, const struct webhook_row *w) {
  struct endpoints *e = ctx;
  struct webhook_row *c;
  if (array_reserve((void **)&e->v, &e->cap, e->n + 1, sizeof(*e->v), 8))
    return MS_ENOMEM;
  c = &e->v[e->n++];
  *c = *w;
  c->url = strdup(w->url ? w->url : "");
  c->events = strdup(w->events ? w->events : "*");
  c->secret = strdup(w->secret ? w->secret : "{}");
  c->last_error = NULL;
  return c->url && c->events && c->secret ? MS_OK : MS_ENOMEM;
}

int dispatch_once(struct store *st, int64_t now, int64_t max_events, struct dispatch_report *rep,
                  struct err *err) {
  struct endpoints list = {0};
  struct http_client *http = NULL;
  struct http_client_opts hopts = {0};
  int rc;
  memset(rep, 0, sizeof(*rep));
  rc = st->ops->webhook_list(st, take_endpoint, &list, err);
  hopts.total_timeout_ms = DISPATCH_TIMEOUT_MS;
  hopts.connect_timeout_ms = DISPATCH_TIMEOUT_MS / 2;
  hopts.max_body = 1 << 20; /* what a receiver answers is not read */
  if (!rc && list.n)
    rc = http_client_new(&hopts, &http, err);
  for (size_t i = 0; !rc && i < list.n; i++) {
    struct webhook_row *w = &list.v[i];
    if (!w->enabled)
      continue;
    if (w->retry_at > now) {
      if (!rep->next || w->retry_at < rep->next)
        rep->next = w->retry_at;
      continue;
    }
    serve_endpoint(st, http, w, now, max_events, rep);
  }
  http_client_free(http);
  for (size_t i = 0; i < list.n; i++)
    webhook_row_release(&list.v[i]);
  free(list.v);
  return rc;
}
