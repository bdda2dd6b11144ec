//! Live findings at template lines: CloudFormation tags the resources it creates with
//! `aws:cloudformation:stack-name` and `aws:cloudformation:logical-id`; a resource whose stack
//! has a template here is located at the line that declares it (and at the rule or route a
//! finding names, when the evidence matches the template's). Resources without the tags (e.g.
//! RDS and Lambda in moto, whose tags the inventory does not hold) stay at their pseudo-path.

use std::collections::BTreeMap;
use std::path::PathBuf;

use vpcaudit_core::config::TemplateSources;
use vpcaudit_core::model::{RegionInventory, Tags};
use vpcaudit_core::snapshot::Snapshot;

use crate::{LoadError, SourceTable, Template, convert};

pub const STACK_NAME_TAG: &str = "aws:cloudformation:stack-name";
pub const LOGICAL_ID_TAG: &str = "aws:cloudformation:logical-id";

/// Places the snapshot's stack resources at their templates' lines. `stacks` maps a stack
/// name to its template's index in `templates`; a stack not in it maps to the template whose
/// file name (without extension) is the stack name.
pub fn live_sources(
    snapshot: &Snapshot,
    templates: &[Template],
    stacks: &BTreeMap<String, usize>,
) -> SourceTable {
    let converted = convert(templates, &BTreeMap::new()).sources;
    let template_of = |stack: &str| -> Option<&Template> {
        match stacks.get(stack) {
            Some(index) => templates.get(*index),
            None => templates.iter().find(|t| file_stem(&t.uri) == stack),
        }
    };
    let mut table = SourceTable::default();
    for scope in &snapshot.scopes {
        for (id, tags) in tagged_resources(scope) {
            let (Some(stack), Some(logical_id)) =
                (tags.get(STACK_NAME_TAG), tags.get(LOGICAL_ID_TAG))
            else {
                continue;
            };
            let Some(template) = template_of(stack) else {
                continue;
            };
            if let Some(source) =
                converted.get(crate::TEMPLATE_ACCOUNT, &template.scope, logical_id)
            {
                table.entry(&scope.account, &scope.region, id, source.clone());
            }
        }
    }
    table
}

/// The templates of deployed stacks, and which one each mapped stack uses.
#[derive(Debug, Default)]
pub struct StackTemplates {
    pub templates: Vec<Template>,
    /// Stack name → index in `templates`.
    pub stacks: BTreeMap<String, usize>,
    /// Discovered files that are not templates (or not readable): warnings, not errors.
    pub skipped: Vec<LoadError>,
}

/// Reads the templates `sources` names (files or folders, and each mapped stack's file) and,
/// when it names no paths, those discovered under the working directory. A named file that does
/// not load is an error; a discovered one is skipped, with its error kept as a warning.
pub fn load_stack_templates(sources: &TemplateSources) -> Result<StackTemplates, LoadError> {
    let mut named = crate::discover::discover(&sources.paths);
    for file in sources.stacks.values() {
        if !named.contains(file) {
            named.push(file.clone());
        }
    }
    let discovered: Vec<PathBuf> = if sources.paths.is_empty() {
        crate::discover::discover(&[PathBuf::from(".")])
            .into_iter()
            .filter(|p| !named.contains(p))
            .collect()
    } else {
        Vec::new()
    };
    let mut loaded = StackTemplates::default();
    let mut index_of = BTreeMap::new();
    for (path, given) in named
        .iter()
        .map(|p| (p, true))
        .chain(discovered.iter().map(|p| (p, false)))
    {
        match Template::load(path) {
            Ok(template) => {
                index_of.insert(path.clone(), loaded.templates.len());
                loaded.templates.push(template);
            }
            Err(error) if given => return Err(error),
            Err(error) => loaded.skipped.push(error),
        }
    }
    loaded.stacks = sources
        .stacks
        .iter()
        .filter_map(|(stack, file)| Some((stack.clone(), *index_of.get(file)?)))
        .collect();
    Ok(loaded)
}

fn file_stem(uri: &str) -> &str {
    let file = uri.rsplit('/').next().unwrap_or(uri);
    file.split('.').next().unwrap_or(file)
}

