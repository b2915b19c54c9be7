#!/usr/bin/env bash
# A long day on a flaky network: every request succeeds within --max-retries,
# and the day's retry budget grows with its pages, so the day completes;
# --max-day-retries sets a budget of one's own.
. "$(dirname "$0")/lib.sh"

# About 32 pages of 250 orders in a day; 40 % of requests answer 500.
sandbox_start --seed 5 --days 3 --shop big:America/New_York:8000 --no-rate-limit \
  --faults 500=0.4 --fault-seed 3
DAY=$(local_day America/New_York -1)

test_expect_success 'a day of 30+ pages with 40 % of requests failing completes' '
  add_shop big --timezone America/New_York --no-check >/dev/null &&
  ms sync big --from "$DAY" --to "$DAY" >"$WORK/sync.out" 2>&1 &&
  grep -q "1 of 1 days completed" "$WORK/sync.out" &&
  retried=$(sed -n "s/.* requests, \([0-9]*\) retried.*/\1/p" "$WORK/sync.out") &&
  echo "retried: $retried" && [ "$retried" -gt 20 ]
'

test_expect_success 'with --max-day-retries 5 the day stops and says how to raise it' '
  { ms sync big --resync="$DAY" --max-day-retries 5 >"$WORK/low.out" 2>&1; test $? -eq 1; } &&
  grep -q "used up its 5 retries; raise them with --max-day-retries" "$WORK/low.out"
'

test_expect_success '--max-day-retries refuses what is not a positive number' '
  { ms sync big --max-day-retries 0 2>"$WORK/bad.err"; test $? -eq 2; } &&
  grep -q "max-day-retries" "$WORK/bad.err"
'

test_done
