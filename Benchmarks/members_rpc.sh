#!/usr/bin/env bash
# Benchmarks/members_rpc.sh: GetBalance over RPC at 10⁴ and 10⁷ members, side by side in one run
# (issue 9: "GetBalance at 10⁷ members within 2× of 10⁴").
#
# cashback-storebench preloads SMALL members (member-0 …), Benchmarks/widen_balances.py widens a
# copy to LARGE members (the balances and lots GetBalance reads; the copy serves benchmarks
# only), and two release cashbackd serve the two files in cleartext on 127.0.0.1. Each is driven
# by `cashback-probe bench` with members drawn uniformly at random
# ({"memberId":"member-{{random:N}}"}, N its file's members), DURATION seconds a run, servers in
# alternation (small large, large small, …) for ROUNDS rounds of every shape in SHAPES; all that
# once for each read-model size in CACHES ("default": cashbackd's own, 100 000 entries; a number:
# --balance-cache-entries N). It prints each run, then a Markdown table of medians with
# small ÷ large (the median of the rounds' ratios) and each server's peak RSS (VmHWM).
#
#   Benchmarks/members_rpc.sh                          # release builds, 10⁴ vs 10⁷, ~10 minutes
#   BUILD=0 ROUNDS=5 DURATION=5 Benchmarks/members_rpc.sh
#   LARGE=100000 CACHES=0 Benchmarks/members_rpc.sh    # a quick run
#
# Settings, from the environment: ROUNDS=3, DURATION=10 (seconds a run), SMALL=10000,
# LARGE=10000000, SHAPES="8x32 1x1" (CONNECTIONSxCALLS, the probe's -c and -m), CACHES="default 0",
# SEED=1 (run k of the script is --seed SEED+k, so the members drawn repeat), BUILD=1 (0: use the
# release binaries already built), KEEP=0 (1: keep the work directory), TMPDIR (where the files
# go: ~1.5 GB at 10⁷ members, checked before starting). Needs python3. Every process it starts
# is stopped, and the work directory removed, on exit.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
SMALL=${SMALL:-10000}
LARGE=${LARGE:-10000000}
SHAPES=${SHAPES:-"8x32 1x1"}
CACHES=${CACHES:-"default 0"}
SEED=${SEED:-1}
BUILD=${BUILD:-1}
KEEP=${KEEP:-0}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CURRENCY=EUR
# A run's first seconds, not counted: the server's statement caches and the file's upper
# B-tree pages.
WARM_UP=2s

note() { echo "members_rpc.sh: $*" >&2; }
die() {
    note "$@"
    exit 1
}

