/* The Amazon SP-API connector, driven without a network: a source built by
 * hand, requests read back, and answers written the way Login with Amazon
 * and the Orders API send them (and the way a broken proxy might). Expected
 * instants were computed independently (date -u) from the IANA rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "connectors/connector.h"
#include "engine/limiter.h"
#include "core/model.h"
#include "net/http.h"
#include "util/tz.h"
#include "util/clock.h"

extern const struct connector amazon_connector;

#define ORDERS_DEF (amazon_connector.streams[0])

/* A column's value of a record of def, as text ("" when NULL) or number. */
static const char *vtext(const struct record *r, const struct stream_def *def, const char *col) {
  const struct value *v = record_value(r, def, col);
  assert_non_null(v);
  return v->set ? v->text : "";
}

static int64_t vint(const struct record *r, const struct stream_def *def, const char *col) {
  const struct value *v = record_value(r, def, col);
  assert_non_null(v);
  return v->set ? v->i : 0;
}

#define API "http://sp.test"
#define TOKEN_URL "http://lwa.test/auth/o2/token"
#define ORDERS API "/orders/v0/orders"
#define SETTINGS                                                                                   \
  "{\"region\":\"na\",\"marketplaces\":[\"ATVPDKIKX0DER\"],\"api_base\":\"" API "\","              \
  "\"token_url\":\"" TOKEN_URL "\",\"client_id\":\"cid\",\"timezone\":\"America/Los_Angeles\"}"
/* Characters that a form or a query must escape, so encoding is checked. */
#define REFRESH "Atzr|IwEB+r/t=&x y"
#define CLIENT_SECRET "amzn1.oa2-cs.v1.s3cr+t/="

#define ORDER1 "111-0000001-0000001"
#define ORDER2 "111-0000002-0000002"
#define ORDER3 "111-0000003-0000003"

/* 2026-03-08 in Los Angeles: [08:00Z, next day 07:00Z), 23 hours. */
#define MAR8_START 1772956800
#define MAR8_END 1773039600
/* 2026-11-01 in Los Angeles: [07:00Z, next day 08:00Z), 25 hours. */
#define NOV1_START 1793516400
#define NOV1_END 1793606400
/* 2027-01-01T00:00:00Z: a "now" well after both days. */
#define JAN2027 1798761600

struct fx {
  struct source src;
  void *st; /* the connector's state */
};

/* ---- helpers ------------------------------------------------------------ */

static char *xstrdup(const char *s) {
  char *p = strdup(s);
  assert_non_null(p);
  return p;
}

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof(*f));
  struct err err = {0};
  assert_non_null(f);
  snprintf(f->src.row.name, sizeof(f->src.row.name), "amz-us");
  snprintf(f->src.row.connector, sizeof(f->src.row.connector), "amazon");
  f->src.row.settings = xstrdup(SETTINGS);
  f->src.api_base = xstrdup(API);
  f->src.timezone = xstrdup("America/Los_Angeles");
  if (tz_open(f->src.timezone, &f->src.tz, &err) != MS_OK)
    fail_msg("tz_open: %s", err.msg);
  snprintf(f->src.secrets[0].name, sizeof(f->src.secrets[0].name), "client_secret");
  f->src.secrets[0].value = xstrdup(CLIENT_SECRET);
  snprintf(f->src.secrets[1].name, sizeof(f->src.secrets[1].name), "refresh_token");
  f->src.secrets[1].value = xstrdup(REFRESH);
  f->src.nsecrets = 2;
  if (amazon_connector.open(&f->src, &f->st, &err) != MS_OK)
    fail_msg("open: %s", err.msg);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  amazon_connector.close(f->st);
  source_release(&f->src);
  free(f);
  unsetenv("MARKETSYNC_NOW_OFFSET");
  return 0;
}

/* Makes wall_now() read about `when` (to the second). */
static void pretend_now(int64_t when) {
  char v[32];
  /* wall_now includes any earlier shift: start from the real clock */
  unsetenv("MARKETSYNC_NOW_OFFSET");
  snprintf(v, sizeof(v), "%lld", (long long)(when - wall_now()));
  setenv("MARKETSYNC_NOW_OFFSET", v, 1);
}

static void response(struct http_response *res, long status, const char *body) {
  http_response_init(res);
  res->status = status;
  if (body)
    assert_int_equal(buf_puts(&res->body, body), MS_OK);
}

static void header(struct http_response *res, const char *name, const char *value) {
  assert_int_equal(http_response_add_header(res, name, strlen(name), value, strlen(value)), MS_OK);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Percent-decodes n bytes of in ("+" stays "+": the connector MUST escape
 * it, or the server would read a space). */
static void url_decode(const char *in, size_t n, char *out, size_t outsz) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = in[i];
    if (c == '%') {
      int hi, lo;
      if (i + 2 >= n)
        fail_msg("truncated escape in %.*s", (int)n, in);
      hi = hexval(in[i + 1]);
      lo = hexval(in[i + 2]);
      if (hi < 0 || lo < 0)
        fail_msg("bad escape in %.*s", (int)n, in);
      c = (char)(hi * 16 + lo);
      i += 2;
    }
    if (o + 1 >= outsz)
      fail_msg("decoded text too long");
    out[o++] = c;
  }
  out[o] = '\0';
}

/* The value of header `name` in req, and whether it is marked secret. */
static const char *req_header(const struct http_request *req, const char *name, int *secret) {
  size_t n = strlen(name);
  for (int i = 0; i < req->nheaders; i++) {
    if (strncasecmp(req->headers[i], name, n) == 0 && req->headers[i][n] == ':') {
      if (secret)
        *secret = (req->secret_headers >> i) & 1;
      return req->headers[i] + n + 1 + (req->headers[i][n + 1] == ' ');
    }
  }
  return NULL;
}

static void day_slice(struct fx *f, struct slice *sl, int y, int m, int d) {
  struct civil_date day = {y, m, d};
  memset(sl, 0, sizeof(*sl));
  snprintf(sl->stream, sizeof(sl->stream), "orders");
  sl->day = day;
  assert_int_equal(tz_day_bounds(f->src.tz, day, &sl->range_start, &sl->range_end), MS_OK);
}

/* Builds the slice's next request; returns its rc, and on success the
 * decoded URL and the endpoint. */
