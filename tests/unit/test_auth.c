/* Passwords (Argon2id), API tokens (made, checked, revoked, touched),
 * logins, visibility, and the engine's side of the master key: made when
 * first needed, secrets stored sealed, and a rotation, also one resumed
 * after a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_tmpdir.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/auth.h"
#include "engine/keys.h"

#define T0 1760000000
#define PASSWORD "correct horse battery"

static int make_tmpdir(void **state) {
  (void)state;
  return test_tmpdir_make("test_auth");
}

static int remove_tmpdir(void **state) {
  (void)state;
  return test_tmpdir_remove();
}

static void path_of(const char *name, char *out, size_t size) {
  test_tmpdir_path(name, out, size);
}

static struct store *open_store(const char *name) {
  char path[700];
  struct store *st = NULL;
  struct err err = {0};
  path_of(name, path, sizeof(path));
  if (store_open(path, &st, &err))
    fail_msg("store_open: %s", err.msg);
  return st;
}

static int64_t add_user(struct store *st, const char *name, int admin, int64_t *accounts, size_t n,
                        const char *hash) {
  struct user_row u = {0};
  struct err err = {0};
  snprintf(u.name, sizeof(u.name), "%s", name);
  u.admin = admin;
  u.created_at = T0;
  u.accounts = accounts;
  u.naccounts = n;
  u.password_hash = (char *)hash;
  if (st->ops->user_add(st, &u, &err))
    fail_msg("user_add: %s", err.msg);
  return u.id;
}

static int64_t add_account(struct store *st, const char *name) {
  struct account_row a = {0};
  struct err err = {0};
  snprintf(a.name, sizeof(a.name), "%s", name);
  a.created_at = T0;
  if (st->ops->account_add(st, &a, &err))
    fail_msg("account_add: %s", err.msg);
  return a.id;
}

static int64_t add_source(struct store *st, const char *name, const char *creds) {
  struct source_row s = {0};
  struct err err = {0};
  snprintf(s.name, sizeof(s.name), "%s", name);
  snprintf(s.connector, sizeof(s.connector), "shopify");
  s.settings = "{}";
  s.credentials = (char *)creds;
  if (st->ops->source_add(st, &s, &err))
    fail_msg("source_add: %s", err.msg);
  return s.id;
}

/* ---- passwords ----------------------------------------------------------- */

static void test_argon2id_hash_and_verify(void **state) {
  char hash[AUTH_HASH_SIZE], other[AUTH_HASH_SIZE];
  struct err err = {0};
  (void)state;
  assert_int_equal(auth_password_hash(PASSWORD, hash, &err), MS_OK);
  /* Argon2id at libsodium's INTERACTIVE limits: 64 MiB, 2 passes. */
  assert_int_equal(strncmp(hash, "$argon2id$v=19$m=65536,t=2,p=1$", 31), 0);
  assert_null(strstr(hash, "horse"));
  assert_int_equal(auth_password_verify(hash, PASSWORD), MS_OK);
  assert_int_equal(auth_password_verify(hash, "correct horse battery!"), MS_EPERM);
  assert_int_equal(auth_password_verify(hash, ""), MS_EPERM);
  assert_int_equal(auth_password_verify(NULL, PASSWORD), MS_EPERM);
  assert_int_equal(auth_password_verify("$argon2id$garbage", PASSWORD), MS_EPERM);
  /* Salted: the same password, another hash. */
  assert_int_equal(auth_password_hash(PASSWORD, other, &err), MS_OK);
  assert_string_not_equal(hash, other);
  assert_int_equal(auth_password_hash("short", hash, &err), MS_EINVAL);
  assert_string_equal(err.msg, "a password has at least 10 characters");
}

