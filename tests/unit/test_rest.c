/* The rest connector without a network: the built-in specs read and make
 * the connectors the issue names; a spec's mistakes are named by field; the
 * requests each slice kind builds, the records and cursors each answer
 * gives, the verdicts of errors (Admitad's 503 and expired tokens,
 * Boostiny's throttle and lockout) and the OAuth2 conversation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/rest.h"
#include "connectors/rest_spec.h"
#include "connectors/rest_state.h"
#include "util/clock.h"
#include "util/json.h"

#define BASE "http://api.test"
#define ADMITAD_SETTINGS                                                                           \
  "{\"client_id\":\"app-1\",\"website\":644128,\"api_base\":\"" BASE "\",\"token_url\":\"" BASE    \
  "/token/\",\"timezone\":\"Europe/Moscow\"}"
#define BOOSTINY_SETTINGS "{\"api_base\":\"" BASE "\",\"timezone\":\"UTC\",\"refetch_days\":45}"

struct fx {
  struct source src;
  const struct connector *conn;
  void *st;
};

static char *xstrdup(const char *s) {
  char *p = strdup(s);
  assert_non_null(p);
  return p;
}

/* A source of a connector as `source add` stores it, with one secret. */
static struct fx *open_base(const char *connector, const char *base, const char *settings,
                            const char *zone, const char *secret_name, const char *secret) {
  struct fx *f = calloc(1, sizeof(*f));
  struct err err = {0};
  assert_non_null(f);
  snprintf(f->src.row.name, sizeof(f->src.row.name), "src");
  snprintf(f->src.row.connector, sizeof(f->src.row.connector), "%s", connector);
  f->src.row.settings = xstrdup(settings);
  f->src.api_base = xstrdup(base);
  f->src.timezone = xstrdup(zone);
  assert_int_equal(tz_open(zone, &f->src.tz, &err), MS_OK);
  snprintf(f->src.secrets[0].name, sizeof(f->src.secrets[0].name), "%s", secret_name);
  f->src.secrets[0].value = xstrdup(secret);
  f->src.nsecrets = 1;
  if (connector_for_row(&f->src.row, &f->conn, &err) != MS_OK)
    fail_msg("connector: %s", err.msg);
  if (f->conn->open(&f->src, &f->st, &err) != MS_OK)
    fail_msg("open: %s", err.msg);
  return f;
}

static struct fx *open_source(const char *connector, const char *settings, const char *zone,
                              const char *secret_name, const char *secret) {
  return open_base(connector, BASE, settings, zone, secret_name, secret);
}

static void close_source(struct fx *f) {
  f->conn->close(f->st);
  source_release(&f->src);
  free(f);
  unsetenv("MARKETSYNC_NOW_OFFSET");
}

static const struct stream_def *stream(struct fx *f, const char *name) {
  const struct stream_def *d = stream_find(f->conn->streams, name);
  assert_non_null(d);
  return d;
}

static void day_slice(struct fx *f, struct slice *sl, int y, int m, int d) {
  memset(sl, 0, sizeof(*sl));
  sl->kind = SLICE_DAY;
  sl->day = (struct civil_date){y, m, d};
  assert_int_equal(tz_day_bounds(f->src.tz, sl->day, &sl->range_start, &sl->range_end), MS_OK);
}

/* The request a slice makes, its URL into url. */
static int request(struct fx *f, const struct stream_def *def, const struct slice *sl, char *url,
                   size_t n, struct http_request *req) {
  struct err err = {0};
  int rc;
  http_request_init(req);
  rc = def->page_request(f->st, def, sl, req, &err);
  snprintf(url, n, "%s", rc ? err.msg : req->url.data);
  return rc;
}

static void expect_url(struct fx *f, const struct stream_def *def, const struct slice *sl,
                       const char *want) {
  struct http_request req;
  char url[2048];
  assert_int_equal(request(f, def, sl, url, sizeof(url), &req), MS_OK);
  assert_string_equal(url, want);
  http_request_release(&req);
}

static const char *header_of(const struct http_request *req, const char *name) {
  size_t n = strlen(name);
  for (int i = 0; i < req->nheaders; i++)
    if (strncasecmp(req->headers[i], name, n) == 0 && req->headers[i][n] == ':')
      return req->headers[i] + n + 2;
  return NULL;
}

static void response(struct http_response *res, long status, const char *body) {
  http_response_init(res);
  res->status = status;
  if (body)
    assert_int_equal(buf_puts(&res->body, body), MS_OK);
}

