#include "core/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/err.h"

void page_init(struct page *pg, const struct stream_def *def) {
  memset(pg, 0, sizeof(*pg));
  pg->def = def;
}

static void value_release(struct value *v) {
  free(v->text);
  memset(v, 0, sizeof(*v));
}

static void set_release(struct record_set *set) {
  for (size_t i = 0; i < set->n; i++)
    record_release(&set->recs[i]);
  free(set->recs);
  memset(set, 0, sizeof(*set));
}

void record_release(struct record *r) {
  for (size_t i = 0; !r->texts && i < r->nvals; i++)
    value_release(&r->vals[i]);
  free(r->vals);
  free(r->texts);
  for (size_t i = 0; i < r->nkids; i++)
    set_release(&r->kids[i]);
  free(r->kids);
  free(r->external_id);
  free(r->gone_id);
  free(r->raw);
  free(r->unreadable);
  memset(r, 0, sizeof(*r));
}

int record_set_unreadable(struct record *r, const char *raw, size_t len, const char *why) {
  char *id = r->external_id;
  r->external_id = NULL;
  record_release(r);
  r->external_id = id;
  r->raw = malloc(len + 1);
  r->unreadable = strdup(why && *why ? why : "unreadable record");
  if (!r->raw || !r->unreadable)
    return MS_ENOMEM;
  memcpy(r->raw, raw, len);
  r->raw[len] = '\0';
  r->raw_len = len;
  return MS_OK;
}

void page_release(struct page *pg) {
  const struct stream_def *def = pg->def;
  for (size_t i = 0; i < pg->n; i++)
    record_release(&pg->recs[i]);
  free(pg->recs);
  free(pg->next_cursor);
  free(pg->children_of);
  page_init(pg, def);
}

/* Appends a zeroed record to an array that grows by doubling. */
static struct record *grow(struct record **recs, size_t *n, size_t *cap) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 64;
    struct record *p = realloc(*recs, c * sizeof(*p));
    if (!p)
      return NULL;
    *recs = p;
    *cap = c;
  }
  memset(&(*recs)[*n], 0, sizeof(**recs));
  return &(*recs)[(*n)++];
}

struct record *page_add(struct page *pg) {
  return grow(&pg->recs, &pg->n, &pg->cap);
}

struct record *record_set_add(struct record_set *set) {
  return grow(&set->recs, &set->n, &set->cap);
}

int record_set_reserve(struct record_set *set, size_t n) {
  struct record *p;
  if (n <= set->cap - set->n)
    return MS_OK;
  p = realloc(set->recs, (set->n + n) * sizeof(*p));
  if (!p)
    return MS_ENOMEM;
  set->recs = p;
  set->cap = set->n + n;
  return MS_OK;
}

struct record_set *record_kids(struct record *r, const struct stream_def *child) {
  struct record_set *p;
  for (size_t i = 0; i < r->nkids; i++)
    if (r->kids[i].def == child)
      return &r->kids[i];
  p = realloc(r->kids, (r->nkids + 1) * sizeof(*p));
  if (!p)
    return NULL;
  r->kids = p;
  memset(&p[r->nkids], 0, sizeof(*p));
  p[r->nkids].def = child;
  return &p[r->nkids++];
}

const struct value *record_value(const struct record *r, const struct stream_def *def,
                                 const char *column) {
  size_t i = 0;
  for (const struct column_def *c = def->columns; c && c->name; c++, i++)
    if (strcmp(c->name, column) == 0)
      return i < r->nvals ? &r->vals[i] : NULL;
  return NULL;
}

void slice_release(struct slice *sl) {
  free(sl->cursor);
  free(sl->last_error);
  free(sl->follow);
  free(sl->follow_cursor);
  sl->cursor = NULL;
  sl->last_error = NULL;
  sl->follow = NULL;
  sl->follow_cursor = NULL;
}

const struct stream_def *slice_stream(const struct stream_def *def, const struct slice *sl) {
  const struct stream_def *child = stream_follow_child(def);
  char head[8];
  if (child && sl->follow && strcmp(sl->follow, "[]") != 0 &&
      slice_follow_head(sl, head, sizeof(head)) != MS_ENOTFOUND)
    return child;
  return def;
}

void slice_restart_local(struct slice *sl) {
  /* The same test as the store's: a list that is there and not empty. */
  if (!sl->follow || strcmp(sl->follow, "[]") == 0) {
    free(sl->cursor);
    sl->cursor = NULL;
    sl->listed = 0;
  }
  free(sl->follow_cursor);
  sl->follow_cursor = NULL;
}

int slice_follow_head(const struct slice *sl, char *out, size_t n) {
  cJSON *list, *first;
  int rc;
  if (!sl->follow || !*sl->follow)
    return MS_ENOTFOUND;
  list = cJSON_Parse(sl->follow);
  first = cJSON_GetArrayItem(list, 0);
  if (!cJSON_IsArray(list))
    rc = MS_ECURSOR;
  else if (!first)
    rc = MS_ENOTFOUND;
  else if (!cJSON_IsString(first) || !*first->valuestring || strlen(first->valuestring) >= n)
    rc = MS_ECURSOR;
  else
    rc = snprintf(out, n, "%s", first->valuestring) < 0 ? MS_ECURSOR : MS_OK;
  cJSON_Delete(list);
  return rc;
}

const char *slice_status_name(enum slice_status s) {
  switch (s) {
  case SLICE_PENDING:
    return "pending";
  case SLICE_IN_PROGRESS:
    return "in_progress";
  case SLICE_COMPLETED:
    return "completed";
  case SLICE_FAILED:
    return "failed";
  }
  return "unknown";
}

