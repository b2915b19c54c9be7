#include "engine/sources.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/keys.h"
#include "engine/session.h"
#include "net/url.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/tz.h"

#define LIST_ITEM_MAX 128 /* bytes of one value of a list setting */

int source_name_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n >= MS_NAME_MAX)
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '-' || *s == '_' || *s == '.'))
      return 0;
  return 1;
}

int source_setting_index(const struct connector *c, const char *key) {
  int k = 0;
  for (const struct setting_def *d = c->settings; d && d->key && k < SOURCE_SETTINGS_MAX; d++, k++)
    if (strcmp(d->key, key) == 0)
      return k;
  return -1;
}

/* Names what was wrong for the caller, and says why. */
static int fail(struct source_made *out, const char *field, int code, struct err *err,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(struct source_made *out, const char *field, int code, struct err *err,
                const char *fmt, ...) {
  va_list ap;
  snprintf(out->field, sizeof(out->field), "%s", field);
  va_start(ap, fmt);
  err_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

/* How a setting is named in a message: as the option a person typed, or
 * as the key an API body holds. */
static void setting_name(const struct source_new *in, const struct setting_def *d, char *out,
                         size_t n) {
  if (in->flag_names)
    snprintf(out, n, "--%s", d->flag);
  else
    snprintf(out, n, "%s", d->key);
}

static int set_url(const struct setting_def *d, const char *opt, const char *v, cJSON *settings,
                   struct source_made *out, struct err *err) {
  char trimmed[URL_MAX + 1];
  size_t n = strlen(v);
  if (url_check_base(v, opt, err)) {
    snprintf(out->field, sizeof(out->field), "%s", d->key);
    return MS_EINVAL;
  }
  /* One trailing '/' is dropped: paths are appended to it. */
  snprintf(trimmed, sizeof(trimmed), "%s", v);
  if (n > 1 && n < sizeof(trimmed) && trimmed[n - 1] == '/' && trimmed[n - 2] != '/')
    trimmed[n - 1] = '\0';
  cJSON_AddStringToObject(settings, d->key, trimmed);
  return MS_OK;
}

static int choice_ok(const char *choices, const char *v) {
  size_t n = strlen(v);
  for (const char *p = choices; p && *p;) {
    size_t len = strcspn(p, ",");
    if (len == n && strncmp(p, v, n) == 0)
      return 1;
    p += len + (p[len] == ',');
  }
  return 0;
}

static int set_list(const struct setting_def *d, const char *opt, const char *v, cJSON *settings,
                    struct source_made *out, struct err *err) {
  cJSON *list = cJSON_AddArrayToObject(settings, d->key);
  for (const char *p = v; *p;) {
    size_t len = strcspn(p, ",");
    char item[LIST_ITEM_MAX + 1];
    if (len == 0 || len >= sizeof(item))
      return fail(out, d->key, MS_EINVAL, err, "%s takes values separated by commas", opt);
    snprintf(item, sizeof(item), "%.*s", (int)len, p);
    cJSON_AddItemToArray(list, cJSON_CreateString(item));
    p += len + (p[len] == ',');
  }
  return MS_OK;
}

static int set_int(const struct setting_def *d, const char *opt, const char *v, cJSON *settings,
                   struct source_made *out, struct err *err) {
  char *end;
  long n;
  errno = 0;
  n = strtol(v, &end, 10);
  if (errno || end == v || *end || n < 0 || n > 1000000000)
    return fail(out, d->key, MS_EINVAL, err,
                "%s takes a whole number from 0 to 1000000000, not '%s'", opt, v);
  cJSON_AddNumberToObject(settings, d->key, (double)n);
  return MS_OK;
}

/* Checks one value by its kind and puts it in the settings. */
static int set_value(const struct source_new *in, const struct setting_def *d, const char *v,
                     cJSON *settings, struct source_made *out, struct err *err) {
  char opt[80];
  struct tz *tz = NULL;
  setting_name(in, d, opt, sizeof(opt));
  switch (d->kind) {
  case SETTING_URL:
    return set_url(d, opt, v, settings, out, err);
  case SETTING_LIST:
    return set_list(d, opt, v, settings, out, err);
  case SETTING_INT:
    return set_int(d, opt, v, settings, out, err);
  case SETTING_ZONE:
    if (strlen(v) >= 64 || tz_open(v, &tz, err)) {
      char why[sizeof(err->msg)];
      snprintf(why, sizeof(why), "%s", err->msg);
      return fail(out, d->key, MS_EINVAL, err, "%s: %s", opt, why);
    }
    tz_free(tz);
    break;
  case SETTING_CHOICE:
    if (!choice_ok(d->choices, v))
      return fail(out, d->key, MS_EINVAL, err, "%s is one of %s, not '%s'", opt,
                  d->choices ? d->choices : "", v);
    break;
  default:
    if (!*v || strlen(v) > SOURCE_TEXT_MAX || strpbrk(v, "\r\n\t"))
      return fail(out, d->key, MS_EINVAL, err, "%s takes text of 1 to 512 characters on one line",
                  opt);
  }
  cJSON_AddStringToObject(settings, d->key, v);
  return MS_OK;
}

/* A secret given by where it is: it must be readable now, and only where
 * it is goes into the credentials. One given in clear waits for the key. */
static int set_secret(const struct source_new *in, const struct setting_def *d,
                      const struct source_secret_in *s, cJSON *creds, struct source_made *out,
                      struct err *err) {
  char opt[80], key[80];
  char *probe = NULL;
  int rc;
  setting_name(in, d, opt, sizeof(opt));
  if (!!s->env + !!s->file + !!s->plain > 1)
    return fail(out, d->key, MS_EINVAL, err, "give one of %s-env, %s-file and %s-stdin, not %s",
                opt, opt, opt, s->env && s->file && s->plain ? "all three" : "both");
  if (!s->env && !s->file && !s->plain) {
    if (!(d->flags & SETTING_REQUIRED))
      return MS_OK;
    if (in->flag_names)
      return fail(out, d->key, MS_EINVAL, err, "give %s-env VAR, %s-file FILE or %s-stdin", opt,
                  opt, opt);
    return fail(out, d->key, MS_EINVAL, err, "the secret %s is required", opt);
  }
  if (s->plain) {
    if (!*s->plain || strlen(s->plain) > SECRET_MAX)
      return fail(out, d->key, MS_EINVAL, err, "the secret %s must be 1 to 4096 bytes", opt);
    return MS_OK;
  }
  rc = s->env ? secret_from_env(s->env, &probe, err) : secret_from_file(s->file, &probe, err);
  secret_free(probe);
  if (rc) {
    snprintf(out->field, sizeof(out->field), "%s", d->key);
    return MS_EINVAL;
  }
  snprintf(key, sizeof(key), "%s_%s", d->key, s->env ? "env" : "file");
  cJSON_AddStringToObject(creds, key, s->env ? s->env : s->file);
  return MS_OK;
}

/* The streams a plain sync fetches: names the connector offers (or their
 * aliases, such as "purchases"). */
static int set_streams(const struct source_new *in, cJSON *settings, struct source_made *out,
                       struct err *err) {
  cJSON *list = cJSON_AddArrayToObject(settings, "streams");
  for (const char *p = in->streams; *p;) {
    size_t len = strcspn(p, ",");
    char name[STREAM_NAME_MAX];
    snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : sizeof(name) - 1), p);
    if (!stream_offered(in->conn->streams, name))
      return fail(out, "streams", MS_EINVAL, err, "the %s connector has no stream '%s'",
                  in->conn->name, name);
    cJSON_AddItemToArray(list, cJSON_CreateString(name));
    p += len + (p[len] == ',');
  }
  return MS_OK;
}

