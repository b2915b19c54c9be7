/* Fuzzes link_find (RFC 8288 Link header): the input is the header value.
 * Looks up rel next and previous into a large buffer, then the found URL
 * again into buffers one byte too small and just large enough, each
 * allocated to its exact size so that ASan catches a write past it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "net/headers.h"
#include "util/err.h"

#define BIG 8192 /* what the Shopify connector uses */

static void check_rel(const char *header, const char *rel, size_t small) {
  char *big = malloc(BIG), *tiny;
  int rc;
  size_t n;
  if (!big)
    abort();
  rc = link_find(header, rel, big, BIG);
  FUZZ_CHECK(rc == MS_OK || rc == MS_ENOTFOUND || rc == MS_ETOOBIG || rc == MS_EINVAL);
  if (rc == MS_OK) {
    n = strlen(big);
    FUZZ_CHECK(n > 0 && n < BIG);
    FUZZ_CHECK(strstr(header, big) != NULL);
    /* Just too small: refused, nothing written past the buffer. */
    tiny = malloc(n);
    if (!tiny)
      abort();
    FUZZ_CHECK(link_find(header, rel, tiny, n) == MS_ETOOBIG);
    free(tiny);
    /* Exactly large enough: the same URL. */
    tiny = malloc(n + 1);
    if (!tiny)
      abort();
    FUZZ_CHECK(link_find(header, rel, tiny, n + 1) == MS_OK && strcmp(tiny, big) == 0);
    free(tiny);
  }
  /* A small buffer whose size the input chooses. */
  tiny = malloc(small);
  if (!tiny)
    abort();
  rc = link_find(header, rel, tiny, small);
  FUZZ_CHECK(rc == MS_OK || rc == MS_ENOTFOUND || rc == MS_ETOOBIG || rc == MS_EINVAL);
  if (rc == MS_OK)
    FUZZ_CHECK(strlen(tiny) < small);
  free(tiny);
  free(big);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *header = fuzz_strndup(data, size);
  size_t small = 1 + (size ? data[size - 1] % 64 : 0);
  check_rel(header, "next", small);
  check_rel(header, "previous", small);
  check_rel(header, "prev", small);
  free(header);
  return 0;
}
