"""Compares what marketsync stored for one stream of an Admitad or Boostiny
source with the sandbox's ground truth: every record the truth holds (in the
days asked for, for day-sliced streams) stored alive with exactly the members
the API renders now, and nothing alive that the truth does not hold. Exits 1
and says why on any difference."""
import argparse
import json
import subprocess
import sys
import urllib.request

# network, stream -> (the truth's resource, the stored id of a record, its local day or None)
STREAMS = {
    ("admitad", "actions"): ("actions", lambda r: str(r["action_id"]), lambda r: r["action_date"][:10]),
    ("admitad", "campaigns"): ("campaigns", lambda r: str(r["id"]), None),
    ("admitad", "coupons"): ("coupons", lambda r: str(r["id"]), None),
    ("boostiny", "performance"): ("performance", lambda r: f'{r["code_id"]}:{r["date"]}',
                                  lambda r: r["date"]),
    ("boostiny", "campaigns"): ("campaigns", lambda r: str(r["id"]), None),
    ("boostiny", "coupons"): ("coupons", lambda r: str(r["id"]), None),
}


def fetch(url):
    with urllib.request.urlopen(url, timeout=120) as r:
        return [json.loads(l) for l in r.read().decode().splitlines() if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--sandbox", required=True)
    ap.add_argument("--network", required=True, choices=["admitad", "boostiny"])
    ap.add_argument("--source", required=True)
    ap.add_argument("--account", help="the sandbox account (default: the source's name)")
    ap.add_argument("--stream", required=True)
    ap.add_argument("--from", dest="day_from", help="day-sliced streams: the first local day")
    ap.add_argument("--to", dest="day_to", help="day-sliced streams: the last local day")
    a = ap.parse_args()
    resource, key, day = STREAMS[(a.network, a.stream)]
    account = a.account or a.source
    url = f"{a.sandbox}/_sandbox/truth?{a.network}={account}&resource={resource}"
    if a.network == "boostiny" and resource == "performance" and a.day_from and a.day_to:
        url += f"&from={a.day_from}&to={a.day_to}"
    lo, hi = a.day_from or "0000-00-00", a.day_to or "9999-99-99"
    inside = (lambda r: lo <= day(r) <= hi) if day else (lambda r: True)
    truth = {key(r): r for r in fetch(url) if inside(r)}
    out = subprocess.run([a.bin, "--db", a.db, "export", a.stream, "--source", a.source,
                          "--with-deleted"], check=True, capture_output=True, text=True)
    live, gone = {}, {}
    for line in out.stdout.splitlines():
        row = json.loads(line)
        if not inside(row["raw"]):
            continue
        (gone if row["deleted_at"] else live)[row["id"]] = row["raw"]
    problems = []
    missing = sorted(set(truth) - set(live))
    extra = sorted(set(live) - set(truth))
    differ = sorted(k for k in set(truth) & set(live) if live[k] != truth[k])
    if missing:
        problems.append(f"{len(missing)} missing, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} alive here but not in the truth, e.g. {extra[:3]}")
    if differ:
        k = differ[0]
        changed = sorted(m for m in set(truth[k]) | set(live[k]) if truth[k].get(m) != live[k].get(m))
        problems.append(f"{len(differ)} differ from the truth, e.g. {k} in {changed[:4]}")
    if problems:
        print(f"{a.source} {a.stream}: " + "; ".join(problems))
        sys.exit(1)
    if not truth:
        print(f"{a.source} {a.stream}: the truth is empty; nothing was compared")
        sys.exit(1)
    print(f"{a.source} {a.stream}: {len(live)} live equal the truth, {len(gone)} marked deleted")


if __name__ == "__main__":
    main()
