//! The commands, as library functions: what `main.rs` calls after parsing arguments.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::progress::Progress;
use vpcaudit_collect::{self as collect, AwsOptions, CollectError};
use vpcaudit_core::baseline::{Baseline, BaselineError};
use vpcaudit_core::config::{CONFIG_FILE_NAME, Config, ConfigError, TEMPLATE, TemplateSources};
use vpcaudit_core::finding::Severity;
use vpcaudit_core::pipeline::{self, seconds};
pub use vpcaudit_core::pipeline::{ExitStatus, status};
use vpcaudit_core::report::diagram::{self, VpcDiagram};
use vpcaudit_core::report::sarif::SarifOptions;
use vpcaudit_core::report::table::{COMPACT_WIDTH, TableOptions};
use vpcaudit_core::report::{self, Report};
use vpcaudit_core::rules;
use vpcaudit_core::snapshot::{Snapshot, SnapshotError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Collect(#[from] CollectError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    #[error("{path} already exists; pass --force to overwrite it", path = path.display())]
    Exists { path: PathBuf },
    #[error("{path}: cannot write: {source}", path = path.display())]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("unknown rule `{0}`; `vpcaudit rules` lists them")]
    UnknownRule(String),
    #[error("no VPC `{0}` in the inventory")]
    UnknownVpc(String),
    #[error(transparent)]
    Template(#[from] vpcaudit_iac::LoadError),
    #[error(transparent)]
    Reach(#[from] vpcaudit_core::reach::QueryError),
    #[error(
        "--security-hub: this vpcaudit was built without Security Hub support; install it \
         with `cargo install vpcaudit --features security-hub`, or use a release binary"
    )]
    SecurityHubNotBuilt,
    #[error("--security-hub needs the live account: the scan has no caller account")]
    SecurityHubNoAccount,
}

impl AppError {
    pub fn exit_status(&self) -> ExitStatus {
        ExitStatus::Usage
    }
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// GitHub-flavoured Markdown for step summaries and pull request comments (with the
    /// Mermaid diagram of every VPC with findings).
    Markdown,
    /// One self-contained HTML file: summary, inline SVG diagrams, filterable findings.
    Html,
    /// OCSF Detection Finding records (class 2004), for Security Hub, Security Lake and SIEMs.
    Ocsf,
}

/// `--color`: whether the table's severities are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// On a terminal, unless the environment says otherwise (see [`table_options`]).
    #[default]
    Auto,
    Always,
    Never,
}

/// How the table is laid out for its destination. Compact unless it goes to a terminal: a
/// pipe, a CI log or a file has no width, and a boxed table there grows as wide as its longest
/// message. Colours: `always` and `never` are obeyed; `auto` colours on a terminal, unless
/// `NO_COLOR` is set to anything but the empty string (no-color.org) or `CLICOLOR` is `0` or
/// `TERM` is `dumb`, and colours anywhere when `CLICOLOR_FORCE` is set and not `0` (and
/// `NO_COLOR` is not), as the CLICOLOR convention has it. `var` reads the environment.
pub fn table_options(
    choice: ColorChoice,
    terminal: bool,
    var: impl Fn(&str) -> Option<String>,
) -> TableOptions {
    let set = |name: &str| var(name).filter(|value| !value.is_empty());
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR").is_some() => false,
        ColorChoice::Auto if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
        ColorChoice::Auto => {
            terminal
                && set("CLICOLOR").is_none_or(|v| v != "0")
                && set("TERM").is_none_or(|v| v != "dumb")
        }
    };
    TableOptions {
        color,
        compact: (!terminal).then_some(COMPACT_WIDTH),
    }
}

