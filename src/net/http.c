#include "net/http.h"
#include "net/url.h"
#include "util/clock.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#define DEFAULT_MAX_BODY (64u * 1024 * 1024)

void http_request_init(struct http_request *req) {
  memset(req, 0, sizeof(*req));
  snprintf(req->method, sizeof(req->method), "GET");
  buf_init(&req->url, 16384);
  buf_init(&req->body, 0);
}

void http_request_reset(struct http_request *req) {
  for (int i = 0; i < req->nheaders; i++)
    free(req->headers[i]);
  req->nheaders = 0;
  req->secret_headers = 0;
  buf_reset(&req->url);
  buf_reset(&req->body);
  snprintf(req->method, sizeof(req->method), "GET");
  req->endpoint[0] = '\0';
}

void http_request_release(struct http_request *req) {
  http_request_reset(req);
  buf_release(&req->url);
  buf_release(&req->body);
}

int http_request_header(struct http_request *req, const char *name, const char *value, int secret) {
  struct buf b;
  int rc;
  if (req->nheaders >= HTTP_MAX_HEADERS)
    return MS_ETOOBIG;
  buf_init(&b, 8192);
  rc = buf_printf(&b, "%s: %s", name, value);
  if (rc) {
    buf_release(&b);
    return rc;
  }
  if (secret)
    req->secret_headers |= 1 << req->nheaders;
  req->headers[req->nheaders++] = buf_detach(&b);
  return MS_OK;
}

void http_response_init(struct http_response *res) {
  memset(res, 0, sizeof(*res));
  buf_init(&res->body, DEFAULT_MAX_BODY);
}

static void response_clear_headers(struct http_response *res) {
  for (size_t i = 0; i < res->nheaders; i++) {
    free(res->headers[i].name);
    free(res->headers[i].value);
  }
  res->nheaders = 0;
}

void http_response_release(struct http_response *res) {
  response_clear_headers(res);
  free(res->headers);
  buf_release(&res->body);
  memset(res, 0, sizeof(*res));
}

const char *http_response_header(const struct http_response *res, const char *name) {
  for (size_t i = 0; i < res->nheaders; i++)
    if (strcasecmp(res->headers[i].name, name) == 0)
      return res->headers[i].value;
  return NULL;
}

int http_response_add_header(struct http_response *res, const char *name, size_t nlen,
                             const char *value, size_t vlen) {
  if (res->nheaders >= 128)
    return MS_ETOOBIG; /* a hostile server does not get unbounded memory */
  if (res->nheaders == res->headers_cap) {
    size_t cap = res->headers_cap ? res->headers_cap * 2 : 16;
    struct http_header *p = realloc(res->headers, cap * sizeof(*p));
    if (!p)
      return MS_ENOMEM;
    res->headers = p;
    res->headers_cap = cap;
  }
  struct http_header *h = &res->headers[res->nheaders];
  h->name = strndup(name, nlen);
  h->value = strndup(value, vlen);
  if (!h->name || !h->value) {
    free(h->name);
    free(h->value);
    return MS_ENOMEM;
  }
  res->nheaders++;
  return MS_OK;
}

/* One transfer in flight. */
struct transfer {
  CURL *easy;               /* reused across requests */
  struct curl_slist *hdrs;  /* request headers */
  struct http_request *req; /* borrowed from the caller */
  struct http_response res; /* filled while the transfer runs */
  void *tag;                /* the caller's */
  double started;           /* monotonic seconds */
  int too_big;              /* body over the limit */
  int in_use;               /* 1 while attached to the multi handle */
};

#define MAX_TRANSFERS 256 /* a run over a thousand sources keeps this many in flight */

struct http_client {
  CURLM *multi;                         /* the multi handle */
  CURLSH *share;                        /* shared DNS and connection cache */
  struct http_client_opts opts;         /* with defaults filled in */
  char user_agent[64];                  /* default agent */
  struct transfer xfers[MAX_TRANSFERS]; /* slots, reused */
  int running;                          /* transfers attached */
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
  struct transfer *t = userdata;
  size_t n = size * nmemb;
  if (buf_append(&t->res.body, ptr, n)) {
    t->too_big = 1;
    return 0; /* aborts the transfer */
  }
  return n;
}

