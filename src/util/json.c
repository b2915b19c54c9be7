#include "util/json.h"

#include "util/utf8.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXACT_INT_MAX 9007199254740992.0 /* 2^53: doubles hold integers exactly below */

const char *jstr(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

char *jstrdup(const cJSON *obj, const char *key) {
  const char *s = jstr(obj, key);
  return s ? strdup(s) : NULL;
}

char *jid(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  char tmp[32];
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || fabs(d) >= EXACT_INT_MAX)
      return NULL;
    snprintf(tmp, sizeof(tmp), "%.0f", d);
    return strdup(tmp);
  }
  if (cJSON_IsString(v) && v->valuestring[0] && strlen(v->valuestring) < 128)
    return strdup(v->valuestring);
  return NULL;
}

int64_t jint(const cJSON *obj, const char *key, int64_t def) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    return isfinite(d) && d == floor(d) && fabs(d) < EXACT_INT_MAX ? (int64_t)d : def;
  }
  if (cJSON_IsString(v)) {
    char *end;
    errno = 0;
    long long x = strtoll(v->valuestring, &end, 10);
    if (!errno && *end == '\0' && end != v->valuestring)
      return x;
  }
  return def;
}

/* One step of a path: a member of an object, or an element of a list by
 * its position. */
static const cJSON *path_step(const cJSON *v, const char *step) {
  char *end;
  if (cJSON_IsArray(v) && step[0] >= '0' && step[0] <= '9') {
    long i = strtol(step, &end, 10);
    return *end ? NULL : cJSON_GetArrayItem(v, (int)i);
  }
  return cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, step) : NULL;
}

/* Follows the steps of path from v. */
static const cJSON *path_walk(const cJSON *v, const char *path) {
  char step[257];
  const char *p = path;
  if (strlen(path) >= sizeof(step))
    return NULL;
  while (v && *p) {
    size_t n = strcspn(p, ".");
    memcpy(step, p, n);
    step[n] = '\0';
    v = path_step(v, step);
    p += n;
    if (*p == '.')
      p++;
  }
  return v;
}

const cJSON *json_path(const cJSON *root, const char *path) {
  return path ? path_walk(root, path) : NULL;
}

/* A member name's hash from its length, its first eight bytes and its last
 * one: the same cost for any name, where hashing every byte was most of
 * what building an index took. Names alike in all of that only cost one
 * comparison more. */
static uint32_t name_hash(const char *s, size_t len) {
  uint64_t w = 0;
  memcpy(&w, s, len < 8 ? len : 8);
  w ^= (uint64_t)len * 0xff51afd7ed558ccdULL;
  w ^= (uint64_t)(unsigned char)(len ? s[len - 1] : 0) << 29;
  w *= 0x9e3779b97f4a7c15ULL;
  return (uint32_t)(w >> 32);
}

static int name_is(const cJSON *item, const char *name, size_t len) {
  return strncmp(item->string, name, len) == 0 && item->string[len] == '\0';
}

void json_index_build(struct json_index *ix, const cJSON *obj) {
  size_t n = 0, slots = 16;
  const cJSON *e;
  ix->obj = obj;
  ix->mask = 0;
  if (!cJSON_IsObject(obj))
    return;
  cJSON_ArrayForEach(e, obj) {
    if (!e->string || ++n > JSON_INDEX_MEMBERS)
      return; /* searched member by member */
  }
  while (slots < 2 * n)
    slots *= 2;
  ix->mask = slots - 1;
  memset(ix->slot, 0, slots * sizeof(ix->slot[0]));
  cJSON_ArrayForEach(e, obj) {
    size_t len = strlen(e->string);
    uint32_t h = name_hash(e->string, len);
    size_t i = h & ix->mask;
    /* A name seen before keeps its first member. */
    while (ix->slot[i].item &&
           !(ix->slot[i].hash == h && strcmp(ix->slot[i].item->string, e->string) == 0))
      i = (i + 1) & ix->mask;
    if (!ix->slot[i].item) {
      ix->slot[i].hash = h;
      ix->slot[i].item = e;
    }
  }
}

const cJSON *json_index_get(const struct json_index *ix, const char *name, size_t len) {
  uint32_t h;
  size_t i;
  if (!ix->mask) {
    char key[257];
    if (len >= sizeof(key))
      return NULL;
    memcpy(key, name, len);
    key[len] = '\0';
    return cJSON_IsObject(ix->obj) ? cJSON_GetObjectItemCaseSensitive(ix->obj, key) : NULL;
  }
  h = name_hash(name, len);
  for (i = h & ix->mask; ix->slot[i].item; i = (i + 1) & ix->mask)
    if (ix->slot[i].hash == h && name_is(ix->slot[i].item, name, len))
      return ix->slot[i].item;
  return NULL;
}

