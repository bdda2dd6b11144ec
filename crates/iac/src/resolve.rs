//! Static evaluation of intrinsic functions: what a template's values will be, where that can be
//! known before deploy. Everything else becomes [`Value::Unknown`] with the reason, never a guess.
//!
//! A `Ref` (or id-like `GetAtt`) to a resource in the template becomes the resource's logical
//! id, which is also the id that resource gets in the inventory, so references join up.

use std::collections::BTreeMap;

use crate::node::{Node, Value};

/// Attributes that are (or stand for) the resource's own id in the inventory.
const ID_ATTRIBUTES: &[&str] = &[
    "GroupId",
    "VpcId",
    "SubnetId",
    "RouteTableId",
    "InternetGatewayId",
    "NetworkAclId",
    "Id",
    "AllocationId",
    "DBSubnetGroupName",
    // Load balancing: `Ref` gives the ARN, which is the inventory id of each of these.
    "LoadBalancerArn",
    "TargetGroupArn",
    "ListenerArn",
    "ListenerRuleArn",
];

/// What intrinsic functions can see: parameters, mappings, conditions and resources.
pub struct Resolver<'t> {
    parameters: BTreeMap<String, Node>,
    mappings: Option<&'t Node>,
    conditions: Option<&'t Node>,
    /// Logical id → type and (unresolved) properties.
    resources: BTreeMap<&'t str, (&'t str, Option<&'t Node>)>,
}

