#!/usr/bin/env bash
# Benchmark `vpcaudit scan --org --role-name ROLE --all-regions` at Organization scale, against
# a loopback fake of AWS with real-ish latency (scripts/fake_aws.py; issue 17).
#
#   scripts/bench-org.sh
#   ACCOUNTS_LIST="10 100" REGIONS=17 LATENCY_MS=50 VPCAUDIT_BIN=path/to/vpcaudit scripts/bench-org.sh
#
# For each N in ACCOUNTS_LIST: starts scripts/fake_aws.py on a free port of 127.0.0.1 (an
# Organization of N member accounts plus the management account, REGIONS enabled regions each,
# nothing in them, every answer after LATENCY_MS), writes a throwaway AWS config (static keys,
# region us-east-1, endpoint_url = the fake) in a temporary HOME, and runs
#
#   vpcaudit scan --org --role-name OrganizationAccountAccessRole --all-regions \
#       --format json -o report.json --quiet --fail-on none
#
# under /usr/bin/time -v in an `env -i` environment (AWS_ENDPOINT_URL set too, instance
# metadata disabled): nothing leaves 127.0.0.1. One row per run:
#
#   accts      accounts read (N members + the management account); regs = regions per account
#   wall_s     vpcaudit's wall time; cpu_s its user + system CPU; rss_MB its peak RSS
#   reqs       requests the endpoint answered; conns TCP connections vpcaudit opened;
#   inflight   the most requests in flight at once, as vpcaudit counted them (sent, answer not
#              yet read: the report's summary.peak_in_flight), which conns is compared with;
#              the endpoint, which sees each request a little later and for a little less long,
#              counts fewer (`endpoint_peak_in_flight` in results.jsonl)
#   cpu_ms/req vpcaudit's CPU per request
#   floor_s    the lower bound below and wall/floor; ep_cpu_s the endpoint's own CPU seconds
#
# The floor. With L = LATENCY_MS, mc = --max-concurrency (default 4: calls in flight per
# account, region and service), G = calls in flight over the whole run (--max-in-flight: by
# default half the open-files limit beyond 64, at most MAX_IN_FLIGHT_CAP = 512, at least 16),
# S = G/4 account/regions read at once and T = STS_IN_FLIGHT (16 AssumeRole calls in flight)
# -- the constants are read from the Rust source under src/ and crates/ (the binary measured
# should match the source) -- and from the endpoint's
# counts: P = organizations:ListAccounts pages, A = sts:AssumeRole calls, C = all requests,
# n = account/region scopes read, and per scope k = max over its services of
# ceil(datasets / mc) x pages (the round trips its slowest service needs), K the largest k.
# An empty account/region needs one page per dataset, and vpcaudit asks it only DescribeVpcs
# and the calls of what lives outside VPCs, one per service: k = 1. One with a VPC (VPC_REGIONS)
# reads 13 EC2 datasets: k = ceil(13 / 4) = 4 (DescribeVpcs, then the other 12 four at a time,
# 1 + 3, is no less):
#
#   chain  = L x (1 + P + 1 + 1 + K)       GetCallerIdentity -> ListAccounts pages ->
#                                          AssumeRole -> DescribeRegions -> the list calls
#   assume = L x (1 + P + ceil(A/T) + 1 + K)    AssumeRole goes through one gate of T
#   global = L x (1 + P + ceil((C - 1 - P) / G)) every call after ListAccounts holds one of G
#                                          permits for at least L
#   scopes = L x (1 + P + 1 + 1 + ceil(sum of k over the scopes / S))   each scope holds one
#                                          of S turns for at least k x L
#
#   floor = the largest of the four (its name is printed as `bound`). `chain` alone is the
# formula of issue 17; at Organization scale the global bound is the one that binds, and
# wall/floor then says how close vpcaudit keeps G calls in flight. Jitter (JITTER_MS) only adds
# to the wall time: the floor uses L.
#
# Environment:
#   ACCOUNTS_LIST  member accounts per run (default "10 100 300")
#   REGIONS        enabled regions per account (default 17)
#   LATENCY_MS     answer latency (default 50); JITTER_MS adds uniform 0..JITTER_MS (default 0)
#   THROTTLE       RATE,BURST token bucket per account, region and operation (default none)
#   VPC_REGIONS    each account has one empty default VPC in its first VPC_REGIONS regions
#                  (default 0: no VPC anywhere, as AWS Control Tower leaves its accounts)
#   MAX_CONCURRENCY  passed as --max-concurrency when set (the floor uses it, else 4)
#   MAX_IN_FLIGHT  passed as --max-in-flight when set (the floor uses it, else vpcaudit's default)
#   RUN_TIMEOUT    seconds before a vpcaudit run is killed (default 1800)
#   VPCAUDIT_BIN   the binary to measure; default: `cargo build --release --locked` here and
#                  $CARGO_TARGET_DIR/release/vpcaudit (CARGO_TARGET_DIR defaults to
#                  ~/.cache/vpcaudit/target when it exists, else target)
#   BENCH_DIR      keep every run's files here (report, stderr, time, endpoint stats and log,
#                  results.jsonl); default a temporary directory removed at exit
#   PYTHON         the Python for the endpoint and the arithmetic (default python3)
#
# Exit status: 0 when every run exited 0, had summary.complete true and no unknown call; 1
# otherwise (each problem is printed); 2 for bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

