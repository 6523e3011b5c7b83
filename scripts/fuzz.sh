#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/fuzz.sh - build the libFuzzer targets with clang and run each for a
# bounded time from its seed corpus; print executions and crashes per
# target.  Not part of the tests (docs/fuzzing.md).
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]   (default: 60 s each, all targets)
#
# Environment: FUZZ_BUILD (build folder, default build-fuzz), FUZZ_JOBS
# (ninja -j, default 2), FUZZ_INSTALL=1 to apt-get install clang and the
# libFuzzer runtime when clang is missing.
#
# The seeds in tests/fuzz/corpus/TARGET/ are only read (with the keys and
# tokens of tests/fuzz/TARGET.dict as a libFuzzer dictionary); what the fuzzer
# finds goes to FUZZ_BUILD/corpus/TARGET/, which later runs start from.
# A crash, leak, hang or out-of-memory input is written to
# FUZZ_BUILD/artifacts/TARGET/ (libFuzzer stops the target there); rerun
# one with FUZZ_BUILD/tests/fuzz/TARGET FILE.  Exit status: 0 when no
# target failed.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_plan fuzz_replies fuzz_reqfile)
build=${FUZZ_BUILD:-$top/build-fuzz}
jobs=${FUZZ_JOBS:-2}

say() { printf 'fuzz: %s\n' "$*" >&2; }

case $seconds in
'' | *[!0-9]*)
  say "usage: scripts/fuzz.sh [SECONDS [TARGET...]]"
  exit 2
  ;;
esac

# The fuzz-only packages: clang and its libFuzzer runtime.  The normal
# build and tests need neither.
have_libfuzzer() {
  command -v clang >/dev/null &&
    echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
    clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null
}
if ! have_libfuzzer; then
  if [ "${FUZZ_INSTALL:-0}" = 1 ]; then
    say "installing clang and libclang-rt-14-dev"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends clang libclang-rt-14-dev >/dev/null || exit 1
  fi
  have_libfuzzer || {
    say "error: clang with libFuzzer is needed (apt-get install clang" \
      "libclang-rt-14-dev, or run with FUZZ_INSTALL=1)"
    exit 1
  }
fi

mkdir -p "$build"
CC=clang cmake -S "$top" -B "$build" -G Ninja -DENABLE_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
  -DBUILD_BENCHMARKS=OFF >"$build/cmake.log" 2>&1 || {
  cat "$build/cmake.log" >&2
  exit 1
}
ninja -C "$build" -j "$jobs" "${targets[@]}" >"$build/ninja.log" 2>&1 || {
  cat "$build/ninja.log" >&2
  exit 1
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
summary=()
for t in "${targets[@]}"; do
  seeds=$top/tests/fuzz/corpus/$t
  work=$build/corpus/$t
  art=$build/artifacts/$t
  log=$build/$t.log
  mkdir -p "$work" "$art"
  touch "$build/$t.start" # artifacts newer than this are this run's
  say "$t: ${seconds}s from $seeds"
  dict=()
  [ -f "$top/tests/fuzz/$t.dict" ] && dict=(-dict="$top/tests/fuzz/$t.dict")
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=32768 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$art/" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  crashes=$(find "$art" -type f -newer "$build/$t.start" \( -name 'crash-*' \
    -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  summary+=("$(printf '%-13s %12s executions  %3d crashes  corpus %5d  (%s)' \
    "$t" "${execs:-?}" "$crashes" "$(find "$work" -type f | wc -l)" "$log")")
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    failed=1
    grep -m1 -E '^==[0-9]+==ERROR|runtime error|^SUMMARY' "$log" >&2 || true
    find "$art" -type f -newer "$build/$t.start" |
      sed 's/^/  artifact: /' >&2
  fi
done
printf '%s\n' "${summary[@]}"
exit $failed
