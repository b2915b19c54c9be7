/* The rest connector's credentials: an API key in a header (with or without
 * a scheme), a bearer token, or OAuth2 client credentials (HTTP Basic or in
 * the body) with the refresh token the answer gives. Tokens live in memory
 * only and are wiped when dropped; no message repeats a secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "connectors/rest_state.h"
#include "util/json.h"

#define RENEW_EARLY_MAX 600 /* renew at most this long before a token expires */
#define TOKEN_LIFE_DEFAULT 3600
#define TOKEN_MAX 8192 /* bytes of a token we keep */

static void wipe(char **s) {
  if (*s) {
    sodium_memzero(*s, strlen(*s));
    free(*s);
    *s = NULL;
  }
}

void rest_auth_forget(struct rest_state *rs) {
  wipe(&rs->access);
  wipe(&rs->refresh);
  rs->renew_at = 0;
}

void rest_redact(const struct rest_state *rs, char *text, size_t n) {
  const struct source *src = rs->src;
  const char *mine[] = {rs->access, rs->refresh};
  for (int i = 0; text && src && i < src->nsecrets + 2; i++) {
    const char *sec = i < src->nsecrets ? src->secrets[i].value : mine[i - src->nsecrets];
    size_t len = sec ? strlen(sec) : 0;
    char *hit;
    if (len < 4)
      continue; /* too short to tell from ordinary words */
    while ((hit = strstr(text, sec)) != NULL) {
      const char *mark = "[secret]";
      size_t rest = strlen(hit + len), mlen = strlen(mark);
      if ((size_t)(hit - text) + mlen + rest >= n)
        mlen = 0;
      memmove(hit + mlen, hit + len, rest + 1);
      memcpy(hit, mark, mlen);
    }
  }
}

int rest_auth_header(struct rest_state *rs, struct http_request *req) {
  const struct rest_auth *a = &rs->spec->auth;
  char value[SECRET_MAX + 64];
  const char *secret;
  int rc;
  switch (a->kind) {
  case AUTH_API_KEY:
    secret = source_secret(rs->src, a->secret);
    snprintf(value, sizeof(value), "%s%s%s", a->scheme ? a->scheme : "", a->scheme ? " " : "",
             secret ? secret : "");
    rc = http_request_header(req, a->header, value, 1);
    sodium_memzero(value, sizeof(value));
    return rc;
  case AUTH_BEARER:
    secret = source_secret(rs->src, a->secret);
    snprintf(value, sizeof(value), "Bearer %s", secret ? secret : "");
    rc = http_request_header(req, "Authorization", value, 1);
    sodium_memzero(value, sizeof(value));
    return rc;
  case AUTH_OAUTH2:
    snprintf(value, sizeof(value), "Bearer %s", rs->access ? rs->access : "");
    rc = http_request_header(req, "Authorization", value, 1);
    sodium_memzero(value, sizeof(value));
    return rc;
  default:
    return MS_OK;
  }
}

int rest_auth_needed(void *state, int64_t now) {
  struct rest_state *rs = state;
  return rs->spec->auth.kind == AUTH_OAUTH2 && (!rs->access || now >= rs->renew_at);
}

static int form_field(struct buf *b, const char *name, const char *value) {
  int rc = buf_printf(b, "%s%s=", b->len ? "&" : "", name);
  return rc ? rc : buf_url_encode(b, value);
}

/* Authorization: Basic base64(id:secret), as a secret header. */
static int basic_header(struct rest_state *rs, struct http_request *req) {
  const char *secret = source_secret(rs->src, rs->spec->auth.client_secret);
  size_t n = strlen(rs->client_id) + 1 + strlen(secret ? secret : "");
  size_t b64 = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
  char *pair = malloc(n + 1), *value = malloc(b64 + 8);
  int rc = MS_ENOMEM;
  if (pair && value) {
    snprintf(pair, n + 1, "%s:%s", rs->client_id, secret ? secret : "");
    memcpy(value, "Basic ", 6);
    sodium_bin2base64(value + 6, b64, (const unsigned char *)pair, n,
                      sodium_base64_VARIANT_ORIGINAL);
    rc = http_request_header(req, "Authorization", value, 1);
    sodium_memzero(pair, n);
    sodium_memzero(value, b64 + 6);
  }
  free(pair);
  free(value);
  return rc;
}

