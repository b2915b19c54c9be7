/* The rest connector: a connector table made of a spec, for the specs built
 * into the binary (each added like any connector, by its own name) and for
 * a user's spec file (`source add rest NAME --spec FILE`).
 *
 * The descriptions a spec gives are handed to the store, which keeps them
 * by address for the life of its connection; so every spec read stays in
 * memory until the process ends, and the same file read again (unchanged)
 * gives the same connector. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/rest.h"
#include "connectors/rest_state.h"
#include "net/url.h"
#include "util/json.h"

#define REST_BUILTIN_MAX 8 /* specs built into the binary */

/* A connector made of a spec. */
struct spec_connector {
  struct connector conn;                              /* what the registry hands out */
  struct setting_def settings[REST_SETTINGS_MAX + 8]; /* `rest`: spec first, then the spec's */
  struct rest_spec *spec;                             /* owned */
  char path[PATH_MAX];                                /* a user's spec: the file; else "" */
  struct spec_connector *next;                        /* the user specs read so far */
};

static int rest_configure(const struct connector *self, void *settings_json, struct err *err);
static int rest_open(struct source *src, void **state, struct err *err);
static void rest_close(void *state);
static int rest_from_spec(const char *path, const struct connector **out, struct err *err);

static const struct endpoint_def no_endpoints[] = {{NULL, 0, 0, 0}};

static const struct setting_def rest_settings[] = {
    {"spec", "spec", SETTING_TEXT, SETTING_REQUIRED, NULL,
     "a JSON file describing the API (docs/connectors/rest.md); the settings it declares "
     "follow, with --api-base and --timezone"},
    {0},
};

/* `rest` itself: a source of it uses the connector its spec file makes. */
static const struct connector rest_connector = {
    .name = "rest",
    .title = "any REST API a spec file describes",
    .settings = rest_settings,
    .endpoints = no_endpoints,
    .spec_setting = "spec",
    .from_spec = rest_from_spec,
    .open = rest_open,
    .close = rest_close,
    .classify = rest_classify,
};

const struct rest_embedded *rest_embedded_find(const char *name) {
  for (size_t i = 0; rest_embedded_specs[i].name; i++)
    if (strcmp(rest_embedded_specs[i].name, name) == 0)
      return &rest_embedded_specs[i];
  return NULL;
}

/* The connector table of a spec; user: the spec came from a file given to
 * `rest`, whose sources keep that connector's name. */
static void connector_fill(struct spec_connector *sc, int user) {
  struct connector *c = &sc->conn;
  const struct rest_spec *spec = sc->spec;
  size_t n = 0;
  if (user)
    sc->settings[n++] = rest_settings[0];
  for (int i = 0; i < spec->nsettings; i++)
    sc->settings[n++] = spec->setting_defs[i];
  memset(&sc->settings[n], 0, sizeof(sc->settings[n]));
  c->name = user ? rest_connector.name : spec->name;
  c->title = spec->title;
  c->settings = sc->settings;
  c->streams = spec->stream_list;
  c->endpoints = spec->endpoints;
  c->impl = spec;
  c->configure = rest_configure;
  c->open = rest_open;
  c->close = rest_close;
  if (spec->auth.kind == AUTH_OAUTH2) {
    c->auth_needed = rest_auth_needed;
    c->auth_request = rest_auth_request;
    c->parse_auth = rest_parse_auth;
    c->auth_expired = rest_auth_expired;
  }
  c->probe_request = rest_probe_request;
  c->parse_probe = rest_parse_probe;
  c->classify = rest_classify;
  c->plan_day = rest_plan_day;
}

/* ---- the built-in specs ------------------------------------------------- */

static struct spec_connector builtin[REST_BUILTIN_MAX];
static size_t nbuiltin;

size_t rest_connectors(const struct connector **out, size_t max) {
  size_t n = 0;
  /* Called once, by the registry's own once. */
  for (size_t i = 0; rest_embedded_specs[i].name && nbuiltin < REST_BUILTIN_MAX; i++) {
    struct spec_connector *sc = &builtin[nbuiltin];
    struct err err = {0};
    if (rest_spec_parse(rest_embedded_specs[i].text, rest_embedded_specs[i].len, NULL, &sc->spec,
                        &err))
      continue; /* a built-in spec that does not read is a bug the tests catch */
    connector_fill(sc, 0);
    nbuiltin++;
  }
  for (size_t i = 0; i < nbuiltin && n < max; i++)
    out[n++] = &builtin[i].conn;
  if (n < max)
    out[n++] = &rest_connector;
  return n;
}

/* ---- user specs ----------------------------------------------------------- */

