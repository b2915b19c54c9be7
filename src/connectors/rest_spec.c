/* Reading a spec: every member checked against what it may be, with a
 * message that names the field and says what is expected, then stream
 * descriptions built from it and checked the way the store checks them.
 * Everything a spec holds lives in one arena, freed at once. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connectors/rest_spec.h"
#include "connectors/rest_state.h"
#include "net/url.h"
#include "util/json.h"

#define FIELD_MAX 160    /* bytes of a field's name in a message */
#define TEXT_MAX 512     /* bytes of a template or a text member */
#define HELP_MAX 300     /* bytes of a setting's help */
#define ARENA_CHUNK 8192 /* bytes of an arena block (bigger requests get their own) */

/* ---- the arena ------------------------------------------------------------ */

struct block {
  struct block *next; /* the one made before */
  size_t used;        /* bytes handed out */
  size_t cap;         /* bytes in data */
  _Alignas(16) unsigned char data[];
};

static void *arena_alloc(struct rest_spec *s, size_t n) {
  struct block *b = s->arena;
  n = (n + 15) & ~(size_t)15;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
    struct block *nb = malloc(sizeof(*nb) + cap);
    if (!nb)
      return NULL;
    nb->next = b;
    nb->used = 0;
    nb->cap = cap;
    s->arena = b = nb;
  }
  void *p = b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

static const char *arena_str(struct rest_spec *s, const char *text) {
  size_t n = strlen(text);
  char *p = arena_alloc(s, n + 1);
  if (p)
    memcpy(p, text, n + 1);
  return p;
}

void rest_spec_free(struct rest_spec *spec) {
  struct block *b;
  if (!spec)
    return;
  b = spec->arena;
  while (b) {
    struct block *next = b->next;
    free(b);
    b = next;
  }
  free(spec);
}

/* ---- reading members ------------------------------------------------------ */

struct reader {
  struct rest_spec *s; /* being filled */
  struct err *err;     /* the first problem */
};

static int bad(struct reader *rd, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(struct reader *rd, const char *field, const char *fmt, ...) {
  char what[MS_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  return err_set(rd->err, MS_EINVAL, "%s: %s", field, what);
}

static int oom(struct reader *rd) {
  return err_set(rd->err, MS_ENOMEM, "out of memory reading the spec");
}

/* "parent.key" (or "key" at the top). */
static const char *fname(char out[FIELD_MAX], const char *parent, const char *key) {
  int n = snprintf(out, FIELD_MAX, "%s%s%s", parent, *parent ? "." : "", key);
  if (n < 0 || n >= FIELD_MAX)
    out[FIELD_MAX - 1] = '\0'; /* a name cut short still points the way */
  return out;
}

/* "parent" followed by a formatted part, cut to FIELD_MAX like fname. */
static const char *fsub(char out[FIELD_MAX], const char *parent, const char *what, int i) {
  int n = snprintf(out, FIELD_MAX, "%s%s[%d]", parent, what, i);
  if (n < 0 || n >= FIELD_MAX)
    out[FIELD_MAX - 1] = '\0';
  return out;
}

/* Refuses members the section does not know: a typo must not pass for a
 * default. */
static int known_only(struct reader *rd, const cJSON *obj, const char *field,
                      const char *const *known) {
  const cJSON *m;
  cJSON_ArrayForEach(m, obj) {
    int ok = 0;
    char list[300] = "";
    size_t used = 0;
    for (size_t i = 0; known[i] && !ok; i++)
      ok = m->string && strcmp(m->string, known[i]) == 0;
    if (ok)
      continue;
    for (size_t i = 0; known[i] && used < sizeof(list); i++)
      used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", known[i]);
    return bad(rd, field, "unknown member '%.40s'; expected one of %s", m->string ? m->string : "",
               list);
  }
  return MS_OK;
}

static int need_object(struct reader *rd, const cJSON *v, const char *field) {
  return cJSON_IsObject(v) ? MS_OK : bad(rd, field, "expected an object {...}");
}

/* A text member: absent (NULL, unless required), or a string of 1 to max
 * bytes without control characters. */
static int get_text(struct reader *rd, const cJSON *obj, const char *key, const char *parent,
                    int required, size_t max, const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  char f[FIELD_MAX];
  *out = NULL;
  if (!v || cJSON_IsNull(v))
    return required ? bad(rd, fname(f, parent, key), "is required") : MS_OK;
  if (!cJSON_IsString(v))
    return bad(rd, fname(f, parent, key), "expected text in quotes");
  if (strlen(v->valuestring) > max)
    return bad(rd, fname(f, parent, key), "is longer than %zu bytes", max);
  for (const unsigned char *p = (const unsigned char *)v->valuestring; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return bad(rd, fname(f, parent, key), "holds a control character");
  *out = arena_str(rd->s, v->valuestring);
  return *out ? MS_OK : oom(rd);
}

/* A name used in SQL or on the command line: [a-z][a-z0-9_]* (or with '-'
 * when dash). */
static int name_ok(const char *s, size_t max, int dash) {
  size_t n = strlen(s);
  if (n == 0 || n > max || s[0] < 'a' || s[0] > 'z')
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
          (dash && s[i] == '-')))
      return 0;
  return 1;
}

static int get_name(struct reader *rd, const cJSON *obj, const char *key, const char *parent,
                    int required, size_t max, const char **out) {
  char f[FIELD_MAX];
  int rc = get_text(rd, obj, key, parent, required, 200, out);
  if (rc || !*out)
    return rc;
  if (!name_ok(*out, max, 0))
    return bad(rd, fname(f, parent, key),
               "'%.60s' is not a name: lower-case letters, digits and '_', starting with a "
               "letter, at most %zu bytes",
               *out, max);
  return MS_OK;
}

/* A path into a record or an answer: "id", "_meta.count", "payload.data". */
static int path_ok(const char *s) {
  size_t n = strlen(s);
  if (n >= STREAM_PATH_MAX)
    return 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] <= ' ' || s[i] == ',' || s[i] == '"' ||
        (s[i] == '.' && (i == 0 || i == n - 1 || s[i + 1] == '.')))
      return 0;
  return 1;
}

static int get_path(struct reader *rd, const cJSON *obj, const char *key, const char *parent,
                    int required, int may_be_empty, const char **out) {
  char f[FIELD_MAX];
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  int rc;
  if (may_be_empty && cJSON_IsString(v) && !*v->valuestring) {
    *out = arena_str(rd->s, "");
    return *out ? MS_OK : oom(rd);
  }
  rc = get_text(rd, obj, key, parent, required, STREAM_PATH_MAX, out);
  if (rc || !*out)
    return rc;
  if (!**out || !path_ok(*out))
    return bad(rd, fname(f, parent, key),
               "'%.60s' is not a path: member names joined by dots (\"_meta.count\"), a number "
               "for an element of a list, no spaces or commas, under %d bytes",
               *out, STREAM_PATH_MAX);
  return MS_OK;
}

static int get_bool(struct reader *rd, const cJSON *obj, const char *key, const char *parent,
                    int def, int *out) {
  char f[FIELD_MAX];
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  *out = def;
  if (!v || cJSON_IsNull(v))
    return MS_OK;
  if (!cJSON_IsBool(v))
    return bad(rd, fname(f, parent, key), "expected true or false");
  *out = cJSON_IsTrue(v);
  return MS_OK;
}