/// A report written to a file in the same run, besides the main output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraOutput {
    pub format: Format,
    pub path: PathBuf,
}

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub aws: AwsOptions,
    /// Audit this snapshot instead of reading the account.
    pub snapshot: Option<PathBuf>,
    pub format: Format,
    pub output: Option<PathBuf>,
    /// More reports from the same scan, each in its format to its file.
    pub extra_outputs: Vec<ExtraOutput>,
    pub sarif: SarifOptions,
    /// `--color`: whether the table's severities are coloured.
    pub color: ColorChoice,
    /// Exit 1 when a finding is at least this severe; None never fails on findings.
    pub fail_on: Option<Severity>,
    /// The configuration file; None looks for `vpcaudit.toml` in the working directory.
    pub config: Option<PathBuf>,
    /// An earlier JSON report: only findings it does not have are reported.
    pub baseline: Option<PathBuf>,
    pub quiet: bool,
    /// CloudFormation/SAM templates to audit before deploy, instead of an account.
    pub templates: Vec<PathBuf>,
    /// Template parameter values (`--parameter Key=Value`), `AWS::Region` and the like included.
    pub parameters: BTreeMap<String, String>,
    /// Templates that created the audited resources (files or directories), to locate live
    /// findings at their lines; empty: those found under the working directory.
    pub source_templates: Vec<PathBuf>,
    /// Stack name → template file, where the names differ (`--stack`).
    pub stacks: BTreeMap<String, PathBuf>,
    /// `--security-hub`: import the findings into Security Hub of the caller's account, per
    /// scanned region, after the reports are written (the only write call; live scans of the
    /// caller's account only).
    pub security_hub: bool,
}

#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub aws: AwsOptions,
    pub output: Option<PathBuf>,
    pub quiet: bool,
}

/// `vpcaudit scan`: read (or load) the inventory, run the rules, write the report.
pub async fn scan(options: &ScanOptions) -> Result<ExitStatus, AppError> {
    let progress = std::sync::Arc::new(Progress::new(options.quiet));
    // Bad input is reported before anything slow happens.
    if options.security_hub && !security_hub::BUILT {
        return Err(AppError::SecurityHubNotBuilt);
    }
    let config = Config::discover(options.config.as_deref())?;
    if let Some(path) = &config.path {
        progress.info(format_args!("using configuration {}", path.display()));
    }
    let baseline = options
        .baseline
        .as_deref()
        .map(Baseline::load)
        .transpose()?;
    let collection_started = Instant::now();
    let mut sources: Option<vpcaudit_iac::SourceTable> = None;
    let (snapshot, live) = match &options.snapshot {
        _ if !options.templates.is_empty() => {
            let templates = options
                .templates
                .iter()
                .map(|path| vpcaudit_iac::Template::load(path))
                .collect::<Result<Vec<_>, _>>()?;
            let converted = vpcaudit_iac::convert(&templates, &options.parameters);
            for unknown in &converted.snapshot.coverage.unknown {
                progress.warn(format_args!("{}: {}", unknown.region, unknown.describe()));
            }
            sources = Some(converted.sources);
            (converted.snapshot, false)
        }
        Some(path) => (Snapshot::load(path)?, false),
        None => (
            collect::collect(&options.aws, progress.clone()).await?,
            true,
        ),
    };
    if sources.is_none() {
        sources = stack_sources(&snapshot, options, &config.templates, &progress)?;
    }
    let no_sources = report::locations::NoSources;
    let located: &dyn report::locations::SourceMap = match &sources {
        Some(table) => table,
        None => &no_sources,
    };
    let collection_seconds = collection_started.elapsed();
    let today = chrono::Utc::now().date_naive();
    let mut report = pipeline::audit(&snapshot, &config, baseline.as_ref(), today);
    for warning in pipeline::suppression_warnings(&report) {
        progress.warn(format_args!("{warning}"));
    }
    report.summary.collection_seconds = seconds(collection_seconds);
    // What this run spent: a snapshot audited offline made no call, whatever its collection did.
    if let Some(stats) = snapshot.collection.as_ref().filter(|_| live) {
        report.summary.api_calls = stats.api_calls.clone();
        report.summary.retries = stats.retries;
        report.summary.peak_in_flight = stats.peak_in_flight;
    }
    // Every output is written before any error is returned, so one unwritable file does not
    // cost CI the others.
    let main = (options.output.as_deref(), options.format);
    let extras = options
        .extra_outputs
        .iter()
        .map(|extra| (Some(extra.path.as_path()), extra.format));
    let outputs: Vec<(Option<&Path>, Format)> = extras.chain(std::iter::once(main)).collect();
    let terminal = options.output.is_none() && std::io::stdout().is_terminal();
    let table = table_options(options.color, terminal, |name| std::env::var(name).ok());
    // Diagrams cost a second pass over the facts: only for the formats that show them.
    let diagrams = if outputs
        .iter()
        .any(|(_, f)| matches!(f, Format::Markdown | Format::Html))
    {
        diagram::build(&snapshot, &config.settings, &report.findings)
    } else {
        Vec::new()
    };
    let written: Vec<Result<(), AppError>> = outputs
        .into_iter()
        .map(|(path, format)| match format {
            // Straight to the file: at Organization scale the JSON is tens of megabytes
            // (coverage names every dataset of every account/region), not worth holding whole.
            Format::Json => write_with(path, |out| write_json(out, &report)),
            _ => write_output(
                path,
                &render_document(&report, format, &options.sarif, &table, &diagrams, located),
            ),
        })
        .collect();
    written.into_iter().collect::<Result<Vec<()>, AppError>>()?;
    if options.output.is_some() || options.format != Format::Table {
        progress.info(format_args!(
            "{} findings; {}",
            report.summary.total,
            if report.summary.complete {
                "scan complete"
            } else {
                "scan INCOMPLETE"
            }
        ));
    }
    let status = status(&report, options.fail_on);
    if options.security_hub && live {
        let imported = security_hub::import(&options.aws, &report, &progress).await?;
        if !imported {
            return Ok(ExitStatus::Incomplete);
        }
    }
    Ok(status)
}

