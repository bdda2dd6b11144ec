#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the test tools it needs (moto, the AWS
# emulator, in a local venv), then checks formatting, lints and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# Reuse a build directory outside the clone when there is one: the AWS SDK crates take tens of
# minutes to build from scratch on a small machine.
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d "$HOME/.cache/vpcaudit/target" ]; then
    export CARGO_TARGET_DIR="$HOME/.cache/vpcaudit/target"
fi

venv="${VPCAUDIT_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
    echo "test.sh: creating the Python venv $venv for moto" >&2
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/moto/requirements.txt
export VPCAUDIT_PYTHON="$PWD/$venv/bin/python"

# Integration tests must never reach a real AWS endpoint or the instance metadata service.
export AWS_EC2_METADATA_DISABLED=true

# The bundled example must be what its generator writes.
python3 fixtures/generate_acme.py --check

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