static int get_number(struct reader *rd, const cJSON *obj, const char *key, const char *parent,
                      double lo, double hi, int whole, double def, double *out) {
  char f[FIELD_MAX];
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  *out = def;
  if (!v || cJSON_IsNull(v))
    return MS_OK;
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
      (whole && v->valuedouble != (double)(long long)v->valuedouble))
    return bad(rd, fname(f, parent, key), "expected a %snumber from %g to %g",
               whole ? "whole " : "", lo, hi);
  *out = v->valuedouble;
  return MS_OK;
}

static int get_int(struct reader *rd, const cJSON *obj, const char *key, const char *parent, int lo,
                   int hi, int def, int *out) {
  double d;
  int rc = get_number(rd, obj, key, parent, lo, hi, 1, def, &d);
  *out = (int)d;
  return rc;
}

/* One of a list of words; names[i] gives values[i]. */
static int get_choice(struct reader *rd, const cJSON *obj, const char *key, const char *parent,
                      const char *const *names, const int *values, int required, int def,
                      int *out) {
  char f[FIELD_MAX], list[200] = "";
  const char *text;
  size_t used = 0;
  int rc = get_text(rd, obj, key, parent, required, 64, &text);
  *out = def;
  if (rc || !text)
    return rc;
  for (size_t i = 0; names[i]; i++) {
    if (strcmp(names[i], text) == 0) {
      *out = values[i];
      return MS_OK;
    }
    if (used < sizeof(list))
      used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", names[i]);
  }
  return bad(rd, fname(f, parent, key), "'%s' is not one of %s", text, list);
}

static int get_template(struct reader *rd, const cJSON *obj, const char *key, const char *parent,
                        int scope, int required, const char **out) {
  char f[FIELD_MAX];
  int rc = get_text(rd, obj, key, parent, required, TEXT_MAX, out);
  if (rc || !*out)
    return rc;
  return rest_template_check(rd->s, *out, scope, fname(f, parent, key), rd->err);
}

/* An object of parameter names to templates (a number or true/false is
 * taken as its text). */
static int get_params(struct reader *rd, const cJSON *obj, const char *key, const char *parent,
                      int scope, struct rest_params *out) {
  char f[FIELD_MAX], pf[FIELD_MAX + 64];
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key), *m;
  out->n = 0;
  if (!v || cJSON_IsNull(v))
    return MS_OK;
  fname(f, parent, key);
  if (!cJSON_IsObject(v))
    return bad(rd, f, "expected an object of parameter names and values");
  cJSON_ArrayForEach(m, v) {
    char num[32];
    const char *text = cJSON_IsString(m) ? m->valuestring : NULL;
    int rc;
    snprintf(pf, sizeof(pf), "%s.%s", f, m->string ? m->string : "");
    if (cJSON_IsNumber(m) && m->valuedouble == (double)(long long)m->valuedouble) {
      snprintf(num, sizeof(num), "%lld", (long long)m->valuedouble);
      text = num;
    } else if (cJSON_IsBool(m)) {
      text = cJSON_IsTrue(m) ? "true" : "false";
    }
    if (!text)
      return bad(rd, pf, "expected text (a template), a whole number or true/false");
    if (out->n == REST_PARAMS_MAX)
      return bad(rd, f, "more than %d parameters", REST_PARAMS_MAX);
    if (!m->string || !*m->string || strlen(m->string) > 64 ||
        strspn(m->string, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.[]") !=
            strlen(m->string))
      return bad(rd, pf, "a parameter's name is letters, digits and _-.[] (at most 64)");
    if (strlen(text) > TEXT_MAX)
      return bad(rd, pf, "is longer than %d bytes", TEXT_MAX);
    rc = rest_template_check(rd->s, text, scope, pf, rd->err);
    if (rc)
      return rc;
    out->v[out->n].name = arena_str(rd->s, m->string);
    out->v[out->n].value = arena_str(rd->s, text);
    if (!out->v[out->n].name || !out->v[out->n].value)
      return oom(rd);
    out->n++;
  }
  return MS_OK;
}

static int params_refer(const struct rest_params *p, const char *name) {
  for (int i = 0; i < p->n; i++)
    if (rest_template_refers(p->v[i].value, name))
      return 1;
  return 0;
}

/* Names already given to a parameter by another section or by the
 * pagination: sending one twice is a mistake. */
static int params_clash(struct reader *rd, const struct rest_params *a, const struct rest_params *b,
                        const char *field) {
  for (int i = 0; i < a->n; i++)
    for (int k = 0; b && k < b->n; k++)
      if (strcmp(a->v[i].name, b->v[k].name) == 0)
        return bad(rd, field, "the parameter %s is given twice", a->v[i].name);
  return MS_OK;
}

/* ---- settings ------------------------------------------------------------- */

static const char *const reserved_keys[] = {
    "api_base", "timezone", "timezone_override", "streams", "currency", "spec", NULL};
static const char *const reserved_flags[] = {"api-base", "timezone", "streams", "stream",
                                             "no-check", "spec",     "help",    NULL};

static int reserved(const char *const *list, const char *s) {
  for (size_t i = 0; list[i]; i++)
    if (strcmp(list[i], s) == 0)
      return 1;
  return 0;
}

const struct rest_setting *rest_spec_setting(const struct rest_spec *spec, const char *key) {
  for (int i = 0; i < spec->nsettings; i++)
    if (strcmp(spec->settings[i].def.key, key) == 0)
      return &spec->settings[i];
  return NULL;
}

static int add_setting(struct rest_spec *s, const char *key, const char *flag,
                       enum setting_kind kind, int flags, const char *help, const char *fallback) {
  struct rest_setting *set = &s->settings[s->nsettings++];
  set->def.key = key;
  set->def.flag = flag;
  set->def.kind = kind;
  set->def.flags = flags;
  set->def.help = help;
  set->fallback = fallback;
  return MS_OK;
}

