//! Facts about Lambda environment values, derived at collection time so that values are
//! never stored: only what they are (an RDS endpoint, a secret reference, a credential-like
//! string) survives.

use std::collections::HashMap;

use crate::model::ValueFact;

/// Words in a variable name that say it holds a secret.
const SECRET_NAME_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];

/// Suffixes that mean the variable holds a pointer to a secret, not the secret.
const REFERENCE_NAME_SUFFIXES: &[&str] = &["_ARN", "_NAME", "_ID", "_PARAM", "_PARAMETER", "_PATH"];

pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAME_WORDS.iter().any(|w| upper.contains(w))
        && !REFERENCE_NAME_SUFFIXES.iter().any(|s| upper.ends_with(s))
}

/// An RDS endpoint known in the account: `(db id, address)`.
pub type KnownEndpoint<'a> = (&'a str, &'a str);

/// The account's RDS endpoints by lower-case address, so each value is matched in time
/// proportional to its own length, not to the number of databases.
#[derive(Debug, Default)]
pub struct KnownEndpoints<'a> {
    by_address: HashMap<String, KnownEndpoint<'a>>,
}

impl<'a> KnownEndpoints<'a> {
    pub fn new(endpoints: impl IntoIterator<Item = KnownEndpoint<'a>>) -> KnownEndpoints<'a> {
        let mut by_address = HashMap::new();
        for (db_id, address) in endpoints {
            if !address.is_empty() {
                // The first database listed with an address keeps it.
                by_address
                    .entry(address.to_ascii_lowercase())
                    .or_insert((db_id, address));
            }
        }
        KnownEndpoints { by_address }
    }

    /// The first known endpoint named in `lower` (a lower-cased value): a host name in it,
    /// delimited by anything a host name cannot contain (`:`, `/`, `@`, spaces, …).
    fn named_in(&self, lower: &str) -> Option<KnownEndpoint<'a>> {
        if self.by_address.is_empty() {
            return None;
        }
        lower
            .split(|c: char| !is_host_char(c))
            .map(|host| host.trim_end_matches('.'))
            .find_map(|host| self.by_address.get(host).copied())
    }
}

/// Derives what can be said about `value` without keeping it.
pub fn value_facts(value: &str, endpoints: &KnownEndpoints<'_>) -> Vec<ValueFact> {
    let mut facts = Vec::new();
    let value = value.trim();
    if value.is_empty() {
        return facts;
    }
    if is_secret_reference(value) {
        facts.push(ValueFact::SecretReference);
    } else {
        facts.push(ValueFact::Literal);
    }
    let lower = value.to_ascii_lowercase();
    if let Some((db_id, address)) = endpoints.named_in(&lower) {
        facts.push(ValueFact::RdsEndpoint {
            db_id: db_id.to_owned(),
            address: address.to_owned(),
        });
    } else if let Some(host) = rds_hostname(&lower) {
        facts.push(ValueFact::RdsHostname { address: host });
    }
    if let Some(pattern) = credential_pattern(value) {
        facts.push(ValueFact::LooksLikeSecret {
            pattern: pattern.to_owned(),
        });
    }
    facts
}

fn is_secret_reference(value: &str) -> bool {
    value.starts_with("arn:aws:secretsmanager:")
        || value.starts_with("arn:aws:ssm:")
        || value.starts_with("arn:aws-cn:secretsmanager:")
        || value.starts_with("arn:aws-us-gov:secretsmanager:")
        || value.starts_with("{{resolve:")
        || value.starts_with("ssm:")
}

