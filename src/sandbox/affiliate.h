/* The sandbox's affiliate networks: Admitad publisher accounts (OAuth2
 * client-credential tokens, offset-paged lists, zone-less local timestamps,
 * 503 over the rate limit) and Boostiny publisher accounts (an API key,
 * Laravel-style page lists and throttling, lockouts after abuse).
 *
 * As for the shops and sellers, only compact entries are stored: an action
 * (Admitad) or a performance row (Boostiny) keeps its instants, status and
 * counts; names, money split, subids and the like are re-derived from (seed,
 * account, position) whenever a record is rendered. Campaigns and coupons
 * keep their few changing fields; the rest derives from their position.
 * Everything here is called under the sandbox's lock unless it says it is
 * pure. */
#ifndef MS_SANDBOX_AFFILIATE_H
#define MS_SANDBOX_AFFILIATE_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/fault.h"
#include "sandbox/gen.h"
#include "sandbox/sptoken.h"
#include "sandbox/zone.h"
#include "util/buf.h"
#include "util/err.h"

#define SB_AFF_MAX 64                     /* accounts per network */
#define SB_AFF_SECRET_MAX 128             /* client ids, secrets and API keys, with the NUL */
#define SB_AFF_PER_DAY_MAX 100000         /* ACTIONS_PER_DAY and ROWS_PER_DAY */
#define SB_AFF_RECORDS_MAX 20000000       /* actions or performance rows per account */
#define SB_AFF_CAMPAIGNS_MAX 4096         /* campaigns per account, created ones included */
#define SB_AFF_COUPONS_MAX 1000000        /* coupons (codes) per account */
#define SB_AFF_WINDOW 60.0                /* seconds of a rate window before --affiliate-speed */
#define SB_ADM_TZ_DEFAULT "Europe/Moscow" /* zone of Admitad's zone-less timestamps */
#define SB_ADM_PER_DAY_DEFAULT 40         /* ACTIONS_PER_DAY when not given */
#define SB_ADM_LIFETIME_DEFAULT 604800    /* --admitad-token-lifetime, seconds */
#define SB_ADM_LIMIT_DEFAULT 600          /* requests a minute per application */
#define SB_ADM_PAGE_DEFAULT 20            /* limit when not given */
#define SB_ADM_PAGE_MAX 500               /* largest limit */
#define SB_ADM_TOKEN_LEN 72               /* hex characters of a token */
#define SB_BST_TZ_DEFAULT "UTC"           /* zone of Boostiny's days (unsure) */
#define SB_BST_PER_DAY_DEFAULT 30         /* ROWS_PER_DAY when not given */
#define SB_BST_LIMIT_DEFAULT 60           /* requests a minute per API key */
#define SB_BST_LOCKOUT_AFTER 10           /* 429 answers within a minute before a lockout */
#define SB_BST_LOCKOUT_MINUTES 10         /* length of a lockout, before --affiliate-speed */
#define SB_BST_PAGE_DEFAULT 15            /* limit when not given (Laravel's default) */
#define SB_BST_PAGE_MAX 500               /* largest limit */
#define SB_BST_RECENT_DAYS 45             /* days whose rows /_sandbox/mutate changes */

enum sb_aff_net { SB_NET_ADMITAD = 0, SB_NET_BOOSTINY = 1, SB_NET_N };

/* Admitad scopes, a bit each. */
enum sb_adm_scope {
  SB_SCOPE_STATISTICS = 1,
  SB_SCOPE_CAMPAIGNS = 2, /* advcampaigns_for_website */
  SB_SCOPE_COUPONS = 4,   /* coupons_for_website */
  SB_SCOPE_WEBSITES = 8
};

enum sb_adm_status {
  SB_ADM_PENDING,
  SB_ADM_APPROVED,
  SB_ADM_DECLINED,
  SB_ADM_STALLED, /* approved_but_stalled */
  SB_ADM_STATUS_N
};

