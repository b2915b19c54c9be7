#include "engine/sync.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/limiter.h"
#include "engine/plan.h"
#include "engine/policy.h"
#include "net/headers.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"

#define MAX_ENDPOINTS 8
#define BACKOFF_BASE 0.5 /* seconds: token requests back off like pages */
#define BACKOFF_CAP 60.0 /* seconds */
#define TICK_EVERY 0.25  /* seconds between progress ticks */

struct engine;
struct work;

/* One source in this run: its limiters and its token conversation, shared
 * by the lanes of its streams. */
struct feed {
  struct engine *eng;                  /* back pointer */
  struct session *sess;                /* borrowed */
  struct limiter *lims[MAX_ENDPOINTS]; /* one per endpoint class */
  int dead;                            /* the source refused us */
  int answered;                        /* a page request of the source got an answer */
  int inflight;                        /* page requests of the source in flight */
  int locked;                          /* ...by locking its credentials out: fail, never send */
  char why[MS_ERR_MSG_MAX + 256];      /* why it is dead */
  struct work *auth;                   /* token request in flight, or NULL */
  double auth_not_before;              /* monotonic: backoff of token requests */
  int auth_failures;                   /* token requests failed in a row */
};

/* One (source, stream) share of this run. */
struct lane {
  struct feed *feed;     /* its source */
  struct sync_target *t; /* borrowed */
  size_t next;           /* index of the next key to claim */
  int active;            /* slices in flight */
  int dead;              /* the stream cannot be read (or the source is dead) */
};

enum work_state { W_READY, W_INFLIGHT };

/* One slice being worked on. */
struct work {
  struct lane *lane;             /* owner; the feed for a token request */
  struct feed *feed;             /* its source */
  struct slice sl;               /* as stored, lease held */
  const struct stream_def *sent; /* the stream whose request is in flight (a follow-up child's,
                                    or the slice's own) */
  struct http_request req;       /* the request in flight */
  struct limiter *lim;           /* its endpoint's limiter */
  enum work_state state;
  double not_before;       /* monotonic: backoff */
  double sent_at;          /* monotonic: when the request in flight left */
  struct page_tries tries; /* what the slice went through in this run */
  int is_auth;             /* a token request, not a slice */
  int source_wide;         /* the last failure would fail every slice of the source */
  struct work *next;       /* list of active works */
};

struct engine {
  struct retry_policy policy; /* when to retry, wait, restart or give up */
  struct store *st;
  const struct sync_opts *o;
  struct run_row *run;
  struct sync_stats *stats;
  struct http_client *http;
  struct work *works; /* active */
  struct feed *feeds; /* one per session */
  size_t nfeeds;
  struct lane *lanes; /* one per target */
  size_t nlanes;
  double last_tick;
  int fatal; /* a store failure that ends the run */
  struct err fatal_err;
};

void sync_opts_defaults(struct sync_opts *o) {
  memset(o, 0, sizeof(*o));
  o->max_retries = 5;
  o->per_source = 2;
  o->lease_secs = 300;
  o->overlap_secs = 300;
  o->owner = "cli";
}

static double rnd01(void) {
  return randombytes_uniform(1u << 30) / (double)(1u << 30);
}

static const char *source_name(const struct feed *f) {
  return f->sess->src.row.name;
}

static void emit(struct engine *e, enum sync_event_kind kind, struct feed *f, struct lane *l,
                 const struct slice *sl, const struct page_counts *counts, const char *msg) {
  struct sync_event ev = {
      kind, f ? source_name(f) : NULL, l ? l->t->def->name : NULL, sl, counts, msg, e->stats};
  if (sl && e->run && e->run->id && (kind == SYNC_EV_DAY_DONE || kind == SYNC_EV_DAY_FAILED)) {
    /* The run's own record of what it finished (the admin API shows it). */
    struct err ignored = {0};
    struct slice told = *sl;
    if (kind == SYNC_EV_DAY_FAILED && msg)
      told.last_error = (char *)msg;
    e->st->ops->run_slice_put(e->st, e->run->id, &told,
                              kind == SYNC_EV_DAY_DONE ? "completed" : "failed", wall_now(),
                              &ignored);
  }
  if (e->o->on_event)
    e->o->on_event(e->o->ctx, &ev);
}

static struct limiter *limiter_for(struct feed *f, const char *endpoint) {
  const struct endpoint_def *ep = f->sess->conn->endpoints;
  for (size_t i = 0; ep && ep[i].name && i < MAX_ENDPOINTS; i++)
    if (endpoint && strcmp(ep[i].name, endpoint) == 0)
      return f->lims[i];
  return f->lims[0];
}

