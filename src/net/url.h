/* URLs the user gives (API bases, token endpoints), checked and shown with
 * libcurl's URL API, so that what we accept is exactly what libcurl will
 * later fetch. Credentials in a URL are refused, and never shown. */
#ifndef MS_NET_URL_H
#define MS_NET_URL_H

#include <stddef.h>

#include "util/err.h"

#define URL_MAX 1024 /* longest URL accepted in settings, bytes */

/* Checks a base URL for settings: http or https, a host, a port in 1..65535
 * when given, no user name or password, no query or fragment, nothing but
 * printable ASCII, at most URL_MAX bytes. what names it in the message
 * ("--api-base"). MS_EINVAL with one sentence when it is not usable; the
 * message never repeats a password the URL held. */
int url_check_base(const char *url, const char *what, struct err *err);

/* The same for an endpoint we send to (a webhook): a query is allowed, as
 * some receivers take a token there; it is never shown (url_no_query). */
int url_check_endpoint(const char *url, const char *what, struct err *err);

/* url without credentials and with its query shown as "?...", for lists
 * and messages. */
void url_no_query(const char *url, char *out, size_t n);

/* "scheme://host[:port]" of url, for messages: no user, password, path or
 * query. "?" when it cannot be read. */
void url_origin(const char *url, char *out, size_t n);

/* url without its user and password (when it has any), for showing stored
 * settings; the url itself when it cannot be read, with anything between
 * "://" and "@" replaced by "***". */
void url_redact(const char *url, char *out, size_t n);

#endif