static int next_request(struct fx *f, const struct slice *sl, char *url, size_t urlsz,
                        char *endpoint, size_t epsz, struct err *err) {
  struct http_request req;
  int rc;
  http_request_init(&req);
  rc = slice_stream(ORDERS_DEF, sl)
           ->page_request(f->st, slice_stream(ORDERS_DEF, sl), sl, &req, err);
  if (rc == MS_OK) {
    assert_string_equal(req.method, "GET");
    assert_true(req.body.len == 0);
    url_decode(req.url.data, req.url.len, url, urlsz);
    snprintf(endpoint, epsz, "%s", req.endpoint);
  }
  http_request_release(&req);
  return rc;
}

static void expect_request(struct fx *f, const struct slice *sl, const char *want_url,
                           const char *want_endpoint) {
  char url[1024], ep[32];
  struct err err = {0};
  int rc = next_request(f, sl, url, sizeof(url), ep, sizeof(ep), &err);
  if (rc != MS_OK)
    fail_msg("page_request: %d %s", rc, err.msg);
  assert_string_equal(url, want_url);
  assert_string_equal(ep, want_endpoint);
}

/* Parses body as the answer to the slice's current request. */
static int parse(struct fx *f, const struct slice *sl, const char *body, struct page *pg,
                 struct err *err) {
  struct http_response res;
  int rc;
  response(&res, 200, body);
  page_init(pg, slice_stream(ORDERS_DEF, sl));
  rc = pg->def->parse_page(f->st, pg->def, sl, &res, pg, err);
  http_response_release(&res);
  return rc;
}

static void parse_ok(struct fx *f, const struct slice *sl, const char *body, struct page *pg) {
  struct err err = {0};
  int rc = parse(f, sl, body, pg, &err);
  if (rc != MS_OK)
    fail_msg("parse_page: %d %s", rc, err.msg);
  assert_int_equal(pg->bytes, strlen(body));
}

/* Moves the slice on as the store does on commit (every order new, so every
 * order marked follow is queued): a listing page sets the cursor and queues
 * its orders; an items page moves the first order's items cursor on, or
 * takes that order off the list at its last page. */
static void advance(struct slice *sl, struct page *pg) {
  cJSON *follow = sl->follow ? cJSON_Parse(sl->follow) : cJSON_CreateArray();
  assert_true(cJSON_IsArray(follow));
  if (pg->children_of) {
    free(sl->follow_cursor);
    sl->follow_cursor = pg->next_cursor;
    if (!pg->next_cursor)
      cJSON_DeleteItemFromArray(follow, 0);
  } else {
    free(sl->cursor);
    sl->cursor = pg->next_cursor;
    sl->listed = pg->next_cursor == NULL;
    for (size_t i = 0; i < pg->n; i++)
      if (pg->recs[i].follow)
        cJSON_AddItemToArray(follow, cJSON_CreateString(pg->recs[i].external_id));
  }
  pg->next_cursor = NULL;
  free(sl->follow);
  sl->follow = cJSON_GetArraySize(follow) ? cJSON_PrintUnformatted(follow) : NULL;
  cJSON_Delete(follow);
  page_release(pg);
}

/* Whether the slice is done, as the store decides it. */
static int slice_done(const struct slice *sl) {
  return sl->listed && !sl->follow;
}

static int64_t ts(const char *iso) {
  int64_t t = 0;
  assert_int_equal(time_parse(iso, &t), MS_OK);
  return t;
}

/* ---- auth --------------------------------------------------------------- */

static int parse_auth(struct fx *f, long status, const char *body, int64_t now, struct err *err) {
  struct http_response res;
  int rc;
  response(&res, status, body);
  rc = amazon_connector.parse_auth(f->st, &res, now, err);
  http_response_release(&res);
  return rc;
}

static void test_auth_needed_until_a_token_and_again_before_expiry(void **state) {
  struct fx *f = *state;
  struct err err = {0};
  const int64_t now = 1790000000;
  assert_true(amazon_connector.auth_needed(f->st, 0));
  assert_true(amazon_connector.auth_needed(f->st, now));
  assert_int_equal(parse_auth(f, 200,
                              "{\"access_token\":\"Atza|x\",\"token_type\":\"bearer\","
                              "\"expires_in\":3600,\"refresh_token\":\"Atzr|other\"}",
                              now, &err),
                   MS_OK);
  assert_false(amazon_connector.auth_needed(f->st, now));
  assert_false(amazon_connector.auth_needed(f->st, now + 3600 - 60 - 1));
  assert_true(amazon_connector.auth_needed(f->st, now + 3600 - 60));
  assert_true(amazon_connector.auth_needed(f->st, now + 3600));
}

static void test_auth_request_is_a_form_post_with_the_refresh_token(void **state) {
  struct fx *f = *state;
  struct http_request req;
  struct err err = {0};
  char field[256];
  const char *want[] = {"grant_type=refresh_token", "refresh_token=" REFRESH, "client_id=cid",
                        "client_secret=" CLIENT_SECRET};
  const char *p, *ct;
  size_t k = 0;
  http_request_init(&req);
  assert_int_equal(amazon_connector.auth_request(f->st, &req, &err), MS_OK);
  assert_string_equal(req.method, "POST");
  assert_string_equal(req.url.data, TOKEN_URL);
  ct = req_header(&req, "Content-Type", NULL);
  assert_non_null(ct);
  assert_string_equal(ct, "application/x-www-form-urlencoded");
  /* Exactly the four fields, each value encoded so '&', '=', '+' and ' '
   * survive: a raw '&' would split the refresh token in two. */
  assert_non_null(req.body.data);
  assert_null(strchr(req.body.data, ' '));
  assert_null(strchr(req.body.data, '+'));
  assert_null(strchr(req.body.data, '|'));
  for (p = req.body.data; *p; k++) {
    const char *amp = strchr(p, '&');
    size_t n = amp ? (size_t)(amp - p) : strlen(p);
    const char *eq = memchr(p, '=', n);
    char name[64];
    assert_non_null(eq);
    assert_true(k < 4);
    snprintf(name, sizeof(name), "%.*s", (int)(eq - p), p);
    url_decode(eq + 1, n - (size_t)(eq + 1 - p), field, sizeof(field));
    {
      char got[320];
      snprintf(got, sizeof(got), "%s=%s", name, field);
      assert_string_equal(got, want[k]);
    }
    p += n + (amp ? 1 : 0);
  }
  assert_int_equal(k, 4);
  http_request_release(&req);
}

