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
#include "core/rate.h"
#include "core/source.h"
#include "net/http.h"
#include "util/err.h"
#include "util/tz.h"

/* A stream a connector offers. */
struct stream_def {
  const char *name;     /* "orders" */
  const char *endpoint; /* the rate-limit class its page requests use */
};

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
};

/* What a connector can do, for callers that must not test its name. */
enum connector_flags {
  CONN_ITEMS_FOLLOW = 1 << 0, /* an order's items come by follow-up requests (so they can be
                                 missing, and repair fetches them) */
};

struct connector {
  const char *name;                     /* "shopify" */
  int flags;                            /* enum connector_flags */
  const struct stream_def *streams;     /* terminated by {NULL} */
  const struct endpoint_def *endpoints; /* terminated by {NULL} */

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
  /* Reads the probe's answer; MAY update src (timezone) . MAY be NULL. */
  int (*parse_probe)(void *state, const struct http_response *res, struct source *src,
                     struct err *err);

  /* Builds the request for the slice at its cursor (NULL: first page).
   * MS_ENOTFOUND: nothing to fetch, the slice is complete as it stands
   * (e.g. a day that has not begun yet). */
  int (*page_request)(void *state, const struct slice *sl, struct http_request *req,
                      struct err *err);
  /* Decides what a response means; sets v->retry_after when the API said. */
  void (*classify)(void *state, const struct http_response *res, struct verdict *v,
                   struct err *err);
  /* Parses an OK response into records and the next cursor. MUST leave
   * out->next_cursor NULL on the last page. */
  int (*parse_page)(void *state, const struct slice *sl, const struct http_response *res,
                    struct page *out, struct err *err);
  /* Parses one record again from its raw JSON exactly as parse_page kept
   * it (struct record.raw), without the network: for retrying records that
   * could not be stored. out MUST be zeroed; the caller releases it on
   * success and failure alike. MAY be NULL. */
  int (*parse_record)(void *state, const char *raw, size_t len, struct record *out,
                      struct err *err);
  /* For the planner: the requests a day of `orders` orders costs, per
   * endpoint (indexed like endpoints[]). MAY be NULL. */
  void (*plan_day)(double orders, double *requests);
  /* Reads what an answer says about the rate limit of its endpoint (the
   * engine feeds it to that endpoint's limiter, placing it by the time the
   * request was sent, as answers may come back out of order). hint is
   * zeroed (HINT_NONE) by the caller. MAY be NULL. */
  void (*observe)(void *state, const struct http_response *res, struct rate_hint *hint);
};

/* The part of classify that every HTTP API shares: resets the verdict, maps
 * a failed transfer, accepts a 2xx (unless it is an HTML page where JSON was
 * expected: `api` names the API in that message, e.g. "Shopify"), and reads
 * Retry-After. Returns 1 when the verdict is final, 0 when the connector must
 * read the error answer. */
int verdict_common(const struct http_response *res, const char *api, struct verdict *v,
                   struct err *err);

const struct connector *connector_find(const char *name);
/* NULL-terminated list of all connectors. */
const struct connector *const *connector_all(void);

/* Amazon: a marketplace id's business-day zone and a region's API base, or
 * NULL when unknown. */
const char *amazon_marketplace_zone(const char *marketplace_id);
const char *amazon_region_base(const char *region);

#endif
