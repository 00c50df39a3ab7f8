#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""trace_formats.py FORMATS REQUIRED TRACE...: every KVM trace line in the
TRACE files (x2sim run --trace, x2sim demo) matches, whole, the format of
its trace point in FORMATS (tests/cli/kvm-trace-formats.txt, written from
KVM 6.18's TP_printk strings); a trace point without a format fails; each
of REQUIRED (comma-separated) is seen at least once, and each reference
line of FORMATS ("=NAME<TAB>TEXT") appears verbatim."""
import re
import sys

CONV = {
    'u': r'[0-9]+', 'd': r'-?[0-9]+', 'x': r'[0-9a-f]+', 'lx': r'[0-9a-f]+',
    'llx': r'[0-9a-f]+', '08x': r'[0-9a-f]{8}', '016llx': r'[0-9a-f]{16}',
}


def alternative(alt):
    if alt == '*':
        return r'[^ ]*'
    if alt == '0x%lx':
        return r'0x[0-9a-f]+'
    return re.escape(alt)


def to_regex(fmt):
    out = []
    i = 0
    while i < len(fmt):
        if fmt.startswith('%{', i):
            end = fmt.index('}', i)
            alts = fmt[i + 2:end].split('|')
            out.append('(?:' + '|'.join(alternative(a) for a in alts) + ')')
            i = end + 1
            continue
        m = re.compile(r'%(016llx|08x|llx|lx|x|u|d)').match(fmt, i)
        if m:
            out.append(CONV[m.group(1)])
            i = m.end()
            continue
        if fmt[i] == '%':
            sys.exit('trace_formats: unknown conversion in ' + fmt)
        out.append(re.escape(fmt[i]))
        i += 1
    return re.compile(''.join(out))


def main():
    formats = {}
    refs = []
    with open(sys.argv[1]) as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            if line.startswith('='):
                refs.append(tuple(line[1:].rstrip('\n').split('\t', 1)))
                continue
            name, fmt = line.rstrip('\n').split('\t', 1)
            name = name.split(':')[-1]
            formats[name] = (fmt, to_regex(fmt))
    required = set(sys.argv[2].split(','))
    seen = set()
    lines_seen = set()
    bad = 0
    lines = 0
    for path in sys.argv[3:]:
        with open(path, errors='replace') as f:
            for line in f:
                m = re.search(r'(?:^|\s)(kvm_[a-z0-9_]+): (.*)$',
                              line.rstrip('\n'))
                if not m:
                    continue
                lines += 1
                name, rest = m.group(1), m.group(2)
                seen.add(name)
                lines_seen.add((name, rest))
                if name not in formats:
                    print('trace_formats: %s: no format for %s: %s'
                          % (path, name, line.strip()))
                    bad += 1
                    continue
                fmt, rx = formats[name]
                if not rx.fullmatch(rest):
                    print('trace_formats: %s: "%s" does not match %s\'s '
                          'format "%s"' % (path, rest, name, fmt))
                    bad += 1
    for name, text in refs:
        if (name, text) not in lines_seen:
            print('trace_formats: no line "%s: %s" in the traces'
                  % (name, text))
            bad += 1
        elif not formats[name][1].fullmatch(text):
            print('trace_formats: the reference "%s: %s" does not match '
                  'its format' % (name, text))
            bad += 1
    for name in sorted(required - seen):
        print('trace_formats: no %s line in the traces' % name)
        bad += 1
    if bad:
        sys.exit(1)
    print('trace_formats: %d lines of %d trace points match KVM\'s formats; '
          '%d reference lines found' % (lines, len(seen), len(refs)))


main()
