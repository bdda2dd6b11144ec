#!/usr/bin/env bash
# Installs vpcaudit for the GitHub Action (action.yml), in three subcommands that are steps:
#
#   install.sh resolve   which release to download (or none), the runner's target triple, and
#                        the cache key of a source build; writes them to $GITHUB_OUTPUT
#   install.sh release   downloads the release archive and its .sha256, verifies the checksum,
#                        unpacks the binary; `installed=true` on success, `installed=false` when
#                        the release does not exist and a source build may replace it
#   install.sh source    `cargo install --locked --path` of the action's own checkout
#
# A checksum mismatch always fails: it is never a reason to fall back to another source.
#
# Environment (the action passes its inputs and context this way, never inside the script):
#   INPUT_VERSION       a release tag (v1.2.3), `source`, or empty: the action's own ref when it
#                       is a release tag, else the version in the action's Cargo.toml when the
#                       ref is a moving major tag (v1, v1.2), else a source build
#   ACTION_REF          ${{ github.action_ref }} (empty for a local action, `uses: ./`)
#   ACTION_REPOSITORY   ${{ github.action_repository }} (default vpcaudit/vpcaudit)
#   GITHUB_ACTION_PATH  the action's checkout (set by the runner)
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_PATH (set by the runner)
#   VPCAUDIT_RELEASE_BASE_URL  where releases are downloaded from (default
#                       $GITHUB_SERVER_URL/$ACTION_REPOSITORY/releases/download): a mirror, or a
#                       local directory in the tests (file://)
#   VPCAUDIT_INSTALL_DIR       where the binary goes (default $RUNNER_TEMP/vpcaudit)
#   RESOLVED_TAG, RESOLVED_TRIPLE, RESOLVED_EXPLICIT, RESOLVED_ARCHIVE  the `resolve` outputs,
#                       for `release`
#
# The archive is dist's `vpcaudit-<target triple><unix-archive>`, the extension from the
# action's dist-workspace.toml (.tar.gz or .tar.xz; dist's default .tar.xz without one).
set -euo pipefail

work=""

die() {
    echo "::error::vpcaudit install: $*" >&2
    exit 1
}

output() {
    # Values are checked against patterns before they get here: no newline can reach the file.
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
    fi
    echo "install.sh: $1=$2" >&2
}

action_path() {
    local path="${GITHUB_ACTION_PATH:-}"
    if [ -z "$path" ]; then
        path="$(cd "$(dirname "$0")/../.." && pwd)"
    fi
    printf '%s' "$path"
}

install_dir() {
    printf '%s' "${VPCAUDIT_INSTALL_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/vpcaudit}"
}

semver_tag='^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'
moving_tag='^v[0-9]+(\.[0-9]+)?$'

# The target triple of the release archive for this runner, or nothing (no binary released).
triple_for() {
    local os="$1" arch="$2"
    case "$os/$arch" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    *) echo "" ;;
    esac
}

