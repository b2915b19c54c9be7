/* Sealed secrets and the master key that seals them.
 *
 * A secret given to marketsync itself (by `source add --NAME-stdin`, the
 * admin API, the web UI) is kept in the source's credentials as text that
 * describes itself:
 *
 *     sealed:v1:KEYID:PLACE:DATA
 *
 * KEYID   8 hex digits naming the master key (derived from it; it tells a
 *         wrong key from an altered text without trying to decrypt)
 * PLACE   8 hex digits naming, under that key, the source and the secret it
 *         was sealed for (it tells a text copied to another source or secret
 *         from an altered one)
 * DATA    base64url (no padding) of a random 24-byte nonce and the
 *         XChaCha20-Poly1305 (IETF) ciphertext with its tag; the additional
 *         data is "sealed:v1:KEYID:PLACE", the source's name and the
 *         secret's name, so a text opens only where it was sealed.
 *
 * The master key lives in a key file: 64 hex digits (32 random bytes) and a
 * newline, mode 0600. A file readable by group or others is refused. Key
 * rotation writes its successor next to it as FILE.new first; while that
 * file exists both keys open secrets and the new one seals (see key_rotate
 * in engine/keys.h for the whole procedure).
 *
 * Nothing here prints, logs, or puts a secret's value in a message.
 */
#ifndef MS_CORE_SECRET_H
#define MS_CORE_SECRET_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "util/err.h"

#define MASTER_KEY_BYTES 32 /* bytes of a master key */
#define KEY_ID_LEN 8        /* hex digits of a key id */
#define KEY_PATH_MAX 4096   /* bytes of a key file's path */
#define KEYRING_MAX 2       /* the key file's key and its pending successor */
#define SEALED_PREFIX "sealed:"

/* One master key, held in memory only as long as needed. */
struct master_key {
  unsigned char key[MASTER_KEY_BYTES]; /* the key itself */
  char id[KEY_ID_LEN + 1];             /* its id, hex */
};

/* The keys of one key file: allocated with sodium_malloc (kept out of swap
 * and core dumps where the system allows), wiped by keyring_free. */
struct keyring {
  char path[KEY_PATH_MAX];             /* the key file */
  struct master_key keys[KEYRING_MAX]; /* [0] the key file's (when present), then the
                                          pending successor's */
  int n;                               /* keys loaded */
  int sealing;                         /* index of the key that seals: the successor's while
                                          a rotation is pending, else the file's */
  int pending;                         /* PATH.new exists (a rotation is not finished) */
};

/* Where this process's master key is, set once by the command layer
 * (before any thread starts) from MARKETSYNC_KEY_FILE or the database's
 * location; NULL: none could be named (a PostgreSQL URI without
 * MARKETSYNC_KEY_FILE). core/source.c reads it when a source holds a
 * sealed secret, so every caller that opens sources (a command, the
 * scheduler's workers, the admin API) resolves them alike. */
void secret_keyfile_set(const char *path);
const char *secret_keyfile(void);

/* The key file for a database location: $MARKETSYNC_KEY_FILE when set,
 * else LOCATION.key for a SQLite file; MS_EKEY (saying to set the
 * variable) for a location that is not a file. */
int keyfile_for_db(const char *db, char *out, size_t size, struct err *err);

/* Loads the key file at path and, when present, path.new. MS_ENOTFOUND
 * when neither exists (err says where it looked); MS_EKEY for a file that
 * others may read or that holds no key. *out is freed by keyring_free. */
int keyring_load(const char *path, struct keyring **out, struct err *err);
void keyring_free(struct keyring *kr);
/* The id of the key that seals. */
const char *keyring_id(const struct keyring *kr);
/* The loaded key of that id, or NULL. */
const struct master_key *keyring_find(const struct keyring *kr, const char *id);

/* Makes a new key file at path (32 random bytes, mode 0600, written to a
 * temporary file, synced, then linked into place so the file is never seen
 * half-written) unless one is there. *created tells which. */
int keyfile_create(const char *path, int *created, struct err *err);

/* Rotation, the file side. Begins: writes path.new with a fresh key unless
 * it exists (an interrupted rotation is resumed with its key), and makes it
 * the sealing key of kr; *resumed tells which. */
int keyring_rotation_begin(struct keyring *kr, int *resumed, struct err *err);
/* Ends: path.new replaces path (an atomic rename, then the directory is
 * synced). The old key stays in kr, for what may still need it. */
int keyring_rotation_end(struct keyring *kr, struct err *err);

/* Seals plain (at most SECRET_MAX bytes) with the sealing key for the secret
 * `name` of the source `source`: *out is the text above (caller frees). */
int secret_seal(const struct keyring *kr, const char *source, const char *name, const char *plain,
                char **out, struct err *err);
/* Opens a sealed text found as the secret `name` of the source `source`.
 * *out is the plain value (caller wipes and frees it with secret_free).
 * MS_EKEY, with one sentence for a person, when it was sealed with a key kr
 * does not hold, for another source or secret, or was altered; kr MAY be
 * NULL (no key file): MS_EKEY saying so. */
int secret_open(const struct keyring *kr, const char *source, const char *name, const char *sealed,
                char **out, struct err *err);
/* Whether text is a sealed secret (of any version). */
int secret_is_sealed(const char *text);
/* The key id of a sealed text (a v1 one): MS_OK, or MS_EINVAL. */
int secret_key_id(const char *sealed, char id[KEY_ID_LEN + 1]);
/* Wipes and frees a plain secret; NULL is fine. */
void secret_free(char *plain);

/* The credentials JSON of a source (an object) gets the secret `name`
 * sealed from plain ("NAME_sealed"), in place of any other way it had of
 * finding it (NAME_env, NAME_file). */
int credentials_seal(const struct keyring *kr, const char *source, const char *name,
                     const char *plain, cJSON *creds, struct err *err);
/* Credentials text with every sealed secret opened (as the secrets of
 * from_source) and sealed again with kr's sealing key for to_source: a key
 * rotation (from == to) or a renamed source. *out is the new text (caller
 * frees); *count the secrets sealed again. */
int credentials_reseal(const struct keyring *kr, const char *from_source, const char *to_source,
                       const char *creds, char **out, int *count, struct err *err);

#endif