struct sb_adm_conf {
  char name[SB_SHOP_NAME_MAX];           /* "pubone" */
  char tzid[SB_TZID_MAX];                /* zone of its timestamps */
  int per_day;                           /* mean actions per local day */
  char client_id[SB_AFF_SECRET_MAX];     /* accepted client_id */
  char client_secret[SB_AFF_SECRET_MAX]; /* and client_secret */
};

struct sb_bst_conf {
  char name[SB_SHOP_NAME_MAX];     /* "mena" */
  char tzid[SB_TZID_MAX];          /* zone of its days */
  int per_day;                     /* mean performance rows per day */
  char api_key[SB_AFF_SECRET_MAX]; /* accepted Authorization value */
};

struct sb_aff_config {
  struct sb_adm_conf admitad[SB_AFF_MAX];  /* Admitad publisher accounts */
  int nadmitad;                            /* entries in admitad */
  struct sb_bst_conf boostiny[SB_AFF_MAX]; /* Boostiny publisher accounts */
  int nboostiny;                           /* entries in boostiny */
  int token_lifetime;                      /* Admitad access tokens, seconds */
  double speed;                            /* divides every rate window and lockout */
  int admitad_limit;                       /* requests per window per application */
  int boostiny_limit;                      /* requests per window per API key */
  int lockout_after;                       /* more 429s than this within a window lock out */
  int lockout_minutes;                     /* how long a lockout lasts, before speed */
};

/* ---- what is stored ---- */

/* One Admitad action. Its position in the account's array is its sequence
 * number, from which its id and content derive. */
struct sb_adm_action {
  int64_t date;      /* action_date, UTC seconds; ascending along the array */
  int64_t updated;   /* status_updated, UTC seconds, >= date */
  uint16_t campaign; /* index into the account's campaigns */
  uint16_t version;  /* changes so far */
  uint8_t status;    /* enum sb_adm_status */
  uint8_t paid;      /* paid out to the publisher */
};

/* One Boostiny performance row: one coupon code on one local day. */
struct sb_bst_row {
  int32_t day;         /* days since 1970-01-01; the array is sorted by (day, code) */
  uint32_t code;       /* index into the account's coupons */
  int64_t updated;     /* last_updated_at, UTC seconds */
  int64_t sales;       /* sales amount in the campaign's currency, minor units */
  uint32_t orders;     /* orders */
  uint32_t net_orders; /* orders not returned or cancelled, <= orders */
  uint16_t version;    /* changes so far */
};

/* A campaign (Admitad programme, Boostiny campaign). */
struct sb_aff_campaign {
  int64_t updated;   /* last change, UTC seconds */
  uint16_t version;  /* changes so far: picks the description's wording */
  uint16_t rating;   /* Admitad rating x100; Boostiny commission in 0.1 % */
  uint8_t active;    /* status active, else disabled (Admitad) or paused (Boostiny) */
  uint8_t connected; /* Admitad: connected to the ad space */
  uint8_t deleted;   /* no longer listed */
};

/* A coupon (Admitad) or coupon code (Boostiny). */
struct sb_aff_coupon {
  int64_t start;     /* valid from, UTC seconds */
  int64_t end;       /* valid until, UTC seconds; 0: open-ended */
  int64_t updated;   /* last change, UTC seconds */
  uint16_t campaign; /* index into the campaigns */
  uint16_t version;  /* changes so far */
  uint8_t discount;  /* percent, 5..60 */
  uint8_t active;    /* status active, else inactive */
  uint8_t deleted;   /* no longer listed */
};

/* A rolling window: at most `limit` admissions in any `window` seconds. */
struct sb_rwin {
  double *t;     /* admission times, a ring of limit entries */
  int limit;     /* admissions per window */
  int head;      /* oldest entry */
  int n;         /* entries in use */
  double window; /* seconds */
};

/* Laravel's throttle: a fixed window that starts with its first hit. */
struct sb_fwin {
  double start;  /* monotonic seconds the window began; 0: none yet */
  int hits;      /* admitted in this window */
  int limit;     /* admissions per window */
  double window; /* seconds */
};