static int read_setting(struct reader *rd, const cJSON *o, const char *field) {
  static const char *const known[] = {"key",     "flag",    "kind", "required",
                                      "default", "choices", "help", NULL};
  static const char *const kinds[] = {"text", "int",    "url",    "zone",
                                      "list", "choice", "secret", NULL};
  static const int kind_values[] = {SETTING_TEXT, SETTING_INT,    SETTING_URL,   SETTING_ZONE,
                                    SETTING_LIST, SETTING_CHOICE, SETTING_SECRET};
  struct rest_spec *s = rd->s;
  const char *key, *flag, *help, *choices, *fallback = NULL;
  const cJSON *dv = cJSON_GetObjectItemCaseSensitive(o, "default");
  char f[FIELD_MAX], made[64];
  int kind, required, rc;
  if ((rc = need_object(rd, o, field)) || (rc = known_only(rd, o, field, known)) ||
      (rc = get_name(rd, o, "key", field, 1, 31, &key)) ||
      (rc = get_text(rd, o, "flag", field, 0, 40, &flag)) ||
      (rc = get_choice(rd, o, "kind", field, kinds, kind_values, 0, SETTING_TEXT, &kind)) ||
      (rc = get_bool(rd, o, "required", field, 0, &required)) ||
      (rc = get_text(rd, o, "help", field, 1, HELP_MAX, &help)) ||
      (rc = get_text(rd, o, "choices", field, kind == SETTING_CHOICE, 200, &choices)))
    return rc;
  if (reserved(reserved_keys, key))
    return bad(rd, fname(f, field, "key"),
               "%s is a setting every spec has already (api_base, timezone) or one marketsync "
               "keeps",
               key);
  if (!flag) {
    snprintf(made, sizeof(made), "%s", key);
    for (char *p = made; *p; p++)
      if (*p == '_')
        *p = '-';
    flag = arena_str(s, made);
    if (!flag)
      return oom(rd);
  }
  if (!name_ok(flag, 40, 1) || reserved(reserved_flags, flag))
    return bad(rd, fname(f, field, "flag"),
               "'%s' cannot be an option: lower-case letters, digits and '-', and none of "
               "api-base, timezone, streams, no-check, spec",
               flag);
  if (choices && kind != SETTING_CHOICE)
    return bad(rd, fname(f, field, "choices"), "belongs to a setting of kind choice");
  for (int i = 0; i < s->nsettings; i++) {
    char ef[80], ff[80];
    if (strcmp(s->settings[i].def.key, key) == 0)
      return bad(rd, fname(f, field, "key"), "%s is declared twice", key);
    snprintf(ef, sizeof(ef), "%s-env", s->settings[i].def.flag);
    snprintf(ff, sizeof(ff), "%s-file", s->settings[i].def.flag);
    if (strcmp(s->settings[i].def.flag, flag) == 0 ||
        (s->settings[i].def.kind == SETTING_SECRET &&
         (strcmp(ef, flag) == 0 || strcmp(ff, flag) == 0)))
      return bad(rd, fname(f, field, "flag"), "--%s is the option of another setting", flag);
  }
  if (dv && !cJSON_IsNull(dv)) {
    char num[32];
    if (kind == SETTING_SECRET)
      return bad(rd, fname(f, field, "default"), "a secret has no default");
    if (cJSON_IsNumber(dv) && kind == SETTING_INT &&
        dv->valuedouble == (double)(long long)dv->valuedouble) {
      snprintf(num, sizeof(num), "%lld", (long long)dv->valuedouble);
      fallback = arena_str(s, num);
    } else if (cJSON_IsString(dv) && kind != SETTING_INT) {
      rc = get_text(rd, o, "default", field, 0, TEXT_MAX, &fallback); /* checked with the rest */
      if (rc)
        return rc;
    } else {
      return bad(rd, fname(f, field, "default"), "expected %s",
                 kind == SETTING_INT ? "a whole number" : "text (a template)");
    }
    if (!fallback)
      return oom(rd);
  }
  if (s->nsettings >= REST_SETTINGS_MAX - 2)
    return bad(rd, field, "a spec has at most %d settings", REST_SETTINGS_MAX - 2);
  return add_setting(s, key, flag, kind, required ? SETTING_REQUIRED : 0, help, fallback);
}

static int read_settings(struct reader *rd, const cJSON *root) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "settings"), *o;
  struct rest_spec *s = rd->s;
  char f[FIELD_MAX], help[HELP_MAX];
  const char *base_help, *zone_help;
  int i = 0, rc;
  if (list && !cJSON_IsNull(list) && !cJSON_IsArray(list))
    return bad(rd, "settings", "expected a list [...] of settings");
  cJSON_ArrayForEach(o, list) {
    fsub(f, "settings", "", i++);
    rc = read_setting(rd, o, f);
    if (rc)
      return rc;
  }
  /* Every spec's, last: where its API is, and the zone of its days. */
  snprintf(help, sizeof(help), "the API's base URL (default %s)", s->base_url);
  base_help = arena_str(s, help);
  snprintf(help, sizeof(help),
           "the IANA zone of the source's days and of the times the API writes without an offset "
           "(default %s)",
           s->timezone);
  zone_help = arena_str(s, help);
  if (!base_help || !zone_help)
    return oom(rd);
  add_setting(s, "api_base", "api-base", SETTING_URL, 0, base_help, s->base_url);
  add_setting(s, "timezone", "timezone", SETTING_ZONE, 0, zone_help, s->timezone);
  /* Defaults may name other settings, checked now that all are known. */
  for (int k = 0; k < s->nsettings; k++) {
    if (!s->settings[k].fallback || s->settings[k].def.kind == SETTING_INT)
      continue;
    snprintf(f, sizeof(f), "settings[%.40s].default", s->settings[k].def.key);
    rc = rest_template_check(s, s->settings[k].fallback, TPL_SETTINGS, f, rd->err);
    if (rc)
      return rc;
  }
  for (int k = 0; k < s->nsettings; k++)
    s->setting_defs[k] = s->settings[k].def;
  s->setting_defs[s->nsettings].key = NULL;
  return MS_OK;
}

static const struct rest_setting *secret_setting(struct reader *rd, const char *key) {
  const struct rest_setting *set = rest_spec_setting(rd->s, key);
  return set && set->def.kind == SETTING_SECRET ? set : NULL;
}

/* ---- auth, headers, probe, rate limit, errors ----------------------------- */

static int read_auth(struct reader *rd, const cJSON *root) {
  static const char *const types[] = {"none", "api_key", "bearer", "oauth2_client_credentials",
                                      NULL};
  static const int type_values[] = {AUTH_NONE, AUTH_API_KEY, AUTH_BEARER, AUTH_OAUTH2};
  static const char *const known_none[] = {"type", NULL};
  static const char *const known_key[] = {"type", "header", "scheme", "secret", NULL};
  static const char *const known_bearer[] = {"type", "secret", NULL};
  static const char *const known_oauth[] = {"type",  "token_url", "client_id", "client_secret",
                                            "scope", "basic",     "refresh",   NULL};
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "auth");
  struct rest_auth *a = &rd->s->auth;
  int kind, rc;
  if ((rc = need_object(rd, o, "auth")) ||
      (rc = get_choice(rd, o, "type", "auth", types, type_values, 1, 0, &kind)))
    return rc;
  a->kind = kind;
  rc = known_only(rd, o, "auth",
                  kind == AUTH_NONE      ? known_none
                  : kind == AUTH_API_KEY ? known_key
                  : kind == AUTH_BEARER  ? known_bearer
                                         : known_oauth);
  if (rc)
    return rc;
  switch (a->kind) {
  case AUTH_API_KEY:
    if ((rc = get_text(rd, o, "header", "auth", 0, 64, &a->header)) ||
        (rc = get_text(rd, o, "scheme", "auth", 0, 32, &a->scheme)) ||
        (rc = get_name(rd, o, "secret", "auth", 0, 31, &a->secret)))
      return rc;
    if (!a->header)
      a->header = "Authorization";
    if (strspn(a->header, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") !=
        strlen(a->header))
      return bad(rd, "auth.header", "'%s' is not a header name", a->header);
    if (a->scheme && strpbrk(a->scheme, " :"))
      return bad(rd, "auth.scheme", "a scheme is one word (\"Token\"), without ':'");
    break;
  case AUTH_BEARER:
    rc = get_name(rd, o, "secret", "auth", 0, 31, &a->secret);
    if (rc)
      return rc;
    break;
  case AUTH_OAUTH2:
    if ((rc = get_template(rd, o, "token_url", "auth", TPL_SETTINGS, 1, &a->token_url)) ||
        (rc = get_template(rd, o, "client_id", "auth", TPL_SETTINGS, 1, &a->client_id)) ||
        (rc = get_name(rd, o, "client_secret", "auth", 0, 31, &a->client_secret)) ||
        (rc = get_text(rd, o, "scope", "auth", 0, TEXT_MAX, &a->scope)) ||
        (rc = get_bool(rd, o, "basic", "auth", 1, &a->basic)) ||
        (rc = get_bool(rd, o, "refresh", "auth", 1, &a->refresh)))
      return rc;
    if (!a->client_secret)
      a->client_secret = "client_secret";
    if (!secret_setting(rd, a->client_secret))
      return bad(rd, "auth.client_secret",
                 "names %s, which is not a setting of kind secret; declare it in settings",
                 a->client_secret);
    break;
  default:
    break;
  }
  if (a->kind == AUTH_API_KEY || a->kind == AUTH_BEARER) {
    if (!a->secret)
      a->secret = a->kind == AUTH_API_KEY ? "api_key" : "token";
    if (!secret_setting(rd, a->secret))
      return bad(rd, "auth.secret",
                 "names %s, which is not a setting of kind secret; declare it in settings",
                 a->secret);
  }
  return MS_OK;
}

