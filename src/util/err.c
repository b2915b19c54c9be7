#include "util/err.h"

#include <stdio.h>
#include <string.h>

int err_setv(struct err *err, int code, const char *fmt, va_list ap) {
  if (!err)
    return code;
  err->code = code;
  vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
  return code;
}

int err_set(struct err *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

int err_prefix(struct err *err, const char *fmt, ...) {
  char old[MS_ERR_MSG_MAX];
  size_t n;
  va_list ap;
  if (!err)
    return MS_OK;
  memcpy(old, err->msg, sizeof(old));
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
  va_end(ap);
  n = strlen(err->msg);
  /* Append ": old", cut to fit: the message stays one bounded line. */
  if (n + 2 < sizeof(err->msg)) {
    memcpy(err->msg + n, ": ", 2);
    n += 2;
    size_t room = sizeof(err->msg) - 1 - n, len = strnlen(old, sizeof(old) - 1);
    if (len > room)
      len = room;
    memcpy(err->msg + n, old, len);
    err->msg[n + len] = '\0';
  }
  return err->code;
}

void err_clear(struct err *err) {
  if (!err)
    return;
  err->code = MS_OK;
  err->msg[0] = '\0';
}

const char *ms_strerror(int code) {
  switch (code) {
  case MS_OK:
    return "ok";
  case MS_EINVAL:
    return "invalid input";
  case MS_ENOMEM:
    return "out of memory";
  case MS_EIO:
    return "I/O error";
  case MS_ERATELIMIT:
    return "rate-limited";
  case MS_ETRANSIENT:
    return "temporary failure";
  case MS_EAUTH:
    return "authentication failed";
  case MS_EPROTO:
    return "unexpected response";
  case MS_ECURSOR:
    return "cursor rejected";
  case MS_EFATAL:
    return "request refused";
  case MS_ENOTFOUND:
    return "not found";
  case MS_EDB:
    return "database error";
  case MS_EBUSY:
    return "busy";
  case MS_ELEASE:
    return "lease lost";
  case MS_ETOOBIG:
    return "too large";
  case MS_EVERSION:
    return "database from a newer version";
  case MS_EEXIST:
    return "already exists";
  case MS_EINTR:
    return "interrupted";
  case MS_EHELD:
    return "held by another worker";
  case MS_EUNREACH:
    return "cannot reach the host";
  case MS_ESCOPE:
    return "not allowed by the credentials";
  case MS_EPERM:
    return "not allowed";
  case MS_EKEY:
    return "master key problem";
  }
  return "unknown error";
}

int ms_retryable(int code) {
  return code == MS_ERATELIMIT || code == MS_ETRANSIENT || code == MS_EBUSY || code == MS_EUNREACH;
}
