#include "web/request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"

int api_error_set(struct api_error *e, int status, const char *code, const char *field,
                  const char *fmt, ...) {
  va_list ap;
  e->status = status;
  snprintf(e->code, sizeof(e->code), "%s", code);
  snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof(e->message), fmt, ap);
  va_end(ap);
  return status;
}

static int hex(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Percent-decodes n bytes of s ('+' is a space in a query) into a new
 * string of at most max bytes. NULL when malformed, too long, or holding a
 * NUL or control byte. */
static char *decode(const char *s, size_t n, size_t max, int plus_space) {
  char *out = malloc(n + 1);
  size_t o = 0;
  if (!out)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    int c = (unsigned char)s[i];
    if (c == '%') {
      if (i + 2 >= n || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) {
        free(out);
        return NULL;
      }
      c = hex(s[i + 1]) * 16 + hex(s[i + 2]);
      i += 2;
    } else if (c == '+' && plus_space) {
      c = ' ';
    }
    if (c < 0x20 || c == 0x7f || o >= max) {
      free(out);
      return NULL;
    }
    out[o++] = (char)c;
  }
  out[o] = '\0';
  return out;
}

static int parse_path(const char *path, struct api_request *r, struct api_error *e) {
  const char *p = path;
  if (!path || path[0] != '/')
    return api_error_set(e, 400, "invalid", "path", "the path must start with /");
  if (strlen(path) > API_PATH_MAX)
    return api_error_set(e, 414, "too_long", "path", "the path is longer than %d bytes",
                         API_PATH_MAX);
  while (*p) {
    size_t n;
    p++; /* the '/' */
    n = strcspn(p, "/");
    if (n == 0) {
      if (!p[0])
        break; /* a trailing slash */
      return api_error_set(e, 404, "not_found", "path", "the path has an empty segment");
    }
    if (r->nsegments == API_SEGMENTS_MAX)
      return api_error_set(e, 404, "not_found", "path", "no route has that many segments");
    r->segments[r->nsegments] = decode(p, n, API_SEGMENT_MAX, 0);
    if (!r->segments[r->nsegments])
      return api_error_set(e, 400, "invalid", "path",
                           "a path segment is badly encoded or longer than %d bytes",
                           API_SEGMENT_MAX);
    r->nsegments++;
    p += n;
  }
  return 0;
}

static int parse_query(const char *query, struct api_request *r, struct api_error *e) {
  const char *p = query;
  while (p && *p) {
    size_t n = strcspn(p, "&"), k;
    if (n) {
      if (r->nparams == API_PARAMS_MAX)
        return api_error_set(e, 400, "invalid", "query", "more than %d query parameters",
                             API_PARAMS_MAX);
      k = strcspn(p, "=");
      if (k > n)
        k = n;
      r->params[r->nparams].name = decode(p, k, API_PARAM_MAX, 1);
      r->params[r->nparams].value =
          k < n ? decode(p + k + 1, n - k - 1, API_PARAM_MAX, 1) : strdup("");
      if (!r->params[r->nparams].name || !r->params[r->nparams].value) {
        free(r->params[r->nparams].name);
        free(r->params[r->nparams].value);
        r->params[r->nparams].name = r->params[r->nparams].value = NULL;
        return api_error_set(e, 400, "invalid", "query",
                             "a query parameter is badly encoded or longer than %d bytes",
                             API_PARAM_MAX);
      }
      for (int i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].name, r->params[r->nparams].name) == 0) {
          api_error_set(e, 400, "invalid", r->params[i].name, "the parameter is given twice");
          r->nparams++;
          return e->status;
        }
      r->nparams++;
    }
    p += n;
    if (*p == '&')
      p++;
  }
  return 0;
}

/* How deep the JSON text nests, without parsing it: cJSON recurses, so a
 * body of a million '[' is refused before it gets there. */
static int too_deep(const char *s, size_t n) {
  int depth = 0, in_string = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = 0;
    } else if (c == '"') {
      in_string = 1;
    } else if (c == '[' || c == '{') {
      if (++depth > API_JSON_DEPTH)
        return 1;
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  return 0;
}

static int parse_body(const char *body, size_t len, int truncated, struct api_request *r,
                      struct api_error *e) {
  size_t i = 0;
  while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
    i++;
  if (!body || i == len)
    return 0; /* no body */
  if (truncated || len > API_BODY_MAX)
    return api_error_set(e, 413, "too_large", "body", "the body is larger than %d bytes",
                         API_BODY_MAX);
  if (memchr(body, '\0', len))
    return api_error_set(e, 400, "invalid", "body", "the body holds a NUL byte");
  if (too_deep(body, len))
    return api_error_set(e, 400, "invalid", "body", "the JSON body nests deeper than %d levels",
                         API_JSON_DEPTH);
  r->body = cJSON_ParseWithLength(body, len);
  if (!r->body)
    return api_error_set(e, 400, "invalid", "body", "the body is not valid JSON");
  if (!cJSON_IsObject(r->body))
    return api_error_set(e, 400, "invalid", "body", "the body must be a JSON object");
  return 0;
}

