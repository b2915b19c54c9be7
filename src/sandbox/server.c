/* The sandbox on the shared HTTP server (net/server.c): each request is
 * turned into a struct sb_request, answered by sandbox_handle, and the
 * answer handed back as it is, faults on the wire included. */
#include "sandbox/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/params.h"

#define BODY_MAX (64 * 1024) /* request bodies are read and ignored up to this */

struct sb_server {
  struct http_server *http; /* net/server.c */
};

static void serve(void *ctx, const struct srv_request *in, struct srv_response *out) {
  struct sandbox *sb = ctx;
  struct sb_request req;
  struct sb_response res;
  memset(&req, 0, sizeof(req));
  req.method = in->method;
  req.path = in->path;
  req.query = in->query;
  req.host = srv_request_header(in, "Host");
  req.token = srv_request_header(in, "X-Shopify-Access-Token");
  req.amz_token = srv_request_header(in, "x-amz-access-token");
  req.authorization = srv_request_header(in, "Authorization");
  req.body = in->body;
  req.body_len = in->body_len;
  req.body_truncated = in->body_truncated;
  req.body_too_big = in->body_too_big;
  req.uri_too_long = in->uri_too_long;
  sb_response_init(&res);
  sandbox_handle(sb, &req, &res);
  /* The answer moves over whole: body, headers and stream change hands. */
  out->status = res.status;
  out->content_type = res.content_type;
  buf_release(&out->body);
  out->body = res.body;
  buf_init(&res.body, 0);
  for (int i = 0; i < res.nheaders && out->nheaders < SRV_MAX_HEADERS; i++) {
    snprintf(out->headers[out->nheaders].name, sizeof(out->headers[0].name), "%s",
             res.headers[i].name);
    out->headers[out->nheaders++].value = res.headers[i].value;
    res.headers[i].value = NULL;
  }
  out->stream = res.stream;
  out->stream_free = res.stream_free;
  out->stream_ctx = res.stream_ctx;
  res.stream = NULL;
  res.stream_free = NULL;
  res.stream_ctx = NULL;
  out->wire = res.wire;
  out->hang_ms = res.hang_ms;
  out->cut = res.cut;
  sb_response_release(&res);
}

int sb_server_start(struct sandbox *sb, struct sb_server **out, struct err *err) {
  struct sb_server *srv = calloc(1, sizeof(*srv));
  struct srv_config cfg = {0};
  int rc;
  if (!srv)
    return err_set(err, MS_ENOMEM, "out of memory");
  cfg.host = sb->cfg.host;
  cfg.port = sb->cfg.port;
  cfg.threads = sb->cfg.threads;
  cfg.body_keep = SB_BODY_KEEP;
  cfg.body_max = BODY_MAX;
  cfg.uri_max = SB_QUERY_MAX + 2; /* longer targets are answered 414 */
  cfg.timeout_s = 120;
  cfg.handler = serve;
  cfg.ctx = sb;
  rc = srv_start(&cfg, &srv->http, err);
  if (rc) {
    free(srv);
    return rc;
  }
  snprintf(sb->base_url, sizeof(sb->base_url), "%s", srv_base_url(srv->http));
  *out = srv;
  return MS_OK;
}

int sb_server_port(const struct sb_server *srv) {
  return srv_port(srv->http);
}

void sb_server_stop(struct sb_server *srv) {
  if (!srv)
    return;
  srv_stop(srv->http);
  free(srv);
}
