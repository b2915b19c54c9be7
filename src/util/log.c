#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_level current = LOG_INFO;

void log_set_level(enum log_level level) {
  current = level;
}

enum log_level log_get_level(void) {
  return current;
}

static void vlog(enum log_level level, const char *fmt, va_list ap) {
  static const char *names[] = {"", "error", "warning", "info", "debug"};
  char stamp[32];
  struct tm tm;
  time_t now = time(NULL);
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  fprintf(stderr, "%s %s: ", stamp, names[level]);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void log_msg(enum log_level level, const char *fmt, ...) {
  va_list ap;
  if (level > current)
    return;
  va_start(ap, fmt);
  vlog(level, fmt, ap);
  va_end(ap);
}

int log_error(int rc, const char *fmt, ...) {
  va_list ap;
  if (current >= LOG_ERROR) {
    va_start(ap, fmt);
    vlog(LOG_ERROR, fmt, ap);
    va_end(ap);
  }
  return rc;
}
