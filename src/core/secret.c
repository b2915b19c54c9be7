/* Sealed secrets and master key files (see secret.h for the formats). */
#include "core/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/source.h"

#define KEY_HEX_LEN (2 * MASTER_KEY_BYTES)
#define KEY_FILE_READ_MAX 256 /* bytes read from a key file: a key and some blank space */
#define SEALED_V1 "sealed:v1:"
#define HEADER_LEN (sizeof(SEALED_V1) - 1 + KEY_ID_LEN + 1 + KEY_ID_LEN) /* up to PLACE */
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
/* Subkeys of the master key (crypto_kdf), one per use. */
#define KDF_SEAL 1
#define KDF_ID 2
#define KDF_PLACE 3
#define KDF_CONTEXT "mssecret"

_Static_assert(MASTER_KEY_BYTES == crypto_kdf_KEYBYTES, "the master key is a KDF key");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32, "AEAD keys are 32 bytes");

static char keyfile_path[KEY_PATH_MAX];

void secret_keyfile_set(const char *path) {
  snprintf(keyfile_path, sizeof(keyfile_path), "%s", path ? path : "");
}

const char *secret_keyfile(void) {
  return keyfile_path[0] ? keyfile_path : NULL;
}

int keyfile_for_db(const char *db, char *out, size_t size, struct err *err) {
  const char *env = getenv("MARKETSYNC_KEY_FILE");
  int n;
  if (env && *env)
    n = snprintf(out, size, "%s", env);
  else if (!db || !*db || strstr(db, "://") || strcmp(db, ":memory:") == 0 ||
           strncmp(db, "file:", 5) == 0)
    return err_set(err, MS_EKEY,
                   "the database %s is not a file, so its master key cannot be kept next to it: "
                   "set MARKETSYNC_KEY_FILE to the master key file",
                   db ? db : "");
  else
    n = snprintf(out, size, "%s.key", db);
  if (n < 0 || (size_t)n >= size)
    return err_set(err, MS_EKEY, "the path of the master key file is longer than %zu bytes",
                   size - 1);
  return MS_OK;
}

/* ---- keys ---------------------------------------------------------------- */

static int init_sodium(struct err *err) {
  return sodium_init() < 0 ? err_set(err, MS_EIO, "cannot initialise libsodium") : MS_OK;
}

/* The id of a key: a subkey of it, so the id tells nothing of the key. */
static void key_id(const unsigned char key[MASTER_KEY_BYTES], char id[KEY_ID_LEN + 1]) {
  unsigned char sub[crypto_kdf_BYTES_MIN];
  crypto_kdf_derive_from_key(sub, sizeof(sub), KDF_ID, KDF_CONTEXT, key);
  sodium_bin2hex(id, KEY_ID_LEN + 1, sub, KEY_ID_LEN / 2);
  sodium_memzero(sub, sizeof(sub));
}

static void key_set(struct master_key *k, const unsigned char key[MASTER_KEY_BYTES]) {
  memcpy(k->key, key, MASTER_KEY_BYTES);
  key_id(k->key, k->id);
}

static int pending_path(const char *path, char *out, size_t size, struct err *err) {
  int n = snprintf(out, size, "%s.new", path);
  if (n < 0 || (size_t)n >= size)
    return err_set(err, MS_EKEY, "the path of the master key file is too long");
  return MS_OK;
}

/* Reads one key file: MS_ENOTFOUND when it does not exist. */
static int key_read(const char *path, unsigned char key[MASTER_KEY_BYTES], struct err *err) {
  char buf[KEY_FILE_READ_MAX + 1];
  struct stat sb;
  size_t len = 0, hexlen;
  ssize_t got;
  const char *start;
  int fd = open(path, O_RDONLY | O_CLOEXEC), rc = MS_OK;
  if (fd < 0 && errno == ENOENT)
    return err_set(err, MS_ENOTFOUND, "there is no master key file at %s", path);
  if (fd < 0)
    return err_set(err, MS_EKEY, "cannot read the master key file %s: %s", path, strerror(errno));
  /* Checked on the open file: what is read is what was checked. */
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    return err_set(err, MS_EKEY, "the master key file %s is not a regular file", path);
  }
  if (sb.st_mode & 077) {
    close(fd);
    return err_set(err, MS_EKEY,
                   "the master key file %s can be read by other users (mode %04o): make it "
                   "private with 'chmod 600 %s' (and check who may have copied it)",
                   path, (unsigned)(sb.st_mode & 07777), path);
  }
  while (len < KEY_FILE_READ_MAX && (got = read(fd, buf + len, KEY_FILE_READ_MAX - len)) > 0)
    len += (size_t)got;
  close(fd);
  buf[len] = '\0';
  start = buf;
  while (*start == ' ' || *start == '\n' || *start == '\r' || *start == '\t')
    start++;
  hexlen = strspn(start, "0123456789abcdefABCDEF");
  if (hexlen != KEY_HEX_LEN || start[hexlen + strspn(start + hexlen, " \t\r\n")] != '\0' ||
      sodium_hex2bin(key, MASTER_KEY_BYTES, start, hexlen, NULL, NULL, NULL) != 0)
    rc = err_set(err, MS_EKEY,
                 "the master key file %s does not hold a key (64 hexadecimal digits): restore it "
                 "from your backup",
                 path);
  sodium_memzero(buf, sizeof(buf));
  return rc;
}

