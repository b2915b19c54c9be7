"""Runs marketsync against the sandbox and records figures.

ingest: rate limits off, >= 200,000 orders synced into a fresh SQLite file.
        Baseline in the same run: downloading the same orders in one stream
        from the sandbox's truth endpoint (what receiving the bytes costs).
pacing: bucket 40, leak 40/s, >= 1,000 pages. Baseline: the theoretical
        minimum (pages - 40) / 40 seconds.
amazon: the same for SP-API's token buckets.
modified: 100,000 orders synced, 1% of them changed across all their days,
        then one `sync --mode modified` next to a full re-download of the
        same days (requests and time, from the sandbox's request log).
report: `report skus` over 1,000,000 orders of a year (with lines,
        refunds and stock levels) written by SQL into a store whose
        tables a short sync created: counted from the orders, then from
        the summary `report refresh` writes. `--only report` runs this alone.

With --baseline-bin (bench/run.sh builds the version named by
BENCH_BASELINE), ingest and pacing run with that binary too, in the same
run, so that the figures of this version stand next to the earlier one's.
"""
import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request


def start_sandbox(binary, args):
    p = subprocess.Popen([binary, "sandbox", "--port", "0"] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = p.stdout.readline().strip()
    if not url.startswith("http"):
        p.kill()
        sys.exit("the sandbox did not start")
    return p, url


def get(url):
    with urllib.request.urlopen(url, timeout=600) as r:
        return r.read()


def peak_rss_mib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def run_measured(cmd, env=None):
    """Runs cmd, returns (wall seconds, cpu seconds, peak RSS MiB, output) of
    that one process. Peak RSS is VmHWM sampled from /proc while it runs
    (rusage's maxrss would also count the forking parent's memory)."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        peak = 0.0
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, peak_rss_mib(p.pid))
            time.sleep(0.02)
        wall = time.monotonic() - t0
        out.seek(0)
        text = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{text}")
    return wall, ru.ru_utime + ru.ru_stime, peak, text


def counts(stdout):
    """Reads the sync summary: records, pages, requests, 429s (an earlier
    version said "orders in" where this one says "records in")."""
    orders = pages = requests = limited = 0
    mb = 0.0
    for line in stdout.splitlines():
        w = line.split()
        if ("records in" in line or "orders in" in line) and "pages" in line:
            orders, pages = int(w[0]), int(w[3])
        if "requests," in line:
            requests = int(w[0])
            limited = int(w[w.index("rate-limited") - 1])
        if "MB of JSON" in line:
            mb = float(w[w.index("MB") - 1])
    return orders, pages, requests, limited, mb


def knows_streams(binary):
    """Whether this binary has streams (an earlier one fetched orders only)."""
    out = subprocess.run([binary, "source", "add", "--help"], capture_output=True, text=True)
    return "--streams" in out.stdout + out.stderr


def add_source(binary, db, url, shop, streams="orders"):
    env = dict(os.environ, BENCH_TOKEN="shpat_sandbox_token")
    extra = ["--streams", streams] if streams and knows_streams(binary) else []
    subprocess.run([binary, "--db", db, "source", "add", "shopify", shop, "--shop", shop,
                    "--token-env", "BENCH_TOKEN", "--api-base", f"{url}/shops/{shop}"] + extra,
                   env=env, check=True, capture_output=True)
    return env


def bench_ingest(binary, tmp, per_day, days, sandbox_bin=None):
    # sandbox_bin: whose sandbox serves the orders (a baseline build is
    # measured against this build's sandbox, so both get the same bytes).
    sb, url = start_sandbox(sandbox_bin or binary, ["--no-rate-limit", "--days", str(days + 2),
                                     "--shop", f"bulk:UTC:{per_day}", "--threads", "2"])
    try:
        # Baseline: the same orders streamed in one answer, counted, not kept.
        t0 = time.monotonic()
        truth_bytes = truth_lines = 0
        with urllib.request.urlopen(f"{url}/_sandbox/truth?shop=bulk", timeout=600) as r:
            while chunk := r.read(1 << 20):
                truth_bytes += len(chunk)
                truth_lines += chunk.count(b"\n")
        base = time.monotonic() - t0
        db = os.path.join(tmp, "ingest.db")
        env = add_source(binary, db, url, "bulk")
        wall, cpu, rss, out = run_measured(
            [binary, "--db", db, "--quiet", "sync", "bulk", "--last-days", str(days),
             "--concurrency", "4"], env)
        # --quiet drops the summary; count from the database instead.
        wall_s, _, _, out2 = run_measured([binary, "--db", db, "status", "bulk", "--json"])
        rows = [json.loads(l) for l in out2.splitlines() if l.strip()]
        orders = sum(r["records"] for r in rows)
        pages = sum(r["pages"] for r in rows)
        size = os.path.getsize(db) / 1e6
    finally:
        sb.terminate()
        sb.wait()
    mb = truth_bytes / 1e6 * orders / max(1, truth_lines)
    return dict(orders=orders, pages=pages, wall=wall, cpu=cpu, rss=rss, mb=mb,
                base=base, base_orders=truth_lines, db_mb=size)


def bench_pacing(binary, tmp, per_day, days, bucket, leak, sandbox_bin=None):
    sb, url = start_sandbox(sandbox_bin or binary, ["--bucket-size", str(bucket), "--leak-rate", str(leak),
                                     "--days", str(days + 2), "--shop", f"pace:UTC:{per_day}"])
    try:
        db = os.path.join(tmp, "pacing.db")
        env = add_source(binary, db, url, "pace")
        wall, cpu, rss, out = run_measured(
            [binary, "--db", db, "sync", "pace", "--last-days", str(days), "--concurrency", "2"],
            env)
        stats = json.loads(get(f"{url}/_sandbox/stats"))
    finally:
        sb.terminate()
        sb.wait()
    orders, pages, requests, limited, _ = counts(out)
    minimum = (requests - bucket) / leak
    return dict(pages=pages, requests=requests, limited=limited, wall=wall,
                minimum=minimum, ratio=wall / minimum, throttled=stats.get("throttled", 0))


def bench_amazon(binary, tmp, per_day, days, speed):
    """Amazon pacing: getOrders (0.0167/s, burst 20) and getOrderItems (0.5/s,
    burst 30) sped up by `speed`; the minimum is what the slower bucket
    allows once its burst is spent."""
    sb, url = start_sandbox(binary, ["--days", str(days + 2), "--seller", f"bench:{per_day}",
                                     "--sp-speed", str(speed)])
    try:
        db = os.path.join(tmp, "amazon.db")
        env = dict(os.environ, LWA_SECRET="sandbox-client-secret",
                   BENCH_REFRESH="Atzr|sandbox-bench")
        subprocess.run([binary, "--db", db, "source", "add", "amazon", "bench", "--region", "na",
                        "--marketplace", "ATVPDKIKX0DER", "--client-id",
                        "amzn1.application-oa2-client.sandbox", "--client-secret-env",
                        "LWA_SECRET", "--refresh-token-env", "BENCH_REFRESH", "--api-base",
                        f"{url}/sp-api", "--token-url", f"{url}/auth/o2/token", "--no-check"],
                       env=env, check=True, capture_output=True)
        wall, cpu, rss, out = run_measured(
            [binary, "--db", db, "sync", "bench", "--last-days", str(days), "--concurrency",
             "4"], env)
        log = [json.loads(l) for l in get(f"{url}/_sandbox/requests?shop=bench").splitlines()
               if l.strip()]
    finally:
        sb.terminate()
        sb.wait()
    items = sum(1 for l in log if l["path"].endswith("/orderItems"))
    orders = sum(1 for l in log if l["path"].endswith("/orders/v0/orders"))
    limited = sum(1 for l in log if l["status"] == 429)
    r_orders, r_items = 0.0167 * speed, 0.5 * speed
    minimum = max((orders - 20) / r_orders, (items - 30) / r_items)
    return dict(orders=orders, items=items, wall=wall, minimum=minimum, ratio=wall / minimum,
                limited=limited, requests=len(log), speed=speed)


def request_log(url, shop, after=0):
    return [json.loads(l) for l in get(f"{url}/_sandbox/requests?shop={shop}").splitlines()
            if l.strip() and json.loads(l)["seq"] > after]


def bench_modified(binary, tmp, per_day, days, share):
    """After `share` of the orders of `days` completed days changed: one
    modified pass, then (the baseline) all those days fetched again."""
    sb, url = start_sandbox(binary, ["--bucket-size", "40", "--leak-rate", "40", "--days",
                                     str(days + 2), "--shop", f"chg:UTC:{per_day}"])
    try:
        db = os.path.join(tmp, "modified.db")
        env = add_source(binary, db, url, "chg")
        first = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=days)).isoformat()
        last = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)).isoformat()
        _, _, _, out = run_measured([binary, "--db", db, "sync", "chg", "--from", first, "--to",
                                     last, "--concurrency", "2"], env)
        stored = counts(out)[0]
        changed = int(stored * share)
        mutated = json.loads(urllib.request.urlopen(urllib.request.Request(
            f"{url}/_sandbox/mutate?shop=chg&update={changed}&from={first}&to={last}",
            method="POST"), timeout=600).read())
        time.sleep(1.1)  # past the second the changes were stamped in
        seq = max([l["seq"] for l in request_log(url, "chg")] or [0])
        mod_wall, _, _, mod_out = run_measured([binary, "--db", db, "sync", "chg", "--mode",
                                                "modified", "--stream", "orders"], env)
        mod_log = request_log(url, "chg", seq)
        seq = max([l["seq"] for l in request_log(url, "chg")] or [0])
        full_wall, _, _, full_out = run_measured([binary, "--db", db, "sync", "chg", "--mode",
                                                  "full", "--from", first, "--to", last,
                                                  "--concurrency", "2"], env)
        full_log = request_log(url, "chg", seq)
    finally:
        sb.terminate()
        sb.wait()
    mod = counts(mod_out)
    full = counts(full_out)
    return dict(stored=stored, changed=mutated["updated"], days=days,
                mod_requests=len(mod_log), mod_wall=mod_wall, mod_records=mod[0], mod_mb=mod[4],
                full_requests=len(full_log), full_wall=full_wall, full_records=full[0],
                full_mb=full[4])


def proc_cpu_seconds(pid):
    """User + system seconds of a running process, from /proc."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def bench_serve(binary, tmp, shops, days, per_day):
    """One `serve` with `shops` sandbox shops at Shopify's standard limits
    (bucket 40, leak 2/s), one schedule of every source run at once. The
    bound: the slowest shop's requests at its rate after its burst."""
    per_sandbox = 60
    sandboxes, urls = [], []
    db = os.path.join(tmp, "serve.db")
    env = dict(os.environ, BENCH_TOKEN="shpat_sandbox_token")
    try:
        names = [f"s{i:04d}" for i in range(shops)]
        for k in range(0, shops, per_sandbox):
            args = ["--days", str(days + 2), "--threads", "4"]
            for n in names[k:k + per_sandbox]:
                args += ["--shop", f"{n}:UTC:{per_day}"]
            p, url = start_sandbox(binary, args)
            sandboxes.append(p)
            urls += [url] * len(names[k:k + per_sandbox])
        for n, url in zip(names, urls):
            subprocess.run([binary, "--db", db, "source", "add", "shopify", n, "--shop", n,
                            "--token-env", "BENCH_TOKEN", "--api-base", f"{url}/shops/{n}",
                            "--streams", "orders", "--no-check", "--timezone", "UTC"],
                           env=env, check=True, capture_output=True)
        first = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=days)).isoformat()
        last = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)).isoformat()
        subprocess.run([binary, "--db", db, "schedule", "add", "everyone", "--every", "24h",
                        "--from", first, "--to", last, "--mode", "new"],
                       env=env, check=True, capture_output=True)
        subprocess.run([binary, "--db", db, "schedule", "run", "everyone"], env=env, check=True,
                       capture_output=True)
        t0 = time.monotonic()
        srv = subprocess.Popen([binary, "--db", db, "--quiet", "serve", "--workers", "1"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = 0.0
        state = ""
        while state not in ("completed", "failed", "retryable"):
            time.sleep(0.2)
            peak = max(peak, peak_rss_mib(srv.pid))
            out = subprocess.run([binary, "--db", db, "jobs", "list", "--json", "--limit", "1"],
                                 capture_output=True, text=True).stdout
            state = json.loads(out.splitlines()[0])["state"] if out.strip() else ""
            if time.monotonic() - t0 > 3600:
                break
        wall = time.monotonic() - t0
        cpu = proc_cpu_seconds(srv.pid)
        sandbox_cpu = sum(proc_cpu_seconds(p.pid) for p in sandboxes)
        srv.terminate()
        srv.wait()
        requests = {}
        for url in sorted(set(urls)):
            for l in get(f"{url}/_sandbox/requests").splitlines():
                if l.strip():
                    shop = json.loads(l)["shop"]
                    requests[shop] = requests.get(shop, 0) + 1
    finally:
        for p in sandboxes:
            p.terminate()
            p.wait()
    slowest = max(requests.values()) if requests else 0
    bound = max(0.0, (slowest - 40) / 2.0)
    return dict(shops=shops, days=days, state=state, wall=wall, cpu=cpu, sandbox_cpu=sandbox_cpu,
                rss=peak,
                requests=sum(requests.values()), slowest=slowest, bound=bound,
                ratio=wall / bound if bound else float("nan"))


# Orders of one generated year: one in 20 cancelled, one in 100 deleted,
# one in 10 in EUR, one in 30 refunded (one unit of its first line); 1 to 3
# lines each over REPORT_SKUS SKUs, each SKU a variant with stock at two
# locations.
REPORT_SKUS = 2000
REPORT_DAYS = 365


def generate_orders(db, source_id, orders, t0):
    step = REPORT_DAYS * 86400 / orders
    c = sqlite3.connect(db)
    c.executescript("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")
    with c:
        c.execute(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1) "
            "INSERT INTO orders (source_id, external_id, name, created_at, updated_at, status, "
            "currency, total_price, total_minor, raw, first_seen_at, last_synced_at, deleted_at) "
            "SELECT ?2, 'g' || i, '#' || i, ?3 + CAST(i * ?4 AS INTEGER), ?3 + CAST(i * ?4 AS "
            "INTEGER), CASE WHEN i % 20 = 7 THEN 'cancelled' ELSE 'closed' END, CASE WHEN i % 10 "
            "= 3 THEN 'EUR' ELSE 'USD' END, '0.00', 0, '{}', ?3, ?3, CASE WHEN i % 100 = 11 THEN "
            "?3 END FROM n", (orders, source_id, t0, step))
        c.execute(
            "INSERT INTO order_items (source_id, order_external_id, external_id, line_no, sku, "
            "quantity, price, price_minor, currency) SELECT o.source_id, o.external_id, "
            "o.external_id || '-' || k.k, k.k, printf('GEN-%04d', (CAST(substr(o.external_id, 2) "
            "AS INTEGER) * 31 + k.k * 17) % ?2), 1 + (CAST(substr(o.external_id, 2) AS INTEGER) + "
            "k.k) % 3, '12.50', 1250 + k.k * 100, o.currency FROM orders o JOIN (SELECT 0 AS k "
            "UNION ALL SELECT 1 UNION ALL SELECT 2) k ON k.k <= CAST(substr(o.external_id, 2) AS "
            "INTEGER) % 3 WHERE o.source_id = ?1 AND o.external_id LIKE 'g%'",
            (source_id, REPORT_SKUS))
        c.execute(
            "INSERT INTO refunds (source_id, order_external_id, external_id) SELECT source_id, "
            "external_id, 'rf' || external_id FROM orders WHERE source_id = ?1 AND external_id "
            "LIKE 'g%' AND CAST(substr(external_id, 2) AS INTEGER) % 30 = 5", (source_id,))
        c.execute(
            "INSERT INTO refund_lines (source_id, refund_external_id, external_id, line_item_id, "
            "quantity) SELECT source_id, external_id, external_id || '-0', order_external_id || "
            "'-0', 1 FROM refunds WHERE source_id = ?1 AND external_id LIKE 'rfg%'", (source_id,))
        c.execute(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2) "
            "INSERT INTO product_variants (source_id, product_external_id, external_id, sku, "
            "inventory_item_id) SELECT ?1, 'gp' || (i / 4), 'gv' || i, printf('GEN-%04d', i), "
            "'gi' || i FROM n", (source_id, REPORT_SKUS))
        c.execute(
            "INSERT INTO inventory_levels (source_id, external_id, inventory_item_id, location_id, "
            "available) SELECT v.source_id, v.inventory_item_id || ':' || l.l, "
            "v.inventory_item_id, l.l, 5 + (CAST(substr(v.external_id, 3) AS INTEGER) * 7) % 300 "
            "FROM product_variants v JOIN (SELECT 'L1' AS l UNION ALL SELECT 'L2') l WHERE "
            "v.source_id = ?1 AND v.external_id LIKE 'gv%'", (source_id,))
    lines = c.execute("SELECT count(*) FROM order_items WHERE source_id = ?", (source_id,)).fetchone()[0]
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    return lines


