//! Packaging (README, "Install"): every crate meant for crates.io builds from its package, so
//! `cargo install vpcaudit` works. A package holds only files under its crate's directory and
//! matching its `include`; a file that `include_str!`/`include_bytes!` embeds and the package
//! leaves out makes a crate that does not build. These tests read `cargo package --list` (it
//! does not build: well under a second per crate) and find the embedded files by scanning the
//! packaged sources, so a new `include_str!` is checked without editing this file.
//!
//! The real check, building each crate from its package, is `cargo package --workspace`
//! (docs/releasing.md); it compiles the AWS SDK, so it is a release step, not a test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cargo(args: &[&str]) -> String {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace_root())
        .args(args)
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "cargo {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("cargo prints UTF-8")
}

/// A workspace member as `cargo metadata` describes it.
struct Member {
    name: String,
    dir: PathBuf,
    metadata: Value,
}

impl Member {
    /// `publish = false` is `[]`; publishable is `null` (or a list of registries).
    fn publishable(&self) -> bool {
        self.metadata["publish"]
            .as_array()
            .is_none_or(|registries| !registries.is_empty())
    }
}

fn members() -> Vec<Member> {
    let metadata: Value =
        serde_json::from_str(&cargo(&["metadata", "--no-deps", "--format-version", "1"]))
            .expect("cargo metadata is JSON");
    metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|package| Member {
            name: package["name"].as_str().expect("name").to_owned(),
            dir: Path::new(package["manifest_path"].as_str().expect("manifest_path"))
                .parent()
                .expect("manifest's directory")
                .to_owned(),
            metadata: package.clone(),
        })
        .collect()
}

fn published() -> Vec<Member> {
    members().into_iter().filter(Member::publishable).collect()
}

