#!/usr/bin/env bash
# Benchmarks/rpc.sh: cashbackd against grpc-swift-2 (the baseline, Benchmarks/GRPCBaseline) and
# nghttpd (the ceiling: a C HTTP/2 server answering a file), all over cleartext HTTP/2 (h2c) on
# 127.0.0.1, driven by h2load with the same gRPC-framed GetBalance request; then durable Accrue
# with unique order ids on cashbackd through `cashback-probe bench`. Prints one Markdown table
# of medians; Benchmarks/README.md ("RPC: cashbackd vs grpc-swift-2 vs nghttpd") explains the
# columns and keeps a run's figures.
#
#   Benchmarks/rpc.sh                       # release builds, then ROUNDS × shapes × servers
#   ROUNDS=5 DURATION=10 Benchmarks/rpc.sh  # longer
#   BUILD=0 Benchmarks/rpc.sh               # reuse the release binaries already built
#
# Settings, from the environment:
#   ROUNDS=3                 rounds; each runs every shape on every server, servers in turn
#   DURATION=5               seconds of each measured h2load run (-D)
#   SHAPES="1x1 8x32 64x16"  h2load shapes, CONNECTIONSxSTREAMS (-c and -m)
#   MEMBERS=200              members with a history in the ledger (more than 2000 needs
#                            cashback-storebench, whose preload is much faster than the probe's)
#   ACCRUE=1                 also measure durable Accrue with unique order ids through
#                            `cashback-probe bench` (skipped when the probe has no bench verb)
#   BUILD=1                  0: skip the release builds; the binaries must be there
#   KEEP=0                   1: keep the work directory (logs, ledger, bodies, raw results)
#   PROBE=…/cashback-probe   the probe to use (default: the root package's release build)
#   BASELINE_BIN=DIR         where grpc-baseline is (default: its package's release build)
#
# Needs h2load and nghttp (Debian: nghttp2-client), nghttpd (nghttp2-server), curl, python3.
# Every server runs on 127.0.0.1 and every process it starts is stopped on exit.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
SHAPES=${SHAPES:-"1x1 8x32 64x16"}
MEMBERS=${MEMBERS:-200}
ACCRUE=${ACCRUE:-1}
BUILD=${BUILD:-1}
KEEP=${KEEP:-0}
# The probe's preload makes three calls per member, one process each: beyond this it takes
# too long, and cashback-storebench should do it.
PROBE_PRELOAD_MEMBERS_MAX=2000
CURRENCY=EUR
# The merchant the script creates; its flat 250 bps is the baseline's --rate-bps default.
MERCHANT=rpc-bench-shop

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASELINE_PACKAGE="$ROOT/Benchmarks/GRPCBaseline"

die() {
    echo "rpc.sh: $*" >&2
    exit 1
}

note() {
    echo "rpc.sh: $*" >&2
}

# MARK: Settings and tools

