#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Proof test of tests/support/faultproxy.py in front of the rig's real target
# node: transparent forwarding (bodies, chunked uploads, HEAD, query strings),
# every action (respond, drop, forward_drop, late, delay, hold, rewrite,
# pass), rule order, method filters and "times", the wait/hits/release
# control calls, keep-alive (and libcurl's retry of a request dropped on a
# reused connection), concurrent held requests, and clients that vanish
# mid-request. Needs the rig: tests/rig/rig up
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_load_rig_env
it_require_search_up target "$SNAPMIG_RIG_TARGET_URL"

DST="$SNAPMIG_RIG_TARGET_URL"
RUN="$(it_run_id)"
IDX="fp-$RUN"
TMP="$(mktemp -d)"
it_on_exit "rm -rf '$TMP'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$IDX-*'"

fp_start T "$DST"
P="$FP_URL_T"

# req CURL_ARGS...: one request; sets RC (curl's exit code), CODE (HTTP
# status, 000 without an answer) and BODY.
req() {
    RC=0
    CODE="$(curl -s -m 60 -o "$TMP/body" -w '%{http_code}' "$@")" || RC=$?
    BODY="$(cat "$TMP/body" 2>/dev/null || true)"
    rm -f "$TMP/body"
}

# exists INDEX: HTTP status of HEAD INDEX on the target, directly.
exists() { curl -s -m 30 -o /dev/null -w '%{http_code}' -I "$DST/$1" || echo 000; }
index_exists() { [[ "$(exists "$1")" == 200 ]]; }

# log_of ID: the proxy's log entries of rule ID (a JSON array).
log_of() { fp_log "$P" | jq -c --argjson id "$1" '[.[] | select(.rule == $id)]'; }

JSON=(-H 'Content-Type: application/json')
NEW_INDEX='{"settings":{"number_of_shards":1,"number_of_replicas":0}}'

# ------------------------------------------------- transparent forwarding
req "$P/"
assert_eq 200 "$CODE" "GET / through the proxy"
assert_eq snapmig-rig-target "$(jq -r .cluster_name <<<"$BODY")" "cluster behind the proxy"

req -X PUT "${JSON[@]}" --data-binary "$NEW_INDEX" "$P/$IDX-plain"
assert_eq 200 "$CODE" "PUT $IDX-plain through the proxy: $BODY"
assert_eq 200 "$(exists "$IDX-plain")" "$IDX-plain on the target"

# A chunked upload (no Content-Length from the client) of three documents.
printf '%s\n' '{"index":{"_id":"1"}}' '{"n":1}' '{"index":{"_id":"2"}}' '{"n":2}' \
    '{"index":{"_id":"3"}}' '{"n":3}' >"$TMP/bulk.ndjson"
req -X POST -H 'Content-Type: application/x-ndjson' -H 'Transfer-Encoding: chunked' \
    --data-binary @- "$P/$IDX-plain/_bulk?refresh=true" <"$TMP/bulk.ndjson"
assert_eq 200 "$CODE" "chunked _bulk through the proxy: ${BODY:0:300}"
assert_eq false "$(jq -r .errors <<<"$BODY")" "_bulk errors"
assert_eq 3 "$(doc_count "$DST" "$IDX-plain")" "documents indexed through the proxy"

req -I "$P/$IDX-plain"
assert_eq 200 "$CODE" "HEAD through the proxy"
req "$P/_cat/indices/$IDX-plain?h=index,docs.count"
assert_eq "$IDX-plain 3" "$(tr -s ' ' <<<"$BODY" | sed 's/ *$//')" "query string forwarded"
it_log "ok: forwarding"

# ------------------------------------------------------------------ respond
id="$(fp_rule "$P" '{"method":"GET","path":"^/_cat/indices","action":"respond","status":403,"body":{"error":"denied by faultproxy"}}')"
req "$P/_cat/indices?format=json"
assert_eq 403 "$CODE" "respond: status"
assert_eq "denied by faultproxy" "$(jq -r .error <<<"$BODY")" "respond: body"
assert_eq null "$(log_of "$id" | jq -r '.[0].upstream_at')" "respond: nothing went upstream"
req "$P/_cat/indices/$IDX-plain?format=json"
assert_eq 200 "$CODE" "after the rule's one use the request is forwarded"
assert_eq "$IDX-plain" "$(jq -r '.[0].index' <<<"$BODY")" "forwarded _cat/indices"
assert_eq 1 "$(fp_hits "$P" "$id")" "respond: hits"
it_log "ok: respond"

