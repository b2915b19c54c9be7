/* Fuzzes the admin API's request parser (web/request.c), which reads what
 * any client sends to `marketsync serve`. The input's lines are: method,
 * path, query, Authorization header, and the rest is the body. Whatever it
 * gets, the parser answers 0 or a 4xx status with a message, and what it
 * accepted keeps its bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "web/request.h"

/* The next line of *p (up to '\n' or the end), NUL-terminated in place. */
static char *line(char **p) {
  char *s = *p, *nl;
  if (!s)
    return NULL;
  nl = strchr(s, '\n');
  if (nl) {
    *nl = '\0';
    *p = nl + 1;
  } else {
    *p = NULL;
  }
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_strndup(data, size), *p = text;
  char *method = line(&p), *path = line(&p), *query = line(&p), *auth = line(&p);
  struct api_request rq;
  struct api_error e;
  int64_t n;
  const char *s;
  int status = api_request_parse(method ? method : "", path ? path : "", query ? query : "", auth,
                                 p, p ? strlen(p) : 0, 0, &rq, &e);
  if (status) {
    FUZZ_CHECK(status >= 400 && status < 500);
    FUZZ_CHECK(e.message[0] != '\0');
  } else {
    FUZZ_CHECK(rq.nsegments <= API_SEGMENTS_MAX && rq.nparams <= API_PARAMS_MAX);
    for (int i = 0; i < rq.nsegments; i++)
      FUZZ_CHECK(strlen(rq.segments[i]) <= API_SEGMENT_MAX);
    for (int i = 0; i < rq.nparams; i++)
      FUZZ_CHECK(strlen(rq.params[i].name) <= API_PARAM_MAX &&
                 strlen(rq.params[i].value) <= API_PARAM_MAX);
    FUZZ_CHECK(!rq.body || cJSON_IsObject(rq.body));
    /* The readers the routes use, on whatever came. */
    (void)api_param_int(&rq, "limit", 1, 1000, 50, &n, &e);
    (void)api_body_string(&rq, "name", 63, 1, &s, &e);
    (void)api_body_int(&rq, "every", 60, 86400, 0, &n, &e);
  }
  api_request_release(&rq);
  free(text);
  return 0;
}
