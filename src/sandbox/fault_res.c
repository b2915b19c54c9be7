/* The answers of faulted API requests: which fault a request gets (under
 * the sandbox's lock) and the bytes the client sees. The wire-level part
 * (hang, reset, cut body) is carried out by server.c from res->wire. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandbox/sandbox.h"

#define HUGE_RECORD_NOTE 1000 /* 'x' per record of a huge body */

int sb_fault_decide(struct sandbox *sb, int shop, int seller, enum sb_fault_api api,
                    const char *path, const char *query) {
  return sb_fault_decide_in(sb, shop >= 0 ? &sb->state[shop].faults : &sb->sstate[seller].faults,
                            api, path, query);
}

int sb_fault_decide_in(struct sandbox *sb, struct sb_fault_state *st, enum sb_fault_api api,
                       const char *path, const char *query) {
  size_t pl = strlen(path), ql = strlen(query);
  char *target = malloc(pl + ql + 2);
  int kind;
  if (!target)
    return SB_FAULT_NONE;
  memcpy(target, path, pl);
  target[pl] = ql ? '?' : '\0';
  memcpy(target + pl + (ql ? 1 : 0), query, ql + 1);
  pthread_mutex_lock(&sb->lock);
  kind = sb_fault_next(st, sb->fault_seed, api, target);
  sb->fault_counts[kind]++;
  pthread_mutex_unlock(&sb->lock);
  free(target);
  return kind;
}

int sb_fault_replaces(int kind) {
  return kind != SB_FAULT_NONE && kind != SB_FAULT_RESET && kind != SB_FAULT_TRUNCATED &&
         kind != SB_FAULT_MALFORMED && kind != SB_FAULT_UTF8;
}

int sb_fault_log_status(const struct sb_response *res) {
  return res->wire == SRV_WIRE_NORMAL ? res->status : 0;
}

static void error_body(struct sb_response *res, enum sb_fault_api api, int status, const char *code,
                       const char *message) {
  res->status = status;
  buf_reset(&res->body);
  if (api == SB_API_SHOPIFY) {
    sb_response_error(res, status, message);
  } else if (api == SB_API_LWA) {
    buf_printf(&res->body, "{\"error\":\"%s\",\"error_description\":\"%s\"}",
               status == 429 ? "slow_down" : "server_error", message);
  } else {
    buf_printf(&res->body, "{\"errors\":[{\"code\":\"%s\",\"message\":\"%s\",\"details\":\"\"}]}",
               code, message);
  }
}

/* Retry-After as an IMF-fixdate, `seconds` from the real wall clock: the
 * client compares it with its own clock, not with the sandbox's --now. */