struct sb_aff_account {
  enum sb_aff_net net;               /* which network */
  int index;                         /* among all accounts, 0.. */
  int netindex;                      /* among its network's accounts, 0.. */
  char name[SB_SHOP_NAME_MAX];       /* unique among shops, sellers and accounts */
  char tzid[SB_TZID_MAX];            /* zone of local days and timestamps */
  char secret1[SB_AFF_SECRET_MAX];   /* Admitad client_id; Boostiny API key */
  char secret2[SB_AFF_SECRET_MAX];   /* Admitad client_secret */
  uint64_t seed;                     /* the sandbox seed */
  uint64_t stream;                   /* keeps its random streams apart */
  int per_day;                       /* as configured */
  struct sb_zone zone;               /* cached offsets of tzid */
  int64_t range_start;               /* UTC: local midnight of the first day */
  uint64_t user_id;                  /* Admitad user id */
  uint64_t website_id;               /* Admitad ad space (website) id */
  struct sb_aff_campaign *campaigns; /* ascending by id */
  size_t ncampaigns;                 /* entries in campaigns */
  size_t campaigns_cap;              /* allocated */
  struct sb_aff_coupon *coupons;     /* ascending by id */
  size_t ncoupons;                   /* entries in coupons */
  size_t coupons_cap;                /* allocated */
  size_t base_coupons;               /* coupons that existed at start */
  struct sb_adm_action *actions;     /* Admitad */
  size_t nactions;                   /* entries in actions */
  size_t actions_cap;                /* allocated */
  size_t first_pending;              /* no pending action before this position */
  struct sb_bst_row *rows;           /* Boostiny */
  size_t nrows;                      /* entries in rows */
  size_t rows_cap;                   /* allocated */
  uint64_t mutations;                /* changes made so far (drives choices) */
  /* state of the API */
  uint64_t requests;            /* API requests of this account */
  uint64_t throttled;           /* of which refused by the rate limit or injected 429s */
  uint64_t lockouts;            /* Boostiny lockouts so far */
  struct sb_rwin admit;         /* Admitad: the application's rolling window */
  struct sb_fwin throttle;      /* Boostiny: the key's fixed window */
  struct sb_rwin abuse;         /* Boostiny: recent 429 answers */
  double locked_until;          /* Boostiny: monotonic end of the lockout, 0: none */
  int64_t revoked_ms;           /* Admitad access tokens issued before are expired */
  int64_t refresh_revoked_ms;   /* and refresh tokens issued before are refused */
  struct sb_fault_state faults; /* injected faults */
};

struct sb_aff {
  struct sb_aff_account *accounts;     /* Admitad accounts first, then Boostiny */
  int n;                               /* entries in accounts */
  struct sb_aff_config cfg;            /* as configured */
  int rate_limit;                      /* 0: never refuse for the rate */
  unsigned char token_key[SB_KEY_LEN]; /* tags Admitad tokens */
};

struct sandbox;
struct sb_request;
struct sb_response;
struct sb_params;

/* ---- configuration (affiliate_conf.c) ---- */

void sb_aff_config_defaults(struct sb_aff_config *c);
/* NAME[:ACTIONS_PER_DAY[:TZ]]: appends an Admitad account with the default
 * credentials (client id sandbox-admitad-NAME, secret sandbox-admitad-secret-NAME). */
int sb_aff_parse_admitad(struct sb_aff_config *c, const char *arg, struct err *err);
/* NAME[:ROWS_PER_DAY[:TZ]]: appends a Boostiny account with the API key
 * sandbox-boostiny-NAME. */