int keyring_load(const char *path, struct keyring **out, struct err *err) {
  unsigned char key[MASTER_KEY_BYTES];
  char next[KEY_PATH_MAX];
  struct keyring *kr;
  struct err why = {0};
  int rc = init_sodium(err);
  *out = NULL;
  if (rc)
    return rc;
  if (!path || !*path)
    return err_set(err, MS_EKEY,
                   "no master key file is configured: set MARKETSYNC_KEY_FILE to the master key "
                   "file");
  if (strlen(path) >= sizeof(kr->path) || pending_path(path, next, sizeof(next), err))
    return err_set(err, MS_EKEY, "the path of the master key file is too long");
  kr = sodium_malloc(sizeof(*kr));
  if (!kr)
    return err_set(err, MS_ENOMEM, "out of memory");
  memset(kr, 0, sizeof(*kr));
  snprintf(kr->path, sizeof(kr->path), "%s", path);
  rc = key_read(path, key, &why);
  if (rc == MS_OK)
    key_set(&kr->keys[kr->n++], key);
  if (rc == MS_OK || rc == MS_ENOTFOUND) {
    /* A rotation under way: its key seals, both open. */
    rc = key_read(next, key, &why);
    if (rc == MS_OK) {
      kr->sealing = kr->n;
      kr->pending = 1;
      key_set(&kr->keys[kr->n++], key);
    }
    if (rc == MS_ENOTFOUND && kr->n)
      rc = MS_OK;
  }
  sodium_memzero(key, sizeof(key));
  if (rc == MS_ENOTFOUND)
    err_set(err, rc, "there is no master key file at %s", path);
  else if (rc)
    err_set(err, rc, "%s", why.msg);
  if (rc) {
    keyring_free(kr);
    return rc;
  }
  *out = kr;
  return MS_OK;
}

void keyring_free(struct keyring *kr) {
  if (kr)
    sodium_free(kr); /* wipes it */
}

const char *keyring_id(const struct keyring *kr) {
  return kr && kr->n ? kr->keys[kr->sealing].id : "";
}

const struct master_key *keyring_find(const struct keyring *kr, const char *id) {
  for (int i = 0; kr && id && i < kr->n; i++)
    if (strcmp(kr->keys[i].id, id) == 0)
      return &kr->keys[i];
  return NULL;
}

/* ---- key files ----------------------------------------------------------- */

/* Syncs the directory holding path, so a new name in it survives a crash. */
static int sync_dir_of(const char *path, struct err *err) {
  char dir[KEY_PATH_MAX];
  const char *slash = strrchr(path, '/');
  int fd, rc = MS_OK;
  if (!slash)
    snprintf(dir, sizeof(dir), ".");
  else if (slash == path)
    snprintf(dir, sizeof(dir), "/");
  else
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0)
    rc = err_set(err, MS_EIO, "cannot sync the directory %s: %s", dir, strerror(errno));
  if (fd >= 0)
    close(fd);
  return rc;
}

/* Writes key as hex to a new private file at tmp, synced. */
static int write_key_file(const char *tmp, const unsigned char key[MASTER_KEY_BYTES],
                          struct err *err) {
  char hex[KEY_HEX_LEN + 2];
  size_t done = 0, len;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), rc = MS_OK;
  if (fd < 0)
    return err_set(err, MS_EIO, "cannot create %s: %s", tmp, strerror(errno));
  sodium_bin2hex(hex, sizeof(hex), key, MASTER_KEY_BYTES);
  len = strlen(hex);
  hex[len++] = '\n';
  while (done < len) {
    ssize_t w = write(fd, hex + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break;
    done += (size_t)w;
  }
  if (done < len || fchmod(fd, 0600) != 0 || fsync(fd) != 0)
    rc = err_set(err, MS_EIO, "cannot write %s: %s", tmp, strerror(errno));
  if (close(fd) != 0 && !rc)
    rc = err_set(err, MS_EIO, "cannot write %s: %s", tmp, strerror(errno));
  sodium_memzero(hex, sizeof(hex));
  if (rc)
    unlink(tmp);
  return rc;
}

