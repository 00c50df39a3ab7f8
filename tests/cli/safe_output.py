#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""safe_output.py X2SIM TMPDIR: --json (one module, tools/cli.c, for every
command's output files) against what a user may point it at.

- SIGINT, SIGTERM and SIGHUP while verify writes its report end x2sim as
  the signal does and leave neither the report nor its temporary.
- A FIFO is written in place, and is a FIFO afterwards.
- A new file's mode follows the umask (0644 under 022, 0600 under 077).
- A target whose name is NAME_MAX long is written (the temporary's name is
  cut to fit) and no temporary is left.
- A symbolic link is followed: the link stays, its target gets the report.
"""
import os
import signal
import stat
import subprocess
import sys
import threading
import time

x2sim, tmp = sys.argv[1], sys.argv[2]
os.makedirs(tmp, exist_ok=True)
fail = []
CASE = ['case', '--config', 'x2apic-2', '--sender', '0', '--wrmsr',
        '0x830=0x31', '--json']


def default_signals():
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)


def leftovers(d, name):
    return sorted(n for n in os.listdir(d) if n.startswith(name))


# Signals: a full sweep runs long enough to be interrupted while its
# report's temporary exists.
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    d = os.path.join(tmp, 'signal-%d' % sig)
    os.makedirs(d, exist_ok=True)
    for n in os.listdir(d):
        os.unlink(os.path.join(d, n))
    p = subprocess.Popen([x2sim, 'verify', '--fastpath', 'upstream',
                          '--threads', '1', '--json',
                          os.path.join(d, 'v.json')],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         preexec_fn=default_signals)
    deadline = time.time() + 60
    while not leftovers(d, 'v.json.tmp.') and time.time() < deadline:
        if p.poll() is not None:
            break
        time.sleep(0.02)
    if not leftovers(d, 'v.json.tmp.'):
        p.kill()
        p.wait()
        fail.append('%s: no temporary appeared' % signal.Signals(sig).name)
        continue
    p.send_signal(sig)
    rc = p.wait(timeout=60)
    if rc != -sig:
        fail.append('%s: ended with %d, not by the signal'
                    % (signal.Signals(sig).name, rc))
    left = leftovers(d, 'v.json')
    if left:
        fail.append('%s: left %s' % (signal.Signals(sig).name, left))

# A FIFO: written in place, read whole, still a FIFO.
fifo = os.path.join(tmp, 'report.fifo')
if os.path.lexists(fifo):
    os.unlink(fifo)
os.mkfifo(fifo)
got = []


def reader():
    with open(fifo, 'rb') as f:
        got.append(f.read())


t = threading.Thread(target=reader)
t.start()
rc = subprocess.call([x2sim] + CASE + [fifo], stdout=subprocess.DEVNULL)
t.join(timeout=60)
if rc != 0 or not got or b'"verdict": "equal"' not in got[0]:
    fail.append('FIFO: status %d, read %r' % (rc, got[:1]))
if not stat.S_ISFIFO(os.lstat(fifo).st_mode):
    fail.append('FIFO: replaced by a regular file')
if leftovers(tmp, 'report.fifo.tmp'):
    fail.append('FIFO: a temporary was made')

# The umask decides a new file's mode.
for mask, mode in ((0o022, 0o644), (0o077, 0o600)):
    f = os.path.join(tmp, 'umask-%03o.json' % mask)
    if os.path.lexists(f):
        os.unlink(f)
    rc = subprocess.call([x2sim] + CASE + [f], stdout=subprocess.DEVNULL,
                         preexec_fn=lambda m=mask: os.umask(m))
    if rc != 0 or stat.S_IMODE(os.stat(f).st_mode) != mode:
        fail.append('umask %03o: status %d, mode %s' % (
            mask, rc, oct(stat.S_IMODE(os.stat(f).st_mode))
            if os.path.exists(f) else 'no file'))

# A name NAME_MAX long.
long_dir = os.path.join(tmp, 'long')
os.makedirs(long_dir, exist_ok=True)
for n in os.listdir(long_dir):
    os.unlink(os.path.join(long_dir, n))
name = 'r' * (os.pathconf(long_dir, 'PC_NAME_MAX') - 5) + '.json'
rc = subprocess.call([x2sim] + CASE + [os.path.join(long_dir, name)],
                     stdout=subprocess.DEVNULL)
if rc != 0 or os.listdir(long_dir) != [name]:
    fail.append('a NAME_MAX name: status %d, %s' % (rc, os.listdir(long_dir)))

# A symbolic link: followed, kept.
target = os.path.join(tmp, 'link-target.json')
link = os.path.join(tmp, 'link.json')
for f in (target, link):
    if os.path.lexists(f):
        os.unlink(f)
open(target, 'w').close()
os.symlink(target, link)
rc = subprocess.call([x2sim] + CASE + [link], stdout=subprocess.DEVNULL)
if rc != 0 or not os.path.islink(link) or \
        b'"verdict"' not in open(target, 'rb').read():
    fail.append('a symbolic link: status %d, replaced or not followed' % rc)

for f in fail:
    print('safe_output: ' + f)
if fail:
    sys.exit(1)
print('safe_output: signals, a FIFO, the umask, a NAME_MAX name and a '
      'symbolic link')