static int parse_token(const char *authorization, struct api_request *r, struct api_error *e) {
  size_t n;
  if (!authorization || !*authorization)
    return 0;
  if (strncasecmp(authorization, "Bearer ", 7) != 0)
    return api_error_set(e, 401, "unauthorized", "Authorization",
                         "the Authorization header takes \"Bearer TOKEN\"");
  authorization += 7;
  while (*authorization == ' ')
    authorization++;
  n = strlen(authorization);
  while (n && authorization[n - 1] == ' ')
    n--;
  if (n == 0 || n >= sizeof(r->token))
    return api_error_set(e, 401, "unauthorized", "Authorization", "the bearer token is not one");
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)authorization[i] <= 0x20 || (unsigned char)authorization[i] >= 0x7f)
      return api_error_set(e, 401, "unauthorized", "Authorization", "the bearer token is not one");
  memcpy(r->token, authorization, n);
  r->token[n] = '\0';
  return 0;
}

int api_request_parse(const char *method, const char *path, const char *query,
                      const char *authorization, const char *body, size_t body_len,
                      int body_truncated, struct api_request *out, struct api_error *e) {
  int rc;
  memset(out, 0, sizeof(*out));
  memset(e, 0, sizeof(*e));
  if (!method || !*method || strlen(method) >= sizeof(out->method))
    return api_error_set(e, 405, "method_not_allowed", "method", "that method is not served");
  snprintf(out->method, sizeof(out->method), "%s", method);
  rc = parse_path(path, out, e);
  if (!rc)
    rc = parse_query(query, out, e);
  if (!rc)
    rc = parse_token(authorization, out, e);
  if (!rc)
    rc = parse_body(body, body_len, body_truncated, out, e);
  return rc;
}

void api_request_release(struct api_request *r) {
  for (int i = 0; i < r->nsegments; i++)
    free(r->segments[i]);
  for (int i = 0; i < r->nparams; i++) {
    free(r->params[i].name);
    free(r->params[i].value);
  }
  cJSON_Delete(r->body);
  memset(r, 0, sizeof(*r));
}

const char *api_param(const struct api_request *r, const char *name) {
  for (int i = 0; i < r->nparams; i++)
    if (strcmp(r->params[i].name, name) == 0)
      return r->params[i].value;
  return NULL;
}

int api_param_int(const struct api_request *r, const char *name, int64_t lo, int64_t hi,
                  int64_t def, int64_t *out, struct api_error *e) {
  const char *v = api_param(r, name);
  char *end;
  long long x;
  if (!v) {
    *out = def;
    return 0;
  }
  errno = 0;
  x = strtoll(v, &end, 10);
  if (errno || end == v || *end || x < lo || x > hi)
    return api_error_set(e, 400, "invalid", name, "%s takes a whole number from %lld to %lld", name,
                         (long long)lo, (long long)hi);
  *out = x;
  return 0;
}

int api_body_string(const struct api_request *r, const char *field, size_t max, int required,
                    const char **out, struct api_error *e) {
  const cJSON *v = r->body ? cJSON_GetObjectItemCaseSensitive(r->body, field) : NULL;
  *out = NULL;
  if (!v || cJSON_IsNull(v)) {
    if (required)
      return api_error_set(e, 400, "required", field, "%s is required", field);
    return 0;
  }
  if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > max)
    return api_error_set(e, 400, "invalid", field, "%s takes text of 1 to %zu bytes", field, max);
  for (const char *p = v->valuestring; *p; p++)
    if ((unsigned char)*p < 0x20)
      return api_error_set(e, 400, "invalid", field, "%s holds a control character", field);
  *out = v->valuestring;
  return 0;
}

int api_body_int(const struct api_request *r, const char *field, int64_t lo, int64_t hi,
                 int64_t def, int64_t *out, struct api_error *e) {
  const cJSON *v = r->body ? cJSON_GetObjectItemCaseSensitive(r->body, field) : NULL;
  if (!v || cJSON_IsNull(v)) {
    *out = def;
    return 0;
  }
  if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble ||
      v->valuedouble < (double)lo || v->valuedouble > (double)hi)
    return api_error_set(e, 400, "invalid", field, "%s takes a whole number from %lld to %lld",
                         field, (long long)lo, (long long)hi);
  *out = (int64_t)v->valuedouble;
  return 0;
}

int api_body_bool(const struct api_request *r, const char *field, int def, int *out,
                  struct api_error *e) {
  const cJSON *v = r->body ? cJSON_GetObjectItemCaseSensitive(r->body, field) : NULL;
  if (!v || cJSON_IsNull(v)) {
    *out = def;
    return 0;
  }
  if (!cJSON_IsBool(v))
    return api_error_set(e, 400, "invalid", field, "%s takes true or false", field);
  *out = cJSON_IsTrue(v);
  return 0;
}
