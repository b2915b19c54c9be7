/* A source: one connection of an account to one API. Its stored row, and
 * the same made ready to sync: settings parsed, secrets read from where the
 * row says (held in memory only, wiped on release), time zone opened. */
#ifndef MS_CORE_SOURCE_H
#define MS_CORE_SOURCE_H

#include <stdint.h>

#include "core/model.h"
#include "util/err.h"
#include "util/tz.h"

#define SECRET_MAX 4096 /* bytes of a token we accept */

/* A configured connection to one API. Secrets are never stored here in
 * clear: `credentials` holds only where to find them (env var, file). */
struct source_row {
  int64_t id;
  char name[MS_NAME_MAX];      /* unique, chosen by the user */
  char connector[MS_NAME_MAX]; /* "shopify" */
  char *settings;              /* JSON object: shop, api_base, timezone, ... */
  char *credentials;           /* JSON object: {"token_env":"VAR"} etc. */
  int64_t created_at;
  int64_t last_sync_at;      /* 0 if never */
  char *last_error;          /* MAY be NULL */
  int64_t account_id;        /* the account that owns it; 0: none (admins only see it) */
  char account[MS_NAME_MAX]; /* that account's name when read; "" when none */
};

void source_row_release(struct source_row *s);

#define SOURCE_MAX_SECRETS 4

/* A named secret, resolved from where the credentials say (env or file). */
struct secret {
  char name[32]; /* "token", "client_secret", "refresh_token" */
  char *value;   /* never logged, wiped on release */
};

/* A source at run time: its stored row plus resolved settings and secrets
 * (secrets live only in memory and are wiped on release). */
struct source {
  struct source_row row; /* as stored */
  char *api_base;        /* e.g. "https://shop.myshopify.com" */
  char *timezone;        /* IANA id, MAY be NULL until probed */
  struct tz *tz;         /* opened timezone, MAY be NULL until probed */
  char *currency;        /* the source's own currency (a shop's), MAY be NULL until probed */
  char *secret;          /* the secret named "token", if any (borrowed from secrets) */
  struct secret secrets[SOURCE_MAX_SECRETS]; /* all resolved secrets */
  int nsecrets;
  int timezone_overridden; /* the user set --timezone */
};

/* The secret of that name, or NULL. */
const char *source_secret(const struct source *src, const char *name);

void source_release(struct source *src);

/* A source from its stored row (copied). The secrets are resolved (MS_EINVAL
 * with a clear message when a variable or file is missing); the time zone
 * is opened when known. */
int source_from_row(const struct source_row *row, struct source *out, struct err *err);
/* Opens src->timezone into src->tz (after a probe filled it). */
int source_open_tz(struct source *src, struct err *err);
/* Opens the time zone a stored row's settings name. MS_ENOTFOUND when the
 * settings name none (not yet learned), MS_EINVAL when they are damaged or
 * the zone is unknown. Needs no secrets. */
int source_row_zone(const struct source_row *row, struct tz **out, struct err *err);
/* Reads a secret from an environment variable or a file, trimmed. */
int secret_from_env(const char *var, char **out, struct err *err);
int secret_from_file(const char *path, char **out, struct err *err);

#endif
