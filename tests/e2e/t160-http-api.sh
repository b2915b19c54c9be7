#!/usr/bin/env bash
# The admin HTTP API inside `serve --listen`: bearer tokens (none or a bad
# one 401), members limited to their accounts (another account's source
# 404, an admin route 403), every route answering bad input with a 4xx
# JSON error that names the field, a quick sync followed live as
# server-sent events and found completed in the sync log, a source added
# through the API whose secret (a canary) no answer, log or database byte
# holds, and 429 with Retry-After past the rate of the routes that start
# work.
. "$(dirname "$0")/lib.sh"

CANARY=shpat_CANARY_api_5c1e8b27d94f03a6
export SHOP_TOKEN=$CANARY # the CLI-added sources read it from the environment

sandbox_start --seed 11 --days 3 --shop alpha:UTC:12 --shop beta:UTC:12 --shop gamma:UTC:12 \
  --token "$CANARY"

OUT="$WORK/out" # every API answer kept here, for the canary check
mkdir -p "$OUT"
SERVE_PID=
N=0

stop_serve() {
  if [ -n "$SERVE_PID" ]; then
    kill "$SERVE_PID" 2>/dev/null || true
    wait "$SERVE_PID" 2>/dev/null || true
    SERVE_PID=
  fi
}
trap 'stop_serve; cleanup' EXIT

# api METHOD PATH TOKEN [BODY]: prints the status; the answer is in
# $WORK/body (and kept in $OUT), the headers in $WORK/headers.
api() {
  local method=$1 path=$2 token=$3 body=${4-}
  local args=(-s -X "$method" -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}')
  [ -z "$token" ] || args+=(-H "Authorization: Bearer $token")
  [ -z "$body" ] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
  N=$((N + 1))
  curl "${args[@]}" "$API$path"
  cp "$WORK/body" "$OUT/$N.json"
}

# json EXPR: a value of the last answer (python expression on `j`).
json() { python3 -c "import json,sys; j=json.load(open('$WORK/body')); print($1)"; }

# bad_input METHOD PATH TOKEN BODY FIELD: a 4xx with a JSON error naming FIELD.
bad_input() {
  local code
  code=$(api "$1" "$2" "$3" "$4")
  echo "$1 $2 $4 -> $code $(cat "$WORK/body")"
  [ "${code:0:1}" = 4 ] && [ "$(json "j['error']['field']")" = "$5" ] &&
    [ -n "$(json "j['error']['message']")" ]
}

test_expect_success 'setup: two accounts, an admin and a member, their tokens, a source each' '
  ms init >/dev/null && ms account add acme >/dev/null && ms account add other >/dev/null &&
  ms user add root --admin >/dev/null && ms user add ann --account acme >/dev/null &&
  ADMIN=$(ms token create --user root 2>/dev/null) && MEMBER=$(ms token create --user ann 2>/dev/null) &&
  RATE=$(ms token create --user ann --label rate 2>/dev/null) &&
  printf "%s\n%s\n%s\n" "$ADMIN" "$MEMBER" "$RATE" >"$WORK/tokens" &&
  add_shop alpha --account acme >/dev/null && add_shop beta --account other >/dev/null
'
ADMIN=$(sed -n 1p "$WORK/tokens")
MEMBER=$(sed -n 2p "$WORK/tokens")
RATE=$(sed -n 3p "$WORK/tokens")

"$MS_BIN" serve --listen 127.0.0.1:0 --workers 1 >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVE_PID=$!
for _ in $(seq 100); do [ -s "$WORK/serve.out" ] && break; sleep 0.1; done
API=$(sed -n "s/^listening on //p" "$WORK/serve.out")
BAD_TOKEN="${MEMBER:0:46}$([ "${MEMBER:46:1}" = A ] && echo B || echo A)"