/// `--security-hub`, compiled in with the `security-hub` feature.
#[cfg(feature = "security-hub")]
mod security_hub {
    use super::{AppError, AwsOptions, Progress, Report, collect};
    use vpcaudit_core::report::asff;

    pub const BUILT: bool = true;

    /// Imports the findings into Security Hub of the caller's account, one import per region
    /// the scan read there. False when any import failed (each failure is printed).
    pub async fn import(
        aws: &AwsOptions,
        report: &Report,
        progress: &Progress,
    ) -> Result<bool, AppError> {
        let Some(account) = report.account.as_deref() else {
            return Err(AppError::SecurityHubNoAccount);
        };
        let sdk = collect::load_sdk_config(aws).await;
        let now = chrono::Utc::now();
        let mut complete = true;
        for (scope_account, region) in asff::scopes(report) {
            if scope_account != account {
                continue;
            }
            match vpcaudit_securityhub::import(&sdk, report, account, &region, now).await {
                Ok(summary) => {
                    progress.info(format_args!(
                        "Security Hub {account} {region}: {}",
                        summary.describe()
                    ));
                    for error in &summary.errors {
                        progress.warn(format_args!("Security Hub: {error}"));
                    }
                    complete &= summary.failed == 0;
                }
                Err(error) => {
                    progress.warn(format_args!(
                        "Security Hub: {} (nothing imported there)",
                        vpcaudit_core::inert::inert(&error.to_string())
                    ));
                    complete = false;
                }
            }
        }
        Ok(complete)
    }
}

/// Without the `security-hub` feature, `--security-hub` is refused before the scan.
#[cfg(not(feature = "security-hub"))]
mod security_hub {
    use super::{AppError, AwsOptions, Progress, Report};

    pub const BUILT: bool = false;

    pub async fn import(_: &AwsOptions, _: &Report, _: &Progress) -> Result<bool, AppError> {
        Err(AppError::SecurityHubNotBuilt)
    }
}

/// Where the resources CloudFormation created are declared: the templates named by
/// `--templates` and `--stack` over `[templates]` in the configuration (an unreadable one is an
/// error), and, without paths, those found under the working directory (an unreadable one is a
/// warning), matched to stacks by file name or mapping. None when no resource of the snapshot
/// belongs to a stack with a template here.
fn stack_sources(
    snapshot: &Snapshot,
    options: &ScanOptions,
    configured: &TemplateSources,
    progress: &Progress,
) -> Result<Option<vpcaudit_iac::SourceTable>, AppError> {
    let sources = configured.overridden(&options.source_templates, &options.stacks);
    let loaded = vpcaudit_iac::live::load_stack_templates(&sources)?;
    for error in &loaded.skipped {
        progress.warn(format_args!("{error} (skipped)"));
    }
    if loaded.templates.is_empty() {
        return Ok(None);
    }
    let table = vpcaudit_iac::live::live_sources(snapshot, &loaded.templates, &loaded.stacks);
    Ok((!table.is_empty()).then_some(table))
}