[[ $ROUNDS =~ ^[1-9][0-9]?$ ]] || die "ROUNDS must be 1 to 99, got '$ROUNDS'"
[[ $DURATION =~ ^[1-9][0-9]{0,2}$ ]] || die "DURATION must be 1 to 999 seconds, got '$DURATION'"
[[ $MEMBERS =~ ^[1-9][0-9]{0,6}$ ]] || die "MEMBERS must be 1 to 9999999, got '$MEMBERS'"
for shape in $SHAPES; do
    [[ $shape =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] \
        || die "SHAPES holds CONNECTIONSxSTREAMS words such as 8x32, got '$shape'"
done

need() {
    command -v "$1" >/dev/null || die "$1 is missing: apt-get install $2"
}
need h2load nghttp2-client
need nghttp nghttp2-client
need nghttpd nghttp2-server
need curl curl
need python3 python3

# MARK: Processes: every one started is stopped on exit

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rpc-bench.XXXXXX")
PIDS=()

stop_process() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        stop_process "$pid"
    done
    if [[ $KEEP == 1 ]]; then
        note "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port below the ephemeral range (32768 and up), where h2load's own sockets could take it.
pick_port() {
    python3 - <<'EOF'
import random, socket
for _ in range(200):
    port = random.randint(20000, 32000)
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
    print(port)
    break
else:
    raise SystemExit("rpc.sh: no free port in 20000-32000")
EOF
}

# wait_for_log PID LOG PATTERN: until LOG has a line matching PATTERN; fails when PID exits first
# or after 60 s.
wait_for_log() {
    local pid=$1 log=$2 pattern=$3
    for _ in $(seq 600); do
        grep -q -- "$pattern" "$log" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || die "$(basename "$log" .log) exited before it was ready: $(tail -5 "$log")"
        sleep 0.1
    done
    die "no line matching '$pattern' in $log after 60 s: $(tail -5 "$log")"
}

# wait_for_port PID PORT: until 127.0.0.1:PORT takes connections (nghttpd logs nothing when ready).
wait_for_port() {
    local pid=$1 port=$2
    for _ in $(seq 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || die "the server on port $port exited before it was ready"
        sleep 0.1
    done
    die "nothing listens on 127.0.0.1:$port after 60 s"
}

# MARK: Builds

swift_build() {
    note "swift build -c release $*"
    swift build -c release "$@" >"$WORK/build.log" 2>&1 || {
        tail -30 "$WORK/build.log" >&2
        die "swift build -c release $* failed (log above)"
    }
}

if [[ $BUILD == 1 ]]; then
    swift_build --package-path "$ROOT" --product cashbackd
    swift_build --package-path "$ROOT" --product cashback-probe
    # The preload tool, where the root package has it (Benchmarks/StoreBench).
    if grep -q '"cashback-storebench"' "$ROOT/Package.swift"; then
        swift_build --package-path "$ROOT" --product cashback-storebench
    fi
    note "the baseline's first release build takes 6 to 8 minutes (grpc-swift-2, swift-nio-ssl)"
    swift_build --package-path "$BASELINE_PACKAGE"
fi
BIN=$(swift build -c release --package-path "$ROOT" --show-bin-path)
BASELINE_BIN=${BASELINE_BIN:-$(swift build -c release --package-path "$BASELINE_PACKAGE" --show-bin-path)}
for binary in "$BIN/cashbackd" "$BASELINE_BIN/grpc-baseline"; do
    [[ -x $binary ]] || die "$binary is missing: run without BUILD=0"
done
PROBE=${PROBE:-$BIN/cashback-probe}
[[ -x $PROBE ]] || die "PROBE=$PROBE is not an executable"
STOREBENCH="$BIN/cashback-storebench"
[[ -x $STOREBENCH ]] || STOREBENCH=
if [[ -z $STOREBENCH ]] && ((MEMBERS > PROBE_PRELOAD_MEMBERS_MAX)); then
    die "MEMBERS=$MEMBERS needs cashback-storebench (not built); the probe's preload takes at most $PROBE_PRELOAD_MEMBERS_MAX"
fi

# MARK: Servers

DATABASE="$WORK/ledger.sqlite"
if [[ -n $STOREBENCH ]]; then
    note "preloading $MEMBERS members with cashback-storebench"
    "$STOREBENCH" preload --database "$DATABASE" --members "$MEMBERS" --currency "$CURRENCY" \
        >"$WORK/preload.log" 2>&1 || die "cashback-storebench preload failed: $(tail -5 "$WORK/preload.log")"
fi

OURS_PORT=$(pick_port)
"$BIN/cashbackd" --plaintext --listen "127.0.0.1:$OURS_PORT" --database "$DATABASE" \
    --development-token-file "$WORK/token" --shutdown-grace-seconds 2 \
    --accruals-per-member-per-hour 1000000 >"$WORK/cashbackd.log" 2>&1 &
OURS_PID=$!
PIDS+=("$OURS_PID")
wait_for_log "$OURS_PID" "$WORK/cashbackd.log" "listening on 127.0.0.1:$OURS_PORT"
export CASHBACK_TOKEN
CASHBACK_TOKEN=$(cat "$WORK/token")

BASELINE_PORT=$(pick_port)
"$BASELINE_BIN/grpc-baseline" --port "$BASELINE_PORT" >"$WORK/grpc-baseline.log" 2>&1 &
BASELINE_PID=$!
PIDS+=("$BASELINE_PID")
wait_for_log "$BASELINE_PID" "$WORK/grpc-baseline.log" "listening on 127.0.0.1:$BASELINE_PORT"

probe() {
    local port=$1
    shift
    "$PROBE" --plaintext "127.0.0.1:$port" "$@"
}

# The merchant of the probe's preload and of the Accrue bench, at the baseline's flat rate.
probe "$OURS_PORT" call cashback.v1.Admin/UpsertMerchant -d "{\"merchantId\":\"$MERCHANT\",
    \"name\":\"RPC bench shop\",\"currency\":\"$CURRENCY\",\"shopperRateBps\":250,
    \"commissionBps\":400,\"holdDays\":30,\"cashbackExpiryDays\":365,
    \"idempotencyKey\":\"$MERCHANT-v1\"}" >/dev/null || die "UpsertMerchant on cashbackd failed"
accrue_json() { # MEMBER ORDER AMOUNT
    echo "{\"merchantId\":\"$MERCHANT\",\"orderId\":\"$2\",\"memberId\":\"$1\",\"amountMinor\":$3,
        \"currency\":\"$CURRENCY\",\"orderedAtMs\":1700000000000}"
}
# The members' history, when storebench did not write it: per member one order accrued and
# confirmed and one left pending, as storebench's preload does (member-0 … member-(N-1)).
if [[ -z $STOREBENCH ]]; then
    note "preloading $MEMBERS members through cashback-probe (cashback-storebench is not built)"
    for ((i = 0; i < MEMBERS; i++)); do
        probe "$OURS_PORT" call cashback.v1.Accruals/Accrue \
            -d "$(accrue_json "member-$i" "preload-$i-a" $((10000 + i)))" >/dev/null
        probe "$OURS_PORT" call cashback.v1.Accruals/Confirm \
            -d "{\"merchantId\":\"$MERCHANT\",\"orderId\":\"preload-$i-a\"}" >/dev/null
        probe "$OURS_PORT" call cashback.v1.Accruals/Accrue \
            -d "$(accrue_json "member-$i" "preload-$i-b" $((5000 + i)))" >/dev/null
    done
fi

# MARK: Requests through curl

# request_frame METHOD MESSAGE JSON FILE FIELD…: writes METHOD's gRPC-framed request for JSON
# to FILE, as `cashback-probe encode` makes it. A probe whose encode prints nothing (up to
# commit 6f07095 its frame went to a buffer that its main never wrote out) gets a frame made
# here from FIELDs, s:NUMBER:TEXT for a string and i:NUMBER:INTEGER for an int64, in the
# encoding of Protocol/WIRE.md: tag = field << 3 | wire type (2 for length-delimited, 0 for a
# varint), strings as a varint length and UTF-8, int64 zig-zag varints; then gRPC's prefix, a
# 0 and a 4-byte big-endian length. Either way the probe decodes the frame back to JSON first.
request_frame() {
    local method=$1 message=$2 json=$3 file=$4
    shift 4
    "$PROBE" encode "$method" -d "$json" >"$file"
    if [[ ! -s $file ]]; then
        [[ -n ${FRAMES_MADE_HERE:-} ]] \
            || note "cashback-probe encode wrote nothing: rpc.sh makes the request frames instead"
        FRAMES_MADE_HERE=1
        python3 - "$@" >"$file" <<'PYTHON'
import sys
def varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
payload = b""
for field in sys.argv[1:]:
    kind, number, value = field.split(":", 2)
    if kind == "s":
        payload += varint(int(number) << 3 | 2) + varint(len(value.encode())) + value.encode()
    else:
        integer = int(value)
        payload += varint(int(number) << 3) + varint(((integer << 1) ^ (integer >> 63)) & (2**64 - 1))
sys.stdout.buffer.write(b"\0" + len(payload).to_bytes(4, "big") + payload)
PYTHON
    fi
    "$PROBE" decode "$message" <"$file" >"$file.json" \
        || die "the $method request frame in $file is not a valid $message"
    # The decoded message shows every field: those of JSON must match, the others be defaults.
    python3 - "$file.json" "$json" <<'PYTHON' || die "the $method request frame does not decode to $json: $(tr -d ' \n' <"$file.json")"
import json, sys
decoded, expected = json.load(open(sys.argv[1])), json.loads(sys.argv[2])
sys.exit(not all(decoded.get(key) == value for key, value in expected.items())
         or any(value not in (0, "", [], False) for key, value in decoded.items()
                if key not in expected))
PYTHON
}

# grpc_call NAME PORT PATH BODY ANSWER MESSAGE: one call with the headers h2load sends, checked:
# the server answered grpc-status 0 and one MESSAGE (the answer's bytes in ANSWER, decoded into
# ANSWER.json). h2load sees only the :status 200 of the response headers, never the trailers,
# so each server's answer to the very bytes h2load sends is checked here. The content type is
# application/grpc: grpc-swift-2 answers HTTP 415 to the probe's application/grpc+compact.
grpc_call() {
    local name=$1 port=$2 path=$3 body=$4 answer=$5 message=$6
    local headers=(-H 'content-type: application/grpc' -H 'te: trailers'
        -H "authorization: Bearer $CASHBACK_TOKEN")
    curl -sS --http2-prior-knowledge --max-time 10 "${headers[@]}" --data-binary "@$body" \
        -o "$answer" "http://127.0.0.1:$port$path" || die "curl $path to $name failed"
    # The trailers: curl stops at a response's content-length without reading them (nghttpd
    # sends one); nghttp -v prints every header field it receives.
    timeout 10 nghttp -v "${headers[@]}" -d "$body" "http://127.0.0.1:$port$path" \
        >"$answer.nghttp.log" 2>&1 || true
    grep -aq '^\[.*\] recv (stream_id=[0-9]*) grpc-status: 0$' "$answer.nghttp.log" \
        || die "$name did not answer $path with grpc-status 0: $(grep -a 'recv (stream_id' "$answer.nghttp.log" | tr '\n' ' ')"
    # An empty answer would decode as a message of defaults: it must hold a frame.
    [[ -s $answer ]] || die "$name answered $path with grpc-status 0 but no $message"
    "$PROBE" decode "$message" <"$answer" >"$answer.json" \
        || die "$name's answer to $path is not a $message"
}

accrue_fields() { # MEMBER ORDER AMOUNT, as accrue_json
    echo "s:1:$MERCHANT s:2:$2 s:3:$1 i:4:$3 s:5:$CURRENCY i:6:1700000000000"
}

# The member every GetBalance asks for. The baseline gets two orders of its own for it and a
# replay of the first, which must answer the first response and credit nothing, so that it
# answers a balance too (through curl: the probe cannot call grpc-swift-2, see grpc_call).
MEMBER="member-$((MEMBERS / 2))"
BASELINE_PENDING_MINOR=500 # 2 orders × floor(10 000 × 250 / 10 000)
call=0
for order in a b a; do
    call=$((call + 1))
    frame="$WORK/accrue-$call.bin"
    # shellcheck disable=SC2046 # the fields are words without spaces
    request_frame cashback.v1.Accruals/Accrue cashback.v1.AccrueRequest \
        "$(accrue_json "$MEMBER" "preload-$order" 10000)" "$frame" \
        $(accrue_fields "$MEMBER" "preload-$order" 10000)
    grpc_call grpc-baseline "$BASELINE_PORT" /cashback.v1.Accruals/Accrue "$frame" \
        "$frame.answer" cashback.v1.Accruals/Accrue
done
cmp -s "$WORK/accrue-1.bin.answer" "$WORK/accrue-3.bin.answer" \
    || die "grpc-baseline answered a replayed Accrue differently from the first"

# The request h2load sends to every server, once through curl to each: cashbackd's answer is
# the file nghttpd answers with.
GET_BALANCE_PATH=/cashback.v1.Wallet/GetBalance
GET_BALANCE_JSON="{\"memberId\":\"$MEMBER\",\"currency\":\"$CURRENCY\"}"
BODY="$WORK/body.bin"
request_frame cashback.v1.Wallet/GetBalance cashback.v1.GetBalanceRequest "$GET_BALANCE_JSON" \
    "$BODY" "s:1:$MEMBER" "s:2:$CURRENCY"
mkdir -p "$WORK/htdocs/cashback.v1.Wallet"
ANSWER="$WORK/htdocs/cashback.v1.Wallet/GetBalance"
grpc_call cashbackd "$OURS_PORT" "$GET_BALANCE_PATH" "$BODY" "$WORK/answer-cashbackd.bin" \
    cashback.v1.Wallet/GetBalance
cp "$WORK/answer-cashbackd.bin" "$ANSWER"

CEILING_PORT=$(pick_port)
nghttpd --no-tls -a 127.0.0.1 -d "$WORK/htdocs" --trailer 'grpc-status: 0' "$CEILING_PORT" \
    >"$WORK/nghttpd.log" 2>&1 &
CEILING_PID=$!
PIDS+=("$CEILING_PID")
wait_for_port "$CEILING_PID" "$CEILING_PORT"

for server in grpc-baseline nghttpd; do
    port=$BASELINE_PORT
    [[ $server == nghttpd ]] && port=$CEILING_PORT
    grpc_call "$server" "$port" "$GET_BALANCE_PATH" "$BODY" "$WORK/answer-$server.bin" \
        cashback.v1.Wallet/GetBalance
done
cmp -s "$ANSWER" "$WORK/answer-nghttpd.bin" || die "nghttpd did not answer cashbackd's bytes"
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["pendingMinor"] != int(sys.argv[2]))' \
    "$WORK/answer-grpc-baseline.bin.json" "$BASELINE_PENDING_MINOR" \
    || die "grpc-baseline's pendingMinor is not $BASELINE_PENDING_MINOR after its Accrues (and a replay)"
# The typed path to cashbackd too: the probe reads the trailers (exit 64 + the status).
probe "$OURS_PORT" call cashback.v1.Wallet/GetBalance -d "$GET_BALANCE_JSON" >/dev/null \
    || die "cashback-probe call GetBalance on cashbackd failed"
for server in cashbackd grpc-baseline; do
    note "$server answers GetBalance $(tr -d ' \n' <"$WORK/answer-$server.bin.json")"
done

# MARK: Measuring

CLOCK_TICKS=$(getconf CLK_TCK)
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
FAILED_RUNS=0

# The process's CPU time so far, in clock ticks, from one read of /proc/PID/stat (proc(5):
# fields 14 and 15, counted after the ')' that ends field 2, which may hold spaces): user +
# system, then system alone.
cpu_ticks() {
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13, $13 }'
}

