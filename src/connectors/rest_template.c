/* Templates of a spec: "{website}", "{day:dd.mm.yyyy}", "{since:iso}".
 * Checked once when the spec is read, expanded for every request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/rest_spec.h"
#include "util/json.h"

#define NAME_MAX_LEN 48   /* bytes of a variable's name */
#define FORMAT_MAX_LEN 64 /* bytes of a format */

/* The variables a slice gives, and what they hold. */
enum var_kind { VAR_SETTING, VAR_DAY, VAR_TIME };

struct slice_var {
  const char *name;   /* as written */
  enum var_kind kind; /* a day or an instant */
  int scope;          /* where it may be used */
};

static const struct slice_var slice_vars[] = {
    {"day", VAR_DAY, TPL_DAY},       {"day_start", VAR_TIME, TPL_DAY},
    {"day_end", VAR_TIME, TPL_DAY},  {"day_last", VAR_TIME, TPL_DAY},
    {"since", VAR_TIME, TPL_WINDOW}, {"until", VAR_TIME, TPL_WINDOW},
};

static const struct slice_var *slice_var(const char *name) {
  for (size_t i = 0; i < sizeof(slice_vars) / sizeof(slice_vars[0]); i++)
    if (strcmp(slice_vars[i].name, name) == 0)
      return &slice_vars[i];
  return NULL;
}

/* One {NAME[:FORMAT]} at p (just after the '{'): its name and format, and
 * where the text goes on. MS_EINVAL when it is not one. */
static int read_ref(const char *p, char *name, char *format, const char **next) {
  size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
  const char *close;
  if (n == 0 || n >= NAME_MAX_LEN || (p[0] >= '0' && p[0] <= '9'))
    return MS_EINVAL;
  memcpy(name, p, n);
  name[n] = '\0';
  p += n;
  format[0] = '\0';
  if (*p == ':') {
    close = strchr(++p, '}');
    if (!close || close == p || (size_t)(close - p) >= FORMAT_MAX_LEN || memchr(p, '{', close - p))
      return MS_EINVAL;
    memcpy(format, p, (size_t)(close - p));
    format[close - p] = '\0';
    p = close;
  }
  if (*p != '}')
    return MS_EINVAL;
  *next = p + 1;
  return MS_OK;
}

static int format_ok(const char *format) {
  return !*format || strcmp(format, "iso") == 0 || strcmp(format, "iso_utc") == 0 ||
         strcmp(format, "unix") == 0 || time_pattern_ok(format);
}

int rest_template_check(const struct rest_spec *spec, const char *tpl, int scope, const char *field,
                        struct err *err) {
  char name[NAME_MAX_LEN], format[FORMAT_MAX_LEN];
  const char *p = tpl;
  if (!tpl)
    return MS_OK;
  while (*p) {
    const struct slice_var *v;
    const struct rest_setting *set;
    if (*p != '{') {
      p++;
      continue;
    }
    if (p[1] == '{') {
      p += 2;
      continue;
    }
    if (read_ref(p + 1, name, format, &p))
      return err_set(err, MS_EINVAL,
                     "%s: '%.80s' has a brace that opens no {name} or {name:format}; write "
                     "{{ for a brace",
                     field, tpl);
    v = slice_var(name);
    set = v ? NULL : rest_spec_setting(spec, name);
    if (v && !(v->scope & scope))
      return err_set(err, MS_EINVAL, "%s: {%s} means nothing here; it belongs to the %s", field,
                     name,
                     v->scope == TPL_DAY ? "day_params of a stream sliced by day"
                                         : "window_params of an update-time window");
    if (!v && !set)
      return err_set(err, MS_EINVAL,
                     "%s: {%s} is neither a setting of the spec nor one of day, day_start, "
                     "day_end, day_last, since, until",
                     field, name);
    if (set && !(scope & TPL_SETTINGS))
      return err_set(err, MS_EINVAL, "%s: {%s}: settings cannot be used here", field, name);
    if (set && set->def.kind == SETTING_SECRET)
      return err_set(err, MS_EINVAL,
                     "%s: {%s} is a secret; secrets go only where the auth section sends them, "
                     "never into a URL",
                     field, name);
    if (set && *format)
      return err_set(err, MS_EINVAL, "%s: {%s:%s}: a setting takes no format", field, name, format);
    if (v && !format_ok(format))
      return err_set(err, MS_EINVAL,
                     "%s: {%s:%s}: the format is a pattern of yyyy, mm, dd, HH, MM, SS (such as "
                     "dd.mm.yyyy HH:MM:SS), or iso, iso_utc or unix",
                     field, name, format);
  }
  return MS_OK;
}

