/* Reports (/api/reports/...): read-only views computed from the stored
 * records, such as GET /api/reports/skus (units and revenue by SKU). This
 * table is where their routes go; it is empty until they land, so the
 * router, docs/http-api.md and docs/openapi.json (which tests/check_openapi.py
 * holds to the router) need no other change than the rows added here. */
#include "web/routes.h"

const struct route routes_reports[] = {
    {NULL},
};