ACCOUNTS_LIST="${ACCOUNTS_LIST:-10 100 300}"
REGIONS="${REGIONS:-17}"
LATENCY_MS="${LATENCY_MS:-50}"
JITTER_MS="${JITTER_MS:-0}"
THROTTLE="${THROTTLE:-}"
VPC_REGIONS="${VPC_REGIONS:-0}"
MAX_CONCURRENCY="${MAX_CONCURRENCY:-}"
RUN_TIMEOUT="${RUN_TIMEOUT:-1800}"
PYTHON="${PYTHON:-python3}"
ROLE=OrganizationAccountAccessRole

die() { echo "bench-org: $*" >&2; exit 2; }
for n in $ACCOUNTS_LIST; do [[ "$n" =~ ^[0-9]+$ ]] || die "ACCOUNTS_LIST: '$n' is not a number"; done
[[ "$REGIONS" =~ ^[0-9]+$ ]] && [ "$REGIONS" -ge 1 ] || die "REGIONS: '$REGIONS' is not a positive number"
[[ "$LATENCY_MS" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "LATENCY_MS: '$LATENCY_MS' is not a number"
[[ "$JITTER_MS" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "JITTER_MS: '$JITTER_MS' is not a number"
[[ "$VPC_REGIONS" =~ ^[0-9]+$ ]] || die "VPC_REGIONS: '$VPC_REGIONS' is not a number"
[[ "$RUN_TIMEOUT" =~ ^[0-9]+$ ]] || die "RUN_TIMEOUT: '$RUN_TIMEOUT' is not a number of seconds"
[ -z "$MAX_CONCURRENCY" ] || [[ "$MAX_CONCURRENCY" =~ ^[0-9]+$ ]] || die "MAX_CONCURRENCY: not a number"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
command -v timeout >/dev/null || die "timeout (coreutils) is missing"
command -v "$PYTHON" >/dev/null || die "no $PYTHON"

# The bounds vpcaudit applies, from the source (the binary measured should match it).
src_const() {
    local value
    value="$(grep -rhoE --include='*.rs' "$1: usize = [0-9]+" src crates 2>/dev/null | head -1 |
        grep -oE '[0-9]+$' || true)"
    echo "${value:-$2}"
}
MAX_IN_FLIGHT="${MAX_IN_FLIGHT:-}"
[ -z "$MAX_IN_FLIGHT" ] || [[ "$MAX_IN_FLIGHT" =~ ^[0-9]+$ ]] || die "MAX_IN_FLIGHT: not a number"
if [ -n "$MAX_IN_FLIGHT" ]; then
    GLOBAL_IN_FLIGHT="$MAX_IN_FLIGHT"
else
    # vpcaudit's default (crates/collect/src/limits.rs, default_max_in_flight).
    nofile="$(ulimit -n)"
    [[ "$nofile" =~ ^[0-9]+$ ]] || nofile=1048576
    cap="$(src_const MAX_IN_FLIGHT_CAP 512)"
    GLOBAL_IN_FLIGHT=$(( (nofile > 64 ? nofile - 64 : 0) / 2 ))
    [ "$GLOBAL_IN_FLIGHT" -le "$cap" ] || GLOBAL_IN_FLIGHT="$cap"
    [ "$GLOBAL_IN_FLIGHT" -ge 16 ] || GLOBAL_IN_FLIGHT=16
fi
SCOPES_IN_FLIGHT=$(( GLOBAL_IN_FLIGHT / 4 > 4 ? GLOBAL_IN_FLIGHT / 4 : 4 ))
STS_IN_FLIGHT="$(src_const STS_IN_FLIGHT 16)"
DEFAULT_MC="$(src_const DEFAULT_MAX_CONCURRENCY 4)"

if [ -n "${VPCAUDIT_BIN:-}" ]; then
    bin="$VPCAUDIT_BIN"
    profile="given: $bin"
else
    if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d "$HOME/.cache/vpcaudit/target" ]; then
        export CARGO_TARGET_DIR="$HOME/.cache/vpcaudit/target"
    fi
    echo "bench-org: cargo build --release --locked --bin vpcaudit" >&2
    cargo build --release --locked --quiet --bin vpcaudit
    bin="${CARGO_TARGET_DIR:-target}/release/vpcaudit"
    profile=release
fi
[ -x "$bin" ] || die "no executable vpcaudit at $bin"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

if [ -n "${BENCH_DIR:-}" ]; then
    mkdir -p "$BENCH_DIR"
    work="$(cd "$BENCH_DIR" && pwd)"
    keep=1
else
    work="$(mktemp -d)"
    keep=0
fi
fake_pid=""
stop_fake() {
    [ -n "$fake_pid" ] || return 0
    kill -TERM "$fake_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$fake_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
    fake_pid=""
}
cleanup() {
    stop_fake
    [ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "bench-org: vpcaudit ($profile), latency ${LATENCY_MS} ms + 0..${JITTER_MS} ms," \
    "max-concurrency ${MAX_CONCURRENCY:-$DEFAULT_MC}, G=$GLOBAL_IN_FLIGHT S=$SCOPES_IN_FLIGHT T=$STS_IN_FLIGHT," \
    "throttle ${THROTTLE:-none}, VPCs in $VPC_REGIONS regions; files in $work" >&2
printf '%5s %4s %8s %7s %7s %7s %6s %8s %10s %8s %-7s %10s %8s  %s\n' \
    accts regs wall_s cpu_s rss_MB reqs conns inflight cpu_ms/req floor_s bound wall/floor \
    ep_cpu_s status
failed=0

for n in $ACCOUNTS_LIST; do
    run="$work/org-$n-$REGIONS"
    rm -rf "$run"
    mkdir -p "$run/home/.aws"
    fake_args=(--port 0 --port-file "$run/port" --accounts "$n" --regions "$REGIONS"
        --latency-ms "$LATENCY_MS" --jitter-ms "$JITTER_MS" --stats "$run/endpoint-stats.json"
        --lifetime "$((RUN_TIMEOUT + 120))")
    [ -z "$THROTTLE" ] || fake_args+=(--throttle "$THROTTLE")
    fake_args+=(--vpc-regions "$VPC_REGIONS")
    "$PYTHON" scripts/fake_aws.py "${fake_args[@]}" >"$run/endpoint.log" 2>&1 &
    fake_pid=$!
    for _ in $(seq 100); do
        [ -s "$run/port" ] && break
        kill -0 "$fake_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -s "$run/port" ]; then
        echo "bench-org: fake_aws.py did not start:" >&2
        cat "$run/endpoint.log" >&2
        exit 1
    fi
    port="$(cat "$run/port")"
    endpoint="http://127.0.0.1:$port"
    cat >"$run/home/.aws/config" <<EOF
[default]
region = us-east-1
endpoint_url = $endpoint
EOF
    cat >"$run/home/.aws/credentials" <<EOF
[default]
aws_access_key_id = AKIAFAKEBENCHORG0000
aws_secret_access_key = fake-secret-for-the-loopback-endpoint
EOF
    args=(scan --org --role-name "$ROLE" --all-regions --format json -o "$run/report.json"
        --quiet --fail-on none)
    [ -z "$MAX_CONCURRENCY" ] || args+=(--max-concurrency "$MAX_CONCURRENCY")
    [ -z "$MAX_IN_FLIGHT" ] || args+=(--max-in-flight "$MAX_IN_FLIGHT")

    set +e
    /usr/bin/time -v -o "$run/time.txt" \
        timeout -k 10 "$RUN_TIMEOUT" \
        env -i PATH="$PATH" HOME="$run/home" \
        AWS_CONFIG_FILE="$run/home/.aws/config" \
        AWS_SHARED_CREDENTIALS_FILE="$run/home/.aws/credentials" \
        AWS_PROFILE=default AWS_REGION=us-east-1 AWS_ENDPOINT_URL="$endpoint" \
        AWS_EC2_METADATA_DISABLED=true NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
        "$bin" "${args[@]}" </dev/null >"$run/stdout.txt" 2>"$run/stderr.txt"
    code=$?
    set -e
    stop_fake   # the endpoint writes endpoint-stats.json as it stops

    set +e
    "$PYTHON" - "$run" "$n" "$REGIONS" "$LATENCY_MS" "$code" "${MAX_CONCURRENCY:-$DEFAULT_MC}" \
        "$GLOBAL_IN_FLIGHT" "$SCOPES_IN_FLIGHT" "$STS_IN_FLIGHT" "$RUN_TIMEOUT" <<'EOF'
import json, math, os, sys

run, n, regions, latency_ms, code, mc, g, s, t, run_timeout = sys.argv[1:]
n, regions, code, mc, g, s, t = int(n), int(regions), int(code), int(mc), int(g), int(s), int(t)
L = float(latency_ms) / 1000
problems = []

def load(name):
    try:
        with open(os.path.join(run, name)) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        problems.append(f"{name}: {error}")
        return None

times = {}
try:
    for line in open(os.path.join(run, "time.txt")):
        key, _, value = line.strip().rpartition(": ")
        times[key] = value
except OSError as error:
    problems.append(f"time.txt: {error}")
def seconds(clock):
    return sum(float(p) * 60 ** i for i, p in enumerate(reversed(clock.split(":"))))
wall = seconds(times.get("Elapsed (wall clock) time (h:mm:ss or m:ss)", "0"))
cpu = float(times.get("User time (seconds)", 0)) + float(times.get("System time (seconds)", 0))
rss = int(times.get("Maximum resident set size (kbytes)", 0)) / 1024

if code == 124 or code == 137:
    problems.append(f"vpcaudit was killed after RUN_TIMEOUT={run_timeout} s")
elif code != 0:
    problems.append(f"vpcaudit exited {code}")
report = load("report.json") if code in (0, 1, 3) else None
summary = (report or {}).get("summary", {})
if report is not None:
    if summary.get("complete") is not True:
        errors = report.get("coverage", {}).get("errors", [])
        codes = sorted({f"{e.get('service')}:{e.get('operation')} {e.get('code')}" for e in errors})
        problems.append(f"summary.complete is {summary.get('complete')}; "
                        f"{len(errors)} coverage errors: {', '.join(codes[:8])}")
    want = n + 1
    if len(report.get("accounts", [])) != want:
        problems.append(f"report covers {len(report.get('accounts', []))} accounts, not {want}")

stats = load("endpoint-stats.json") or {}
ops = stats.get("by_operation", {})
requests = stats.get("requests", 0)
if stats.get("unknown_calls"):
    problems.append("the endpoint saw UNKNOWN calls (not emulated): " + ", ".join(
        f"{k} x{v}" for k, v in stats["unknown_calls"].items()))
if stats.get("throttled"):
    print(f"bench-org: the endpoint throttled {stats['throttled']} requests", file=sys.stderr)

# The floor (see the header of scripts/bench-org.sh).
P = ops.get("organizations:ListAccounts", 0)
A = ops.get("sts:AssumeRole", 0)
per = stats.get("per_scope_service", {})
K = max((math.ceil(v["max_datasets"] / mc) * v["max_pages"] for v in per.values()), default=0)
scopes = sum(shape["scopes"] for shape in stats.get("scope_shapes", []))
rounds = sum(shape["scopes"] * max((math.ceil(d / mc) * p for d, p in shape["services"]), default=0)
             for shape in stats.get("scope_shapes", []))
bounds = {
    "chain": L * (1 + P + 1 + 1 + K),
    "assume": L * (1 + P + math.ceil(A / t) + 1 + K),
    "global": L * (1 + P + math.ceil(max(0, requests - 1 - P) / g)),
    "scopes": L * (1 + P + 1 + 1 + math.ceil(rounds / s)),
}
bound, floor = max(bounds.items(), key=lambda kv: kv[1])

client_calls = sum(sum(v.values()) for v in summary.get("api_calls", {}).values())
row = {
    "accounts": n + 1, "members": n, "regions": regions, "latency_ms": float(latency_ms),
    "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "rss_mb": round(rss, 1),
    "requests": requests, "client_api_calls": client_calls, "retries": summary.get("retries"),
    "connections": stats.get("connections_accepted"), "peak_connections":
    stats.get("peak_connections"), "peak_in_flight": summary.get("peak_in_flight"),
    "endpoint_peak_in_flight": stats.get("peak_in_flight"),
    "connections_within_in_flight": (stats.get("connections_accepted") or 0)
    <= (summary.get("peak_in_flight") or 0),
    "cpu_ms_per_request": round(1000 * cpu / requests, 3) if requests else None,
    "floor_s": round(floor, 2), "bound": bound,
    "bounds_s": {k: round(v, 2) for k, v in bounds.items()},
    "wall_over_floor": round(wall / floor, 2) if floor else None,
    "endpoint_cpu_s": stats.get("cpu_seconds"), "endpoint_active_s": stats.get("active_seconds"),
    "scopes": scopes, "K": K, "listaccounts_pages": P, "exit_code": code,
    "complete": summary.get("complete"), "collection_seconds": summary.get("collection_seconds"),
    "unknown_calls": stats.get("unknown_calls", {}), "throttled": stats.get("throttled"),
    "problems": problems,
}
with open(os.path.join(run, "..", "results.jsonl"), "a") as out:
    out.write(json.dumps(row) + "\n")
def fmt(v, spec):
    return format(v, spec) if v is not None else "-"
print(f"{n + 1:5d} {regions:4d} {wall:8.2f} {cpu:7.2f} {rss:7.1f} {requests:7d} "
      f"{fmt(row['connections'], '6d')} {fmt(row['peak_in_flight'], '8d')} "
      f"{fmt(row['cpu_ms_per_request'], '10.3f')} {floor:8.2f} {bound:<7} "
      f"{fmt(row['wall_over_floor'], '9.2f')}x {fmt(row['endpoint_cpu_s'], '8.2f')}  "
      f"{'ok' if not problems else 'FAILED'}", flush=True)
print(f"bench-org: N={n}: bounds {row['bounds_s']} (P={P} pages, A={A} AssumeRole, "
      f"{scopes} scopes, K={K}); vpcaudit counted {client_calls} calls "
      f"({summary.get('retries')} retries), collection {summary.get('collection_seconds')} s; "
      f"endpoint busy {stats.get('active_seconds')} s, "
      f"peak {stats.get('peak_connections')} connections open", file=sys.stderr)
for problem in problems:
    print(f"bench-org: N={n}: PROBLEM: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
    verdict=$?
    set -e
    if [ "$verdict" -ne 0 ]; then
        failed=1
        if [ -s "$run/stderr.txt" ]; then
            echo "bench-org: N=$n: vpcaudit stderr (last 20 lines; all in $run/stderr.txt):" >&2
            tail -n 20 "$run/stderr.txt" >&2
        fi
        grep -A 50 'UNKNOWN' "$run/endpoint.log" >&2 || true
    fi
done

if [ "$failed" -ne 0 ]; then
    if [ "$keep" = 1 ]; then
        echo "bench-org: some runs FAILED (see above); files in $work" >&2
    else
        echo "bench-org: some runs FAILED (see above); set BENCH_DIR=DIR to keep the runs' files" >&2
    fi
    exit 1
fi
echo "bench-org: done${BENCH_DIR:+; results in $work/results.jsonl}" >&2
