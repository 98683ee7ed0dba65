#!/usr/bin/env bash
# The suite under load: two busy loops keep both cores at 100 % while the hook burst runs ten
# rounds and the whole suite runs three times back to back. Not part of `npm test` (it takes the
# better part of an hour on 2 cores). Usage: bash test/stress-suite.sh [SUITE_RUNS] [BURST_ROUNDS]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
rounds=${2:-10}
busy=()
for _ in 1 2; do
  ( while :; do :; done ) &
  busy+=($!)
done
stop_busy() { kill "${busy[@]}" 2>/dev/null; wait "${busy[@]}" 2>/dev/null; }
trap 'stop_busy; exit 130' INT TERM
trap stop_busy EXIT

npm run --silent build || exit 1
fail=0
start=$(date +%s)
echo "== hook burst: $rounds rounds with both cores busy"
node bench/hook-burst.mjs "$rounds" || fail=1
for i in $(seq 1 "$runs"); do
  t=$(date +%s)
  echo "== whole suite, run $i of $runs, both cores busy"
  if node test/run-tests.mjs > "/tmp/isoswarm-stress-$i.log" 2>&1; then r=ok; else r=FAILED; fail=1; fi
  summary=$(grep -E '^# (tests|pass|fail|skipped) ' "/tmp/isoswarm-stress-$i.log" | tr '\n' ' ')
  echo "run $i: $r in $(( $(date +%s) - t )) s — $summary(log /tmp/isoswarm-stress-$i.log)"
done
echo "== stress: $([ $fail = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start )) s"
exit $fail