static int read_headers(struct reader *rd, const cJSON *root) {
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "headers"), *m;
  char f[FIELD_MAX];
  if (!o || cJSON_IsNull(o))
    return MS_OK;
  if (!cJSON_IsObject(o))
    return bad(rd, "headers", "expected an object of header names and values");
  cJSON_ArrayForEach(m, o) {
    struct rest_header *h;
    int rc;
    snprintf(f, sizeof(f), "headers.%.60s", m->string ? m->string : "");
    if (rd->s->nheaders == REST_HEADERS_MAX)
      return bad(rd, "headers", "at most %d headers", REST_HEADERS_MAX);
    if (!m->string || !*m->string || strlen(m->string) > 64 ||
        strspn(m->string, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") !=
            strlen(m->string))
      return bad(rd, f, "is not a header name");
    if (strcasecmp(m->string, "Authorization") == 0 || strcasecmp(m->string, "Host") == 0 ||
        strcasecmp(m->string, "Content-Length") == 0)
      return bad(rd, f, "is set by marketsync (the auth section sends credentials)");
    h = &rd->s->headers[rd->s->nheaders];
    h->name = arena_str(rd->s, m->string);
    rc = get_template(rd, o, m->string, "headers", TPL_SETTINGS, 1, &h->value);
    if (rc)
      return rc;
    if (!h->name)
      return oom(rd);
    rd->s->nheaders++;
  }
  return MS_OK;
}

static int read_probe(struct reader *rd, const cJSON *root) {
  static const char *const known[] = {"path", "params", NULL};
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "probe");
  int rc;
  if (!o || cJSON_IsNull(o))
    return MS_OK;
  if ((rc = need_object(rd, o, "probe")) || (rc = known_only(rd, o, "probe", known)) ||
      (rc = get_template(rd, o, "path", "probe", TPL_SETTINGS, 1, &rd->s->probe_path)) ||
      (rc = get_params(rd, o, "params", "probe", TPL_SETTINGS, &rd->s->probe_params)))
    return rc;
  if (rd->s->probe_path[0] != '/')
    return bad(rd, "probe.path", "starts with '/' (it is appended to the API base)");
  return MS_OK;
}

static int read_rate(struct reader *rd, const cJSON *root) {
  static const char *const known[] = {"requests", "per_seconds",      "pace",
                                      "burst",    "throttled_status", NULL};
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "rate_limit"), *st, *e;
  struct rest_rate *r = &rd->s->rate;
  int rc;
  r->throttled[0] = 429;
  r->nthrottled = 1;
  if (!o || cJSON_IsNull(o))
    return MS_OK;
  if ((rc = need_object(rd, o, "rate_limit")) || (rc = known_only(rd, o, "rate_limit", known)) ||
      (rc = get_number(rd, o, "requests", "rate_limit", 1, 1e6, 0, 0, &r->requests)) ||
      (rc = get_number(rd, o, "per_seconds", "rate_limit", 0.001, 86400, 0, 0, &r->per)) ||
      (rc = get_number(rd, o, "pace", "rate_limit", 0.01, 1, 0, 0.9, &r->pace)) ||
      (rc = get_number(rd, o, "burst", "rate_limit", 1, 1e6, 0, 0, &r->burst)))
    return rc;
  if ((r->requests > 0) != (r->per > 0))
    return bad(rd, "rate_limit", "requests and per_seconds go together (600 per 60 seconds)");
  st = cJSON_GetObjectItemCaseSensitive(o, "throttled_status");
  if (st && !cJSON_IsNull(st)) {
    r->nthrottled = 0;
    if (!cJSON_IsArray(st) || cJSON_GetArraySize(st) < 1)
      return bad(rd, "rate_limit.throttled_status", "expected a list of HTTP statuses ([429])");
    cJSON_ArrayForEach(e, st) {
      if (!cJSON_IsNumber(e) || e->valuedouble < 400 || e->valuedouble > 599 ||
          e->valuedouble != (double)(int)e->valuedouble || r->nthrottled == REST_STATUSES_MAX)
        return bad(rd, "rate_limit.throttled_status",
                   "expected up to %d HTTP statuses from 400 to 599", REST_STATUSES_MAX);
      r->throttled[r->nthrottled++] = (long)e->valuedouble;
    }
  }
  return MS_OK;
}

static int read_rule(struct reader *rd, const cJSON *o, const char *field, struct rest_rule *r) {
  static const char *const known[] = {
      "status", "code", "contains", "means", "wait_minutes_in_message", NULL};
  static const char *const meanings[] = {"throttled", "locked_out", "token_expired",
                                         "auth",      "scope",      "cursor",
                                         "transient", "fatal",      NULL};
  static const int meaning_values[] = {MEANS_THROTTLED, MEANS_LOCKED_OUT, MEANS_EXPIRED,
                                       MEANS_AUTH,      MEANS_SCOPE,      MEANS_CURSOR,
                                       MEANS_TRANSIENT, MEANS_FATAL};
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
  char f[FIELD_MAX], num[32];
  double status;
  int means, rc;
  if ((rc = need_object(rd, o, field)) || (rc = known_only(rd, o, field, known)) ||
      (rc = get_number(rd, o, "status", field, 100, 599, 1, 0, &status)) ||
      (rc = get_text(rd, o, "contains", field, 0, 200, &r->contains)) ||
      (rc = get_choice(rd, o, "means", field, meanings, meaning_values, 1, 0, &means)) ||
      (rc = get_bool(rd, o, "wait_minutes_in_message", field, 0, &r->wait_minutes)))
    return rc;
  r->status = (long)status;
  r->means = means;
  if (r->wait_minutes && r->means != MEANS_LOCKED_OUT)
    return bad(rd, fname(f, field, "wait_minutes_in_message"), "belongs to a locked_out rule");
  if (code && !cJSON_IsNull(code)) {
    if (cJSON_IsNumber(code) && code->valuedouble == (double)(long long)code->valuedouble) {
      snprintf(num, sizeof(num), "%lld", (long long)code->valuedouble);
      r->code = arena_str(rd->s, num);
    } else if (cJSON_IsString(code) && strlen(code->valuestring) <= 64) {
      r->code = arena_str(rd->s, code->valuestring);
    } else {
      return bad(rd, fname(f, field, "code"), "expected a number or short text");
    }
    if (!r->code)
      return oom(rd);
    r->has_code = 1;
  }
  if (!r->status && !r->has_code && !r->contains)
    return bad(rd, field, "a rule needs a status, a code or words it contains to match");
  return MS_OK;
}