# A /proc/PID/status figure in KiB: VmRSS (resident now) or VmHWM (the peak).
memory_kib() {
    awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"
}

server_pid() {
    case $1 in
    cashbackd) echo "$OURS_PID" ;;
    grpc-baseline) echo "$BASELINE_PID" ;;
    nghttpd) echo "$CEILING_PID" ;;
    esac
}

require_alive() {
    kill -0 "$(server_pid "$1")" 2>/dev/null || die "$1 exited during the run: $(tail -5 "$WORK/$1.log")"
}

server_port() {
    case $1 in
    cashbackd) echo "$OURS_PORT" ;;
    grpc-baseline) echo "$BASELINE_PORT" ;;
    nghttpd) echo "$CEILING_PORT" ;;
    esac
}

# h2load SERVER CONNECTIONS STREAMS DURATION_ARGS…: one h2load run of the GetBalance request.
# Every server gets the same headers, the bearer token included (only cashbackd reads it).
h2load_run() {
    local server=$1 connections=$2 streams=$3
    shift 3
    timeout $((DURATION + 60)) h2load -c "$connections" -m "$streams" -t 1 "$@" \
        -d "$BODY" -H 'content-type: application/grpc' -H 'te: trailers' \
        -H "authorization: Bearer $CASHBACK_TOKEN" \
        "http://127.0.0.1:$(server_port "$server")$GET_BALANCE_PATH"
}

