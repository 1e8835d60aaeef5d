#!/bin/sh
# Soak: the sim suite over many seeds (docs/sim.md). Every seed runs every
# transfer test with its own faults and ISNs; the loss-table rows (always
# seed 1) are left out. Stops at nothing: prints each failing seed, then a
# summary, and exits non-zero if any seed failed.
#
#   test/sim/soak.sh FIRST-LAST [BUILD_DIR]      e.g. test/sim/soak.sh 1-500 build
set -u
range=${1:-}
build=${2:-build}
case $range in
  *-*) first=${range%-*}; last=${range#*-} ;;
  *) echo "soak.sh: usage: soak.sh FIRST-LAST [BUILD_DIR] (seeds, e.g. 1-500)" >&2; exit 2 ;;
esac
case $first$last in
  ''|*[!0-9]*) echo "soak.sh: seeds must be numbers, e.g. 1-500" >&2; exit 2 ;;
esac
bin=$build/test/sim/sim_test
[ -x "$bin" ] || { echo "soak.sh: $bin not built (ninja -C $build test/sim/sim_test)" >&2; exit 2; }
start=$(date +%s)
failed=""
seed=$first
while [ "$seed" -le "$last" ]; do
  if ! FPTCP_SIM_SEED=$seed "$bin" --gtest_brief=1 --gtest_filter='-CheapRows/LossTable.*' >"${TMPDIR:-/tmp}/sim-soak-$seed.log" 2>&1; then
    echo "seed $seed FAILED (log: ${TMPDIR:-/tmp}/sim-soak-$seed.log)"
    failed="$failed $seed"
  else
    rm -f "${TMPDIR:-/tmp}/sim-soak-$seed.log"
  fi
  seed=$((seed + 1))
done
took=$(( $(date +%s) - start ))
echo "soak: seeds $first-$last, $took s, failed:${failed:- none}"
[ -z "$failed" ]
