/* The affiliate accounts' data: campaigns, coupons, Admitad actions and
 * Boostiny performance rows, derived from (seed, account, position), and
 * how they change over time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/affiliate.h"
#include "sandbox/affiliate_data.h"
#include "sandbox/prng.h"
#include "util/array.h"
#include "util/tz.h"

#define DAY 86400
#define ADM_NS 0xad317ad000000000ULL /* Admitad streams: (seed, ADM_NS + n, ...) */
#define BST_NS 0xb057190000000000ULL
#define ACTION_ID_BASE 100000000ULL

enum {
  SALT_IDS = 201,
  SALT_CAMPAIGNS,
  SALT_COUPONS,
  SALT_DAY,
  SALT_STATUS,
  SALT_MUTATE,
  SALT_ROWS,
  SALT_ROW
};

/* ---- ids ---- */

uint32_t sb_aff_campaign_id(const struct sb_aff_account *a, size_t i) {
  uint64_t base = sb_hash4(a->seed, a->stream, 1, SALT_IDS);
  if (a->net == SB_NET_ADMITAD)
    return (uint32_t)(1000 + base % 5000 + i * 97 + sb_hash4(a->seed, a->stream, i, 2) % 97);
  return (uint32_t)(100 + base % 400 + i * 11 + sb_hash4(a->seed, a->stream, i, 3) % 11);
}

uint32_t sb_aff_coupon_id(const struct sb_aff_account *a, size_t i) {
  uint64_t base = sb_hash4(a->seed, a->stream, 4, SALT_IDS);
  if (a->net == SB_NET_ADMITAD)
    return (uint32_t)(100000 + base % 400000 + i * 13 + sb_hash4(a->seed, a->stream, i, 5) % 13);
  return (uint32_t)(1000 + base % 9000 + i * 7 + sb_hash4(a->seed, a->stream, i, 6) % 7);
}

uint64_t sb_adm_action_id(const struct sb_aff_account *a, size_t seq) {
  /* One base for all accounts, so that ids never collide between them. */
  uint64_t base = ACTION_ID_BASE + sb_hash4(a->seed, ADM_NS, 0, SALT_IDS) % ACTION_ID_BASE;
  return base - base % SB_AFF_MAX + (uint64_t)seq * SB_AFF_MAX + (uint64_t)a->netindex;
}

/* ---- local days ---- */

int64_t sb_aff_naive(struct sb_aff_account *a, int64_t t) {
  return t + sb_zone_offset(&a->zone, t);
}

static int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int32_t sb_aff_today(struct sb_aff_account *a, int64_t now) {
  return (int32_t)floor_div(sb_aff_naive(a, now), DAY);
}

/* The first instant whose local wall clock reads day 00:00:00 or later.
 * Offsets stay within +-15 hours, and the wall clock only goes back in the
 * small hours, so bisecting over 30 hours around it finds it. */
int64_t sb_aff_midnight(struct sb_aff_account *a, int32_t day) {
  int64_t want = (int64_t)day * DAY, lo = want - 16 * 3600, hi = want + 16 * 3600;
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    if (sb_aff_naive(a, mid) >= want)
      hi = mid;
    else
      lo = mid;
  }
  return hi;
}

/* ---- what derives from positions ---- */

