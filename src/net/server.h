/* An HTTP server: libmicrohttpd with a thread pool on one address. It knows
 * nothing of what it serves: each request is handed whole (method, target,
 * headers, body up to a limit) to one handler, which fills a response. The
 * sandbox and the admin API both sit on it.
 *
 * Besides plain answers it can stream a body of unknown length, and send
 * an answer badly on purpose (cut short, reset, or held without an answer)
 * for the sandbox's faults. */
#ifndef MS_NET_SERVER_H
#define MS_NET_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/err.h"

#define SRV_MAX_HEADERS 16

struct srv_request {
  const char *method; /* "GET", "POST", ... */
  const char *path;   /* raw path, without the query */
  const char *query;  /* raw query string without '?', "" when none */
  const char *body;   /* the first body_keep bytes of the body, NUL-terminated, or NULL
                         when there is none */
  size_t body_len;    /* bytes in body */
  int body_truncated; /* the body was longer than body_keep */
  int body_too_big;   /* the body went over body_max (the rest was not read) */
  int uri_too_long;   /* the target went over uri_max; path and query hold its start */
  const char *peer;   /* the client's address ("127.0.0.1"), "" when unknown */
  void *conn;         /* the server's: for srv_request_header */
};

/* A request header (case-insensitive name), or NULL. */
const char *srv_request_header(const struct srv_request *req, const char *name);

struct srv_header {
  char name[40]; /* "Link" */
  char *value;   /* owned */
};

/* How an answer goes on the wire. Anything but SRV_WIRE_NORMAL is a fault
 * put on purpose, for the sandbox. */
enum srv_wire {
  SRV_WIRE_NORMAL = 0, /* the whole answer */
  SRV_WIRE_HANG,       /* nothing for hang_ms, then close */
  SRV_WIRE_CUT_FIN,    /* the headers and cut bytes of the body, then close */
  SRV_WIRE_CUT_RST     /* the headers and cut bytes of the body, then a TCP reset */
};

/* A body producer for long answers: fills out with up to max bytes;
 * returns the bytes written, 0 at the end, or -1 on failure. */
typedef ssize_t (*srv_stream_fn)(void *ctx, char *out, size_t max);

struct srv_response {
  int status;                                 /* HTTP status */
  const char *content_type;                   /* static string */
  struct buf body;                            /* the body, unless streamed */
  struct srv_header headers[SRV_MAX_HEADERS]; /* extra headers */
  int nheaders;                               /* entries in headers */
  srv_stream_fn stream;                       /* MAY be NULL: then body is sent */
  void (*stream_free)(void *ctx);             /* frees stream_ctx; MAY be NULL */
  void *stream_ctx;                           /* for stream */
  int wire;                                   /* enum srv_wire */
  unsigned hang_ms;                           /* SRV_WIRE_HANG: how long */
  size_t cut;                                 /* SRV_WIRE_CUT_*: body bytes sent */
};

/* 200, JSON, empty body. */
void srv_response_init(struct srv_response *res);
void srv_response_release(struct srv_response *res);
/* Adds a header; MS_ETOOBIG past SRV_MAX_HEADERS or for a name too long. */
int srv_response_header(struct srv_response *res, const char *name, const char *value);

/* Answers one request; called on the server's threads, so it must be
 * thread-safe. */
typedef void (*srv_handler)(void *ctx, const struct srv_request *req, struct srv_response *res);

struct srv_config {
  const char *host;   /* an IP address: "127.0.0.1", "::1", "0.0.0.0" */
  int port;           /* 0: a free port */
  int threads;        /* worker threads, >= 1 */
  size_t body_keep;   /* body bytes handed to the handler */
  size_t body_max;    /* bodies over this are flagged body_too_big, and not read on */
  size_t uri_max;     /* targets over this are flagged uri_too_long */
  unsigned timeout_s; /* an idle connection is closed after this */
  srv_handler handler;
  void *ctx; /* for handler */
};

struct http_server;

/* Starts serving; the address and port are then in srv_base_url. */
int srv_start(const struct srv_config *cfg, struct http_server **out, struct err *err);
/* The port actually bound. */
int srv_port(const struct http_server *srv);
/* "http://127.0.0.1:PORT" ("http://[::1]:PORT" for IPv6). */
const char *srv_base_url(const struct http_server *srv);
/* Stops accepting, finishes or drops open connections, frees. */
void srv_stop(struct http_server *srv);

#endif