static void add_header(struct http_response *res, const char *name, const char *value) {
  assert_int_equal(http_response_add_header(res, name, strlen(name), value, strlen(value)), MS_OK);
}

static int parse(struct fx *f, const struct stream_def *def, const struct slice *sl,
                 const char *body, struct page *pg) {
  struct http_response res;
  struct err err = {0};
  int rc;
  response(&res, 200, body);
  page_init(pg, def);
  rc = def->parse_page(f->st, def, sl, &res, pg, &err);
  http_response_release(&res);
  return rc;
}

static struct verdict classify(struct fx *f, long status, const char *body, const char *name,
                               const char *value, char *msg, size_t n) {
  struct http_response res;
  struct verdict v;
  struct err err = {0};
  response(&res, status, body);
  if (name)
    add_header(&res, name, value);
  f->conn->classify(f->st, &res, &v, &err);
  snprintf(msg, n, "%s", err.msg);
  http_response_release(&res);
  return v;
}

/* ---- the built-in specs ------------------------------------------------- */

static const struct setting_def *setting(const struct connector *c, const char *flag) {
  for (const struct setting_def *d = c->settings; d && d->key; d++)
    if (strcmp(d->flag, flag) == 0)
      return d;
  return NULL;
}

static void test_builtin_specs_make_connectors_with_their_options(void **state) {
  const struct connector *a = connector_find("admitad"), *b = connector_find("boostiny");
  (void)state;
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(connector_find("rest"));
  assert_non_null(rest_embedded_find("admitad"));
  /* source add admitad NAME --client-id ID --client-secret-env VAR --website W
   * [--api-base URL] [--token-url URL] [--timezone TZ] */
  assert_int_equal(setting(a, "client-id")->flags & SETTING_REQUIRED, SETTING_REQUIRED);
  assert_int_equal(setting(a, "client-secret")->kind, SETTING_SECRET);
  assert_int_equal(setting(a, "website")->kind, SETTING_INT);
  assert_int_equal(setting(a, "token-url")->kind, SETTING_URL);
  assert_int_equal(setting(a, "api-base")->kind, SETTING_URL);
  assert_int_equal(setting(a, "timezone")->kind, SETTING_ZONE);
  assert_int_equal(setting(b, "api-key")->kind, SETTING_SECRET);
  assert_int_equal(setting(b, "refetch-days")->kind, SETTING_INT);
  assert_non_null(a->auth_expired); /* OAuth2: tokens are refreshed */
  assert_null(b->auth_expired);     /* a raw key */
  /* 600 a minute, never more in any minute */
  assert_int_equal(a->endpoints[0].kind, RATE_TOKEN);
  assert_true(a->endpoints[0].size + a->endpoints[0].rate * 60 <= 600.0001);
  assert_true(b->endpoints[0].size + b->endpoints[0].rate * 60 <= 60.0001);
  /* Streams, their slicing and the seed's "purchases" */
  assert_int_equal(stream_find(a->streams, "actions")->slicing, SLICING_BY_DAY);
  assert_true(stream_find(a->streams, "actions")->flags & STREAM_MODIFIED);
  assert_int_equal(stream_find(a->streams, "coupons")->slicing, SLICING_SNAPSHOT);
  assert_true(stream_answers_to(stream_find(a->streams, "actions"), "purchases"));
  assert_true(stream_answers_to(stream_find(b->streams, "performance"), "purchases"));
  assert_false(stream_answers_to(stream_find(b->streams, "coupons"), "purchases"));
  assert_int_equal(stream_find(b->streams, "performance")->recent_days, 45);
  assert_string_equal(stream_find(b->streams, "performance")->recent_days_setting, "refetch_days");
}

static void test_configure_fills_defaults_from_other_settings(void **state) {
  const struct connector *a = connector_find("admitad");
  cJSON *s = cJSON_Parse("{\"client_id\":\"x\",\"website\":1,\"api_base\":\"http://h.test/a\"}");
  struct err err = {0};
  (void)state;
  assert_int_equal(a->configure(a, s, &err), MS_OK);
  assert_string_equal(jstr(s, "token_url"), "http://h.test/a/token/");
  assert_string_equal(jstr(s, "timezone"), "Europe/Moscow");
  cJSON_Delete(s);
  s = cJSON_Parse("{}");
  assert_int_equal(connector_find("boostiny")->configure(connector_find("boostiny"), s, &err),
                   MS_OK);
  assert_string_equal(jstr(s, "api_base"), "https://api.boostiny.com");
  assert_int_equal(jint(s, "refetch_days", 0), 45);
  cJSON_Delete(s);
}

