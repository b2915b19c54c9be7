/* Sealed secrets and master key files: a round trip, and each way a sealed
 * secret can fail to open (another key, another place, altered) refused
 * with its own sentence; key files made private and refused when they are
 * not; the file side of a rotation; sources resolving sealed secrets. */
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

#include "core/secret.h"
#include "core/source.h"

#define PLAIN "shpat_CANARY_0123456789abcdef"

static int make_tmpdir(void **state) {
  (void)state;
  return test_tmpdir_make("test_secret");
}

static int remove_tmpdir(void **state) {
  (void)state;
  return test_tmpdir_remove();
}

static void path_of(const char *name, char *out, size_t size) {
  test_tmpdir_path(name, out, size);
}

/* A ring from a new key file of that name. */
static struct keyring *ring(const char *name) {
  char path[700];
  struct keyring *kr = NULL;
  struct err err = {0};
  int created = 0;
  path_of(name, path, sizeof(path));
  if (keyfile_create(path, &created, &err) || keyring_load(path, &kr, &err))
    fail_msg("%s: %s", name, err.msg);
  return kr;
}

static char *seal(const struct keyring *kr, const char *source, const char *name) {
  char *out = NULL;
  struct err err = {0};
  if (secret_seal(kr, source, name, PLAIN, &out, &err))
    fail_msg("seal: %s", err.msg);
  return out;
}

static void test_seal_open_round_trip(void **state) {
  struct keyring *kr = ring("round.key");
  struct err err = {0};
  char *a, *b, *plain = NULL, id[KEY_ID_LEN + 1], head[64];
  (void)state;
  a = seal(kr, "alpha", "token");
  b = seal(kr, "alpha", "token");
  snprintf(head, sizeof(head), "sealed:v1:%s:", keyring_id(kr));
  assert_int_equal(strncmp(a, head, strlen(head)), 0);
  assert_true(secret_is_sealed(a));
  assert_int_equal(secret_key_id(a, id), MS_OK);
  assert_string_equal(id, keyring_id(kr));
  assert_string_not_equal(a, b); /* a fresh nonce each time */
  assert_null(strstr(a, "CANARY"));
  assert_int_equal(secret_open(kr, "alpha", "token", a, &plain, &err), MS_OK);
  assert_string_equal(plain, PLAIN);
  secret_free(plain);
  assert_int_equal(secret_open(kr, "alpha", "token", b, &plain, &err), MS_OK);
  secret_free(plain);
  assert_int_equal(secret_seal(kr, "alpha", "token", "", &plain, &err), MS_EINVAL);
  free(a);
  free(b);
  keyring_free(kr);
}

static void test_tampered_text_is_refused(void **state) {
  struct keyring *kr = ring("tamper.key");
  struct err err = {0};
  char *a = seal(kr, "alpha", "token"), *plain = (char *)"x";
  size_t n = strlen(a);
  (void)state;
  a[n - 5] = a[n - 5] == 'A' ? 'B' : 'A'; /* inside the ciphertext */
  assert_int_equal(secret_open(kr, "alpha", "token", a, &plain, &err), MS_EKEY);
  assert_null(plain);
  assert_string_equal(err.msg, "the secret 'token' of source alpha has been altered: enter it "
                               "again with 'marketsync source edit alpha --token-stdin'");
  a[n - 3] = '\0'; /* cut short */
  assert_int_equal(secret_open(kr, "alpha", "token", a, &plain, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "has been altered"));
  assert_int_equal(secret_open(kr, "alpha", "token", "sealed:v1:zz", &plain, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "has been altered"));
  assert_int_equal(secret_open(kr, "alpha", "token", "sealed:v7:abc", &plain, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "sealed by a newer marketsync"));
  free(a);
  keyring_free(kr);
}

static void test_another_key_is_told_apart(void **state) {
  struct keyring *mine = ring("mine.key"), *other = ring("other.key");
  struct err err = {0};
  char *a = seal(mine, "alpha", "token"), *plain = NULL, want[400];
  (void)state;
  assert_string_not_equal(keyring_id(mine), keyring_id(other));
  assert_int_equal(secret_open(other, "alpha", "token", a, &plain, &err), MS_EKEY);
  assert_null(plain);
  snprintf(want, sizeof(want),
           "the secret 'token' of source alpha was sealed with another master key (key id %s; "
           "this one is %s): set MARKETSYNC_KEY_FILE to the key file it was made with",
           keyring_id(mine), keyring_id(other));
  assert_string_equal(err.msg, want);
  assert_int_equal(secret_open(NULL, "alpha", "token", a, &plain, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "there is no master key"));
  free(a);
  keyring_free(mine);
  keyring_free(other);
}

