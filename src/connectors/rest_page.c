/* The rest connector's requests and answers: the URL of a slice's page from
 * its stream's templates and pagination, the records and the next cursor
 * from an answer, and what an error answer means by the spec's rules.
 *
 * A cursor is a small JSON object: {"n": the next offset or page} for
 * offset and page numbers, {"c": token} for cursors, {"u": URL} for links.
 * A window's pass ends at `until`: the pass's first claim less a margin,
 * the same for every page, so that no request asks about the future by the
 * API's clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connectors/rest_state.h"
#include "net/headers.h"
#include "net/url.h"
#include "util/clock.h"
#include "util/json.h"

#define UNTIL_SLACK 120         /* seconds a window's end stays behind our clock */
#define PAGE_RECORDS_MAX 100000 /* records of one page */
#define OFFSET_MAX 1000000000LL /* offsets and pages beyond are refused */
#define CURSOR_MAX 8192         /* bytes of a token or URL kept as a cursor */

/* Where a slice's pages have got to. */
struct pos {
  int64_t n;   /* the next offset or page; -1: the first */
  char *token; /* the next cursor token; NULL: the first page */
  char *url;   /* the next page's URL; NULL: the first page */
};

static void pos_release(struct pos *p) {
  free(p->token);
  free(p->url);
}

static int pos_read(const char *cursor, struct pos *p) {
  cJSON *o;
  const cJSON *n;
  memset(p, 0, sizeof(*p));
  p->n = -1;
  if (!cursor)
    return MS_OK;
  o = cJSON_Parse(cursor);
  n = cJSON_GetObjectItemCaseSensitive(o, "n");
  if (!cJSON_IsObject(o)) {
    cJSON_Delete(o);
    return MS_ECURSOR;
  }
  if (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble <= (double)OFFSET_MAX)
    p->n = (int64_t)n->valuedouble;
  p->token = jstrdup(o, "c");
  p->url = jstrdup(o, "u");
  cJSON_Delete(o);
  return p->n >= 0 || p->token || p->url ? MS_OK : MS_ECURSOR;
}

static char *pos_write(int64_t n, const char *token, const char *url) {
  cJSON *o = cJSON_CreateObject();
  char *text;
  if (!o)
    return NULL;
  if (n >= 0)
    cJSON_AddNumberToObject(o, "n", (double)n);
  if (token)
    cJSON_AddStringToObject(o, "c", token);
  if (url)
    cJSON_AddStringToObject(o, "u", url);
  text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return text;
}

/* The end of a window's pass: the same for all its pages. */
static int64_t window_until(const struct slice *sl) {
  return (sl->started_at > 0 ? sl->started_at : wall_now()) - UNTIL_SLACK;
}

static void slice_vars(const struct rest_state *rs, const struct slice *sl,
                       struct rest_vars *vars) {
  rest_vars_settings(rs, vars);
  if (sl->kind == SLICE_DAY) {
    vars->has_day = 1;
    vars->day = sl->day;
    vars->day_start = sl->range_start;
    vars->day_end = sl->range_end;
  } else if (sl->kind == SLICE_WINDOW) {
    vars->has_window = 1;
    vars->since = sl->range_start;
    vars->until = window_until(sl);
  }
}

static int same_origin(const char *base, const char *url) {
  char a[256], b[256];
  url_origin(base, a, sizeof(a));
  url_origin(url, b, sizeof(b));
  return strcmp(a, "?") != 0 && strcmp(a, b) == 0;
}

/* "&name=value" for each parameter (left out: one about {since} when the
 * window starts at the beginning). */
static int add_params(struct buf *url, const struct rest_params *ps, const struct rest_vars *vars,
                      struct err *err) {
  int rc = MS_OK;
  for (int i = 0; i < ps->n && !rc; i++) {
    if (vars->has_window && vars->since <= 0 && rest_template_refers(ps->v[i].value, "since"))
      continue;
    rc = buf_printf(url, "%c", strchr(url->data, '?') ? '&' : '?');
    if (!rc)
      rc = buf_url_encode(url, ps->v[i].name);
    if (!rc)
      rc = buf_putc(url, '=');
    if (!rc)
      rc = rest_template_expand(ps->v[i].value, vars, 1, url, err);
  }
  return rc;
}

