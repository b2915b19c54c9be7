/* The emulated Admitad under /admitad (in place of https://api.admitad.com):
 * POST /token/ (client credentials and refresh), GET /websites/v2/,
 * /statistics/actions/, /advcampaigns/website/{w_id}/ and
 * /coupons/website/{w_id}/. A request names no account: the token says
 * whose it is. Checks run in this order: URL size, route, method, token
 * (401), scope (403), fault, the application's rate limit (503), parameters
 * (400), the ad space (404). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sandbox/params.h"
#include "sandbox/sandbox.h"

#define PREFIX "/admitad"
#define OFFSET_MAX 1000000000L /* largest offset accepted */
#define DAY 86400

enum route {
  R_NONE,
  R_TOKEN,
  R_WEBSITES,
  R_ACTIONS,
  R_CAMPAIGNS, /* /advcampaigns/website/{w_id}/ */
  R_COUPONS    /* /coupons/website/{w_id}/ */
};

static const struct {
  unsigned scope;   /* enum sb_adm_scope */
  const char *name; /* as in the scope parameter */
} scopes[] = {{SB_SCOPE_STATISTICS, "statistics"},
              {SB_SCOPE_CAMPAIGNS, "advcampaigns_for_website"},
              {SB_SCOPE_COUPONS, "coupons_for_website"},
              {SB_SCOPE_WEBSITES, "websites"}};

/* {"error":...,"error_description":...[,"error_code":N]}; code < 0: none. */
static void adm_error(struct sb_response *res, int status, const char *error, const char *desc,
                      int code) {
  res->status = status;
  buf_reset(&res->body);
  buf_puts(&res->body, "{\"error\":");
  buf_json_str(&res->body, error);
  buf_puts(&res->body, ",\"error_description\":");
  buf_json_str(&res->body, desc);
  if (code >= 0)
    buf_printf(&res->body, ",\"error_code\":%d", code);
  buf_putc(&res->body, '}');
}

static void bad_request(struct sb_response *res, const char *desc) {
  adm_error(res, 400, "bad_request", desc, 3);
}

/* "/statistics/actions" with or without its trailing slash. */
static int is(const char *path, const char *want) {
  size_t n = strlen(want);
  return strncmp(path, want, n) == 0 && (path[n] == '\0' || (path[n] == '/' && path[n + 1] == 0));
}

static enum route route(const char *path, uint64_t *wid) {
  static const char *const with_id[] = {"/advcampaigns/website/", "/coupons/website/"};
  if (is(path, "/token"))
    return R_TOKEN;
  if (is(path, "/websites/v2"))
    return R_WEBSITES;
  if (is(path, "/statistics/actions"))
    return R_ACTIONS;
  for (int k = 0; k < 2; k++) {
    size_t n = strlen(with_id[k]);
    const char *s = path + n;
    uint64_t v = 0;
    int digits = 0;
    if (strncmp(path, with_id[k], n) != 0)
      continue;
    for (; *s >= '0' && *s <= '9' && digits < 12; s++, digits++)
      v = v * 10 + (uint64_t)(*s - '0');
    if (!digits || !(*s == '\0' || (*s == '/' && s[1] == '\0')))
      return R_NONE;
    *wid = v;
    return k == 0 ? R_CAMPAIGNS : R_COUPONS;
  }
  return R_NONE;
}

/* ---- POST /token/ ---- */

static int b64val(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

/* "Basic base64(id:secret)" into id and secret; MS_EINVAL when it is not one. */
static int basic_auth(const char *h, char *id, char *secret, size_t len) {
  char raw[2 * SB_AFF_SECRET_MAX + 2];
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  if (!h || strncasecmp(h, "Basic ", 6) != 0)
    return MS_EINVAL;
  for (h += 6; *h == ' '; h++)
    ;
  for (; *h && *h != '='; h++) {
    int v = b64val(*h);
    if (v < 0)
      return MS_EINVAL;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n + 1 >= sizeof(raw))
        return MS_EINVAL;
      raw[n++] = (char)(acc >> bits & 0xff);
    }
  }
  raw[n] = '\0';
  char *colon = memchr(raw, ':', n);
  if (!colon || strlen(raw) != n || (size_t)(colon - raw) >= len || strlen(colon + 1) >= len)
    return MS_EINVAL;
  memcpy(id, raw, (size_t)(colon - raw));
  id[colon - raw] = '\0';
  snprintf(secret, len, "%s", colon + 1);
  return MS_OK;
}