const cJSON *json_index_path(const struct json_index *ix, const char *path) {
  size_t n;
  const cJSON *v;
  if (!path || !cJSON_IsObject(ix->obj) || strlen(path) > 256)
    return json_path(ix->obj, path);
  if (!*path)
    return ix->obj;
  n = strcspn(path, ".");
  v = json_index_get(ix, path, n);
  return path[n] == '.' ? path_walk(v, path + n + 1) : v;
}

char *jdump(const cJSON *v, size_t *len) {
  char *s = cJSON_PrintUnformatted(v);
  if (s && len)
    *len = strlen(s);
  return s;
}

static int ws(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

int json_body_is_html(const char *body, size_t len) {
  static const char *const starts[] = {"<!doctype html", "<html",  "<head", "<body",
                                       "<!--",           "<title", "<meta", "<?xml"};
  size_t i = 0;
  if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
    i = 3; /* a byte-order mark */
  while (i < len && ws(body[i]))
    i++;
  for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
    size_t n = strlen(starts[k]);
    if (len - i >= n && strncasecmp(body + i, starts[k], n) == 0)
      return 1;
  }
  return 0;
}

/* Whether text that does not parse stops while a string, list or object is
 * still open, with the brackets before that matched: JSON cut short. (cJSON's
 * error position cannot tell: inside a string it points at the string's
 * start.) */
static int json_is_cut(const char *text, size_t len) {
  char stack[256];
  size_t depth = 0, i;
  int in_string = 0;
  for (i = 0; i < len; i++) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = 0;
    } else if (c == '"') {
      in_string = 1;
    } else if (c == '{' || c == '[') {
      if (depth == sizeof(stack))
        return 0;
      stack[depth++] = c;
    } else if (c == '}' || c == ']') {
      if (!depth || stack[depth - 1] != (c == '}' ? '{' : '['))
        return 0;
      depth--;
    }
  }
  return in_string || depth > 0;
}

const char *json_body_kind(const char *body, size_t len) {
  const char *end = NULL, *stop = body + len;
  cJSON *v;
  size_t i = 0;
  while (body && i < len && ws(body[i]))
    i++;
  if (!body || i == len)
    return "an empty body";
  if (json_body_is_html(body, len))
    return "an HTML page";
  if (utf8_check(body, len) != len)
    return "a body that is not UTF-8";
  v = cJSON_ParseWithLengthOpts(body, len, &end, 0);
  if (v) {
    cJSON_Delete(v);
    while (end < stop && ws(*end))
      end++;
    return end == stop ? NULL : "malformed JSON";
  }
  return json_is_cut(body, len) ? "a cut JSON body" : "malformed JSON";
}

cJSON *jparse(const char *text, size_t len, struct err *err) {
  const char *end = NULL;
  cJSON *v;
  size_t bad;
  if (!text || !len) {
    err_set(err, MS_EPROTO, "empty JSON body");
    return NULL;
  }
  if (json_body_is_html(text, len)) {
    err_set(err, MS_EPROTO, "an HTML page came back where JSON was expected");
    return NULL;
  }
  bad = utf8_check(text, len);
  if (bad != len) {
    err_set(err, MS_EPROTO, "the answer is not valid UTF-8 (byte %zu)", bad);
    return NULL;
  }
  v = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!v) {
    if (json_is_cut(text, len))
      err_set(err, MS_EPROTO, "a cut JSON body (it stops at byte %zu, before its end)", len);
    else
      err_set(err, MS_EPROTO, "malformed JSON at byte %ld", end ? (long)(end - text) : 0L);
    return NULL;
  }
  while (end < text + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
    end++;
  if (end != text + len) {
    cJSON_Delete(v);
    err_set(err, MS_EPROTO, "unexpected data after the JSON value at byte %ld", (long)(end - text));
    return NULL;
  }
  return v;
}

/* ---- parsing into an arena --------------------------------------------- */

/* An element of a page parses into a few hundred small blocks (a node per
 * value, a copy per string), and freeing them one by one cost about as much
 * as making them: malloc and free were a fifth of a sync's instructions.
 * The walk parses each element into an arena instead, and drops it whole
 * once the callback has read it. cJSON's hooks are process-wide, so they
 * divert only what this thread allocates while it parses into an arena;
 * every other allocation goes to malloc and free as before. */

#define ARENA_CHUNK (64 * 1024) /* bytes of a first chunk: an order takes about 30 KiB */