/* ---- mistakes ------------------------------------------------------------- */

/* The Boostiny spec with one replacement, read. */
static int read_changed(const char *from, const char *to, struct err *err) {
  const struct rest_embedded *e = rest_embedded_find("boostiny");
  struct rest_spec *spec = NULL;
  char *text = calloc(1, e->len + strlen(to) + 1);
  const char *at = strstr(e->text, from);
  int rc;
  assert_non_null(text);
  assert_non_null(at);
  memcpy(text, e->text, (size_t)(at - e->text));
  strcat(text, to);
  strcat(text, at + strlen(from));
  rc = rest_spec_parse(text, strlen(text), "b.json", &spec, err);
  rest_spec_free(spec);
  free(text);
  return rc;
}

static void test_mistakes_are_named_by_field(void **state) {
  static const struct {
    const char *from, *to; /* the change */
    const char *says;      /* in the message */
  } cases[] = {
      {"\"type\": \"page\"", "\"type\": \"pages\"",
       "streams[0].pagination.type: 'pages' is not one of none, offset, page, cursor, link"},
      {"\"pagination\"", "\"paginaton\"", "streams[0]: unknown member 'paginaton'"},
      {"\"{day}\"", "\"{dy}\"", "streams[0].day_params.from: {dy} is neither a setting"},
      {"\"{day}\"", "\"{day:YYYY-MM-DD}\"", "the format is a pattern of yyyy"},
      {"\"secret\": \"api_key\"", "\"secret\": \"token\"",
       "auth.secret: names token, which is not a setting of kind secret"},
      {"\"day_params\": {\"from\": \"{day}\", \"to\": \"{day}\"}", "\"day_params\": {}",
       "streams[0].day_params: a stream sliced by day must ask for its day"},
      {"\"path\": \"/publisher/performance\"", "\"path\": \"publisher/performance\"",
       "streams[0].path: starts with '/'"},
      {"\"name\": \"code\", \"path\"", "\"name\": \"external_id\", \"path\"",
       "streams[0]: stream performance: column external_id is one every table has already"},
      {"\"records\": \"payload.data\"", "\"records\": \"payload..data\"",
       "streams[0].records: 'payload..data' is not a path"},
      {"\"spec\": 1", "\"spec\": 2", "spec: is required and must be 1"},
      {"\"day_params\": {\"from\": \"{day}\", \"to\": \"{day}\"}",
       "\"day_params\": {\"from\": \"{day}\", \"to\": \"{day}\", \"k\": \"{api_key}\"}",
       "{api_key} is a secret"},
      {"\"requests\": 60", "\"requests\": -1", "rate_limit.requests: expected a number"},
      {"\"base_url\": \"https://api.boostiny.com\"", "\"base_url\": \"ftp://x\"",
       "base_url: the URL must start with https://"},
      {"\"title\": \"Boostiny\"", "\"title\": 5", "title: expected text in quotes"},
      {"\"spec\": 1,", "\"spec\": 1,,", "the spec is not JSON (malformed JSON, line 2)"},
  };
  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct err err = {0};
    assert_int_equal(read_changed(cases[i].from, cases[i].to, &err), MS_EINVAL);
    if (!strstr(err.msg, cases[i].says) || strncmp(err.msg, "spec b.json: ", 13) != 0)
      fail_msg("case %zu: got '%s', wanted '%s'", i, err.msg, cases[i].says);
  }
}

static void test_garbage_never_reads(void **state) {
  static const char *const bad[] = {
      "", "null", "{}", "{\"spec\":1}", "\"x\"", "{\"spec\":1,\"name\":"};
  (void)state;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct rest_spec *spec = NULL;
    struct err err = {0};
    assert_int_equal(rest_spec_parse(bad[i], strlen(bad[i]), NULL, &spec, &err), MS_EINVAL);
    assert_null(spec);
    assert_true(strlen(err.msg) > 10);
  }
}

/* ---- templates -------------------------------------------------------------- */

