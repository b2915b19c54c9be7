/* Renders products, customers, locations, inventory levels and events as the
 * Shopify Admin REST API (2024-01) shows them. Each renderer works from the
 * caller's copy of the record plus what never changes (the shop's zone,
 * region and locations), so it runs outside the sandbox's lock. */
#include <stdio.h>
#include <string.h>

#include "sandbox/jw.h"
#include "sandbox/query.h"
#include "sandbox/region.h"
#include "sandbox/render.h"
#include "sandbox/world.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define OPTION_ID_BASE 10000000000000ULL   /* product option ids */
#define IMAGE_ID_BASE 30000000000000ULL    /* product image ids */
#define ADDRESS_ID_OFFSET 3000000000000ULL /* customer address id = customer id + this */

#define PRODUCT_FIELDS(X)                                                                          \
  X(id)                                                                                            \
  X(title)                                                                                         \
  X(body_html)                                                                                     \
  X(vendor)                                                                                        \
  X(product_type)                                                                                  \
  X(created_at)                                                                                    \
  X(handle)                                                                                        \
  X(updated_at)                                                                                    \
  X(published_at)                                                                                  \
  X(template_suffix)                                                                               \
  X(published_scope)                                                                               \
  X(tags)                                                                                          \
  X(status)                                                                                        \
  X(admin_graphql_api_id)                                                                          \
  X(variants)                                                                                      \
  X(options)                                                                                       \
  X(images)                                                                                        \
  X(image)

#define CUSTOMER_FIELDS(X)                                                                         \
  X(id)                                                                                            \
  X(email)                                                                                         \
  X(accepts_marketing)                                                                             \
  X(created_at)                                                                                    \
  X(updated_at)                                                                                    \
  X(first_name)                                                                                    \
  X(last_name)                                                                                     \
  X(orders_count)                                                                                  \
  X(state)                                                                                         \
  X(total_spent)                                                                                   \
  X(last_order_id)                                                                                 \
  X(note)                                                                                          \
  X(verified_email)                                                                                \
  X(multipass_identifier)                                                                          \
  X(tax_exempt)                                                                                    \
  X(tags)                                                                                          \
  X(last_order_name)                                                                               \
  X(currency)                                                                                      \
  X(phone)                                                                                         \
  X(addresses)                                                                                     \
  X(tax_exemptions)                                                                                \
  X(admin_graphql_api_id)                                                                          \
  X(default_address)

#define LOCATION_FIELDS(X)                                                                         \
  X(id)                                                                                            \
  X(name)                                                                                          \
  X(address1)                                                                                      \
  X(address2)                                                                                      \
  X(city)                                                                                          \
  X(zip)                                                                                           \
  X(province)                                                                                      \
  X(country)                                                                                       \
  X(phone)                                                                                         \
  X(created_at)                                                                                    \
  X(updated_at)                                                                                    \
  X(country_code)                                                                                  \
  X(country_name)                                                                                  \
  X(province_code)                                                                                 \
  X(legacy)                                                                                        \
  X(active)                                                                                        \
  X(admin_graphql_api_id)                                                                          \
  X(localized_country_name)                                                                        \
  X(localized_province_name)

#define LEVEL_FIELDS(X)                                                                            \
  X(inventory_item_id)                                                                             \
  X(location_id)                                                                                   \
  X(available)                                                                                     \
  X(updated_at)                                                                                    \
  X(admin_graphql_api_id)

#define EVENT_FIELDS(X)                                                                            \
  X(id)                                                                                            \
  X(subject_id)                                                                                    \
  X(created_at)                                                                                    \
  X(subject_type)                                                                                  \
  X(verb)                                                                                          \
  X(arguments)                                                                                     \
  X(body)                                                                                          \
  X(message)                                                                                       \
  X(author)                                                                                        \
  X(description)                                                                                   \
  X(path)

