/* The clocks every layer reads: a monotonic one for pacing and timeouts,
 * and the wall clock for days, leases and schedules. */
#ifndef MS_UTIL_CLOCK_H
#define MS_UTIL_CLOCK_H

#include <stdint.h>

/* Monotonic clock in seconds. */
double mono_now(void);

/* Wall clock, UTC seconds. MARKETSYNC_NOW (an ISO 8601 time with an offset
 * or Z) starts it at that time, from which it runs on with real time (to
 * try schedules, or for tests); MARKETSYNC_NOW_OFFSET (seconds) shifts it.
 * An unreadable value is ignored. */
int64_t wall_now(void);

#endif
