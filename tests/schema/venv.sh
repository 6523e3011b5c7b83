#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/schema/venv.sh - print the path of a Python with the JSON Schema
# validator of tests/schema/requirements.txt (PyPI's jsonschema, pinned),
# creating its venv on first use under the test cache:
#   ${SNM_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/snapmig-test}
# A venv is named after the hash of requirements.txt, so changing a pin makes
# a new one.  Needs python3 with venv (Debian: python3-venv) and PyPI.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
req=$here/requirements.txt
cache=${SNM_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/snapmig-test}
hash=$(sha256sum "$req" | cut -c1-12)
venv=$cache/jsonschema-$hash
mkdir -p "$cache"

# One creator at a time; the others wait and then find it ready.
exec 9>"$cache/jsonschema.lock"
flock 9
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  printf 'venv.sh: installing the JSON Schema validator into %s\n' "$venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    -r "$req" >&2
  touch "$venv/.complete"
fi
"$venv/bin/python" -c 'import jsonschema' >&2
echo "$venv/bin/python"