#define AS_NAME(n) #n,
#define AS_PF(n) PF_##n,
#define AS_CF(n) CF_##n,
#define AS_LF(n) LF_##n,
#define AS_VF(n) VF_##n,
#define AS_EF(n) EF_##n,
enum { PRODUCT_FIELDS(AS_PF) PF_COUNT };
enum { CUSTOMER_FIELDS(AS_CF) CF_COUNT };
enum { LOCATION_FIELDS(AS_LF) LF_COUNT };
enum { LEVEL_FIELDS(AS_VF) VF_COUNT };
enum { EVENT_FIELDS(AS_EF) EF_COUNT };
static const char *const product_fields[] = {PRODUCT_FIELDS(AS_NAME)};
static const char *const customer_fields[] = {CUSTOMER_FIELDS(AS_NAME)};
static const char *const location_fields[] = {LOCATION_FIELDS(AS_NAME)};
static const char *const level_fields[] = {LEVEL_FIELDS(AS_NAME)};
static const char *const event_fields[] = {EVENT_FIELDS(AS_NAME)};

int sb_fieldset_parse_for(int resource, const char *list, struct sb_fieldset *fs) {
  switch (resource) {
  case SB_RES_PRODUCTS:
    return sb_fieldset_parse_names(list, product_fields, PF_COUNT, fs);
  case SB_RES_CUSTOMERS:
    return sb_fieldset_parse_names(list, customer_fields, CF_COUNT, fs);
  case SB_RES_LEVELS:
    return sb_fieldset_parse_names(list, level_fields, VF_COUNT, fs);
  case SB_RES_EVENTS:
    return sb_fieldset_parse_names(list, event_fields, EF_COUNT, fs);
  default:
    return sb_fieldset_parse(list, fs);
  }
}

int sb_fieldset_parse_locations(const char *list, struct sb_fieldset *fs) {
  return sb_fieldset_parse_names(list, location_fields, LF_COUNT, fs);
}

static int field_on(const struct sb_fieldset *fs, int f) {
  return !fs || fs->all || fs->on[f];
}

static void kstr(struct jw *w, const char *k, const char *v) {
  jw_key(w, k);
  jw_str(w, v);
}

static void kid(struct jw *w, const char *k, uint64_t v) {
  jw_key(w, k);
  jw_u64(w, v);
}

static void gid(struct jw *w, const char *kind, uint64_t id) {
  char tmp[80];
  int n = snprintf(tmp, sizeof(tmp), "gid://shopify/%s/%llu", kind, (unsigned long long)id);
  if (n > 0 && (size_t)n < sizeof(tmp))
    jw_str(w, tmp);
}

/* ---- products ---- */

static const char *const product_tags[] = {"",     "new",  "bestseller", "eco",
                                           "gift", "sale", "summer",     "bestseller, gift"};

static const char *product_status_name(int status) {
  return status == SB_PS_ARCHIVED ? "archived" : status == SB_PS_DRAFT ? "draft" : "active";
}

/* Option value k of a variant title "M / Black", or NULL. */
static const char *option_value(const char *title, int k, char *out, size_t len) {
  const char *p = title;
  for (int i = 0; i < k; i++) {
    p = strstr(p, " / ");
    if (!p)
      return NULL;
    p += 3;
  }
  size_t n = strcspn(p, "/");
  while (n && p[n - 1] == ' ')
    n--;
  snprintf(out, len, "%.*s", (int)n, p);
  return out;
}

