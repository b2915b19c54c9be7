/* Countries the sandbox's shops live in: currency, tax, postal and phone
 * conventions, and pools of names, streets and cities. Static data. */
#ifndef MS_SANDBOX_REGION_H
#define MS_SANDBOX_REGION_H

#include <stddef.h>
#include <stdint.h>

enum sb_zip_style {
  SB_ZIP_US, /* 5 digits from a 3-digit prefix */
  SB_ZIP_DE, /* 5 digits from a 2-digit prefix */
  SB_ZIP_GB  /* "SW1A 2BX" from an outward code */
};

struct sb_city {
  const char *name;          /* "New York" */
  const char *province;      /* "New York"; NULL where none */
  const char *province_code; /* "NY"; NULL where none */
  const char *zip_prefix;    /* see enum sb_zip_style */
  const char *area;          /* phone area code digits */
  int tax_ppm;               /* sales tax rate, parts per million */
  double lat;                /* latitude */
  double lon;                /* longitude */
};

struct sb_region {
  const char *country_code;       /* "US" */
  const char *country;            /* "United States" */
  const char *currency;           /* "USD" */
  const char *locale;             /* "en", "de" */
  const char *phone_cc;           /* "+1" */
  const char *tax_title;          /* "Sales Tax", "MwSt" */
  const char *money_format;       /* "${{amount}}" */
  const char *weight_unit;        /* "lb", "kg" */
  int taxes_included;             /* prices include VAT */
  int street_number_first;        /* "12 Main St" vs "Hauptstraße 12" */
  enum sb_zip_style zip_style;    /* postal code shape */
  int64_t ship_standard;          /* standard shipping, minor units */
  int64_t ship_express;           /* express shipping */
  int64_t free_shipping_over;     /* subtotal for free standard shipping */
  const struct sb_city *cities;   /* city pool */
  size_t ncities;                 /* entries in cities */
  const char *const *streets;     /* street names */
  size_t nstreets;                /* entries in streets */
  const char *const *first_names; /* first names */
  size_t nfirst;                  /* entries in first_names */
  const char *const *last_names;  /* last names */
  size_t nlast;                   /* entries in last_names */
};

/* The region for an IANA zone: America/... -> US (USD), Europe/London -> GB
 * (GBP), other Europe/... -> DE (EUR), anything else -> US (USD). */
const struct sb_region *sb_region_for_zone(const char *tzid);

#endif
