#!/usr/bin/env bash
# The GitHub Action's last step (action.yml): after the SARIF upload, fail with the scan's exit
# code (EXIT_CODE, the scan step's `exit-code` output) and say why.
set -euo pipefail

code="${EXIT_CODE:-}"
case "$code" in
0) exit 0 ;;
1) echo "::error::vpcaudit found findings at or above fail-on: see the job summary and the Security tab" >&2 ;;
2) echo "::error::vpcaudit could not run: bad usage or bad input (see the scan step's log)" >&2 ;;
3) echo "::error::the scan is incomplete (some AWS API calls failed): see the job summary" >&2 ;;
*) echo "::error::vpcaudit did not complete (no exit code)" >&2 ;;
esac
if [[ "$code" =~ ^[0-9]{1,3}$ ]]; then
    exit "$code"
fi
exit 1
