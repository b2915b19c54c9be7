/* URLs given in settings: checked with libcurl's URL API, shown without
 * credentials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/url.h"

static void refused(const char *url, const char *words) {
  struct err err = {0};
  int rc = url_check_base(url, "--api-base", &err);
  if (rc != MS_EINVAL || !strstr(err.msg, words) || !strstr(err.msg, "--api-base"))
    fail_msg("%s: %d \"%s\", want MS_EINVAL saying \"%s\"", url, rc, err.msg, words);
  assert_null(strstr(err.msg, "s3cret"));
}

static void test_usable_base_urls_pass(void **state) {
  static const char *const ok[] = {"https://shop.myshopify.com", "http://127.0.0.1:8080/shops/a",
                                   "https://[::1]:443/x", "https://sellingpartnerapi-na.amazon.com",
                                   "https://example.com/"};
  (void)state;
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    struct err err = {0};
    if (url_check_base(ok[i], "--api-base", &err))
      fail_msg("%s: %s", ok[i], err.msg);
  }
}

static void test_unusable_base_urls_are_refused_with_a_reason(void **state) {
  (void)state;
  refused("", "empty");
  refused("http://", "host");
  refused("http://[::1", "URL");
  refused("http://127.0.0.1:99999", "port");
  refused("http://127.0.0.1:0", "port");
  refused("ftp://example.com", "https://");
  refused("example.com/admin", "URL");
  refused("http://exa\x01mple.com", "control character");
  refused("http://exa mple.com", "space");
  refused("https://example.com/?q=1", "query");
  refused("https://example.com/#top", "fragment");
  refused("https://user:s3cret@example.com", "credentials do not belong in URLs");
  refused("https://user@example.com", "user name or password");
  {
    char longer[URL_MAX + 20];
    memset(longer, 'a', sizeof(longer) - 1);
    memcpy(longer, "https://", 8);
    longer[sizeof(longer) - 1] = '\0';
    refused(longer, "longer than");
  }
}

static void test_origin_and_redaction_never_show_credentials(void **state) {
  char out[256];
  (void)state;
  url_origin("https://u:s3cret@example.com:8443/admin?x=1", out, sizeof(out));
  assert_string_equal(out, "https://example.com:8443");
  url_origin("http://127.0.0.1:9/shops/a", out, sizeof(out));
  assert_string_equal(out, "http://127.0.0.1:9");
  url_origin("not a url", out, sizeof(out));
  assert_string_equal(out, "?");
  url_redact("http://old:s3cret@127.0.0.1:9/base", out, sizeof(out));
  assert_string_equal(out, "http://127.0.0.1:9/base");
  url_redact("http://old:s3cret@[::1/base", out, sizeof(out));
  assert_null(strstr(out, "s3cret"));
  url_redact("https://example.com/a", out, sizeof(out));
  assert_string_equal(out, "https://example.com/a");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usable_base_urls_pass),
      cmocka_unit_test(test_unusable_base_urls_are_refused_with_a_reason),
      cmocka_unit_test(test_origin_and_redaction_never_show_credentials),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
