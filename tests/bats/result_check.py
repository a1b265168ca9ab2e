"""Checks that stdin is exactly one line holding one JSON object valid against
docs/result.schema.json (python3-jsonschema), and prints it again. Used by the bats tests."""
import json
import os
import sys

import jsonschema

text = sys.stdin.read()
if not text.endswith("\n") or text.count("\n") != 1:
    sys.exit("expected exactly one line on stdout, got %d:\n%s" % (text.count("\n"), text))
doc = json.loads(text)
schema_path = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "result.schema.json")
with open(schema_path) as f:
    schema = json.load(f)
try:
    jsonschema.validate(doc, schema)
except jsonschema.ValidationError as e:
    sys.exit("result does not match docs/result.schema.json: %s\n%s" % (e.message, text))
sys.stdout.write(text)