# Reads h2load's report: requests done, req/s, mean and max latency in ms, and whether every
# request finished with a 2xx (none failed, errored or timed out; no 3xx/4xx/5xx). Requests
# still in flight when -D ends are neither done nor counted.
parse_h2load() {
    awk '
        function ms(text) {
            if (text ~ /us$/) return substr(text, 1, length(text) - 2) / 1000
            if (text ~ /ms$/) return substr(text, 1, length(text) - 2) + 0
            if (text ~ /s$/) return substr(text, 1, length(text) - 1) * 1000
            return -1
        }
        /^finished in/ { rps = $4 }
        # requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout
        /^requests:/ { done = $6; succeeded = $8; failed = $10; errored = $12; timedout = $14 }
        /^status codes:/ { ok2xx = $3; bad = $5 + $7 + $9 }
        /^time for request:/ { max = ms($5); mean = ms($6) }
        END {
            # The 2xx count may pass the done one: a response whose headers arrived when -D
            # ended has its status counted but is not done.
            ok = (done > 0 && failed == 0 && errored == 0 && timedout == 0 && bad == 0 \
                && ok2xx >= done && succeeded == done)
            printf "%s\t%s\t%.3f\t%.3f\t%d\n", done, rps, mean, max, ok
        }'
}

# record KIND SERVER SHAPE ROUND REQUESTS RPS MEAN_MS MAX_MS OK CPU_TICKS SYSTEM_TICKS: one line
# of results.
record() {
    local pid
    pid=$(server_pid "$2")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" \
        "$7" "$8" "$(awk -v t="${10}" -v hz="$CLOCK_TICKS" 'BEGIN { printf "%.3f", t / hz }')" \
        "$(awk -v t="${11}" -v hz="$CLOCK_TICKS" 'BEGIN { printf "%.3f", t / hz }')" \
        "$(memory_kib "$pid" VmRSS)" "$(memory_kib "$pid" VmHWM)" "$9" >>"$RESULTS"
    if [[ $9 != 1 ]]; then
        FAILED_RUNS=$((FAILED_RUNS + 1))
        note "$1 $2 $3 round $4: not every request succeeded (see $WORK, KEEP=1 keeps it)"
    fi
}

