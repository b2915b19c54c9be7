#!/usr/bin/env bash
# Bad input to the command line: one clear sentence, exit code 2, nothing stored.
. "$(dirname "$0")/lib.sh"

# expect_usage_error PATTERN ARGS...: exit 2 and stderr matching PATTERN.
expect_usage_error() {
  local pattern=$1; shift
  set +e
  "$MS_BIN" "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { echo "exit $rc, expected 2: $*"; cat "$WORK/err"; return 1; }
  grep -qiE -- "$pattern" "$WORK/err" || { echo "stderr lacks '$pattern':"; cat "$WORK/err"; return 1; }
}

test_expect_success 'init creates the database and says so' '
  ms init | grep -q "is ready" && [ -f "$DB" ]
'

test_expect_success 'every command answers --help with exit 0' '
  for c in init source sync status export runs sandbox; do
    ms $c --help >/dev/null || { echo "$c --help failed"; exit 1; }
  done
  ms --help | grep -q "commands:"
'

test_expect_success 'an unknown command exits 2' '
  expect_usage_error "not a command" frobnicate
'

test_expect_success 'no command at all exits 2 with the usage' '
  expect_usage_error "usage" 
'

test_expect_success 'sync with an impossible date exits 2' '
  expect_usage_error "not a day of the calendar" sync --from 2026-02-30 --to 2026-03-01
'

test_expect_success 'sync with a malformed date exits 2' '
  expect_usage_error "YYYY-MM-DD" sync --from 2026-1-5 --to 2026-01-09
'

test_expect_success 'sync with --from after --to exits 2' '
  expect_usage_error "--from is after --to" sync --from 2026-03-05 --to 2026-03-01
'

test_expect_success 'sync with --from alone exits 2' '
  expect_usage_error "go together" sync --from 2026-03-05
'

test_expect_success 'sync with two ranges exits 2' '
  expect_usage_error "choose one" sync --today --yesterday
'

test_expect_success 'sync with a huge or zero --last-days exits 2' '
  expect_usage_error "whole number" sync --last-days 99999999999999999999 &&
  expect_usage_error "whole number" sync --last-days 0 &&
  expect_usage_error "whole number" sync --last-days 12abc
'

test_expect_success 'sync with a negative --delay exits 2' '
  expect_usage_error "--delay" sync --delay -1
'

test_expect_success 'sync with an unknown option exits 2' '
  expect_usage_error "unknown option" sync --frobnicate
'

test_expect_success 'sync with no sources says how to add one' '
  expect_usage_error "source add" sync --today
'

test_expect_success 'adding a source without its token variable set stores nothing' '
  unset NO_SUCH_TOKEN_VAR
  expect_usage_error "NO_SUCH_TOKEN_VAR is not set" source add shopify s1 --shop s1 \
    --token-env NO_SUCH_TOKEN_VAR --no-check &&
  ms source list | grep -q "no sources yet"
'

test_expect_success 'adding a source with an unknown time zone exits 2' '
  expect_usage_error "not a known time zone" source add shopify s1 --shop s1 \
    --token-env SHOP_TOKEN --timezone Mars/Olympus --no-check
'

test_expect_success 'adding a source with both token options exits 2' '
  expect_usage_error "not both" source add shopify s1 --shop s1 --token-env SHOP_TOKEN \
    --token-file /etc/hostname --no-check
'

test_expect_success 'adding a source of an unknown connector exits 2' '
  expect_usage_error "not a connector" source add ebay s1 --shop s1 --token-env SHOP_TOKEN
'

test_expect_success 'a source added twice is refused the second time' '
  ms source add shopify s1 --shop s1 --token-env SHOP_TOKEN --timezone UTC --no-check &&
  expect_usage_error "already" source add shopify s1 --shop s1 --token-env SHOP_TOKEN --no-check
'

test_expect_success 'an unknown source name exits 2 for sync, status, test and remove' '
  expect_usage_error "nosuch" sync nosuch --today &&
  expect_usage_error "nosuch" status nosuch &&
  expect_usage_error "nosuch" source test nosuch &&
  expect_usage_error "nosuch" source remove nosuch
'

test_expect_success 'export needs a known format' '
  expect_usage_error "jsonl or csv" export orders --format xml
'

test_expect_success 'a file that is not a database is refused and left unchanged' '
  echo "not a database, just text" >"$WORK/bogus.db"
  sum=$(md5sum <"$WORK/bogus.db")
  expect_usage_error "not a marketsync database|damaged" --db "$WORK/bogus.db" status &&
  [ "$(md5sum <"$WORK/bogus.db")" = "$sum" ]
'

test_expect_success 'a database from a newer marketsync is refused and left unchanged' '
  ms --db "$WORK/newer.db" init >/dev/null &&
  sqlite3 "$WORK/newer.db" "insert into schema_migrations (version, name, applied_at) values (999, \"9999_future.sql\", 0)" &&
  sum=$(md5sum <"$WORK/newer.db")
  expect_usage_error "newer marketsync" --db "$WORK/newer.db" status &&
  expect_usage_error "newer marketsync" --db "$WORK/newer.db" sync --today &&
  [ "$(md5sum <"$WORK/newer.db")" = "$sum" ]
'

test_expect_success 'the token never appears in source list output' '
  ms source list >"$WORK/list" && ! grep -q "shpat_sandbox_token" "$WORK/list" &&
  grep -q "env SHOP_TOKEN" "$WORK/list"
'

test_done