static pthread_mutex_t user_lock = PTHREAD_MUTEX_INITIALIZER;
static struct spec_connector *user_specs;

static int read_file(const char *path, char **text, size_t *len, struct err *err) {
  FILE *f = fopen(path, "rb");
  char *buf;
  size_t n;
  if (!f)
    return err_set(err, MS_EINVAL, "cannot read the spec %s: %s", path, strerror(errno));
  buf = malloc(REST_SPEC_MAX + 2);
  if (!buf) {
    fclose(f);
    return err_set(err, MS_ENOMEM, "out of memory");
  }
  n = fread(buf, 1, REST_SPEC_MAX + 1, f);
  if (ferror(f)) {
    fclose(f);
    free(buf);
    return err_set(err, MS_EINVAL, "cannot read the spec %s", path);
  }
  fclose(f);
  if (n > REST_SPEC_MAX) {
    free(buf);
    return err_set(err, MS_EINVAL, "spec %s: larger than %d bytes", path, REST_SPEC_MAX);
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return MS_OK;
}

static uint64_t hash_of(const char *text, size_t len) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
  return h;
}

int rest_load_file(const char *path, const struct connector **out, struct err *err) {
  char full[PATH_MAX], *text = NULL;
  struct spec_connector *sc;
  size_t len = 0;
  uint64_t h;
  int rc;
  if (!path || !*path)
    return err_set(err, MS_EINVAL, "no spec file given");
  if (!realpath(path, full))
    return err_set(err, MS_EINVAL, "cannot read the spec %s: %s", path, strerror(errno));
  rc = read_file(full, &text, &len, err);
  if (rc)
    return rc;
  h = hash_of(text, len);
  pthread_mutex_lock(&user_lock);
  for (sc = user_specs; sc; sc = sc->next)
    if (strcmp(sc->path, full) == 0 && sc->spec->hash == h && strlen(sc->spec->text) == len &&
        memcmp(sc->spec->text, text, len) == 0)
      break;
  if (!sc) {
    sc = calloc(1, sizeof(*sc));
    rc = sc ? rest_spec_parse(text, len, path, &sc->spec, err)
            : err_set(err, MS_ENOMEM, "out of memory");
    if (rc) {
      free(sc);
      sc = NULL;
    } else {
      snprintf(sc->path, sizeof(sc->path), "%s", full);
      connector_fill(sc, 1);
      sc->next = user_specs;
      user_specs = sc;
    }
  }
  pthread_mutex_unlock(&user_lock);
  free(text);
  if (sc)
    *out = &sc->conn;
  return rc;
}

static int rest_from_spec(const char *path, const struct connector **out, struct err *err) {
  return rest_load_file(path, out, err);
}

/* ---- settings ------------------------------------------------------------ */

void rest_vars_settings(const struct rest_state *rs, struct rest_vars *vars) {
  memset(vars, 0, sizeof(*vars));
  vars->settings = rs->settings;
  vars->zone = rs->src ? rs->src->tz : NULL;
}

/* A setting's default, made from its template and the settings before. */
static int fill_default(const struct rest_setting *set, cJSON *settings, struct err *err) {
  struct rest_vars vars;
  struct buf val;
  int rc;
  memset(&vars, 0, sizeof(vars));
  vars.settings = settings;
  if (set->def.kind == SETTING_INT) {
    char *end;
    long long n = strtoll(set->fallback, &end, 10);
    return cJSON_AddNumberToObject(settings, set->def.key, (double)n)
               ? MS_OK
               : err_set(err, MS_ENOMEM, "out of memory");
  }
  buf_init(&val, 4096);
  rc = rest_template_expand(set->fallback, &vars, 0, &val, err);
  if (rc) {
    err_prefix(err, "the default of --%s", set->def.flag);
  } else if (set->def.kind == SETTING_LIST) {
    cJSON *list = cJSON_AddArrayToObject(settings, set->def.key);
    for (const char *p = val.data; list && p && *p;) {
      size_t n = strcspn(p, ",");
      char item[129];
      snprintf(item, sizeof(item), "%.*s", (int)(n < sizeof(item) ? n : sizeof(item) - 1), p);
      if (n)
        cJSON_AddItemToArray(list, cJSON_CreateString(item));
      p += n + (p[n] == ',');
    }
  } else {
    rc = cJSON_AddStringToObject(settings, set->def.key, val.len ? val.data : "")
             ? MS_OK
             : err_set(err, MS_ENOMEM, "out of memory");
  }
  buf_release(&val);
  return rc;
}