static void test_templates_write_days_and_times_in_the_zone(void **state) {
  struct fx *f = open_source("admitad", ADMITAD_SETTINGS, "Europe/Moscow", "client_secret", "s");
  struct rest_vars v;
  struct buf b;
  struct err err = {0};
  (void)state;
  memset(&v, 0, sizeof(v));
  v.settings = ((struct rest_state *)f->st)->settings;
  v.zone = f->src.tz;
  v.has_day = 1;
  v.day = (struct civil_date){2026, 11, 20};
  tz_day_bounds(f->src.tz, v.day, &v.day_start, &v.day_end);
  v.has_window = 1;
  v.since = 1795132800; /* 2026-11-20T00:00:00Z = 03:00 in Moscow */
  buf_init(&b, 0);
  assert_int_equal(rest_template_expand("{day:dd.mm.yyyy}|{day}|{day_last:HH:MM:SS}|{since:dd.mm."
                                        "yyyy HH:MM:SS}|{since:iso}|{since:iso_utc}|{since:unix}|"
                                        "{website}|{{x}",
                                        &v, 0, &b, &err),
                   MS_OK);
  assert_string_equal(b.data, "20.11.2026|2026-11-20|23:59:59|20.11.2026 03:00:00|"
                              "2026-11-20T03:00:00+03:00|2026-11-20T00:00:00Z|1795132800|644128|"
                              "{x}");
  buf_reset(&b);
  assert_int_equal(rest_template_expand("{since:dd.mm.yyyy HH:MM:SS}", &v, 1, &b, &err), MS_OK);
  assert_string_equal(b.data, "20.11.2026%2003%3A00%3A00");
  buf_reset(&b);
  assert_int_equal(rest_template_expand("{nope}", &v, 0, &b, &err), MS_EINVAL);
  buf_release(&b);
  close_source(f);
}

/* ---- Admitad -------------------------------------------------------------------- */

static void test_admitad_days_and_windows_ask_as_admitad_wants(void **state) {
  struct fx *f = open_source("admitad", ADMITAD_SETTINGS, "Europe/Moscow", "client_secret", "s");
  const struct stream_def *actions = stream(f, "actions");
  struct slice sl;
  (void)state;
  day_slice(f, &sl, 2026, 11, 20);
  expect_url(f, actions, &sl,
             BASE "/statistics/actions/?website=644128&order_by=datetime&date_start=20.11.2026"
                  "&date_end=20.11.2026&limit=500&offset=0");
  sl.cursor = "{\"n\":500}";
  expect_url(f, actions, &sl,
             BASE "/statistics/actions/?website=644128&order_by=datetime&date_start=20.11.2026"
                  "&date_end=20.11.2026&limit=500&offset=500");
  memset(&sl, 0, sizeof(sl));
  sl.kind = SLICE_WINDOW;
  sl.range_start = 1795132800;
  expect_url(f, actions, &sl,
             BASE "/statistics/actions/?website=644128&order_by=datetime"
                  "&status_updated_start=20.11.2026%2003%3A00%3A00&limit=500&offset=0");
  /* A first full pass starts at the beginning: no filter at all. */
  sl.range_start = 0;
  expect_url(f, actions, &sl,
             BASE "/statistics/actions/?website=644128&order_by=datetime&limit=500&offset=0");
  memset(&sl, 0, sizeof(sl));
  sl.kind = SLICE_SNAPSHOT;
  expect_url(f, stream(f, "coupons"), &sl, BASE "/coupons/website/644128/?limit=500&offset=0");
  sl.cursor = "not json";
  {
    struct http_request req;
    char msg[512];
    assert_int_equal(request(f, stream(f, "coupons"), &sl, msg, sizeof(msg), &req), MS_ECURSOR);
    http_request_release(&req);
  }
  close_source(f);
}