static void http_date(int seconds, char *out, size_t len) {
  static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = time(NULL) + seconds;
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
           months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The Shopify resource of a path: "products" for .../products.json and
 * .../products/count.json, "product" for .../products/ID.json, "refunds" for
 * .../orders/ID/refunds.json, "shop" otherwise. Sets *count for count.json
 * and *list for lists. */
static void shopify_key(const char *path, char *key, size_t len, int *list, int *count) {
  const char *api = strstr(path, "/admin/api/"), *rs = api ? strchr(api + 11, '/') : NULL;
  size_t n;
  *list = *count = 0;
  snprintf(key, len, "shop");
  if (!rs)
    return;
  rs++;
  n = strcspn(rs, "/.");
  if (n == 0 || n >= len || strncmp(rs, "shop.json", 9) == 0)
    return;
  if (strcmp(rs + n, ".json") == 0) {
    snprintf(key, len, "%.*s", (int)n, rs);
    *list = 1;
  } else if (strcmp(rs + n, "/count.json") == 0) {
    *count = 1;
  } else if (strstr(rs + n, "/refunds.json")) {
    snprintf(key, len, "refunds");
    *list = 1;
  } else if (rs[n] == '/') {
    /* one record: the singular of the list's name */
    snprintf(key, len, "%.*s", (int)(n > 1 && rs[n - 1] == 's' ? n - 1 : n), rs);
  }
}

static void wrong_shape(struct sb_response *res, enum sb_fault_api api, const char *path) {
  char key[48];
  int list, count;
  res->status = 200;
  buf_reset(&res->body);
  if (api == SB_API_SP) {
    buf_puts(&res->body, "{\"payload\":[]}");
    return;
  }
  if (api == SB_API_LWA) {
    buf_puts(&res->body, "{\"access_token\":[],\"token_type\":\"bearer\",\"expires_in\":\"soon\"}");
    return;
  }
  shopify_key(path, key, sizeof(key), &list, &count);
  if (count)
    buf_puts(&res->body, "{\"count\":\"many\"}");
  else
    buf_printf(&res->body, "{\"%s\":%s}", key, list ? "{}" : "[]");
}

/* The key a list answer of this path starts with ("orders" when none). */
static void list_key(enum sb_fault_api api, const char *path, char *key, size_t len) {
  int list, count;
  if (api != SB_API_SHOPIFY) {
    snprintf(key, len, "payload");
    return;
  }
  shopify_key(path, key, len, &list, &count);
  if (!list)
    snprintf(key, len, "orders");
}

static void deep(struct sb_response *res, enum sb_fault_api api, const char *path) {
  char key[48];
  list_key(api, path, key, sizeof(key));
  res->status = 200;
  buf_reset(&res->body);
  if (buf_reserve(&res->body, 2 * SB_FAULT_DEPTH + 32) || buf_printf(&res->body, "{\"%s\":", key))
    return;
  for (int i = 0; i < SB_FAULT_DEPTH; i++)
    buf_putc(&res->body, '[');
  for (int i = 0; i < SB_FAULT_DEPTH; i++)
    buf_putc(&res->body, ']');
  buf_putc(&res->body, '}');
}

/* ---- a huge body, produced as it is sent ---- */

struct huge_stream {
  char open[64];                      /* {"orders":[ */
  uint64_t total;                     /* bytes of records to send before the closing bytes */
  uint64_t sent;                      /* bytes sent so far */
  int stage;                          /* 0: opening, 1: records, 2: closing, 3: done */
  char record[HUGE_RECORD_NOTE + 64]; /* one record, comma included */
  size_t record_len;                  /* bytes in record */
  size_t pos;                         /* bytes of the current piece sent */
};

static ssize_t huge_next(void *ctx, char *out, size_t max) {
  struct huge_stream *h = ctx;
  static const char close[] = "{\"id\":0}]}";
  size_t n = 0;
  while (n < max && h->stage < 3) {
    const char *piece = h->stage == 0 ? h->open : h->stage == 1 ? h->record : close;
    size_t len = h->stage == 0   ? strlen(h->open)
                 : h->stage == 1 ? h->record_len
                                 : sizeof(close) - 1;
    size_t take = len - h->pos < max - n ? len - h->pos : max - n;
    memcpy(out + n, piece + h->pos, take);
    n += take;
    h->pos += take;
    h->sent += take;
    if (h->pos == len) {
      h->pos = 0;
      if (h->stage != 1 || h->sent >= h->total)
        h->stage++;
    }
  }
  return (ssize_t)n;
}

static void huge(struct sandbox *sb, const char *path, struct sb_response *res) {
  struct huge_stream *h = calloc(1, sizeof(*h));
  char key[48];
  if (!h) {
    sb_response_error(res, 500, "out of memory");
    return;
  }
  list_key(SB_API_SHOPIFY, path, key, sizeof(key));
  snprintf(h->open, sizeof(h->open), "{\"%s\":[", key);
  pthread_mutex_lock(&sb->lock);
  h->total = sb->fault_huge_bytes;
  pthread_mutex_unlock(&sb->lock);
  memcpy(h->record, "{\"id\":1,\"note\":\"", 16);
  memset(h->record + 16, 'x', HUGE_RECORD_NOTE);
  memcpy(h->record + 16 + HUGE_RECORD_NOTE, "\"},", 3);
  h->record_len = 16 + HUGE_RECORD_NOTE + 3;
  buf_reset(&res->body);
  res->status = 200;
  res->stream = huge_next;
  res->stream_free = free;
  res->stream_ctx = h;
}

void sb_fault_answer(struct sandbox *sb, int kind, enum sb_fault_api api, const char *path,
                     struct sb_response *res) {
  char date[40];
  res->fault = kind;
  switch (kind) {
  case SB_FAULT_500:
    error_body(res, api, 500, "InternalFailure", "Internal Server Error (injected by the sandbox)");
    break;
  case SB_FAULT_502:
    error_body(res, api, 502, "InternalFailure", "Bad Gateway (injected by the sandbox)");
    break;
  case SB_FAULT_503:
    error_body(res, api, 503, "ServiceUnavailable",
               "Service Unavailable (injected by the sandbox)");
    break;
  case SB_FAULT_429:
  case SB_FAULT_429_DATE:
  case SB_FAULT_429_BARE:
    error_body(res, api, 429, "QuotaExceeded",
               "Too Many Requests (injected by the sandbox); slow down and retry.");
    if (kind == SB_FAULT_429)
      sb_response_header(res, "Retry-After", "2");
    if (kind == SB_FAULT_429_DATE) {
      http_date(2, date, sizeof(date));
      sb_response_header(res, "Retry-After", date);
    }
    break;
  case SB_FAULT_HANG:
    res->status = 200;
    res->wire = SRV_WIRE_HANG;
    pthread_mutex_lock(&sb->lock);
    res->hang_ms = sb->fault_hang_ms;
    pthread_mutex_unlock(&sb->lock);
    break;
  case SB_FAULT_SHAPE:
    wrong_shape(res, api, path);
    break;
  case SB_FAULT_HUGE:
    huge(sb, path, res);
    break;
  case SB_FAULT_DEEP:
    deep(res, api, path);
    break;
  case SB_FAULT_HTML:
    /* What a captive portal, a proxy or a wrong base URL serves. */
    res->status = 200;
    res->content_type = "text/html; charset=utf-8";
    buf_reset(&res->body);
    buf_puts(&res->body, "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>"
                         "<h1>Sign in to continue</h1><form method=\"post\" action=\"/login\">"
                         "<input name=\"user\"><input name=\"password\" type=\"password\">"
                         "</form></body></html>\n");
    break;
  case SB_FAULT_EXPIRED:
    res->status = 403;
    buf_reset(&res->body);
    buf_puts(&res->body, "{\"errors\":[{\"code\":\"Unauthorized\",\"message\":\"Access to "
                         "requested resource is denied.\",\"details\":\"The access token you "
                         "provided has expired.\"}]}");
    break;
  default:
    break;
  }
}

/* Inserts an invalid UTF-8 sequence at the start of the first string value
 * (or of a new key when there is none). */
static void bad_utf8(struct buf *b) {
  static const char bad[] = "\xc3\x28\xff";
  const char *at = b->len ? strstr(b->data, "\":\"") : NULL;
  size_t pos;
  struct buf out;
  buf_init(&out, 0);
  if (at) {
    pos = (size_t)(at - b->data) + 3;
    buf_append(&out, b->data, pos);
    buf_append(&out, bad, sizeof(bad) - 1);
  } else {
    pos = b->len && b->data[0] == '{' ? 1 : 0;
    buf_append(&out, b->data, pos);
    buf_printf(&out, "\"%s\":0%s", bad, pos < b->len && b->data[pos] != '}' ? "," : "");
  }
  buf_append(&out, b->data + pos, b->len - pos);
  buf_release(b);
  *b = out;
}

void sb_fault_corrupt(int kind, struct sb_response *res) {
  size_t half = res->body.len / 2;
  res->fault = kind;
  if (res->stream)
    return; /* API answers are never streamed; nothing to damage */
  switch (kind) {
  case SB_FAULT_RESET:
    res->wire = SRV_WIRE_CUT_RST;
    res->cut = half;
    break;
  case SB_FAULT_TRUNCATED:
    res->wire = SRV_WIRE_CUT_FIN;
    res->cut = half;
    break;
  case SB_FAULT_MALFORMED:
    /* A proper prefix of a JSON object or array is never valid JSON. */
    res->body.len = half;
    if (res->body.data)
      res->body.data[res->body.len] = '\0';
    break;
  case SB_FAULT_UTF8:
    bad_utf8(&res->body);
    break;
  default:
    break;
  }
}