/// The report in one format (Markdown and HTML without diagrams, the table boxed and plain).
pub fn render(report: &Report, format: Format, sarif: &SarifOptions) -> String {
    render_document(
        report,
        format,
        sarif,
        &TableOptions::default(),
        &[],
        &report::locations::NoSources,
    )
}

/// The report in one format: the table laid out as `table` says; Markdown and HTML show
/// `diagrams`; SARIF results and Markdown rows are placed at the source lines `sources` knows
/// (templates).
pub fn render_document(
    report: &Report,
    format: Format,
    sarif: &SarifOptions,
    table: &TableOptions,
    diagrams: &[VpcDiagram],
    sources: &dyn report::locations::SourceMap,
) -> String {
    match format {
        Format::Table => report::table::render_with(report, table),
        Format::Json => report.to_json(),
        Format::Sarif => report::sarif::render_located(report, sarif, sources),
        Format::Markdown => report::markdown::render_document(report, diagrams, sources),
        Format::Html => report::html::render(report, diagrams),
        Format::Ocsf => report::ocsf::render(report),
    }
}

/// Formats of `vpcaudit diagram`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiagramFormat {
    /// Mermaid `flowchart`: raw for one diagram, Markdown with one block each for several.
    #[default]
    Mermaid,
    /// Graphviz DOT, one `digraph` per diagram.
    Dot,
    /// SVG drawn by vpcaudit (no Graphviz needed), diagrams stacked.
    Svg,
}

#[derive(Debug, Clone)]
pub struct DiagramOptions {
    pub aws: AwsOptions,
    pub snapshot: Option<PathBuf>,
    pub format: DiagramFormat,
    /// Only this VPC.
    pub vpc: Option<String>,
    pub output: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub quiet: bool,
}