static void test_parse_auth_sets_a_secret_access_token_header(void **state) {
  struct fx *f = *state;
  struct http_request req;
  struct err err = {0};
  struct slice sl;
  const char *v;
  int secret = 0, accept_secret = 1;
  assert_int_equal(parse_auth(f, 200,
                              "{\"access_token\":\"Atza|x\",\"token_type\":\"bearer\","
                              "\"expires_in\":3600,\"refresh_token\":\"Atzr|other\"}",
                              1790000000, &err),
                   MS_OK);
  day_slice(f, &sl, 2026, 3, 8);
  http_request_init(&req);
  assert_int_equal(ORDERS_DEF->page_request(f->st, ORDERS_DEF, &sl, &req, &err), MS_OK);
  v = req_header(&req, "x-amz-access-token", &secret);
  assert_non_null(v);
  assert_string_equal(v, "Atza|x");
  assert_int_equal(secret, 1);
  /* Only the token is hidden from logs. */
  if (req_header(&req, "Accept", &accept_secret))
    assert_int_equal(accept_secret, 0);
  for (int i = 0; i < req.nheaders; i++)
    if (strstr(req.headers[i], "Atza|x") == NULL)
      assert_int_equal((req.secret_headers >> i) & 1, 0);
  http_request_release(&req);
}

static void test_refused_credentials_are_an_auth_error_without_secrets(void **state) {
  struct fx *f = *state;
  struct err err = {0};
  int rc = parse_auth(f, 400,
                      "{\"error\":\"invalid_grant\",\"error_description\":\"The request has an "
                      "invalid grant parameter : refresh_token\"}",
                      1790000000, &err);
  assert_int_equal(rc, MS_EAUTH);
  assert_non_null(strstr(err.msg, "invalid_grant"));
  assert_null(strstr(err.msg, REFRESH));
  assert_null(strstr(err.msg, CLIENT_SECRET));
  assert_true(amazon_connector.auth_needed(f->st, 1790000000));
}

/* Only an explicit refusal means bad credentials. An answer that cannot be
 * read is retried like any failure on the way, and the message says what came. */
static void expect_auth(struct fx *f, long status, const char *body, int want, const char *words) {
  struct err err = {0};
  int rc = parse_auth(f, status, body, 1790000000, &err);
  if (rc != want || !strstr(err.msg, words))
    fail_msg("HTTP %ld %.60s: %d \"%s\", want %d saying \"%s\"", status, body, rc, err.msg, want,
             words);
  assert_null(strstr(err.msg, REFRESH));
  assert_null(strstr(err.msg, CLIENT_SECRET));
}

static void test_unreadable_token_answers_are_transient(void **state) {
  struct fx *f = *state;
  expect_auth(f, 200, "<!DOCTYPE html><html><body>Sign in</body></html>", MS_ETRANSIENT,
              "answered HTTP 200 with an HTML page instead of a token");
  expect_auth(f, 200, "{\"access_token\":\"Atza|abc", MS_ETRANSIENT, "a cut JSON body");
  expect_auth(f, 200, "{\"token_type\":\"bearer\"}", MS_ETRANSIENT,
              "a JSON answer without an access token");
  expect_auth(f, 200, "", MS_ETRANSIENT, "an empty body");
  expect_auth(f, 403, "<html><body>Forbidden by proxy</body></html>", MS_ETRANSIENT,
              "HTTP 403 with an HTML page");
  expect_auth(f, 400, "{\"message\":\"bad\"}", MS_ETRANSIENT, "without an error code");
  /* explicit answers keep their meaning */
  expect_auth(f, 400, "{\"error\":\"invalid_client\"}", MS_EAUTH, "refused the credentials");
  expect_auth(f, 401, "<html>Unauthorized</html>", MS_EAUTH, "refused the credentials");
  expect_auth(f, 400, "{\"error\":\"unsupported_grant_type\"}", MS_EFATAL,
              "refused the token request (HTTP 400, unsupported_grant_type)");
  expect_auth(f, 503, "<html>down</html>", MS_ETRANSIENT, "HTTP 503");
}

/* A server that echoes what it was sent must not make the message carry the
 * credentials into logs and the slice's last_error. */
static void test_refused_credentials_echoed_back_are_not_repeated(void **state) {
  struct fx *f = *state;
  struct err err = {0};
  int rc = parse_auth(f, 401,
                      "{\"error\":\"invalid_client\",\"error_description\":\"unknown client "
                      "cid with secret " CLIENT_SECRET " for refresh token " REFRESH "\"}",
                      1790000000, &err);
  assert_int_equal(rc, MS_EAUTH);
  assert_non_null(strstr(err.msg, "invalid_client"));
  assert_null(strstr(err.msg, REFRESH));
  assert_null(strstr(err.msg, CLIENT_SECRET));
}

static void test_token_server_trouble_is_transient(void **state) {
  struct fx *f = *state;
  struct err err = {0};
  assert_int_equal(parse_auth(f, 500, "<html>Internal Server Error</html>", 1790000000, &err),
                   MS_ETRANSIENT);
  assert_int_equal(parse_auth(f, 503, "", 1790000000, &err), MS_ETRANSIENT);
  assert_int_equal(parse_auth(f, 429, "{}", 1790000000, &err), MS_ERATELIMIT);
  assert_true(amazon_connector.auth_needed(f->st, 1790000000));
}

static void test_auth_expired_forgets_the_token(void **state) {
  struct fx *f = *state;
  struct err err = {0};
  const int64_t now = 1790000000;
  assert_int_equal(
      parse_auth(f, 200, "{\"access_token\":\"Atza|x\",\"expires_in\":3600}", now, &err), MS_OK);
  assert_false(amazon_connector.auth_needed(f->st, now + 10));
  amazon_connector.auth_expired(f->st);
  assert_true(amazon_connector.auth_needed(f->st, now + 10));
  /* a new token works again */
  assert_int_equal(
      parse_auth(f, 200, "{\"access_token\":\"Atza|y\",\"expires_in\":3600}", now + 10, &err),
      MS_OK);
  assert_false(amazon_connector.auth_needed(f->st, now + 20));
}

/* ---- the day's first request -------------------------------------------- */