struct arena_chunk {
  struct arena_chunk *next; /* the chunk filled before this one */
  size_t size;              /* bytes of data */
  size_t used;              /* bytes handed out */
  alignas(max_align_t) unsigned char data[];
};

struct arena {
  struct arena_chunk *head; /* the chunk being filled; NULL before the first block */
  size_t want;              /* bytes for the next first chunk: what an element took */
  int nomem;                /* a chunk could not be had */
};

static _Thread_local struct arena *parsing; /* this thread's parse in progress, or NULL */

static void *arena_alloc(struct arena *a, size_t n) {
  size_t need = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
  struct arena_chunk *c = a->head;
  if (!c || c->size - c->used < need) {
    size_t size = a->want > ARENA_CHUNK ? a->want : ARENA_CHUNK;
    if (size < need)
      size = need;
    c = malloc(sizeof(*c) + size);
    if (!c) {
      a->nomem = 1;
      return NULL;
    }
    c->next = a->head;
    c->size = size;
    c->used = 0;
    a->head = c;
  }
  c->used += need;
  return c->data + c->used - need;
}

static int arena_owns(const struct arena *a, const void *p) {
  const unsigned char *b = p;
  for (const struct arena_chunk *c = a->head; c; c = c->next)
    if (b >= c->data && b < c->data + c->size)
      return 1;
  return 0;
}

/* Drops every block. An element that needed several chunks leaves one
 * chunk as large as all of them for the next. */
static void arena_reset(struct arena *a) {
  size_t total = 0;
  a->nomem = 0;
  if (!a->head)
    return;
  if (!a->head->next) {
    a->head->used = 0;
    return;
  }
  while (a->head) {
    struct arena_chunk *c = a->head;
    total += c->size;
    a->head = c->next;
    free(c);
  }
  a->want = total;
}

static void arena_release(struct arena *a) {
  while (a->head) {
    struct arena_chunk *c = a->head;
    a->head = c->next;
    free(c);
  }
}

static void *hook_malloc(size_t n) {
  return parsing ? arena_alloc(parsing, n) : malloc(n);
}

/* cJSON frees a block of the arena only when a parse fails: the arena drops
 * it with the rest. */
static void hook_free(void *p) {
  if (parsing && arena_owns(parsing, p))
    return;
  free(p);
}

static void hooks_install(void) {
  cJSON_Hooks h = {hook_malloc, hook_free};
  cJSON_InitHooks(&h);
}

void json_init(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, hooks_install);
}

/* A cursor over the body for the top-level walk. */
struct scan {
  const char *p;      /* next byte */
  const char *end;    /* one past the last */
  const char *start;  /* for offsets in messages */
  struct arena arena; /* the value being read: dropped with arena_reset */
};

static void skip_ws(struct scan *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
    s->p++;
}

static int fail_at(struct scan *s, struct err *err, const char *what) {
  if (json_is_cut(s->start, (size_t)(s->end - s->start)))
    return err_set(err, MS_EPROTO, "a cut JSON body (it stops at byte %ld, before its end)",
                   (long)(s->end - s->start));
  return err_set(err, MS_EPROTO, "malformed JSON at byte %ld: %s", (long)(s->p - s->start), what);
}

/* Reads a member name; *key points into the body (escapes left as sent). */
static int scan_key(struct scan *s, const char **key, size_t *klen, struct err *err) {
  if (s->p >= s->end || *s->p != '"')
    return fail_at(s, err, "expected a member name");
  const char *k = ++s->p;
  while (s->p < s->end && *s->p != '"') {
    if (*s->p == '\\')
      s->p++;
    s->p++;
  }
  if (s->p >= s->end)
    return fail_at(s, err, "unterminated member name");
  *key = k;
  *klen = (size_t)(s->p - k);
  s->p++;
  return MS_OK;
}

/* Parses one value at the cursor with cJSON into the scan's arena (the
 * tree is dropped with arena_reset, never cJSON_Delete) and moves past it. */
static int scan_value(struct scan *s, cJSON **out, struct err *err) {
  const char *vend = NULL;
  parsing = &s->arena;
  *out = cJSON_ParseWithLengthOpts(s->p, (size_t)(s->end - s->p), &vend, 0);
  parsing = NULL;
  if (!*out) {
    int nomem = s->arena.nomem;
    arena_reset(&s->arena);
    if (nomem)
      return err_set(err, MS_ENOMEM, "out of memory reading JSON");
    if (vend)
      s->p = vend;
    return fail_at(s, err, "invalid value");
  }
  s->p = vend;
  return MS_OK;
}

