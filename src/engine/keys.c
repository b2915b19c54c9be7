/* The master key and the sealed secrets of the sources (see keys.h). */
#include "engine/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

#define SWAP_TRIES 5 /* reads and compare-and-sets before a rotation gives up */

/* The sources, read in full. */
struct rows {
  struct source_row *v; /* rows */
  size_t n;             /* used */
  size_t cap;           /* allocated */
};

static int keep_row(void *ctx, const struct source_row *s) {
  struct rows *r = ctx;
  struct source_row *c;
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 16;
    struct source_row *v = realloc(r->v, cap * sizeof(*v));
    if (!v)
      return MS_ENOMEM;
    r->v = v;
    r->cap = cap;
  }
  c = &r->v[r->n];
  *c = *s;
  c->settings = NULL;
  c->last_error = NULL;
  c->credentials = strdup(s->credentials ? s->credentials : "{}");
  if (!c->credentials)
    return MS_ENOMEM;
  r->n++;
  return MS_OK;
}

static void rows_release(struct rows *r) {
  for (size_t i = 0; i < r->n; i++)
    source_row_release(&r->v[i]);
  free(r->v);
  memset(r, 0, sizeof(*r));
}

static int rows_read(struct store *st, struct rows *r, struct err *err) {
  int rc = st->ops->source_list(st, keep_row, r, err);
  if (rc == MS_ENOMEM)
    err_set(err, rc, "out of memory reading the sources");
  if (rc)
    rows_release(r);
  return rc;
}

/* Calls fn with each sealed secret of a source's credentials. */
static int each_sealed(const struct source_row *s,
                       int (*fn)(void *ctx, const struct source_row *s, const char *name,
                                 const char *sealed),
                       void *ctx) {
  cJSON *creds = cJSON_Parse(s->credentials ? s->credentials : "{}");
  const cJSON *c;
  int rc = MS_OK;
  cJSON_ArrayForEach(c, creds) {
    size_t n = c->string ? strlen(c->string) : 0;
    char name[32];
    if (!cJSON_IsString(c) || n <= 7 || strcmp(c->string + n - 7, "_sealed") != 0 ||
        n - 7 >= sizeof(name))
      continue;
    snprintf(name, sizeof(name), "%.*s", (int)(n - 7), c->string);
    rc = fn(ctx, s, name, c->valuestring);
    if (rc)
      break;
  }
  cJSON_Delete(creds);
  return rc;
}

/* ---- census -------------------------------------------------------------- */

struct census {
  const struct keyring *kr; /* MAY be NULL */
  int sealed;               /* secrets seen */
  int foreign;              /* of a key kr does not hold */
  int stale;                /* of a key other than kr's sealing key */
};

static int count_one(void *ctx, const struct source_row *s, const char *name, const char *sealed) {
  struct census *c = ctx;
  char id[KEY_ID_LEN + 1];
  int known = secret_key_id(sealed, id) == MS_OK;
  (void)s;
  (void)name;
  c->sealed++;
  if (!known || !keyring_find(c->kr, id))
    c->foreign++;
  if (!known || strcmp(id, keyring_id(c->kr)) != 0)
    c->stale++;
  return MS_OK;
}

int key_census(struct store *st, const struct keyring *kr, int *sealed, int *foreign,
               struct err *err) {
  struct rows rows = {0};
  struct census c = {kr, 0, 0, 0};
  int rc = rows_read(st, &rows, err);
  for (size_t i = 0; !rc && i < rows.n; i++)
    rc = each_sealed(&rows.v[i], count_one, &c);
  rows_release(&rows);
  *sealed = c.sealed;
  *foreign = c.foreign;
  return rc;
}

/* ---- sealing ------------------------------------------------------------- */

int key_ready(struct store *st, const char *path, struct keyring **out, int *created,
              struct err *err) {
  struct err why = {0};
  int sealed = 0, foreign = 0;
  int rc = keyring_load(path, out, &why);
  *created = 0;
  if (rc != MS_ENOTFOUND)
    return rc ? err_set(err, rc, "%s", why.msg) : MS_OK;
  rc = key_census(st, NULL, &sealed, &foreign, err);
  if (rc)
    return rc;
  if (sealed)
    return err_set(err, MS_EKEY,
                   "there is no master key file at %s, but the database holds %d sealed "
                   "secret%s: restore the key file from your backup, or set MARKETSYNC_KEY_FILE "
                   "to where it is",
                   path, sealed, sealed == 1 ? "" : "s");
  rc = keyfile_create(path, created, err);
  if (!rc)
    rc = keyring_load(path, out, err);
  return rc;
}

