#!/usr/bin/env bash
# Answers that cannot be read are named for what they are and retried; a
# source that is broken (unreachable, secret missing, wrong URL) is reported
# and left out while the others sync; bad URLs never get stored or printed.
. "$(dirname "$0")/lib.sh"
export REFRESH_AZ='Atzr|sandbox-az'

sandbox_start --seed 17 --days 6 --shop good:UTC:30 --shop html:UTC:30 --seller az:20 \
  --sp-speed 200 --no-rate-limit
DAY=$(local_day UTC -1)
LADAY=$(local_day America/Los_Angeles -1)
plan() { curl -s -X POST "$SANDBOX_URL/_sandbox/faults/plan?$1" >/dev/null; }

test_expect_success 'sources are added' '
  add_shop good >/dev/null && add_shop html >/dev/null && add_seller az >/dev/null
'

for kind in html malformed shape; do
  test_expect_success "Amazon: a token answer of kind '$kind' is retried, named, and the day completes" "
    curl -s -X POST \"\$SANDBOX_URL/_sandbox/amazon/expire-access-tokens?seller=az\" >/dev/null &&
    plan 'seller=az&kind=$kind&match=auth/o2/token&nth=1&times=2' &&
    ms sync az --from $LADAY --to $LADAY --resync >\"\$WORK/lwa-$kind.out\" 2>&1 &&
    grep -q '1 of 1 days completed' \"\$WORK/lwa-$kind.out\" &&
    ! grep -q 'refused the credentials' \"\$WORK/lwa-$kind.out\" &&
    grep 'will retry' \"\$WORK/lwa-$kind.out\" | head -1
  "
done

test_expect_success 'Amazon: the retries say what came instead of a token' '
  grep -q "answered HTTP 200 with an HTML page instead of a token" "$WORK/lwa-html.out" &&
  grep -q "answered HTTP 200 with a cut JSON body instead of a token" "$WORK/lwa-malformed.out" &&
  grep -q "answered HTTP 200 with a JSON answer without an access token" "$WORK/lwa-shape.out"
'

test_expect_success 'Shopify: one HTML page in a day is retried and the day completes' '
  plan "shop=good&kind=html&match=orders.json&nth=1&times=1" &&
  ms sync good --from "$DAY" --to "$DAY" --resync >"$WORK/html1.out" 2>&1 &&
  grep -q "1 of 1 days completed" "$WORK/html1.out" &&
  grep -q "an HTML page came back where JSON was expected" "$WORK/html1.out"
'

test_expect_success 'Shopify: a shop that only answers HTML pages fails one day, says why, skips the rest' '
  plan "shop=html&kind=html&match=orders.json&nth=1&times=100000" &&
  { ms sync html --last-days 4 --concurrency 1 --max-retries 1 >"$WORK/html.out" 2>&1; test $? -eq 1; } &&
  grep -q "an HTML page came back where JSON was expected (HTTP 200); this usually means the API base URL is wrong, or a proxy or a login page answered instead of Shopify" "$WORK/html.out" &&
  grep -q "0 of 4 days completed, 1 FAILED, 3 skipped" "$WORK/html.out" &&
  [ "$(grep -c "remaining days are skipped" "$WORK/html.out")" -eq 1 ]
'

test_expect_success 'unreachable sources fail one day each and skip the rest; the good one syncs' '
  ms source add shopify refused --streams orders --shop refused --token-env SHOP_TOKEN --api-base http://127.0.0.1:9 \
    --timezone UTC --no-check >/dev/null &&
  ms source add shopify nohost --streams orders --shop nohost --token-env SHOP_TOKEN \
    --api-base http://no-such-host.invalid --timezone UTC --no-check >/dev/null &&
  start=$(date +%s) &&
  { ms sync good refused nohost --last-days 4 --concurrency 1 --max-retries 2 >"$WORK/unreach.out" 2>&1; test $? -eq 1; } &&
  echo "took $(( $(date +%s) - start )) s" &&
  grep -q "refused: cannot reach Shopify" "$WORK/unreach.out" &&
  grep -q "nohost: cannot reach Shopify" "$WORK/unreach.out" &&
  [ "$(grep -c "remaining days are skipped" "$WORK/unreach.out")" -eq 2 ] &&
  grep -q "3 of 11 days completed, 2 FAILED, 6 skipped (1 already complete" "$WORK/unreach.out"
