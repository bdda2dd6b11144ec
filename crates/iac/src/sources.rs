//! Where each converted resource is declared: template file, logical id, line, the lines of its
//! properties and of the items (security group rules, routes) a finding can be about.

use std::collections::BTreeMap;

use vpcaudit_core::finding::Finding;
use vpcaudit_core::report::locations::{SourceLocation, SourceMap};

use crate::node::Position;

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSource {
    /// The template's path as given, `/`-separated.
    pub uri: String,
    pub logical_id: String,
    pub resource_type: String,
    /// The logical id's line.
    pub position: Position,
    /// Each top-level property's line.
    pub properties: BTreeMap<String, Position>,
    /// Rules and routes of the resource, each with the evidence that names it.
    pub items: Vec<PropertySource>,
}

/// An item of a resource (a security group rule, a route) and the JSON a finding's evidence
/// holds when it is about that item.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertySource {
    pub path: String,
    pub position: Position,
    pub matcher: serde_json::Value,
}

/// Resource sources by account, region and resource id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceTable {
    resources: BTreeMap<(String, String, String), ResourceSource>,
}

/// The property a rule is about, when a finding of it concerns one property.
const RULE_PROPERTIES: &[(&str, &str)] = &[
    ("DB001", "PubliclyAccessible"),
    ("AZ002", "SubnetIds"),
    ("AZ003", "MultiAZ"),
    ("DB002", "SubnetIds"),
    ("TIER001", "MapPublicIpOnLaunch"),
    ("LAM001", "VpcConfig"),
    ("LAM003", "Environment"),
    ("LAM004", "VpcConfig"),
    ("AZ004", "VpcConfig"),
    ("DB003", "SecurityGroupIngress"),
];

impl SourceTable {
    pub fn get(&self, account: &str, region: &str, id: &str) -> Option<&ResourceSource> {
        self.resources
            .get(&(account.to_owned(), region.to_owned(), id.to_owned()))
    }

    pub(crate) fn get_mut(
        &mut self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Option<&mut ResourceSource> {
        self.resources
            .get_mut(&(account.to_owned(), region.to_owned(), id.to_owned()))
    }

    /// The source of a resource, recorded on first sight.
    pub(crate) fn entry(
        &mut self,
        account: &str,
        region: &str,
        id: &str,
        source: ResourceSource,
    ) -> &mut ResourceSource {
        self.resources
            .entry((account.to_owned(), region.to_owned(), id.to_owned()))
            .or_insert(source)
    }

    pub fn extend(&mut self, other: SourceTable) {
        self.resources.extend(other.resources);
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The line a finding is about and what is there: the item its evidence names, else the
    /// property its rule concerns, else the resource.
    pub fn position_of(&self, finding: &Finding) -> Option<(&ResourceSource, Position, String)> {
        let r = &finding.resource;
        let source = self.get(&r.account, &r.region, &r.id)?;
        if let Some(item) = source
            .items
            .iter()
            .find(|item| names(&finding.evidence, &item.matcher))
        {
            return Some((source, item.position, item.path.clone()));
        }
        if let Some((_, property)) = RULE_PROPERTIES
            .iter()
            .find(|(rule, _)| *rule == finding.rule_id)
            && let Some(position) = source.properties.get(*property)
        {
            return Some((source, *position, (*property).to_owned()));
        }
        Some((source, source.position, source.resource_type.clone()))
    }
}

/// Whether `evidence` holds `matcher`: equal somewhere inside it, or (for an object matcher)
/// an object carrying each of its fields.
fn names(evidence: &serde_json::Value, matcher: &serde_json::Value) -> bool {
    use serde_json::Value;
    if evidence == matcher {
        return true;
    }
    if let (Value::Object(e), Value::Object(m)) = (evidence, matcher)
        && !m.is_empty()
        && m.iter().all(|(k, v)| e.get(k) == Some(v))
    {
        return true;
    }
    match evidence {
        Value::Object(map) => map.values().any(|v| names(v, matcher)),
        Value::Array(items) => items.iter().any(|v| names(v, matcher)),
        _ => false,
    }
}

impl SourceMap for SourceTable {
    fn locate(&self, finding: &Finding) -> Option<SourceLocation> {
        let (source, position, what) = self.position_of(finding)?;
        Some(SourceLocation {
            uri: source.uri.clone(),
            line: position.line,
            column: Some(position.column),
            label: format!("{} ({what})", source.logical_id),
        })
    }
}