/* The settings and credentials from what was given, all checked. */
static int build(const struct source_new *in, cJSON *settings, cJSON *creds,
                 struct source_made *out, struct err *err) {
  int k = 0, rc = MS_OK;
  for (const struct setting_def *d = in->conn->settings; !rc && d && d->key; d++, k++) {
    if (k >= SOURCE_SETTINGS_MAX)
      break;
    if (d->kind == SETTING_SECRET) {
      rc = set_secret(in, d, &in->secrets[k], creds, out, err);
    } else if (in->values[k]) {
      rc = set_value(in, d, in->values[k], settings, out, err);
      if (!rc && d->kind == SETTING_ZONE)
        cJSON_AddTrueToObject(settings, "timezone_override");
    }
  }
  if (!rc && in->streams)
    rc = set_streams(in, settings, out, err);
  if (!rc && in->conn->configure && in->conn->configure(in->conn, settings, err)) {
    snprintf(out->field, sizeof(out->field), "settings");
    rc = MS_EINVAL;
  }
  k = 0;
  for (const struct setting_def *d = in->conn->settings; !rc && d && d->key; d++, k++) {
    char opt[80];
    if (!(d->flags & SETTING_REQUIRED) || d->kind == SETTING_SECRET || in->values[k] ||
        cJSON_GetObjectItemCaseSensitive(settings, d->key))
      continue;
    setting_name(in, d, opt, sizeof(opt));
    rc = fail(out, d->key, MS_EINVAL, err, "%s is required (%s)", opt, d->help);
  }
  return rc;
}

/* Seals the secrets given in clear into the credentials, with the master
 * key (made now when there is none and nothing is sealed yet). */
