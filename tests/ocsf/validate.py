"""Validates vpcaudit's OCSF output against the OCSF models Prowler uses (py-ocsf-models).

Usage: python validate.py FILE   (a JSON array of Detection Finding records; `-` for stdin)

Each record must parse as `DetectionFinding` in strict mode (no type coercion), carry the
fixed class, category and activity, and follow the OCSF version the models are for. pydantic
ignores keys a model does not declare, so a misspelt field would pass silently: every key the
record holds must also be in the model's dump, except inside the free-form objects
(`unmapped`, `data`). Exit 0 when every record is valid; 1 with one line per problem; 3 when
py_ocsf_models cannot be imported (the caller decides whether that fails).
"""

import json
import sys

try:
    from importlib.metadata import version

    from py_ocsf_models import OCSF_VERSION
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding
except ImportError as error:  # the Rust test tells "not installed" from "invalid"
    print(f"py_ocsf_models is not importable: {error}", file=sys.stderr)
    sys.exit(3)

# Objects whose content is the producer's own: OCSF declares no keys inside them.
FREE_FORM = {"unmapped", "data"}


def unknown_keys(given, dumped, path):
    """Keys in `given` that the validated model dropped."""
    problems = []
    if isinstance(given, dict):
        if not isinstance(dumped, dict):
            return [f"{path}: an object where the model has {type(dumped).__name__}"]
        for key, value in given.items():
            where = f"{path}.{key}" if path else key
            if key not in dumped:
                problems.append(f"{where}: not a field of the OCSF model")
            elif key not in FREE_FORM:
                problems.extend(unknown_keys(value, dumped[key], where))
    elif isinstance(given, list) and isinstance(dumped, list):
        for index, (item, kept) in enumerate(zip(given, dumped)):
            problems.extend(unknown_keys(item, kept, f"{path}[{index}]"))
    return problems


def check(index, record):
    problems = []
    try:
        finding = DetectionFinding.model_validate_json(json.dumps(record), strict=True)
    except Exception as error:  # pydantic's ValidationError lists every field
        return [f"record {index}: {error}"]
    dumped = finding.model_dump(mode="json", exclude_none=True)
    problems.extend(f"record {index}: {p}" for p in unknown_keys(record, dumped, ""))
    expected = {
        "class_uid": 2004,
        "category_uid": 2,
        "activity_id": 1,
        "type_uid": 200401,
    }
    for key, value in expected.items():
        if record.get(key) != value:
            problems.append(f"record {index}: {key} is {record.get(key)!r}, not {value}")
    if record.get("metadata", {}).get("version") != OCSF_VERSION:
        problems.append(
            f"record {index}: metadata.version is not {OCSF_VERSION}, the models' OCSF version"
        )
    return problems


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "-"
    text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
    records = json.loads(text)
    if not isinstance(records, list):
        print("the OCSF output is not a JSON array", file=sys.stderr)
        return 1
    problems = [p for i, record in enumerate(records) for p in check(i, record)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(
        f"{len(records)} Detection Finding record(s) valid "
        f"(py-ocsf-models {version('py-ocsf-models')}, OCSF {OCSF_VERSION})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