int sb_aff_parse_boostiny(struct sb_aff_config *c, const char *arg, struct err *err);
/* NAME:CLIENT_ID:CLIENT_SECRET for an Admitad account given before. */
int sb_aff_parse_admitad_client(struct sb_aff_config *c, const char *arg, struct err *err);
/* NAME:KEY for a Boostiny account given before. */
int sb_aff_parse_boostiny_key(struct sb_aff_config *c, const char *arg, struct err *err);
/* Whether an account of either network has this name. */
int sb_aff_name_taken(const struct sb_aff_config *c, const char *name);
/* Records generated at start: for the command's total limit. */
unsigned long long sb_aff_expected_records(const struct sb_aff_config *c, int days);

/* ---- lifecycle (affiliate.c) ---- */

int sb_aff_new(const struct sb_aff_config *c, uint64_t seed, int64_t now, int days, int rate_limit,
               struct sb_aff **out, struct err *err);
void sb_aff_free(struct sb_aff *aff);
/* The account named so, of network net (-1: either), or NULL. */
struct sb_aff_account *sb_aff_find(struct sb_aff *aff, int net, const char *name, size_t len);
const char *sb_aff_net_name(int net);

/* ---- data (affiliate_gen.c) ---- */

/* Builds the account's campaigns, coupons and history over [local midnight
 * of (local date of now - days), now]. netindex MUST be < SB_AFF_MAX and
 * unique within the network. */
int sb_aff_account_init(struct sb_aff_account *a, enum sb_aff_net net, int netindex,
                        const char *name, const char *tzid, int per_day, uint64_t seed, int64_t now,
                        int days, struct err *err);
void sb_aff_account_release(struct sb_aff_account *a);

/* Admitad's action_id of the action at position seq of account a. */
uint64_t sb_adm_action_id(const struct sb_aff_account *a, size_t seq);
/* Moves one action forward (pending -> approved, declined or
 * approved_but_stalled, preferring the oldest pending ones; stalled ->
 * approved; approved -> paid), status_updated = max(now, previous + 1 s).
 * Returns its position, or -1 when nothing can move. */
long sb_adm_update_one(struct sb_aff_account *a, int64_t now);
/* Appends a pending action made at now. */
int sb_adm_create_action(struct sb_aff_account *a, int64_t now);
/* Changes one performance row of the last `days` local days (a return, or
 * a late order), last_updated_at = max(now, previous + 1 s). Returns its
 * position, or -1 when there is none. */
long sb_bst_update_row(struct sb_aff_account *a, int64_t now, int days);
/* Adds a row for a code that has none today. Returns its position, -1 when
 * every code has one, or a negative MS_ code. */
long sb_bst_create_row(struct sb_aff_account *a, int64_t now);
/* Campaigns and coupons: change one, add one, remove one (deleted ones are
 * no longer listed). Return the position, or -1 when there is none. */
long sb_aff_campaign_update(struct sb_aff_account *a, int64_t now);
long sb_aff_campaign_create(struct sb_aff_account *a, int64_t now);
long sb_aff_campaign_delete(struct sb_aff_account *a, int64_t now);
long sb_aff_coupon_update(struct sb_aff_account *a, int64_t now);
long sb_aff_coupon_create(struct sb_aff_account *a, int64_t now);
long sb_aff_coupon_delete(struct sb_aff_account *a, int64_t now);
/* A coupon is listed when neither it nor its campaign is deleted. */
int sb_aff_coupon_listed(const struct sb_aff_account *a, size_t i);
/* First row position whose day is >= day. */
size_t sb_bst_rows_from(const struct sb_aff_account *a, int32_t day);
/* Today in the account's zone, as days since 1970-01-01. */
int32_t sb_aff_today(struct sb_aff_account *a, int64_t now);
/* The first instant of a local day (days since 1970-01-01). */
int64_t sb_aff_midnight(struct sb_aff_account *a, int32_t day);

/* ---- rendering (affiliate_render.c): pure, given copies of the entries ---- */