static void test_first_request_of_a_23_hour_day(void **state) {
  struct fx *f = *state;
  struct slice sl;
  pretend_now(JAN2027);
  day_slice(f, &sl, 2026, 3, 8);
  assert_int_equal(sl.range_start, MAR8_START);
  assert_int_equal(sl.range_end, MAR8_END);
  expect_request(f, &sl,
                 ORDERS "?MarketplaceIds=ATVPDKIKX0DER&MaxResultsPerPage=100"
                        "&CreatedAfter=2026-03-08T08:00:00Z&CreatedBefore=2026-03-09T06:59:59Z",
                 "getOrders");
}

static void test_first_request_of_a_25_hour_day(void **state) {
  struct fx *f = *state;
  struct slice sl;
  pretend_now(JAN2027);
  day_slice(f, &sl, 2026, 11, 1);
  assert_int_equal(sl.range_start, NOV1_START);
  assert_int_equal(sl.range_end, NOV1_END);
  expect_request(f, &sl,
                 ORDERS "?MarketplaceIds=ATVPDKIKX0DER&MaxResultsPerPage=100"
                        "&CreatedAfter=2026-11-01T07:00:00Z&CreatedBefore=2026-11-02T07:59:59Z",
                 "getOrders");
}

static void test_a_day_not_begun_has_nothing_to_fetch(void **state) {
  struct fx *f = *state;
  struct slice sl;
  struct err err = {0};
  char url[1024], ep[32];
  int64_t now = wall_now();
  memset(&sl, 0, sizeof(sl));
  snprintf(sl.stream, sizeof(sl.stream), "orders");
  sl.range_start = now + 3600;
  sl.range_end = now + 3600 + 86400;
  assert_int_equal(next_request(f, &sl, url, sizeof(url), ep, sizeof(ep), &err), MS_ENOTFOUND);
  /* begun a minute ago: CreatedBefore cannot be two minutes in the past yet */
  sl.range_start = now - 60;
  assert_int_equal(next_request(f, &sl, url, sizeof(url), ep, sizeof(ep), &err), MS_ENOTFOUND);
}

static void test_today_ends_three_minutes_ago(void **state) {
  struct fx *f = *state;
  struct slice sl;
  struct err err = {0};
  char url[1024], ep[32], want_after[TIME_STR_LEN];
  const char *before;
  int64_t t0 = wall_now(), t1, got;
  memset(&sl, 0, sizeof(sl));
  snprintf(sl.stream, sizeof(sl.stream), "orders");
  sl.range_start = t0 - 7200;
  sl.range_end = t0 + 3600;
  assert_int_equal(next_request(f, &sl, url, sizeof(url), ep, sizeof(ep), &err), MS_OK);
  t1 = wall_now();
  time_format(sl.range_start, 0, 1, want_after);
  assert_non_null(strstr(url, "&CreatedAfter="));
  assert_memory_equal(strstr(url, "&CreatedAfter=") + 14, want_after, strlen(want_after));
  before = strstr(url, "&CreatedBefore=");
  assert_non_null(before);
  got = ts(before + 15);
  /* The API's rule: at least two minutes before now. Ours keeps a minute
   * more for clock skew, and no more than that. */
  assert_true(got <= t0 - 120);
  assert_true(got >= t0 - 180);
  assert_true(got <= t1 - 180);
}

/* ---- the cursor walk ---------------------------------------------------- */

#define ORDERS_PAGE1                                                                               \
  "{\"payload\":{\"Orders\":["                                                                     \
  "{\"AmazonOrderId\":\"" ORDER1 "\",\"PurchaseDate\":\"2026-03-08T09:15:00Z\","                   \
  "\"LastUpdateDate\":\"2026-03-08T10:00:00Z\",\"OrderStatus\":\"Shipped\","                       \
  "\"FulfillmentChannel\":\"AFN\",\"OrderTotal\":{\"CurrencyCode\":\"USD\",\"Amount\":\"12.34\"}," \
  "\"MarketplaceId\":\"ATVPDKIKX0DER\"},"                                                          \
  "{\"AmazonOrderId\":\"" ORDER2 "\",\"PurchaseDate\":\"2026-03-08T20:00:01Z\","                   \
  "\"LastUpdateDate\":\"2026-03-08T20:05:00Z\",\"OrderStatus\":\"Pending\","                       \
  "\"FulfillmentChannel\":\"MFN\",\"MarketplaceId\":\"ATVPDKIKX0DER\"}"                            \
  "],\"NextToken\":\"NT1\",\"CreatedBefore\":\"2026-03-09T06:59:59Z\"}}"

#define ITEMS1_PAGE1                                                                               \
  "{\"payload\":{\"AmazonOrderId\":\"" ORDER1 "\",\"OrderItems\":["                                \
  "{\"ASIN\":\"B000000001\",\"OrderItemId\":\"OI-1\",\"SellerSKU\":\"SKU-1\","                     \
  "\"Title\":\"Mug\",\"QuantityOrdered\":2,\"QuantityShipped\":2,"                                 \
  "\"ItemPrice\":{\"CurrencyCode\":\"USD\",\"Amount\":\"25.00\"}}"                                 \
  "],\"NextToken\":\"IT+1/x=\"}}"

#define ITEMS1_PAGE2                                                                               \
  "{\"payload\":{\"AmazonOrderId\":\"" ORDER1 "\",\"OrderItems\":["                                \
  "{\"ASIN\":\"B000000002\",\"OrderItemId\":\"OI-2\",\"SellerSKU\":\"SKU-2\","                     \
  "\"QuantityOrdered\":1,\"ItemPrice\":{\"CurrencyCode\":\"USD\",\"Amount\":\"9.5\"}}"             \
  "]}}"

#define ITEMS2                                                                                     \
  "{\"payload\":{\"AmazonOrderId\":\"" ORDER2 "\",\"OrderItems\":["                                \
  "{\"ASIN\":\"B000000003\",\"OrderItemId\":\"OI-3\",\"SellerSKU\":\"SKU-3\","                     \
  "\"QuantityOrdered\":3}"                                                                         \
  "]}}"

#define ORDERS_PAGE2                                                                               \
  "{\"payload\":{\"Orders\":["                                                                     \
  "{\"AmazonOrderId\":\"" ORDER3 "\",\"PurchaseDate\":\"2026-03-09T01:00:00Z\","                   \
  "\"LastUpdateDate\":\"2026-03-09T01:00:00Z\",\"OrderStatus\":\"Unshipped\","                     \
  "\"OrderTotal\":{\"CurrencyCode\":\"USD\",\"Amount\":\"5.00\"}}"                                 \
  "]}}"

