#!/usr/bin/env bash
# The main job on the embedded file store, no cloud account needed: create secrets (generated, from stdin,
# with tags and expiry), list them, describe one, read one, revoke one, and show the audit trail it left.
# Uses a throw-away VH_SECRETS_HOME unless you set one.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/src/cli/main.js ] || npm run --silent build
if [ -z "${VH_SECRETS_HOME:-}" ]; then
  # A throw-away home — its store and key included — removed however the demo ends.
  VH_SECRETS_HOME="$(mktemp -d "${TMPDIR:-/tmp}/vh-secrets-demo.XXXXXX")"
  trap 'rm -rf "$VH_SECRETS_HOME"' EXIT
fi
export VH_SECRETS_HOME
vh() { node bin/vh-secrets "$@"; }
step() { printf '\n\033[1m$ vh-secrets %s\033[0m\n' "$*" >&2; }

echo "VH_SECRETS_HOME=$VH_SECRETS_HOME" >&2
step create app/db --type database_password --generate --tag team=payments --expires-in-days 90
vh create app/db --type database_password --generate --tag team=payments --expires-in-days 90
step create app/stripe --type api_key --generate --owner payments
vh create app/stripe --type api_key --generate --owner payments
step "create app/webhook#signing --type webhook_secret   (value on stdin)"
head -c 24 /dev/urandom | base64 | vh create 'app/webhook#signing' --type webhook_secret
step list
vh list
step describe app/db
vh describe app/db
step "get app/db | wc -c   (the value only ever goes to stdout)"
vh get app/db | wc -c
step "rotate app/db --yes   (prepare → generate → stage → verify → promote → cleanup)"
vh rotate app/db --yes
step "rotate-all --type database_password --confirm   (what cron runs nightly)"
vh rotate-all --type database_password --confirm
step "health   (Nagios exit code: 0 OK, 1 WARNING, 2 CRITICAL)"
vh health || true
step revoke app/stripe --yes
vh revoke app/stripe --yes
step "list --json --tag team=payments"
vh list --json --tag team=payments
step "audit --hours 1   (who did what, failures, anomalies)"
vh audit --hours 1
step "audit verify   (the hash chain of the audit log)"
vh audit verify
step "scan --path scripts   (leaked credentials; exit 1 with --fail-on-secrets)"
vh scan --path "$(dirname "$0")"
printf '\naudit log: %s events, hash-chained (the throw-away home is removed now; set VH_SECRETS_HOME to keep one)\n' "$(wc -l < "$VH_SECRETS_HOME/audit.log")" >&2
