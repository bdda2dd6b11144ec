//! The `vpcaudit` command: parses arguments and hands them to the library.

/// mimalloc, not the system allocator: about 30% of a scan's CPU is allocation in the AWS SDK's
/// request pipeline (issue 17's profile), and the release binaries link musl, whose allocator
/// is slow when many threads allocate.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use vpcaudit::app::{
    self, AppError, CollectOptions, ColorChoice, DiagramFormat, DiagramOptions, ExitStatus,
    ExtraOutput, Format, ReachOptions, ScanOptions,
};
use vpcaudit_collect::AwsOptions;
use vpcaudit_core::finding::Severity;
use vpcaudit_core::report::sarif::SarifOptions;

/// Audit live AWS accounts against a proven VPC network architecture.
#[derive(Parser)]
#[command(name = "vpcaudit", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read an account (or a snapshot) and report where it breaks the architecture.
    ///
    /// Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 bad usage or input,
    /// 3 incomplete scan (some data could not be read, or a --security-hub import failed).
    Scan(Box<ScanArgs>),
    /// Read an account's inventory into a snapshot file, without running rules.
    Collect(CollectArgs),
    /// List the rules, or explain one.
    Rules(RulesArgs),
    /// Write a commented default configuration file (vpcaudit.toml).
    Init(InitArgs),
    /// Draw each VPC: zones, subnet tiers, gateways, workloads, security-group edges and
    /// the findings of a scan on them.
    Diagram(DiagramArgs),
    /// Every internet path into a resource (instance, interface, load balancer, database,
    /// function, ECS service: id, name, ARN or Name tag) and its way out, per subnet.
    ///
    /// Exit codes: 0 answered, 2 bad usage or input (unknown or ambiguous resource),
    /// 3 answered from an incomplete inventory (some data could not be read).
    Reach(ReachArgs),
    /// Print the IAM policy vpcaudit needs (JSON): read-only calls for every audited account,
    /// and the calls that reach other accounts (sts:AssumeRole, organizations:ListAccounts)
    IamPolicy(IamPolicyArgs),
    /// Print a shell completion script, e.g. `vpcaudit completions bash >
    /// ~/.local/share/bash-completion/completions/vpcaudit`
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff): vpcaudit(1), or a subcommand's, e.g. `vpcaudit man scan`
    /// for vpcaudit-scan(1); or write them all with `--dir`
    Man(ManArgs),
}

#[derive(Args)]
struct ManArgs {
    /// The subcommand whose page to print, e.g. `scan` or `rules explain` (default: the
    /// page of vpcaudit itself, which lists the subcommands)
    #[arg(value_name = "SUBCOMMAND", conflicts_with = "dir")]
    subcommand: Vec<String>,
    /// Write vpcaudit.1 and one page per subcommand (vpcaudit-scan.1, …) into DIR, e.g.
    /// `vpcaudit man --dir ~/.local/share/man/man1`
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct IamPolicyArgs {
    /// Only the read-only statement: enough for a one-account scan and for the roles that
    /// --role-arn and --org assume
    #[arg(long)]
    read_only: bool,
    /// Only the optional statement of `scan --security-hub` (securityhub:BatchImportFindings
    /// and securityhub:GetFindings), which is not part of the read-only policy
    #[arg(long, conflicts_with = "read_only")]
    security_hub: bool,
}

#[derive(Args)]
struct ReachArgs {
    /// The resource: an id (i-…, eni-…, subnet-…, a DB identifier), an ARN, a load balancer,
    /// function or ECS service name, or an instance's or interface's Name tag
    #[arg(value_name = "RESOURCE")]
    resource: String,
    #[command(flatten)]
    input: InputArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Write to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print no progress on stderr (warnings still print)
    #[arg(short, long)]
    quiet: bool,
}

/// Where the inventory comes from: a live account (the AWS options) or a snapshot file.
#[derive(Args)]
struct InputArgs {
    #[command(flatten)]
    aws: AwsArgs,
    /// Read a snapshot written by `vpcaudit collect` instead of a live account
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "profile", "region", "all_regions", "endpoint_url", "role_arn", "org", "time_limit",
    ])]
    snapshot: Option<PathBuf>,
}

