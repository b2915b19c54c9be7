/* What the admin API's route files share: the request being answered, who
 * asks, and the ways to answer. One file per kind of resource. */
#ifndef MS_WEB_ROUTES_H
#define MS_WEB_ROUTES_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "net/server.h"
#include "store/store.h"
#include "web/api.h"
#include "web/request.h"

#define API_PAGE_MAX 1000 /* rows one list answers at most */
#define API_PAGE_DEFAULT 50
#define CALLER_ACCOUNTS_MAX 256

/* Who asks: the token's user. */
struct caller {
  int64_t user_id;
  char name[MS_NAME_MAX];
  int admin;
  int64_t token_id;
  int64_t accounts[CALLER_ACCOUNTS_MAX]; /* the accounts a member belongs to */
  int naccounts;
};

struct api_ctx {
  struct api *api;
  struct store *st;              /* this thread's connection */
  const struct api_request *rq;  /* parsed */
  const struct srv_request *raw; /* as received */
  struct srv_response *res;      /* to fill */
  struct caller who;
  const char *arg[3]; /* the path's parameters, in order (":name") */
};

typedef void (*route_fn)(struct api_ctx *c);

enum route_flags {
  ROUTE_PUBLIC = 1 << 0, /* no token needed (/healthz) */
  ROUTE_ADMIN = 1 << 1,  /* admins only: 403 to members */
  ROUTE_SYNC = 1 << 2,   /* starts work: rate-limited per token */
};

struct route {
  const char *method;
  const char *pattern; /* "/api/sources/:name/test" */
  route_fn fn;
  int flags;
};

/* The routes of each file, ended by {NULL}. */
extern const struct route routes_sources[];
extern const struct route routes_schedules[];
extern const struct route routes_runs[];
extern const struct route routes_jobs[];
extern const struct route routes_events[];
extern const struct route routes_system[];
extern const struct route routes_admin[];
extern const struct route routes_reports[]; /* routes_reports.c: /api/reports/... */

/* ---- answers ---- */

/* Sends body (taken) with the status. */
void reply(struct api_ctx *c, int status, cJSON *body);
/* A JSON error: {"error":{"status":..,"code":..,"field":..,"message":..}}. */
void reply_error(struct api_ctx *c, const struct api_error *e);
void reply_fail(struct api_ctx *c, int status, const char *code, const char *field, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
/* The answer for a store or engine failure: 404 for MS_ENOTFOUND, 409 for
 * MS_EEXIST and MS_EBUSY, 400 for MS_EINVAL, 503 for a busy or failing
 * database; the sentence is err's. */
void reply_code(struct api_ctx *c, int rc, const char *field, const struct err *err);

/* The spec field a sentence of engine/schedule.c is about (for the
 * "field" of an error), "body" when it names none. */
const char *spec_field(const char *msg);

/* ---- who may see what ---- */

int caller_in_account(const struct api_ctx *c, int64_t account_id);
/* Whether the caller may see the source (admins see all; members those of
 * their accounts). */
int caller_sees(const struct api_ctx *c, const struct source_row *row);
/* The named source if the caller may see it; otherwise answers 404 (the
 * same for "not there" and "not yours") and returns nonzero. */
int visible_source(struct api_ctx *c, const char *name, struct source_row *out);
/* visible_source for each of the n names: nonzero (answered) at the first
 * the caller may not see. */
int visible_sources(struct api_ctx *c, char *const *names, int n);
/* The ids of the sources the caller may see (for filters), in *ids (caller
 * frees); *all set for admins (no filter needed). */
int visible_source_ids(struct api_ctx *c, int64_t **ids, size_t *n, int *all);

/* Whether every source a job covers is the caller's. */
int job_is_mine(struct api_ctx *c, const struct job_row *j);

/* ---- JSON helpers ---- */

/* "2026-11-25T20:00:00Z", or null for 0. */
void json_time(cJSON *o, const char *name, int64_t t);
cJSON *json_source(const struct source_row *row);
cJSON *json_run(const struct run_row *r);
cJSON *json_job(const struct job_row *j);

/* ---- the service ---- */

struct service_state *api_state(struct api *a);
void api_wake_workers(struct api *a);
const char *api_db(struct api *a);

#endif
