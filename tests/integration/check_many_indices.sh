#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig check` on a source with many indices: every index gets its exact
# count (index i holds i documents, so a count given to the wrong index
# shows), the JSON report lists them all, and -v shows the counts asked for
# in one POST /_msearch, no _count at all (issue 13).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/check/common.sh"

it_source_and_target

RUN="$(it_run_id)"
P="ck-many-$RUN"
N=40
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$P-*'"

one_shard='{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
for i in $(seq 1 $N); do
    it_ack "create $P-$i" PUT "$SRC/$P-$i" "$one_shard"
    # index i holds i documents, so a count given to the wrong index shows
    body=""
    for d in $(seq 1 "$i"); do
        body+='{"index":{}}'$'\n''{"n":'"$d"'}'$'\n'
    done
    curl -sf -m 30 -H 'Content-Type: application/x-ndjson' -X POST \
        "$SRC/$P-$i/_bulk?refresh=true" --data-binary "$body" >/dev/null ||
        it_fail "bulk into $P-$i failed"
done

PLAN="$CK_TMP/plan.json"
ck_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg i "$P-*" \
    --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg bp "$P" '{
  snapmig: 1, name: "check-many",
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: "ck-many", type: "s3", settings: {bucket: $b, base_path: $bp}},
  snapshot: {domain: "source", indices: [$i]},
  restores: [{domain: "target", rename: {pattern: "(.+)", replacement: "copy-$1"},
              index_settings: {"index.number_of_replicas": 0}}]}')"

ck_json "$PLAN"
ck_no_blockers
assert_eq "$(jq '[.indices[] | select(.name | startswith("'"$P"'-"))] | length' <<<"$CK_OUT")" \
    "$N" "indices listed"
for i in $(seq 1 $N); do
    assert_eq "$(jq --arg n "$P-$i" '.indices[] | select(.name == $n) | .docs' <<<"$CK_OUT")" \
        "$i" "documents of $P-$i"
done

ck_run -v "$PLAN"
assert_eq "$CK_RC" 0 "check -v exit"
assert_eq "$(grep -cE "source: GET /$P-[0-9]+/_count" <<<"$CK_ERR")" 0 \
    "_count requests logged"
assert_eq "$(grep -cE "source: POST /_msearch -> 200" <<<"$CK_ERR")" 1 \
    "_msearch requests logged"
echo "ok: $N indices counted in one _msearch"
