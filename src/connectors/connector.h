/* A connector speaks one API. It describes requests and parses responses;
 * the engine sends them, paces them, retries them and stores the results.
 * A connector never sleeps, retries or touches the database.
 *
 * Modelled on curl's protocol handlers: a descriptor plus a table of
 * functions, registered by name.
 */
#ifndef MS_CONNECTORS_CONNECTOR_H
#define MS_CONNECTORS_CONNECTOR_H

#include "core/model.h"
#include "core/record.h"
#include "core/stream.h"
#include "core/rate.h"
#include "core/source.h"
#include "net/http.h"
#include "util/err.h"
#include "util/tz.h"

/* A rate-limit class of an API and the model to start from. */
struct endpoint_def {
  const char *name;     /* "rest" */
  enum rate_model kind; /* leaky or token bucket */
  double size;          /* bucket size or burst */
  double rate;          /* leak or refill per second (a first guess) */
};

/* Classification of one response, decided by the connector (it knows the
 * API's ways) and acted on by the engine. */
struct verdict {
  int rc;             /* MS_OK, MS_ERATELIMIT, MS_ETRANSIENT, MS_EAUTH, MS_ECURSOR,
                         MS_EFATAL, MS_EPROTO */
  double retry_after; /* seconds the API asked us to wait; < 0: not said */
  int refresh;        /* with MS_EAUTH: the token may have expired; refresh, retry once */
  int source_wide;    /* every request of the source would fail alike (the host cannot
                         be reached, an HTML page answers instead of the API): a day
                         that fails this way skips the source's other days */
  int locked_out;     /* with MS_ERATELIMIT: the API shut the credentials out for
                         retry_after seconds (an abuse lockout, not a throttle): nothing
                         more is sent for the source in this run */
};

/* What a connector can do, for callers that must not test its name. */
enum connector_flags {
  CONN_ITEMS_FOLLOW = 1 << 0, /* an order's items come by follow-up requests (so they can be
                                 missing, and repair fetches them) */
};

/* What kind of value a setting takes. */
enum setting_kind {
  SETTING_TEXT = 1, /* free text (bounded) */
  SETTING_URL,      /* an http(s) base URL, checked with libcurl (net/url.h) */
  SETTING_ZONE,     /* an IANA time zone */
  SETTING_LIST,     /* comma-separated values, stored as a JSON list */
  SETTING_CHOICE,   /* one of `choices` */
  SETTING_INT,      /* a whole number */
  SETTING_SECRET,   /* a credential: never stored in clear (see core/source.h) */
};

enum setting_flags {
  SETTING_REQUIRED = 1 << 0, /* must be given (a secret: one of its forms) */
};

/* One setting of a source of a connector. `source add`, `source list`, the
 * admin API and the web form are all made from this table. */
struct setting_def {
  const char *key;  /* member of the settings JSON; a secret's name ("token") */
  const char *flag; /* the command-line option without "--" ("api-base"); a secret takes
                       FLAG-env VAR, FLAG-file FILE or FLAG-stdin */
  enum setting_kind kind;
  int flags;           /* enum setting_flags */
  const char *choices; /* SETTING_CHOICE: "na,eu,fe"; MAY be NULL */
  const char *help;    /* one line for a person: what it is, its default */
};

struct connector {
  const char *name;                        /* "shopify" */
  const char *title;                       /* "Shopify Admin API", for lists and help */
  int flags;                               /* enum connector_flags */
  const struct setting_def *settings;      /* terminated by {NULL} */
  const struct stream_def *const *streams; /* top-level streams, NULL-terminated */
  const struct endpoint_def *endpoints;    /* terminated by {NULL} */
  const void *impl; /* the connector's own data (a rest connector's spec); MAY be NULL */

  /* A connector described by a file the user gives (`rest`'s --spec FILE):
   * the setting that names the file, and how the connector the file
   * describes is made (its settings, streams and endpoints; the same file
   * gives the same connector for the life of the process). The source's
   * sessions use that connector. Both MAY be NULL. */
  const char *spec_setting;
  int (*from_spec)(const char *path, const struct connector **out, struct err *err);

  /* Completes and checks the settings of a new source (given as the table
   * says, secrets left out): fills what follows from others (an API base
   * from a shop name or a region, a zone from a marketplace). MS_EINVAL
   * with a sentence naming the option when something is wrong. MAY be
   * NULL. */
  int (*configure)(const struct connector *self, void *settings_json, struct err *err);

  /* The streams of one source, when they depend on its settings (a spec).
   * MAY be NULL: then `streams`. */
  const struct stream_def *const *(*source_streams)(void *state);

  /* Validates settings and prepares per-source state. */
  int (*open)(struct source *src, void **state, struct err *err);
  void (*close)(void *state);

  /* Access tokens that expire (OAuth refresh). All four MAY be NULL when
   * the API takes a fixed token. auth_needed says whether a fresh token must
   * be fetched before the next request (none yet, or about to expire). */
  int (*auth_needed)(void *state, int64_t now);
  int (*auth_request)(void *state, struct http_request *req, struct err *err);
  /* Reads the token answer; MS_EAUTH for refused credentials. */
  int (*parse_auth)(void *state, const struct http_response *res, int64_t now, struct err *err);
  /* The API said the token expired: forget it, so auth_needed says yes. */
  void (*auth_expired)(void *state);

  /* A cheap request that proves the credentials and reads what the source
   * needs to know (e.g. the shop's time zone). MAY be NULL. */
  int (*probe_request)(void *state, struct http_request *req, struct err *err);
  /* Reads the probe's answer; MAY update src (timezone, currency) and its
   * settings. MAY be NULL. */
  int (*parse_probe)(void *state, const struct http_response *res, struct source *src,
                     struct err *err);

  /* Decides what a response means; sets v->retry_after when the API said.
   * MS_ESCOPE: the credentials may not read this stream (the others may
   * go on). */
  void (*classify)(void *state, const struct http_response *res, struct verdict *v,
                   struct err *err);
  /* Reads what an answer says about the rate limit of its endpoint (the
   * engine feeds it to that endpoint's limiter, placing it by the time the
   * request was sent, as answers may come back out of order). hint is
   * zeroed (HINT_NONE) by the caller. MAY be NULL. */
  void (*observe)(void *state, const struct http_response *res, struct rate_hint *hint);
  /* For the planner: the requests a day of `records` records of the stream
   * costs, per endpoint (indexed like endpoints[]). MAY be NULL. */
  void (*plan_day)(const struct stream_def *def, double records, double *requests);
};

/* The part of classify that every HTTP API shares: resets the verdict, maps
 * a failed transfer, accepts a 2xx (unless it is an HTML page where JSON was
 * expected: `api` names the API in that message, e.g. "Shopify"), and reads
 * Retry-After. Returns 1 when the verdict is final, 0 when the connector must
 * read the error answer. */
int verdict_common(const struct http_response *res, const char *api, struct verdict *v,
                   struct err *err);

const struct connector *connector_find(const char *name);
/* The connector a stored source uses: its connector by name, or the one the
 * file its settings name describes (from_spec). MS_EINVAL with a sentence
 * when it is unknown or its file cannot be used. */
int connector_for_row(const struct source_row *row, const struct connector **out, struct err *err);
/* NULL-terminated list of all connectors. */
const struct connector *const *connector_all(void);

/* The top-level streams of an opened source: the connector's, or its
 * source's own (source_streams). */
const struct stream_def *const *connector_streams(const struct connector *c, void *state);

#endif