#define ITEMS3                                                                                     \
  "{\"payload\":{\"AmazonOrderId\":\"" ORDER3 "\",\"OrderItems\":["                                \
  "{\"ASIN\":\"B000000004\",\"OrderItemId\":\"OI-4\",\"QuantityOrdered\":1,"                       \
  "\"ItemPrice\":{\"CurrencyCode\":\"USD\",\"Amount\":\"5.00\"}}"                                  \
  "]}}"

static void check_orders_page1(const struct page *pg) {
  const struct record *r;
  assert_int_equal(pg->n, 2);
  assert_null(pg->children_of);

  r = &pg->recs[0];
  assert_string_equal(r->external_id, ORDER1);
  assert_int_equal(r->created_at, ts("2026-03-08T09:15:00Z"));
  assert_int_equal(r->created_at, MAR8_START + 3600 + 15 * 60);
  assert_int_equal(r->updated_at, MAR8_START + 2 * 3600);
  assert_string_equal(vtext(r, ORDERS_DEF, "status"), "Shipped");
  assert_string_equal(vtext(r, ORDERS_DEF, "total_price"), "12.34");
  assert_int_equal(vint(r, ORDERS_DEF, "total_price"), 1234);
  assert_string_equal(vtext(r, ORDERS_DEF, "currency"), "USD");
  assert_int_equal(r->nkids, 0);
  assert_non_null(r->raw);
  assert_true(r->raw_len > 0);
  assert_non_null(strstr(r->raw, ORDER1));

  r = &pg->recs[1];
  assert_string_equal(r->external_id, ORDER2);
  assert_int_equal(r->created_at, ts("2026-03-08T20:00:01Z"));
  assert_int_equal(r->updated_at, ts("2026-03-08T20:05:00Z"));
  assert_string_equal(vtext(r, ORDERS_DEF, "status"), "Pending");
  assert_false(record_value(r, ORDERS_DEF, "total_price")->set); /* required: incomplete */
  assert_int_equal(r->nkids, 0);
}

static void test_orders_then_items_then_the_next_orders_page(void **state) {
  struct fx *f = *state;
  struct slice sl;
  struct page pg;
  pretend_now(JAN2027);
  day_slice(f, &sl, 2026, 3, 8);

  /* 1. the day's first orders page: two orders, more to come */
  parse_ok(f, &sl, ORDERS_PAGE1, &pg);
  check_orders_page1(&pg);
  assert_string_equal(pg.next_cursor, "NT1");
  assert_int_equal(pg.recs[0].follow, 1);
  assert_int_equal(pg.recs[1].follow, 1);
  advance(&sl, &pg);
  expect_request(f, &sl, ORDERS "/" ORDER1 "/orderItems", "getOrderItems");

  /* 2. the first order's first items page, with more items */
  parse_ok(f, &sl, ITEMS1_PAGE1, &pg);
  assert_ptr_equal(pg.def, ORDERS_DEF->children[0]); /* a page of the order's items */
  assert_string_equal(pg.children_of, ORDER1);
  assert_int_equal(pg.children_first, 1);
  assert_int_equal(pg.n, 1);
  assert_string_equal(pg.recs[0].external_id, "OI-1");
  assert_string_equal(vtext(&pg.recs[0], pg.def, "sku"), "SKU-1");
  assert_int_equal(vint(&pg.recs[0], pg.def, "quantity"), 2);
  assert_string_equal(vtext(&pg.recs[0], pg.def, "price"), "25.00");
  assert_int_equal(vint(&pg.recs[0], pg.def, "price"), 2500);
  assert_string_equal(vtext(&pg.recs[0], pg.def, "currency"), "USD");
  assert_int_equal(vint(&pg.recs[0], pg.def, "price_missing"), 0);
  assert_non_null(pg.recs[0].raw);
  assert_non_null(strstr(pg.recs[0].raw, "OI-1"));
  assert_non_null(pg.next_cursor);
  advance(&sl, &pg);
  {
    /* the token is escaped: a raw '+' would reach Amazon as a space */
    struct http_request req;
    struct err err = {0};
    http_request_init(&req);
    assert_int_equal(slice_stream(ORDERS_DEF, &sl)
                         ->page_request(f->st, slice_stream(ORDERS_DEF, &sl), &sl, &req, &err),
                     MS_OK);
    assert_non_null(strstr(req.url.data, "NextToken=IT%2B1%2Fx%3D"));
    http_request_release(&req);
  }
  expect_request(f, &sl, ORDERS "/" ORDER1 "/orderItems?NextToken=IT+1/x=", "getOrderItems");

  /* 3. its last items page: on to the second order */
  parse_ok(f, &sl, ITEMS1_PAGE2, &pg);
  assert_string_equal(pg.children_of, ORDER1);
  assert_int_equal(pg.children_first, 0);
  assert_int_equal(pg.n, 1);
  assert_string_equal(pg.recs[0].external_id, "OI-2");
  assert_int_equal(vint(&pg.recs[0], pg.def, "price"), 950);
  assert_null(pg.next_cursor); /* the last of this order's items */
  advance(&sl, &pg);
  expect_request(f, &sl, ORDERS "/" ORDER2 "/orderItems", "getOrderItems");

  /* 4. the second order's only items page (Pending: no price) */
  parse_ok(f, &sl, ITEMS2, &pg);
  assert_string_equal(pg.children_of, ORDER2);
  assert_int_equal(pg.children_first, 1);
  assert_int_equal(pg.n, 1);
  assert_string_equal(pg.recs[0].external_id, "OI-3");
  assert_string_equal(vtext(&pg.recs[0], pg.def, "sku"), "SKU-3");
  assert_int_equal(vint(&pg.recs[0], pg.def, "quantity"), 3);
  assert_int_equal(vint(&pg.recs[0], pg.def, "price_missing"), 1);
  assert_false(record_value(&pg.recs[0], pg.def, "price")->set);
  assert_int_equal(vint(&pg.recs[0], pg.def, "price"), 0);
  assert_null(pg.next_cursor);
  advance(&sl, &pg);
  assert_false(slice_done(&sl));
  /* back to the orders, with only MarketplaceIds besides the token */
  expect_request(f, &sl, ORDERS "?MarketplaceIds=ATVPDKIKX0DER&NextToken=NT1", "getOrders");

  /* 5. the last orders page: its order still needs its items */
  parse_ok(f, &sl, ORDERS_PAGE2, &pg);
  assert_int_equal(pg.n, 1);
  assert_string_equal(pg.recs[0].external_id, ORDER3);
  assert_int_equal(vint(&pg.recs[0], ORDERS_DEF, "total_price"), 500);
  assert_null(pg.next_cursor); /* no more orders; the listing is done */
  advance(&sl, &pg);
  assert_int_equal(sl.listed, 1);
  assert_false(slice_done(&sl));
  expect_request(f, &sl, ORDERS "/" ORDER3 "/orderItems", "getOrderItems");

  /* 6. its items: the slice is done */
  parse_ok(f, &sl, ITEMS3, &pg);
  assert_string_equal(pg.children_of, ORDER3);
  assert_int_equal(pg.children_first, 1);
  assert_int_equal(pg.n, 1);
  assert_false(record_value(&pg.recs[0], pg.def, "sku")->set);
  assert_int_equal(vint(&pg.recs[0], pg.def, "price"), 500);
  assert_null(pg.next_cursor);
  advance(&sl, &pg);
  assert_true(slice_done(&sl));
  slice_release(&sl);
}

