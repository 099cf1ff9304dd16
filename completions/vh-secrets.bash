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
      *) case " --config --env --actor --policy --timeout " in *" ${COMP_WORDS[i-1]} "*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac ;;
    esac
  done
  case $cmd in
    get) opts="--at --field --format"; valued="--at --field --format --config --env --actor --policy --timeout" ;;
    create|put) opts="--type --generate --value-file --expires-in-days --rotation-days --owner --target --reload --tag"; valued="--type --value-file --expires-in-days --rotation-days --owner --target --reload --tag --config --env --actor --policy --timeout" ;;
    update) opts="--tag --untag --owner --rotation-days --expires-in-days --no-expiry --target --no-target --type"; valued="--tag --untag --owner --rotation-days --expires-in-days --target --type --config --env --actor --policy --timeout" ;;
    set) opts="--value-file --cas --reason --force --dry-run"; valued="--value-file --cas --reason --config --env --actor --policy --timeout" ;;
    list|ls) opts="--prefix --type --store --tag"; valued="--prefix --type --store --tag --config --env --actor --policy --timeout" ;;
    describe) opts=""; valued="--config --env --actor --policy --timeout" ;;
    revoke) opts="--at --force"; valued="--at --config --env --actor --policy --timeout" ;;
    lifecycle) opts="--type --store"; valued="--type --store --config --env --actor --policy --timeout" ;;
    deprecate) opts="--reason"; valued="--reason --config --env --actor --policy --timeout" ;;
    archive) opts="--reason"; valued="--reason --config --env --actor --policy --timeout" ;;
    purge) opts="--force --reason"; valued="--reason --config --env --actor --policy --timeout" ;;
    notify) opts="--within-days --dry-run --type --store --tag"; valued="--within-days --type --store --tag --config --env --actor --policy --timeout" ;;
    health) opts="--store --type --tag --metrics-file --pushgateway --metrics-names"; valued="--store --type --tag --metrics-file --pushgateway --config --env --actor --policy --timeout" ;;
    exporter) opts="--listen --interval --allow-remote --metrics-names"; valued="--listen --interval --config --env --actor --policy --timeout" ;;
    rotate) opts="--secret-id --emergency --dry-run --resume --abort --all --store --type --tag --confirm --reason --value-file --force"; valued="--secret-id --store --type --tag --reason --value-file --config --env --actor --policy --timeout" ;;
    rotate-all) opts="--type --store --tag --concurrency --shard --include-unmanaged --cleanup-only --dry-run --confirm"; valued="--type --store --tag --concurrency --shard --config --env --actor --policy --timeout" ;;
    rotations) opts="--store --type --tag"; valued="--store --type --tag --config --env --actor --policy --timeout" ;;
    backup) opts="--store --prefix --type --tag --all-versions --recipient --recipients-file --output"; valued="--store --prefix --type --tag --recipient --recipients-file --output --config --env --actor --policy --timeout" ;;
    restore) opts="--identity --to-store --dry-run --force"; valued="--identity --to-store --config --env --actor --policy --timeout" ;;
    run) opts="--env --env-file --mask --no-mask --watch --watch-interval --restart-grace"; valued="--env --env-file --watch-interval --restart-grace --config --actor --policy --timeout" ;;
    template) opts="--output -o"; valued="--output -o --config --env --actor --policy --timeout" ;;
    export) opts="--store --prefix --format"; valued="--store --prefix --format --config --env --actor --policy --timeout" ;;
    copy) opts="--all --prefix --from-store --to-store --dry-run --force"; valued="--prefix --from-store --to-store --config --env --actor --policy --timeout" ;;
    audit) opts="--hours --since --until --log --source --output --fail-on-anomalies --anchor"; valued="--hours --since --until --log --source --output --fail-on-anomalies --anchor --config --env --actor --policy --timeout" ;;
    compliance) opts="--framework --days"; valued="--framework --days --config --env --actor --policy --timeout" ;;
    index) opts="--store --prefix --versions"; valued="--store --prefix --versions --config --env --actor --policy --timeout" ;;
    scan) opts="--path --git --log-opts --staged --stdin --format --output --fail-on-secrets --baseline --rules --redact --no-redact --max-file-size --jobs --shard --no-ignore --hidden --no-hidden --managed --rotate-leaked --dry-run --force"; valued="--path --log-opts --format --output --baseline --rules --max-file-size --jobs --shard --config --env --actor --policy --timeout" ;;
    completion) opts=""; valued="--config --env --actor --policy --timeout" ;;
  esac
  case "$cmd $prev" in
    "get --format") COMPREPLY=($(compgen -W "raw json env dotenv yaml" -- "$cur")); return ;;
    "export --format") COMPREPLY=($(compgen -W "dotenv env json" -- "$cur")); return ;;
    "compliance --framework") COMPREPLY=($(compgen -W "nist-800-53 soc2 iso27001 hipaa pci-dss gdpr all" -- "$cur")); return ;;
    "scan --format") COMPREPLY=($(compgen -W "text json sarif" -- "$cur")); return ;;
  esac
  case $prev in
    --type) COMPREPLY=($(compgen -W "database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "text json sarif" -- "$cur")); return ;;
    --store|--to-store) COMPREPLY=($(compgen -W "$(vh-secrets __complete stores 2>/dev/null)" -- "$cur")); return ;;
    --config|--value-file|--output|--metrics-file|--baseline|--log|--path|--anchor|--identity|--recipients-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "get create put update set list ls describe revoke lifecycle deprecate archive purge notify health exporter rotate rotate-all rotations backup restore run template export copy audit compliance index scan completion --version -V --config --env --json --quiet -q --no-color --yes -y --debug --actor --policy --timeout --help -h" -- "$cur"))
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts --version -V --config --env --json --quiet -q --no-color --yes -y --debug --actor --policy --timeout --help -h" -- "$cur"))
  else
    case $cmd in
      lifecycle) COMPREPLY=($(compgen -W "report $(vh-secrets __complete refs "$cur" 2>/dev/null)" -- "$cur")) ;;
      get|create|put|set|update|copy|describe|revoke|rotate|deprecate|archive|purge) COMPREPLY=($(compgen -W "$(vh-secrets __complete refs "$cur" 2>/dev/null)" -- "$cur")) ;;
      audit) COMPREPLY=($(compgen -W "report verify flush" -- "$cur")) ;;
      completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
      scan|restore) COMPREPLY=($(compgen -f -- "$cur")) ;;
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