static struct sb_aff_account *client_account(struct sandbox *sb, const char *client_id) {
  for (int i = 0; client_id && i < sb->aff->n; i++) {
    struct sb_aff_account *a = &sb->aff->accounts[i];
    if (a->net == SB_NET_ADMITAD && strcmp(a->secret1, client_id) == 0)
      return a;
  }
  return NULL;
}

/* The known scopes among "statistics websites ..." (space-separated). */
static unsigned scope_parse(const char *s) {
  unsigned mask = 0;
  while (s && *s) {
    size_t n = strcspn(s, " ");
    for (size_t k = 0; k < sizeof(scopes) / sizeof(scopes[0]); k++)
      if (strlen(scopes[k].name) == n && memcmp(scopes[k].name, s, n) == 0)
        mask |= scopes[k].scope;
    s += n;
    while (*s == ' ')
      s++;
  }
  return mask;
}

static void scope_text(unsigned mask, char *out, size_t len) {
  size_t n = 0;
  out[0] = '\0';
  for (size_t k = 0; k < sizeof(scopes) / sizeof(scopes[0]); k++)
    if (mask & scopes[k].scope)
      n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%s", n ? " " : "", scopes[k].name);
}

static void token_answer(struct sandbox *sb, struct sb_aff_account *a, unsigned mask,
                         struct sb_response *res) {
  struct sb_adm_token t = {a->index, 0, mask, sandbox_now_ms(sb)};
  char access[SB_ADM_TOKEN_LEN + 1], refresh[SB_ADM_TOKEN_LEN + 1], scope[128], first[40];
  sb_adm_token_mint(sb->aff, &t, access);
  t.refresh = 1;
  sb_adm_token_mint(sb->aff, &t, refresh);
  scope_text(mask, scope, sizeof(scope));
  snprintf(first, sizeof(first), "%s", a->name);
  if (first[0] >= 'a' && first[0] <= 'z')
    first[0] = (char)(first[0] - 'a' + 'A');
  buf_reset(&res->body);
  buf_printf(&res->body,
             "{\"access_token\":\"%s\",\"token_type\":\"bearer\",\"expires_in\":%d,"
             "\"refresh_token\":\"%s\",\"scope\":\"%s\",\"username\":\"%s\",\"first_name\":",
             access, sb->aff->cfg.token_lifetime, refresh, scope, a->name);
  buf_json_str(&res->body, first);
  buf_printf(&res->body,
             ",\"last_name\":\"Sandbox\",\"language\":\"en\",\"id\":%llu,\"group\":\"webmaster\"}",
             (unsigned long long)a->user_id);
  res->status = 200;
  sb_response_header(res, "Cache-Control", "no-store");
}

/* Who the request authenticates as; *named is the account its client_id
 * names, right secret or not (for the log and the faults). */
static struct sb_aff_account *client_auth(struct sandbox *sb, const struct sb_request *req,
                                          const struct sb_params *p, int *mismatch,
                                          struct sb_aff_account **named) {
  char id[SB_AFF_SECRET_MAX], secret[SB_AFF_SECRET_MAX];
  const char *bid = sb_params_get(p, "client_id"), *bsecret = sb_params_get(p, "client_secret");
  struct sb_aff_account *a;
  *mismatch = 0;
  if (basic_auth(req->authorization, id, secret, sizeof(id)) == MS_OK) {
    *named = client_account(sb, id);
    if (bid && strcmp(bid, id) != 0) {
      *mismatch = 1;
      return NULL;
    }
    a = *named;
    return a && sb_aff_same_secret(secret, a->secret2) ? a : NULL;
  }
  *named = client_account(sb, bid);
  a = *named;
  return a && bsecret && sb_aff_same_secret(bsecret, a->secret2) ? a : NULL;
}

