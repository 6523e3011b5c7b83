#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tests/cli/man_options.py SNAPMIG MAN_PAGE - snapmig(1) against --help.

Every command that `snapmig --help` lists has its own subsection
("snapmig COMMAND") under COMMANDS in the generated page, and every option
its --help shows is described there (the term of a definition, .TP); the
options of `snapmig --help` itself are described under OPTIONS.  The
options come from tests/cli/help_options.py, i.e. from the binary.
"""
import os
import re
import subprocess
import sys

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok: " + what)
    else:
        failed += 1
        print("FAIL: " + what)


def plain(roff):
    """roff -> text: font changes dropped, \\- as -."""
    t = re.sub(r"\\f(\[[A-Z]*\]|[BIRP])", "", roff)
    return t.replace("\\-", "-").replace("\\[en]", "-").replace("\\&", "")


def sections(lines):
    """{(.SH title, .SS title or None): [lines]}"""
    out, sh, ss = {}, None, None
    for line in lines:
        if line.startswith(".SH "):
            sh, ss = line[4:].strip().strip('"'), None
            continue
        if line.startswith(".SS "):
            ss = line[4:].strip().strip('"')
            continue
        out.setdefault((sh, ss), []).append(line)
    return out


def described(body, opt):
    """the option is in the term of a definition (.TP's next line)"""
    pat = re.compile(r"(?<![\w-])%s(?![\w-])" % re.escape(opt))
    for i, line in enumerate(body[:-1]):
        if line.startswith(".TP") and pat.search(body[i + 1]):
            return True
    return False


def main():
    binary, page = sys.argv[1], sys.argv[2]
    if not os.path.exists(page):
        check(False, "%s exists (the man pages are built with pandoc: "
              "apt-get install pandoc, then reconfigure)" % page)
        print("%d passed, %d failed" % (passed, failed))
        return 1
    with open(page, encoding="utf-8") as f:
        secs = sections(plain(f.read()).splitlines())
    helper = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "help_options.py")
    out = subprocess.run([sys.executable, helper, binary], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()]
    check(len(rows) > 5, "help_options found the commands (%d)" % len(rows))
    for row in rows:
        cmd, opts = row[0], row[1:]
        if cmd == "snapmig":
            body = secs.get(("OPTIONS", None), [])
            where = "OPTIONS"
        else:
            body = secs.get(("COMMANDS", "snapmig " + cmd))
            where = "COMMANDS / snapmig " + cmd
            check(body is not None, "snapmig(1) has a section %s" % where)
            body = body or []
        for o in opts:
            check(described(body, o), "snapmig(1) %s describes %s" % (where, o))
    for key in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS",
                "ENVIRONMENT", "FILES", "SEE ALSO"):
        check((key, None) in secs, "snapmig(1) has %s" % key)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