impl<'t> Resolver<'t> {
    /// `values` are `--parameter Key=Value` pairs (they may also set `AWS::Region`,
    /// `AWS::AccountId`, `AWS::StackName`).
    pub fn new(root: &'t Node, values: &BTreeMap<String, String>) -> Resolver<'t> {
        let mut parameters = BTreeMap::new();
        for (key, value) in values {
            if key.starts_with("AWS::") {
                parameters.insert(key.clone(), scalar_node(value, root));
            }
        }
        if let Some(declared) = root.get("Parameters") {
            for (key, decl) in declared.entries() {
                let kind = decl.get("Type").and_then(Node::as_str).unwrap_or("String");
                let given = values
                    .get(&key.name)
                    .map(|v| scalar_node(v, decl))
                    .or_else(|| decl.get("Default").cloned());
                let value = match given {
                    Some(v) if is_list_type(kind) => split_list(v),
                    Some(v) => v,
                    None => Node::new(
                        decl.position,
                        Value::Unknown(format!(
                            "parameter `{}` has no default and no --parameter value",
                            key.name
                        )),
                    ),
                };
                parameters.insert(key.name.clone(), value);
            }
        }
        let resources = root
            .get("Resources")
            .map(|r| {
                r.entries()
                    .iter()
                    .map(|(k, v)| {
                        let kind = v.get("Type").and_then(Node::as_str).unwrap_or("");
                        (k.name.as_str(), (kind, v.get("Properties")))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Resolver {
            parameters,
            mappings: root.get("Mappings"),
            conditions: root.get("Conditions"),
            resources,
        }
    }

    pub fn resource_type(&self, logical_id: &str) -> Option<&'t str> {
        self.resources.get(logical_id).map(|(kind, _)| *kind)
    }

    /// Whether a named condition holds: None when it depends on something unknown.
    pub fn condition(&self, name: &str) -> Option<bool> {
        self.condition_depth(name, 0)
    }

    fn condition_depth(&self, name: &str, depth: usize) -> Option<bool> {
        let node = self.conditions?.get(name)?;
        as_bool(&self.resolve_depth(node, depth + 1))
    }

    /// `node` with every intrinsic function evaluated, `AWS::NoValue` removed.
    pub fn resolve(&self, node: &Node) -> Node {
        self.resolve_depth(node, 0)
    }

    fn resolve_depth(&self, node: &Node, depth: usize) -> Node {
        let at = node.position;
        if depth > 64 {
            return Node::new(at, Value::Unknown("references nest too deep".to_owned()));
        }
        let value = match &node.value {
            Value::List(items) => Value::List(
                items
                    .iter()
                    .map(|i| self.resolve_depth(i, depth + 1))
                    .filter(|i| i.value != Value::NoValue)
                    .collect(),
            ),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.resolve_depth(v, depth + 1)))
                    .filter(|(_, v)| v.value != Value::NoValue)
                    .collect(),
            ),
            Value::Function(name, arg) => {
                return self.function(name, arg, depth + 1).with_position(at);
            }
            other => other.clone(),
        };
        Node::new(at, value)
    }

    fn function(&self, name: &str, arg: &Node, depth: usize) -> Node {
        let at = arg.position;
        let unknown = |why: String| Node::new(at, Value::Unknown(why));
        match name {
            "Ref" => match arg.as_str() {
                Some(target) => self.reference(target, at, depth),
                None => unknown("Ref to a computed name".to_owned()),
            },
            "Condition" => match arg.as_str().and_then(|c| self.condition_depth(c, depth)) {
                Some(b) => Node::new(at, Value::Scalar(b.to_string())),
                None => unknown("a condition over unknown values".to_owned()),
            },
            "Fn::GetAtt" => {
                let arg = self.resolve_depth(arg, depth);
                match list_strs(&arg).as_deref() {
                    Some([resource, attribute]) => self.get_att(resource, attribute, at, depth),
                    _ => unknown("Fn::GetAtt with a computed name".to_owned()),
                }
            }
            "Fn::Sub" => self.sub(arg, depth),
            "Fn::Join" => {
                let arg = self.resolve_depth(arg, depth);
                let Value::List(parts) = &arg.value else {
                    return unknown("malformed Fn::Join".to_owned());
                };
                let (Some(delimiter), Some(items)) = (parts.first(), parts.get(1)) else {
                    return unknown("malformed Fn::Join".to_owned());
                };
                if let Some(why) = first_unknown(items) {
                    return unknown(why);
                }
                match (delimiter.as_str(), list_strs(items)) {
                    (Some(d), Some(items)) => Node::new(at, Value::Scalar(items.join(d))),
                    _ => unknown("Fn::Join over values that are not strings".to_owned()),
                }
            }
            "Fn::Select" => self.select(arg, depth),
            "Fn::Split" => {
                let arg = self.resolve_depth(arg, depth);
                match list_strs(&arg).as_deref() {
                    Some([delimiter, text]) if !delimiter.is_empty() => Node::new(
                        at,
                        Value::List(
                            text.split(delimiter.as_str())
                                .map(|s| Node::new(at, Value::Scalar(s.to_owned())))
                                .collect(),
                        ),
                    ),
                    _ => unknown(first_unknown(&arg).unwrap_or("malformed Fn::Split".to_owned())),
                }
            }
            "Fn::If" => {
                let Value::List(parts) = &arg.value else {
                    return unknown("malformed Fn::If".to_owned());
                };
                let (Some(cond), Some(then), Some(otherwise)) =
                    (parts.first(), parts.get(1), parts.get(2))
                else {
                    return unknown("malformed Fn::If".to_owned());
                };
                match cond.as_str().and_then(|c| self.condition_depth(c, depth)) {
                    Some(true) => self.resolve_depth(then, depth),
                    Some(false) => self.resolve_depth(otherwise, depth),
                    None => unknown(format!(
                        "Fn::If on condition `{}`, which depends on unknown values",
                        cond.as_str().unwrap_or("?")
                    )),
                }
            }
            "Fn::Equals" => {
                let arg = self.resolve_depth(arg, depth);
                if let Some(why) = first_unknown(&arg) {
                    return unknown(why);
                }
                match &arg.value {
                    Value::List(p) if p.len() == 2 => {
                        Node::new(at, Value::Scalar((p[0].value == p[1].value).to_string()))
                    }
                    _ => unknown("malformed Fn::Equals".to_owned()),
                }
            }
            "Fn::Not" | "Fn::And" | "Fn::Or" => {
                let arg = self.resolve_depth(arg, depth);
                let Value::List(items) = &arg.value else {
                    return unknown(format!("malformed {name}"));
                };
                let values: Vec<Option<bool>> = items.iter().map(as_bool).collect();
                let result = match name {
                    "Fn::Not" => values.first().copied().flatten().map(|b| !b),
                    // A known false decides an And, a known true an Or, whatever else is unknown.
                    "Fn::And" if values.contains(&Some(false)) => Some(false),
                    "Fn::Or" if values.contains(&Some(true)) => Some(true),
                    _ if values.contains(&None) => None,
                    "Fn::And" => Some(true),
                    _ => Some(false),
                };
                match result {
                    Some(b) => Node::new(at, Value::Scalar(b.to_string())),
                    None => unknown(format!("{name} over unknown values")),
                }
            }
            "Fn::FindInMap" => {
                let arg = self.resolve_depth(arg, depth);
                if let Some(why) = first_unknown(&arg) {
                    return unknown(why);
                }
                let found = list_strs(&arg).and_then(|keys| match keys.as_slice() {
                    [map, top, second] => self.mappings?.get(map)?.get(top)?.get(second).cloned(),
                    _ => None,
                });
                match found {
                    Some(value) => self.resolve_depth(&value, depth),
                    None => unknown("Fn::FindInMap names no mapping entry".to_owned()),
                }
            }
            "Fn::GetAZs" => unknown("the Availability Zones of the region (Fn::GetAZs)".to_owned()),
            other => unknown(format!("{other} is evaluated only at deploy time")),
        }
    }

    fn reference(&self, target: &str, at: crate::node::Position, depth: usize) -> Node {
        if target == "AWS::NoValue" {
            return Node::new(at, Value::NoValue);
        }
        if let Some(value) = self.parameters.get(target) {
            return self.resolve_depth(value, depth).with_position(at);
        }
        match target {
            "AWS::Partition" => return Node::new(at, Value::Scalar("aws".to_owned())),
            "AWS::URLSuffix" => return Node::new(at, Value::Scalar("amazonaws.com".to_owned())),
            _ => {}
        }
        if target.starts_with("AWS::") {
            return Node::new(
                at,
                Value::Unknown(format!(
                    "pseudo parameter `{target}` (set it with --parameter)"
                )),
            );
        }
        if self.resources.contains_key(target) {
            return Node::new(at, Value::Scalar(target.to_owned()));
        }
        Node::new(
            at,
            Value::Unknown(format!(
                "Ref to `{target}`, which the template does not declare"
            )),
        )
    }

    fn get_att(
        &self,
        resource: &str,
        attribute: &str,
        at: crate::node::Position,
        depth: usize,
    ) -> Node {
        let Some((kind, properties)) = self.resources.get(resource) else {
            return Node::new(
                at,
                Value::Unknown(format!("GetAtt of undeclared `{resource}`")),
            );
        };
        if ID_ATTRIBUTES.contains(&attribute) {
            return Node::new(at, Value::Scalar(resource.to_owned()));
        }
        match (*kind, attribute) {
            ("AWS::EC2::VPC", "CidrBlock") => {
                if let Some(cidr) = properties.and_then(|p| p.get("CidrBlock")) {
                    return self.resolve_depth(cidr, depth).with_position(at);
                }
            }
            // A function's ARN (a Lambda target) is the id the inventory gives the function.
            ("AWS::Lambda::Function" | "AWS::Serverless::Function", "Arn") => {
                return Node::new(at, Value::Scalar(resource.to_owned()));
            }
            // Stands for the database's address: the inventory gives the database this
            // endpoint, so an environment variable holding it names that database.
            ("AWS::RDS::DBInstance" | "AWS::RDS::DBCluster", "Endpoint.Address") => {
                return Node::new(at, Value::Scalar(endpoint_address(resource)));
            }
            _ => {}
        }
        Node::new(
            at,
            Value::Unknown(format!("{resource}.{attribute} is known only after deploy")),
        )
    }

    fn sub(&self, arg: &Node, depth: usize) -> Node {
        let at = arg.position;
        let (template, variables) = match &arg.value {
            Value::Scalar(text) => (text.as_str(), None),
            Value::List(parts) => match (parts.first().and_then(Node::as_str), parts.get(1)) {
                (Some(text), vars) => (text, vars),
                _ => return Node::new(at, Value::Unknown("malformed Fn::Sub".to_owned())),
            },
            _ => return Node::new(at, Value::Unknown("malformed Fn::Sub".to_owned())),
        };
        let mut out = String::new();
        let mut rest = template;
        while let Some((before, after)) = rest.split_once("${") {
            out.push_str(before);
            let Some((name, tail)) = after.split_once('}') else {
                out.push_str("${");
                out.push_str(after);
                rest = "";
                break;
            };
            rest = tail;
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
                continue;
            }
            let value = match variables.and_then(|v| v.get(name)) {
                Some(v) => self.resolve_depth(v, depth),
                None => match name.split_once('.') {
                    Some((resource, attribute)) if !name.starts_with("AWS::") => {
                        self.get_att(resource, attribute, at, depth)
                    }
                    _ => self.reference(name, at, depth),
                },
            };
            match value.value {
                Value::Scalar(text) => out.push_str(&text),
                Value::Unknown(why) => return Node::new(at, Value::Unknown(why)),
                _ => {
                    return Node::new(
                        at,
                        Value::Unknown(format!("Fn::Sub variable `{name}` is not a string")),
                    );
                }
            }
        }
        out.push_str(rest);
        Node::new(at, Value::Scalar(out))
    }