static void test_login(void **state) {
  struct store *st = open_store("login.db");
  struct auth_user u;
  struct err err = {0};
  char hash[AUTH_HASH_SIZE], wrong[MS_ERR_MSG_MAX];
  (void)state;
  assert_int_equal(auth_password_hash(PASSWORD, hash, &err), MS_OK);
  int64_t acme = add_account(st, "acme");
  int64_t ann = add_user(st, "ann", 0, &acme, 1, hash);
  add_user(st, "bob", 0, NULL, 0, NULL);
  assert_int_equal(auth_login(st, "ann", PASSWORD, &u, &err), MS_OK);
  assert_int_equal(u.id, ann);
  assert_int_equal(u.token_id, 0);
  assert_int_equal(u.naccounts, 1);
  auth_user_release(&u);
  assert_int_equal(auth_login(st, "ann", "not the password", &u, &err), MS_EPERM);
  snprintf(wrong, sizeof(wrong), "%s", err.msg);
  assert_int_equal(auth_login(st, "nobody", PASSWORD, &u, &err), MS_EPERM);
  assert_string_equal(err.msg, wrong); /* nothing tells which names exist */
  assert_int_equal(auth_login(st, "bob", PASSWORD, &u, &err), MS_EPERM);
  assert_string_equal(err.msg, wrong);
  store_close(st);
}

/* ---- tokens -------------------------------------------------------------- */

static void test_tokens_made_checked_revoked(void **state) {
  struct store *st = open_store("tokens.db");
  char token[AUTH_TOKEN_SIZE], second[AUTH_TOKEN_SIZE], hash[TOKEN_HASH_MAX];
  struct token_row row, stored;
  struct auth_user u;
  struct err err = {0};
  (void)state;
  int64_t acme = add_account(st, "acme");
  int64_t ann = add_user(st, "ann", 0, &acme, 1, NULL);

  assert_int_equal(auth_token_create(st, ann, "ci", T0, token, &row, &err), MS_OK);
  assert_int_equal(strlen(token), AUTH_TOKEN_LEN);
  assert_int_equal(strncmp(token, "mst_", 4), 0);
  assert_true(row.id > 0);
  assert_int_equal(strncmp(row.prefix, token, AUTH_TOKEN_SHOWN), 0);
  assert_int_equal(strlen(row.prefix), AUTH_TOKEN_SHOWN);
  /* Kept as a hash: BLAKE2b-256, 64 hex digits, never the token. */
  assert_int_equal(strlen(row.hash), 64);
  auth_token_hash(token, hash);
  assert_string_equal(row.hash, hash);
  assert_null(strstr(row.hash, token + 4));
  assert_int_equal(auth_token_create(st, ann, NULL, T0, second, &row, &err), MS_OK);
  assert_string_not_equal(token, second);

  assert_int_equal(auth_token_check(st, token, T0 + 10, &u, &err), MS_OK);
  assert_int_equal(u.id, ann);
  assert_string_equal(u.name, "ann");
  assert_int_equal(u.admin, 0);
  assert_int_equal(u.naccounts, 1);
  assert_int_equal(u.accounts[0], acme);
  assert_true(u.token_id > 0);
  auth_user_release(&u);
  /* Its use is noted, though not on every request. */
  assert_int_equal(st->ops->token_find_by_hash(st, hash, &stored, &err), MS_OK);
  assert_int_equal(stored.last_used_at, T0 + 10);
  assert_int_equal(auth_token_check(st, token, T0 + 20, &u, &err), MS_OK);
  auth_user_release(&u);
  assert_int_equal(st->ops->token_find_by_hash(st, hash, &stored, &err), MS_OK);
  assert_int_equal(stored.last_used_at, T0 + 10);
  assert_int_equal(auth_token_check(st, token, T0 + 10 + AUTH_TOUCH_EVERY, &u, &err), MS_OK);
  auth_user_release(&u);
  assert_int_equal(st->ops->token_find_by_hash(st, hash, &stored, &err), MS_OK);
  assert_int_equal(stored.last_used_at, T0 + 10 + AUTH_TOUCH_EVERY);

  /* Unknown, malformed: one sentence, never the token. */
  char unknown[AUTH_TOKEN_SIZE];
  snprintf(unknown, sizeof(unknown), "%s", token);
  unknown[10] = unknown[10] == 'A' ? 'B' : 'A';
  assert_int_equal(auth_token_check(st, unknown, T0, &u, &err), MS_EPERM);
  assert_string_equal(err.msg, "the API token is not valid");
  assert_int_equal(auth_token_check(st, "mst_short", T0, &u, &err), MS_EPERM);
  assert_string_equal(err.msg, "the API token is not valid");
  assert_int_equal(auth_token_check(st, NULL, T0, &u, &err), MS_EPERM);

  assert_int_equal(st->ops->token_revoke(st, stored.id, T0 + 100, &err), MS_OK);
  assert_int_equal(auth_token_check(st, token, T0 + 101, &u, &err), MS_EPERM);
  assert_non_null(strstr(err.msg, "was revoked"));
  assert_null(strstr(err.msg, token + AUTH_TOKEN_SHOWN));
  assert_int_equal(auth_token_check(st, second, T0 + 101, &u, &err), MS_OK);
  auth_user_release(&u);

  /* A removed user's tokens stop working with it. */
  assert_int_equal(st->ops->user_remove(st, "ann", &err), MS_OK);
  assert_int_equal(auth_token_check(st, second, T0 + 102, &u, &err), MS_EPERM);
  assert_int_equal(auth_token_create(st, ann, "late", T0, token, &row, &err), MS_ENOTFOUND);
  assert_string_equal(token, "");
  store_close(st);
}

