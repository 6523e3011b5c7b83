#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/cli/completion.sh - the bash and zsh completions (completions/)
# complete every command `snapmig --help` lists and every option each
# command's --help shows (tests/cli/help_options.py), plan files, and the
# values of --document and --print.  bash: the completion function is called
# as readline would; zsh: a real interactive zsh in a pseudo-terminal
# (zsh/zpty) is sent the words and a Tab, and its listing is read.
set -uo pipefail
: "${SNM_SOURCE_DIR:?}" "${SNM_BINARY:?}"
comp=$SNM_SOURCE_DIR/completions
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/plans/sub"
touch "$tmp/plans/one.json" "$tmp/plans/two.jsonc" "$tmp/plans/notes.txt"

rows=$(python3 "$SNM_SOURCE_DIR/tests/cli/help_options.py" "$SNM_BINARY") || {
  fail "help_options.py"
  echo "$passed passed, $failed failed"
  exit 1
}
commands=$(awk '$1 != "snapmig" { print $1 }' <<<"$rows")
[ "$(wc -l <<<"$commands")" -ge 5 ] && ok "found the commands in --help" ||
  fail "found too few commands: $commands"

# --- bash -----------------------------------------------------------------
bash_complete() { # words... (the last one is being completed)
  (
    # shellcheck source=/dev/null
    source "$comp/snapmig.bash"
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMPREPLY=()
    _snapmig 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}"
  )
}
has() { grep -qxF -- "$2" <<<"$1"; } # list, word

got=$(bash_complete snapmig "")
for c in $commands; do
  has "$got" "$c" && ok "bash: 'snapmig <Tab>' offers $c" ||
    fail "bash: 'snapmig <Tab>' lacks $c (got: $(echo $got))"
done
while read -r cmd opts; do
  [ -n "$opts" ] || continue
  if [ "$cmd" = snapmig ]; then
    got=$(bash_complete snapmig -)
  else
    got=$(bash_complete snapmig "$cmd" -)
  fi
  for o in $opts; do
    has "$got" "$o" && ok "bash: '$cmd -<Tab>' offers $o" ||
      fail "bash: '$cmd -<Tab>' lacks $o (got: $(echo $got))"
  done
done <<<"$rows"
got=$(cd "$tmp/plans" && bash_complete snapmig validate "")
has "$got" one.json && has "$got" two.jsonc && has "$got" sub &&
  ! has "$got" notes.txt && ok "bash: a plan argument offers *.json, *.jsonc and directories" ||
  fail "bash: plan files: got $(echo $got)"
got=$(bash_complete snapmig iam-policy --document "")
[ "$(echo $got)" = "role-policy trust-policy user-policy" ] &&
  ok "bash: --document offers the three documents" ||
  fail "bash: --document: got $(echo $got)"
got=$(bash_complete snapmig sigv4 --print s)
[ "$(echo $got)" = "string-to-sign signature signed-request" ] &&
  ok "bash: --print s offers string-to-sign, signature, signed-request" ||
  fail "bash: --print s: got $(echo $got)"
got=$(bash_complete snapmig help "")
has "$got" run && ok "bash: 'snapmig help <Tab>' offers the commands" ||
  fail "bash: help: got $(echo $got)"

# --- zsh ------------------------------------------------------------------
if ! command -v zsh >/dev/null; then
  fail "zsh is not installed (apt-get install zsh): the zsh completion is not tested"
  echo "$passed passed, $failed failed"
  exit 1
fi
zsh_cases=$tmp/zsh-cases
zsh_out=$tmp/zsh-out
{
  echo "snapmig "
  while read -r cmd opts; do
    [ -n "$opts" ] || continue
    if [ "$cmd" = snapmig ]; then echo "snapmig -"; else echo "snapmig $cmd -"; fi
  done <<<"$rows"
  echo "snapmig validate "
  echo "snapmig iam-policy --document "
  echo "snapmig sigv4 --print "
} >"$zsh_cases"

(cd "$tmp/plans" && timeout 120 zsh -f "$SNM_SOURCE_DIR/tests/cli/completion_zsh.zsh" \
  "$comp" "$zsh_cases" >"$zsh_out") || fail "the zsh session failed (status $?)"

zsh_got() { # case number -> that case's output
  awk -v n="$1" '/^=== / { on = ($2 == n); next } on' "$zsh_out"
}
zhas() { grep -qE -- "(^|[[:space:]])$(sed 's/[.[\*^$]/\\&/g' <<<"$2")([[:space:]]|/|$)" <<<"$1"; }
i=1
got=$(zsh_got $i)
for c in $commands; do
  zhas "$got" "$c" && ok "zsh: 'snapmig <Tab>' offers $c" ||
    fail "zsh: 'snapmig <Tab>' lacks $c"
done
while read -r cmd opts; do
  [ -n "$opts" ] || continue
  i=$((i + 1))
  got=$(zsh_got $i)
  for o in $opts; do
    zhas "$got" "$o" && ok "zsh: '$cmd -<Tab>' offers $o" ||
      fail "zsh: '$cmd -<Tab>' lacks $o: $(tail -n 5 <<<"$got")"
  done
done <<<"$rows"
i=$((i + 1))
got=$(zsh_got $i)
zhas "$got" one.json && zhas "$got" two.jsonc && zhas "$got" sub &&
  ! zhas "$got" notes.txt && ok "zsh: a plan argument offers *.json, *.jsonc and directories" ||
  fail "zsh: plan files: $got"
i=$((i + 1))
got=$(zsh_got $i)
zhas "$got" role-policy && zhas "$got" trust-policy && zhas "$got" user-policy &&
  ok "zsh: --document offers the three documents" || fail "zsh: --document: $got"
i=$((i + 1))
got=$(zsh_got $i)
zhas "$got" canonical-request && zhas "$got" string-to-sign &&
  zhas "$got" signature && zhas "$got" signed-request &&
  ok "zsh: --print offers its four values" || fail "zsh: --print: $got"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
