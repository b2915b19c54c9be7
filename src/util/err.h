/* Error codes and error messages shared by every module.
 *
 * Every function that can fail returns MS_OK (0) or a negative code from
 * enum ms_code, and MAY fill a caller-supplied struct err with a one-line
 * message written for a person. Library code never prints and never exits.
 */
#ifndef MS_UTIL_ERR_H
#define MS_UTIL_ERR_H

#include <stdarg.h>

enum ms_code {
  MS_OK = 0,
  MS_EINVAL = -1,     /* bad argument, config or input */
  MS_ENOMEM = -2,     /* out of memory */
  MS_EIO = -3,        /* local file or system call failed */
  MS_ERATELIMIT = -4, /* remote said slow down (429) */
  MS_ETRANSIENT = -5, /* 5xx, timeout, reset, truncated body: try again */
  MS_EAUTH = -6,      /* credentials refused or expired */
  MS_EPROTO = -7,     /* remote answered something we cannot understand */
  MS_ECURSOR = -8,    /* remote rejected our page cursor: restart the slice */
  MS_EFATAL = -9,     /* remote refused the request for good (4xx) */
  MS_ENOTFOUND = -10, /* no such thing (source, slice, row) */
  MS_EDB = -11,       /* database error */
  MS_EBUSY = -12,     /* database locked by another process or connection */
  MS_ELEASE = -13,    /* our lease was lost: another worker owns the slice */
  MS_ETOOBIG = -14,   /* input over a configured limit */
  MS_EVERSION = -15,  /* database written by a newer marketsync */
  MS_EEXIST = -16,    /* already exists */
  MS_EINTR = -17,     /* interrupted by a signal */
  MS_EHELD = -18,     /* another worker's lease holds the slice */
  MS_EUNREACH = -19,  /* the host cannot be reached (refused, unknown name): retryable */
  MS_ESCOPE = -20,    /* the credentials may not read this (a missing scope): that stream
                         fails, the source's others go on */
  MS_EPERM = -21,     /* not allowed: an unknown or revoked API token, a wrong password */
  MS_EKEY = -22,      /* a sealed secret cannot be opened: no master key, another master key,
                         or a ciphertext that was altered or moved; a person must act */
};

#define MS_ERR_MSG_MAX 512

struct err {
  int code;                 /* last code set, MS_OK when none */
  char msg[MS_ERR_MSG_MAX]; /* one line, no trailing newline */
};

/* Sets code and message; returns code so callers can `return err_set(...)`.
 * err MAY be NULL. */
int err_set(struct err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int err_setv(struct err *err, int code, const char *fmt, va_list ap);

/* Prefixes the existing message with more context ("day 2026-01-02: ..."). */
int err_prefix(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void err_clear(struct err *err);

/* A short name for the code, like "rate-limited". */
const char *ms_strerror(int code);

/* True when the same request may succeed if sent again later. This is the one
 * place that decides which failures are retryable. */
int ms_retryable(int code);

#endif
