/* Who is asking, and what they may see: passwords, API tokens and the rule
 * of visibility, for the commands and the admin API alike.
 *
 * Passwords are hashed with Argon2id (libsodium's crypto_pwhash_str) at
 * the INTERACTIVE limits: 64 MiB and 2 passes, about a tenth of a second.
 * A login is something anyone who reaches the API can ask for, many times
 * and at once; at MODERATE (256 MiB, about 0.7 s) a handful of concurrent
 * logins would take a gigabyte of memory on the small machines marketsync
 * runs on, a denial of service handed to strangers. INTERACTIVE is what
 * libsodium recommends for online use, and together with the 10-character
 * minimum it keeps offline guessing of a stolen hash slow.
 *
 * API tokens are "mst_" and 43 characters of base64url: 32 random bytes,
 * 256 bits. They are stored only as their BLAKE2b-256 hash (hex). A slow
 * password hash would add nothing: nobody can guess 256 random bits however
 * fast the hash is, and a fast unsalted hash is what lets a token be found
 * by an index lookup on every API request instead of trying each stored
 * hash in turn. The first 12 characters ("mst_" and 8 more) are kept to
 * tell tokens apart in lists.
 */
#ifndef MS_ENGINE_AUTH_H
#define MS_ENGINE_AUTH_H

#include <stdint.h>

#include "store/store.h"

#define AUTH_TOKEN_PREFIX "mst_"
#define AUTH_TOKEN_LEN 47                    /* "mst_" + 43 base64url characters */
#define AUTH_TOKEN_SIZE (AUTH_TOKEN_LEN + 1) /* with its NUL */
#define AUTH_TOKEN_SHOWN 12                  /* characters kept as the token's prefix */
#define AUTH_PASSWORD_MIN 10                 /* characters a password has at least */
#define AUTH_PASSWORD_MAX 1024               /* bytes a password has at most */
#define AUTH_HASH_SIZE 128                   /* bytes of a password hash, with its NUL */
#define AUTH_TOUCH_EVERY                                                                           \
  60 /* seconds: a token's last use is written at most                                             \
        this often (not on every request) */

/* A user as a request sees it, from a token or a password. */
struct auth_user {
  int64_t id;
  char name[MS_NAME_MAX];
  int admin;         /* sees everything */
  int64_t *accounts; /* the accounts it is a member of, ascending; owned */
  size_t naccounts;  /* how many */
  int64_t token_id;  /* the token it came with; 0 for a password */
};

void auth_user_release(struct auth_user *u);

/* Hashes a password of AUTH_PASSWORD_MIN characters or more (MS_EINVAL,
 * saying so, otherwise): out holds an Argon2id string. */
int auth_password_hash(const char *password, char out[AUTH_HASH_SIZE], struct err *err);
/* MS_OK when password matches hash, else MS_EPERM (a NULL or damaged hash
 * matches nothing). */
int auth_password_verify(const char *hash, const char *password);
/* A login: the user of that name whose password matches. MS_EPERM with the
 * same sentence for an unknown user, a user without a password and a wrong
 * password, after the same work (a hash is checked either way), so that
 * neither the answer nor its time tells which names exist. */
int auth_login(struct store *st, const char *name, const char *password, struct auth_user *out,
               struct err *err);

/* Makes a token for the user: out_token gets the token (shown once, never
 * stored), row the stored row (hash, prefix, label, created_at = now).
 * label MAY be NULL; one line of at most TOKEN_LABEL_MAX - 1 bytes. */
int auth_token_create(struct store *st, int64_t user_id, const char *label, int64_t now,
                      char out_token[AUTH_TOKEN_SIZE], struct token_row *row, struct err *err);
/* The user a token stands for. MS_EPERM, with a sentence that never
 * repeats the token, when it is malformed, unknown or revoked. Its last
 * use becomes now (at most every AUTH_TOUCH_EVERY seconds). */
int auth_token_check(struct store *st, const char *token, int64_t now, struct auth_user *out,
                     struct err *err);
/* The BLAKE2b-256 of a token as hex: what the store keeps. */
void auth_token_hash(const char *token, char out[TOKEN_HASH_MAX]);

/* Admins see every source; a member sees the sources of its accounts; a
 * source of no account is for admins only. */
int auth_can_see_source(const struct auth_user *u, const struct source_row *s);
int auth_can_see_account(const struct auth_user *u, int64_t account_id);

#endif
