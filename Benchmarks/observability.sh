#!/usr/bin/env bash
# Benchmarks/observability.sh: what metrics and the access log cost cashbackd on GetBalance.
#
# Two release cashbackd processes run side by side on 127.0.0.1, each over a ledger of its own
# holding the same member's balance:
#   off  --no-access-log, no --metrics-listen (the router has no observer at all)
#   on   --metrics-listen 127.0.0.1:0 and the access log in JSON (--log-format json), standard
#        error appended to a file, and /metrics scraped every SCRAPE_SECONDS during the run by
#        one client on one kept-alive connection, as Prometheus does (its default is 15 s)
# h2load sends both the same gRPC-framed GetBalance (-c 8 -m 32 unless SHAPE says otherwise),
# DURATION seconds a run, in alternation (off on, on off, off on, …) for ROUNDS rounds; the
# report gives each run's req/s and server CPU per call, their medians, and on ÷ off.
#
#   Benchmarks/observability.sh                  # release builds, then 7 rounds of 5 s
#   BUILD=0 ROUNDS=9 DURATION=8 Benchmarks/observability.sh
#
# With RATE=N (requests per second in all), h2load offers the same N to both servers instead
# of as many as they answer (`--rps`, split over the connections): req/s is then N for both,
# and what differs is the server's CPU per call, the cost measured without the saturation
# effects of two cores shared with the load generator.
#
# With SIDE_BY_SIDE=1 the two servers are loaded at the same time, each by an h2load of its own,
# instead of one after the other: both then run under the same conditions of the moment (this
# VM's speed drifts by several per cent within a minute), so that their CPU per call, on ÷ off,
# spreads over 2–5 points across rounds instead of 10–20. Their req/s are then what each
# got of the two cores shared by four busy processes, not what either does alone: the CPU per
# call is the figure to read in this mode.
#
# OFF_BIN and ON_BIN (directories holding a cashbackd) and OFF_ARGS make it compare two builds
# too: two servers with the same flags, one per build, loaded at once, say what a change to the
# server costs or saves on GetBalance (the "on" build ÷ the "off" one):
#
#   OFF_BIN=/tmp/before ON_ARGS=--no-access-log SIDE_BY_SIDE=1 BUILD=0 Benchmarks/observability.sh
#
# Settings, from the environment: ROUNDS=7, DURATION=5, SHAPE=8x32, SCRAPE_SECONDS=5, SIDE_BY_SIDE=0,
# BUILD=1 (0: use the release binaries already built), KEEP=0 (1: keep the work directory), TMPDIR
# (where the work directory, and so the access log, goes: the log's disk is part of its cost;
# /dev/shm takes the disk out), ON_ARGS (the "on" server's flags; default "--metrics-listen
# 127.0.0.1:0 --log-format json"; "--no-access-log --metrics-listen 127.0.0.1:0" measures the
# metrics alone), OFF_ARGS (the "off" server's; default --no-access-log), OFF_BIN and ON_BIN
# (where each server's cashbackd is; default the release build). Needs h2load (nghttp2-client) and python3. Every process it starts is stopped
# on exit.
set -euo pipefail

ROUNDS=${ROUNDS:-7}
DURATION=${DURATION:-5}
SHAPE=${SHAPE:-8x32}
BUILD=${BUILD:-1}
KEEP=${KEEP:-0}
ON_ARGS=${ON_ARGS:-"--metrics-listen 127.0.0.1:0 --log-format json"}
OFF_ARGS=${OFF_ARGS:-"--no-access-log"}
SCRAPE_SECONDS=${SCRAPE_SECONDS:-5}
RATE=${RATE:-}
SIDE_BY_SIDE=${SIDE_BY_SIDE:-0}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
    echo "observability.sh: $*" >&2
    exit 1
}

