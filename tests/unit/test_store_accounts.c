/* Accounts, users and API tokens in the store, through store.h only: names
 * and their rules, memberships, sources owned by accounts, tokens found by
 * their hash, revoked and touched, and the compare-and-set of credentials a
 * key rotation relies on. Like test_store.c it runs on every backend (see
 * test_store_streams.h for where its store lives). */
#include "test_store_streams.h"

#define T0 1760000000 /* a creation time */

/* ---- helpers ------------------------------------------------------------- */

static int64_t add_account(struct store *st, const char *name) {
  struct account_row a = {0};
  struct err err = {0};
  snprintf(a.name, sizeof(a.name), "%s", name);
  a.created_at = T0;
  if (st->ops->account_add(st, &a, &err))
    fail_msg("account_add(%s): %s", name, err.msg);
  assert_true(a.id > 0);
  return a.id;
}

static int64_t add_user(struct store *st, const char *name, int admin, const int64_t *accounts,
                        size_t n) {
  struct user_row u = {0};
  struct err err = {0};
  snprintf(u.name, sizeof(u.name), "%s", name);
  u.admin = admin;
  u.created_at = T0;
  u.accounts = (int64_t *)accounts;
  u.naccounts = n;
  if (st->ops->user_add(st, &u, &err))
    fail_msg("user_add(%s): %s", name, err.msg);
  assert_true(u.id > 0);
  return u.id;
}

static int64_t add_token(struct store *st, int64_t user, const char *hash, const char *label) {
  struct token_row t = {0};
  struct err err = {0};
  t.user_id = user;
  snprintf(t.hash, sizeof(t.hash), "%s", hash);
  snprintf(t.prefix, sizeof(t.prefix), "mst_%.8s", hash);
  snprintf(t.label, sizeof(t.label), "%s", label);
  t.created_at = T0;
  if (st->ops->token_add(st, &t, &err))
    fail_msg("token_add(%s): %s", hash, err.msg);
  assert_true(t.id > 0);
  return t.id;
}

static int64_t add_source_in(struct store *st, const char *name, int64_t account) {
  struct source_row s = {0};
  struct err err = {0};
  snprintf(s.name, sizeof(s.name), "%s", name);
  snprintf(s.connector, sizeof(s.connector), "shopify");
  s.settings = "{\"shop\":\"x\"}";
  s.credentials = "{\"token_env\":\"T\"}";
  s.account_id = account;
  if (st->ops->source_add(st, &s, &err))
    fail_msg("source_add(%s): %s", name, err.msg);
  return s.id;
}

struct seen {
  char names[8][TOKEN_LABEL_MAX]; /* in the order listed */
  int64_t ids[8];                 /* ids, same order */
  int n;                          /* how many */
};

static int see_account(void *ctx, const struct account_row *a) {
  struct seen *s = ctx;
  assert_true(s->n < 8);
  snprintf(s->names[s->n], sizeof(s->names[0]), "%s", a->name);
  s->ids[s->n++] = a->id;
  return 0;
}

static int see_user(void *ctx, const struct user_row *u) {
  struct seen *s = ctx;
  assert_true(s->n < 8);
  snprintf(s->names[s->n], sizeof(s->names[0]), "%s", u->name);
  s->ids[s->n++] = (int64_t)u->naccounts;
  return 0;
}

static int see_token(void *ctx, const struct token_row *t) {
  struct seen *s = ctx;
  assert_true(s->n < 8);
  snprintf(s->names[s->n], sizeof(s->names[0]), "%s", t->label);
  s->ids[s->n++] = t->id;
  return 0;
}

/* ---- accounts ------------------------------------------------------------ */

