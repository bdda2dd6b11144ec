//! A template as a tree of nodes that remember their line and column, with CloudFormation's
//! intrinsic functions in one shape whether written short (`!Ref X`) or long (`{"Ref": "X"}`).

use std::borrow::Cow;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// Where something is in a template: 1-based line and column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub position: Position,
    pub value: Value,
}

/// A mapping key with its own position: a property's line is its key's line.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub position: Position,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Every scalar as written (`22`, `true`, `tcp`): CloudFormation converts types itself.
    Scalar(String),
    List(Vec<Node>),
    Map(Vec<(Key, Node)>),
    /// An intrinsic function by its long name (`Ref`, `Fn::GetAtt`, `Condition`, …).
    Function(String, Box<Node>),
    /// A value that cannot be known before deploy, and why.
    Unknown(String),
    /// `!Ref AWS::NoValue`: the property is removed.
    NoValue,
}

impl Node {
    pub fn new(position: Position, value: Value) -> Node {
        Node { position, value }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key of `key` in a mapping, for its position.
    pub fn key(&self, key: &str) -> Option<&Key> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(k, _)| k),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Key, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the file holds no YAML or JSON document")]
    Empty,
    #[error("line {line}: YAML aliases are not supported in templates")]
    Alias { line: usize },
}

/// Parses YAML or JSON (a YAML 1.2 parser reads JSON) into nodes.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| ParseError::Syntax {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.info().to_owned(),
    })?;
    let doc = docs.into_iter().next().ok_or(ParseError::Empty)?;
    convert(&doc)
}

fn position(node: &MarkedYaml<'_>) -> Position {
    Position {
        line: node.span.start.line(),
        column: node.span.start.col() + 1,
    }
}

fn scalar_text(scalar: &Scalar<'_>) -> Option<String> {
    match scalar {
        Scalar::Null => None,
        Scalar::Boolean(b) => Some(b.to_string()),
        Scalar::Integer(i) => Some(i.to_string()),
        Scalar::FloatingPoint(f) => Some(f.to_string()),
        Scalar::String(s) => Some(s.to_string()),
    }
}

fn convert(node: &MarkedYaml<'_>) -> Result<Node, ParseError> {
    let at = position(node);
    let value = match &node.data {
        YamlData::Value(scalar) => scalar_text(scalar).map_or(Value::Null, Value::Scalar),
        YamlData::Representation(text, _, _) => Value::Scalar(text.to_string()),
        YamlData::Sequence(items) => {
            Value::List(items.iter().map(convert).collect::<Result<_, _>>()?)
        }
        YamlData::Mapping(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, v) in map {
                let name = match &k.data {
                    YamlData::Value(s) => scalar_text(s).unwrap_or_default(),
                    YamlData::Representation(text, _, _) => text.to_string(),
                    _ => String::new(),
                };
                entries.push((
                    Key {
                        name,
                        position: position(k),
                    },
                    convert(v)?,
                ));
            }
            long_form_function(entries)
        }
        YamlData::Tagged(tag, inner) => {
            let mut arg = convert(inner)?;
            // The inner scalar of a tagged scalar carries no span of its own: use the tag's.
            if arg.position.line == 0 {
                arg.position = at;
            }
            let name = function_name(&tag.suffix);
            let arg = if name == "Fn::GetAtt" {
                split_get_att(arg)
            } else {
                arg
            };
            Value::Function(name.into_owned(), Box::new(arg))
        }
        YamlData::Alias(_) => return Err(ParseError::Alias { line: at.line }),
        YamlData::BadValue => Value::Null,
    };
    Ok(Node::new(at, value))
}

/// `Ref` and `Condition` keep their name; every other short tag is `Fn::<Tag>`.
fn function_name(tag: &str) -> Cow<'_, str> {
    match tag {
        "Ref" | "Condition" => Cow::Borrowed(tag),
        other => Cow::Owned(format!("Fn::{other}")),
    }
}

/// `!GetAtt Resource.Attribute` is the string form of `[Resource, Attribute]`.
fn split_get_att(arg: Node) -> Node {
    if let Value::Scalar(text) = &arg.value
        && let Some((resource, attribute)) = text.split_once('.')
    {
        let parts = vec![
            Node::new(arg.position, Value::Scalar(resource.to_owned())),
            Node::new(arg.position, Value::Scalar(attribute.to_owned())),
        ];
        return Node::new(arg.position, Value::List(parts));
    }
    arg
}

/// `{"Ref": X}` and `{"Fn::Sub": X}`: a one-key mapping naming a function is that function.
fn long_form_function(mut entries: Vec<(Key, Node)>) -> Value {
    if entries.len() == 1
        && let Some((key, _)) = entries.first()
        && (key.name == "Ref" || key.name == "Condition" || key.name.starts_with("Fn::"))
        && let Some((key, arg)) = entries.pop()
    {
        let arg = if key.name == "Fn::GetAtt" {
            split_get_att(arg)
        } else {
            arg
        };
        return Value::Function(key.name, Box::new(arg));
    }
    Value::Map(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_forms_are_one_shape_with_lines() {
        let yaml = "A:\n  VpcId: !Ref Vpc\n  Att: !GetAtt Sg.GroupId\nB: {\"Ref\": \"Vpc\"}\n";
        let root = parse(yaml).unwrap();
        let a = root.get("A").unwrap();
        let vpc = a.get("VpcId").unwrap();
        assert_eq!(vpc.position.line, 2);
        assert!(
            matches!(&vpc.value, Value::Function(n, arg) if n == "Ref" && arg.as_str() == Some("Vpc"))
        );
        let att = a.get("Att").unwrap();
        assert!(
            matches!(&att.value, Value::Function(n, arg) if n == "Fn::GetAtt" && matches!(&arg.value, Value::List(l) if l.len() == 2))
        );
        let b = root.get("B").unwrap();
        assert!(matches!(&b.value, Value::Function(n, _) if n == "Ref"));
        assert_eq!(a.key("Att").unwrap().position.line, 3);
    }

    #[test]
    fn json_parses_with_lines() {
        let json = "{\n  \"Resources\": {\n    \"Vpc\": {\"Type\": \"AWS::EC2::VPC\"}\n  }\n}\n";
        let root = parse(json).unwrap();
        let key = root.get("Resources").unwrap().key("Vpc").unwrap();
        assert_eq!(key.position.line, 3);
    }
}
