//! `vpcaudit.toml`: read with positions, checked against the rule catalog. Unknown keys and
//! unknown rule ids are errors that name the file, line and column, never silently ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use super::{CLOUDFLARE_RANGES, Edge, Settings, parse_ranges};
use crate::finding::{Principle, Severity};
use crate::rules::{self, RuleMetadata};

/// The file looked for in the working directory when `--config` is not given.
pub const CONFIG_FILE_NAME: &str = "vpcaudit.toml";

/// The loaded configuration: settings, which rules run, and suppressions.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from (None: built-in defaults).
    pub path: Option<PathBuf>,
    pub settings: Settings,
    pub rules: RuleSelection,
    pub suppressions: Vec<SuppressionRule>,
    /// `[templates]`: where the templates of deployed stacks are.
    pub templates: TemplateSources,
}

/// `[templates]`: the templates that declare the resources of deployed stacks, so live findings
/// land at their lines. Paths are relative to the configuration file's folder. Command-line
/// flags win: `--templates` replaces `paths`, `--stack` replaces one stack's entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateSources {
    /// Template files or folders to search (`--templates`); empty: discover under the working
    /// directory.
    pub paths: Vec<PathBuf>,
    /// Stack name → its template, where the names differ (`--stack STACK=FILE`).
    pub stacks: BTreeMap<String, PathBuf>,
}

impl TemplateSources {
    /// These sources with the command line's on top: `paths`, when any, replace the
    /// configured ones; each of `stacks` replaces that stack's entry.
    pub fn overridden(&self, paths: &[PathBuf], stacks: &BTreeMap<String, PathBuf>) -> Self {
        let mut merged = self.clone();
        if !paths.is_empty() {
            merged.paths = paths.to_vec();
        }
        merged
            .stacks
            .extend(stacks.iter().map(|(k, v)| (k.clone(), v.clone())));
        merged
    }

    /// Whether anything names templates (else they are discovered).
    pub fn is_given(&self) -> bool {
        !self.paths.is_empty() || !self.stacks.is_empty()
    }
}

/// Which rules run, and at which severity.
#[derive(Debug, Clone, Default)]
pub struct RuleSelection {
    pub disabled: BTreeSet<String>,
    pub disabled_principles: BTreeSet<Principle>,
    pub severity: BTreeMap<String, Severity>,
}

impl RuleSelection {
    pub fn is_enabled(&self, meta: &RuleMetadata) -> bool {
        !self.disabled.contains(&meta.id) && !self.disabled_principles.contains(&meta.principle)
    }

    /// The configured severity of a rule's findings, if overridden.
    pub fn severity_of(&self, rule_id: &str) -> Option<Severity> {
        self.severity.get(rule_id).copied()
    }
}

/// One `[[suppress]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionRule {
    /// A rule id, or `*` for every rule.
    pub rule: String,
    /// A resource id, ARN or name, or a glob over them (`sg-0abc*`).
    pub resource: Option<String>,
    /// Tags the resource must all carry.
    pub tags: BTreeMap<String, String>,
    pub reason: String,
    /// The last day it applies.
    pub expires: Option<NaiveDate>,
    /// `vpcaudit.toml:12`, for reports.
    pub source: String,
}

