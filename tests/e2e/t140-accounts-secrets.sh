#!/usr/bin/env bash
# Accounts, users and API tokens from the command line, with their errors;
# secrets given on standard input stored sealed with the master key and
# used by syncs; a tampered text, a text moved to another source, another
# master key and a key file others may read, each refused with one
# sentence and exit 2; key rotation that keeps every source working, also
# when it was interrupted; and canaries (a shop token, a password, an API
# token) that no output, log or database byte may hold.
. "$(dirname "$0")/lib.sh"

SHOP_CANARY=shpat_CANARY_shop_7f3a9c51e2d84b06
PASSWORD_CANARY=CANARY-pass-9d2e4b71c0
API_TOKEN= # made below; its value is the third canary

sandbox_start --seed 5 --days 3 --shop alpha:UTC:15 --shop beta:America/Chicago:15 \
  --token "$SHOP_CANARY"

OUT="$WORK/out" # every output of every command run here, for the canary check
mkdir -p "$OUT"
KEY="$DB.key"

# run NAME ARGS...: marketsync with its output kept in $OUT/NAME.out and
# $OUT/NAME.err; returns its exit code.
run() {
  local name=$1
  shift
  "$MS_BIN" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
}

# refused NAME CODE TEXT ARGS...: the command exits CODE and its standard
# error says TEXT.
refused() {
  local name=$1 code=$2 text=$3 rc
  shift 3
  set +e
  run "$name" "$@"
  rc=$?
  set -e
  cat "$OUT/$name.err"
  [ "$rc" -eq "$code" ] && grep -qF -- "$text" "$OUT/$name.err"
}

# one_sentence NAME CODE TEXT ARGS...: refused, with exactly one line on
# standard error.
one_sentence() {
  refused "$@" && [ "$(grep -c . "$OUT/$1.err")" -eq 1 ]
}

# same_orders SOURCE: the source's stored orders are the sandbox's, by id.
same_orders() {
  "$MS_BIN" export orders --source "$1" >"$OUT/export-$1.out" 2>"$OUT/export-$1.err" &&
    curl -sf "$SANDBOX_URL/_sandbox/truth?shop=$1" >"$WORK/truth-$1.json" &&
    python3 - "$OUT/export-$1.out" "$WORK/truth-$1.json" <<'EOF'
import json, sys
stored = {json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()}
truth = {str(json.loads(l)["id"]) for l in open(sys.argv[2]) if l.strip()}
if not stored or stored != truth:
    sys.exit(f"stored {len(stored)} orders, the sandbox has {len(truth)}")
EOF
}

# The stored credentials of a source, its sealed token, and changing them
# behind marketsync's back.
creds_of() { sqlite3 "$DB" "select credentials from sources where name = '$1'"; }
set_creds() { sqlite3 "$DB" "update sources set credentials = '$2' where name = '$1'"; }
sealed_of() { sqlite3 "$DB" "select json_extract(credentials, '\$.token_sealed') from sources where name = '$1'"; }
set_sealed() { sqlite3 "$DB" "update sources set credentials = json_set(credentials, '\$.token_sealed', '$2') where name = '$1'"; }
hash_of() { sqlite3 "$DB" "select password_hash from users where name = '$1'"; }
# flip TEXT: TEXT with one character of its ciphertext changed.
flip() { python3 -c 'import sys; s = sys.argv[1]; i = len(s) - 6; print(s[:i] + ("A" if s[i] != "A" else "B") + s[i + 1:])' "$1"; }

# key_id_of NAME [GLOBAL OPTIONS]: the key id `key show` reports.
key_id_of() {
  run "key-show-$1" "${@:2}" key show &&
    sed -n "s/.*(key id \([0-9a-f]*\)).*/\1/p" "$OUT/key-show-$1.out" | head -n 1
}

