/* Growing an array of fixed-size elements by doubling. */
#ifndef MS_UTIL_ARRAY_H
#define MS_UTIL_ARRAY_H

#include <stddef.h>

/* Makes room for at least `need` elements of `size` bytes in *items, whose
 * capacity is *cap (0 when *items is NULL); starts at `first`. MS_ENOMEM
 * leaves *items and *cap as they were. */
int array_reserve(void **items, size_t *cap, size_t need, size_t size, size_t first);

#endif