/// Why a configuration could not be used. Names the file, and the line and column.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}", path = path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}", path = path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}", path = path.display())]
    EdgeRanges { path: PathBuf, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    suppress: Vec<Spanned<RawSuppression>>,
    #[serde(default)]
    templates: RawTemplates,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawTemplates {
    paths: Vec<Spanned<String>>,
    stacks: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawRules {
    disable: Vec<Spanned<String>>,
    disable_principles: Vec<Spanned<String>>,
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppression {
    rule: Spanned<String>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    reason: Spanned<String>,
    #[serde(default)]
    expires: Option<Spanned<toml::Value>>,
}

impl Config {
    /// Loads `explicit`, else `vpcaudit.toml` in the working directory when there is one,
    /// else the defaults.
    pub fn discover(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        match explicit {
            Some(path) => Config::load(path),
            None => {
                let path = Path::new(CONFIG_FILE_NAME);
                if path.is_file() {
                    Config::load(path)
                } else {
                    Ok(Config::default())
                }
            }
        }
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses configuration text; `path` names the input in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let at = |offset: usize, message: String| {
            let (line, column) = line_column(text, offset);
            ConfigError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            at(offset, e.message().trim().to_owned())
        })?;

        let known_rule = |id: &Spanned<String>, allow_wildcard: bool| {
            let value = id.get_ref();
            if allow_wildcard && value == "*" {
                return Ok(value.clone());
            }
            rules::find(value)
                .map(|r| r.meta.id.clone())
                .ok_or_else(|| {
                    at(
                        id.span().start,
                        format!("unknown rule `{value}` (`vpcaudit rules` lists them)"),
                    )
                })
        };

        let mut selection = RuleSelection::default();
        for id in &raw.rules.disable {
            selection.disabled.insert(known_rule(id, false)?);
        }
        for slug in &raw.rules.disable_principles {
            let principle = slug
                .get_ref()
                .parse()
                .map_err(|e: String| at(slug.span().start, e))?;
            selection.disabled_principles.insert(principle);
        }
        for (id, severity) in &raw.rules.severity {
            let id = known_rule(id, false)?;
            let severity = severity
                .get_ref()
                .parse()
                .map_err(|e: String| at(severity.span().start, e))?;
            selection.severity.insert(id, severity);
        }

        let file_name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut suppressions = Vec::new();
        for entry in &raw.suppress {
            let start = entry.span().start;
            let entry = entry.get_ref();
            let rule = known_rule(&entry.rule, true)?;
            if entry.reason.get_ref().trim().is_empty() {
                return Err(at(
                    entry.reason.span().start,
                    "a suppression needs a non-empty `reason`".to_owned(),
                ));
            }
            if entry.resource.is_none() && entry.tags.is_empty() {
                return Err(at(
                    start,
                    format!(
                        "this suppression names no `resource` or `tags`; to silence rule {rule} \
                         everywhere, add it to [rules] disable"
                    ),
                ));
            }
            let expires = entry
                .expires
                .as_ref()
                .map(|value| parse_date(value.get_ref()).map_err(|m| at(value.span().start, m)))
                .transpose()?;
            suppressions.push(SuppressionRule {
                rule,
                resource: entry.resource.clone(),
                tags: entry.tags.clone(),
                reason: entry.reason.get_ref().trim().to_owned(),
                expires,
                source: format!("{file_name}:{}", line_column(text, start).0),
            });
        }

        // Relative to the configuration's folder, like `edge_ranges_file`.
        let relative = |value: &Spanned<String>| {
            let text = value.get_ref().trim();
            if text.is_empty() {
                return Err(at(value.span().start, "an empty template path".to_owned()));
            }
            Ok(path
                .parent()
                .map_or_else(|| PathBuf::from(text), |dir| dir.join(text)))
        };
        let mut templates = TemplateSources::default();
        for entry in &raw.templates.paths {
            templates.paths.push(relative(entry)?);
        }
        for (stack, file) in &raw.templates.stacks {
            if stack.get_ref().trim().is_empty() {
                return Err(at(stack.span().start, "an empty stack name".to_owned()));
            }
            templates
                .stacks
                .insert(stack.get_ref().clone(), relative(file)?);
        }

        let mut settings = raw.settings;
        resolve_edge_ranges(&mut settings, path)?;
        Ok(Config {
            path: Some(path.to_owned()),
            settings,
            rules: selection,
            suppressions,
            templates,
        })
    }
}

/// Fills `edge_ranges` for the declared edge: the configured file, else the bundled list.
fn resolve_edge_ranges(settings: &mut Settings, config_path: &Path) -> Result<(), ConfigError> {
    let Some(Edge::Cloudflare) = settings.edge else {
        return Ok(());
    };
    settings.edge_ranges = match &settings.edge_ranges_file {
        Some(file) => {
            let file = config_path
                .parent()
                .map_or_else(|| file.clone(), |dir| dir.join(file));
            let text = std::fs::read_to_string(&file).map_err(|source| ConfigError::Read {
                path: file.clone(),
                source,
            })?;
            parse_ranges(&text).map_err(|message| ConfigError::EdgeRanges {
                path: file.clone(),
                message,
            })?
        }
        // The bundled list is compiled in and covered by a test.
        None => parse_ranges(CLOUDFLARE_RANGES).unwrap_or_default(),
    };
    Ok(())
}

/// Accepts a TOML date (`2027-01-31`) or a string holding one.
fn parse_date(value: &toml::Value) -> Result<NaiveDate, String> {
    let text = match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => {
            return Err(format!(
                "`expires` must be a date like 2027-01-31, not a {}",
                other.type_str()
            ));
        }
    };
    NaiveDate::parse_from_str(text.get(..10).unwrap_or(&text), "%Y-%m-%d")
        .map_err(|_| format!("`expires` must be a date like 2027-01-31, not `{text}`"))
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

/// The commented default configuration `vpcaudit init` writes.
pub const TEMPLATE: &str = r#"# vpcaudit configuration. vpcaudit reads ./vpcaudit.toml, or the file given by --config.
# Every key is optional; the values shown are the defaults. Unknown keys are errors.

[settings]
# Tag keys that carry a resource's environment, tried in order.
environment_tag_keys = ["Environment", "environment", "Env", "env", "Stage", "stage"]
# Environment values that mean production (case-insensitive).
production_values = ["prod", "production", "prd", "live"]
# Ports that must never be open to the internet.
admin_ports = [22, 3389]
# Database ports, checked when a database's port is unknown.
db_ports = [1433, 1521, 3306, 5432, 27017, 6379, 11211, 9042, 50000]
# Instances or interfaces with one of these tags are deliberate entry points (a bastion, a
# proxy): judged like load balancers, not like backend compute.
entry_point_tags = []
# Declare the edge in front of your origins to check that they only admit it (EDGE rules):
# edge = "cloudflare"
# A newer list of the edge's ranges than the one bundled (one CIDR per line):
# edge_ranges_file = "cloudflare-ips.txt"

[rules]
# Rules or whole principles to skip, and severity overrides.
disable = []
disable_principles = []
# severity = { SG003 = "medium" }

# Accept a finding with a reason. Suppressed findings stay in the JSON report, marked, and do
# not fail the run. A suppression that matches nothing is reported as stale; one past its
# `expires` date stops suppressing and is reported.
#
# [[suppress]]
# rule = "SG001"                 # a rule id, or "*"
# resource = "sg-0123456789abcdef0"  # an id, ARN or name; `*` and `?` globs work
# tags = { Role = "bastion" }    # and/or tags the resource must carry
# reason = "Bastion reachable from the office VPN only; tracked in SEC-142"
# expires = 2027-03-31

# Where the templates of deployed stacks are, so live findings land at their lines (paths are
# relative to this file). Without `paths`, templates are discovered under the working directory;
# a stack maps to the template named like it, or to the one given here. --templates and --stack
# override these.
[templates]
paths = []
# stacks = { "prod-network" = "infra/network.yaml" }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("vpcaudit.toml"))
    }

    #[test]
    fn the_template_is_a_valid_default_configuration() {
        let config = parse(TEMPLATE).expect("template parses");
        assert_eq!(config.settings, Settings::default());
        assert!(config.suppressions.is_empty());
    }

    #[test]
    fn unknown_keys_name_line_and_column() {
        let err = parse("[settings]\nadmin_ports = [22]\nadmin_port = [3389]\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("vpcaudit.toml:3:1: unknown field `admin_port`"),
            "{text}"
        );
    }

    #[test]
    fn unknown_rule_ids_are_errors() {
        let err = parse("[rules]\ndisable = [\"SG001\", \"SG999\"]\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("vpcaudit.toml:2:21: unknown rule `SG999`"),
            "{err}"
        );
        let err =
            parse("[[suppress]]\nrule = \"NOPE\"\nresource = \"x\"\nreason = \"r\"\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("vpcaudit.toml:2:8: unknown rule `NOPE`"),
            "{err}"
        );
    }

    #[test]
    fn suppressions_need_a_reason_and_a_target() {
        let err = parse("[[suppress]]\nrule = \"SG001\"\nresource = \"sg-1\"\n").unwrap_err();
        assert!(err.to_string().contains("missing field `reason`"), "{err}");
        let err = parse("[[suppress]]\nrule = \"SG001\"\nreason = \"ok\"\n").unwrap_err();
        assert!(
            err.to_string().contains("names no `resource` or `tags`"),
            "{err}"
        );
        let err = parse("[[suppress]]\nrule = \"SG001\"\nresource = \"sg-1\"\nreason = \" \"\n")
            .unwrap_err();
        assert!(err.to_string().contains("non-empty `reason`"), "{err}");
    }

    #[test]
    fn suppressions_and_selection_are_read() {
        let config = parse(
            "[rules]\ndisable = [\"sg003\"]\ndisable_principles = [\"observability\"]\n\
             severity = { SG004 = \"high\" }\n\n[[suppress]]\nrule = \"SG001\"\n\
             resource = \"sg-0abc*\"\nreason = \"office VPN only\"\nexpires = 2027-01-31\n",
        )
        .expect("parses");
        assert!(config.rules.disabled.contains("SG003"));
        assert!(
            config
                .rules
                .disabled_principles
                .contains(&Principle::Observability)
        );
        assert_eq!(config.rules.severity_of("SG004"), Some(Severity::High));
        let s = &config.suppressions[0];
        assert_eq!(s.source, "vpcaudit.toml:6");
        assert_eq!(s.expires, NaiveDate::from_ymd_opt(2027, 1, 31));
        let quoted = parse(
            "[[suppress]]\nrule = \"*\"\ntags = { Role = \"bastion\" }\nreason = \"r\"\n\
             expires = \"2027-02-01\"\n",
        )
        .expect("quoted date");
        assert_eq!(
            quoted.suppressions[0].expires,
            NaiveDate::from_ymd_opt(2027, 2, 1)
        );
        let bad = parse(
            "[[suppress]]\nrule = \"*\"\nresource = \"x\"\nreason = \"r\"\nexpires = \"soon\"\n",
        )
        .unwrap_err();
        assert!(
            bad.to_string()
                .starts_with("vpcaudit.toml:5:11: `expires` must be a date"),
            "{bad}"
        );
    }

    #[test]
    fn template_paths_and_stack_mappings_are_read_relative_to_the_file() {
        let config = Config::parse(
            "[templates]\npaths = [\"infra\", \"cdk.out/App.template.json\"]\n\
             stacks = { \"prod-network\" = \"infra/network.yaml\" }\n",
            Path::new("repo/vpcaudit.toml"),
        )
        .expect("parses");
        assert_eq!(
            config.templates.paths,
            [
                PathBuf::from("repo/infra"),
                PathBuf::from("repo/cdk.out/App.template.json")
            ]
        );
        assert_eq!(
            config.templates.stacks,
            BTreeMap::from([(
                "prod-network".to_owned(),
                PathBuf::from("repo/infra/network.yaml")
            )])
        );
        // In the working directory, paths stay as written (they become SARIF URIs).
        let config =
            parse("[templates]\nstacks = { billing = \"billing.yaml\" }\n").expect("parses");
        assert_eq!(
            config.templates.stacks.get("billing"),
            Some(&PathBuf::from("billing.yaml"))
        );
        assert_eq!(Config::default().templates, TemplateSources::default());
    }

    #[test]
    fn template_errors_name_line_and_column() {
        let err = parse("[templates]\npaths = []\nstack = { a = \"b.yaml\" }\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("vpcaudit.toml:3:1: unknown field `stack`"),
            "{err}"
        );
        let err = parse("[templates]\nstacks = { a = 3 }\n").unwrap_err();
        assert!(err.to_string().starts_with("vpcaudit.toml:2:16:"), "{err}");
        let err = parse("[templates]\npaths = [\"ok\", \" \"]\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("vpcaudit.toml:2:16: an empty template path"),
            "{err}"
        );
    }

    #[test]
    fn declaring_cloudflare_loads_the_bundled_ranges() {
        let config = parse("[settings]\nedge = \"cloudflare\"\n").expect("parses");
        assert_eq!(config.settings.edge, Some(Edge::Cloudflare));
        assert_eq!(config.settings.edge_ranges.len(), 22);
        let err = parse("[settings]\nedge = \"akamai\"\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("vpcaudit.toml:2:8: unknown variant `akamai`"),
            "{err}"
        );
    }
}