measure_get_balance() { # SERVER SHAPE ROUND
    local server=$1 shape=$2 round=$3 pid before after system_before system_after output
    pid=$(server_pid "$server")
    output="$WORK/h2load-$server-$shape-$round.txt"
    read -r before system_before < <(cpu_ticks "$pid")
    h2load_run "$server" "${shape%x*}" "${shape#*x}" -D "$DURATION" >"$output" 2>&1 || true
    require_alive "$server"
    read -r after system_after < <(cpu_ticks "$pid")
    IFS=$'\t' read -r requests rps mean max ok < <(parse_h2load <"$output")
    record "GetBalance (h2load)" "$server" "$shape" "$round" "$requests" "$rps" "$mean" "$max" "$ok" \
        $((after - before)) $((system_after - system_before))
    [[ $ok == 1 ]] || cat "$output" >&2
}

# Servers in turn, in another order each round, so that no server always runs right after
# the same one (or first, on a cold machine).
servers_of_round() {
    local servers=(cashbackd grpc-baseline nghttpd) round=$1 i
    for i in 0 1 2; do
        echo "${servers[$(((i + round) % 3))]}"
    done
}

note "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
note "warming up each server (h2load -c 8 -m 32 -D 2, not recorded)"
for server in cashbackd grpc-baseline nghttpd; do
    h2load_run "$server" 8 32 -D 2 >"$WORK/warm-up-$server.txt" 2>&1 || true
