/* The declarative rest connector: any REST API a spec describes (see
 * rest_spec.h and docs/connectors/rest.md). The specs built into the binary
 * (admitad, boostiny) are connectors of their own, added like any other;
 * `rest` takes a user's spec file (--spec FILE). */
#ifndef MS_CONNECTORS_REST_H
#define MS_CONNECTORS_REST_H

#include <stddef.h>

#include "connectors/connector.h"

/* A spec built into the binary (generated from src/connectors/specs/). */
struct rest_embedded {
  const char *name; /* its file's name without .json: "admitad" */
  const char *text; /* the JSON */
  size_t len;
};

/* NULL-terminated (by name). */
extern const struct rest_embedded rest_embedded_specs[];

/* The text of a built-in spec, or NULL. */
const struct rest_embedded *rest_embedded_find(const char *name);

/* Fills out with the connectors of the built-in specs, then `rest`; at most
 * max; returns how many. A built-in spec that does not read is left out
 * (tests/unit/test_rest.c makes sure none is). */
size_t rest_connectors(const struct connector **out, size_t max);

/* Reads a spec file and checks it entirely, the way `source add rest` and
 * a sync will: MS_EINVAL with a sentence naming the field. On success
 * *out is the connector it describes (kept for the life of the process). */
int rest_load_file(const char *path, const struct connector **out, struct err *err);

#endif
