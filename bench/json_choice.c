/* json_choice: measures jansson, json-c and cJSON on a synthetic but realistic
 * Shopify REST orders page, and checks the behaviours marketsync relies on.
 *
 *   json_choice bench LIB   timings for one library (run one process per
 *                           library so getrusage's peak RSS is its own)
 *   json_choice checks      correctness and limits, all libraries
 *   json_choice fidelity    compares each re-serialized order with the input
 *   json_choice allocs      malloc calls and peak heap per page (only in a
 *                           build with -DCOUNT_ALLOCS, which interposes malloc)
 *   json_choice page FILE   writes the generated page to FILE
 *
 * MIN_SECONDS (env, default 2) is the minimum duration of each timed run;
 * every figure is the best of 3 such runs, timed in process CPU time (the
 * cost in core-seconds; the best wall-clock rate is printed beside it).
 *
 * Built by bench/json_choice.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Shared by the four parts (see PART_* below).                              */

/* What the extraction step folds together, so every library's result can be
 * checked against what the generator wrote. */
struct acc {
  uint64_t h;
  uint64_t orders, items, out_bytes;
  uint64_t bad; /* fields missing or of the wrong type */
};
#define FNV_PRIME 0x100000001b3ull
static inline void mix_i64(struct acc *a, int64_t v) {
  uint64_t u = (uint64_t)v;
  for (int i = 0; i < 8; i++) {
    a->h ^= (u >> (8 * i)) & 0xff;
    a->h *= FNV_PRIME;
  }
}
static inline void mix_str(struct acc *a, const char *s) {
  if (!s) {
    a->h ^= 0x1ff;
    a->h *= FNV_PRIME;
    return;
  }
  for (; *s; s++) {
    a->h ^= (unsigned char)*s;
    a->h *= FNV_PRIME;
  }
  a->h ^= 0x100;
  a->h *= FNV_PRIME;
}
static inline void acc_init(struct acc *a) {
  memset(a, 0, sizeof(*a));
  a->h = 0xcbf29ce484222325ull;
}

typedef void (*sink_fn)(void *ctx, size_t idx, const char *s, size_t n);

struct lib {
  const char *name;
  void *(*parse)(const char *buf, size_t len);
  /* parse with a human error message; NULL on error */
  void *(*parse_err)(const char *buf, size_t len, char *err, size_t errsz);
  /* read the fields; serialize 1: also write each order as compact text with
   * the library's ordinary call (a fresh malloc'd string per order);
   * serialize 2: the same into one reused buffer where the API allows it */
  void (*process)(void *doc, int serialize, struct acc *a, sink_fn sink, void *ctx);
  void (*release)(void *doc);
  /* for the checks: doc is a one-element array */
  void (*describe_first)(void *doc, char *out, size_t n);
  char *(*dump)(void *doc);            /* compact text, caller frees */
  const char *(*first_str)(void *doc); /* the first element as a string */
  const char *(*version)(void);
};

extern const struct lib LIB_JANSSON, LIB_JSONC, LIB_CJSON;
/* json-c only: tokener flags for parse_err, and a parse with a chosen depth */
void jc_set_flags(int flags);
void *jc_parse_depth(const char *buf, size_t len, int depth, char *err, size_t errsz);
/* cJSON only: does ParseWithLengthOpts(require_null_terminated=1) accept it? */
int cj_strict_accepts(const char *text, size_t len);

/* jansson.h and json-c/json.h cannot be included together (both declare
 * json_object, json_object_get, json_type...), so this file is compiled four
 * times: -DPART_JANSSON, -DPART_JSONC, -DPART_CJSON and once with none of them
 * for the driver. json_choice.sh does that. Both libraries also export a
 * json_object_get symbol; the jansson part calls json_object_getn instead so
 * that no reference in this program depends on link order. */
#if defined(PART_JANSSON)
#include <jansson.h>

#define JGET(o, k) json_object_getn((o), (k), strlen(k))

/* ---- jansson ---- */

static void *ja_parse(const char *buf, size_t len) {
  json_error_t e;
  return json_loadb(buf, len, 0, &e);
}
static void *ja_parse_err(const char *buf, size_t len, char *err, size_t n) {
  json_error_t e;
  json_t *j = json_loadb(buf, len, 0, &e);
  if (!j)
    snprintf(err, n, "line %d, column %d, position %d: %s", e.line, e.column, e.position, e.text);
  return j;
}
static inline const char *ja_str(const json_t *o, const char *k) {
  const json_t *v = JGET(o, k);
  return json_is_string(v) ? json_string_value(v) : NULL;
}
static inline int64_t ja_int(const json_t *o, const char *k, struct acc *a) {
  const json_t *v = JGET(o, k);
  if (!json_is_integer(v)) {
    a->bad++;
    return 0;
  }
  return json_integer_value(v);
}
static void ja_process(void *doc, int ser, struct acc *a, sink_fn sink, void *ctx) {
  json_t *orders = JGET((json_t *)doc, "orders");
  size_t i;
  json_t *o;
  json_array_foreach(orders, i, o) {
    mix_i64(a, ja_int(o, "id", a));
    mix_str(a, ja_str(o, "created_at"));
    mix_str(a, ja_str(o, "updated_at"));
    mix_str(a, ja_str(o, "financial_status"));
    mix_str(a, ja_str(o, "fulfillment_status"));
    mix_str(a, ja_str(o, "total_price"));
    mix_str(a, ja_str(o, "currency"));
    json_t *items = JGET(o, "line_items");
    size_t k;
    json_t *it;
    json_array_foreach(items, k, it) {
      mix_i64(a, ja_int(it, "id", a));
      mix_str(a, ja_str(it, "sku"));
      mix_i64(a, ja_int(it, "quantity", a));
      mix_str(a, ja_str(it, "price"));
      a->items++;
    }
    a->orders++;
    if (ser == 1) {
      char *s = json_dumps(o, JSON_COMPACT);
      size_t n = strlen(s);
      a->out_bytes += n;
      if (sink)
        sink(ctx, i, s, n);
      free(s);
    } else if (ser == 2) {
      static char *buf;
      static size_t cap;
      size_t n = json_dumpb(o, buf, cap, JSON_COMPACT);
      if (n > cap) {
        cap = n * 2;
        buf = realloc(buf, cap);
        n = json_dumpb(o, buf, cap, JSON_COMPACT);
      }
      a->out_bytes += n;
      if (sink)
        sink(ctx, i, buf, n);
    }
  }
}
static void ja_release(void *doc) {
  json_decref(doc);
}
static void ja_describe(void *doc, char *out, size_t n) {
  json_t *v = json_array_get(doc, 0);
  if (json_is_integer(v))
    snprintf(out, n, "integer %" JSON_INTEGER_FORMAT, json_integer_value(v));
  else if (json_is_real(v))
    snprintf(out, n, "real %.17g", json_real_value(v));
  else if (json_is_string(v))
    snprintf(out, n, "string (%zu bytes)", json_string_length(v));
  else
    snprintf(out, n, "type %d", json_typeof(v));
}
static char *ja_dump(void *doc) {
  return json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
}
static const char *ja_first_str(void *doc) {
  return json_string_value(json_array_get(doc, 0));
}
static const char *ja_version(void) {
  return jansson_version_str();
}
const struct lib LIB_JANSSON = {"jansson",   ja_parse, ja_parse_err, ja_process, ja_release,
                                ja_describe, ja_dump,  ja_first_str, ja_version};