/* A new key file at path, unless one is there (*created 0). */
static int key_file_new(const char *path, unsigned char key[MASTER_KEY_BYTES], int *created,
                        struct err *err) {
  char tmp[KEY_PATH_MAX + 32];
  int n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()), rc;
  *created = 0;
  if (n < 0 || (size_t)n >= sizeof(tmp))
    return err_set(err, MS_EKEY, "the path of the master key file is too long");
  randombytes_buf(key, MASTER_KEY_BYTES);
  unlink(tmp); /* left by a process of the same id that died */
  rc = write_key_file(tmp, key, err);
  if (rc)
    return rc;
  /* link() never replaces: of two processes making the key at once, one
   * wins and the other uses its key. */
  if (link(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    if (e == EEXIST)
      return MS_OK;
    return err_set(err, MS_EIO, "cannot create the master key file %s: %s", path, strerror(e));
  }
  unlink(tmp);
  *created = 1;
  return sync_dir_of(path, err);
}

int keyfile_create(const char *path, int *created, struct err *err) {
  unsigned char key[MASTER_KEY_BYTES];
  int rc = init_sodium(err);
  *created = 0;
  if (!rc && (!path || !*path))
    rc = err_set(err, MS_EKEY, "no master key file is configured: set MARKETSYNC_KEY_FILE");
  if (!rc)
    rc = key_file_new(path, key, created, err);
  sodium_memzero(key, sizeof(key));
  return rc;
}

int keyring_rotation_begin(struct keyring *kr, int *resumed, struct err *err) {
  unsigned char key[MASTER_KEY_BYTES], check[MASTER_KEY_BYTES];
  char next[KEY_PATH_MAX];
  int created = 0, rc;
  *resumed = kr->pending;
  if (kr->pending)
    return MS_OK;
  if (kr->n >= KEYRING_MAX)
    return err_set(err, MS_EKEY, "the key ring is full");
  rc = pending_path(kr->path, next, sizeof(next), err);
  if (!rc)
    rc = key_file_new(next, key, &created, err);
  /* Made by another rotation just now: use that one, as read back. */
  if (!rc && !created)
    rc = key_read(next, key, err);
  /* What is on disk is what seals from now on. */
  if (!rc)
    rc = key_read(next, check, err);
  if (!rc && sodium_memcmp(key, check, MASTER_KEY_BYTES) != 0)
    rc = err_set(err, MS_EIO, "the new master key file %s reads back differently", next);
  if (!rc) {
    kr->sealing = kr->n;
    kr->pending = 1;
    key_set(&kr->keys[kr->n++], key);
  }
  sodium_memzero(key, sizeof(key));
  sodium_memzero(check, sizeof(check));
  return rc;
}

int keyring_rotation_end(struct keyring *kr, struct err *err) {
  char next[KEY_PATH_MAX];
  int rc = pending_path(kr->path, next, sizeof(next), err);
  if (rc)
    return rc;
  if (!kr->pending)
    return err_set(err, MS_EINVAL, "no rotation of %s is under way", kr->path);
  if (rename(next, kr->path) != 0) {
    int e = errno;
    unsigned char now[MASTER_KEY_BYTES];
    struct err ignored;
    /* Another rotation with the same new key got there first. */
    int done = e == ENOENT && key_read(kr->path, now, &ignored) == MS_OK &&
               sodium_memcmp(now, kr->keys[kr->sealing].key, MASTER_KEY_BYTES) == 0;
    sodium_memzero(now, sizeof(now));
    if (!done)
      return err_set(err, MS_EIO, "cannot put %s in place of %s: %s", next, kr->path, strerror(e));
  }
  kr->pending = 0;
  return sync_dir_of(kr->path, err);
}

/* ---- sealing ------------------------------------------------------------- */

/* "token" -> "token", "client_secret" -> "client-secret": the option's name. */
static void flag_of(const char *name, char *out, size_t size) {
  size_t i = 0;
  for (; name[i] && i + 1 < size; i++)
    out[i] = name[i] == '_' ? '-' : name[i];
  out[i] = '\0';
}

