/* Static pools for the affiliate accounts. Every brand is made up. */
#include "sandbox/affiliate_data.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct sb_aff_brand sb_adm_brands[] = {
    {"Nordlicht Shoes", "nordlicht-shoes"}, {"Lumina Beauty", "lumina-beauty"},
    {"Kappa Travel", "kappa-travel"},       {"Orbita Electronics", "orbita-electronics"},
    {"Verde Home", "verde-home"},           {"Polar Kids", "polar-kids"},
    {"Aurora Books", "aurora-books"},       {"Baltika Fashion", "baltika-fashion"},
    {"Sibir Sport", "sibir-sport"},         {"Tundra Outdoor", "tundra-outdoor"},
    {"Vega Pharmacy", "vega-pharmacy"},     {"Ural Auto Parts", "ural-auto-parts"},
    {"Mira Jewelry", "mira-jewelry"},       {"Delta Hotels", "delta-hotels"},
    {"Sokol Flights", "sokol-flights"},     {"Zefir Sweets", "zefir-sweets"},
    {"Kosmos Games", "kosmos-games"},       {"Lotus Tea", "lotus-tea"},
    {"Amber Gifts", "amber-gifts"},         {"Neva Furniture", "neva-furniture"},
    {"Onyx Watches", "onyx-watches"},       {"Rubin Cosmetics", "rubin-cosmetics"},
    {"Strela Delivery", "strela-delivery"}, {"Volna Swimwear", "volna-swimwear"},
    {"Zvezda Telecom", "zvezda-telecom"},   {"Chaika Bank Cards", "chaika-bank-cards"},
    {"Lesnaya Eco", "lesnaya-eco"},         {"Parus Yachting", "parus-yachting"},
};
const size_t sb_adm_nbrands = N(sb_adm_brands);

const struct sb_aff_brand sb_bst_brands[] = {
    {"Souq Nova", "souq-nova"},
    {"Desert Bloom Perfumes", "desert-bloom-perfumes"},
    {"Falcon Electronics", "falcon-electronics"},
    {"Oasis Fashion", "oasis-fashion"},
    {"Palm Grocery", "palm-grocery"},
    {"Dune Travel", "dune-travel"},
    {"Pearl Jewelry", "pearl-jewelry"},
    {"Majlis Home", "majlis-home"},
    {"Saffron Beauty", "saffron-beauty"},
    {"Gulf Sports", "gulf-sports"},
    {"Noor Kids", "noor-kids"},
    {"Cedar Books", "cedar-books"},
    {"Marina Eyewear", "marina-eyewear"},
    {"Sahara Pets", "sahara-pets"},
    {"Qamar Watches", "qamar-watches"},
    {"Zaytoon Kitchen", "zaytoon-kitchen"},
    {"Atlas Shoes", "atlas-shoes"},
    {"Nile Pharmacy", "nile-pharmacy"},
    {"Mirage Gaming", "mirage-gaming"},
    {"Layla Abayas", "layla-abayas"},
    {"Hala Delivery", "hala-delivery"},
    {"Sultan Coffee", "sultan-coffee"},
};
const size_t sb_bst_nbrands = N(sb_bst_brands);

/* 1 RUB is 0.0109 USD, 1 EUR 1.08 USD (fixed rates, good enough here). */
const struct sb_aff_market sb_adm_markets[] = {
    {"WW", "USD", {"US", "GB", "DE"}, 2, 10, 1000000},
    {"RU", "RUB", {"RU", NULL, NULL}, 100, 900, 10900},
    {"RU", "RUB", {"RU", "KZ", "BY"}, 100, 900, 10900},
    {"DE", "EUR", {"DE", "AT", NULL}, 2, 9, 1080000},
    {"EU", "EUR", {"DE", "FR", "IT"}, 2, 9, 1080000},
};
const size_t sb_adm_nmarkets = N(sb_adm_markets);

const struct sb_aff_market sb_bst_markets[] = {
    {"", "AED", {"AE", NULL, NULL}, 0, 37, 272294}, {"", "SAR", {"SA", NULL, NULL}, 0, 37, 266667},
    {"", "AED", {"AE", "SA", "KW"}, 0, 37, 272294}, {"", "KWD", {"KW", NULL, NULL}, 0, 3, 3250000},
    {"", "EGP", {"EG", NULL, NULL}, 0, 490, 20500}, {"", "USD", {"AE", "SA", "QA"}, 0, 10, 1000000},
    {"", "QAR", {"QA", NULL, NULL}, 0, 36, 274725},
};
const size_t sb_bst_nmarkets = N(sb_bst_markets);

const struct sb_aff_category sb_aff_categories[] = {
    {62, "Online Stores"},    {10, "Travel"},        {75, "Electronics"}, {29, "Beauty"},
    {31, "Clothing & Shoes"}, {40, "Home & Garden"}, {51, "Kids"},        {83, "Sport & Outdoor"},
    {90, "Food & Drinks"},    {97, "Games"},
};
const size_t sb_aff_ncategories = N(sb_aff_categories);

const char *const sb_adm_words[] = {"AUTUMN", "WINTER", "SPRING", "SUMMER", "WELCOME", "EXTRA",
                                    "BONUS",  "GIFT",   "SALE",   "FRIDAY", "NEWYEAR", "HELLO",
                                    "SAVE",   "MEGA",   "FIRST",  "APP",    "FLASH",   "HAPPY"};
const size_t sb_adm_nwords = N(sb_adm_words);

const char *const sb_bst_words[] = {"NOVA",  "BLOOM", "FALCON", "OASIS", "PALM",   "DUNE",
                                    "PEARL", "EID",   "GULF",   "NOOR",  "CEDAR",  "SAHARA",
                                    "QAMAR", "ATLAS", "NILE",   "HALA",  "SULTAN", "YALLA"};
const size_t sb_bst_nwords = N(sb_bst_words);