#elif defined(PART_JSONC)
#include <json-c/json.h>

/* ---- json-c ---- */

static struct json_tokener *jc_tok;
static int jc_flags; /* json_tokener_set_flags for the checks */
void jc_set_flags(int flags) {
  jc_flags = flags;
}

static void *jc_parse(const char *buf, size_t len) {
  if (!jc_tok)
    jc_tok = json_tokener_new();
  json_tokener_reset(jc_tok);
  json_object *o = json_tokener_parse_ex(jc_tok, buf, (int)len);
  if (json_tokener_get_error(jc_tok) != json_tokener_success) {
    json_object_put(o);
    return NULL;
  }
  return o;
}
static void *jc_parse_err(const char *buf, size_t len, char *err, size_t n) {
  struct json_tokener *t = json_tokener_new();
  json_tokener_set_flags(t, jc_flags);
  json_object *o = json_tokener_parse_ex(t, buf, (int)len);
  enum json_tokener_error e = json_tokener_get_error(t);
  if (e != json_tokener_success) {
    snprintf(err, n, "offset %zu: %s", json_tokener_get_parse_end(t),
             e == json_tokener_continue ? "incomplete input (json_tokener_continue)"
                                        : json_tokener_error_desc(e));
    json_object_put(o);
    o = NULL;
  } else if (json_tokener_get_parse_end(t) < len) {
    /* parse_ex stops after the first value: report what a caller who does
     * not check the end offset would silently accept */
    snprintf(err, n, "(accepted, but parse stopped at offset %zu of %zu)",
             json_tokener_get_parse_end(t), len);
  }
  json_tokener_free(t);
  return o;
}
static inline const char *jc_str(json_object *o, const char *k) {
  json_object *v;
  if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}
static inline int64_t jc_int(json_object *o, const char *k, struct acc *a) {
  json_object *v;
  if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int)) {
    a->bad++;
    return 0;
  }
  return json_object_get_int64(v);
}
static void jc_process(void *doc, int ser, struct acc *a, sink_fn sink, void *ctx) {
  json_object *orders;
  if (!json_object_object_get_ex(doc, "orders", &orders))
    return;
  size_t n = json_object_array_length(orders);
  for (size_t i = 0; i < n; i++) {
    json_object *o = json_object_array_get_idx(orders, i);
    mix_i64(a, jc_int(o, "id", a));
    mix_str(a, jc_str(o, "created_at"));
    mix_str(a, jc_str(o, "updated_at"));
    mix_str(a, jc_str(o, "financial_status"));
    mix_str(a, jc_str(o, "fulfillment_status"));
    mix_str(a, jc_str(o, "total_price"));
    mix_str(a, jc_str(o, "currency"));
    json_object *items;
    if (json_object_object_get_ex(o, "line_items", &items)) {
      size_t m = json_object_array_length(items);
      for (size_t k = 0; k < m; k++) {
        json_object *it = json_object_array_get_idx(items, k);
        mix_i64(a, jc_int(it, "id", a));
        mix_str(a, jc_str(it, "sku"));
        mix_i64(a, jc_int(it, "quantity", a));
        mix_str(a, jc_str(it, "price"));
        a->items++;
      }
    }
    a->orders++;
    if (ser) {
      size_t len;
      const char *s = json_object_to_json_string_length(
          o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
      a->out_bytes += len;
      if (sink)
        sink(ctx, i, s, len);
      /* s is owned by o and freed with the tree */
    }
  }
}
static void jc_release(void *doc) {
  json_object_put(doc);
}
static void jc_describe(void *doc, char *out, size_t n) {
  json_object *v = json_object_array_get_idx(doc, 0);
  switch (json_object_get_type(v)) {
  case json_type_int:
    snprintf(out, n, "int: get_int64 %" PRId64 ", get_uint64 %" PRIu64, json_object_get_int64(v),
             json_object_get_uint64(v));
    break;
  case json_type_double:
    snprintf(out, n, "double %.17g", json_object_get_double(v));
    break;
  case json_type_string:
    snprintf(out, n, "string (%d bytes)", json_object_get_string_len(v));
    break;
  default:
    snprintf(out, n, "type %s", json_type_to_name(json_object_get_type(v)));
  }
}
static char *jc_dump(void *doc) {
  return strdup(
      json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}
static const char *jc_first_str(void *doc) {
  return json_object_get_string(json_object_array_get_idx(doc, 0));
}
static const char *jc_version(void) {
  return json_c_version();
}
void *jc_parse_depth(const char *buf, size_t len, int depth, char *err, size_t errsz) {
  struct json_tokener *t = json_tokener_new_ex(depth);
  json_object *o = json_tokener_parse_ex(t, buf, (int)len);
  if (json_tokener_get_error(t) != json_tokener_success) {
    snprintf(err, errsz, "%s", json_tokener_error_desc(json_tokener_get_error(t)));
    json_object_put(o);
    o = NULL;
  }
  json_tokener_free(t);
  return o;
}
const struct lib LIB_JSONC = {"json-c",    jc_parse, jc_parse_err, jc_process, jc_release,
                              jc_describe, jc_dump,  jc_first_str, jc_version};

#elif defined(PART_CJSON)
#include <cjson/cJSON.h>

/* ---- cJSON ---- */

static void *cj_parse(const char *buf, size_t len) {
  return cJSON_ParseWithLength(buf, len);
}
static void *cj_parse_err(const char *buf, size_t len, char *err, size_t n) {
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
  if (!j) {
    const char *ep = cJSON_GetErrorPtr();
    snprintf(err, n, "no message; cJSON_GetErrorPtr() -> offset %td",
             ep ? ep - buf : (ptrdiff_t)-1);
  } else if (end && (size_t)(end - buf) < len) {
    snprintf(err, n, "(accepted, parse stopped at offset %td of %zu)", end - buf, len);
  }
  return j;
}
static inline const char *cj_str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}
/* cJSON keeps every number as a double (valueint is an int, saturated):
 * integers are exact only up to 2^53. */
static inline int64_t cj_int(const cJSON *o, const char *k, struct acc *a) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= -9007199254740992.0) ||
      !(v->valuedouble <= 9007199254740992.0)) {
    a->bad++;
    return 0;
  }
  return (int64_t)v->valuedouble;
}
static void cj_process(void *doc, int ser, struct acc *a, sink_fn sink, void *ctx) {
  const cJSON *orders = cJSON_GetObjectItemCaseSensitive(doc, "orders");
  const cJSON *o;
  size_t i = 0;
  cJSON_ArrayForEach(o, orders) {
    mix_i64(a, cj_int(o, "id", a));
    mix_str(a, cj_str(o, "created_at"));
    mix_str(a, cj_str(o, "updated_at"));
    mix_str(a, cj_str(o, "financial_status"));
    mix_str(a, cj_str(o, "fulfillment_status"));
    mix_str(a, cj_str(o, "total_price"));
    mix_str(a, cj_str(o, "currency"));
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "line_items");
    const cJSON *it;
    cJSON_ArrayForEach(it, items) {
      mix_i64(a, cj_int(it, "id", a));
      mix_str(a, cj_str(it, "sku"));
      mix_i64(a, cj_int(it, "quantity", a));
      mix_str(a, cj_str(it, "price"));
      a->items++;
    }
    a->orders++;
    if (ser == 1) {
      char *s = cJSON_PrintUnformatted(o);
      size_t n = strlen(s);
      a->out_bytes += n;
      if (sink)
        sink(ctx, i, s, n);
      cJSON_free(s);
    } else if (ser == 2) {
      static char *buf;
      static int cap;
      while (!cJSON_PrintPreallocated((cJSON *)o, buf, cap, 0)) {
        cap = cap ? cap * 2 : 16384;
        buf = realloc(buf, (size_t)cap);
      }
      size_t n = strlen(buf);
      a->out_bytes += n;
      if (sink)
        sink(ctx, i, buf, n);
    }
    i++;
  }
}
static void cj_release(void *doc) {
  cJSON_Delete(doc);
}
static void cj_describe(void *doc, char *out, size_t n) {
  cJSON *v = cJSON_GetArrayItem(doc, 0);
  if (cJSON_IsNumber(v) && v->valuedouble > -9.2e18 && v->valuedouble < 9.2e18)
    snprintf(out, n, "number: valuedouble %.17g -> (int64) %" PRId64 ", valueint %d",
             v->valuedouble, (int64_t)v->valuedouble, v->valueint);
  else if (cJSON_IsNumber(v))
    snprintf(out, n, "number: valuedouble %.17g (outside int64), valueint %d", v->valuedouble,
             v->valueint);
  else if (cJSON_IsString(v))
    snprintf(out, n, "string (%zu bytes)", strlen(v->valuestring));
  else
    snprintf(out, n, "type 0x%x", v ? v->type : 0);
}
static char *cj_dump(void *doc) {
  return cJSON_PrintUnformatted(doc);
}
static const char *cj_first_str(void *doc) {
  return cJSON_GetArrayItem(doc, 0)->valuestring;
}
int cj_strict_accepts(const char *text, size_t len) {
  cJSON *j = cJSON_ParseWithLengthOpts(text, len, NULL, 1);
  cJSON_Delete(j);
  return j != NULL;
}
const struct lib LIB_CJSON = {"cJSON",     cj_parse, cj_parse_err, cj_process,   cj_release,
                              cj_describe, cj_dump,  cj_first_str, cJSON_Version};