[[ $ROUNDS =~ ^[1-9][0-9]?$ ]] || die "ROUNDS must be 1 to 99, got '$ROUNDS'"
[[ $DURATION =~ ^[1-9][0-9]{0,2}$ ]] || die "DURATION must be 1 to 999 seconds, got '$DURATION'"
[[ $SHAPE =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || die "SHAPE is CONNECTIONSxSTREAMS, e.g. 8x32, got '$SHAPE'"
[[ $SIDE_BY_SIDE =~ ^[01]$ ]] || die "SIDE_BY_SIDE must be 0 or 1, got '$SIDE_BY_SIDE'"
[[ $SCRAPE_SECONDS =~ ^[1-9][0-9]?$ ]] || die "SCRAPE_SECONDS must be 1 to 99, got '$SCRAPE_SECONDS'"
RATE_ARGS=()
if [[ -n $RATE ]]; then
    [[ $RATE =~ ^[1-9][0-9]{0,6}$ ]] || die "RATE must be 1 to 9999999 requests per second, got '$RATE'"
    ((RATE >= ${SHAPE%x*})) || die "RATE must be at least one request per second per connection"
    RATE_ARGS=(--rps "$((RATE / ${SHAPE%x*}))")
fi
for tool in h2load python3; do
    command -v "$tool" >/dev/null || die "$tool is missing (h2load: apt-get install nghttp2-client)"
done

if [[ $BUILD == 1 ]]; then
    (cd "$ROOT" && swift build -c release --product cashbackd >&2 \
        && swift build -c release --product cashback-probe >&2)
fi
BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)
[[ -x $BIN/cashbackd && -x $BIN/cashback-probe ]] || die "no release build in $BIN (BUILD=1 makes one)"
OFF_BIN=${OFF_BIN:-$BIN}
ON_BIN=${ON_BIN:-$BIN}
for dir in "$OFF_BIN" "$ON_BIN"; do
    [[ -x $dir/cashbackd ]] || die "no cashbackd in $dir (OFF_BIN, ON_BIN)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/observability-bench.XXXXXX")
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ $KEEP == 1 ]]; then echo "observability.sh: work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME DIR ARGS…: DIR's cashbackd on a port of its own (below the ephemeral range, where
# h2load's sockets could take it), its standard error appended to NAME.log; sets PORT_NAME,
# PID_NAME and TOKEN_NAME.
start() {
    local name=$1 dir=$2 port
    shift 2
    "$dir/cashbackd" token create --database "$WORK/$name.sqlite" --name bench \
        --scopes accrual,wallet,admin >"$WORK/$name.token" 2>/dev/null
    port=$(python3 -c 'import random; print(random.randint(20000, 32000))')
    "$dir/cashbackd" --plaintext --listen "127.0.0.1:$port" --database "$WORK/$name.sqlite" \
        "$@" 2>>"$WORK/$name.log" &
    PIDS+=("$!")
    printf -v "PID_$name" %s "$!"
    printf -v "PORT_$name" %s "$port"
    printf -v "TOKEN_$name" %s "$(cat "$WORK/$name.token")"
    for _ in $(seq 300); do
        grep -q "listening on" "$WORK/$name.log" 2>/dev/null && return 0
        kill -0 "$!" 2>/dev/null || die "cashbackd $name exited: $(tail -3 "$WORK/$name.log")"
        sleep 0.1
    done
    die "cashbackd $name did not start: $(tail -3 "$WORK/$name.log")"
}

# shellcheck disable=SC2086 # OFF_ARGS and ON_ARGS are words
start off "$OFF_BIN" $OFF_ARGS
# shellcheck disable=SC2086
start on "$ON_BIN" $ON_ARGS
# Scraped during its runs when it serves metrics.
METRICS_URL=$(grep -o 'http://127.0.0.1:[0-9]*/metrics' "$WORK/on.log" | head -1 || true)

GET_BALANCE='{"memberId":"m1","currency":"EUR"}'
for name in off on; do
    port_var=PORT_$name token_var=TOKEN_$name
    probe=("$BIN/cashback-probe" --plaintext "127.0.0.1:${!port_var}" --token "${!token_var}")
    "${probe[@]}" call cashback.v1.Admin/UpsertMerchant >/dev/null -d '{"merchantId":"shop-1",
        "name":"Shop One","currency":"EUR","shopperRateBps":250,"idempotencyKey":"shop-1"}'
    "${probe[@]}" call cashback.v1.Accruals/Accrue >/dev/null -d '{"merchantId":"shop-1",
        "orderId":"o-1","memberId":"m1","amountMinor":12999,"currency":"EUR","orderedAtMs":1700000000000}'
    "${probe[@]}" call cashback.v1.Wallet/GetBalance -d "$GET_BALANCE" >"$WORK/$name.balance"
done
cmp -s "$WORK/off.balance" "$WORK/on.balance" || die "the two servers answer different balances"
"$BIN/cashback-probe" encode cashback.v1.Wallet/GetBalance -d "$GET_BALANCE" >"$WORK/body.bin"

# The process's user + system CPU time so far, in clock ticks (proc(5), fields 14 and 15).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# begin NAME: starts one h2load run against NAME in the background (and the scraper, for
# "on"); its CPU time so far is kept in CPU0_NAME.
begin() {
    local name=$1 pid_var=PID_$1 port_var=PORT_$1 token_var=TOKEN_$1
    printf -v "SCRAPER_$name" %s ""
    if [[ $name == on && -n $METRICS_URL ]]; then
        python3 - "$METRICS_URL" "$SCRAPE_SECONDS" <<'SCRAPE' &
import http.client, sys, time, urllib.parse
url, every = urllib.parse.urlsplit(sys.argv[1]), float(sys.argv[2])
connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
while True:
    connection.request("GET", url.path)
    response = connection.getresponse()
    assert response.status == 200 and b"cashback_rpc_requests_total" in response.read()
    time.sleep(every)
SCRAPE
        printf -v "SCRAPER_$name" %s "$!"
    fi
    : >"$WORK/$name.log"
    printf -v "CPU0_$name" %s "$(cpu_ticks "${!pid_var}")"
    h2load -c "${SHAPE%x*}" -m "${SHAPE#*x}" -t 1 -D "$DURATION" "${RATE_ARGS[@]}" -d "$WORK/body.bin" \
        -H 'content-type: application/grpc' -H 'te: trailers' \
        -H "authorization: Bearer ${!token_var}" \
        "http://127.0.0.1:${!port_var}/cashback.v1.Wallet/GetBalance" >"$WORK/h2load.$name.txt" 2>&1 &
    printf -v "LOAD_$name" %s "$!"
}