/// `vpcaudit diagram`: one picture per VPC, with the findings of a scan on it.
pub async fn diagram(options: &DiagramOptions) -> Result<ExitStatus, AppError> {
    let progress = std::sync::Arc::new(Progress::new(options.quiet));
    let config = Config::discover(options.config.as_deref())?;
    let snapshot = match &options.snapshot {
        Some(path) => Snapshot::load(path)?,
        None => collect::collect(&options.aws, progress.clone()).await?,
    };
    let today = chrono::Utc::now().date_naive();
    let report = pipeline::audit(&snapshot, &config, None, today);
    let mut diagrams = diagram::build(&snapshot, &config.settings, &report.findings);
    if let Some(vpc) = &options.vpc {
        diagrams.retain(|d| &d.vpc_id == vpc);
        if diagrams.is_empty() {
            return Err(AppError::UnknownVpc(vpc.clone()));
        }
    }
    let text = match options.format {
        DiagramFormat::Mermaid => {
            let parts: Vec<_> = diagrams
                .iter()
                .flat_map(diagram::mermaid::render_within_limit)
                .collect();
            match parts.as_slice() {
                [one] => one.text.clone(),
                _ => parts
                    .iter()
                    .map(|p| {
                        format!(
                            "## {}\n\n```mermaid\n{}```\n",
                            report::markdown::text(&p.title),
                            p.text
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            }
        }
        DiagramFormat::Dot => diagrams
            .iter()
            .map(diagram::dot::render)
            .collect::<Vec<_>>()
            .join("\n"),
        DiagramFormat::Svg => diagram::svg::render_all(&diagrams),
    };
    write_output(options.output.as_deref(), &text)?;
    Ok(if report.summary.complete {
        ExitStatus::Clean
    } else {
        ExitStatus::Incomplete
    })
}

#[derive(Debug, Clone)]
pub struct ReachOptions {
    pub aws: AwsOptions,
    pub snapshot: Option<PathBuf>,
    /// An id, name, ARN or Name tag.
    pub resource: String,
    /// Table or JSON (the other formats render as a table).
    pub format: Format,
    pub output: Option<PathBuf>,
    pub quiet: bool,
}

/// `vpcaudit reach RESOURCE`: every internet path into the resource and its way out. An
/// unknown or ambiguous resource is a usage error; an answer from an inventory with failed
/// calls in the resource's account and region exits 3.
pub async fn reach(options: &ReachOptions) -> Result<ExitStatus, AppError> {
    let progress = std::sync::Arc::new(Progress::new(options.quiet));
    let snapshot = match &options.snapshot {
        Some(path) => Snapshot::load(path)?,
        None => collect::collect(&options.aws, progress.clone()).await?,
    };
    let answer = vpcaudit_core::reach::reach(&snapshot, &options.resource)?;
    let text = match options.format {
        Format::Json => report::reach::render_json(&answer),
        Format::Table | Format::Sarif | Format::Markdown | Format::Html | Format::Ocsf => {
            report::reach::render_table(&answer)
        }
    };
    write_output(options.output.as_deref(), &text)?;
    Ok(if answer.complete {
        ExitStatus::Clean
    } else {
        progress.warn(format_args!(
            "API calls failed in {} {}: the answer may miss paths",
            answer.resource.account, answer.resource.region
        ));
        ExitStatus::Incomplete
    })
}

/// `vpcaudit init`: writes the commented default configuration.
pub fn init(path: Option<&Path>, force: bool) -> Result<ExitStatus, AppError> {
    let path = path.unwrap_or(Path::new(CONFIG_FILE_NAME));
    if path.exists() && !force {
        return Err(AppError::Exists {
            path: path.to_owned(),
        });
    }
    write_output(Some(path), TEMPLATE)?;
    eprintln!("vpcaudit: wrote {}", path.display());
    Ok(ExitStatus::Clean)
}

/// `vpcaudit collect`: read the inventory and write it as a snapshot.
pub async fn collect(options: &CollectOptions) -> Result<ExitStatus, AppError> {
    let progress = std::sync::Arc::new(Progress::new(options.quiet));
    let snapshot = collect::collect(&options.aws, progress.clone()).await?;
    match &options.output {
        Some(path) => snapshot.save(path)?,
        None => write_with(None, |out| write_json(out, &snapshot))?,
    }
    if snapshot.coverage.errors.is_empty() {
        Ok(ExitStatus::Clean)
    } else {
        progress.warn(format_args!(
            "{} API call(s) failed; the snapshot records them",
            snapshot.coverage.errors.len()
        ));
        Ok(ExitStatus::Incomplete)
    }
}

/// `vpcaudit rules`: the catalog as a table or JSON (it has no SARIF or Markdown form; the
/// command line offers only these two).
pub fn list_rules(format: Format) -> String {
    let all = rules::all();
    match format {
        Format::Json => {
            let list: Vec<_> = all.iter().map(|r| &r.meta).collect();
            serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
        }
        Format::Table | Format::Sarif | Format::Markdown | Format::Html | Format::Ocsf => {
            let mut table = comfy_table::Table::new();
            table
                .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_header(vec!["Rule", "Severity", "Principle", "Title"]);
            for rule in all {
                table.add_row(vec![
                    rule.meta.id.as_str(),
                    rule.meta.severity.as_str(),
                    rule.meta.principle.slug(),
                    rule.meta.title.as_str(),
                ]);
            }
            format!(
                "{table}\n{} rules; `vpcaudit rules explain ID` documents one.\n",
                all.len()
            )
        }
    }
}

/// `vpcaudit rules explain ID`: the rule's full documentation.
pub fn explain_rule(id: &str) -> Result<String, AppError> {
    let rule = rules::find(id).ok_or_else(|| AppError::UnknownRule(id.to_owned()))?;
    let meta = &rule.meta;
    Ok(format!(
        "# {} {}: {}\n\nSeverity: {} · Principle: {} ({})\n\n{}\n",
        meta.id,
        meta.name,
        meta.title,
        meta.severity,
        meta.principle.slug(),
        meta.principle.title(),
        rule.doc.markdown
    ))
}

/// Writes to the file, or to stdout when there is none.
pub fn write_output(path: Option<&Path>, text: &str) -> Result<(), AppError> {
    write_with(path, |out| out.write_all(text.as_bytes()))
}

/// Runs `write` on the file (created or truncated), or on stdout when there is none, through a
/// buffer.
fn write_with(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), AppError> {
    match path {
        Some(path) => std::fs::File::create(path)
            .and_then(|file| {
                let mut out = std::io::BufWriter::new(file);
                write(&mut out)?;
                out.flush()
            })
            .map_err(|source| AppError::Output {
                path: path.to_owned(),
                source,
            }),
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`vpcaudit scan | head`) is the reader's choice, not an error.
            match write(&mut out).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(AppError::Output {
                    path: PathBuf::from("<stdout>"),
                    source: e,
                }),
                _ => Ok(()),
            }
        }
    }
}

