#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "connectors/connector.h"
#include "connectors/rest.h"
#include "util/json.h"
#include "net/headers.h"
#include "util/clock.h"

extern const struct connector shopify_connector;
extern const struct connector amazon_connector;

#define CONNECTORS_MAX 16

/* The connectors in C, then those the rest connector makes of the specs
 * built into the binary, then `rest` itself; made once, on first use. */
static const struct connector *all[CONNECTORS_MAX + 1];
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

static void all_make(void) {
  size_t n = 0;
  all[n++] = &shopify_connector;
  all[n++] = &amazon_connector;
  n += rest_connectors(all + n, CONNECTORS_MAX - n);
  all[n] = NULL;
}

int verdict_common(const struct http_response *res, const char *api, struct verdict *v,
                   struct err *err) {
  const char *ra, *type;
  v->rc = MS_OK;
  v->retry_after = -1;
  v->refresh = 0;
  v->source_wide = 0;
  v->locked_out = 0;
  if (res->transport_rc) {
    /* A body over our limit is the answer's fault, not the network's. */
    v->rc = res->transport_rc == MS_ETOOBIG ? MS_EPROTO : res->transport_rc;
    v->source_wide = v->rc == MS_EUNREACH;
    if (v->rc == MS_EUNREACH)
      err_set(err, v->rc, "cannot reach %s: %s", api, res->transport_error);
    else
      err_set(err, v->rc, "%s", res->transport_error);
    return 1;
  }
  if (res->status >= 200 && res->status < 300) {
    type = http_response_header(res, "Content-Type");
    if ((type && strncasecmp(type, "text/html", 9) == 0) ||
        json_body_is_html(res->body.data, res->body.len)) {
      v->rc = MS_EPROTO;
      v->source_wide = 1;
      err_set(err, v->rc,
              "an HTML page came back where JSON was expected (HTTP %ld); this usually means "
              "the API base URL is wrong, or a proxy or a login page answered instead of %s",
              res->status, api);
    }
    return 1;
  }
  ra = http_response_header(res, "Retry-After");
  if (ra && retry_after_parse(ra, wall_now(), &v->retry_after))
    v->retry_after = -1;
  return 0;
}

const struct connector *const *connector_all(void) {
  pthread_once(&all_once, all_make);
  return all;
}

const struct connector *connector_find(const char *name) {
  connector_all();
  for (size_t i = 0; all[i]; i++)
    if (strcmp(all[i]->name, name) == 0)
      return all[i];
  return NULL;
}

const struct stream_def *const *connector_streams(const struct connector *c, void *state) {
  return c->source_streams && state ? c->source_streams(state) : c->streams;
}

int connector_for_row(const struct source_row *row, const struct connector **out, struct err *err) {
  const struct connector *c = connector_find(row->connector);
  cJSON *settings;
  const char *path;
  int rc;
  if (!c)
    return err_set(err, MS_EINVAL, "source %s uses connector '%s', unknown to this build",
                   row->name, row->connector);
  if (!c->from_spec || !c->spec_setting) {
    *out = c;
    return MS_OK;
  }
  settings = cJSON_Parse(row->settings ? row->settings : "{}");
  path = jstr(settings, c->spec_setting);
  if (!path)
    rc = err_set(err, MS_EINVAL, "source %s: its settings name no %s file; add it again with --%s",
                 row->name, c->spec_setting, c->spec_setting);
  else if ((rc = c->from_spec(path, out, err)) != MS_OK)
    err_prefix(err, "source %s", row->name);
  cJSON_Delete(settings);
  return rc;
}
