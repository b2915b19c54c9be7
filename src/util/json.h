/* JSON helpers over cJSON (chosen by measurement: bench/json_choice.md) for
 * connectors and commands: typed reads that never trust the shape of what an
 * API sent, and a streaming walk over the elements of a top-level list that
 * hands out each element's exact bytes, so the raw JSON we store is what the
 * API sent, not a re-serialisation. */
#ifndef MS_UTIL_JSON_H
#define MS_UTIL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/err.h"

/* The string at key, or NULL when absent, null or not a string. */
const char *jstr(const cJSON *obj, const char *key);
/* A copy of the string at key (caller frees), or NULL. */
char *jstrdup(const cJSON *obj, const char *key);
/* An id given as an integer (exact up to 2^53) or a string, as text (caller
 * frees); NULL when absent, fractional, too large or empty. */
char *jid(const cJSON *obj, const char *key);
/* An integer (or an integer string); def when absent or invalid. */
int64_t jint(const cJSON *obj, const char *key, int64_t def);
/* The member a dotted path names: "total_price", "customer.id",
 * "transactions.0.amount" (a number indexes a list). NULL when any step is
 * missing or the path is longer than 256 bytes. */
const cJSON *json_path(const cJSON *root, const char *path);

/* An index of one object's members by name, for reading many of them (a
 * record read column by column): a lookup hashes the name instead of
 * comparing it with every member before the one it names. Like
 * cJSON_GetObjectItemCaseSensitive, it finds the first of members named
 * alike. An object of more than JSON_INDEX_MEMBERS members is searched
 * member by member. */
#define JSON_INDEX_MEMBERS 128
#define JSON_INDEX_SLOTS (2 * JSON_INDEX_MEMBERS) /* half empty at most: probes stay short */

struct json_index {
  const cJSON *obj; /* the object; borrowed */
  size_t mask;      /* slots in use - 1 (a power of two less one); 0: search obj instead */
  struct {
    uint32_t hash;     /* of the member's name */
    const cJSON *item; /* the member; NULL: a free slot */
  } slot[JSON_INDEX_SLOTS];
};

/* Indexes obj's members; obj MAY be NULL or not an object (nothing found). */
void json_index_build(struct json_index *ix, const cJSON *obj);
/* The member named by the `len` bytes of name, or NULL. */
const cJSON *json_index_get(const struct json_index *ix, const char *name, size_t len);
/* json_path() from the indexed object: its first step through the index. */
const cJSON *json_index_path(const struct json_index *ix, const char *path);

/* Compact JSON text of v (caller frees), with its length. */
char *jdump(const cJSON *v, size_t *len);
/* What a body that should be JSON is instead, in words for a message: "an
 * empty body", "an HTML page", "a body that is not UTF-8", "a cut JSON body"
 * (valid JSON that stops before its end) or "malformed JSON"; NULL when it is
 * one whole JSON value. */
const char *json_body_kind(const char *body, size_t len);
/* Whether the body is an HTML page (a login page, a proxy's or a web
 * server's error page) rather than an API answer. */
int json_body_is_html(const char *body, size_t len);

/* Parses a whole document; NULL with a message naming the offset. */
cJSON *jparse(const char *text, size_t len, struct err *err);

/* Installs cJSON's allocation hooks, through which json_each_at parses each
 * element into an arena of its own. Process-wide: call it before other
 * threads use cJSON (json_each_at calls it too, once). */
void json_init(void);

/* Called for each element of the list; raw/rawlen are its bytes in the
 * body. elem lives until fn returns: fn MUST NOT keep, detach or delete
 * any part of it. A non-zero return stops the walk and is returned. */
typedef int (*json_elem_fn)(void *ctx, const cJSON *elem, const char *raw, size_t rawlen);

/* body MUST be a JSON object; for each element of the array under `key`,
 * calls fn. Other members are parsed and skipped. MS_ENOTFOUND when the key
 * is absent, MS_EPROTO (with the byte offset) when the body is not valid
 * JSON of that shape. */
int json_each_in(const char *body, size_t len, const char *key, json_elem_fn fn, void *ctx,
                 struct err *err);
/* The same for a list at a dotted path of object members ("payload.data");
 * an empty path means the body itself is the list. */
int json_each_at(const char *body, size_t len, const char *path, json_elem_fn fn, void *ctx,
                 struct err *err);

#endif