static void variant(struct sb_shop *s, const struct sb_product_rec *p, int v, struct jw *w) {
  const struct sb_variant_rec *pv = &p->variants[v];
  const struct sb_region *rg = s->region;
  const char *names[2];
  int nopt = sb_option_names(p->opt, names);
  char opt[24], barcode[16];
  int64_t qty = sb_variant_quantity(s, p, v);
  int kg = strcmp(rg->weight_unit, "kg") == 0;
  jw_obj_begin(w);
  kid(w, "id", pv->id);
  kid(w, "product_id", p->id);
  kstr(w, "title", pv->title);
  jw_key(w, "price");
  jw_money(w, pv->price);
  kstr(w, "sku", pv->sku);
  jw_key(w, "position");
  jw_i64(w, v + 1);
  kstr(w, "inventory_policy", p->tracked ? "deny" : "continue");
  jw_key(w, "compare_at_price");
  if (pv->compare_at)
    jw_money(w, pv->compare_at);
  else
    jw_null(w);
  kstr(w, "fulfillment_service", "manual");
  kstr(w, "inventory_management", p->tracked ? "shopify" : NULL);
  for (int k = 0; k < 3; k++) {
    static const char *const keys[] = {"option1", "option2", "option3"};
    kstr(w, keys[k], k < nopt ? option_value(pv->title, k, opt, sizeof(opt)) : NULL);
  }
  jw_key(w, "created_at");
  jw_time(w, &s->zone, pv->created_at);
  jw_key(w, "updated_at");
  jw_time(w, &s->zone, pv->updated_at);
  jw_key(w, "taxable");
  jw_bool(w, 1);
  snprintf(barcode, sizeof(barcode), "%012llu", (unsigned long long)(pv->id % 1000000000000ULL));
  kstr(w, "barcode", pv->id % 10 < 3 ? NULL : barcode);
  jw_key(w, "grams");
  jw_i64(w, pv->grams);
  jw_key(w, "image_id");
  jw_null(w);
  jw_key(w, "weight");
  jw_fixed(w, kg ? pv->grams / 1000.0 : pv->grams / 453.59237, 2);
  kstr(w, "weight_unit", rg->weight_unit);
  kid(w, "inventory_item_id", pv->inventory_item_id);
  jw_key(w, "inventory_quantity");
  jw_i64(w, qty);
  jw_key(w, "old_inventory_quantity");
  jw_i64(w, qty);
  jw_key(w, "requires_shipping");
  jw_bool(w, 1);
  jw_key(w, "admin_graphql_api_id");
  gid(w, "ProductVariant", pv->id);
  jw_obj_end(w);
}

static void options(const struct sb_product_rec *p, struct jw *w) {
  const char *names[2];
  int nopt = sb_option_names(p->opt, names);
  char vals[SB_MAX_VARIANTS][24];
  jw_arr_begin(w);
  for (int k = 0; k < nopt; k++) {
    int nvals = 0;
    jw_obj_begin(w);
    kid(w, "id", OPTION_ID_BASE + (p->id % 1000000000000ULL) * 4 + (uint64_t)k);
    kid(w, "product_id", p->id);
    kstr(w, "name", names[k]);
    jw_key(w, "position");
    jw_i64(w, k + 1);
    jw_key(w, "values");
    jw_arr_begin(w);
    for (int v = 0; v < p->nvariants; v++) {
      char one[24];
      int dup = 0;
      if (!option_value(p->variants[v].title, k, one, sizeof(one)))
        continue;
      for (int i = 0; i < nvals; i++)
        dup |= strcmp(vals[i], one) == 0;
      if (dup)
        continue;
      snprintf(vals[nvals++], sizeof(vals[0]), "%s", one);
      jw_str(w, one);
    }
    jw_arr_end(w);
    jw_obj_end(w);
  }
  jw_arr_end(w);
}

static void image(struct sb_shop *s, const struct sb_product_rec *p, struct jw *w) {
  char src[200];
  uint64_t id = IMAGE_ID_BASE + (p->id % 1000000000000ULL);
  snprintf(src, sizeof(src), "https://cdn.shopify.com/s/files/1/sandbox/%s/products/%s.jpg",
           s->name, p->handle);
  jw_obj_begin(w);
  kid(w, "id", id);
  kstr(w, "alt", NULL);
  jw_key(w, "position");
  jw_i64(w, 1);
  kid(w, "product_id", p->id);
  jw_key(w, "created_at");
  jw_time(w, &s->zone, p->created_at);
  jw_key(w, "updated_at");
  jw_time(w, &s->zone, p->created_at);
  jw_key(w, "admin_graphql_api_id");
  gid(w, "ProductImage", id);
  jw_key(w, "width");
  jw_i64(w, 1024);
  jw_key(w, "height");
  jw_i64(w, 1024);
  kstr(w, "src", src);
  jw_key(w, "variant_ids");
  jw_raw(w, "[]");
  jw_obj_end(w);
}

