#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tests/schema/check_plans.py - docs/plan.schema.json against the plans.

Run by tests/cli/plan_schema.sh with the venv of tests/schema/venv.sh
(PyPI's jsonschema, a real draft 2020-12 validator):

  check_plans.py SOURCE_DIR SNAPMIG_BINARY

- the schema is a valid draft 2020-12 schema;
- every example plan (plans/*.json), every valid test plan
  (tests/plans/valid-*.json, warnings.json) and tests/schema/valid/*.json
  passes it, and `snapmig validate` accepts each of them too;
- every invalid test plan whose mistake is one of shape fails it with the
  errors listed in SHAPE below; one whose mistake is not (JSON syntax) is
  listed in NOT_SHAPE and must not even parse; a new invalid-*.json listed
  in neither fails this test until it is classified;
- every tests/schema/invalid/*.json (one shape mistake each, named in its
  "// schema-error: PATH: TEXT" lines) fails the schema with that error, and
  `snapmig validate` rejects it too (exit 2).

Plans may hold // and /* */ comments (snapmig reads them); they are removed
here before the JSON is parsed, as an editor's JSONC mode does.
"""
import glob
import json
import os
import subprocess
import sys

from jsonschema import Draft202012Validator

# tests/plans/invalid-*.json whose mistakes are of shape: (instance path,
# text of the message) pairs the validator must report, among others.
SHAPE = {
    "invalid-cutover.json": [
        ("/restores/0/verify", "'samples' is not one of"),
        ("/restores/0/sample_size", "0 is less than the minimum of 1"),
        ("/restores/1/sample_size", "1001 is greater than the maximum"),
        ("/cutover/aliases/3", "'targte' was unexpected"),
        ("/cutover/aliases/4", "is not of type 'object'"),
        ("/cutover/unblock_source", "is not of type 'boolean'"),
        ("/cutover", "'keep_blocked' was unexpected"),
    ],
    "invalid-auth.json": [
        ("/snapmig", "1 was expected"),
        ("/domains", "'B' does not match"),
        ("/domains/a/auth", "'username' is not one of"),
        ("/domains/c/auth", "'tpye' was unexpected"),
        ("/domains/c/auth", "'type' is a required property"),
        ("/domains/d/auth/type", "'kerberos' is not one of"),
        ("/polling/initial_ms", "is not of type 'integer'"),
        ("/polling/timeout_s", "is not of type 'integer'"),
    ],
    "invalid-many.json": [
        ("/domains/eu", "'endpont' was unexpected"),
        ("/domains/eu", "'endpoint' is a required property"),
        ("/domains/us/auth", "'password' was unexpected"),
        ("/domains/us/insecure", "is not of type 'boolean'"),
        ("/repository/type", "'s4' is not one of"),
        ("/restores/0/on_conflict", "'overwrite' is not one of"),
    ],
    "invalid-missing.json": [
        ("", "'%s' is a required property" % k)
        for k in ("snapmig", "name", "domains", "repository", "snapshot",
                  "restores")
    ],
    "invalid-repo.json": [
        ("", "'restore' was unexpected"),
        ("/repository/settings", "'bucket' is a required property"),
        ("/restores/0/rename", "'replacement' is a required property"),
        ("/restores/1/index_settings", "is not of type 'object'"),
    ],
}
# tests/plans/invalid-*.json whose mistake is not one of shape.
NOT_SHAPE = {
    "invalid-syntax.json": "a JSON syntax error (trailing comma)",
}

passed = 0
failed = 0


def ok(what):
    global passed
    passed += 1
    print("ok: " + what)


def fail(what):
    global failed
    failed += 1
    print("FAIL: " + what)


def strip_comments(text):
    """JSONC -> JSON: drop // and /* */ comments outside strings."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.loads(strip_comments(f.read()))


def errors_of(validator, doc):
    return [("".join("/" + str(p) for p in e.absolute_path), e.message)
            for e in validator.iter_errors(doc)]


def snapmig_validate(binary, path):
    env = dict(os.environ, SNM_TEST_PW="x")
    r = subprocess.run([binary, "validate", "-q", path], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    return r.returncode, r.stderr.strip()


def expected_in(errors, want_path, want_text):
    return any(p == want_path and want_text in m for p, m in errors)


def main():
    top, binary = sys.argv[1], sys.argv[2]
    with open(os.path.join(top, "docs/plan.schema.json"),
              encoding="utf-8") as f:
        schema = json.load(f)
    try:
        Draft202012Validator.check_schema(schema)
        ok("docs/plan.schema.json is a valid draft 2020-12 schema")
    except Exception as e:  # jsonschema.SchemaError
        fail("docs/plan.schema.json is not a valid schema: %s" % e)
        return 1
    if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        fail("docs/plan.schema.json does not declare draft 2020-12")
    v = Draft202012Validator(schema)

    valid = (sorted(glob.glob(os.path.join(top, "plans/*.json"))) +
             sorted(glob.glob(os.path.join(top, "tests/plans/valid-*.json"))) +
             [os.path.join(top, "tests/plans/warnings.json")] +
             sorted(glob.glob(os.path.join(top, "tests/schema/valid/*.json"))))
    if len(glob.glob(os.path.join(top, "plans/*.json"))) < 3:
        fail("fewer than 3 example plans under plans/")
    for path in valid:
        name = os.path.relpath(path, top)
        errs = errors_of(v, load(path))
        if errs:
            fail("%s: valid plan fails the schema: %s" % (name, errs))
        else:
            ok("%s passes the schema" % name)
        rc, msg = snapmig_validate(binary, path)
        if rc != 0:
            fail("%s: snapmig validate exit %d: %s" % (name, rc, msg))
        else:
            ok("%s passes snapmig validate" % name)

    invalid = sorted(glob.glob(os.path.join(top, "tests/plans/invalid-*.json")))
    if not invalid:
        fail("no tests/plans/invalid-*.json")
    for path in invalid:
        base = os.path.basename(path)
        name = os.path.relpath(path, top)
        if base in NOT_SHAPE:
            try:
                load(path)
                fail("%s: listed as %s, but it parses" % (name,
                                                          NOT_SHAPE[base]))
            except ValueError:
                ok("%s does not parse (%s)" % (name, NOT_SHAPE[base]))
            continue
        if base not in SHAPE:
            fail("%s: a new invalid plan: list it in SHAPE (with the errors "
                 "the schema must report) or NOT_SHAPE" % name)
            continue
        errs = errors_of(v, load(path))
        for want_path, want_text in SHAPE[base]:
            if expected_in(errs, want_path, want_text):
                ok("%s fails at %s: %s" % (name, want_path or "/", want_text))
            else:
                fail("%s: no error at %s with %r; got %s" %
                     (name, want_path or "/", want_text, errs))

    own = sorted(glob.glob(os.path.join(top, "tests/schema/invalid/*.json")))
    if len(own) < 10:
        fail("fewer than 10 tests/schema/invalid/*.json")
    for path in own:
        name = os.path.relpath(path, top)
        with open(path, encoding="utf-8") as f:
            wants = [line.split(":", 1)[1].strip()
                     for line in f if line.startswith("// schema-error:")]
        if not wants:
            fail("%s: no '// schema-error: PATH: TEXT' line" % name)
            continue
        errs = errors_of(v, load(path))
        for want in wants:
            want_path, want_text = [s.strip() for s in want.split(":", 1)]
            want_path = "" if want_path == "/" else want_path
            if expected_in(errs, want_path, want_text):
                ok("%s fails at %s: %s" % (name, want_path or "/", want_text))
            else:
                fail("%s: no error at %s with %r; got %s" %
                     (name, want_path or "/", want_text, errs))
        rc, msg = snapmig_validate(binary, path)
        if rc != 2:
            fail("%s: snapmig validate exit %d, want 2 (the schema and the "
                 "parser disagree)" % (name, rc))
        else:
            ok("%s is rejected by snapmig validate too" % name)

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
