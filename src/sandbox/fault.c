#include "sandbox/fault.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/prng.h"

static const char *const names[SB_FAULT_N] = {
    "",          "500",       "502",   "503",  "429",  "429-date", "429-bare", "hang", "reset",
    "truncated", "malformed", "shape", "huge", "deep", "utf8",     "expired",  "html"};

const char *sb_fault_name(int kind) {
  return kind > 0 && kind < SB_FAULT_N ? names[kind] : "";
}

int sb_fault_lookup(const char *name, size_t len) {
  for (int k = 1; k < SB_FAULT_N; k++)
    if (strlen(names[k]) == len && memcmp(names[k], name, len) == 0)
      return k;
  return SB_FAULT_NONE;
}

int sb_fault_applies(int kind, enum sb_fault_api api) {
  if (kind <= SB_FAULT_NONE || kind >= SB_FAULT_N)
    return 0;
  return kind != SB_FAULT_EXPIRED || api == SB_API_SP || api == SB_API_ADMITAD;
}

int sb_fault_counted(int kind) {
  return kind != SB_FAULT_NONE && kind != SB_FAULT_429 && kind != SB_FAULT_429_DATE &&
         kind != SB_FAULT_429_BARE && kind != SB_FAULT_EXPIRED;
}

int sb_fault_wire(int kind) {
  return kind == SB_FAULT_HANG || kind == SB_FAULT_RESET || kind == SB_FAULT_TRUNCATED;
}

double sb_fault_probs_sum(const struct sb_fault_probs *probs) {
  double sum = 0;
  for (int k = 1; k < SB_FAULT_N; k++)
    sum += probs->p[k];
  return sum;
}

static int kinds_list(char *out, size_t len) {
  size_t n = 0;
  out[0] = '\0';
  for (int k = 1; k < SB_FAULT_N && n < len; k++)
    n += (size_t)snprintf(out + n, len - n, "%s%s", k > 1 ? ", " : "", names[k]);
  return MS_OK;
}

int sb_fault_spec_parse(const char *spec, struct sb_fault_probs *probs, struct err *err) {
  struct sb_fault_probs out = *probs;
  const char *s = spec;
  char kinds[200];
  kinds_list(kinds, sizeof(kinds));
  if (!*s)
    return err_set(err, MS_EINVAL,
                   "the fault list is empty; give KIND=P[,KIND=P...], e.g. "
                   "500=0.02,reset=0.01");
  while (*s) {
    const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
    const char *eq = memchr(s, '=', (size_t)(end - s));
    int kind;
    char num[32], *numend;
    double p;
    if (!eq)
      return err_set(err, MS_EINVAL, "'%.*s' needs the form KIND=PROBABILITY, e.g. 500=0.02",
                     (int)(end - s > 60 ? 60 : end - s), s);
    kind = sb_fault_lookup(s, (size_t)(eq - s));
    if (!kind)
      return err_set(err, MS_EINVAL, "unknown fault kind '%.*s'; the kinds are %s",
                     (int)(eq - s > 40 ? 40 : eq - s), s, kinds);
    if ((size_t)(end - eq - 1) == 0 || (size_t)(end - eq - 1) >= sizeof(num))
      return err_set(err, MS_EINVAL, "the probability of '%s' must be a number from 0 to 1",
                     names[kind]);
    memcpy(num, eq + 1, (size_t)(end - eq - 1));
    num[end - eq - 1] = '\0';
    errno = 0;
    p = strtod(num, &numend);
    if (errno || *numend || !isfinite(p) || p < 0 || p > 1)
      return err_set(err, MS_EINVAL,
                     "the probability of '%s' is '%s'; it must be a number from 0 to 1",
                     names[kind], num);
    out.p[kind] = p;
    s = comma ? comma + 1 : end;
    if (comma && !*s)
      return err_set(err, MS_EINVAL, "the fault list ends with a comma");
  }
  if (sb_fault_probs_sum(&out) > 1.0 + 1e-9)
    return err_set(err, MS_EINVAL,
                   "the fault probabilities add up to %.4g; together they must not exceed 1",
                   sb_fault_probs_sum(&out));
  *probs = out;
  return MS_OK;
}

void sb_fault_state_init(struct sb_fault_state *st, const char *name) {
  uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a: a stream per name, independent of order */
  memset(st, 0, sizeof(*st));
  for (const char *c = name; *c; c++)
    h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
  st->id = h;
}

int sb_fault_draw(const struct sb_fault_probs *probs, uint64_t seed, uint64_t id, uint64_t n) {
  struct sb_rng r;
  double u, acc = 0;
  sb_rng_seed(&r, sb_hash4(seed, id, n, 0x6661756c74ULL));
  u = sb_rng_unit(&r);
  for (int k = 1; k < SB_FAULT_N; k++) {
    acc += probs->p[k];
    if (probs->p[k] > 0 && u < acc)
      return k;
  }
  return SB_FAULT_NONE;
}

int sb_fault_plan_add(struct sb_fault_state *st, const char *match, uint32_t nth, uint32_t times,
                      int kind, struct err *err) {
  struct sb_fault_plan *p;
  if (st->nplans == SB_FAULT_PLANS_MAX)
    return err_set(err, MS_ETOOBIG, "at most %d plans can wait per shop or seller",
                   SB_FAULT_PLANS_MAX);
  if (strlen(match) >= SB_FAULT_MATCH_MAX)
    return err_set(err, MS_EINVAL, "match must be at most %d bytes", SB_FAULT_MATCH_MAX - 1);
  if (nth < 1 || nth > SB_FAULT_TIMES_MAX || times < 1 || times > SB_FAULT_TIMES_MAX)
    return err_set(err, MS_EINVAL, "nth and times must be whole numbers from 1 to %d",
                   SB_FAULT_TIMES_MAX);
  if (kind <= SB_FAULT_NONE || kind >= SB_FAULT_N)
    return err_set(err, MS_EINVAL, "unknown fault kind");
  p = &st->plans[st->nplans++];
  memset(p, 0, sizeof(*p));
  snprintf(p->match, sizeof(p->match), "%s", match);
  p->skip = nth - 1;
  p->times = times;
  p->kind = (uint8_t)kind;
  return MS_OK;
}

/* The active plan's verdict on this request: a kind, or NONE. */
static int plan_step(struct sb_fault_state *st, const char *target) {
  struct sb_fault_plan *p = &st->plans[0];
  int kind;
  if (!st->nplans || !strstr(target, p->match))
    return SB_FAULT_NONE;
  if (p->skip) {
    p->skip--;
    return SB_FAULT_NONE;
  }
  kind = p->kind;
  if (--p->times == 0) {
    memmove(&st->plans[0], &st->plans[1], (size_t)(st->nplans - 1) * sizeof(st->plans[0]));
    st->nplans--;
  }
  return kind;
}

int sb_fault_next(struct sb_fault_state *st, uint64_t seed, enum sb_fault_api api,
                  const char *target) {
  int drawn = sb_fault_draw(&st->probs, seed, st->id, st->draws++);
  int planned = plan_step(st, target);
  int kind = planned ? planned : drawn;
  if (!sb_fault_applies(kind, api))
    return SB_FAULT_NONE;
  st->counts[kind]++;
  return kind;
}