void sb_aff_campaign_info(const struct sb_aff_account *a, size_t i,
                          struct sb_aff_campaign_info *out) {
  struct sb_rng r;
  memset(out, 0, sizeof(*out));
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, i, SALT_CAMPAIGNS));
  out->id = sb_aff_campaign_id(a, i);
  if (a->net == SB_NET_ADMITAD) {
    const struct sb_aff_brand *b = &sb_adm_brands[(i * 7 + a->stream) % sb_adm_nbrands];
    const struct sb_aff_market *m = &sb_adm_markets[sb_rng_below(&r, sb_adm_nmarkets)];
    out->brand = b;
    out->market = m;
    snprintf(out->name, sizeof(out->name), "%s %s", b->name, m->suffix);
    out->currency = m->currency;
    out->lead = sb_rng_pct(&r, 20);
    out->hold_days = 30 + 15 * (int)sb_rng_below(&r, 3);
    out->percent_x100 = 200 + 25 * (int)sb_rng_below(&r, 41); /* 2 % .. 12 % */
    out->lead_payment = (int64_t)(50 + sb_rng_below(&r, 400)) * m->lead_unit;
  } else {
    const struct sb_aff_brand *b = &sb_bst_brands[(i * 5 + a->stream) % sb_bst_nbrands];
    const struct sb_aff_market *m = &sb_bst_markets[sb_rng_below(&r, sb_bst_nmarkets)];
    out->brand = b;
    out->market = m;
    /* A brand seen again runs a second campaign: name it by its market. */
    if (i >= sb_bst_nbrands)
      snprintf(out->name, sizeof(out->name), "%s %s", b->name, m->countries[0]);
    else
      snprintf(out->name, sizeof(out->name), "%s", b->name);
    out->currency = m->currency;
    out->percent_x100 = 300 + 50 * (int)sb_rng_below(&r, 21); /* 3 % .. 13 % */
    out->advertiser_id = 5000 + (uint32_t)(sb_hash4(a->seed, a->stream, i, 7) % 90000);
  }
  out->category = &sb_aff_categories[sb_rng_below(&r, sb_aff_ncategories)];
  out->basket = (20 + (int)sb_rng_below(&r, 180)) * out->market->price_x10 / 10;
  if (out->basket < 1)
    out->basket = 1;
  out->tariff_id = 10000 + out->id * 3 % 90000;
}

/* The code of coupon i: a word and a number, unique within the account. */
void sb_aff_coupon_code(const struct sb_aff_account *a, size_t i, char *out, size_t len) {
  size_t nw = a->net == SB_NET_ADMITAD ? sb_adm_nwords : sb_bst_nwords;
  const char *const *words = a->net == SB_NET_ADMITAD ? sb_adm_words : sb_bst_words;
  /* i -> (word, number) is a bijection: the word comes from i mod nw
   * through a permutation, the number from i / nw. */
  size_t w = (i % nw * 7 + a->stream % nw) % nw;
  snprintf(out, len, "%s%zu", words[w], 10 + i / nw * 5 + (size_t)(a->stream % 5));
}

/* ---- growing arrays ---- */

static int grow(void **items, size_t *cap, size_t need, size_t size, size_t max) {
  if (need > max)
    return MS_ETOOBIG;
  return array_reserve(items, cap, need, size, 64);
}

/* ---- campaigns and coupons at start ---- */

static int campaigns_build(struct sb_aff_account *a) {
  struct sb_rng r;
  size_t n;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, 0, SALT_CAMPAIGNS));
  n = 16 + (size_t)sb_rng_below(&r, 13);
  if (grow((void **)&a->campaigns, &a->campaigns_cap, n, sizeof(*a->campaigns),
           SB_AFF_CAMPAIGNS_MAX))
    return MS_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    struct sb_aff_campaign *c = &a->campaigns[i];
    struct sb_aff_campaign_info info;
    memset(c, 0, sizeof(*c));
    sb_aff_campaign_info(a, i, &info);
    c->rating = a->net == SB_NET_ADMITAD ? (uint16_t)(150 + sb_rng_below(&r, 351))
                                         : (uint16_t)(info.percent_x100 / 10);
    c->active = !sb_rng_pct(&r, 8);
    c->connected = !sb_rng_pct(&r, 10);
    c->updated = a->range_start - (int64_t)(1 + sb_rng_below(&r, 300)) * DAY;
  }
  a->ncampaigns = n;
  return MS_OK;
}

static void coupon_fill(struct sb_aff_account *a, struct sb_aff_coupon *c, struct sb_rng *r,
                        int32_t first_day) {
  memset(c, 0, sizeof(*c));
  c->campaign = (uint16_t)sb_rng_below(r, a->ncampaigns);
  c->discount = (uint8_t)(5 + 5 * sb_rng_below(r, 10));
  c->active = 1;
  c->start = sb_aff_midnight(a, first_day);
  if (!sb_rng_pct(r, 20))
    c->end = sb_aff_midnight(a, first_day + 30 + (int32_t)sb_rng_below(r, 150)) - 1;
  c->updated = c->start;
}

static int coupons_build(struct sb_aff_account *a, int32_t first_day) {
  struct sb_rng r;
  size_t n = a->ncampaigns * 3 + 2;
  if (a->net == SB_NET_BOOSTINY && (size_t)a->per_day * 13 / 10 + 5 > n)
    n = (size_t)a->per_day * 13 / 10 + 5;
  if (grow((void **)&a->coupons, &a->coupons_cap, n, sizeof(*a->coupons), SB_AFF_COUPONS_MAX))
    return MS_ENOMEM;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, 0, SALT_COUPONS));
  for (size_t i = 0; i < n; i++)
    coupon_fill(a, &a->coupons[i], &r, first_day - 1 - (int32_t)sb_rng_below(&r, 90));
  a->ncoupons = a->base_coupons = n;
  return MS_OK;
}