    fn select(&self, arg: &Node, depth: usize) -> Node {
        let at = arg.position;
        let Value::List(parts) = &arg.value else {
            return Node::new(at, Value::Unknown("malformed Fn::Select".to_owned()));
        };
        let (Some(index), Some(list)) = (parts.first(), parts.get(1)) else {
            return Node::new(at, Value::Unknown("malformed Fn::Select".to_owned()));
        };
        let index = self.resolve_depth(index, depth);
        let Some(index) = index.as_str().and_then(|i| i.parse::<usize>().ok()) else {
            return Node::new(
                at,
                Value::Unknown(
                    first_unknown(&index).unwrap_or("Fn::Select index is not a number".to_owned()),
                ),
            );
        };
        // The region's zones are unknown before deploy, but distinct indexes are distinct
        // zones: a stand-in name per index keeps "how many zones" answerable.
        if let Value::Function(name, _) = &list.value
            && name == "Fn::GetAZs"
        {
            return Node::new(at, Value::Scalar(format!("GetAZs[{index}]")));
        }
        let list = self.resolve_depth(list, depth);
        match &list.value {
            Value::List(items) => match items.get(index) {
                Some(item) => item.clone(),
                None => Node::new(
                    at,
                    Value::Unknown(format!("Fn::Select index {index} is out of range")),
                ),
            },
            Value::Unknown(why) => Node::new(at, Value::Unknown(why.clone())),
            _ => Node::new(
                at,
                Value::Unknown("Fn::Select over something not a list".to_owned()),
            ),
        }
    }
}

