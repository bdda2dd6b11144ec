//! Progress and warnings on stderr; stdout is kept for data.
//!
//! On a terminal, a live display (indicatif): one line per account and region being read, with
//! each service's datasets done, resources found and errors, under a line of totals. Elsewhere
//! (CI logs, pipes), plain lines: one per service of each account and region when it is read.
//! `--quiet` silences both; warnings always print.

use std::collections::HashMap;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use vpcaudit_collect::{Event, Observer};
use vpcaudit_core::inert::inert;
use vpcaudit_core::snapshot::Dataset;

/// Where collection progress goes.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    mode: Mode,
    /// The account/regions being read, by (account, region).
    scopes: Arc<Mutex<HashMap<(String, String), ScopeProgress>>>,
}

#[derive(Debug, Clone, Default)]
enum Mode {
    /// `--quiet`: warnings only.
    Quiet,
    /// Plain lines, for logs.
    #[default]
    Lines,
    /// A live display on a terminal.
    Bars(Arc<Bars>),
}

#[derive(Debug)]
struct Bars {
    multi: MultiProgress,
    /// Totals: scopes read of scopes started, resources, errors.
    total: ProgressBar,
    totals: Mutex<Totals>,
}

#[derive(Debug, Default)]
struct Totals {
    resources: usize,
    errors: usize,
    /// Scope lines on screen (at most [`VISIBLE_SCOPES`]; the others count in the totals).
    visible: usize,
}

/// Account/region lines shown at once: a whole Organization's would not fit on a screen.
const VISIBLE_SCOPES: usize = 12;

impl Progress {
    /// Progress for this process: silent with `quiet`, a live display when stderr is a
    /// terminal, plain lines otherwise.
    pub fn new(quiet: bool) -> Progress {
        let stderr = std::io::stderr();
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        if quiet {
            Progress::quiet()
        } else if stderr.is_terminal() && !dumb {
            Progress::bars()
        } else {
            Progress::lines()
        }
    }

    /// Warnings only.
    pub fn quiet() -> Progress {
        Progress {
            mode: Mode::Quiet,
            scopes: Arc::default(),
        }
    }

    /// Plain lines on stderr.
    pub fn lines() -> Progress {
        Progress {
            mode: Mode::Lines,
            scopes: Arc::default(),
        }
    }