# end NAME ROUND: waits for NAME's h2load run; appends "NAME ROUND REQUESTS REQ/S CPU_TICKS
# LOG_BYTES OK" to the results.
end() {
    local name=$1 round=$2 pid_var=PID_$1 load_var=LOAD_$1 scraper_var=SCRAPER_$1 cpu0_var=CPU0_$1 after
    wait "${!load_var}" || true
    after=$(cpu_ticks "${!pid_var}")
    if [[ -n ${!scraper_var} ]]; then
        kill "${!scraper_var}" 2>/dev/null
        wait "${!scraper_var}" 2>/dev/null || true
    fi
    if grep -q "log line(s) dropped" "$WORK/$name.log"; then
        echo "observability.sh: $name dropped log lines in round $round" >&2
    fi
    awk -v name="$name" -v round="$round" -v cpu=$((after - ${!cpu0_var})) \
        -v log_bytes="$(stat -c %s "$WORK/$name.log")" '
        /^finished in/ { rps = $4 }
        /^requests:/ { done = $6; failed = $10 + $12 + $14 }
        /^status codes:/ { bad = $5 + $7 + $9 }
        END { print name, round, done, rps, cpu, log_bytes, (done > 0 && failed == 0 && bad == 0) }
    ' "$WORK/h2load.$name.txt" >>"$WORK/results.txt"
}

# round N: off and on loaded one after the other (the order flips each round), or, with
# SIDE_BY_SIDE=1, both at once.
round() {
    local round=$1 first=off second=on
    if [[ $SIDE_BY_SIDE == 1 ]]; then
        begin off && begin on && end off "$round" && end on "$round"
        return
    fi
    ((round % 2)) || { first=on second=off; }
    begin $first && end $first "$round" && begin $second && end $second "$round"
}

echo "observability.sh: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); warming up" >&2
round 0
: >"$WORK/results.txt"
for ((round = 1; round <= ROUNDS; round++)); do
    echo "observability.sh: round $round/$ROUNDS" >&2
    round "$round"
done

python3 - "$WORK/results.txt" "$(getconf CLK_TCK)" "$SHAPE" "$SIDE_BY_SIDE" <<'EOF'
import statistics, sys
path, ticks, shape, side_by_side = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
runs = {"off": [], "on": []}
for line in open(path):
    name, round_, done, rps, cpu, log_bytes, ok = line.split()
    runs[name].append(dict(round=int(round_), done=int(done), rps=float(rps),
                           cpu_us=int(cpu) / ticks / max(int(done), 1) * 1e6,
                           log_bytes=int(log_bytes), ok=ok == "1"))
print(f"| round | off req/s | on req/s | on ÷ off | off CPU µs/call | on CPU µs/call | access log MB |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for off, on in zip(runs["off"], runs["on"]):
    flag = "" if off["ok"] and on["ok"] else " (errors!)"
    print(f"| {off['round']}{flag} | {off['rps']:,.0f} | {on['rps']:,.0f} | {on['rps'] / off['rps']:.3f} "
          f"| {off['cpu_us']:.2f} | {on['cpu_us']:.2f} | {on['log_bytes'] / 1e6:.0f} |")
median = lambda name, key: statistics.median(run[key] for run in runs[name])
ratios = [on["rps"] / off["rps"] for off, on in zip(runs["off"], runs["on"])]
mode = "both loaded at once" if side_by_side else "one after the other"
print(f"\nGetBalance -c {shape.replace('x', ' -m ')}, {mode}, medians of {len(ratios)} rounds: "
      f"off {median('off', 'rps'):,.0f} req/s, on {median('on', 'rps'):,.0f} req/s; "
      f"on ÷ off per round, median {statistics.median(ratios):.3f} "
      f"(cost {100 * (1 - statistics.median(ratios)):.1f} %); "
      f"CPU per call {median('off', 'cpu_us'):.2f} µs off, {median('on', 'cpu_us'):.2f} µs on.")
cpu_ratios = [on["cpu_us"] / off["cpu_us"] for off, on in zip(runs["off"], runs["on"])]
print(f"Server CPU per call, on ÷ off per round, median {statistics.median(cpu_ratios):.3f} "
      f"(rounds {min(cpu_ratios):.3f} to {max(cpu_ratios):.3f}).")
if not all(run["ok"] for group in runs.values() for run in group):
    sys.exit("observability.sh: some runs had requests that did not succeed")
EOF