int sb_aff_coupon_listed(const struct sb_aff_account *a, size_t i) {
  const struct sb_aff_coupon *c = &a->coupons[i];
  return !c->deleted && !a->campaigns[c->campaign].deleted;
}

/* ---- Admitad actions ---- */

const char *sb_adm_status_name(int status) {
  static const char *const names[SB_ADM_STATUS_N] = {"pending", "approved", "declined",
                                                     "approved_but_stalled"};
  return status >= 0 && status < SB_ADM_STATUS_N ? names[status] : "pending";
}

int sb_adm_campaign_is_lead(const struct sb_aff_account *a, size_t i) {
  struct sb_aff_campaign_info info;
  sb_aff_campaign_info(a, i, &info);
  return info.lead;
}

/* Statuses as generated: recent actions are mostly pending, old ones
 * mostly approved; the decision came some hours to weeks after the action. */
static void action_initial(struct sb_aff_account *a, size_t seq, struct sb_adm_action *e,
                           int64_t now) {
  struct sb_rng r;
  int64_t age = now - e->date, span;
  unsigned u;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, seq, SALT_STATUS));
  u = (unsigned)sb_rng_below(&r, 1000);
  if (age < 2 * DAY)
    e->status = u < 970 ? SB_ADM_PENDING : SB_ADM_DECLINED;
  else if (age < 14 * DAY)
    e->status = u < 650 ? SB_ADM_PENDING : u < 900 ? SB_ADM_APPROVED : SB_ADM_DECLINED;
  else if (age < 30 * DAY)
    e->status = u < 350   ? SB_ADM_PENDING
                : u < 850 ? SB_ADM_APPROVED
                : u < 970 ? SB_ADM_DECLINED
                          : SB_ADM_STALLED;
  else
    e->status = u < 80    ? SB_ADM_PENDING
                : u < 820 ? SB_ADM_APPROVED
                : u < 960 ? SB_ADM_DECLINED
                          : SB_ADM_STALLED;
  e->updated = e->date;
  if (e->status != SB_ADM_PENDING) {
    span = age < 40 * DAY ? age : 40 * DAY;
    e->updated = e->date + (span > 1 ? (int64_t)sb_rng_below(&r, (uint64_t)span) : 0);
  }
  e->paid = e->status == SB_ADM_APPROVED && now - e->updated > 14 * DAY;
}

/* Campaigns weigh 1..8: a few programmes bring most actions. cum[i] is the
 * sum of the weights of campaigns 0..i. */
static void campaign_weights(const struct sb_aff_account *a, size_t n, uint32_t *cum) {
  uint32_t total = 0;
  for (size_t i = 0; i < n; i++) {
    total += 1 + (uint32_t)(sb_hash4(a->seed, a->stream, i, 11) % 8);
    cum[i] = total;
  }
}

static uint16_t pick_campaign(const uint32_t *cum, size_t n, struct sb_rng *r) {
  uint32_t w = (uint32_t)sb_rng_below(r, cum[n - 1]);
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cum[mid] > w)
      hi = mid;
    else
      lo = mid + 1;
  }
  return (uint16_t)lo;
}

static int actions_day(struct sb_aff_account *a, struct tz *tz, struct civil_date day, int64_t now,
                       const uint32_t *cum, size_t ncum, int64_t **tmp, size_t *cap) {
  struct sb_rng r;
  size_t n;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, (uint64_t)date_to_days(day), SALT_DAY));
  int rc = sb_day_instants(tz, day, &r, a->per_day, tmp, cap, &n);
  for (size_t i = 0; !rc && i < n && (*tmp)[i] <= now; i++) {
    if (grow((void **)&a->actions, &a->actions_cap, a->nactions + 1, sizeof(*a->actions),
             SB_AFF_RECORDS_MAX)) {
      rc = MS_ENOMEM;
      break;
    }
    struct sb_adm_action *e = &a->actions[a->nactions];
    memset(e, 0, sizeof(*e));
    e->date = (*tmp)[i];
    e->campaign = pick_campaign(cum, ncum, &r);
    action_initial(a, a->nactions, e, now);
    a->nactions++;
  }
  return rc;
}