/// The first `*.rds.amazonaws.com` host name inside `value` (lower-cased input).
fn rds_hostname(lower: &str) -> Option<String> {
    const SUFFIX: &str = ".rds.amazonaws.com";
    let end = lower.find(SUFFIX)? + SUFFIX.len();
    let head = lower.get(..end)?;
    // Step back over host-name characters only: the byte after a non-host character can be
    // inside it when that character is multi-byte (`«host»`), so never slice there.
    let start = head
        .char_indices()
        .rev()
        .find(|&(_, c)| !is_host_char(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    head.get(start..).map(str::to_owned)
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

/// Names the kind of credential `value` looks like, if any.
fn credential_pattern(value: &str) -> Option<&'static str> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if contains_access_key_id(value) {
        return Some("an AWS access key id");
    }
    if url_with_password(value) {
        return Some("a URL with an embedded password");
    }
    None
}

/// `AKIA`/`ASIA` followed by 16 upper-case letters or digits.
fn contains_access_key_id(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.windows(20).any(|window| {
        let Some((prefix, rest)) = window.split_first_chunk::<4>() else {
            return false;
        };
        (prefix == b"AKIA" || prefix == b"ASIA")
            && rest
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

/// `scheme://user:password@host`.
fn url_with_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((userinfo, _host)) = authority.rsplit_once('@') else {
        return false;
    };
    userinfo
        .split_once(':')
        .is_some_and(|(_, password)| !password.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Values come from AWS: any Unicode, any length. Nothing may panic, and the facts
        // never carry the value back out.
        #[test]
        fn any_value_is_safe(value in "\\PC*", name in "\\PC*") {
            let endpoints = KnownEndpoints::new([("db", "db.x.eu-west-1.rds.amazonaws.com")]);
            let _ = is_secret_name(&name);
            let facts = value_facts(&value, &endpoints);
            let _ = value_facts(&value, &none());
            let _ = credential_pattern(&value);
            let _ = rds_hostname(&value.to_ascii_lowercase());
            if value.trim().len() > 24 && !value.contains("amazonaws") {
                let text = serde_json::to_string(&facts).unwrap_or_default();
                prop_assert!(!text.contains(value.trim()));
            }
        }

        #[test]
        fn rds_host_inside_any_unicode(before in "\\PC*", after in "\\PC*") {
            let value = format!("{before}«db.x.eu-west-1.rds.amazonaws.com»{after}");
            let facts = value_facts(&value, &none());
            let found = facts.iter().any(|f| matches!(f, ValueFact::RdsHostname { .. }));
            prop_assert!(found);
        }
    }

    #[test]
    fn host_between_multibyte_quotes_is_found_without_panicking() {
        let facts = value_facts("«db.x.eu-west-1.rds.amazonaws.com»", &none());
        assert!(facts.contains(&ValueFact::RdsHostname {
            address: "db.x.eu-west-1.rds.amazonaws.com".into()
        }));
    }

    fn none() -> KnownEndpoints<'static> {
        KnownEndpoints::default()
    }

    #[test]
    fn secret_names_and_references() {
        assert!(is_secret_name("DB_PASSWORD"));
        assert!(is_secret_name("stripe_api_key"));
        assert!(!is_secret_name("DB_PASSWORD_SECRET_ARN"));
        assert!(!is_secret_name("LOG_LEVEL"));
    }

    #[test]
    fn facts_never_contain_the_value() {
        let facts = value_facts("postgres://app:hunter2@db.example.com/app", &none());
        let text = serde_json::to_string(&facts).unwrap_or_default();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(facts.contains(&ValueFact::LooksLikeSecret {
            pattern: "a URL with an embedded password".into()
        }));
    }

    #[test]
    fn recognises_endpoints_and_references() {
        let endpoints =
            KnownEndpoints::new([("orders", "Orders.abc123.us-east-1.rds.amazonaws.com")]);
        let facts = value_facts("orders.abc123.us-east-1.rds.amazonaws.com:5432", &endpoints);
        assert!(facts.contains(&ValueFact::RdsEndpoint {
            db_id: "orders".into(),
            address: "Orders.abc123.us-east-1.rds.amazonaws.com".into()
        }));
        for value in [
            "jdbc:postgresql://ORDERS.abc123.us-east-1.rds.amazonaws.com:5432/app",
            "postgres://app@orders.abc123.us-east-1.rds.amazonaws.com./app",
        ] {
            assert!(
                value_facts(value, &endpoints).iter().any(
                    |f| matches!(f, ValueFact::RdsEndpoint { db_id, .. } if db_id == "orders")
                ),
                "{value}"
            );
        }
        // Another host that merely ends like the endpoint is not the endpoint.
        assert!(
            !value_facts("xorders.abc123.us-east-1.rds.amazonaws.com", &endpoints)
                .iter()
                .any(|f| matches!(f, ValueFact::RdsEndpoint { .. }))
        );
        let other = value_facts("jdbc:mysql://x.y.eu-west-1.rds.amazonaws.com/db", &none());
        assert!(other.contains(&ValueFact::RdsHostname {
            address: "x.y.eu-west-1.rds.amazonaws.com".into()
        }));
        let reference = value_facts("arn:aws:secretsmanager:us-east-1:1:secret:db", &none());
        assert_eq!(reference, vec![ValueFact::SecretReference]);
        assert!(value_facts("AKIAABCDEFGHIJKLMNOP", &none()).contains(
            &ValueFact::LooksLikeSecret {
                pattern: "an AWS access key id".into()
            }
        ));
    }
}
