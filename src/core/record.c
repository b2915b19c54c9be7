#include "core/record.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define EXACT_INT_MAX 9007199254740992.0 /* 2^53: doubles hold integers exactly below */
#define ID_MAX 255                       /* bytes of an id */

#define NO_TEXT SIZE_MAX /* a column without text */

/* The texts of a record's values while it is read: gathered in one block,
 * which the record then owns (record.texts), rather than one allocation per
 * value. */
struct texts {
  struct buf b;                  /* each text followed by its NUL */
  size_t at[STREAM_COLUMNS_MAX]; /* where each column's text starts in b, or NO_TEXT */
};

/* What reading a record needs at hand. */
struct reader {
  const cJSON *json;             /* the record */
  const cJSON *parent;           /* its parent, MAY be NULL */
  const struct json_index *keys; /* the record's members by name (read_into builds it) */
  const struct json_index *up;   /* the parent's, MAY be NULL: parent is searched */
  struct tz *zone;               /* for times without an offset, MAY be NULL */
  const char *money;             /* the currency of money that names none, MAY be NULL */
  struct texts *texts;           /* where its values' texts go */
  char why[256];                 /* why it could not be read */
};

static const cJSON *at(const struct reader *rd, const char *path) {
  if (path && path[0] == '^') {
    if (!rd->parent)
      return NULL;
    return rd->up ? json_index_path(rd->up, path + 1) : json_path(rd->parent, path + 1);
  }
  return json_index_path(rd->keys, path);
}

static int unreadable(struct reader *rd, const char *fmt, const char *a, const char *b) {
  snprintf(rd->why, sizeof(rd->why), fmt, a, b);
  return MS_EPROTO;
}

/* The digits of x, in at most 21 bytes of out. Returns their length.
 * (snprintf was a tenth of the time a record took to read.) */
static size_t int_text(long long x, char *out) {
  char rev[20];
  unsigned long long mag = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
  size_t n = 0, len = 0;
  do {
    rev[n++] = (char)('0' + mag % 10);
    mag /= 10;
  } while (mag);
  if (x < 0)
    out[len++] = '-';
  while (n)
    out[len++] = rev[--n];
  out[len] = '\0';
  return len;
}

/* A number as exact text: integers without a fraction, others as %.15g. */
static int number_text(double d, char out[40]) {
  if (!isfinite(d))
    return MS_EPROTO;
  if (d == floor(d) && fabs(d) < EXACT_INT_MAX)
    int_text((long long)d, out); /* ids mostly */
  else
    snprintf(out, 40, "%.15g", d);
  return MS_OK;
}

/* A string, number or boolean as text, without copying: a string's own
 * bytes, or num filled. NULL for anything else. */
static const char *scalar_text(const cJSON *v, char num[40]) {
  if (cJSON_IsString(v))
    return v->valuestring;
  if (cJSON_IsNumber(v))
    return number_text(v->valuedouble, num) ? NULL : num;
  if (cJSON_IsBool(v))
    return cJSON_IsTrue(v) ? "true" : "false";
  return NULL;
}

/* Keeps text as column col's, in the record's block. */
static int text_keep(struct texts *t, size_t col, const char *text) {
  size_t start = t->b.len;
  if (buf_append(&t->b, text, strlen(text) + 1)) /* with its NUL */
    return MS_ENOMEM;
  t->at[col] = start;
  return MS_OK;
}

/* The same for a list or an object, kept as compact JSON. */
static int json_keep(struct texts *t, size_t col, const cJSON *v) {
  char *json = cJSON_PrintUnformatted(v);
  int rc = json ? text_keep(t, col, json) : MS_ENOMEM;
  free(json);
  return rc;
}

/* The value at v as column col's text: strings as they are, numbers exact,
 * booleans as true/false, lists and objects as compact JSON. */
static int text_of(struct texts *t, size_t col, const cJSON *v) {
  char num[40];
  const char *text;
  if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
    return MS_EPROTO;
  text = scalar_text(v, num);
  return text ? text_keep(t, col, text) : json_keep(t, col, v);
}

static int int_of(const cJSON *v, int64_t *out) {
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || fabs(d) >= EXACT_INT_MAX)
      return MS_EPROTO;
    *out = (int64_t)d;
    return MS_OK;
  }
  if (cJSON_IsString(v)) {
    char *end;
    long long x;
    errno = 0;
    x = strtoll(v->valuestring, &end, 10);
    if (errno || end == v->valuestring || *end)
      return MS_EPROTO;
    *out = x;
    return MS_OK;
  }
  return MS_EPROTO;
}