static void product_field(struct sb_shop *s, const struct sb_product_rec *p, int f, struct jw *w) {
  char tmp[160];
  switch (f) {
  case PF_id:
    jw_u64(w, p->id);
    break;
  case PF_title:
    jw_str(w, p->title);
    break;
  case PF_body_html:
    snprintf(tmp, sizeof(tmp), "<p>A %s from our %s collection.</p>", sb_noun_name(p->noun),
             p->product_type);
    jw_str(w, tmp);
    break;
  case PF_vendor:
    jw_str(w, p->vendor);
    break;
  case PF_product_type:
    jw_str(w, p->product_type);
    break;
  case PF_created_at:
    jw_time(w, &s->zone, p->created_at);
    break;
  case PF_handle:
    jw_str(w, p->handle);
    break;
  case PF_updated_at:
    jw_time(w, &s->zone, p->updated_at);
    break;
  case PF_published_at:
    jw_time(w, &s->zone, p->published_at);
    break;
  case PF_template_suffix:
    jw_null(w);
    break;
  case PF_published_scope:
    jw_str(w, "web");
    break;
  case PF_tags:
    jw_str(w, product_tags[p->tags % N(product_tags)]);
    break;
  case PF_status:
    jw_str(w, product_status_name(p->status));
    break;
  case PF_admin_graphql_api_id:
    gid(w, "Product", p->id);
    break;
  case PF_variants:
    jw_arr_begin(w);
    for (int v = 0; v < p->nvariants; v++)
      variant(s, p, v, w);
    jw_arr_end(w);
    break;
  case PF_options:
    options(p, w);
    break;
  case PF_images:
    jw_arr_begin(w);
    image(s, p, w);
    jw_arr_end(w);
    break;
  default:
    image(s, p, w);
    break;
  }
}

int sb_product_render(struct sb_shop *s, const struct sb_product_rec *p,
                      const struct sb_fieldset *fs, struct buf *out) {
  struct jw w;
  jw_init(&w, out);
  jw_obj_begin(&w);
  for (int f = 0; f < PF_COUNT; f++) {
    if (!field_on(fs, f))
      continue;
    jw_key(&w, product_fields[f]);
    product_field(s, p, f, &w);
  }
  jw_obj_end(&w);
  return w.rc;
}

/* ---- customers ---- */

static const char *customer_state_name(int state) {
  static const char *const names[] = {"disabled", "invited", "enabled", "declined"};
  return state >= 0 && state < (int)N(names) ? names[state] : "disabled";
}

/* Note and tags: as generated at version 0, then one of a few per edit. */
static void customer_note_tags(struct sb_shop *s, const struct sb_customer *c,
                               const struct sb_person *p, const char **note, const char **tags) {
  static const char *const notes[] = {NULL, "Prefers e-mail over phone.",
                                      "Asked for \"plastic-free\" packaging.", "Wholesale inquiry",
                                      "Gift buyer, mostly in December."};
  static const char *const tag_sets[] = {"",       "vip",       "newsletter",
                                         "repeat", "wholesale", "vip, newsletter"};
  if (!c->version) {
    *note = NULL;
    *tags = p->orders_hint > 30 ? "repeat" : "";
    return;
  }
  uint64_t h = sb_hash4(s->seed, (uint64_t)s->index, c->index, c->version);
  *note = notes[h % N(notes)];
  *tags = tag_sets[(h >> 8) % N(tag_sets)];
}

static void customer_address(struct sb_shop *s, const struct sb_customer *c,
                             const struct sb_address *a, struct jw *w) {
  char name[96];
  snprintf(name, sizeof(name), "%s %s", a->first, a->last);
  jw_obj_begin(w);
  kid(w, "id", c->id + ADDRESS_ID_OFFSET);
  kid(w, "customer_id", c->id);
  kstr(w, "first_name", a->first);
  kstr(w, "last_name", a->last);
  kstr(w, "company", a->company);
  kstr(w, "address1", a->address1);
  kstr(w, "address2", a->address2);
  kstr(w, "city", a->city);
  kstr(w, "province", a->province);
  kstr(w, "country", a->country);
  kstr(w, "zip", a->zip);
  kstr(w, "phone", a->phone[0] ? a->phone : NULL);
  kstr(w, "name", name);
  kstr(w, "province_code", a->province_code);
  kstr(w, "country_code", a->country_code);
  kstr(w, "country_name", a->country);
  jw_key(w, "default");
  jw_bool(w, 1);
  jw_obj_end(w);
}

