#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/run.sh - the one test command (README "Run the tests"; .ci/run calls it).
#
# On a fresh Debian 12 machine it installs what is missing (apt packages; the
# rig fetches its servers through Maven Central and builds Toxiproxy through
# the Go module proxy), checks formatting, builds
# snapmig twice (-Werror, and -Werror with ASan+UBSan), builds the Debian
# package from the first and installs it (as root or with sudo), brings the
# rig up, runs every test (unit and integration) and brings the rig down
# again.
# Exits non-zero on any failure.
#
# Environment:
#   SNM_SKIP_INTEGRATION=1  unit tests only, no rig (says so at the end)
#   SNM_KEEP_RIG=1          leave the rig running afterwards
#   SNM_BUILD_DIR           where to build (default: build-test)
#   SNM_KEEP_PACKAGE=1      leave the Debian package installed afterwards
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
# the package's build: installed under /usr, the paths its man pages name
configure_build "$build/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX=/usr -DSNM_MAN_PAGES=ON
say "build: -Werror, ASan + UBSan"
configure_build "$build/asan" -DCMAKE_BUILD_TYPE=Debug -DENABLE_SANITIZERS=ON \
  -DSNM_MAN_PAGES=ON

# The Debian package (README "Install"): cpack from the release build,
# `apt-get install ./snapmig_*.deb`, then the installed snapmig, its man
# pages and completions are used; removed again unless SNM_KEEP_PACKAGE=1
# (or it was installed before).  Needs root or sudo; says so without.
package_ran=0
package_step() {
  local as_root=() deb version was_installed=0 fails=0 got
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      as_root=(sudo -n)
    else
      say "packaging step NOT run: installing the .deb needs root or sudo"
      return 0
    fi
  fi
  package_ran=1
  version=$(awk '/^project\(snapmig VERSION/ { print $3 }' "$top/CMakeLists.txt")
  rm -rf "$build/package"
  (cd "$build/release" && cpack -G DEB -B "$build/package" >/dev/null) || return 1
  deb=$(cd "$build/package" && ls snapmig_*.deb)
  say "package: $deb ($(dpkg-deb -f "$build/package/$deb" Depends))"
  dpkg-query -W -f='${Status}' snapmig 2>/dev/null | grep -q 'install ok installed' &&
    was_installed=1
  (cd "$build/package" && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq "./$deb" >/dev/null) || return 1
  check() { # what, command...
    local what=$1
    shift
    if "$@"; then say "package: ok: $what"; else say "package: FAIL: $what"; fails=1; fi
  }
  got=$(/usr/bin/snapmig --version | head -n 1)
  check "/usr/bin/snapmig --version says 'snapmig $version' ($got)" \
    test "$got" = "snapmig $version"
  got=$(man -w snapmig 2>&1)
  check "man -w snapmig: $got" test "$got" = /usr/share/man/man1/snapmig.1.gz
  got=$(man -w 5 snapmig-plan 2>&1)
  check "man -w 5 snapmig-plan: $got" test "$got" = /usr/share/man/man5/snapmig-plan.5.gz
  check "the bash completion defines _snapmig for snapmig" bash -c \
    'source /usr/share/bash-completion/completions/snapmig && complete -p snapmig | grep -q _snapmig'
  check "the zsh completion is in Debian's vendor-completions" \
    test -f /usr/share/zsh/vendor-completions/_snapmig
  for got in /usr/share/doc/snapmig/examples/*.json; do
    check "the installed snapmig validates $got" /usr/bin/snapmig validate -q "$got"
  done
  if [ "$was_installed" = 0 ] && [ "${SNM_KEEP_PACKAGE:-0}" != 1 ]; then
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq \
      snapmig >/dev/null || fails=1
  fi
  return $fails
}

status=0
say "unit tests (release build)"
(cd "$build/release" && ctest -L unit --output-on-failure) || status=1
say "the Debian package: build, install, use"
package_step || { say "packaging step FAILED"; status=1; }

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
[ "$package_ran" = 1 ] || say "the Debian package was NOT installed and checked (needs root or sudo)"
exit $status
