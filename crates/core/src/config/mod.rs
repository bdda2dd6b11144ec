//! Settings that tune what rules consider normal (defaults encode the reference architecture),
//! and the `vpcaudit.toml` file that sets them, selects rules and suppresses findings.

mod file;

pub use file::{
    CONFIG_FILE_NAME, Config, ConfigError, RuleSelection, SuppressionRule, TEMPLATE,
    TemplateSources,
};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Tag keys that carry a resource's environment, tried in order.
    pub environment_tag_keys: Vec<String>,
    /// Environment tag values (case-insensitive) that mean production.
    pub production_values: Vec<String>,
    /// Ports that must never be open to the world.
    pub admin_ports: Vec<u16>,
    /// Database ports, used when an RDS endpoint does not say its port.
    pub db_ports: Vec<u16>,
    /// The edge in front of the origins (`cloudflare`), when the account declares one.
    pub edge: Option<Edge>,
    /// A file of edge ranges that replaces the bundled list (relative to the config file).
    pub edge_ranges_file: Option<std::path::PathBuf>,
    /// The edge's address ranges: the bundled list for the declared edge, or the file the
    /// configuration names. Filled when the configuration is loaded.
    #[serde(skip)]
    pub edge_ranges: Vec<IpNet>,
    /// `Key=Value` tags that mark an instance or interface as a deliberate entry point
    /// (a bastion, a proxy): judged like a load balancer, not like backend compute.
    pub entry_point_tags: Vec<String>,
}

/// A CDN/WAF edge whose origin must only admit the edge's addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Edge {
    Cloudflare,
}

/// Cloudflare's published ranges, with their date, shipped in the binary.
pub const CLOUDFLARE_RANGES: &str = include_str!("../../data/cloudflare-ips.txt");

/// Parses a ranges file: one CIDR per line, `#` comments. Errors name the line.
pub fn parse_ranges(text: &str) -> Result<Vec<IpNet>, String> {
    text.lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let line = line.split('#').next().unwrap_or_default().trim();
            (!line.is_empty()).then_some((n + 1, line))
        })
        .map(|(n, line)| {
            line.parse::<IpNet>()
                .map_err(|e| format!("line {n}: `{line}` is not a CIDR: {e}"))
        })
        .collect()
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            environment_tag_keys: ["Environment", "environment", "Env", "env", "Stage", "stage"]
                .map(String::from)
                .to_vec(),
            production_values: ["prod", "production", "prd", "live"]
                .map(String::from)
                .to_vec(),
            admin_ports: vec![22, 3389],
            db_ports: vec![1433, 1521, 3306, 5432, 27017, 6379, 11211, 9042, 50000],
            edge: None,
            edge_ranges_file: None,
            edge_ranges: Vec::new(),
            entry_point_tags: Vec::new(),
        }
    }
}

impl Settings {
    /// The environment named by `tags`, lower-cased, with common spellings of the same
    /// environment folded together (`production` → `prod`).
    pub fn environment_of(&self, tags: &crate::model::Tags) -> Option<String> {
        let value = self
            .environment_tag_keys
            .iter()
            .find_map(|k| tags.get(k))?
            .trim()
            .to_ascii_lowercase();
        if value.is_empty() {
            return None;
        }
        if self
            .production_values
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&value))
        {
            return Some("prod".to_owned());
        }
        let folded = match value.as_str() {
            "development" | "develop" => "dev",
            "staging" | "stage" | "stg" => "staging",
            "testing" => "test",
            other => other,
        };
        Some(folded.to_owned())
    }

    /// Whether `tags` mark a deliberate entry point (`entry_point_tags`, `Key=Value`).
    pub fn is_entry_point(&self, tags: &crate::model::Tags) -> bool {
        self.entry_point_tags
            .iter()
            .any(|pair| match pair.split_once('=') {
                Some((key, value)) => tags.get(key).is_some_and(|v| v == value),
                None => tags.contains_key(pair),
            })
    }

    pub fn is_production(&self, environment: Option<&str>) -> bool {
        environment == Some("prod")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_cloudflare_ranges_parse() {
        let ranges = parse_ranges(CLOUDFLARE_RANGES).expect("bundled list parses");
        assert_eq!(ranges.len(), 22);
        assert!(ranges.iter().any(|r| r.to_string() == "2400:cb00::/32"));
    }

    proptest::proptest! {
        #[test]
        fn any_ranges_text_parses_or_names_a_line(text in "\\PC*(\n\\PC*){0,5}") {
            if let Err(message) = parse_ranges(&text) {
                proptest::prop_assert!(message.starts_with("line "), "{}", message);
            }
        }

        #[test]
        fn every_cidr_round_trips(v4 in proptest::prelude::any::<(u32, u8)>(), comment in "[^\n]*") {
            let net = ipnet::Ipv4Net::new(v4.0.into(), v4.1 % 33).map(|n| n.trunc());
            if let Ok(net) = net {
                let parsed = parse_ranges(&format!("{net} #{comment}\n"));
                proptest::prop_assert_eq!(parsed, Ok(vec![IpNet::V4(net)]));
            }
        }
    }

    #[test]
    fn bad_range_names_its_line() {
        let err = parse_ranges("# header\n10.0.0.0/8\nnot-a-cidr\n").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
    }
}
