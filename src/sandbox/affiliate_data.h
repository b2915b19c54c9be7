/* What the affiliate accounts' records derive from: static pools of brands,
 * markets, categories and code words (affiliate_data.c), and the content of
 * a campaign or coupon computed from its position (affiliate_gen.c). Used
 * by the generator and the renderers only. */
#ifndef MS_SANDBOX_AFFILIATE_DATA_H
#define MS_SANDBOX_AFFILIATE_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/affiliate.h"

struct sb_aff_brand {
  const char *name; /* "Nordlicht Shoes" */
  const char *slug; /* "nordlicht-shoes": for URLs */
};

struct sb_aff_market {
  const char *suffix;       /* Admitad: programme name suffix, "WW"; Boostiny: "" */
  const char *currency;     /* "USD" */
  const char *countries[3]; /* region codes; NULL-terminated when fewer */
  int64_t lead_unit;        /* Admitad: minor units per step of a lead's payment */
  int price_x10;            /* prices: ten times the major units of one dollar's worth */
  int64_t usd_ppm;          /* one major unit in US dollars, x 10^6 */
};

struct sb_aff_category {
  int id;           /* 62 */
  const char *name; /* "Online Stores" */
};

extern const struct sb_aff_brand sb_adm_brands[];
extern const size_t sb_adm_nbrands;
extern const struct sb_aff_brand sb_bst_brands[];
extern const size_t sb_bst_nbrands;
extern const struct sb_aff_market sb_adm_markets[];
extern const size_t sb_adm_nmarkets;
extern const struct sb_aff_market sb_bst_markets[];
extern const size_t sb_bst_nmarkets;
extern const struct sb_aff_category sb_aff_categories[];
extern const size_t sb_aff_ncategories;
extern const char *const sb_adm_words[];
extern const size_t sb_adm_nwords;
extern const char *const sb_bst_words[];
extern const size_t sb_bst_nwords;

/* What never changes about campaign i of an account. */
struct sb_aff_campaign_info {
  uint32_t id;                            /* campaign id */
  char name[64];                          /* "Nordlicht Shoes WW" */
  const struct sb_aff_brand *brand;       /* its brand */
  const struct sb_aff_market *market;     /* currency and regions */
  const char *currency;                   /* "USD" */
  const struct sb_aff_category *category; /* its category */
  int lead;                               /* Admitad: pays per lead, not per sale */
  int hold_days;                          /* Admitad: days from action to closing_date */
  int percent_x100;                       /* commission on sales, 0.01 % */
  int64_t lead_payment;                   /* Admitad lead: payment, minor units */
  int basket;                             /* typical basket, major units of the currency */
  uint32_t tariff_id;                     /* Admitad tariff */
  uint32_t advertiser_id;                 /* Boostiny advertiser */
};

void sb_aff_campaign_info(const struct sb_aff_account *a, size_t i,
                          struct sb_aff_campaign_info *out);
/* The promocode (Admitad) or code (Boostiny) of coupon i, unique in the account. */
void sb_aff_coupon_code(const struct sb_aff_account *a, size_t i, char *out, size_t len);

#endif
