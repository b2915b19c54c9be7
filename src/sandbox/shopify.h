/* The emulated Shopify Admin REST API, in two parts: shopify.c checks and
 * logs every request (URL limits, shop, token, faults, rate limit) and
 * shopify_res.c answers it (routing, scopes, the resources). */
#ifndef MS_SANDBOX_SHOPIFY_H
#define MS_SANDBOX_SHOPIFY_H

#include "sandbox/params.h"
#include "sandbox/sandbox.h"

struct sb_route {
  char shop[SB_SHOP_NAME_MAX * 2]; /* the name as given (logged) */
  const char *rest;                /* path after /shops/NAME, e.g. /admin/api/... */
  char version[16];                /* "2024-01", "" when not parsed */
  const char *resource;            /* after /admin/api/VERSION/, or NULL */
};

/* Answers an admitted request for the shop: 404 for an unknown resource,
 * 405 for a method other than GET or HEAD, 403 without the resource's
 * scope, else the resource. */
void sb_shopify_resource(struct sandbox *sb, struct sb_shop *shop, const struct sb_request *req,
                         const struct sb_route *r, const struct sb_params *p,
                         struct sb_response *res);

#endif
