#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/init.sh - `snapmig init` on the rig: OpenSearch ->
# OpenSearch and Elasticsearch 7.10 (legacy) -> OpenSearch.  The written
# starter plan passes `validate` and `check`, and says what the clusters
# hold: the seeded indices grouped by prefix, the closed one left out, a
# rename around the name the target already has, no replicas on the
# single-node target, the shared path.repo as an fs repository.  init
# changes nothing on either cluster, refuses to overwrite a file, and an
# unreachable cluster is an error that names it.
source "$(dirname "$0")/lib.sh"

it_load_rig_env
it_require_search_up source "$SNAPMIG_RIG_SOURCE_URL"
it_require_search_up target "$SNAPMIG_RIG_TARGET_URL"
it_require_search_up legacy "$SNAPMIG_RIG_LEGACY_URL"
BIN="${SNM_BINARY:?}"
SRC=$SNAPMIG_RIG_SOURCE_URL
DST=$SNAPMIG_RIG_TARGET_URL
LEG=$SNAPMIG_RIG_LEGACY_URL
run=$(it_run_id)
pfx="initit-$run"
work=$(mktemp -d)
it_on_exit rm -rf "$work"

mkindex() { # url name replicas docs
  it_http PUT "$1/$2" "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": $3}}"
  assert_http_status 200 "create $2 on $1"
  local i body=""
  for ((i = 0; i < $4; i++)); do
    body+="{\"index\": {}}"$'\n'"{\"n\": $i}"$'\n'
  done
  [[ $4 -eq 0 ]] || curl -sf -m 60 -H 'Content-Type: application/x-ndjson' \
    -X POST "$1/$2/_bulk?refresh=true" --data-binary "$body" >/dev/null ||
    it_fail "bulk into $2"
  it_on_exit curl -s -X DELETE "'$1/$2'"
}
state_of() { # url: repositories and index names, to compare before/after
  curl -sf "$1/_snapshot" | jq -S 'keys'
  curl -sf "$1/_cat/indices?h=index,status&expand_wildcards=all&s=index"
}
# the plan without comments, for jq
plan_json() {
  python3 -c '
import json, re, sys
t = open(sys.argv[1]).read()
out, i = [], 0
while i < len(t):
    if t[i] == "\"":
        j = i + 1
        while t[j] != "\"":
            j += 2 if t[j] == "\\" else 1
        out.append(t[i:j + 1]); i = j + 1
    elif t.startswith("//", i):
        i = t.find("\n", i)
    else:
        out.append(t[i]); i += 1
print(json.dumps(json.loads("".join(out))))' "$1"
}

# --- OpenSearch -> OpenSearch ------------------------------------------------
mkindex "$SRC" "$pfx-logs-1" 1 10
mkindex "$SRC" "$pfx-logs-2" 1 20
mkindex "$SRC" "$pfx-logs-3" 1 30
mkindex "$SRC" "$pfx-logs-old" 0 1
it_http POST "$SRC/$pfx-logs-old/_close"
assert_http_status 200 "close $pfx-logs-old"
mkindex "$SRC" "$pfx-solo" 0 5
mkindex "$DST" "$pfx-solo" 0 1 # taken on the target: a rename is needed
before_src=$(state_of "$SRC")
before_dst=$(state_of "$DST")

"$BIN" init --source "$SRC" --target "$DST" --indices "$pfx-*" \
  -o "$work/os.json" 2>"$work/os.err" || it_fail "init OS->OS: $(cat "$work/os.err")"
[[ -s "$work/os.json" ]] || it_fail "init wrote no plan"
"$BIN" validate "$work/os.json" || it_fail "the written plan is not valid: $(cat "$work/os.json")"
"$BIN" check --json "$work/os.json" >"$work/os.check" ||
  it_fail "check of the written plan: $(jq -c '.issues' "$work/os.check") plan: $(cat "$work/os.json")"
plan=$(plan_json "$work/os.json")
assert_eq "$(jq -r '.snapshot.indices | join(" ")' <<<"$plan")" "$pfx-* -$pfx-logs-old" "snapshot.indices (--indices kept, the closed index left out)"
assert_eq "$(jq -r '.restores[0].rename.replacement' <<<"$plan")" 'restored-$1' "rename around the taken name"
assert_eq "$(jq -r '.restores[0].index_settings["index.number_of_replicas"]' <<<"$plan")" 0 "no replicas on the one-node target"
assert_eq "$(jq -r '.repository.type' <<<"$plan")" fs "repository type"
assert_eq "$(jq -r '.repository.settings.location' <<<"$plan")" "$SNAPMIG_RIG_FS_REPO/snapmig-$(jq -r .name <<<"$plan" | tr A-Z a-z)" "the shared path.repo"
# the plan's shape against the JSON Schema, with the real validator
py=$("$IT_ROOT/tests/schema/venv.sh") || it_fail "the JSON Schema validator's venv"
"$py" -c '
import json, sys
from jsonschema import Draft202012Validator
v = Draft202012Validator(json.load(open(sys.argv[1])))
errs = [e.message for e in v.iter_errors(json.loads(sys.argv[2]))]
sys.exit("; ".join(errs) if errs else 0)' "$IT_ROOT/docs/plan.schema.json" "$plan" ||
  it_fail "the written plan fails docs/plan.schema.json"
