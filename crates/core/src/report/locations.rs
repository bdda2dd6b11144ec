//! Where in the user's repository a finding's resource is declared: the template file and
//! line, so SARIF alerts land on code and Markdown links to it. Reports take a [`SourceMap`];
//! the template scan (`vpcaudit-iac`) and the live mapping of stack resources both provide one.

use crate::finding::Finding;

/// A place in a file of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    /// Repository-relative path with `/` separators, e.g. `deploy/template.yaml`.
    pub uri: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, when known.
    pub column: Option<usize>,
    /// What is there, e.g. `WebSg (SecurityGroupIngress[0])`.
    pub label: String,
}

/// Finds the source of a finding's resource, or None to keep the resource's pseudo-path.
pub trait SourceMap {
    fn locate(&self, finding: &Finding) -> Option<SourceLocation>;
}

/// No sources: every finding keeps its pseudo-path.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSources;

impl SourceMap for NoSources {
    fn locate(&self, _finding: &Finding) -> Option<SourceLocation> {
        None
    }
}
