/* `marketsync sandbox`: a local emulator of the Shopify Admin REST API and of
 * Amazon's Selling Partner API (Orders v0, with Login with Amazon tokens).
 *
 * struct sandbox holds the generated shops and sellers, their rate-limit
 * buckets, the request log and the counters, all behind one mutex. Requests arrive as a
 * struct sb_request and leave as a struct sb_response, so the handlers know
 * nothing of the HTTP server (server.c) and can be driven from tests. */
#ifndef MS_SANDBOX_SANDBOX_H
#define MS_SANDBOX_SANDBOX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/affiliate.h"
#include "sandbox/amazon.h"
#include "sandbox/bucket.h"
#include "sandbox/fault.h"
#include "sandbox/gen.h"
#include "sandbox/reqlog.h"
#include "sandbox/sptoken.h"
#include "sandbox/tbucket.h"
#include "net/server.h"
#include "util/buf.h"
#include "util/err.h"

#define SB_TOKEN_MAX 128               /* access token length */
#define SB_MAX_HEADERS 10              /* response headers besides Content-Type */
#define SB_MUTATE_MAX 1000000          /* update or create per /_sandbox/mutate call */
#define SB_BODY_KEEP 8192              /* request body bytes kept for the handlers */
#define SB_TOKEN_LIFETIME_MAX 31536000 /* --token-lifetime, seconds */

/* Access scopes of the Shopify token, one bit each. */
enum sb_scope {
  SB_SCOPE_ORDERS = 1,    /* read_orders */
  SB_SCOPE_PRODUCTS = 2,  /* read_products */
  SB_SCOPE_CUSTOMERS = 4, /* read_customers */
  SB_SCOPE_INVENTORY = 8, /* read_inventory */
  SB_SCOPE_LOCATIONS = 16 /* read_locations */
};
#define SB_SCOPES_ALL 31u

struct sb_config {
  char host[64];                                 /* listen address, e.g. 127.0.0.1 */
  int port;                                      /* 0: any free port */
  uint64_t seed;                                 /* data seed */
  struct sb_shop_conf shops[SB_MAX_SHOPS];       /* the shops */
  int nshops;                                    /* entries in shops */
  int days;                                      /* days of history before today */
  int64_t now;                                   /* the world's clock at start */
  char token[SB_TOKEN_MAX];                      /* accepted access token */
  double bucket_size;                            /* leaky bucket capacity */
  double leak_rate;                              /* requests drained per second */
  int rate_limit;                                /* 0: never answer 429 */
  int threads;                                   /* server worker threads */
  size_t log_entries;                            /* request log ring size */
  struct sb_seller_conf sellers[SB_MAX_SELLERS]; /* the Amazon sellers */
  int nsellers;                                  /* entries in sellers */
  char lwa_client_id[SB_TOKEN_MAX];              /* accepted LWA client_id */
  char lwa_client_secret[SB_TOKEN_MAX];          /* and client_secret */
  int token_lifetime;                            /* access token lifetime, seconds */
  int64_t next_token_lifetime_ms; /* NextTokens older than this are refused; 0: never */
  double sp_speed;                /* multiplies SP-API refill rates */
  struct sb_fault_probs faults;   /* --faults, for every shop and seller */
  uint64_t fault_seed;            /* --fault-seed */
  unsigned fault_hang_ms;         /* --fault-hang-ms */
  uint64_t fault_huge_bytes;      /* --fault-huge-bytes */
  struct sb_aff_config aff;       /* Admitad and Boostiny accounts */
};

struct sb_shop_state {
  struct sb_bucket bucket;      /* rate limit */
  unsigned scopes;              /* enum sb_scope bits the token has */
  uint64_t requests;            /* API requests to this shop */
  uint64_t throttled;           /* of which answered 429 */
  struct sb_fault_state faults; /* injected faults */
};

struct sb_seller_state {
  struct sb_tbucket orders;     /* getOrders rate limit */
  struct sb_tbucket items;      /* getOrderItems rate limit */
  struct sb_tbucket order;      /* getOrder rate limit */
  uint64_t requests;            /* SP-API and token requests of this seller */
  uint64_t throttled;           /* of which answered 429 */
  uint32_t epoch;               /* NextTokens of older epochs are invalid */
  int64_t revoked_ms;           /* access tokens issued before this are expired */
  struct sb_fault_state faults; /* injected faults */
};

struct sandbox {
  struct sb_config cfg;                 /* as started (limits may change later) */
  unsigned char access_key[SB_KEY_LEN]; /* tags LWA access tokens */
  unsigned char next_key[SB_KEY_LEN];   /* tags NextTokens */
  pthread_mutex_t lock;                 /* guards everything below */
  struct sb_shop *shops;                /* cfg.nshops shops */
  struct sb_shop_state *state;          /* one per shop */
  struct sb_seller *sellers;            /* cfg.nsellers sellers */
  struct sb_seller_state *sstate;       /* one per seller */
  uint64_t request_ids;                 /* x-amzn-RequestId counter */
  struct sb_reqlog log;                 /* API request log */
  uint64_t requests;                    /* all API requests */
  uint64_t throttled;                   /* all 429s */
  uint64_t fault_counts[SB_FAULT_N];    /* faults injected, per kind */
  uint64_t fault_seed;                  /* the fault streams derive from it */
  unsigned fault_hang_ms;               /* a hang holds the connection this long */
  uint64_t fault_huge_bytes;            /* size of a huge body */
  double mono_start;                    /* monotonic seconds at start */
  char base_url[96];                    /* "http://127.0.0.1:PORT", set by the server */
  struct sb_aff *aff;                   /* the affiliate accounts (affiliate.h) */
};

