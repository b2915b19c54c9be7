/* The shop's event log: what was created and destroyed, as events.json
 * lists it. Events are appended in time order and never change. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/array.h"
#include "sandbox/prng.h"
#include "sandbox/world.h"

#define EVENT_ID_BASE 8000000000000ULL /* 13 digits */
#define SALT_EVENT 601

static const char *const subjects[SB_SUBJ_COUNT] = {"Order", "Product", "Customer"};
static const char *const verbs[SB_VERB_COUNT] = {"create", "destroy"};

const char *sb_subject_name(int subject) {
  return subject >= 0 && subject < SB_SUBJ_COUNT ? subjects[subject] : "Order";
}

const char *sb_verb_name(int verb) {
  return verb >= 0 && verb < SB_VERB_COUNT ? verbs[verb] : "create";
}

int sb_subject_lookup(const char *name, size_t len) {
  for (int i = 0; i < SB_SUBJ_COUNT; i++)
    if (len == strlen(subjects[i]) && strncasecmp(name, subjects[i], len) == 0)
      return i;
  return -1;
}

int sb_event_add(struct sb_shop *s, int subject, int verb, uint64_t subject_id, const char *arg,
                 int64_t now) {
  struct sb_event *e;
  uint64_t seq = s->nevents;
  int rc;
  if (s->nevents >= SB_MAX_EVENTS)
    return MS_ETOOBIG;
  rc = array_reserve((void **)&s->events, &s->events_cap, s->nevents + 1, sizeof(*s->events), 64);
  if (rc)
    return rc;
  if (s->nevents && now < s->events[s->nevents - 1].created_at)
    now = s->events[s->nevents - 1].created_at;
  e = &s->events[s->nevents++];
  memset(e, 0, sizeof(*e));
  e->id = EVENT_ID_BASE + ((seq * SB_MAX_SHOPS + (uint64_t)s->index) << 4) +
          (sb_hash4(s->seed, (uint64_t)s->index, seq, SALT_EVENT) & 15);
  e->subject_id = subject_id;
  e->created_at = now;
  e->subject = (uint8_t)subject;
  e->verb = (uint8_t)verb;
  snprintf(e->arg, sizeof(e->arg), "%s", arg ? arg : "");
  return MS_OK;
}
