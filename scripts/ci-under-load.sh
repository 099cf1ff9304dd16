#!/usr/bin/env bash
# The suite must hold on a busy machine. This runs `.ci/run` on a clean clone of HEAD three times in a row (or
# $RUNS times) while two CPU-burning processes run beside it, and prints each run's result and wall time.
#
#   scripts/ci-under-load.sh            # three runs, two burners
#   RUNS=1 BURNERS=2 scripts/ci-under-load.sh
#
# Each run starts and stops its own peers on the usual ports: stop yours first (scripts/peers.sh stop).
# The burners are plain busy loops (no network, no disk), stopped when the script ends however it ends.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${RUNS:-3}"
BURNERS="${BURNERS:-2}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vh-ci-load.XXXXXX")"
# mktemp makes it 0700: the database peers run as their own users and must reach their data dirs inside.
chmod 755 "$WORK"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
# A trap on INT/TERM alone would run cleanup and carry on with the next run: stop there.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq "$BURNERS"); do
  node -e 'for (;;) {}' &
  pids+=($!)
done
# Every run tests the commit HEAD was at when the script started, whatever is committed meanwhile.
commit="$(git -C "$ROOT" rev-parse HEAD)"
echo "ci-under-load: $BURNERS CPU burners running (pids ${pids[*]}); $RUNS run(s) of .ci/run on a clean clone of ${commit:0:7}"

results=()
failed=0
for i in $(seq "$RUNS"); do
  clone="$WORK/run-$i"
  git clone --quiet "$ROOT" "$clone" && git -C "$clone" checkout --quiet "$commit"
  # shared/ sits beside the checkout in CI; give the clone the same neighbour when there is one.
  [ -d "$ROOT/../shared" ] && [ ! -e "$WORK/shared" ] && ln -s "$(cd "$ROOT/../shared" && pwd)" "$WORK/shared"
  start=$(date +%s)
  (cd "$clone" && CI=true bash .ci/run) >"$WORK/run-$i.log" 2>&1
  code=$?
  secs=$(( $(date +%s) - start ))
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$WORK/run-$i.log" | tail -1)
  results+=("run $i ($(date -u +%H:%M) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)): exit $code in $((secs / 60)) min $((secs % 60)) s — ${summary:-no summary line}")
  echo "${results[-1]}"
  if [ "$code" -ne 0 ]; then
    failed=1
    cp "$WORK/run-$i.log" "${TMPDIR:-/tmp}/vh-ci-load-run-$i.log"
    echo "  log kept: ${TMPDIR:-/tmp}/vh-ci-load-run-$i.log"
  fi
  rm -rf "$clone"
done
echo "ci-under-load: summary"
printf '  %s\n' "${results[@]}"
exit "$failed"