# --------------------------------------------------------------------- drop
id="$(fp_rule "$P" "{\"method\":\"PUT\",\"path\":\"^/$IDX-drop\$\",\"action\":\"drop\"}")"
req -X PUT "${JSON[@]}" --data-binary "$NEW_INDEX" "$P/$IDX-drop"
assert_ne 0 "$RC" "drop: curl must fail"
assert_eq 000 "$CODE" "drop: no HTTP answer"
assert_eq 404 "$(exists "$IDX-drop")" "drop: the request never reached the target"
assert_eq "dropped, not forwarded" "$(log_of "$id" | jq -r '.[0].outcome')" "drop: log"
it_log "ok: drop (curl exit $RC)"

# ------------------------------------------------------------- forward_drop
id="$(fp_rule "$P" "{\"method\":\"PUT\",\"path\":\"^/$IDX-fwd\$\",\"action\":\"forward_drop\"}")"
req -X PUT "${JSON[@]}" --data-binary "$NEW_INDEX" "$P/$IDX-fwd"
assert_ne 0 "$RC" "forward_drop: curl must fail"
assert_eq 000 "$CODE" "forward_drop: no HTTP answer"
assert_eq 200 "$(exists "$IDX-fwd")" "forward_drop: the index was created all the same"
assert_eq 200 "$(log_of "$id" | jq -r '.[0].upstream_status')" "forward_drop: upstream's answer (logged)"
it_log "ok: forward_drop (curl exit $RC)"

# --------------------------------------------------------------------- late
id="$(fp_rule "$P" "{\"method\":\"PUT\",\"path\":\"^/$IDX-late\$\",\"action\":\"late\",\"delay_ms\":700}")"
req -X PUT "${JSON[@]}" --data-binary "$NEW_INDEX" "$P/$IDX-late"
assert_ne 0 "$RC" "late: curl must fail"
assert_eq 000 "$CODE" "late: no HTTP answer"
wait_for "late: $IDX-late appears on the target" 30 index_exists "$IDX-late"
entry="$(log_of "$id" | jq -c '.[0]')"
closed_ms="$(jq -r '.closed_at * 1000 | floor' <<<"$entry")"
sent_ms="$(jq -r '.upstream_at * 1000 | floor' <<<"$entry")"
created_ms="$(curl -sf -m 30 "$DST/$IDX-late/_settings" | jq -r --arg i "$IDX-late" '.[$i].settings.index.creation_date')"
((sent_ms - closed_ms >= 699)) || it_fail "late: sent upstream ${sent_ms}ms, client closed ${closed_ms}ms: less than 700 ms apart"
((created_ms >= closed_ms + 699)) ||
    it_fail "late: index created at ${created_ms}ms, not >= 700 ms after the client connection was closed (${closed_ms}ms)"
it_log "ok: late (client closed, index created $((created_ms - closed_ms)) ms later)"

# -------------------------------------------------------------------- delay
id="$(fp_rule "$P" '{"method":"GET","path":"^/_cluster/health\\?filter_path=delay","action":"delay","delay_ms":600}')"
t="$(curl -s -m 30 -o /dev/null -w '%{http_code} %{time_total}' "$P/_cluster/health?filter_path=delay")"
assert_eq 200 "${t% *}" "delay: status"
awk -v t="${t#* }" 'BEGIN { exit !(t >= 0.6) }' || it_fail "delay: answered after ${t#* } s, before the 0.6 s delay"
it_log "ok: delay (${t#* } s)"

# ------------------------------------------------------------ hold, release
id="$(fp_rule "$P" "{\"method\":\"PUT\",\"path\":\"^/$IDX-hold\$\",\"action\":\"hold\"}")"
curl -s -m 60 -o /dev/null -w '%{http_code}' -X PUT "${JSON[@]}" --data-binary "$NEW_INDEX" \
    "$P/$IDX-hold" >"$TMP/hold.code" &
hold_pid=$!
it_on_exit "kill $hold_pid 2>/dev/null || true"
fp_wait "$P" "$id" 1 30
kill -0 "$hold_pid" 2>/dev/null || it_fail "hold: the client finished while its request was held"
assert_eq 404 "$(exists "$IDX-hold")" "hold: a held request has not reached the target"
assert_eq 1 "$(fp_log "$P" | jq --argjson id "$id" '[.[] | select(.rule == $id and .outcome == null)] | length')" \
    "hold: the request is pending in the log"
assert_eq 1 "$(fp_release "$P" "$id")" "hold: released requests"
wait "$hold_pid" || it_fail "hold: curl failed after the release"
assert_eq 200 "$(cat "$TMP/hold.code")" "hold: answer after the release"
assert_eq 200 "$(exists "$IDX-hold")" "hold: the index exists after the release"
it_log "ok: hold + release"

