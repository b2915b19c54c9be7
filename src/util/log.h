/* Logging for commands. Library code returns errors instead of logging them,
 * except for debug traces. Lines go to stderr; never pass a secret here. */
#ifndef MS_UTIL_LOG_H
#define MS_UTIL_LOG_H

enum log_level { LOG_QUIET = 0, LOG_ERROR = 1, LOG_WARN = 2, LOG_INFO = 3, LOG_DEBUG = 4 };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs "error: ..." and returns rc, for `return log_error(rc, ...)`. */
int log_error(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
