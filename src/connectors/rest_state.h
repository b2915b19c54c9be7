/* What the rest connector keeps for one source, shared by its files:
 * rest.c (the connectors made of specs, settings, the source's state),
 * rest_page.c (requests, pages, verdicts) and rest_auth.c (credentials). */
#ifndef MS_CONNECTORS_REST_STATE_H
#define MS_CONNECTORS_REST_STATE_H

#include <cjson/cJSON.h>

#include "connectors/rest_spec.h"

struct rest_state {
  const struct rest_spec *spec; /* borrowed: specs live for the process */
  struct source *src;           /* borrowed */
  cJSON *settings;              /* the source's settings, parsed */
  const char *api_base;         /* the source's, else the spec's */
  /* OAuth2 client credentials */
  char *token_url;  /* expanded */
  char *client_id;  /* expanded; not a secret */
  char *access;     /* the access token; NULL when none */
  char *refresh;    /* the refresh token the last answer gave; NULL when none */
  int refreshing;   /* the token request in flight uses the refresh token */
  int64_t renew_at; /* UTC seconds: fetch a new token from then on */
};

/* The variables of templates outside any slice (settings only). */
void rest_vars_settings(const struct rest_state *rs, struct rest_vars *vars);

/* rest_auth.c: the credentials of every request, and the token
 * conversation (OAuth2 only). */
int rest_auth_header(struct rest_state *rs, struct http_request *req);
int rest_auth_needed(void *state, int64_t now);
int rest_auth_request(void *state, struct http_request *req, struct err *err);
int rest_parse_auth(void *state, const struct http_response *res, int64_t now, struct err *err);
void rest_auth_expired(void *state);
void rest_auth_forget(struct rest_state *rs);
/* Replaces every secret of the source in text (in place) by "[secret]". */
void rest_redact(const struct rest_state *rs, char *text, size_t n);

/* rest_page.c: requests and answers. */
int rest_page_request(void *state, const struct stream_def *def, const struct slice *sl,
                      struct http_request *req, struct err *err);
int rest_parse_page(void *state, const struct stream_def *def, const struct slice *sl,
                    const struct http_response *res, struct page *out, struct err *err);
void rest_classify(void *state, const struct http_response *res, struct verdict *v,
                   struct err *err);
int rest_probe_request(void *state, struct http_request *req, struct err *err);
int rest_parse_probe(void *state, const struct http_response *res, struct source *src,
                     struct err *err);
void rest_plan_day(const struct stream_def *def, double records, double *requests);

#endif
