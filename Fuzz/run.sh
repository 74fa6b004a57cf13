#!/usr/bin/env bash
# Runs one fuzz target for a bounded time and fails on any finding, or when libFuzzer did not
# really fuzz (a binary built without the fuzzer runtime exits 0 having run nothing).
#
#   Fuzz/run.sh TARGET SECONDS [libFuzzer flags...]      TARGET: codec, deframer or timeout
#
# Builds first (Fuzz/build.sh), writes the seeds from Protocol/vectors/compact-codec.json into
# Fuzz/.build/seeds/TARGET, and fuzzes with three corpus folders: Fuzz/.build/corpus/TARGET
# (what this machine has found so far; new inputs go there), the seeds, and the committed
# reproducers of past findings in Fuzz/corpus/TARGET. A crash, leak, timeout or failed
# invariant is saved under Fuzz/artifacts/TARGET/. The log is in Fuzz/.build/logs/TARGET.log.
#
# FUZZ_RUNS_MIN (default 10000): fewer executed inputs than this fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
    echo "usage: $0 TARGET SECONDS [libFuzzer flags...]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2
runs_min=${FUZZ_RUNS_MIN:-10000}

Fuzz/build.sh
binary=Fuzz/.build/bin/fuzz-$target
if [ ! -x "$binary" ]; then
    echo "no fuzz target '$target' (Fuzz/Targets holds: $(ls Fuzz/Targets | xargs))" >&2
    exit 2
fi

corpus=Fuzz/.build/corpus/$target
seeds=Fuzz/.build/seeds/$target
regressions=Fuzz/corpus/$target
artifacts=Fuzz/artifacts/$target
log=Fuzz/.build/logs/$target.log
rm -rf "$seeds"
mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
# Swift's crash handler would turn a finding into a false AddressSanitizer report.
export SWIFT_BACKTRACE=enable=no
"$binary" --write-seeds="$seeds" --vectors=Protocol/vectors/compact-codec.json
folders=("$corpus" "$seeds")
if [ -d "$regressions" ]; then folders+=("$regressions"); fi

echo "fuzzing $target for $seconds s: $binary ${folders[*]}"
status=0
"$binary" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$@" "${folders[@]}" >"$log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
coverage=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [^ ]*' "$log" | tail -1 || true)
if [ "$status" -ne 0 ] || grep -q '^==[0-9]*==.*ERROR\|^SUMMARY: ' "$log"; then
    grep -v '^"' "$log" | tail -40 >&2
    echo "FAIL $target: libFuzzer exited $status with a finding; see $log and $artifacts/" >&2
    exit 1
fi
if ! grep -q '^Done [0-9]* runs' "$log" || [ -z "$runs" ] || [ "$runs" -lt "$runs_min" ]; then
    tail -20 "$log" >&2
    echo "FAIL $target: ${runs:-no} inputs executed (minimum $runs_min): did it fuzz?" >&2
    exit 1
fi
echo "ok $target: $runs runs in $seconds s ($rate exec/s), $coverage"