/// The files of `package`'s `.crate`, relative to its root.
fn package_list(package: &str) -> BTreeSet<String> {
    cargo(&["package", "--list", "--allow-dirty", "--package", package])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// docs/releasing.md's publish order names every published crate once, after the workspace
/// crates it depends on (crates.io must already have them), and none that is not published.
#[test]
fn the_publish_order_names_every_published_crate_after_its_dependencies() {
    let releasing = std::fs::read_to_string(workspace_root().join("docs/releasing.md"))
        .expect("docs/releasing.md");
    let order: Vec<&str> = releasing
        .lines()
        .filter_map(|line| line.trim().strip_prefix("cargo publish -p "))
        .collect();
    let all = members();
    let published: BTreeSet<&str> = all
        .iter()
        .filter(|m| m.publishable())
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(
        order.iter().copied().collect::<BTreeSet<_>>(),
        published,
        "docs/releasing.md's `cargo publish -p` lines are not the publishable crates: add the new \
         crate to the order, or set `publish = false` in its Cargo.toml"
    );
    assert_eq!(
        order.len(),
        published.len(),
        "a crate is published twice: {order:?}"
    );
    for member in all.iter().filter(|m| m.publishable()) {
        let at = order
            .iter()
            .position(|n| *n == member.name)
            .expect("in the order");
        for dep in member.metadata["dependencies"]
            .as_array()
            .expect("dependencies")
        {
            let name = dep["name"].as_str().expect("name");
            if dep["kind"].as_str() == Some("dev") || !published.contains(name) {
                continue;
            }
            let dep_at = order.iter().position(|n| *n == name).expect("in the order");
            assert!(
                dep_at < at,
                "docs/releasing.md publishes {} before its dependency {name}",
                member.name
            );
        }
    }
    for internal in ["vpcaudit-testkit", "vpcaudit-lambda"] {
        assert!(
            !published.contains(internal),
            "{internal} must say `publish = false`"
        );
    }
}

/// crates.io needs a description and a license; a page needs a readme, repository and
/// keywords. A published crate depends only on published crates, by version.
#[test]
fn published_crates_carry_their_metadata_and_depend_only_on_published_crates() {
    let all = members();
    let publishable: BTreeSet<&str> = all
        .iter()
        .filter(|m| m.publishable())
        .map(|m| m.name.as_str())
        .collect();
    let unpublished: BTreeSet<&str> = all
        .iter()
        .filter(|m| !m.publishable())
        .map(|m| m.name.as_str())
        .collect();
    let mut problems = Vec::new();
    for member in all.iter().filter(|m| m.publishable()) {
        let m = &member.metadata;
        for key in ["description", "license", "repository", "readme"] {
            if m[key].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{}: no `{key}`", member.name));
            }
        }
        let keywords = m["keywords"].as_array().map_or(0, Vec::len);
        if !(1..=5).contains(&keywords) {
            problems.push(format!("{}: {keywords} keywords (1 to 5)", member.name));
        }
        for dep in m["dependencies"].as_array().expect("dependencies") {
            let name = dep["name"].as_str().expect("dependency name");
            let dev = dep["kind"].as_str() == Some("dev");
            if unpublished.contains(name) && !dev {
                problems.push(format!("{}: depends on unpublished {name}", member.name));
            }
            if publishable.contains(name) && dep["req"].as_str() == Some("*") {
                problems.push(format!(
                    "{}: depends on {name} by path only (give it a version)",
                    member.name
                ));
            }
            // A dev-dependency on an unpublished crate is dropped from the package only when
            // it has no version: with one, `cargo publish` looks it up on crates.io and fails.
            if unpublished.contains(name) && dev && dep["req"].as_str() != Some("*") {
                problems.push(format!(
                    "{}: dev-dependency on unpublished {name} has a version",
                    member.name
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every file an `include_str!`/`include_bytes!` of a packaged source names is in the package,
/// and so is every published crate's readme.
#[test]
fn every_embedded_file_is_in_its_crates_package() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for member in published() {
        let list = package_list(&member.name);
        let readme = member.metadata["readme"].as_str().unwrap_or_default();
        if !list.contains(readme) {
            problems.push(format!(
                "{}: readme {readme:?} is not packaged",
                member.name
            ));
        }
        for source in list.iter().filter(|f| f.ends_with(".rs")) {
            let text = std::fs::read_to_string(member.dir.join(source))
                .unwrap_or_else(|e| panic!("{}/{source}: {e}", member.name));
            for include in scan::includes(&text) {
                checked += 1;
                let at = format!("{}: {source}: {}", member.name, include.source);
                let Some(pattern) = include.resolve(source) else {
                    problems.push(format!(
                        "{at}: names a file outside the crate's directory, which no package \
                         can hold (move it under the crate, or link it there)"
                    ));
                    continue;
                };
                if pattern.is_generated() {
                    continue;
                }
                let in_package: Vec<&String> = list.iter().filter(|f| pattern.matches(f)).collect();
                if in_package.is_empty() {
                    problems.push(format!("{at}: {pattern} is not in the package"));
                }
                // A pattern (concat! with a macro variable) stands for files on disk: each one
                // that matches must be packaged too.
                if pattern.is_wildcard() {
                    for on_disk in files_under(&member.dir) {
                        if pattern.matches(&on_disk) && !list.contains(&on_disk) {
                            problems.push(format!("{at}: {on_disk} is not in the package"));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        checked >= 2,
        "found only {checked} include_str!/include_bytes!: the scanner is broken"
    );
}

/// The registry embeds `rules/<ID>.md` for each rule; each is in vpcaudit-core's package.
#[test]
fn every_rule_doc_is_in_the_core_package() {
    let list = package_list("vpcaudit-core");
    let missing: Vec<String> = vpcaudit_core::rules::all()
        .iter()
        .map(|rule| format!("rules/{}.md", rule.meta.id))
        .filter(|doc| !list.contains(doc))
        .collect();
    assert!(
        missing.is_empty(),
        "not in vpcaudit-core's package: {missing:?}"
    );
    assert!(vpcaudit_core::rules::all().len() >= 30);
}

/// Files under `dir` (following symbolic links, as `cargo package` does), relative to it,
/// skipping build output and hidden directories.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&relative)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "target" {
                continue;
            }
            let path = relative.join(&name);
            let Ok(meta) = std::fs::metadata(dir.join(&path)) else {
                continue;
            };
            if meta.is_dir() {
                // Nested crates are packaged on their own.
                if !dir.join(&path).join("Cargo.toml").exists() {
                    stack.push(path);
                }
            } else {
                found.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found
}

/// A small Rust lexer, enough to find `include_str!(…)`/`include_bytes!(…)` outside comments
/// and string literals and to read their argument: a literal, or `concat!` of literals,
/// `env!("CARGO_MANIFEST_DIR")`, and anything else (a macro variable such as `$id`, another
/// macro), which stands for any file name part.
mod scan {
    use std::fmt;

    #[derive(Debug, Clone, PartialEq)]
    enum Token {
        Ident(String),
        Str(String),
        Punct(char),
    }

    /// A piece of an embedded path.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Piece {
        Literal(String),
        /// `env!("CARGO_MANIFEST_DIR")`: the crate's root.
        ManifestDir,
        /// `env!("OUT_DIR")`: generated by a build script, never packaged.
        OutDir,
        /// Anything else: any characters but `/`.
        Any,
    }

    /// One `include_str!`/`include_bytes!`, with its argument as written.
    #[derive(Debug)]
    pub struct Include {
        pub source: String,
        pub pieces: Vec<Piece>,
    }

    /// A path in the package, relative to its root, possibly with wildcards.
    #[derive(Debug, PartialEq)]
    pub struct Pattern(Vec<Piece>);

    fn tokens(text: &str) -> Vec<Token> {
        let chars: Vec<char> = text.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if c == '/' && next == Some('/') {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            } else if c == '/' && next == Some('*') {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            } else if c == '"' {
                let (s, end) = quoted(&chars, i + 1);
                out.push(Token::Str(s));
                i = end;
            } else if let Some((s, end)) = (c == 'r' || c == 'b')
                .then(|| raw_or_byte_string(&chars, i))
                .flatten()
            {
                out.push(Token::Str(s));
                i = end;
            } else if c == '\'' {
                // A char literal ('x', '\n', '"') or a lifetime ('a).
                if next == Some('\\') {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if chars.get(i + 2) == Some(&'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            } else if c.is_alphabetic() || c == '_' {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Token::Ident(chars[start..i].iter().collect()));
            } else if c.is_whitespace() {
                i += 1;
            } else {
                out.push(Token::Punct(c));
                i += 1;
            }
        }
        out
    }

    /// A `"…"` string's value from after its opening quote; returns the index after its end.
    fn quoted(chars: &[char], mut i: usize) -> (String, usize) {
        let mut s = String::new();
        while i < chars.len() && chars[i] != '"' {
            if chars[i] == '\\' {
                i += 1;
                match chars.get(i) {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('\n') => {
                        while chars.get(i + 1).is_some_and(|c| c.is_whitespace()) {
                            i += 1;
                        }
                    }
                    Some(&other) => s.push(other),
                    None => {}
                }
            } else {
                s.push(chars[i]);
            }
            i += 1;
        }
        (s, i + 1)
    }

    /// `r"…"`, `r#"…"#`, `b"…"`, `br#"…"#` at `i`, if one starts there.
    fn raw_or_byte_string(chars: &[char], i: usize) -> Option<(String, usize)> {
        if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
            return None;
        }
        let mut j = i;
        if chars[j] == 'b' {
            j += 1;
            if chars.get(j) == Some(&'"') {
                return Some(quoted(chars, j + 1));
            }
        }
        if chars.get(j) != Some(&'r') {
            return None;
        }
        j += 1;
        let mut hashes = 0;
        while chars.get(j) == Some(&'#') {
            hashes += 1;
            j += 1;
        }
        if chars.get(j) != Some(&'"') {
            return None;
        }
        j += 1;
        let start = j;
        while j < chars.len() {
            if chars[j] == '"' && (1..=hashes).all(|h| chars.get(j + h) == Some(&'#')) {
                return Some((chars[start..j].iter().collect(), j + 1 + hashes));
            }
            j += 1;
        }
        None
    }

    /// Every `include_str!`/`include_bytes!` in `text`.
    pub fn includes(text: &str) -> Vec<Include> {
        let tokens = tokens(text);
        let mut found = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            let Token::Ident(name) = token else { continue };
            if name != "include_str" && name != "include_bytes" {
                continue;
            }
            if tokens.get(i + 1) != Some(&Token::Punct('!')) {
                continue;
            }
            let Some(Token::Punct(open)) = tokens.get(i + 2) else {
                continue;
            };
            let Some(close) = closing(*open) else {
                continue;
            };
            let (args, _) = group(&tokens, i + 3, close);
            found.push(Include {
                source: format!("{name}!({})", render(&args)),
                pieces: pieces(&args),
            });
        }
        found
    }

    fn closing(open: char) -> Option<char> {
        match open {
            '(' => Some(')'),
            '[' => Some(']'),
            '{' => Some('}'),
            _ => None,
        }
    }

    /// The tokens from `start` to the bracket that closes the group; returns the index after.
    fn group(tokens: &[Token], start: usize, close: char) -> (Vec<Token>, usize) {
        let mut depth = 0;
        let mut i = start;
        while i < tokens.len() {
            match &tokens[i] {
                Token::Punct('(' | '[' | '{') => depth += 1,
                Token::Punct(c) if *c == close && depth == 0 => break,
                Token::Punct(')' | ']' | '}') => depth -= 1,
                _ => {}
            }
            i += 1;
        }
        (tokens[start..i.min(tokens.len())].to_vec(), i + 1)
    }

    fn render(tokens: &[Token]) -> String {
        tokens
            .iter()
            .map(|t| match t {
                Token::Ident(s) => s.clone(),
                Token::Str(s) => format!("{s:?}"),
                Token::Punct(c) => c.to_string(),
            })
            .collect()
    }

    /// The pieces of an include's argument.
    fn pieces(args: &[Token]) -> Vec<Piece> {
        match args {
            [Token::Str(s)] | [Token::Str(s), Token::Punct(',')] => vec![Piece::Literal(s.clone())],
            [
                Token::Ident(m),
                Token::Punct('!'),
                Token::Punct(open),
                rest @ ..,
            ] if m == "concat" && closing(*open).is_some() => {
                let (inner, _) = group(rest, 0, closing(*open).expect("bracket"));
                inner
                    .split(|t| *t == Token::Punct(','))
                    .filter(|part| !part.is_empty())
                    .map(|part| match part {
                        [Token::Str(s)] => Piece::Literal(s.clone()),
                        [
                            Token::Ident(e),
                            Token::Punct('!'),
                            Token::Punct(_),
                            Token::Str(var),
                            ..,
                        ] if e == "env" && var == "CARGO_MANIFEST_DIR" => Piece::ManifestDir,
                        [
                            Token::Ident(e),
                            Token::Punct('!'),
                            Token::Punct(_),
                            Token::Str(var),
                            ..,
                        ] if e == "env" && var == "OUT_DIR" => Piece::OutDir,
                        _ => Piece::Any,
                    })
                    .collect()
            }
            _ => vec![Piece::Any],
        }
    }

    impl Include {
        /// The path this include names in the package of the file at `source` (relative to
        /// the package root), or None when it leaves the package.
        pub fn resolve(&self, source: &str) -> Option<Pattern> {
            if self.pieces.contains(&Piece::OutDir) {
                return Some(Pattern(vec![Piece::OutDir]));
            }
            // Join and normalise on the text: a path's `..` segments are literal pieces.
            let mut pieces = self.pieces.clone();
            let mut base: Vec<String> = match pieces.first() {
                Some(Piece::ManifestDir) => {
                    pieces.remove(0);
                    Vec::new()
                }
                _ => {
                    let mut dir: Vec<String> = source.split('/').map(str::to_owned).collect();
                    dir.pop();
                    dir
                }
            };
            // Leading literal `..`/`.` segments move the base; the rest is the pattern.
            while let Some(Piece::Literal(first)) = pieces.first_mut() {
                let trimmed = first.trim_start_matches('/');
                let Some((segment, rest)) = trimmed.split_once('/') else {
                    *first = trimmed.to_owned();
                    break;
                };
                match segment {
                    ".." => {
                        base.pop()?;
                    }
                    "." | "" => {}
                    _ => base.push(segment.to_owned()),
                }
                *first = rest.to_owned();
            }
            let mut resolved = Vec::new();
            if !base.is_empty() {
                resolved.push(Piece::Literal(format!("{}/", base.join("/"))));
            }
            resolved.extend(pieces);
            Some(Pattern(resolved))
        }
    }

    impl Pattern {
        pub fn is_generated(&self) -> bool {
            self.0.contains(&Piece::OutDir)
        }

        pub fn is_wildcard(&self) -> bool {
            self.0.contains(&Piece::Any)
        }

        pub fn matches(&self, path: &str) -> bool {
            fn go(pieces: &[Piece], rest: &str) -> bool {
                match pieces.split_first() {
                    None => rest.is_empty(),
                    Some((Piece::Literal(s), tail)) => {
                        rest.strip_prefix(s.as_str()).is_some_and(|r| go(tail, r))
                    }
                    Some((Piece::Any, tail)) => (0..=rest.find('/').unwrap_or(rest.len()))
                        .filter(|&n| rest.is_char_boundary(n))
                        .any(|n| go(tail, &rest[n..])),
                    Some((Piece::ManifestDir | Piece::OutDir, _)) => false,
                }
            }
            go(&self.0, path)
        }
    }

    impl fmt::Display for Pattern {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for piece in &self.0 {
                match piece {
                    Piece::Literal(s) => f.write_str(s)?,
                    _ => f.write_str("*")?,
                }
            }
            Ok(())
        }
    }

    #[test]
    fn finds_includes_in_code_and_not_in_comments_or_strings() {
        let text = r##"
            // include_str!("commented.txt")
            /* include_str!("block.txt") */
            const A: &str = "include_str!(\"in-a-string.txt\")";
            const Q: char = '"';
            fn f<'a>(x: &'a str) {}
            const B: &[u8] = include_bytes!("../data/b.bin");
            const R: &str = r#"include_str!("raw.txt")"#;
            macro_rules! rule { ($id:literal) => { include_str!(concat!("../../rules/", $id, ".md")) } }
            const C: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/c.txt"));
        "##;
        let found = includes(text);
        let at = |source: &str, i: usize| found[i].resolve(source).map(|p| p.to_string());
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(at("src/lib.rs", 0), Some("data/b.bin".into()));
        assert_eq!(at("lib.rs", 0), None, "leaves the package");
        assert_eq!(at("src/rules/mod.rs", 1), Some("rules/*.md".into()));
        assert_eq!(at("src/deep/mod.rs", 2), Some("c.txt".into()));
        let pattern = found[1]
            .resolve("src/rules/mod.rs")
            .expect("in the package");
        assert!(pattern.matches("rules/SG001.md"));
        assert!(!pattern.matches("rules/sub/SG001.md"));
        assert!(!pattern.matches("rules/SG001.txt"));
        assert!(
            found[0]
                .resolve("src/x/y.rs")
                .expect("in")
                .matches("src/data/b.bin")
        );
    }
}
