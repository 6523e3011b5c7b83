# bash completion for snapmig                              -*- shell-script -*-
# Installed as share/bash-completion/completions/snapmig; or source it.
# Completes the commands, each command's options (tests/cli/completion.sh
# checks them against every --help), plan files (*.json, *.jsonc), the
# values of --document, --print and init's --auth, AWS profile names and
# files.

_snapmig_files()
{
  local IFS=$'\n'
  compopt -o filenames 2>/dev/null
  COMPREPLY+=($(compgen -f -- "$cur"))
}

_snapmig_plans()
{
  local IFS=$'\n' f
  compopt -o filenames 2>/dev/null
  for f in $(compgen -f -- "$cur"); do
    [[ -d $f || $f == *.json || $f == *.jsonc ]] && COMPREPLY+=("$f")
  done
}

_snapmig_profiles()
{
  local f line names=()
  for f in "${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}" \
    "${AWS_CONFIG_FILE:-$HOME/.aws/config}"; do
    [[ -r $f ]] || continue
    while IFS= read -r line; do
      if [[ $line =~ ^[[:space:]]*\[(profile[[:space:]]+)?([^]]+)\] ]]; then
        names+=("${BASH_REMATCH[2]}")
      fi
    done <"$f"
  done
  COMPREPLY+=($(compgen -W "${names[*]}" -- "$cur"))
}

_snapmig()
{
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local commands="init validate check run sync cutover status iam-policy sigv4 version help"
  local cmd="" helping="" i opts="" w
  COMPREPLY=()

  # the command: the first word that is not an option
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [[ $w == -h || $w == --help || $w == help ]]; then
      helping=1
    elif [[ $w != -* ]]; then
      cmd=$w
      break
    fi
  done
  if [[ -z $cmd ]]; then
    if [[ -z $helping && $cur == -* ]]; then
      COMPREPLY=($(compgen -W "-h --help -V --version" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    fi
    return
  fi
  [[ -n $helping ]] && return

  # an option's value
  case $cmd:$prev in
  run:--state | sync:--state | cutover:--state | status:--state)
    _snapmig_files
    return
    ;;
  iam-policy:--document)
    COMPREPLY=($(compgen -W "role-policy trust-policy user-policy" -- "$cur"))
    return
    ;;
  sigv4:--print)
    COMPREPLY=($(compgen -W "canonical-request string-to-sign signature
      signed-request" -- "$cur"))
    return
    ;;
  sigv4:--service)
    COMPREPLY=($(compgen -W "es aoss s3 sts" -- "$cur"))
    return
    ;;
  sigv4:--profile)
    _snapmig_profiles
    return
    ;;
  sigv4:--region | sigv4:--time | sigv4:--expires | init:--source | \
    init:--target | init:--indices | init:--name)
    return
    ;;
  init:--auth)
    COMPREPLY=($(compgen -W "none aws-sigv4 basic, source: target:" -- "$cur"))
    [[ ${COMPREPLY[*]} == *[,:]* ]] && compopt -o nospace 2>/dev/null
    return
    ;;
  init:-o | init:--output)
    _snapmig_plans
    return
    ;;
  esac

  case $cmd in
  init)
    opts="--source --target --auth --indices --name -o --output -v
      --verbose -h --help"
    ;;
  validate) opts="--json -q --quiet -h --help" ;;
  check) opts="--json -v --verbose -q --quiet --state -h --help" ;;
  run) opts="--json -q --quiet -v --verbose --state --fresh -h --help" ;;
  sync) opts="--json -q --quiet -v --verbose --state -h --help" ;;
  cutover)
    opts="--json -q --quiet -v --verbose --state --rollback -h --help"
    ;;
  status) opts="--json --state -h --help" ;;
  iam-policy) opts="--document -h --help" ;;
  version) opts="-h --help" ;;
  sigv4)
    opts="--service --region --time --presign --expires --sign-body
      --unsigned-payload --no-normalize --omit-session-token --print
      --profile -h --help"
    ;;
  *) return ;;
  esac

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  case $cmd in
  sigv4) _snapmig_files ;;
  init | version) ;;
  *) _snapmig_plans ;;
  esac
}
complete -F _snapmig snapmig
