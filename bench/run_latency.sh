#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/run_latency.sh - how quickly `snapmig run` notices that a snapshot
# and a restore have finished, end-to-end time, and snapmig's peak memory,
# against the local rig (tests/rig/rig up first).
#
#   bench/run_latency.sh [SNAPMIG_BINARY]   (default: build/snapmig)
#
# The repository is throttled (max_snapshot_bytes_per_sec /
# max_restore_bytes_per_sec) so that each phase lasts several seconds and
# the adaptive polling has backed off, as in a real migration.  Latency is
# the time from the server's own end time (snapshot end_time_in_millis, the
# last shard recovery's stop_time_in_millis) to snapmig's snapshot.done /
# restore.done event.  A benchmark: it prints figures and asserts nothing
# about them.  The run's -v trace is left in /tmp/bench-trace.log.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${1:-$top/build/snapmig}
eval "$("$top/tests/rig/rig" env)"
tag="bench$(date +%s)"
tmp=$(mktemp -d)
trap 'cp "$tmp/trace.log" /tmp/bench-trace.log 2>/dev/null; rm -rf "$tmp"' EXIT
rate=${BENCH_RATE:-400kb}
docs=${BENCH_DOCS:-20000}

"$top/tests/rig/rig" seed --indices 2 --docs "$docs" --prefix "$tag" >/dev/null
cat >"$tmp/plan.json" <<JSON
{
  "snapmig": 1, "name": "$tag",
  "domains": {"source": {"endpoint": "$SNAPMIG_RIG_SOURCE_URL"},
              "target": {"endpoint": "$SNAPMIG_RIG_TARGET_URL"}},
  "repository": {"name": "$tag", "type": "s3",
                 "settings": {"bucket": "$SNAPMIG_RIG_S3_BUCKET",
                              "base_path": "$tag",
                              "max_snapshot_bytes_per_sec": "$rate",
                              "max_restore_bytes_per_sec": "$rate"}},
  "snapshot": {"domain": "source", "indices": ["$tag-*"]},
  "restores": [{"domain": "target",
                "rename": {"pattern": "$tag-(.+)", "replacement": "$tag-copy-\$1"},
                "index_settings": {"index.number_of_replicas": 0}}]
}
JSON

python3 - "$bin" "$tmp" <<'PY'
import json, resource, subprocess, sys, time
bin, tmp = sys.argv[1], sys.argv[2]
t0 = time.time()
with open(tmp + "/events.ndjson", "w") as out:
    rc = subprocess.call([bin, "run", "--json", "-v", "--state", tmp + "/state.json",
                          tmp + "/plan.json"], stdout=out, stderr=open(tmp + "/trace.log", "w"))
wall = time.time() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"exit {rc}  wall {wall:.2f} s  peak RSS {rss / 1024:.1f} MiB")
PY

ms() { python3 -c 'import sys,datetime; t=datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc); print(int(t.timestamp()*1000))' "$1"; }
snap=$(jq -r 'select(.type=="snapshot.start") | .snapshot' "$tmp/events.ndjson")
snap_end=$(curl -sf "$SNAPMIG_RIG_SOURCE_URL/_snapshot/$tag/$snap" | jq '.snapshots[0].end_time_in_millis')
snap_start=$(curl -sf "$SNAPMIG_RIG_SOURCE_URL/_snapshot/$tag/$snap" | jq '.snapshots[0].start_time_in_millis')
seen=$(ms "$(jq -r 'select(.type=="snapshot.done") | .time' "$tmp/events.ndjson")")
echo "snapshot: $(( (snap_end - snap_start) )) ms on the server; snapmig noticed its end after $((seen - snap_end)) ms"
rec_end=$(curl -sf "$SNAPMIG_RIG_TARGET_URL/$tag-copy-*/_recovery" |
  jq '[.[] | .shards[] | .stop_time_in_millis] | max')
seen=$(ms "$(jq -r 'select(.type=="restore.done") | .time' "$tmp/events.ndjson" | head -1)")
echo "restore: snapmig noticed the end of recovery after $((seen - rec_end)) ms (restore.done includes the health check)"
echo "polls: $(jq -s '[.[] | select(.type=="snapshot.progress")] | length' "$tmp/events.ndjson") snapshot progress events"

# Clean up what the benchmark made on the rig.
curl -sf -XDELETE "$SNAPMIG_RIG_TARGET_URL/$tag-copy-*" >/dev/null
curl -sf -XDELETE "$SNAPMIG_RIG_SOURCE_URL/$tag-*" >/dev/null
curl -sf -XDELETE "$SNAPMIG_RIG_SOURCE_URL/_snapshot/$tag/$snap" >/dev/null
for u in "$SNAPMIG_RIG_SOURCE_URL" "$SNAPMIG_RIG_TARGET_URL"; do
  curl -sf -XDELETE "$u/_snapshot/$tag" >/dev/null
done
