#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""check_docs.py TOP: the documentation stands on the repository alone and
agrees with itself.

- Every relative link of README.md and docs/*.md names a file or directory
  inside TOP that exists; no text file of the tree (docs, sources, tests,
  scripts) cites a design note or a shared directory outside it.
- The figures of README's table of guests on Unicorn are the figures of
  docs/guest.md's performance table, row by row.
"""
import os
import re
import sys

top = os.path.realpath(sys.argv[1])
bad = []

docs = [os.path.join(top, 'README.md')]
docs += [os.path.join(top, 'docs', n) for n in sorted(os.listdir(
    os.path.join(top, 'docs'))) if n.endswith('.md')]

for path in docs:
    text = open(path, encoding='utf-8').read()
    for m in re.finditer(r'\]\(([^)\s]+)\)', text):
        target = m.group(1).split('#')[0]
        if not target or re.match(r'[a-z]+:', target):
            continue
        full = os.path.realpath(os.path.join(os.path.dirname(path), target))
        rel = os.path.relpath(path, top)
        if not (full == top or full.startswith(top + os.sep)):
            bad.append('%s: link %s leaves the repository' % (rel, target))
        elif not os.path.exists(full):
            bad.append('%s: link %s names no file' % (rel, target))

# Names of things that were never in this repository.  Spelt in pieces so
# that this file does not match itself.
outside = [re.compile(p) for p in (r'DESIGN' + r'\.md', r'\.\./' + r'shared',
                                   r'(?<![\w-])refer' + r'ence/')]
skip_dirs = {'.git', 'build', 'node_modules'}
text_ext = ('.c', '.h', '.S', '.md', '.txt', '.sh', '.py', '.cmake', '.in',
            '.json', '.1', '.bash', '.ld', '.yml', '.yaml')
for root, dirs, files in os.walk(top):
    dirs[:] = [d for d in dirs if d not in skip_dirs]
    for n in files:
        if not (n.endswith(text_ext) or n in ('CMakeLists.txt', 'Makefile')):
            continue
        path = os.path.join(root, n)
        try:
            text = open(path, encoding='utf-8', errors='replace').read()
        except OSError:
            continue
        for rx in outside:
            for m in rx.finditer(text):
                line = text.count('\n', 0, m.start()) + 1
                bad.append('%s:%d: cites %s, which is not in the repository'
                           % (os.path.relpath(path, top), line, m.group(0)))


def table_after(text, marker):
    """The rows (lists of cells) of the first table after marker."""
    i = text.index(marker)
    rows = []
    for line in text[i:].splitlines():
        if line.startswith('|'):
            rows.append([c.strip() for c in line.strip('|').split('|')])
        elif rows:
            break
    return rows[2:]


def norm(cell):
    cell = cell.replace('guest instructions', 'guest insns')
    return re.sub(r'\s+', ' ', cell)


readme = open(docs[0], encoding='utf-8').read()
guest = open(os.path.join(top, 'docs', 'guest.md'), encoding='utf-8').read()
r_rows = table_after(readme, '### Guests on Unicorn')
g_rows = table_after(guest, '### The latest figures')
if len(r_rows) < 3:
    bad.append("README.md: no table of guests on Unicorn")
for row in r_rows:
    figures = [norm(c) for c in row[1:3]]
    if not any([norm(c) for c in g[1:3]] == figures for g in g_rows):
        bad.append("README.md: '%s' is %s, docs/guest.md's performance "
                   "table has no row with those figures"
                   % (row[0], ' / '.join(figures)))

for b in bad:
    print('check_docs: ' + b)
if bad:
    sys.exit(1)
print('check_docs: %d documents link inside the repository; README and '
      'docs/guest.md agree on %d figures' % (len(docs), len(r_rows)))
