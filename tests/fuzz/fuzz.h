/* Helpers shared by the libFuzzer targets: turn the fuzzer's bytes into the
 * NUL-terminated strings and split inputs the parsers take, in buffers sized
 * exactly so that AddressSanitizer sees any read past the end. */
#ifndef MS_TESTS_FUZZ_FUZZ_H
#define MS_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of data[0, size) (caller frees); embedded NULs end
 * the string early, as they would in a header. Aborts when out of memory:
 * the fuzzer must not mistake that for a finding. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    abort();
  if (size)
    memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

/* Splits the input at its first '\n': [0, *head_len) is the head, the rest
 * (after the newline) the tail. Without a newline the whole input is the
 * tail and *has_head is 0. */
static inline const uint8_t *fuzz_split_line(const uint8_t *data, size_t size, size_t *head_len,
                                             int *has_head, size_t *tail_len) {
  const uint8_t *nl = size ? memchr(data, '\n', size) : NULL;
  if (!nl) {
    *has_head = 0;
    *head_len = 0;
    *tail_len = size;
    return data;
  }
  *has_head = 1;
  *head_len = (size_t)(nl - data);
  *tail_len = size - *head_len - 1;
  return nl + 1;
}

/* Stops the run with a message when an invariant of a parser fails: the
 * fuzzer records the input as a crash. */
#define FUZZ_CHECK(cond)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);                 \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

#endif
