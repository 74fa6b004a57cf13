#!/usr/bin/env bash
# Runs every fuzz target in turn (one at a time: the machines have two cores) for SECONDS each;
# fails as soon as one fails. `make fuzz-short` runs it with 20 seconds.
#
#   Fuzz/run-all.sh SECONDS [libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
    echo "usage: $0 SECONDS [libFuzzer flags...]" >&2
    exit 2
fi
for target in $(ls Fuzz/Targets); do
    Fuzz/run.sh "$target" "$@"
done