#[derive(Args)]
struct DiagramArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Mermaid (raw for one diagram, Markdown with a block per diagram for several),
    /// Graphviz DOT, or SVG drawn by vpcaudit
    #[arg(long, value_enum, default_value_t = DiagramFormatArg::Mermaid)]
    format: DiagramFormatArg,
    /// Only this VPC
    #[arg(long, value_name = "ID")]
    vpc: Option<String>,
    /// Write to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Configuration file [default: ./vpcaudit.toml when it exists]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print no progress on stderr (warnings still print)
    #[arg(short, long)]
    quiet: bool,
}

/// Formats of `diagram`.
#[derive(Clone, Copy, ValueEnum)]
enum DiagramFormatArg {
    Mermaid,
    Dot,
    Svg,
}

impl From<DiagramFormatArg> for DiagramFormat {
    fn from(format: DiagramFormatArg) -> DiagramFormat {
        match format {
            DiagramFormatArg::Mermaid => DiagramFormat::Mermaid,
            DiagramFormatArg::Dot => DiagramFormat::Dot,
            DiagramFormatArg::Svg => DiagramFormat::Svg,
        }
    }
}

#[derive(Args)]
struct AwsArgs {
    /// Named profile from the AWS config files [default: $AWS_PROFILE]
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Region to read; repeat (or separate with commas) for several [default: $AWS_REGION,
    /// else the profile's region]
    #[arg(long, value_name = "REGION", value_delimiter = ',')]
    region: Vec<String>,
    /// Read every region enabled in each account (ec2:DescribeRegions)
    #[arg(long, conflicts_with = "region")]
    all_regions: bool,
    /// Send AWS API calls to this endpoint (an emulator, a proxy) [default: $AWS_ENDPOINT_URL]
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Assume this role and read its account; repeat for several. Alone, only these accounts
    /// are read, not the caller's
    #[arg(long, value_name = "ARN")]
    role_arn: Vec<String>,
    /// Read every active account of the AWS Organization, through --role-name in each
    /// (the caller's own account with its own credentials)
    #[arg(long, requires = "role_name")]
    org: bool,
    /// The role to assume in each Organization account, e.g. OrganizationAccountAccessRole
    #[arg(long, value_name = "NAME", requires = "org")]
    role_name: Option<String>,
    /// External id to pass when assuming roles
    #[arg(long, value_name = "ID")]
    external_id: Option<String>,
    /// API calls in flight at once per account, region and service
    #[arg(long, value_name = "N", default_value_t = vpcaudit_collect::DEFAULT_MAX_CONCURRENCY,
          value_parser = parse_concurrency)]
    max_concurrency: usize,
    /// API calls in flight at once over the whole run [default: half the open-files limit, at
    /// most 512]
    #[arg(long, value_name = "N", value_parser = parse_in_flight)]
    max_in_flight: Option<usize>,
    /// Stop reading after SECONDS; what is not read by then is reported as not read (exit 3)
    #[arg(long, value_name = "SECONDS", value_parser = parse_time_limit)]
    time_limit: Option<std::time::Duration>,
    /// Seconds one API call attempt may wait for its answer before it is retried [default: 30]
    #[arg(long, value_name = "SECONDS", value_parser = parse_read_timeout)]
    read_timeout: Option<std::time::Duration>,
}

impl AwsArgs {
    fn into_options(self) -> AwsOptions {
        let deadline = self
            .time_limit
            .map(|limit| tokio::time::Instant::now() + limit);
        AwsOptions {
            profile: self.profile,
            regions: self.region,
            all_regions: self.all_regions,
            endpoint_url: self.endpoint_url,
            role_arns: self.role_arn,
            organization_role: if self.org { self.role_name } else { None },
            external_id: self.external_id,
            max_concurrency: self.max_concurrency,
            max_in_flight: self.max_in_flight.unwrap_or(0),
            deadline,
            read_timeout: self.read_timeout,
        }
    }
}

/// The longest time limit accepted: a week is already no limit for a scan.
const MAX_TIME_LIMIT_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// A finite number of seconds from 0 (already spent) up (fractions allowed). `-5`, `nan` and
/// `inf` are usage errors, not a silent "no time at all" or "no limit".
fn parse_time_limit(value: &str) -> Result<std::time::Duration, String> {
    let expected =
        || format!("expected a number of seconds from 0 to {MAX_TIME_LIMIT_SECONDS}, e.g. 300");
    let seconds: f64 = value.trim().parse().map_err(|_| expected())?;
    if !(0.0..=MAX_TIME_LIMIT_SECONDS).contains(&seconds) {
        return Err(expected());
    }
    std::time::Duration::try_from_secs_f64(seconds).map_err(|_| expected())
}