static void test_who_sees_what(void **state) {
  int64_t mine[2] = {3, 7};
  struct auth_user admin = {.id = 1, .admin = 1};
  struct auth_user member = {.id = 2, .accounts = mine, .naccounts = 2};
  struct auth_user nobody = {.id = 3};
  struct source_row in3 = {.account_id = 3}, in7 = {.account_id = 7}, in5 = {.account_id = 5},
                    none = {.account_id = 0};
  (void)state;
  assert_true(auth_can_see_source(&admin, &none));
  assert_true(auth_can_see_source(&admin, &in5));
  assert_true(auth_can_see_source(&member, &in3));
  assert_true(auth_can_see_source(&member, &in7));
  assert_false(auth_can_see_source(&member, &in5));
  assert_false(auth_can_see_source(&member, &none));
  assert_false(auth_can_see_source(&nobody, &in3));
  assert_false(auth_can_see_source(NULL, &in3));
  assert_true(auth_can_see_account(&member, 7));
  assert_false(auth_can_see_account(&member, 4));
}

/* ---- the master key ------------------------------------------------------ */

static char *open_secret(const char *keyfile, struct store *st, const char *source,
                         struct err *err) {
  struct keyring *kr = NULL;
  struct source_row row;
  char *plain = NULL;
  cJSON *creds;
  if (keyring_load(keyfile, &kr, err))
    return NULL;
  if (st->ops->source_get(st, source, &row, err)) {
    keyring_free(kr);
    return NULL;
  }
  creds = cJSON_Parse(row.credentials);
  secret_open(kr, source, "token",
              cJSON_GetObjectItemCaseSensitive(creds, "token_sealed")->valuestring, &plain, err);
  cJSON_Delete(creds);
  source_row_release(&row);
  keyring_free(kr);
  return plain;
}

static void test_key_made_when_needed_and_secrets_stored(void **state) {
  struct store *st = open_store("ready.db");
  char path[700], other[700], *plain;
  struct keyring *kr = NULL;
  struct source_row row;
  struct err err = {0};
  int created = 0, sealed = 0, foreign = 0;
  (void)state;
  path_of("ready.db.key", path, sizeof(path));
  add_source(st, "alpha", "{\"token_env\":\"SHOP_TOKEN\"}");
  assert_int_equal(key_ready(st, path, &kr, &created, &err), MS_OK);
  assert_int_equal(created, 1);
  assert_int_equal(source_secret_store(st, kr, "alpha", "token", "shpat_plain_value", &err), MS_OK);
  assert_int_equal(st->ops->source_get(st, "alpha", &row, &err), MS_OK);
  assert_null(strstr(row.credentials, "SHOP_TOKEN"));
  assert_null(strstr(row.credentials, "plain_value"));
  assert_non_null(strstr(row.credentials, "\"token_sealed\":\"sealed:v1:"));
  source_row_release(&row);
  plain = open_secret(path, st, "alpha", &err);
  assert_non_null(plain);
  assert_string_equal(plain, "shpat_plain_value");
  secret_free(plain);
  assert_int_equal(key_census(st, kr, &sealed, &foreign, &err), MS_OK);
  assert_int_equal(sealed, 1);
  assert_int_equal(foreign, 0);
  keyring_free(kr);
  assert_int_equal(key_ready(st, path, &kr, &created, &err), MS_OK);
  assert_int_equal(created, 0);
  keyring_free(kr);

  /* Its key file lost: no new key is made over the sealed secrets. */
  path_of("elsewhere.key", other, sizeof(other));
  assert_int_equal(key_ready(st, other, &kr, &created, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "holds 1 sealed secret: restore the key file"));
  assert_int_equal(access(other, F_OK), -1);
  store_close(st);
}