static void token_grant(struct sandbox *sb, const struct sb_request *req, struct sb_response *res,
                        struct sb_aff_account **named) {
  const char *body = req->body ? req->body : "", *grant, *v;
  struct sb_params *p;
  struct sb_aff_account *a;
  struct sb_adm_token t;
  int mismatch;
  *named = NULL;
  if (strcmp(req->method, "POST") != 0) {
    sb_response_header(res, "Allow", "POST");
    adm_error(res, 405, "invalid_request",
              "Use POST for /token/, with the parameters in a form-encoded body.", -1);
    return;
  }
  if (req->body_truncated || strlen(body) != req->body_len) {
    adm_error(res, 400, "invalid_request",
              "The request body is over 8192 bytes or holds a NUL byte; send the form "
              "parameters only.",
              -1);
    return;
  }
  if (body[0] == '{') {
    adm_error(res, 400, "invalid_request",
              "Send the parameters form-encoded (application/x-www-form-urlencoded), not as JSON.",
              -1);
    return;
  }
  p = malloc(sizeof(*p));
  if (!p) {
    adm_error(res, 500, "server_error", "out of memory", -1);
    return;
  }
  if (sb_params_parse(p, body) != SB_PARAMS_OK) {
    adm_error(res, 400, "invalid_request",
              "The request body could not be decoded as a form (too many fields, or a NUL byte).",
              -1);
    goto done;
  }
  a = client_auth(sb, req, p, &mismatch, named);
  grant = sb_params_get(p, "grant_type");
  if (!grant || !*grant) {
    adm_error(res, 400, "invalid_request",
              "The request is missing a required parameter: grant_type", -1);
    goto done;
  }
  if (strcmp(grant, "client_credentials") != 0 && strcmp(grant, "refresh_token") != 0) {
    adm_error(res, 400, "unsupported_grant_type",
              "The sandbox grants client_credentials and refresh_token.", -1);
    goto done;
  }
  if (!a) {
    adm_error(res, 401, "invalid_client",
              mismatch ? "Client authentication failed: client_id in the body differs from the "
                         "one in the Authorization header."
                       : "Client authentication failed: send Authorization: Basic "
                         "base64(client_id:client_secret).",
              -1);
    goto done;
  }
  if (strcmp(grant, "client_credentials") == 0) {
    unsigned mask = scope_parse(sb_params_get(p, "scope"));
    if (!mask) {
      adm_error(res, 400, "invalid_scope",
                "scope must name at least one of statistics, advcampaigns_for_website, "
                "coupons_for_website and websites (space-separated).",
                -1);
      goto done;
    }
    token_answer(sb, a, mask, res);
    goto done;
  }
  v = sb_params_get(p, "refresh_token");
  if (!v || !*v) {
    adm_error(res, 400, "invalid_request",
              "The request is missing a required parameter: refresh_token", -1);
    goto done;
  }
  pthread_mutex_lock(&sb->lock);
  int64_t revoked = a->refresh_revoked_ms;
  pthread_mutex_unlock(&sb->lock);
  if (sb_adm_token_read(sb->aff, v, &t) || !t.refresh || t.account != a->index ||
      t.issued_ms < revoked) {
    adm_error(res, 400, "invalid_grant", "Invalid refresh token", -1);
    goto done;
  }
  token_answer(sb, a, t.scopes, res);
done:
  free(p);
}

/* ---- access tokens ---- */

/* Answers 401/403 itself and returns -1 unless the bearer token is valid,
 * unexpired and holds the scope; *account is set whenever the token names
 * one. */
static int authenticate(struct sandbox *sb, const struct sb_request *req, unsigned need,
                        struct sb_aff_account **account, struct sb_response *res) {
  const char *h = req->authorization;
  struct sb_adm_token t;
  char msg[200], have[128];
  *account = NULL;
  if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
    adm_error(res, 401, "invalid_token",
              "Authentication credentials were not provided: send Authorization: Bearer "
              "ACCESS_TOKEN.",
              1);
    return -1;
  }
  for (h += 7; *h == ' '; h++)
    ;
  if (sb_adm_token_read(sb->aff, h, &t) || t.refresh) {
    adm_error(res, 401, "invalid_token", "The access token provided is invalid.", 1);
    return -1;
  }
  *account = &sb->aff->accounts[t.account];
  pthread_mutex_lock(&sb->lock);
  int64_t revoked = (*account)->revoked_ms;
  pthread_mutex_unlock(&sb->lock);
  if (sandbox_now_ms(sb) >= t.issued_ms + (int64_t)sb->aff->cfg.token_lifetime * 1000 ||
      t.issued_ms < revoked) {
    adm_error(res, 401, "invalid_token", "The access token provided has expired.", 0);
    return -1;
  }
  if (!(t.scopes & need)) {
    scope_text(need, msg, sizeof(msg));
    scope_text(t.scopes, have, sizeof(have));
    char desc[512];
    snprintf(desc, sizeof(desc),
             "Insufficient scope: this call needs the scope %s; the token was granted: %s.", msg,
             have);
    adm_error(res, 403, "insufficient_scope", desc, 2);
    return -1;
  }
  return 0;
}

/* ---- parameters ---- */

static int whole(const char *v, long max, long *out) {
  char *end;
  if (!v || *v < '0' || *v > '9')
    return MS_EINVAL;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno || *end || n > max)
    return MS_EINVAL;
  *out = n;
  return MS_OK;
}

