#!/usr/bin/env python3
"""Fails when an #include runs against the layers of DESIGN.md.

    util <- net <- core <- connectors, store <- engine <- cmd, web

A file may include its own folder and the layers below it; the two peers of
a layer (connectors and store, cmd and web) do not include each other. The
sandbox is a library of its own on util and net, and only cmd/sandbox.c
uses it. src/main.c is the top. Prints every offending include and exits 1;
prints a one-line summary and exits 0 when there is none."""
import os
import re
import sys

RANK = {"util": 0, "net": 1, "core": 2, "connectors": 3, "store": 3, "engine": 4,
        "cmd": 5, "web": 5, "sandbox": 1.5}
SANDBOX_USERS = {"cmd/sandbox.c"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def allowed(src_rel, inc):
    here = src_rel.split("/")[0] if "/" in src_rel else None
    there = inc.split("/")[0] if "/" in inc else None
    if there is None or there not in RANK:
        return True  # a header beside the file, or not ours
    if here is None:  # src/main.c
        return there != "sandbox"
    if there == "sandbox":
        return here == "sandbox" or src_rel in SANDBOX_USERS
    if here == there:
        return True
    if here == "sandbox":
        return RANK[there] <= RANK["net"]
    return RANK[there] < RANK[here]


def self_test():
    """The check must catch what it exists for: run it on small trees."""
    import tempfile
    cases = [("connectors/x.c", "engine/sync.h", False), ("store/x.c", "connectors/c.h", False),
             ("util/x.c", "net/http.h", False), ("cmd/x.c", "sandbox/sandbox.h", False),
             ("sandbox/x.c", "core/model.h", False), ("engine/x.c", "store/store.h", True),
             ("cmd/sandbox.c", "sandbox/sandbox.h", True), ("core/x.c", "util/json.h", True),
             ("net/x.c", "net/http.h", True), ("web/x.c", "cmd/cmd.h", False)]
    for rel, inc, ok in cases:
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(f'#include "{inc}"\n')
            sys.argv = ["check_layers.py", root]
            got = main(quiet=True) == 0
            if got != ok:
                print(f"self-test: {rel} including {inc} should {'pass' if ok else 'fail'}")
                return 1
    print(f"self-test: {len(cases)} cases behave")
    return 0


def main(quiet=False):
    root = sys.argv[1] if len(sys.argv) > 1 else "src"
    bad, files = [], 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            files += 1
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                if not allowed(rel.replace(os.sep, "/"), m.group(1)):
                    line = text.count("\n", 0, m.start()) + 1
                    bad.append(f"{rel}:{line}: includes {m.group(1)}, which runs upward "
                               f"(or across) the layers")
    if quiet:
        return 1 if bad else 0
    for b in bad:
        print(b)
    if bad:
        print(f"{len(bad)} include(s) against the layers; see the layer list in "
              f"tests/check_layers.py")
        return 1
    print(f"layers hold: {files} files checked")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--self-test"]:
        sys.exit(self_test())
    sys.exit(main())
