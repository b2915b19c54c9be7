#!/usr/bin/env bash
# Database faults: another process holding the write lock, a full disk, I/O
# errors at random writes. Each time the page is not committed, the run ends
# with a clear message, PRAGMA integrity_check is ok, and a later run
# completes equal to the truth.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 31 --days 8 --shop lockshop:UTC:900 --no-rate-limit
FROM=$(local_day UTC -4)
TO=$(local_day UTC -1)
integrity() { [ "$(sqlite3 "$1" "pragma integrity_check")" = "ok" ]; }

test_expect_success 'a write lock held by another process: clear message, nothing half-written' '
  add_shop lockshop >/dev/null
  python3 -c "
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute(\"BEGIN IMMEDIATE\")
open(sys.argv[2], \"w\").close()
time.sleep(9)
c.execute(\"ROLLBACK\")" "$DB" "$WORK/locked" &
  locker=$!
  for _ in $(seq 100); do [ -e "$WORK/locked" ] && break; sleep 0.05; done
  set +e; ms sync lockshop --from "$FROM" --to "$TO" --max-retries 0 >"$WORK/busy.out" 2>&1; rc=$?; set -e
  cat "$WORK/busy.out"
  wait $locker
  [ "$rc" -ne 0 ] && grep -q "is busy" "$WORK/busy.out" && integrity "$DB" &&
  [ "$(sqlite3 "$DB" "select count(*) from orders")" -eq 0 ]
'

test_expect_success 'once the lock is gone the same command completes, equal to the truth' '
  ms sync lockshop --from "$FROM" --to "$TO" >/dev/null 2>&1 &&
  compare_truth lockshop "$FROM" "$TO" && integrity "$DB"
'

test_expect_success 'a full disk: clear message, the database stays sound, the sync resumes elsewhere' '
  if [ "$(id -u)" -ne 0 ]; then echo "skipped: mounting a small tmpfs needs root"; exit 0; fi
  mkdir -p "$WORK/small" && mount -t tmpfs -o size=6m tmpfs "$WORK/small" &&
  trap "umount \"$WORK/small\" 2>/dev/null || true" EXIT &&
  ms --db "$WORK/small/ms.db" source add shopify lockshop --streams orders --shop lockshop --token-env SHOP_TOKEN \
    --api-base "$SANDBOX_URL/shops/lockshop" >/dev/null 2>&1
  set +e; ms --db "$WORK/small/ms.db" sync lockshop --from "$FROM" --to "$TO" >"$WORK/full.out" 2>&1; rc=$?; set -e
  cat "$WORK/full.out" | tail -n 5
  [ "$rc" -ne 0 ] && grep -qi "full" "$WORK/full.out" && integrity "$WORK/small/ms.db" &&
  cp "$WORK/small/ms.db" "$WORK/moved.db" &&
  { [ ! -e "$WORK/small/ms.db-wal" ] || cp "$WORK/small/ms.db-wal" "$WORK/moved.db-wal"; } &&
  umount "$WORK/small" &&
  ms --db "$WORK/moved.db" sync lockshop --from "$FROM" --to "$TO" --pending >/dev/null 2>&1;
  ms --db "$WORK/moved.db" sync lockshop --from "$FROM" --to "$TO" >/dev/null 2>&1 &&
  DB="$WORK/moved.db" compare_truth lockshop "$FROM" "$TO" && integrity "$WORK/moved.db"
'

test_expect_success 'I/O errors at random writes (libfiu): no corruption, and a later run completes' '
  if ! command -v fiu-run >/dev/null; then echo "skipped: fiu-run (fiu-utils) is not installed"; exit 0; fi
  ms --db "$WORK/fiu.db" source add shopify lockshop --streams orders --shop lockshop --token-env SHOP_TOKEN \
    --api-base "$SANDBOX_URL/shops/lockshop" >/dev/null 2>&1
  failures=0
  for i in 1 2 3 4 5; do
    set +e
    fiu-run -x -c "enable_random name=posix/io/rw/pwrite,probability=0.02" \
      "$MS_BIN" --db "$WORK/fiu.db" sync lockshop --from "$FROM" --to "$TO" --resync >"$WORK/fiu$i.out" 2>&1
    rc=$?; set -e
    [ "$rc" -ne 0 ] && failures=$((failures + 1))
    integrity "$WORK/fiu.db" || { echo "corrupt after run $i"; exit 1; }
  done
  echo "runs that met an injected I/O error: $failures of 5"
  [ "$failures" -gt 0 ] && grep -hi "I/O\|disk" "$WORK"/fiu*.out | head -n 2 &&
  ms --db "$WORK/fiu.db" sync lockshop --from "$FROM" --to "$TO" --resync >/dev/null 2>&1 &&
  DB="$WORK/fiu.db" compare_truth lockshop "$FROM" "$TO"
'

test_done