int sb_customer_render(struct sb_shop *s, const struct sb_customer *c, const struct sb_fieldset *fs,
                       struct buf *out) {
  struct sb_person p;
  struct sb_address a;
  struct jw w;
  const char *note, *tags;
  char tmp[32];
  sb_person_make(s, c->index, &p, &a);
  customer_note_tags(s, c, &p, &note, &tags);
  jw_init(&w, out);
  jw_obj_begin(&w);
  for (int f = 0; f < CF_COUNT; f++) {
    if (!field_on(fs, f))
      continue;
    jw_key(&w, customer_fields[f]);
    switch (f) {
    case CF_id:
      jw_u64(&w, c->id);
      break;
    case CF_email:
      jw_str(&w, p.email);
      break;
    case CF_accepts_marketing:
      jw_bool(&w, c->marketing);
      break;
    case CF_created_at:
      jw_time(&w, &s->zone, c->created_at);
      break;
    case CF_updated_at:
      jw_time(&w, &s->zone, c->updated_at);
      break;
    case CF_first_name:
      jw_str(&w, p.first);
      break;
    case CF_last_name:
      jw_str(&w, p.last);
      break;
    case CF_orders_count:
      jw_u64(&w, c->orders_count);
      break;
    case CF_state:
      jw_str(&w, customer_state_name(c->state));
      break;
    case CF_total_spent:
      jw_money(&w, c->total_spent);
      break;
    case CF_last_order_id:
      if (c->last_order_id)
        jw_u64(&w, c->last_order_id);
      else
        jw_null(&w);
      break;
    case CF_note:
      jw_str(&w, note);
      break;
    case CF_verified_email:
      jw_bool(&w, c->state != SB_CS_INVITED);
      break;
    case CF_multipass_identifier:
      jw_null(&w);
      break;
    case CF_tax_exempt:
      jw_bool(&w, c->tax_exempt);
      break;
    case CF_tags:
      jw_str(&w, tags);
      break;
    case CF_last_order_name:
      snprintf(tmp, sizeof(tmp), "#%u", c->last_order_number);
      jw_str(&w, c->last_order_id ? tmp : NULL);
      break;
    case CF_currency:
      jw_str(&w, sb_shop_currency(s));
      break;
    case CF_phone:
      jw_str(&w, p.phone[0] ? p.phone : NULL);
      break;
    case CF_addresses:
      jw_arr_begin(&w);
      customer_address(s, c, &a, &w);
      jw_arr_end(&w);
      break;
    case CF_tax_exemptions:
      jw_raw(&w, "[]");
      break;
    case CF_admin_graphql_api_id:
      gid(&w, "Customer", c->id);
      break;
    default:
      customer_address(s, c, &a, &w);
      break;
    }
  }
  jw_obj_end(&w);
  return w.rc;
}

/* ---- locations and inventory levels ---- */

int sb_location_render(struct sb_shop *s, const struct sb_location *l, const struct sb_fieldset *fs,
                       struct buf *out) {
  const struct sb_region *rg = s->region;
  struct jw w;
  jw_init(&w, out);
  jw_obj_begin(&w);
  for (int f = 0; f < LF_COUNT; f++) {
    if (!field_on(fs, f))
      continue;
    jw_key(&w, location_fields[f]);
    switch (f) {
    case LF_id:
      jw_u64(&w, l->id);
      break;
    case LF_name:
      jw_str(&w, l->name);
      break;
    case LF_address1:
      jw_str(&w, l->address1);
      break;
    case LF_address2:
      jw_null(&w);
      break;
    case LF_city:
      jw_str(&w, l->city->name);
      break;
    case LF_zip:
      jw_str(&w, l->zip);
      break;
    case LF_province:
    case LF_localized_province_name:
      jw_str(&w, l->city->province);
      break;
    case LF_country:
    case LF_country_code:
      jw_str(&w, rg->country_code);
      break;
    case LF_phone:
      jw_str(&w, l->phone);
      break;
    case LF_created_at:
      jw_time(&w, &s->zone, l->created_at);
      break;
    case LF_updated_at:
      jw_time(&w, &s->zone, l->updated_at);
      break;
    case LF_country_name:
    case LF_localized_country_name:
      jw_str(&w, rg->country);
      break;
    case LF_province_code:
      jw_str(&w, l->city->province_code);
      break;
    case LF_legacy:
      jw_bool(&w, 0);
      break;
    case LF_active:
      jw_bool(&w, 1);
      break;
    default:
      gid(&w, "Location", l->id);
      break;
    }
  }
  jw_obj_end(&w);
  return w.rc;
}