done

for ((round = 1; round <= ROUNDS; round++)); do
    for shape in $SHAPES; do
        for server in $(servers_of_round "$round"); do
            note "GetBalance round $round/$ROUNDS, $server, -c ${shape%x*} -m ${shape#*x}"
            measure_get_balance "$server" "$shape" "$round"
        done
    done
done

# MARK: Durable Accrue through cashback-probe bench

# h2load sends one body again and again: an Accrue through it would be a replay after the
# first call. The probe's bench makes each order id unique ({{n}}), so that every call books,
# durably. It runs against cashbackd only: grpc-swift-2 refuses the probe's content type
# (application/grpc+compact, HTTP 415). For a ratio from the same client, GetBalance runs
# through the probe's bench too, in the same rounds.
probe_has_bench() {
    "$PROBE" --help 2>/dev/null | grep -q 'bench METHOD'
}

# Reads the probe's `--format json` report: calls, req/s, mean and max latency in ms, and
# whether every call answered OK.
parse_probe_bench() {
    python3 -c '
import json, sys
report = json.load(sys.stdin)
count = report["count"]
ok = int(count > 0 and report["statuses"] == {"OK": count})
latency = report["latencyUs"]
print(count, "%.2f" % report["requestsPerSecond"], "%.3f" % (latency["mean"] / 1000),
      "%.3f" % (latency["max"] / 1000), ok, sep="\t")'
}