/* The PLACE of a text: a keyed hash of the source's and the secret's names. */
static void place_of(const struct master_key *k, const char *source, const char *name,
                     char out[KEY_ID_LEN + 1]) {
  unsigned char sub[crypto_generichash_KEYBYTES], tag[crypto_generichash_BYTES_MIN];
  crypto_generichash_state h;
  crypto_kdf_derive_from_key(sub, sizeof(sub), KDF_PLACE, KDF_CONTEXT, k->key);
  crypto_generichash_init(&h, sub, sizeof(sub), sizeof(tag));
  crypto_generichash_update(&h, (const unsigned char *)source, strlen(source) + 1);
  crypto_generichash_update(&h, (const unsigned char *)name, strlen(name) + 1);
  crypto_generichash_final(&h, tag, sizeof(tag));
  sodium_bin2hex(out, KEY_ID_LEN + 1, tag, KEY_ID_LEN / 2);
  sodium_memzero(sub, sizeof(sub));
  sodium_memzero(&h, sizeof(h));
}

/* The additional data: the header, the source's name and the secret's. */
static unsigned char *ad_of(const char *header, const char *source, const char *name, size_t *len) {
  size_t hl = strlen(header), sl = strlen(source), nl = strlen(name);
  unsigned char *ad = malloc(hl + sl + nl + 2);
  if (!ad)
    return NULL;
  memcpy(ad, header, hl);
  ad[hl] = '\0';
  memcpy(ad + hl + 1, source, sl);
  ad[hl + 1 + sl] = '\0';
  memcpy(ad + hl + 2 + sl, name, nl);
  *len = hl + sl + nl + 2;
  return ad;
}

static void seal_key(const struct master_key *k, unsigned char out[32]) {
  crypto_kdf_derive_from_key(out, 32, KDF_SEAL, KDF_CONTEXT, k->key);
}

