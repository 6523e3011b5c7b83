# tests/cli/completion_zsh.zsh COMPDIR CASES - run by tests/cli/completion.sh.
# One interactive zsh in a pseudo-terminal (zsh/zpty) with the completions
# of COMPDIR; for each line of CASES: type it and a Tab (the listing), kill
# the line (^X^K, bound to kill-whole-line: not a key the terminal itself
# acts on, should the keys arrive before the line editor has started; the
# terminal is also taken out of canonical mode for that), and run `echo END<n+1000>`, whose output is what is read up to
# (the typed command does not contain it).  Prints "=== N" and the terminal
# output of case N, escape sequences removed.
setopt extended_glob
zmodload zsh/zpty || exit 3
compdir=$1 cases=$2
zpty z 'zsh -f -i'
zpty -w z "stty rows 200 columns 250 -icanon; bindkey '^X^K' kill-whole-line; PS1='> '; LISTMAX=0; unsetopt list_ambiguous auto_menu; fpath=($compdir \$fpath); autoload -Uz compinit; compinit -u -D; echo READ''Y"
zpty -r z out '*READY*' || exit 4
n=0
while IFS= read -r line; do
  n=$((n + 1))
  zpty -w -n z "$line"$'\t'
  zpty -w z $'\C-x\C-k'"echo END\$(( $n + 1000 ))"
  zpty -r z out "*END$((n + 1000))*" || exit 5
  out=${out//$'\e'\[[0-9;?]#[A-Za-z]/ }
  out=${out//$'\r'/$'\n'}
  print -r -- "=== $n"
  print -r -- "$out"
done <"$cases"
zpty -d z