static void pending_hint(struct sb_aff_account *a) {
  while (a->first_pending < a->nactions && a->actions[a->first_pending].status != SB_ADM_PENDING)
    a->first_pending++;
}

/* pending -> approved (72 %), declined (22 %) or approved_but_stalled;
 * stalled -> approved; approved and unpaid -> paid. */
static int action_advance(struct sb_adm_action *e, struct sb_rng *r) {
  unsigned u;
  switch (e->status) {
  case SB_ADM_PENDING:
    u = (unsigned)sb_rng_below(r, 100);
    e->status = u < 72 ? SB_ADM_APPROVED : u < 94 ? SB_ADM_DECLINED : SB_ADM_STALLED;
    return 1;
  case SB_ADM_STALLED:
    e->status = SB_ADM_APPROVED;
    return 1;
  case SB_ADM_APPROVED:
    if (e->paid)
      return 0;
    e->paid = 1;
    return 1;
  default:
    return 0;
  }
}

long sb_adm_update_one(struct sb_aff_account *a, int64_t now) {
  struct sb_rng r;
  long pos = -1;
  if (!a->nactions)
    return -1;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, a->mutations++, SALT_MUTATE));
  pending_hint(a);
  if (a->first_pending < a->nactions) {
    /* One of the oldest few pending actions. */
    unsigned skip = (unsigned)sb_rng_below(&r, 8);
    for (size_t p = a->first_pending, seen = 0; p < a->nactions && seen < 4096; p++, seen++) {
      if (a->actions[p].status != SB_ADM_PENDING)
        continue;
      pos = (long)p;
      if (skip-- == 0)
        break;
    }
  } else {
    /* Nothing pending: a stalled action gets approved, or an approved one paid. */
    for (int k = 0; k < 256 && pos < 0; k++) {
      size_t p = (size_t)sb_rng_below(&r, a->nactions);
      int st = a->actions[p].status;
      if (st == SB_ADM_STALLED || (st == SB_ADM_APPROVED && !a->actions[p].paid))
        pos = (long)p;
    }
  }
  if (pos < 0)
    return -1;
  struct sb_adm_action *e = &a->actions[pos];
  action_advance(e, &r);
  e->version++;
  e->updated = now > e->updated ? now : e->updated + 1;
  return pos;
}

int sb_adm_create_action(struct sb_aff_account *a, int64_t now) {
  struct sb_rng r;
  int rc = grow((void **)&a->actions, &a->actions_cap, a->nactions + 1, sizeof(*a->actions),
                SB_AFF_RECORDS_MAX);
  if (rc)
    return rc;
  uint32_t *cum = malloc(a->ncampaigns * sizeof(*cum));
  if (!cum)
    return MS_ENOMEM;
  campaign_weights(a, a->ncampaigns, cum);
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, a->mutations++, SALT_MUTATE));
  struct sb_adm_action *e = &a->actions[a->nactions];
  memset(e, 0, sizeof(*e));
  e->date = a->nactions && a->actions[a->nactions - 1].date > now ? a->actions[a->nactions - 1].date
                                                                  : now;
  e->updated = e->date;
  e->status = SB_ADM_PENDING;
  e->campaign = pick_campaign(cum, a->ncampaigns, &r);
  free(cum);
  for (int k = 0; k < 64 && a->campaigns[e->campaign].deleted; k++)
    e->campaign = (uint16_t)((e->campaign + 1) % a->ncampaigns);
  a->nactions++;
  return MS_OK;
}

/* ---- Boostiny performance rows ---- */

/* Orders, returns and sales of one code on one day. */
static void row_values(struct sb_aff_account *a, struct sb_bst_row *row, struct sb_rng *r) {
  struct sb_aff_campaign_info info;
  uint32_t pop = 1 + (uint32_t)(sb_hash4(a->seed, a->stream, row->code, 12) % 12);
  sb_aff_campaign_info(a, a->coupons[row->code].campaign, &info);
  row->orders = 1 + (uint32_t)sb_rng_below(r, pop + 1);
  row->net_orders = row->orders;
  if (sb_rng_pct(r, 25))
    row->net_orders -= (uint32_t)sb_rng_below(r, row->orders / 3 + 1);
  row->sales = (int64_t)row->orders * info.basket * (60 + (int64_t)sb_rng_below(r, 81));
}