static int seal(struct store *st, const char *keyfile, const struct source_new *in, cJSON *creds,
                struct source_made *out, struct err *err) {
  struct keyring *kr = NULL;
  int k = 0, rc = MS_OK, any = 0;
  for (k = 0; k < SOURCE_SETTINGS_MAX; k++)
    any |= in->secrets[k].plain != NULL;
  if (!any)
    return MS_OK;
  if (!keyfile)
    return fail(out, "credentials", MS_EKEY, err,
                "a secret given in clear is sealed with the master key, but the database is not "
                "a file: set MARKETSYNC_KEY_FILE");
  rc = key_ready(st, keyfile, &kr, &out->key_created, err);
  if (rc) {
    snprintf(out->field, sizeof(out->field), "credentials");
    return rc;
  }
  snprintf(out->key_id, sizeof(out->key_id), "%s", keyring_id(kr));
  k = 0;
  for (const struct setting_def *d = in->conn->settings; !rc && d && d->key; d++, k++)
    if (k < SOURCE_SETTINGS_MAX && in->secrets[k].plain)
      rc = credentials_seal(kr, in->name, d->key, in->secrets[k].plain, creds, err);
  keyring_free(kr);
  return rc;
}

/* Puts a learned time zone (and currency) into the row's settings. */
static int settings_set_zone(struct source_row *row, const char *zone, const char *currency) {
  cJSON *settings = cJSON_Parse(row->settings ? row->settings : "{}");
  char *text;
  if (!settings)
    return MS_OK;
  if (zone && !jstr(settings, "timezone"))
    cJSON_AddStringToObject(settings, "timezone", zone);
  if (currency && !jstr(settings, "currency"))
    cJSON_AddStringToObject(settings, "currency", currency);
  text = cJSON_PrintUnformatted(settings);
  cJSON_Delete(settings);
  if (!text)
    return MS_ENOMEM;
  free(row->settings);
  row->settings = text;
  return MS_OK;
}

/* The connection check: a source that cannot be reached, or whose time
 * zone stays unknown, is not saved. */
static int check(struct source_row *row, struct source_made *out, struct err *err) {
  struct session sess = {0};
  int rc = session_from_row(NULL, row, 0, &sess, err);
  if (rc == MS_EKEY) {
    snprintf(out->field, sizeof(out->field), "credentials");
  } else if (rc || (rc = session_probe(NULL, &sess, err)) != MS_OK) {
    snprintf(out->field, sizeof(out->field), "connection");
    out->check_failed = 1;
  } else {
    rc = settings_set_zone(row, sess.src.timezone, sess.src.currency);
    snprintf(out->timezone, sizeof(out->timezone), "%s",
             sess.src.timezone ? sess.src.timezone : "");
  }
  session_close(&sess);
  return rc;
}

/* Refuses a name in use, and finds the account. */
static int check_place(struct store *st, const struct source_new *in, struct source_row *row,
                       struct source_made *out, struct err *err) {
  struct source_row old = {0};
  struct account_row a;
  int exists = st->ops->source_get(st, in->name, &old, err) == MS_OK;
  source_row_release(&old);
  if (exists)
    return fail(out, "name", MS_EEXIST, err, "there is already a source named %s", in->name);
  if (!in->account)
    return MS_OK;
  if (st->ops->account_get(st, in->account, &a, err)) {
    snprintf(out->field, sizeof(out->field), "account");
    return err->code ? err->code : MS_ENOTFOUND;
  }
  row->account_id = a.id;
  return MS_OK;
}

static int store_row(struct store *st, const char *keyfile, const struct source_new *in,
                     cJSON *settings, cJSON *creds, struct source_row *row, struct source_made *out,
                     struct err *err) {
  int rc = check_place(st, in, row, out, err);
  if (!rc)
    rc = seal(st, keyfile, in, creds, out, err);
  if (rc)
    return rc;
  row->settings = cJSON_PrintUnformatted(settings);
  row->credentials = cJSON_PrintUnformatted(creds);
  if (!row->settings || !row->credentials)
    return err_set(err, MS_ENOMEM, "out of memory");
  if (!in->no_check && (rc = check(row, out, err)) != MS_OK)
    return rc;
  rc = st->ops->source_add(st, row, err);
  if (rc)
    snprintf(out->field, sizeof(out->field), "name");
  out->id = row->id;
  return rc;
}

int source_create(struct store *st, const char *keyfile, const struct source_new *in,
                  struct source_made *out, struct err *err) {
  struct source_row row = {0};
  cJSON *settings = cJSON_CreateObject(), *creds = cJSON_CreateObject();
  int rc;
  memset(out, 0, sizeof(*out));
  if (!source_name_ok(in->name))
    rc = fail(out, "name", MS_EINVAL, err,
              "'%s' is not a usable name: use 1-63 letters, digits, '-', '_' or '.'",
              in->name ? in->name : "");
  else if (!settings || !creds)
    rc = err_set(err, MS_ENOMEM, "out of memory");
  else
    rc = build(in, settings, creds, out, err);
  if (!rc) {
    snprintf(row.name, sizeof(row.name), "%s", in->name);
    snprintf(row.connector, sizeof(row.connector), "%s", in->conn->name);
    row.created_at = wall_now();
    rc = store_row(st, keyfile, in, settings, creds, &row, out, err);
  }
  cJSON_Delete(settings);
  cJSON_Delete(creds);
  source_row_release(&row);
  return rc;
}
