#include "net/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "util/clock.h"

#define CONN_MEMORY (128 * 1024) /* per connection: holds the request line and headers */

/* A connection held by a hang fault, suspended until its deadline. */
struct hang {
  struct MHD_Connection *con; /* suspended */
  double deadline;            /* monotonic seconds */
  struct hang *next;          /* list */
};

struct http_server {
  struct MHD_Daemon *daemon; /* libmicrohttpd */
  struct srv_config cfg;     /* as started */
  int port;                  /* bound port */
  char base_url[96];         /* "http://HOST:PORT" */
  pthread_t waker;           /* resumes hung connections */
  int waker_started;         /* waker runs */
  pthread_mutex_t hang_lock; /* guards hangs and stopping */
  pthread_cond_t hang_cond;  /* a hang was added, or stopping */
  struct hang *hangs;        /* suspended connections */
  int stopping;              /* the waker resumes everything and exits */
};

/* Per request, from the URI log callback to the completion callback. */
struct conn_req {
  char *uri;        /* raw request target, NULL when too long */
  int uri_too_long; /* over URI_KEEP */
  size_t body;      /* bytes of body received */
  char *kept;       /* its first body_keep bytes, NUL-terminated, or NULL */
  size_t kept_len;  /* bytes in kept */
  int started;      /* the access handler ran once */
  int hung;         /* suspended by a hang fault: close when resumed */
};

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *con) {
  struct http_server *srv = cls;
  struct conn_req *r = calloc(1, sizeof(*r));
  size_t n;
  (void)con;
  if (!r)
    return NULL;
  n = strnlen(uri, srv->cfg.uri_max + 1);
  if (n > srv->cfg.uri_max) {
    r->uri_too_long = 1;
    n = srv->cfg.uri_max;
  }
  r->uri = strndup(uri, n);
  return r;
}

static void completed(void *cls, struct MHD_Connection *con, void **req_cls,
                      enum MHD_RequestTerminationCode toe) {
  struct conn_req *r = *req_cls;
  (void)cls;
  (void)con;
  (void)toe;
  if (!r)
    return;
  free(r->uri);
  free(r->kept);
  free(r);
  *req_cls = NULL;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max) {
  struct srv_response *res = cls;
  (void)pos;
  ssize_t n = res->stream(res->stream_ctx, buf, max);
  if (n < 0)
    return MHD_CONTENT_READER_END_WITH_ERROR;
  if (n == 0)
    return MHD_CONTENT_READER_END_OF_STREAM;
  return n;
}

static void reader_free(void *cls) {
  struct srv_response *res = cls;
  srv_response_release(res);
  free(res);
}

/* ---- answers sent badly on purpose ---- */

/* A body sent only up to cut, then the connection is dropped. */
struct cut_body {
  char *body;                 /* the whole body (its length is declared) */
  size_t cut;                 /* bytes sent before dropping */
  int rst;                    /* end with a TCP reset rather than a close */
  struct MHD_Connection *con; /* to find the socket */
};