targets=$(jq -r '[.restores[0].items[] | .source + ">" + .target + ":" + .action] | sort | join(" ")' "$work/os.check")
assert_eq "$targets" "$pfx-logs-1>restored-$pfx-logs-1:restore $pfx-logs-2>restored-$pfx-logs-2:restore $pfx-logs-3>restored-$pfx-logs-3:restore $pfx-solo>restored-$pfx-solo:restore" "what check predicts"
assert_eq "$(jq -r .blockers "$work/os.check")" 0 "blockers"
assert_contains "$(cat "$work/os.json")" "// closed on the source" "the closed index's comment"
assert_eq "$(state_of "$SRC")" "$before_src" "the source is unchanged"
assert_eq "$(state_of "$DST")" "$before_dst" "the target is unchanged"

# without --indices: every non-system index and data stream, grouped
"$BIN" init --source "$SRC" --target "$DST" --name all-of-it >"$work/all.json" 2>"$work/all.err" ||
  it_fail "init without --indices: $(cat "$work/all.err")"
"$BIN" validate -q "$work/all.json" || it_fail "the written plan (all) is not valid"
"$BIN" check -q "$work/all.json" >"$work/all.check" ||
  it_fail "check of the written plan (all): $(cat "$work/all.check") plan: $(cat "$work/all.json")"
plan=$(plan_json "$work/all.json")
assert_eq "$(jq -r .name <<<"$plan")" all-of-it "--name"
assert_contains "$(jq -r '.snapshot.indices | join(" ")' <<<"$plan") " "$pfx-* " "the seeded indices, one group"
assert_contains "$(jq -r '.snapshot.indices | join(" ")' <<<"$plan")" "-$pfx-logs-old" "the closed index left out"
jq -e '.snapshot.indices | map(select(startswith("."))) | length == 0' <<<"$plan" >/dev/null ||
  it_fail "a system index was selected: $plan"

# an existing file is never overwritten
echo keep >"$work/exists.json"
if "$BIN" init --source "$SRC" --target "$DST" -o "$work/exists.json" 2>"$work/ex.err"; then
  it_fail "init overwrote an existing file"
fi
assert_eq "$(cat "$work/exists.json")" keep "the existing file"
assert_contains "$(cat "$work/ex.err")" "exists" "the refusal says why"

# an unreachable cluster: named, exit 1, no plan
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if "$BIN" init --source "http://127.0.0.1:$port" --target "$DST" -o "$work/none.json" 2>"$work/none.err"; then
  it_fail "init succeeded against a closed port"
fi
[[ ! -e "$work/none.json" ]] || it_fail "init wrote a plan although the source was unreachable"
assert_contains "$(cat "$work/none.err")" "source" "the error names the source"
assert_contains "$(cat "$work/none.err")" "127.0.0.1:$port" "the error names the endpoint"

# --- Elasticsearch 7.10 -> OpenSearch -----------------------------------------
mkindex "$LEG" "$pfx-legacy-a" 1 7
mkindex "$LEG" "$pfx-legacy-b" 1 8
before_leg=$(state_of "$LEG")
"$BIN" init --source "$LEG" --target "$DST" --indices "$pfx-legacy-*" \
  -o "$work/legacy.json" 2>"$work/legacy.err" || it_fail "init legacy->OS: $(cat "$work/legacy.err")"
"$BIN" validate "$work/legacy.json" || it_fail "the written legacy plan is not valid"
"$BIN" check --json "$work/legacy.json" >"$work/legacy.check" ||
  it_fail "check of the legacy plan: $(jq -c '.issues' "$work/legacy.check") plan: $(cat "$work/legacy.json")"
plan=$(plan_json "$work/legacy.json")
assert_contains "$(cat "$work/legacy.json")" "Elasticsearch 7.10" "the source's engine in the header"
assert_eq "$(jq -r '.restores[0].rename // "none"' <<<"$plan")" none "no rename: nothing taken"
assert_eq "$(jq -r '.restores[0].index_settings["index.number_of_replicas"]' <<<"$plan")" 0 "no replicas on the one-node target"
assert_eq "$(jq -r '[.restores[0].items[].target] | sort | join(" ")' "$work/legacy.check")" "$pfx-legacy-a $pfx-legacy-b" "what check predicts"
assert_eq "$(state_of "$LEG")" "$before_leg" "the legacy node is unchanged"
it_pass "OpenSearch->OpenSearch and Elasticsearch 7.10->OpenSearch"
