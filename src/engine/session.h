/* A source opened for work: the one way every caller (a command, the
 * scheduler, an HTTP route) turns a stored source into something the engine
 * can sync, probe or repair. */
#ifndef MS_ENGINE_SESSION_H
#define MS_ENGINE_SESSION_H

#include "connectors/connector.h"
#include "store/store.h"

struct session {
  struct source src;            /* the row, resolved settings and secrets, its zone */
  const struct connector *conn; /* its connector */
  void *cstate;                 /* the connector's state for this source */
};

enum session_flags {
  SESSION_ZONE = 1 << 0, /* the time zone is needed: when it was never learned, ask the API
                            (a probe) and keep the answer in the stored source */
};

/* Opens the named source: loads it, resolves its secrets, opens its
 * connector and, with SESSION_ZONE, makes sure its time zone is known.
 * MS_ENOTFOUND when no source has that name; any other failure means the
 * source exists but cannot be used now (err says why: a secret that is not
 * available, damaged settings, an API that cannot tell its zone). */
int session_open(struct store *st, const char *name, int flags, struct session *out,
                 struct err *err);
/* The same from a row already read; st MAY be NULL (then a learned zone is
 * not saved). */
int session_from_row(struct store *st, const struct source_row *row, int flags, struct session *out,
                     struct err *err);

/* Proves the credentials with one cheap request (a few retries) and learns
 * what the API tells of the source (its time zone); saves a zone that was
 * not known or changed into the stored source when st is given. */
int session_probe(struct store *st, struct session *s, struct err *err);

/* Releases everything; a zeroed session is fine. */
void session_close(struct session *s);

#endif