/* "2026-11-20 14:05:33": t in the account's zone, without an offset. */
void sb_aff_local(struct sb_aff_account *a, int64_t t, char out[20]);
/* Local naive seconds (the local wall clock read as if it were UTC). */
int64_t sb_aff_naive(struct sb_aff_account *a, int64_t t);
uint32_t sb_aff_campaign_id(const struct sb_aff_account *a, size_t i);
uint32_t sb_aff_coupon_id(const struct sb_aff_account *a, size_t i);
const char *sb_adm_status_name(int status);
/* 1 for lead, 0 for sale campaigns. */
int sb_adm_campaign_is_lead(const struct sb_aff_account *a, size_t i);
int sb_adm_action_render(struct sb_aff_account *a, size_t seq, const struct sb_adm_action *e,
                         struct buf *out);
int sb_adm_campaign_render(struct sb_aff_account *a, size_t i, const struct sb_aff_campaign *c,
                           struct buf *out);
int sb_adm_coupon_render(struct sb_aff_account *a, size_t i, const struct sb_aff_coupon *c,
                         struct buf *out);
int sb_adm_website_render(struct sb_aff_account *a, struct buf *out);
int sb_bst_campaign_render(struct sb_aff_account *a, size_t i, const struct sb_aff_campaign *c,
                           struct buf *out);
int sb_bst_coupon_render(struct sb_aff_account *a, size_t i, const struct sb_aff_coupon *c,
                         struct buf *out);

/* The money of one code over some days: sums of per-day rounded values. */
struct sb_bst_sum {
  uint32_t code;       /* index into the coupons */
  uint16_t campaign;   /* the code's campaign (set by sb_bst_sum_add) */
  uint64_t orders;     /* orders */
  uint64_t net_orders; /* net orders */
  int64_t sales;       /* campaign currency, minor units */
  int64_t sales_usd;   /* cents */
  int64_t revenue;     /* publisher commission, cents */
  int64_t net_revenue; /* on net orders, cents */
  int64_t updated;     /* latest last_updated_at */
};
/* Adds one row to a sum (sum->code MUST be the row's code). Called under
 * the lock: it reads the code's campaign. */
void sb_bst_sum_add(const struct sb_aff_account *a, struct sb_bst_sum *sum,
                    const struct sb_bst_row *r);
/* A performance row; with date (the truth), "date":"YYYY-MM-DD" comes first. */
int sb_bst_perf_render(struct sb_aff_account *a, const struct sb_bst_sum *s, const char *date,
                       struct buf *out);

/* ---- the APIs (admitad.c, boostiny.c, affiliate.c) ---- */

/* True for the paths under /admitad and /boostiny. */
int sb_aff_path(const char *path);
void sb_aff_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res);
void sb_admitad_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res);
void sb_boostiny_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res);

/* Shared by both (affiliate.c). */
/* Logs and counts one request; account MAY be NULL. */
void sb_aff_log(struct sandbox *sb, struct sb_aff_account *a, const char *method, const char *path,
                const char *query, const struct sb_response *res);
/* Builds the answer of a replacing fault in the network's own error shapes. */
void sb_aff_fault_answer(struct sandbox *sb, int kind, enum sb_fault_api api, const char *path,
                         struct sb_response *res);
/* Compares without stopping at the first difference. */
int sb_aff_same_secret(const char *given, const char *want);

void sb_rwin_init(struct sb_rwin *w, int limit, double window);
void sb_rwin_release(struct sb_rwin *w);
/* Admits (1) when fewer than limit admissions fall in (now - window, now];
 * else 0 and *wait (MAY be NULL) the seconds until one leaves. */
int sb_rwin_take(struct sb_rwin *w, double now, double *wait);
/* Admissions within the window at now. */
int sb_rwin_count(struct sb_rwin *w, double now);
void sb_fwin_init(struct sb_fwin *w, int limit, double window);
/* Admits (1) or refuses (0); *reset gets the seconds until the window ends. */
int sb_fwin_take(struct sb_fwin *w, double now, double *reset);
/* Admissions left in the current window at now. */
int sb_fwin_remaining(const struct sb_fwin *w, double now);

/* ---- Admitad tokens (affiliate.c): stateless, tagged with the seed's key ---- */