int secret_seal(const struct keyring *kr, const char *source, const char *name, const char *plain,
                char **out, struct err *err) {
  const struct master_key *k;
  unsigned char sk[32], *box = NULL, *ad = NULL;
  char header[HEADER_LEN + 1], place[KEY_ID_LEN + 1];
  size_t plen = plain ? strlen(plain) : 0, blen, adlen = 0, b64len;
  unsigned long long clen = 0;
  int rc = init_sodium(err);
  *out = NULL;
  if (rc)
    return rc;
  if (!kr || !kr->n)
    return err_set(err, MS_EKEY, "there is no master key to seal secrets with");
  if (!source || !*source || !name || !*name)
    return err_set(err, MS_EINVAL, "a secret is sealed for a named source and secret");
  if (!plen || plen > SECRET_MAX)
    return err_set(err, MS_EINVAL, "the secret '%s' is empty or longer than %d bytes", name,
                   SECRET_MAX);
  k = &kr->keys[kr->sealing];
  place_of(k, source, name, place);
  snprintf(header, sizeof(header), SEALED_V1 "%s:%s", k->id, place);
  blen = NONCE_BYTES + plen + TAG_BYTES;
  box = malloc(blen);
  ad = ad_of(header, source, name, &adlen);
  b64len = sodium_base64_encoded_len(blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  *out = malloc(sizeof(header) + 1 + b64len);
  if (!box || !ad || !*out) {
    rc = err_set(err, MS_ENOMEM, "out of memory");
    goto done;
  }
  randombytes_buf(box, NONCE_BYTES);
  seal_key(k, sk);
  crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE_BYTES, &clen, (const unsigned char *)plain,
                                             plen, ad, adlen, NULL, box, sk);
  sodium_memzero(sk, sizeof(sk));
  memcpy(*out, header, HEADER_LEN);
  (*out)[HEADER_LEN] = ':';
  sodium_bin2base64(*out + HEADER_LEN + 1, b64len, box, NONCE_BYTES + (size_t)clen,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
done:
  free(box);
  free(ad);
  if (rc) {
    free(*out);
    *out = NULL;
  }
  return rc;
}

int secret_is_sealed(const char *text) {
  return text && strncmp(text, SEALED_PREFIX, sizeof(SEALED_PREFIX) - 1) == 0;
}

static int is_hex(const char *s, size_t n) {
  return strspn(s, "0123456789abcdef") >= n;
}

int secret_key_id(const char *sealed, char id[KEY_ID_LEN + 1]) {
  const char *p = sealed;
  if (!p || strncmp(p, SEALED_V1, sizeof(SEALED_V1) - 1) != 0)
    return MS_EINVAL;
  p += sizeof(SEALED_V1) - 1;
  if (!is_hex(p, KEY_ID_LEN) || p[KEY_ID_LEN] != ':')
    return MS_EINVAL;
  memcpy(id, p, KEY_ID_LEN);
  id[KEY_ID_LEN] = '\0';
  return MS_OK;
}

/* "9f8e7d6c" or "9f8e7d6c and 1a2b3c4d": the keys at hand, for a message. */
static void ids_of(const struct keyring *kr, char *out, size_t size) {
  size_t used = 0;
  out[0] = '\0';
  for (int i = 0; i < kr->n && used < size; i++)
    used += (size_t)snprintf(out + used, size - used, "%s%s", i ? " and " : "", kr->keys[i].id);
}

/* "sealed:v2:...": a format this build does not know. */
static int newer_version(const char *sealed) {
  const char *p = sealed + sizeof(SEALED_PREFIX) - 1;
  size_t digits = p[0] == 'v' ? strspn(p + 1, "0123456789") : 0;
  return digits > 0 && digits < 6 && p[1 + digits] == ':';
}

static int altered(const char *source, const char *name, struct err *err) {
  char flag[64];
  flag_of(name, flag, sizeof(flag));
  return err_set(err, MS_EKEY,
                 "the secret '%s' of source %s has been altered: enter it again with "
                 "'marketsync source edit %s --%s-stdin'",
                 name, source, source, flag);
}

int secret_open(const struct keyring *kr, const char *source, const char *name, const char *sealed,
                char **out, struct err *err) {
  const struct master_key *k;
  unsigned char sk[32], *box = NULL, *ad = NULL;
  char id[KEY_ID_LEN + 1], place[KEY_ID_LEN + 1], header[HEADER_LEN + 1], flag[64], ids[40];
  const char *data;
  size_t slen = sealed ? strlen(sealed) : 0, blen = 0, adlen = 0;
  unsigned long long plen = 0;
  int rc = init_sodium(err);
  *out = NULL;
  if (rc)
    return rc;
  if (!secret_is_sealed(sealed))
    return altered(source, name, err);
  if (strncmp(sealed, SEALED_V1, sizeof(SEALED_V1) - 1) != 0 && newer_version(sealed))
    return err_set(err, MS_EKEY,
                   "the secret '%s' of source %s was sealed by a newer marketsync (%.12s...): "
                   "upgrade marketsync",
                   name, source, sealed);
  if (slen <= HEADER_LEN + 1 || secret_key_id(sealed, id) != MS_OK ||
      !is_hex(sealed + sizeof(SEALED_V1) + KEY_ID_LEN, KEY_ID_LEN) || sealed[HEADER_LEN] != ':' ||
      slen > HEADER_LEN + 1 + 2 * (SECRET_MAX + 64))
    return altered(source, name, err);
  if (!kr || !kr->n)
    return err_set(err, MS_EKEY,
                   "the secret '%s' of source %s is sealed, but there is no master key: set "
                   "MARKETSYNC_KEY_FILE to the key file it was made with (key id %s), or restore "
                   "that file from your backup",
                   name, source, id);
  k = keyring_find(kr, id);
  if (!k) {
    ids_of(kr, ids, sizeof(ids));
    return err_set(err, MS_EKEY,
                   "the secret '%s' of source %s was sealed with another master key (key id %s; "
                   "this one is %s): set MARKETSYNC_KEY_FILE to the key file it was made with",
                   name, source, id, ids);
  }
  place_of(k, source, name, place);
  if (memcmp(place, sealed + sizeof(SEALED_V1) + KEY_ID_LEN, KEY_ID_LEN) != 0) {
    flag_of(name, flag, sizeof(flag));
    return err_set(err, MS_EKEY,
                   "the secret '%s' stored with source %s was sealed for another source or "
                   "another secret: enter it again with 'marketsync source edit %s --%s-stdin'",
                   name, source, source, flag);
  }
  data = sealed + HEADER_LEN + 1;
  box = malloc(slen);
  memcpy(header, sealed, HEADER_LEN);
  header[HEADER_LEN] = '\0';
  ad = ad_of(header, source, name, &adlen);
  *out = malloc(slen + 1);
  if (!box || !ad || !*out) {
    rc = err_set(err, MS_ENOMEM, "out of memory");
    goto done;
  }
  if (sodium_base642bin(box, slen, data, strlen(data), NULL, &blen, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      blen < NONCE_BYTES + TAG_BYTES + 1) {
    rc = altered(source, name, err);
    goto done;
  }
  seal_key(k, sk);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)*out, &plen, NULL,
                                                 box + NONCE_BYTES, blen - NONCE_BYTES, ad, adlen,
                                                 box, sk) != 0 ||
      plen == 0 || plen > SECRET_MAX || memchr(*out, '\0', (size_t)plen)) {
    rc = altered(source, name, err);
    goto done;
  }
  (*out)[plen] = '\0';
