"""Compares what marketsync stored for one stream of one Shopify source with
the sandbox's ground truth: every live record stored with exactly the bytes
the API renders now, nothing extra alive, and every record the sandbox
deleted marked deleted (with --deleted). Exits 1 and says why on any
difference."""
import argparse
import json
import subprocess
import sys
import urllib.request

# The truth's resource for each stream, and how a stored id is made from a record.
RESOURCES = {
    "products": ("products", lambda r: str(r["id"])),
    "customers": ("customers", lambda r: str(r["id"])),
    "locations": ("locations", lambda r: str(r["id"])),
    "inventory_levels": ("inventory_levels",
                         lambda r: f'{r["inventory_item_id"]}:{r["location_id"]}'),
    "orders": ("orders", lambda r: str(r["id"])),
}
SUBJECT = {"products": "Product", "customers": "Customer", "orders": "Order"}


def fetch(url):
    with urllib.request.urlopen(url, timeout=120) as r:
        return [json.loads(l) for l in r.read().decode().splitlines() if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--sandbox", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--shop")
    ap.add_argument("--stream", required=True)
    ap.add_argument("--deleted", action="store_true", help="also check deletions are marked")
    a = ap.parse_args()
    shop = a.shop or a.source
    resource, key = RESOURCES[a.stream]
    truth = {key(r): r for r in fetch(f"{a.sandbox}/_sandbox/truth?shop={shop}&resource={resource}")}
    out = subprocess.run([a.bin, "--db", a.db, "export", a.stream, "--source", a.source,
                          "--with-deleted"], check=True, capture_output=True, text=True)
    live, gone = {}, {}
    for line in out.stdout.splitlines():
        row = json.loads(line)
        (gone if row["deleted_at"] else live)[row["id"]] = row
    problems = []
    missing = sorted(set(truth) - set(live))
    extra = sorted(set(live) - set(truth))
    if missing:
        problems.append(f"{len(missing)} {a.stream} missing, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} {a.stream} alive here but not in the truth, e.g. {extra[:3]}")
    differ = [k for k in set(truth) & set(live) if live[k]["raw"] != truth[k]]
    if differ:
        problems.append(f"{len(differ)} {a.stream} differ from the truth, e.g. {sorted(differ)[:3]}")
    if a.deleted and a.stream in SUBJECT:
        deleted = {str(d["subject_id"]) for d in fetch(f"{a.sandbox}/_sandbox/truth/deleted?shop={shop}")
                   if d["subject_type"] == SUBJECT[a.stream]}
        unmarked = sorted(d for d in deleted if d not in gone)
        if unmarked:
            problems.append(f"{len(unmarked)} deleted {a.stream} not marked deleted, e.g. {unmarked[:3]}")
    if problems:
        print(f"{a.source} {a.stream}: " + "; ".join(problems))
        sys.exit(1)
    print(f"{a.source} {a.stream}: {len(live)} live equal the truth, {len(gone)} marked deleted")


if __name__ == "__main__":
    main()