# The version of the action's own source ([workspace.package] version in Cargo.toml).
source_version() {
    local manifest
    manifest="$(action_path)/Cargo.toml"
    [ -f "$manifest" ] || return 0
    awk '
        /^\[/ { section = $0 }
        section == "[workspace.package]" && $1 == "version" {
            gsub(/"/, "", $3); print $3; exit
        }' "$manifest"
}

# The release archives' extension: dist-workspace.toml's `unix-archive`, else dist's default.
archive_extension() {
    local config ext=""
    config="$(action_path)/dist-workspace.toml"
    if [ -f "$config" ]; then
        ext="$(awk '
            /^\[/ { section = $0 }
            section == "[dist]" && $1 == "unix-archive" { gsub(/"/, "", $3); print $3; exit }
        ' "$config")"
    fi
    case "$ext" in
    .tar.gz | .tar.xz) printf '%s' "$ext" ;;
    *) printf '.tar.xz' ;;
    esac
}

# A content hash of the sources a build reads, so a cached binary is reused only for the same
# sources (an action checkout has no .git to ask for its commit).
source_hash() {
    local root
    root="$(action_path)"
    (
        cd "$root"
        find Cargo.toml Cargo.lock src crates rules data -type f -print0 2>/dev/null |
            LC_ALL=C sort -z |
            if command -v sha256sum >/dev/null 2>&1; then
                xargs -0 sha256sum --
            else
                xargs -0 shasum -a 256 --
            fi | sha256_stdin
    )
}

sha256_stdin() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum | awk '{print $1}'
    else
        shasum -a 256 | awk '{print $1}'
    fi
}

cmd_resolve() {
    local input="${INPUT_VERSION:-}" ref="${ACTION_REF:-}" tag="" explicit=false
    local triple
    triple="$(triple_for "${RUNNER_OS:-}" "${RUNNER_ARCH:-}")"
    if [ -n "$input" ] && [ "$input" != "source" ]; then
        [[ "$input" =~ $semver_tag ]] ||
            die "version must be a release tag like v1.2.3, or \`source\` (got an invalid value)"
        tag="$input"
        explicit=true
    elif [ -z "$input" ]; then
        if [[ "$ref" =~ $semver_tag ]]; then
            tag="$ref"
        elif [[ "$ref" =~ $moving_tag ]]; then
            local version
            version="$(source_version)"
            if [[ "v$version" =~ $semver_tag ]]; then
                tag="v$version"
            fi
        fi
    fi
    if [ -n "$tag" ] && [ -z "$triple" ]; then
        if [ "$explicit" = true ]; then
            die "no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: use version: source"
        fi
        echo "::notice::vpcaudit: no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}; building from source" >&2
        tag=""
    fi
    output tag "$tag"
    output triple "$triple"
    if [ -n "$triple" ]; then
        output archive "vpcaudit-$triple$(archive_extension)"
    else
        output archive ""
    fi
    output explicit "$explicit"
    output cache-key "vpcaudit-bin-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-$(source_hash)"
    output install-dir "$(install_dir)"
}

# Downloads URL to FILE. Exit status 0, or 4 when the server says it does not exist, or 1.
download() {
    local url="$1" file="$2" status
    case "$url" in
    https://* | file://* | http://127.0.0.1:* | http://localhost:*) ;;
    *) die "refusing to download from a non-https URL" ;;
    esac
    set +e
    status="$(curl --silent --show-error --location --proto '=https,file,http' \
        --proto-redir '=https' --retry 3 \
        --output "$file" --write-out '%{http_code}' -- "$url")"
    local rc=$?
    set -e
    if [ "$rc" -eq 37 ] || [ "$status" = "404" ]; then
        return 4 # file:// that does not exist, or HTTP 404
    fi
    if [ "$rc" -ne 0 ]; then
        echo "install.sh: download failed (curl exit $rc)" >&2
        return 1
    fi
    case "$status" in
    2?? | 000) return 0 ;; # 000: file:// has no HTTP status
    *)
        echo "install.sh: download failed (HTTP $status)" >&2
        return 1
        ;;
    esac
}

