/* Reading records by their stream's description: the id, the times, every
 * column and the children a record holds in its JSON. Connectors call it on
 * each element of a page; the failed-records retry calls it again on the
 * bytes kept. */
#ifndef MS_CORE_RECORD_H
#define MS_CORE_RECORD_H

#include "core/model.h"
#include "core/stream.h"
#include "util/json.h"
#include "util/tz.h"

/* What reading needs to know of the source. */
struct read_context {
  struct tz *zone;      /* reads times that carry no offset; MAY be NULL: UTC */
  const char *currency; /* for money whose record names no currency (a shop's products);
                           MAY be NULL: two decimals */
};

/* Reads one record of def from its JSON. raw/len are its bytes as the API
 * sent them (kept as the record's raw JSON; NULL: print them from json).
 * parent is the parent's JSON, for "^" paths (MAY be NULL). ctx MAY be
 * NULL. out MUST be zeroed. Its
 * children read from its JSON (def->children with a path) are read too,
 * without raw copies of their own (their parent's holds them).
 *
 * A record that cannot be read (not an object, no id, a time, number or
 * amount that is not one) comes back marked unreadable, with its bytes and
 * the reason, and MS_OK: the store keeps it aside. MS_ENOMEM is the only
 * failure. */
int record_read(const struct stream_def *def, const cJSON *json, const cJSON *parent,
                const char *raw, size_t len, const struct read_context *ctx, struct record *out);

/* The same for a child read as a follow-up (its own page): it keeps raw. */
int record_read_child(const struct stream_def *def, const cJSON *json, const char *raw, size_t len,
                      const struct read_context *ctx, struct record *out);

/* Reads a record again from the raw JSON kept for it (a failed record):
 * MS_EPROTO with the reason when it is not JSON or still unreadable. */
int record_reread(const struct stream_def *def, const char *raw, size_t len,
                  const struct read_context *ctx, struct record *out, struct err *err);

#endif