static int add_number(struct buf *url, const char *name, int64_t v) {
  if (!name)
    return MS_OK;
  return buf_printf(url, "%c%s=%lld", strchr(url->data, '?') ? '&' : '?', name, (long long)v);
}

/* The headers of every request: the spec's, Accept, the credentials. */
static int add_headers(struct rest_state *rs, struct http_request *req, struct err *err) {
  struct rest_vars vars;
  int accept = 0, rc = MS_OK;
  rest_vars_settings(rs, &vars);
  for (int i = 0; i < rs->spec->nheaders && !rc; i++) {
    struct buf v;
    buf_init(&v, 4096);
    rc = rest_template_expand(rs->spec->headers[i].value, &vars, 0, &v, err);
    if (!rc)
      rc = http_request_header(req, rs->spec->headers[i].name, v.len ? v.data : "", 0);
    accept |= strcasecmp(rs->spec->headers[i].name, "Accept") == 0;
    buf_release(&v);
  }
  if (!rc && !accept)
    rc = http_request_header(req, "Accept", "application/json", 0);
  if (!rc)
    rc = rest_auth_header(rs, req);
  return rc;
}

/* BASE + path + the parameters of the slice's kind and its page. */
static int build_url(struct rest_state *rs, const struct rest_stream *st, const struct slice *sl,
                     const struct pos *pos, const struct rest_vars *vars, struct buf *url,
                     struct err *err) {
  const struct rest_paging_def *pg = &st->paging;
  int rc = buf_puts(url, rs->api_base);
  if (!rc)
    rc = rest_template_expand(st->path, vars, 1, url, err);
  if (!rc)
    rc = add_params(url, &st->params, vars, err);
  if (!rc && sl->kind == SLICE_DAY)
    rc = add_params(url, &st->day_params, vars, err);
  if (!rc && sl->kind == SLICE_WINDOW)
    rc = add_params(url, &st->window_params, vars, err);
  if (rc)
    return rc;
  switch (pg->kind) {
  case PAGING_OFFSET:
    rc = add_number(url, pg->limit_param, pg->limit);
    return rc ? rc : add_number(url, pg->offset_param, pos->n >= 0 ? pos->n : 0);
  case PAGING_PAGE:
    rc = add_number(url, pg->page_param, pos->n >= 0 ? pos->n : pg->first_page);
    return rc ? rc : add_number(url, pg->limit_param, pg->limit);
  case PAGING_CURSOR:
    rc = pg->limit ? add_number(url, pg->limit_param, pg->limit) : MS_OK;
    if (!rc && pos->token) {
      rc = buf_printf(url, "%c", strchr(url->data, '?') ? '&' : '?');
      if (!rc)
        rc = buf_url_encode(url, pg->cursor_param);
      if (!rc)
        rc = buf_putc(url, '=');
      if (!rc)
        rc = buf_url_encode(url, pos->token);
    }
    return rc;
  case PAGING_LINK:
    return pg->limit ? add_number(url, pg->limit_param, pg->limit) : MS_OK;
  default:
    return MS_OK;
  }
}

static int stream_request(struct rest_state *rs, const struct rest_stream *st,
                          const struct slice *sl, struct http_request *req, struct err *err) {
  struct rest_vars vars;
  struct pos pos;
  int rc = pos_read(sl->cursor, &pos);
  if (rc)
    return err_set(err, MS_ECURSOR, "the stored cursor of %s is not readable", st->def.name);
  slice_vars(rs, sl, &vars);
  snprintf(req->endpoint, sizeof(req->endpoint), "api");
  if (sl->kind == SLICE_WINDOW && st->uses_until && vars.since > 0 && vars.until <= vars.since) {
    pos_release(&pos);
    return MS_ENOTFOUND; /* the window has not begun by the API's clock yet */
  }
  if (pos.url) {
    /* A next-page URL is followed only to the API's own origin: the
     * credentials go nowhere else. */
    if (!same_origin(rs->api_base, pos.url)) {
      char origin[256];
      url_origin(rs->api_base, origin, sizeof(origin));
      pos_release(&pos);
      return err_set(err, MS_ECURSOR, "the stored next page points outside %s", origin);
    }
    rc = buf_puts(&req->url, pos.url);
  } else {
    rc = build_url(rs, st, sl, &pos, &vars, &req->url, err);
  }
  pos_release(&pos);
  if (!rc)
    rc = add_headers(rs, req, err);
  if (rc && rc != MS_EINVAL)
    rc = err_set(err, rc, "cannot build the %s request", st->def.name);
  return rc;
}

