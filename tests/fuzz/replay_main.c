/* Replays a libFuzzer corpus without libFuzzer: calls LLVMFuzzerTestOneInput
 * once for every regular file named on the command line or found in a
 * directory named there (not recursively). This is how the ordinary build
 * (gcc, or the sanitizer build) runs the seed corpus and the regressions in
 * `make test`. Exit status 0 when every input ran, 1 when a file could not
 * be read or nothing was found; a crash stays a crash. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_INPUT (16u << 20) /* larger files are not inputs of ours */

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  struct stat sb;
  uint8_t *data;
  size_t n;
  if (!f || fstat(fileno(f), &sb) != 0 || sb.st_size < 0 || sb.st_size > REPLAY_MAX_INPUT) {
    fprintf(stderr, "replay: cannot read %s: %s\n", path, f ? "too large" : strerror(errno));
    if (f)
      fclose(f);
    return 1;
  }
  n = (size_t)sb.st_size;
  /* Exactly n bytes, so that a read past the input is caught by ASan. */
  data = malloc(n ? n : 1);
  if (!data || fread(data, 1, n, f) != n) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    free(data);
    fclose(f);
    return 1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(data, n);
  free(data);
  return 0;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays the files of a directory in name order (stable output). */
static int replay_dir(const char *dir, int *count) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, cap = 0;
  int bad = 0;
  if (!d) {
    fprintf(stderr, "replay: cannot open %s: %s\n", dir, strerror(errno));
    return 1;
  }
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (n == cap) {
      char **p = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*p));
      if (!p)
        abort();
      names = p;
    }
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    names[n] = malloc(len);
    if (!names[n])
      abort();
    snprintf(names[n], len, "%s/%s", dir, e->d_name);
    n++;
  }
  closedir(d);
  if (n)
    qsort(names, n, sizeof(*names), cmp_names);
  for (size_t i = 0; i < n; i++) {
    struct stat sb;
    if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
      bad |= replay_file(names[i]);
      (*count)++;
    }
    free(names[i]);
  }
  free(names);
  return bad;
}

int main(int argc, char **argv) {
  int bad = 0, count = 0;
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR|FILE...\nReplays fuzzing inputs through the target.\n", argv[0]);
    return 1;
  }
  for (int i = 1; i < argc; i++) {
    struct stat sb;
    if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
      bad |= replay_dir(argv[i], &count);
    } else {
      bad |= replay_file(argv[i]);
      count++;
    }
  }
  /* fd 2 directly: a target MAY have sent stdout and stderr elsewhere. */
  dprintf(2, "replayed %d inputs\n", count);
  if (count == 0) {
    fprintf(stderr, "replay: no inputs found\n");
    return 1;
  }
  return bad;
}