static int read_errors(struct reader *rd, const cJSON *root) {
  static const char *const known[] = {"message", "code", "rules", NULL};
  static const char *const messages[] = {"message", "error_description", "error", "errors"};
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "errors"), *m, *rules, *e;
  struct rest_errors *er = &rd->s->errors;
  char f[FIELD_MAX];
  int i = 0, rc;
  for (size_t k = 0; k < sizeof(messages) / sizeof(messages[0]); k++)
    er->message[er->nmessage++] = messages[k];
  if (!o || cJSON_IsNull(o))
    return MS_OK;
  if ((rc = need_object(rd, o, "errors")) || (rc = known_only(rd, o, "errors", known)) ||
      (rc = get_path(rd, o, "code", "errors", 0, 0, &er->code)))
    return rc;
  m = cJSON_GetObjectItemCaseSensitive(o, "message");
  if (m && !cJSON_IsNull(m)) {
    er->nmessage = 0;
    if (cJSON_IsString(m)) {
      rc = get_path(rd, o, "message", "errors", 1, 0, &er->message[er->nmessage++]);
      if (rc)
        return rc;
    } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) >= 1 &&
               cJSON_GetArraySize(m) <= REST_MESSAGE_PATHS) {
      cJSON_ArrayForEach(e, m) {
        if (!cJSON_IsString(e) || !*e->valuestring || !path_ok(e->valuestring))
          return bad(rd, "errors.message", "expected paths of the error's text");
        er->message[er->nmessage] = arena_str(rd->s, e->valuestring);
        if (!er->message[er->nmessage++])
          return oom(rd);
      }
    } else {
      return bad(rd, "errors.message", "expected a path or a list of up to %d paths",
                 REST_MESSAGE_PATHS);
    }
  }
  rules = cJSON_GetObjectItemCaseSensitive(o, "rules");
  if (rules && !cJSON_IsNull(rules) && !cJSON_IsArray(rules))
    return bad(rd, "errors.rules", "expected a list of rules");
  cJSON_ArrayForEach(e, rules) {
    fsub(f, "errors.rules", "", i++);
    if (er->nrules == REST_RULES_MAX)
      return bad(rd, "errors.rules", "at most %d rules", REST_RULES_MAX);
    rc = read_rule(rd, e, f, &er->rules[er->nrules]);
    if (rc)
      return rc;
    if (er->rules[er->nrules].has_code && !er->code)
      return bad(rd, f, "compares a code, but errors.code does not say where the code is");
    er->nrules++;
  }
  return MS_OK;
}

/* ---- streams ---------------------------------------------------------------- */

static int read_column(struct reader *rd, const cJSON *o, const char *field, struct column_def *c) {
  static const char *const known[] = {"name",   "type",   "path",  "currency", "minor",
                                      "format", "status", "index", "required", NULL};
  static const char *const types[] = {"text",  "int",     "bool", "time", "date",
                                      "money", "decimal", "json", NULL};
  static const int type_values[] = {COL_TEXT, COL_INT,   COL_BOOL,    COL_TIME,
                                    COL_DATE, COL_MONEY, COL_DECIMAL, COL_JSON};
  char f[FIELD_MAX];
  int type, status, index, required, rc;
  if ((rc = need_object(rd, o, field)) || (rc = known_only(rd, o, field, known)) ||
      (rc = get_name(rd, o, "name", field, 1, STREAM_NAME_MAX - 8, &c->name)) ||
      (rc = get_choice(rd, o, "type", field, types, type_values, 0, COL_TEXT, &type)) ||
      (rc = get_path(rd, o, "path", field, 1, 0, &c->path)) ||
      (rc = get_path(rd, o, "currency", field, 0, 0, &c->currency)) ||
      (rc = get_name(rd, o, "minor", field, 0, STREAM_NAME_MAX - 1, &c->minor)) ||
      (rc = get_text(rd, o, "format", field, 0, 64, &c->format)) ||
      (rc = get_bool(rd, o, "status", field, 0, &status)) ||
      (rc = get_bool(rd, o, "index", field, 0, &index)) ||
      (rc = get_bool(rd, o, "required", field, 0, &required)))
    return rc;
  c->type = type;
  c->flags = (status ? COL_STATUS : 0) | (index ? COL_INDEX : 0) | (required ? COL_REQUIRED : 0);
  if ((c->currency || c->minor) && c->type != COL_MONEY)
    return bad(rd, fname(f, field, c->currency ? "currency" : "minor"),
               "belongs to a column of type money");
  if (c->format && c->type != COL_TIME && c->type != COL_DATE)
    return bad(rd, fname(f, field, "format"), "belongs to a column of type time or date");
  if (c->format && !time_pattern_ok(c->format))
    return bad(rd, fname(f, field, "format"),
               "'%s' is not a pattern of yyyy, mm, dd, HH, MM and SS (such as \"dd.mm.yyyy "
               "HH:MM:SS\"); leave it out for ISO 8601",
               c->format);
  return MS_OK;
}

static int read_columns(struct reader *rd, const cJSON *o, const char *field,
                        const struct column_def **out) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "columns"), *e;
  struct column_def *cols;
  char f[FIELD_MAX];
  int n, i = 0, rc;
  *out = NULL;
  if (!list || cJSON_IsNull(list))
    return MS_OK;
  n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1;
  if (n < 0 || n > STREAM_COLUMNS_MAX)
    return bad(rd, fname(f, field, "columns"), "expected a list of at most %d columns",
               STREAM_COLUMNS_MAX);
  cols = arena_alloc(rd->s, sizeof(*cols) * (size_t)(n + 1));
  if (!cols)
    return oom(rd);
  cJSON_ArrayForEach(e, list) {
    char cf[FIELD_MAX];
    fsub(cf, field, ".columns", i);
    rc = read_column(rd, e, cf, &cols[i++]);
    if (rc)
      return rc;
  }
  *out = cols;
  return MS_OK;
}

/* The key: one path, or a list of paths that make one id together. */
static int read_key(struct reader *rd, const cJSON *o, const char *field, const char **out) {
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "key"), *e;
  char f[FIELD_MAX], joined[STREAM_PATH_MAX];
  size_t used = 0;
  if (cJSON_IsString(k))
    return get_path(rd, o, "key", field, 1, 0, out);
  fname(f, field, "key");
  if (!cJSON_IsArray(k) || cJSON_GetArraySize(k) < 1 || cJSON_GetArraySize(k) > 4)
    return bad(rd, f, "is required: the path of the record's id, or a list of up to 4 paths");
  cJSON_ArrayForEach(e, k) {
    if (!cJSON_IsString(e) || !*e->valuestring || !path_ok(e->valuestring))
      return bad(rd, f, "expected paths of members of the record");
    used += (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s", used ? "," : "",
                             e->valuestring);
    if (used >= sizeof(joined))
      return bad(rd, f, "is longer than %d bytes in all", STREAM_PATH_MAX - 1);
  }
  *out = arena_str(rd->s, joined);
  return *out ? MS_OK : oom(rd);
}

