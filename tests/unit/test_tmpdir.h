/* A temporary directory for the files of one unit test program, under
 * MS_TEST_TMP (default /tmp), emptied and removed at its end. Shared by the
 * store suite (test_store_streams.h) and the tests of secrets and auth. */
#ifndef MS_TESTS_TEST_TMPDIR_H
#define MS_TESTS_TEST_TMPDIR_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char test_tmpdir[512];

/* Makes the directory, named from `prefix` ("test_auth"): 0, or -1. */
static __attribute__((unused)) int test_tmpdir_make(const char *prefix) {
  const char *base = getenv("MS_TEST_TMP");
  if (!base || !*base)
    base = "/tmp";
  if (mkdir(base, 0777) != 0 && errno != EEXIST)
    return -1;
  snprintf(test_tmpdir, sizeof(test_tmpdir), "%s/%s.XXXXXX", base, prefix);
  return mkdtemp(test_tmpdir) ? 0 : -1;
}

/* Removes the files in it, then it: rmdir's result. */
static __attribute__((unused)) int test_tmpdir_remove(void) {
  char path[1024];
  DIR *d = opendir(test_tmpdir);
  struct dirent *e;
  if (!d)
    return 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir, e->d_name);
    unlink(path);
  }
  closedir(d);
  return rmdir(test_tmpdir);
}

/* The path of a file of this name in it. */
static __attribute__((unused)) void test_tmpdir_path(const char *name, char *out, size_t size) {
  int n = snprintf(out, size, "%s/%s", test_tmpdir, name);
  assert_true(n > 0 && (size_t)n < size);
}

#endif
