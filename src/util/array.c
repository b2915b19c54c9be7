#include "util/array.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/err.h"

int array_reserve(void **items, size_t *cap, size_t need, size_t size, size_t first) {
  size_t n = *cap ? *cap : first;
  void *p;
  if (need <= *cap)
    return MS_OK;
  while (n < need) {
    if (n > SIZE_MAX / 2)
      return MS_ENOMEM;
    n *= 2;
  }
  if (size && n > SIZE_MAX / size)
    return MS_ENOMEM;
  p = realloc(*items, n * size);
  if (!p)
    return MS_ENOMEM;
  *items = p;
  *cap = n;
  return MS_OK;
}