    /// The live display on stderr.
    fn bars() -> Progress {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let total = multi.add(ProgressBar::new(0));
        total.set_style(
            ProgressStyle::with_template(
                "{spinner} {elapsed:>4} {pos}/{len} account/regions read · {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        total.set_message("starting");
        total.enable_steady_tick(Duration::from_millis(120));
        Progress {
            mode: Mode::Bars(Arc::new(Bars {
                multi,
                total,
                totals: Mutex::new(Totals::default()),
            })),
            scopes: Arc::default(),
        }
    }

    pub fn info(&self, message: fmt::Arguments<'_>) {
        match &self.mode {
            Mode::Quiet => {}
            Mode::Lines => print("", message),
            Mode::Bars(bars) => {
                let _ = bars
                    .multi
                    .println(format!("vpcaudit: {}", inert(&message.to_string())));
            }
        }
    }

    pub fn warn(&self, message: fmt::Arguments<'_>) {
        match &self.mode {
            Mode::Bars(bars) => {
                let _ = bars.multi.println(format!(
                    "vpcaudit: warning: {}",
                    inert(&message.to_string())
                ));
            }
            Mode::Quiet | Mode::Lines => print("warning: ", message),
        }
    }

    /// `count` more account/regions will be read.
    pub fn expect_scopes(&self, count: usize) {
        if let Mode::Bars(bars) = &self.mode {
            bars.total.inc_length(count as u64);
        }
    }

    /// Starts following the reading of one account and region.
    pub fn scope(&self, account: &str, region: &str) -> ScopeProgress {
        ScopeProgress {
            progress: self.clone(),
            label: format!("{account} {region}"),
            bar: Mutex::new(None),
            services: Mutex::new(services()),
        }
    }

    /// Ends the live display.
    pub fn finish(&self) {
        if let Mode::Bars(bars) = &self.mode {
            bars.total.finish_and_clear();
        }
    }

    /// A dataset was read somewhere: the totals line counts it.
    fn dataset_done(&self, resources: usize, failed: bool) {
        if let Mode::Bars(bars) = &self.mode {
            let mut totals = bars.totals.lock().unwrap_or_else(PoisonError::into_inner);
            totals.resources += resources;
            totals.errors += usize::from(failed);
            bars.total.set_message(format!(
                "{} resources, {} failed reads",
                totals.resources, totals.errors
            ));
        }
    }

    /// A line for a scope, unless the screen already shows [`VISIBLE_SCOPES`] of them.
    fn scope_bar(&self, label: &str) -> Option<ProgressBar> {
        let Mode::Bars(bars) = &self.mode else {
            return None;
        };
        let mut totals = bars.totals.lock().unwrap_or_else(PoisonError::into_inner);
        if totals.visible >= VISIBLE_SCOPES {
            return None;
        }
        totals.visible += 1;
        let bar = bars.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("  {spinner} {prefix} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        Some(bar)
    }

    fn scope_done(&self, bar: Option<ProgressBar>) {
        if let Mode::Bars(bars) = &self.mode {
            if let Some(bar) = bar {
                bar.finish_and_clear();
                bars.multi.remove(&bar);
                let mut totals = bars.totals.lock().unwrap_or_else(PoisonError::into_inner);
                totals.visible = totals.visible.saturating_sub(1);
            }
            bars.total.inc(1);
        }
    }
}

impl Observer for Progress {
    fn on_event(&self, event: Event) {
        let mut scopes = self.scopes.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            Event::Info(message) => self.info(format_args!("{message}")),
            Event::Warning(message) => self.warn(format_args!("{message}")),
            Event::ScopesExpected(count) => self.expect_scopes(count),
            Event::ScopeStarted { account, region } => {
                let scope = self.scope(&account, &region);
                scopes.insert((account, region), scope);
            }
            Event::DatasetRead {
                account,
                region,
                dataset,
                outcome,
            } => {
                if let Some(scope) = scopes.get(&(account, region)) {
                    scope.dataset_done(dataset, outcome);
                }
            }
            Event::ScopeFinished { account, region } => {
                if let Some(scope) = scopes.remove(&(account, region)) {
                    scope.finish();
                }
            }
            Event::Finished => self.finish(),
        }
    }
}

fn print(prefix: &str, message: fmt::Arguments<'_>) {
    // Progress is best effort: a closed stderr must not stop the audit.
    // Messages quote AWS (error messages, names): one inert line each.
    let _ = writeln!(
        std::io::stderr().lock(),
        "vpcaudit: {prefix}{}",
        inert(&message.to_string())
    );
}

/// One entry per service that lists datasets, in the order of [`Dataset::ALL`].
fn services() -> Vec<ServiceProgress> {
    let mut services: Vec<ServiceProgress> = Vec::new();
    for dataset in Dataset::ALL {
        let (service, _) = dataset.api_call();
        match services.iter_mut().find(|s| s.service == service) {
            Some(entry) => entry.expected += 1,
            None => services.push(ServiceProgress {
                service,
                expected: 1,
                ..ServiceProgress::default()
            }),
        }
    }
    services
}

#[derive(Debug, Default)]
struct ServiceProgress {
    service: &'static str,
    expected: usize,
    done: usize,
    resources: usize,
    errors: usize,
    /// (dataset, resources) as they finish, for the plain line.
    counts: Vec<(Dataset, usize)>,
}

impl ServiceProgress {
    fn summary(&self) -> String {
        format!(
            "{} {}/{} {}{}",
            self.service,
            self.done,
            self.expected,
            self.resources,
            if self.errors > 0 {
                format!(" ({} failed)", self.errors)
            } else {
                String::new()
            }
        )
    }
}

/// The reading of one account and region, as it goes.
#[derive(Debug)]
pub struct ScopeProgress {
    progress: Progress,
    label: String,
    /// Its line on the live display, from its first dataset on (when there is room).
    bar: Mutex<Option<ProgressBar>>,
    services: Mutex<Vec<ServiceProgress>>,
}

impl ScopeProgress {
    /// One dataset was read (`Ok(resources)`) or could not be.
    pub fn dataset_done(&self, dataset: Dataset, outcome: Result<usize, ()>) {
        let (service, _) = dataset.api_call();
        let mut services = self.services.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = services.iter_mut().find(|s| s.service == service) else {
            return;
        };
        entry.done += 1;
        match outcome {
            Ok(count) => {
                entry.resources += count;
                entry.counts.push((dataset, count));
            }
            Err(()) => entry.errors += 1,
        }
        self.progress
            .dataset_done(outcome.unwrap_or_default(), outcome.is_err());
        if matches!(self.progress.mode, Mode::Lines) && entry.done == entry.expected {
            entry.counts.sort();
            let counts: Vec<String> = entry
                .counts
                .iter()
                .map(|(d, n)| format!("{n} {}", dataset_noun(*d)))
                .collect();
            let failed = if entry.errors > 0 {
                format!("; {} dataset(s) failed", entry.errors)
            } else {
                String::new()
            };
            print(
                "",
                format_args!(
                    "{} {service}: {}{failed}",
                    self.label,
                    if counts.is_empty() {
                        "nothing read".to_owned()
                    } else {
                        counts.join(", ")
                    }
                ),
            );
        }
        let mut bar = self.bar.lock().unwrap_or_else(PoisonError::into_inner);
        if bar.is_none() {
            *bar = self.progress.scope_bar(&self.label);
        }
        if let Some(bar) = bar.as_ref() {
            let line: Vec<String> = services.iter().map(ServiceProgress::summary).collect();
            bar.set_message(line.join(" · "));
        }
    }

    /// The account and region are read.
    pub fn finish(self) {
        let bar = self
            .bar
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        self.progress.scope_done(bar);
    }
}

/// How a dataset's resources are called in progress lines.
fn dataset_noun(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::Vpcs => "VPCs",
        Dataset::Subnets => "subnets",
        Dataset::RouteTables => "route tables",
        Dataset::InternetGateways => "internet gateways",
        Dataset::NatGateways => "NAT gateways",
        Dataset::NetworkAcls => "network ACLs",
        Dataset::SecurityGroups => "security groups",
        Dataset::NetworkInterfaces => "interfaces",
        Dataset::Instances => "instances",
        Dataset::FlowLogs => "flow logs",
        Dataset::DbInstances => "DB instances",
        Dataset::DbClusters => "DB clusters",
        Dataset::DbSubnetGroups => "DB subnet groups",
        Dataset::LambdaFunctions => "functions",
        Dataset::RestApiStages => "REST API stages",
        Dataset::HttpApiStages => "HTTP API stages",
    }
}
