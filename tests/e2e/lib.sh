# Shared by the end-to-end tests: they run the real binary against the
# sandbox, in the manner of git's test suite:
#   test_expect_success 'what must hold' 'commands'
set -u
: "${MS_BIN:?MS_BIN must point at the marketsync binary}"
MS_SRC=${MS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TEST_NAME=$(basename "$0" .sh)
TMP_ROOT=${MS_TEST_TMP:-/tmp}
mkdir -p "$TMP_ROOT"
WORK=$(mktemp -d "$TMP_ROOT/$TEST_NAME.XXXXXX")
DB="$WORK/ms.db"
export MARKETSYNC_DB="$DB"
export SHOP_TOKEN=shpat_sandbox_token
PASSED=0
FAILED=0
SANDBOX_PID=
SANDBOX_URL=

cleanup() {
  sandbox_stop
  if [ "$FAILED" -eq 0 ]; then rm -rf "$WORK"; else echo "kept $WORK for inspection"; fi
}
trap cleanup EXIT

test_expect_success() {
  local title=$1 body=$2
  if (set -e; eval "$body") >"$WORK/last.out" 2>&1; then
    PASSED=$((PASSED + 1))
    echo "ok - $title"
    # MS_TEST_VERBOSE=1 shows what a passing test printed too (its figures).
    [ -z "${MS_TEST_VERBOSE:-}" ] || sed 's/^/#   /' "$WORK/last.out" | tail -n 40
  else
    FAILED=$((FAILED + 1))
    echo "not ok - $title"
    sed 's/^/#   /' "$WORK/last.out" | tail -n 40
  fi
}

test_done() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# sandbox_start [sandbox options...]: starts it on a free port.
sandbox_start() {
  "$MS_BIN" sandbox --port 0 "$@" >"$WORK/sandbox.out" 2>"$WORK/sandbox.log" &
  SANDBOX_PID=$!
  for _ in $(seq 200); do
    [ -s "$WORK/sandbox.out" ] && break
    sleep 0.05
  done
  SANDBOX_URL=$(head -n 1 "$WORK/sandbox.out")
  [ -n "$SANDBOX_URL" ] || { cat "$WORK/sandbox.log" >&2; return 1; }
}

sandbox_stop() {
  if [ -n "$SANDBOX_PID" ]; then
    kill "$SANDBOX_PID" 2>/dev/null || true
    wait "$SANDBOX_PID" 2>/dev/null || true
    SANDBOX_PID=
  fi
}

ms() { "$MS_BIN" "$@"; }

# add_shop NAME: adds sandbox shop NAME as a source of the same name.
# Its plain syncs fetch orders only (the tests of the other streams use
# add_shop_all).
add_shop() {
  ms source add shopify "$1" --shop "$1" --token-env SHOP_TOKEN \
    --api-base "$SANDBOX_URL/shops/$1" --streams orders "${@:2}"
}

# add_shop_all NAME: the same with every stream the shop offers.
add_shop_all() {
  ms source add shopify "$1" --shop "$1" --token-env SHOP_TOKEN \
    --api-base "$SANDBOX_URL/shops/$1" "${@:2}"
}

# compare_truth SOURCE FROM TO: the database holds exactly the sandbox's orders
# of those local days, field for field.
compare_truth() {
  python3 "$MS_SRC/tests/e2e/compare.py" --bin "$MS_BIN" --db "$DB" --sandbox "$SANDBOX_URL" \
    --source "$1" --from "$2" --to "$3"
}

# The local date N days before today in zone TZ.
local_day() { TZ=$1 date -d "${2:-0} days" +%F; }

# Amazon: the sandbox's LWA client and a seller's refresh token.
export LWA_SECRET=sandbox-client-secret
LWA_CLIENT=amzn1.application-oa2-client.sandbox

# add_seller NAME [source options...]: adds sandbox seller NAME as a source.
add_seller() {
  local var="REFRESH_$(echo "$1" | tr 'a-z-' 'A-Z_')"
  export "$var=Atzr|sandbox-$1"
  ms source add amazon "$1" --region na --marketplace ATVPDKIKX0DER --client-id "$LWA_CLIENT" \
    --client-secret-env LWA_SECRET --refresh-token-env "$var" \
    --api-base "$SANDBOX_URL/sp-api" --token-url "$SANDBOX_URL/auth/o2/token" "${@:2}"
}

# compare_amazon SOURCE FROM TO: orders and items equal the truth.
compare_amazon() {
  python3 "$MS_SRC/tests/e2e/compare_amazon.py" --db "$DB" --sandbox "$SANDBOX_URL" \
    --source "$1" --seller "${SELLER:-$1}" --from "$2" --to "$3"
}

# compare_stream SOURCE STREAM [--deleted]: one stream of a shop equals the
# truth (live records byte for byte; with --deleted, deletions marked).
compare_stream() {
  python3 "$MS_SRC/tests/e2e/compare_streams.py" --bin "$MS_BIN" --db "$DB" \
    --sandbox "$SANDBOX_URL" --source "$1" --stream "$2" "${@:3}"
}

# requests_since SEQ [SHOP]: the API requests logged after SEQ, as JSON lines.
requests_since() {
  curl -s "$SANDBOX_URL/_sandbox/requests?since=$1${2:+&shop=$2}"
}

# request_seq: the number of the last logged request.
request_seq() {
  curl -s "$SANDBOX_URL/_sandbox/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['requests'])"
}

# mutate QUERY: changes the sandbox's data (see docs/sandbox.md).
mutate() {
  curl -sf -X POST "$SANDBOX_URL/_sandbox/mutate?$1"
}

# Affiliate networks: the sandbox's default credentials of account NAME.
admitad_website() {
  curl -s "$SANDBOX_URL/_sandbox/info" | python3 -c "import json,sys
print([a['website_id'] for a in json.load(sys.stdin)['admitad']['accounts'] if a['name'] == '$1'][0])"
}

# add_admitad NAME [source options...]: adds sandbox Admitad account NAME.
add_admitad() {
  local var="ADMITAD_SECRET_$(echo "$1" | tr 'a-z-' 'A-Z_')"
  export "$var=sandbox-admitad-secret-$1"
  "$MS_BIN" --db "$DB" source add admitad "$1" --client-id "sandbox-admitad-$1" --client-secret-env "$var" \
    --website "$(admitad_website "$1")" --api-base "$SANDBOX_URL/admitad" "${@:2}"
}

# add_boostiny NAME [source options...]: adds sandbox Boostiny account NAME.
add_boostiny() {
  local var="BOOSTINY_KEY_$(echo "$1" | tr 'a-z-' 'A-Z_')"
  export "$var=sandbox-boostiny-$1"
  "$MS_BIN" --db "$DB" source add boostiny "$1" --api-key-env "$var" --api-base "$SANDBOX_URL/boostiny" "${@:2}"
}

# compare_affiliate NETWORK SOURCE STREAM [--from D --to D] [--account A]:
# one stream of an affiliate source equals the sandbox's truth.
compare_affiliate() {
  python3 "$MS_SRC/tests/e2e/compare_affiliate.py" --bin "$MS_BIN" --db "$DB" \
    --sandbox "$SANDBOX_URL" --network "$1" --source "$2" --stream "$3" "${@:4}"
}

# affiliate_stat NETWORK NAME FIELD: a counter of /_sandbox/stats.
affiliate_stat() {
  curl -s "$SANDBOX_URL/_sandbox/stats" | python3 -c "import json,sys
print(json.load(sys.stdin)['$1']['$2']['$3'])"
}

# count_requests SEQ NAME PATH: API requests of account NAME to PATH after SEQ.
count_requests() {
  curl -s "$SANDBOX_URL/_sandbox/requests?since=$1&account=$2" | grep -c "\"path\":\"$3\"" || true
}