int rest_template_refers(const char *tpl, const char *name) {
  char ref[NAME_MAX_LEN], format[FORMAT_MAX_LEN];
  for (const char *p = tpl; p && *p;) {
    if (*p != '{') {
      p++;
    } else if (p[1] == '{') {
      p += 2;
    } else if (read_ref(p + 1, ref, format, &p)) {
      return 0;
    } else if (strcmp(ref, name) == 0) {
      return 1;
    }
  }
  return 0;
}

/* An instant as the format says, in the zone. */
static int time_text(int64_t t, const char *format, struct tz *zone, char *out, size_t n) {
  int off = 0;
  if (strcmp(format, "unix") == 0) {
    snprintf(out, n, "%lld", (long long)t);
    return MS_OK;
  }
  if (strcmp(format, "iso_utc") == 0 || (!zone && (!*format || strcmp(format, "iso") == 0))) {
    time_format(t, 0, 1, out);
    return MS_OK;
  }
  if (!*format || strcmp(format, "iso") == 0) {
    if (tz_offset_at(zone, t, &off))
      return MS_EINVAL;
    time_format(t, off, 0, out);
    return MS_OK;
  }
  return time_format_pattern(t, format, zone, out, n);
}

/* A setting's value as text: strings as they are, numbers whole, lists
 * joined by commas. */
static int setting_text(const cJSON *settings, const char *name, struct buf *tmp) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(settings, name), *e;
  if (cJSON_IsString(v))
    return buf_puts(tmp, v->valuestring);
  if (cJSON_IsNumber(v))
    return buf_printf(tmp, "%.0f", v->valuedouble);
  if (cJSON_IsBool(v))
    return buf_puts(tmp, cJSON_IsTrue(v) ? "true" : "false");
  if (cJSON_IsArray(v)) {
    int rc = MS_OK, first = 1;
    cJSON_ArrayForEach(e, v) {
      if (!rc && cJSON_IsString(e))
        rc = buf_printf(tmp, "%s%s", first ? "" : ",", e->valuestring);
      first = 0;
    }
    return rc;
  }
  return MS_ENOTFOUND;
}

static int var_text(const char *name, const char *format, const struct rest_vars *vars,
                    struct buf *tmp, struct err *err) {
  const struct slice_var *v = slice_var(name);
  char text[80];
  int64_t t;
  int rc;
  if (!v) {
    rc = setting_text(vars->settings, name, tmp);
    if (rc == MS_ENOTFOUND)
      return err_set(err, MS_EINVAL, "the setting %s has no value; add the source again with it",
                     name);
    return rc;
  }
  if (v->scope == TPL_DAY && !vars->has_day)
    return err_set(err, MS_EINVAL, "{%s} has no value outside a day", name);
  if (v->scope == TPL_WINDOW && !vars->has_window)
    return err_set(err, MS_EINVAL, "{%s} has no value outside a window", name);
  if (v->kind == VAR_DAY && !*format) {
    date_format(vars->day, text);
    return buf_puts(tmp, text);
  }
  t = strcmp(name, "day") == 0 || strcmp(name, "day_start") == 0 ? vars->day_start
      : strcmp(name, "day_end") == 0                             ? vars->day_end
      : strcmp(name, "day_last") == 0                            ? vars->day_end - 1
      : strcmp(name, "since") == 0                               ? vars->since
                                                                 : vars->until;
  if (time_text(t, format, vars->zone, text, sizeof(text)))
    return err_set(err, MS_EINVAL, "{%s:%s} cannot be written for this time", name, format);
  return buf_puts(tmp, text);
}

int rest_template_expand(const char *tpl, const struct rest_vars *vars, int url, struct buf *out,
                         struct err *err) {
  char name[NAME_MAX_LEN], format[FORMAT_MAX_LEN];
  struct buf tmp;
  int rc = MS_OK;
  buf_init(&tmp, 0);
  for (const char *p = tpl; p && *p && !rc;) {
    const char *lit = p;
    while (*p && *p != '{')
      p++;
    if (p > lit)
      rc = buf_append(out, lit, (size_t)(p - lit));
    if (rc || !*p)
      break;
    if (p[1] == '{') {
      rc = buf_putc(out, '{');
      p += 2;
      continue;
    }
    if (read_ref(p + 1, name, format, &p)) {
      rc = err_set(err, MS_EINVAL, "the template '%.80s' is damaged", tpl);
      break;
    }
    buf_reset(&tmp);
    rc = var_text(name, format, vars, &tmp, err);
    if (!rc && tmp.len)
      rc = url ? buf_url_encode(out, tmp.data) : buf_append(out, tmp.data, tmp.len);
  }
  buf_release(&tmp);
  if (rc == MS_ENOMEM)
    err_set(err, rc, "out of memory");
  return rc;
}