int rest_page_request(void *state, const struct stream_def *def, const struct slice *sl,
                      struct http_request *req, struct err *err) {
  const struct rest_stream *st = def->impl;
  if (!st || def->parent)
    return err_set(err, MS_EINVAL, "stream %s is not one the rest connector fetches", def->name);
  if (sl->kind == SLICE_REFETCH)
    return MS_ENOTFOUND; /* records are not fetched again by id */
  return stream_request(state, st, sl, req, err);
}

/* ---- answers ---------------------------------------------------------------- */

/* A number at a path: a JSON number or a numeric string; -1 when absent. */
static int64_t number_at(const cJSON *root, const char *path) {
  const cJSON *v = path ? json_path(root, path) : NULL;
  char *end;
  long long n;
  if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 9e15)
    return (int64_t)v->valuedouble;
  if (!cJSON_IsString(v) || !*v->valuestring)
    return -1;
  n = strtoll(v->valuestring, &end, 10);
  return *end || n < 0 ? -1 : (int64_t)n;
}

struct take {
  struct rest_state *rs;
  const struct rest_stream *st;
  const struct slice *sl;
  struct page *out;
  struct read_context read;
  char day[DATE_STR_LEN]; /* the slice's, for day_member */
  struct err *err;
};

/* A record given the day of its slice: {"date":"2026-11-24", ...as sent}. */
static int take_with_day(struct take *t, const cJSON *elem, const char *raw, size_t len,
                         struct record *r) {
  cJSON *copy = cJSON_Duplicate(elem, 1);
  struct buf b;
  const char *body = raw + 1;
  int rc;
  buf_init(&b, 0);
  while (body < raw + len && (*body == ' ' || *body == '\t' || *body == '\n' || *body == '\r'))
    body++;
  rc = copy && cJSON_AddStringToObject(copy, t->st->day_member, t->day) ? MS_OK : MS_ENOMEM;
  if (!rc)
    rc = buf_putc(&b, '{');
  if (!rc)
    rc = buf_json_str(&b, t->st->day_member);
  if (!rc)
    rc = buf_printf(&b, ":\"%s\"%s", t->day, *body == '}' ? "" : ",");
  if (!rc)
    rc = buf_append(&b, body, len - (size_t)(body - raw));
  if (!rc)
    rc = record_read(&t->st->def, copy, NULL, b.data, b.len, &t->read, r);
  cJSON_Delete(copy);
  buf_release(&b);
  return rc;
}

static int take_record(void *ctx, const cJSON *elem, const char *raw, size_t len) {
  struct take *t = ctx;
  struct record *r;
  int rc;
  if (t->out->n >= PAGE_RECORDS_MAX)
    return err_set(t->err, MS_EPROTO, "a page holds more than %d records", PAGE_RECORDS_MAX);
  r = page_add(t->out);
  if (!r)
    return err_set(t->err, MS_ENOMEM, "out of memory");
  /* Rows that carry no date get their slice's; a row that has the member
   * keeps its own. */
  if (t->st->day_member && t->sl->kind == SLICE_DAY && cJSON_IsObject(elem) &&
      !cJSON_GetObjectItemCaseSensitive(elem, t->st->day_member) && len >= 2 && raw[0] == '{')
    rc = take_with_day(t, elem, raw, len, r);
  else
    rc = record_read(&t->st->def, elem, NULL, raw, len, &t->read, r);
  return rc ? err_set(t->err, MS_ENOMEM, "out of memory") : MS_OK;
}