static int feed_init(struct engine *e, struct feed *f, struct session *sess) {
  const struct endpoint_def *ep = sess->conn->endpoints;
  memset(f, 0, sizeof(*f));
  f->eng = e;
  f->sess = sess;
  for (size_t i = 0; ep && ep[i].name && i < MAX_ENDPOINTS; i++) {
    if (ep[i].kind == RATE_LEAKY)
      f->lims[i] = limiter_new_leaky(ep[i].size, ep[i].rate);
    else if (ep[i].kind == RATE_TOKEN)
      f->lims[i] = limiter_new_token(ep[i].rate, ep[i].size);
    else
      f->lims[i] = limiter_new_none();
    if (!f->lims[i])
      return MS_ENOMEM;
    limiter_set_floor(f->lims[i], e->o->delay_floor);
  }
  if (!f->lims[0]) {
    f->lims[0] = limiter_new_none();
    if (!f->lims[0])
      return MS_ENOMEM;
    limiter_set_floor(f->lims[0], e->o->delay_floor);
  }
  return MS_OK;
}

static void feed_release(struct feed *f) {
  for (int i = 0; i < MAX_ENDPOINTS; i++)
    limiter_free(f->lims[i]);
}

/* The feed of a session, made on first use. */
static struct feed *feed_of(struct engine *e, struct session *sess, size_t cap) {
  for (size_t i = 0; i < e->nfeeds; i++)
    if (e->feeds[i].sess == sess)
      return &e->feeds[i];
  if (e->nfeeds == cap || feed_init(e, &e->feeds[e->nfeeds], sess))
    return NULL;
  return &e->feeds[e->nfeeds++];
}

static void work_free(struct work *w) {
  http_request_release(&w->req);
  slice_release(&w->sl);
  free(w);
}

static void work_remove(struct engine *e, struct work *w) {
  struct work **pp = &e->works;
  while (*pp && *pp != w)
    pp = &(*pp)->next;
  if (*pp)
    *pp = w->next;
  w->lane->active--;
  work_free(w);
}

/* Days (and refetches of days) are counted apart from passes (windows,
 * snapshots). */
static int key_is_day(const char *key) {
  enum slice_kind k;
  struct civil_date d;
  return slice_key_parse(key, &k, &d) == MS_OK && (k == SLICE_DAY || k == SLICE_REFETCH);
}

static void count(struct engine *e, const char *key, int64_t *days, int64_t *passes) {
  (void)e;
  if (key_is_day(key))
    (*days)++;
  else
    (*passes)++;
}

static void store_failed(struct engine *e, int rc, const struct err *err) {
  if (rc == MS_ELEASE)
    return; /* another worker owns the slice now; not our failure */
  e->fatal = rc;
  e->fatal_err = *err;
}

/* The slice failed for this run: keep its cursor, note the error. */
static void work_fail(struct engine *e, struct work *w, const char *why) {
  struct err err = {0};
  int rc = e->st->ops->slice_fail(e->st, &w->sl, SLICE_FAILED, why, &err);
  if (rc)
    store_failed(e, rc, &err);
  count(e, w->sl.key, &e->stats->days_failed, &e->stats->passes_failed);
  e->run->slices_failed++;
  emit(e, SYNC_EV_DAY_FAILED, w->feed, w->lane, &w->sl, NULL, why);
  work_remove(e, w);
}

/* A slice of the lane not yet started fails with `why` (a lockout: the
 * status says when to try again); one another worker holds is left alone.
 * One SYNC_EV_SOURCE_LOCKED tells of them all. */
static void fail_unstarted(struct engine *e, struct lane *l, const char *key, const char *why) {
  struct sync_target *t = l->t;
  struct slice sl = {0};
  struct err err = {0};
  int rc = e->st->ops->slice_claim(e->st, t->sess->src.row.id, t->def->name, key, e->o->owner,
                                   wall_now(), e->o->lease_secs, &sl, &err);
  if (rc == MS_OK) {
    rc = e->st->ops->slice_fail(e->st, &sl, SLICE_FAILED, why, &err);
    if (rc)
      store_failed(e, rc, &err);
    count(e, key, &e->stats->days_failed, &e->stats->passes_failed);
    e->run->slices_failed++;
  } else if (rc == MS_EHELD) {
    count(e, key, &e->stats->days_skipped, &e->stats->passes_skipped);
  } else {
    store_failed(e, rc, &err);
  }
  slice_release(&sl);
}

/* The lane's slices not yet started are skipped (recorded as pending, so
 * that a later run finds them), or with fail_rest failed with `why`; those
 * waiting to send fail with `why`. */
static void lane_stop(struct engine *e, struct lane *l, const char *why, int fail_rest) {
  struct sync_target *t = l->t;
  if (l->dead)
    return;
  l->dead = 1;
  for (struct work *w = e->works, *next; w; w = next) {
    next = w->next;
    if (w->lane == l && w->state == W_READY && !w->is_auth)
      work_fail(e, w, why);
  }
  for (; l->next < t->nkeys; l->next++) {
    struct err err = {0};
    if (fail_rest) {
      fail_unstarted(e, l, t->keys[l->next], why);
      continue;
    }
    count(e, t->keys[l->next], &e->stats->days_skipped, &e->stats->passes_skipped);
    e->st->ops->slice_ensure(e->st, t->sess->src.row.id, t->def->name, t->keys[l->next], &err);
  }
}

