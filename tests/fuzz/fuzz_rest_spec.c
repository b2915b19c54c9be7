/* Fuzzes the rest connector's spec reader: any bytes are either refused
 * with a sentence or give a spec whose streams, settings and templates the
 * connector can use. A spec that reads is then put to work on a made-up
 * source: each stream's request for a day, a window and a snapshot, at the
 * first page and at a stored cursor, the probe, and the settings' defaults. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/rest_spec.h"
#include "connectors/rest_state.h"
#include "util/json.h"
#include "fuzz.h"

/* Settings with a value for each of the spec's, and a secret for each
 * secret: what `source add` would have stored. */
static cJSON *settings_for(const struct rest_spec *spec, struct source *src) {
  cJSON *s = cJSON_CreateObject();
  for (int i = 0; s && i < spec->nsettings; i++) {
    const struct setting_def *d = &spec->settings[i].def;
    if (d->kind == SETTING_SECRET) {
      if (src->nsecrets < SOURCE_MAX_SECRETS) {
        struct secret *sec = &src->secrets[src->nsecrets++];
        snprintf(sec->name, sizeof(sec->name), "%s", d->key);
        sec->value = strdup("fuzz-secret");
      }
    } else if (d->kind == SETTING_INT) {
      cJSON_AddNumberToObject(s, d->key, 7);
    } else if (d->kind == SETTING_LIST) {
      cJSON *l = cJSON_AddArrayToObject(s, d->key);
      cJSON_AddItemToArray(l, cJSON_CreateString("a"));
      cJSON_AddItemToArray(l, cJSON_CreateString("b c"));
    } else {
      cJSON_AddStringToObject(s, d->key, strcmp(d->key, "timezone") == 0 ? "Asia/Kolkata" : "x/y");
    }
  }
  return s;
}

static void try_request(struct rest_state *rs, const struct stream_def *def, struct slice *sl) {
  static const char *const cursors[] = {NULL, "{\"n\":500}", "{\"c\":\"tok&=\"}",
                                        "{\"u\":\"https://other.test/x\"}", "garbage"};
  for (size_t c = 0; c < sizeof(cursors) / sizeof(cursors[0]); c++) {
    struct http_request req;
    struct err err = {0};
    int rc;
    http_request_init(&req);
    sl->cursor = (char *)cursors[c];
    rc = def->page_request(rs, def, sl, &req, &err);
    FUZZ_CHECK(rc == MS_OK || rc == MS_ENOTFOUND || err.msg[0]);
    if (rc == MS_OK)
      FUZZ_CHECK(req.url.len > 0 && req.url.data[req.url.len] == '\0');
    http_request_release(&req);
    sl->cursor = NULL;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct rest_spec *spec = NULL;
  struct rest_state rs;
  struct source src;
  struct err err = {0};
  struct http_request req;
  int rc = rest_spec_parse((const char *)data, size, "fuzz.json", &spec, &err);
  if (rc) {
    FUZZ_CHECK(spec == NULL && err.msg[0] != '\0');
    return 0;
  }
  FUZZ_CHECK(spec->nstreams >= 1 && spec->stream_list[spec->nstreams] == NULL);
  memset(&src, 0, sizeof(src));
  memset(&rs, 0, sizeof(rs));
  snprintf(src.row.name, sizeof(src.row.name), "fuzz");
  if (tz_open("Asia/Kolkata", &src.tz, &err))
    abort();
  rs.spec = spec;
  rs.src = &src;
  rs.api_base = spec->base_url;
  rs.settings = settings_for(spec, &src);
  for (int i = 0; i < spec->nsettings; i++) {
    struct buf b;
    struct rest_vars vars;
    if (!spec->settings[i].fallback || spec->settings[i].def.kind == SETTING_INT)
      continue;
    memset(&vars, 0, sizeof(vars));
    vars.settings = rs.settings;
    buf_init(&b, 4096);
    rest_template_expand(spec->settings[i].fallback, &vars, 0, &b, &err);
    buf_release(&b);
  }
  for (int i = 0; i < spec->nstreams; i++) {
    const struct stream_def *def = spec->stream_list[i];
    struct slice sl;
    FUZZ_CHECK(stream_check(def, &err) == MS_OK);
    memset(&sl, 0, sizeof(sl));
    sl.kind = SLICE_DAY;
    sl.day = (struct civil_date){2026, 3, 8};
    tz_day_bounds(src.tz, sl.day, &sl.range_start, &sl.range_end);
    try_request(&rs, def, &sl);
    sl.kind = SLICE_WINDOW;
    sl.range_start = 1772928000;
    sl.started_at = 1772990000;
    try_request(&rs, def, &sl);
    sl.range_start = 0;
    try_request(&rs, def, &sl);
    sl.kind = SLICE_SNAPSHOT;
    try_request(&rs, def, &sl);
  }
  http_request_init(&req);
  rest_probe_request(&rs, &req, &err);
  http_request_release(&req);
  cJSON_Delete(rs.settings);
  source_release(&src);
  rest_spec_free(spec);
  return 0;
}