def bench_report(binary, tmp, orders):
    """report skus over a generated year: live, after a refresh, and after
    one day changed since it."""
    db = os.path.join(tmp, "report.db")
    # A one-day sync of a small shop creates every stream's table as a sync
    # would; the year of orders then goes in by SQL, far faster than a sync.
    sb, url = start_sandbox(binary, ["--no-rate-limit", "--days", "2", "--shop", "gen:UTC:5"])
    try:
        env = add_source(binary, db, url, "gen", streams=None)
        run_measured([binary, "--db", db, "--quiet", "sync", "gen", "--last-days", "1"], env)
    finally:
        sb.terminate()
        sb.wait()
    c = sqlite3.connect(db)
    source_id = c.execute("SELECT id FROM sources WHERE name = 'gen'").fetchone()[0]
    c.close()
    today = int(time.time()) // 86400 * 86400
    t0 = today - REPORT_DAYS * 86400
    g0 = time.monotonic()
    lines = generate_orders(db, source_id, orders, t0)
    gen = time.monotonic() - g0
    last30 = [(dt.datetime.fromtimestamp(today - d * 86400, dt.timezone.utc)).strftime("%Y-%m-%d")
              for d in (30, 1)]

    def report(*args):
        wall, cpu, rss, out = run_measured(
            [binary, "--db", db, "report", "skus", "--format", "csv"] + list(args))
        # Every column but the last (days of cover moves with the clock).
        figures = [l.rsplit(",", 1)[0] for l in out.splitlines()]
        return dict(wall=wall, cpu=cpu, rss=rss, rows=max(0, len(figures) - 1), figures=figures)

    r = dict(orders=orders, lines=lines, gen=gen, db_mb=os.path.getsize(db) / 1e6)
    r["live_all"] = report()
    r["live_30"] = report("--from", last30[0], "--to", last30[1])
    wall, cpu, rss, _ = run_measured([binary, "--db", db, "report", "refresh"])
    r["refresh"] = dict(wall=wall, cpu=cpu, rss=rss)
    r["sum_all"] = report()
    r["sum_30"] = report("--from", last30[0], "--to", last30[1])
    if r["sum_all"]["figures"] != r["live_all"]["figures"] or \
            r["sum_30"]["figures"] != r["live_30"]["figures"]:
        sys.exit("the report read from the summary differs from the one counted from the orders")
    # One order of each of ten days changes: those days are read from the
    # orders again until the next refresh.
    c = sqlite3.connect(db)
    with c:
        c.execute("UPDATE orders SET updated_at = updated_at + 1 WHERE source_id = ?1 AND "
                  "external_id IN (SELECT 'g' || (?2 / 365 * d) FROM (WITH RECURSIVE n(d) AS "
                  "(SELECT 0 UNION ALL SELECT d + 36 FROM n WHERE d + 36 < 365) SELECT d FROM n))",
                  (source_id, orders))
    c.close()
    r["dirty_all"] = report()
    if r["dirty_all"]["figures"] != r["live_all"]["figures"]:
        sys.exit("the report with days changed since the refresh differs")
    wall, cpu, rss, _ = run_measured([binary, "--db", db, "report", "refresh"])
    r["refresh_again"] = dict(wall=wall, cpu=cpu, rss=rss)
    return r