/* The source as a whole refused us (bad token, unknown shop): the slices
 * not yet started are skipped, so one mistake does not fail a year of days.
 * A lockout (locked) fails them instead, saying when to try again. */
static void feed_kill(struct engine *e, struct feed *f, const char *why, int locked) {
  if (f->dead)
    return;
  f->dead = 1;
  f->locked = locked;
  snprintf(f->why, sizeof(f->why), "%s", why);
  for (size_t i = 0; i < e->nlanes; i++)
    if (e->lanes[i].feed == f)
      lane_stop(e, &e->lanes[i], why, locked);
  emit(e, locked ? SYNC_EV_SOURCE_LOCKED : SYNC_EV_SOURCE_DEAD, f, NULL, NULL, NULL, why);
}

int sync_owner_id(char *out, size_t n) {
  char host[48] = "localhost";
  gethostname(host, sizeof(host) - 1);
  snprintf(out, n, "%s:%ld", host, (long)getpid());
  return MS_OK;
}

/* A lease held by a process of this host that no longer exists (killed, or
 * crashed) need not run out: the slice is taken over at once. */
static int owner_is_dead(const char *owner) {
  char me[MS_NAME_MAX];
  const char *colon = strchr(owner, ':'); /* "host:pid", or "host:pid:worker" in serve */
  char *end;
  long pid;
  sync_owner_id(me, sizeof(me));
  if (!colon || strncmp(owner, me, (size_t)(colon - owner) + 1) != 0)
    return 0; /* another host: only the lease expiry can tell */
  errno = 0;
  pid = strtol(colon + 1, &end, 10);
  if (errno || (*end && *end != ':') || pid <= 0)
    return 0;
  return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

static int take_over_if_dead(struct engine *e, struct sync_target *t, const char *key,
                             struct slice *out, struct err *err) {
  struct slice cur = {0};
  int rc = e->st->ops->slice_get(e->st, t->sess->src.row.id, t->def->name, key, &cur, err);
  int64_t now = wall_now();
  if (rc)
    return MS_EHELD;
  if (!owner_is_dead(cur.lease_owner)) {
    slice_release(&cur);
    return MS_EHELD;
  }
  log_info("%s: taking over a slice left by process %s, which is gone", t->sess->src.row.name,
           cur.lease_owner);
  /* Claim as of the lease's end, so the store sees it expired. */
  if (cur.lease_expires > now)
    now = cur.lease_expires;
  slice_release(&cur);
  slice_release(out);
  return e->st->ops->slice_claim(e->st, t->sess->src.row.id, t->def->name, key, e->o->owner, now,
                                 e->o->lease_secs, out, err);
}

/* The UTC bounds the slice's requests use. */
static int slice_bounds(struct engine *e, struct lane *l, struct slice *sl) {
  struct sync_target *t = l->t;
  switch (sl->kind) {
  case SLICE_DAY:
  case SLICE_REFETCH:
    return tz_day_bounds(t->sess->src.tz, sl->day, &sl->range_start, &sl->range_end);
  case SLICE_WINDOW: {
    sl->range_start =
        plan_window_from(sl->watermark, t->window_start, t->from_start, e->o->overlap_secs);
    sl->range_end = 0;
    return MS_OK;
  }
  case SLICE_SNAPSHOT:
    sl->range_start = sl->range_end = 0;
    return MS_OK;
  }
  return MS_EINVAL;
}

static int claim_next(struct engine *e, struct lane *l) {
  struct sync_target *t = l->t;
  struct err err = {0};
  const char *key = t->keys[l->next++];
  struct work *w = calloc(1, sizeof(*w));
  int rc;
  if (!w)
    return MS_ENOMEM;
  w->lane = l;
  w->feed = l->feed;
  http_request_init(&w->req);
  rc = e->st->ops->slice_claim(e->st, t->sess->src.row.id, t->def->name, key, e->o->owner,
                               wall_now(), e->o->lease_secs, &w->sl, &err);
  if (rc == MS_EHELD)
    rc = take_over_if_dead(e, t, key, &w->sl, &err);
  if (rc == MS_EHELD) {
    snprintf(w->sl.key, sizeof(w->sl.key), "%s", key);
    slice_key_parse(key, &w->sl.kind, &w->sl.day);
    count(e, key, &e->stats->days_skipped, &e->stats->passes_skipped);
    emit(e, SYNC_EV_BUSY, l->feed, l, &w->sl, NULL, err.msg);
    work_free(w);
    return MS_OK;
  }
  if (rc) {
    work_free(w);
    store_failed(e, rc, &err);
    return rc;
  }
  if (slice_bounds(e, l, &w->sl)) {
    work_free(w);
    return MS_EINVAL;
  }
  w->lim = l->feed->lims[0];
  w->state = W_READY;
  w->next = e->works;
  e->works = w;
  l->active++;
  emit(e, SYNC_EV_DAY_START, l->feed, l, &w->sl, NULL, NULL);
  return MS_OK;
}

/* A lease is renewed by claiming again (same owner): the token moves on. */
static int renew_lease(struct engine *e, struct work *w) {
  struct slice fresh = {0};
  struct err err = {0};
  int64_t start = w->sl.range_start, end = w->sl.range_end;
  struct sync_target *t = w->lane->t;
  int rc;
  if (wall_now() < w->sl.lease_expires - e->o->lease_secs / 2)
    return MS_OK;
  rc = e->st->ops->slice_claim(e->st, t->sess->src.row.id, t->def->name, w->sl.key, e->o->owner,
                               wall_now(), e->o->lease_secs, &fresh, &err);
  if (rc)
    return rc;
  slice_release(&w->sl);
  w->sl = fresh;
  w->sl.range_start = start;
  w->sl.range_end = end;
  return MS_OK;
}

/* Why a slice is given up, in words: the answer and the limit it reached. */
static void fail_message(struct engine *e, struct work *w, const char *why, char *msg, size_t n) {
  const struct page_tries *t = &w->tries;
  switch (t->gave_up) {
  case LIMIT_PAGE_RETRIES:
    snprintf(msg, n, "%s (gave up after %d attempts)", why, t->attempts);
    break;
  case LIMIT_DAY_RETRIES:
    snprintf(msg, n,
             "%s (the day used up its %d retries; raise them with --max-day-retries if the "
             "network is known to be flaky)",
             why, policy_day_budget(&e->policy, t));
    break;
  case LIMIT_RATE_HITS:
    snprintf(msg, n, "%s (%d answers of 429 in a row)", why, t->rate_hits);
    break;
  case LIMIT_RESTARTS:
    /* The restart that was refused is not counted as made. */
    if (t->restarts_idle > e->policy.max_restarts_idle)
      snprintf(msg, n,
               "%s; the day was started over %d times in a row without getting further, so its "
               "cursors seem to expire before its pages can be fetched; what was stored is kept",
               why, t->restarts_idle - 1);
    else
      snprintf(msg, n,
               "%s; the day was started over %d times in this run, the most allowed; what was "
               "stored is kept and the next run goes on from there",
               why, t->restarts - 1);
    break;
  default:
    snprintf(msg, n, "%s", why);
  }
}

/* A lockout in words: what the API said and when to try again. */
static void locked_message(double wait, const char *why, char *msg, size_t n) {
  char when[TIME_STR_LEN];
  double minutes = wait / 60;
  if (wait <= 0) {
    snprintf(msg, n,
             "%s; the API locked the credentials out without saying for how long: nothing more "
             "was sent to this source, sync it again in a while",
             why);
    return;
  }
  time_format(wall_now() + (int64_t)(wait + 0.999), 0, 1, when);
  snprintf(msg, n,
           "%s; the API locked the credentials out: nothing more was sent to this source in this "
           "run; sync it again after %s (in about %.0f minute%s)",
           why, when, minutes < 1 ? 1 : minutes + 0.4999, minutes < 1.5 ? "" : "s");
}

/* Carries out the policy's decision about a page that was not stored. */
static void act_on(struct engine *e, struct work *w, const struct decision *d, const char *why,
                   double now) {
  struct lane *l = w->lane;
  struct feed *f = w->feed;
  char msg[MS_ERR_MSG_MAX + 256];
  switch (d->act) {
  case ACT_STORE:
    return;
  case ACT_WAIT:
    e->stats->rate_limited++;
    e->run->rate_limited++;
    limiter_pause(w->lim, now, d->wait);
    return;
  case ACT_RETRY:
    e->stats->retries++;
    e->run->retries++;
    w->not_before = now + d->wait;
    emit(e, SYNC_EV_RETRY, f, l, &w->sl, NULL, why);
    return;
  case ACT_REFRESH:
    f->sess->conn->auth_expired(f->sess->cstate);
    log_info("%s: access token expired; refreshing it", source_name(f));
    return;
  case ACT_RESTART: {
    struct err serr = {0};
    int rc;
    log_warn("%s %s: %s; restarting the day from its first page", source_name(f),
             w->sl.cursor ? "cursor" : "request", why);
    rc = e->st->ops->slice_restart(e->st, &w->sl, why, &serr);
    if (rc) {
      store_failed(e, rc, &serr);
      work_remove(e, w);
      return;
    }
    slice_restart_local(&w->sl);
    emit(e, SYNC_EV_RESTART, f, l, &w->sl, NULL, why);
    return;
  }
  case ACT_FAIL_DAY: {
    int whole_source = w->source_wide;
    fail_message(e, w, why, msg, sizeof(msg));
    work_fail(e, w, msg); /* frees w */
    if (whole_source)     /* the other slices would only fail the same way */
      feed_kill(e, f, why, 0);
    return;
  }
  case ACT_FAIL_STREAM:
    snprintf(msg, sizeof(msg), "%s", why);
    work_fail(e, w, msg); /* frees w */
    lane_stop(e, l, msg, 0);
    emit(e, SYNC_EV_STREAM_DEAD, f, l, NULL, NULL, msg);
    return;
  case ACT_FAIL_SOURCE:
    snprintf(msg, sizeof(msg), "%s", why);
    work_fail(e, w, msg); /* frees w */
    feed_kill(e, f, msg, 0);
    return;
  case ACT_LOCKED_OUT:
    /* Every request while it lasts is another abuse: none is sent. */
    if (f->dead) {
      work_fail(e, w, f->why);
      return;
    }
    locked_message(d->wait, why, msg, sizeof(msg));
    log_warn("%s: %s", source_name(f), msg);
    work_fail(e, w, msg); /* frees w */
    feed_kill(e, f, msg, 1);
    return;
  }
}

static void commit(struct engine *e, struct work *w, struct page *pg);

/* The server's clock when it answered, from its Date header; 0 unknown. */
static int64_t server_time(const struct http_response *res) {
  int64_t t = 0;
  const char *h = http_response_header(res, "Date");
  return h && date_header_parse(h, &t) == MS_OK ? t : 0;
}

static void on_ok(struct engine *e, struct work *w, const struct http_response *res) {
  struct feed *f = w->feed;
  struct page pg;
  struct err err = {0};
  int rc;
  page_init(&pg, w->sent);
  rc = w->sent->parse_page(f->sess->cstate, w->sent, &w->sl, res, &pg, &err);
  if (rc) {
    page_release(&pg);
    if (rc == MS_ENOMEM) {
      e->fatal = rc;
      e->fatal_err = err;
      return;
    }
    /* A body we cannot read may be a glitch on the way: retry, bounded. A
     * cursor of ours it cannot read starts the slice over. */
    struct verdict v = {rc == MS_ECURSOR ? MS_ECURSOR : MS_EPROTO, -1, 0, 0, 0};
    struct decision d = policy_decide(&v, &w->tries, &e->policy, 0, rnd01());
    w->source_wide = json_body_is_html(res->body.data, res->body.len);
    w->state = W_READY;
    act_on(e, w, &d, err.msg, mono_now());
    return;
  }
  if (!pg.server_time)
    pg.server_time = server_time(res);
  commit(e, w, &pg);
}

/* Stores a parsed page with the slice's new cursor, in one transaction, and
 * moves the slice on. Takes the page. */
static void commit(struct engine *e, struct work *w, struct page *pg) {
  struct lane *l = w->lane;
  struct page_counts counts = {0};
  struct err err = {0};
  int items_done = pg->children_of != NULL && pg->next_cursor == NULL;
  int rc;
  if (e->fatal) {
    /* The store failed. If it lost a write group, this slice's cursor in
     * memory may be ahead of the stored one: storing the next page with it
     * would skip the lost one. The page is dropped; the stored cursor is
     * where the next run goes on. */
    page_release(pg);
    e->st->ops->slice_release(e->st, &w->sl, &err);
    work_remove(e, w);
    return;
  }
  rc = e->st->ops->commit_page(e->st, &w->sl, pg, wall_now(), &counts, &err);
  e->stats->bytes += (int64_t)pg->bytes;
  page_release(pg);
  if (rc == MS_ELEASE) {
    emit(e, SYNC_EV_BUSY, w->feed, l, &w->sl, NULL, err.msg);
    work_remove(e, w);
    return;
  }
  if (rc == MS_EBUSY) {
    /* Another writer holds the database: retry like a transient answer. */
    struct verdict v = {MS_EBUSY, -1, 0, 0, 0};
    struct decision d = policy_decide(&v, &w->tries, &e->policy, 0, rnd01());
    if (d.act == ACT_RETRY) {
      w->state = W_READY;
      act_on(e, w, &d, err.msg, mono_now());
      return;
    }
  }
  if (rc) {
    /* The page is not stored; the slice keeps its previous cursor. */
    char why[MS_ERR_MSG_MAX + 32];
    snprintf(why, sizeof(why), "could not store a page: %s", err.msg);
    if (rc == MS_EINVAL || rc == MS_ETOOBIG) {
      work_fail(e, w, why);
    } else {
      store_failed(e, rc, &err);
      e->st->ops->slice_fail(e->st, &w->sl, SLICE_FAILED, why, &err);
      work_remove(e, w);
    }
    return;
  }
  /* Progress: records new or changed, or an order's last page of items (an
   * earlier page of its items, fetched again after a restart, is not). */
  policy_page_done(&w->tries, counts.inserted + counts.updated > 0 || items_done);
  e->stats->pages++;
  e->stats->records += counts.inserted + counts.updated + counts.unchanged;
  e->stats->inserted += counts.inserted;
  e->stats->updated += counts.updated;
  e->stats->unchanged += counts.unchanged;
  e->stats->deleted += counts.deleted;
  e->stats->failed += counts.failed;
  e->run->pages++;
  e->run->records += counts.inserted + counts.updated + counts.unchanged;
  e->run->inserted += counts.inserted;
  e->run->updated += counts.updated;
  e->run->unchanged += counts.unchanged;
  e->run->failed += counts.failed;
  emit(e, SYNC_EV_PAGE, w->feed, l, &w->sl, &counts, NULL);
  if (w->sl.status == SLICE_COMPLETED) {
    count(e, w->sl.key, &e->stats->days_done, &e->stats->passes_done);
    e->run->slices_completed++;
    emit(e, SYNC_EV_DAY_DONE, w->feed, l, &w->sl, NULL, NULL);
    work_remove(e, w);
    return;
  }
  rc = renew_lease(e, w);
  if (rc) {
    emit(e, SYNC_EV_BUSY, w->feed, l, &w->sl, NULL, "lease could not be renewed");
    work_remove(e, w);
    return;
  }
  w->state = W_READY;
}

static void auth_done(struct engine *e, struct work *aw, const struct http_response *res) {
  struct feed *f = aw->feed;
  const struct connector *conn = f->sess->conn;
  struct err err = {0};
  int rc;
  if (res->transport_rc)
    rc = err_set(&err, MS_ETRANSIENT, "token request failed: %s", res->transport_error);
  else
    rc = conn->parse_auth(f->sess->cstate, res, wall_now(), &err);
  f->auth = NULL;
  work_free(aw);
  if (rc == MS_OK) {
    f->auth_failures = 0;
    return;
  }
  if (ms_retryable(rc) && ++f->auth_failures <= e->o->max_retries) {
    f->auth_not_before =
        mono_now() + backoff_delay(f->auth_failures - 1, BACKOFF_BASE, BACKOFF_CAP, rnd01());
    emit(e, SYNC_EV_RETRY, f, NULL, NULL, NULL, err.msg);
    return;
  }
  feed_kill(e, f, err.msg, 0);
}

/* Starts a token request for the source unless one is in flight or backing
 * off. Returns the seconds to wait before the source's requests may go. */
static double start_auth(struct engine *e, struct feed *f, double now) {
  const struct connector *conn = f->sess->conn;
  struct err err = {0};
  struct work *aw;
  if (f->auth)
    return 0.05;
  if (f->auth_not_before > now)
    return f->auth_not_before - now;
  aw = calloc(1, sizeof(*aw));
  if (!aw)
    return 1;
  aw->feed = f;
  aw->is_auth = 1;
  http_request_init(&aw->req);
  if (conn->auth_request(f->sess->cstate, &aw->req, &err) ||
      http_client_send(e->http, &aw->req, aw, &err)) {
    work_free(aw);
    feed_kill(e, f, err.msg, 0);
    return 0;
  }
  f->auth = aw;
  e->stats->requests++;
  e->run->requests++;
  return 0.05;
}

static void on_done(void *tag, struct http_request *req, struct http_response *res) {
  struct work *w = tag;
  struct feed *f = w->feed;
  struct engine *e = f->eng;
  const struct connector *conn = f->sess->conn;
  struct verdict v = {MS_OK, -1, 0, 0, 0};
  struct decision d;
  struct err err = {0};
  double now = mono_now();
  (void)req;
  if (w->is_auth) {
    auth_done(e, w, res);
    return;
  }
  limiter_on_done(w->lim, now);
  f->inflight--;
  f->answered = 1;
  if (conn->observe && res->status) {
    struct rate_hint hint = {0};
    conn->observe(f->sess->cstate, res, &hint);
    limiter_observe(w->lim, &hint, w->sent_at, now);
  }
  conn->classify(f->sess->cstate, res, &v, &err);
  log_debug("%s: HTTP %ld in %.0f ms; limiter level %.1f of %.0f, rate %.2f/s", source_name(f),
            res->status, res->elapsed * 1000, limiter_level(w->lim, now), limiter_size(w->lim),
            limiter_leak(w->lim));
  d = policy_decide(&v, &w->tries, &e->policy, conn->auth_expired != NULL, rnd01());
  w->source_wide = v.source_wide;
  if (d.act == ACT_STORE) {
    on_ok(e, w, res);
    return;
  }
  w->state = W_READY;
  act_on(e, w, &d, err.msg, now);
}

static int send_ready(struct engine *e, double now, double *min_wait) {
  for (struct work *w = e->works, *next; w; w = next) {
    struct feed *f = w->feed;
    const struct connector *conn = f->sess->conn;
    struct err err = {0};
    double wait;
    int rc;
    next = w->next;
    if (w->state != W_READY)
      continue;
    if (f->dead && f->locked) {
      /* A page that came back after the lockout: nothing more goes. */
      work_fail(e, w, f->why);
      continue;
    }
    if (conn->auth_needed && conn->auth_needed(f->sess->cstate, wall_now())) {
      wait = start_auth(e, f, now);
      if (f->dead)
        continue; /* start_auth failed the source and its slices */
      if (wait < *min_wait)
        *min_wait = wait;
      continue;
    }
    /* The first request to a source goes alone: one that refuses us, or
     * has locked us out, gets one request, not a burst. */
    if (!f->answered && f->inflight > 0)
      continue;
    wait = limiter_delay(w->lim, now);
    if (w->not_before - now > wait)
      wait = w->not_before - now;
    if (wait > 0) {
      if (wait < *min_wait) {
        *min_wait = wait;
        e->stats->waiting_for = source_name(f);
      }
      continue;
    }
    if (!http_client_has_room(e->http)) {
      /* Every transfer slot is busy (many sources at once): this one goes
       * when an answer frees a slot, which the poll waits for. */
      *min_wait = 0.001;
      break;
    }
    http_request_reset(&w->req);
    w->sent = slice_stream(w->lane->t->def, &w->sl);
    rc = w->sent->page_request(f->sess->cstate, w->sent, &w->sl, &w->req, &err);
    if (rc == MS_ENOTFOUND) {
      /* Nothing to fetch: the slice completes with an empty page. */
      struct page pg;
      page_init(&pg, w->lane->t->def);
      commit(e, w, &pg);
      continue;
    }
    if (rc == MS_ECURSOR) {
      /* A cursor we will not follow: start the slice again. */
      struct verdict v = {MS_ECURSOR, -1, 0, 0, 0};
      struct decision d = policy_decide(&v, &w->tries, &e->policy, 0, rnd01());
      act_on(e, w, &d, err.msg, now);
      continue;
    }
    if (!rc) {
      w->lim = limiter_for(f, w->req.endpoint);
      rc = http_client_send(e->http, &w->req, w, &err);
    }
    if (rc) {
      work_fail(e, w, err.msg);
      continue;
    }
    limiter_on_send(w->lim, now);
    f->inflight++;
    w->sent_at = now;
    w->state = W_INFLIGHT;
    e->stats->requests++;
    e->run->requests++;
  }
  return MS_OK;
}

static void release_ready(struct engine *e) {
  for (struct work *w = e->works, *next; w; w = next) {
    struct err err = {0};
    next = w->next;
    if (w->state != W_READY)
      continue;
    e->st->ops->slice_release(e->st, &w->sl, &err);
    work_remove(e, w);
  }
}

static void sleep_for(double s) {
  struct timespec ts;
  if (s <= 0)
    return;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  nanosleep(&ts, NULL);
}

/* Commits the write group of the round (see store.h). A group that could
 * not be stored undid pages this run counted as stored: the run ends, and
 * the next one goes on from the cursors that were stored. */
static void group_end(struct engine *e) {
  struct err err = {0};
  int rc = e->st->ops->group_end(e->st, &err);
  if (rc && !e->fatal)
    store_failed(e, rc, &err);
}

static int anything_left(struct engine *e) {
  if (e->works)
    return 1;
  for (size_t i = 0; i < e->nlanes; i++)
    if (!e->lanes[i].dead && e->lanes[i].next < e->lanes[i].t->nkeys)
      return 1;
  return 0;
}

int sync_run(struct store *st, struct sync_target *targets, size_t ntargets,
             const struct sync_opts *o, struct run_row *run, struct sync_stats *stats,
             struct err *err) {
  struct engine e = {0};
  int rc = MS_OK, stopping = 0;
  if (sodium_init() < 0)
    return err_set(err, MS_EIO, "cannot initialise libsodium");
  e.lanes = calloc(ntargets ? ntargets : 1, sizeof(*e.lanes));
  e.feeds = calloc(ntargets ? ntargets : 1, sizeof(*e.feeds));
  if (!e.lanes || !e.feeds) {
    free(e.lanes);
    free(e.feeds);
    return err_set(err, MS_ENOMEM, "out of memory");
  }
  e.st = st;
  e.o = o;
  e.run = run;
  e.stats = stats;
  retry_policy_defaults(&e.policy, o->max_retries, o->max_day_retries);
  if (!stats->started)
    stats->started = mono_now();
  {
    /* A request that stalls (sends nothing for a while) or drags on is cut
     * off and retried like any transient failure. */
    struct http_client_opts hopts = {0};
    hopts.total_timeout_ms = o->request_timeout_ms;
    if (o->request_timeout_ms && o->request_timeout_ms < 30000)
      hopts.low_speed_secs = o->request_timeout_ms / 1000 > 0 ? o->request_timeout_ms / 1000 : 1;
    rc = http_client_new(&hopts, &e.http, err);
  }
  for (size_t i = 0; i < ntargets && !rc; i++) {
    struct lane *l = &e.lanes[e.nlanes++];
    l->t = &targets[i];
    l->feed = feed_of(&e, targets[i].sess, ntargets);
    if (!l->feed)
      rc = err_set(err, MS_ENOMEM, "out of memory");
    for (size_t k = 0; k < targets[i].nkeys; k++)
      count(&e, targets[i].keys[k], &stats->days_total, &stats->passes_total);
    run->slices_total += (int64_t)targets[i].nkeys;
  }
  if (!rc)
    st->ops->group_begin(st); /* the first round's claims commit together */
  while (!rc && !e.fatal && anything_left(&e)) {
    double now = mono_now(), min_wait = INFINITY, nap;
    if (o->stop && *o->stop && !stopping) {
      stopping = 1;
      for (size_t i = 0; i < e.nlanes; i++)
        e.lanes[i].next = e.lanes[i].t->nkeys;
      release_ready(&e);
    }
    for (size_t i = 0; i < e.nlanes && !stopping && !e.fatal; i++) {
      struct lane *l = &e.lanes[i];
      while (!l->dead && !l->feed->dead && l->active < o->per_source && l->next < l->t->nkeys &&
             !e.fatal)
        claim_next(&e, l);
    }
    if (stopping)
      release_ready(&e);
    else
      send_ready(&e, now, &min_wait);
    /* What the answers of the last poll and this round's claims wrote is
     * committed now, before the wait: one commit for them all. */
    group_end(&e);
    /* A finite min_wait is a slice blocked on rate budget or backoff. */
    stats->waiting = isfinite(min_wait) ? min_wait : 0;
    nap = min_wait < 1.0 ? min_wait : 1.0;
    if (!e.fatal)
      e.st->ops->group_begin(e.st); /* opened by the first write after the wait */
    if (http_client_running(e.http))
      http_client_poll(e.http, (long)(nap * 1000) + 1, on_done);
    else if (e.works)
      sleep_for(nap);
    if (mono_now() - e.last_tick >= TICK_EVERY) {
      e.last_tick = mono_now();
      emit(&e, SYNC_EV_TICK, NULL, NULL, NULL, NULL, NULL);
    }
  }
  group_end(&e);
  if (e.fatal) {
    /* Let transfers finish so their slices are released cleanly. */
    while (http_client_running(e.http))
      http_client_poll(e.http, 100, on_done);
    release_ready(&e);
    err_set(err, e.fatal, "%s", e.fatal_err.msg);
    rc = e.fatal;
  } else if (!rc && stopping) {
    rc = err_set(err, MS_EINTR, "interrupted");
  }
  while (e.works)
    work_remove(&e, e.works);
  http_client_free(e.http); /* ends any token request still in flight */
  for (size_t i = 0; i < e.nfeeds; i++) {
    if (e.feeds[i].auth)
      work_free(e.feeds[i].auth);
    feed_release(&e.feeds[i]);
  }
  free(e.feeds);
  free(e.lanes);
  return rc;
}

static double backoff_for(int attempt) {
  return backoff_delay(attempt, 0.5, 5, rnd01());
}

int sync_probe(struct source *src, const struct connector *conn, void *cstate, struct err *err) {
  struct http_client *http = NULL;
  struct http_request req;
  struct http_response res;
  struct verdict v;
  int rc, attempt;
  if (!conn->probe_request)
    return MS_OK;
  rc = http_client_new(NULL, &http, err);
  if (rc)
    return rc;
  http_request_init(&req);
  http_response_init(&res);
  for (attempt = 0; attempt < 4; attempt++) {
    http_request_reset(&req);
    if (conn->auth_needed && conn->auth_needed(cstate, wall_now())) {
      /* The token first; its refusal is final, its hiccups are retried. */
      rc = conn->auth_request(cstate, &req, err);
      if (!rc)
        rc = http_client_fetch(http, &req, &res, err);
      if (!rc)
        rc = res.transport_rc
                 ? err_set(err, MS_ETRANSIENT, "token request failed: %s", res.transport_error)
                 : conn->parse_auth(cstate, &res, wall_now(), err);
      if (rc && !ms_retryable(rc))
        break;
      if (rc) {
        sleep_for(backoff_for(attempt));
        continue;
      }
      http_request_reset(&req);
    }
    rc = conn->probe_request(cstate, &req, err);
    if (!rc)
      rc = http_client_fetch(http, &req, &res, err);
    if (rc)
      break;
    err_clear(err);
    conn->classify(cstate, &res, &v, err);
    rc = v.rc;
    if (rc == MS_OK) {
      rc = conn->parse_probe ? conn->parse_probe(cstate, &res, src, err) : MS_OK;
      break;
    }
    if (!ms_retryable(rc))
      break;
    sleep_for(v.retry_after >= 0 ? v.retry_after : backoff_for(attempt));
  }
  http_response_release(&res);
  http_request_release(&req);
  http_client_free(http);
  return rc;
}