impl Node {
    fn with_position(mut self, at: crate::node::Position) -> Node {
        self.position = at;
        self
    }
}

/// The stand-in address of a template database's endpoint.
pub fn endpoint_address(logical_id: &str) -> String {
    format!("{logical_id}.Endpoint.Address")
}

fn scalar_node(value: &str, near: &Node) -> Node {
    Node::new(near.position, Value::Scalar(value.to_owned()))
}

fn is_list_type(kind: &str) -> bool {
    kind == "CommaDelimitedList" || kind.starts_with("List<")
}

fn split_list(value: Node) -> Node {
    match &value.value {
        Value::Scalar(text) => {
            let items = if text.is_empty() {
                Vec::new()
            } else {
                text.split(',')
                    .map(|s| Node::new(value.position, Value::Scalar(s.trim().to_owned())))
                    .collect()
            };
            Node::new(value.position, Value::List(items))
        }
        _ => value,
    }
}

fn as_bool(node: &Node) -> Option<bool> {
    match node.as_str()? {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn list_strs(node: &Node) -> Option<Vec<String>> {
    match &node.value {
        Value::List(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// The reason of the first unknown value inside `node`.
pub fn first_unknown(node: &Node) -> Option<String> {
    match &node.value {
        Value::Unknown(why) => Some(why.clone()),
        Value::List(items) => items.iter().find_map(first_unknown),
        Value::Map(entries) => entries.iter().find_map(|(_, v)| first_unknown(v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::parse;

    fn eval(yaml: &str, key: &str, params: &[(&str, &str)]) -> Value {
        let root = parse(yaml).unwrap();
        let values = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let resolver = Resolver::new(&root, &values);
        resolver
            .resolve(root.get("Outputs").unwrap().get(key).unwrap())
            .value
    }

    const T: &str = "
Parameters:
  Cidr: {Type: String}
  Env: {Type: String, Default: prod}
  Subnets: {Type: CommaDelimitedList, Default: 'a,b'}
Mappings:
  Ports: {prod: {Ssh: 22}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Unknowable: !Equals [!Ref Cidr, x]
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
Outputs:
  Ref: !Ref Vpc
  Cidr: !Ref Cidr
  VpcCidr: !GetAtt Vpc.CidrBlock
  Sub: !Sub '${Env}-${Vpc}-${!Literal}'
  Join: !Join ['-', [!Ref Env, x]]
  Select: !Select [1, !Ref Subnets]
  Az: !Select [0, !GetAZs '']
  If: !If [IsProd, yes, no]
  IfUnknown: !If [Unknowable, yes, no]
  Map: !FindInMap [Ports, !Ref Env, Ssh]
  Long: {\"Fn::Join\": [',', [a, b]]}
";

    fn s(text: &str) -> Value {
        Value::Scalar(text.to_owned())
    }

    #[test]
    fn resolves_what_is_known_and_says_why_not_otherwise() {
        assert_eq!(eval(T, "Ref", &[]), s("Vpc"));
        assert!(
            matches!(eval(T, "Cidr", &[]), Value::Unknown(w) if w.contains("`Cidr` has no default"))
        );
        assert_eq!(eval(T, "Cidr", &[("Cidr", "0.0.0.0/0")]), s("0.0.0.0/0"));
        assert_eq!(eval(T, "VpcCidr", &[]), s("10.0.0.0/16"));
        assert_eq!(eval(T, "Sub", &[]), s("prod-Vpc-${Literal}"));
        assert_eq!(eval(T, "Join", &[]), s("prod-x"));
        assert_eq!(eval(T, "Select", &[]), s("b"));
        assert_eq!(eval(T, "Az", &[]), s("GetAZs[0]"));
        assert_eq!(eval(T, "If", &[]), s("yes"));
        assert_eq!(eval(T, "If", &[("Env", "dev")]), s("no"));
        assert!(matches!(eval(T, "IfUnknown", &[]), Value::Unknown(_)));
        assert_eq!(eval(T, "Map", &[]), s("22"));
        assert_eq!(eval(T, "Long", &[]), s("a,b"));
    }
}
