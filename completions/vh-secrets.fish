# fish completion for vh-secrets — generated from its command definitions; do not edit.
# Install: vh-secrets completion fish > ~/.config/fish/completions/vh-secrets.fish
complete -c vh-secrets -f
complete -c vh-secrets -n '__fish_use_subcommand' -a 'get' -d 'print a secret value to stdout (and only there)'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'create' -d 'create a secret; the value comes from stdin, --value-file or --generate, never f'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'update' -d 'change what vh-secrets knows about a secret (tags, owner, rotation interval, exp'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'set' -d 'write a new version from a value issued elsewhere (stdin, --value-file, or typed'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'list' -d 'list secrets (names and metadata, never values) across the configured stores'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'describe' -d 'show metadata and versions of a secret (never the value)'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'revoke' -d 'revoke (disable) one version, or the whole secret when no version is given'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'lifecycle' -d 'show the lifecycle state and history of a secret; `lifecycle report` summarises '
complete -c vh-secrets -n '__fish_use_subcommand' -a 'deprecate' -d 'mark a secret DEPRECATED: still readable and rotatable, flagged for retirement'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'archive' -d 'archive a revoked or expired secret: every version disabled (not destroyed), mar'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'purge' -d 'destroy a secret and every version, irreversibly (needs --yes; on a terminal, th'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'notify' -d 'send expiry and rotation notices to the configured channels (webhook, command ho'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'health' -d 'check age, expiry, due rotations and store reachability (Nagios exit codes 0/1/2'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'exporter' -d 'serve the health metrics for Prometheus to scrape (/metrics) and a liveness chec'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'rotate' -d 'rotate one secret: prepare, generate, stage, verify, promote, cleanup — with rol'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'rotate-all' -d 'rotate every secret matching a filter, with bounded concurrency; safe to run fro'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'rotations' -d 'list interrupted and in-flight rotations (local journal and the stores\' markers'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'backup' -d 'write the secrets of a store (or of every configured store) to an age-encrypted '
complete -c vh-secrets -n '__fish_use_subcommand' -a 'restore' -d 'restore secrets from a backup archive into any store; never overwrites a newer v'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'run' -d 'start a command with secrets in its environment (values never on a command line)'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'template' -d 'render {{ secret "REF" }} placeholders (| base64, | json) into a file written at'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'export' -d 'print the current values of one store (under --prefix) as a .env file, shell exp'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'copy' -d 'copy a secret (value and metadata) to another store or name, as restore writes i'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'audit' -d 'summarise the audit log and detect anomalies; `audit verify` checks the hash cha'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'compliance' -d 'map NIST 800-53, SOC 2, ISO 27001, HIPAA, PCI DSS and GDPR controls to evidence '
complete -c vh-secrets -n '__fish_use_subcommand' -a 'index' -d 'build the index of managed values that `scan --managed` matches against (keyed f'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'scan' -d 'find leaked credentials in files, git history, staged changes or stdin'
complete -c vh-secrets -n '__fish_use_subcommand' -a 'completion' -d 'print a shell completion script'
complete -c vh-secrets -l version
complete -c vh-secrets -l config
complete -c vh-secrets -l env
complete -c vh-secrets -l json
complete -c vh-secrets -l quiet
complete -c vh-secrets -l no-color
complete -c vh-secrets -l yes
complete -c vh-secrets -l debug
complete -c vh-secrets -l actor
complete -c vh-secrets -l policy
complete -c vh-secrets -l timeout
complete -c vh-secrets -l help
complete -c vh-secrets -n '__fish_seen_subcommand_from get' -l at -x
complete -c vh-secrets -n '__fish_seen_subcommand_from get' -l field -x
complete -c vh-secrets -n '__fish_seen_subcommand_from get' -l format -x -a 'raw json env dotenv yaml'
complete -c vh-secrets -n '__fish_seen_subcommand_from get' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from create put' -l type -x -a 'database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic'
complete -c vh-secrets -n '__fish_seen_subcommand_from create put' -l generate
complete -c vh-secrets -n '__fish_seen_subcommand_from create put' -l value-file -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from create put' -l expires-in-days -x
complete -c vh-secrets -n '__fish_seen_subcommand_from create put' -l rotation-days -x
complete -c vh-secrets -n '__fish_seen_subcommand_from create put' -l owner -x
complete -c vh-secrets -n '__fish_seen_subcommand_from create put' -l target -x
complete -c vh-secrets -n '__fish_seen_subcommand_from create put' -l reload -x
complete -c vh-secrets -n '__fish_seen_subcommand_from create put' -l tag -x
complete -c vh-secrets -n '__fish_seen_subcommand_from create put' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from update' -l tag -x
complete -c vh-secrets -n '__fish_seen_subcommand_from update' -l untag -x
complete -c vh-secrets -n '__fish_seen_subcommand_from update' -l owner -x
complete -c vh-secrets -n '__fish_seen_subcommand_from update' -l rotation-days -x
complete -c vh-secrets -n '__fish_seen_subcommand_from update' -l expires-in-days -x
complete -c vh-secrets -n '__fish_seen_subcommand_from update' -l no-expiry
complete -c vh-secrets -n '__fish_seen_subcommand_from update' -l target -x
complete -c vh-secrets -n '__fish_seen_subcommand_from update' -l no-target
complete -c vh-secrets -n '__fish_seen_subcommand_from update' -l type -x -a 'database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic'
complete -c vh-secrets -n '__fish_seen_subcommand_from update' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from set' -l value-file -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from set' -l cas -x
complete -c vh-secrets -n '__fish_seen_subcommand_from set' -l reason -x
complete -c vh-secrets -n '__fish_seen_subcommand_from set' -l force
complete -c vh-secrets -n '__fish_seen_subcommand_from set' -l dry-run
complete -c vh-secrets -n '__fish_seen_subcommand_from set' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from list ls' -l prefix -x
complete -c vh-secrets -n '__fish_seen_subcommand_from list ls' -l type -x -a 'database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic'
complete -c vh-secrets -n '__fish_seen_subcommand_from list ls' -l store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from list ls' -l tag -x
complete -c vh-secrets -n '__fish_seen_subcommand_from describe' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from revoke' -l at -x
complete -c vh-secrets -n '__fish_seen_subcommand_from revoke' -l force
complete -c vh-secrets -n '__fish_seen_subcommand_from revoke' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from lifecycle' -l type -x -a 'database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic'
complete -c vh-secrets -n '__fish_seen_subcommand_from lifecycle' -l store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from lifecycle' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from lifecycle' -a 'report'
complete -c vh-secrets -n '__fish_seen_subcommand_from deprecate' -l reason -x
complete -c vh-secrets -n '__fish_seen_subcommand_from deprecate' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from archive' -l reason -x
complete -c vh-secrets -n '__fish_seen_subcommand_from archive' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from purge' -l force
complete -c vh-secrets -n '__fish_seen_subcommand_from purge' -l reason -x
complete -c vh-secrets -n '__fish_seen_subcommand_from purge' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from notify' -l within-days -x
complete -c vh-secrets -n '__fish_seen_subcommand_from notify' -l dry-run
complete -c vh-secrets -n '__fish_seen_subcommand_from notify' -l type -x -a 'database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic'
complete -c vh-secrets -n '__fish_seen_subcommand_from notify' -l store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from notify' -l tag -x
complete -c vh-secrets -n '__fish_seen_subcommand_from health' -l store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from health' -l type -x -a 'database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic'
complete -c vh-secrets -n '__fish_seen_subcommand_from health' -l tag -x
complete -c vh-secrets -n '__fish_seen_subcommand_from health' -l metrics-file -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from health' -l pushgateway -x
complete -c vh-secrets -n '__fish_seen_subcommand_from health' -l metrics-names
complete -c vh-secrets -n '__fish_seen_subcommand_from exporter' -l listen -x
complete -c vh-secrets -n '__fish_seen_subcommand_from exporter' -l interval -x
complete -c vh-secrets -n '__fish_seen_subcommand_from exporter' -l allow-remote
complete -c vh-secrets -n '__fish_seen_subcommand_from exporter' -l metrics-names
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l secret-id -x
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l emergency
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l dry-run
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l resume
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l abort
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l all
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l type -x -a 'database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic'
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l tag -x
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l confirm
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l reason -x
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l value-file -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -l force
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate-all' -l type -x -a 'database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic'
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate-all' -l store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate-all' -l tag -x
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate-all' -l concurrency -x
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate-all' -l shard -x
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate-all' -l include-unmanaged
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate-all' -l cleanup-only
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate-all' -l dry-run
complete -c vh-secrets -n '__fish_seen_subcommand_from rotate-all' -l confirm
complete -c vh-secrets -n '__fish_seen_subcommand_from rotations' -l store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from rotations' -l type -x -a 'database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic'
complete -c vh-secrets -n '__fish_seen_subcommand_from rotations' -l tag -x
complete -c vh-secrets -n '__fish_seen_subcommand_from backup' -l store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from backup' -l prefix -x
complete -c vh-secrets -n '__fish_seen_subcommand_from backup' -l type -x -a 'database_password api_key jwt_secret encryption_key webhook_secret oauth_client_secret tls_private_key generic'
complete -c vh-secrets -n '__fish_seen_subcommand_from backup' -l tag -x
complete -c vh-secrets -n '__fish_seen_subcommand_from backup' -l all-versions
complete -c vh-secrets -n '__fish_seen_subcommand_from backup' -l recipient -x
complete -c vh-secrets -n '__fish_seen_subcommand_from backup' -l recipients-file -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from backup' -l output -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from restore' -l identity -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from restore' -l to-store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from restore' -l dry-run
complete -c vh-secrets -n '__fish_seen_subcommand_from restore' -l force
complete -c vh-secrets -n '__fish_seen_subcommand_from restore' -F
complete -c vh-secrets -n '__fish_seen_subcommand_from run' -l env -x
complete -c vh-secrets -n '__fish_seen_subcommand_from run' -l env-file -x
complete -c vh-secrets -n '__fish_seen_subcommand_from run' -l mask
complete -c vh-secrets -n '__fish_seen_subcommand_from run' -l no-mask
complete -c vh-secrets -n '__fish_seen_subcommand_from run' -l watch
complete -c vh-secrets -n '__fish_seen_subcommand_from run' -l watch-interval -x
complete -c vh-secrets -n '__fish_seen_subcommand_from run' -l restart-grace -x
complete -c vh-secrets -n '__fish_seen_subcommand_from template' -l output -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from export' -l store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from export' -l prefix -x
complete -c vh-secrets -n '__fish_seen_subcommand_from export' -l format -x -a 'dotenv env json'
complete -c vh-secrets -n '__fish_seen_subcommand_from copy' -l all
complete -c vh-secrets -n '__fish_seen_subcommand_from copy' -l prefix -x
complete -c vh-secrets -n '__fish_seen_subcommand_from copy' -l from-store -x
complete -c vh-secrets -n '__fish_seen_subcommand_from copy' -l to-store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from copy' -l dry-run
complete -c vh-secrets -n '__fish_seen_subcommand_from copy' -l force
complete -c vh-secrets -n '__fish_seen_subcommand_from copy' -a '(vh-secrets __complete refs (commandline -ct) 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from audit' -l hours -x
complete -c vh-secrets -n '__fish_seen_subcommand_from audit' -l since -x
complete -c vh-secrets -n '__fish_seen_subcommand_from audit' -l until -x
complete -c vh-secrets -n '__fish_seen_subcommand_from audit' -l log -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from audit' -l source -x
complete -c vh-secrets -n '__fish_seen_subcommand_from audit' -l output -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from audit' -l fail-on-anomalies -x
complete -c vh-secrets -n '__fish_seen_subcommand_from audit' -l anchor -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from audit' -a 'report verify flush'
complete -c vh-secrets -n '__fish_seen_subcommand_from compliance' -l framework -x -a 'nist-800-53 soc2 iso27001 hipaa pci-dss gdpr all'
complete -c vh-secrets -n '__fish_seen_subcommand_from compliance' -l days -x
complete -c vh-secrets -n '__fish_seen_subcommand_from index' -l store -x -a '(vh-secrets __complete stores 2>/dev/null)'
complete -c vh-secrets -n '__fish_seen_subcommand_from index' -l prefix -x
complete -c vh-secrets -n '__fish_seen_subcommand_from index' -l versions -x
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l path -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l git
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l log-opts -x
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l staged
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l stdin
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l format -x -a 'text json sarif'
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l output -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l fail-on-secrets
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l baseline -r -F
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l rules -x
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l redact
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l no-redact
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l max-file-size -x
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l jobs -x
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l shard -x
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l no-ignore
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l hidden
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l no-hidden
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l managed
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l rotate-leaked
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l dry-run
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -l force
complete -c vh-secrets -n '__fish_seen_subcommand_from scan' -F
complete -c vh-secrets -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'
