/* HTTP requests and responses as connectors describe and read them, and the
 * client (libcurl multi) that the engine drives. */
#ifndef MS_NET_HTTP_H
#define MS_NET_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define HTTP_MAX_HEADERS 16

struct http_request {
  char method[8];                  /* "GET", "POST" */
  struct buf url;                  /* absolute URL */
  char *headers[HTTP_MAX_HEADERS]; /* "Name: value", owned */
  int nheaders;
  struct buf body;    /* request body; empty for GET */
  char endpoint[32];  /* rate-limit class, e.g. "rest" */
  int secret_headers; /* bitmask of headers[] never to log */
};

struct http_header {
  char *name;  /* as received */
  char *value; /* trimmed */
};

struct http_response {
  long status;                 /* HTTP status; 0 when the transfer failed */
  struct http_header *headers; /* owned */
  size_t nheaders;
  size_t headers_cap;
  struct buf body;           /* capped by the client's body limit */
  int transport_rc;          /* MS_OK or the mapped transfer failure */
  char transport_error[256]; /* curl's words when transport_rc != 0 */
  double elapsed;            /* seconds from send to last byte */
  double done_at;            /* monotonic seconds when it finished */
};

void http_request_init(struct http_request *req);
void http_request_release(struct http_request *req);
void http_request_reset(struct http_request *req);
/* Adds "name: value"; secret headers are never logged. */
int http_request_header(struct http_request *req, const char *name, const char *value, int secret);

void http_response_init(struct http_response *res);
void http_response_release(struct http_response *res);
/* The first header with this name, matched case-insensitively; NULL if none. */
const char *http_response_header(const struct http_response *res, const char *name);
int http_response_add_header(struct http_response *res, const char *name, size_t nlen,
                             const char *value, size_t vlen);

struct http_client_opts {
  long connect_timeout_ms; /* default 10000 */
  long total_timeout_ms;   /* default 120000 */
  long low_speed_bytes;    /* abort when slower than this... default 1 */
  long low_speed_secs;     /* ...for this long; default 30 */
  size_t max_body;         /* default 64 MiB; larger is MS_ETOOBIG */
  const char *user_agent;  /* default "marketsync/VERSION" */
};

struct http_client;

/* Called once per finished transfer, with the tag given to http_client_send.
 * The response is valid only during the call. */
typedef void (*http_done_fn)(void *tag, struct http_request *req, struct http_response *res);

int http_client_new(const struct http_client_opts *opts, struct http_client **out, struct err *err);
void http_client_free(struct http_client *c);
/* Whether another transfer can start now (a bounded number run at once). */
int http_client_has_room(const struct http_client *c);
/* Starts a transfer. req MUST stay alive until its done callback runs.
 * MS_EBUSY when there is no room (see http_client_has_room). */
int http_client_send(struct http_client *c, struct http_request *req, void *tag, struct err *err);
/* Drives transfers for at most timeout_ms, calling done for each finished
 * one. Returns the number still running. */
int http_client_poll(struct http_client *c, long timeout_ms, http_done_fn done);
int http_client_running(const struct http_client *c);
/* Blocking convenience: one request, one response (for probes and tests). */
int http_client_fetch(struct http_client *c, struct http_request *req, struct http_response *res,
                      struct err *err);

#endif
