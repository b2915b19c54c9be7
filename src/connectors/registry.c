#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "connectors/connector.h"

extern const struct connector shopify_connector;

static const struct connector *const all[] = {&shopify_connector, NULL};

const struct connector *const *connector_all(void) {
  return all;
}

const struct connector *connector_find(const char *name) {
  for (size_t i = 0; all[i]; i++)
    if (strcmp(all[i]->name, name) == 0)
      return all[i];
  return NULL;
}

void source_release(struct source *src) {
  if (!src)
    return;
  source_row_release(&src->row);
  free(src->api_base);
  free(src->timezone);
  tz_free(src->tz);
  if (src->secret) {
    sodium_memzero(src->secret, strlen(src->secret));
    free(src->secret);
  }
  memset(src, 0, sizeof(*src));
}