# The sentences that refuse a sealed secret.
altered() {
  printf "the secret 'token' of source %s has been altered: enter it again with 'marketsync source edit %s --token-stdin'" "$1" "$1"
}
moved() {
  printf "the secret 'token' stored with source %s was sealed for another source or another secret: enter it again with 'marketsync source edit %s --token-stdin'" "$1" "$1"
}
wrong_key() {
  printf "the secret 'token' of source %s was sealed with another master key (key id %s; this one is %s): set MARKETSYNC_KEY_FILE to the key file it was made with" "$1" "$2" "$3"
}
readable() {
  printf "the master key file %s can be read by other users (mode 0644): make it private with 'chmod 600 %s'" "$1" "$1"
}

test_expect_success 'init makes a private master key next to the database, and keeps it' '
  run init init && grep -q "master key $KEY made (key id" "$OUT/init.out" &&
  [ "$(stat -c %a "$KEY")" = 600 ] && [ "$(stat -c %s "$KEY")" -eq 65 ] &&
  grep -Eq "^[0-9a-f]{64}$" "$KEY" && cp "$KEY" "$WORK/first.key" &&
  refused init-extra 2 "unexpected argument" init now &&
  run init-again init && grep -q "is there" "$OUT/init-again.out" && cmp -s "$KEY" "$WORK/first.key"
'

test_expect_success 'accounts are added and listed; bad ones exit 2 with a sentence' '
  run account-acme account add acme && run account-beta account add beta-shops &&
  refused account-twice 2 "an account named \"acme\" already exists" account add acme &&
  refused account-bad 2 "is not usable: use letters, digits" account add "two words" &&
  refused account-gone 2 "no account named \"nope\"" account remove nope &&
  run account-list account list && grep -q "^acme " "$OUT/account-list.out" &&
  grep -q "^beta-shops " "$OUT/account-list.out" &&
  run account-json account list --json && [ "$(grep -c "\"name\"" "$OUT/account-json.out")" -eq 2 ]
'

test_expect_success 'users are added with their accounts, and get a password from standard input' '
  run user-ann user add ann --account acme && run user-root user add root --admin &&
  run user-both user add both --account acme,beta-shops &&
  refused user-nope 2 "no account named \"nope\"" user add eve --account nope &&
  refused user-twice 2 "a user named \"ann\" already exists" user add ann &&
  printf "%s\n" "$PASSWORD_CANARY" | run passwd-ann user passwd ann &&
  grep -q "the password of ann is set" "$OUT/passwd-ann.out" &&
  printf "short\n" | refused passwd-short 2 "a password has at least 10 characters" user passwd ann &&
  printf "%s\n" "$PASSWORD_CANARY" | refused passwd-nobody 2 "no user named \"nobody\"" user passwd nobody &&
  run user-list user list && cat "$OUT/user-list.out" &&
  grep -Eq "^ann +member +set +0 .* acme$" "$OUT/user-list.out" &&
  grep -Eq "^root +admin +none " "$OUT/user-list.out" &&
  grep -Eq "^both +member .* acme,beta-shops$" "$OUT/user-list.out" &&
  hash_of ann | grep -qF "\$argon2id\$v=19\$m=65536,t=2,p=1\$"
'

test_expect_success 'token create prints the token alone; list shows its prefix; revoke stops it' '
  API_TOKEN=$("$MS_BIN" token create --user ann --label ci 2>"$OUT/token-create.err") &&
  printf "%s" "$API_TOKEN" >"$WORK/api-token" &&
  [ "$(printf "%s\n" "$API_TOKEN" | wc -l)" -eq 1 ] &&
  printf "%s" "$API_TOKEN" | grep -Eq "^mst_[A-Za-z0-9_-]{43}$" &&
  grep -q "shown this once" "$OUT/token-create.err" &&
  "$MS_BIN" token create --user root >/dev/null 2>"$OUT/token-root.err" &&
  refused token-nobody 2 "no user named \"nobody\"" token create --user nobody &&
  refused token-nouser 2 "--user NAME" token create &&
  refused token-bad-id 2 "no token with id 99" token revoke 99 &&
  run token-list token list && cat "$OUT/token-list.out" &&
  grep -Eq "^1 +${API_TOKEN:0:12}\.\.\. +ann +ci .* never +-$" "$OUT/token-list.out" &&
  run token-revoke token revoke 2 && run token-list-2 token list --json &&
  grep -q "\"id\":2,.*\"revoked_at\":\"20" "$OUT/token-list-2.out" &&
  grep -q "\"id\":1,.*\"revoked_at\":\"\"" "$OUT/token-list-2.out" &&
  [ "$(sqlite3 "$DB" "select count(*) from api_tokens where hash = lower(hash) and length(hash) = 64")" -eq 2 ]
