#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/cli/package.sh - `cpack -G DEB` from the build directory of
# SNM_BINARY makes a .deb with its dependencies computed from the binary's
# shared libraries, and everything in its Debian place: the binary, both
# man pages, the completions, the schema, the docs with the example plans
# and the copyright file.  The package is unpacked (not installed: that is
# tests/run.sh's packaging step, as root) and its binary and pages used.
set -uo pipefail
: "${SNM_SOURCE_DIR:?}" "${SNM_BINARY:?}"
build=$(cd "$(dirname "$SNM_BINARY")" && pwd)
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! cpack -G DEB -B "$tmp/out" --config "$build/CPackConfig.cmake" >"$tmp/cpack.log" 2>&1; then
  fail "cpack -G DEB: $(tail -n 5 "$tmp/cpack.log")"
  finish
fi
deb=$(ls "$tmp"/out/snapmig_*.deb 2>/dev/null)
version=$(awk '/^project\(snapmig VERSION/ { print $3 }' "$SNM_SOURCE_DIR/CMakeLists.txt")
arch=$(dpkg --print-architecture)
[ "$(basename "$deb")" = "snapmig_${version}-1_${arch}.deb" ] &&
  ok "cpack made snapmig_${version}-1_${arch}.deb" ||
  { fail "no snapmig_${version}-1_${arch}.deb in $tmp/out: $(ls "$tmp/out")"; finish; }

# dependencies: from dpkg-shlibdeps, one per shared library snapmig links
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libcurl4 libuv1 libyajl2 libssl3 libpcre2-8-0; do
  grep -qE "(^|, )$lib( |,|$)" <<<"$depends" && ok "Depends names $lib" ||
    fail "Depends lacks $lib: $depends"
done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for needed in $(objdump -p "$SNM_BINARY" | awk '$1 == "NEEDED" { print $2 }'); do
  pkg=$(dpkg -S "*/$multiarch/$needed" 2>/dev/null | head -n 1 | cut -d: -f1)
  [ -n "$pkg" ] || { fail "no package holds $needed"; continue; }
  grep -qE "(^|, )$pkg( |,|$)" <<<"$depends" &&
    ok "Depends covers $needed ($pkg)" || fail "Depends lacks $pkg ($needed): $depends"
done
[ "$(dpkg-deb -f "$deb" Package)" = snapmig ] && [ "$(dpkg-deb -f "$deb" Version)" = "$version-1" ] &&
  ok "Package snapmig, Version $version-1" || fail "control: $(dpkg-deb -f "$deb")"

# where everything goes
list=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
want=(./usr/bin/snapmig ./usr/share/man/man1/snapmig.1.gz
  ./usr/share/man/man5/snapmig-plan.5.gz
  ./usr/share/bash-completion/completions/snapmig
  ./usr/share/zsh/vendor-completions/_snapmig
  ./usr/share/snapmig/plan.schema.json
  ./usr/share/doc/snapmig/copyright ./usr/share/doc/snapmig/README.md
  ./usr/share/doc/snapmig/plan-format.md)
for p in "$SNM_SOURCE_DIR"/plans/*.json; do
  want+=("./usr/share/doc/snapmig/examples/$(basename "$p")")
done
for w in "${want[@]}"; do
  grep -qxF -- "$w" <<<"$list" && ok "the package holds $w" || fail "the package lacks $w"
done
outside=$(grep -vE '^\./usr/(bin/snapmig|share/(man|bash-completion|zsh|snapmig|doc/snapmig)(/|$))|^\./(usr/((bin|share|share/doc)/?)?)?$' <<<"$list")
[ -z "$outside" ] && ok "nothing outside those places" || fail "unexpected paths: $outside"

# unpacked: the binary runs, the pages render
dpkg-deb -x "$deb" "$tmp/root"
"$tmp/root/usr/bin/snapmig" --version | grep -qx "snapmig $version" &&
  ok "the packaged snapmig --version says $version" || fail "the packaged snapmig --version"
for page in man1/snapmig.1.gz man5/snapmig-plan.5.gz; do
  text=$(MANWIDTH=80 man -l "$tmp/root/usr/share/man/$page" 2>&1)
  grep -q "SNAPMIG" <<<"$text" && grep -q "snapmig $version" <<<"$text" &&
    ok "man -l $page renders (with the version)" || fail "man -l $page: $(head -n 3 <<<"$text")"
done
finish