static void test_rotation_seals_everything_again(void **state) {
  struct store *st = open_store("rotate.db");
  char path[700], next[720], old_copy[700], *plain;
  struct keyring *kr = NULL;
  struct key_rotation rot;
  struct err err = {0};
  int created = 0, resumed = 0;
  FILE *in, *out;
  char buf[128];
  (void)state;
  path_of("rotate.db.key", path, sizeof(path));
  snprintf(next, sizeof(next), "%s.new", path);
  path_of("rotate-old.key", old_copy, sizeof(old_copy));
  add_source(st, "alpha", "{}");
  add_source(st, "beta", "{}");
  add_source(st, "plain", "{\"token_env\":\"T\"}");
  assert_int_equal(key_ready(st, path, &kr, &created, &err), MS_OK);
  assert_int_equal(source_secret_store(st, kr, "alpha", "token", "alpha-secret", &err), MS_OK);
  assert_int_equal(source_secret_store(st, kr, "beta", "token", "beta-secret", &err), MS_OK);
  keyring_free(kr);
  in = fopen(path, "r"); /* a backup of the old key, to show it no longer opens them */
  out = fopen(old_copy, "w");
  assert_non_null(fgets(buf, sizeof(buf), in));
  fputs(buf, out);
  fclose(in);
  fclose(out);
  chmod(old_copy, 0600);

  assert_int_equal(key_rotate(st, path, &rot, &err), MS_OK);
  assert_int_equal(rot.resumed, 0);
  assert_int_equal(rot.sources, 2);
  assert_int_equal(rot.secrets, 2);
  assert_string_not_equal(rot.old_id, rot.new_id);
  assert_int_equal(access(next, F_OK), -1);
  plain = open_secret(path, st, "alpha", &err);
  assert_string_equal(plain, "alpha-secret");
  secret_free(plain);
  plain = open_secret(path, st, "beta", &err);
  assert_string_equal(plain, "beta-secret");
  secret_free(plain);
  assert_null(open_secret(old_copy, st, "alpha", &err));
  assert_non_null(strstr(err.msg, "sealed with another master key"));

  /* A rotation that died after writing KEY.new is finished with that key. */
  assert_int_equal(keyring_load(path, &kr, &err), MS_OK);
  assert_int_equal(keyring_rotation_begin(kr, &resumed, &err), MS_OK);
  char pending_id[KEY_ID_LEN + 1];
  snprintf(pending_id, sizeof(pending_id), "%s", keyring_id(kr));
  keyring_free(kr);
  assert_int_equal(key_rotate(st, path, &rot, &err), MS_OK);
  assert_int_equal(rot.resumed, 1);
  assert_string_equal(rot.new_id, pending_id);
  plain = open_secret(path, st, "beta", &err);
  assert_string_equal(plain, "beta-secret");
  secret_free(plain);

  /* A secret that does not open stops it before anything is written. */
  struct source_row row;
  assert_int_equal(st->ops->source_get(st, "beta", &row, &err), MS_OK);
  struct credentials_change moved = {row.id, row.credentials,
                                     "{\"token_sealed\":\"sealed:v1:00000000:00000000:AAAA\"}"};
  assert_int_equal(st->ops->source_credentials_swap(st, &moved, 1, &err), MS_OK);
  source_row_release(&row);
  assert_int_equal(key_rotate(st, path, &rot, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "nothing was changed"));
  assert_int_equal(access(next, F_OK), -1);
  plain = open_secret(path, st, "alpha", &err);
  assert_string_equal(plain, "alpha-secret");
  secret_free(plain);
  store_close(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_argon2id_hash_and_verify),
      cmocka_unit_test(test_login),
      cmocka_unit_test(test_tokens_made_checked_revoked),
      cmocka_unit_test(test_who_sees_what),
      cmocka_unit_test(test_key_made_when_needed_and_secrets_stored),
      cmocka_unit_test(test_rotation_seals_everything_again),
  };
  return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
