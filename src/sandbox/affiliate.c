/* The affiliate accounts as a whole: building them, finding them, what
 * their two APIs share (the request log, the Date header, faulted answers,
 * rate windows) and Admitad's stateless tokens. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/sandbox.h"

#define LOG_TEXT_MAX 8192 /* bytes of path or query kept in the request log */
#define TOKEN_VERSION 1
#define TOKEN_RECORD 20 /* version, kind, account, scopes, issued_ms, nonce */
#define TOKEN_TAG 16
#define ADMITAD_PREFIX "/admitad"
#define BOOSTINY_PREFIX "/boostiny"

static const char *const net_names[SB_NET_N] = {"admitad", "boostiny"};

const char *sb_aff_net_name(int net) {
  return net >= 0 && net < SB_NET_N ? net_names[net] : "";
}

/* ---- lifecycle ---- */

static void account_limits(struct sb_aff *aff, struct sb_aff_account *a) {
  double window = SB_AFF_WINDOW / (aff->cfg.speed > 0 ? aff->cfg.speed : 1);
  if (a->net == SB_NET_ADMITAD) {
    sb_rwin_init(&a->admit, aff->cfg.admitad_limit, window);
  } else {
    sb_fwin_init(&a->throttle, aff->cfg.boostiny_limit, window);
    sb_rwin_init(&a->abuse, aff->cfg.lockout_after, window);
  }
}

int sb_aff_new(const struct sb_aff_config *c, uint64_t seed, int64_t now, int days, int rate_limit,
               struct sb_aff **out, struct err *err) {
  struct sb_aff *aff = calloc(1, sizeof(*aff));
  int rc = MS_OK;
  *out = NULL;
  if (!aff)
    return err_set(err, MS_ENOMEM, "out of memory");
  if (c->nadmitad < 0 || c->nadmitad > SB_AFF_MAX || c->nboostiny < 0 ||
      c->nboostiny > SB_AFF_MAX) {
    free(aff);
    return err_set(err, MS_EINVAL, "at most %d accounts per affiliate network", SB_AFF_MAX);
  }
  aff->cfg = *c;
  aff->rate_limit = rate_limit;
  sb_key_derive(seed, 0x41444d4954414400ULL, aff->token_key);
  aff->accounts = calloc((size_t)(c->nadmitad + c->nboostiny) + 1, sizeof(*aff->accounts));
  if (!aff->accounts) {
    free(aff);
    return err_set(err, MS_ENOMEM, "out of memory");
  }
  for (int i = 0; !rc && i < c->nadmitad + c->nboostiny; i++) {
    struct sb_aff_account *a = &aff->accounts[i];
    int adm = i < c->nadmitad, k = adm ? i : i - c->nadmitad;
    const char *name = adm ? c->admitad[k].name : c->boostiny[k].name;
    rc = sb_aff_account_init(a, adm ? SB_NET_ADMITAD : SB_NET_BOOSTINY, k, name,
                             adm ? c->admitad[k].tzid : c->boostiny[k].tzid,
                             adm ? c->admitad[k].per_day : c->boostiny[k].per_day, seed, now, days,
                             err);
    if (rc)
      break;
    aff->n++;
    a->index = i;
    snprintf(a->secret1, sizeof(a->secret1), "%s",
             adm ? c->admitad[k].client_id : c->boostiny[k].api_key);
    snprintf(a->secret2, sizeof(a->secret2), "%s", adm ? c->admitad[k].client_secret : "");
    account_limits(aff, a);
    sb_fault_state_init(&a->faults, a->name);
    if ((a->net == SB_NET_ADMITAD && !a->admit.t && a->admit.limit > 0) ||
        (a->net == SB_NET_BOOSTINY && !a->abuse.t && a->abuse.limit > 0))
      rc = err_set(err, MS_ENOMEM, "out of memory");
  }
  if (rc) {
    sb_aff_free(aff);
    return rc;
  }
  *out = aff;
  return MS_OK;
}

void sb_aff_free(struct sb_aff *aff) {
  if (!aff)
    return;
  for (int i = 0; i < aff->n; i++)
    sb_aff_account_release(&aff->accounts[i]);
  free(aff->accounts);
  free(aff);
}

struct sb_aff_account *sb_aff_find(struct sb_aff *aff, int net, const char *name, size_t len) {
  for (int i = 0; aff && i < aff->n; i++) {
    struct sb_aff_account *a = &aff->accounts[i];
    if ((net < 0 || (int)a->net == net) && strlen(a->name) == len &&
        memcmp(a->name, name, len) == 0)
      return a;
  }
  return NULL;
}

/* ---- rate windows ---- */

void sb_rwin_init(struct sb_rwin *w, int limit, double window) {
  memset(w, 0, sizeof(*w));
  w->limit = limit;
  w->window = window;
  if (limit > 0)
    w->t = calloc((size_t)limit, sizeof(*w->t));
}