static int bool_of(const cJSON *v, int64_t *out) {
  if (cJSON_IsBool(v)) {
    *out = cJSON_IsTrue(v);
    return MS_OK;
  }
  if (cJSON_IsString(v) &&
      (strcmp(v->valuestring, "true") == 0 || strcmp(v->valuestring, "1") == 0))
    return *out = 1, MS_OK;
  if (cJSON_IsString(v) &&
      (strcmp(v->valuestring, "false") == 0 || strcmp(v->valuestring, "0") == 0))
    return *out = 0, MS_OK;
  if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1))
    return *out = v->valuedouble == 1, MS_OK;
  return MS_EPROTO;
}

/* Reads a time: a string by the format (or ISO 8601), or a number of
 * seconds since 1970. */
static int time_of(const cJSON *v, const char *format, struct tz *zone, int64_t *out) {
  if (cJSON_IsNumber(v))
    return int_of(v, out);
  if (!cJSON_IsString(v))
    return MS_EPROTO;
  return time_parse_pattern(v->valuestring, format, zone, out) ? MS_EPROTO : MS_OK;
}

/* An exact decimal: an optional sign, digits, optionally '.' and digits. */
static int decimal_ok(const char *s) {
  if (*s == '-' || *s == '+')
    s++;
  if (*s < '0' || *s > '9')
    return 0;
  while (*s >= '0' && *s <= '9')
    s++;
  if (*s == '.') {
    s++;
    if (*s < '0' || *s > '9')
      return 0;
    while (*s >= '0' && *s <= '9')
      s++;
  }
  return *s == '\0';
}

/* Minor units of an amount; one with more decimals than the currency has
 * (affiliate commissions) is cut to them toward zero: the text keeps all. */
static int minor_of(const char *amount, const char *currency, int64_t *out) {
  struct money m;
  char cut[40];
  const char *dot;
  int exp;
  if (money_set(&m, amount, currency) == MS_OK) {
    *out = m.minor;
    return MS_OK;
  }
  exp = currency_exponent(currency);
  dot = strchr(amount, '.');
  if (!decimal_ok(amount) || !dot || strlen(amount) >= sizeof(cut))
    return MS_EPROTO;
  snprintf(cut, sizeof(cut), "%.*s", (int)(dot - amount) + (exp ? exp + 1 : 0), amount);
  if (money_set(&m, cut, currency) != MS_OK)
    return MS_EPROTO;
  *out = m.minor;
  return MS_OK;
}

static const char *type_words(enum col_type t) {
  switch (t) {
  case COL_INT:
    return "a whole number";
  case COL_BOOL:
    return "true or false";
  case COL_TIME:
    return "a time";
  case COL_DATE:
    return "a date";
  case COL_MONEY:
    return "an amount of money";
  case COL_DECIMAL:
    return "a decimal number";
  default:
    return "text";
  }
}

/* Column col's value; MS_EPROTO (with rd->why) when the record holds
 * something that is not of its type. A text goes to rd->texts. */
static int read_column(struct reader *rd, const struct column_def *c, size_t col,
                       struct value *out) {
  struct texts *t = rd->texts;
  const cJSON *v;
  int rc;
  memset(out, 0, sizeof(*out));
  if (c->flags & COL_LOCAL)
    return MS_OK;
  if (c->read) {
    rc = c->read(rd->json, rd->parent, out);
    if (out->text) {
      if (rc == MS_OK)
        rc = text_keep(t, col, out->text); /* into the block, like every text */
      free(out->text);
      out->text = NULL;
    }
    if (rc == MS_EPROTO)
      return unreadable(rd, "%s cannot be read%s", c->name, "");
    return rc;
  }
  v = at(rd, c->path);
  if (!v || cJSON_IsNull(v))
    return MS_OK;
  switch (c->type) {
  case COL_TEXT:
    rc = text_of(t, col, v);
    break;
  case COL_JSON:
    rc = json_keep(t, col, v);
    break;
  case COL_INT:
    rc = int_of(v, &out->i);
    break;
  case COL_BOOL:
    rc = bool_of(v, &out->i);
    break;
  case COL_TIME:
    rc = time_of(v, c->format, rd->zone, &out->i);
    break;
  case COL_DATE: {
    struct civil_date d;
    char text[DATE_STR_LEN];
    rc =
        cJSON_IsString(v) && !date_parse_pattern(v->valuestring, c->format, &d) ? MS_OK : MS_EPROTO;
    if (!rc) {
      date_format(d, text);
      rc = text_keep(t, col, text);
    }
    break;
  }
  case COL_DECIMAL:
  case COL_MONEY: {
    char num[40];
    const char *text = cJSON_IsString(v) || cJSON_IsNumber(v) ? scalar_text(v, num) : NULL;
    rc = text ? MS_OK : MS_EPROTO;
    if (!rc && c->type == COL_DECIMAL && !decimal_ok(text))
      rc = MS_EPROTO;
    if (!rc && c->type == COL_MONEY) {
      const cJSON *cur = c->currency ? at(rd, c->currency) : NULL;
      rc = minor_of(text, cJSON_IsString(cur) ? cur->valuestring : rd->money, &out->i);
    }
    if (!rc)
      rc = text_keep(t, col, text);
    break;
  }
  default:
    rc = MS_EPROTO;
  }
  if (rc == MS_OK) {
    out->set = 1;
    return MS_OK;
  }
  t->at[col] = NO_TEXT;
  if (rc == MS_ENOMEM)
    return rc;
  {
    char *shown = cJSON_PrintUnformatted(v);
    snprintf(rd->why, sizeof(rd->why), "%s (%s) is not %s: %.60s", c->name, c->path,
             type_words(c->type), shown ? shown : "?");
    free(shown);
  }
  return MS_EPROTO;
}

