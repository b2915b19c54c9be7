/* Passwords, API tokens and visibility (see auth.h for the choices). */
#include "engine/auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define TOKEN_RANDOM_BYTES 32
#define TOKEN_HASH_BYTES 32
#define TOKEN_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

_Static_assert(crypto_pwhash_STRBYTES <= AUTH_HASH_SIZE, "a password hash fits");
_Static_assert(2 * TOKEN_HASH_BYTES < TOKEN_HASH_MAX, "a token hash fits");
_Static_assert(AUTH_TOKEN_SHOWN < TOKEN_PREFIX_MAX, "a token prefix fits");

static int init_sodium(struct err *err) {
  return sodium_init() < 0 ? err_set(err, MS_EIO, "cannot initialise libsodium") : MS_OK;
}

void auth_user_release(struct auth_user *u) {
  if (!u)
    return;
  free(u->accounts);
  u->accounts = NULL;
  u->naccounts = 0;
}

/* ---- passwords ----------------------------------------------------------- */

int auth_password_hash(const char *password, char out[AUTH_HASH_SIZE], struct err *err) {
  size_t len = password ? strlen(password) : 0;
  int rc = init_sodium(err);
  if (rc)
    return rc;
  if (len < AUTH_PASSWORD_MIN)
    return err_set(err, MS_EINVAL, "a password has at least %d characters", AUTH_PASSWORD_MIN);
  if (len > AUTH_PASSWORD_MAX)
    return err_set(err, MS_EINVAL, "a password has at most %d characters", AUTH_PASSWORD_MAX);
  if (crypto_pwhash_str_alg(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return err_set(err, MS_ENOMEM, "not enough memory to hash the password (it takes 64 MiB)");
  return MS_OK;
}

int auth_password_verify(const char *hash, const char *password) {
  if (sodium_init() < 0 || !hash || !password || strlen(password) > AUTH_PASSWORD_MAX ||
      strnlen(hash, AUTH_HASH_SIZE) >= AUTH_HASH_SIZE)
    return MS_EPERM;
  return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? MS_OK : MS_EPERM;
}

/* A hash of a random password, checked when the user does not exist so a
 * login takes the same time either way. Made once per process. */
static char decoy[AUTH_HASH_SIZE];
static pthread_once_t decoy_once = PTHREAD_ONCE_INIT;

static void decoy_make(void) {
  char pw[2 * AUTH_PASSWORD_MIN + 1];
  unsigned char raw[AUTH_PASSWORD_MIN];
  randombytes_buf(raw, sizeof(raw));
  sodium_bin2hex(pw, sizeof(pw), raw, sizeof(raw));
  if (auth_password_hash(pw, decoy, NULL) != MS_OK)
    decoy[0] = '\0';
  sodium_memzero(pw, sizeof(pw));
}

static int fill_user(const struct user_row *row, int64_t token_id, struct auth_user *out,
                     struct err *err) {
  memset(out, 0, sizeof(*out));
  out->id = row->id;
  snprintf(out->name, sizeof(out->name), "%s", row->name);
  out->admin = row->admin;
  out->token_id = token_id;
  if (row->naccounts) {
    out->accounts = malloc(row->naccounts * sizeof(*out->accounts));
    if (!out->accounts)
      return err_set(err, MS_ENOMEM, "out of memory");
    memcpy(out->accounts, row->accounts, row->naccounts * sizeof(*out->accounts));
    out->naccounts = row->naccounts;
  }
  return MS_OK;
}

int auth_login(struct store *st, const char *name, const char *password, struct auth_user *out,
               struct err *err) {
  struct user_row row = {0};
  struct err why = {0};
  int rc = init_sodium(err), found, ok;
  memset(out, 0, sizeof(*out));
  if (rc)
    return rc;
  rc = st->ops->user_get(st, name ? name : "", &row, &why);
  if (rc && rc != MS_ENOTFOUND)
    return err_set(err, rc, "%s", why.msg);
  found = rc == MS_OK && row.password_hash;
  pthread_once(&decoy_once, decoy_make);
  ok = auth_password_verify(found ? row.password_hash : decoy, password ? password : "") == MS_OK;
  rc = found && ok ? fill_user(&row, 0, out, err)
                   : err_set(err, MS_EPERM, "the user name or the password is wrong");
  user_row_release(&row);
  return rc;
}

/* ---- tokens -------------------------------------------------------------- */

void auth_token_hash(const char *token, char out[TOKEN_HASH_MAX]) {
  unsigned char h[TOKEN_HASH_BYTES];
  crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
  sodium_bin2hex(out, TOKEN_HASH_MAX, h, sizeof(h));
}

int auth_token_create(struct store *st, int64_t user_id, const char *label, int64_t now,
                      char out_token[AUTH_TOKEN_SIZE], struct token_row *row, struct err *err) {
  unsigned char raw[TOKEN_RANDOM_BYTES];
  size_t prefix = sizeof(AUTH_TOKEN_PREFIX) - 1;
  int rc = init_sodium(err);
  memset(row, 0, sizeof(*row));
  out_token[0] = '\0';
  if (rc)
    return rc;
  if (label && (strlen(label) >= sizeof(row->label) || strpbrk(label, "\r\n\t")))
    return err_set(err, MS_EINVAL, "a token's label is one line of at most %zu characters",
                   sizeof(row->label) - 1);
  randombytes_buf(raw, sizeof(raw));
  memcpy(out_token, AUTH_TOKEN_PREFIX, prefix);
  sodium_bin2base64(out_token + prefix, AUTH_TOKEN_SIZE - prefix, raw, sizeof(raw),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof(raw));
  row->user_id = user_id;
  row->created_at = now;
  snprintf(row->label, sizeof(row->label), "%s", label ? label : "");
  snprintf(row->prefix, sizeof(row->prefix), "%.*s", AUTH_TOKEN_SHOWN, out_token);
  auth_token_hash(out_token, row->hash);
  rc = st->ops->token_add(st, row, err);
  if (rc)
    sodium_memzero(out_token, AUTH_TOKEN_SIZE);
  return rc;
}

static int token_shape_ok(const char *token) {
  size_t prefix = sizeof(AUTH_TOKEN_PREFIX) - 1;
  return token && strnlen(token, AUTH_TOKEN_SIZE) == AUTH_TOKEN_LEN &&
         strncmp(token, AUTH_TOKEN_PREFIX, prefix) == 0 &&
         strspn(token + prefix, TOKEN_ALPHABET) == AUTH_TOKEN_LEN - prefix;
}

/* The lookup is by the hash, through an index: its time may depend on the
 * hash, which tells nothing of a token that would match (finding one from
 * its hash is a preimage of BLAKE2b). The stored hash is still compared in
 * constant time before it is trusted. */
int auth_token_check(struct store *st, const char *token, int64_t now, struct auth_user *out,
                     struct err *err) {
  char hash[TOKEN_HASH_MAX];
  struct token_row t;
  struct user_row u = {0};
  struct err why = {0};
  int rc = init_sodium(err);
  memset(out, 0, sizeof(*out));
  if (rc)
    return rc;
  if (!token_shape_ok(token))
    return err_set(err, MS_EPERM, "the API token is not valid");
  auth_token_hash(token, hash);
  rc = st->ops->token_find_by_hash(st, hash, &t, &why);
  if (rc == MS_ENOTFOUND || (rc == MS_OK && (strlen(t.hash) != strlen(hash) ||
                                             sodium_memcmp(t.hash, hash, strlen(hash)) != 0)))
    return err_set(err, MS_EPERM, "the API token is not valid");
  if (rc)
    return err_set(err, rc, "%s", why.msg);
  if (t.revoked_at)
    return err_set(err, MS_EPERM, "the API token %s... was revoked; make a new one", t.prefix);
  rc = st->ops->user_get_id(st, t.user_id, &u, &why);
  if (rc == MS_ENOTFOUND)
    return err_set(err, MS_EPERM, "the API token is not valid");
  if (!rc)
    rc = fill_user(&u, t.id, out, err);
  else
    err_set(err, rc, "%s", why.msg);
  user_row_release(&u);
  if (!rc && now - t.last_used_at >= AUTH_TOUCH_EVERY &&
      (rc = st->ops->token_touch(st, t.id, now, &why)) != MS_OK) {
    err_set(err, rc, "%s", why.msg);
    auth_user_release(out);
  }
  return rc;
}

/* ---- visibility ---------------------------------------------------------- */

int auth_can_see_account(const struct auth_user *u, int64_t account_id) {
  size_t lo = 0, hi;
  if (!u)
    return 0;
  if (u->admin)
    return 1;
  if (account_id <= 0)
    return 0;
  hi = u->naccounts;
  while (lo < hi) { /* accounts are ascending */
    size_t mid = lo + (hi - lo) / 2;
    if (u->accounts[mid] == account_id)
      return 1;
    if (u->accounts[mid] < account_id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

int auth_can_see_source(const struct auth_user *u, const struct source_row *s) {
  return s && auth_can_see_account(u, s->account_id);
}