struct sb_request {
  const char *method;        /* "GET", "POST", ... */
  const char *path;          /* raw path, without the query */
  const char *query;         /* raw query string without '?', "" when none */
  const char *host;          /* Host header, or NULL */
  const char *token;         /* X-Shopify-Access-Token header, or NULL */
  const char *amz_token;     /* x-amz-access-token header, or NULL */
  const char *body;          /* the first SB_BODY_KEEP bytes of the body, NUL-terminated,
                                or NULL when there is none */
  size_t body_len;           /* bytes in body */
  int body_truncated;        /* the body was longer than SB_BODY_KEEP */
  int body_too_big;          /* the request body went over the server's limit */
  int uri_too_long;          /* the request target went over SB_QUERY_MAX; path and
                                query then hold only its start */
  const char *authorization; /* Authorization header, or NULL */
};

struct sb_header {
  char name[40]; /* "Link" */
  char *value;   /* owned */
};

/* A body producer for long answers (JSONL): see srv_stream_fn. */
typedef srv_stream_fn sb_stream_fn;

struct sb_response {
  int status;                               /* HTTP status */
  const char *content_type;                 /* static string */
  struct buf body;                          /* the body, unless streamed */
  struct sb_header headers[SB_MAX_HEADERS]; /* extra headers */
  int nheaders;                             /* entries in headers */
  sb_stream_fn stream;                      /* MAY be NULL: then body is sent */
  void (*stream_free)(void *ctx);           /* frees stream_ctx; MAY be NULL */
  void *stream_ctx;                         /* for stream */
  int fault;                                /* enum sb_fault_kind injected, 0: none */
  int wire;                                 /* enum srv_wire: how it goes on the wire */
  unsigned hang_ms;                         /* SRV_WIRE_HANG: how long */
  size_t cut;                               /* SRV_WIRE_CUT_*: body bytes sent, < body.len */
};

void sb_config_defaults(struct sb_config *cfg);
/* Generates the shops' data. */
int sandbox_new(const struct sb_config *cfg, struct sandbox **out, struct err *err);
void sandbox_free(struct sandbox *sb);

/* Monotonic seconds. */
double sandbox_mono(void);
/* The world's wall clock: cfg.now plus the time since start. */
int64_t sandbox_now(const struct sandbox *sb);
/* The world's wall clock in Unix milliseconds. */
int64_t sandbox_now_ms(const struct sandbox *sb);
/* Milliseconds since start, for the request log. */
uint64_t sandbox_ms(const struct sandbox *sb);
/* The shop with this name, or NULL. */
struct sb_shop_state *sandbox_state(struct sandbox *sb, const struct sb_shop *shop);
struct sb_shop *sandbox_shop(struct sandbox *sb, const char *name, size_t len);
/* The seller with this name, or NULL. */
struct sb_seller *sandbox_seller(struct sandbox *sb, const char *name, size_t len);

/* "read_orders" for SB_SCOPE_ORDERS; NULL for anything else. */
const char *sb_scope_name(unsigned scope);
/* Parses "read_orders,read_products" (possibly empty) into scope bits. */
int sb_scopes_parse(const char *list, unsigned *out, struct err *err);
/* Appends ["read_orders",...] for the bits. */
int sb_scopes_json(unsigned scopes, struct buf *out);

/* Answers one request. Thread-safe. Every answer carries a Date header
 * with the world's clock (sandbox_now), which clients take as the server's
 * time. */
void sandbox_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res);

void sb_response_init(struct sb_response *res);
void sb_response_release(struct sb_response *res);
int sb_response_header(struct sb_response *res, const char *name, const char *value);
/* Sets status and a JSON body {"errors":MESSAGE} (MESSAGE as a string). */
void sb_response_error(struct sb_response *res, int status, const char *message);

/* In shopify.c: the /shops/NAME/admin/api/... endpoints. */
void sb_shopify_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res);
/* In amazon_api.c: POST /auth/o2/token and the SP-API under /sp-api/. */
void sb_amazon_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res);
/* True for the paths sb_amazon_handle serves. */
int sb_amazon_path(const char *path);
/* In fault_res.c: faulted answers. Decides the fault of a request to the
 * shop (seller < 0) or seller (shop < 0) whose target is "path?query";
 * takes the lock itself. Returns the kind or SB_FAULT_NONE. */
int sb_fault_decide(struct sandbox *sb, int shop, int seller, enum sb_fault_api api,
                    const char *path, const char *query);
/* The same for any fault state (the affiliate accounts'). */
int sb_fault_decide_in(struct sandbox *sb, struct sb_fault_state *st, enum sb_fault_api api,
                       const char *path, const char *query);
/* Whether the fault's answer replaces the real one (the handler is not run);
 * otherwise the real answer is built and then sb_fault_corrupt() applied. */
int sb_fault_replaces(int kind);
/* Builds the answer of a replacing fault in res (status, body, wire). */
void sb_fault_answer(struct sandbox *sb, int kind, enum sb_fault_api api, const char *path,
                     struct sb_response *res);
/* Damages the real answer in res for a non-replacing fault. */
void sb_fault_corrupt(int kind, struct sb_response *res);
/* The status to log: 0 when no complete answer is sent. */
int sb_fault_log_status(const struct sb_response *res);

/* In admin.c: the /_sandbox/... endpoints. */
void sb_admin_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res);

#endif
