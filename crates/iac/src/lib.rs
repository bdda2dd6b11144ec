//! CloudFormation and SAM templates into vpcaudit's inventory model, before deploy.
//!
//! [`Template::load`] reads YAML (short-form intrinsics included) or JSON keeping every line;
//! [`convert`] evaluates what intrinsics can be evaluated statically ([`resolve`]) and builds
//! a [`Snapshot`](vpcaudit_core::snapshot::Snapshot) the rules run on unchanged, plus a
//! [`SourceTable`] that places each finding at its template line. Values known only at deploy
//! time land in the snapshot's `coverage.unknown`: the rules that need them are not evaluated.

pub mod convert;
pub mod discover;
pub mod live;
pub mod node;
pub mod resolve;
pub mod sources;

use std::path::Path;

pub use convert::{Converted, TEMPLATE_ACCOUNT, convert};
pub use sources::SourceTable;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    /// The path as given, `/`-separated: the SARIF artifact URI.
    pub uri: String,
    /// The scope (inventory region) its resources are in: the template's path, so two
    /// templates never share one.
    pub scope: String,
    pub root: node::Node,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read template {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("template {path} is not valid YAML or JSON: {source}")]
    Parse {
        path: String,
        source: node::ParseError,
    },
    #[error("template {path} declares no Resources: it is not a CloudFormation template")]
    NotATemplate { path: String },
}

impl Template {
    pub fn load(path: &Path) -> Result<Template, LoadError> {
        let uri = path.to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: uri.clone(),
            source,
        })?;
        Template::parse(&uri, &text)
    }

    pub fn parse(uri: &str, text: &str) -> Result<Template, LoadError> {
        let root = node::parse(text).map_err(|source| LoadError::Parse {
            path: uri.to_owned(),
            source,
        })?;
        if root.get("Resources").is_none() {
            return Err(LoadError::NotATemplate {
                path: uri.to_owned(),
            });
        }
        let uri = uri.strip_prefix("./").unwrap_or(uri).to_owned();
        let file = uri.rsplit('/').next().unwrap_or(&uri);
        let scope = file
            .split('.')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or(file)
            .to_owned();
        Ok(Template { uri, scope, root })
    }
}
