#include "core/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/err.h"

void page_init(struct page *pg) {
  memset(pg, 0, sizeof(*pg));
}

void record_item_release(struct record_item *it) {
  free(it->external_id);
  free(it->sku);
  free(it->title);
  free(it->raw);
  memset(it, 0, sizeof(*it));
}

void record_release(struct record *r) {
  for (size_t i = 0; i < r->nitems; i++)
    record_item_release(&r->items[i]);
  free(r->items);
  free(r->external_id);
  free(r->name);
  free(r->status);
  free(r->financial_status);
  free(r->fulfillment_status);
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
  for (size_t i = 0; i < pg->n; i++)
    record_release(&pg->recs[i]);
  free(pg->recs);
  free(pg->next_cursor);
  for (size_t i = 0; i < pg->nitems; i++)
    record_item_release(&pg->items[i]);
  free(pg->items);
  free(pg->items_of);
  page_init(pg);
}

struct record *page_add(struct page *pg) {
  if (pg->n == pg->cap) {
    size_t cap = pg->cap ? pg->cap * 2 : 64;
    struct record *p = realloc(pg->recs, cap * sizeof(*p));
    if (!p)
      return NULL;
    pg->recs = p;
    pg->cap = cap;
  }
  memset(&pg->recs[pg->n], 0, sizeof(pg->recs[0]));
  return &pg->recs[pg->n++];
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

int currency_exponent(const char *c) {
  static const char *zero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
                               "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
  static const char *three[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  if (!c)
    return 2;
  for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
    if (strcmp(c, zero[i]) == 0)
      return 0;
  for (size_t i = 0; i < sizeof(three) / sizeof(three[0]); i++)
    if (strcmp(c, three[i]) == 0)
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
  if (strlen(amount) >= sizeof(m->amount))
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
  snprintf(m->amount, sizeof(m->amount), "%s", amount);
  return MS_OK;
}
