#!/usr/bin/env bash
# The whole suite against real peers: install and start them on 127.0.0.1, run `npm test`, stop them.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'scripts/peers.sh stop || true' EXIT
scripts/peers.sh start
eval "$(scripts/peers.sh env)"
npm test
