#!/usr/bin/env python3
"""A small JSON-schema validator (the draft-07 subset the thag-analyze schemas use):
type (one or a list), const, enum, minimum, properties, required, additionalProperties,
items, allOf, $ref to #/definitions/NAME. No pip packages needed.
Usage: schema_check.py SCHEMA.json DOC.json  (exit 0 if valid, 1 with the errors)."""
import json
import sys

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}
KNOWN = {"$schema", "$id", "title", "description", "type", "const", "enum", "minimum", "properties",
         "required", "additionalProperties", "items", "allOf", "$ref", "definitions"}


def validate(schema, value, root, path, errors):
    unknown = set(schema) - KNOWN
    if unknown:
        raise ValueError("schema keyword(s) not supported by this validator: %s" % sorted(unknown))
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/definitions/"), ref
        validate(root["definitions"][ref[len("#/definitions/"):]], value, root, path, errors)
    for sub in schema.get("allOf", []):
        validate(sub, value, root, path, errors)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            errors.append("%s: %r is not of type %s" % (path, value, "/".join(types)))
            return
    if "const" in schema and value != schema["const"]:
        errors.append("%s: %r is not %r" % (path, value, schema["const"]))
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r is not one of %r" % (path, value, schema["enum"]))
    if "minimum" in schema and TYPES["number"](value) and value < schema["minimum"]:
        errors.append("%s: %r is below the minimum %r" % (path, value, schema["minimum"]))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append("%s: required property %r missing" % (path, key))
        for key, v in value.items():
            if key in props:
                validate(props[key], v, root, "%s.%s" % (path, key), errors)
            elif schema.get("additionalProperties") is False:
                errors.append("%s: unexpected property %r" % (path, key))
            elif isinstance(schema.get("additionalProperties"), dict):
                validate(schema["additionalProperties"], v, root, "%s.%s" % (path, key), errors)
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            validate(schema["items"], v, root, "%s[%d]" % (path, i), errors)


def check(schema, doc):
    errors = []
    validate(schema, doc, schema, "$", errors)
    return errors


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    with open(sys.argv[2]) as f:
        doc = json.load(f)
    errors = check(schema, doc)
    for e in errors:
        print(e, file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