#else /* the driver */

/* ------------------------------------------------------------------------ */
/* Optional malloc interposer: counts calls and tracks live heap bytes.     */

#ifdef COUNT_ALLOCS
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static int ca_on;
static uint64_t ca_calls, ca_bytes;
static int64_t ca_live, ca_peak;

static void ca_add(void *p) {
  if (p && ca_on) {
    ca_live += (int64_t)malloc_usable_size(p);
    if (ca_live > ca_peak)
      ca_peak = ca_live;
  }
}
void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  if (ca_on) {
    ca_calls++;
    ca_bytes += n;
  }
  ca_add(p);
  return p;
}
void *calloc(size_t a, size_t b) {
  void *p = __libc_calloc(a, b);
  if (ca_on) {
    ca_calls++;
    ca_bytes += a * b;
  }
  ca_add(p);
  return p;
}
void *realloc(void *old, size_t n) {
  if (ca_on && old)
    ca_live -= (int64_t)malloc_usable_size(old);
  void *p = __libc_realloc(old, n);
  if (ca_on) {
    ca_calls++;
    ca_bytes += n;
  }
  ca_add(p);
  return p;
}
void free(void *p) {
  if (ca_on && p)
    ca_live -= (int64_t)malloc_usable_size(p);
  __libc_free(p);
}
#endif

/* ------------------------------------------------------------------------ */
/* Small utilities.                                                          */

struct sb {
  char *p;
  size_t n, cap;
};

static void sb_reserve(struct sb *b, size_t extra) {
  if (b->n + extra + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->n + extra + 1)
    cap *= 2;
  b->p = realloc(b->p, cap);
  if (!b->p) {
    perror("realloc");
    exit(2);
  }
  b->cap = cap;
}

static void sb_put(struct sb *b, const char *s) {
  size_t l = strlen(s);
  sb_reserve(b, l);
  memcpy(b->p + b->n, s, l + 1);
  b->n += l;
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sb *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int l = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  sb_reserve(b, (size_t)l);
  va_start(ap, fmt);
  vsnprintf(b->p + b->n, (size_t)l + 1, fmt, ap);
  va_end(ap);
  b->n += (size_t)l;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
/* CPU time of this (single-threaded) process: what the work costs in
 * core-seconds, unaffected by other processes competing for the cores */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long maxrss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static uint64_t rng_state = 0x5eed5eed2026ull;
static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static int rndn(int n) {
  return (int)(rnd() % (uint64_t)n);
}

/* ------------------------------------------------------------------------ */
/* Page generator.                                                           */

struct ustr {
  const char *esc; /* as it appears in the page (may hold \u escapes) */
  const char *raw; /* the same text in UTF-8, as a serializer should write it */
};

static const struct ustr FIRST[] = {
    {"John", "John"},         {"Mar\\u00eda", "María"}, {"José", "José"},
    {"Zo\\u00eb", "Zoë"},     {"Łukasz", "Łukasz"},     {"Fran\\u00e7ois", "François"},
    {"Ay\\u015fe", "Ayşe"},   {"Søren", "Søren"},       {"Renée", "Renée"},
    {"Emily", "Emily"},       {"Ahmed", "Ahmed"},       {"太郎", "太郎"},
    {"Chlo\\u00e9", "Chloé"}, {"Olga", "Olga"},         {"Michael", "Michael"},
    {"Sarah", "Sarah"},
};
static const struct ustr LAST[] = {
    {"Smith", "Smith"},         {"García", "García"},
    {"M\\u00fcller", "Müller"}, {"O'Brien", "O'Brien"},
    {"Nguy\\u1ec5n", "Nguyễn"}, {"Kowalski", "Kowalski"},
    {"Tanaka", "Tanaka"},       {"Dubois", "Dubois"},
    {"Öztürk", "Öztürk"},       {"Иванов", "Иванов"},
    {"Johnson", "Johnson"},     {"Brown", "Brown"},
    {"D\\u00fcrst", "Dürst"},   {"Lee", "Lee"},
};
struct place {
  struct ustr city;
  const char *province, *province_code, *country, *country_code, *zip;
  double lat, lon;
};
static const struct place PLACES[] = {
    {{"Montr\\u00e9al", "Montréal"}, "Quebec", "QC", "Canada", "CA", "H2X 1Y4", 45.5017, -73.5673},
    {{"New York", "New York"}, "New York", "NY", "United States", "US", "10001", 40.7506, -73.9971},
    {{"Austin", "Austin"}, "Texas", "TX", "United States", "US", "78701", 30.2711, -97.7437},
    {{"Zürich", "Zürich"}, "Zürich", "ZH", "Switzerland", "CH", "8001", 47.3769, 8.5417},
    {{"K\\u00f8benhavn", "København"},
     "Capital Region",
     "84",
     "Denmark",
     "DK",
     "1050",
     55.6761,
     12.5683},
    {{"São Paulo", "São Paulo"},
     "São Paulo",
     "SP",
     "Brazil",
     "BR",
     "01310-100",
     -23.5614,
     -46.6559},
    {{"東京", "東京"}, "Tokyo", "JP-13", "Japan", "JP", "100-0005", 35.6812, 139.7671},
    {{"Kraków", "Kraków"}, "Lesser Poland", "PL-12", "Poland", "PL", "31-042", 50.0614, 19.9366},
};
static const struct ustr STREET[] = {
    {"123 Main St", "123 Main St"},
    {"Rue Saint-Denis 1450", "Rue Saint-Denis 1450"},
    {"Bahnhofstra\\u00dfe 12", "Bahnhofstraße 12"},
    {"Avenida Paulista, 1578", "Avenida Paulista, 1578"},
    {"1-9-1 Marunouchi", "1-9-1 Marunouchi"},
    {"ul. Floriańska 3", "ul. Floriańska 3"},
};
static const struct ustr NOTES[] = {
    {"Please leave at the back door \\ud83d\\udce6", "Please leave at the back door 📦"},
    {"Gift 🎁 — no invoice in the box", "Gift 🎁 — no invoice in the box"},
    {"Call before delivery: \\\"ring twice\\\"", "Call before delivery: \\\"ring twice\\\""},
    {"Line one\\nLine two", "Line one\\nLine two"},
};
struct product {
  struct ustr title;
  const char *vendor;
  int cents, grams;
};
static const struct product PRODUCTS[] = {
    {{"Organic Cotton T-Shirt", "Organic Cotton T-Shirt"}, "Northwind", 2499, 180},
    {{"Caf\\u00e9 Blend Coffee 1kg", "Café Blend Coffee 1kg"}, "Roastery Co", 3450, 1000},
    {{"Mug \\u2615", "Mug ☕"}, "Clay & Kiln", 1800, 350},
    {{"Wool Socks (3-pack)", "Wool Socks (3-pack)"}, "Northwind", 1999, 240},
    {{"Hand-thrown Bowl – Ash Glaze", "Hand-thrown Bowl – Ash Glaze"}, "Clay & Kiln", 6400, 900},
    {{"Crème Brûlée Candle", "Crème Brûlée Candle"}, "Lumen", 2850, 410},
    {{"Gift Card", "Gift Card"}, "marketsync-demo", 5000, 0},
    {{"Trail Running Shoes", "Trail Running Shoes"}, "Stride", 12900, 820},
};
static const char *VARIANTS[] = {"S / Black", "M / Blue", "L / Green", "XL / Red", "One size"};
static const char *FIN[] = {"paid",     "paid",      "paid", "pending", "partially_refunded",
                            "refunded", "authorized"};
static const char *FUL[] = {NULL, NULL, "fulfilled", "fulfilled", "partial"};
static const char *CUR[] = {"USD", "USD", "CAD", "EUR"};
static const char *TZ[] = {"-04:00", "-05:00", "-07:00", "+00:00", "+01:00", "+09:00", "+05:30"};
static const int TZMIN[] = {-240, -300, -420, 0, 60, 540, 330};

/* civil date from days since 1970-01-01 (H. Hinnant's algorithm) */
static void civil(int64_t z, int *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yy + (*m <= 2));
}

