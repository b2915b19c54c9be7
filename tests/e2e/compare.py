"""Compares what marketsync stored for one source with the sandbox's ground
truth for a range of the shop's local days. Exits 1 and says why on any
difference: a missing order, an extra one, a duplicate, or an order whose
stored copy differs from the truth."""
import argparse
import datetime as dt
import json
import subprocess
import sys
import urllib.request
from zoneinfo import ZoneInfo


def fetch(url, token=None):
    req = urllib.request.Request(url)
    if token:
        req.add_header("X-Shopify-Access-Token", token)
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read().decode()


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--sandbox", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--shop")
    ap.add_argument("--from", dest="day_from", required=True)
    ap.add_argument("--to", dest="day_to", required=True)
    a = ap.parse_args()
    shop = a.shop or a.source

    info = json.loads(fetch(f"{a.sandbox}/shops/{shop}/admin/api/2024-01/shop.json",
                            "shpat_sandbox_token"))["shop"]
    zone = ZoneInfo(info["iana_timezone"])
    first = dt.date.fromisoformat(a.day_from)
    last = dt.date.fromisoformat(a.day_to)

    truth = {}
    for line in fetch(f"{a.sandbox}/_sandbox/truth?shop={shop}").splitlines():
        if not line.strip():
            continue
        o = json.loads(line)
        local_day = parse_time(o["created_at"]).astimezone(zone).date()
        if first <= local_day <= last:
            truth[str(o["id"])] = o

    out = subprocess.run([a.bin, "--db", a.db, "export", "orders", "--source", a.source,
                          "--format", "jsonl"], check=True, capture_output=True, text=True)
    stored, dups = {}, []
    for line in out.stdout.splitlines():
        row = json.loads(line)
        local_day = parse_time(row["created_at"]).astimezone(zone).date()
        if not first <= local_day <= last:
            continue
        if row["id"] in stored:
            dups.append(row["id"])
        stored[row["id"]] = row

    problems = []
    missing = sorted(set(truth) - set(stored))
    extra = sorted(set(stored) - set(truth))
    if missing:
        problems.append(f"{len(missing)} orders missing, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} orders not in the truth, e.g. {extra[:3]}")
    if dups:
        problems.append(f"{len(dups)} duplicates, e.g. {dups[:3]}")
    differ = 0
    for oid in set(truth) & set(stored):
        t, s = truth[oid], stored[oid]
        if s["raw"] != t or parse_time(s["updated_at"]) != parse_time(t["updated_at"]) \
                or s["total_price"] != t["total_price"] \
                or s["financial_status"] != t.get("financial_status") \
                or s["children"]["order_items"] != len(t.get("line_items", [])) \
                or s["children"]["refunds"] != len(t.get("refunds", [])):
            differ += 1
            if differ <= 3:
                problems.append(f"order {oid} differs from the truth "
                                f"(stored updated_at {s['updated_at']}, truth {t['updated_at']})")
    if differ > 3:
        problems.append(f"... {differ} orders differ in all")
    if problems:
        print(f"{a.source} {first}..{last}: " + "; ".join(problems))
        sys.exit(1)
    print(f"{a.source} {first}..{last}: {len(stored)} orders equal the truth")


if __name__ == "__main__":
    main()
