#!/usr/bin/env bash
# scripts/install-deps.sh - install the Debian packages snapmig's build, tests
# and rig need, when any is missing.  Used by tests/run.sh and scripts/demo.sh.
# Needs root or sudo only when something is missing.
set -euo pipefail

say() { printf 'install-deps: %s\n' "$*" >&2; }

APT_PACKAGES=(cmake ninja-build pkg-config gcc libc6-dev libcurl4-openssl-dev
  libuv1-dev libyajl-dev libssl-dev libpcre2-dev libcmocka-dev clang-format
  curl ca-certificates jq unzip zip python3 maven openjdk-17-jdk-headless
  procps passwd util-linux)

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

install_packages
