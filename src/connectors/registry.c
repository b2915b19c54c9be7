#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "connectors/connector.h"

extern const struct connector shopify_connector;
extern const struct connector amazon_connector;

static const struct connector *const all[] = {&shopify_connector, &amazon_connector, NULL};

const struct connector *const *connector_all(void) {
  return all;
}

const struct connector *connector_find(const char *name) {
  for (size_t i = 0; all[i]; i++)
    if (strcmp(all[i]->name, name) == 0)
      return all[i];
  return NULL;
}

const char *source_secret(const struct source *src, const char *name) {
  for (int i = 0; i < src->nsecrets; i++)
    if (strcmp(src->secrets[i].name, name) == 0)
      return src->secrets[i].value;
  return NULL;
}

void source_release(struct source *src) {
  if (!src)
    return;
  source_row_release(&src->row);
  free(src->api_base);
  free(src->timezone);
  tz_free(src->tz);
  for (int i = 0; i < src->nsecrets; i++) {
    sodium_memzero(src->secrets[i].value, strlen(src->secrets[i].value));
    free(src->secrets[i].value);
  }
  memset(src, 0, sizeof(*src));
}
