#!/usr/bin/env bash
# Benchmark `vpcaudit scan` against moto with N seeded three-tier environments.
#
#   scripts/bench-moto.sh N [--debug]
#
# Starts moto (from the test venv, see scripts/test.sh) on a free port of 127.0.0.1, seeds N
# environments through the AWS API (scripts/bench_seed.py: ~50 resources each, 20 security
# groups with ~100 rules), measures the emulator's own time to answer the list calls of a
# one-region scan concurrently (scripts/bench_floor.py, warm), then runs the release binary (the
# debug one with --debug) under /usr/bin/time -v and prints wall time, CPU time, peak memory,
# API calls (from the JSON summary) and findings. Nothing but 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/bench-moto.sh N [--debug]" >&2; exit 2; }
[ $# -ge 1 ] || usage
n="$1"
[[ "$n" =~ ^[0-9]+$ ]] || usage
profile=release
[ "${2:-}" = "--debug" ] && profile=debug

if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d "$HOME/.cache/vpcaudit/target" ]; then
    export CARGO_TARGET_DIR="$HOME/.cache/vpcaudit/target"
fi
target="${CARGO_TARGET_DIR:-target}"
python="${VPCAUDIT_PYTHON:-.venv/bin/python}"
[ -x "$python" ] || { echo "bench-moto: no $python; run scripts/test.sh once (it makes the venv)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-moto: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }

if [ "$profile" = release ]; then
    cargo build --release --locked --quiet --bin vpcaudit
else
    cargo build --locked --quiet --bin vpcaudit
fi
bin="$target/$profile/vpcaudit"

work="$(mktemp -d)"
moto_pid=""
cleanup() {
    if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
endpoint="http://127.0.0.1:$port"
"$python" -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
    curl -fs "$endpoint/moto-api/" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "$endpoint/moto-api/" >/dev/null || { echo "bench-moto: moto did not start:" >&2; cat "$work/moto.log" >&2; exit 1; }

echo "bench-moto: seeding $n environments into moto on $endpoint" >&2
seed="$("$python" scripts/bench_seed.py --endpoint "$endpoint" --region us-east-1 "$n")"
# Twice: the first request of a service makes moto build its backend; the second is the floor.
"$python" scripts/bench_floor.py --endpoint "$endpoint" --region us-east-1 >/dev/null
floor="$("$python" scripts/bench_floor.py --endpoint "$endpoint" --region us-east-1)"

# A hermetic environment: fake credentials, no AWS config from this machine, no proxy.
set +e
env -i PATH="$PATH" HOME="$work" \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    AWS_EC2_METADATA_DISABLED=true NO_PROXY=127.0.0.1,localhost \
    /usr/bin/time -v -o "$work/time.txt" \
    "$bin" scan --endpoint-url "$endpoint" --region us-east-1 --format json \
    -o "$work/report.json" --fail-on none --quiet 2>"$work/stderr.txt"
code=$?
set -e
if [ "$code" -ne 0 ]; then
    echo "bench-moto: vpcaudit exited $code" >&2
    cat "$work/stderr.txt" >&2
    exit 1
fi

time_field() { grep -F "$1" "$work/time.txt" | head -1 | sed 's/.*: //'; }
wall="$(time_field 'Elapsed (wall clock) time')"
user="$(time_field 'User time (seconds)')"
sys="$(time_field 'System time (seconds)')"
rss_kb="$(time_field 'Maximum resident set size (kbytes)')"

"$python" - "$work/report.json" "$seed" "$floor" "$n" "$profile" "$wall" "$user" "$sys" "$rss_kb" <<'EOF'
import json, sys
path, seed, floor, n, profile, wall, user, sys_, rss_kb = sys.argv[1:]
report = json.load(open(path))
seed, floor, summary = json.loads(seed), json.loads(floor), report["summary"]
calls = sum(sum(ops.values()) for ops in summary["api_calls"].values())
resources = sum(c["count"] for c in report["coverage"]["collected"])
parts = wall.split(":")
wall_s = sum(float(p) * 60 ** i for i, p in enumerate(reversed(parts)))
rows = [
    ("environments", n),
    ("resources read", resources),
    ("security groups / rules seeded", f'{seed["security_groups"]} / {seed["security_group_rules"]}'),
    ("seeding (s)", seed["seconds"]),
    ("emulator floor: the list calls at once (s)", floor["seconds"]),
    (f"vpcaudit ({profile}) wall (s)", f"{wall_s:.2f}"),
    ("  ratio to the floor", f'{wall_s / max(floor["seconds"], 0.01):.2f}x'),
    ("  CPU user + system (s)", f"{float(user) + float(sys_):.2f}"),
    ("  peak RSS (MB)", f"{int(rss_kb) / 1024:.1f}"),
    ("  collection / evaluation (s)", f'{summary["collection_seconds"]} / {summary["evaluation_seconds"]}'),
    ("  API calls (retries)", f'{calls} ({summary["retries"]})'),
    ("  findings", summary["total"]),
    ("  complete", summary["complete"]),
]
width = max(len(k) for k, _ in rows)
for key, value in rows:
    print(f"{key:<{width}}  {value}")
EOF
