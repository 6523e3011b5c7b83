#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/run.sh - the one test command (README "Run the tests"; .ci/run calls it).
#
# On a fresh Debian 12 machine it installs what is missing (apt packages; the
# rig fetches its servers through Maven Central and builds Toxiproxy through
# the Go module proxy), checks formatting, builds
# snapmig twice (-Werror, and -Werror with ASan+UBSan), brings the rig up,
# runs every test (unit and integration) and brings the rig down again.
# Exits non-zero on any failure.
#
# Environment:
#   SNM_SKIP_INTEGRATION=1  unit tests only, no rig (says so at the end)
#   SNM_KEEP_RIG=1          leave the rig running afterwards
#   SNM_BUILD_DIR           where to build (default: build-test)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
build=${SNM_BUILD_DIR:-$top/build-test}
say() { printf 'run.sh: %s\n' "$*" >&2; }

format_check() {
  local files
  mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' |
    while read -r f; do [ -f "$f" ] && echo "$f"; done)
  [ ${#files[@]} -gt 0 ] || return 0
  say "clang-format check of ${#files[@]} files"
  clang-format --dry-run --Werror "${files[@]}"
  # every C source carries its licence (LICENSE: Apache-2.0)
  local f missing=0
  for f in "${files[@]}"; do
    case $f in tests/fuzz/corpus/* | tests/fuzz/crashes/*) continue ;; esac
    if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0'; then
      say "no SPDX-License-Identifier line at the top of $f"
      missing=1
    fi
  done
  return $missing
}

configure_build() { # dir, extra cmake args...
  local dir=$1
  shift
  cmake -S "$top" -B "$dir" -G Ninja -DENABLE_WERROR=ON "$@" >/dev/null
  cmake --build "$dir"
}

rig_up=0
cleanup() {
  if [ "$rig_up" = 1 ] && [ "${SNM_KEEP_RIG:-0}" != 1 ]; then
    say "bringing the rig down"
    tests/rig/rig down || say "warning: rig down failed"
  fi
}
trap cleanup EXIT

scripts/install-deps.sh
format_check
say "build: -Werror"
configure_build "$build/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo
say "build: -Werror, ASan + UBSan"
configure_build "$build/asan" -DCMAKE_BUILD_TYPE=Debug -DENABLE_SANITIZERS=ON

status=0
say "unit tests (release build)"
(cd "$build/release" && ctest -L unit --output-on-failure) || status=1

if [ "${SNM_SKIP_INTEGRATION:-0}" = 1 ]; then
  say "unit tests (ASan + UBSan build)"
  (cd "$build/asan" && ctest -L unit --output-on-failure) || status=1
  say "SNM_SKIP_INTEGRATION=1: integration tests NOT run"
else
  # The "next" node (OpenSearch 3 with the real repository-s3) needs a JDK
  # 21+; the stand-in S3 plugin of the 2.19 nodes is cross-checked against it.
  export SNAPMIG_RIG_NEXT=${SNAPMIG_RIG_NEXT:-1}
  say "bringing the rig up"
  rig_up=1
  tests/rig/rig up
  eval "$(tests/rig/rig env)"
  say "all tests, unit and integration (ASan + UBSan build)"
  (cd "$build/asan" && ctest --output-on-failure) || status=1
fi
exit $status
