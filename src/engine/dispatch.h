/* Delivers events to webhooks: for each endpoint, the events it asked for
 * in the order they were written, one JSON POST each, signed, and retried
 * with backoff until the endpoint answers 2xx. An endpoint's position in
 * the event stream is stored after each delivery, so a restart sends at
 * most the one event in flight again (at least once; the event id lets a
 * receiver drop a repeat).
 *
 * Each request carries:
 *   Content-Type: application/json
 *   X-Marketsync-Event: order.created
 *   X-Marketsync-Event-Id: 1234
 *   X-Marketsync-Signature: t=1764100000,v1=HEX
 * where HEX is HMAC-SHA256, keyed with the endpoint's secret, of
 * "1764100000." followed by the body; a receiver checks it and that t is
 * recent, so a captured request cannot be replayed later. */
#ifndef MS_ENGINE_DISPATCH_H
#define MS_ENGINE_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define DISPATCH_BATCH 100        /* events read at a time per endpoint */
#define DISPATCH_TIMEOUT_MS 10000 /* one delivery at most */
#define DISPATCH_BACKOFF_FIRST 5  /* seconds after the first failure */
#define DISPATCH_BACKOFF_MAX 3600 /* the longest wait */

struct dispatch_report {
  int64_t delivered; /* events posted and accepted */
  int64_t skipped;   /* events an endpoint did not ask for */
  int failures;      /* endpoints that failed this time (retried later) */
  int64_t next;      /* the earliest retry time of a failing endpoint; 0 none */
};

/* One pass: every enabled endpoint whose retry time has come gets what
 * waits for it, until it is up to date, fails, or max_events were sent
 * (0: no bound). */
int dispatch_once(struct store *st, int64_t now, int64_t max_events, struct dispatch_report *rep,
                  struct err *err);

/* The body of an event as delivered (and as `events list --json` shows it). */
char *event_json(const struct event_row *e);

/* The signature header's value for body at time t. */
int webhook_sign(const char *secret, int64_t t, const char *body, size_t len, char *out, size_t n);

/* Whether an event type is in a comma list of types and prefixes ("*" all,
 * "order." every order event). */
int event_type_matches(const char *list, const char *type);

#endif
