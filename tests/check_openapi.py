#!/usr/bin/env python3
"""Fails when docs/openapi.json and the admin API's router disagree.

The router's tables are the rows {"METHOD", "/path/:param", fn, flags} of
src/web/routes_*.c. Every one must be an operation of the OpenAPI document
(with ":param" written "{param}"), and the document must describe no route
the router lacks; docs/http-api.md must name each one too. Usage:
    check_openapi.py SRC_DIR OPENAPI_JSON HTTP_API_MD"""
import glob
import json
import os
import re
import sys

ROW = re.compile(r'\{"(GET|POST|PATCH|PUT|DELETE)",\s*"(/[^"]*)",\s*\w+,\s*[^}]*\}')


def router_routes(src):
    found = set()
    for path in glob.glob(os.path.join(src, "web", "routes_*.c")):
        with open(path) as f:
            for method, pattern in ROW.findall(f.read()):
                found.add((method, re.sub(r":(\w+)", r"{\1}", pattern)))
    return found


def main():
    src, spec_path, doc_path = sys.argv[1:4]
    with open(spec_path) as f:
        spec = json.load(f)
    if not str(spec.get("openapi", "")).startswith("3.0"):
        print(f"{spec_path}: not an OpenAPI 3.0 document")
        return 1
    documented = {(m.upper(), p) for p, ops in spec.get("paths", {}).items() for m in ops
                  if m in ("get", "post", "patch", "put", "delete")}
    routes = router_routes(src)
    with open(doc_path) as f:
        doc = f.read()
    bad = 0
    for method, path in sorted(routes - documented):
        print(f"{spec_path}: the router serves {method} {path}, the document does not say so")
        bad += 1
    for method, path in sorted(documented - routes):
        print(f"{spec_path}: {method} {path} is described, the router has no such route")
        bad += 1
    for method, path in sorted(routes):
        if f"{method} {path}" not in doc:
            print(f"{doc_path}: {method} {path} is not documented")
            bad += 1
    if not routes:
        print(f"no routes found under {src}/web")
        return 1
    if not bad:
        print(f"{len(routes)} routes: in the router, {os.path.basename(spec_path)} and "
              f"{os.path.basename(doc_path)} alike")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
