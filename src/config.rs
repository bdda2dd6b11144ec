//! Settings that tune what rules consider normal. Defaults encode the reference architecture.

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

    pub fn is_production(&self, environment: Option<&str>) -> bool {
        environment == Some("prod")
    }
}
