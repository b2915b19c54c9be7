/* Fuzzes the Amazon connector's reading of its answers: the first line of
 * the input is the slice's state (none when the line is empty or the input
 * has no newline): {"o": listing cursor, "p": [orders waiting for their
 * items], "i": items cursor of the first}, or any other text as the listing
 * cursor. The rest is the body. The body goes through parse_page (orders or
 * items page, as the state says), page_request on the same state, classify
 * under the error statuses, and parse_auth as a token answer. The slice is
 * then moved on as the store would and the next request built from it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "connectors/connector.h"
#include "util/json.h"
#include "fuzz.h"

static const long statuses[] = {200, 400, 401, 403, 429, 500};

/* A source as `source add amazon` stores it, with resolved secrets. */
static void source_make(struct source *src) {
  memset(src, 0, sizeof(*src));
  snprintf(src->row.name, sizeof(src->row.name), "fuzz");
  snprintf(src->row.connector, sizeof(src->row.connector), "amazon");
  src->row.settings = strdup("{\"api_base\":\"https://sellingpartnerapi-na.amazon.com\","
                             "\"token_url\":\"https://api.amazon.com/auth/o2/token\","
                             "\"client_id\":\"amzn1.application-oa2-client.fuzz\","
                             "\"marketplaces\":[\"ATVPDKIKX0DER\"],"
                             "\"timezone\":\"America/Los_Angeles\"}");
  src->api_base = strdup("https://sellingpartnerapi-na.amazon.com");
  snprintf(src->secrets[0].name, sizeof(src->secrets[0].name), "client_secret");
  src->secrets[0].value = strdup("fuzz-client-secret");
  snprintf(src->secrets[1].name, sizeof(src->secrets[1].name), "refresh_token");
  src->secrets[1].value = strdup("Atzr|fuzz-refresh-token");
  src->nsecrets = 2;
  if (!src->row.settings || !src->api_base || !src->secrets[0].value || !src->secrets[1].value)
    abort();
}

static void response_set_body(struct http_response *res, const uint8_t *p, size_t n) {
  res->body.data = malloc(n + 1);
  if (!res->body.data)
    abort();
  if (n)
    memcpy(res->body.data, p, n);
  res->body.data[n] = '\0';
  res->body.len = n;
  res->body.cap = n + 1;
}

/* The slice's state from the input's first line. Returns 1 when its list
 * of orders waiting holds something that is not an order id. */
static int state_set(struct slice *sl, const char *line) {
  int damaged = 0;
  cJSON *st = cJSON_Parse(line);
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(st, "o");
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(st, "p");
  const cJSON *i = cJSON_GetObjectItemCaseSensitive(st, "i");
  if (!cJSON_IsObject(st)) {
    sl->cursor = strdup(line);
  } else {
    sl->cursor = cJSON_IsString(o) ? strdup(o->valuestring) : NULL;
    sl->follow = p ? cJSON_PrintUnformatted(p) : NULL;
    sl->follow_cursor = cJSON_IsString(i) ? strdup(i->valuestring) : NULL;
    sl->listed = !o && p;
    if (p) {
      const cJSON *e;
      damaged = !cJSON_IsArray(p);
      cJSON_ArrayForEach(e, p) damaged |= !cJSON_IsString(e) || !*e->valuestring;
    }
  }
  cJSON_Delete(st);
  return damaged;
}

/* Moves the slice on as the store does after committing the page. */
static void advance(struct slice *sl, struct page *pg) {
  cJSON *follow = sl->follow ? cJSON_Parse(sl->follow) : cJSON_CreateArray();
  if (!cJSON_IsArray(follow))
    abort(); /* parse_page refuses a damaged list */
  if (pg->children_of) {
    free(sl->follow_cursor);
    sl->follow_cursor = pg->next_cursor;
    if (!pg->next_cursor)
      cJSON_DeleteItemFromArray(follow, 0);
  } else {
    free(sl->cursor);
    sl->cursor = pg->next_cursor;
    sl->listed = pg->next_cursor == NULL;
    for (size_t k = 0; k < pg->n; k++)
      if (pg->recs[k].follow)
        cJSON_AddItemToArray(follow, cJSON_CreateString(pg->recs[k].external_id));
  }
  pg->next_cursor = NULL;
  free(sl->follow);
  sl->follow = cJSON_GetArraySize(follow) ? cJSON_PrintUnformatted(follow) : NULL;
  cJSON_Delete(follow);
}