measure_probe_bench() { # KIND METHOD JSON SHAPE ROUND
    local kind=$1 method=$2 json=$3 shape=$4 round=$5 before after system_before system_after
    local output parsed
    output="$WORK/bench-${method##*/}-$shape-$round.json"
    read -r before system_before < <(cpu_ticks "$OURS_PID")
    timeout $((DURATION + 60)) "$PROBE" --plaintext "127.0.0.1:$OURS_PORT" \
        bench "$method" -c "${shape%x*}" -m "${shape#*x}" -z "${DURATION}s" --format json \
        -d "$json" >"$output" 2>"$output.err" || true
    require_alive cashbackd
    read -r after system_after < <(cpu_ticks "$OURS_PID")
    parsed=$(parse_probe_bench <"$output" 2>>"$output.err") || {
        note "cannot read the probe's bench report: $(head -c 600 "$output" "$output.err")"
        parsed=$(printf '0\t0\t0\t0\t0')
    }
    IFS=$'\t' read -r requests rps mean max ok <<<"$parsed"
    record "$kind" cashbackd "$shape" "$round" "$requests" "$rps" "$mean" "$max" "$ok" \
        $((after - before)) $((system_after - system_before))
}

if [[ $ACCRUE != 1 ]]; then
    note "durable Accrue not measured (ACCRUE=$ACCRUE)"
elif ! probe_has_bench; then
    note "durable Accrue not measured: this cashback-probe has no bench verb yet"
else
    for ((round = 1; round <= ROUNDS; round++)); do
        for shape in $SHAPES; do
            note "probe bench round $round/$ROUNDS, cashbackd, -c ${shape%x*} -m ${shape#*x}"
            accrue=$(accrue_json 'member-{{worker}}' "bench-$shape-$round-{{n}}" 10000)
            if ((round % 2)); then
                measure_probe_bench "Accrue (probe)" cashback.v1.Accruals/Accrue "$accrue" \
                    "$shape" "$round"
            fi
            measure_probe_bench "GetBalance (probe)" cashback.v1.Wallet/GetBalance \
                "$GET_BALANCE_JSON" "$shape" "$round"
            if ((round % 2 == 0)); then
                measure_probe_bench "Accrue (probe)" cashback.v1.Accruals/Accrue "$accrue" \
                    "$shape" "$round"
            fi
        done
    done
fi

# MARK: Report

python3 - "$RESULTS" "$SHAPES" <<'EOF'
import collections, statistics, sys

