/* The affiliate accounts' part of the sandbox's command line: account specs
 * and their credentials, checked here so that the command only reports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/affiliate.h"
#include "util/tz.h"

void sb_aff_config_defaults(struct sb_aff_config *c) {
  memset(c, 0, sizeof(*c));
  c->token_lifetime = SB_ADM_LIFETIME_DEFAULT;
  c->speed = 1;
  c->admitad_limit = SB_ADM_LIMIT_DEFAULT;
  c->boostiny_limit = SB_BST_LIMIT_DEFAULT;
  c->lockout_after = SB_BST_LOCKOUT_AFTER;
  c->lockout_minutes = SB_BST_LOCKOUT_MINUTES;
}

static int valid_name(const char *s, size_t n) {
  if (n == 0 || n >= SB_SHOP_NAME_MAX || s[0] == '-')
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
      return 0;
  return 1;
}

int sb_aff_name_taken(const struct sb_aff_config *c, const char *name) {
  for (int i = 0; i < c->nadmitad; i++)
    if (strcmp(c->admitad[i].name, name) == 0)
      return 1;
  for (int i = 0; i < c->nboostiny; i++)
    if (strcmp(c->boostiny[i].name, name) == 0)
      return 1;
  return 0;
}

/* NAME[:PER_DAY[:TZ]] into its parts; what is absent keeps its default. */
static int parse_spec(const char *arg, const char *opt, const char *what, char *name, char *tzid,
                      int *per_day, struct err *err) {
  const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  size_t nlen = c1 ? (size_t)(c1 - arg) : strlen(arg);
  char num[24], *end;
  if (!valid_name(arg, nlen))
    return err_set(err, MS_EINVAL,
                   "%s name '%.*s' must be 1 to 31 lower-case letters, digits or dashes (%s "
                   "NAME[:%s[:TIMEZONE]])",
                   opt, (int)(nlen < 64 ? nlen : 64), arg, opt, what);
  memcpy(name, arg, nlen);
  name[nlen] = '\0';
  if (c1) {
    size_t len = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
    long v = -1;
    if (len > 0 && len < sizeof(num) && c1[1] >= '0' && c1[1] <= '9') {
      snprintf(num, sizeof(num), "%.*s", (int)len, c1 + 1);
      errno = 0;
      v = strtol(num, &end, 10);
      if (errno || *end)
        v = -1;
    }
    if (v < 0 || v > SB_AFF_PER_DAY_MAX)
      return err_set(err, MS_EINVAL, "%s in %s '%.80s' must be a whole number from 0 to %d", what,
                     opt, arg, SB_AFF_PER_DAY_MAX);
    *per_day = (int)v;
  }
  if (c2) {
    struct tz *tz;
    if (!c2[1] || strlen(c2 + 1) >= SB_TZID_MAX)
      return err_set(err, MS_EINVAL,
                     "%s '%.80s' has no valid time zone; use an IANA name such as Europe/Moscow",
                     opt, arg);
    snprintf(tzid, SB_TZID_MAX, "%s", c2 + 1);
    if (tz_open(tzid, &tz, err))
      return MS_EINVAL;
    tz_free(tz);
  }
  return MS_OK;
}

int sb_aff_parse_admitad(struct sb_aff_config *c, const char *arg, struct err *err) {
  struct sb_adm_conf a;
  memset(&a, 0, sizeof(a));
  if (c->nadmitad == SB_AFF_MAX)
    return err_set(err, MS_EINVAL, "at most %d Admitad accounts can be served", SB_AFF_MAX);
  snprintf(a.tzid, sizeof(a.tzid), "%s", SB_ADM_TZ_DEFAULT);
  a.per_day = SB_ADM_PER_DAY_DEFAULT;
  if (parse_spec(arg, "--admitad", "ACTIONS_PER_DAY", a.name, a.tzid, &a.per_day, err))
    return MS_EINVAL;
  if (sb_aff_name_taken(c, a.name))
    return err_set(err, MS_EINVAL,
                   "the name '%s' is given twice; shop, seller and account names must all be "
                   "unique",
                   a.name);
  snprintf(a.client_id, sizeof(a.client_id), "sandbox-admitad-%s", a.name);
  snprintf(a.client_secret, sizeof(a.client_secret), "sandbox-admitad-secret-%s", a.name);
  c->admitad[c->nadmitad++] = a;
  return MS_OK;
}