static int walk_array(struct scan *s, json_elem_fn fn, void *ctx, struct err *err) {
  int rc = MS_OK;
  if (s->p >= s->end || *s->p != '[')
    return fail_at(s, err, "expected a list");
  s->p++;
  skip_ws(s);
  if (s->p < s->end && *s->p == ']') {
    s->p++;
    return MS_OK;
  }
  for (;;) {
    const char *raw;
    cJSON *v;
    skip_ws(s);
    raw = s->p;
    rc = scan_value(s, &v, err);
    if (rc)
      return rc;
    rc = fn(ctx, v, raw, (size_t)(s->p - raw));
    arena_reset(&s->arena);
    if (rc)
      return rc;
    skip_ws(s);
    if (s->p < s->end && *s->p == ',') {
      s->p++;
      continue;
    }
    if (s->p < s->end && *s->p == ']') {
      s->p++;
      return MS_OK;
    }
    return fail_at(s, err, "expected ',' or ']' in the list");
  }
}

/* Walks the members of the object at the cursor; the one named by the
 * first segment of path (of plen bytes) is the list (the last segment) or
 * the object to go into. *found tells whether it was met. */
static int walk_object(struct scan *s, const char *path, size_t plen, json_elem_fn fn, void *ctx,
                       int *found, int depth, struct err *err) {
  const char *dot = memchr(path, '.', plen);
  size_t want = dot ? (size_t)(dot - path) : plen;
  int rc;
  if (depth > 16)
    return fail_at(s, err, "the path to the list is too deep");
  if (s->p >= s->end || *s->p != '{')
    return fail_at(s, err, "expected an object");
  s->p++;
  skip_ws(s);
  if (s->p < s->end && *s->p == '}') {
    s->p++;
    return MS_OK;
  }
  for (;;) {
    const char *k = NULL;
    size_t klen = 0;
    skip_ws(s);
    rc = scan_key(s, &k, &klen, err);
    if (rc)
      return rc;
    skip_ws(s);
    if (s->p >= s->end || *s->p != ':')
      return fail_at(s, err, "expected ':'");
    s->p++;
    skip_ws(s);
    if (klen == want && memcmp(k, path, want) == 0 && (dot || !*found) &&
        (!dot || (s->p < s->end && *s->p == '{'))) {
      if (dot) {
        rc = walk_object(s, dot + 1, plen - want - 1, fn, ctx, found, depth + 1, err);
      } else {
        *found = 1;
        rc = walk_array(s, fn, ctx, err);
      }
      if (rc)
        return rc;
    } else {
      if (!dot && klen == want && memcmp(k, path, want) == 0)
        return fail_at(s, err, "the list appears twice");
      cJSON *skip;
      rc = scan_value(s, &skip, err);
      if (rc)
        return rc;
      arena_reset(&s->arena);
    }
    skip_ws(s);
    if (s->p < s->end && *s->p == ',') {
      s->p++;
      continue;
    }
    if (s->p < s->end && *s->p == '}') {
      s->p++;
      return MS_OK;
    }
    return fail_at(s, err, "expected ',' or '}'");
  }
}

int json_each_at(const char *body, size_t len, const char *path, json_elem_fn fn, void *ctx,
                 struct err *err) {
  struct scan s = {body, body + len, body, {0}};
  int found = 0, rc;
  size_t bad;
  json_init();
  if (!body)
    return err_set(err, MS_EPROTO, "empty JSON body");
  /* A real API sends UTF-8; anything else is a damaged answer, not data. */
  bad = utf8_check(body, len);
  if (bad != len)
    return err_set(err, MS_EPROTO, "the answer is not valid UTF-8 (byte %zu)", bad);
  if (json_body_is_html(body, len))
    return err_set(err, MS_EPROTO, "an HTML page came back where JSON was expected");
  skip_ws(&s);
  if (!*path) {
    found = 1;
    rc = walk_array(&s, fn, ctx, err);
  } else {
    rc = walk_object(&s, path, strlen(path), fn, ctx, &found, 0, err);
  }
  arena_release(&s.arena);
  if (rc)
    return rc;
  skip_ws(&s);
  if (s.p != s.end)
    return fail_at(&s, err,
                   *path ? "unexpected data after the object" : "unexpected data after the list");
  return found ? MS_OK : err_set(err, MS_ENOTFOUND, "no \"%s\" list in the answer", path);
}

int json_each_in(const char *body, size_t len, const char *key, json_elem_fn fn, void *ctx,
                 struct err *err) {
  if (!key || !*key || strchr(key, '.'))
    return err_set(err, MS_EINVAL, "json_each_in takes one member name");
  return json_each_at(body, len, key, fn, ctx, err);
}