static void test_text_moved_elsewhere_is_refused(void **state) {
  struct keyring *kr = ring("moved.key");
  struct err err = {0};
  char *a = seal(kr, "alpha", "client_secret"), *plain = NULL;
  (void)state;
  assert_int_equal(secret_open(kr, "beta", "client_secret", a, &plain, &err), MS_EKEY);
  assert_string_equal(err.msg, "the secret 'client_secret' stored with source beta was sealed for "
                               "another source or another secret: enter it again with "
                               "'marketsync source edit beta --client-secret-stdin'");
  assert_int_equal(secret_open(kr, "alpha", "refresh_token", a, &plain, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "sealed for another source or another secret"));
  /* Its PLACE rewritten to fit: the additional data still refuses it. */
  char *b = seal(kr, "beta", "client_secret");
  size_t at = strlen("sealed:v1:") + KEY_ID_LEN + 1;
  memcpy(a + at, b + at, KEY_ID_LEN);
  assert_int_equal(secret_open(kr, "beta", "client_secret", a, &plain, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "has been altered"));
  assert_null(plain);
  free(a);
  free(b);
  keyring_free(kr);
}

static void test_key_files(void **state) {
  char path[700], text[200];
  struct keyring *kr = NULL;
  struct err err = {0};
  struct stat sb;
  int created = 0;
  FILE *f;
  (void)state;
  path_of("made.key", path, sizeof(path));
  assert_int_equal(keyfile_create(path, &created, &err), MS_OK);
  assert_int_equal(created, 1);
  assert_int_equal(stat(path, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
  assert_int_equal(sb.st_size, 65); /* 64 hex digits and a newline */
  f = fopen(path, "r");
  assert_non_null(fgets(text, sizeof(text), f));
  fclose(f);
  assert_int_equal(strspn(text, "0123456789abcdef"), 64);
  assert_int_equal(keyfile_create(path, &created, &err), MS_OK);
  assert_int_equal(created, 0); /* kept */

  chmod(path, 0644);
  assert_int_equal(keyring_load(path, &kr, &err), MS_EKEY);
  assert_null(kr);
  assert_non_null(strstr(err.msg, "can be read by other users (mode 0644)"));
  assert_non_null(strstr(err.msg, "chmod 600"));
  chmod(path, 0640);
  assert_int_equal(keyring_load(path, &kr, &err), MS_EKEY);
  chmod(path, 0600);
  assert_int_equal(keyring_load(path, &kr, &err), MS_OK);
  assert_int_equal(kr->n, 1);
  keyring_free(kr);

  path_of("bad.key", path, sizeof(path));
  f = fopen(path, "w");
  fputs("not a key\n", f);
  fclose(f);
  chmod(path, 0600);
  assert_int_equal(keyring_load(path, &kr, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "does not hold a key"));
  path_of("none.key", path, sizeof(path));
  assert_int_equal(keyring_load(path, &kr, &err), MS_ENOTFOUND);
  assert_non_null(strstr(err.msg, "there is no master key file at"));
  assert_int_equal(keyring_load(NULL, &kr, &err), MS_EKEY);

  setenv("MARKETSYNC_KEY_FILE", "/etc/ms/key", 1);
  assert_int_equal(keyfile_for_db("/var/x.db", text, sizeof(text), &err), MS_OK);
  assert_string_equal(text, "/etc/ms/key");
  unsetenv("MARKETSYNC_KEY_FILE");
  assert_int_equal(keyfile_for_db("/var/x.db", text, sizeof(text), &err), MS_OK);
  assert_string_equal(text, "/var/x.db.key");
  assert_int_equal(keyfile_for_db("postgres://h/db", text, sizeof(text), &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "set MARKETSYNC_KEY_FILE"));
}

/* The file side of a rotation: at every step each text opens with the key
 * files present. */
static void test_rotation_files(void **state) {
  char path[700], next[720];
  struct keyring *kr = ring("rot.key"), *seen = NULL;
  struct err err = {0};
  char *old = seal(kr, "alpha", "token"), *fresh, *plain = NULL, old_id[KEY_ID_LEN + 1];
  int resumed = -1;
  (void)state;
  path_of("rot.key", path, sizeof(path));
  snprintf(next, sizeof(next), "%s.new", path);
  snprintf(old_id, sizeof(old_id), "%s", keyring_id(kr));

  assert_int_equal(keyring_rotation_begin(kr, &resumed, &err), MS_OK);
  assert_int_equal(resumed, 0);
  assert_int_equal(access(next, F_OK), 0);
  assert_string_not_equal(keyring_id(kr), old_id);
  fresh = seal(kr, "alpha", "token");
  /* As a crash here leaves it: both files, both keys open, the new seals. */
  assert_int_equal(keyring_load(path, &seen, &err), MS_OK);
  assert_int_equal(seen->n, 2);
  assert_int_equal(seen->pending, 1);
  assert_string_equal(keyring_id(seen), keyring_id(kr));
  assert_int_equal(secret_open(seen, "alpha", "token", old, &plain, &err), MS_OK);
  secret_free(plain);
  assert_int_equal(secret_open(seen, "alpha", "token", fresh, &plain, &err), MS_OK);
  secret_free(plain);
  /* Resumed, the same new key is used. */
  assert_int_equal(keyring_rotation_begin(seen, &resumed, &err), MS_OK);
  assert_int_equal(resumed, 1);
  assert_string_equal(keyring_id(seen), keyring_id(kr));
  keyring_free(seen);

  assert_int_equal(keyring_rotation_end(kr, &err), MS_OK);
  assert_int_equal(access(next, F_OK), -1);
  assert_int_equal(keyring_load(path, &seen, &err), MS_OK);
  assert_int_equal(seen->n, 1);
  assert_string_equal(keyring_id(seen), keyring_id(kr));
  assert_int_equal(secret_open(seen, "alpha", "token", fresh, &plain, &err), MS_OK);
  secret_free(plain);
  assert_int_equal(secret_open(seen, "alpha", "token", old, &plain, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "sealed with another master key"));
  keyring_free(seen);
  free(old);
  free(fresh);
  keyring_free(kr);
}

static void test_credentials_seal_and_reseal(void **state) {
  struct keyring *kr = ring("creds.key");
  struct err err = {0};
  cJSON *creds = cJSON_Parse("{\"token_env\":\"T\",\"other_file\":\"/f\"}");
  char *text, *again = NULL, *plain = NULL;
  int count = 0;
  (void)state;
  assert_int_equal(credentials_seal(kr, "alpha", "token", PLAIN, creds, &err), MS_OK);
  assert_null(cJSON_GetObjectItemCaseSensitive(creds, "token_env"));
  assert_non_null(cJSON_GetObjectItemCaseSensitive(creds, "other_file"));
  text = cJSON_PrintUnformatted(creds);
  assert_null(strstr(text, "CANARY"));
  /* A renamed source: sealed again for its new name. */
  assert_int_equal(credentials_reseal(kr, "alpha", "beta", text, &again, &count, &err), MS_OK);
  assert_int_equal(count, 1);
  cJSON *j = cJSON_Parse(again);
  const char *sealed = cJSON_GetObjectItemCaseSensitive(j, "token_sealed")->valuestring;
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "other_file")->valuestring, "/f");
  assert_int_equal(secret_open(kr, "beta", "token", sealed, &plain, &err), MS_OK);
  assert_string_equal(plain, PLAIN);
  secret_free(plain);
  assert_int_equal(secret_open(kr, "alpha", "token", sealed, &plain, &err), MS_EKEY);
  cJSON_Delete(j);
  free(again);
  free(text);
  cJSON_Delete(creds);
  keyring_free(kr);
}

