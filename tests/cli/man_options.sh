#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/cli/man_options.sh - every option of every command's --help is
# described in snapmig(1) under that command (tests/cli/man_options.py),
# and `man` renders both pages without warnings.
set -euo pipefail
: "${SNM_SOURCE_DIR:?}" "${SNM_BINARY:?}"
man_dir=$(dirname "$SNM_BINARY")/docs/man
status=0
python3 "$SNM_SOURCE_DIR/tests/cli/man_options.py" "$SNM_BINARY" \
  "$man_dir/snapmig.1" || status=1
for page in snapmig.1 snapmig-plan.5; do
  [ -f "$man_dir/$page" ] || { echo "FAIL: $man_dir/$page missing"; status=1; continue; }
  # groff's warnings (-ww) about the page; man -l renders it as man would
  warn=$(MANWIDTH=80 MAN_KEEP_STDERR=1 man --warnings=w -l "$man_dir/$page" 2>&1 >/dev/null || true)
  if [ -n "$warn" ]; then
    echo "FAIL: man -l $page warns: $warn"
    status=1
  else
    echo "ok: man -l $page renders without warnings"
  fi
done
exit $status