/* Checks a value made from a default the way an option's value is checked. */
static int check_made(const struct rest_setting *set, const cJSON *settings, struct err *err) {
  const char *v = jstr(settings, set->def.key);
  char opt[64];
  struct tz *zone = NULL;
  int rc = MS_OK;
  snprintf(opt, sizeof(opt), "--%s", set->def.flag);
  if (!v)
    return MS_OK;
  if (set->def.kind == SETTING_URL)
    rc = url_check_base(v, opt, err);
  else if (set->def.kind == SETTING_ZONE && (rc = tz_open(v, &zone, err)) != MS_OK)
    err_prefix(err, "%s", opt);
  tz_free(zone);
  return rc;
}

static int rest_configure(const struct connector *self, void *settings_json, struct err *err) {
  const struct rest_spec *spec = self->impl;
  cJSON *settings = settings_json;
  const char *path = jstr(settings, "spec");
  int rc;
  if (!spec)
    return err_set(err, MS_EINVAL, "give --spec FILE: the spec that describes the API");
  /* A user's spec is kept by its full path: syncs run from anywhere. */
  if (path) {
    char full[PATH_MAX];
    if (!realpath(path, full))
      return err_set(err, MS_EINVAL, "--spec %s: %s", path, strerror(errno));
    cJSON_ReplaceItemInObjectCaseSensitive(settings, "spec", cJSON_CreateString(full));
  }
  /* The API base and the zone first: other defaults may be made of them. */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < spec->nsettings; i++) {
      const struct rest_setting *set = &spec->settings[i];
      int first = strcmp(set->def.key, "api_base") == 0 || strcmp(set->def.key, "timezone") == 0;
      if (first != (pass == 0) || set->def.kind == SETTING_SECRET || !set->fallback ||
          cJSON_GetObjectItemCaseSensitive(settings, set->def.key))
        continue;
      rc = fill_default(set, settings, err);
      if (!rc)
        rc = check_made(set, settings, err);
      if (rc)
        return rc;
    }
  return MS_OK;
}

/* ---- a source's state ------------------------------------------------------ */

static int rest_open(struct source *src, void **state, struct err *err) {
  const struct connector *c;
  const struct rest_spec *spec;
  struct rest_state *rs;
  struct rest_vars vars;
  int rc = connector_for_row(&src->row, &c, err);
  if (rc)
    return rc;
  spec = c->impl;
  if (!spec)
    return err_set(err, MS_EINVAL, "source %s: its connector has no spec", src->row.name);
  rs = calloc(1, sizeof(*rs));
  if (!rs)
    return err_set(err, MS_ENOMEM, "out of memory");
  rs->spec = spec;
  rs->src = src;
  rs->settings = cJSON_Parse(src->row.settings ? src->row.settings : "{}");
  rs->api_base = src->api_base ? src->api_base : spec->base_url;
  if (!cJSON_IsObject(rs->settings)) {
    rc = err_set(err, MS_EINVAL, "source %s: its settings are damaged", src->row.name);
    goto fail;
  }
  if ((spec->auth.kind == AUTH_API_KEY || spec->auth.kind == AUTH_BEARER) &&
      !source_secret(src, spec->auth.secret)) {
    rc = err_set(err, MS_EINVAL, "source %s: the secret %s is not configured", src->row.name,
                 spec->auth.secret);
    goto fail;
  }
  if (spec->auth.kind == AUTH_OAUTH2) {
    struct buf b;
    if (!source_secret(src, spec->auth.client_secret)) {
      rc = err_set(err, MS_EINVAL, "source %s: the secret %s is not configured", src->row.name,
                   spec->auth.client_secret);
      goto fail;
    }
    rest_vars_settings(rs, &vars);
    buf_init(&b, 4096);
    rc = rest_template_expand(spec->auth.token_url, &vars, 0, &b, err);
    rs->token_url = rc ? NULL : buf_detach(&b);
    buf_release(&b);
    buf_init(&b, 4096);
    if (!rc)
      rc = rest_template_expand(spec->auth.client_id, &vars, 0, &b, err);
    rs->client_id = rc ? NULL : buf_detach(&b);
    buf_release(&b);
    if (!rc && (!rs->token_url || !rs->client_id))
      rc = err_set(err, MS_ENOMEM, "out of memory");
    if (rc) {
      err_prefix(err, "source %s", src->row.name);
      goto fail;
    }
  }
  *state = rs;
  return MS_OK;
fail:
  rest_close(rs);
  return rc;
}

static void rest_close(void *state) {
  struct rest_state *rs = state;
  if (!rs)
    return;
  rest_auth_forget(rs);
  cJSON_Delete(rs->settings);
  free(rs->token_url);
  free(rs->client_id);
  free(rs);
}