/* core/source.c opens sealed secrets with the process's key file. */
static void test_sources_resolve_sealed_secrets(void **state) {
  char path[700], other[700];
  struct keyring *kr = ring("src.key"), *wrong = ring("src-other.key");
  struct source_row row = {0};
  struct source src;
  struct err err = {0};
  cJSON *creds = cJSON_CreateObject();
  (void)state;
  path_of("src.key", path, sizeof(path));
  path_of("src-other.key", other, sizeof(other));
  assert_int_equal(credentials_seal(kr, "alpha", "token", PLAIN, creds, &err), MS_OK);
  snprintf(row.name, sizeof(row.name), "alpha");
  snprintf(row.connector, sizeof(row.connector), "shopify");
  row.settings = "{\"api_base\":\"http://x\"}";
  row.credentials = cJSON_PrintUnformatted(creds);

  secret_keyfile_set(path);
  assert_int_equal(source_from_row(&row, &src, &err), MS_OK);
  assert_string_equal(src.secret, PLAIN);
  source_release(&src);

  secret_keyfile_set(other);
  assert_int_equal(source_from_row(&row, &src, &err), MS_EKEY);
  assert_int_equal(strncmp(err.msg, "the secret 'token' of source alpha was sealed with another",
                           strlen("the secret 'token' of source alpha was sealed with another")),
                   0);
  assert_null(strstr(err.msg, "CANARY"));

  path_of("missing.key", other, sizeof(other));
  secret_keyfile_set(other);
  assert_int_equal(source_from_row(&row, &src, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "is sealed, but there is no master key file at"));

  snprintf(row.name, sizeof(row.name), "beta"); /* the row copied to another source */
  secret_keyfile_set(path);
  assert_int_equal(source_from_row(&row, &src, &err), MS_EKEY);
  assert_non_null(strstr(err.msg, "sealed for another source"));
  secret_keyfile_set(NULL);
  free(row.credentials);
  cJSON_Delete(creds);
  keyring_free(kr);
  keyring_free(wrong);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seal_open_round_trip),
      cmocka_unit_test(test_tampered_text_is_refused),
      cmocka_unit_test(test_another_key_is_told_apart),
      cmocka_unit_test(test_text_moved_elsewhere_is_refused),
      cmocka_unit_test(test_key_files),
      cmocka_unit_test(test_rotation_files),
      cmocka_unit_test(test_credentials_seal_and_reseal),
      cmocka_unit_test(test_sources_resolve_sealed_secrets),
  };
  return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