static void test_admitad_pages_follow_the_count(void **state) {
  struct fx *f = open_source("admitad", ADMITAD_SETTINGS, "Europe/Moscow", "client_secret", "s");
  const struct stream_def *actions = stream(f, "actions");
  const char *two = "{\"results\":[{\"action_id\":1,\"status\":\"pending\",\"action_date\":"
                    "\"2026-11-20 00:00:00\",\"status_updated\":\"2026-11-20 00:00:00\","
                    "\"payment\":9.95,\"currency\":\"USD\",\"positions\":[{\"id\":7,\"payment\":"
                    "\"9.95\",\"amount\":\"100.00\"}]},{\"action_id\":2,\"status\":\"approved\","
                    "\"action_date\":\"2026-11-20 23:59:59\",\"status_updated\":\"2026-11-30 "
                    "10:00:00\"}],\"_meta\":{\"count\":1002,\"limit\":500,\"offset\":500}}";
  struct slice sl;
  struct page pg;
  (void)state;
  day_slice(f, &sl, 2026, 11, 20);
  sl.cursor = "{\"n\":500}";
  assert_int_equal(parse(f, actions, &sl, two, &pg), MS_OK);
  assert_int_equal(pg.n, 2);
  assert_string_equal(pg.recs[0].external_id, "1");
  assert_int_equal(pg.recs[0].created_at, sl.range_start); /* 00:00 Moscow */
  assert_int_equal(pg.recs[1].created_at, sl.range_end - 1);
  assert_int_equal(pg.recs[1].updated_at, 1796022000); /* 2026-11-30 10:00 Moscow */
  assert_string_equal(record_value(&pg.recs[0], actions, "payment")->text, "9.95");
  assert_int_equal(record_value(&pg.recs[0], actions, "payment")->i, 995);
  assert_int_equal(pg.recs[0].nkids, 1);
  assert_int_equal(pg.recs[0].kids[0].n, 1);
  /* 500 + 2 of 1002 read: on to 502 (not 1000: the API may have sent fewer) */
  assert_string_equal(pg.next_cursor, "{\"n\":502}");
  page_release(&pg);
  sl.cursor = "{\"n\":1000}";
  assert_int_equal(parse(f, actions, &sl, two, &pg), MS_OK);
  assert_null(pg.next_cursor); /* 1002 reached */
  page_release(&pg);
  assert_int_equal(parse(f, actions, &sl, "{\"results\":[],\"_meta\":{\"count\":5000}}", &pg),
                   MS_OK);
  assert_null(pg.next_cursor); /* an empty page ends the list */
  page_release(&pg);
  assert_int_equal(parse(f, actions, &sl, "{\"results\":{},\"_meta\":[]}", &pg), MS_EPROTO);
  page_release(&pg);
  assert_int_equal(parse(f, actions, &sl, "{\"other\":[]}", &pg), MS_EPROTO);
  page_release(&pg);
  close_source(f);
}

static void test_admitad_errors_mean_what_admitad_says(void **state) {
  struct fx *f = open_source("admitad", ADMITAD_SETTINGS, "Europe/Moscow", "client_secret",
                             "the-client-secret");
  struct verdict v;
  char msg[MS_ERR_MSG_MAX];
  (void)state;
  v = classify(f, 503,
               "{\"error\":\"request_limit\",\"error_description\":\"Request limit exceeded\","
               "\"error_code\":4}",
               NULL, NULL, msg, sizeof(msg));
  assert_int_equal(v.rc, MS_ERATELIMIT);
  assert_false(v.locked_out);
  v = classify(f, 401,
               "{\"error\":\"invalid_token\",\"error_description\":\"The access token provided "
               "has expired.\",\"error_code\":0}",
               NULL, NULL, msg, sizeof(msg));
  assert_int_equal(v.rc, MS_EAUTH);
  assert_true(v.refresh);
  assert_non_null(strstr(msg, "expired"));
  v = classify(f, 403,
               "{\"error\":\"insufficient_scope\",\"error_description\":\"Insufficient scope\","
               "\"error_code\":2}",
               NULL, NULL, msg, sizeof(msg));
  assert_int_equal(v.rc, MS_ESCOPE);
  v = classify(f, 400,
               "{\"error\":\"bad_request\",\"error_description\":\"limit '501' must be at most "
               "500; your secret the-client-secret\",\"error_code\":3}",
               NULL, NULL, msg, sizeof(msg));
  assert_int_equal(v.rc, MS_EFATAL);
  assert_non_null(strstr(msg, "limit '501'"));
  assert_null(strstr(msg, "the-client-secret")); /* an echoed secret is not repeated */
  v = classify(f, 502, "<html>bad gateway</html>", NULL, NULL, msg, sizeof(msg));
  assert_int_equal(v.rc, MS_ETRANSIENT);
  close_source(f);
}

/* The token conversation: client credentials with HTTP Basic, the refresh
 * token the answer gives, a refused refresh falling back. */