/// `value` as pretty JSON and a final newline, as it is serialised: the same text as
/// `serde_json::to_string_pretty`, never held whole.
fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> std::io::Result<()> {
    // An I/O error comes back as itself (a closed pipe stays BrokenPipe); serialising plain
    // data with string keys cannot fail otherwise.
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(choice: ColorChoice, terminal: bool, env: &[(&str, &str)]) -> TableOptions {
        table_options(choice, terminal, |name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn json_written_as_serialised_is_the_same_text_as_rendered() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let snapshot = Snapshot::load(&root.join("fixtures/acme-small.json")).expect("fixture");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 3).expect("date");
        let report = pipeline::audit(&snapshot, &Config::default(), None, today);
        let dir = tempfile::tempdir().expect("temp dir");
        let (report_path, snapshot_path) = (dir.path().join("r.json"), dir.path().join("s.json"));
        write_with(Some(&report_path), |out| write_json(out, &report)).expect("written");
        let written = std::fs::read_to_string(&report_path).expect("read back");
        assert_eq!(written, report.to_json());
        assert!(
            !report.findings.is_empty(),
            "the fixture has findings to write"
        );

        snapshot.save(&snapshot_path).expect("saved");
        let saved = std::fs::read_to_string(&snapshot_path).expect("read back");
        let rendered = serde_json::to_string_pretty(&snapshot).expect("json") + "\n";
        assert_eq!(saved, rendered);
        // An existing, longer file is truncated, not overwritten in place.
        write_with(Some(&snapshot_path), |out| write_json(out, &report)).expect("written");
        assert_eq!(
            std::fs::read_to_string(&snapshot_path).expect("read"),
            written
        );
    }

    #[test]
    fn an_unwritable_path_names_itself() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("no/such/dir/r.json");
        match write_with(Some(&path), |out| out.write_all(b"{}")) {
            Err(AppError::Output { path: named, .. }) => assert_eq!(named, path),
            other => panic!("expected an output error, got {other:?}"),
        }
    }

    #[test]
    fn auto_colours_a_terminal_only() {
        assert!(options(ColorChoice::Auto, true, &[]).color);
        assert!(!options(ColorChoice::Auto, false, &[]).color);
    }

    #[test]
    fn no_color_wins_over_auto_and_force_but_not_always() {
        assert!(!options(ColorChoice::Auto, true, &[("NO_COLOR", "1")]).color);
        let both = [("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")];
        assert!(!options(ColorChoice::Auto, false, &both).color);
        assert!(options(ColorChoice::Always, false, &[("NO_COLOR", "1")]).color);
        // no-color.org: an empty NO_COLOR is as if unset.
        assert!(options(ColorChoice::Auto, true, &[("NO_COLOR", "")]).color);
    }

    #[test]
    fn clicolor_force_colours_a_pipe_and_never_is_never() {
        assert!(options(ColorChoice::Auto, false, &[("CLICOLOR_FORCE", "1")]).color);
        assert!(!options(ColorChoice::Auto, false, &[("CLICOLOR_FORCE", "0")]).color);
        assert!(!options(ColorChoice::Never, true, &[("CLICOLOR_FORCE", "1")]).color);
        assert!(!options(ColorChoice::Auto, true, &[("CLICOLOR", "0")]).color);
        assert!(!options(ColorChoice::Auto, true, &[("TERM", "dumb")]).color);
    }

    #[test]
    fn compact_unless_a_terminal() {
        assert_eq!(options(ColorChoice::Auto, true, &[]).compact, None);
        assert_eq!(
            options(ColorChoice::Always, false, &[]).compact,
            Some(COMPACT_WIDTH)
        );
    }
}
