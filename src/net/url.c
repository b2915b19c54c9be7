#include "net/url.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

/* Parses url strictly: no guessing of a scheme, no spaces. NULL when it
 * cannot be read; *why gets libcurl's reason. */
static CURLU *url_parse(const char *url, CURLUcode *why) {
  CURLU *u = curl_url();
  CURLUcode uc;
  if (!u) {
    *why = CURLUE_OUT_OF_MEMORY;
    return NULL;
  }
  uc = curl_url_set(u, CURLUPART_URL, url, 0);
  if (uc != CURLUE_OK) {
    curl_url_cleanup(u);
    *why = uc;
    return NULL;
  }
  *why = CURLUE_OK;
  return u;
}

static int has_part(CURLU *u, CURLUPart part) {
  char *v = NULL;
  int has = curl_url_get(u, part, &v, 0) == CURLUE_OK && v && *v;
  curl_free(v);
  return has;
}

/* libcurl takes port 0; nothing listens there. */
static int port_is_zero(CURLU *u) {
  char *port = NULL;
  int zero = curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && port &&
             strspn(port, "0") == strlen(port);
  curl_free(port);
  return zero;
}

/* Whether the text holds a byte outside printable ASCII. */
static int has_control(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
      return 1;
  return 0;
}

static int check(const char *url, const char *what, int query_ok, struct err *err) {
  CURLUcode why;
  CURLU *u;
  char *scheme = NULL, *host = NULL;
  int rc = MS_OK;
  if (!url || !*url)
    return err_set(err, MS_EINVAL, "%s is empty; give a URL such as https://example.com", what);
  if (strlen(url) > URL_MAX)
    return err_set(err, MS_EINVAL, "%s is longer than %d bytes", what, URL_MAX);
  if (has_control(url))
    return err_set(err, MS_EINVAL,
                   "%s holds a space or a control character; give a URL such as "
                   "https://example.com",
                   what);
  /* No message below repeats the URL: it may hold a password. */
  u = url_parse(url, &why);
  if (!u) {
    if (why == CURLUE_BAD_PORT_NUMBER)
      return err_set(err, MS_EINVAL, "%s has a port that is not a number from 1 to 65535", what);
    if (why == CURLUE_NO_HOST)
      return err_set(err, MS_EINVAL, "%s has no host name", what);
    return err_set(err, MS_EINVAL, "%s is not a URL libcurl can read (%s)", what,
                   curl_url_strerror(why));
  }
  if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0))
    rc = err_set(err, MS_EINVAL, "%s must start with https:// (or http:// for a local test server)",
                 what);
  else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host)
    rc = err_set(err, MS_EINVAL, "%s has no host name", what);
  else if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD))
    rc = err_set(err, MS_EINVAL,
                 "%s holds a user name or password; credentials do not belong in URLs: give "
                 "the URL without them and the secret with its own --...-env or --...-file option",
                 what);
  else if (port_is_zero(u))
    rc = err_set(err, MS_EINVAL, "%s has a port that is not a number from 1 to 65535", what);
  else if (has_part(u, CURLUPART_FRAGMENT) || (!query_ok && has_part(u, CURLUPART_QUERY)))
    rc = err_set(err, MS_EINVAL,
                 query_ok ? "%s must not have a fragment (#...)"
                          : "%s must not have a query (?...) or a fragment (#...)",
                 what);
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(u);
  return rc;
}

int url_check_base(const char *url, const char *what, struct err *err) {
  return check(url, what, 0, err);
}

int url_check_endpoint(const char *url, const char *what, struct err *err) {
  return check(url, what, 1, err);
}

void url_no_query(const char *url, char *out, size_t n) {
  CURLUcode why;
  CURLU *u = url ? url_parse(url, &why) : NULL;
  char *text = NULL;
  int had = u && has_part(u, CURLUPART_QUERY);
  if (!n)
    return;
  snprintf(out, n, "?");
  if (u && curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_URL, &text, 0) == CURLUE_OK)
    snprintf(out, n, "%s%s", text, had ? "?..." : "");
  curl_free(text);
  curl_url_cleanup(u);
}

void url_origin(const char *url, char *out, size_t n) {
  CURLUcode why;
  CURLU *u = url ? url_parse(url, &why) : NULL;
  char *scheme = NULL, *host = NULL, *port = NULL;
  if (!n)
    return;
  snprintf(out, n, "?");
  if (!u)
    return;
  if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && port)
      snprintf(out, n, "%s://%s:%s", scheme, host, port);
    else
      snprintf(out, n, "%s://%s", scheme, host);
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
}

void url_redact(const char *url, char *out, size_t n) {
  CURLUcode why;
  CURLU *u;
  char *text = NULL;
  const char *sep, *at;
  if (!n)
    return;
  out[0] = '\0';
  if (!url)
    return;
  u = url_parse(url, &why);
  if (u && curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_URL, &text, 0) == CURLUE_OK) {
    snprintf(out, n, "%s", text);
    curl_free(text);
    curl_url_cleanup(u);
    return;
  }
  curl_url_cleanup(u);
  /* Unreadable: hide whatever stands where credentials would. */
  sep = strstr(url, "://");
  at = sep ? strchr(sep + 3, '@') : NULL;
  if (at && (!strpbrk(sep + 3, "/?#") || at < strpbrk(sep + 3, "/?#")))
    snprintf(out, n, "%.*s***%s", (int)(sep + 3 - url), url, at);
  else
    snprintf(out, n, "%s", url);
}
