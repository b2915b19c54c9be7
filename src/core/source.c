#include "core/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "core/secret.h"
#include "util/json.h"

static char *trimmed_copy(const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
    s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
    n--;
  return strndup(s, n);
}

int secret_from_env(const char *var, char **out, struct err *err) {
  const char *v = getenv(var);
  if (!v || !*v)
    return err_set(err, MS_EINVAL,
                   "environment variable %s is not set; export it with the secret, or keep the "
                   "secret in a file instead",
                   var);
  if (strlen(v) > SECRET_MAX)
    return err_set(err, MS_EINVAL, "environment variable %s holds more than %d bytes", var,
                   SECRET_MAX);
  *out = trimmed_copy(v, strlen(v));
  return *out ? MS_OK : err_set(err, MS_ENOMEM, "out of memory");
}

int secret_from_file(const char *path, char **out, struct err *err) {
  char data[SECRET_MAX + 2];
  size_t n;
  FILE *f = fopen(path, "r");
  if (!f)
    return err_set(err, MS_EINVAL, "cannot read token file %s: %s", path, strerror(errno));
  n = fread(data, 1, sizeof(data), f);
  fclose(f);
  if (n > SECRET_MAX)
    return err_set(err, MS_EINVAL, "token file %s is larger than %d bytes", path, SECRET_MAX);
  *out = trimmed_copy(data, n);
  if (!*out)
    return err_set(err, MS_ENOMEM, "out of memory");
  if (!**out) {
    free(*out);
    *out = NULL;
    return err_set(err, MS_EINVAL, "token file %s is empty", path);
  }
  return MS_OK;
}

/* Opens a sealed secret with this process's master key (secret_keyfile),
 * read from its file now: the key is in memory only while it is used, and
 * a key rotated by another process since is seen at once. A text sealed
 * with a key the ring does not hold is tried once more with the files read
 * again: a rotation may have replaced the key file between our two reads. */
static int open_sealed(const char *source, const char *name, const char *sealed,
                       struct keyring **kr, char **out, struct err *err) {
  char id[KEY_ID_LEN + 1];
  int rc;
  if (!secret_keyfile())
    return err_set(err, MS_EKEY,
                   "the secret '%s' of source %s is sealed, but no master key file is "
                   "configured: set MARKETSYNC_KEY_FILE to the key file it was made with",
                   name, source);
  for (int attempt = 0; attempt < 2; attempt++) {
    if (!*kr || (attempt > 0 && secret_key_id(sealed, id) == MS_OK && !keyring_find(*kr, id))) {
      struct err why = {0};
      keyring_free(*kr);
      *kr = NULL;
      rc = keyring_load(secret_keyfile(), kr, &why);
      if (rc == MS_ENOTFOUND)
        return err_set(err, MS_EKEY,
                       "the secret '%s' of source %s is sealed, but there is no master key file "
                       "at %s: set MARKETSYNC_KEY_FILE to the key file it was made with (key id "
                       "%s), or restore that file from your backup",
                       name, source, secret_keyfile(),
                       secret_key_id(sealed, id) == MS_OK ? id : "unknown");
      if (rc)
        return err_set(err, rc, "%s", why.msg);
    }
    rc = secret_open(*kr, source, name, sealed, out, err);
    if (rc != MS_EKEY || secret_key_id(sealed, id) != MS_OK || keyring_find(*kr, id))
      return rc;
  }
  return rc;
}

/* Every "NAME_env", "NAME_file" or "NAME_sealed" member of the credentials
 * names where the secret NAME is: an environment variable, a file, or the
 * member itself, sealed with the master key. */
