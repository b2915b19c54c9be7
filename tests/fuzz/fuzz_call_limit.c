/* Fuzzes the pacing headers: the input is the value of Shopify's
 * X-Shopify-Shop-Api-Call-Limit and of Amazon's x-amzn-RateLimit-Limit. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "net/headers.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *value = fuzz_strndup(data, size);
  int used = -1, bucket = -1, rc;
  double rate = -1;
  rc = call_limit_parse(value, &used, &bucket);
  FUZZ_CHECK(rc == MS_OK || rc == MS_EINVAL);
  if (rc == MS_OK)
    FUZZ_CHECK(used >= 0 && bucket >= 1 && bucket <= 1000000 && used <= 10 * bucket);
  rc = rate_limit_parse(value, &rate);
  FUZZ_CHECK(rc == MS_OK || rc == MS_EINVAL);
  if (rc == MS_OK)
    FUZZ_CHECK(isfinite(rate) && rate > 0 && rate <= 1e6);
  free(value);
  return 0;
}