# A held request whose client gives up is dropped, not forwarded.
id="$(fp_rule "$P" "{\"method\":\"PUT\",\"path\":\"^/$IDX-gone\$\",\"action\":\"hold\"}")"
req -m 1 -X PUT "${JSON[@]}" --data-binary "$NEW_INDEX" "$P/$IDX-gone"
assert_eq 28 "$RC" "hold: the client gives up (curl -m 1 timeout)"
gone_logged() { [[ "$(log_of "$id" | jq -r '.[0].outcome')" == "client went away while held; not forwarded" ]]; }
wait_for "hold: the proxy notices the client went away" 30 gone_logged
assert_eq 0 "$(fp_release "$P" "$id")" "hold: nothing left to release"
assert_eq 404 "$(exists "$IDX-gone")" "hold: an abandoned held request never reaches the target"
it_log "ok: hold, client gone"

# ------------------------------------------------------------------ rewrite
id="$(fp_rule "$P" '{"method":"GET","path":"^/_cluster/health\\?filter_path=rw1","action":"rewrite","status":503,"body":"{\"status\":\"red\"}"}')"
req "$P/_cluster/health?filter_path=rw1"
assert_eq 503 "$CODE" "rewrite: status"
assert_eq red "$(jq -r .status <<<"$BODY")" "rewrite: body"
assert_eq 200 "$(log_of "$id" | jq -r '.[0].upstream_status')" "rewrite: the upstream answered 200"
id="$(fp_rule "$P" '{"path":"^/_cluster/health\\?filter_path=cluster_name,rw2","action":"rewrite","headers":{"X-Fault":"rewritten"}}')"
curl -s -m 30 -D "$TMP/headers" -o "$TMP/body" "$P/_cluster/health?filter_path=cluster_name,rw2"
assert_contains "$(tr -d '\r' <"$TMP/headers")" "X-Fault: rewritten" "rewrite: added header"
assert_eq snapmig-rig-target "$(jq -r .cluster_name "$TMP/body")" "rewrite of headers only keeps the body"
it_log "ok: rewrite"

# -------------------------------------------------- order, times, method, pass
a="$(fp_rule "$P" '{"path":"^/_cluster/health\\?filter_path=order","action":"respond","status":429,"times":2}')"
b="$(fp_rule "$P" '{"path":"^/_cluster/health\\?filter_path=order","action":"respond","status":418}')"
codes=""
for _ in 1 2 3 4; do
    req "$P/_cluster/health?filter_path=order"
    codes+="$CODE "
done
assert_eq "429 429 418 200 " "$codes" "first live rule wins; each applies 'times' times, then the request is forwarded"
assert_eq 2 "$(fp_hits "$P" "$a")" "hits of the times=2 rule"
assert_eq 1 "$(fp_hits "$P" "$b")" "hits of the times=1 rule"

m="$(fp_rule "$P" '{"method":"POST","path":"^/_cluster/health\\?filter_path=method","action":"respond","status":405}')"
req "$P/_cluster/health?filter_path=method"
assert_eq 200 "$CODE" "a POST rule does not match a GET"
assert_eq 0 "$(fp_hits "$P" "$m")" "hits of the POST rule"

pass="$(fp_rule "$P" '{"method":"GET","path":"^/_cluster/health\\?filter_path=pass","action":"pass","times":0}')"
for _ in 1 2 3; do
    req "$P/_cluster/health?filter_path=pass"
    assert_eq 200 "$CODE" "pass: forwarded"
done
fp_wait "$P" "$pass" 3 5
req "$P/__proxy/wait/$pass?count=4&timeout_s=0.3"
assert_eq "408 3" "$CODE $(jq -r .hits <<<"$BODY")" "wait for a 4th request that never comes"
it_log "ok: order, times, method, pass, wait"

# --------------------------------------------------------------- keep-alive
fp_log "$P" >/dev/null
curl -s -X DELETE -m 30 -o /dev/null "$P/__proxy/log"
n="$(curl -s -m 30 -o /dev/null -o /dev/null -w '%{num_connects} ' "$P/_cluster/health?filter_path=ka1" "$P/_cluster/health?filter_path=ka2")"
assert_eq "1 0 " "$n" "curl opened one connection for two requests"
conns="$(fp_log "$P" | jq -r '[.[] | select(.path | test("ka[12]$")) | .conn] | unique | length')"
assert_eq 1 "$conns" "both requests arrived on one client connection"

