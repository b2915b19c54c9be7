#!/usr/bin/env bash
# A small sync, Shopify and Amazon, runs clean under valgrind memcheck: no
# memory errors and no definite leaks.
. "$(dirname "$0")/lib.sh"
export REFRESH_VS='Atzr|sandbox-vs'

sandbox_start --seed 4 --days 4 --shop vg:UTC:300 --seller vs:15 --sp-speed 200 --no-rate-limit

memcheck() {
  valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 -q "$MS_BIN" "$@"
}

test_expect_success 'a two-day Shopify sync is clean under memcheck' '
  if ! command -v valgrind >/dev/null; then echo "skipped: valgrind is not installed"; exit 0; fi
  add_shop vg >/dev/null 2>&1 &&
  memcheck sync vg --last-days 2 >"$WORK/vg.out" 2>&1 && grep -q "2 of 2 days completed" "$WORK/vg.out"
'

test_expect_success 'a two-day Amazon sync with token exchange and items is clean under memcheck' '
  if ! command -v valgrind >/dev/null; then echo "skipped: valgrind is not installed"; exit 0; fi
  add_seller vs >/dev/null 2>&1 &&
  memcheck sync vs --from "$(local_day America/Los_Angeles -2)" --to "$(local_day America/Los_Angeles -1)" \
    >"$WORK/vs.out" 2>&1 && grep -q "2 of 2 days completed" "$WORK/vs.out"
'

test_expect_success 'status and export are clean under memcheck too' '
  if ! command -v valgrind >/dev/null; then echo "skipped: valgrind is not installed"; exit 0; fi
  memcheck status >/dev/null 2>"$WORK/st.err" && memcheck export orders --format csv >/dev/null 2>"$WORK/ex.err"
'

test_expect_success 'accounts, users, tokens, sealed secrets and a key rotation are clean under memcheck' '
  if ! command -v valgrind >/dev/null; then echo "skipped: valgrind is not installed"; exit 0; fi
  memcheck init >/dev/null && memcheck account add acme >/dev/null &&
  memcheck user add ann --account acme >/dev/null && memcheck account list >/dev/null &&
  printf "a long enough password\n" | memcheck user passwd ann >/dev/null &&
  memcheck token create --user ann >/dev/null 2>&1 && memcheck token list >/dev/null &&
  memcheck user list >/dev/null && memcheck token revoke 1 >/dev/null &&
  printf "%s\n" "$SHOP_TOKEN" | memcheck source add shopify sealed --shop vg --token-stdin \
    --api-base "$SANDBOX_URL/shops/vg" --streams orders --account acme >/dev/null &&
  memcheck key rotate >/dev/null && memcheck source test sealed >/dev/null &&
  memcheck source list >/dev/null && memcheck key show >/dev/null &&
  memcheck source edit sealed --no-account >/dev/null
'

test_done
