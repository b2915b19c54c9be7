/* Adding a source: the one path from what a person gave (a command line or
 * an admin API body) to a stored source. Each value is checked by the kind
 * its connector's settings table gives it, secrets given in clear are
 * sealed with the master key, the connection is checked (which also learns
 * the source's time zone), and only then is the row written. Both `source
 * add` and POST /api/sources come here, so the rules cannot drift apart. */
#ifndef MS_ENGINE_SOURCES_H
#define MS_ENGINE_SOURCES_H

#include "connectors/connector.h"
#include "core/secret.h"
#include "store/store.h"

#define SOURCE_SETTINGS_MAX 32 /* settings of one connector */
#define SOURCE_TEXT_MAX 512    /* bytes of a text setting */
#define SOURCE_FIELD_MAX 64    /* bytes of the name of what was wrong */

/* How one secret of a new source is given: at most one of the three. */
struct source_secret_in {
  const char *env;   /* an environment variable, read again at each sync */
  const char *file;  /* a file, read again at each sync */
  const char *plain; /* the value itself: stored sealed, never in clear */
};

/* A source to add. Indexes are those of conn->settings. */
struct source_new {
  const char *name;
  const struct connector *conn;
  const char *values[SOURCE_SETTINGS_MAX]; /* as typed (a list: "a,b"); NULL: not given */
  struct source_secret_in secrets[SOURCE_SETTINGS_MAX];
  const char *streams; /* "orders,products"; NULL: every stream */
  const char *account; /* the owning account's name; NULL: none */
  int no_check;        /* save without the connection check */
  int flag_names;      /* name settings in messages as options ("--api-base"), not
                          by their keys ("api_base") */
};

/* What adding did, or where it stopped. */
struct source_made {
  char field[SOURCE_FIELD_MAX]; /* on MS_EINVAL and friends: the setting's key, "name",
                                   "streams", "account" or "connection" */
  int check_failed;             /* the connection check failed: nothing was saved */
  int key_created;              /* the master key was made to seal a secret */
  char key_id[KEY_ID_LEN + 1];  /* the sealing key's id, when a secret was sealed */
  char timezone[64];            /* the zone the source's days are counted in; "" unknown */
  int64_t id;                   /* the stored source */
};

/* Whether a source (account, user) name is usable: 1-63 letters, digits,
 * '-', '_' or '.'. */
int source_name_ok(const char *name);

/* The index of a setting in the connector's table, or -1. */
int source_setting_index(const struct connector *c, const char *key);

/* Checks, seals, checks the connection, stores. MS_EINVAL (a value),
 * MS_EEXIST (the name), MS_ENOTFOUND (the account), MS_EKEY (the master
 * key), or the check's code with out->check_failed; err has one sentence
 * that never holds a secret. keyfile is where the master key is (MAY be
 * NULL when no secret is given in clear). */
int source_create(struct store *st, const char *keyfile, const struct source_new *in,
                  struct source_made *out, struct err *err);

#endif