static void check_page(const struct page *pg) {
  for (size_t i = 0; i < pg->n; i++)
    /* Every record keeps its bytes and has an id, unless it came back
     * unreadable (then the reason says why, and the store sets it aside);
     * a follow-up page's items all have both. */
    FUZZ_CHECK(pg->recs[i].raw && (pg->recs[i].external_id || pg->recs[i].unreadable) &&
               (!pg->children_of || !pg->recs[i].unreadable));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const struct connector *conn = connector_find("amazon");
  struct source src;
  struct slice sl;
  struct http_response res;
  struct http_request req;
  struct page pg;
  struct err err = {0};
  struct verdict v;
  void *state = NULL;
  size_t cur_len, body_len;
  int has_cursor, rc, damaged = 0;
  const uint8_t *body = fuzz_split_line(data, size, &cur_len, &has_cursor, &body_len);

  FUZZ_CHECK(conn != NULL);
  source_make(&src);
  FUZZ_CHECK(conn->open(&src, &state, &err) == MS_OK);
  memset(&sl, 0, sizeof(sl));
  snprintf(sl.stream, sizeof(sl.stream), "orders");
  sl.day = (struct civil_date){2026, 11, 1};
  sl.range_start = 1793516400;
  sl.range_end = sl.range_start + 90000;
  if (has_cursor && cur_len) {
    char *line = fuzz_strndup(data, cur_len);
    damaged = state_set(&sl, line);
    free(line);
  }
  http_response_init(&res);
  res.status = 200;
  response_set_body(&res, body, body_len);

  page_init(&pg, slice_stream(conn->streams[0], &sl));
  rc = pg.def->parse_page(state, pg.def, &sl, &res, &pg, &err);
  if (rc == MS_OK) {
    check_page(&pg);
    /* Every record marked for items has an id to ask for them by. */
    for (size_t k = 0; k < pg.n; k++)
      FUZZ_CHECK(!pg.recs[k].follow || (pg.recs[k].external_id && !pg.recs[k].unreadable));
    /* The state we move to must be one we can build the next request from. */
    advance(&sl, &pg);
    http_request_init(&req);
    {
      const struct stream_def *def = slice_stream(conn->streams[0], &sl);
      rc = def->page_request(state, def, &sl, &req, &err);
    }
    FUZZ_CHECK(rc == MS_OK || rc == MS_ENOTFOUND || (damaged && rc == MS_ECURSOR));
    http_request_release(&req);
    {
      /* And the same body read at that state (an items page, mostly). */
      struct page again;
      page_init(&again, slice_stream(conn->streams[0], &sl));
      again.def->parse_page(state, again.def, &sl, &res, &again, &err);
      page_release(&again);
    }
  }
  page_release(&pg);

  http_request_init(&req);
  slice_stream(conn->streams[0], &sl)
      ->page_request(state, slice_stream(conn->streams[0], &sl), &sl, &req, &err);
  http_request_release(&req);

  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
    res.status = statuses[i];
    conn->classify(state, &res, &v, &err);
    /* A 200 is good unless it is an HTML page where JSON was expected. */
    FUZZ_CHECK(statuses[i] != 200 || v.rc == MS_OK ||
               (v.rc == MS_EPROTO && json_body_is_html(res.body.data, res.body.len)));
    FUZZ_CHECK(statuses[i] == 200 || v.rc != MS_OK);
    rc = conn->parse_auth(state, &res, 1793516400, &err);
    if (rc != MS_OK)
      FUZZ_CHECK(strstr(err.msg, "fuzz-client-secret") == NULL &&
                 strstr(err.msg, "Atzr|fuzz-refresh-token") == NULL);
  }

  http_response_release(&res);
  conn->close(state);
  slice_release(&sl);
  source_release(&src);
  return 0;
}