static void test_an_empty_last_orders_page_ends_the_slice(void **state) {
  struct fx *f = *state;
  struct slice sl;
  struct page pg;
  day_slice(f, &sl, 2026, 3, 8);
  parse_ok(f, &sl, "{\"payload\":{\"Orders\":[]}}", &pg);
  assert_int_equal(pg.n, 0);
  assert_null(pg.next_cursor);
  page_release(&pg);

  /* an empty page that still has a token goes on with the orders */
  parse_ok(f, &sl, "{\"payload\":{\"Orders\":[],\"NextToken\":\"NT2\"}}", &pg);
  assert_int_equal(pg.n, 0);
  assert_non_null(pg.next_cursor);
  advance(&sl, &pg);
  expect_request(f, &sl, ORDERS "?MarketplaceIds=ATVPDKIKX0DER&NextToken=NT2", "getOrders");
  slice_release(&sl);
}

/* ---- classify ----------------------------------------------------------- */

struct answer {
  long status;
  const char *body;
  const char *request_id;  /* x-amzn-RequestId, MAY be NULL */
  const char *retry_after; /* MAY be NULL */
};

static void classify(struct fx *f, const struct answer *a, struct verdict *v, struct err *err) {
  struct http_response res;
  response(&res, a->status, a->body);
  if (a->request_id)
    header(&res, "x-amzn-RequestId", a->request_id);
  if (a->retry_after)
    header(&res, "Retry-After", a->retry_after);
  memset(v, 0x5a, sizeof(*v));
  err_clear(err);
  amazon_connector.classify(f->st, &res, v, err);
  http_response_release(&res);
}

#define QUOTA                                                                                      \
  "{\"errors\":[{\"code\":\"QuotaExceeded\",\"message\":\"You exceeded your quota for the "        \
  "requested resource.\",\"details\":\"\"}]}"

static void test_classify_ok_and_rate_limits(void **state) {
  struct fx *f = *state;
  struct verdict v;
  struct err err = {0};
  struct answer ok = {200, "{\"payload\":{\"Orders\":[]}}", "rid-200", NULL};
  struct answer quota = {429, QUOTA, "rid-429", NULL};
  struct answer quota_wait = {429, QUOTA, "rid-429b", "3"};

  classify(f, &ok, &v, &err);
  assert_int_equal(v.rc, MS_OK);
  assert_int_equal(v.refresh, 0);

  classify(f, &quota, &v, &err);
  assert_int_equal(v.rc, MS_ERATELIMIT);
  assert_true(v.retry_after < 0);
  assert_int_equal(v.refresh, 0);
  assert_non_null(strstr(err.msg, "QuotaExceeded"));
  assert_non_null(strstr(err.msg, "rid-429"));

  classify(f, &quota_wait, &v, &err);
  assert_int_equal(v.rc, MS_ERATELIMIT);
  assert_float_equal(v.retry_after, 3.0, 1e-9);
  assert_non_null(strstr(err.msg, "rid-429b"));
}

static void test_classify_expired_token_asks_for_a_refresh(void **state) {
  struct fx *f = *state;
  struct verdict v;
  struct err err = {0};
  struct answer expired = {403,
                           "{\"errors\":[{\"code\":\"Unauthorized\",\"message\":\"The access "
                           "token you provided has expired.\",\"details\":\"\"}]}",
                           "rid-403", NULL};
  classify(f, &expired, &v, &err);
  assert_int_equal(v.rc, MS_EAUTH);
  assert_int_equal(v.refresh, 1);
  assert_non_null(strstr(err.msg, "expired"));
  assert_non_null(strstr(err.msg, "rid-403"));
}

static void test_classify_bad_input(void **state) {
  struct fx *f = *state;
  struct verdict v;
  struct err err = {0};
  struct answer token = {400,
                         "{\"errors\":[{\"code\":\"InvalidInput\",\"message\":\"Invalid "
                         "NextToken.\",\"details\":\"\"}]}",
                         "rid-400a", NULL};
  struct answer other = {400,
                         "{\"errors\":[{\"code\":\"InvalidInput\",\"message\":\"CreatedBefore "
                         "must be at least 2 minutes before the request time.\"}]}",
                         "rid-400b", NULL};
  classify(f, &token, &v, &err);
  assert_int_equal(v.rc, MS_ECURSOR);
  assert_int_equal(v.refresh, 0);
  assert_non_null(strstr(err.msg, "NextToken"));
  assert_non_null(strstr(err.msg, "rid-400a"));

  classify(f, &other, &v, &err);
  assert_int_equal(v.rc, MS_EFATAL);
  assert_int_equal(v.refresh, 0);
  assert_non_null(strstr(err.msg, "InvalidInput"));
  assert_non_null(strstr(err.msg, "CreatedBefore"));
  assert_non_null(strstr(err.msg, "rid-400b"));
}