static void test_admitad_tokens_are_fetched_refreshed_and_replaced(void **state) {
  struct fx *f = open_source("admitad", ADMITAD_SETTINGS, "Europe/Moscow", "client_secret",
                             "the-client-secret");
  struct http_request req;
  struct http_response res;
  struct err err = {0};
  int64_t now = 1795132800;
  (void)state;
  assert_true(f->conn->auth_needed(f->st, now));
  http_request_init(&req);
  assert_int_equal(f->conn->auth_request(f->st, &req, &err), MS_OK);
  assert_string_equal(req.url.data, BASE "/token/");
  assert_string_equal(req.method, "POST");
  assert_non_null(strstr(req.body.data, "grant_type=client_credentials&client_id=app-1&scope="
                                        "statistics%20advcampaigns_for_website"));
  assert_null(strstr(req.body.data, "the-client-secret")); /* it goes as HTTP Basic */
  /* base64("app-1:the-client-secret") */
  assert_string_equal(header_of(&req, "Authorization"), "Basic YXBwLTE6dGhlLWNsaWVudC1zZWNyZXQ=");
  http_request_release(&req);
  response(&res, 200,
           "{\"access_token\":\"acc1\",\"token_type\":\"bearer\",\"expires_in\":604800,"
           "\"refresh_token\":\"ref1\",\"scope\":\"statistics\"}");
  assert_int_equal(f->conn->parse_auth(f->st, &res, now, &err), MS_OK);
  http_response_release(&res);
  assert_false(f->conn->auth_needed(f->st, now + 3600));
  assert_true(f->conn->auth_needed(f->st, now + 604800)); /* renewed before it expires */
  {
    struct slice sl;
    char url[512];
    memset(&sl, 0, sizeof(sl));
    sl.kind = SLICE_SNAPSHOT;
    assert_int_equal(request(f, stream(f, "campaigns"), &sl, url, sizeof(url), &req), MS_OK);
    assert_string_equal(header_of(&req, "Authorization"), "Bearer acc1");
    http_request_release(&req);
  }
  /* The API says it expired: the refresh token asks for the next one. */
  f->conn->auth_expired(f->st);
  assert_true(f->conn->auth_needed(f->st, now));
  http_request_init(&req);
  assert_int_equal(f->conn->auth_request(f->st, &req, &err), MS_OK);
  assert_string_equal(req.body.data, "grant_type=refresh_token&client_id=app-1&client_secret=the-"
                                     "client-secret&refresh_token=ref1");
  http_request_release(&req);
  response(&res, 400,
           "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid refresh token\"}");
  assert_int_equal(f->conn->parse_auth(f->st, &res, now, &err), MS_ETRANSIENT);
  http_response_release(&res);
  assert_non_null(strstr(err.msg, "refused the refresh token"));
  /* ... so the client credentials ask again. */
  http_request_init(&req);
  assert_int_equal(f->conn->auth_request(f->st, &req, &err), MS_OK);
  assert_non_null(strstr(req.body.data, "grant_type=client_credentials"));
  http_request_release(&req);
  response(&res, 401,
           "{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed: "
           "the-client-secret\"}");
  assert_int_equal(f->conn->parse_auth(f->st, &res, now, &err), MS_EAUTH);
  http_response_release(&res);
  assert_non_null(strstr(err.msg, "refused the client credentials"));
  assert_null(strstr(err.msg, "the-client-secret"));
  close_source(f);
}

/* ---- Boostiny --------------------------------------------------------------------- */

static void test_boostiny_rows_get_their_day_and_pages_end_at_the_total(void **state) {
  struct fx *f = open_source("boostiny", BOOSTINY_SETTINGS, "UTC", "api_key", "key-1");
  const struct stream_def *perf = stream(f, "performance");
  const char *body = "{\"payload\":{\"data\":[ {\"code\":\"EID13\",\"code_id\":\"9440\","
                     "\"orders\":\"5\",\"revenue\":\"49.03\",\"last_updated_at\":\"2026-11-25 "
                     "11:40:35\"},{}],\"pagination\":{\"total\":1000,\"perPage\":500,"
                     "\"currentPage\":2}}}";
  struct http_request req;
  struct slice sl;
  struct page pg;
  char url[512];
  (void)state;
  day_slice(f, &sl, 2026, 11, 24);
  assert_int_equal(request(f, perf, &sl, url, sizeof(url), &req), MS_OK);
  assert_string_equal(url, BASE "/publisher/performance?from=2026-11-24&to=2026-11-24&page=1"
                                "&limit=500");
  assert_string_equal(header_of(&req, "Authorization"), "key-1"); /* no scheme */
  assert_string_equal(header_of(&req, "Accept"), "application/json");
  http_request_release(&req);
  sl.cursor = "{\"n\":2}";
  assert_int_equal(parse(f, perf, &sl, body, &pg), MS_OK);
  assert_int_equal(pg.n, 2);
  assert_string_equal(pg.recs[0].external_id, "9440:2026-11-24");
  assert_string_equal(pg.recs[0].raw, "{\"date\":\"2026-11-24\",\"code\":\"EID13\",\"code_id\":"
                                      "\"9440\",\"orders\":\"5\",\"revenue\":\"49.03\","
                                      "\"last_updated_at\":\"2026-11-25 11:40:35\"}");
  assert_int_equal(pg.recs[0].created_at, sl.range_start);
  assert_int_equal(record_value(&pg.recs[0], perf, "orders")->i, 5);
  assert_string_equal(record_value(&pg.recs[0], perf, "day")->text, "2026-11-24");
  assert_non_null(pg.recs[1].unreadable); /* no code_id: set aside, the page goes on */
  assert_null(pg.next_cursor);            /* page 2 of 500 reaches 1000 */
  page_release(&pg);
  sl.cursor = NULL;
  assert_int_equal(parse(f, perf, &sl, body, &pg), MS_OK);
  assert_string_equal(pg.next_cursor, "{\"n\":2}");
  page_release(&pg);
  close_source(f);
}

