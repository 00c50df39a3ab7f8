#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""check_lists.py TOP: the fuzz builds' coverage lists name what exists.

clang takes an entry of a coverage list that matches nothing without a
word, and a renamed function or file would then quietly come back into
a fuzz target's coverage (or leave it).  So:

- every file of tests/fuzz/notrace_diff.list exists;
- every src: pattern of coverage.ignore and coverage_icr.allow matches a
  file of the tree (one under generated/ only after a build: skipped);
- every fun: entry of coverage_icr.ignore names a function defined in a
  file that coverage_icr.allow instruments (src/fastpath/, src/lapic/).
"""
import fnmatch
import glob
import os
import re
import sys

top = os.path.realpath(sys.argv[1])
fuzz = os.path.join(top, 'tests', 'fuzz')
bad = []


def entries(name):
    """The (kind, value) entries of a list, comments and blanks left out."""
    out = []
    for line in open(os.path.join(fuzz, name), encoding='utf-8'):
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        kind, _, value = line.partition(':')
        out.append((kind, value) if value else ('file', kind))
    return out


tree = []
for dp, dn, fs in os.walk(top):
    # Build trees and git's own files are no sources (by the path inside
    # the tree: the checkout itself may sit under a directory "build").
    if dp == top:
        dn[:] = [d for d in dn if d not in ('.git', 'build')]
    tree += [os.path.join(dp, f) for f in fs]

for kind, value in entries('notrace_diff.list'):
    if not os.path.isfile(os.path.join(top, value)):
        bad.append('notrace_diff.list: %s is no file' % value)

for name in ('coverage.ignore', 'coverage_icr.allow'):
    for kind, value in entries(name):
        if kind != 'src' or 'generated' in value:
            continue
        if not any(fnmatch.fnmatch(p, value) for p in tree):
            bad.append('%s: src:%s matches no file' % (name, value))

icr_files = []
for d in ('fastpath', 'lapic'):
    icr_files += sorted(glob.glob(os.path.join(top, 'src', d, '*.[ch]')))
texts = [open(p, encoding='utf-8').read() for p in icr_files]
for kind, value in entries('coverage_icr.ignore'):
    if kind != 'fun':
        bad.append('coverage_icr.ignore: %s:%s is no fun: entry' %
                   (kind, value))
        continue
    # A definition: the name at a line's start after its type, then the
    # parameters and a body, not a declaration's ';'.
    pat = re.compile(r'^(?:[a-z][^;(]*\b)?%s\([^;{]*\)\s*\{' %
                     re.escape(value), re.M)
    if not any(pat.search(t) for t in texts):
        bad.append('coverage_icr.ignore: fun:%s is defined in no file of '
                   'src/fastpath/ or src/lapic/' % value)

for b in bad:
    print(b)
sys.exit(1 if bad else 0)