'

test_expect_success 'sources added with --token-stdin are stored sealed, in their accounts, and sync' '
  printf "%s\n" "$SHOP_CANARY" | run add-alpha source add shopify alpha --shop alpha --token-stdin \
    --api-base "$SANDBOX_URL/shops/alpha" --streams orders --account acme &&
  printf "%s\n" "$SHOP_CANARY" | run add-beta source add shopify beta --shop beta --token-stdin \
    --api-base "$SANDBOX_URL/shops/beta" --streams orders --account beta-shops &&
  refused add-noacct 2 "no account named \"nope\"" source add shopify gamma --shop gamma \
    --token-env SHOP_TOKEN --api-base "$SANDBOX_URL/shops/gamma" --account nope &&
  printf "x\n" | refused add-two-stdin 2 "only one secret can come from standard input" \
    source add amazon am --region na --marketplace ATVPDKIKX0DER --client-id c \
    --client-secret-stdin --refresh-token-stdin &&
  run list source list && cat "$OUT/list.out" &&
  grep -Eq "^alpha +shopify +acme .* token sealed \(key [0-9a-f]{8}\)$" "$OUT/list.out" &&
  grep -Eq "^beta +shopify +beta-shops " "$OUT/list.out" &&
  sealed_of alpha | grep -Eq "^sealed:v1:[0-9a-f]{8}:[0-9a-f]{8}:[A-Za-z0-9_-]+$" &&
  run sync-1 sync alpha beta --last-days 5 && same_orders alpha && same_orders beta
'

test_expect_success 'an account that owns sources is not removed' '
  refused account-owns 2 "the account acme still owns 1 source (alpha)" account remove acme &&
  run account-list-2 account list && grep -Eq "^acme +1 +2 " "$OUT/account-list-2.out"
'

test_expect_success 'a tampered ciphertext: one sentence, exit 2; entering the secret again fixes it' '
  set_sealed alpha "$(flip "$(sealed_of alpha)")" &&
  one_sentence tamper-test 2 "$(altered alpha)" source test alpha &&
  one_sentence tamper-sync 2 "$(altered alpha)" sync alpha --today &&
  printf "%s\n" "$SHOP_CANARY" | run edit-alpha source edit alpha --token-stdin &&
  grep -q "changed source alpha: token sealed" "$OUT/edit-alpha.out" &&
  run test-alpha source test alpha && grep -q "^OK " "$OUT/test-alpha.out"
'

test_expect_success 'a ciphertext moved to another source: its own sentence, exit 2' '
  mine=$(creds_of alpha) && set_creds alpha "$(creds_of beta)" &&
  one_sentence moved-test 2 "$(moved alpha)" source test alpha &&
  set_creds alpha "$mine" && run test-alpha-2 source test alpha
'