int source_secret_store(struct store *st, const struct keyring *kr, const char *source,
                        const char *name, const char *plain, struct err *err) {
  struct source_row row = {0};
  struct credentials_change change;
  cJSON *creds = NULL;
  char *text = NULL;
  int rc = st->ops->source_get(st, source, &row, err);
  if (rc)
    return rc;
  creds = cJSON_Parse(row.credentials ? row.credentials : "{}");
  if (!cJSON_IsObject(creds))
    rc = err_set(err, MS_EINVAL, "the stored credentials of source %s are damaged", source);
  if (!rc)
    rc = credentials_seal(kr, row.name, name, plain, creds, err);
  if (!rc && !(text = cJSON_PrintUnformatted(creds)))
    rc = err_set(err, MS_ENOMEM, "out of memory");
  if (!rc) {
    change = (struct credentials_change){row.id, row.credentials, text};
    rc = st->ops->source_credentials_swap(st, &change, 1, err);
  }
  free(text);
  cJSON_Delete(creds);
  source_row_release(&row);
  return rc;
}

/* ---- rotation ------------------------------------------------------------ */

/* Checks that every sealed secret opens (step 1). */
struct opening {
  const struct keyring *kr; /* the keys at hand */
  struct err *err;          /* the first failure */
};

static int try_open(void *ctx, const struct source_row *s, const char *name, const char *sealed) {
  struct opening *o = ctx;
  char *plain = NULL;
  int rc = secret_open(o->kr, s->name, name, sealed, &plain, o->err);
  secret_free(plain);
  return rc;
}

static int check_all_open(struct store *st, const struct keyring *kr, struct err *err) {
  struct rows rows = {0};
  struct opening o = {kr, err};
  int rc = rows_read(st, &rows, err);
  for (size_t i = 0; !rc && i < rows.n; i++)
    rc = each_sealed(&rows.v[i], try_open, &o);
  rows_release(&rows);
  if (rc == MS_EKEY)
    err_prefix(err, "nothing was changed");
  return rc;
}

/* Seals again, with kr's sealing key, every secret sealed with another key:
 * all sources in one compare-and-set, read again when one changed. */
static int reseal_stale(struct store *st, const struct keyring *kr, struct key_rotation *out,
                        struct err *err) {
  int rc = MS_OK;
  for (int attempt = 0; attempt < SWAP_TRIES; attempt++) {
    struct rows rows = {0};
    struct credentials_change *changes = NULL;
    char **texts = NULL;
    size_t n = 0;
    int secrets = 0;
    rc = rows_read(st, &rows, err);
    if (!rc && rows.n) {
      changes = calloc(rows.n, sizeof(*changes));
      texts = calloc(rows.n, sizeof(*texts));
      if (!changes || !texts)
        rc = err_set(err, MS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; !rc && i < rows.n; i++) {
      struct census c = {kr, 0, 0, 0};
      int count = 0;
      each_sealed(&rows.v[i], count_one, &c);
      if (!c.stale)
        continue;
      rc = credentials_reseal(kr, rows.v[i].name, rows.v[i].name, rows.v[i].credentials, &texts[n],
                              &count, err);
      if (!rc) {
        changes[n] = (struct credentials_change){rows.v[i].id, rows.v[i].credentials, texts[n]};
        n++;
        secrets += count;
      }
    }
    if (!rc && n)
      rc = st->ops->source_credentials_swap(st, changes, n, err);
    if (!rc) {
      out->sources += (int)n;
      out->secrets += secrets;
    }
    for (size_t i = 0; i < n; i++)
      free(texts[i]);
    free(texts);
    free(changes);
    rows_release(&rows);
    if (rc != MS_EBUSY)
      break;
  }
  return rc;
}

int key_rotate(struct store *st, const char *path, struct key_rotation *out, struct err *err) {
  struct keyring *kr = NULL;
  struct err why = {0};
  int rc = keyring_load(path, &kr, &why);
  memset(out, 0, sizeof(*out));
  if (rc == MS_ENOTFOUND)
    return err_set(err, MS_EKEY,
                   "there is no master key file at %s to rotate: 'marketsync init' makes one",
                   path);
  if (rc)
    return err_set(err, rc, "%s", why.msg);
  /* The old key is the key file's; with only KEY.new left (the rename was
   * done but not the last pass), there is none to name. */
  if (kr->n > 1 || !kr->pending)
    snprintf(out->old_id, sizeof(out->old_id), "%s", kr->keys[0].id);
  rc = check_all_open(st, kr, err);
  if (!rc)
    rc = keyring_rotation_begin(kr, &out->resumed, err);
  if (!rc) {
    snprintf(out->new_id, sizeof(out->new_id), "%s", keyring_id(kr));
    rc = reseal_stale(st, kr, out, err);
  }
  if (!rc)
    rc = keyring_rotation_end(kr, err);
  if (!rc) {
    rc = reseal_stale(st, kr, out, err);
    if (rc)
      err_prefix(err, "the key was rotated, but a secret written meanwhile was not sealed again");
  }
  keyring_free(kr);
  return rc;
}
