#!/usr/bin/env python3
"""The published JSON Schema (docs/invoice-input.schema.json) accepts every valid fixture and the
documented example, and rejects the fixtures that fail at parse level (unknown field, missing field)."""
import json, pathlib, sys

from jsonschema import Draft202012Validator, FormatChecker

root = pathlib.Path(__file__).resolve().parent.parent
schema = json.loads((root / "docs/invoice-input.schema.json").read_text(encoding="utf-8"))
v = Draft202012Validator(schema, format_checker=FormatChecker())
ok = [root / "docs/invoice-example.json", *sorted((root / "tests/fixtures/valid").glob("*.json"))]
bad = [root / "tests/fixtures/invalid" / f for f in ("unknown-field.json", "missing-seller.json", "date-not-iso.json")]
failures = []
for f in ok:
    errs = list(v.iter_errors(json.loads(f.read_text(encoding="utf-8"))))
    if errs:
        failures.append(f"{f.name}: {errs[0].json_path}: {errs[0].message}")
for f in bad:
    if v.is_valid(json.loads(f.read_text(encoding="utf-8"))):
        failures.append(f"{f.name}: the schema accepts what the parser refuses")
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"schema: {len(ok)} documents accepted, {len(bad)} refused as expected")