static void fmt_ts(char *out, size_t n, int64_t utc, int tz) {
  int64_t t = utc + TZMIN[tz] * 60;
  int64_t days = t / 86400, sod = t % 86400;
  int y, m, d;
  civil(days, &y, &m, &d);
  snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, m, d, (int)(sod / 3600),
           (int)(sod / 60 % 60), (int)(sod % 60), TZ[tz]);
}

static void fmt_money(char *out, size_t n, int64_t cents) {
  snprintf(out, n, "%" PRId64 ".%02d", cents / 100, (int)(cents % 100));
}

/* The "shop_money"/"presentment_money" pair Shopify puts next to every amount. */
static void put_set(struct sb *b, const char *key, const char *amount, const char *cur) {
  sb_printf(b,
            "\"%s\":{\"shop_money\":{\"amount\":\"%s\",\"currency_code\":\"%s\"},"
            "\"presentment_money\":{\"amount\":\"%s\",\"currency_code\":\"%s\"}}",
            key, amount, cur, amount, cur);
}

static const char *pick(const struct ustr *u, int raw) {
  return raw ? u->raw : u->esc;
}

static void put_address(struct sb *b, const char *key, const struct ustr *fn, const struct ustr *ln,
                        const struct place *pl, const struct ustr *street, int raw, int64_t addr_id,
                        int64_t cust_id) {
  sb_printf(b, "\"%s\":{", key);
  if (addr_id)
    sb_printf(b, "\"id\":%" PRId64 ",\"customer_id\":%" PRId64 ",", addr_id, cust_id);
  sb_printf(b,
            "\"first_name\":\"%s\",\"address1\":\"%s\",\"phone\":\"+1 555-01%02d\","
            "\"city\":\"%s\",\"zip\":\"%s\",\"province\":\"%s\",\"country\":\"%s\","
            "\"last_name\":\"%s\",\"address2\":null,\"company\":null,",
            pick(fn, raw), pick(street, raw), rndn(100), pick(&pl->city, raw), pl->zip,
            pl->province, pl->country, pick(ln, raw));
  if (!addr_id)
    sb_printf(b, "\"latitude\":%.4f,\"longitude\":%.4f,", pl->lat, pl->lon);
  sb_printf(b, "\"name\":\"%s %s\",\"country_code\":\"%s\",\"province_code\":\"%s\"", pick(fn, raw),
            pick(ln, raw), pl->country_code, pl->province_code);
  if (addr_id)
    sb_put(b, ",\"default\":true");
  sb_put(b, "}");
}

static void hex(char *out, int n) {
  static const char d[] = "0123456789abcdef";
  for (int i = 0; i < n; i++)
    out[i] = d[rndn(16)];
  out[n] = 0;
}

struct page {
  char *text;
  size_t len;
  size_t norders;
  size_t *start, *end; /* byte range of each order object in text */
  size_t nitems;
  uint64_t expect; /* acc.h the extraction must reproduce */
};

#define NORDERS 250

/* raw=0: the page as the API sends it; raw=1: the canonical compact form a
 * serializer should produce for each order (escapes decoded to UTF-8).
 * Both use the same seed, so they describe the same orders. */