int sb_level_render(struct sb_shop *s, const struct sb_level *l, const struct sb_fieldset *fs,
                    struct buf *out) {
  struct jw w;
  char tmp[96];
  jw_init(&w, out);
  jw_obj_begin(&w);
  for (int f = 0; f < VF_COUNT; f++) {
    if (!field_on(fs, f))
      continue;
    jw_key(&w, level_fields[f]);
    switch (f) {
    case VF_inventory_item_id:
      jw_u64(&w, l->inventory_item_id);
      break;
    case VF_location_id:
      jw_u64(&w, l->location_id);
      break;
    case VF_available:
      if (l->tracked)
        jw_i64(&w, l->available);
      else
        jw_null(&w);
      break;
    case VF_updated_at:
      jw_time(&w, &s->zone, l->updated_at);
      break;
    default:
      snprintf(tmp, sizeof(tmp), "gid://shopify/InventoryLevel/%llu?inventory_item_id=%llu",
               (unsigned long long)l->location_id, (unsigned long long)l->inventory_item_id);
      jw_str(&w, tmp);
      break;
    }
  }
  jw_obj_end(&w);
  return w.rc;
}

/* ---- events ---- */

static const char *subject_path(int subject) {
  return subject == SB_SUBJ_PRODUCT    ? "products"
         : subject == SB_SUBJ_CUSTOMER ? "customers"
                                       : "orders";
}

/* "Order #1001 was deleted.", "Product was created: Organic Mug." */
static void event_text(const struct sb_event *e, char *out, size_t len) {
  int destroy = e->verb == SB_VERB_DESTROY;
  if (e->subject == SB_SUBJ_ORDER)
    snprintf(out, len, "Order %s was %s.", e->arg, destroy ? "deleted" : "placed");
  else
    snprintf(out, len, "%s was %s: %s.", sb_subject_name(e->subject),
             destroy ? "deleted" : "created", e->arg);
}

int sb_event_render(struct sb_shop *s, const struct sb_event *e, const struct sb_fieldset *fs,
                    struct buf *out) {
  struct jw w;
  char tmp[160];
  jw_init(&w, out);
  jw_obj_begin(&w);
  for (int f = 0; f < EF_COUNT; f++) {
    if (!field_on(fs, f))
      continue;
    jw_key(&w, event_fields[f]);
    switch (f) {
    case EF_id:
      jw_u64(&w, e->id);
      break;
    case EF_subject_id:
      jw_u64(&w, e->subject_id);
      break;
    case EF_created_at:
      jw_time(&w, &s->zone, e->created_at);
      break;
    case EF_subject_type:
      jw_str(&w, sb_subject_name(e->subject));
      break;
    case EF_verb:
      jw_str(&w, sb_verb_name(e->verb));
      break;
    case EF_arguments:
      jw_arr_begin(&w);
      jw_str(&w, e->arg);
      jw_arr_end(&w);
      break;
    case EF_body:
      jw_null(&w);
      break;
    case EF_message:
    case EF_description:
      event_text(e, tmp, sizeof(tmp));
      jw_str(&w, tmp);
      break;
    case EF_author:
      jw_str(&w, "Shopify");
      break;
    default:
      snprintf(tmp, sizeof(tmp), "/admin/%s/%llu", subject_path(e->subject),
               (unsigned long long)e->subject_id);
      jw_str(&w, tmp);
      break;
    }
  }
  jw_obj_end(&w);
  return w.rc;
}

int sb_deleted_render(struct sb_shop *s, const struct sb_event *e, struct buf *out) {
  struct jw w;
  jw_init(&w, out);
  jw_obj_begin(&w);
  kstr(&w, "subject_type", sb_subject_name(e->subject));
  kid(&w, "subject_id", e->subject_id);
  jw_key(&w, "deleted_at");
  jw_time(&w, &s->zone, e->created_at);
  jw_obj_end(&w);
  return w.rc;
}