'

test_expect_success 'a source whose secret is missing is reported and skipped; the others sync (exit 1)' '
  ms source add shopify nosecret --streams orders --shop good --token-env NOSUCH_TOKEN_VAR --api-base "$SANDBOX_URL/shops/good" \
    --timezone UTC --no-check >/dev/null 2>&1 ||
  { export NOSUCH_TOKEN_VAR=x; ms source add shopify nosecret --streams orders --shop good --token-env NOSUCH_TOKEN_VAR \
      --api-base "$SANDBOX_URL/shops/good" --timezone UTC --no-check >/dev/null; unset NOSUCH_TOKEN_VAR; } &&
  { ms sync good nosecret --from "$DAY" --to "$DAY" --resync >"$WORK/nosecret.out" 2>&1; test $? -eq 1; } &&
  grep -q "nosecret is skipped: .*NOSUCH_TOKEN_VAR is not set" "$WORK/nosecret.out" &&
  grep -q "1 of 1 days completed" "$WORK/nosecret.out"
'

test_expect_success 'source add exits 1 and saves nothing when the check fails (unknown shop)' '
  { ms source add shopify typo --streams orders --shop typo --token-env SHOP_TOKEN --api-base "$SANDBOX_URL/shops/typo" >"$WORK/typo.out" 2>&1; test $? -eq 1; } &&
  grep -q "Nothing was saved" "$WORK/typo.out" &&
  ! ms source list | grep -q "^typo "
'

test_expect_success 'sync --plan exits 1 for a source it cannot plan' '
  ms source add shopify unplanned --streams orders --shop x --token-env SHOP_TOKEN --api-base http://127.0.0.1:9 --no-check >/dev/null &&
  { ms sync good unplanned --plan >"$WORK/plan.out" 2>&1; test $? -eq 1; } &&
  grep -q "^good" "$WORK/plan.out" && grep -q "unplanned is skipped\|unplanned: cannot learn" "$WORK/plan.out"
'

for url in 'http://' 'http://[::1' 'http://127.0.0.1:99999' 'ftp://example.com' 'example.com/admin' \
  "$(printf 'http://exa\001mple.com')" 'http://example.com/?x=1'; do
  test_expect_success "--api-base '$(printf %q "$url")' is refused with exit 2 and nothing saved" "
    { ms source add shopify badurl --streams orders --shop badurl --token-env SHOP_TOKEN --api-base '$url' 2>\"\$WORK/url.err\"; test \$? -eq 2; } &&
    grep -q 'api-base' \"\$WORK/url.err\" && ! ms source list | grep -q '^badurl '
  "
done

test_expect_success 'a URL with user:password@ is refused and the password is never printed' '
  { ms source add shopify cred --streams orders --shop cred --token-env SHOP_TOKEN \
      --api-base "http://admin:hunter2secret@127.0.0.1:9" >"$WORK/cred.out" 2>&1; test $? -eq 2; } &&
  grep -q "credentials do not belong in URLs" "$WORK/cred.out" &&
  ! grep -q hunter2secret "$WORK/cred.out" &&
  { ms source add amazon cred2 --region na --marketplace ATVPDKIKX0DER --client-id x \
      --client-secret-env LWA_SECRET --refresh-token-env REFRESH_AZ \
      --token-url "https://u:hunter2secret@api.amazon.com/auth/o2/token" >"$WORK/cred2.out" 2>&1; test $? -eq 2; } &&
  ! grep -q hunter2secret "$WORK/cred2.out" && grep -q "token-url" "$WORK/cred2.out"
'

test_expect_success 'a password in a URL stored by an older version is never shown' '
  sqlite3 "$DB" "update sources set settings = json_set(settings, \"\$.api_base\", \"http://old:hunter2secret@127.0.0.1:9\") where name = \"refused\"" &&
  ms source list >"$WORK/list.out" && ms source list --json >>"$WORK/list.out" &&
  { ms sync refused --today --max-retries 0 >>"$WORK/list.out" 2>&1 || true; } &&
  ! grep -q hunter2secret "$WORK/list.out" && grep -q "http://127.0.0.1:9" "$WORK/list.out"
'

test_done
