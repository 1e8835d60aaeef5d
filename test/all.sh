#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, and runs every
# suite: unit, tcp, sim, dpdk and interop (GCC, optimized; dpdk and interop
# need root), unit + tcp + sim again under ASan + UBSan, and the libFuzzer
# targets for a bounded time (clang).
#
#   FPTCP_FUZZ_SECONDS=60   seconds per fuzz target (0 skips fuzzing)
#   FPTCP_SKIP_SANITIZERS=1 skip the ASan + UBSan build
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fuzz_seconds=${FPTCP_FUZZ_SECONDS:-60}
jobs=$(nproc)

.ci/install-deps

step() { printf '\n=== %s\n' "$*"; }

setup() {  # dir, then meson options (applied to a directory configured before, too)
  local dir=$1
  shift
  if [[ ! -f $dir/build.ninja ]]; then
    meson setup "$dir" "$@" >/dev/null
  elif (($#)); then
    meson configure "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir" -j "$jobs"
}

step "build + test (gcc, debugoptimized): suites unit, tcp, sim, dpdk, interop"
# app/start-server.sh configures build/ without tests and benchmarks.
setup build -Dtests=enabled -Dbenchmarks=enabled
meson test -C build --print-errorlogs --num-processes "$jobs"

if [[ ${FPTCP_SKIP_SANITIZERS:-0} != 1 ]]; then
  step "build + test under ASan + UBSan: suites unit, tcp, sim"
  setup build-asan -Db_sanitize=address,undefined -Dbenchmarks=disabled
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --num-processes "$jobs" --suite unit --suite tcp --suite sim
fi

if [[ $fuzz_seconds != 0 ]]; then
  step "fuzz (clang, libFuzzer + ASan + UBSan), ${fuzz_seconds}s per target"
  if [[ ! -f build-fuzz/build.ninja ]]; then
    CXX=clang++ meson setup build-fuzz -Dfuzz=enabled -Dtests=disabled -Dbenchmarks=disabled \
      -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
  fi
  ninja -C build-fuzz -j "$jobs"
  for target in build-fuzz/test/fuzz/fuzz_*; do
    [[ -f $target && -x $target ]] || continue
    name=$(basename "$target")
    corpus=$root/test/fuzz/corpus/${name#fuzz_}
    scratch=$(mktemp -d)
    echo "--- $name"
    if ! UBSAN_OPTIONS=halt_on_error=1 "$target" -max_total_time="$fuzz_seconds" -print_final_stats=1 \
      -artifact_prefix="$scratch/" "$scratch" "$corpus" >"$scratch/log" 2>&1; then
      cat "$scratch/log"
      echo "fuzz target $name found a crash; the input is in $scratch" >&2
      exit 1
    fi
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$scratch/log" || tail -n 3 "$scratch/log"
    rm -rf "$scratch"
  done
fi

step "summary"
/usr/bin/python3 "$root/test/count_results.py" build build-asan
