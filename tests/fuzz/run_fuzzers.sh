#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, RADLITE_BUILD_FUZZERS=ON, ASan + UBSan) and runs each for a given
# time, then prints executions, speed and findings per target.
#
#   tests/fuzz/run_fuzzers.sh TIME [TARGET...]     # TIME in seconds per target; default: all targets
#   tests/fuzz/run_fuzzers.sh --update-seeds       # regenerate the committed seeds (after a format change)
#
# Environment: FUZZ_BUILD (build dir, default build-fuzz), FUZZ_JOBS (targets run at once, default 1),
# FUZZ_RUNS (stop a target after this many executions, e.g. 10000000; default: time only),
# FUZZ_TIMEOUT (seconds for one input before it counts as a hang, default 25: the machines this runs on are shared), FUZZ_RSS_MB (default 2048).
# Each target fuzzes a working corpus in $FUZZ_BUILD/fuzz-corpus/<target> (the committed seeds are read, never
# written); findings are saved as $FUZZ_BUILD/fuzz-artifacts/<target>/<run>/{crash,timeout,oom,leak}-<sha1>;
# logs in $FUZZ_BUILD/fuzz-logs/<target>.log. Reproduce one with: $FUZZ_BUILD/tests/fuzz/<target> <artifact>.
# Exit status: 0 when no target found anything.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${FUZZ_BUILD:-build-fuzz}
ALL_TARGETS=(fuzz_safetensors fuzz_tokenizer_json fuzz_model_config fuzz_encode fuzz_beir fuzz_index_load)

configure_and_build() {
  if [[ ! -f $BUILD/CMakeCache.txt ]]; then
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    CC=${CC:-clang-14} CXX=${CXX:-clang++-14} cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DRADLITE_BUILD_FUZZERS=ON -DRADLITE_BUILD_TESTS=OFF -DRADLITE_BUILD_EXAMPLES=OFF \
      -DRADLITE_BUILD_BENCHMARKS=OFF "${launcher[@]}" >/dev/null
  fi
  nice cmake --build "$BUILD" -j"${FUZZ_BUILD_JOBS:-2}" --target fuzzers >/dev/null
}

if [[ ${1:-} == --update-seeds ]]; then
  configure_and_build
  python3 tests/fuzz/make_seeds.py
  rm -rf tests/fuzz/seeds/fuzz_index_load
  ASAN_OPTIONS=detect_leaks=0 "$BUILD/tests/fuzz/make_index_seeds" tests/fuzz/seeds/fuzz_index_load
  exit 0
fi

TIME=${1:?usage: run_fuzzers.sh TIME [TARGET...] | --update-seeds}
shift
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL_TARGETS[@]}")

configure_and_build
mkdir -p "$BUILD/fuzz-logs"
RUN_ID=$(date -u +%Y%m%d-%H%M%S)

run_one() {
  local t=$1
  local corpus=$BUILD/fuzz-corpus/$t artifacts=$BUILD/fuzz-artifacts/$t/$RUN_ID
  mkdir -p "$corpus" "$artifacts"
  local extra=()
  [[ -n ${FUZZ_RUNS:-} ]] && extra+=(-runs="$FUZZ_RUNS")
  # The committed seeds come second: libFuzzer writes new inputs only into the first directory.
  "$BUILD/tests/fuzz/$t" -max_total_time="$TIME" -timeout="${FUZZ_TIMEOUT:-25}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${extra[@]}" "$corpus" "tests/fuzz/seeds/$t" \
    >"$BUILD/fuzz-logs/$t.log" 2>&1 || true
}

running=0
for t in "${TARGETS[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [[ $running -ge ${FUZZ_JOBS:-1} ]]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

status=0
printf '%-22s %12s %10s %8s %8s %9s  %s\n' target executions exec/s seconds rss_mb corpus findings
for t in "${TARGETS[@]}"; do
  log=$BUILD/fuzz-logs/$t.log
  stat() { grep -o "stat::$1: *[0-9]*" "$log" | grep -o '[0-9]*$' | tail -1; }
  execs=$(stat number_of_executed_units || true)
  speed=$(stat average_exec_per_sec || true)
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1 || true)
  rss=$(stat peak_rss_mb || true)
  units=$(find "$BUILD/fuzz-corpus/$t" -type f | wc -l)
  findings=$(find "$BUILD/fuzz-artifacts/$t/$RUN_ID" -type f | sort | tr '\n' ' ')
  summary=$(grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error:|fuzz invariant violated|uncaught exception|deadly signal' "$log" || true)
  [[ -z $execs && -z $summary ]] && summary="no stats (see $log)"
  printf '%-22s %12s %10s %8s %8s %9s  %s\n' "$t" "${execs:--}" "${speed:--}" "${secs:--}" "${rss:--}" "$units" "${summary:-none}"
  [[ -n $findings ]] && printf '%22s saved: %s\n' '' "$findings"
  if [[ -n $summary || -n $findings ]]; then status=1; fi
done
exit $status