static int list_parse(const struct sb_params *p, struct sb_adm_list *q, struct sb_response *res) {
  const char *v;
  char msg[160];
  q->limit = SB_ADM_PAGE_DEFAULT;
  q->offset = 0;
  if ((v = sb_params_get(p, "limit")) && (whole(v, SB_ADM_PAGE_MAX, &q->limit) || q->limit < 1)) {
    snprintf(msg, sizeof(msg), "limit '%.20s' must be a whole number from 1 to %d.", v,
             SB_ADM_PAGE_MAX);
    bad_request(res, msg);
    return MS_EINVAL;
  }
  if ((v = sb_params_get(p, "offset")) && whole(v, OFFSET_MAX, &q->offset)) {
    snprintf(msg, sizeof(msg), "offset '%.20s' must be a whole number from 0 to %ld.", v,
             OFFSET_MAX);
    bad_request(res, msg);
    return MS_EINVAL;
  }
  return MS_OK;
}

static int two(const char *s, int *out) {
  if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
    return 0;
  *out = (s[0] - '0') * 10 + (s[1] - '0');
  return 1;
}

/* "dd.mm.yyyy" into days since 1970-01-01. */
static int dmy_parse(const char *s, int32_t *day) {
  struct civil_date d;
  char iso[DATE_STR_LEN];
  if (strlen(s) < 10 || s[2] != '.' || s[5] != '.')
    return MS_EINVAL;
  snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", s + 6, s + 3, s);
  if (date_parse(iso, &d, NULL))
    return MS_EINVAL;
  *day = (int32_t)date_to_days(d);
  return MS_OK;
}

/* "dd.mm.yyyy HH:MM:SS" (or "dd.mm.yyyy": 00:00:00) into local naive seconds. */
static int dmyhms_parse(const char *s, int64_t *naive) {
  int32_t day;
  int h, m, sec;
  if (dmy_parse(s, &day))
    return MS_EINVAL;
  if (s[10] == '\0') {
    *naive = (int64_t)day * DAY;
    return MS_OK;
  }
  if (s[10] != ' ' || strlen(s) != 19 || !two(s + 11, &h) || s[13] != ':' || !two(s + 14, &m) ||
      s[16] != ':' || !two(s + 17, &sec) || h > 23 || m > 59 || sec > 59)
    return MS_EINVAL;
  *naive = (int64_t)day * DAY + h * 3600 + m * 60 + sec;
  return MS_OK;
}