static void test_boostiny_throttle_waits_and_lockout_stops(void **state) {
  struct fx *f = open_source("boostiny", BOOSTINY_SETTINGS, "UTC", "api_key", "key-1");
  struct verdict v;
  char msg[MS_ERR_MSG_MAX];
  (void)state;
  v = classify(f, 429, "{\"message\":\"Too Many Attempts.\"}", "Retry-After", "17", msg,
               sizeof(msg));
  assert_int_equal(v.rc, MS_ERATELIMIT);
  assert_false(v.locked_out);
  assert_true(v.retry_after > 16.9 && v.retry_after < 17.1);
  v = classify(f, 429, "{\"message\":\"Too many attempts, retry after 10 minutes\"}", NULL, NULL,
               msg, sizeof(msg));
  assert_int_equal(v.rc, MS_ERATELIMIT);
  assert_true(v.locked_out);
  assert_true(v.retry_after > 599 && v.retry_after < 601);
  v = classify(f, 429, "{\"message\":\"Too many attempts, retry after 10 minutes\"}", "Retry-After",
               "312", msg, sizeof(msg));
  assert_true(v.locked_out);
  assert_true(v.retry_after > 311 && v.retry_after < 313); /* the header knows best */
  v = classify(f, 401, "{\"message\":\"Unauthenticated.\"}", NULL, NULL, msg, sizeof(msg));
  assert_int_equal(v.rc, MS_EAUTH);
  assert_false(v.refresh); /* a key cannot be refreshed */
  close_source(f);
}

/* ---- a third network: cursors and links --------------------------------------- */

static const char third[] =
    "{\"spec\":1,\"name\":\"third\",\"base_url\":\"https://api.third.test\",\"settings\":["
    "{\"key\":\"token\",\"kind\":\"secret\",\"required\":true,\"help\":\"the token\"}],"
    "\"auth\":{\"type\":\"bearer\"},\"streams\":["
    "{\"name\":\"sales\",\"table\":\"third_sales\",\"slicing\":\"by_update\",\"path\":\"/sales\","
    "\"window_params\":{\"updated_since\":\"{since:iso_utc}\",\"until\":\"{until:unix}\"},"
    "\"records\":\"\",\"key\":\"id\",\"updated\":\"ts\",\"pagination\":{\"type\":\"link\"}},"
    "{\"name\":\"offers\",\"table\":\"third_offers\",\"slicing\":\"snapshot\",\"path\":\"/offers\","
    "\"records\":\"data\",\"key\":\"id\",\"pagination\":{\"type\":\"cursor\",\"limit\":100,"
    "\"cursor\":\"meta.next\",\"cursor_param\":\"after\"}}]}";

static struct fx *open_third(void) {
  const char *dir = getenv("MS_TEST_TMP");
  char path[512], settings[700];
  FILE *fp;
  snprintf(path, sizeof(path), "%s/third-%ld.json", dir ? dir : "/tmp", (long)getpid());
  fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(third, fp);
  fclose(fp);
  snprintf(settings, sizeof(settings),
           "{\"spec\":\"%s\",\"api_base\":\"https://api.third.test\",\"timezone\":\"UTC\"}", path);
  return open_base("rest", "https://api.third.test", settings, "UTC", "token", "tok-1");
}

