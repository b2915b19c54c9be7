/* A spec: what the declarative rest connector knows of one API, read from
 * JSON (docs/connectors/rest.md describes the format). Reading checks every
 * field and says which one is wrong and what it expects; a spec that reads
 * gives stream descriptions the store and the engine accept as they are.
 *
 * Values that depend on the source or the slice are templates: text with
 * {NAME} or {NAME:FORMAT} in it, NAME a setting of the spec (client_id,
 * website, api_base, ...) or one of the slice's: day, day_start, day_end,
 * day_last (days), since, until (update-time windows). FORMAT is a pattern
 * of yyyy mm dd HH MM SS ("dd.mm.yyyy"), or iso, iso_utc, unix. "{{" is a
 * brace. */
#ifndef MS_CONNECTORS_REST_SPEC_H
#define MS_CONNECTORS_REST_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "connectors/connector.h"

#define REST_SPEC_MAX (256 * 1024) /* bytes of a spec */
#define REST_SETTINGS_MAX 16       /* settings a spec declares */
#define REST_STREAMS_MAX 12        /* top-level streams of a spec */
#define REST_CHILDREN_MAX 4        /* children of one stream */
#define REST_PARAMS_MAX 16         /* parameters of one request kind */
#define REST_HEADERS_MAX 8         /* extra headers of every request */
#define REST_RULES_MAX 16          /* error rules */
#define REST_STATUSES_MAX 8        /* statuses that mean "throttled" */
#define REST_MESSAGE_PATHS 4       /* where an error's text may be */

/* Where a template is used: what it may refer to. */
enum rest_scope {
  TPL_SETTINGS = 1 << 0, /* the source's settings */
  TPL_DAY = 1 << 1,      /* day, day_start, day_end, day_last */
  TPL_WINDOW = 1 << 2,   /* since, until */
};

/* One query parameter: its name and a template of its value. A parameter
 * whose value refers to {since} is left out when the window starts at the
 * beginning (a first full pass). */
struct rest_param {
  const char *name;  /* as sent, URL-encoded */
  const char *value; /* template */
};

struct rest_params {
  struct rest_param v[REST_PARAMS_MAX];
  int n;
};

enum rest_paging {
  PAGING_NONE = 1, /* one request is the whole list */
  PAGING_OFFSET,   /* limit and offset, done at the total or a short page (Admitad) */
  PAGING_PAGE,     /* page numbers, done at the total or a short page (Boostiny) */
  PAGING_CURSOR,   /* a token in the answer names the next page */
  PAGING_LINK,     /* the next page's URL: Link header (rel="next") or a member */
};

struct rest_paging_def {
  enum rest_paging kind;
  const char *limit_param;  /* the page size's parameter; MAY be NULL (none sent) */
  int limit;                /* the page size asked for */
  const char *offset_param; /* PAGING_OFFSET */
  const char *page_param;   /* PAGING_PAGE */
  int first_page;           /* PAGING_PAGE: the first page's number (1) */
  const char *total;        /* path of the number of records in all; MAY be NULL */
  const char *per_page;     /* PAGING_PAGE: path of the page size the API used; MAY be NULL */
  const char *cursor;       /* PAGING_CURSOR: path of the next page's token */
  const char *cursor_param; /* PAGING_CURSOR: the parameter that carries it */
  const char *next_url;     /* PAGING_LINK: path of the next URL; NULL: the Link header */
};

/* One stream of the spec: the description the core uses, and how its
 * requests are made and its answers read. */
struct rest_stream {
  struct stream_def def;            /* what the engine and the store see */
  const char *path;                 /* template appended to the API base */
  struct rest_params params;        /* every request's first page */
  struct rest_params day_params;    /* a day's first page */
  struct rest_params window_params; /* an update-time window's first page */
  const char *records;              /* path of the list in the answer; "" the answer itself */
  const char *day_member;           /* the member each record gets with its slice's day (rows
                                       that carry no date); MAY be NULL */
  struct rest_paging_def paging;    /* how pages follow each other */
  int uses_until;                   /* window parameters refer to {until} */
};

enum rest_auth_kind {
  AUTH_NONE = 1,
  AUTH_API_KEY, /* a secret in a header, with or without a scheme */
  AUTH_BEARER,  /* Authorization: Bearer SECRET */
  AUTH_OAUTH2,  /* client credentials grant (HTTP Basic or body), refreshed */
};

struct rest_auth {
  enum rest_auth_kind kind;
  const char *header;        /* API_KEY: the header's name (Authorization) */
  const char *scheme;        /* API_KEY: "Token", ...; NULL: the key alone */
  const char *secret;        /* API_KEY, BEARER: the secret setting's key */
  const char *token_url;     /* OAUTH2: template */
  const char *client_id;     /* OAUTH2: template */
  const char *client_secret; /* OAUTH2: the secret setting's key */
  const char *scope;         /* OAUTH2: space-separated; MAY be NULL */
  int basic;                 /* OAUTH2: client id and secret as HTTP Basic, else in the body */
  int refresh;               /* OAUTH2: use the refresh token the answer gives */
};

