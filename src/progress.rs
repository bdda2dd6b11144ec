//! Progress and warnings on stderr; stdout is kept for data.
//!
//! On a terminal, a live display (indicatif): one line per account and region being read, with
//! each service's datasets done, resources found and errors, under a line of totals. Elsewhere
//! (CI logs, pipes), plain lines that stay readable for a whole Organization (1,700
//! account/regions): one per account when all its regions are read, the totals every
//! [`TOTALS_EVERY`], and the slowest account/regions at the end. `--quiet` silences both;
//! warnings always print.

use std::collections::HashMap;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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
    /// What the plain lines summarise.
    summary: Arc<Mutex<Summary>>,
}

/// How often plain lines repeat the totals while reading.
const TOTALS_EVERY: Duration = Duration::from_secs(10);

/// How many of the slowest account/regions the last plain line names.
const SLOWEST_SHOWN: usize = 5;

/// The run so far, for plain lines.
#[derive(Debug)]
struct Summary {
    /// Per account: regions expected, regions read, resources, failed reads, and its slowest
    /// region with its time.
    accounts: HashMap<String, AccountSummary>,
    expected: usize,
    read: usize,
    resources: usize,
    errors: usize,
    /// The slowest account/regions, slowest first.
    slowest: Vec<(Duration, String)>,
    last_totals: Instant,
}

impl Default for Summary {
    fn default() -> Summary {
        Summary {
            accounts: HashMap::new(),
            expected: 0,
            read: 0,
            resources: 0,
            errors: 0,
            slowest: Vec::new(),
            last_totals: Instant::now(),
        }
    }
}

#[derive(Debug, Default)]
struct AccountSummary {
    expected: usize,
    read: usize,
    resources: usize,
    errors: usize,
    slowest: Option<(Duration, String)>,
}

impl Summary {
    fn totals(&self) -> String {
        format!(
            "{}/{} account/regions read, {} resources, {} failed reads",
            self.read, self.expected, self.resources, self.errors
        )
    }