/* The id: one path, or several joined by ':'. */
static int read_id(struct reader *rd, const char *key, char **out) {
  char buf[ID_MAX + 1] = "", path[STREAM_PATH_MAX], num[40];
  size_t used = 0;
  const char *p = key;
  while (*p) {
    size_t n = strcspn(p, ","), len, cut = n < sizeof(path) ? n : sizeof(path) - 1;
    const char *part;
    const cJSON *v;
    memcpy(path, p, cut);
    path[cut] = '\0';
    v = at(rd, path);
    part = cJSON_IsString(v) || cJSON_IsNumber(v) ? scalar_text(v, num) : NULL;
    if (!part || !*part)
      return unreadable(rd, "the record has no usable id (%s)%s", path, "");
    if (cJSON_IsNumber(v) &&
        (v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) >= EXACT_INT_MAX))
      return unreadable(rd, "the record's id %s is not a whole number below 2^53%s", path, "");
    len = strlen(part);
    if (used + (used ? 1 : 0) + len >= sizeof(buf))
      return unreadable(rd, "the record's id is longer than %s bytes%s", "255", "");
    if (used)
      buf[used++] = ':';
    memcpy(buf + used, part, len + 1);
    used += len;
    p += n;
    if (*p == ',')
      p++;
  }
  *out = strdup(buf);
  return *out ? MS_OK : MS_ENOMEM;
}

static int read_into(const struct stream_def *def, struct reader *rd, struct record *out);

/* The children of a child stream read from the record's JSON. */
static int read_children(const struct stream_def *child, struct reader *rd, struct record *out) {
  const cJSON *list = json_index_path(rd->keys, child->path), *e;
  struct record_set *set;
  int n;
  if (!list || cJSON_IsNull(list))
    return MS_OK;
  if (!cJSON_IsArray(list))
    return unreadable(rd, "%s is not a list%s", child->path, "");
  n = cJSON_GetArraySize(list);
  if (n > 10000)
    return unreadable(rd, "%s holds more than %s entries", child->path, "10000");
  set = record_kids(out, child);
  if (!set || record_set_reserve(set, (size_t)n))
    return MS_ENOMEM;
  cJSON_ArrayForEach(e, list) {
    struct record *k = record_set_add(set);
    struct reader sub = {e, rd->json, NULL, rd->keys, rd->zone, rd->money, NULL, ""};
    int rc;
    if (!k)
      return MS_ENOMEM;
    rc = read_into(child, &sub, k);
    if (rc == MS_EPROTO || k->unreadable) {
      /* The child's reason is cut to fit after the child's name. */
      snprintf(rd->why, sizeof(rd->why), "%s: %.200s", child->name,
               k->unreadable ? k->unreadable : sub.why);
      return MS_EPROTO;
    }
    if (rc)
      return rc;
  }
  return MS_OK;
}

/* Hands the texts read to the record: one block, its values pointing into
 * it. Done whether or not every column could be read, so that releasing
 * the record frees them. */
static void texts_attach(struct texts *t, struct record *out) {
  out->texts = buf_detach(&t->b);
  for (size_t i = 0; out->texts && i < out->nvals; i++)
    if (t->at[i] != NO_TEXT)
      out->vals[i].text = out->texts + t->at[i];
}

