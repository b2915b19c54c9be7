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
    ap.add_argument("--from", dest="day_from", help="orders: only those created on or after this local day")
    ap.add_argument("--to", dest="day_to", help="orders: only those created on or before this local day")
    a = ap.parse_args()
    shop = a.shop or a.source
    resource, key = RESOURCES[a.stream]
    truth = {key(r): r for r in fetch(f"{a.sandbox}/_sandbox/truth?shop={shop}&resource={resource}")}
    if a.day_from or a.day_to:
        # created_at is written in the shop's zone: its date is the local day.
        lo, hi = a.day_from or "0000-00-00", a.day_to or "9999-99-99"
        truth = {k: r for k, r in truth.items() if lo <= r["created_at"][:10] <= hi}
    out = subprocess.run([a.bin, "--db", a.db, "export", a.stream, "--source", a.source,
                          "--with-deleted"], check=True, capture_output=True, text=True)
    live, gone = {}, {}
    for line in out.stdout.splitlines():
        row = json.loads(line)
        (gone if row["deleted_at"] else live)[row["id"]] = row
    if a.day_from or a.day_to:
        live = {k: r for k, r in live.items() if lo <= r["raw"]["created_at"][:10] <= hi}
        gone = {k: r for k, r in gone.items() if lo <= r["raw"]["created_at"][:10] <= hi}
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