int sb_aff_parse_boostiny(struct sb_aff_config *c, const char *arg, struct err *err) {
  struct sb_bst_conf b;
  memset(&b, 0, sizeof(b));
  if (c->nboostiny == SB_AFF_MAX)
    return err_set(err, MS_EINVAL, "at most %d Boostiny accounts can be served", SB_AFF_MAX);
  snprintf(b.tzid, sizeof(b.tzid), "%s", SB_BST_TZ_DEFAULT);
  b.per_day = SB_BST_PER_DAY_DEFAULT;
  if (parse_spec(arg, "--boostiny", "ROWS_PER_DAY", b.name, b.tzid, &b.per_day, err))
    return MS_EINVAL;
  if (sb_aff_name_taken(c, b.name))
    return err_set(err, MS_EINVAL,
                   "the name '%s' is given twice; shop, seller and account names must all be "
                   "unique",
                   b.name);
  snprintf(b.api_key, sizeof(b.api_key), "sandbox-boostiny-%s", b.name);
  c->boostiny[c->nboostiny++] = b;
  return MS_OK;
}

/* A credential: printable ASCII without spaces or colons (it travels in
 * headers and in a Basic pair), 1..127 characters. */
static int valid_secret(const char *s, size_t n) {
  if (n == 0 || n >= SB_AFF_SECRET_MAX)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == ':')
      return 0;
  return 1;
}

int sb_aff_parse_admitad_client(struct sb_aff_config *c, const char *arg, struct err *err) {
  const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (!c1 || !c2)
    return err_set(err, MS_EINVAL,
                   "--admitad-client '%.80s' needs the form NAME:CLIENT_ID:CLIENT_SECRET", arg);
  for (int i = 0; i < c->nadmitad; i++) {
    struct sb_adm_conf *a = &c->admitad[i];
    if (strlen(a->name) != (size_t)(c1 - arg) || memcmp(a->name, arg, (size_t)(c1 - arg)) != 0)
      continue;
    if (!valid_secret(c1 + 1, (size_t)(c2 - c1 - 1)) || !valid_secret(c2 + 1, strlen(c2 + 1)))
      return err_set(err, MS_EINVAL,
                     "--admitad-client for '%s': the client id and secret must be 1 to %d "
                     "printable characters without spaces or colons",
                     a->name, SB_AFF_SECRET_MAX - 1);
    snprintf(a->client_id, sizeof(a->client_id), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
    snprintf(a->client_secret, sizeof(a->client_secret), "%s", c2 + 1);
    return MS_OK;
  }
  return err_set(err, MS_EINVAL,
                 "--admitad-client '%.*s': no Admitad account has that name; give --admitad "
                 "NAME first",
                 (int)((c1 - arg) < 40 ? (c1 - arg) : 40), arg);
}

int sb_aff_parse_boostiny_key(struct sb_aff_config *c, const char *arg, struct err *err) {
  const char *c1 = strchr(arg, ':');
  if (!c1)
    return err_set(err, MS_EINVAL, "--boostiny-key '%.80s' needs the form NAME:KEY", arg);
  for (int i = 0; i < c->nboostiny; i++) {
    struct sb_bst_conf *b = &c->boostiny[i];
    if (strlen(b->name) != (size_t)(c1 - arg) || memcmp(b->name, arg, (size_t)(c1 - arg)) != 0)
      continue;
    if (!valid_secret(c1 + 1, strlen(c1 + 1)))
      return err_set(err, MS_EINVAL,
                     "--boostiny-key for '%s': the key must be 1 to %d printable characters "
                     "without spaces or colons",
                     b->name, SB_AFF_SECRET_MAX - 1);
    snprintf(b->api_key, sizeof(b->api_key), "%s", c1 + 1);
    return MS_OK;
  }
  return err_set(err, MS_EINVAL,
                 "--boostiny-key '%.*s': no Boostiny account has that name; give --boostiny "
                 "NAME first",
                 (int)((c1 - arg) < 40 ? (c1 - arg) : 40), arg);
}

unsigned long long sb_aff_expected_records(const struct sb_aff_config *c, int days) {
  unsigned long long total = 0;
  for (int i = 0; i < c->nadmitad; i++)
    total += (unsigned long long)c->admitad[i].per_day * (unsigned long long)(days + 1);
  for (int i = 0; i < c->nboostiny; i++)
    total += (unsigned long long)c->boostiny[i].per_day * (unsigned long long)(days + 1);
  return total;
}