/* Every column's value, in the stream's order. */
static int read_columns(const struct stream_def *def, struct reader *rd, struct record *out) {
  struct texts texts;
  size_t n = 0;
  int rc = MS_OK;
  for (const struct column_def *c = def->columns; c && c->name; c++)
    n++;
  if (!n)
    return MS_OK;
  if (n > STREAM_COLUMNS_MAX)
    return unreadable(rd, "stream %s has more columns than %s", def->name, "64");
  out->vals = calloc(n, sizeof(*out->vals));
  if (!out->vals)
    return MS_ENOMEM;
  out->nvals = n;
  buf_init(&texts.b, 0);
  for (size_t i = 0; i < n; i++)
    texts.at[i] = NO_TEXT;
  rd->texts = &texts;
  for (size_t i = 0; i < n && !rc; i++)
    rc = read_column(rd, &def->columns[i], i, &out->vals[i]);
  texts_attach(&texts, out);
  rd->texts = NULL;
  return rc;
}

static int read_into(const struct stream_def *def, struct reader *rd, struct record *out) {
  struct json_index keys; /* built once: each column's lookup is then a hash */
  const cJSON *t;
  int rc;
  if (!cJSON_IsObject(rd->json))
    return unreadable(rd, "an element of the %s list is not an object%s", def->name, "");
  json_index_build(&keys, rd->json);
  rd->keys = &keys;
  rc = read_id(rd, def->key, &out->external_id);
  if (rc)
    return rc;
  t = def->created ? at(rd, def->created) : NULL;
  if (def->created && time_of(t, def->time_format, rd->zone, &out->created_at))
    return unreadable(rd, "it has no valid %s%s", def->created, "");
  t = def->updated ? at(rd, def->updated) : NULL;
  if (!t || cJSON_IsNull(t) || time_of(t, def->time_format, rd->zone, &out->updated_at))
    out->updated_at = out->created_at;
  rc = read_columns(def, rd, out);
  for (size_t i = 0; !rc && def->children && def->children[i]; i++) {
    if (!def->children[i]->path)
      continue; /* a follow-up stream: fetched on its own */
    rc = read_children(def->children[i], rd, out);
  }
  return rc;
}

static int keep_raw(struct record *out, const cJSON *json, const char *raw, size_t len) {
  if (raw) {
    out->raw = malloc(len + 1);
    if (!out->raw)
      return MS_ENOMEM;
    memcpy(out->raw, raw, len);
    out->raw[len] = '\0';
    out->raw_len = len;
    return MS_OK;
  }
  out->raw = jdump(json, &out->raw_len);
  return out->raw ? MS_OK : MS_ENOMEM;
}

static int read_top(const struct stream_def *def, const cJSON *json, const cJSON *parent,
                    const char *raw, size_t len, const struct read_context *ctx,
                    struct record *out) {
  struct reader rd = {json, parent, NULL, NULL, ctx ? ctx->zone : NULL, ctx ? ctx->currency : NULL,
                      NULL, ""};
  int rc = read_into(def, &rd, out);
  if (rc == MS_ENOMEM)
    return rc;
  if (rc == MS_EPROTO) {
    char *text = raw ? NULL : cJSON_PrintUnformatted(json);
    char why[320];
    snprintf(why, sizeof(why), "%s %s: %s", def->name,
             out->external_id ? out->external_id : "(no id)", rd.why);
    rc = record_set_unreadable(out,
                               raw    ? raw
                               : text ? text
                                      : "",
                               raw    ? len
                               : text ? strlen(text)
                                      : 0,
                               why);
    free(text);
    return rc;
  }
  return keep_raw(out, json, raw, len);
}

int record_read(const struct stream_def *def, const cJSON *json, const cJSON *parent,
                const char *raw, size_t len, const struct read_context *ctx, struct record *out) {
  return read_top(def, json, parent, raw, len, ctx, out);
}

int record_read_child(const struct stream_def *def, const cJSON *json, const char *raw, size_t len,
                      const struct read_context *ctx, struct record *out) {
  return read_top(def, json, NULL, raw, len, ctx, out);
}

int record_reread(const struct stream_def *def, const char *raw, size_t len,
                  const struct read_context *ctx, struct record *out, struct err *err) {
  cJSON *json = jparse(raw, len, err);
  int rc;
  if (!json) {
    err_prefix(err, "%s record", def->name);
    return MS_EPROTO;
  }
  rc = read_top(def, json, NULL, raw, len, ctx, out);
  cJSON_Delete(json);
  if (!rc && out->unreadable)
    rc = err_set(err, MS_EPROTO, "%s", out->unreadable);
  return rc;
}
