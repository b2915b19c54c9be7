/* Fuzzes retry_after_parse: the input is the Retry-After value, read at a
 * few "now"s (the epoch, 2025, a year 2069 that flips the RFC 850 century,
 * the end of year 9999). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "net/headers.h"
#include "util/err.h"

static const int64_t nows[] = {0, 1763800000, 3138912000, 253402300799};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *value = fuzz_strndup(data, size);
  for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
    double secs = -1;
    int rc = retry_after_parse(value, nows[i], &secs);
    FUZZ_CHECK(rc == MS_OK || rc == MS_EINVAL);
    if (rc == MS_OK)
      FUZZ_CHECK(isfinite(secs) && secs >= 0 && secs <= 86400);
  }
  free(value);
  return 0;
}