def report_lines(rep):
    def row(name, m):
        return f"| {name} | {m['wall']:.2f} s | {m['cpu']:.2f} s | {m['rss']:.0f} MiB | {m.get('rows', '')} |"
    return [
        f"## The SKU report over {rep['orders']:,} orders of a year",
        "",
        f"{rep['orders']:,} orders with {rep['lines']:,} lines, {REPORT_SKUS:,} SKUs in two "
        f"currencies, stock at two locations each, written by SQL in {rep['gen']:.0f} s "
        f"(database {rep['db_mb']:,.0f} MB). Each figure is one `marketsync report skus "
        "--format csv` process, start to end.",
        "",
        "| report | wall | CPU | peak RSS | rows |",
        "|---|---|---|---|---|",
        row("every day, counted from the orders", rep["live_all"]),
        row("the last 30 days, counted from the orders", rep["live_30"]),
        row("`report refresh`, the first (every day summarized)", rep["refresh"]),
        row("every day, from the summary", rep["sum_all"]),
        row("the last 30 days, from the summary", rep["sum_30"]),
        row("every day, 10 days changed since the refresh", rep["dirty_all"]),
        row("`report refresh` of those 10 days", rep["refresh_again"]),
        "",
    ]


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def compare_only(a, small):
    """Ingest and pacing of this build and the baseline, run alternately so
    that whatever else the machine does weighs on both alike."""
    if not a.baseline_bin:
        sys.exit("--only compare needs --baseline-bin")
    per_day = 700 if small else 7000
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, binary in [("this", a.bin), ("base", a.baseline_bin)] * a.rounds:
            d = os.path.join(tmp, f"{name}{len(rows)}")
            os.makedirs(d)
            ing = bench_ingest(binary, d, per_day, 30, a.bin)
            pac = bench_pacing(binary, d, 1000 if small else 8200, 30 if small else 31, 40, 40,
                               a.bin)
            rows.append((name, ing, pac))
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} "
          f"{platform.release()}")
    print("| run | orders | JSON MB | ingest wall s | ingest CPU s | peak RSS MiB | pacing ratio "
          "| 429s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, ing, pac in rows:
        label = "this version" if name == "this" else a.baseline_name
        print(f"| {label} | {ing['orders']:,} | {ing['mb']:.0f} | {ing['wall']:.1f} | "
              f"{ing['cpu']:.1f} | {ing['rss']:.1f} | {pac['ratio']:.3f} | {pac['limited']} |")
    for key, what in (("wall", "ingest wall"), ("cpu", "ingest CPU")):
        this = sum(r[1][key] for r in rows if r[0] == "this")
        base = sum(r[1][key] for r in rows if r[0] == "base")
        print(f"{what}: this / {a.baseline_name} = {this / base:.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--small", action="store_true", help="a quick run with small figures")
    ap.add_argument("--baseline-bin", help="an earlier build: ingest and pacing run with it too")
    ap.add_argument("--baseline-name", default="baseline", help="what to call it")
    ap.add_argument("--rounds", type=int, default=2,
                    help="compare: how many times each build runs, alternately")
    ap.add_argument("--only", choices=["report", "compare"],
                    help="run this benchmark alone, print it (compare: ingest and pacing of "
                         "this build and --baseline-bin, alternately)")
    a = ap.parse_args()
    small = a.small
    report_orders = 100_000 if small else 1_000_000
    if a.only == "report":
        with tempfile.TemporaryDirectory() as tmp:
            rep = bench_report(a.bin, tmp, report_orders)
        print(f"machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} "
              f"{platform.release()}")
        print("\n".join(report_lines(rep)))
        return
    if a.only == "compare":
        compare_only(a, small)
        return
    base_ing = base_pac = None
    with tempfile.TemporaryDirectory() as tmp:
        ing = bench_ingest(a.bin, tmp, 700 if small else 7000, 30)
        pac = bench_pacing(a.bin, tmp, 1000 if small else 8200, 30 if small else 31, 40, 40)
        amz = bench_amazon(a.bin, tmp, 20 if small else 60, 10 if small else 30, 200)
        mod = bench_modified(a.bin, tmp, 330 if small else 3334, 30, 0.01)
        srv = bench_serve(a.bin, tmp, 60 if small else 1000, 50 if small else 60, 3)
        rep = bench_report(a.bin, tmp, report_orders)
        if a.baseline_bin:
            os.makedirs(os.path.join(tmp, "base"))
            base_ing = bench_ingest(a.baseline_bin, os.path.join(tmp, "base"),
                                    700 if small else 7000, 30, a.bin)
            base_pac = bench_pacing(a.baseline_bin, os.path.join(tmp, "base"),
                                    1000 if small else 8200, 30 if small else 31, 40, 40,
                                    a.bin)
    rate = ing["orders"] / ing["wall"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC,",
        f"machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} {platform.release()}.",
        "The sandbox runs on the same machine and shares its cores.",
        "",
        "## Ingest (rate limits off, SQLite)",
        "",
        "| figure | value |",
        "|---|---|",
        f"| orders synced | {ing['orders']:,} in {ing['pages']:,} pages |",
        f"| wall time | {ing['wall']:.1f} s |",
        f"| orders/s end to end | {rate:,.0f} (aim: >= 20,000) |",
        f"| JSON received | {ing['mb']:,.0f} MB, {ing['mb'] / ing['wall']:.1f} MB/s |",
        f"| CPU seconds (marketsync) | {ing['cpu']:.1f} |",
        f"| peak RSS (marketsync) | {ing['rss']:.1f} MiB (aim: < 64 MiB) |",
        f"| database size | {ing['db_mb']:,.0f} MB |",
        f"| baseline: the same orders in one stream from the sandbox | {ing['base']:.1f} s "
        f"({ing['base_orders'] / ing['base']:,.0f} orders/s) |",
        f"| ratio: sync time / baseline | {ing['wall'] / ing['base']:.2f} |",
        "",
        "## Pacing (bucket 40, leak 40/s)",
        "",
        "| figure | value |",
        "|---|---|",
        f"| pages / requests | {pac['pages']:,} / {pac['requests']:,} |",
        f"| wall time | {pac['wall']:.1f} s |",
        f"| theoretical minimum (requests - 40) / 40 | {pac['minimum']:.1f} s |",
        f"| ratio (aim: <= 1.05) | {pac['ratio']:.3f} |",
        f"| 429 answers (aim: <= 1 per 1,000 requests) | {pac['limited']} "
        f"(sandbox counted {pac['throttled']}) |",
        "",
        f"## Amazon pacing (token buckets sped up {amz['speed']}x)",
        "",
        "| figure | value |",
        "|---|---|",
        f"| getOrders / getOrderItems requests | {amz['orders']:,} / {amz['items']:,} |",
        f"| wall time | {amz['wall']:.1f} s |",
        f"| theoretical minimum (slower bucket after its burst) | {amz['minimum']:.1f} s |",
        f"| ratio (aim: <= 1.05) | {amz['ratio']:.3f} |",
        f"| 429 answers (aim: <= 1 per 1,000 requests) | {amz['limited']} of {amz['requests']:,} |",
        "",
        f"## Changes: one `modified` pass against a full re-download (bucket 40, leak 40/s)",
        "",
        f"{mod['stored']:,} orders over {mod['days']} completed days; {mod['changed']:,} of them "
        f"({mod['changed'] / max(1, mod['stored']):.0%}) changed, spread over every day.",
        "",
        "| figure | `sync --mode modified` | `sync --mode full` of the same days | ratio |",
        "|---|---|---|---|",
        f"| requests | {mod['mod_requests']:,} (aim: changed/250 + 2 = "
        f"{mod['changed'] // 250 + 2}) | {mod['full_requests']:,} | "
        f"{mod['full_requests'] / max(1, mod['mod_requests']):.0f}x fewer |",
        f"| records received | {mod['mod_records']:,} | {mod['full_records']:,} | |",
        f"| JSON received | {mod['mod_mb']:.1f} MB | {mod['full_mb']:.1f} MB | |",
        f"| wall time | {mod['mod_wall']:.1f} s | {mod['full_wall']:.1f} s | "
        f"{mod['full_wall'] / max(0.001, mod['mod_wall']):.0f}x faster |",
        "",
    ]
    lines += [
        f"## The service: one `serve`, {srv['shops']:,} shops due at once (Shopify standard limits: bucket 40, leak 2/s)",
        "",
        f"One schedule of every source, run at once: {srv['days']} days of orders from each shop "
        "(one page a day), by one worker in one process.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| job | {srv['state']} |",
        f"| requests | {srv['requests']:,} ({srv['slowest']} from the busiest shop) |",
        f"| wall time, serve start to job completed | {srv['wall']:.1f} s |",
        f"| bound: the busiest shop's requests after its burst of 40, at 2/s | {srv['bound']:.1f} s |",
        f"| ratio (aim: <= 1.1) | {srv['ratio']:.2f} |",
        f"| CPU seconds (serve) | {srv['cpu']:.1f} |",
        f"| CPU seconds (the sandboxes, on the same cores) | {srv['sandbox_cpu']:.1f} |",
        f"| peak RSS (serve) | {srv['rss']:.1f} MiB (aim: < 256 MiB) |",
        f"| pages stored per second | {srv['requests'] / srv['wall']:,.0f} "
        f"(the bound asks {srv['requests'] / max(0.001, srv['bound']):,.0f}) |",
        f"| serve CPU per page | {srv['cpu'] / max(1, srv['requests']) * 1e3:.2f} ms |",
        "",
        "Every shop's days are small (one page each), so the bound is reached only if one "
        "process stores pages as fast as a thousand shops' rate limits allow together; "
        "the CPU per page (parse, store, commit) is what stands between the two.",
        "",
    ]
    lines += report_lines(rep)
    if base_ing:
        b_rate = base_ing["orders"] / base_ing["wall"]
        lines += [
            f"## This version next to {a.baseline_name} (same run, same machine)",
            "",
            f"| figure | {a.baseline_name} | this version | ratio (this / {a.baseline_name}) |",
            "|---|---|---|---|",
            f"| ingest: orders/s end to end | {b_rate:,.0f} | {rate:,.0f} | {rate / b_rate:.2f} |",
            f"| ingest: CPU seconds | {base_ing['cpu']:.1f} | {ing['cpu']:.1f} | "
            f"{ing['cpu'] / max(0.01, base_ing['cpu']):.2f} |",
            f"| ingest: peak RSS | {base_ing['rss']:.1f} MiB | {ing['rss']:.1f} MiB | "
            f"{ing['rss'] / max(0.01, base_ing['rss']):.2f} |",
            f"| ingest: database size | {base_ing['db_mb']:,.0f} MB | {ing['db_mb']:,.0f} MB | "
            f"{ing['db_mb'] / max(0.01, base_ing['db_mb']):.2f} |",
            f"| pacing: time / theoretical minimum | {base_pac['ratio']:.3f} | {pac['ratio']:.3f} | "
            f"{pac['ratio'] / base_pac['ratio']:.2f} |",
            f"| pacing: 429 answers | {base_pac['limited']} | {pac['limited']} | |",
            "",
        ]
    if small:
        lines.insert(2, "(a small run: `bench.py --small`; figures are indicative only)")
    text = "\n".join(lines)
    print(text)
    if not small:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