int rest_auth_request(void *state, struct http_request *req, struct err *err) {
  struct rest_state *rs = state;
  const struct rest_auth *a = &rs->spec->auth;
  const char *secret = source_secret(rs->src, a->client_secret);
  int rc;
  snprintf(req->method, sizeof(req->method), "POST");
  snprintf(req->endpoint, sizeof(req->endpoint), "auth");
  rc = buf_puts(&req->url, rs->token_url);
  rs->refreshing = a->refresh && rs->refresh;
  if (!rc && rs->refreshing) {
    /* The refresh grant names the client in the body. */
    rc = form_field(&req->body, "grant_type", "refresh_token");
    if (!rc)
      rc = form_field(&req->body, "client_id", rs->client_id);
    if (!rc)
      rc = form_field(&req->body, "client_secret", secret ? secret : "");
    if (!rc)
      rc = form_field(&req->body, "refresh_token", rs->refresh);
  } else if (!rc) {
    rc = form_field(&req->body, "grant_type", "client_credentials");
    if (!rc)
      rc = form_field(&req->body, "client_id", rs->client_id);
    if (!rc && !a->basic)
      rc = form_field(&req->body, "client_secret", secret ? secret : "");
    if (!rc && a->scope)
      rc = form_field(&req->body, "scope", a->scope);
    if (!rc && a->basic)
      rc = basic_header(rs, req);
  }
  if (!rc)
    rc = http_request_header(req, "Content-Type", "application/x-www-form-urlencoded", 0);
  if (!rc)
    rc = http_request_header(req, "Accept", "application/json", 0);
  return rc ? err_set(err, rc, "cannot build the token request") : MS_OK;
}

/* OAuth's codes that say the client itself is refused. */
static int client_refused(const char *code) {
  return code && (strcmp(code, "invalid_client") == 0 || strcmp(code, "unauthorized_client") == 0);
}

static char *keep_token(const char *t) {
  return t && *t && strlen(t) <= TOKEN_MAX ? strdup(t) : NULL;
}

int rest_parse_auth(void *state, const struct http_response *res, int64_t now, struct err *err) {
  struct rest_state *rs = state;
  const char *title = rs->spec->title;
  cJSON *root = res->body.len ? cJSON_ParseWithLength(res->body.data, res->body.len) : NULL;
  const char *token = jstr(root, "access_token"), *code = jstr(root, "error");
  char why[300];
  int64_t life = jint(root, "expires_in", TOKEN_LIFE_DEFAULT), early;
  int rc = MS_OK;
  snprintf(why, sizeof(why), "%s%s%s", code ? code : "no error code",
           jstr(root, "error_description") ? ": " : "",
           jstr(root, "error_description") ? jstr(root, "error_description") : "");
  rest_redact(rs, why, sizeof(why));
  if (res->status == 200 && token && *token) {
    const char *refresh = jstr(root, "refresh_token");
    wipe(&rs->access);
    rs->access = keep_token(token);
    if (refresh && *refresh) {
      wipe(&rs->refresh);
      rs->refresh = keep_token(refresh);
    }
    if (life <= 0 || life > 86400 * 365)
      life = TOKEN_LIFE_DEFAULT;
    early = life / 10 < RENEW_EARLY_MAX ? life / 10 : RENEW_EARLY_MAX;
    rs->renew_at = now + life - early;
    rc = rs->access ? MS_OK
                    : err_set(err, MS_EPROTO, "%s sent an access token we cannot keep", title);
  } else if (res->status == 429 || res->status == 503) {
    rc = err_set(err, MS_ERATELIMIT, "%s is rate-limiting token requests (HTTP %ld)", title,
                 res->status);
  } else if (res->status >= 500 || res->status == 0) {
    rc = err_set(err, MS_ETRANSIENT, "%s's token endpoint answered HTTP %ld", title, res->status);
  } else if (rs->refreshing && !client_refused(code)) {
    /* A refresh token that no longer works: the client credentials ask
     * for a new pair. */
    wipe(&rs->refresh);
    rc = err_set(err, MS_ETRANSIENT,
                 "%s refused the refresh token (HTTP %ld, %s); asking for a new token with the "
                 "client credentials",
                 title, res->status, why);
  } else if (res->status == 401 || client_refused(code)) {
    rc = err_set(err, MS_EAUTH,
                 "%s refused the client credentials (HTTP %ld, %s); check the client id and the "
                 "client secret",
                 title, res->status, why);
  } else if (code) {
    rc = err_set(err, MS_EFATAL, "%s refused the token request (HTTP %ld, %s)", title, res->status,
                 why);
  } else {
    const char *what = json_body_kind(res->body.data, res->body.len);
    rc = err_set(err, MS_ETRANSIENT,
                 "%s's token endpoint answered HTTP %ld with %s instead of a token; trying again",
                 title, res->status,
                 what                 ? what
                 : res->status == 200 ? "a JSON answer without an access token"
                                      : "a JSON answer without an error code");
  }
  rs->refreshing = 0;
  cJSON_Delete(root);
  return rc;
}

void rest_auth_expired(void *state) {
  struct rest_state *rs = state;
  /* The refresh token stays: it asks for the next access token. */
  wipe(&rs->access);
  rs->renew_at = 0;
}