# A request dropped on a reused connection is retried by libcurl on a fresh
# connection (what snapmig's libcurl does too): with times=1 the retry passes.
id="$(fp_rule "$P" '{"path":"^/_cluster/health\\?filter_path=ka4$","action":"drop"}')"
codes="$(curl -s -m 30 -o /dev/null -o /dev/null -w '%{http_code} ' "$P/_cluster/health?filter_path=ka3" "$P/_cluster/health?filter_path=ka4")"
assert_eq "200 200 " "$codes" "libcurl retried the dropped request"
log="$(fp_log "$P")"
assert_eq 2 "$(jq '[.[] | select(.path | endswith("ka4"))] | length' <<<"$log")" "ka4 arrived twice"
first_conn="$(jq '[.[] | select(.path | endswith("ka3"))][0].conn' <<<"$log")"
assert_eq "$first_conn" "$(jq '[.[] | select(.path | endswith("ka4"))][0].conn' <<<"$log")" "the drop hit the reused connection"
assert_ne "$first_conn" "$(jq '[.[] | select(.path | endswith("ka4"))][1].conn' <<<"$log")" "the retry came on a new connection"
it_log "ok: keep-alive; libcurl's retry on a new connection observed"

# ------------------------------------------------ concurrent held requests
id="$(fp_rule "$P" '{"method":"GET","path":"^/_cluster/health\\?filter_path=conc","action":"hold","times":2}')"
pids=()
for i in 1 2; do
    curl -s -m 60 -o /dev/null -w '%{http_code}' "$P/_cluster/health?filter_path=conc$i" >"$TMP/conc$i.code" &
    pids+=($!)
    it_on_exit "kill $! 2>/dev/null || true"
done
fp_wait "$P" "$id" 2 30
req "$P/_cluster/health"
assert_eq 200 "$CODE" "other requests are served while two are held"
assert_eq 2 "$(fp_release "$P" "$id")" "two held requests released"
for i in 1 2; do
    wait "${pids[$((i - 1))]}" || it_fail "held request $i: curl failed"
    assert_eq 200 "$(cat "$TMP/conc$i.code")" "held request $i answered"
done
it_log "ok: concurrent held requests"

# ------------------------------------------ clients that vanish mid-request
port="${P##*:}"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'PUT /%s-partial HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"set' "$IDX" >&3
exec 3>&-
partial_logged() {
    fp_log "$P" | jq -e --arg p "/$IDX-partial" \
        'any(.[]; .path == $p and (.outcome // "" | startswith("client went away mid-request")))' >/dev/null
}
wait_for "the proxy logs the client that went away mid-body" 30 partial_logged
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /_cluster/hea' >&3
exec 3>&-
kill -0 "$FP_PID_T" 2>/dev/null || it_fail "the proxy died when clients went away mid-request"
req "$P/__proxy/health"
assert_eq 200 "$CODE" "proxy health after broken clients"
req "$P/_cluster/health"
assert_eq 200 "$CODE" "forwarding after broken clients"
assert_eq 404 "$(exists "$IDX-partial")" "a request with a truncated body is not forwarded"
it_log "ok: broken clients"

# ------------------------------------------------------------- control API
req -X POST "${JSON[@]}" --data-binary '{"path":"x","action":"explode"}' "$P/__proxy/rules"
assert_eq 400 "$CODE" "unknown action refused"
req -X POST "${JSON[@]}" --data-binary '{"path":"x","action":"delay","delay":5}' "$P/__proxy/rules"
assert_eq 400 "$CODE" "misspelt argument refused ($BODY)"
req -X POST "${JSON[@]}" --data-binary '{"path":"(","action":"drop"}' "$P/__proxy/rules"
assert_eq 400 "$CODE" "bad regular expression refused"
req "$P/__proxy/hits/99999"
assert_eq 404 "$CODE" "hits of an unknown rule"
id="$(fp_rule "$P" '{"path":"^/_cluster/health\\?filter_path=del","action":"respond","status":500,"times":0}')"
req -X DELETE "$P/__proxy/rules/$id"
assert_eq 200 "$CODE" "delete one rule"
req "$P/_cluster/health?filter_path=del"
assert_eq 200 "$CODE" "a deleted rule no longer applies"
fp_rule "$P" '{"path":"^/_cluster/health\\?filter_path=clr","action":"respond","status":500,"times":0}' >/dev/null
fp_clear "$P"
assert_eq 0 "$(curl -s -m 30 "$P/__proxy/rules" | jq length)" "no rules after fp_clear"
req "$P/_cluster/health?filter_path=clr"
assert_eq 200 "$CODE" "cleared rules no longer apply"

it_pass "every faultproxy action against the real target node"