static size_t on_header(char *ptr, size_t size, size_t nitems, void *userdata) {
  struct transfer *t = userdata;
  size_t n = size * nitems, nlen, vstart, vend;
  const char *colon;
  if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
    response_clear_headers(&t->res); /* a new response (after 100 or a redirect) */
    return n;
  }
  colon = memchr(ptr, ':', n);
  if (!colon)
    return n;
  nlen = (size_t)(colon - ptr);
  vstart = nlen + 1;
  while (vstart < n && (ptr[vstart] == ' ' || ptr[vstart] == '\t'))
    vstart++;
  vend = n;
  while (vend > vstart && isspace((unsigned char)ptr[vend - 1]))
    vend--;
  if (http_response_add_header(&t->res, ptr, nlen, ptr + vstart, vend - vstart))
    return 0;
  return n;
}

int http_client_new(const struct http_client_opts *opts, struct http_client **out,
                    struct err *err) {
  static int global_done;
  struct http_client *c;
  if (!global_done) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return err_set(err, MS_EIO, "cannot initialise libcurl");
    global_done = 1;
  }
  c = calloc(1, sizeof(*c));
  if (!c)
    return err_set(err, MS_ENOMEM, "out of memory");
  if (opts)
    c->opts = *opts;
  if (!c->opts.connect_timeout_ms)
    c->opts.connect_timeout_ms = 10000;
  if (!c->opts.total_timeout_ms)
    c->opts.total_timeout_ms = 120000;
  if (!c->opts.low_speed_bytes)
    c->opts.low_speed_bytes = 1;
  if (!c->opts.low_speed_secs)
    c->opts.low_speed_secs = 30;
  if (!c->opts.max_body)
    c->opts.max_body = DEFAULT_MAX_BODY;
  snprintf(c->user_agent, sizeof(c->user_agent), "marketsync/%s (Language=C; Platform=Linux)",
           MS_VERSION);
  if (!c->opts.user_agent)
    c->opts.user_agent = c->user_agent;
  c->multi = curl_multi_init();
  c->share = curl_share_init();
  if (!c->multi || !c->share) {
    http_client_free(c);
    return err_set(err, MS_ENOMEM, "cannot create HTTP client");
  }
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  /* Requests over this wait inside libcurl, where no rate model sees them:
   * the order the server counts them in then differs from the order we sent
   * them, and the leak learned from its headers goes wrong. Many sources
   * share one host (every Amazon seller of a region, sandbox shops), so the
   * bound is high; each (source, stream) has only a few in flight anyway. */
  curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 128L);
  *out = c;
  return MS_OK;
}

void http_client_free(struct http_client *c) {
  if (!c)
    return;
  for (int i = 0; i < MAX_TRANSFERS; i++) {
    struct transfer *t = &c->xfers[i];
    if (t->easy) {
      if (t->in_use)
        curl_multi_remove_handle(c->multi, t->easy);
      curl_easy_cleanup(t->easy);
    }
    curl_slist_free_all(t->hdrs);
    http_response_release(&t->res);
  }
  if (c->multi)
    curl_multi_cleanup(c->multi);
  if (c->share)
    curl_share_cleanup(c->share);
  free(c);
}

static int transfer_setup(struct http_client *c, struct transfer *t, struct http_request *req) {
  CURL *e;
  if (!t->easy) {
    t->easy = curl_easy_init();
    if (!t->easy)
      return MS_ENOMEM;
    http_response_init(&t->res);
  }
  e = t->easy;
  curl_easy_reset(e);
  http_response_release(&t->res);
  http_response_init(&t->res);
  t->res.body.limit = c->opts.max_body;
  curl_slist_free_all(t->hdrs);
  t->hdrs = NULL;
  for (int i = 0; i < req->nheaders; i++) {
    struct curl_slist *n = curl_slist_append(t->hdrs, req->headers[i]);
    if (!n)
      return MS_ENOMEM;
    t->hdrs = n;
  }
  t->req = req;
  t->too_big = 0;
  curl_easy_setopt(e, CURLOPT_URL, req->url.data);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->hdrs);
  curl_easy_setopt(e, CURLOPT_USERAGENT, c->opts.user_agent);
  curl_easy_setopt(e, CURLOPT_SHARE, c->share);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->opts.total_timeout_ms);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, c->opts.low_speed_bytes);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, c->opts.low_speed_secs);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  if (strcmp(req->method, "GET") != 0) {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body.data ? req->body.data : "");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)req->body.len);
  }
  return MS_OK;
}

