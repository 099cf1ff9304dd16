# shellcheck shell=bash
# Variables the tests read, for the peers of scripts/peers/start.sh. Source it (bash), after start.sh:
#
#   scripts/peers/start.sh && source scripts/peers/env.sh
#
# Honors the same VH_PEERS_DIR / VH_PEER_*_PORT / VH_PEER_GCP_IMPL overrides as start.sh.
# VH_TEST_PEERS_UP lists the peers whose pid file names a live process when this file is sourced.
# Sets nothing else in the calling shell (its helper variables are unset at the end).

__vh_dir="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/../.." && pwd)"
__vh_peers="${VH_PEERS_DIR:-$__vh_dir/.peers}"
__vh_vault="${VH_PEER_VAULT_PORT:-8200}"
__vh_aws="${VH_PEER_AWS_PORT:-5055}"
__vh_az="${VH_PEER_AZURE_PORT:-8443}"
__vh_aztok="${VH_PEER_AZURE_TOKEN_PORT:-8080}"
__vh_gcp="${VH_PEER_GCP_PORT:-9090}"

# OpenBao (Vault API), dev mode: KV v2 at secret/, root token "root". node-vault reads VAULT_ADDR.
export VAULT_ADDR="http://127.0.0.1:$__vh_vault"
export VAULT_TOKEN=root
export VH_TEST_VAULT_ADDR="$VAULT_ADDR" VH_TEST_VAULT_TOKEN=root # names used by scripts/peers.sh

# moto (AWS Secrets Manager). Any key pair works; the region picks moto's in-memory backend.
export VH_TEST_AWS_ENDPOINT="http://127.0.0.1:$__vh_aws"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1

# lowkey-vault (Azure Key Vault test double). Its TLS cert (SAN: localhost, 127.0.0.1, *.localhost)
# is extracted by start.sh; Node trusts it through NODE_EXTRA_CA_CERTS, set only when the PEM
# exists (Node warns on every start about a missing file). Lowkey checks that a bearer token is
# present but ignores its value: a static TokenCredential is enough. Its managed-identity style
# token endpoint is given under VH_TEST_* names only, so that no other Azure credential in the
# process is redirected to it.
export VH_TEST_AZURE_URL="https://localhost:$__vh_az"
export VH_TEST_AZURE_CA="$__vh_peers/lowkey/lowkey-ca.pem"
export VH_TEST_AZURE_IDENTITY_ENDPOINT="http://127.0.0.1:$__vh_aztok/metadata/identity/oauth2/token"
export VH_TEST_AZURE_IDENTITY_HEADER=header
if [ -s "$VH_TEST_AZURE_CA" ]; then
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] || [ "$NODE_EXTRA_CA_CERTS" = "$VH_TEST_AZURE_CA" ]; then
    export NODE_EXTRA_CA_CERTS="$VH_TEST_AZURE_CA"
  else
    echo "peers env: NODE_EXTRA_CA_CERTS is already $NODE_EXTRA_CA_CERTS; lowkey's CA is $VH_TEST_AZURE_CA" >&2
  fi
fi

# GCP Secret Manager emulator. drongo (default) speaks REST only: the Node client needs
# { fallback: true, protocol: 'http', apiEndpoint: host, port } and any auth client with a token.
# blackwell (VH_PEER_GCP_IMPL=blackwell) speaks gRPC: { apiEndpoint, port, sslCreds: insecure }.
export VH_TEST_GCP_ENDPOINT="127.0.0.1:$__vh_gcp"
export VH_TEST_GCP_PROJECT=test-project
if [ "${VH_PEER_GCP_IMPL:-drongo}" = blackwell ]; then
  export VH_TEST_GCP_TRANSPORT=grpc
else
  export VH_TEST_GCP_TRANSPORT=rest
fi

# Which peers are up right now (pid file names a live process).
VH_TEST_PEERS_UP=""
for __vh_n in openbao moto lowkey gcp; do
  __vh_pid="$(cat "$__vh_peers/$__vh_n.pid" 2>/dev/null | tr -dc '0-9')"
  if [ -n "$__vh_pid" ] && kill -0 "$__vh_pid" 2>/dev/null; then
    VH_TEST_PEERS_UP="${VH_TEST_PEERS_UP:+$VH_TEST_PEERS_UP }$__vh_n"
  fi
done
export VH_TEST_PEERS_UP

unset __vh_dir __vh_peers __vh_vault __vh_aws __vh_az __vh_aztok __vh_gcp __vh_n __vh_pid