void sb_rwin_release(struct sb_rwin *w) {
  free(w->t);
  w->t = NULL;
  w->n = 0;
}

static void rwin_expire(struct sb_rwin *w, double now) {
  while (w->n && w->t[w->head] <= now - w->window) {
    w->head = (w->head + 1) % w->limit;
    w->n--;
  }
}

int sb_rwin_take(struct sb_rwin *w, double now, double *wait) {
  if (!w->t)
    return 0;
  rwin_expire(w, now);
  if (w->n == w->limit) {
    if (wait)
      *wait = w->t[w->head] + w->window - now;
    return 0;
  }
  w->t[(w->head + w->n) % w->limit] = now;
  w->n++;
  return 1;
}

int sb_rwin_count(struct sb_rwin *w, double now) {
  if (!w->t)
    return 0;
  rwin_expire(w, now);
  return w->n;
}

void sb_fwin_init(struct sb_fwin *w, int limit, double window) {
  memset(w, 0, sizeof(*w));
  w->limit = limit;
  w->window = window;
}

static void fwin_roll(struct sb_fwin *w, double now) {
  if (w->start > 0 && now >= w->start + w->window) {
    w->start = 0;
    w->hits = 0;
  }
}

int sb_fwin_take(struct sb_fwin *w, double now, double *reset) {
  fwin_roll(w, now);
  if (w->start == 0)
    w->start = now;
  if (reset)
    *reset = w->start + w->window - now;
  if (w->hits >= w->limit)
    return 0;
  w->hits++;
  return 1;
}

int sb_fwin_remaining(const struct sb_fwin *w, double now) {
  if (w->start == 0 || now >= w->start + w->window)
    return w->limit;
  return w->hits < w->limit ? w->limit - w->hits : 0;
}

/* ---- Admitad tokens ---- */

static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void token_tag(const struct sb_aff *aff, const unsigned char *rec, const char *name,
                      unsigned char tag[TOKEN_TAG]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, aff->token_key, SB_KEY_LEN, TOKEN_TAG);
  crypto_generichash_update(&st, rec, TOKEN_RECORD);
  crypto_generichash_update(&st, (const unsigned char *)name, strlen(name) + 1);
  crypto_generichash_final(&st, tag, TOKEN_TAG);
}

/* The record is XORed with a keystream drawn from (key, tag), so that a
 * token shows nothing of its contents and every character looks random. */
static void scramble(const struct sb_aff *aff, const unsigned char *tag, unsigned char *rec) {
  unsigned char ks[TOKEN_RECORD];
  crypto_generichash(ks, sizeof(ks), tag, TOKEN_TAG, aff->token_key, SB_KEY_LEN);
  for (size_t i = 0; i < TOKEN_RECORD; i++)
    rec[i] ^= ks[i];
}