/// A read timeout: more than 0 (a zero timeout fails every call), at most an hour.
fn parse_read_timeout(value: &str) -> Result<std::time::Duration, String> {
    let expected = || "expected a number of seconds above 0, at most 3600, e.g. 30".to_owned();
    let seconds: f64 = value.trim().parse().map_err(|_| expected())?;
    if !(seconds > 0.0 && seconds <= 3600.0) {
        return Err(expected());
    }
    std::time::Duration::try_from_secs_f64(seconds).map_err(|_| expected())
}

fn parse_concurrency(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if (1..=vpcaudit_collect::MAX_CONCURRENCY_BOUND).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number from 1 to {}",
            vpcaudit_collect::MAX_CONCURRENCY_BOUND
        )),
    }
}

fn parse_in_flight(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a number of calls, 1 or more".to_owned()),
    }
}

#[derive(Args)]
struct ScanArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Write the report to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write the report as SARIF 2.1.0 (GitHub code scanning) to FILE
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,
    /// Also write the report as JSON to FILE
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Also write the report as Markdown to FILE
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Also write the report as one self-contained HTML file (diagrams included) to FILE
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Also write the findings as OCSF Detection Finding records (JSON) to FILE
    #[arg(long, value_name = "FILE")]
    ocsf: Option<PathBuf>,
    /// Colour severities in the table: auto colours a terminal unless NO_COLOR is set
    /// (CLICOLOR_FORCE colours anywhere)
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// SARIF automation id, GitHub's analysis category [default: vpcaudit/ACCOUNT/REGIONS/]
    #[arg(long, value_name = "ID")]
    sarif_category: Option<String>,
    /// Exit 1 when a finding is at least this severe (`none`: never)
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = parse_fail_on)]
    fail_on: FailOn,
    /// Configuration file [default: ./vpcaudit.toml when it exists]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Report only findings that are not in this earlier JSON report
    #[arg(long, value_name = "REPORT.json")]
    baseline: Option<PathBuf>,
    /// Print no progress on stderr (warnings still print)
    #[arg(short, long)]
    quiet: bool,
    /// Audit a CloudFormation or SAM template (YAML or JSON) before deploy instead of an
    /// account; repeatable. Findings are located at the template's lines
    #[arg(long = "template", value_name = "FILE", conflicts_with_all = [
        "snapshot", "profile", "region", "all_regions", "endpoint_url", "role_arn", "org", "time_limit",
    ])]
    templates: Vec<PathBuf>,
    /// A template parameter's value (also AWS::Region, AWS::AccountId); repeatable
    #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = parse_parameter, requires = "templates")]
    parameters: Vec<(String, String)>,
    /// Templates that created the audited resources (files or directories; repeatable):
    /// findings on resources a stack created are located at the template line that declares
    /// them. Default: template.yaml, *.template.{yaml,yml,json} and cdk.out/*.template.json
    /// under the working directory
    #[arg(long = "templates", value_name = "PATH", conflicts_with = "templates")]
    source_templates: Vec<PathBuf>,
    /// The template of a stack whose name is not the template file's name; repeatable
    #[arg(long = "stack", value_name = "STACK=FILE", value_parser = parse_parameter)]
    stacks: Vec<(String, String)>,
    /// After the reports are written, import the findings into Security Hub of the scanned
    /// account, per region (BatchImportFindings: vpcaudit's only write call; re-imports
    /// update, resolved findings are archived). The caller's account only: not with
    /// --role-arn or --org. Needs a build with the `security-hub` feature
    #[arg(long, conflicts_with_all = [
        "snapshot", "templates", "role_arn", "org", "baseline",
    ])]
    security_hub: bool,
}

fn parse_parameter(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("`{value}` is not KEY=VALUE")),
    }
}