done:
  sodium_memzero(sk, sizeof(sk));
  free(box);
  free(ad);
  if (rc && *out) {
    sodium_memzero(*out, slen + 1);
    free(*out);
    *out = NULL;
  }
  return rc;
}

void secret_free(char *plain) {
  if (!plain)
    return;
  sodium_memzero(plain, strlen(plain));
  free(plain);
}

/* ---- credentials --------------------------------------------------------- */

#define SECRET_NAME_MAX 32 /* bytes of a secret's name, as struct secret holds it */

static int creds_key(char *out, size_t size, const char *name, const char *suffix) {
  int n = snprintf(out, size, "%s_%s", name, suffix);
  return n > 0 && (size_t)n < size ? MS_OK : MS_EINVAL;
}

int credentials_seal(const struct keyring *kr, const char *source, const char *name,
                     const char *plain, cJSON *creds, struct err *err) {
  static const char *const ways[] = {"env", "file", "sealed"};
  char key[SECRET_NAME_MAX + 8], *sealed = NULL;
  cJSON *item;
  int rc;
  if (!cJSON_IsObject(creds))
    return err_set(err, MS_EINVAL, "the credentials are not a JSON object");
  if (!name || strlen(name) >= SECRET_NAME_MAX)
    return err_set(err, MS_EINVAL, "a secret's name is 1 to %d characters", SECRET_NAME_MAX - 1);
  rc = secret_seal(kr, source, name, plain, &sealed, err);
  if (rc)
    return rc;
  item = cJSON_CreateString(sealed);
  free(sealed);
  if (!item)
    return err_set(err, MS_ENOMEM, "out of memory");
  for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++)
    if (creds_key(key, sizeof(key), name, ways[i]) == MS_OK)
      cJSON_DeleteItemFromObjectCaseSensitive(creds, key);
  creds_key(key, sizeof(key), name, "sealed");
  cJSON_AddItemToObject(creds, key, item);
  return MS_OK;
}

int credentials_reseal(const struct keyring *kr, const char *from_source, const char *to_source,
                       const char *creds, char **out, int *count, struct err *err) {
  cJSON *in = cJSON_Parse(creds ? creds : "{}"), *made = cJSON_CreateObject(), *c;
  int rc = MS_OK;
  *out = NULL;
  *count = 0;
  if (!made)
    rc = err_set(err, MS_ENOMEM, "out of memory");
  else if (!cJSON_IsObject(in))
    rc = err_set(err, MS_EINVAL, "the stored credentials of source %s are damaged", from_source);
  for (c = in && !rc ? in->child : NULL; c && !rc; c = c->next) {
    const char *key = c->string;
    size_t n = key ? strlen(key) : 0;
    char name[SECRET_NAME_MAX], *plain = NULL, *sealed = NULL;
    cJSON *item;
    if (!cJSON_IsString(c) || n <= 7 || strcmp(key + n - 7, "_sealed") != 0) {
      item = cJSON_Duplicate(c, 1);
    } else if (n - 7 >= sizeof(name)) {
      rc = err_set(err, MS_EINVAL, "source %s: a secret's name is too long", from_source);
      break;
    } else {
      snprintf(name, sizeof(name), "%.*s", (int)(n - 7), key);
      rc = secret_open(kr, from_source, name, c->valuestring, &plain, err);
      if (!rc)
        rc = secret_seal(kr, to_source, name, plain, &sealed, err);
      secret_free(plain);
      item = rc ? NULL : cJSON_CreateString(sealed);
      free(sealed);
      if (rc)
        break;
      (*count)++;
    }
    if (!item || !key) {
      cJSON_Delete(item);
      rc = err_set(err, MS_ENOMEM, "out of memory");
    } else {
      cJSON_AddItemToObject(made, key, item);
    }
  }
  if (!rc) {
    *out = cJSON_PrintUnformatted(made);
    if (!*out)
      rc = err_set(err, MS_ENOMEM, "out of memory");
  }
  cJSON_Delete(in);
  cJSON_Delete(made);
  return rc;
}
