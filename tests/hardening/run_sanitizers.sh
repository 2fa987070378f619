#!/usr/bin/env bash
# Sanitizer runs (issue 8):
#   tests/hardening/run_sanitizers.sh asan   # AddressSanitizer + UBSan build (RADLITE_ENABLE_SANITIZERS=ON), whole ctest suite
#   tests/hardening/run_sanitizers.sh tsan   # ThreadSanitizer build of the concurrency test, run with tsan.supp
#   tests/hardening/run_sanitizers.sh all    # both (default)
# Build directories: build-asan, build-tsan (ccache used when installed). Prints the build and test times.
# Environment: SAN_JOBS (build jobs, default 2), CTEST_ARGS (extra ctest arguments, e.g. "-R test_io").
# Exit status: non-zero when a build fails, a test fails, or a sanitizer reports an error.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:-all}
JOBS=${SAN_JOBS:-2}
LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
status=0

now() { date +%s; }

run_asan() {
  local t0 t1 t2
  t0=$(now)
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRADLITE_ENABLE_SANITIZERS=ON "${LAUNCHER[@]}" >/dev/null
  nice cmake --build build-asan -j"$JOBS"
  t1=$(now)
  # halt_on_error: UBSan findings fail the test instead of scrolling by. detect_leaks: LeakSanitizer on;
  # lsan.supp lists the one-time allocations of the libraries we link (none of radlite's own).
  # ctest's per-test timeout is raised: sanitized runs are 2-5x slower.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  LSAN_OPTIONS=suppressions=$PWD/tests/hardening/lsan.supp:print_suppressions=0 \
    ctest --test-dir build-asan --output-on-failure --timeout 3000 ${CTEST_ARGS:-} || status=1
  t2=$(now)
  echo "asan: build $((t1 - t0)) s, tests $((t2 - t1)) s, total $((t2 - t0)) s (jobs $JOBS)"
}

run_tsan() {
  local t0 t1 t2
  t0=$(now)
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRADLITE_BUILD_EXAMPLES=OFF -DRADLITE_BUILD_BENCHMARKS=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
    -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread "${LAUNCHER[@]}" >/dev/null
  nice cmake --build build-tsan -j"$JOBS" --target test_hardening_concurrency
  t1=$(now)
  TSAN_OPTIONS="suppressions=$PWD/tests/hardening/tsan.supp halt_on_error=1 second_deadlock_stack=1 history_size=4" \
    build-tsan/tests/hardening/test_hardening_concurrency || status=1
  t2=$(now)
  echo "tsan: build $((t1 - t0)) s, test $((t2 - t1)) s"
}

case $MODE in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan; run_tsan ;;
  *) echo "usage: $0 [asan|tsan|all]" >&2; exit 2 ;;
esac
exit $status
