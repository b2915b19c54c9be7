/* Turning a stored source row into a source ready to sync: settings parsed,
 * secret read from where the row says, time zone opened. */
#ifndef MS_CONNECTORS_SOURCE_H
#define MS_CONNECTORS_SOURCE_H

#include "connectors/connector.h"

#define SECRET_MAX 4096 /* bytes of a token we accept */

/* Loads the named source. The secret is resolved (MS_EINVAL with a clear
 * message when its variable or file is missing); the time zone is opened
 * when known. */
int source_load(struct store *st, const char *name, struct source *out, struct err *err);
/* Same, from a row already read (row is copied). */
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
