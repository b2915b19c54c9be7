#include "engine/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/clock.h"

int key_list_add(struct key_list *l, const char *key) {
  if (array_reserve((void **)&l->keys, &l->cap, l->n + 1, sizeof(*l->keys), 32))
    return MS_ENOMEM;
  snprintf(l->keys[l->n++], MS_KEY_MAX, "%s", key);
  return MS_OK;
}

void key_list_release(struct key_list *l) {
  free(l->keys);
  memset(l, 0, sizeof(*l));
}

static int add_day(struct key_list *l, struct civil_date d) {
  char key[MS_KEY_MAX];
  slice_key_make(SLICE_DAY, d, key);
  return key_list_add(l, key);
}

int plan_range_days(struct session *s, const struct day_range *r, struct civil_date *first,
                    struct civil_date *last, struct err *err) {
  struct civil_date today;
  int64_t now = wall_now();
  int rc = tz_local_date(s->src.tz, now, &today);
  if (rc)
    return err_set(err, rc, "cannot compute today's date in %s", s->src.timezone);
  if (r->last_days > 0) {
    *first = date_add(today, -(r->last_days - 1));
    *last = today;
  } else {
    rc = range_preset_days(r->preset ? r->preset : RANGE_TODAY, s->src.tz, now, r->from, r->to,
                           first, last, err);
    if (rc)
      return rc;
  }
  if (date_cmp(*last, today) > 0)
    *last = today;
  return MS_OK;
}

struct open_ctx {
  struct key_list *out; /* collects the keys */
  int rc;
};

static int collect_open(void *ctx, const struct slice *sl) {
  struct open_ctx *oc = ctx;
  oc->rc = key_list_add(oc->out, sl->key);
  return oc->rc;
}

/* Whether a day must be fetched: not completed, or completed before the day
 * was over (so records created later that day may be missing). */
static int needs_fetch(struct store *st, struct session *s, const struct stream_def *def,
                       struct civil_date day, int dry, int *need, struct err *err) {
  struct slice sl = {0};
  char key[MS_KEY_MAX];
  int64_t start, end;
  int rc;
  slice_key_make(SLICE_DAY, day, key);
  rc = st->ops->slice_get(st, s->src.row.id, def->name, key, &sl, err);
  *need = 1;
  if (rc == MS_ENOTFOUND)
    return MS_OK;
  if (rc)
    return rc;
  if (sl.status == SLICE_COMPLETED && !tz_day_bounds(s->src.tz, day, &start, &end)) {
    if (sl.completed_at >= end)
      *need = 0;
    else if (!dry) /* an open day is checked again from its first page, counted afresh */
      rc = st->ops->slice_reset(st, s->src.row.id, def->name, key, err);
  }
  slice_release(&sl);
  return rc;
}

int plan_days(struct store *st, struct session *s, const struct stream_def *def,
              const struct day_range *r, struct key_list *out, size_t *skipped, struct err *err) {
  struct civil_date today, first, last;
  char key[MS_KEY_MAX];
  int rc = tz_local_date(s->src.tz, wall_now(), &today);
  if (rc)
    return err_set(err, rc, "cannot compute today's date in %s", s->src.timezone);
  if (r->choice != DAYS_RANGE) {
    struct slice_filter f = {0};
    struct open_ctx oc = {out, MS_OK};
    f.source_id = s->src.row.id;
    f.stream = def->name;
    f.kind = SLICE_DAY;
    f.only_open = 1;
    f.now = wall_now();
    rc = st->ops->slice_list(st, &f, collect_open, &oc, err);
    if (rc)
      return rc;
    if (r->choice == DAYS_OPEN)
      return MS_OK;
    first = last = today; /* the default adds today, once */
    slice_key_make(SLICE_DAY, today, key);
    for (size_t i = 0; i < out->n; i++)
      if (strcmp(out->keys[i], key) == 0)
        return MS_OK;
  } else {
    rc = plan_range_days(s, r, &first, &last, err);
    if (rc)
      return rc;
    if (date_to_days(last) - date_to_days(first) >= PLAN_DAYS_MAX)
      return err_set(err, MS_EINVAL, "a range may hold at most %d days", PLAN_DAYS_MAX);
  }
  for (struct civil_date d = first; date_cmp(d, last) <= 0; d = date_add(d, 1)) {
    int need = 1;
    if (r->resync && !r->dry) {
      slice_key_make(SLICE_DAY, d, key);
      rc = st->ops->slice_reset(st, s->src.row.id, def->name, key, err);
      if (rc && rc != MS_ENOTFOUND)
        return rc;
    } else if (!r->resync) {
      rc = needs_fetch(st, s, def, d, r->dry, &need, err);
      if (rc)
        return err_prefix(err, "cannot read the state of %s", s->src.row.name), rc;
    }
    if (!need) {
      (*skipped)++;
      continue;
    }
    rc = add_day(out, d);
    if (rc)
      return err_set(err, rc, "out of memory");
  }
  return MS_OK;
}

int plan_initialize(struct store *st, struct session *s, const struct stream_def *def, int days,
                    int *made, struct err *err) {
  struct civil_date today;
  char key[MS_KEY_MAX];
  int rc = tz_local_date(s->src.tz, wall_now(), &today);
  *made = 0;
  if (rc)
    return err_set(err, rc, "cannot compute today's date in %s", s->src.timezone);
  for (int k = days - 1; k >= 0; k--) {
    slice_key_make(SLICE_DAY, date_add(today, -k), key);
    rc = st->ops->slice_ensure(st, s->src.row.id, def->name, key, err);
    if (rc)
      return rc;
    (*made)++;
  }
  return MS_OK;
}

struct history {
  int64_t days;    /* completed days seen */
  int64_t records; /* their records */
};

static int add_history(void *ctx, const struct slice *sl) {
  struct history *h = ctx;
  if (sl->status == SLICE_COMPLETED) {
    h->days++;
    h->records += sl->records;
  }
  return MS_OK;
}

int plan_cost(struct store *st, struct session *s, const struct stream_def *def, size_t ndays,
              double per_day, struct plan_cost *out, struct err *err) {
  const struct endpoint_def *ep = s->conn->endpoints;
  double per[8] = {0};
  memset(out, 0, sizeof(*out));
  if (!s->conn->plan_day)
    return err_set(err, MS_EINVAL, "the %s connector cannot estimate its requests", s->conn->name);
  if (per_day <= 0) {
    struct slice_filter f = {0};
    struct history h = {0, 0};
    f.source_id = s->src.row.id;
    f.stream = def->name;
    f.kind = SLICE_DAY;
    if (st->ops->slice_list(st, &f, add_history, &h, err))
      return MS_EDB;
    per_day = h.days ? (double)h.records / (double)h.days : 100;
    out->from_history = h.days > 0;
  }
  out->per_day = per_day;
  s->conn->plan_day(def, per_day, per);
  for (int k = 0; k < 8 && ep && ep[k].name; k++) {
    double req = per[k] * (double)ndays;
    double after_burst = req > ep[k].size ? req - ep[k].size : 0;
    out->requests[k] = req;
    out->seconds[k] = ep[k].rate > 0 ? after_burst / ep[k].rate : 0;
    out->total += req;
    if (out->seconds[k] > out->slowest)
      out->slowest = out->seconds[k];
  }
  return MS_OK;
}

int64_t plan_window_from(int64_t watermark, int64_t first_start, int from_start, int overlap) {
  int64_t from = from_start ? 0 : watermark > 0 ? watermark : first_start;
  return from > overlap ? from - overlap : 0;
}