/* The next page after this one (n records came), or NULL: the last. */
static int next_cursor(struct rest_state *rs, const struct rest_stream *st, const struct slice *sl,
                       const cJSON *root, const struct http_response *res, size_t n, char **out,
                       struct err *err) {
  const struct rest_paging_def *pg = &st->paging;
  struct pos pos;
  int64_t total = number_at(root, pg->total), next;
  char url[CURSOR_MAX];
  int rc = pos_read(sl->cursor, &pos), done = 0;
  *out = NULL;
  if (rc)
    return err_set(err, MS_ECURSOR, "the stored cursor of %s is not readable", st->def.name);
  switch (pg->kind) {
  case PAGING_OFFSET:
    next = (pos.n >= 0 ? pos.n : 0) + (int64_t)n;
    /* With a total, only the total ends the list (an API may send fewer
     * than asked for); without one, a short page does. */
    done = n == 0 || (total >= 0 ? next >= total : (int64_t)n < pg->limit);
    if (!done)
      *out = pos_write(next, NULL, NULL);
    break;
  case PAGING_PAGE: {
    int64_t page = pos.n >= 0 ? pos.n : pg->first_page;
    int64_t per = number_at(root, pg->per_page);
    if (per <= 0)
      per = pg->limit;
    done = n == 0 ||
           (total >= 0 ? (page - pg->first_page + 1) * per >= total : (int64_t)n < pg->limit);
    if (!done)
      *out = pos_write(page + 1, NULL, NULL);
    break;
  }
  case PAGING_CURSOR: {
    const cJSON *c = json_path(root, pg->cursor);
    char num[32];
    const char *token = cJSON_IsString(c) ? c->valuestring : NULL;
    if (cJSON_IsNumber(c)) {
      snprintf(num, sizeof(num), "%.0f", c->valuedouble);
      token = num;
    }
    done = n == 0 || !token || !*token;
    if (!done && (strlen(token) >= CURSOR_MAX || (pos.token && strcmp(pos.token, token) == 0)))
      rc = err_set(err, MS_EPROTO, "%s gave %s", rs->spec->title,
                   strlen(token) >= CURSOR_MAX ? "a cursor too long to keep"
                                               : "the same cursor again");
    else if (!done)
      *out = pos_write(-1, token, NULL);
    break;
  }
  case PAGING_LINK: {
    const char *link = http_response_header(res, "Link");
    const cJSON *u = pg->next_url ? json_path(root, pg->next_url) : NULL;
    url[0] = '\0';
    if (pg->next_url && cJSON_IsString(u) && strlen(u->valuestring) < sizeof(url))
      snprintf(url, sizeof(url), "%s", u->valuestring);
    else if (!pg->next_url && link && link_find(link, "next", url, sizeof(url)) != MS_OK)
      url[0] = '\0';
    done = n == 0 || !*url;
    if (!done && !same_origin(rs->api_base, url))
      rc = err_set(err, MS_EPROTO, "%s's next page points outside the API base", rs->spec->title);
    else if (!done && pos.url && strcmp(pos.url, url) == 0)
      rc = err_set(err, MS_EPROTO, "%s gave the same next page again", rs->spec->title);
    else if (!done)
      *out = pos_write(-1, NULL, url);
    break;
  }
  default:
    done = 1;
  }
  if (!rc && pg->kind != PAGING_NONE && pos.n >= OFFSET_MAX)
    rc = err_set(err, MS_EPROTO, "%s: more than %lld pages", st->def.name, OFFSET_MAX);
  pos_release(&pos);
  if (!rc && !done && !*out)
    rc = err_set(err, MS_ENOMEM, "out of memory");
  if (rc) {
    free(*out);
    *out = NULL;
  }
  return rc;
}

int rest_parse_page(void *state, const struct stream_def *def, const struct slice *sl,
                    const struct http_response *res, struct page *out, struct err *err) {
  struct rest_state *rs = state;
  const struct rest_stream *st = def->impl;
  struct take t;
  cJSON *root;
  int rc;
  if (!st || def->parent)
    return err_set(err, MS_EINVAL, "stream %s is not one the rest connector reads", def->name);
  out->bytes = res->body.len;
  root = jparse(res->body.data, res->body.len, err);
  if (!root) {
    err_prefix(err, "%s %s page", rs->spec->title, def->name);
    return MS_EPROTO;
  }
  memset(&t, 0, sizeof(t));
  t.rs = rs;
  t.st = st;
  t.sl = sl;
  t.out = out;
  t.read.zone = rs->src->tz;
  t.err = err;
  date_format(sl->day, t.day);
  rc = json_each_at(res->body.data, res->body.len, st->records, take_record, &t, err);
  if (rc == MS_ENOTFOUND) {
    /* null where the list should be: some APIs say "nothing" that way. */
    const cJSON *v = *st->records ? json_path(root, st->records) : root;
    rc = cJSON_IsNull(v) ? MS_OK
                         : err_set(err, MS_EPROTO, "%s answer has no list at '%s'", rs->spec->title,
                                   st->records);
  } else if (rc == MS_EPROTO) {
    err_prefix(err, "%s %s page", rs->spec->title, def->name);
  }
  if (!rc)
    rc = next_cursor(rs, st, sl, root, res, out->n, &out->next_cursor, err);
  if (!rc && sl->kind == SLICE_WINDOW && st->uses_until)
    out->server_time = window_until(sl);
  cJSON_Delete(root);
  return rc;
}

