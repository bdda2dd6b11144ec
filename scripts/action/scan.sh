#!/usr/bin/env bash
# Runs the scan for the GitHub Action (action.yml) and reports it: the SARIF file for code
# scanning, the JSON report, the Markdown report into the step summary, and the outputs
# exit-code, findings, suppressed, critical, high, medium, low and info.
#
# It exits 0 whatever the scan found, so that the SARIF upload after it runs; the action's last
# step exits with `exit-code`. It exits non-zero only when it cannot run at all.
#
# Environment (the action passes its inputs this way, never inside the script):
#   INPUT_ARGS        arguments after `vpcaudit scan`, split on whitespace (spaces, tabs,
#                     newlines). Quotes are not interpreted and nothing is expanded: no
#                     globbing, no variables, no command substitution. An argument cannot
#                     contain whitespace (put such values in vpcaudit.toml, `--config`).
#                     The action owns --format, --output/-o, --sarif, --json, --markdown,
#                     --fail-on and --sarif-category: set them through its inputs.
#   INPUT_SARIF_FILE  where the SARIF goes (default vpcaudit.sarif)
#   INPUT_JSON_FILE   where the JSON report goes (default vpcaudit.json)
#   INPUT_FAIL_ON     --fail-on (empty: vpcaudit's default, low)
#   INPUT_CATEGORY    --sarif-category (empty: vpcaudit's default, vpcaudit/ACCOUNT/REGIONS/)
#   INPUT_SUMMARY     `true`: append the Markdown report to $GITHUB_STEP_SUMMARY
#   VPCAUDIT_BIN      the vpcaudit binary (default: vpcaudit on PATH)
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP (set by the runner)
set -euo pipefail

# GitHub refuses a step summary above 1 MiB; keep well under it.
summary_limit=$((1000 * 1024))

output() {
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
    fi
    echo "scan.sh: $1=$2" >&2
}

usage_error() {
    echo "::error::vpcaudit action: $*" >&2
    output exit-code 2
    exit 0
}

bin="${VPCAUDIT_BIN:-vpcaudit}"
sarif_file="${INPUT_SARIF_FILE:-vpcaudit.sarif}"
json_file="${INPUT_JSON_FILE:-vpcaudit.json}"
fail_on="${INPUT_FAIL_ON:-}"
category="${INPUT_CATEGORY:-}"
summary="${INPUT_SUMMARY:-true}"

for name in sarif-file json-file; do
    value="$sarif_file"
    [ "$name" = json-file ] && value="$json_file"
    case "$value" in
    -* | *$'\n'* | '') usage_error "$name must be a file name (not empty, not starting with -)" ;;
    esac
done
case "$fail_on" in
'' | critical | high | medium | low | info | none) ;;
*) usage_error "fail-on must be one of critical, high, medium, low, info, none" ;;
esac
case "$category" in
*[[:space:]]*) usage_error "category must not contain whitespace" ;;
esac
case "$summary" in
true | false) ;;
*) usage_error "summary must be true or false" ;;
esac

# The arguments: split on whitespace, one word at a time, never evaluated.
args=()
while IFS= read -r line || [ -n "$line" ]; do
    read -r -a words <<<"$line" || true
    for word in ${words[@]+"${words[@]}"}; do
        case "$word" in
        --format | --format=* | -o | -o* | --output | --output=* | --sarif | --sarif=* | \
            --json | --json=* | --markdown | --markdown=* | --fail-on | --fail-on=* | \
            --sarif-category | --sarif-category=*)
            usage_error "args must not set ${word%%=*}: the action sets it (see its inputs)"
            ;;
        esac
        args+=("$word")
    done
done <<<"${INPUT_ARGS:-}"

work="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/vpcaudit-scan.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
markdown="$work/report.md"

command=("$bin" scan ${args[@]+"${args[@]}"} --sarif "$sarif_file" --json "$json_file"
    --markdown "$markdown")
[ -z "$fail_on" ] || command+=(--fail-on "$fail_on")
[ -z "$category" ] || command+=(--sarif-category "$category")

# Remove reports of an earlier run, so a failed scan cannot leave them to be uploaded.
rm -f -- "$sarif_file" "$json_file"

# The table goes to the log; the other formats to their files.
set +e
"${command[@]}"
code=$?
set -e
output exit-code "$code"

if [ -f "$sarif_file" ]; then
    output sarif-file "$sarif_file"
fi

# Counts from the JSON report's summary (unsuppressed findings by severity). The report comes
# from AWS data, so only plain numbers are let through to the outputs.
if [ -f "$json_file" ]; then
    output json-file "$json_file"
    if command -v jq >/dev/null 2>&1; then
        counts="$(jq -r '.summary as $s | [($s.total // 0), ($s.suppressed // 0),
            ($s.by_severity.critical // 0), ($s.by_severity.high // 0),
            ($s.by_severity.medium // 0), ($s.by_severity.low // 0),
            ($s.by_severity.info // 0)] | map(tostring) | join(" ")' "$json_file")" || counts=""
    else
        counts="$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1], encoding="utf-8")).get("summary", {})
b = s.get("by_severity", {})
print(" ".join(str(v) for v in [s.get("total", 0), s.get("suppressed", 0)]
      + [b.get(k, 0) for k in ("critical", "high", "medium", "low", "info")]))
' "$json_file")" || counts=""
    fi
    values=()
    read -r -a values <<<"$counts" || true
    names=(findings suppressed critical high medium low info)
    for i in "${!names[@]}"; do
        value="${values[$i]:-}"
        if ! [[ "$value" =~ ^[0-9]+$ ]]; then
            echo "::warning::vpcaudit action: the JSON report has no count for ${names[$i]}" >&2
            continue
        fi
        output "${names[$i]}" "$value"
    done
fi

if [ "$summary" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$markdown" ]; then
    size="$(wc -c <"$markdown" | tr -d '[:space:]')"
    if [ "$size" -gt "$summary_limit" ]; then
        head -c "$summary_limit" -- "$markdown" >>"$GITHUB_STEP_SUMMARY"
        printf '\n\n**The report was cut at %s bytes: the SARIF and JSON reports are complete.**\n' \
            "$summary_limit" >>"$GITHUB_STEP_SUMMARY"
    else
        cat -- "$markdown" >>"$GITHUB_STEP_SUMMARY"
    fi
elif [ "$summary" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    printf '# vpcaudit\n\nvpcaudit exited %s without writing a report: see the step log.\n' \
        "$code" >>"$GITHUB_STEP_SUMMARY"
fi