cmd_release() {
    local tag="${RESOLVED_TAG:-}" triple="${RESOLVED_TRIPLE:-}" explicit="${RESOLVED_EXPLICIT:-false}"
    local archive="${RESOLVED_ARCHIVE:-}"
    if [ -z "$tag" ]; then
        output installed false
        return 0
    fi
    [[ "$tag" =~ $semver_tag ]] || die "invalid release tag"
    [[ "$triple" =~ ^[a-z0-9_]+-[a-z0-9_]+-[a-z0-9_-]+$ ]] || die "invalid target triple"
    local repository="${ACTION_REPOSITORY:-vpcaudit/vpcaudit}"
    [[ "$repository" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || repository=vpcaudit/vpcaudit
    local base="${VPCAUDIT_RELEASE_BASE_URL:-${GITHUB_SERVER_URL:-https://github.com}/$repository/releases/download}"
    base="${base%/}"
    local unpack
    case "$archive" in
    "vpcaudit-$triple.tar.gz") unpack=-xzf ;;
    "vpcaudit-$triple.tar.xz") unpack=-xJf ;;
    *) die "invalid release archive name" ;;
    esac
    work="$(mktemp -d)"
    trap 'rm -rf -- "$work"' EXIT

    echo "install.sh: downloading $archive of vpcaudit $tag" >&2
    local rc=0
    download "$base/$tag/$archive" "$work/$archive" || rc=$?
    if [ "$rc" -eq 4 ] && [ "$explicit" != true ]; then
        echo "::warning::vpcaudit $tag has no release archive $archive: building from source instead (slow; pin a released version to avoid it)" >&2
        output installed false
        return 0
    elif [ "$rc" -eq 4 ]; then
        die "vpcaudit $tag has no release archive $archive"
    elif [ "$rc" -ne 0 ]; then
        die "could not download $archive"
    fi
    rc=0
    download "$base/$tag/$archive.sha256" "$work/$archive.sha256" || rc=$?
    [ "$rc" -eq 0 ] || die "could not download $archive.sha256: refusing an unverified binary"

    # The .sha256 file's first field is the digest (cargo-dist writes `DIGEST *NAME`, sha256sum
    # `DIGEST  NAME`): take it alone and check it against the file we downloaded, whatever name
    # the file gives.
    local expected
    expected="$(head -c 200 "$work/$archive.sha256" | awk 'NR == 1 {print tolower($1)}')"
    [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "$archive.sha256 holds no SHA-256 digest"
    printf '%s  %s\n' "$expected" "$archive" >"$work/check.sha256"
    if command -v sha256sum >/dev/null 2>&1; then
        (cd "$work" && sha256sum --check --strict --status check.sha256) ||
            die "checksum mismatch for $archive: not installing it"
    else
        (cd "$work" && shasum -a 256 --check --status check.sha256) ||
            die "checksum mismatch for $archive: not installing it"
    fi
    echo "install.sh: checksum verified ($expected)" >&2

    mkdir "$work/unpacked"
    tar "$unpack" "$work/$archive" -C "$work/unpacked" ||
        die "could not unpack $archive"
    local binary=""
    for candidate in "$work/unpacked/vpcaudit-$triple/vpcaudit" "$work/unpacked/vpcaudit"; do
        if [ -f "$candidate" ] && [ ! -L "$candidate" ]; then
            binary="$candidate"
            break
        fi
    done
    [ -n "$binary" ] || die "$archive holds no vpcaudit binary"
    local dir
    dir="$(install_dir)/bin"
    mkdir -p "$dir"
    install -m 0755 "$binary" "$dir/vpcaudit"
    "$dir/vpcaudit" --version >&2 || die "the downloaded vpcaudit does not run here"
    [ -z "${GITHUB_PATH:-}" ] || printf '%s\n' "$dir" >>"$GITHUB_PATH"
    output installed true
    output bin "$dir/vpcaudit"
}

cmd_source() {
    local root dir features=()
    root="$(action_path)"
    dir="$(install_dir)"
    command -v cargo >/dev/null 2>&1 ||
        die "building from source needs a Rust toolchain (cargo): add a setup step, or pin a released version"
    # The Security Hub import is an optional feature in some versions: enable it when the
    # source declares it.
    if awk '/^\[/ { s = $0 } s == "[features]" && $1 == "security-hub" { found = 1 } END { exit !found }' \
        "$root/Cargo.toml"; then
        features=(--features security-hub)
    fi
    if [ -x "$dir/bin/vpcaudit" ]; then
        echo "install.sh: using the cached build in $dir/bin" >&2
    else
        echo "install.sh: building vpcaudit from $root (cargo install --locked --path)" >&2
        cargo install --locked --path "$root" --root "$dir" ${features[@]+"${features[@]}"} >&2
    fi
    "$dir/bin/vpcaudit" --version >&2
    [ -z "${GITHUB_PATH:-}" ] || printf '%s\n' "$dir/bin" >>"$GITHUB_PATH"
    output bin "$dir/bin/vpcaudit"
}

case "${1:-}" in
resolve) cmd_resolve ;;
release) cmd_release ;;
source) cmd_source ;;
triple) triple_for "${RUNNER_OS:-}" "${RUNNER_ARCH:-}" ;;
*)
    echo "usage: install.sh resolve|release|source|triple" >&2
    exit 2
    ;;
esac
