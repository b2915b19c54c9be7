/* Fuzzes the rest connector's reading of answers through the built-in
 * specs (Admitad, Boostiny): the first line of the input is the slice's
 * stored cursor (none when empty), the rest the body, read as a page of
 * every stream and slice kind, and classified as the error statuses the
 * specs' rules name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "util/json.h"
#include "fuzz.h"

static const long statuses[] = {200, 400, 401, 403, 404, 422, 429, 500, 503};

static void source_make(struct source *src, const char *connector, const char *secret) {
  memset(src, 0, sizeof(*src));
  snprintf(src->row.name, sizeof(src->row.name), "fuzz");
  snprintf(src->row.connector, sizeof(src->row.connector), "%s", connector);
  src->row.settings = strdup("{\"api_base\":\"https://api.fuzz.test\",\"timezone\":"
                             "\"Europe/Moscow\",\"client_id\":\"c\",\"website\":5,\"token_url\":"
                             "\"https://api.fuzz.test/token/\",\"refetch_days\":45}");
  src->api_base = strdup("https://api.fuzz.test");
  snprintf(src->secrets[0].name, sizeof(src->secrets[0].name), "%s", secret);
  src->secrets[0].value = strdup("fuzz-secret");
  src->nsecrets = 1;
  if (!src->row.settings || !src->api_base || !src->secrets[0].value ||
      tz_open("Europe/Moscow", &src->tz, NULL))
    abort();
}

static void check_page(const struct page *pg) {
  for (size_t i = 0; i < pg->n; i++)
    FUZZ_CHECK(pg->recs[i].raw && (pg->recs[i].external_id || pg->recs[i].unreadable));
}

static void read_as(const char *connector, const char *secret, const uint8_t *cursor,
                    size_t cursor_len, int has_cursor, const uint8_t *body, size_t body_len) {
  const struct connector *conn = connector_find(connector);
  struct source src;
  struct http_response res;
  struct err err = {0};
  struct verdict v;
  void *state = NULL;
  char *cur = has_cursor && cursor_len ? fuzz_strndup(cursor, cursor_len) : NULL;
  FUZZ_CHECK(conn != NULL);
  source_make(&src, connector, secret);
  FUZZ_CHECK(conn->open(&src, &state, &err) == MS_OK);
  http_response_init(&res);
  res.status = 200;
  res.body.data = malloc(body_len + 1);
  if (!res.body.data)
    abort();
  if (body_len)
    memcpy(res.body.data, body, body_len);
  res.body.data[body_len] = '\0';
  res.body.len = body_len;
  res.body.cap = body_len + 1;
  for (size_t i = 0; conn->streams[i]; i++) {
    static const enum slice_kind kinds[] = {SLICE_DAY, SLICE_WINDOW, SLICE_SNAPSHOT};
    const struct stream_def *def = conn->streams[i];
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
      struct slice sl;
      struct page pg;
      memset(&sl, 0, sizeof(sl));
      sl.kind = kinds[k];
      sl.day = (struct civil_date){2026, 3, 29};
      tz_day_bounds(src.tz, sl.day, &sl.range_start, &sl.range_end);
      sl.started_at = sl.range_end;
      sl.cursor = cur;
      page_init(&pg, def);
      if (def->parse_page(state, def, &sl, &res, &pg, &err) == MS_OK)
        check_page(&pg);
      page_release(&pg);
    }
  }
  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
    res.status = statuses[i];
    conn->classify(state, &res, &v, &err);
    FUZZ_CHECK(statuses[i] == 200 || v.rc != MS_OK);
    FUZZ_CHECK(!strstr(err.msg, "fuzz-secret"));
  }
  if (conn->parse_auth) {
    res.status = 200;
    conn->parse_auth(state, &res, 1774742400, &err);
    res.status = 400;
    conn->parse_auth(state, &res, 1774742400, &err);
    FUZZ_CHECK(!strstr(err.msg, "fuzz-secret"));
  }
  http_response_release(&res);
  conn->close(state);
  source_release(&src);
  free(cur);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t cursor_len, body_len;
  int has_cursor;
  const uint8_t *body = fuzz_split_line(data, size, &cursor_len, &has_cursor, &body_len);
  read_as("admitad", "client_secret", data, cursor_len, has_cursor, body, body_len);
  read_as("boostiny", "api_key", data, cursor_len, has_cursor, body, body_len);
  return 0;
}