int slice_status_parse(const char *s, enum slice_status *out) {
  static const enum slice_status all[] = {SLICE_PENDING, SLICE_IN_PROGRESS, SLICE_COMPLETED,
                                          SLICE_FAILED};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
    if (strcmp(s, slice_status_name(all[i])) == 0) {
      *out = all[i];
      return MS_OK;
    }
  return MS_EINVAL;
}

const char *slice_kind_name(enum slice_kind k) {
  switch (k) {
  case SLICE_DAY:
    return "day";
  case SLICE_WINDOW:
    return "window";
  case SLICE_SNAPSHOT:
    return "snapshot";
  case SLICE_REFETCH:
    return "refetch";
  }
  return "?";
}

int slice_kind_parse(const char *s, enum slice_kind *out) {
  for (int k = SLICE_DAY; k <= SLICE_REFETCH; k++)
    if (strcmp(s, slice_kind_name((enum slice_kind)k)) == 0) {
      *out = (enum slice_kind)k;
      return MS_OK;
    }
  return MS_EINVAL;
}

#define KEY_WINDOW "modified"
#define KEY_SNAPSHOT "snapshot"
#define KEY_REFETCH "refetch:"

void slice_key_make(enum slice_kind kind, struct civil_date day, char out[MS_KEY_MAX]) {
  char d[DATE_STR_LEN];
  switch (kind) {
  case SLICE_WINDOW:
    snprintf(out, MS_KEY_MAX, "%s", KEY_WINDOW);
    return;
  case SLICE_SNAPSHOT:
    snprintf(out, MS_KEY_MAX, "%s", KEY_SNAPSHOT);
    return;
  case SLICE_REFETCH:
    date_format(day, d);
    snprintf(out, MS_KEY_MAX, "%s%s", KEY_REFETCH, d);
    return;
  case SLICE_DAY:
    break;
  }
  date_format(day, d);
  snprintf(out, MS_KEY_MAX, "%s", d);
}

int slice_key_parse(const char *key, enum slice_kind *kind, struct civil_date *day) {
  struct civil_date none = {0, 0, 0};
  *day = none;
  if (strcmp(key, KEY_WINDOW) == 0) {
    *kind = SLICE_WINDOW;
    return MS_OK;
  }
  if (strcmp(key, KEY_SNAPSHOT) == 0) {
    *kind = SLICE_SNAPSHOT;
    return MS_OK;
  }
  if (strncmp(key, KEY_REFETCH, sizeof(KEY_REFETCH) - 1) == 0) {
    *kind = SLICE_REFETCH;
    return date_parse(key + sizeof(KEY_REFETCH) - 1, day, NULL) ? MS_EINVAL : MS_OK;
  }
  *kind = SLICE_DAY;
  return date_parse(key, day, NULL) ? MS_EINVAL : MS_OK;
}

void money_format(int64_t minor, const char *currency, char *out, size_t n) {
  int exp = currency_exponent(currency);
  uint64_t mag = minor < 0 ? (uint64_t)(-(minor + 1)) + 1 : (uint64_t)minor, scale = 1;
  for (int i = 0; i < exp; i++)
    scale *= 10;
  if (exp == 0)
    snprintf(out, n, "%s%llu", minor < 0 ? "-" : "", (unsigned long long)mag);
  else
    snprintf(out, n, "%s%llu.%0*llu", minor < 0 ? "-" : "", (unsigned long long)(mag / scale), exp,
             (unsigned long long)(mag % scale));
}

static int code_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int currency_exponent(const char *c) {
  /* Sorted, for bsearch: money is read for every line of every order. */
  static const char *zero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
                               "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
  static const char *three[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  if (!c)
    return 2;
  if (bsearch(&c, zero, sizeof(zero) / sizeof(zero[0]), sizeof(zero[0]), code_cmp))
    return 0;
  if (bsearch(&c, three, sizeof(three) / sizeof(three[0]), sizeof(three[0]), code_cmp))
    return 3;
  return 2;
}

int money_set(struct money *m, const char *amount, const char *currency) {
  int exp = currency_exponent(currency);
  int64_t whole = 0, frac = 0;
  int neg = 0, fdigits = 0;
  const char *p = amount;
  memset(m, 0, sizeof(*m));
  if (currency && strlen(currency) == 3)
    memcpy(m->currency, currency, 4);
  if (!amount || !*amount)
    return MS_OK;
  size_t len = strlen(amount);
  if (len >= sizeof(m->amount))
    return MS_EINVAL;
  if (*p == '-' || *p == '+')
    neg = *p++ == '-';
  if (*p < '0' || *p > '9')
    return MS_EINVAL;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (whole > (INT64_MAX / 10000) / 10)
      return MS_EINVAL;
    whole = whole * 10 + (*p - '0');
  }
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9')
      return MS_EINVAL; /* "1." is not a price */
    for (; *p >= '0' && *p <= '9'; p++, fdigits++) {
      if (fdigits < exp)
        frac = frac * 10 + (*p - '0');
      else if (*p != '0')
        return MS_EINVAL; /* more precision than the currency has */
    }
  }
  if (*p)
    return MS_EINVAL;
  for (int i = fdigits; i < exp; i++)
    frac *= 10;
  int64_t scale = 1;
  for (int i = 0; i < exp; i++)
    scale *= 10;
  m->minor = (whole * scale + frac) * (neg ? -1 : 1);
  memcpy(m->amount, amount, len + 1);
  return MS_OK;
}
