#!/usr/bin/env bash
# Stop peers started by scripts/peers/start.sh: by pid (TERM, then KILL after 10 s), pid files removed.
#
#   scripts/peers/stop.sh [openbao] [moto] [lowkey] [gcp]      # default: all four
#
# Only processes named by .peers/<name>.pid are touched, and only while that pid is still the peer
# (its command line is checked), so a stale pid file never kills an unrelated process.
set -euo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

stop_one() {
  local name=$1 pid i port
  if ! pid="$(peer_pid "$name")"; then
    [ -f "$(pid_file "$name")" ] && peers_log "$name: stale pid file removed"
    rm -f "$(pid_file "$name")"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    peers_log "$name (pid $pid) ignored TERM for 10s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$(pid_file "$name")"
  # The listening sockets go with the process; report if one is still held (e.g. by a child).
  for port in $(peer_ports "$name"); do
    for ((i = 0; i < 20; i++)); do port_open "$port" || break; sleep 0.1; done
    port_open "$port" && peers_log "$name: warning: 127.0.0.1:$port still answers after stop"
  done
  peers_log "$name stopped (pid $pid)"
}

main() {
  local names=("$@") name
  [ ${#names[@]} -gt 0 ] || names=("${ALL_PEERS[@]}")
  for name in "${names[@]}"; do
    peer_known "$name" || { peers_log "unknown peer '$name' (known: ${ALL_PEERS[*]})"; exit 2; }
  done
  [ -d "$PEERS_DIR" ] || exit 0
  exec 9>"$PEERS_DIR/.lock"
  flock -w 300 9 || { peers_log "could not lock $PEERS_DIR/.lock"; exit 1; }
  for name in "${names[@]}"; do stop_one "$name"; done
}

main "$@"