static int read_aliases(struct reader *rd, const cJSON *o, const char *field, const char **out) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "aliases"), *e;
  char f[FIELD_MAX], joined[200];
  size_t used = 0;
  *out = NULL;
  if (!a || cJSON_IsNull(a))
    return MS_OK;
  fname(f, field, "aliases");
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > 4)
    return bad(rd, f, "expected a list of up to 4 names (\"purchases\")");
  cJSON_ArrayForEach(e, a) {
    if (!cJSON_IsString(e) || !name_ok(e->valuestring, 40, 0) || strcmp(e->valuestring, "all") == 0)
      return bad(rd, f, "an alias is a name of lower-case letters, digits and '_', not 'all'");
    used += (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s", used ? "," : "",
                             e->valuestring);
  }
  *out = used ? arena_str(rd->s, joined) : NULL;
  return used && !*out ? oom(rd) : MS_OK;
}

static int read_paging(struct reader *rd, const cJSON *st, const char *field,
                       struct rest_paging_def *p) {
  static const char *const known[] = {"type",       "limit",        "limit_param", "offset_param",
                                      "page_param", "first_page",   "total",       "per_page",
                                      "cursor",     "cursor_param", "next_url",    NULL};
  static const char *const kinds[] = {"none", "offset", "page", "cursor", "link", NULL};
  static const int kind_values[] = {PAGING_NONE, PAGING_OFFSET, PAGING_PAGE, PAGING_CURSOR,
                                    PAGING_LINK};
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(st, "pagination");
  char f[FIELD_MAX], pf[FIELD_MAX];
  int kind, rc;
  fname(f, field, "pagination");
  memset(p, 0, sizeof(*p));
  if (!o || cJSON_IsNull(o)) {
    p->kind = PAGING_NONE;
    return MS_OK;
  }
  if ((rc = need_object(rd, o, f)) || (rc = known_only(rd, o, f, known)) ||
      (rc = get_choice(rd, o, "type", f, kinds, kind_values, 1, 0, &kind)) ||
      (rc = get_int(rd, o, "limit", f, 1, 100000, 0, &p->limit)) ||
      (rc = get_text(rd, o, "limit_param", f, 0, 64, &p->limit_param)) ||
      (rc = get_text(rd, o, "offset_param", f, 0, 64, &p->offset_param)) ||
      (rc = get_text(rd, o, "page_param", f, 0, 64, &p->page_param)) ||
      (rc = get_int(rd, o, "first_page", f, 0, 1, 1, &p->first_page)) ||
      (rc = get_path(rd, o, "total", f, 0, 0, &p->total)) ||
      (rc = get_path(rd, o, "per_page", f, 0, 0, &p->per_page)) ||
      (rc = get_path(rd, o, "cursor", f, kind == PAGING_CURSOR, 0, &p->cursor)) ||
      (rc = get_text(rd, o, "cursor_param", f, kind == PAGING_CURSOR, 64, &p->cursor_param)) ||
      (rc = get_path(rd, o, "next_url", f, 0, 0, &p->next_url)))
    return rc;
  p->kind = kind;
  if ((kind == PAGING_OFFSET || kind == PAGING_PAGE) && !p->limit)
    return bad(rd, fname(pf, f, "limit"), "is required: the page size to ask for");
  if (p->limit && !p->limit_param && !cJSON_GetObjectItemCaseSensitive(o, "limit_param"))
    p->limit_param = "limit";
  if (kind == PAGING_OFFSET && !p->offset_param)
    p->offset_param = "offset";
  if (kind == PAGING_PAGE && !p->page_param)
    p->page_param = "page";
  /* Members of another type are mistakes, not options. */
  if ((p->offset_param && kind != PAGING_OFFSET) ||
      ((p->page_param || p->per_page || cJSON_GetObjectItemCaseSensitive(o, "first_page")) &&
       kind != PAGING_PAGE) ||
      ((p->cursor || p->cursor_param) && kind != PAGING_CURSOR) ||
      (p->next_url && kind != PAGING_LINK) ||
      (p->total && kind != PAGING_OFFSET && kind != PAGING_PAGE) ||
      (p->limit && kind == PAGING_NONE))
    return bad(rd, f, "has a member that type %s does not take (see docs/connectors/rest.md)",
               kinds[kind - 1]);
  return MS_OK;
}

static int read_child(struct reader *rd, const cJSON *o, const char *field,
                      const struct rest_stream *parent, struct stream_def *c) {
  static const char *const known[] = {"name",       "table",   "path", "key",
                                      "parent_key", "columns", NULL};
  int rc;
  if ((rc = need_object(rd, o, field)) || (rc = known_only(rd, o, field, known)) ||
      (rc = get_name(rd, o, "name", field, 1, STREAM_NAME_MAX - 1, &c->name)) ||
      (rc = get_name(rd, o, "table", field, 0, STREAM_NAME_MAX - 1, &c->table)) ||
      (rc = get_path(rd, o, "path", field, 1, 0, &c->path)) ||
      (rc = read_key(rd, o, field, &c->key)) ||
      (rc = get_name(rd, o, "parent_key", field, 1, STREAM_NAME_MAX - 1, &c->parent_key)) ||
      (rc = read_columns(rd, o, field, &c->columns)))
    return rc;
  if (!c->table)
    c->table = c->name;
  c->parent = parent->def.name;
  return MS_OK;
}

static int read_children(struct reader *rd, const cJSON *o, const char *field,
                         struct rest_stream *st) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "children"), *e;
  const struct stream_def **kids;
  char f[FIELD_MAX];
  int n, i = 0, rc;
  if (!list || cJSON_IsNull(list))
    return MS_OK;
  n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1;
  if (n < 0 || n > REST_CHILDREN_MAX)
    return bad(rd, fname(f, field, "children"), "expected a list of at most %d child streams",
               REST_CHILDREN_MAX);
  kids = arena_alloc(rd->s, sizeof(*kids) * (size_t)(n + 1));
  if (!kids)
    return oom(rd);
  cJSON_ArrayForEach(e, list) {
    struct stream_def *c = arena_alloc(rd->s, sizeof(*c));
    char cf[FIELD_MAX];
    if (!c)
      return oom(rd);
    fsub(cf, field, ".children", i);
    rc = read_child(rd, e, cf, st, c);
    if (rc)
      return rc;
    kids[i++] = c;
  }
  st->def.children = (const struct stream_def *const *)kids;
  return MS_OK;
}

/* recent_days: a number, or "{setting}" naming a whole-number setting whose
 * default is the number. */
