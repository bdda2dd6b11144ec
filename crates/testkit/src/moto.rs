//! Helpers for the live integration tests: a private moto server per test, the seed script
//! that builds topologies in it (tests/moto/seed.py), and the vpcaudit binary, all run with a
//! hermetic environment: fake credentials, no AWS config or credentials file from the machine,
//! no profile, no instance metadata, no proxy. Nothing talks to anything but 127.0.0.1.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const REGION: &str = "us-east-1";
/// moto's account.
pub const ACCOUNT: &str = "123456789012";
const MOTO_START_TIMEOUT: Duration = Duration::from_secs(20);
const VPCAUDIT_TIMEOUT: Duration = Duration::from_secs(120);

/// The workspace root, where `fixtures/`, `tests/moto/` and `.venv` are.
pub fn manifest_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The interpreter of the test venv: `VPCAUDIT_PYTHON`, else `<crate>/.venv/bin/python`.
pub fn python() -> PathBuf {
    let python = std::env::var_os("VPCAUDIT_PYTHON")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join(".venv/bin/python"));
    if !python.exists() {
        panic!(
            "the live tests need the Python venv with moto (tests/moto/requirements.txt), but \
             {} does not exist. Run `scripts/test.sh` (it creates .venv), or point \
             VPCAUDIT_PYTHON at a Python that has moto[server] and boto3 installed.",
            python.display()
        );
    }
    python
}

/// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// The environment changes every child process gets: (variables to remove, variables to set).
/// Every inherited `AWS_*` variable goes (profiles, endpoints, tokens, role/web identity…),
/// and so do proxies.
fn hermetic_env() -> (Vec<OsString>, Vec<(&'static str, &'static str)>) {
    let remove = std::env::vars_os()
        .map(|(k, _)| k)
        .filter(|k| {
            let k = k.to_string_lossy();
            k.starts_with("AWS_")
                || matches!(
                    k.to_ascii_lowercase().as_str(),
                    "http_proxy" | "https_proxy" | "all_proxy"
                )
        })
        .collect();
    let set = vec![
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", REGION),
        ("AWS_REGION", REGION),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("NO_PROXY", "127.0.0.1,localhost"),
        ("no_proxy", "127.0.0.1,localhost"),
    ];
    (remove, set)
}

fn hermetic_std(cmd: &mut StdCommand) -> &mut StdCommand {
    let (remove, set) = hermetic_env();
    for k in remove {
        cmd.env_remove(k);
    }
    cmd.envs(set)
}

/// A moto server on 127.0.0.1, on a free port, killed when dropped.
pub struct MotoServer {
    child: Child,
    port: u16,
    /// Holds moto's log (stdout + stderr).
    dir: tempfile::TempDir,
}

impl MotoServer {
    pub fn start() -> MotoServer {
        MotoServer::start_server(&["-m", "moto.server"])
    }

    /// moto with its IAM enforcement judging as AWS does (tests/moto/iam_server.py); it
    /// enforces only once [`MotoServer::iam`] `enforce on` is called.
    pub fn start_with_iam() -> MotoServer {
        let script = manifest_dir().join("tests/moto/iam_server.py");
        let script = script.to_string_lossy().into_owned();
        MotoServer::start_server(&[script.as_str()])
    }

    /// Runs tests/moto/iam.py ARGS against this server and returns its JSON answer.
    pub fn iam(&self, args: &[&str]) -> Value {
        self.run_script("iam.py", &[], args)
    }

    /// Runs tests/moto/securityhub.py ARGS in [`REGION`] (enable, findings, revoke) and returns
    /// its JSON answer.
    pub fn securityhub(&self, args: &[&str]) -> Value {
        self.run_script("securityhub.py", &["--region", REGION], args)
    }

