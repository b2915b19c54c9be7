/* The shared HTTP server (net/server.c), driven by libcurl over loopback:
 * what the handler sees of a request, and how its answers go out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "net/server.h"

/* What the handler saw of the last request. */
struct seen {
  char method[16], path[256], query[256], body[64], header[64], peer[64];
  size_t body_len;
  int truncated, too_big, uri_too_long;
};

struct counter {
  int left; /* chunks still to stream */
};

static ssize_t count_stream(void *ctx, char *out, size_t max) {
  struct counter *c = ctx;
  if (c->left == 0)
    return 0;
  c->left--;
  return snprintf(out, max, "line %d\n", c->left);
}

static void handler(void *ctx, const struct srv_request *req, struct srv_response *res) {
  struct seen *s = ctx;
  const char *h = srv_request_header(req, "X-Probe");
  memset(s, 0, sizeof(*s));
  snprintf(s->method, sizeof(s->method), "%s", req->method);
  snprintf(s->path, sizeof(s->path), "%s", req->path);
  snprintf(s->query, sizeof(s->query), "%s", req->query);
  snprintf(s->body, sizeof(s->body), "%s", req->body ? req->body : "");
  snprintf(s->header, sizeof(s->header), "%s", h ? h : "");
  snprintf(s->peer, sizeof(s->peer), "%s", req->peer);
  s->body_len = req->body_len;
  s->truncated = req->body_truncated;
  s->too_big = req->body_too_big;
  s->uri_too_long = req->uri_too_long;
  if (strcmp(req->path, "/stream") == 0) {
    struct counter *c = malloc(sizeof(*c));
    c->left = 3;
    res->stream = count_stream;
    res->stream_ctx = c;
    res->stream_free = free;
    res->content_type = "text/plain";
    return;
  }
  if (strcmp(req->path, "/cut") == 0) {
    buf_puts(&res->body, "0123456789abcdef");
    res->wire = SRV_WIRE_CUT_FIN;
    res->cut = 4;
    return;
  }
  res->status = strcmp(req->path, "/missing") == 0 ? 404 : 200;
  srv_response_header(res, "X-Answer", "42");
  buf_printf(&res->body, "{\"path\":\"%s\"}", req->path);
}

struct got {
  long status;
  char body[512];
  size_t len;
  char answer_header[64];
  CURLcode rc;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ctx) {
  struct got *g = ctx;
  size_t take = sz * n;
  if (g->len + take >= sizeof(g->body))
    take = sizeof(g->body) - 1 - g->len;
  memcpy(g->body + g->len, p, take);
  g->len += take;
  g->body[g->len] = '\0';
  return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ctx) {
  struct got *g = ctx;
  if (sz * n > 10 && strncmp(p, "X-Answer: ", 10) == 0)
    snprintf(g->answer_header, sizeof(g->answer_header), "%.*s", (int)(sz * n - 12), p + 10);
  return sz * n;
}

static struct got request(const char *base, const char *target, const char *post) {
  struct got g = {0};
  char url[10000];
  CURL *c = curl_easy_init();
  struct curl_slist *hl = curl_slist_append(NULL, "X-Probe: seen");
  snprintf(url, sizeof(url), "%s%s", base, target);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &g);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  if (post)
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
  g.rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &g.status);
  curl_slist_free_all(hl);
  curl_easy_cleanup(c);
  return g;
}

struct fixture {
  struct http_server *srv;
  struct seen seen;
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof(*f));
  struct srv_config cfg = {0};
  struct err err = {0};
  cfg.host = "127.0.0.1";
  cfg.threads = 2;
  cfg.body_keep = 16;
  cfg.body_max = 64;
  cfg.uri_max = 300;
  cfg.handler = handler;
  cfg.ctx = &f->seen;
  if (srv_start(&cfg, &f->srv, &err))
    fail_msg("cannot start: %s", err.msg);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  srv_stop(f->srv);
  free(f);
  return 0;
}

static void test_a_request_reaches_the_handler_whole(void **state) {
  struct fixture *f = *state;
  const char *base = srv_base_url(f->srv);
  struct got g = request(base, "/a/b?x=1&y=%20#frag", NULL);
  assert_int_equal(g.rc, CURLE_OK);
  assert_int_equal(g.status, 200);
  assert_string_equal(g.body, "{\"path\":\"/a/b\"}");
  assert_string_equal(g.answer_header, "42");
  assert_string_equal(f->seen.method, "GET");
  assert_string_equal(f->seen.path, "/a/b");
  assert_string_equal(f->seen.query, "x=1&y=%20");
  assert_string_equal(f->seen.header, "seen");
  assert_string_equal(f->seen.peer, "127.0.0.1");
  assert_true(srv_port(f->srv) > 0);
  assert_non_null(strstr(base, "http://127.0.0.1:"));
}

static void test_bodies_are_kept_up_to_the_limit_and_flagged_beyond(void **state) {
  struct fixture *f = *state;
  struct got g = request(srv_base_url(f->srv), "/post", "0123456789");
  assert_int_equal(g.status, 200);
  assert_string_equal(f->seen.method, "POST");
  assert_string_equal(f->seen.body, "0123456789");
  assert_false(f->seen.truncated);
  g = request(srv_base_url(f->srv), "/post", "0123456789abcdefXYZ");
  assert_int_equal(g.status, 200);
  assert_int_equal(f->seen.body_len, 16);
  assert_string_equal(f->seen.body, "0123456789abcdef");
  assert_true(f->seen.truncated);
  assert_false(f->seen.too_big);
  {
    char big[200];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    g = request(srv_base_url(f->srv), "/post", big);
    assert_true(f->seen.too_big);
  }
}

static void test_a_long_target_is_flagged(void **state) {
  struct fixture *f = *state;
  char target[600] = "/long?q=";
  memset(target + 8, 'a', 500);
  target[508] = '\0';
  request(srv_base_url(f->srv), target, NULL);
  assert_true(f->seen.uri_too_long);
  request(srv_base_url(f->srv), "/short", NULL);
  assert_false(f->seen.uri_too_long);
}

static void test_statuses_streams_and_cut_answers(void **state) {
  struct fixture *f = *state;
  struct got g = request(srv_base_url(f->srv), "/missing", NULL);
  assert_int_equal(g.status, 404);
  g = request(srv_base_url(f->srv), "/stream", NULL);
  assert_int_equal(g.rc, CURLE_OK);
  assert_string_equal(g.body, "line 2\nline 1\nline 0\n");
  g = request(srv_base_url(f->srv), "/cut", NULL);
  assert_int_not_equal(g.rc, CURLE_OK); /* 16 bytes announced, 4 sent */
  assert_int_equal(g.len, 4);
}

static void test_an_address_that_is_not_one_is_refused(void **state) {
  struct srv_config cfg = {0};
  struct http_server *srv = NULL;
  struct err err = {0};
  (void)state;
  cfg.host = "localhost";
  cfg.handler = handler;
  assert_int_equal(srv_start(&cfg, &srv, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "not an IP address"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_a_request_reaches_the_handler_whole, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bodies_are_kept_up_to_the_limit_and_flagged_beyond,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_long_target_is_flagged, setup, teardown),
      cmocka_unit_test_setup_teardown(test_statuses_streams_and_cut_answers, setup, teardown),
      cmocka_unit_test(test_an_address_that_is_not_one_is_refused),
  };
  curl_global_init(CURL_GLOBAL_DEFAULT);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