/* ---- verdicts ---------------------------------------------------------------- */

/* The error's text and code as the spec says where they are. */
static void error_of(const struct rest_state *rs, const struct http_response *res, char *msg,
                     size_t mn, char *code, size_t cn) {
  const struct rest_errors *er = &rs->spec->errors;
  cJSON *root = res->body.len ? cJSON_ParseWithLength(res->body.data, res->body.len) : NULL;
  const cJSON *c = er->code ? json_path(root, er->code) : NULL;
  msg[0] = code[0] = '\0';
  for (int i = 0; i < er->nmessage && !msg[0]; i++) {
    const cJSON *m = json_path(root, er->message[i]);
    if (cJSON_IsString(m) && *m->valuestring) {
      snprintf(msg, mn, "%s", m->valuestring);
    } else if (m && (cJSON_IsObject(m) || cJSON_IsArray(m))) {
      char *t = cJSON_PrintUnformatted(m);
      snprintf(msg, mn, "%s", t ? t : "");
      free(t);
    }
  }
  if (cJSON_IsString(c))
    snprintf(code, cn, "%s", c->valuestring);
  else if (cJSON_IsNumber(c))
    snprintf(code, cn, "%.0f", c->valuedouble);
  if (!msg[0] && !root) {
    const char *what = json_body_kind(res->body.data, res->body.len);
    snprintf(msg, mn, "%s", what ? what : "no message");
  }
  for (char *p = msg; *p; p++)
    if ((unsigned char)*p < 0x20)
      *p = ' ';
  rest_redact(rs, msg, mn);
  cJSON_Delete(root);
}

static int contains_nocase(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (strncasecmp(hay, needle, n) == 0)
      return 1;
  return 0;
}

static const struct rest_rule *rule_for(const struct rest_spec *spec, long status, const char *msg,
                                        const char *code) {
  for (int i = 0; i < spec->errors.nrules; i++) {
    const struct rest_rule *r = &spec->errors.rules[i];
    if ((r->status && r->status != status) || (r->has_code && strcmp(r->code, code) != 0) ||
        (r->contains && !contains_nocase(msg, r->contains)))
      continue;
    return r;
  }
  return NULL;
}

static enum rest_meaning meaning_of(const struct rest_spec *spec, long status) {
  for (int i = 0; i < spec->rate.nthrottled; i++)
    if (spec->rate.throttled[i] == status)
      return MEANS_THROTTLED;
  if (status == 429)
    return MEANS_THROTTLED;
  if (status == 401)
    return MEANS_AUTH;
  if (status == 403)
    return MEANS_SCOPE;
  if (status == 408 || status == 425 || status >= 500)
    return MEANS_TRANSIENT;
  return MEANS_FATAL;
}

/* Minutes the message names ("retry after 10 minutes"), in seconds; -1. */
static double minutes_in(const char *msg) {
  for (const char *p = msg; *p; p++)
    if (*p >= '0' && *p <= '9') {
      long m = strtol(p, NULL, 10);
      return m > 0 && m <= 1440 ? m * 60.0 : -1;
    }
  return -1;
}