test_expect_success 'another master key: one sentence naming both key ids, exit 2' '
  run init-other --db "$WORK/other.db" init &&
  ours=$(key_id_of ours) && theirs=$(key_id_of theirs --db "$WORK/other.db") &&
  [ -n "$ours" ] && [ -n "$theirs" ] && [ "$ours" != "$theirs" ] &&
  MARKETSYNC_KEY_FILE="$WORK/other.db.key" one_sentence wrongkey-test 2 \
    "$(wrong_key alpha "$ours" "$theirs")" source test alpha &&
  MARKETSYNC_KEY_FILE="$WORK/other.db.key" one_sentence wrongkey-sync 2 "sealed with another master key" \
    sync alpha --today &&
  MARKETSYNC_KEY_FILE="$WORK/missing.key" one_sentence nokey-test 2 "is sealed, but there is no master key file at $WORK/missing.key" \
    source test alpha &&
  MARKETSYNC_KEY_FILE="$WORK/missing.key" refused nokey-init 2 "restore the key file from your backup" init &&
  [ ! -e "$WORK/missing.key" ]
'

test_expect_success 'key rotate seals every secret again: sources sync, the old key opens nothing' '
  cp "$KEY" "$WORK/before-rotate.key" && before=$(key_id_of before) &&
  run rotate key rotate && cat "$OUT/rotate.out" &&
  grep -q "sealed again" "$OUT/rotate.out" && grep -q "2 secrets of 2 sources" "$OUT/rotate.out" &&
  after=$(key_id_of after) && [ "$after" != "$before" ] && [ ! -e "$KEY.new" ] &&
  [ "$(stat -c %a "$KEY")" = 600 ] &&
  sealed_of alpha | grep -q "^sealed:v1:$after:" && sealed_of beta | grep -q "^sealed:v1:$after:" &&
  run sync-2 sync alpha beta --last-days 5 && same_orders alpha && same_orders beta &&
  MARKETSYNC_KEY_FILE="$WORK/before-rotate.key" one_sentence oldkey-test 2 \
    "$(wrong_key beta "$after" "$before")" source test beta
'

test_expect_success 'a rotation interrupted after writing the new key file is finished by running it again' '
  ms --db "$WORK/spare.db" init >/dev/null && cp "$WORK/spare.db.key" "$KEY.new" && chmod 600 "$KEY.new" &&
  pending=$(key_id_of spare --db "$WORK/spare.db") &&
  run test-pending source test alpha && run show-pending key show &&
  grep -q "a rotation was interrupted" "$OUT/show-pending.out" &&
  run rotate-again key rotate && grep -q "finished a rotation that had been interrupted" "$OUT/rotate-again.out" &&
  [ ! -e "$KEY.new" ] && [ "$(key_id_of resumed)" = "$pending" ] &&
  run sync-3 sync alpha beta --today && sealed_of beta | grep -q "^sealed:v1:$pending:"
'

test_expect_success 'a key file others may read is refused with the chmod that fixes it' '
  chmod 644 "$KEY" &&
  one_sentence key644-test 2 "$(readable "$KEY")" source test alpha &&
  refused key644-init 2 "chmod 600" init &&
  refused key644-rotate 2 "chmod 600" key rotate &&
  chmod 600 "$KEY" && run key600-test source test alpha
'

test_expect_success 'no output, log or database byte holds a canary' '
  API_TOKEN=$(cat "$WORK/api-token") && [ -n "$API_TOKEN" ] &&
  sqlite3 "$DB" .dump >"$WORK/dump.sql" && [ -s "$WORK/dump.sql" ] &&
  for canary in "$SHOP_CANARY" "$PASSWORD_CANARY" "$API_TOKEN" "${API_TOKEN:12}" CANARY; do
    ! grep -rqaF -- "$canary" "$OUT" || { echo "found in output: $canary"; exit 1; }
    ! grep -qaF -- "$canary" "$WORK/dump.sql" || { echo "found in the dump: $canary"; exit 1; }
    for f in "$DB" "$DB-wal" "$WORK"/*.key; do
      [ ! -e "$f" ] || ! grep -qaF -- "$canary" "$f" || { echo "found in $f: $canary"; exit 1; }
    done
  done &&
  ls "$OUT" | wc -l
'

test_done