static void test_accounts_add_get_list(void **state) {
  struct err err = {0};
  struct account_row a = {0}, got;
  struct seen seen = {0};
  (void)state;
  struct store *st = ts_store("accounts");
  int64_t acme = add_account(st, "acme");
  int64_t beta = add_account(st, "Beta-Shops.eu");
  assert_true(acme != beta);

  snprintf(a.name, sizeof(a.name), "acme");
  a.created_at = T0;
  assert_int_equal(st->ops->account_add(st, &a, &err), MS_EEXIST);
  assert_non_null(strstr(err.msg, "\"acme\" already exists"));
  snprintf(a.name, sizeof(a.name), "two words");
  assert_int_equal(st->ops->account_add(st, &a, &err), MS_EINVAL);
  assert_non_null(strstr(err.msg, "not usable"));
  a.name[0] = '\0';
  assert_int_equal(st->ops->account_add(st, &a, &err), MS_EINVAL);
  snprintf(a.name, sizeof(a.name), "late");
  a.created_at = 0;
  assert_int_equal(st->ops->account_add(st, &a, &err), MS_EINVAL);

  assert_int_equal(st->ops->account_get(st, "acme", &got, &err), MS_OK);
  assert_int_equal(got.id, acme);
  assert_int_equal(got.created_at, T0);
  assert_int_equal(st->ops->account_get_id(st, beta, &got, &err), MS_OK);
  assert_string_equal(got.name, "Beta-Shops.eu");
  assert_int_equal(st->ops->account_get(st, "nope", &got, &err), MS_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no account named \"nope\""));
  assert_int_equal(st->ops->account_get_id(st, 999, &got, &err), MS_ENOTFOUND);

  assert_int_equal(st->ops->account_list(st, see_account, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 2);
  assert_string_equal(seen.names[0], "Beta-Shops.eu"); /* by name */
  assert_string_equal(seen.names[1], "acme");
  store_close(st);
}

