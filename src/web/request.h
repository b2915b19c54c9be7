/* An admin API request as the routes see it: the path split into segments,
 * the query decoded into names and values, the body parsed as JSON, the
 * bearer token picked out. Parsing never trusts its input: every part has a
 * bound, and what is wrong is said in one sentence naming the part (the
 * fuzz target tests/fuzz/fuzz_api_request.c drives this file). */
#ifndef MS_WEB_REQUEST_H
#define MS_WEB_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define API_PATH_MAX 1024        /* bytes of a path */
#define API_SEGMENTS_MAX 8       /* /api/sources/NAME/calendar ... */
#define API_SEGMENT_MAX 128      /* bytes of one decoded segment */
#define API_PARAMS_MAX 32        /* query parameters */
#define API_PARAM_MAX 512        /* bytes of one decoded name or value */
#define API_BODY_MAX (64 * 1024) /* bytes of a JSON body */
#define API_JSON_DEPTH 16        /* nesting of a JSON body */

struct api_param {
  char *name;  /* decoded, owned */
  char *value; /* decoded, owned; "" when given without '=' */
};

struct api_request {
  char method[8];
  char *segments[API_SEGMENTS_MAX]; /* decoded, owned: "api", "sources", "alpha" */
  int nsegments;
  struct api_param params[API_PARAMS_MAX];
  int nparams;
  cJSON *body;     /* NULL when there is none */
  char token[256]; /* the bearer token, "" when none */
};

/* What is wrong with a request: an HTTP status (4xx), a short code, the
 * part it concerns ("path", "query", "body", or a field name) and a
 * sentence. */
struct api_error {
  int status;
  char code[32];
  char field[64];
  char message[256];
};

/* Parses a request. authorization is the Authorization header (MAY be
 * NULL); body is body_len bytes (MAY be NULL), body_truncated when the
 * server kept only its start. 0, or the status of what is wrong (with e
 * filled). Release with api_request_release in both cases. */
int api_request_parse(const char *method, const char *path, const char *query,
                      const char *authorization, const char *body, size_t body_len,
                      int body_truncated, struct api_request *out, struct api_error *e);
void api_request_release(struct api_request *r);

/* Fills e and returns status. */
int api_error_set(struct api_error *e, int status, const char *code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The query parameter's value, or NULL. */
const char *api_param(const struct api_request *r, const char *name);

/* Reads a query parameter as an integer in [lo, hi]; def when absent. */
int api_param_int(const struct api_request *r, const char *name, int64_t lo, int64_t hi,
                  int64_t def, int64_t *out, struct api_error *e);

/* Body fields, checked: a string of 1..max bytes (required or not), an
 * integer in [lo, hi], a boolean, a list of names. 0 or the status. *out is
 * NULL (absent) or the body's own string. */
int api_body_string(const struct api_request *r, const char *field, size_t max, int required,
                    const char **out, struct api_error *e);
int api_body_int(const struct api_request *r, const char *field, int64_t lo, int64_t hi,
                 int64_t def, int64_t *out, struct api_error *e);
int api_body_bool(const struct api_request *r, const char *field, int def, int *out,
                  struct api_error *e);

#endif
