/* Parsers for the response headers that drive pagination and pacing. Every
 * parser takes untrusted input: bounded, never reads past the string. */
#ifndef MS_NET_HEADERS_H
#define MS_NET_HEADERS_H

#include <stddef.h>
#include <stdint.h>

/* From an RFC 8288 Link header, copies the URL whose rel is `rel` ("next")
 * into out. MS_ENOTFOUND when there is none, MS_ETOOBIG when it does not
 * fit, MS_EINVAL when the header is malformed. */
int link_find(const char *header, const char *rel, char *out, size_t outsz);

/* Retry-After: decimal seconds ("2.0", "120") or an HTTP date (RFC 9110).
 * now is the current UTC time used for dates; a date in the past gives 0.
 * Result capped at 86400. MS_EINVAL when unparseable or negative. */
int retry_after_parse(const char *value, int64_t now, double *seconds);

/* Date: an HTTP date (RFC 9110) -> UTC seconds. The server's clock, which
 * watermarks are taken from. MS_EINVAL when unparseable. */
int date_header_parse(const char *value, int64_t *out);

/* X-Shopify-Shop-Api-Call-Limit: "32/40" -> used 32, size 40. */
int call_limit_parse(const char *value, int *used, int *size);

/* x-amzn-RateLimit-Limit: "0.0167" -> requests per second (> 0). */
int rate_limit_parse(const char *value, double *rate);

#endif
