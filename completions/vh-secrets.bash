# bash completion for vh-secrets — generated from its command definitions; do not edit.
# Install: vh-secrets completion bash > /etc/bash_completion.d/vh-secrets  (or source it from ~/.bashrc)
_vh_secrets() {
  local cur prev cmd i opts="" valued=""
  # Complete across ':' in STORE:NAME references whatever COMP_WORDBREAKS says.
  cur=${COMP_LINE:0:$COMP_POINT}; cur=${cur##*[[:space:]]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -*) ;;
      *) case " --config --env " in *" ${COMP_WORDS[i-1]} "*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac ;;
    esac
  done
  case $cmd in
    get) opts="--version"; valued="--version --config --env" ;;
    create|put) opts="--type --generate --value-file --expires-in-days --rotation-days --owner --tag"; valued="--type --value-file --expires-in-days --rotation-days --owner --tag --config --env" ;;
    list|ls) opts="--type --store --tag"; valued="--type --store --tag --config --env" ;;
    describe) opts=""; valued="--config --env" ;;
    revoke) opts="--version --force"; valued="--version --config --env" ;;
    lifecycle) opts="--type --store"; valued="--type --store --config --env" ;;
    deprecate) opts="--reason"; valued="--reason --config --env" ;;
    archive) opts="--reason"; valued="--reason --config --env" ;;
    purge) opts="--force --reason"; valued="--reason --config --env" ;;
    notify) opts="--within-days --dry-run --type --store --tag"; valued="--within-days --type --store --tag --config --env" ;;
    health) opts="--store --type --tag --metrics-file --pushgateway --metrics-names"; valued="--store --type --tag --metrics-file --pushgateway --config --env" ;;
    rotate) opts="--secret-id --emergency --dry-run --resume --abort --reason --force"; valued="--secret-id --reason --config --env" ;;
    rotate-all) opts="--type --store --tag --concurrency --shard --dry-run --confirm"; valued="--type --store --tag --concurrency --shard --config --env" ;;
    audit) opts="--hours --since --until --log --source --output --fail-on-anomalies --anchor"; valued="--hours --since --until --log --source --output --fail-on-anomalies --anchor --config --env" ;;
    scan) opts="--path --git --log-opts --staged --stdin --format --output --fail-on-secrets --baseline --rules --redact --no-redact --max-file-size --jobs --shard"; valued="--path --log-opts --format --output --baseline --rules --max-file-size --jobs --shard --config --env" ;;
    completion) opts=""; valued="--config --env" ;;
  esac
  case $prev in
    --type) COMPREPLY=($(compgen -W "database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "text json sarif" -- "$cur")); return ;;
    --store) COMPREPLY=($(compgen -W "$(vh-secrets __complete stores 2>/dev/null)" -- "$cur")); return ;;
    --config|--value-file|--output|--metrics-file|--baseline|--log|--path|--anchor) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "get create put list ls describe revoke lifecycle deprecate archive purge notify health rotate rotate-all audit scan completion --version -V --config --env --json --quiet -q --no-color --yes -y --debug --help -h" -- "$cur"))
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts --version -V --config --env --json --quiet -q --no-color --yes -y --debug --help -h" -- "$cur"))
  else
    case $cmd in
      lifecycle) COMPREPLY=($(compgen -W "report $(vh-secrets __complete refs "$cur" 2>/dev/null)" -- "$cur")) ;;
      get|create|put|describe|revoke|rotate|deprecate|archive|purge) COMPREPLY=($(compgen -W "$(vh-secrets __complete refs "$cur" 2>/dev/null)" -- "$cur")) ;;
      audit) COMPREPLY=($(compgen -W "report verify flush" -- "$cur")) ;;
      completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
      scan) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
  fi
  # bash splits words at ':' (zsh does not): offer only the part after the last ':' the user typed.
  if [[ -n ${BASH_VERSION-} && $COMP_WORDBREAKS == *:* && $cur == *:* ]]; then
    local pre=${cur%"${cur##*:}"} c out=()
    for c in "${COMPREPLY[@]}"; do out+=("${c#"$pre"}"); done
    COMPREPLY=("${out[@]}")
  fi
}
complete -o default -F _vh_secrets vh-secrets