/// Every resource of the inventory that carries tags, by id.
fn tagged_resources(scope: &RegionInventory) -> Vec<(&str, &Tags)> {
    let mut out: Vec<(&str, &Tags)> = Vec::new();
    out.extend(scope.vpcs.iter().map(|r| (r.id.as_str(), &r.tags)));
    out.extend(scope.subnets.iter().map(|r| (r.id.as_str(), &r.tags)));
    out.extend(scope.route_tables.iter().map(|r| (r.id.as_str(), &r.tags)));
    out.extend(
        scope
            .internet_gateways
            .iter()
            .map(|r| (r.id.as_str(), &r.tags)),
    );
    out.extend(scope.nat_gateways.iter().map(|r| (r.id.as_str(), &r.tags)));
    out.extend(scope.network_acls.iter().map(|r| (r.id.as_str(), &r.tags)));
    out.extend(
        scope
            .security_groups
            .iter()
            .map(|r| (r.id.as_str(), &r.tags)),
    );
    out.extend(scope.instances.iter().map(|r| (r.id.as_str(), &r.tags)));
    out.extend(scope.db_instances.iter().map(|r| (r.id.as_str(), &r.tags)));
    out.extend(scope.db_clusters.iter().map(|r| (r.id.as_str(), &r.tags)));
    out.extend(scope.vpc_endpoints.iter().map(|r| (r.id.as_str(), &r.tags)));
    out.extend(
        scope
            .egress_only_internet_gateways
            .iter()
            .map(|r| (r.id.as_str(), &r.tags)),
    );
    out.extend(
        scope
            .elastic_ips
            .iter()
            .filter_map(|r| Some((r.allocation_id.as_deref()?, &r.tags))),
    );
    out.extend(scope.ecs_services.iter().map(|r| (r.arn.as_str(), &r.tags)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use vpcaudit_core::config::Settings;
    use vpcaudit_core::model::{
        PortRange, Protocol, SecurityGroup, SecurityGroupPeer, SecurityGroupRule,
    };
    use vpcaudit_core::report::locations::SourceMap;
    use vpcaudit_core::rules;

    const TEMPLATE: &str = "Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
  BastionSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: bastion
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 10.0.0.0/8
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: 0.0.0.0/0
";

    fn live(stack: &str) -> Snapshot {
        let templates = [Template::parse("infra/network.yaml", TEMPLATE).unwrap()];
        let mut snapshot = convert(&templates, &BTreeMap::new()).snapshot;
        let scope = &mut snapshot.scopes[0];
        scope.account = "123456789012".to_owned();
        scope.region = "eu-west-1".to_owned();
        let mut tags = Tags::new();
        tags.insert(STACK_NAME_TAG.to_owned(), stack.to_owned());
        tags.insert(LOGICAL_ID_TAG.to_owned(), "BastionSg".to_owned());
        let rule = |port: i32, cidr: &str| SecurityGroupRule {
            id: Some(format!("sgr-{port}")),
            protocol: Protocol("tcp".to_owned()),
            ports: Some(PortRange {
                from: port,
                to: port,
            }),
            peer: SecurityGroupPeer::Ipv4(cidr.parse().unwrap()),
            description: None,
        };
        scope.security_groups = vec![SecurityGroup {
            id: "sg-0abc".to_owned(),
            name: "bastion".to_owned(),
            vpc_id: Some("Vpc".to_owned()),
            ingress: vec![rule(443, "10.0.0.0/8"), rule(22, "0.0.0.0/0")],
            tags,
            ..SecurityGroup::default()
        }];
        snapshot.coverage.collected.clear();
        snapshot
    }

    #[test]
    fn a_live_finding_lands_on_the_template_rule_that_made_it() {
        let templates = [Template::parse("infra/network.yaml", TEMPLATE).unwrap()];
        let snapshot = live("network");
        let sources = live_sources(&snapshot, &templates, &BTreeMap::new());
        let evaluation = rules::evaluate(&snapshot, &Settings::default());
        let finding = evaluation
            .findings
            .iter()
            .find(|f| f.rule_id == "SG001")
            .expect("SG001");
        let location = sources.locate(finding).expect("mapped");
        assert_eq!(location.uri, "infra/network.yaml");
        assert_eq!(
            location.line, 16,
            "the 0.0.0.0/0 SSH entry, not the group's first rule"
        );

        // Another stack's resource is not mapped to this template.
        let other = live("billing");
        let sources = live_sources(&other, &templates, &BTreeMap::new());
        assert!(sources.is_empty());
        // Unless a mapping says which template made it.
        let stacks = BTreeMap::from([("billing".to_owned(), 0)]);
        assert_eq!(live_sources(&other, &templates, &stacks).len(), 1);
    }
}
