#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/demo.sh - snapmig end to end on this machine, in one command.
#
# Installs what is missing (Debian packages), builds snapmig, starts the
# local rig (real OpenSearch source and target and an S3 server on
# 127.0.0.1; tests/rig), seeds three indices on the source, then runs
# plans/local-rig.json: validate, check (the dry run), run (the migration),
# status, and shows the indices that arrived on the target.
#
# The rig is left running (tests/rig/rig down stops it).  Running the demo
# again first deletes what the previous demo restored on the rig's target
# (restored-logs-*): the demo's throwaway data, nothing else.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "Installing missing Debian packages (if any)"
scripts/install-deps.sh

step "Building snapmig"
# no -G: a build/ made earlier (by the README's cmake commands) keeps its generator
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build >/dev/null
snapmig=$top/build/snapmig
show "$snapmig" --version

step "Starting the local rig (first time: downloads through Maven Central)"
tests/rig/rig up
eval "$(tests/rig/rig env)"

step "Seeding the source with 3 indices of 2000 documents"
tests/rig/rig seed --node source --indices 3 --docs 2000 --prefix rig-logs
if curl -sf "$SNAPMIG_RIG_TARGET_URL/_cat/indices/restored-logs-*" |
  grep -q restored-logs; then
  echo "(removing the previous demo's restored-logs-* from the rig's target)"
  curl -sf -X DELETE "$SNAPMIG_RIG_TARGET_URL/restored-logs-*" >/dev/null
fi

state=$top/build/demo.state.json
step "snapmig validate: the plan, offline"
show "$snapmig" validate plans/local-rig.json

step "snapmig check: what the migration will do, changing nothing"
show "$snapmig" check plans/local-rig.json

step "snapmig run: register, snapshot, restore, verify"
show "$snapmig" run --fresh --state "$state" plans/local-rig.json

step "snapmig status"
show "$snapmig" status --state "$state" plans/local-rig.json

step "On the target now"
show curl -s "$SNAPMIG_RIG_TARGET_URL/_cat/indices/restored-logs-*?v&h=index,health,docs.count,store.size&s=index"

printf '\nDone. The rig keeps running: tests/rig/rig down stops it.\n'
