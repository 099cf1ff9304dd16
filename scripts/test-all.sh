#!/usr/bin/env bash
# The whole suite against real peers: install and start them on 127.0.0.1, install the recipe validators and
# Node 24, run `npm test` (which repeats the CLI end-to-end tests under Node 24), stop the peers.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'scripts/peers.sh stop || true' EXIT
scripts/tools.sh install
eval "$(scripts/tools.sh env)"
scripts/peers.sh start
eval "$(scripts/peers.sh env)"
npm test