int http_client_has_room(const struct http_client *c) {
  return c->running < MAX_TRANSFERS;
}

int http_client_send(struct http_client *c, struct http_request *req, void *tag, struct err *err) {
  struct transfer *t = NULL;
  int rc;
  for (int i = 0; i < MAX_TRANSFERS && !t; i++)
    if (!c->xfers[i].in_use)
      t = &c->xfers[i];
  if (!t)
    return err_set(err, MS_EBUSY, "too many requests in flight");
  if (!req->url.data || !req->url.len)
    return err_set(err, MS_EINVAL, "request without a URL");
  rc = transfer_setup(c, t, req);
  if (rc)
    return err_set(err, rc, "cannot prepare HTTP request");
  t->tag = tag;
  t->started = mono_now();
  if (curl_multi_add_handle(c->multi, t->easy) != CURLM_OK)
    return err_set(err, MS_EIO, "cannot start HTTP request");
  t->in_use = 1;
  c->running++;
  return MS_OK;
}

/* Maps a failed transfer to our codes: network trouble is transient, a host
 * that cannot be reached at all is told apart. */
static int map_curl(CURLcode cc) {
  switch (cc) {
  case CURLE_OK:
    return MS_OK;
  case CURLE_OUT_OF_MEMORY:
    return MS_ENOMEM;
  case CURLE_URL_MALFORMAT:
  case CURLE_UNSUPPORTED_PROTOCOL:
    return MS_EINVAL;
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
    return MS_EFATAL;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
    return MS_EUNREACH; /* nothing answers there: every request would fail alike */
  default:
    return MS_ETRANSIENT;
  }
}

static void finish(struct http_client *c, struct transfer *t, CURLcode cc, http_done_fn done) {
  long status = 0;
  curl_multi_remove_handle(c->multi, t->easy);
  t->in_use = 0;
  c->running--;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  t->res.done_at = mono_now();
  t->res.elapsed = t->res.done_at - t->started;
  if (t->too_big) {
    t->res.transport_rc = MS_ETOOBIG;
    snprintf(t->res.transport_error, sizeof(t->res.transport_error),
             "response body larger than the %zu-byte limit", c->opts.max_body);
    t->res.status = 0;
  } else if (cc != CURLE_OK) {
    char origin[128];
    url_origin(t->req->url.data, origin, sizeof(origin));
    t->res.transport_rc = map_curl(cc);
    snprintf(t->res.transport_error, sizeof(t->res.transport_error), "%s (%s)",
             curl_easy_strerror(cc), origin);
    t->res.status = 0;
  } else {
    t->res.status = status;
  }
  done(t->tag, t->req, &t->res);
}

int http_client_poll(struct http_client *c, long timeout_ms, http_done_fn done) {
  int still = 0, left = 0;
  CURLMsg *msg;
  if (c->running == 0)
    return 0;
  curl_multi_perform(c->multi, &still);
  if (still == c->running && timeout_ms > 0) {
    curl_multi_poll(c->multi, NULL, 0, (int)timeout_ms, NULL);
    curl_multi_perform(c->multi, &still);
  }
  while ((msg = curl_multi_info_read(c->multi, &left))) {
    struct transfer *t = NULL;
    if (msg->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
    finish(c, t, msg->data.result, done);
  }
  return c->running;
}

int http_client_running(const struct http_client *c) {
  return c->running;
}

struct fetch_ctx {
  struct http_response *out; /* where the single response goes */
  int done;                  /* set by the callback */
};

static void fetch_done(void *tag, struct http_request *req, struct http_response *res) {
  struct fetch_ctx *f = tag;
  struct http_response *o = f->out;
  (void)req;
  /* Move the response out of the transfer slot. */
  http_response_release(o);
  *o = *res;
  http_response_init(res);
  f->done = 1;
}

int http_client_fetch(struct http_client *c, struct http_request *req, struct http_response *res,
                      struct err *err) {
  struct fetch_ctx f = {res, 0};
  int rc = http_client_send(c, req, &f, err);
  if (rc)
    return rc;
  while (!f.done)
    http_client_poll(c, 1000, fetch_done);
  return MS_OK;
}