/* Rows of a day keep changing for up to three weeks after it. */
static int64_t row_updated(struct sb_aff_account *a, int32_t day, int64_t now, struct sb_rng *r) {
  int64_t start = sb_aff_midnight(a, day), last = start + 21 * (int64_t)DAY;
  if (last > now)
    last = now;
  if (last <= start)
    return start < now ? start : now;
  return start + (int64_t)sb_rng_below(r, (uint64_t)(last - start + 1));
}

static int rows_day(struct sb_aff_account *a, int32_t day, int64_t now) {
  struct sb_rng r;
  size_t pool = a->base_coupons, want;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, (uint64_t)(int64_t)day, SALT_ROWS));
  want = (size_t)(a->per_day * (0.8 + 0.4 * sb_rng_unit(&r)) + 0.5);
  if (want > pool)
    want = pool;
  if (grow((void **)&a->rows, &a->rows_cap, a->nrows + want, sizeof(*a->rows), SB_AFF_RECORDS_MAX))
    return MS_ENOMEM;
  /* Selection sampling: `want` distinct codes in ascending order. */
  for (size_t i = 0, left = want; i < pool && left; i++) {
    if (sb_rng_below(&r, pool - i) >= left)
      continue;
    struct sb_rng rr;
    struct sb_bst_row *row = &a->rows[a->nrows++];
    memset(row, 0, sizeof(*row));
    row->day = day;
    row->code = (uint32_t)i;
    sb_rng_seed(&rr, sb_hash4(a->seed, a->stream, (uint64_t)(int64_t)day * 1000003 + i, SALT_ROW));
    row_values(a, row, &rr);
    row->updated = row_updated(a, day, now, &rr);
    left--;
  }
  return MS_OK;
}

size_t sb_bst_rows_from(const struct sb_aff_account *a, int32_t day) {
  size_t lo = 0, hi = a->nrows;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (a->rows[mid].day < day)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

long sb_bst_update_row(struct sb_aff_account *a, int64_t now, int days) {
  struct sb_rng r;
  size_t from = sb_bst_rows_from(a, sb_aff_today(a, now) - days + 1), pos;
  if (from >= a->nrows)
    return -1;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, a->mutations++, SALT_MUTATE));
  pos = from + (size_t)sb_rng_below(&r, a->nrows - from);
  struct sb_bst_row *row = &a->rows[pos];
  if (row->net_orders > 0 && sb_rng_pct(&r, 40)) {
    row->net_orders--; /* a return */
  } else {
    struct sb_aff_campaign_info info;
    sb_aff_campaign_info(a, a->coupons[row->code].campaign, &info);
    row->orders++; /* a late order */
    row->net_orders++;
    row->sales += (int64_t)info.basket * (60 + (int64_t)sb_rng_below(&r, 81));
  }
  row->version++;
  row->updated = now > row->updated ? now : row->updated + 1;
  return (long)pos;
}

long sb_bst_create_row(struct sb_aff_account *a, int64_t now) {
  struct sb_rng r;
  int32_t today = sb_aff_today(a, now);
  size_t from = sb_bst_rows_from(a, today), to = sb_bst_rows_from(a, today + 1);
  if (!a->ncoupons)
    return -1;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, a->mutations++, SALT_MUTATE));
  for (int k = 0; k < 64; k++) {
    uint32_t code = (uint32_t)sb_rng_below(&r, a->ncoupons);
    size_t lo = from, hi = to;
    if (!sb_aff_coupon_listed(a, code))
      continue;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (a->rows[mid].code < code)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < to && a->rows[lo].code == code)
      continue; /* the code has a row today */
    if (grow((void **)&a->rows, &a->rows_cap, a->nrows + 1, sizeof(*a->rows), SB_AFF_RECORDS_MAX))
      return MS_ETOOBIG;
    memmove(&a->rows[lo + 1], &a->rows[lo], (a->nrows - lo) * sizeof(*a->rows));
    a->nrows++;
    struct sb_bst_row *row = &a->rows[lo];
    memset(row, 0, sizeof(*row));
    row->day = today;
    row->code = code;
    row_values(a, row, &r);
    row->updated = now;
    return (long)lo;
  }
  return -1;
}

/* ---- campaigns and coupons over time ---- */