void rest_classify(void *state, const struct http_response *res, struct verdict *v,
                   struct err *err) {
  struct rest_state *rs = state;
  const char *api = rs->spec->title;
  const struct rest_rule *rule;
  char msg[300], code[64];
  enum rest_meaning means;
  if (verdict_common(res, api, v, err))
    return;
  error_of(rs, res, msg, sizeof(msg), code, sizeof(code));
  rule = rule_for(rs->spec, res->status, msg, code);
  means = rule ? rule->means : meaning_of(rs->spec, res->status);
  switch (means) {
  case MEANS_THROTTLED:
    v->rc = MS_ERATELIMIT;
    err_set(err, v->rc, "%s rate limit (HTTP %ld: %s)", api, res->status, msg);
    break;
  case MEANS_LOCKED_OUT:
    v->rc = MS_ERATELIMIT;
    v->locked_out = 1;
    if (v->retry_after < 0 && rule && rule->wait_minutes)
      v->retry_after = minutes_in(msg);
    err_set(err, v->rc, "%s locked the credentials out for making too many requests (HTTP %ld: %s)",
            api, res->status, msg);
    break;
  case MEANS_EXPIRED:
    v->rc = MS_EAUTH;
    v->refresh = 1;
    err_set(err, v->rc, "%s says the access token expired (HTTP %ld: %s)", api, res->status, msg);
    break;
  case MEANS_AUTH:
    v->rc = MS_EAUTH;
    /* A token that expired early looks like this: one refresh, then believe it. */
    v->refresh = rs->spec->auth.kind == AUTH_OAUTH2;
    err_set(err, v->rc,
            "%s refused the credentials (HTTP %ld: %s); check them with 'marketsync "
            "source test'",
            api, res->status, msg);
    break;
  case MEANS_SCOPE:
    v->rc = MS_ESCOPE;
    err_set(err, v->rc,
            "%s refused this stream (HTTP %ld: %s); the credentials may not read it, the "
            "other streams go on",
            api, res->status, msg);
    break;
  case MEANS_CURSOR:
    v->rc = MS_ECURSOR;
    err_set(err, v->rc, "%s refused the page cursor (HTTP %ld: %s)", api, res->status, msg);
    break;
  case MEANS_TRANSIENT:
    v->rc = MS_ETRANSIENT;
    err_set(err, v->rc, "%s server error (HTTP %ld: %s)", api, res->status, msg);
    break;
  default:
    v->rc = MS_EFATAL;
    err_set(err, v->rc, "%s refused the request (HTTP %ld: %s)", api, res->status, msg);
  }
}

/* ---- the probe, the plan ------------------------------------------------------ */

/* The probe: the spec's, else the first page of its first stream (today,
 * or changes of the last day). */
int rest_probe_request(void *state, struct http_request *req, struct err *err) {
  struct rest_state *rs = state;
  const struct rest_spec *spec = rs->spec;
  struct rest_vars vars;
  struct slice sl;
  int rc;
  if (spec->probe_path) {
    rest_vars_settings(rs, &vars);
    snprintf(req->endpoint, sizeof(req->endpoint), "api");
    rc = buf_puts(&req->url, rs->api_base);
    if (!rc)
      rc = rest_template_expand(spec->probe_path, &vars, 1, &req->url, err);
    if (!rc)
      rc = add_params(&req->url, &spec->probe_params, &vars, err);
    if (!rc)
      rc = add_headers(rs, req, err);
    return rc && rc != MS_EINVAL ? err_set(err, rc, "cannot build the probe request") : rc;
  }
  memset(&sl, 0, sizeof(sl));
  sl.started_at = wall_now();
  switch (spec->streams[0]->def.slicing) {
  case SLICING_BY_DAY:
    sl.kind = SLICE_DAY;
    if (rs->src->tz) {
      tz_local_date(rs->src->tz, wall_now(), &sl.day);
      tz_day_bounds(rs->src->tz, sl.day, &sl.range_start, &sl.range_end);
    } else {
      sl.day = date_from_days(wall_now() / 86400);
      sl.range_start = date_to_days(sl.day) * 86400;
      sl.range_end = sl.range_start + 86400;
    }
    break;
  case SLICING_BY_UPDATES:
    sl.kind = SLICE_WINDOW;
    sl.range_start = wall_now() - 86400;
    break;
  default:
    sl.kind = SLICE_SNAPSHOT;
  }
  rc = stream_request(rs, spec->streams[0], &sl, req, err);
  return rc == MS_ENOTFOUND ? err_set(err, MS_EINVAL, "nothing to ask the API to check it") : rc;
}

int rest_parse_probe(void *state, const struct http_response *res, struct source *src,
                     struct err *err) {
  struct rest_state *rs = state;
  cJSON *root = jparse(res->body.data, res->body.len, err);
  (void)src;
  if (!root)
    return err_prefix(err, "%s answered the check with something that is not JSON",
                      rs->spec->title),
           MS_EPROTO;
  cJSON_Delete(root);
  return MS_OK;
}

void rest_plan_day(const struct stream_def *def, double records, double *requests) {
  const struct rest_stream *st = def->impl;
  double per = st && st->paging.kind != PAGING_NONE && st->paging.limit ? st->paging.limit : 0;
  double pages = per > 0 ? records / per : 1;
  requests[0] = pages < 1 ? 1 : (double)(long)(pages + 0.999);
}