static void gen_page(struct page *pg, int raw) {
  struct sb b = {0};
  struct acc a;
  acc_init(&a);
  rng_state = 0x5eed5eed2026ull;
  pg->norders = NORDERS;
  pg->start = calloc(NORDERS, sizeof(size_t));
  pg->end = calloc(NORDERS, sizeof(size_t));
  pg->nitems = 0;
  sb_put(&b, "{\"orders\":[");
  int64_t t0 = 1793511000; /* 2026-11-01T05:30:00Z = 01:30 at -04:00 */
  for (int i = 0; i < NORDERS; i++) {
    if (i)
      sb_put(&b, ",");
    pg->start[i] = b.n;
    int64_t id = 5812345678901LL + (int64_t)i * 7919 + rndn(1000); /* 13 digits, > 2^32 */
    int64_t cust = 7012345678901LL + rndn(1000000);
    int64_t created = t0 - (int64_t)i * 173 - rndn(60);
    int64_t updated = created + rndn(86400 * 3);
    int tz = i % 7 == 0 ? 0 : rndn(7);
    char cts[40], uts[40], pts[40], ccts[40];
    fmt_ts(cts, sizeof cts, created, tz);
    fmt_ts(uts, sizeof uts, updated, tz);
    fmt_ts(pts, sizeof pts, created + 2, tz);
    fmt_ts(ccts, sizeof ccts, created - 86400 * (30 + rndn(900)), tz);
    const char *fin = FIN[rndn(7)];
    const char *ful = FUL[rndn(5)];
    const char *cur = CUR[rndn(4)];
    const struct ustr *fn = &FIRST[rndn(16)], *ln = &LAST[rndn(14)];
    const struct place *pl = &PLACES[rndn(8)];
    const struct ustr *street = &STREET[rndn(6)];
    int nli = 1 + rndn(5);
    double rate = (const double[]){0.06, 0.0825, 0.13, 0.05, 0.2}[rndn(5)];
    char tok[33];
    hex(tok, 32);

    /* line items first (into a side buffer) so the order totals add up */
    struct sb li = {0};
    int64_t subtotal = 0, tax = 0;
    int grams = 0;
    struct {
      int64_t id;
      char sku[24];
      int has_sku, qty;
      char price[24];
    } items[5];
    sb_put(&li, "\"line_items\":[");
    for (int k = 0; k < nli; k++) {
      const struct product *pr = &PRODUCTS[rndn(8)];
      int64_t lid = 13012345678901LL + (int64_t)i * 100 + k * 7 + rndn(5);
      int qty = 1 + (rndn(4) == 0 ? rndn(5) : 0);
      int64_t line = (int64_t)pr->cents * qty;
      int64_t ltax = (int64_t)(line * rate + 0.5);
      subtotal += line;
      tax += ltax;
      grams += pr->grams * qty;
      char price[24], ltaxs[24];
      fmt_money(price, sizeof price, pr->cents);
      fmt_money(ltaxs, sizeof ltaxs, ltax);
      items[k].id = lid;
      items[k].qty = qty;
      items[k].has_sku = rndn(10) != 0;
      snprintf(items[k].sku, sizeof items[k].sku, "NW-%05d-%s", rndn(100000),
               (const char *[]){"S", "M", "L", "XL"}[rndn(4)]);
      strcpy(items[k].price, price);
      const char *variant = VARIANTS[rndn(5)];
      if (k)
        sb_put(&li, ",");
      sb_printf(&li,
                "{\"id\":%" PRId64 ",\"fulfillable_quantity\":%d,"
                "\"fulfillment_status\":%s,\"gift_card\":%s,\"grams\":%d,"
                "\"name\":\"%s - %s\",\"price\":\"%s\",",
                lid, ful ? 0 : qty, ful ? "\"fulfilled\"" : "null",
                pr->cents == 5000 ? "true" : "false", pr->grams, pick(&pr->title, raw), variant,
                price);
      sb_printf(&li, "\"product_id\":%" PRId64 ",\"quantity\":%d,\"requires_shipping\":%s,",
                (int64_t)(8012345678901LL + rndn(100000)), qty, pr->grams ? "true" : "false");
      if (items[k].has_sku)
        sb_printf(&li, "\"sku\":\"%s\",", items[k].sku);
      else
        sb_put(&li, "\"sku\":null,");
      sb_printf(&li,
                "\"taxable\":true,\"title\":\"%s\",\"total_discount\":\"0.00\","
                "\"variant_id\":%" PRId64
                ",\"variant_title\":\"%s\",\"vendor\":\"%s\",\"tax_lines\":[{"
                "\"channel_liable\":false,\"price\":\"%s\",",
                pick(&pr->title, raw), (int64_t)(9012345678901LL + rndn(100000)), variant,
                pr->vendor, ltaxs);
      sb_printf(&li, "\"rate\":%g,\"title\":\"State Tax\"}]}", rate);
    }
    sb_put(&li, "]");
    int64_t ship = rndn(3) ? 599 : 0;
    int64_t total = subtotal + tax + ship;
    char sub_s[24], tax_s[24], tot_s[24], ship_s[24];
    fmt_money(sub_s, sizeof sub_s, subtotal);
    fmt_money(tax_s, sizeof tax_s, tax);
    fmt_money(tot_s, sizeof tot_s, total);
    fmt_money(ship_s, sizeof ship_s, ship);
    char email[96];
    snprintf(email, sizeof email, "customer%d+%d@example.com", rndn(100000), i);

    sb_printf(&b,
              "{\"id\":%" PRId64 ",\"admin_graphql_api_id\":\"gid://shopify/Order/%" PRId64
              "\",\"app_id\":580111,\"browser_ip\":\"203.0.113.%d\","
              "\"buyer_accepts_marketing\":%s,\"cancel_reason\":null,\"cancelled_at\":null,"
              "\"checkout_id\":%" PRId64 ",\"closed_at\":null,\"confirmed\":true,"
              "\"created_at\":\"%s\",\"currency\":\"%s\",\"discount_codes\":[],"
              "\"email\":\"%s\",\"financial_status\":\"%s\",",
              id, id, rndn(255), rndn(2) ? "true" : "false", (int64_t)(25012345678901LL + i), cts,
              cur, email, fin);
    if (ful)
      sb_printf(&b, "\"fulfillment_status\":\"%s\",", ful);
    else
      sb_put(&b, "\"fulfillment_status\":null,");
    sb_printf(&b, "\"name\":\"#%d\",", 1001 + i);
    if (rndn(5) == 0)
      sb_printf(&b, "\"note\":\"%s\",", pick(&NOTES[rndn(4)], raw));
    else
      sb_put(&b, "\"note\":null,");
    sb_printf(&b,
              "\"number\":%d,\"order_number\":%d,"
              "\"payment_gateway_names\":[\"shopify_payments\"],\"phone\":null,"
              "\"processed_at\":\"%s\",\"source_name\":\"web\",\"subtotal_price\":\"%s\","
              "\"tags\":\"%s\",\"tax_lines\":[{\"price\":\"%s\",\"rate\":%g,"
              "\"title\":\"State Tax\"}],\"taxes_included\":false,"
              "\"test\":false,\"token\":\"%s\",\"total_discounts\":\"0.00\","
              "\"total_line_items_price\":\"%s\",\"total_price\":\"%s\",",
              i + 1, 1001 + i, pts, sub_s, rndn(3) ? "" : "vip, wholesale", tax_s, rate, tok, sub_s,
              tot_s);
    put_set(&b, "total_price_set", tot_s, cur);
    sb_printf(&b,
              ",\"total_tax\":\"%s\",\"total_weight\":%d,\"updated_at\":\"%s\",\"user_id\":null,",
              tax_s, grams, uts);
    put_address(&b, "billing_address", fn, ln, pl, street, raw, 0, 0);
    sb_printf(&b,
              ",\"customer\":{\"id\":%" PRId64 ",\"email\":\"%s\",\"created_at\":\"%s\","
              "\"updated_at\":\"%s\",\"first_name\":\"%s\",\"last_name\":\"%s\","
              "\"state\":\"enabled\",\"note\":null,\"verified_email\":true,\"phone\":null,"
              "\"currency\":\"%s\",\"default_address\":{\"id\":%" PRId64 ",\"default\":true}},"
              "\"fulfillments\":[],",
              cust, email, ccts, uts, pick(fn, raw), pick(ln, raw), cur, cust + 1000000);
    sb_put(&b, li.p);
    free(li.p);
    sb_put(&b, ",\"refunds\":[],");
    put_address(&b, "shipping_address", fn, ln, pl, street, raw, 0, 0);
    sb_printf(&b,
              ",\"shipping_lines\":[{\"id\":%" PRId64
              ",\"code\":\"Standard\",\"price\":\"%s\",\"source\":\"shopify\","
              "\"title\":\"Standard Shipping\",\"tax_lines\":[]}]}",
              (int64_t)(4012345678901LL + i), ship_s);
    pg->end[i] = b.n;

    /* what extraction must find, in the order process_* visits it */
    mix_i64(&a, id);
    mix_str(&a, cts);
    mix_str(&a, uts);
    mix_str(&a, fin);
    mix_str(&a, ful);
    mix_str(&a, tot_s);
    mix_str(&a, cur);
    for (int k = 0; k < nli; k++) {
      mix_i64(&a, items[k].id);
      mix_str(&a, items[k].has_sku ? items[k].sku : NULL);
      mix_i64(&a, items[k].qty);
      mix_str(&a, items[k].price);
    }
    pg->nitems += (size_t)nli;
  }
  sb_put(&b, "]}");
  pg->text = b.p;
  pg->len = b.n;
  pg->expect = a.h;
}