static long pick_live(struct sb_rng *r, size_t n,
                      int (*live)(const struct sb_aff_account *, size_t),
                      const struct sb_aff_account *a) {
  if (!n)
    return -1;
  size_t start = (size_t)sb_rng_below(r, n);
  for (size_t k = 0; k < n; k++)
    if (live(a, (start + k) % n))
      return (long)((start + k) % n);
  return -1;
}

static int campaign_live(const struct sb_aff_account *a, size_t i) {
  return !a->campaigns[i].deleted;
}

static void touch(int64_t *updated, uint16_t *version, int64_t now) {
  *updated = now > *updated ? now : *updated + 1;
  (*version)++;
}

long sb_aff_campaign_update(struct sb_aff_account *a, int64_t now) {
  struct sb_rng r;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, a->mutations++, SALT_MUTATE));
  long i = pick_live(&r, a->ncampaigns, campaign_live, a);
  if (i < 0)
    return -1;
  struct sb_aff_campaign *c = &a->campaigns[i];
  unsigned u = (unsigned)sb_rng_below(&r, 100);
  if (u < 40) {
    int delta = (int)sb_rng_below(&r, 41) - 20;
    int v = (int)c->rating + (delta ? delta : 5);
    int lo = a->net == SB_NET_ADMITAD ? 50 : 10, hi = a->net == SB_NET_ADMITAD ? 500 : 300;
    c->rating = (uint16_t)(v < lo ? lo : v > hi ? hi : v);
  } else if (u < 85 && u >= 65) {
    c->active = !c->active;
  } else if (u >= 85 && a->net == SB_NET_ADMITAD) {
    c->connected = !c->connected;
  } /* else only the description's wording changes */
  touch(&c->updated, &c->version, now);
  return i;
}

long sb_aff_campaign_create(struct sb_aff_account *a, int64_t now) {
  struct sb_rng r;
  if (grow((void **)&a->campaigns, &a->campaigns_cap, a->ncampaigns + 1, sizeof(*a->campaigns),
           SB_AFF_CAMPAIGNS_MAX))
    return -1;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, a->mutations++, SALT_MUTATE));
  struct sb_aff_campaign *c = &a->campaigns[a->ncampaigns];
  struct sb_aff_campaign_info info;
  memset(c, 0, sizeof(*c));
  sb_aff_campaign_info(a, a->ncampaigns, &info);
  c->rating = a->net == SB_NET_ADMITAD ? (uint16_t)(150 + sb_rng_below(&r, 351))
                                       : (uint16_t)(info.percent_x100 / 10);
  c->active = c->connected = 1;
  c->updated = now;
  return (long)a->ncampaigns++;
}

long sb_aff_campaign_delete(struct sb_aff_account *a, int64_t now) {
  struct sb_rng r;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, a->mutations++, SALT_MUTATE));
  long i = pick_live(&r, a->ncampaigns, campaign_live, a);
  if (i < 0)
    return -1;
  a->campaigns[i].deleted = 1;
  touch(&a->campaigns[i].updated, &a->campaigns[i].version, now);
  return i;
}

long sb_aff_coupon_update(struct sb_aff_account *a, int64_t now) {
  struct sb_rng r;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, a->mutations++, SALT_MUTATE));
  long i = pick_live(&r, a->ncoupons, sb_aff_coupon_listed, a);
  if (i < 0)
    return -1;
  struct sb_aff_coupon *c = &a->coupons[i];
  unsigned u = (unsigned)sb_rng_below(&r, 100);
  if (u < 40) {
    int64_t base = c->end > now ? c->end : now;
    c->end = base + 30 * (int64_t)DAY; /* extended */
  } else if (u < 70) {
    c->discount = (uint8_t)(c->discount >= 55 ? 5 : c->discount + 5);
  } else if (u < 85) {
    c->active = !c->active;
  }
  touch(&c->updated, &c->version, now);
  return i;
}

long sb_aff_coupon_create(struct sb_aff_account *a, int64_t now) {
  struct sb_rng r;
  if (grow((void **)&a->coupons, &a->coupons_cap, a->ncoupons + 1, sizeof(*a->coupons),
           SB_AFF_COUPONS_MAX))
    return -1;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, a->mutations++, SALT_MUTATE));
  long campaign = pick_live(&r, a->ncampaigns, campaign_live, a);
  if (campaign < 0)
    return -1;
  struct sb_aff_coupon *c = &a->coupons[a->ncoupons];
  coupon_fill(a, c, &r, sb_aff_today(a, now));
  c->campaign = (uint16_t)campaign;
  c->updated = now;
  return (long)a->ncoupons++;
}