static void test_sources_belong_to_accounts(void **state) {
  struct err err = {0};
  struct source_row got = {0};
  (void)state;
  struct store *st = ts_store("source_accounts");
  int64_t acme = add_account(st, "acme");
  int64_t other = add_account(st, "other");
  int64_t a = add_source_in(st, "a", acme);
  int64_t none = ts_source(st, "none");

  assert_int_equal(st->ops->source_get(st, "a", &got, &err), MS_OK);
  assert_int_equal(got.account_id, acme);
  assert_string_equal(got.account, "acme");
  source_row_release(&got);
  assert_int_equal(st->ops->source_get_id(st, none, &got, &err), MS_OK);
  assert_int_equal(got.account_id, 0);
  assert_string_equal(got.account, "");
  source_row_release(&got);

  /* An account that does not exist: nothing is added. */
  struct source_row s = {0};
  snprintf(s.name, sizeof(s.name), "orphan");
  snprintf(s.connector, sizeof(s.connector), "shopify");
  s.account_id = 4242;
  assert_int_equal(st->ops->source_add(st, &s, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->source_get(st, "orphan", &got, &err), MS_ENOTFOUND);

  assert_int_equal(st->ops->source_set_account(st, a, other, &err), MS_OK);
  assert_int_equal(st->ops->source_set_account(st, none, acme, &err), MS_OK);
  assert_int_equal(st->ops->source_get(st, "a", &got, &err), MS_OK);
  assert_string_equal(got.account, "other");
  /* source_update leaves the account and the credentials alone. */
  got.account_id = 0;
  free(got.credentials);
  got.credentials = strdup("{\"token_sealed\":\"stale\"}");
  assert_int_equal(st->ops->source_update(st, &got, &err), MS_OK);
  source_row_release(&got);
  assert_int_equal(st->ops->source_get(st, "a", &got, &err), MS_OK);
  assert_int_equal(got.account_id, other);
  assert_string_equal(got.credentials, "{\"token_env\":\"T\"}");
  source_row_release(&got);
  assert_int_equal(st->ops->source_set_account(st, a, 4242, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->source_set_account(st, 4242, acme, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->source_set_account(st, a, 0, &err), MS_OK);
  assert_int_equal(st->ops->source_get(st, "a", &got, &err), MS_OK);
  assert_int_equal(got.account_id, 0);
  source_row_release(&got);
  store_close(st);
}

static void test_an_account_with_sources_is_not_removed(void **state) {
  struct err err = {0};
  struct account_row got;
  struct user_row u;
  (void)state;
  struct store *st = ts_store("account_remove");
  int64_t acme = add_account(st, "acme");
  int64_t solo = add_account(st, "solo");
  int64_t both[2] = {acme, solo};
  add_user(st, "ann", 0, both, 2);
  int64_t s1 = add_source_in(st, "shop-1", acme);
  add_source_in(st, "shop-2", acme);

  assert_int_equal(st->ops->account_remove(st, "acme", &err), MS_EEXIST);
  assert_non_null(strstr(err.msg, "still owns 2 sources (shop-1, shop-2)"));
  assert_int_equal(st->ops->account_get(st, "acme", &got, &err), MS_OK);

  assert_int_equal(st->ops->source_remove(st, "shop-2", &err), MS_OK);
  assert_int_equal(st->ops->source_set_account(st, s1, 0, &err), MS_OK);
  assert_int_equal(st->ops->account_remove(st, "acme", &err), MS_OK);
  assert_int_equal(st->ops->account_get(st, "acme", &got, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->account_remove(st, "acme", &err), MS_ENOTFOUND);

  /* The membership went with it; the other stays. */
  assert_int_equal(st->ops->user_get(st, "ann", &u, &err), MS_OK);
  assert_int_equal(u.naccounts, 1);
  assert_int_equal(u.accounts[0], solo);
  user_row_release(&u);
  store_close(st);
}

/* ---- users --------------------------------------------------------------- */

static void test_users_and_memberships(void **state) {
  struct err err = {0};
  struct user_row u = {0}, got;
  struct seen seen = {0};
  (void)state;
  struct store *st = ts_store("users");
  int64_t a = add_account(st, "a");
  int64_t b = add_account(st, "b");
  int64_t c = add_account(st, "c");
  int64_t ba[3] = {c, a, a}; /* unordered, with a repeat */
  int64_t ann = add_user(st, "ann", 0, ba, 3);
  int64_t root = add_user(st, "root", 1, NULL, 0);

  assert_int_equal(st->ops->user_get(st, "ann", &got, &err), MS_OK);
  assert_int_equal(got.id, ann);
  assert_int_equal(got.admin, 0);
  assert_null(got.password_hash);
  assert_int_equal(got.naccounts, 2);
  assert_int_equal(got.accounts[0], a); /* ascending */
  assert_int_equal(got.accounts[1], c);
  user_row_release(&got);
  assert_int_equal(st->ops->user_get_id(st, root, &got, &err), MS_OK);
  assert_string_equal(got.name, "root");
  assert_int_equal(got.admin, 1);
  assert_int_equal(got.naccounts, 0);
  user_row_release(&got);

  /* Taken names, bad names and unknown accounts write nothing. */
  snprintf(u.name, sizeof(u.name), "ann");
  u.created_at = T0;
  assert_int_equal(st->ops->user_add(st, &u, &err), MS_EEXIST);
  snprintf(u.name, sizeof(u.name), "ann/2");
  assert_int_equal(st->ops->user_add(st, &u, &err), MS_EINVAL);
  int64_t missing[2] = {b, 4242};
  snprintf(u.name, sizeof(u.name), "bob");
  u.accounts = missing;
  u.naccounts = 2;
  assert_int_equal(st->ops->user_add(st, &u, &err), MS_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no account with id 4242"));
  assert_int_equal(u.id, 0);
  assert_int_equal(st->ops->user_get(st, "bob", &got, &err), MS_ENOTFOUND);

  /* Memberships replaced as a whole, or not at all. */
  int64_t just_b[1] = {b};
  assert_int_equal(st->ops->user_set_accounts(st, ann, just_b, 1, &err), MS_OK);
  assert_int_equal(st->ops->user_set_accounts(st, ann, missing, 2, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->user_get(st, "ann", &got, &err), MS_OK);
  assert_int_equal(got.naccounts, 1);
  assert_int_equal(got.accounts[0], b);
  user_row_release(&got);
  assert_int_equal(st->ops->user_set_accounts(st, 4242, just_b, 1, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->user_set_accounts(st, ann, NULL, 0, &err), MS_OK);

  /* The store keeps the hash it is given, and forgets it on NULL. */
  assert_int_equal(st->ops->user_set_password(st, ann, "$argon2id$v=19$m=65536,t=2,p=1$x$y", &err),
                   MS_OK);
  assert_int_equal(st->ops->user_get(st, "ann", &got, &err), MS_OK);
  assert_string_equal(got.password_hash, "$argon2id$v=19$m=65536,t=2,p=1$x$y");
  assert_int_equal(got.naccounts, 0);
  user_row_release(&got);
  assert_int_equal(st->ops->user_set_password(st, ann, NULL, &err), MS_OK);
  assert_int_equal(st->ops->user_get(st, "ann", &got, &err), MS_OK);
  assert_null(got.password_hash);
  user_row_release(&got);
  assert_int_equal(st->ops->user_set_password(st, 4242, NULL, &err), MS_ENOTFOUND);

  assert_int_equal(st->ops->user_list(st, see_user, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 2);
  assert_string_equal(seen.names[0], "ann");
  assert_string_equal(seen.names[1], "root");
  store_close(st);
}

static void test_removing_a_user_takes_its_tokens(void **state) {
  struct err err = {0};
  struct token_row t;
  struct seen seen = {0};
  (void)state;
  struct store *st = ts_store("user_remove");
  int64_t ann = add_user(st, "ann", 0, NULL, 0);
  int64_t bob = add_user(st, "bob", 0, NULL, 0);
  add_token(st, ann, "aaaa1111", "ci");
  add_token(st, bob, "bbbb2222", "laptop");

  assert_int_equal(st->ops->user_remove(st, "ann", &err), MS_OK);
  assert_int_equal(st->ops->user_remove(st, "ann", &err), MS_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no user named \"ann\""));
  assert_int_equal(st->ops->token_find_by_hash(st, "aaaa1111", &t, &err), MS_ENOTFOUND);
  assert_int_equal(st->ops->token_find_by_hash(st, "bbbb2222", &t, &err), MS_OK);
  assert_int_equal(st->ops->token_list(st, 0, see_token, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 1);
  assert_string_equal(seen.names[0], "laptop");
  store_close(st);
}

/* ---- tokens -------------------------------------------------------------- */

static void test_tokens_found_by_hash_revoked_and_touched(void **state) {
  struct err err = {0};
  struct token_row t = {0}, got;
  struct seen seen = {0};
  (void)state;
  struct store *st = ts_store("tokens");
  int64_t ann = add_user(st, "ann", 0, NULL, 0);
  int64_t bob = add_user(st, "bob", 1, NULL, 0);
  int64_t t1 = add_token(st, ann, "hash-one", "ci");
  int64_t t2 = add_token(st, bob, "hash-two", "");
  int64_t t3 = add_token(st, ann, "hash-three", "laptop");

  assert_int_equal(st->ops->token_find_by_hash(st, "hash-one", &got, &err), MS_OK);
  assert_int_equal(got.id, t1);
  assert_int_equal(got.user_id, ann);
  assert_string_equal(got.user, "ann");
  assert_string_equal(got.label, "ci");
  assert_string_equal(got.prefix, "mst_hash-one");
  assert_int_equal(got.created_at, T0);
  assert_int_equal(got.last_used_at, 0);
  assert_int_equal(got.revoked_at, 0);
  assert_int_equal(st->ops->token_find_by_hash(st, "hash-none", &got, &err), MS_ENOTFOUND);

  /* The same hash twice, an unknown user, a missing hash: refused. */
  t.user_id = bob;
  snprintf(t.hash, sizeof(t.hash), "hash-one");
  snprintf(t.prefix, sizeof(t.prefix), "mst_x");
  t.created_at = T0;
  assert_int_equal(st->ops->token_add(st, &t, &err), MS_EEXIST);
  snprintf(t.hash, sizeof(t.hash), "hash-four");
  t.user_id = 4242;
  assert_int_equal(st->ops->token_add(st, &t, &err), MS_ENOTFOUND);
  t.user_id = bob;
  t.hash[0] = '\0';
  assert_int_equal(st->ops->token_add(st, &t, &err), MS_EINVAL);
  snprintf(t.hash, sizeof(t.hash), "hash-four");
  snprintf(t.label, sizeof(t.label), "two\nlines");
  assert_int_equal(st->ops->token_add(st, &t, &err), MS_EINVAL);

  /* Use moves forward only. */
  assert_int_equal(st->ops->token_touch(st, t1, T0 + 50, &err), MS_OK);
  assert_int_equal(st->ops->token_touch(st, t1, T0 + 10, &err), MS_OK);
  assert_int_equal(st->ops->token_find_by_hash(st, "hash-one", &got, &err), MS_OK);
  assert_int_equal(got.last_used_at, T0 + 50);
  assert_int_equal(st->ops->token_touch(st, 4242, T0, &err), MS_ENOTFOUND);

  /* Revoked once: the first time stays. */
  assert_int_equal(st->ops->token_revoke(st, t1, T0 + 100, &err), MS_OK);
  assert_int_equal(st->ops->token_revoke(st, t1, T0 + 200, &err), MS_OK);
  assert_int_equal(st->ops->token_find_by_hash(st, "hash-one", &got, &err), MS_OK);
  assert_int_equal(got.revoked_at, T0 + 100);
  assert_int_equal(st->ops->token_revoke(st, 4242, T0, &err), MS_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no token with id 4242"));

  assert_int_equal(st->ops->token_list(st, ann, see_token, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 2);
  assert_int_equal(seen.ids[0], t1);
  assert_int_equal(seen.ids[1], t3);
  seen.n = 0;
  assert_int_equal(st->ops->token_list(st, 0, see_token, &seen, &err), MS_OK);
  assert_int_equal(seen.n, 3);
  assert_int_equal(seen.ids[1], t2);
  store_close(st);
}

/* ---- credentials, compared and set --------------------------------------- */

static void test_credentials_swap_is_all_or_nothing(void **state) {
  struct err err = {0};
  struct source_row got;
  (void)state;
  struct store *st = ts_store("credentials_swap");
  int64_t a = ts_source(st, "a");
  int64_t b = ts_source(st, "b");
  const char *was = "{\"token_env\":\"T\"}";
  struct credentials_change ok[2] = {{a, was, "{\"token_sealed\":\"A2\"}"},
                                     {b, was, "{\"token_sealed\":\"B2\"}"}};
  struct credentials_change stale[2] = {
      {a, "{\"token_sealed\":\"A2\"}", "{\"token_sealed\":\"A3\"}"},
      {b, was, "{\"token_sealed\":\"B3\"}"}};

  assert_int_equal(st->ops->source_credentials_swap(st, ok, 2, &err), MS_OK);
  /* b no longer reads `was`: a is not written either. */
  assert_int_equal(st->ops->source_credentials_swap(st, stale, 2, &err), MS_EBUSY);
  assert_non_null(strstr(err.msg, "changed or removed meanwhile"));
  assert_int_equal(st->ops->source_get_id(st, a, &got, &err), MS_OK);
  assert_string_equal(got.credentials, "{\"token_sealed\":\"A2\"}");
  source_row_release(&got);
  assert_int_equal(st->ops->source_get_id(st, b, &got, &err), MS_OK);
  assert_string_equal(got.credentials, "{\"token_sealed\":\"B2\"}");
  source_row_release(&got);

  struct credentials_change bad = {a, "{\"token_sealed\":\"A2\"}", "not json"};
  assert_int_equal(st->ops->source_credentials_swap(st, &bad, 1, &err), MS_EINVAL);
  struct credentials_change gone = {4242, was, was};
  assert_int_equal(st->ops->source_credentials_swap(st, &gone, 1, &err), MS_EBUSY);
  assert_int_equal(st->ops->source_credentials_swap(st, NULL, 0, &err), MS_OK);
  store_close(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accounts_add_get_list),
      cmocka_unit_test(test_sources_belong_to_accounts),
      cmocka_unit_test(test_an_account_with_sources_is_not_removed),
      cmocka_unit_test(test_users_and_memberships),
      cmocka_unit_test(test_removing_a_user_takes_its_tokens),
      cmocka_unit_test(test_tokens_found_by_hash_revoked_and_touched),
      cmocka_unit_test(test_credentials_swap_is_all_or_nothing),
  };
  return cmocka_run_group_tests(tests, ts_make_tmpdir, ts_remove_tmpdir);
}