static void page_free(struct page *pg) {
  free(pg->text);
  free(pg->start);
  free(pg->end);
}

static const struct lib *const LIBS[] = {&LIB_JANSSON, &LIB_JSONC, &LIB_CJSON};
#define NLIBS (sizeof(LIBS) / sizeof(LIBS[0]))

static const struct lib *find_lib(const char *name) {
  for (size_t i = 0; i < NLIBS; i++)
    if (!strcasecmp(LIBS[i]->name, name))
      return LIBS[i];
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Timing.                                                                   */

/* Not a library: copies each element of the top-level "orders" array out of
 * the input, dropping whitespace outside strings. The stored text is then the
 * API's own bytes (escapes and number spellings untouched), compact. Assumes
 * the body was already accepted by a parser. Returns the number of orders;
 * start/end receive each order's range in out. */
static size_t slice_orders(const char *s, size_t len, struct sb *out, size_t *start, size_t *end,
                           size_t max) {
  int depth = 0, in_str = 0;
  size_t n = 0;
  out->n = 0;
  sb_reserve(out, len);
  char *o = out->p;
  size_t w = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (in_str) {
      if (depth >= 3)
        o[w++] = c;
      if (c == '\\') {
        if (depth >= 3)
          o[w++] = s[i + 1];
        i++;
      } else if (c == '"') {
        in_str = 0;
      }
      continue;
    }
    switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
      continue;
    case '"':
      in_str = 1;
      break;
    case '{':
    case '[':
      if (++depth == 3 && n < max)
        start[n] = w;
      break;
    case '}':
    case ']':
      if (depth-- == 3 && n < max) {
        o[w++] = c;
        end[n++] = w;
        continue;
      }
      break;
    }
    if (depth >= 3)
      o[w++] = c;
  }
  out->n = w;
  return n;
}

enum { M_PARSE, M_EXTRACT, M_FULL, M_FULL_REUSE, M_SLICE };
static const char *MODE_NAME[] = {"parse", "parse+extract", "parse+extract+serialize",
                                  "p+e+serialize, reused buf", "p+e+raw slice (no serializer)"};

static struct sb slice_buf;
static size_t slice_start[NORDERS * 2], slice_end[NORDERS * 2];

static void run_once(const struct lib *L, const struct page *pg, int mode, struct acc *a) {
  void *doc = L->parse(pg->text, pg->len);
  if (!doc) {
    fprintf(stderr, "%s: parse failed\n", L->name);
    exit(1);
  }
  if (mode >= M_EXTRACT)
    L->process(doc, mode == M_FULL ? 1 : mode == M_FULL_REUSE ? 2 : 0, a, NULL, NULL);
  if (mode == M_SLICE) {
    size_t n = slice_orders(pg->text, pg->len, &slice_buf, slice_start, slice_end, NORDERS * 2);
    a->out_bytes += slice_buf.n;
    if (n != pg->norders)
      a->bad++;
  }
  L->release(doc);
}

static double run_n(const struct lib *L, const struct page *pg, int mode, long n, double *wall) {
  struct acc a;
  acc_init(&a);
  double w = now(), t = cpu_now();
  for (long i = 0; i < n; i++)
    run_once(L, pg, mode, &a);
  t = cpu_now() - t;
  if (wall)
    *wall = now() - w;
  /* keep the work observable */
  if (a.orders != (uint64_t)n * pg->norders * (mode >= M_EXTRACT) || a.bad)
    fprintf(stderr, "%s: unexpected extraction counts\n", L->name);
  return t;
}

static int cmd_bench(const char *name) {
  const struct lib *L = find_lib(name);
  if (!L) {
    fprintf(stderr, "unknown library %s\n", name);
    return 2;
  }
  double min_s = getenv("MIN_SECONDS") ? atof(getenv("MIN_SECONDS")) : 2.0;
  struct page pg;
  gen_page(&pg, 0);
  long rss0 = maxrss_kb();

  /* one checked pass: ids exact, fields found, serialized size */
  struct acc a;
  acc_init(&a);
  run_once(L, &pg, M_FULL, &a);
  int ok = a.h == pg.expect && a.orders == pg.norders && a.items == pg.nitems && !a.bad;
  printf("%-8s extraction check: %s (orders %" PRIu64 ", items %" PRIu64 ", bad %" PRIu64
         "), serialized %" PRIu64 " bytes of %zu input\n",
         L->name, ok ? "OK, all fields and int64 ids exact" : "MISMATCH", a.orders, a.items, a.bad,
         a.out_bytes, pg.len);

  for (int mode = M_PARSE; mode <= M_SLICE; mode++) {
    /* calibrate so one run lasts at least min_s */
    long n = 1;
    double t;
    while ((t = run_n(L, &pg, mode, n, NULL)) < 0.2)
      n *= 2;
    n = (long)(n * (min_s / t)) + 1;
    double best = 1e30, worst = 0, tot = 0, best_wall = 1e30;
    for (int r = 0; r < 3; r++) {
      double w;
      t = run_n(L, &pg, mode, n, &w);
      tot += w;
      if (t < best)
        best = t;
      if (t > worst)
        worst = t;
      if (w < best_wall)
        best_wall = w;
    }
    double per = best / (double)n;
    double mbs = (double)pg.len / per / 1e6;
    double ops = (double)pg.norders / per;
    /* share of the 2-core budget at 20,000 orders/s */
    double share = 20000.0 / ops / 2.0 * 100.0;
    printf("RESULT %-8s %-30s %8.1f MB/s %9.0f orders/s %7.3f ms/page  %5.1f%% of 2-core "
           "budget  (%ld iters x3, %.1f s wall, CPU-time spread %.1f%%, best wall %.1f MB/s)\n",
           L->name, MODE_NAME[mode], mbs, ops, per * 1e3, share, n, tot,
           (worst - best) / best * 100.0, (double)pg.len * (double)n / best_wall / 1e6);
    fflush(stdout);
  }
  long rss1 = maxrss_kb();
  printf("RSS      %-8s peak %ld KiB (after generating the page: %ld KiB, library +%ld KiB)\n",
         L->name, rss1, rss0, rss1 - rss0);
  page_free(&pg);
  return ok ? 0 : 1;
}

/* ------------------------------------------------------------------------ */
/* Allocation counts (needs -DCOUNT_ALLOCS).                                 */

