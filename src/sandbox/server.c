#include "sandbox/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sandbox/params.h"

#define BODY_MAX (64 * 1024)        /* request bodies are read and ignored up to this */
#define URI_KEEP (SB_QUERY_MAX + 2) /* longer URIs are answered 414 */
#define CONN_MEMORY (128 * 1024)    /* per connection: holds the request line and headers */

struct sb_server {
  struct MHD_Daemon *daemon; /* libmicrohttpd */
  struct sandbox *sb;        /* served */
  int port;                  /* bound port */
};

/* Per request, from the URI log callback to the completion callback. */
struct conn_req {
  char *uri;        /* raw request target, NULL when too long */
  int uri_too_long; /* over URI_KEEP */
  size_t body;      /* bytes of body received */
  char *kept;       /* its first SB_BODY_KEEP bytes, NUL-terminated, or NULL */
  size_t kept_len;  /* bytes in kept */
  int started;      /* the access handler ran once */
};

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *con) {
  struct conn_req *r = calloc(1, sizeof(*r));
  size_t n;
  if (!r)
    return NULL;
  n = strnlen(uri, URI_KEEP + 1);
  if (n > URI_KEEP) {
    r->uri_too_long = 1;
    n = URI_KEEP;
  }
  r->uri = strndup(uri, n);
  return r;
}

static void completed(void *cls, struct MHD_Connection *con, void **req_cls,
                      enum MHD_RequestTerminationCode toe) {
  struct conn_req *r = *req_cls;
  if (!r)
    return;
  free(r->uri);
  free(r->kept);
  free(r);
  *req_cls = NULL;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max) {
  struct sb_response *res = cls;
  ssize_t n = res->stream(res->stream_ctx, buf, max);
  if (n < 0)
    return MHD_CONTENT_READER_END_WITH_ERROR;
  if (n == 0)
    return MHD_CONTENT_READER_END_OF_STREAM;
  return n;
}

static void reader_free(void *cls) {
  struct sb_response *res = cls;
  sb_response_release(res);
  free(res);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *con, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls) {
  struct sb_server *srv = cls;
  struct conn_req *r = *req_cls;
  struct sb_request req;
  struct sb_response *res;
  struct MHD_Response *mr;
  enum MHD_Result ret;
  char *path, *query;
  if (!r)
    return MHD_NO; /* out of memory in uri_log: drop the connection */
  if (!r->started) {
    r->started = 1;
    return MHD_YES; /* headers are in; the body (if any) comes next */
  }
  if (*upload_data_size) {
    size_t room = r->kept_len < SB_BODY_KEEP ? SB_BODY_KEEP - r->kept_len : 0;
    size_t take = *upload_data_size < room ? *upload_data_size : room;
    if (take && !r->kept && !(r->kept = malloc(SB_BODY_KEEP + 1)))
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
  memset(&req, 0, sizeof(req));
  req.method = method;
  req.path = path;
  req.query = query;
  req.host = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
  req.token = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "X-Shopify-Access-Token");
  req.amz_token = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "x-amz-access-token");
  req.body = r->kept;
  req.body_len = r->kept_len;
  req.body_truncated = r->body > SB_BODY_KEEP;
  req.body_too_big = r->body > BODY_MAX;
  req.uri_too_long = r->uri_too_long;
  res = malloc(sizeof(*res));
  if (!res)
    return MHD_NO;
  sb_response_init(res);
  sandbox_handle(srv->sb, &req, res);
  if (res->stream) {
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
      sb_response_release(res);
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
    sb_response_release(res);
    free(res);
  }
  return ret;
}

int sb_server_start(struct sandbox *sb, struct sb_server **out, struct err *err) {
  struct sb_server *srv = calloc(1, sizeof(*srv));
  struct sockaddr_storage ss;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY;
  const union MHD_DaemonInfo *info;
  int ipv6 = 0;
  if (!srv)
    return err_set(err, MS_ENOMEM, "out of memory");
  memset(&ss, 0, sizeof(ss));
  if (inet_pton(AF_INET, sb->cfg.host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)sb->cfg.port);
  } else if (inet_pton(AF_INET6, sb->cfg.host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)sb->cfg.port);
    flags |= MHD_USE_IPv6;
    ipv6 = 1;
  } else {
    free(srv);
    return err_set(err, MS_EINVAL, "'%s' is not an IP address", sb->cfg.host);
  }
  srv->sb = sb;
  srv->daemon = MHD_start_daemon(
      flags, (uint16_t)sb->cfg.port, NULL, NULL, access_handler, srv, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)sb->cfg.threads,
      MHD_OPTION_URI_LOG_CALLBACK, uri_log, srv, MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned int)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000, MHD_OPTION_END);
  if (!srv->daemon) {
    free(srv);
    return err_set(err, MS_EIO, "cannot listen on %s port %d (in use, or not an address here?)",
                   sb->cfg.host, sb->cfg.port);
  }
  info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
  srv->port = info ? info->port : sb->cfg.port;
  snprintf(sb->base_url, sizeof(sb->base_url), ipv6 ? "http://[%s]:%d" : "http://%s:%d",
           sb->cfg.host, srv->port);
  *out = srv;
  return MS_OK;
}

int sb_server_port(const struct sb_server *srv) {
  return srv->port;
}

void sb_server_stop(struct sb_server *srv) {
  if (!srv)
    return;
  MHD_stop_daemon(srv->daemon);
  free(srv);
}