#[derive(Args)]
struct InitArgs {
    /// Where to write it
    #[arg(default_value = "vpcaudit.toml")]
    path: PathBuf,
    /// Overwrite an existing file
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct CollectArgs {
    #[command(flatten)]
    aws: AwsArgs,
    /// Write the snapshot to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print no progress on stderr (warnings still print)
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct RulesArgs {
    #[command(subcommand)]
    command: Option<RulesCommand>,
    /// Output format of the list
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Print a rule's documentation: what it checks, why, an example and the fix
    Explain {
        /// Rule id, e.g. SG001
        id: String,
    },
}

/// Formats of `scan`.
#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    /// A table for people
    Table,
    /// The JSON report (the contract in the README)
    Json,
    /// SARIF 2.1.0, for GitHub code scanning
    Sarif,
    /// GitHub-flavoured Markdown, for $GITHUB_STEP_SUMMARY and pull request comments
    Markdown,
    /// One self-contained HTML file with the diagrams
    Html,
    /// OCSF Detection Finding records (class 2004), for Security Hub, Security Lake and SIEMs
    Ocsf,
}

/// `--color`.
#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

impl From<ColorArg> for ColorChoice {
    fn from(color: ColorArg) -> ColorChoice {
        match color {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }
}

impl From<ReportFormat> for Format {
    fn from(format: ReportFormat) -> Format {
        match format {
            ReportFormat::Table => Format::Table,
            ReportFormat::Json => Format::Json,
            ReportFormat::Sarif => Format::Sarif,
            ReportFormat::Markdown => Format::Markdown,
            ReportFormat::Html => Format::Html,
            ReportFormat::Ocsf => Format::Ocsf,
        }
    }
}

/// Formats of `rules`.
#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Table,
    Json,
}

impl From<OutputFormat> for Format {
    fn from(format: OutputFormat) -> Format {
        match format {
            OutputFormat::Table => Format::Table,
            OutputFormat::Json => Format::Json,
        }
    }
}

#[derive(Clone, Copy)]
struct FailOn(Option<Severity>);

fn parse_fail_on(value: &str) -> Result<FailOn, String> {
    if value.eq_ignore_ascii_case("none") {
        return Ok(FailOn(None));
    }
    value.parse().map(|s| FailOn(Some(s)))
}

/// Keeps the peak memory of a large scan near what it uses. mimalloc's defaults hold freed
/// memory for a second before returning it (`purge_delay` 1000 ms), and back its heap with
/// transparent huge pages, each resident whole once touched. Over an Organization scan, whose
/// requests allocate and free continuously, that was a third of the peak RSS (148 MB -> 90-95
/// MB at 101 accounts x 17 regions, `scripts/bench-org.sh`), for no measurable CPU.
/// `MIMALLOC_PURGE_DELAY` still wins when set.
fn tune_allocator() {
    // mimalloc v3's option numbers (include/mimalloc.h, `mi_option_e`); each is set only if it
    // still has v3's default, so a different mimalloc, or the user's environment, is left alone.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    const PURGE_DELAY_DEFAULT_MS: std::ffi::c_long = 1000;
    const PURGE_DELAY_MS: std::ffi::c_long = 10;
    // SAFETY: reading and setting an option is thread-safe in mimalloc and takes plain values.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) == PURGE_DELAY_DEFAULT_MS {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
    // For the whole process, retroactively, whatever the system's THP mode: what mimalloc's
    // `allow_thp=0` does, but that only acts at its own initialisation, before main.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integers and only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => {
            let args = *args;
            let extra_outputs = [
                (Format::Sarif, args.sarif),
                (Format::Json, args.json),
                (Format::Markdown, args.markdown),
                (Format::Html, args.html),
                (Format::Ocsf, args.ocsf),
            ]
            .into_iter()
            .filter_map(|(format, path)| path.map(|path| ExtraOutput { format, path }))
            .collect();
            run_async(app::scan(&ScanOptions {
                aws: args.input.aws.into_options(),
                snapshot: args.input.snapshot,
                format: args.format.into(),
                output: args.output,
                extra_outputs,
                sarif: SarifOptions {
                    category: args.sarif_category,
                },
                color: args.color.into(),
                fail_on: args.fail_on.0,
                config: args.config,
                baseline: args.baseline,
                quiet: args.quiet,
                templates: args.templates,
                parameters: args.parameters.into_iter().collect(),
                source_templates: args.source_templates,
                stacks: args
                    .stacks
                    .into_iter()
                    .map(|(stack, file)| (stack, PathBuf::from(file)))
                    .collect(),
                security_hub: args.security_hub,
            }))
        }
        Command::Init(args) => app::init(Some(&args.path), args.force),
        Command::Collect(args) => run_async(app::collect(&CollectOptions {
            aws: args.aws.into_options(),
            output: args.output,
            quiet: args.quiet,
        })),
        Command::Diagram(args) => run_async(app::diagram(&DiagramOptions {
            aws: args.input.aws.into_options(),
            snapshot: args.input.snapshot,
            format: args.format.into(),
            vpc: args.vpc,
            output: args.output,
            config: args.config,
            quiet: args.quiet,
        })),
        Command::Reach(args) => run_async(app::reach(&ReachOptions {
            aws: args.input.aws.into_options(),
            snapshot: args.input.snapshot,
            resource: args.resource,
            format: args.format.into(),
            output: args.output,
            quiet: args.quiet,
        })),
        Command::IamPolicy(args) => app::write_output(
            None,
            &format!(
                "{}\n",
                if args.security_hub {
                    vpcaudit_core::report::asff::iam_policy()
                } else {
                    vpcaudit_core::snapshot::iam_policy(!args.read_only)
                }
            ),
        )
        .map(|()| ExitStatus::Clean),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "vpcaudit", &mut script);
            app::write_output(None, &String::from_utf8_lossy(&script)).map(|()| ExitStatus::Clean)
        }
        Command::Man(args) => man(&args),
        Command::Rules(args) => match args.command {
            None => app::write_output(None, &app::list_rules(args.format.into()))
                .map(|()| ExitStatus::Clean),
            Some(RulesCommand::Explain { id }) => app::explain_rule(&id)
                .and_then(|text| app::write_output(None, &text))
                .map(|()| ExitStatus::Clean),
        },
    };
    let status = result.unwrap_or_else(|error| {
        // Errors quote files and AWS answers: print them inert.
        eprintln!(
            "vpcaudit: error: {}",
            vpcaudit_core::inert::inert_lines(&error.to_string())
        );
        error.exit_status()
    });
    // Exit codes are 0..=3, always representable.
    ExitCode::from(u8::try_from(status.code()).unwrap_or(2))
}

