#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Index lists longer than the server's request line (OpenSearch's
# http.max_initial_line_length is 4 KB): 30 indices with 200-byte names,
# listed one by one in the plan and restored under 202-byte names.  The
# preflight's GET LIST/_settings and the run's recovery, health and refresh
# requests must go in chunks; the migration succeeds and every count is
# verified.  The rig's default line limit is checked first: one URL with
# all the names is refused, so the test would fail without chunking.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"
REPO="rn_long_${RUN//-/_}"
NAME="rn-long-$RUN"
# 196-byte prefix: the seeded names ("PREFIX-NNN") are 200 bytes
STEM="rn-long-$RUN-"
PREFIX="$STEM$(printf 'x%.0s' $(seq 1 $((196 - ${#STEM}))))"
((${#PREFIX} == 196)) || it_fail "prefix is ${#PREFIX} bytes"

it_on_exit "curl -s -m 60 -X DELETE '$SRC/$STEM*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-$NAME-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "curl -s -m 60 -X DELETE '$DST/r-$STEM*'"

mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 30 --docs 20 --prefix "$PREFIX" | awk '{print $1}')
assert_eq 30 "${#INDICES[@]}" "seeded indices"
assert_eq 200 "${#INDICES[0]}" "name length"

# the server refuses one request line with every name
joined="$(IFS=,; echo "${INDICES[*]}")"
((${#joined} > 4096)) || it_fail "the joined names are only ${#joined} bytes"
status="$(curl -s -m 30 -o /dev/null -w '%{http_code}' "$SRC/$joined/_recovery")"
[[ "$status" != 200 ]] || it_fail "the source accepted a ${#joined}-byte index list in one URL"

PLAN="$RN_TMP/plan.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg run "$RUN" --args '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/run-long/" + $run)}},
  snapshot: {domain: "source", indices: $ARGS.positional},
  restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "r-$1"},
              index_settings: {"index.number_of_replicas": 0}}],
  polling: {initial_ms: 100, max_ms: 500}}' "${INDICES[@]}")"

# plain output (stdout is not a terminal): the summary keeps full names
rn_run "$RN_TMP/out.txt" "$PLAN"
assert_eq 0 "$RN_RC" "exit status ($(head -c 2000 "$RN_TMP/out.txt.err"))"
for i in "${INDICES[@]}"; do
    assert_eq 20 "$(doc_count "$DST" "r-$i")" "docs in r-${i:0:40}..."
    grep -qE -- "^target +$i +r-$i +20 .* verified\$" "$RN_TMP/out.txt" ||
        it_fail "no full summary row for ${i:0:40}...: $(head -c 800 "$RN_TMP/out.txt")"
done
it_pass "30 indices with 200-byte names (${#joined}-byte list) migrated in chunks"
