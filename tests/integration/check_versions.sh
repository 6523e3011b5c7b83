#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Version compatibility as `snapmig check` predicts it, on real engines:
#  - legacy (Elasticsearch 7.10.2) -> target (OpenSearch 2.19) through an fs
#    repository under $SNAPMIG_RIG_FS_REPO passes, and the index's creation
#    version is reported as Elasticsearch 7.10.2;
#  - target (OpenSearch) -> legacy (Elasticsearch) is blocked.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/check/common.sh"

it_load_rig_env
LEG="$SNAPMIG_RIG_LEGACY_URL"
DST="$SNAPMIG_RIG_TARGET_URL"
it_require_search_up legacy "$LEG"
it_require_search_up target "$DST"

RUN="$(it_run_id)"
P="ck-ver-$RUN"
REPO="ck_ver_${RUN//-/_}"
it_on_exit "curl -s -m 30 -X DELETE '$LEG/$P-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$P-*'"

one_shard='{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
it_ack "create index on legacy" PUT "$LEG/$P-old" "$one_shard"
it_ack "create index on target" PUT "$DST/$P-new" "$one_shard"

plan() { # plan SOURCE_URL TARGET_URL PATTERN
    jq -n --arg s "$1" --arg t "$2" --arg i "$3" --arg repo "$REPO" \
        --arg loc "$SNAPMIG_RIG_FS_REPO/$REPO" '{
      snapmig: 1, name: "check-versions",
      domains: {from: {endpoint: $s}, to: {endpoint: $t}},
      repository: {name: $repo, type: "fs", settings: {location: $loc}},
      snapshot: {domain: "from", indices: [$i]},
      restores: [{domain: "to", rename: {pattern: "(.+)", replacement: "moved-$1"},
                  index_settings: {"index.number_of_replicas": 0}}]}'
}
PLAN="$CK_TMP/plan.json"

ck_plan "$PLAN" "$(plan "$LEG" "$DST" "$P-old")"
ck_json "$PLAN"
ck_no_blockers
assert_eq Elasticsearch "$(jq -r '.domains[] | select(.id=="from") | .engine' <<<"$CK_OUT")" "legacy engine"
assert_eq "Elasticsearch 7.10.2" "$(jq -r --arg i "$P-old" '.indices[] | select(.name==$i) | .version_created' <<<"$CK_OUT")" "created version"
assert_eq restore "$(jq -r '.restores[0].items[0].action' <<<"$CK_OUT")" "legacy -> target action"

ck_plan "$PLAN" "$(plan "$DST" "$LEG" "$P-new")"
ck_json "$PLAN"
assert_eq 1 "$CK_RC" "exit for OpenSearch -> Elasticsearch"
ck_has_issue blocker version to
assert_contains "$(jq -r '.issues[] | select(.code=="version") | .message' <<<"$CK_OUT")" "Elasticsearch cannot restore snapshots taken by OpenSearch" "version message"
assert_eq blocked "$(jq -r '.restores[0].items[0].action' <<<"$CK_OUT")" "target -> legacy action"

it_pass "legacy -> target passes, target -> legacy blocked"
