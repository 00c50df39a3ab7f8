#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""check_schema.py SCHEMA [--invalid] FILE...: each FILE is valid against
the JSON Schema (draft 2020-12) SCHEMA, or with --invalid, each is not.
Exit 0 when all are as expected, 1 otherwise, 77 (a skipped test) when
python3-jsonschema is not installed (tools/install-deps.sh installs it)."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("check_schema: python3-jsonschema is not installed "
          "(tools/install-deps.sh installs it)", file=sys.stderr)
    sys.exit(77)


def main(argv):
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    want_valid = True
    status = 0
    for path in argv[2:]:
        if path == "--invalid":
            want_valid = False
            continue
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: e.path)
        if want_valid and errors:
            for e in errors[:5]:
                where = "/".join(str(p) for p in e.absolute_path)
                print(f"{path}: /{where}: {e.message[:300]}", file=sys.stderr)
            status = 1
        elif not want_valid and not errors:
            print(f"{path}: valid, but should not be", file=sys.stderr)
            status = 1
        else:
            print(f"ok: {path} is {'valid' if want_valid else 'invalid'}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