static void test_a_third_network_pages_by_link_and_cursor(void **state) {
  struct fx *f = open_third();
  const struct stream_def *sales = stream(f, "sales"), *offers = stream(f, "offers");
  struct http_request req;
  struct http_response res;
  struct slice sl;
  struct page pg;
  struct err err = {0};
  char url[512];
  (void)state;
  assert_string_equal(f->conn->name, "rest");
  memset(&sl, 0, sizeof(sl));
  sl.kind = SLICE_WINDOW;
  sl.range_start = 1795132800;
  sl.started_at = 1795700000;
  assert_int_equal(request(f, sales, &sl, url, sizeof(url), &req), MS_OK);
  /* The pass ends two minutes before it began, the same for every page. */
  assert_string_equal(url, "https://api.third.test/sales?updated_since=2026-11-20T00%3A00%3A00Z"
                           "&until=1795699880");
  assert_string_equal(header_of(&req, "Authorization"), "Bearer tok-1");
  http_request_release(&req);
  response(&res, 200, "[{\"id\":1,\"ts\":\"2026-11-20T10:00:00Z\"}]");
  add_header(&res, "Link", "<https://api.third.test/sales?page=2>; rel=\"next\"");
  page_init(&pg, sales);
  assert_int_equal(sales->parse_page(f->st, sales, &sl, &res, &pg, &err), MS_OK);
  assert_string_equal(pg.next_cursor, "{\"u\":\"https://api.third.test/sales?page=2\"}");
  assert_int_equal(pg.server_time, 1795699880); /* the watermark moves to the pass's end */
  page_release(&pg);
  http_response_release(&res);
  /* A next page elsewhere is refused: the token goes nowhere else. */
  response(&res, 200, "[]");
  add_header(&res, "Link", "<https://evil.test/sales?page=2>; rel=\"next\"");
  page_init(&pg, sales);
  assert_int_equal(sales->parse_page(f->st, sales, &sl, &res, &pg, &err), MS_OK);
  assert_null(pg.next_cursor); /* an empty page: done before looking */
  page_release(&pg);
  http_response_release(&res);
  response(&res, 200, "[{\"id\":2}]");
  add_header(&res, "Link", "<https://evil.test/sales?page=2>; rel=\"next\"");
  page_init(&pg, sales);
  assert_int_equal(sales->parse_page(f->st, sales, &sl, &res, &pg, &err), MS_EPROTO);
  page_release(&pg);
  http_response_release(&res);
  sl.cursor = "{\"u\":\"https://evil.test/x\"}";
  assert_int_equal(request(f, sales, &sl, url, sizeof(url), &req), MS_ECURSOR);
  http_request_release(&req);
  /* Cursors: the token in the answer, until there is none; the same one
   * twice is an API gone round in a circle. */
  memset(&sl, 0, sizeof(sl));
  sl.kind = SLICE_SNAPSHOT;
  expect_url(f, offers, &sl, "https://api.third.test/offers?limit=100");
  assert_int_equal(parse(f, offers, &sl, "{\"data\":[{\"id\":1}],\"meta\":{\"next\":\"c2\"}}", &pg),
                   MS_OK);
  assert_string_equal(pg.next_cursor, "{\"c\":\"c2\"}");
  page_release(&pg);
  sl.cursor = "{\"c\":\"c2\"}";
  expect_url(f, offers, &sl, "https://api.third.test/offers?limit=100&after=c2");
  assert_int_equal(parse(f, offers, &sl, "{\"data\":[{\"id\":1}],\"meta\":{\"next\":\"c2\"}}", &pg),
                   MS_EPROTO);
  page_release(&pg);
  assert_int_equal(parse(f, offers, &sl, "{\"data\":[{\"id\":1}],\"meta\":{\"next\":null}}", &pg),
                   MS_OK);
  assert_null(pg.next_cursor);
  page_release(&pg);
  close_source(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_builtin_specs_make_connectors_with_their_options),
      cmocka_unit_test(test_configure_fills_defaults_from_other_settings),
      cmocka_unit_test(test_mistakes_are_named_by_field),
      cmocka_unit_test(test_garbage_never_reads),
      cmocka_unit_test(test_templates_write_days_and_times_in_the_zone),
      cmocka_unit_test(test_admitad_days_and_windows_ask_as_admitad_wants),
      cmocka_unit_test(test_admitad_pages_follow_the_count),
      cmocka_unit_test(test_admitad_errors_mean_what_admitad_says),
      cmocka_unit_test(test_admitad_tokens_are_fetched_refreshed_and_replaced),
      cmocka_unit_test(test_boostiny_rows_get_their_day_and_pages_end_at_the_total),
      cmocka_unit_test(test_boostiny_throttle_waits_and_lockout_stops),
      cmocka_unit_test(test_a_third_network_pages_by_link_and_cursor),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