static int cmd_allocs(void) {
#ifndef COUNT_ALLOCS
  fprintf(stderr, "build with -DCOUNT_ALLOCS\n");
  return 2;
#else
  struct page pg;
  gen_page(&pg, 0);
  printf("input page: %zu bytes, %zu orders, %zu line items\n", pg.len, pg.norders, pg.nitems);
  for (size_t l = 0; l < NLIBS; l++) {
    const struct lib *L = LIBS[l];
    struct acc a;
    acc_init(&a);
    run_once(L, &pg, M_FULL, &a); /* warm up (json-c's tokener, jansson's seed) */
    ca_calls = ca_bytes = 0;
    ca_live = ca_peak = 0;
    ca_on = 1;
    void *doc = L->parse(pg.text, pg.len);
    uint64_t pc = ca_calls;
    int64_t tree = ca_live;
    L->process(doc, 1, &a, NULL, NULL);
    L->release(doc);
    ca_on = 0;
    printf("ALLOCS %-8s parse: %7" PRIu64 " mallocs, tree %6.2f MB (%.1fx input);  "
           "parse+extract+serialize+free: %7" PRIu64 " mallocs, peak heap %6.2f MB\n",
           L->name, pc, tree / 1e6, (double)tree / (double)pg.len, ca_calls, ca_peak / 1e6);
  }
  page_free(&pg);
  return 0;
#endif
}

/* ------------------------------------------------------------------------ */
/* Fidelity: each serialized order against the canonical text.               */

struct fid_ctx {
  const struct page *canon;
  size_t same, differ;
  char first_diff[1024];
};

static void fid_sink(void *vctx, size_t idx, const char *s, size_t n) {
  struct fid_ctx *c = vctx;
  const char *want = c->canon->text + c->canon->start[idx];
  size_t wn = c->canon->end[idx] - c->canon->start[idx];
  if (n == wn && !memcmp(s, want, n)) {
    c->same++;
    return;
  }
  c->differ++;
  if (c->first_diff[0])
    return;
  size_t p = 0;
  while (p < n && p < wn && s[p] == want[p])
    p++;
  size_t from = p > 30 ? p - 30 : 0;
  snprintf(c->first_diff, sizeof c->first_diff,
           "order %zu, byte %zu:\n      expected: ...%.*s...\n      output:   ...%.*s...", idx, p,
           (int)(wn - from < 70 ? wn - from : 70), want + from,
           (int)(n - from < 70 ? n - from : 70), s + from);
}

static int cmd_fidelity(void) {
  struct page pg, canon;
  gen_page(&pg, 0);
  gen_page(&canon, 1);
  printf("page: %zu bytes (%zu orders, %zu line items, mean order %zu bytes)\n", pg.len, pg.norders,
         pg.nitems, pg.len / pg.norders);
  size_t mn = SIZE_MAX, mx = 0;
  for (size_t i = 0; i < pg.norders; i++) {
    size_t s = pg.end[i] - pg.start[i];
    mn = s < mn ? s : mn;
    mx = s > mx ? s : mx;
  }
  printf("order object sizes: min %zu, max %zu bytes\n", mn, mx);
  for (size_t l = 0; l < NLIBS; l++) {
    const struct lib *L = LIBS[l];
    for (int ser = 1; ser <= 2; ser++) {
      struct fid_ctx c = {.canon = &canon};
      struct acc a;
      acc_init(&a);
      void *doc = L->parse(pg.text, pg.len);
      L->process(doc, ser, &a, fid_sink, &c);
      L->release(doc);
      printf("FIDELITY %-8s %s: %zu/%zu orders byte-identical to the canonical compact form\n",
             L->name, ser == 1 ? "fresh string" : "reused buf  ", c.same, c.same + c.differ);
      if (c.first_diff[0])
        printf("    first difference: %s\n", c.first_diff);
    }
  }
  size_t n = slice_orders(pg.text, pg.len, &slice_buf, slice_start, slice_end, NORDERS * 2);
  size_t same = 0;
  for (size_t i = 0; i < n && i < pg.norders; i++)
    same += slice_end[i] - slice_start[i] == pg.end[i] - pg.start[i] &&
            !memcmp(slice_buf.p + slice_start[i], pg.text + pg.start[i], pg.end[i] - pg.start[i]);
  printf("FIDELITY raw-slice %zu/%zu orders byte-identical to the input (escapes kept as sent)\n",
         same, pg.norders);
  /* and a pretty-printed body must slice to the same compact bytes */
  struct sb pretty = {0};
  for (size_t i = 0; i < pg.len; i++) {
    sb_reserve(&pretty, 2);
    pretty.p[pretty.n++] = pg.text[i];
    if (pg.text[i] == ',' && pg.text[i + 1] == '"')
      sb_put(&pretty, "\n    ");
  }
  n = slice_orders(pretty.p, pretty.n, &slice_buf, slice_start, slice_end, NORDERS * 2);
  same = 0;
  for (size_t i = 0; i < n && i < pg.norders; i++)
    same += slice_end[i] - slice_start[i] == pg.end[i] - pg.start[i] &&
            !memcmp(slice_buf.p + slice_start[i], pg.text + pg.start[i], pg.end[i] - pg.start[i]);
  printf(
      "FIDELITY raw-slice of a re-indented body: %zu/%zu orders identical to the compact input\n",
      same, pg.norders);
  free(pretty.p);
  page_free(&pg);
  page_free(&canon);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Checks.                                                                   */

static void hexdump(char *out, size_t n, const char *s, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 5 < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f)
      out[o++] = (char)c;
    else
      o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
  }
  out[o < n ? o : n - 1] = 0;
}

/* Parse text with L; print either the error or the first element and the
 * re-serialized text. */
static void check_one(const struct lib *L, const char *label, const char *text, size_t len) {
  char err[256] = "", desc[256] = "", shown[512];
  void *doc = L->parse_err(text, len, err, sizeof err);
  if (!doc) {
    printf("  %-8s %-34s REJECTED  %s\n", L->name, label, err);
    return;
  }
  L->describe_first(doc, desc, sizeof desc);
  char *out = L->dump(doc);
  hexdump(shown, sizeof shown, out, strlen(out));
  printf("  %-8s %-34s accepted  %s; re-serialized %s%s%s\n", L->name, label, desc, shown,
         err[0] ? "  " : "", err);
  free(out);
  L->release(doc);
}

/* Run one deep-nesting parse in a child so that a crash is reported, not
 * suffered. */
static void deep_one(const struct lib *L, int depth, int jc_depth) {
  size_t len = (size_t)depth * 2;
  char *s = malloc(len + 1);
  memset(s, '[', (size_t)depth);
  memset(s + depth, ']', (size_t)depth);
  s[len] = 0;
  int pfd[2];
  if (pipe(pfd))
    exit(2);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    alarm(20);
    char err[256] = "", msg[512];
    void *doc;
    if (jc_depth) {
      doc = jc_parse_depth(s, len, jc_depth, err, sizeof err);
    } else {
      doc = L->parse_err(s, len, err, sizeof err);
    }
    if (!doc) {
      snprintf(msg, sizeof msg, "refused: %s", err);
    } else {
      char *out = L->dump(doc);
      size_t n = out ? strlen(out) : 0;
      snprintf(msg, sizeof msg, "accepted; serialized %zu bytes%s; freed", n,
               out && n == len && !memcmp(out, s, len) ? " (round-trips)" : " (DIFFERS)");
      free(out);
      L->release(doc);
    }
    if (write(pfd[1], msg, strlen(msg)) < 0)
      _exit(3);
    _exit(0);
  }
  close(pfd[1]);
  char msg[512] = "";
  ssize_t r = read(pfd[0], msg, sizeof msg - 1);
  msg[r > 0 ? r : 0] = 0;
  close(pfd[0]);
  int st;
  waitpid(pid, &st, 0);
  char label[64];
  snprintf(label, sizeof label, "%s%s", L->name, jc_depth ? "(new_ex)" : "");
  if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
    printf("  %-16s depth %7d  did not finish within 20 s\n", label, depth);
  else if (WIFSIGNALED(st))
    printf("  %-16s depth %7d  CRASHED with signal %d (%s)\n", label, depth, WTERMSIG(st),
           strsignal(WTERMSIG(st)));
  else
    printf("  %-16s depth %7d  %s\n", label, depth, msg);
  free(s);
}

