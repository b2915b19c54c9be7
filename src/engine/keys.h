/* The master key of a database and the sealed secrets of its sources: the
 * key made when first needed, secrets stored sealed from plain values, and
 * key rotation.
 *
 * Rotation, crash-safe at every step (KEY is the key file):
 *   1. every sealed secret is opened with the keys at hand, writing nothing
 *      (a secret that does not open stops the rotation before it starts);
 *   2. KEY.new gets a fresh key: written to a temporary file, synced,
 *      linked into place, the directory synced; an existing KEY.new (an
 *      interrupted rotation) is used as it is. From here on readers hold
 *      both keys and new secrets are sealed with the new one;
 *   3. every secret is sealed again with the new key, all sources in one
 *      database transaction (compared and set: a source changed meanwhile
 *      makes it read again and retry);
 *   4. KEY.new is renamed over KEY (atomic), the directory synced;
 *   5. a last pass seals again anything a process that still held the old
 *      key wrote between 3 and 4 (the old key is still in memory).
 * A crash before 2 leaves nothing changed; between 2 and 4 both key files
 * exist and every secret opens with one of them (running `key rotate`
 * again finishes the work with the same new key); after 4 only the new key
 * is needed. The old key is gone from disk: a backup of the database made
 * before the rotation needs the backup of the old key.
 */
#ifndef MS_ENGINE_KEYS_H
#define MS_ENGINE_KEYS_H

#include "core/secret.h"
#include "store/store.h"

/* What a rotation did. */
struct key_rotation {
  char old_id[KEY_ID_LEN + 1]; /* the key replaced; "" when the old file was gone */
  char new_id[KEY_ID_LEN + 1]; /* the key now in the key file */
  int resumed;                 /* an interrupted rotation was finished with its key */
  int sources;                 /* sources whose secrets were sealed again */
  int secrets;                 /* secrets sealed again */
};

/* Rotates the master key in the key file at path (see above). MS_EKEY,
 * nothing changed, when a sealed secret does not open with the keys at
 * hand or there is no key file. */
int key_rotate(struct store *st, const char *path, struct key_rotation *out, struct err *err);

/* How many sealed secrets the database holds, and how many of them were
 * sealed with a key kr (MAY be NULL) does not hold. */
int key_census(struct store *st, const struct keyring *kr, int *sealed, int *foreign,
               struct err *err);

/* The key to seal with, from the key file at path: made there first when
 * there is none, unless the database already holds sealed secrets (their
 * key is somewhere else: MS_EKEY saying to restore it). *created tells
 * whether a file was made. */
int key_ready(struct store *st, const char *path, struct keyring **out, int *created,
              struct err *err);

/* A secret given in clear (by a command or the admin API) for an existing
 * source: stored sealed as its secret `name`, in place of where the
 * credentials found it before. Compared and set, so a concurrent change of
 * the source is not overwritten (MS_EBUSY: try again). */
int source_secret_store(struct store *st, const struct keyring *kr, const char *source,
                        const char *name, const char *plain, struct err *err);

#endif