static void test_classify_server_and_transport_trouble(void **state) {
  struct fx *f = *state;
  struct verdict v;
  struct err err = {0};
  struct http_response res;
  struct answer down = {503, "<html>Service Unavailable</html>", "rid-503", "7"};
  struct answer anon = {500, "", NULL, NULL};

  classify(f, &down, &v, &err);
  assert_int_equal(v.rc, MS_ETRANSIENT);
  assert_float_equal(v.retry_after, 7.0, 1e-9);
  assert_non_null(strstr(err.msg, "503"));
  assert_non_null(strstr(err.msg, "rid-503"));

  classify(f, &anon, &v, &err);
  assert_int_equal(v.rc, MS_ETRANSIENT);
  assert_true(v.retry_after < 0);

  response(&res, 0, NULL);
  res.transport_rc = MS_ETRANSIENT;
  snprintf(res.transport_error, sizeof(res.transport_error), "Connection refused");
  err_clear(&err);
  amazon_connector.classify(f->st, &res, &v, &err);
  assert_int_equal(v.rc, MS_ETRANSIENT);
  assert_non_null(strstr(err.msg, "Connection refused"));
  http_response_release(&res);

  response(&res, 0, NULL);
  res.transport_rc = MS_EINTR;
  snprintf(res.transport_error, sizeof(res.transport_error), "interrupted");
  amazon_connector.classify(f->st, &res, &v, &err);
  assert_int_equal(v.rc, MS_EINTR);
  http_response_release(&res);
}

/* ---- observe ------------------------------------------------------------ */

static void test_observe_learns_the_rate_from_the_header(void **state) {
  struct fx *f = *state;
  struct http_response res;
  struct rate_hint hint = {0};

  /* no header, or nonsense: nothing is said */
  response(&res, 429, QUOTA);
  amazon_connector.observe(f->st, &res, &hint);
  assert_int_equal(hint.kind, HINT_NONE);
  header(&res, "x-amzn-RateLimit-Limit", "fast");
  amazon_connector.observe(f->st, &res, &hint);
  assert_int_equal(hint.kind, HINT_NONE);
  http_response_release(&res);

  response(&res, 200, "{\"payload\":{}}");
  header(&res, "x-amzn-RateLimit-Limit", "0.5");
  amazon_connector.observe(f->st, &res, &hint);
  assert_int_equal(hint.kind, HINT_RATE);
  assert_float_equal(hint.rate, 0.5, 1e-12);
  http_response_release(&res);
}

/* ---- hostile input ------------------------------------------------------ */

static void expect_proto(struct fx *f, const struct slice *sl, const char *body,
                         const char *words) {
  struct page pg;
  struct err err = {0};
  int rc = parse(f, sl, body, &pg, &err);
  if (rc != MS_EPROTO)
    fail_msg("body %.80s: rc %d (%s), want MS_EPROTO", body, rc, err.msg);
  assert_int_equal(err.code, MS_EPROTO);
  if (!strstr(err.msg, words))
    fail_msg("body %.80s: message \"%s\" does not say \"%s\"", body, err.msg, words);
  assert_null(pg.next_cursor);
  page_release(&pg);
}

/* A record-level problem does not fail the page: the order comes back marked
 * unreadable, with its bytes, for the store to keep aside, and no items are
 * asked for it. */
static void expect_unreadable(struct fx *f, const struct slice *sl, const char *body,
                              const char *words) {
  struct page pg;
  struct err err = {0};
  int rc = parse(f, sl, body, &pg, &err), found = 0;
  if (rc != MS_OK)
    fail_msg("body %.80s: rc %d (%s), want MS_OK with an unreadable record", body, rc, err.msg);
  for (size_t i = 0; i < pg.n; i++) {
    const struct record *r = &pg.recs[i];
    if (!r->unreadable)
      continue;
    found = 1;
    if (!strstr(r->unreadable, words))
      fail_msg("body %.80s: reason \"%s\" does not say \"%s\"", body, r->unreadable, words);
    assert_non_null(r->raw);
    assert_true(r->raw_len > 0);
    assert_int_equal(r->follow, 0); /* no items are asked for it */
  }
  if (!found)
    fail_msg("body %.80s: no record was marked unreadable", body);
  page_release(&pg);
}

static void test_hostile_orders_pages(void **state) {
  struct fx *f = *state;
  struct slice sl;
  char *deep;
  day_slice(f, &sl, 2026, 3, 8);
  expect_proto(f, &sl, "{\"payload\":{\"Orders\":[", "a cut JSON body");
  expect_proto(f, &sl, "{\"payload\":{\"Orders\":[}}", "malformed JSON");
  expect_proto(f, &sl, "<!DOCTYPE html><html><body>Sign in</body></html>", "an HTML page");
  expect_proto(f, &sl, "", "JSON");
  expect_proto(f, &sl, "{\"payload\":{}} trailing", "after the JSON");
  expect_proto(f, &sl, "[]", "payload");
  expect_proto(f, &sl, "{\"payload\":\"Orders\"}", "payload");
  expect_proto(f, &sl, "{\"payload\":{\"Orders\":{}}}", "Orders");
  expect_proto(f, &sl, "{\"payload\":{\"Orders\":null}}", "Orders");
  expect_unreadable(f, &sl, "{\"payload\":{\"Orders\":[\"" ORDER1 "\"]}}", "not an object");
  expect_unreadable(f, &sl,
                    "{\"payload\":{\"Orders\":[{\"AmazonOrderId\":\"" ORDER1 "\","
                    "\"PurchaseDate\":\"2026-03-08T09:15:00Z\"},"
                    "{\"PurchaseDate\":\"2026-03-08T09:15:00Z\",\"OrderStatus\":\"Shipped\"}],"
                    "\"NextToken\":\"NT1\"}}",
                    "AmazonOrderId");
  expect_unreadable(f, &sl,
                    "{\"payload\":{\"Orders\":[{\"AmazonOrderId\":{\"id\":1},"
                    "\"PurchaseDate\":\"2026-03-08T09:15:00Z\"}]}}",
                    "AmazonOrderId");
  expect_unreadable(f, &sl, "{\"payload\":{\"Orders\":[{\"AmazonOrderId\":\"" ORDER1 "\"}]}}",
                    "PurchaseDate");
  expect_unreadable(f, &sl,
                    "{\"payload\":{\"Orders\":[{\"AmazonOrderId\":\"" ORDER1 "\","
                    "\"PurchaseDate\":\"2026-03-08T09:15:00Z\","
                    "\"OrderTotal\":{\"CurrencyCode\":\"USD\",\"Amount\":\"12,34\"}}]}}",
                    "OrderTotal");
  /* nesting deep enough to exhaust a recursive parser */
  deep = calloc(1, 200001);
  assert_non_null(deep);
  memcpy(deep, "{\"payload\":", 11);
  memset(deep + 11, '[', 200000 - 11);
  expect_proto(f, &sl, deep, "JSON");
  free(deep);
}

