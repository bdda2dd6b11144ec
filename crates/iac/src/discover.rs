//! Which files are templates: those given, and under directories the names SAM, CloudFormation
//! and the CDK use (`template.yaml`, `*.template.{yaml,yml,json}`, `cdk.out/*.template.json`).

use std::path::{Path, PathBuf};

/// How deep below a directory templates are looked for: a repository's infrastructure
/// folders, not every dependency tree.
const MAX_DEPTH: usize = 4;

/// Directories never searched: build output, dependencies and hidden folders (`.git`).
fn skipped(name: &str) -> bool {
    name.starts_with('.') || matches!(name, "target" | "node_modules" | "vendor" | ".aws-sam")
}

/// Whether a file name is one of the template names above (`cdk.out` holds only
/// `*.template.json`, which the second pattern already covers).
pub fn is_template_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "template.yaml" | "template.yml" | "template.json"
    ) || [".template.yaml", ".template.yml", ".template.json"]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
}

/// The templates among `paths`: a file is taken as given, a directory is searched (sorted, so
/// the order is stable). Unreadable directories are skipped: this only finds candidates, and
/// each one found is then loaded, with its own error.
pub fn discover(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, 0, &mut found);
        } else {
            found.push(path.clone());
        }
    }
    found
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if depth < MAX_DEPTH && !skipped(&name) {
                walk(&path, depth + 1, found);
            }
        } else if kind.is_file() && is_template_name(&name) {
            found.push(path.strip_prefix("./").unwrap_or(&path).to_path_buf());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_are_recognised_and_others_are_not() {
        for name in [
            "template.yaml",
            "Template.YML",
            "network.template.json",
            "app.template.yaml",
        ] {
            assert!(is_template_name(name), "{name}");
        }
        for name in [
            "samconfig.toml",
            "template.txt",
            "templates.yaml",
            "values.yaml",
        ] {
            assert!(!is_template_name(name), "{name}");
        }
    }

    #[test]
    fn directories_are_searched_except_build_output_and_hidden_ones() {
        let root = tempfile::tempdir().expect("tempdir");
        let write = |rel: &str| {
            let path = root.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, "Resources: {}\n").expect("write");
        };
        write("template.yaml");
        write("infra/network.template.yml");
        write("cdk.out/App.template.json");
        write("target/template.yaml");
        write("node_modules/x/template.yaml");
        write(".git/template.yaml");
        write("infra/readme.yaml");
        let found: Vec<String> = discover(&[root.path().to_path_buf()])
            .iter()
            .map(|p| {
                p.strip_prefix(root.path())
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        assert_eq!(
            found,
            [
                "cdk.out/App.template.json",
                "infra/network.template.yml",
                "template.yaml"
            ]
        );
    }
}
