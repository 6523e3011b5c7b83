#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tests/cli/help_options.py SNAPMIG - what every --help of snapmig offers.

Prints one line per command, "COMMAND OPTION...", from the commands that
`snapmig --help` lists and the options each `snapmig COMMAND --help` shows
(its usage line and its option list); the first line is "snapmig" and the
options of `snapmig --help` itself.  Used by tests/cli/man_options.sh and
tests/cli/completion.sh, so that the man page and the completions are
checked against what the binary says, not against a list of their own.
"""
import re
import subprocess
import sys

OPT = r"--?[A-Za-z0-9][A-Za-z0-9-]*"


def help_text(binary, *args):
    r = subprocess.run([binary, *args, "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.exit("help_options: %s %s --help: exit %d" %
                 (binary, " ".join(args), r.returncode))
    return r.stdout


def options(text):
    found = []
    lines = text.splitlines()
    # the usage: every line up to the first empty one
    for line in lines:
        if not line.strip():
            break
        for m in re.finditer(r"(?<![\w-])(%s)" % OPT, line):
            found.append(m.group(1))
    # the option list: lines that start (indented) with options
    for line in lines:
        m = re.match(r"^\s+(%s(?:,\s*%s)*)(?=[\s=]|$)" % (OPT, OPT), line)
        if m:
            found.extend(o.strip() for o in m.group(1).split(","))
    out = []
    for o in found:
        if o not in out:
            out.append(o)
    return out


def commands(text):
    cmds, inside = [], False
    for line in text.splitlines():
        if re.match(r"^(\S.*\s)?[Cc]ommands:\s*$", line):
            inside = True
            continue
        if inside:
            m = re.match(r"^\s+([a-z][a-z0-9-]*)\s{2,}\S", line)
            if m:
                cmds.append(m.group(1))
            elif not line.strip():
                inside = False
    return cmds


def main():
    binary = sys.argv[1]
    top = help_text(binary)
    cmds = commands(top)
    if len(cmds) < 5:
        sys.exit("help_options: found only %r in `snapmig --help`" % cmds)
    print(" ".join(["snapmig"] + options(top)))
    for c in cmds:
        print(" ".join([c] + options(help_text(binary, c))))


if __name__ == "__main__":
    main()