static int read_recent(struct reader *rd, const cJSON *o, const char *field,
                       struct stream_def *def) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "recent_days");
  char f[FIELD_MAX], name[40];
  const struct rest_setting *set;
  size_t n;
  fname(f, field, "recent_days");
  if (!v || cJSON_IsNull(v))
    return MS_OK;
  if (cJSON_IsNumber(v)) {
    int days;
    int rc = get_int(rd, o, "recent_days", field, 1, 3660, 0, &days);
    def->recent_days = days;
    return rc;
  }
  n = cJSON_IsString(v) ? strlen(v->valuestring) : 0;
  if (n < 3 || n >= sizeof(name) + 2 || v->valuestring[0] != '{' || v->valuestring[n - 1] != '}')
    return bad(rd, f, "expected a number of days, or \"{setting}\" naming a setting of kind int");
  snprintf(name, sizeof(name), "%.*s", (int)(n - 2), v->valuestring + 1);
  set = rest_spec_setting(rd->s, name);
  if (!set || set->def.kind != SETTING_INT || !set->fallback)
    return bad(rd, f, "{%s} must name a setting of kind int with a default", name);
  def->recent_days = atoi(set->fallback);
  def->recent_days_setting = set->def.key;
  if (def->recent_days < 1 || def->recent_days > 3660)
    return bad(rd, f, "the default of %s must be from 1 to 3660 days", name);
  return MS_OK;
}

static int read_stream(struct reader *rd, const cJSON *o, const char *field,
                       struct rest_stream *st) {
  static const char *const known[] = {
      "name",        "table",         "aliases",    "slicing",     "path",    "params",
      "day_params",  "window_params", "records",    "key",         "created", "updated",
      "time_format", "day_member",    "unordered",  "recent_days", "events",  "scope",
      "columns",     "children",      "pagination", NULL};
  static const char *const slicings[] = {"by_day", "by_update", "snapshot", NULL};
  static const int slicing_values[] = {SLICING_BY_DAY, SLICING_BY_UPDATES, SLICING_SNAPSHOT};
  struct stream_def *d = &st->def;
  char f[FIELD_MAX];
  int slicing, unordered, rc;
  if ((rc = need_object(rd, o, field)) || (rc = known_only(rd, o, field, known)) ||
      (rc = get_name(rd, o, "name", field, 1, STREAM_NAME_MAX - 1, &d->name)) ||
      (rc = get_name(rd, o, "table", field, 0, STREAM_NAME_MAX - 1, &d->table)) ||
      (rc = read_aliases(rd, o, field, &d->aliases)) ||
      (rc = get_choice(rd, o, "slicing", field, slicings, slicing_values, 1, 0, &slicing)) ||
      (rc = get_template(rd, o, "path", field, TPL_SETTINGS, 1, &st->path)) ||
      (rc = get_params(rd, o, "params", field, TPL_SETTINGS, &st->params)) ||
      (rc = get_params(rd, o, "day_params", field, TPL_SETTINGS | TPL_DAY, &st->day_params)) ||
      (rc = get_params(rd, o, "window_params", field, TPL_SETTINGS | TPL_WINDOW,
                       &st->window_params)) ||
      (rc = get_path(rd, o, "records", field, 1, 1, &st->records)) ||
      (rc = read_key(rd, o, field, &d->key)) ||
      (rc = get_path(rd, o, "created", field, slicing == SLICING_BY_DAY, 0, &d->created)) ||
      (rc = get_path(rd, o, "updated", field, 0, 0, &d->updated)) ||
      (rc = get_text(rd, o, "time_format", field, 0, 64, &d->time_format)) ||
      (rc = get_name(rd, o, "day_member", field, 0, 40, &st->day_member)) ||
      (rc = get_bool(rd, o, "unordered", field, 0, &unordered)) ||
      (rc = get_name(rd, o, "events", field, 0, 32, &d->event)) ||
      (rc = get_text(rd, o, "scope", field, 0, 200, &d->scope)) ||
      (rc = read_recent(rd, o, field, d)) || (rc = read_columns(rd, o, field, &d->columns)) ||
      (rc = read_children(rd, o, field, st)) || (rc = read_paging(rd, o, field, &st->paging)))
    return rc;
  d->slicing = slicing;
  if (!d->table)
    d->table = d->name;
  if (st->path[0] != '/')
    return bad(rd, fname(f, field, "path"), "starts with '/' (it is appended to the API base)");
  if (d->time_format && !time_pattern_ok(d->time_format))
    return bad(rd, fname(f, field, "time_format"),
               "'%s' is not a pattern of yyyy, mm, dd, HH, MM and SS; leave it out for ISO 8601 "
               "(a time without an offset is read in the source's zone)",
               d->time_format);
  if (slicing == SLICING_BY_DAY && !params_refer(&st->day_params, "day") &&
      !params_refer(&st->day_params, "day_start") && !params_refer(&st->day_params, "day_end") &&
      !params_refer(&st->day_params, "day_last"))
    return bad(rd, fname(f, field, "day_params"),
               "a stream sliced by day must ask for its day: give parameters that use {day}, "
               "{day_start}, {day_end} or {day_last}");
  if (slicing != SLICING_BY_DAY && st->day_params.n)
    return bad(rd, fname(f, field, "day_params"), "belong to a stream sliced by_day");
  if (slicing == SLICING_BY_UPDATES && !params_refer(&st->window_params, "since"))
    return bad(rd, fname(f, field, "window_params"),
               "a stream sliced by_update must ask for what changed: give a parameter that uses "
               "{since}");
  if (slicing == SLICING_SNAPSHOT && st->window_params.n)
    return bad(rd, fname(f, field, "window_params"),
               "a snapshot is read whole; window_params belong to by_update streams or to "
               "by_day streams whose changes can be listed");
  if (st->window_params.n && !params_refer(&st->window_params, "since"))
    return bad(rd, fname(f, field, "window_params"), "must use {since}");
  if (st->day_member && slicing != SLICING_BY_DAY)
    return bad(rd, fname(f, field, "day_member"), "belongs to a stream sliced by_day");
  if (d->recent_days && slicing != SLICING_BY_DAY)
    return bad(rd, fname(f, field, "recent_days"), "belongs to a stream sliced by_day");
  if (unordered && !st->window_params.n)
    return bad(rd, fname(f, field, "unordered"), "belongs to a stream with window_params");
  rc = params_clash(rd, &st->params, &st->day_params, field);
  if (!rc)
    rc = params_clash(rd, &st->params, &st->window_params, field);
  for (int i = 0; !rc && i < st->params.n + st->day_params.n + st->window_params.n; i++) {
    const struct rest_param *p = i < st->params.n ? &st->params.v[i]
                                 : i < st->params.n + st->day_params.n
                                     ? &st->day_params.v[i - st->params.n]
                                     : &st->window_params.v[i - st->params.n - st->day_params.n];
    const struct rest_paging_def *g = &st->paging;
    const char *const taken[] = {g->limit_param, g->offset_param, g->page_param, g->cursor_param};
    for (size_t k = 0; k < sizeof(taken) / sizeof(taken[0]); k++)
      if (taken[k] && strcmp(taken[k], p->name) == 0)
        rc = bad(rd, field, "the parameter %s belongs to the pagination; leave it out of params",
                 p->name);
  }
  if (rc)
    return rc;
  st->uses_until = params_refer(&st->window_params, "until");
  d->endpoint = "api";
  d->flags = (st->window_params.n && slicing == SLICING_BY_DAY ? STREAM_MODIFIED : 0) |
             (d->event ? STREAM_EVENTS : 0) | (unordered ? STREAM_UNORDERED : 0);
  d->page_request = rest_page_request;
  d->parse_page = rest_parse_page;
  d->impl = st;
  rc = stream_check(d, rd->err);
  if (rc)
    err_prefix(rd->err, "%s", field);
  return rc;
}