results_path, shapes = sys.argv[1], sys.argv[2].split()
runs = collections.defaultdict(list)
with open(results_path) as results:
    for line in results:
        kind, server, shape, _, requests, rps, mean, maximum, cpu, system, rss, hwm, ok = \
            line.split("\t")
        runs[kind, server, shape].append(dict(
            requests=int(requests), rps=float(rps), mean=float(mean), max=float(maximum),
            cpu=float(cpu), system=float(system), rss=int(rss), hwm=int(hwm),
            ok=ok.strip() == "1"))

def median(kind, server, shape, key):
    return statistics.median(run[key] for run in runs[kind, server, shape])

def cpu_per_10k(run):
    return run["cpu"] / run["requests"] * 10_000 if run["requests"] else float("nan")

def system_share(group):
    """The median share of the server's CPU time spent in the kernel, in percent."""
    return statistics.median(100 * run["system"] / run["cpu"] if run["cpu"] else float("nan")
                             for run in group)

def ratio(kind, server, other, shape):
    if not runs.get((kind, other, shape)):
        return "—"
    rps = median(kind, server, shape, "rps") / median(kind, other, shape, "rps")
    cpu = (statistics.median(map(cpu_per_10k, runs[kind, server, shape]))
           / statistics.median(map(cpu_per_10k, runs[kind, other, shape])))
    return f"{rps:.2f}× req/s, {cpu:.2f}× CPU"

print("| method | server | -c × -m | req/s | mean ms | max ms | CPU s / 10k req (kernel) "
      "| RSS / peak MiB | ÷ grpc-swift-2 | ÷ nghttpd |")
print("|---|---|---|---:|---:|---:|---:|---:|---|---|")
KINDS = ("GetBalance (h2load)", "GetBalance (probe)", "Accrue (probe)")
for kind in KINDS:
    for shape in shapes:
        for server in ("cashbackd", "grpc-baseline", "nghttpd"):
            key = (kind, server, shape)
            if key not in runs:
                continue
            group = runs[key]
            flag = "" if all(run["ok"] for run in group) else " (errors!)"
            rss = statistics.median(run["rss"] for run in group) / 1024
            hwm = max(run["hwm"] for run in group) / 1024
            versus_baseline = ratio(kind, server, "grpc-baseline", shape) \
                if server == "cashbackd" else "—"
            versus_ceiling = ratio(kind, server, "nghttpd", shape) if server != "nghttpd" else "—"
            print(f"| {kind} | {server}{flag} | {shape.replace('x', ' × ')} "
                  f"| {median(*key, 'rps'):,.0f} | {median(*key, 'mean'):.2f} "
                  f"| {median(*key, 'max'):.2f} "
                  f"| {statistics.median(map(cpu_per_10k, group)):.2f} ({system_share(group):.0f} %) "
                  f"| {rss:.0f} / {hwm:.0f} | {versus_baseline} | {versus_ceiling} |")
# Durable Accrue against GetBalance through the same client (the probe's bench), same rounds.
through_probe = [
    f"-c {shape.replace('x', ' -m ')}: "
    f"{median('Accrue (probe)', 'cashbackd', shape, 'rps') / median('GetBalance (probe)', 'cashbackd', shape, 'rps'):.2f}×"
    for shape in shapes
    if ("Accrue (probe)", "cashbackd", shape) in runs
    and ("GetBalance (probe)", "cashbackd", shape) in runs]
if through_probe:
    print("\nDurable Accrue ÷ GetBalance req/s on cashbackd, both through cashback-probe bench: "
          + ", ".join(through_probe) + ".")
rounds = max(len(group) for group in runs.values()) if runs else 0
print(f"\nMedians of {rounds} round(s); CPU is the server process's user + system time "
      "(/proc/PID/stat) during the run, and in brackets the system (kernel) part of it.")
EOF

((FAILED_RUNS == 0)) || die "$FAILED_RUNS runs had requests that did not succeed (marked 'errors!')"