static void naive_dmy(int64_t naive, char out[24]) {
  int64_t days = naive >= 0 ? naive / DAY : -((-naive + DAY - 1) / DAY), s = naive - days * DAY;
  struct civil_date d = date_from_days(days);
  char tmp[64];
  snprintf(tmp, sizeof(tmp), "%02d.%02d.%04d %02d:%02d:%02d", d.d, d.m, d.y % 10000,
           (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
  snprintf(out, 24, "%.19s", tmp);
}

static int status_parse(const char *v) {
  static const char *const numbers[] = {"1", "2", "3"};
  for (int k = 0; k < SB_ADM_STATUS_N; k++)
    if (strcmp(v, sb_adm_status_name(k)) == 0)
      return k;
  for (int k = 0; k < 3; k++)
    if (strcmp(v, numbers[k]) == 0)
      return k; /* 1 pending, 2 approved, 3 declined */
  return -1;
}

/* The actions' parameters. With truth set, an end in the future is fine and
 * limit/offset are not read. */
int sb_adm_query_parse(struct sandbox *sb, struct sb_aff_account *a, const struct sb_params *p,
                       int truth, struct sb_adm_query *q, struct sb_response *res) {
  static const char *const orders[] = {"-datetime", "datetime", "status_updated",
                                       "-status_updated"};
  const char *v;
  char msg[320], t1[24], t2[24];
  long n;
  memset(q, 0, sizeof(*q));
  q->day_lo = INT32_MIN;
  q->day_hi = INT32_MAX;
  q->su_lo = INT64_MIN;
  q->su_hi = INT64_MAX;
  q->campaign = -1;
  q->action_type = -1;
  if (!truth && list_parse(p, &q->list, res))
    return MS_EINVAL;
  static const char *const days[] = {"date_start", "date_end"};
  for (int k = 0; k < 2; k++) {
    int32_t d;
    if (!(v = sb_params_get(p, days[k])))
      continue;
    if (dmy_parse(v, &d) || strlen(v) != 10) {
      snprintf(msg, sizeof(msg),
               "%s '%.40s' is not a date in the form dd.mm.yyyy, e.g. 20.11.2026.", days[k], v);
      bad_request(res, msg);
      return MS_EINVAL;
    }
    *(k ? &q->day_hi : &q->day_lo) = d;
  }
  if (q->day_lo > q->day_hi) {
    bad_request(res, "date_start must not be after date_end.");
    return MS_EINVAL;
  }
  static const char *const sus[] = {"status_updated_start", "status_updated_end"};
  for (int k = 0; k < 2; k++) {
    int64_t t;
    if (!(v = sb_params_get(p, sus[k])))
      continue;
    if (dmyhms_parse(v, &t)) {
      snprintf(msg, sizeof(msg),
               "%s '%.40s' is not a date-time in the form dd.mm.yyyy HH:MM:SS, e.g. 20.11.2026 "
               "14:05:33.",
               sus[k], v);
      bad_request(res, msg);
      return MS_EINVAL;
    }
    *(k ? &q->su_hi : &q->su_lo) = t;
  }
  if (q->su_lo != INT64_MIN && q->su_hi != INT64_MAX && q->su_lo > q->su_hi) {
    bad_request(res, "status_updated_start must not be after status_updated_end.");
    return MS_EINVAL;
  }
  if (!truth && q->su_hi != INT64_MAX) {
    int64_t local_now = sb_aff_naive(a, sandbox_now(sb));
    if (q->su_hi > local_now) {
      naive_dmy(q->su_hi, t1);
      naive_dmy(local_now, t2);
      snprintf(msg, sizeof(msg),
               "status_updated_end (%s) is in the future; it must not be later than the current "
               "time, %s (%s).",
               t1, t2, a->tzid);
      bad_request(res, msg);
      return MS_EINVAL;
    }
  }
  if ((v = sb_params_get(p, "campaign"))) {
    if (whole(v, 4000000000L, &n)) {
      bad_request(res, "campaign must be a programme id (a whole number).");
      return MS_EINVAL;
    }
    q->campaign = n;
  }
  if ((v = sb_params_get(p, "website"))) {
    if (whole(v, 4000000000L, &n)) {
      bad_request(res, "website must be an ad space id (a whole number).");
      return MS_EINVAL;
    }
    q->no_website = (uint64_t)n != a->website_id;
  }
  if ((v = sb_params_get(p, "status"))) {
    int st = status_parse(v);
    if (st < 0) {
      snprintf(msg, sizeof(msg),
               "status '%.30s' is not one of pending, approved, declined, approved_but_stalled "
               "(or 1, 2, 3).",
               v);
      bad_request(res, msg);
      return MS_EINVAL;
    }
    q->statuses = 1u << st;
  }
  if ((v = sb_params_get(p, "action_type"))) {
    if (strcmp(v, "sale") != 0 && strcmp(v, "lead") != 0) {
      bad_request(res, "action_type must be lead or sale.");
      return MS_EINVAL;
    }
    q->action_type = strcmp(v, "lead") == 0;
  }
  if ((v = sb_params_get(p, "order_by"))) {
    size_t k = 0;
    while (k < 4 && strcmp(v, orders[k]) != 0)
      k++;
    if (k == 4) {
      snprintf(msg, sizeof(msg),
               "order_by '%.30s' is not one the sandbox sorts by: datetime, -datetime, "
               "status_updated, -status_updated.",
               v);
      bad_request(res, msg);
      return MS_EINVAL;
    }
    q->order = (int)k;
  }
  return MS_OK;
}

/* Called under the lock: the action matches the filters (its day already
 * does). lead[] says which campaigns pay per lead. */
static int action_matches(struct sb_aff_account *a, const struct sb_adm_query *q,
                          const unsigned char *lead, const struct sb_adm_action *e) {
  if (q->statuses && !(q->statuses & (1u << e->status)))
    return 0;
  if (q->campaign >= 0 && (int64_t)sb_aff_campaign_id(a, e->campaign) != q->campaign)
    return 0;
  if (q->action_type >= 0 && lead[e->campaign] != q->action_type)
    return 0;
  if (q->su_lo != INT64_MIN || q->su_hi != INT64_MAX) {
    int64_t su = sb_aff_naive(a, e->updated);
    if (su < q->su_lo || su > q->su_hi)
      return 0;
  }
  return 1;
}

/* Positions [*lo, *hi) of the actions whose local day is in the range. */
static void day_slice(struct sb_aff_account *a, const struct sb_adm_query *q, size_t *lo,
                      size_t *hi) {
  int64_t from = q->day_lo == INT32_MIN ? INT64_MIN : sb_aff_midnight(a, q->day_lo);
  int64_t to = q->day_hi == INT32_MAX ? INT64_MAX : sb_aff_midnight(a, q->day_hi + 1);
  size_t l = 0, h = a->nactions;
  while (l < h) {
    size_t mid = l + (h - l) / 2;
    if (a->actions[mid].date < from)
      l = mid + 1;
    else
      h = mid;
  }
  *lo = l;
  h = a->nactions;
  while (l < h) {
    size_t mid = l + (h - l) / 2;
    if (a->actions[mid].date < to)
      l = mid + 1;
    else
      h = mid;
  }
  *hi = l;
}

/* Which campaigns pay per lead, when the query filters on it. */
static void lead_table(struct sb_aff_account *a, const struct sb_adm_query *q,
                       unsigned char *lead) {
  for (size_t i = 0; q->action_type >= 0 && i < a->ncampaigns; i++)
    lead[i] = (unsigned char)sb_adm_campaign_is_lead(a, i);
}

/* One page in datetime order, without sorting or a list of every match:
 * counts the matches and copies the page's entries. Called under the lock. */
static size_t date_page(struct sb_aff_account *a, const struct sb_adm_query *q, uint32_t *seqs,
                        struct sb_adm_action *page, size_t *n) {
  unsigned char lead[SB_AFF_CAMPAIGNS_MAX];
  size_t lo, hi, count = 0, skip = (size_t)q->list.offset;
  int desc = q->order == SB_ADM_DATE_DESC;
  *n = 0;
  if (q->no_website)
    return 0;
  day_slice(a, q, &lo, &hi);
  lead_table(a, q, lead);
  for (size_t k = lo; k < hi; k++) {
    size_t i = desc ? hi - 1 - (k - lo) : k;
    if (!action_matches(a, q, lead, &a->actions[i]))
      continue;
    if (count++ < skip || *n == (size_t)q->list.limit)
      continue;
    seqs[*n] = (uint32_t)i;
    page[(*n)++] = a->actions[i];
  }
  return count;
}

struct su_key {
  int64_t updated; /* status_updated */
  uint32_t pos;    /* position (== sequence) */
};

static int su_cmp(const void *x, const void *y) {
  const struct su_key *a = x, *b = y;
  if (a->updated != b->updated)
    return a->updated < b->updated ? -1 : 1;
  return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* The matching positions in the query's order, all of them (no paging).
 * Called under the lock; *out is the caller's to free. */
int sb_adm_select(struct sb_aff_account *a, const struct sb_adm_query *q, uint32_t **out,
                  size_t *count) {
  size_t lo, hi, n = 0;
  struct su_key *keys;
  unsigned char *lead;
  *out = NULL;
  *count = 0;
  if (q->no_website)
    return MS_OK;
  day_slice(a, q, &lo, &hi);
  keys = malloc((hi - lo + 1) * sizeof(*keys));
  *out = malloc((hi - lo + 1) * sizeof(**out));
  lead = malloc(a->ncampaigns + 1);
  if (!keys || !*out || !lead) {
    free(keys);
    free(*out);
    free(lead);
    *out = NULL;
    return MS_ENOMEM;
  }
  lead_table(a, q, lead);
  for (size_t i = lo; i < hi; i++)
    if (action_matches(a, q, lead, &a->actions[i])) {
      keys[n].updated = a->actions[i].updated;
      keys[n++].pos = (uint32_t)i;
    }
  if (q->order == SB_ADM_SU_ASC || q->order == SB_ADM_SU_DESC)
    qsort(keys, n, sizeof(*keys), su_cmp);
  for (size_t i = 0; i < n; i++) {
    int desc = q->order == SB_ADM_DATE_DESC || q->order == SB_ADM_SU_DESC;
    (*out)[i] = keys[desc ? n - 1 - i : i].pos;
  }
  free(keys);
  free(lead);
  *count = n;
  return MS_OK;
}

/* ---- the answers ---- */

static void meta(struct buf *b, size_t count, const struct sb_adm_list *q) {
  buf_printf(b, "],\"_meta\":{\"count\":%zu,\"limit\":%ld,\"offset\":%ld}}", count, q->limit,
             q->offset);
}

static void out_of_memory(struct sb_response *res) {
  adm_error(res, 500, "server_error", "out of memory", -1);
}

static void actions(struct sandbox *sb, struct sb_aff_account *a, const struct sb_params *p,
                    struct sb_response *res) {
  struct sb_adm_query q;
  uint32_t *pos;
  size_t count, n = 0;
  struct sb_adm_action *page;
  uint32_t *seqs;
  int rc;
  if (sb_adm_query_parse(sb, a, p, 0, &q, res))
    return;
  page = malloc((size_t)q.list.limit * sizeof(*page));
  seqs = malloc((size_t)q.list.limit * sizeof(*seqs));
  if (!page || !seqs) {
    free(page);
    free(seqs);
    out_of_memory(res);
    return;
  }
  pthread_mutex_lock(&sb->lock);
  if (q.order == SB_ADM_DATE_ASC || q.order == SB_ADM_DATE_DESC) {
    rc = MS_OK;
    pos = NULL;
    count = date_page(a, &q, seqs, page, &n);
  } else {
    rc = sb_adm_select(a, &q, &pos, &count);
    for (size_t i = (size_t)q.list.offset; !rc && i < count && n < (size_t)q.list.limit; i++) {
      seqs[n] = pos[i];
      page[n++] = a->actions[pos[i]];
    }
  }
  pthread_mutex_unlock(&sb->lock);
  free(pos);
  /* Rendering happens outside the lock, from the copied entries. */
  if (!rc)
    rc = buf_reserve(&res->body, n * 1400 + 128);
  if (!rc)
    rc = buf_puts(&res->body, "{\"results\":[");
  for (size_t i = 0; !rc && i < n; i++) {
    if (i)
      rc = buf_putc(&res->body, ',');
    if (!rc)
      rc = sb_adm_action_render(a, seqs[i], &page[i], &res->body);
  }
  if (!rc)
    meta(&res->body, count, &q.list);
  free(page);
  free(seqs);
  if (rc)
    out_of_memory(res);
}

/* Campaigns (coupons == 0) or coupons of the ad space. */
static void catalog(struct sandbox *sb, struct sb_aff_account *a, int coupons, uint64_t wid,
                    const struct sb_params *p, struct sb_response *res) {
  struct sb_adm_list q;
  size_t count = 0, n = 0;
  char msg[200];
  int rc = MS_OK;
  if (list_parse(p, &q, res))
    return;
  if (wid != a->website_id) {
    snprintf(msg, sizeof(msg),
             "Ad space %llu was not found among this account's ad spaces; GET /websites/v2/ lists "
             "them.",
             (unsigned long long)wid);
    adm_error(res, 404, "not_found", msg, -1);
    return;
  }
  struct sb_aff_campaign *cs = coupons ? NULL : malloc((size_t)q.limit * sizeof(*cs));
  struct sb_aff_coupon *ks = coupons ? malloc((size_t)q.limit * sizeof(*ks)) : NULL;
  size_t *idx = malloc((size_t)q.limit * sizeof(*idx));
  if ((!cs && !ks) || !idx) {
    free(cs);
    free(ks);
    free(idx);
    out_of_memory(res);
    return;
  }
  pthread_mutex_lock(&sb->lock);
  size_t total = coupons ? a->ncoupons : a->ncampaigns;
  for (size_t i = 0; i < total; i++) {
    int listed = coupons ? sb_aff_coupon_listed(a, i) : !a->campaigns[i].deleted;
    if (!listed)
      continue;
    if (count++ < (size_t)q.offset || n == (size_t)q.limit)
      continue;
    idx[n] = i;
    if (coupons)
      ks[n++] = a->coupons[i];
    else
      cs[n++] = a->campaigns[i];
  }
  pthread_mutex_unlock(&sb->lock);
  rc = buf_puts(&res->body, "{\"results\":[");
  for (size_t i = 0; !rc && i < n; i++) {
    if (i)
      rc = buf_putc(&res->body, ',');
    if (!rc)
      rc = coupons ? sb_adm_coupon_render(a, idx[i], &ks[i], &res->body)
                   : sb_adm_campaign_render(a, idx[i], &cs[i], &res->body);
  }
  if (!rc)
    meta(&res->body, count, &q);
  free(cs);
  free(ks);
  free(idx);
  if (rc)
    out_of_memory(res);
}

static void websites(struct sb_aff_account *a, const struct sb_params *p, struct sb_response *res) {
  struct sb_adm_list q;
  int rc;
  if (list_parse(p, &q, res))
    return;
  rc = buf_puts(&res->body, "{\"results\":[");
  if (!rc && q.offset == 0)
    rc = sb_adm_website_render(a, &res->body);
  if (!rc)
    meta(&res->body, 1, &q);
  if (rc)
    out_of_memory(res);
}

/* ---- the dispatcher ---- */

static const unsigned need_scope[] = {
    0, 0, SB_SCOPE_WEBSITES, SB_SCOPE_STATISTICS, SB_SCOPE_CAMPAIGNS, SB_SCOPE_COUPONS};

static void api(struct sandbox *sb, const struct sb_request *req, enum route r, uint64_t wid,
                struct sb_aff_account **account, struct sb_response *res) {
  struct sb_aff_account *a;
  struct sb_params *p;
  int admitted = 0, fault;
  if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
    sb_response_header(res, "Allow", "GET, HEAD");
    adm_error(res, 405, "method_not_allowed", "This resource is served to GET (and HEAD) only.",
              -1);
    return;
  }
  if (authenticate(sb, req, need_scope[r], account, res))
    return;
  a = *account;
  /* Drawn before the rate limit, as for the shops and sellers. */
  fault = sb_fault_decide_in(sb, &a->faults, SB_API_ADMITAD, req->path, req->query);
  pthread_mutex_lock(&sb->lock);
  if (!fault || sb_fault_counted(fault))
    admitted = !sb->aff->rate_limit || sb_rwin_take(&a->admit, sandbox_mono(), NULL);
  if ((!fault && !admitted) || fault == SB_FAULT_429 || fault == SB_FAULT_429_DATE ||
      fault == SB_FAULT_429_BARE) {
    a->throttled++;
    sb->throttled++;
  }
  pthread_mutex_unlock(&sb->lock);
  if (fault && sb_fault_replaces(fault)) {
    sb_aff_fault_answer(sb, fault, SB_API_ADMITAD, req->path, res);
    return;
  }
  if (!admitted && !fault) {
    char msg[160];
    snprintf(msg, sizeof(msg),
             "Request limit exceeded: at most %d requests a minute per application. Slow down.",
             sb->aff->cfg.admitad_limit);
    adm_error(res, 503, "request_limit", msg, 4);
    return;
  }
  p = malloc(sizeof(*p));
  if (!p) {
    out_of_memory(res);
    return;
  }
  switch (sb_params_parse(p, req->query)) {
  case SB_PARAMS_OK:
    if (r == R_WEBSITES)
      websites(a, p, res);
    else if (r == R_ACTIONS)
      actions(sb, a, p, res);
    else
      catalog(sb, a, r == R_COUPONS, wid, p, res);
    break;
  case SB_PARAMS_TOO_MANY:
    bad_request(res, "Too many query parameters: at most 50 are accepted.");
    break;
  default:
    bad_request(res, "The query string could not be decoded.");
    break;
  }
  free(p);
  if (fault)
    sb_fault_corrupt(fault, res);
}

void sb_admitad_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res) {
  const char *path = req->path + sizeof(PREFIX) - 1;
  struct sb_aff_account *a = NULL;
  uint64_t wid = 0;
  enum route r;
  res->content_type = "application/json";
  if (req->uri_too_long || strlen(req->path) + strlen(req->query) > SB_QUERY_MAX) {
    bad_request(res, "The URL is too long: at most 8192 bytes are accepted.");
    res->status = 414;
  } else if ((r = route(path, &wid)) == R_NONE) {
    adm_error(res, 404, "not_found",
              "Not found: the sandbox serves /token/, /websites/v2/, /statistics/actions/, "
              "/advcampaigns/website/{w_id}/ and /coupons/website/{w_id}/ under /admitad.",
              -1);
  } else if (r == R_TOKEN) {
    token_grant(sb, req, res, &a);
    /* A faulted grant is minted and then discarded: tokens are not stored. */
    if (a) {
      int fault = sb_fault_decide_in(sb, &a->faults, SB_API_ADM_TOKEN, req->path, req->query);
      if (fault == SB_FAULT_429 || fault == SB_FAULT_429_DATE || fault == SB_FAULT_429_BARE) {
        pthread_mutex_lock(&sb->lock);
        a->throttled++;
        sb->throttled++;
        pthread_mutex_unlock(&sb->lock);
      }
      if (fault && sb_fault_replaces(fault))
        sb_aff_fault_answer(sb, fault, SB_API_ADM_TOKEN, req->path, res);
      else if (fault)
        sb_fault_corrupt(fault, res);
    }
    /* Neither the body nor the query is logged: they hold secrets. */
    sb_aff_log(sb, a, req->method, "/token/", "", res);
    return;
  } else {
    api(sb, req, r, wid, &a, res);
  }
  sb_aff_log(sb, a, req->method, *path ? path : "/", req->query, res);
}