static void test_hostile_items_pages(void **state) {
  struct fx *f = *state;
  struct slice sl;
  struct page pg;
  day_slice(f, &sl, 2026, 3, 8);
  parse_ok(f, &sl, ORDERS_PAGE1, &pg);
  advance(&sl, &pg);

  expect_proto(f, &sl,
               "{\"payload\":{\"AmazonOrderId\":\"" ORDER2 "\",\"OrderItems\":["
               "{\"OrderItemId\":\"OI-3\",\"QuantityOrdered\":1}]}}",
               ORDER2);
  {
    struct err err = {0};
    assert_int_equal(parse(f, &sl,
                           "{\"payload\":{\"AmazonOrderId\":\"" ORDER2 "\",\"OrderItems\":[]}}",
                           &pg, &err),
                     MS_EPROTO);
    assert_non_null(strstr(err.msg, ORDER1));
    assert_non_null(strstr(err.msg, ORDER2));
    assert_null(pg.children_of);
    page_release(&pg);
  }
  expect_proto(f, &sl, "{\"payload\":{\"AmazonOrderId\":\"" ORDER1 "\",\"OrderItems\":{}}}",
               "OrderItems");
  expect_proto(f, &sl, "{\"payload\":{\"Orders\":[]}}", "OrderItems");
  expect_proto(f, &sl,
               "{\"payload\":{\"AmazonOrderId\":\"" ORDER1 "\",\"OrderItems\":["
               "{\"OrderItemId\":\"OI-1\",\"QuantityOrdered\":1},"
               "{\"SellerSKU\":\"SKU-9\",\"QuantityOrdered\":1}]}}",
               "OrderItemId");
  expect_proto(f, &sl,
               "{\"payload\":{\"AmazonOrderId\":\"" ORDER1 "\",\"OrderItems\":["
               "{\"OrderItemId\":\"OI-1\",\"QuantityOrdered\":1,"
               "\"ItemPrice\":{\"CurrencyCode\":\"USD\",\"Amount\":\"1e9\"}}]}}",
               "ItemPrice");
  expect_proto(f, &sl, "{\"payload\":{\"AmazonOrderId\":\"" ORDER1 "\",\"OrderItems\":[",
               "a cut JSON body");
  slice_release(&sl);
}

/* The engine passes an err, but err MAY be NULL: a broken answer must still
 * fail, never read as an empty last page. */
static void test_malformed_answer_fails_without_an_err(void **state) {
  struct fx *f = *state;
  struct slice sl;
  struct page pg;
  day_slice(f, &sl, 2026, 3, 8);
  assert_int_equal(parse(f, &sl, "{\"payload\":{\"Orders\":[", &pg, NULL), MS_EPROTO);
  page_release(&pg);
  assert_int_equal(parse(f, &sl, "", &pg, NULL), MS_EPROTO);
  page_release(&pg);
}

static void test_a_damaged_cursor_restarts_the_slice(void **state) {
  struct fx *f = *state;
  static const char *const damaged[] = {"[\"" ORDER1, "{\"p\":[]}", "[1,2]", "[null]", "[\"\"]"};
  struct slice sl;
  struct page pg;
  struct err err = {0};
  char url[1024], ep[32];
  for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
    day_slice(f, &sl, 2026, 3, 8);
    sl.follow = xstrdup(damaged[i]);
    assert_int_equal(next_request(f, &sl, url, sizeof(url), ep, sizeof(ep), &err), MS_ECURSOR);
    assert_int_equal(parse(f, &sl, ORDERS_PAGE1, &pg, &err), MS_ECURSOR);
    page_release(&pg);
    slice_release(&sl);
  }
}

static void test_open_refuses_incomplete_settings(void **state) {
  struct fx *f = *state;
  struct source src;
  struct err err = {0};
  void *st = NULL;
  memset(&src, 0, sizeof(src));
  snprintf(src.row.name, sizeof(src.row.name), "amz-bad");
  src.api_base = API;
  src.row.settings = "{\"marketplaces\":[],\"token_url\":\"" TOKEN_URL "\",\"client_id\":\"c\"}";
  src.secrets[0] = f->src.secrets[0];
  src.secrets[1] = f->src.secrets[1];
  src.nsecrets = 2;
  assert_int_equal(amazon_connector.open(&src, &st, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "amz-bad"));
  assert_null(st);

  src.row.settings = "{\"marketplaces\":[\"ATVPDKIKX0DER\"],\"token_url\":\"" TOKEN_URL "\","
                     "\"client_id\":\"c\"}";
  src.nsecrets = 1; /* no refresh token */
  assert_int_equal(amazon_connector.open(&src, &st, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "refresh token"));
  assert_null(st);

  src.row.settings = "not json";
  assert_int_equal(amazon_connector.open(&src, &st, &err), MS_EINVAL);
  assert_null(st);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_auth_needed_until_a_token_and_again_before_expiry),
      T(test_auth_request_is_a_form_post_with_the_refresh_token),
      T(test_parse_auth_sets_a_secret_access_token_header),
      T(test_refused_credentials_are_an_auth_error_without_secrets),
      T(test_refused_credentials_echoed_back_are_not_repeated),
      T(test_unreadable_token_answers_are_transient),
      T(test_token_server_trouble_is_transient),
      T(test_auth_expired_forgets_the_token),
      T(test_first_request_of_a_23_hour_day),
      T(test_first_request_of_a_25_hour_day),
      T(test_a_day_not_begun_has_nothing_to_fetch),
      T(test_today_ends_three_minutes_ago),
      T(test_orders_then_items_then_the_next_orders_page),
      T(test_an_empty_last_orders_page_ends_the_slice),
      T(test_classify_ok_and_rate_limits),
      T(test_classify_expired_token_asks_for_a_refresh),
      T(test_classify_bad_input),
      T(test_classify_server_and_transport_trouble),
      T(test_observe_learns_the_rate_from_the_header),
      T(test_hostile_orders_pages),
      T(test_hostile_items_pages),
      T(test_malformed_answer_fails_without_an_err),
      T(test_a_damaged_cursor_restarts_the_slice),
      T(test_open_refuses_incomplete_settings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
