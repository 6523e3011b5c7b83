#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/install-deps.sh - install the Debian packages snapmig's build, tests
# and rig need, when any is missing, and check that there is a Go new enough
# to build the rig's Toxiproxy.  Used by tests/run.sh and scripts/demo.sh.
# Needs root or sudo only when something is missing.
set -euo pipefail

say() { printf 'install-deps: %s\n' "$*" >&2; }

APT_PACKAGES=(cmake ninja-build pkg-config gcc libc6-dev libcurl4-openssl-dev
  libuv1-dev libyajl-dev libssl-dev libpcre2-dev libcmocka-dev clang-format
  curl ca-certificates jq unzip zip python3 maven openjdk-17-jdk-headless
  procps passwd util-linux openssl
  pandoc man-db groff-base gzip dpkg-dev binutils zsh python3-venv)
# (the second line: the man pages, the Debian package and its dependencies
# from dpkg-shlibdeps, the zsh completion's test, the venv of the JSON
# Schema validator)

install_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing missing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      say "error: not root and no sudo; install: apt-get install ${missing[*]}"
      exit 1
    }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

# The rig builds Toxiproxy from source (go install through the Go module
# proxy), which needs a Go at least as new as its go.mod says.  Debian's
# golang-go is installed only when it is new enough (Debian 12's 1.19 is not).
# Without such a Go only the unit tests can run (SNM_SKIP_INTEGRATION=1).
version_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$2" ]; }

ensure_go() {
  local top need ver go gover found="" seen=" " cand
  top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  read -r ver need < <(bash -c 'source "$1" && echo "$RIG_TOXIPROXY_VERSION $RIG_TOXIPROXY_GO_MIN"' \
    _ "$top/tests/rig/lib.sh")
  # The same candidates, in the same order, as the rig's rig_find_go.
  for go in "${SNAPMIG_RIG_GO:-}" "$(command -v go || true)" /usr/local/go/bin/go /usr/lib/go/bin/go; do
    [ -n "$go" ] && [ -x "$go" ] || continue
    case $seen in *" $(readlink -f "$go") "*) continue ;; esac
    seen="$seen$(readlink -f "$go") "
    gover=$("$go" env GOVERSION 2>/dev/null || true)
    gover=${gover#go}
    gover=${gover%% *}
    if [ -n "$gover" ] && version_ge "$gover" "$need"; then
      return 0
    fi
    found="$found${found:+, }$go is Go ${gover:-of unknown version}"
  done
  if [ -n "$found" ]; then
    go_missing "$ver" "$need" "$found"
    return
  fi
  cand=$(apt-cache policy golang-go 2>/dev/null | awk '/Candidate:/ { print $2 }')
  if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    cand=$(apt-cache policy golang-go 2>/dev/null | awk '/Candidate:/ { print $2 }')
  fi
  cand=${cand#*:}
  cand=${cand%%[~+-]*}
  if [ -n "$cand" ] && [ "$cand" != "(none)" ] && version_ge "$cand" "$need"; then
    say "installing Debian's golang-go $cand (builds the rig's Toxiproxy $ver)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends golang-go >/dev/null
    return 0
  fi
  go_missing "$ver" "$need" "no 'go' on PATH or in /usr/local/go/bin, and Debian's golang-go is ${cand:-not available}"
}

go_missing() { # toxiproxy version, go minimum, what was found
  say "error: the test rig builds Toxiproxy $1 from source and needs Go >= $2;" \
    "$3.  Install Go >= $2 (https://go.dev/dl, e.g. into /usr/local/go)" \
    "and put it on PATH, or point SNAPMIG_RIG_GO at it."
  if [ "${SNM_SKIP_INTEGRATION:-0}" = 1 ]; then
    say "SNM_SKIP_INTEGRATION=1: going on without it (the rig cannot start)"
    return 0
  fi
  exit 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

install_packages
ensure_go