static int read_streams(struct reader *rd, const cJSON *root) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "streams"), *o;
  struct rest_spec *s = rd->s;
  char f[FIELD_MAX];
  int i = 0, rc;
  if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1 ||
      cJSON_GetArraySize(list) > REST_STREAMS_MAX)
    return bad(rd, "streams", "expected a list of 1 to %d streams", REST_STREAMS_MAX);
  cJSON_ArrayForEach(o, list) {
    struct rest_stream *st = arena_alloc(s, sizeof(*st));
    if (!st)
      return oom(rd);
    fsub(f, "streams", "", i++);
    rc = read_stream(rd, o, f, st);
    if (rc)
      return rc;
    for (int k = 0; k < s->nstreams; k++)
      if (strcmp(s->streams[k]->def.name, st->def.name) == 0)
        return bad(rd, f, "a stream named %s comes before", st->def.name);
    s->streams[s->nstreams] = st;
    s->stream_list[s->nstreams++] = &st->def;
  }
  s->stream_list[s->nstreams] = NULL;
  return MS_OK;
}

/* ---- the whole ------------------------------------------------------------ */

static uint64_t text_hash(const char *text, size_t len) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
  return h;
}

static int read_top(struct reader *rd, const cJSON *root) {
  static const char *const known[] = {"spec",     "name",    "title", "base_url", "timezone",
                                      "settings", "headers", "auth",  "probe",    "rate_limit",
                                      "errors",   "streams", NULL};
  struct rest_spec *s = rd->s;
  struct tz *zone = NULL;
  struct err why = {0};
  double version;
  int rc;
  if (!cJSON_IsObject(root))
    return bad(rd, "(the whole spec)", "expected a JSON object {...}");
  if ((rc = known_only(rd, root, "(top level)", known)))
    return rc;
  if (get_number(rd, root, "spec", "", 1, 1, 1, 0, &version) ||
      !cJSON_GetObjectItemCaseSensitive(root, "spec"))
    return bad(rd, "spec",
               "is required and must be 1, the version of the format this "
               "marketsync reads");
  if ((rc = get_text(rd, root, "name", "", 1, 40, &s->name)) ||
      (rc = get_text(rd, root, "title", "", 0, 120, &s->title)) ||
      (rc = get_text(rd, root, "base_url", "", 1, URL_MAX, &s->base_url)) ||
      (rc = get_text(rd, root, "timezone", "", 0, 64, &s->timezone)))
    return rc;
  if (!name_ok(s->name, 31, 1))
    return bad(rd, "name", "'%s' is not a name: lower-case letters, digits, '-' and '_'", s->name);
  if (url_check_base(s->base_url, "the URL", &why))
    return bad(rd, "base_url", "%s", why.msg);
  if (!s->timezone)
    s->timezone = "UTC";
  if (tz_open(s->timezone, &zone, &why)) {
    tz_free(zone);
    return bad(rd, "timezone", "%s", why.msg);
  }
  tz_free(zone);
  if (!s->title)
    s->title = s->name;
  if ((rc = read_settings(rd, root)) || (rc = read_auth(rd, root)) ||
      (rc = read_headers(rd, root)) || (rc = read_probe(rd, root)) || (rc = read_rate(rd, root)) ||
      (rc = read_errors(rd, root)) || (rc = read_streams(rd, root)))
    return rc;
  return MS_OK;
}

/* The token bucket that keeps below the limit in any window: a burst and a
 * steady rate that together never pass `requests` per `per` seconds. */
static void make_endpoint(struct rest_spec *s) {
  struct endpoint_def *ep = &s->endpoints[0];
  const struct rest_rate *r = &s->rate;
  ep->name = "api";
  if (r->requests <= 0) {
    ep->kind = RATE_NONE;
    ep->size = 1;
    ep->rate = 0;
    return;
  }
  ep->kind = RATE_TOKEN;
  ep->size = r->burst > 0 ? r->burst : (double)(long)(r->requests * (1 - r->pace));
  if (ep->size < 1)
    ep->size = 1;
  if (ep->size > r->requests)
    ep->size = r->requests;
  ep->rate = r->requests * r->pace / r->per;
  if (ep->size + ep->rate * r->per > r->requests)
    ep->rate = (r->requests - ep->size) / r->per;
  if (ep->rate <= 0)
    ep->rate = r->requests / r->per / 10;
}

int rest_spec_parse(const char *text, size_t len, const char *origin, struct rest_spec **out,
                    struct err *err) {
  struct rest_spec *s;
  struct reader rd;
  cJSON *root;
  const char *end = NULL, *kind;
  char *copy;
  int rc;
  *out = NULL;
  if (!text || len == 0)
    return err_set(err, MS_EINVAL, "%s%s%sthe spec is empty", origin ? "spec " : "",
                   origin ? origin : "", origin ? ": " : "");
  if (len > REST_SPEC_MAX)
    return err_set(err, MS_EINVAL, "%s%s%sthe spec is larger than %d bytes", origin ? "spec " : "",
                   origin ? origin : "", origin ? ": " : "", REST_SPEC_MAX);
  root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  while (root && end && end < text + len &&
         (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
    end++;
  if (root && end != text + len) {
    cJSON_Delete(root); /* something after the object */
    root = NULL;
  }
  if (!root) {
    long line = 1;
    kind = json_body_kind(text, len);
    for (const char *p = text; end && p < end && p < text + len; p++)
      line += *p == '\n';
    return err_set(err, MS_EINVAL, "%s%s%sthe spec is not JSON (%s, line %ld)",
                   origin ? "spec " : "", origin ? origin : "", origin ? ": " : "",
                   kind ? kind : "data after its end", line);
  }
  s = calloc(1, sizeof(*s));
  if (!s) {
    cJSON_Delete(root);
    return err_set(err, MS_ENOMEM, "out of memory");
  }
  rd.s = s;
  rd.err = err;
  rc = read_top(&rd, root);
  cJSON_Delete(root);
  if (rc == MS_EINVAL && origin)
    err_prefix(err, "spec %s", origin);
  copy = rc ? NULL : arena_alloc(s, len + 1);
  if (!rc && !copy)
    rc = oom(&rd);
  if (rc) {
    rest_spec_free(s);
    return rc;
  }
  memcpy(copy, text, len);
  s->text = copy;
  s->hash = text_hash(text, len);
  make_endpoint(s);
  *out = s;
  return MS_OK;
}

const struct rest_stream *rest_spec_stream(const struct rest_spec *spec,
                                           const struct stream_def *def) {
  for (int i = 0; i < spec->nstreams; i++) {
    const struct rest_stream *st = spec->streams[i];
    if (&st->def == def)
      return st;
    for (size_t k = 0; st->def.children && st->def.children[k]; k++)
      if (st->def.children[k] == def)
        return st;
  }
  return NULL;
}
