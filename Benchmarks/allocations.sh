#!/bin/bash
# Heap allocations per call in the server: malloc, calloc, realloc and posix_memalign in the
# cashbackd process, counted exactly by perf uprobes on libc (no interposer library, nothing
# linked in), over N calls on one connection, one at a time, after a warm-up.
#
#   Benchmarks/allocations.sh            # builds release, then Health/Check and GetBalance
#   N=20000 BUILD=0 Benchmarks/allocations.sh
#   SERVER_ARGS="--metrics-listen 127.0.0.1:0 --log-format json" BUILD=0 Benchmarks/allocations.sh
#
# SERVER_ARGS are cashbackd's flags besides where it listens and its database (default
# "--log-level notice": no access log, no metrics); the second line above counts with both on.
#
# Needs root (perf probe adds the uprobes once) and h2load (nghttp2-client).
set -euo pipefail
N=${N:-5000}
BUILD=${BUILD:-1}
SERVER_ARGS=${SERVER_ARGS:-"--log-level notice"}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[[ $N =~ ^[1-9][0-9]{0,6}$ ]] || { echo "allocations.sh: N must be 1 to 9999999" >&2; exit 2; }
if [ "$BUILD" = 1 ]; then
    swift build -c release --product cashbackd >&2
    swift build -c release --product cashback-probe >&2
fi
BIN=$(swift build -c release --show-bin-path)
LIBC=$(ldd "$BIN/cashbackd" | awk '/libc\.so/ {print $3}')
for function in malloc calloc realloc posix_memalign; do
    perf probe -l 2>/dev/null | grep -q "probe_libc:$function\b" || perf probe -q -x "$LIBC" "$function" 
done

WORK=$(mktemp -d)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill -INT "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
"$BIN/cashbackd" --plaintext --listen 127.0.0.1:0 --database "$WORK/ledger.sqlite" \
    --development-token-file "$WORK/token" $SERVER_ARGS 2>"$WORK/log" &
SERVER=$!
until PORT=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$WORK/log" | grep -o '[0-9]*$'); do sleep 0.1; done
until [ -s "$WORK/token" ]; do sleep 0.1; done
TOKEN=$(cat "$WORK/token")
PROBE=("$BIN/cashback-probe" --plaintext "127.0.0.1:$PORT" --token "$TOKEN")
"${PROBE[@]}" call cashback.v1.Admin/UpsertMerchant -d '{"merchantId":"shop-1","name":"Shop One",
  "currency":"EUR","shopperRateBps":250,"idempotencyKey":"shop-1-v1"}' >/dev/null
"${PROBE[@]}" call cashback.v1.Accruals/Accrue -d '{"merchantId":"shop-1","orderId":"order-42",
  "memberId":"m1","amountMinor":12999,"currency":"EUR","orderedAtMs":1700000000000}' >/dev/null
"$BIN/cashback-probe" encode cashback.v1.Wallet/GetBalance -d '{"memberId":"m1","currency":"EUR"}' \
    >"$WORK/balance.bin"
printf '\x00\x00\x00\x00\x00' >"$WORK/health.bin"

# count BODY PATH: prints the allocations per call of N calls.
count() {
    local load=(h2load -c 1 -m 1 -d "$WORK/$1" -H 'content-type: application/grpc'
        -H 'te: trailers' -H "authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/$2")
    "${load[@]}" -n 500 >/dev/null
    perf stat -x, -e probe_libc:malloc,probe_libc:calloc,probe_libc:realloc,probe_libc:posix_memalign \
        -p "$SERVER" -o "$WORK/stat.txt" &
    local counter=$!
    sleep 1  # perf attaches its probes
    "${load[@]}" -n "$N" | grep -q "$N succeeded" || { echo "allocations.sh: calls failed" >&2; exit 1; }
    kill -INT "$counter"; wait "$counter" || true
    awk -F, -v n="$N" -v what="$2" '/probe_libc/ {total += $1}
        END {printf "%s: %.1f heap allocations per call (%d over %d calls)\n", what, total / n, total, n}' \
        "$WORK/stat.txt"
}
count health.bin grpc.health.v1.Health/Check
count balance.bin cashback.v1.Wallet/GetBalance
