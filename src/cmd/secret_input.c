/* Secrets typed or piped in: --NAME-stdin and passwords. Read into fixed
 * buffers that are wiped after use (no stdio line buffer that grows and
 * leaves copies behind), never echoed on a terminal, never printed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cmd/cmd.h"
#include "core/source.h"
#include "engine/auth.h"

/* Reads fd to its end or max + 1 bytes; *len gets what was read. */
static int read_all(int fd, char *buf, size_t max, size_t *len) {
  size_t n = 0;
  while (n <= max) {
    ssize_t got = read(fd, buf + n, max + 1 - n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return -1;
    if (got == 0)
      break;
    n += (size_t)got;
  }
  *len = n;
  return 0;
}

/* One line from the terminal on stdin, typed without echo. */
static int read_hidden_line(const char *prompt, char *buf, size_t size, size_t *len) {
  struct termios old, quiet;
  size_t n = 0;
  int rc = 0, restore = tcgetattr(STDIN_FILENO, &old) == 0;
  fprintf(stderr, "%s", prompt);
  fflush(stderr);
  if (restore) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  for (;;) {
    char c;
    ssize_t got = read(STDIN_FILENO, &c, 1);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0 || c == '\n')
      break;
    if (n + 1 >= size) {
      rc = -1; /* too long: the rest of the line is dropped */
      continue;
    }
    buf[n++] = c;
  }
  if (restore)
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  if (n && buf[n - 1] == '\r')
    n--;
  buf[n] = '\0';
  *len = n;
  return rc;
}

static char *trimmed_copy(const char *s, size_t n, size_t *len) {
  char *out;
  while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
    s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
    n--;
  out = malloc(n + 1);
  if (out) {
    memcpy(out, s, n);
    out[n] = '\0';
  }
  *len = n;
  return out;
}

int cmd_read_secret(const char *cmd, const char *what, char **out) {
  char buf[SECRET_MAX + 2], prompt[128];
  size_t len = 0, n = 0;
  int rc = EXIT_OK;
  *out = NULL;
  if (isatty(STDIN_FILENO)) {
    snprintf(prompt, sizeof(prompt), "%s (not shown): ", what);
    if (read_hidden_line(prompt, buf, sizeof(buf), &len) != 0)
      rc = cmd_usage_error(cmd, "%s is longer than %d bytes", what, SECRET_MAX);
  } else if (read_all(STDIN_FILENO, buf, SECRET_MAX, &len) != 0) {
    rc = cmd_usage_error(cmd, "cannot read %s from standard input: %s", what, strerror(errno));
  } else if (len > SECRET_MAX) {
    rc = cmd_usage_error(cmd, "standard input holds more than %d bytes; give %s alone", SECRET_MAX,
                         what);
  }
  if (!rc) {
    *out = trimmed_copy(buf, len, &n);
    if (!*out)
      rc = cmd_usage_error(cmd, "out of memory");
    else if (!n)
      rc = cmd_usage_error(cmd, "%s from standard input is empty", what);
    else if (strlen(*out) != n || strpbrk(*out, "\r\n"))
      rc = cmd_usage_error(cmd, "%s from standard input is more than one line of text", what);
  }
  sodium_memzero(buf, sizeof(buf));
  if (rc && *out) {
    sodium_memzero(*out, n);
    free(*out);
    *out = NULL;
  }
  return rc;
}

int cmd_read_new_password(const char *cmd, char **out) {
  char first[AUTH_PASSWORD_MAX + 2], again[AUTH_PASSWORD_MAX + 2];
  size_t len = 0, len2 = 0;
  int rc = EXIT_OK;
  *out = NULL;
  first[0] = again[0] = '\0';
  if (isatty(STDIN_FILENO)) {
    if (read_hidden_line("new password: ", first, sizeof(first), &len) != 0)
      rc = cmd_usage_error(cmd, "a password has at most %d characters", AUTH_PASSWORD_MAX);
    else if (len >= AUTH_PASSWORD_MIN &&
             (read_hidden_line("the same again: ", again, sizeof(again), &len2) != 0 ||
              len != len2 || sodium_memcmp(first, again, len) != 0))
      rc = cmd_usage_error(cmd, "the two passwords differ; nothing was changed");
  } else {
    /* The first line of standard input (a pipe, a file, a secret store). */
    char all[AUTH_PASSWORD_MAX + 2];
    size_t got = 0;
    if (read_all(STDIN_FILENO, all, sizeof(all) - 2, &got) != 0) {
      rc =
          cmd_usage_error(cmd, "cannot read the password from standard input: %s", strerror(errno));
    } else {
      len = strcspn(all, "\n") < got ? strcspn(all, "\n") : got;
      if (len && all[len - 1] == '\r')
        len--;
      if (len > AUTH_PASSWORD_MAX)
        rc = cmd_usage_error(cmd, "a password has at most %d characters", AUTH_PASSWORD_MAX);
      memcpy(first, all, len > AUTH_PASSWORD_MAX ? 0 : len);
      first[len > AUTH_PASSWORD_MAX ? 0 : len] = '\0';
    }
    sodium_memzero(all, sizeof(all));
  }
  if (!rc && strlen(first) != len)
    rc = cmd_usage_error(cmd, "a password cannot hold a NUL byte");
  if (!rc && len < AUTH_PASSWORD_MIN)
    rc = cmd_usage_error(cmd, "a password has at least %d characters", AUTH_PASSWORD_MIN);
  if (!rc && !(*out = strdup(first)))
    rc = cmd_usage_error(cmd, "out of memory");
  sodium_memzero(first, sizeof(first));
  sodium_memzero(again, sizeof(again));
  return rc;
}

void cmd_secret_free(char *s) {
  if (!s)
    return;
  sodium_memzero(s, strlen(s));
  free(s);
}