long sb_aff_coupon_delete(struct sb_aff_account *a, int64_t now) {
  struct sb_rng r;
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, a->mutations++, SALT_MUTATE));
  long i = pick_live(&r, a->ncoupons, sb_aff_coupon_listed, a);
  if (i < 0)
    return -1;
  a->coupons[i].deleted = 1;
  touch(&a->coupons[i].updated, &a->coupons[i].version, now);
  return i;
}

/* ---- an account ---- */

int sb_aff_account_init(struct sb_aff_account *a, enum sb_aff_net net, int netindex,
                        const char *name, const char *tzid, int per_day, uint64_t seed, int64_t now,
                        int days, struct err *err) {
  struct civil_date today, first;
  struct tz *tz;
  int64_t start, end, *tmp = NULL;
  size_t tmpcap = 0;
  int rc;
  memset(a, 0, sizeof(*a));
  if (netindex < 0 || netindex >= SB_AFF_MAX || days < 0 || days > SB_MAX_DAYS || per_day < 0 ||
      per_day > SB_AFF_PER_DAY_MAX)
    return err_set(err, MS_EINVAL, "account %s: index, days or records per day out of range", name);
  a->net = net;
  a->netindex = netindex;
  snprintf(a->name, sizeof(a->name), "%s", name);
  snprintf(a->tzid, sizeof(a->tzid), "%s", tzid);
  a->seed = seed;
  a->stream = (net == SB_NET_ADMITAD ? ADM_NS : BST_NS) + (uint64_t)netindex;
  a->per_day = per_day;
  a->user_id = 100000 + sb_hash4(seed, a->stream, 8, SALT_IDS) % 900000;
  a->website_id = 100000 + sb_hash4(seed, a->stream, 9, SALT_IDS) % 1800000;
  rc = tz_open(tzid, &tz, err);
  if (rc)
    return rc;
  rc = tz_local_date(tz, now, &today);
  first = date_add(today, -days);
  if (!rc)
    rc = tz_day_bounds(tz, first, &start, &end);
  if (!rc)
    rc = sb_zone_init(&a->zone, tzid, start - 800 * (int64_t)DAY, now + 800 * (int64_t)DAY, err);
  if (rc) {
    tz_free(tz);
    return err_set(err, MS_EINVAL, "account %s: cannot compute local days in %s", name, tzid);
  }
  a->range_start = start;
  uint64_t expected = (uint64_t)per_day * (uint64_t)(days + 1);
  rc = expected > SB_AFF_RECORDS_MAX ? MS_ETOOBIG : campaigns_build(a);
  if (!rc)
    rc = coupons_build(a, (int32_t)date_to_days(first));
  if (!rc && net == SB_NET_ADMITAD) {
    uint32_t cum[64]; /* campaigns at start: at most 28 */
    size_t base = a->ncampaigns < 64 ? a->ncampaigns : 64;
    campaign_weights(a, base, cum);
    rc = grow((void **)&a->actions, &a->actions_cap, (size_t)expected + (size_t)(days + 1) * 3,
              sizeof(*a->actions), SB_AFF_RECORDS_MAX + (size_t)(days + 1) * 3);
    for (struct civil_date d = first; !rc && date_cmp(d, today) <= 0; d = date_add(d, 1))
      rc = actions_day(a, tz, d, now, cum, base, &tmp, &tmpcap);
    pending_hint(a);
  } else if (!rc) {
    for (struct civil_date d = first; !rc && date_cmp(d, today) <= 0; d = date_add(d, 1))
      rc = rows_day(a, (int32_t)date_to_days(d), now);
  }
  free(tmp);
  tz_free(tz);
  if (rc) {
    sb_aff_account_release(a);
    return err_set(err, rc, "account %s: cannot generate its data: %s", name, ms_strerror(rc));
  }
  return MS_OK;
}

void sb_aff_account_release(struct sb_aff_account *a) {
  if (!a)
    return;
  free(a->campaigns);
  free(a->coupons);
  free(a->actions);
  free(a->rows);
  sb_zone_release(&a->zone);
  sb_rwin_release(&a->admit);
  sb_rwin_release(&a->abuse);
  a->campaigns = NULL;
  a->coupons = NULL;
  a->actions = NULL;
  a->rows = NULL;
  a->ncampaigns = a->ncoupons = a->nactions = a->nrows = 0;
}
