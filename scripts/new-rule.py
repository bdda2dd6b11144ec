#!/usr/bin/env python3
"""Scaffold a new rule: its check, its doc, its fixture and its registry lines.

    scripts/new-rule.py ID rule_name "Title" [--severity high] [--principle sg-over-ip]
                        [--root DIR] [--dry-run]

Writes crates/core/src/rules/<rule_name>.rs, rules/<ID>.md, fixtures/rules/<ID>.json and adds
`mod <rule_name>;` and `rule!("<ID>", <rule_name>),` to crates/core/src/rules/mod.rs. The
generated doc and fixture hold TODOs that the tests reject until they are filled in: write the
check, its REQUIRES, the doc's sections and a must-flag and a must-stay-quiet case.
"""

import argparse
import json
import re
import sys
from pathlib import Path

CHECK = '''//! {title}. See `rules/{id}.md`.

use super::{{Cause, Violation}};
use crate::analysis::ScopeFacts;
use crate::snapshot::Dataset;

/// Every dataset the check reads (a test blanks the others and expects the same findings).
pub(super) const REQUIRES: &[Dataset] = &[Dataset::Vpcs];

pub(super) fn check(facts: &ScopeFacts<'_>) -> Vec<Violation> {{
    let mut out = Vec::new();
    for vpc in &facts.inventory.vpcs {{
        // TODO({id}): the condition, from AWS semantics; cite the resource in the message.
        if false {{
            out.push(
                Violation::new(facts.vpc_resource(&vpc.id), format!("{{}}: TODO", vpc.id))
                    .cause(Cause::none()),
            );
        }}
    }}
    out
}}
'''

DOC = '''+++
id = "{id}"
name = "{kebab}"
title = "{title}"
severity = "{severity}"
principle = "{principle}"
+++

## What it does

TODO

## Why it matters

TODO

## Example

TODO

## How to fix

TODO

## References

TODO
'''


def fixture(rule_id):
    return {
        "rule": rule_id,
        "cases": [
            {"name": "TODO: the situation the rule must flag",
             "expected": [[rule_id, "vpc-1"]],
             "inventory": {"vpcs": [{"id": "vpc-1", "cidr_blocks": ["10.0.0.0/16"]}]}},
            {"name": "TODO: the near miss it must stay quiet on",
             "expected": [],
             "inventory": {"vpcs": [{"id": "vpc-1", "cidr_blocks": ["10.0.0.0/16"]}]}},
        ],
    }


def add_registry_lines(text, rule_id, name):
    mods = re.findall(r"^mod (\w+);$", text, flags=re.M)
    if name in mods:
        raise SystemExit(f"crates/core/src/rules/mod.rs already has `mod {name};`")
    if f'rule!("{rule_id}",' in text:
        raise SystemExit(f"crates/core/src/rules/mod.rs already registers {rule_id}")
    after = max((m for m in mods if m < name), default=None)
    if after is None:
        text = text.replace(f"mod {mods[0]};", f"mod {name};\nmod {mods[0]};", 1)
    else:
        text = text.replace(f"mod {after};\n", f"mod {after};\nmod {name};\n", 1)
    start = text.index("const SOURCES: &[RuleSource] = &[")
    end = text.index("];", start)
    return text[:end] + f'    rule!("{rule_id}", {name}),\n' + text[end:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("id", help="stable code, e.g. SG006")
    parser.add_argument("name", help="snake_case name of what it detects, e.g. rdp_open_to_world")
    parser.add_argument("title")
    parser.add_argument("--severity", default="medium")
    parser.add_argument("--principle", default="sg-over-ip")
    parser.add_argument("--root", default=Path(__file__).resolve().parent.parent, type=Path)
    parser.add_argument("--dry-run", action="store_true", help="print the files, write nothing")
    args = parser.parse_args()
    if not re.fullmatch(r"[A-Z]+[0-9]{3}", args.id):
        raise SystemExit(f"id `{args.id}`: expected letters and three digits, e.g. SG006")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", args.name):
        raise SystemExit(f"name `{args.name}`: expected snake_case")
    if '"' in args.title:
        raise SystemExit("the title must not contain a double quote")

    root = args.root
    registry = root / "crates/core/src/rules/mod.rs"
    files = {
        root / f"crates/core/src/rules/{args.name}.rs": CHECK.format(id=args.id, title=args.title),
        root / f"rules/{args.id}.md": DOC.format(
            id=args.id, kebab=args.name.replace("_", "-"), title=args.title,
            severity=args.severity, principle=args.principle),
        root / f"fixtures/rules/{args.id}.json": json.dumps(fixture(args.id), indent=2) + "\n",
        registry: add_registry_lines(registry.read_text(), args.id, args.name),
    }
    for path in files:
        if path != registry and path.exists():
            raise SystemExit(f"{path} already exists")
    for path, text in files.items():
        if args.dry_run:
            print(f"==> {path.relative_to(root)}\n{text}")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(root)}", file=sys.stderr)


if __name__ == "__main__":
    main()