static int resolve_secrets(const cJSON *creds, struct source *out, struct err *err) {
  struct keyring *kr = NULL;
  const cJSON *c;
  int rc = MS_OK;
  cJSON_ArrayForEach(c, creds) {
    const char *key = c->string, *suffix;
    size_t n = key ? strlen(key) : 0;
    int from; /* 0 env, 1 file, 2 sealed */
    struct secret *sec;
    if (!cJSON_IsString(c))
      continue;
    if (n > 4 && strcmp(key + n - 4, "_env") == 0)
      from = 0, suffix = key + n - 4;
    else if (n > 5 && strcmp(key + n - 5, "_file") == 0)
      from = 1, suffix = key + n - 5;
    else if (n > 7 && strcmp(key + n - 7, "_sealed") == 0)
      from = 2, suffix = key + n - 7;
    else
      continue;
    if (out->nsecrets >= SOURCE_MAX_SECRETS || (size_t)(suffix - key) >= sizeof(sec->name)) {
      rc = err_set(err, MS_EINVAL, "too many or too long credential names");
      break;
    }
    sec = &out->secrets[out->nsecrets];
    snprintf(sec->name, sizeof(sec->name), "%.*s", (int)(suffix - key), key);
    rc = from == 0   ? secret_from_env(c->valuestring, &sec->value, err)
         : from == 1 ? secret_from_file(c->valuestring, &sec->value, err)
                     : open_sealed(out->row.name, sec->name, c->valuestring, &kr, &sec->value, err);
    if (rc)
      break;
    out->nsecrets++;
  }
  keyring_free(kr);
  if (!rc && out->nsecrets == 0)
    rc = err_set(err, MS_EINVAL, "no credentials are configured");
  return rc;
}

int source_row_zone(const struct source_row *row, struct tz **out, struct err *err) {
  cJSON *settings = cJSON_Parse(row->settings ? row->settings : "{}");
  const char *zone = jstr(settings, "timezone");
  int rc = !cJSON_IsObject(settings)
               ? err_set(err, MS_EINVAL, "source %s: stored settings are damaged", row->name)
           : !zone ? MS_ENOTFOUND
                   : tz_open(zone, out, err);
  cJSON_Delete(settings);
  return rc;
}

int source_open_tz(struct source *src, struct err *err) {
  if (!src->timezone)
    return err_set(err, MS_EINVAL, "source %s has no time zone", src->row.name);
  tz_free(src->tz);
  src->tz = NULL;
  return tz_open(src->timezone, &src->tz, err);
}

static int copy_row(const struct source_row *row, struct source_row *out) {
  *out = *row;
  out->settings = row->settings ? strdup(row->settings) : NULL;
  out->credentials = row->credentials ? strdup(row->credentials) : NULL;
  out->last_error = row->last_error ? strdup(row->last_error) : NULL;
  return MS_OK;
}

int source_from_row(const struct source_row *row, struct source *out, struct err *err) {
  cJSON *settings = NULL, *creds = NULL;
  const char *s;
  int rc = MS_OK;
  memset(out, 0, sizeof(*out));
  copy_row(row, &out->row);
  settings = cJSON_Parse(row->settings ? row->settings : "{}");
  creds = cJSON_Parse(row->credentials ? row->credentials : "{}");
  if (!cJSON_IsObject(settings) || !cJSON_IsObject(creds)) {
    rc = err_set(err, MS_EINVAL, "source %s: stored settings are damaged", row->name);
    goto done;
  }
  s = jstr(settings, "api_base");
  out->api_base = s ? strdup(s) : NULL;
  s = jstr(settings, "timezone");
  out->timezone = s ? strdup(s) : NULL;
  s = jstr(settings, "currency");
  out->currency = s ? strdup(s) : NULL;
  out->timezone_overridden =
      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(settings, "timezone_override"));
  rc = resolve_secrets(creds, out, err);
  if (rc) {
    if (rc != MS_EKEY) /* those sentences name the source already */
      err_prefix(err, "source %s", row->name);
    goto done;
  }
  out->secret = (char *)source_secret(out, "token");
  if (out->timezone)
    rc = source_open_tz(out, err);
done:
  cJSON_Delete(settings);
  cJSON_Delete(creds);
  if (rc)
    source_release(out);
  return rc;
}

const char *source_secret(const struct source *src, const char *name) {
  for (int i = 0; i < src->nsecrets; i++)
    if (strcmp(src->secrets[i].name, name) == 0)
      return src->secrets[i].value;
  return NULL;
}

void source_release(struct source *src) {
  if (!src)
    return;
  source_row_release(&src->row);
  free(src->api_base);
  free(src->timezone);
  free(src->currency);
  tz_free(src->tz);
  for (int i = 0; i < src->nsecrets; i++) {
    sodium_memzero(src->secrets[i].value, strlen(src->secrets[i].value));
    free(src->secrets[i].value);
  }
  memset(src, 0, sizeof(*src));
}

void source_row_release(struct source_row *s) {
  if (!s)
    return;
  free(s->settings);
  free(s->credentials);
  free(s->last_error);
  s->settings = NULL;
  s->credentials = NULL;
  s->last_error = NULL;
}