void sb_adm_token_mint(const struct sb_aff *aff, const struct sb_adm_token *t, char *out) {
  static const char hex[] = "0123456789abcdef";
  unsigned char raw[TOKEN_RECORD + TOKEN_TAG];
  raw[0] = TOKEN_VERSION;
  raw[1] = (unsigned char)(t->refresh ? 2 : 1);
  raw[2] = (unsigned char)t->account;
  raw[3] = (unsigned char)t->scopes;
  put64(raw + 4, (uint64_t)t->issued_ms);
  randombytes_buf(raw + 12, 8);
  token_tag(aff, raw, aff->accounts[t->account].name, raw + TOKEN_RECORD);
  scramble(aff, raw + TOKEN_RECORD, raw);
  for (size_t i = 0; i < sizeof(raw); i++) {
    out[2 * i] = hex[raw[i] >> 4];
    out[2 * i + 1] = hex[raw[i] & 15];
  }
  out[SB_ADM_TOKEN_LEN] = '\0';
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

int sb_adm_token_read(const struct sb_aff *aff, const char *text, struct sb_adm_token *out) {
  unsigned char raw[TOKEN_RECORD + TOKEN_TAG], tag[TOKEN_TAG];
  if (!text || strnlen(text, SB_ADM_TOKEN_LEN + 1) != SB_ADM_TOKEN_LEN)
    return MS_EINVAL;
  for (size_t i = 0; i < sizeof(raw); i++) {
    int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return MS_EINVAL;
    raw[i] = (unsigned char)(hi << 4 | lo);
  }
  scramble(aff, raw + TOKEN_RECORD, raw);
  if (raw[0] != TOKEN_VERSION || (raw[1] != 1 && raw[1] != 2) || raw[2] >= aff->n ||
      aff->accounts[raw[2]].net != SB_NET_ADMITAD)
    return MS_EINVAL;
  token_tag(aff, raw, aff->accounts[raw[2]].name, tag);
  if (sodium_memcmp(tag, raw + TOKEN_RECORD, TOKEN_TAG) != 0)
    return MS_EINVAL;
  out->account = raw[2];
  out->refresh = raw[1] == 2;
  out->scopes = raw[3];
  out->issued_ms = (int64_t)get64(raw + 4);
  return MS_OK;
}

/* ---- shared by both APIs ---- */

int sb_aff_same_secret(const char *given, const char *want) {
  size_t a = strlen(given), b = strlen(want);
  unsigned char diff = (unsigned char)(a != b);
  for (size_t i = 0; i < b; i++)
    diff |= (unsigned char)((i < a ? given[i] : 0) ^ want[i]);
  return !diff;
}

/* Printable ASCII copy for the log. */
static void log_text(const char *s, char *out, size_t len) {
  size_t n = 0;
  for (; *s && n + 1 < len; s++)
    out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
  out[n] = '\0';
}

void sb_aff_log(struct sandbox *sb, struct sb_aff_account *a, const char *method, const char *path,
                const char *query, const struct sb_response *res) {
  char *lpath = malloc(LOG_TEXT_MAX + 1), *lquery = malloc(LOG_TEXT_MAX + 1);
  if (lpath && lquery) {
    log_text(path, lpath, LOG_TEXT_MAX + 1);
    log_text(query, lquery, LOG_TEXT_MAX + 1);
    pthread_mutex_lock(&sb->lock);
    sb->requests++;
    if (a)
      a->requests++;
    sb_reqlog_add_fault(&sb->log, sandbox_ms(sb), a ? a->name : "", method, lpath, lquery,
                        sb_fault_log_status(res), res->fault);
    pthread_mutex_unlock(&sb->lock);
  }
  free(lpath);
  free(lquery);
}

static void set_body(struct sb_response *res, int status, const char *body) {
  res->status = status;
  buf_reset(&res->body);
  buf_puts(&res->body, body);
}

/* The fault's status and headers come from sb_fault_answer; the bodies of
 * errors and wrong shapes are the network's own. */
void sb_aff_fault_answer(struct sandbox *sb, int kind, enum sb_fault_api api, const char *path,
                         struct sb_response *res) {
  int bst = api == SB_API_BOOSTINY, token = api == SB_API_ADM_TOKEN;
  sb_fault_answer(sb, kind, api, path, res);
  switch (kind) {
  case SB_FAULT_500:
  case SB_FAULT_502:
  case SB_FAULT_503: {
    static const char *const what[] = {"Internal Server Error", "Bad Gateway",
                                       "Service Unavailable"};
    const char *w = what[kind - SB_FAULT_500];
    buf_reset(&res->body);
    if (bst)
      buf_printf(&res->body, "{\"message\":\"%s (injected by the sandbox)\"}", w);
    else
      buf_printf(&res->body,
                 "{\"error\":\"server_error\",\"error_description\":\"%s (injected by the "
                 "sandbox)\"}",
                 w);
    break;
  }
  case SB_FAULT_429:
  case SB_FAULT_429_DATE:
  case SB_FAULT_429_BARE:
    if (bst)
      set_body(res, 429, "{\"message\":\"Too Many Attempts.\"}");
    else
      set_body(res, 429,
               "{\"error\":\"request_limit\",\"error_description\":\"Too Many Requests (injected "
               "by the sandbox); slow down and retry.\",\"error_code\":4}");
    break;
  case SB_FAULT_SHAPE:
    set_body(res, 200,
             bst     ? "{\"payload\":{\"data\":{},\"pagination\":[]}}"
             : token ? "{\"access_token\":[],\"token_type\":\"bearer\",\"expires_in\":\"soon\"}"
                     : "{\"results\":{},\"_meta\":[]}");
    break;
  case SB_FAULT_DEEP:
    if (!bst && res->body.len > 11 && memcmp(res->body.data, "{\"payload\":", 11) == 0) {
      /* {"payload":[[[...]]]} becomes {"results":[[[...]]]}: the same length */
      memcpy(res->body.data, "{\"results\":", 11);
    }
    break;
  case SB_FAULT_EXPIRED:
    set_body(res, 401,
             "{\"error\":\"invalid_token\",\"error_description\":\"The access token provided has "
             "expired.\",\"error_code\":0}");
    break;
  default:
    break;
  }
}

/* ---- the dispatcher ---- */

static int under(const char *path, const char *prefix) {
  size_t n = strlen(prefix);
  return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int sb_aff_path(const char *path) {
  return under(path, ADMITAD_PREFIX) || under(path, BOOSTINY_PREFIX);
}

void sb_aff_handle(struct sandbox *sb, const struct sb_request *req, struct sb_response *res) {
  if (under(req->path, ADMITAD_PREFIX))
    sb_admitad_handle(sb, req, res);
  else
    sb_boostiny_handle(sb, req, res);
}
