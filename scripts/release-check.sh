#!/usr/bin/env bash
# The release checks a maintainer runs before tagging (docs/releasing.md), all offline:
#   1. `dist generate --check`: .github/workflows/release.yml is what dist-workspace.toml generates;
#   2. `dist plan`: the artifacts of the release (archives, checksums, install script);
#   3. the features the release builds with exist (dist does not check them);
#   4. the workflow passes the GitHub workflow schema (check-jsonschema);
#   5. the packaging and release tests (tests/packaging.rs, tests/release.rs);
#   6. with --package: `cargo package` of every published crate, which builds each from its
#      .crate file as crates.io would (it compiles the AWS SDK: tens of minutes on 2 cores).
#
# It needs dist itself, which is not part of scripts/test.sh: building it takes ~14 minutes on
# 2 cores, too slow for every CI run, and the tests check the configuration without it. It does
# not skip what it cannot run: a missing tool is an error that says how to install it.
set -euo pipefail
cd "$(dirname "$0")/.."

package=false
for arg in "$@"; do
    case "$arg" in
        --package) package=true ;;
        *) echo "usage: scripts/release-check.sh [--package]" >&2; exit 2 ;;
    esac
done

# The dist version the workflow uses; a different local dist would generate another workflow.
version=$(sed -n 's/^cargo-dist-version = "\(.*\)"/\1/p' dist-workspace.toml)
tools="$HOME/.cache/vpcaudit/tools"
dist="${DIST:-}"
if [ -z "$dist" ]; then
    if [ -x "$tools/bin/dist" ]; then dist="$tools/bin/dist"; else dist=$(command -v dist || true); fi
fi
if [ -z "$dist" ] || ! "$dist" --version | grep -qx "cargo-dist $version"; then
    echo "release-check.sh: dist $version is needed (found: ${dist:-none}). Install it with:" >&2
    echo "  cargo install --locked --root $tools cargo-dist@$version" >&2
    echo "or the installer from https://github.com/axodotdev/cargo-dist/releases/tag/v$version" >&2
    exit 1
fi

step() { echo "== $*" >&2; }

step "dist generate --check ($("$dist" --version))"
"$dist" generate --check

step "dist plan"
"$dist" plan

# dist passes `features` to `cargo build` without checking them (its plan passes with a feature
# that does not exist); cargo tree resolves them without building.
features=$(sed -n 's/^features = \[\(.*\)\]/\1/p' dist-workspace.toml | tr -d '" ' )
step "the release features exist: ${features:-none}"
if [ -n "$features" ]; then
    cargo tree --locked --package vpcaudit --features "$features" --depth 0 >/dev/null
fi

step "check-jsonschema .github/workflows/release.yml"
python="${VPCAUDIT_PYTHON:-.venv/bin/python}"
if ! "$python" -m check_jsonschema --version >/dev/null 2>&1; then
    echo "release-check.sh: check-jsonschema is missing in $python; install it with:" >&2
    echo "  $python -m pip install check-jsonschema" >&2
    exit 1
fi
"$python" -m check_jsonschema --builtin-schema vendor.github-workflows .github/workflows/release.yml

step "cargo test --test packaging --test release"
cargo test --locked --test packaging --test release

if $package; then
    # Its own build directory: the packaged crates are new paths, so they would rebuild in the
    # shared one anyway, and this keeps its artefacts out of it.
    step "cargo package (builds every published crate from its package)"
    export CARGO_TARGET_DIR="${VPCAUDIT_PACKAGE_TARGET:-$HOME/.cache/vpcaudit/target-package}"
    # Every member but the ones that are not published (a new crate is included until it says
    # `publish = false` and is named here).
    time cargo package --workspace --exclude vpcaudit-lambda --exclude vpcaudit-testkit --locked
fi
echo "release-check.sh: ok" >&2
