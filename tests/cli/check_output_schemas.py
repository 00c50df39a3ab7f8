#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""check_output_schemas.py DOCS KIND=FILE...: each FILE (a real output of
x2sim case, run or bench) is valid against docs/KIND-report.schema.json,
and the same file spoilt (a required key dropped) is not.  Exit 77 (a
skip) without python3-jsonschema."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print('check_output_schemas: no python3-jsonschema: skipped')
    sys.exit(77)

docs = sys.argv[1]
bad = 0
for arg in sys.argv[2:]:
    kind, path = arg.split('=', 1)
    schema = json.load(open('%s/%s-report.schema.json' % (docs, kind)))
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    doc = json.load(open(path))
    errors = list(v.iter_errors(doc))
    for e in errors[:5]:
        print('check_output_schemas: %s: %s' % (path, e.message))
    bad += bool(errors)
    spoilt = dict(doc)
    spoilt.pop(next(iter(doc)))
    if v.is_valid(spoilt):
        print('check_output_schemas: %s without "%s" passes %s\'s schema'
              % (path, next(iter(doc)), kind))
        bad += 1
if bad:
    sys.exit(1)
print('check_output_schemas: %d outputs valid, none spoilt' % (len(sys.argv) - 2))