/* What an error answer means. */
enum rest_meaning {
  MEANS_THROTTLED = 1, /* slow down: wait as told (Retry-After) or back off */
  MEANS_LOCKED_OUT,    /* the credentials are shut out for a while: stop the source */
  MEANS_EXPIRED,       /* the token expired: refresh it and send again */
  MEANS_AUTH,          /* the credentials are refused */
  MEANS_SCOPE,         /* the credentials may not read this stream */
  MEANS_CURSOR,        /* the page cursor was refused: start the slice again */
  MEANS_TRANSIENT,     /* try again later */
  MEANS_FATAL,         /* the request is wrong: sending it again changes nothing */
};

struct rest_rule {
  long status;          /* the HTTP status; 0: any */
  int has_code;         /* code below is compared */
  const char *code;     /* the error code's text (a number as written) */
  const char *contains; /* words the message holds (any case); MAY be NULL */
  enum rest_meaning means;
  int wait_minutes; /* LOCKED_OUT: the wait is the first number in the message, in
                       minutes, when no Retry-After says it */
};

struct rest_errors {
  const char *message[REST_MESSAGE_PATHS]; /* paths of the error's text, first found wins */
  int nmessage;
  const char *code; /* path of the error's code; MAY be NULL */
  struct rest_rule rules[REST_RULES_MAX];
  int nrules;
};

struct rest_rate {
  double requests; /* requests allowed ... */
  double per;      /* ... per this many seconds */
  double pace;     /* the share of it we use (0.9) */
  double burst;    /* requests sent at once at the start; 0: what the limit leaves */
  long throttled[REST_STATUSES_MAX]; /* statuses that mean "too many requests" */
  int nthrottled;
};

struct rest_setting {
  struct setting_def def; /* as `source add` and its help use it */
  const char *fallback;   /* template of the value when none is given; MAY be NULL */
};

struct rest_header {
  const char *name;
  const char *value; /* template */
};

struct rest_spec {
  const char *name;     /* the connector's name ("admitad") */
  const char *title;    /* for lists and help */
  const char *base_url; /* the API base when --api-base is not given */
  const char *timezone; /* the zone of the source's days when --timezone is not given */
  struct rest_setting settings[REST_SETTINGS_MAX + 3]; /* the spec's, then api_base, timezone */
  int nsettings;
  struct setting_def setting_defs[REST_SETTINGS_MAX + 4]; /* the same, {NULL}-terminated */
  struct rest_header headers[REST_HEADERS_MAX];
  int nheaders;
  struct rest_auth auth;
  const char *probe_path;          /* template; NULL: no probe */
  struct rest_params probe_params; /* the probe's */
  struct rest_rate rate;
  struct rest_errors errors;
  struct rest_stream *streams[REST_STREAMS_MAX]; /* owned */
  int nstreams;
  const struct stream_def *stream_list[REST_STREAMS_MAX + 1]; /* NULL-terminated */
  struct endpoint_def endpoints[2];                           /* "api", then {NULL} */
  const char *text;                                           /* the spec as given */
  uint64_t hash;                                              /* of the text */
  void *arena; /* every string and description above lives here */
};

/* Reads a spec. MS_EINVAL with a sentence naming the field ("streams[1].
 * pagination.type") and what it expects; `origin` (a file name) opens it.
 * out belongs to the caller on success. */
int rest_spec_parse(const char *text, size_t len, const char *origin, struct rest_spec **out,
                    struct err *err);
void rest_spec_free(struct rest_spec *spec);

/* The setting of that key, or NULL. */
const struct rest_setting *rest_spec_setting(const struct rest_spec *spec, const char *key);
/* The spec's stream that owns def (or whose child def is), or NULL. */
const struct rest_stream *rest_spec_stream(const struct rest_spec *spec,
                                           const struct stream_def *def);

/* ---- templates (rest_template.c) ---------------------------------------- */

/* Checks a template: braces that close, names the scope allows (settings
 * by the spec's keys), formats that fit them. field names it in the
 * message. */
int rest_template_check(const struct rest_spec *spec, const char *tpl, int scope, const char *field,
                        struct err *err);
/* Whether the template refers to the variable ("since"). */
int rest_template_refers(const char *tpl, const char *name);

/* What a template's variables stand for now. */
struct rest_vars {
  const void *settings;  /* the source's settings (cJSON object); MAY be NULL */
  struct tz *zone;       /* the source's zone, for days and times */
  int has_day;           /* day, day_start, day_end, day_last are set */
  struct civil_date day; /* the slice's day */
  int64_t day_start;     /* its first instant, UTC */
  int64_t day_end;       /* the next day's first instant */
  int has_window;        /* since and until are set */
  int64_t since;         /* where the window starts, UTC (0: the beginning) */
  int64_t until;         /* where the pass ends, UTC */
};

/* Appends the template's text with the variables' values; url: values are
 * URL-encoded (the template's own text is written as it is). MS_EINVAL with
 * a sentence when a setting it names has no value. */
int rest_template_expand(const char *tpl, const struct rest_vars *vars, int url, struct buf *out,
                         struct err *err);

#endif