static int cmd_checks(void) {
  printf("Library versions (run time): jansson %s, json-c %s, cJSON %s\n\n", LIB_JANSSON.version(),
         LIB_JSONC.version(), LIB_CJSON.version());

  printf("1. Integers (ids are 13 digits today; what happens further out)\n");
  const char *ints[] = {"[5812345678901]",        "[4294967297]",
                        "[9007199254740993]",     "[9223372036854775807]",
                        "[9223372036854775808]",  "[-9223372036854775809]",
                        "[18446744073709551616]", "[12345678901234567890123]"};
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
    for (size_t l = 0; l < NLIBS; l++)
      check_one(LIBS[l], ints[i], ints[i], strlen(ints[i]));

  printf("\n2. Unicode: \\u00e9 and an emoji (escaped surrogate pair and raw UTF-8)\n");
  const char *uni = "[\"caf\\u00e9 \\ud83c\\udf81 | café 🎁\"]";
  const char *want = "café 🎁 | café 🎁";
  for (size_t l = 0; l < NLIBS; l++) {
    const struct lib *L = LIBS[l];
    char err[256] = "";
    void *doc = L->parse_err(uni, strlen(uni), err, sizeof err);
    if (!doc) {
      printf("  %-8s REJECTED %s\n", L->name, err);
      continue;
    }
    char *out = L->dump(doc);
    const char *got = L->first_str(doc);
    /* parse the output again and compare the decoded value */
    void *doc2 = L->parse_err(out, strlen(out), err, sizeof err);
    char *out2 = doc2 ? L->dump(doc2) : NULL;
    printf("  %-8s decoded %s; serialized %s; re-parse+serialize %s\n", L->name,
           !strcmp(got, want) ? "exact UTF-8" : "WRONG", out,
           out2 && !strcmp(out, out2) ? "stable" : "DIFFERS");
    free(out);
    free(out2);
    if (doc2)
      L->release(doc2);
    L->release(doc);
  }

  printf("\n3. Deep nesting (\"[[[...]]]\"), each in a child process\n");
  const int depths[] = {32, 33, 999, 1000, 1001, 2048, 2049, 100000, 10000000};
  for (size_t l = 0; l < NLIBS; l++)
    for (size_t d = 0; d < sizeof depths / sizeof *depths; d++)
      deep_one(LIBS[l], depths[d], 0);
  /* json-c with the limit raised past the input (not 10^7: its tokener then
   * allocates a frame per level and takes tens of seconds) */
  for (size_t d = 2; d + 1 < sizeof depths / sizeof *depths; d++)
    deep_one(LIBS[1], depths[d], depths[d] + 1);

  printf("\n4. Invalid UTF-8 and odd escapes inside a string\n");
  struct {
    const char *label, *text;
  } bad[] = {
      {"lone byte \\xff", "[\"a\xff"
                          "b\"]"},
      {"truncated \\xc3 at end", "[\"ab\xc3\"]"},
      {"overlong \\xc0\\xaf", "[\"a\xc0\xaf"
                              "b\"]"},
      {"UTF-8 surrogate \\xed\\xa0\\x80", "[\"a\xed\xa0\x80"
                                          "b\"]"},
      {"above U+10FFFF \\xf4\\x90\\x80\\x80", "[\"a\xf4\x90\x80\x80"
                                              "b\"]"},
      {"escaped lone surrogate \\ud800", "[\"a\\ud800b\"]"},
      {"escaped NUL \\u0000", "[\"a\\u0000b\"]"},
      {"raw control char 0x01", "[\"a\x01"
                                "b\"]"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    for (size_t l = 0; l < NLIBS; l++)
      check_one(LIBS[l], bad[i].label, bad[i].text, strlen(bad[i].text));
  printf("  json-c with JSON_TOKENER_VALIDATE_UTF8:\n");
  jc_set_flags(0x10); /* JSON_TOKENER_VALIDATE_UTF8 */
  for (size_t i = 0; i < 5; i++)
    check_one(LIBS[1], bad[i].label, bad[i].text, strlen(bad[i].text));
  jc_set_flags(0);

  printf("\n5. Error reporting and input hygiene\n");
  struct {
    const char *label, *text;
  } errs[] = {
      {"syntax error on line 3", "{\n  \"orders\": [\n    {\"id\": 1,, \"x\": 2}\n  ]\n}"},
      {"truncated body", "{\"orders\":[{\"id\":5812345678901,\"name\":\"#10"},
      {"trailing garbage", "[1] x"},
      {"two documents", "[1][2]"},
      {"duplicate key {\"a\":1,\"a\":2}", "[{\"a\":1,\"a\":2}]"},
      {"single quotes", "['a']"},
      {"trailing comma", "[1,]"},
      {"NaN literal", "[NaN]"},
      {"empty input", ""},
  };
  for (size_t i = 0; i < sizeof errs / sizeof *errs; i++)
    for (size_t l = 0; l < NLIBS; l++)
      check_one(LIBS[l], errs[i].label, errs[i].text, strlen(errs[i].text));

  printf("  cJSON    require_null_terminated=1: \"[1]\" with len=3 %s, len=4 (NUL counted) %s; "
         "\"[1] x\" with len=6 %s\n",
         cj_strict_accepts("[1]", 3) ? "accepted" : "REJECTED",
         cj_strict_accepts("[1]", 4) ? "accepted" : "REJECTED",
         cj_strict_accepts("[1] x", 6) ? "accepted" : "REJECTED");

  printf("\n6. Number formatting on re-serialization (tax rates, coordinates)\n");
  const char *nums[] = {"[0.06]", "[0.0825]", "[45.5017]", "[-73.5673]", "[0.1]",
                        "[1.0]",  "[1e2]",    "[-0.0]",    "[1e400]"};
  for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
    for (size_t l = 0; l < NLIBS; l++)
      check_one(LIBS[l], nums[i], nums[i], strlen(nums[i]));
  return 0;
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "bench"))
    return cmd_bench(argv[2]);
  if (argc >= 2 && !strcmp(argv[1], "checks"))
    return cmd_checks();
  if (argc >= 2 && !strcmp(argv[1], "fidelity"))
    return cmd_fidelity();
  if (argc >= 2 && !strcmp(argv[1], "allocs"))
    return cmd_allocs();
  if (argc >= 3 && !strcmp(argv[1], "page")) {
    struct page pg;
    gen_page(&pg, 0);
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(pg.text, 1, pg.len, f) != pg.len || fclose(f)) {
      perror(argv[2]);
      return 1;
    }
    page_free(&pg);
    return 0;
  }
  fprintf(stderr, "usage: %s bench jansson|json-c|cJSON | checks | fidelity | allocs | page FILE\n",
          argv[0]);
  return 2;
}

#endif