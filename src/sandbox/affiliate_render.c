/* The JSON of the affiliate accounts' records, exactly as the emulated APIs
 * and the ground truth send it. Pure: every function works from copies of
 * the stored entries and from what derives from (seed, account, position),
 * so rendering may run outside the sandbox's lock. */
#include <stdio.h>
#include <string.h>

#include "sandbox/affiliate.h"
#include "sandbox/affiliate_data.h"
#include "sandbox/jw.h"
#include "sandbox/prng.h"
#include "util/tz.h"

#define DAY 86400
#define SALT_ACTION 301

static int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void naive_format(int64_t naive, char out[20]) {
  int64_t days = floor_div(naive, DAY), sec = naive - days * DAY;
  struct civil_date d = date_from_days(days);
  char tmp[64];
  snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d %02d:%02d:%02d", d.y % 10000, d.m, d.d,
           (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
  snprintf(out, 20, "%.19s", tmp);
}

void sb_aff_local(struct sb_aff_account *a, int64_t t, char out[20]) {
  naive_format(sb_aff_naive(a, t), out);
}

/* "2026-11-20" of the local day of t. */
static void local_date(struct sb_aff_account *a, int64_t t, int add_days, char out[DATE_STR_LEN]) {
  date_format(date_from_days(floor_div(sb_aff_naive(a, t), DAY) + add_days), out);
}

static void local_str(struct jw *w, struct sb_aff_account *a, const char *key, int64_t t) {
  char s[20];
  sb_aff_local(a, t, s);
  jw_key(w, key);
  jw_str(w, s);
}

/* "2026-11-01T00:00:00": Admitad coupons' dates. */
static void local_iso(struct jw *w, struct sb_aff_account *a, const char *key, int64_t t) {
  char s[20];
  jw_key(w, key);
  if (!t) {
    jw_null(w);
    return;
  }
  sb_aff_local(a, t, s);
  s[10] = 'T';
  jw_str(w, s);
}

/* A money member as a JSON number with two decimals: 12.34 */
static void money_num(struct jw *w, const char *key, int64_t minor) {
  jw_key(w, key);
  jw_put_money(w, minor);
}

static void money_str(struct jw *w, const char *key, int64_t minor) {
  jw_key(w, key);
  jw_money(w, minor);
}

static void key_str(struct jw *w, const char *key, const char *value) {
  jw_key(w, key);
  jw_str(w, value);
}

static void key_u64(struct jw *w, const char *key, uint64_t v) {
  jw_key(w, key);
  jw_u64(w, v);
}

/* A number as a string: Boostiny's performance rows. */
static void key_u64_str(struct jw *w, const char *key, uint64_t v) {
  char s[24];
  snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
  key_str(w, key, s);
}

static int64_t mul_ppm(int64_t v, int64_t ppm) {
  __int128 x = (__int128)v * ppm;
  return (int64_t)((x + (x >= 0 ? 500000 : -500000)) / 1000000);
}

/* ---- Admitad ---- */

static void adm_categories(struct jw *w, const struct sb_aff_category *c) {
  jw_key(w, "categories");
  jw_arr_begin(w);
  jw_obj_begin(w);
  key_u64(w, "id", (uint64_t)c->id);
  key_str(w, "name", c->name);
  key_str(w, "language", "en");
  jw_key(w, "parent");
  jw_null(w);
  jw_obj_end(w);
  jw_arr_end(w);
}

static void adm_regions(struct jw *w, const struct sb_aff_market *m) {
  jw_key(w, "regions");
  jw_arr_begin(w);
  for (int i = 0; i < 3 && m->countries[i]; i++) {
    jw_obj_begin(w);
    key_str(w, "region", m->countries[i]);
    jw_obj_end(w);
  }
  jw_arr_end(w);
}

/* "https://ad.admitad.example/g/1a2b3c4d5e/" */
static void adm_gotolink(const struct sb_aff_account *a, uint64_t what, char *out, size_t len) {
  snprintf(out, len, "https://ad.admitad.example/g/%010llx/",
           (unsigned long long)(sb_hash4(a->seed, a->stream, what, 17) & 0xffffffffffULL));
}

int sb_adm_website_render(struct sb_aff_account *a, struct buf *out) {
  struct jw w;
  char s[160];
  jw_init(&w, out);
  jw_obj_begin(&w);
  key_u64(&w, "id", a->website_id);
  snprintf(s, sizeof(s), "%s deals", a->name);
  key_str(&w, "name", s);
  key_str(&w, "status", "active");
  key_str(&w, "kind", "website");
  jw_key(&w, "is_old");
  jw_bool(&w, 0);
  snprintf(s, sizeof(s), "https://%s.example.com/", a->name);
  key_str(&w, "site_url", s);
  snprintf(s, sizeof(s), "%016llx",
           (unsigned long long)sb_hash4(a->seed, a->stream, a->website_id, 18));
  key_str(&w, "verification_code", s);
  local_iso(&w, a, "creation_date", a->range_start - 400 * (int64_t)DAY);
  adm_regions(&w, &sb_adm_markets[1]);
  adm_categories(&w, &sb_aff_categories[0]);
  key_u64(&w, "atnd_visits", 1000 + sb_hash4(a->seed, a->stream, 19, 19) % 90000);
  key_u64(&w, "atnd_hits", 3000 + sb_hash4(a->seed, a->stream, 20, 20) % 300000);
  jw_obj_end(&w);
  return w.rc;
}

int sb_adm_campaign_render(struct sb_aff_account *a, size_t i, const struct sb_aff_campaign *c,
                           struct buf *out) {
  struct sb_aff_campaign_info info;
  struct jw w;
  char s[256];
  uint64_t h = sb_hash4(a->seed, a->stream, i * 65536 + c->version, 21);
  sb_aff_campaign_info(a, i, &info);
  jw_init(&w, out);
  jw_obj_begin(&w);
  key_u64(&w, "id", info.id);
  key_str(&w, "name", info.name);
  snprintf(s, sizeof(s), "https://www.%s.example.com/", info.brand->slug);
  key_str(&w, "site_url", s);
  snprintf(s, sizeof(s),
           "Official store of %s. Orders from %s are paid once the %d-day hold is over. Terms, "
           "version %u.",
           info.brand->name, info.market->countries[0], info.hold_days, (unsigned)c->version + 1);
  key_str(&w, "description", s);
  snprintf(s, sizeof(s), "https://cdn.admitad.example/campaign/images/%u.png", (unsigned)info.id);
  key_str(&w, "image", s);
  key_str(&w, "status", c->active ? "active" : "disabled");
  snprintf(s, sizeof(s), "%d.%02d", c->rating / 100, c->rating % 100);
  key_str(&w, "rating", s);
  key_str(&w, "currency", info.currency);
  key_str(&w, "action_type", info.lead ? "lead" : "sale");
  jw_key(&w, "actions");
  jw_arr_begin(&w);
  jw_obj_begin(&w);
  key_u64(&w, "id", info.tariff_id);
  key_str(&w, "name", info.lead ? "Lead" : "Sale");
  key_str(&w, "type", info.lead ? "lead" : "sale");
  if (info.lead) {
    snprintf(s, sizeof(s), "%lld.%02lld %s", (long long)(info.lead_payment / 100),
             (long long)(info.lead_payment % 100), info.currency);
  } else {
    snprintf(s, sizeof(s), "%d.%02d%%", info.percent_x100 / 100, info.percent_x100 % 100);
  }
  key_str(&w, "payment_size", s);
  key_u64(&w, "hold_time", (uint64_t)info.hold_days);
  jw_obj_end(&w);
  jw_arr_end(&w);
  adm_categories(&w, info.category);
  adm_regions(&w, info.market);
  jw_key(&w, "connected");
  jw_bool(&w, c->connected);
  adm_gotolink(a, info.id, s, sizeof(s));
  key_str(&w, "gotolink", s);
  key_u64(&w, "goto_cookie_lifetime", 30);
  jw_key(&w, "allow_deeplink");
  jw_bool(&w, 1);
  jw_key(&w, "cr");
  jw_fixed(&w, (double)(h % 500) / 100.0, 2);
  jw_key(&w, "ecpc");
  jw_fixed(&w, (double)(h / 500 % 2000) / 100.0, 2);
  jw_key(&w, "epc");
  jw_fixed(&w, (double)(h / 1000000 % 20000) / 100.0, 2);
  jw_obj_end(&w);
  return w.rc;
}

static const struct {
  int id;           /* coupon type id */
  const char *name; /* its name */
} coupon_types[] = {
    {1, "Free shipping"}, {2, "Discount on an order"}, {3, "Gift with purchase"}, {4, "Sale"}};

int sb_adm_coupon_render(struct sb_aff_account *a, size_t i, const struct sb_aff_coupon *c,
                         struct buf *out) {
  struct sb_aff_campaign_info info;
  struct jw w;
  char s[256], code[32];
  uint64_t h = sb_hash4(a->seed, a->stream, i, 22);
  int action = h % 5 == 0; /* a sale that needs no code */
  int type = action ? 3 : (int)(h / 5 % 3);
  sb_aff_campaign_info(a, c->campaign, &info);
  sb_aff_coupon_code(a, i, code, sizeof(code));
  jw_init(&w, out);
  jw_obj_begin(&w);
  key_u64(&w, "id", sb_aff_coupon_id(a, i));
  if (action)
    snprintf(s, sizeof(s), "Sale up to %u%% at %s", (unsigned)c->discount, info.brand->name);
  else
    snprintf(s, sizeof(s), "%u%% off with code %s", (unsigned)c->discount, code);
  key_str(&w, "name", s);
  snprintf(s, sizeof(s), "%s %u%%", info.brand->name, (unsigned)c->discount);
  key_str(&w, "short_name", s);
  key_str(&w, "promocode", action ? "NOT REQUIRED" : code);
  snprintf(s, sizeof(s), "%u%%", (unsigned)c->discount);
  key_str(&w, "discount", s);
  key_str(&w, "species", action ? "action" : "promocode");
  local_iso(&w, a, "date_start", c->start);
  local_iso(&w, a, "date_end", c->end);
  jw_key(&w, "campaign");
  jw_obj_begin(&w);
  key_u64(&w, "id", info.id);
  key_str(&w, "name", info.name);
  snprintf(s, sizeof(s), "https://www.%s.example.com/", info.brand->slug);
  key_str(&w, "site_url", s);
  jw_obj_end(&w);
  key_str(&w, "status", c->active ? "active" : "inactive");
  adm_gotolink(a, 1000000000ULL + sb_aff_coupon_id(a, i), s, sizeof(s));
  key_str(&w, "goto_link", s);
  snprintf(s, sizeof(s), "%s: %u%% off%s. Offer wording, version %u.", info.brand->name,
           (unsigned)c->discount, action ? " on selected items" : " on the whole order",
           (unsigned)c->version + 1);
  key_str(&w, "description", s);
  jw_key(&w, "types");
  jw_arr_begin(&w);
  jw_obj_begin(&w);
  key_u64(&w, "id", (uint64_t)coupon_types[type].id);
  key_str(&w, "name", coupon_types[type].name);
  jw_obj_end(&w);
  jw_arr_end(&w);
  jw_key(&w, "categories");
  jw_arr_begin(&w);
  jw_obj_begin(&w);
  key_u64(&w, "id", (uint64_t)info.category->id);
  key_str(&w, "name", info.category->name);
  jw_obj_end(&w);
  jw_arr_end(&w);
  jw_key(&w, "regions");
  jw_arr_begin(&w);
  for (int k = 0; k < 3 && info.market->countries[k]; k++)
    jw_str(&w, info.market->countries[k]);
  jw_arr_end(&w);
  snprintf(s, sizeof(s), "https://cdn.admitad.example/coupon/images/%u.png",
           (unsigned)sb_aff_coupon_id(a, i));
  key_str(&w, "image", s);
  key_str(&w, "rating", "0.00");
  jw_key(&w, "exclusive");
  jw_bool(&w, h / 100 % 10 == 0);
  key_str(&w, "language", "en");
  jw_obj_end(&w);
  return w.rc;
}

/* Optional sub-ids: null most of the time, as on Admitad. */
static void subid(struct jw *w, const char *key, struct sb_rng *r, unsigned pct, const char *fmt) {
  char s[48];
  jw_key(w, key);
  if (!sb_rng_pct(r, pct)) {
    jw_null(w);
    return;
  }
  snprintf(s, sizeof(s), fmt, (unsigned)sb_rng_below(r, 1000));
  jw_str(w, s);
}

int sb_adm_action_render(struct sb_aff_account *a, size_t seq, const struct sb_adm_action *e,
                         struct buf *out) {
  struct sb_aff_campaign_info info;
  struct sb_rng r;
  struct jw w;
  char s[160], date[DATE_STR_LEN];
  int64_t conv, amounts[3], payments[3], cart = 0, payment = 0;
  int npos;
  sb_aff_campaign_info(a, e->campaign, &info);
  sb_rng_seed(&r, sb_hash4(a->seed, a->stream, seq, SALT_ACTION));
  conv = sb_rng_pct(&r, 90) ? 30 + (int64_t)sb_rng_below(&r, 3 * DAY)
                            : DAY + (int64_t)sb_rng_below(&r, 20 * DAY);
  npos = info.lead ? 1 : 1 + (int)sb_rng_below(&r, 3);
  for (int k = 0; k < npos; k++) {
    if (info.lead) {
      amounts[k] = 0;
      payments[k] = info.lead_payment;
    } else {
      amounts[k] = (int64_t)info.basket * (40 + (int64_t)sb_rng_below(&r, 121)) / npos;
      payments[k] = (amounts[k] * info.percent_x100 + 5000) / 10000;
    }
    cart += amounts[k];
    payment += payments[k];
  }
  jw_init(&w, out);
  jw_obj_begin(&w);
  key_u64(&w, "action_id", sb_adm_action_id(a, seq));
  snprintf(
      s, sizeof(s), "%llu",
      (unsigned long long)(100000000ULL + sb_hash4(a->seed, a->stream, seq, 23) % 900000000ULL));
  key_str(&w, "order_id", s);
  key_str(&w, "status", sb_adm_status_name(e->status));
  local_str(&w, a, "action_date", e->date);
  local_str(&w, a, "click_date", e->date - conv);
  local_str(&w, a, "status_updated", e->updated);
  local_date(a, e->date, info.hold_days, date);
  key_str(&w, "closing_date", date);
  key_u64(&w, "advcampaign_id", info.id);
  key_str(&w, "advcampaign_name", info.name);
  snprintf(s, sizeof(s), "%s deals", a->name);
  key_str(&w, "website_name", s);
  key_str(&w, "action_type", info.lead ? "lead" : "sale");
  key_str(&w, "action", info.lead ? "Lead" : "Sale");
  money_num(&w, "payment", payment);
  money_num(&w, "cart", cart);
  key_str(&w, "currency", info.currency);
  subid(&w, "subid", &r, 40, "tg-%u");
  subid(&w, "subid1", &r, 25, "banner-%u");
  subid(&w, "subid2", &r, 10, "placement-%u");
  subid(&w, "subid3", &r, 5, "ab-%u");
  subid(&w, "subid4", &r, 3, "user-%u");
  key_u64(&w, "processed", e->status != SB_ADM_PENDING);
  key_u64(&w, "paid", e->paid);
  key_u64(&w, "conversion_time", (uint64_t)conv);
  jw_key(&w, "keyword");
  jw_null(&w);
  jw_key(&w, "comment");
  jw_null(&w);
  key_u64(&w, "tariff_id", info.tariff_id);
  jw_key(&w, "positions");
  jw_arr_begin(&w);
  for (int k = 0; k < npos; k++) {
    jw_obj_begin(&w);
    key_u64(&w, "id", sb_adm_action_id(a, seq) * 4 + (uint64_t)k);
    key_u64(&w, "tariff_id", info.tariff_id);
    money_str(&w, "payment", payments[k]);
    if (info.lead)
      money_str(&w, "rate", info.lead_payment);
    else
      money_str(&w, "rate", info.percent_x100);
    money_str(&w, "amount", amounts[k]);
    jw_key(&w, "percentage");
    jw_bool(&w, !info.lead);
    if (info.lead)
      s[0] = '\0';
    else
      snprintf(s, sizeof(s), "https://www.%s.example.com/p/%u", info.brand->slug,
               (unsigned)sb_rng_below(&r, 100000));
    key_str(&w, "product_url", s);
    local_str(&w, a, "datetime", e->date);
    jw_obj_end(&w);
  }
  jw_arr_end(&w);
  jw_obj_end(&w);
  return w.rc;
}

/* ---- Boostiny ---- */

static void countries(struct jw *w, const struct sb_aff_market *m) {
  jw_key(w, "countries");
  jw_arr_begin(w);
  for (int k = 0; k < 3 && m->countries[k]; k++)
    jw_str(w, m->countries[k]);
  jw_arr_end(w);
}

int sb_bst_campaign_render(struct sb_aff_account *a, size_t i, const struct sb_aff_campaign *c,
                           struct buf *out) {
  struct sb_aff_campaign_info info;
  struct jw w;
  char s[200];
  sb_aff_campaign_info(a, i, &info);
  jw_init(&w, out);
  jw_obj_begin(&w);
  key_u64(&w, "id", info.id);
  key_str(&w, "name", info.name);
  jw_key(&w, "advertiser");
  jw_obj_begin(&w);
  key_u64(&w, "id", info.advertiser_id);
  snprintf(s, sizeof(s), "%s LLC", info.brand->name);
  key_str(&w, "name", s);
  jw_obj_end(&w);
  key_str(&w, "category", info.category->name);
  snprintf(s, sizeof(s), "https://cdn.boostiny.example/logos/%u.png", (unsigned)info.id);
  key_str(&w, "logo", s);
  key_str(&w, "status", c->active ? "active" : "paused");
  key_str(&w, "currency", info.currency);
  countries(&w, info.market);
  snprintf(s, sizeof(s), "%u.%u%%", (unsigned)c->rating / 10, (unsigned)c->rating % 10);
  key_str(&w, "commission", s);
  key_str(&w, "payout_type", "CPS");
  snprintf(s, sizeof(s), "https://www.%s.example.com", info.brand->slug);
  key_str(&w, "website_url", s);
  snprintf(s, sizeof(s), "Shop %s with your code. Terms, version %u.", info.brand->name,
           (unsigned)c->version + 1);
  key_str(&w, "description", s);
  snprintf(s, sizeof(s), "https://boostiny.example/click/%u?pub=%s", (unsigned)info.id, a->name);
  key_str(&w, "tracking_link", s);
  local_str(&w, a, "updated_at", c->updated);
  jw_obj_end(&w);
  return w.rc;
}

int sb_bst_coupon_render(struct sb_aff_account *a, size_t i, const struct sb_aff_coupon *c,
                         struct buf *out) {
  struct sb_aff_campaign_info info;
  struct jw w;
  char s[64], code[32], date[DATE_STR_LEN];
  sb_aff_campaign_info(a, c->campaign, &info);
  sb_aff_coupon_code(a, i, code, sizeof(code));
  jw_init(&w, out);
  jw_obj_begin(&w);
  key_u64(&w, "id", sb_aff_coupon_id(a, i));
  key_str(&w, "code", code);
  key_u64(&w, "campaign_id", info.id);
  key_str(&w, "campaign_name", info.name);
  key_str(&w, "status", c->active ? "active" : "inactive");
  snprintf(s, sizeof(s), "%u%%", (unsigned)c->discount);
  key_str(&w, "discount", s);
  countries(&w, info.market);
  local_date(a, c->start, 0, date);
  key_str(&w, "start_date", date);
  jw_key(&w, "end_date");
  if (c->end) {
    local_date(a, c->end, 0, date);
    jw_str(&w, date);
  } else {
    jw_null(&w);
  }
  local_str(&w, a, "updated_at", c->updated);
  jw_obj_end(&w);
  return w.rc;
}

void sb_bst_sum_add(const struct sb_aff_account *a, struct sb_bst_sum *sum,
                    const struct sb_bst_row *r) {
  struct sb_aff_campaign_info info;
  int64_t usd, revenue;
  sum->campaign = a->coupons[r->code].campaign;
  sb_aff_campaign_info(a, sum->campaign, &info);
  usd = mul_ppm(r->sales, info.market->usd_ppm);
  revenue = (usd * info.percent_x100 + 5000) / 10000;
  sum->orders += r->orders;
  sum->net_orders += r->net_orders;
  sum->sales += r->sales;
  sum->sales_usd += usd;
  sum->revenue += revenue;
  sum->net_revenue += r->orders ? (revenue * r->net_orders + r->orders / 2) / r->orders : 0;
  if (r->updated > sum->updated)
    sum->updated = r->updated;
}

int sb_bst_perf_render(struct sb_aff_account *a, const struct sb_bst_sum *sum, const char *date,
                       struct buf *out) {
  struct sb_aff_campaign_info info;
  struct jw w;
  char code[32];
  sb_aff_campaign_info(a, sum->campaign, &info);
  sb_aff_coupon_code(a, sum->code, code, sizeof(code));
  jw_init(&w, out);
  jw_obj_begin(&w);
  if (date)
    key_str(&w, "date", date);
  key_str(&w, "code", code);
  key_u64_str(&w, "code_id", sb_aff_coupon_id(a, sum->code));
  key_u64_str(&w, "campaign_id", info.id);
  key_str(&w, "campaign_name", info.name);
  key_u64_str(&w, "orders", sum->orders);
  key_u64_str(&w, "net_orders", sum->net_orders);
  money_str(&w, "revenue", sum->revenue);
  money_str(&w, "net_revenue", sum->net_revenue);
  money_str(&w, "sales_amount", sum->sales);
  money_str(&w, "sales_amount_usd", sum->sales_usd);
  local_str(&w, a, "last_updated_at", sum->updated);
  jw_obj_end(&w);
  return w.rc;
}