    /// Runs `tests/moto/SCRIPT --endpoint E LEADING… ARGS…` against this server and returns
    /// the one JSON value it prints; a failure shows its output and moto's.
    fn run_script(&self, script: &str, leading: &[&str], args: &[&str]) -> Value {
        let path = manifest_dir().join("tests/moto").join(script);
        let mut cmd = StdCommand::new(python());
        cmd.arg(&path)
            .args(["--endpoint", &self.endpoint()])
            .args(leading)
            .args(args)
            .stdin(Stdio::null());
        hermetic_std(&mut cmd);
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{script} {args:?} failed ({}):\n--- stderr:\n{stderr}\n--- stdout:\n{stdout}\n\
             --- moto output:\n{}",
            out.status,
            tail(&self.log(), 4000)
        );
        serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("{script} {args:?} printed no JSON ({e}):\n{stdout}\n{stderr}")
        })
    }

    fn start_server(program: &[&str]) -> MotoServer {
        let python = python();
        let dir = tempfile::tempdir().expect("temp dir for the moto log");
        // A free port can be taken by someone else before moto binds it: try a few.
        let mut failures = String::new();
        for attempt in 1..=3 {
            let port = free_port();
            let log_path = dir.path().join(format!("moto-{port}.log"));
            let log = fs::File::create(&log_path).expect("create moto log");
            let mut cmd = StdCommand::new(&python);
            cmd.args(program)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("dup moto log"))
                .stderr(log);
            hermetic_std(&mut cmd);
            let mut child = cmd.spawn().unwrap_or_else(|e| {
                panic!("cannot start {} -m moto.server: {e}", python.display())
            });
            match wait_until_ready(&mut child, port) {
                Ok(()) => return MotoServer { child, port, dir },
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = fs::read_to_string(&log_path).unwrap_or_default();
                    let _ = write!(
                        failures,
                        "\n--- attempt {attempt}, port {port}: {why}\n--- moto output:\n{}",
                        tail(&log, 4000)
                    );
                    if !log.contains("Address already in use") {
                        break;
                    }
                }
            }
        }
        panic!(
            "moto server (`{} -m moto.server -H 127.0.0.1 -p PORT`) did not start:{failures}",
            python.display()
        );
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs tests/moto/seed.py against this server and returns what it built.
    pub fn seed(&self, scenarios: &[&str]) -> Seed {
        self.seed_region(REGION, scenarios)
    }

    /// [`MotoServer::seed`] in another region.
    pub fn seed_region(&self, region: &str, scenarios: &[&str]) -> Seed {
        Seed::from_json(&self.run_script("seed.py", &["--region", region], scenarios))
    }

    /// Creates the CloudFormation stack `name` from `template` (tests/moto/stack.py) and
    /// returns its resources: logical id → physical id.
    pub fn create_stack(&self, name: &str, template: &Path) -> BTreeMap<String, String> {
        let template = template.to_string_lossy();
        let json = self.run_script("stack.py", &["--region", REGION], &[name, &template]);
        serde_json::from_value(json["resources"].clone()).expect("resources: logical → physical")
    }

    /// moto's output so far.
    pub fn log(&self) -> String {
        let path = self.dir.path().join(format!("moto-{}.log", self.port));
        fs::read_to_string(path).unwrap_or_default()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until moto answers HTTP on `port` (its `/moto-api/` page, which only moto serves).
fn wait_until_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + MOTO_START_TIMEOUT;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("moto exited early with {status}"));
        }
        if let Some(status_line) = http_get_status(addr, "/moto-api/") {
            if status_line.contains(" 200 ") {
                return Ok(());
            }
            return Err(format!(
                "127.0.0.1:{port} answered `{status_line}` instead of moto"
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no HTTP answer on 127.0.0.1:{port} after {}s",
                MOTO_START_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The status line of `GET path` on `addr`, or None when nothing answers.
fn http_get_status(addr: SocketAddr, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    let _ = stream.take(4096).read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let line = text.lines().next()?.trim().to_owned();
    line.starts_with("HTTP/").then_some(line)
}

fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// tests/moto/faults.py in front of an endpoint: logs every call and injects the faults of
/// `rules` (its JSON rule list). Killed when dropped.
pub struct FaultProxy {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl FaultProxy {
    pub fn start(upstream: &str, rules: &Value) -> FaultProxy {
        let dir = tempfile::tempdir().expect("temp dir for the proxy");
        let faults = dir.path().join("faults.json");
        fs::write(&faults, rules.to_string()).expect("write faults.json");
        let script = manifest_dir().join("tests/moto/faults.py");
        let mut cmd = StdCommand::new(python());
        cmd.arg(&script)
            .args(["--upstream", upstream])
            .arg("--faults")
            .arg(&faults)
            .arg("--log")
            .arg(dir.path().join("calls.jsonl"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(dir.path().join("proxy.log")).expect("proxy log"));
        hermetic_std(&mut cmd);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
        let mut line = String::new();
        let stdout = child.stdout.take().expect("proxy stdout");
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
        let port = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|v| v["port"].as_u64())
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "faults.py printed no port ({line:?}):\n{}",
                    fs::read_to_string(dir.path().join("proxy.log")).unwrap_or_default()
                )
            });
        FaultProxy { child, port, dir }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request so far: one JSON object each (service, model, operation, region, method,
    /// status, fault).
    pub fn calls(&self) -> Vec<Value> {
        fs::read_to_string(self.dir.path().join("calls.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What seed.py built: logical names → AWS ids, and the findings vpcaudit must report.
#[derive(Debug, Clone)]
pub struct Seed {
    pub ids: BTreeMap<String, String>,
    /// (rule_id, resource_id), sorted; a multiset (one rule may hit one resource twice).
    pub expected: Vec<(String, String)>,
    /// Literal secrets stored in the account: no report or snapshot may contain them.
    pub never_printed: Vec<String>,
    /// "RULE_ID resource_id" → severity, for findings whose spec sets them apart from the
    /// rule's default severity.
    pub severity: BTreeMap<String, String>,
}

impl Seed {
    fn from_json(json: &Value) -> Seed {
        let ids = json["ids"]
            .as_object()
            .expect("seed output: ids")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("seed id").to_owned()))
            .collect();
        let mut expected: Vec<(String, String)> = json["expected"]
            .as_array()
            .expect("seed output: expected")
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().expect("expected rule id").to_owned(),
                    pair[1].as_str().expect("expected resource id").to_owned(),
                )
            })
            .collect();
        expected.sort();
        let severity = json["severity"]
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let never_printed = json["never_printed"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Seed {
            ids,
            expected,
            never_printed,
            severity,
        }
    }

    /// The severity the spec gives the finding `rule_id` on `resource_id`: seed.py's override,
    /// else the rule's default.
    pub fn severity_of(&self, rule_id: &str, resource_id: &str, default: &str) -> String {
        self.severity
            .get(&format!("{rule_id} {resource_id}"))
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    /// The AWS id of a logical name (panics when seed.py did not record it).
    pub fn id(&self, logical: &str) -> &str {
        self.ids
            .get(logical)
            .unwrap_or_else(|| panic!("seed.py recorded no {logical:?}"))
    }

    /// Logical names of an AWS id, for failure messages.
    pub fn names_of(&self, aws_id: &str) -> String {
        let names: Vec<&str> = self
            .ids
            .iter()
            .filter(|(_, v)| v.as_str() == aws_id)
            .map(|(k, _)| k.as_str())
            .collect();
        if names.is_empty() {
            "?".to_owned()
        } else {
            names.join(", ")
        }
    }

    /// AWS ids recorded under a logical-name prefix (e.g. "good.").
    pub fn ids_under(&self, prefix: &str) -> BTreeSet<&str> {
        self.ids
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A vpcaudit command with the hermetic environment, run in `workdir`.
pub fn vpcaudit(workdir: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("vpcaudit")
        .expect("the vpcaudit binary (cargo builds it for integration tests)");
    let (remove, set) = hermetic_env();
    for k in remove {
        cmd.env_remove(k);
    }
    cmd.envs(set);
    cmd.current_dir(workdir).timeout(VPCAUDIT_TIMEOUT);
    cmd
}

/// The outcome of one vpcaudit run.
pub struct Run {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Runs `vpcaudit ARGS` in `workdir`.
    pub fn vpcaudit(workdir: &Path, args: &[&str]) -> Run {
        Run::vpcaudit_with_env(workdir, args, &[])
    }

    /// [`Run::vpcaudit`] with these environment variables set over the hermetic ones (other
    /// credentials, `AWS_MAX_ATTEMPTS`, …).
    pub fn vpcaudit_with_env(workdir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = vpcaudit(workdir)
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run vpcaudit {args:?}: {e}"));
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `vpcaudit scan --endpoint-url E --region us-east-1 --format json EXTRA…`
    pub fn scan_live(workdir: &Path, endpoint: &str, extra: &[&str]) -> Run {
        let mut args = vec![
            "scan",
            "--endpoint-url",
            endpoint,
            "--region",
            REGION,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        Run::vpcaudit(workdir, &args)
    }

    pub fn describe(&self) -> String {
        format!(
            "vpcaudit {}\n--- exit code: {:?}\n--- stderr:\n{}\n--- stdout:\n{}",
            self.args.join(" "),
            self.code,
            tail(&self.stderr, 6000),
            tail(&self.stdout, 6000)
        )
    }

    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit code of {}",
            self.describe()
        );
        assert!(
            !self.stderr.contains("panicked"),
            "vpcaudit panicked: {}",
            self.describe()
        );
        self
    }

    /// stdout parsed as the JSON report, which must match `schemas/report.schema.json`.
    pub fn json(&self) -> Value {
        let report = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not a JSON report ({e}): {}", self.describe()));
        crate::contracts::assert_report_matches_schema(&self.describe(), &report);
        report
    }
}

/// The report's findings array.
pub fn findings(report: &Value) -> &Vec<Value> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("report has no findings array: {report:#}"))
}

/// (rule_id, resource.id) of every finding, sorted (a multiset).
pub fn finding_pairs(report: &Value) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = findings(report)
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("<no rule_id>").to_owned(),
                f["resource"]["id"]
                    .as_str()
                    .unwrap_or("<no resource.id>")
                    .to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

/// Multiset difference: the items of `a` not matched one-for-one in `b`.
fn minus(a: &[(String, String)], b: &[(String, String)]) -> Vec<(String, String)> {
    let mut rest: Vec<&(String, String)> = b.iter().collect();
    let mut out = Vec::new();
    for item in a {
        match rest.iter().position(|r| *r == item) {
            Some(i) => {
                rest.swap_remove(i);
            }
            None => out.push(item.clone()),
        }
    }
    out
}

/// Compares the report's (rule_id, resource.id) pairs with `seed.expected` (as multisets);
/// when they differ, says which pairs are unexpected and which are missing, with their logical
/// names and, for unexpected ones, the finding's message.
pub fn findings_mismatch(report: &Value, seed: &Seed) -> Option<String> {
    let actual = finding_pairs(report);
    let unexpected = minus(&actual, &seed.expected);
    let missing = minus(&seed.expected, &actual);
    if unexpected.is_empty() && missing.is_empty() {
        return None;
    }
    let mut msg = format!(
        "vpcaudit's findings differ from what seed.py built ({} reported, {} expected)\n",
        actual.len(),
        seed.expected.len()
    );
    let _ = writeln!(
        msg,
        "UNEXPECTED (reported, not expected): {}",
        unexpected.len()
    );
    for (rule, id) in &unexpected {
        let messages: Vec<&str> = findings(report)
            .iter()
            .filter(|f| f["rule_id"] == rule.as_str() && f["resource"]["id"] == id.as_str())
            .map(|f| f["message"].as_str().unwrap_or(""))
            .collect();
        let _ = writeln!(
            msg,
            "  {rule:8} {id}  [{}]  {}",
            seed.names_of(id),
            messages.join(" | ")
        );
    }
    let _ = writeln!(msg, "MISSING (expected, not reported): {}", missing.len());
    for (rule, id) in &missing {
        let _ = writeln!(msg, "  {rule:8} {id}  [{}]", seed.names_of(id));
    }
    Some(msg)
}

/// What is wrong with the findings whatever their rule: the principle of their rule
/// (rules/<ID>.md), the severity the spec gives them (the rule's default unless seed.py says
/// the spec sets the case apart), resource region/account/type/arn, message, unique
/// fingerprint.
pub fn finding_problems(report: &Value, seed: &Seed) -> Vec<String> {
    let specs = rule_specs();
    let mut fingerprints = BTreeSet::new();
    let mut problems = Vec::new();
    for f in findings(report) {
        let rule = f["rule_id"].as_str().unwrap_or("");
        let id = f["resource"]["id"].as_str().unwrap_or("");
        let what = format!("{rule} on {id} [{}]", seed.names_of(id));
        match specs.get(rule) {
            None => problems.push(format!("{what}: no rules/{rule}.md")),
            Some((default_severity, principle)) => {
                if f["principle"] != principle.as_str() {
                    problems.push(format!(
                        "{what}: principle {} but rules/{rule}.md says {principle:?}",
                        f["principle"]
                    ));
                }
                let severity = seed.severity_of(rule, id, default_severity);
                if f["severity"] != severity.as_str() {
                    problems.push(format!(
                        "{what}: severity {} but the spec says {severity:?} ({})",
                        f["severity"],
                        f["message"].as_str().unwrap_or("")
                    ));
                }
            }
        }
        if f["resource"]["region"] != REGION || f["resource"]["account"] != ACCOUNT {
            problems.push(format!(
                "{what}: resource region/account {} / {}",
                f["resource"]["region"], f["resource"]["account"]
            ));
        }
        for field in ["type", "arn"] {
            if f["resource"][field].as_str().is_none_or(str::is_empty) {
                problems.push(format!(
                    "{what}: resource.{field} is {}",
                    f["resource"][field]
                ));
            }
        }
        if f["message"].as_str().is_none_or(str::is_empty) {
            problems.push(format!("{what}: empty message"));
        }
        match f["fingerprint"].as_str() {
            Some(fp) if !fp.is_empty() => {
                if !fingerprints.insert(fp.to_owned()) {
                    problems.push(format!("{what}: duplicate fingerprint {fp}"));
                }
            }
            _ => problems.push(format!("{what}: no fingerprint")),
        }
    }
    problems
}

/// Asserts that the report's (rule_id, resource.id) pairs equal `seed.expected` exactly (as
/// multisets) and that every finding is well-formed (`finding_problems`); one failure message
/// lists everything: unexpected pairs, missing pairs, malformed findings.
pub fn assert_findings(report: &Value, seed: &Seed) {
    let mismatch = findings_mismatch(report, seed);
    let problems = finding_problems(report, seed);
    if mismatch.is_none() && problems.is_empty() {
        return;
    }
    let mut msg = mismatch.unwrap_or_default();
    if !problems.is_empty() {
        let _ = writeln!(
            msg,
            "WRONG (principle, severity, fields): {}",
            problems.len()
        );
        for p in &problems {
            let _ = writeln!(msg, "  {p}");
        }
    }
    panic!("{msg}");
}

/// The header every JSON report carries.
pub fn assert_report_header(report: &Value) {
    assert_eq!(report["format_version"], 1, "format_version: {report:#}");
    assert_eq!(report["tool"]["name"], "vpcaudit", "tool.name");
    assert!(report["tool"]["version"].is_string(), "tool.version");
    assert_eq!(report["account"], ACCOUNT, "account");
    assert_eq!(report["regions"], serde_json::json!([REGION]), "regions");
}

/// coverage.errors is empty: every API call of the scan succeeded.
pub fn assert_complete(report: &Value) {
    let errors = &report["coverage"]["errors"];
    assert!(
        errors.as_array().is_some_and(|e| e.is_empty()),
        "the scan against moto should be complete, but coverage.errors = {errors:#}"
    );
}

/// Front matter of rules/<ID>.md: id → (severity, principle).
pub fn rule_specs() -> BTreeMap<String, (String, String)> {
    let dir = manifest_dir().join("rules");
    let mut specs = BTreeMap::new();
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("rules/ entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("read rule doc");
        let front = text
            .split("+++")
            .nth(1)
            .unwrap_or_else(|| panic!("{}: no +++ front matter", path.display()));
        let field = |name: &str| {
            front
                .lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == name)
                .map(|(_, v)| v.trim().trim_matches('"').to_owned())
                .unwrap_or_else(|| panic!("{}: no {name} in front matter", path.display()))
        };
        specs.insert(field("id"), (field("severity"), field("principle")));
    }
    assert!(!specs.is_empty(), "no rule docs in {}", dir.display());
    specs
}
