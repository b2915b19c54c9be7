#include "util/clock.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util/tz.h"

double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* MARKETSYNC_NOW, read once: the time it names and when it was read. */
static struct {
  pthread_once_t once; /* reads the environment once */
  int set;             /* MARKETSYNC_NOW was given and readable */
  int64_t start;       /* the time it names, UTC seconds */
  double mono_start;   /* mono_now() when it was read */
} fixed = {PTHREAD_ONCE_INIT, 0, 0, 0};

static void read_fixed(void) {
  const char *v = getenv("MARKETSYNC_NOW");
  if (v && *v && time_parse(v, &fixed.start) == 0) {
    fixed.set = 1;
    fixed.mono_start = mono_now();
  }
}

int64_t wall_now(void) {
  const char *off = getenv("MARKETSYNC_NOW_OFFSET");
  int64_t shift = 0, now;
  pthread_once(&fixed.once, read_fixed);
  if (off && *off) {
    char *end;
    long long v = strtoll(off, &end, 10);
    if (*end == '\0')
      shift = v;
  }
  now = fixed.set ? fixed.start + (int64_t)(mono_now() - fixed.mono_start) : (int64_t)time(NULL);
  return now + shift;
}
