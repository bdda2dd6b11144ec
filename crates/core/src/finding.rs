//! Findings: what a rule reports, with the resource, the concrete cause and the fix.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad a finding is. Ordered: `Info < Low < … < Critical`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, the worst first (the order reports list them in).
    pub fn descending() -> impl DoubleEndedIterator<Item = Severity> {
        <Severity as strum::VariantArray>::VARIANTS
            .iter()
            .rev()
            .copied()
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Severity, String> {
        Severity::descending()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected critical, high, medium, low or info)")
            })
    }
}

/// The architecture principles (see `principles.md`); every finding enforces exactly one.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Principle {
    OneEnvPerVpc,
    MultiAz,
    TieredSubnets,
    DbNeverPublic,
    NatEgress,
    SgOverIp,
    LambdaPlacement,
    EdgeOrigin,
    Observability,
}

impl Principle {
    /// Every principle, in the order of the architecture note.
    pub const ALL: &'static [Principle] = <Principle as strum::VariantArray>::VARIANTS;

    /// The principle's stable name (its JSON value): `tiered-subnets`.
    pub fn slug(self) -> &'static str {
        self.into()
    }

    pub fn title(self) -> &'static str {
        match self {
            Principle::OneEnvPerVpc => "One environment per VPC",
            Principle::MultiAz => "At least two Availability Zones",
            Principle::TieredSubnets => {
                "Public subnets for entry points, private for the business tier"
            }
            Principle::DbNeverPublic => "Databases are never public",
            Principle::NatEgress => "Private subnets reach the internet only through NAT",
            Principle::SgOverIp => "Control access with security groups, not IP addresses",
            Principle::LambdaPlacement => "Lambda joins a VPC only when it needs to",
            Principle::EdgeOrigin => "The edge is Cloudflare",
            Principle::Observability => "Observe",
        }
    }
}

impl fmt::Display for Principle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Principle {
    type Err = String;

    fn from_str(s: &str) -> Result<Principle, String> {
        Principle::ALL
            .iter()
            .copied()
            .find(|p| p.slug() == s)
            .ok_or_else(|| format!("unknown principle `{s}`"))
    }
}

/// The AWS resource a finding is about.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Resource {
    /// CloudFormation type name, e.g. `AWS::EC2::Subnet`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub arn: String,
    /// The `Name` tag, when there is one.
    pub name: Option<String>,
    pub region: String,
    pub account: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub principle: Principle,
    pub resource: Resource,
    /// One line naming the concrete cause.
    pub message: String,
    /// Structured facts behind the message (route, table, rule, subnet…).
    pub evidence: serde_json::Value,
    /// What to change, for this resource.
    pub remediation: String,
    /// Stable across scans of the same situation: rule, account, region, resource and cause.
    pub fingerprint: String,
    /// Set when a configured suppression matches: the finding is still reported, marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
}

/// Why a finding is accepted, as configured by the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Suppression {
    /// The mandatory justification.
    pub reason: String,
    /// Last day (YYYY-MM-DD) the suppression applies, if it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where it was configured, e.g. `vpcaudit.toml:12`.
    pub source: String,
}

/// A stable 64-bit FNV-1a hash, hex encoded. Stable across platforms and Rust versions,
/// unlike `std`'s hasher, so fingerprints can be stored and compared between runs.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0x1f)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}