/// `vpcaudit man`: the pages clap_mangen renders from the clap definitions. Subcommand pages
/// are named as man(1) looks them up: `vpcaudit-scan`, `vpcaudit-rules-explain`.
fn man(args: &ManArgs) -> Result<ExitStatus, AppError> {
    let mut command = Cli::command().disable_help_subcommand(true);
    // Building sets each subcommand's display name (`vpcaudit-scan`), the page title.
    command.build();
    if let Some(dir) = &args.dir {
        return clap_mangen::generate_to(command, dir)
            .map(|()| ExitStatus::Clean)
            .map_err(|source| AppError::Output {
                path: dir.clone(),
                source,
            });
    }
    let mut page_of = &command;
    for name in &args.subcommand {
        page_of = match page_of.find_subcommand(name) {
            Some(subcommand) => subcommand,
            None => {
                let known: Vec<&str> = page_of.get_subcommands().map(|c| c.get_name()).collect();
                let message = format!(
                    "`{}` has no subcommand `{}`; it has: {}",
                    page_of.get_display_name().unwrap_or(page_of.get_name()),
                    vpcaudit_core::inert::inert_lines(name),
                    known.join(", ")
                );
                Cli::command()
                    .error(clap::error::ErrorKind::InvalidSubcommand, message)
                    .exit()
            }
        };
    }
    let mut page = Vec::new();
    // Rendering into memory cannot fail but for a bug in the generator.
    match clap_mangen::Man::new(page_of.clone()).render(&mut page) {
        Ok(()) => {
            app::write_output(None, &String::from_utf8_lossy(&page)).map(|()| ExitStatus::Clean)
        }
        Err(source) => Err(AppError::Output {
            path: PathBuf::from("<man page>"),
            source,
        }),
    }
}

fn run_async<F>(future: F) -> Result<ExitStatus, AppError>
where
    F: std::future::Future<Output = Result<ExitStatus, AppError>>,
{
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(future),
        Err(error) => {
            eprintln!("vpcaudit: error: cannot start the async runtime: {error}");
            Ok(ExitStatus::Usage)
        }
    }
}