    /// One account/region is read: returns the lines it completes (its account's, the totals).
    fn scope_read(
        &mut self,
        account: &str,
        region: &str,
        took: Duration,
        resources: usize,
        errors: usize,
    ) -> Vec<String> {
        let mut lines = Vec::new();
        self.read += 1;
        self.resources += resources;
        self.errors += errors;
        self.slowest.push((took, format!("{account} {region}")));
        self.slowest.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        self.slowest.truncate(SLOWEST_SHOWN);
        let entry = self.accounts.entry(account.to_owned()).or_default();
        entry.read += 1;
        entry.resources += resources;
        entry.errors += errors;
        if entry.slowest.as_ref().is_none_or(|(t, _)| took > *t) {
            entry.slowest = Some((took, region.to_owned()));
        }
        if entry.read == entry.expected {
            let failed = if entry.errors > 0 {
                format!(", {} failed reads", entry.errors)
            } else {
                String::new()
            };
            let slowest = entry
                .slowest
                .as_ref()
                .map(|(t, r)| format!(" (slowest {r}, {:.1} s)", t.as_secs_f64()))
                .unwrap_or_default();
            lines.push(format!(
                "{account}: {} region(s) read, {} resources{failed}{slowest}",
                entry.read, entry.resources
            ));
        }
        if self.last_totals.elapsed() >= TOTALS_EVERY {
            self.last_totals = Instant::now();
            lines.push(self.totals());
        }
        lines
    }
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
            summary: Arc::default(),
        }
    }

    /// Plain lines on stderr.
    pub fn lines() -> Progress {
        Progress {
            mode: Mode::Lines,
            scopes: Arc::default(),
            summary: Arc::default(),
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
            summary: Arc::default(),
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

    /// `count` regions of `account` will be read.
    pub fn expect_scopes(&self, account: &str, count: usize) {
        match &self.mode {
            Mode::Bars(bars) => bars.total.inc_length(count as u64),
            Mode::Lines => {
                let mut summary = self.summary.lock().unwrap_or_else(PoisonError::into_inner);
                summary.expected += count;
                summary
                    .accounts
                    .entry(account.to_owned())
                    .or_default()
                    .expected += count;
            }
            Mode::Quiet => {}
        }
    }

    /// Starts following the reading of one account and region.
    pub fn scope(&self, account: &str, region: &str) -> ScopeProgress {
        ScopeProgress {
            progress: self.clone(),
            account: account.to_owned(),
            region: region.to_owned(),
            started: Instant::now(),
            label: format!("{account} {region}"),
            bar: Mutex::new(None),
            services: Mutex::new(services()),
        }
    }

    /// Ends the live display, or says the totals and the slowest account/regions.
    pub fn finish(&self) {
        match &self.mode {
            Mode::Bars(bars) => bars.total.finish_and_clear(),
            Mode::Lines => {
                let summary = self.summary.lock().unwrap_or_else(PoisonError::into_inner);
                if summary.read > 1 {
                    let slowest: Vec<String> = summary
                        .slowest
                        .iter()
                        .map(|(took, scope)| format!("{scope} {:.1} s", took.as_secs_f64()))
                        .collect();
                    print(
                        "",
                        format_args!("{}; slowest: {}", summary.totals(), slowest.join(", ")),
                    );
                }
            }
            Mode::Quiet => {}
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
            Event::ScopesExpected { account, count } => self.expect_scopes(&account, count),
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
    for &dataset in Dataset::ALL {
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
    account: String,
    region: String,
    started: Instant,
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
            }
            Err(()) => entry.errors += 1,
        }
        self.progress
            .dataset_done(outcome.unwrap_or_default(), outcome.is_err());
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
        if matches!(self.progress.mode, Mode::Lines) {
            let services = self.services.lock().unwrap_or_else(PoisonError::into_inner);
            let resources = services.iter().map(|s| s.resources).sum();
            let errors = services.iter().map(|s| s.errors).sum();
            drop(services);
            let lines = self
                .progress
                .summary
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .scope_read(
                    &self.account,
                    &self.region,
                    self.started.elapsed(),
                    resources,
                    errors,
                );
            for line in lines {
                print("", format_args!("{line}"));
            }
        }
        let bar = self
            .bar
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        self.progress.scope_done(bar);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_say_each_account_once_and_keep_the_slowest_scopes() {
        let mut summary = Summary::default();
        for (account, regions) in [("111111111111", 3), ("222222222222", 2)] {
            summary.expected += regions;
            summary
                .accounts
                .entry(account.to_owned())
                .or_default()
                .expected = regions;
        }
        let ms = Duration::from_millis;
        // Nothing until an account's last region is read.
        assert!(
            summary
                .scope_read("111111111111", "eu-west-1", ms(300), 4, 0)
                .is_empty()
        );
        assert!(
            summary
                .scope_read("222222222222", "eu-west-1", ms(100), 0, 1)
                .is_empty()
        );
        assert!(
            summary
                .scope_read("111111111111", "us-east-1", ms(900), 2, 0)
                .is_empty()
        );
        assert_eq!(
            summary.scope_read("111111111111", "us-west-2", ms(200), 0, 0),
            ["111111111111: 3 region(s) read, 6 resources (slowest us-east-1, 0.9 s)"]
        );
        assert_eq!(
            summary.scope_read("222222222222", "us-east-1", ms(50), 1, 0),
            [
                "222222222222: 2 region(s) read, 1 resources, 1 failed reads (slowest eu-west-1, 0.1 s)"
            ]
        );
        assert_eq!(
            summary.totals(),
            "5/5 account/regions read, 7 resources, 1 failed reads"
        );
        // The slowest first, at most SLOWEST_SHOWN of them.
        assert_eq!(summary.slowest.len(), SLOWEST_SHOWN);
        assert_eq!(summary.slowest[0].1, "111111111111 us-east-1");
        for _ in 0..20 {
            summary.scope_read("333333333333", "eu-north-1", ms(1), 0, 0);
        }
        assert_eq!(summary.slowest.len(), SLOWEST_SHOWN);
        assert_eq!(summary.slowest[0].1, "111111111111 us-east-1");
    }
}
