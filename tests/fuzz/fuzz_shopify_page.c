/* Fuzzes the Shopify connector's reading of its pages: the first line of the
 * input is the Link header (absent when the input has no newline), the rest
 * is the body, read as a page of every stream (orders, products, customers,
 * locations, inventory levels, deletions) and of every slice kind. The same
 * answer also goes through classify (as a 200 and as the error statuses)
 * and parse_probe, as the engine would. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "util/json.h"
#include "fuzz.h"

static const long statuses[] = {200, 400, 401, 404, 429, 503};

/* A source as `source add shopify` stores it, with a resolved token. */
static void source_make(struct source *src) {
  memset(src, 0, sizeof(*src));
  snprintf(src->row.name, sizeof(src->row.name), "fuzz");
  snprintf(src->row.connector, sizeof(src->row.connector), "shopify");
  src->row.settings = strdup("{\"api_base\":\"https://fuzz.myshopify.com\","
                             "\"api_version\":\"2024-01\",\"timezone\":\"UTC\"}");
  src->api_base = strdup("https://fuzz.myshopify.com");
  snprintf(src->secrets[0].name, sizeof(src->secrets[0].name), "token");
  src->secrets[0].value = strdup("shpat_fuzz");
  src->nsecrets = 1;
  if (!src->row.settings || !src->api_base || !src->secrets[0].value)
    abort();
}

/* The body in a buffer of exactly its size plus the NUL that struct buf
 * promises, so that ASan sees a read past the end. */
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

static void check_record(const struct record *r, int top) {
  /* Every record keeps its bytes (children: their parent's) and has an id,
   * unless it came back unreadable (then the reason says why, and the store
   * sets it aside). */
  FUZZ_CHECK((r->raw || !top) && (r->external_id || r->unreadable));
  FUZZ_CHECK(!r->gone_from || r->gone_id);
  for (size_t k = 0; k < r->nkids; k++)
    for (size_t j = 0; j < r->kids[k].n; j++)
      check_record(&r->kids[k].recs[j], 0);
}

static void check_page(const struct page *pg) {
  for (size_t i = 0; i < pg->n; i++)
    check_record(&pg->recs[i], 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const struct connector *conn = connector_find("shopify");
  struct source src;
  struct slice sl;
  struct http_response res;
  struct page pg;
  struct err err = {0};
  struct verdict v;
  void *state = NULL;
  size_t link_len, body_len;
  int has_link, rc;
  const uint8_t *body = fuzz_split_line(data, size, &link_len, &has_link, &body_len);

  FUZZ_CHECK(conn != NULL);
  source_make(&src);
  FUZZ_CHECK(conn->open(&src, &state, &err) == MS_OK);
  memset(&sl, 0, sizeof(sl));
  snprintf(sl.stream, sizeof(sl.stream), "orders");
  sl.day = (struct civil_date){2026, 3, 8};
  sl.range_start = 1772928000;
  sl.range_end = sl.range_start + 82800;
  http_response_init(&res);
  res.status = 200;
  response_set_body(&res, body, body_len);
  if (has_link && http_response_add_header(&res, "Link", 4, (const char *)data,
                                           strnlen((const char *)data, link_len)))
    abort();

  for (size_t i = 0; conn->streams[i]; i++) {
    const struct stream_def *def = conn->streams[i];
    static const enum slice_kind kinds[] = {SLICE_DAY, SLICE_WINDOW, SLICE_REFETCH};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
      sl.kind = kinds[k];
      sl.cursor = kinds[k] == SLICE_REFETCH ? strdup("[\"1\",\"2\"]") : NULL;
      page_init(&pg, def);
      rc = def->parse_page(state, def, &sl, &res, &pg, &err);
      if (rc == MS_OK)
        check_page(&pg);
      page_release(&pg);
      free(sl.cursor);
      sl.cursor = NULL;
    }
  }

  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
    res.status = statuses[i];
    conn->classify(state, &res, &v, &err);
    /* A 200 is good unless it is an HTML page where JSON was expected. */
    FUZZ_CHECK(statuses[i] != 200 || v.rc == MS_OK ||
               (v.rc == MS_EPROTO && json_body_is_html(res.body.data, res.body.len)));
    FUZZ_CHECK(statuses[i] == 200 || v.rc != MS_OK);
  }
  res.status = 200;
  conn->parse_probe(state, &res, &src, &err);

  http_response_release(&res);
  conn->close(state);
  source_release(&src);
  return 0;
}