static ssize_t cut_reader(void *cls, uint64_t pos, char *buf, size_t max) {
  struct cut_body *c = cls;
  if (pos >= c->cut) {
    if (c->rst) {
      /* connect(AF_UNSPEC) disconnects a TCP socket at once with a RST and
       * leaves the descriptor to libmicrohttpd, which then closes it. */
      const union MHD_ConnectionInfo *ci =
          MHD_get_connection_info(c->con, MHD_CONNECTION_INFO_CONNECTION_FD);
      struct sockaddr sa;
      memset(&sa, 0, sizeof(sa));
      sa.sa_family = AF_UNSPEC;
      if (ci)
        (void)connect(ci->connect_fd, &sa, sizeof(sa));
    }
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  size_t n = c->cut - (size_t)pos < max ? c->cut - (size_t)pos : max;
  memcpy(buf, c->body + pos, n);
  return (ssize_t)n;
}

static void cut_free(void *cls) {
  struct cut_body *c = cls;
  free(c->body);
  free(c);
}

static struct MHD_Response *cut_response(struct srv_response *res, struct MHD_Connection *con) {
  struct cut_body *c = calloc(1, sizeof(*c));
  struct MHD_Response *mr;
  size_t len = res->body.len;
  if (!c)
    return NULL;
  c->cut = res->cut < len ? res->cut : len;
  c->rst = res->wire == SRV_WIRE_CUT_RST;
  c->con = con;
  c->body = buf_detach(&res->body);
  mr = MHD_create_response_from_callback(len, 64 * 1024, cut_reader, c, cut_free);
  if (!mr)
    cut_free(c);
  return mr;
}

static void *waker_main(void *arg) {
  struct http_server *srv = arg;
  pthread_mutex_lock(&srv->hang_lock);
  for (;;) {
    double now = mono_now(), next = now + 3600;
    struct hang **pp = &srv->hangs;
    while (*pp) {
      struct hang *h = *pp;
      if (srv->stopping || h->deadline <= now) {
        *pp = h->next;
        MHD_resume_connection(h->con);
        free(h);
      } else {
        if (h->deadline < next)
          next = h->deadline;
        pp = &h->next;
      }
    }
    if (srv->stopping)
      break;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double wait = next - now, sec = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + wait;
    ts.tv_sec = (time_t)sec;
    ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(&srv->hang_cond, &srv->hang_lock, &ts);
  }
  pthread_mutex_unlock(&srv->hang_lock);
  return NULL;
}

/* Holds the connection without an answer for ms milliseconds; the access
 * handler then closes it. Returns MHD_NO when it cannot. */
static enum MHD_Result hang_start(struct http_server *srv, struct MHD_Connection *con,
                                  struct conn_req *r, unsigned ms) {
  struct hang *h = calloc(1, sizeof(*h));
  if (!h || !srv->waker_started) {
    free(h);
    return MHD_NO;
  }
  h->con = con;
  h->deadline = mono_now() + ms / 1000.0;
  pthread_mutex_lock(&srv->hang_lock);
  if (srv->stopping) {
    pthread_mutex_unlock(&srv->hang_lock);
    free(h);
    return MHD_NO;
  }
  r->hung = 1;
  MHD_suspend_connection(con);
  h->next = srv->hangs;
  srv->hangs = h;
  pthread_cond_signal(&srv->hang_cond);
  pthread_mutex_unlock(&srv->hang_lock);
  return MHD_YES;
}

/* The client's address as text, "" when unknown. */
static void peer_text(struct MHD_Connection *con, char *out, size_t n) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = ci ? ci->client_addr : NULL;
  out[0] = '\0';
  if (sa && sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
              (socklen_t)n);
  else if (sa && sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
              (socklen_t)n);
}

const char *srv_request_header(const struct srv_request *req, const char *name) {
  return req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name) : NULL;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *con, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls) {
  struct http_server *srv = cls;
  struct conn_req *r = *req_cls;
  struct srv_request req;
  struct srv_response *res;
  struct MHD_Response *mr;
  enum MHD_Result ret;
  char *path, *query, peer[64];
  (void)url;
  (void)version;
  if (!r || r->hung)
    return MHD_NO; /* out of memory in uri_log, or a hang is over: drop the connection */
  if (!r->started) {
    r->started = 1;
    return MHD_YES; /* headers are in; the body (if any) comes next */
  }
  if (*upload_data_size) {
    size_t keep = srv->cfg.body_keep;
    size_t room = r->kept_len < keep ? keep - r->kept_len : 0;
    size_t take = *upload_data_size < room ? *upload_data_size : room;
    if (take && !r->kept && !(r->kept = malloc(keep + 1)))
      return MHD_NO;
    if (take) {
      memcpy(r->kept + r->kept_len, upload_data, take);
      r->kept_len += take;
      r->kept[r->kept_len] = '\0';
    }
    r->body += *upload_data_size;
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (!r->uri)
    return MHD_NO;
  path = r->uri;
  query = strchr(path, '?');
  if (query)
    *query++ = '\0';
  else
    query = "";
  {
    char *hash = strchr(query, '#');
    if (hash)
      *hash = '\0';
  }
  peer_text(con, peer, sizeof(peer));
  memset(&req, 0, sizeof(req));
  req.method = method;
  req.path = path;
  req.query = query;
  req.body = r->kept;
  req.body_len = r->kept_len;
  req.body_truncated = r->body > srv->cfg.body_keep;
  req.body_too_big = r->body > srv->cfg.body_max;
  req.uri_too_long = r->uri_too_long;
  req.peer = peer;
  req.conn = con;
  res = malloc(sizeof(*res));
  if (!res)
    return MHD_NO;
  srv_response_init(res);
  srv->cfg.handler(srv->cfg.ctx, &req, res);
  if (res->wire == SRV_WIRE_HANG) {
    unsigned ms = res->hang_ms;
    srv_response_release(res);
    free(res);
    return hang_start(srv, con, r, ms);
  }
  if (res->wire == SRV_WIRE_CUT_FIN || res->wire == SRV_WIRE_CUT_RST) {
    mr = cut_response(res, con);
    if (!mr) {
      srv_response_release(res);
      free(res);
      return MHD_NO;
    }
  } else if (res->stream) {
    mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, reader, res, reader_free);
    if (!mr) {
      reader_free(res);
      return MHD_NO;
    }
  } else {
    size_t len = res->body.len;
    char *body = buf_detach(&res->body);
    mr = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!mr) {
      free(body);
      srv_response_release(res);
      free(res);
      return MHD_NO;
    }
  }
  MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
  for (int i = 0; i < res->nheaders; i++)
    MHD_add_response_header(mr, res->headers[i].name, res->headers[i].value);
  ret = MHD_queue_response(con, (unsigned int)res->status, mr);
  MHD_destroy_response(mr);
  if (!res->stream) {
    srv_response_release(res);
    free(res);
  }
  return ret;
}

