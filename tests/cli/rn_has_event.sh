#!/usr/bin/env bash
# rn_has_event (tests/integration/run/common.sh), the one-shot check the
# run tests poll with wait_for: 0 when the events file holds a matching
# event wherever it is, 1 otherwise, and never 2 (wait_for's "terminal
# failure"), not even for a last line still being written.  Needs no
# server: it sources the integration helpers and feeds them files.
: "${SNM_BINARY:?}" "${SNM_SOURCE_DIR:?}"
# shellcheck source=../integration/lib.sh
source "$SNM_SOURCE_DIR/tests/integration/lib.sh"
# shellcheck source=../integration/run/common.sh
source "$SNM_SOURCE_DIR/tests/integration/run/common.sh"
set +e

failures=0
# expect RC FILE TYPE [FILTER]
expect() {
    local want="$1" rc
    shift
    rn_has_event "$@"
    rc=$?
    if ((rc != want)); then
        printf 'FAIL: rn_has_event %s: exit %d, want %d\n' "$*" "$rc" "$want" >&2
        failures=$((failures + 1))
    fi
}

ev="$RN_TMP/events"
cat >"$ev" <<'JSON'
{"type":"preflight","time":"2026-01-01T00:00:00Z","plan":"p","step":"preflight"}
{"type":"snapshot.progress","bytes_total":0,"time":"2026-01-01T00:00:01Z","plan":"p","step":"snapshot"}
{"type":"restore.progress","bytes_total":42,"time":"2026-01-01T00:00:02Z","plan":"p","step":"restore"}
{"type":"restore.progress","bytes_total":0,"time":"2026-01-01T00:00:03Z","plan":"p","step":"restore"}
{"type":"done","time":"2026-01-01T00:00:04Z","plan":"p","step":"done"}
JSON

expect 0 "$ev" preflight                             # the first line
expect 0 "$ev" snapshot.progress                     # a middle line
expect 0 "$ev" done                                  # the last line
expect 0 "$ev" restore.progress '.bytes_total > 0'   # not the last of its type
expect 1 "$ev" snapshot.progress '.bytes_total > 0'  # the filter refuses it
expect 1 "$ev" restore.failed                        # no such event
expect 1 "$RN_TMP/missing" done                      # no file yet

# a run still writing: the last line is cut short
cp "$ev" "$ev.partial"
printf '{"type":"restore.progress","bytes_tot' >>"$ev.partial"
expect 0 "$ev.partial" snapshot.progress
expect 1 "$ev.partial" restore.failed
: >"$ev.empty"
expect 1 "$ev.empty" done

if ((failures > 0)); then
    printf '%d failure(s)\n' "$failures" >&2
    exit 1
fi
echo "rn_has_event: ok"