struct sb_adm_token {
  int account;       /* index among all accounts */
  int refresh;       /* 1: a refresh token */
  unsigned scopes;   /* enum sb_adm_scope bits */
  int64_t issued_ms; /* the world's clock when minted */
};
/* 72 lower-case hex characters; out needs SB_ADM_TOKEN_LEN + 1 bytes. */
void sb_adm_token_mint(const struct sb_aff *aff, const struct sb_adm_token *t, char *out);
/* MS_OK when text is a token minted with this sandbox's key. */
int sb_adm_token_read(const struct sb_aff *aff, const char *text, struct sb_adm_token *out);

/* ---- Admitad's actions query (admitad.c), shared with the ground truth ---- */

struct sb_adm_list {
  long limit;  /* 1..500 */
  long offset; /* 0.. */
};

enum sb_adm_order { SB_ADM_DATE_DESC, SB_ADM_DATE_ASC, SB_ADM_SU_ASC, SB_ADM_SU_DESC };

struct sb_adm_query {
  struct sb_adm_list list; /* limit, offset */
  int32_t day_lo;          /* date_start: first local day, or INT32_MIN */
  int32_t day_hi;          /* date_end: last local day, or INT32_MAX */
  int64_t su_lo;           /* status_updated_start, local naive seconds, or INT64_MIN */
  int64_t su_hi;           /* status_updated_end, local naive seconds, or INT64_MAX */
  int64_t campaign;        /* advcampaign_id, or -1 */
  int no_website;          /* website names another ad space: nothing matches */
  unsigned statuses;       /* a bit per enum sb_adm_status; 0: all */
  int action_type;         /* 0 sale, 1 lead, -1 both */
  int order;               /* enum sb_adm_order; the default is -datetime */
};

/* Parses the actions' filters; answers 400 itself. With truth set, an end
 * in the future is accepted and limit/offset are not read. */
int sb_adm_query_parse(struct sandbox *sb, struct sb_aff_account *a, const struct sb_params *p,
                       int truth, struct sb_adm_query *q, struct sb_response *res);
/* Every matching position, in the query's order (ties by action_id). Called
 * under the lock; *out is the caller's to free. */
int sb_adm_select(struct sb_aff_account *a, const struct sb_adm_query *q, uint32_t **out,
                  size_t *count);

/* ---- admin hooks (affiliate_admin.c) ---- */

/* Which account ?admitad=NAME, ?boostiny=NAME or ?account=NAME names: *a is
 * NULL when none is given. Answers 404 (unknown) or 400 (more than one)
 * itself and returns non-zero then. */
int sb_aff_target(struct sandbox *sb, const struct sb_params *p, struct sb_response *res,
                  struct sb_aff_account **a);
/* Whether the query names an account at all. */
int sb_aff_named(const struct sb_params *p);
/* GET /_sandbox/truth?admitad=NAME|boostiny=NAME... */
void sb_aff_truth(struct sandbox *sb, struct sb_aff_account *a, const struct sb_params *p,
                  struct sb_response *res);
/* POST /_sandbox/mutate for one account (or all, a NULL): adds to the counts.
 * Answers 400 itself and returns non-zero for bad parameters. Takes the lock. */
int sb_aff_mutate(struct sandbox *sb, struct sb_aff_account *a, const struct sb_params *p,
                  unsigned long long *updated, unsigned long long *created,
                  unsigned long long *deleted, struct sb_response *res);
/* POST /_sandbox/admitad/... and /_sandbox/boostiny/...: answers and returns 1
 * for those paths, returns 0 for others. */
int sb_aff_admin_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res);
/* ,"admitad":{...},"boostiny":{...} of /_sandbox/info. Takes the lock. */
void sb_aff_info_json(struct sandbox *sb, struct buf *b);
/* "requests":N,"throttled":N,... of one account in /_sandbox/stats, ending
 * with a comma. Called under the lock. */
void sb_aff_stats_members(const struct sb_aff_account *a, struct buf *b);

#endif