# check NAME PATTERN WHAT: the setting NAME matches PATTERN, or the script stops, saying what
# NAME must be.
check() {
    [[ ${!1} =~ $2 ]] || die "$1 must be $3, got '${!1}'"
}
check ROUNDS '^[1-9][0-9]?$' "1 to 99"
check DURATION '^[1-9][0-9]{0,2}$' "1 to 999 seconds"
check SMALL '^[1-9][0-9]{0,5}$' "1 to 999999 members (a real preload)"
check LARGE '^[1-9][0-9]{0,8}$' "1 to 999999999 members"
((LARGE > SMALL)) || die "LARGE ($LARGE) must be more members than SMALL ($SMALL)"
check SEED '^[0-9]{1,15}$' "a whole number below 10^15"
for shape in $SHAPES; do
    [[ $shape =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || die "SHAPES holds CONNECTIONSxCALLS words such as 8x32, got '$shape'"
done
for cache in $CACHES; do
    [[ $cache == default || $cache =~ ^[0-9]+$ ]] \
        || die "CACHES holds 'default' or entry counts for --balance-cache-entries, got '$cache'"
done
command -v python3 >/dev/null || die "python3 is missing: apt-get install python3"

# One product per command: a build of several at once takes the shared cores' memory too.
if [[ $BUILD == 1 ]]; then
    for product in cashbackd cashback-probe cashback-storebench; do
        note "swift build -c release --product $product"
        swift build -c release --package-path "$ROOT" --product "$product" >&2
    done
fi
BIN=$(swift build -c release --package-path "$ROOT" --show-bin-path)
for binary in cashbackd cashback-probe cashback-storebench; do
    [[ -x $BIN/$binary ]] || die "$BIN/$binary is missing: run without BUILD=0"
done

# The read model's size when --balance-cache-entries is not given, for the report.
DEFAULT_CACHE=$("$BIN/cashbackd" serve --print-config | awk '$1 == "balance-cache-entries" { print $2 }')

WORK=$(mktemp -d "${TMPDIR:-/tmp}/members-rpc.XXXXXX")
declare -A PID PORT TOKEN FILE MEMBERS

# stop_server NAME: SIGTERM, then waits: cashbackd stops within its --shutdown-grace-seconds
# (2, set by start) once its calls in flight are answered or cut.
stop_server() {
    local pid=${PID[$1]:-}
    [[ -n $pid ]] || return 0
    PID[$1]=
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    stop_server small
    stop_server large
    if [[ $KEEP == 1 ]]; then note "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# MARK: The two files

# The widened copy is about 150 bytes a member (both tables and their indexes), the preload a
# few KB a member; twice that, for SQLite's journal and the page cache's own copy.
need_kib=$(((LARGE * 150 + SMALL * 4000) * 2 / 1024))
free_kib=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
((free_kib > need_kib)) || die "$WORK has $((free_kib / 1024)) MiB free; $((need_kib / 1024)) MiB needed (set TMPDIR)"

FILE[small]="$WORK/small.sqlite" MEMBERS[small]=$SMALL
FILE[large]="$WORK/large.sqlite" MEMBERS[large]=$LARGE
note "preloading $SMALL members (cashback-storebench preload)"
"$BIN/cashback-storebench" preload --database "${FILE[small]}" --members "$SMALL" --currency "$CURRENCY" \
    >"$WORK/preload.log" 2>&1 || die "preload failed: $(tail -5 "$WORK/preload.log")"
note "widening a copy to $LARGE members (Benchmarks/widen_balances.py; ~100 s at 10⁷)"
python3 "$ROOT/Benchmarks/widen_balances.py" "${FILE[small]}" "${FILE[large]}" --members "$LARGE" \
    >"$WORK/widen.log" 2>&1 || die "widen_balances.py failed: $(tail -5 "$WORK/widen.log")"
for name in small large; do
    TOKEN[$name]=$("$BIN/cashbackd" token create --database "${FILE[$name]}" --name members-rpc \
        --scopes wallet 2>"$WORK/token.log") || die "token create failed: $(tail -3 "$WORK/token.log")"
    # Both files wholly in the OS page cache, as after the widening: a run measures the
    # server's reads, not the virtual disk's first fetch of each page.
    cat "${FILE[$name]}" >/dev/null
done

# MARK: Servers

# start NAME CACHE: a release cashbackd on NAME's file, on a port the kernel picks, read from
# its "listening on" line. No access log: the read path is what is measured (and a log line
# per call would write gigabytes into the work directory).
start() {
    local name=$1 cache=$2 log="$WORK/$1.log" port=""
    local cache_flag=()
    [[ $cache == default ]] || cache_flag=(--balance-cache-entries "$cache")
    "$BIN/cashbackd" --plaintext --listen 127.0.0.1:0 --database "${FILE[$name]}" --no-access-log \
        --shutdown-grace-seconds 2 "${cache_flag[@]}" >"$log" 2>&1 &
    PID[$name]=$!
    for _ in $(seq 600); do
        port=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$log" | head -1 | sed 's/.*://' || true)
        [[ -n $port ]] && break
        kill -0 "${PID[$name]}" 2>/dev/null || die "cashbackd ($name) exited: $(tail -3 "$log")"
        sleep 0.1
    done
    [[ -n $port ]] || die "cashbackd ($name) did not start in 60 s: $(tail -3 "$log")"
    PORT[$name]=$port
}

# probe NAME ARGS…: cashback-probe against NAME's server, its token in the environment.
probe() {
    local name=$1
    shift
    CASHBACK_TOKEN=${TOKEN[$name]} "$BIN/cashback-probe" --plaintext "127.0.0.1:${PORT[$name]}" "$@"
}

# check_credited NAME: the last member of NAME's file has a balance (a member id that the file
# does not hold is answered OK with zeros, which would measure nothing).
check_credited() {
    local name=$1 member="member-$((${MEMBERS[$1]} - 1))"
    probe "$name" call cashback.v1.Wallet/GetBalance -d "{\"memberId\":\"$member\",\"currency\":\"$CURRENCY\"}" \
        | python3 -c 'import json, sys; b = json.load(sys.stdin); sys.exit(b["lifetimeMinor"] + b["pendingMinor"] == 0)' \
        || die "$name's $member has no $CURRENCY balance: the files are not what GetBalance reads"
}

# MARK: Runs

RESULTS="$WORK/results.txt"
: >"$RESULTS"
RUN=0

# bench NAME SHAPE [ROUND CACHE]: one probe run, DURATION seconds (WARM_UP without ROUND);
# appends "CACHE SHAPE NAME ROUND SEED REQ/S P50_US P99_US OK" to the results.
bench() {
    local name=$1 shape=$2 round=${3:-} cache=${4:-} duration=${DURATION}s
    [[ -n $round ]] || duration=$WARM_UP
    RUN=$((RUN + 1))
    local seed=$((SEED + RUN))
    probe "$name" --format json bench cashback.v1.Wallet/GetBalance -c "${shape%x*}" -m "${shape#*x}" \
        -z "$duration" --seed "$seed" \
        -d "{\"memberId\":\"member-{{random:${MEMBERS[$name]}}}\",\"currency\":\"$CURRENCY\"}" \
        >"$WORK/run.json" || die "cashback-probe bench against $name failed"
    kill -0 "${PID[$name]}" 2>/dev/null || die "cashbackd ($name) exited during a run: $(tail -3 "$WORK/$name.log")"
    [[ -n $round ]] || return 0
    python3 - "$WORK/run.json" "$cache $shape $name $round $seed" >>"$RESULTS" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
ok = report["statuses"] == {"OK": report["count"]}
print(sys.argv[2], f'{report["requestsPerSecond"]:.0f}', report["latencyUs"]["p50"],
      report["latencyUs"]["p99"], int(ok))
EOF
    note "$(tail -1 "$RESULTS")"
}

# peak_rss_kib NAME: VmHWM of NAME's server (proc(5)), its peak resident memory so far.
peak_rss_kib() {
    awk '$1 == "VmHWM:" { print $2 }' "/proc/${PID[$1]}/status"
}

note "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for cache in $CACHES; do
    start small "$cache"
    start large "$cache"
    for name in small large; do
        check_credited "$name"
        bench "$name" "${SHAPES%% *}"
    done
    for ((round = 1; round <= ROUNDS; round++)); do
        for shape in $SHAPES; do
            if ((round % 2)); then order="small large"; else order="large small"; fi
            for name in $order; do bench "$name" "$shape" "$round" "$cache"; done
        done
    done
    for name in small large; do
        echo "$cache $name $(peak_rss_kib "$name")" >>"$WORK/rss.txt"
        stop_server "$name"
    done
done
note "load $(cut -d' ' -f1-3 /proc/loadavg) at the end"

echo "cache shape members round seed req/s p50_us p99_us ok"
sed "s/ small / $SMALL /; s/ large / $LARGE /" "$RESULTS"
echo
python3 - "$RESULTS" "$WORK/rss.txt" "$SMALL" "$LARGE" "$DURATION" "$DEFAULT_CACHE" <<'EOF'
import collections, statistics, sys
results, rss_path, small, large, duration, default_cache = sys.argv[1:]
runs = collections.defaultdict(list)
for line in open(results):
    cache, shape, name, round_, seed, rps, p50, p99, ok = line.split()
    runs[cache, shape, name].append(dict(round=int(round_), rps=float(rps), p50=int(p50),
                                         p99=int(p99), ok=ok == "1"))
rss = {(cache, name): int(kib) for cache, name, kib in (line.split() for line in open(rss_path))}
median = lambda cell, key: statistics.median(run[key] for run in cell)
print(f"GetBalance over RPC, members drawn uniformly at random, {duration} s a run; medians of "
      f"{len(next(iter(runs.values())))} alternating rounds; small = {int(small):,} members, "
      f"large = {int(large):,}.\n")
print("| read model | -c × -m | small req/s | large req/s | small ÷ large | "
      "small p50 / p99 ms | large p50 / p99 ms | peak RSS small / large |")
print("|---|---|---:|---:|---:|---|---|---|")
for (cache, shape, name), cell in runs.items():
    if name != "small":
        continue
    other = runs[cache, shape, "large"]
    ratios = [s["rps"] / l["rps"] for s, l in zip(sorted(cell, key=lambda r: r["round"]),
                                                  sorted(other, key=lambda r: r["round"]))]
    latency = lambda c: f"{median(c, 'p50') / 1000:.3f} / {median(c, 'p99') / 1000:.3f}"
    label = (f"{int(default_cache):,} entries (default)" if cache == "default"
             else f"{int(cache):,} entries")
    print(f"| {label} | {shape.replace('x', ' × ')} | {median(cell, 'rps'):,.0f} | "
          f"{median(other, 'rps'):,.0f} | {statistics.median(ratios):.2f}× "
          f"({min(ratios):.2f}–{max(ratios):.2f}) | {latency(cell)} | {latency(other)} | "
          f"{rss[cache, 'small'] / 1024:.0f} / {rss[cache, 'large'] / 1024:.0f} MB |")
if not all(run["ok"] for cell in runs.values() for run in cell):
    sys.exit("members_rpc.sh: some calls did not answer OK (see the ok column)")
EOF