void srv_response_init(struct srv_response *res) {
  memset(res, 0, sizeof(*res));
  res->status = 200;
  res->content_type = "application/json; charset=utf-8";
  buf_init(&res->body, 0);
}

void srv_response_release(struct srv_response *res) {
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

int srv_response_header(struct srv_response *res, const char *name, const char *value) {
  char *v;
  if (res->nheaders == SRV_MAX_HEADERS || strlen(name) >= sizeof(res->headers[0].name))
    return MS_ETOOBIG;
  v = strdup(value);
  if (!v)
    return MS_ENOMEM;
  snprintf(res->headers[res->nheaders].name, sizeof(res->headers[0].name), "%s", name);
  res->headers[res->nheaders++].value = v;
  return MS_OK;
}

int srv_start(const struct srv_config *cfg, struct http_server **out, struct err *err) {
  struct http_server *srv = calloc(1, sizeof(*srv));
  struct sockaddr_storage ss;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  unsigned int flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY | MHD_ALLOW_SUSPEND_RESUME;
  const union MHD_DaemonInfo *info;
  int ipv6 = 0;
  if (!srv)
    return err_set(err, MS_ENOMEM, "out of memory");
  memset(&ss, 0, sizeof(ss));
  if (inet_pton(AF_INET, cfg->host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)cfg->port);
  } else if (inet_pton(AF_INET6, cfg->host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)cfg->port);
    flags |= MHD_USE_IPv6;
    ipv6 = 1;
  } else {
    free(srv);
    return err_set(err, MS_EINVAL, "'%s' is not an IP address", cfg->host);
  }
  srv->cfg = *cfg;
  if (!srv->cfg.threads)
    srv->cfg.threads = 1;
  if (!srv->cfg.uri_max)
    srv->cfg.uri_max = 8192;
  if (!srv->cfg.timeout_s)
    srv->cfg.timeout_s = 120;
  pthread_mutex_init(&srv->hang_lock, NULL);
  pthread_cond_init(&srv->hang_cond, NULL);
  srv->daemon = MHD_start_daemon(
      flags, (uint16_t)cfg->port, NULL, NULL, access_handler, srv, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)srv->cfg.threads,
      MHD_OPTION_URI_LOG_CALLBACK, uri_log, srv, MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT,
      srv->cfg.timeout_s, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000, MHD_OPTION_END);
  if (!srv->daemon) {
    pthread_mutex_destroy(&srv->hang_lock);
    pthread_cond_destroy(&srv->hang_cond);
    free(srv);
    return err_set(err, MS_EIO, "cannot listen on %s port %d (in use, or not an address here?)",
                   cfg->host, cfg->port);
  }
  srv->waker_started = pthread_create(&srv->waker, NULL, waker_main, srv) == 0;
  info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
  srv->port = info ? info->port : cfg->port;
  snprintf(srv->base_url, sizeof(srv->base_url), ipv6 ? "http://[%s]:%d" : "http://%s:%d",
           cfg->host, srv->port);
  *out = srv;
  return MS_OK;
}

int srv_port(const struct http_server *srv) {
  return srv->port;
}

const char *srv_base_url(const struct http_server *srv) {
  return srv->base_url;
}

void srv_stop(struct http_server *srv) {
  if (!srv)
    return;
  /* Suspended connections must be resumed before the daemon stops. */
  if (srv->waker_started) {
    pthread_mutex_lock(&srv->hang_lock);
    srv->stopping = 1;
    pthread_cond_signal(&srv->hang_cond);
    pthread_mutex_unlock(&srv->hang_lock);
    pthread_join(srv->waker, NULL);
  }
  MHD_stop_daemon(srv->daemon);
  pthread_mutex_destroy(&srv->hang_lock);
  pthread_cond_destroy(&srv->hang_cond);
  free(srv);
}