test_expect_success 'serve --listen answers /healthz' '
  [ -n "$API" ] && echo "$API" &&
  for _ in $(seq 50); do curl -sf "$API/healthz" >/dev/null && break; sleep 0.1; done &&
  [ "$(api GET /healthz "")" = 200 ] && [ "$(json "j[\"status\"]")" = ok ]
'

test_expect_success 'no token or a bad token: 401 with a JSON error' '
  [ "$(api GET /api/sources "")" = 401 ] && [ "$(json "j[\"error\"][\"field\"]")" = Authorization ] &&
  grep -qi "^WWW-Authenticate: Bearer" "$WORK/headers" &&
  [ "$(api GET /api/sources mst_not_a_token_at_all)" = 401 ] &&
  [ "$(api GET /api/sources "$BAD_TOKEN")" = 401 ] &&
  [ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Basic eDp5" "$API/api/sources")" = 401 ]
'

test_expect_success 'a member sees its accounts only: another account source is 404, admin routes 403' '
  [ "$(api GET /api/sources "$MEMBER")" = 200 ] && [ "$(json "\",\".join(s[\"name\"] for s in j[\"sources\"])")" = alpha ] &&
  [ "$(api GET /api/sources "$ADMIN")" = 200 ] && [ "$(json "len(j[\"sources\"])")" = 2 ] &&
  [ "$(api GET /api/sources/beta "$MEMBER")" = 404 ] &&
  [ "$(api GET /api/sources/beta/calendar "$MEMBER")" = 404 ] &&
  [ "$(api DELETE /api/sources/beta "$MEMBER")" = 404 ] &&
  [ "$(api POST /api/sources/beta/test "$MEMBER")" = 404 ] &&
  [ "$(api GET "/api/runs?source=beta" "$MEMBER")" = 404 ] &&
  [ "$(api POST /api/sync "$MEMBER" "{\"sources\":[\"beta\"]}")" = 404 ] &&
  [ "$(api GET /api/sources/alpha "$MEMBER")" = 200 ] &&
  for route in "GET /metrics" "GET /api/users" "GET /api/accounts" "GET /api/tokens" \
               "GET /api/webhooks" "POST /api/trigger"; do
    [ "$(api ${route% *} ${route#* } "$MEMBER" "{}")" = 403 ] || { echo "$route"; exit 1; }
    [ "$(json "j[\"error\"][\"status\"]")" = 403 ]
  done &&
  [ "$(api GET /metrics "$ADMIN")" = 200 ] && grep -q "^marketsync_jobs{state=\"completed\"}" "$WORK/body" &&
  [ "$(api GET /api/system "$MEMBER")" = 200 ] && [ "$(json "j[\"scheduler\"][\"alive\"]")" = True ] &&
  [ "$(api GET /api/me "$MEMBER")" = 200 ] && [ "$(json "\",\".join(j[\"accounts\"])")" = acme ]
'

test_expect_success 'bad input on each route: 4xx with a JSON error naming the field' '
  bad_input POST /api/sources "$MEMBER" "{}" name &&
  bad_input POST /api/sources "$MEMBER" "{\"name\":\"two words\",\"connector\":\"shopify\"}" name &&
  bad_input POST /api/sources "$MEMBER" "{\"name\":\"g\",\"connector\":\"nope\"}" connector &&
  bad_input POST /api/sources "$MEMBER" "{\"name\":\"g\",\"connector\":\"shopify\",\"settings\":{\"shop\":\"g\",\"api_base\":\"ftp://x\"},\"secrets\":{\"token\":\"t\"}}" api_base &&
  bad_input POST /api/sources "$MEMBER" "{\"name\":\"g\",\"connector\":\"shopify\",\"settings\":{\"shop\":\"g\"}}" token &&
  bad_input POST /api/sources "$MEMBER" "{\"name\":\"g\",\"connector\":\"shopify\",\"account\":\"other\"}" account &&
  bad_input POST /api/sources "$MEMBER" "{\"name\":\"g\",\"connector\":\"shopify\",\"settings\":{\"colour\":\"red\"}}" colour &&
  bad_input POST /api/sources "$MEMBER" "{\"name\":\"g\",\"connector\":\"shopify\",\"streams\":[\"nope\"],\"settings\":{\"shop\":\"g\"},\"secrets\":{\"token\":\"t\"}}" streams &&
  bad_input PATCH /api/sources/alpha "$MEMBER" "{\"colour\":\"red\"}" colour &&
  bad_input PATCH /api/sources/alpha "$MEMBER" "{\"account\":\"other\"}" account &&
  bad_input GET "/api/sources/alpha/calendar?month=2026-13" "$MEMBER" "" month &&
  bad_input POST /api/schedules "$MEMBER" "{\"name\":\"Bad Name\",\"every\":3600,\"sources\":[\"alpha\"]}" name &&
  bad_input POST /api/schedules "$MEMBER" "{\"name\":\"s1\",\"every\":5,\"sources\":[\"alpha\"]}" every &&
  bad_input POST /api/schedules "$MEMBER" "{\"name\":\"s1\",\"every\":3600}" sources &&
  bad_input PATCH /api/schedules/nope "$MEMBER" "{\"enabled\":false}" schedule &&
  bad_input GET "/api/runs?limit=0" "$MEMBER" "" limit &&
  bad_input GET "/api/runs?from=yesterday" "$MEMBER" "" from &&
  bad_input GET "/api/runs/abc" "$MEMBER" "" run &&
  bad_input POST /api/sync "$MEMBER" "{\"sources\":[\"alpha\"],\"mode\":\"sideways\"}" mode &&
  bad_input POST /api/sync "$MEMBER" "{\"sources\":[\"alpha\"],\"range\":\"someday\"}" range &&
  bad_input POST /api/trigger "$ADMIN" "{\"force\":\"yes\"}" force &&
  bad_input GET "/api/jobs?state=weird" "$MEMBER" "" state &&
  bad_input GET "/api/jobs/999999" "$MEMBER" "" job &&
  bad_input POST /api/failed/retry "$MEMBER" "{}" ids &&
  bad_input GET "/api/events?limit=abc" "$MEMBER" "" limit &&
  bad_input POST /api/webhooks "$ADMIN" "{\"url\":\"not a url\",\"secret_env\":\"SHOP_TOKEN\"}" url &&
  bad_input POST /api/webhooks "$ADMIN" "{\"url\":\"https://example.com/h\",\"secret\":\"abc\"}" secret &&
  bad_input POST /api/users "$ADMIN" "{\"name\":\"\"}" name &&
  bad_input POST /api/tokens "$ADMIN" "{}" user &&
  bad_input POST /api/accounts "$ADMIN" "{\"name\":\"a/b\"}" name &&
  bad_input GET "/api/sources?limit=1&limit=2" "$MEMBER" "" limit &&
  bad_input POST /api/schedules/nope/toggle "$MEMBER" "{\"enabled\":\"x\"}" schedule &&
  bad_input POST /api/jobs/abc/retry "$MEMBER" "" job &&
  bad_input POST /api/jobs/abc/cancel "$MEMBER" "" job &&
  bad_input GET /api/jobs/abc/progress "$MEMBER" "" job &&
  bad_input DELETE /api/tokens/abc "$ADMIN" "" token &&
  bad_input DELETE /api/webhooks/abc "$ADMIN" "" webhook &&
  bad_input DELETE /api/accounts/nope "$ADMIN" "" account &&
  bad_input PATCH /api/users/ann "$ADMIN" "{\"name\":\"bob\"}" name &&
  bad_input GET /api/users/nope "$ADMIN" "" user &&
  bad_input GET "/api/failed?source=beta" "$MEMBER" "" source &&
  bad_input GET "/api/events?source=beta" "$MEMBER" "" source &&
  bad_input POST /api/sources/nope/test "$MEMBER" "" source &&
  bad_input GET /api/sources/nope/streams "$MEMBER" "" source &&
  bad_input POST /api/sources "$MEMBER" "{not json" body &&
  bad_input POST /api/sources "$MEMBER" "[1,2]" body &&
  bad_input POST /api/sources "$MEMBER" "{\"name\":\"$(head -c 300 /dev/zero | tr "\0" a)\",\"connector\":\"shopify\"}" name &&
  python3 -c "print(\"{\\\"name\\\":\\\"\" + \"a\" * 70000 + \"\\\"}\")" >"$WORK/big.json" &&
  code=$(curl -s -o "$WORK/body" -w "%{http_code}" -H "Authorization: Bearer $MEMBER" \
    --data-binary @"$WORK/big.json" "$API/api/sources") && echo "big body -> $code" &&
  [ "$code" = 413 ] && [ "$(json "j[\"error\"][\"field\"]")" = body ] &&
  [ "$(api GET /api/nowhere "$MEMBER")" = 404 ] && [ "$(json "j[\"error\"][\"field\"]")" = path ] &&
  [ "$(api PUT /api/sources "$MEMBER" "{}")" = 405 ]
'

test_expect_success 'a quick sync streams its progress as server-sent events and ends completed in the log' '
  [ "$(api POST /api/sync "$MEMBER" "{\"sources\":[\"alpha\"],\"streams\":[\"orders\"],\"range\":\"last-7-days\"}")" = 202 ] &&
  cat "$WORK/body" && job=$(json "j[\"job_id\"]") && progress=$(json "j[\"progress\"]") &&
  curl -sN --max-time 120 -H "Authorization: Bearer $MEMBER" "$API$progress" >"$WORK/sse.txt" &&
  cat "$WORK/sse.txt" && cp "$WORK/sse.txt" "$OUT/sse.txt" &&
  grep -q "^event: end$" "$WORK/sse.txt" && grep -q "^data: {" "$WORK/sse.txt" &&
  tail -n 3 "$WORK/sse.txt" | grep -q "\"job_state\":\"completed\"" &&
  [ "$(api GET "/api/runs?source=alpha&trigger=quick&status=completed" "$MEMBER")" = 200 ] &&
  [ "$(json "j[\"runs\"][0][\"job_id\"]")" = "$job" ] &&
  run=$(json "j[\"runs\"][0][\"id\"]") &&
  [ "$(api GET "/api/runs/$run" "$MEMBER")" = 200 ] && [ "$(json "j[\"status\"]")" = completed ] &&
  [ "$(json "len(j[\"slices\"]) > 0 and j[\"requests\"] > 0")" = True ] &&
  [ "$(api GET "/api/jobs/$job" "$MEMBER")" = 200 ] && [ "$(json "j[\"state\"]")" = completed ] &&
  [ "$(api GET "/api/sources/alpha/calendar?stream=orders" "$MEMBER")" = 200 ] &&
  [ "$(json "len(j[\"streams\"][\"orders\"]) > 0")" = True ] &&
  [ "$(api GET "/api/sources/alpha/streams" "$MEMBER")" = 200 ] &&
  [ "$(api GET "/api/runs/$run" "$ADMIN")" = 200 ]
'

test_expect_success 'the SKU report through the API counts what report skus counts, scoped' '
  [ "$(api GET "/api/reports/skus?source=alpha&range=last-7-days&sort=sku&limit=10000" "$MEMBER")" = 200 ] &&
  cp "$WORK/body" "$WORK/api-skus.json" &&
  ms report skus --source alpha --range last-7-days --sort sku --format json >"$WORK/cli-skus.json" &&
  python3 - "$WORK/api-skus.json" "$WORK/cli-skus.json" <<PY &&
import json, sys
api = json.load(open(sys.argv[1]))["rows"]
text = open(sys.argv[2]).read().strip()
cli = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines()]
cli = cli["rows"] if isinstance(cli, dict) else cli
assert len(api) == len(cli) > 0, (len(api), len(cli))
assert sum(r["units"] for r in api) == sum(r["units"] for r in cli)
print(len(api), "SKU rows,", sum(r["units"] for r in api), "units, as the command line counts them")
PY
  [ "$(api GET "/api/reports/skus?source=beta" "$MEMBER")" = 404 ] &&
  [ "$(api GET "/api/reports/skus" "$MEMBER")" = 200 ] &&
  bad_input GET "/api/reports/skus?sort=price" "$MEMBER" "" sort &&
  bad_input GET "/api/reports/skus?range=fortnight" "$MEMBER" "" range &&
  bad_input GET "/api/reports/skus?from=2026-13-01" "$MEMBER" "" from &&
  bad_input GET "/api/reports/skus?currency=DOLLARS" "$MEMBER" "" currency &&
  bad_input GET "/api/reports/skus?limit=0" "$MEMBER" "" limit
'

test_expect_success 'schedules through the API: create, toggle, run now, delete' '
  [ "$(api POST /api/schedules "$MEMBER" "{\"name\":\"nightly\",\"daily_at\":\"02:00\",\"sources\":[\"alpha\"],\"streams\":[\"orders\"],\"range\":\"yesterday\"}")" = 201 ] &&
  [ "$(api GET /api/schedules "$MEMBER")" = 200 ] && [ "$(json "j[\"schedules\"][0][\"name\"]")" = nightly ] &&
  [ "$(api POST /api/schedules/nightly/toggle "$MEMBER")" = 200 ] && [ "$(json "j[\"enabled\"]")" = False ] &&
  [ "$(api PATCH /api/schedules/nightly "$MEMBER" "{\"daily_at\":\"03:00\"}")" = 200 ] &&
  [ "$(api POST /api/schedules/nightly/run "$MEMBER")" = 202 ] &&
  [ "$(api GET /api/schedules "$ADMIN")" = 200 ] && [ "$(json "len(j[\"schedules\"])")" = 1 ] &&
  [ "$(api DELETE /api/schedules/nightly "$MEMBER")" = 204 ]
'

test_expect_success 'a source added through the API keeps its secret sealed: no answer, log or dump holds it' '
  [ "$(api POST /api/sources "$MEMBER" "{\"name\":\"gamma\",\"connector\":\"shopify\",\"settings\":{\"shop\":\"gamma\",\"api_base\":\"$SANDBOX_URL/shops/gamma\"},\"secrets\":{\"token\":\"$CANARY\"},\"streams\":[\"orders\"]}")" = 201 ] &&
  cat "$WORK/body" && [ "$(json "j[\"secrets\"][\"token\"]")" = sealed ] && [ "$(json "j[\"account\"]")" = acme ] &&
  [ "$(json "j[\"checked\"]")" = True ] &&
  sqlite3 "$DB" "select credentials from sources where name = \"gamma\"" | grep -q "\"token_sealed\":\"sealed:v1:" &&
  [ "$(api POST /api/sources/gamma/test "$MEMBER")" = 200 ] && [ "$(json "j[\"ok\"]")" = True ] &&
  [ "$(api PATCH /api/sources/gamma "$MEMBER" "{\"secrets\":{\"token\":\"$CANARY\"}}")" = 200 ] &&
  [ "$(api GET /api/sources/gamma "$MEMBER")" = 200 ] &&
  [ "$(api POST /api/sources "$MEMBER" "{\"name\":\"delta\",\"connector\":\"shopify\",\"settings\":{\"shop\":\"delta\",\"api_base\":\"$SANDBOX_URL/shops/nosuch\"},\"secrets\":{\"token\":\"$CANARY\"}}")" = 422 ] &&
  [ "$(json "j[\"error\"][\"field\"]")" = connection ] &&
  [ "$(api POST /api/sync "$MEMBER" "{\"sources\":[\"gamma\"],\"range\":\"today\"}")" = 202 ] &&
  ms source list | grep -q "^gamma .* token sealed" &&
  sqlite3 "$DB" .dump >"$WORK/dump.sql" &&
  ! grep -rqaF -- "$CANARY" "$OUT" && ! grep -qaF -- "$CANARY" "$WORK/serve.log" "$WORK/serve.out" &&
  ! grep -qaF -- "$CANARY" "$WORK/dump.sql" &&
  ! grep -qaF -- "$CANARY" "$DB" && { [ ! -e "$DB-wal" ] || ! grep -qaF -- "$CANARY" "$DB-wal"; }
'

test_expect_success 'past the rate of the sync routes a token gets 429 with Retry-After' '
  codes="" &&
  for i in $(seq 14); do
    codes="$codes $(api POST /api/sync "$RATE" "{\"sources\":[\"alpha\"],\"mode\":\"sideways\"}")"
  done && echo "$codes" &&
  echo "$codes" | grep -q 429 && [ "$(json "j[\"error\"][\"code\"]")" = rate_limited ] &&
  grep -Eqi "^Retry-After: [0-9]+" "$WORK/headers" &&
  [ "$(api GET /api/sources "$RATE")" = 200 ] &&
  [ "$(api POST /api/sync "$MEMBER" "{\"sources\":[\"alpha\"],\"mode\":\"sideways\"}")" = 400 ]
'

test_expect_success 'the other routes answer: jobs, failed records, events, webhooks, trigger' '
  [ "$(api GET "/api/jobs?limit=5" "$MEMBER")" = 200 ] && [ "$(json "len(j[\"jobs\"]) > 0")" = True ] &&
  [ "$(api GET /api/failed "$MEMBER")" = 200 ] &&
  [ "$(api POST /api/jobs/retry-failed "$ADMIN")" = 200 ] &&
  [ "$(api GET "/api/events?type=order.&limit=3" "$MEMBER")" = 200 ] && [ "$(json "len(j[\"events\"]) > 0")" = True ] &&
  [ "$(api POST /api/webhooks "$ADMIN" "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":\"order.\",\"secret_env\":\"SHOP_TOKEN\"}")" = 201 ] &&
  hook=$(json "j[\"id\"]") && [ "$(api GET /api/webhooks "$ADMIN")" = 200 ] &&
  [ "$(api DELETE "/api/webhooks/$hook" "$ADMIN")" = 204 ] &&
  [ "$(api POST /api/trigger "$ADMIN" "{\"source\":\"beta\",\"force\":true}")" = 202 ] &&
  [ "$(json "j[\"queued\"][0][\"source\"]")" = beta ] &&
  [ "$(api GET /api/users "$ADMIN")" = 200 ] && [ "$(api GET /api/tokens "$ADMIN")" = 200 ] &&
  ! grep -qF "$ADMIN" "$WORK/body"
'

test_expect_success 'a member sees its own jobs only, a full page of them, and no queue counts' '
  code=$(api GET /api/system "$MEMBER") && echo "system: $code $(cat "$WORK/body")" && [ "$code" = 200 ] &&
  [ "$(json "\"queue\" in j")" = False ] &&
  [ "$(api GET /api/system "$ADMIN")" = 200 ] && [ "$(json "\"depth\" in j[\"queue\"]")" = True ] &&
  [ "$(api GET "/api/jobs?limit=1" "$MEMBER")" = 200 ] && cat "$WORK/body" && echo &&
  [ "$(json "len(j[\"jobs\"])")" = 1 ] &&
  [ "$(api GET "/api/jobs?limit=1000" "$MEMBER")" = 200 ] &&
  python3 - "$WORK/body" "$DB" <<PY
import json, sqlite3, sys
jobs = json.load(open(sys.argv[1]))["jobs"]
db = sqlite3.connect(sys.argv[2])
names = [json.dumps(j) for j in jobs]
assert jobs and not any("beta/" in n for n in names), names[:3]
assert db.execute("select count(*) from jobs where targets like ?", ("%beta/%",)).fetchone()[0] > 0
print(len(jobs), "jobs of the member, none of beta")
PY
'

kill -TERM "$SERVE_PID" && { wait "$SERVE_PID"; echo $? >"$WORK/serve.rc"; }
SERVE_PID=
test_expect_success 'serve stops cleanly on SIGTERM, and its log never holds the secret' '
  cat "$WORK/serve.log" && [ "$(cat "$WORK/serve.rc")" = 0 ] &&
  ! grep -qaF -- "$CANARY" "$WORK/serve.log"
'

test_done
