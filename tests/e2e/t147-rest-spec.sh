#!/usr/bin/env bash
# The rest connector with specs a user writes: spec check names the field of
# a mistake and exits 2, source add rest refuses what cannot work, a
# corrected copy of a built-in spec syncs like the original, the worked
# example of docs/connectors/rest.md reads, and a spec broken after the
# source was added makes a sentence, not a crash.
. "$(dirname "$0")/lib.sh"

sandbox_start --seed 14 --days 5 --boostiny mena:30
export BOOSTINY_KEY_MENA=sandbox-boostiny-mena
TODAY=$(local_day UTC 0)
FROM=$(local_day UTC -2)

# mistake NAME PYTHON: writes $WORK/NAME.json, the Boostiny spec changed by
# PYTHON (s is the spec as a dict).
mistake() {
  ms spec show boostiny | python3 -c "import json,sys
s = json.load(sys.stdin)
$2
json.dump(s, open('$WORK/$1.json', 'w'), indent=1)"
}

test_expect_success 'the built-in specs are listed, shown, and pass spec check' '
  ms spec list >"$WORK/list.out" && grep -q "^admitad " "$WORK/list.out" &&
  grep -q "^boostiny " "$WORK/list.out" &&
  for n in admitad boostiny; do
    ms spec show $n >"$WORK/$n.json" && ms spec check "$WORK/$n.json" >"$WORK/$n.out" &&
    grep -q "a usable spec for $n" "$WORK/$n.out" || exit 1
  done
'

test_expect_success 'the worked example of docs/connectors/rest.md passes spec check' '
  python3 - "$MS_SRC/docs/connectors/rest.md" "$WORK/example.json" <<PY &&
import re, sys
text = open(sys.argv[1]).read()
block = re.search(r"<!-- worked example -->\s*\`\`\`json\n(.*?)\`\`\`", text, re.S)
assert block, "no worked example in rest.md"
open(sys.argv[2], "w").write(block.group(1))
PY
  ms spec check "$WORK/example.json" >"$WORK/example.out" 2>&1 &&
  grep -q "a usable spec" "$WORK/example.out"
'

test_expect_success 'a spec with a mistake gives a sentence naming the field, and exit 2' '
  mistake paging "s[\"streams\"][0][\"pagination\"][\"type\"] = \"pages\"" &&
  mistake typo "s[\"streams\"][1][\"paginaton\"] = s[\"streams\"][1].pop(\"pagination\")" &&
  mistake template "s[\"streams\"][0][\"day_params\"][\"from\"] = \"{day:YYYY-MM-DD}\"" &&
  mistake secret "s[\"streams\"][0][\"params\"] = {\"key\": \"{api_key}\"}" &&
  mistake column "s[\"streams\"][1][\"columns\"][1][\"type\"] = \"int\"" &&
  for m in "paging:streams[0].pagination.type: '\''pages'\'' is not one of" \
           "typo:streams[1]: unknown member '\''paginaton'\''" \
           "template:streams[0].day_params.from: {day:YYYY-MM-DD}: the format is a pattern" \
           "secret:{api_key} is a secret" \
           "column:table campaigns has column status holding text"; do
    f=${m%%:*}; want=${m#*:}
    set +e
    ms spec check "$WORK/$f.json" >"$WORK/$f.out" 2>&1
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || { echo "$f: exit $rc"; cat "$WORK/$f.out"; exit 1; }
    grep -qF -- "$want" "$WORK/$f.out" || { echo "$f: no \"$want\""; cat "$WORK/$f.out"; exit 1; }
  done
'

test_expect_success 'source add rest refuses a broken spec, a missing --spec or file, with exit 2' '
  set +e
  ms source add rest bad --spec "$WORK/paging.json" --api-key-env BOOSTINY_KEY_MENA >"$WORK/a1.out" 2>&1
  r1=$?
  ms source add rest bad --api-key-env BOOSTINY_KEY_MENA >"$WORK/a2.out" 2>&1
  r2=$?
  ms source add rest bad --spec "$WORK/nowhere.json" >"$WORK/a3.out" 2>&1
  r3=$?
  set -e
  [ "$r1" -eq 2 ] && grep -q "streams\[0\].pagination.type" "$WORK/a1.out" &&
  [ "$r2" -eq 2 ] && grep -q "give --spec FILE" "$WORK/a2.out" &&
  [ "$r3" -eq 2 ] && grep -q "cannot read the spec" "$WORK/a3.out" &&
  ! ms source list | grep -q "^bad "
'

test_expect_success 'a corrected copy of the Boostiny spec syncs like the original, in pages of 10' '
  mistake mine "s[\"title\"] = \"Boostiny (my copy)\"
for st in s[\"streams\"]:
    st[\"pagination\"][\"limit\"] = 10" &&
  ms source add rest mine --spec "$WORK/mine.json" --api-key-env BOOSTINY_KEY_MENA \
    --api-base "$SANDBOX_URL/boostiny" >"$WORK/add.out" 2>&1 &&
  grep -q "added source mine (rest" "$WORK/add.out" &&
  ms source list --json | grep "\"name\":\"mine\"" | grep -q "\"performance\"" &&
  seq=$(request_seq) &&
  ms sync mine --from "$FROM" --to "$TODAY" >"$WORK/sync.out" 2>&1 &&
  grep -q "3 of 3 days completed" "$WORK/sync.out" &&
  requests_since "$seq" | grep "publisher/performance" | grep -q "page=2&limit=10" &&
  compare_affiliate boostiny mine performance --account mena --from "$FROM" --to "$TODAY" &&
  compare_affiliate boostiny mine coupons --account mena
'

test_expect_success 'a spec broken after its source was added: the source is skipped with a sentence' '
  cp "$WORK/mine.json" "$WORK/mine.good" &&
  printf "{ not json" >"$WORK/mine.json" &&
  set +e
  ms sync mine --today >"$WORK/broken.out" 2>&1
  rc=$?
  set -e
  cp "$WORK/mine.good" "$WORK/mine.json" &&
  [ "$rc" -eq 1 ] && grep -q "mine is skipped: source mine: spec .*mine.json: the spec is not JSON" "$WORK/broken.out" &&
  ms sync mine --today >/dev/null 2>&1
'

test_done
