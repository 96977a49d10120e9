#!/usr/bin/env python3
"""Parse `strace -e write=FD` hex dumps of sendmsg into netlink messages (hex, one per line)."""
import sys, re
data = []
cur = None
for line in open(sys.argv[1]):
    if re.match(r'^\d+ +sendmsg', line):
        if cur is not None: data.append(cur)
        cur = bytearray()
    m = re.match(r'^\s*\| [0-9a-f]{5}  ((?:[0-9a-f]{2} ?){1,8})(?: ((?:[0-9a-f]{2} ?){1,8}))?', line)
    if m and cur is not None:
        hexs = (m.group(1) + ' ' + (m.group(2) or '')).split()
        cur.extend(bytes.fromhex(''.join(hexs)))
if cur is not None: data.append(cur)
for d in data:
    off = 0
    while off + 16 <= len(d):
        ln = int.from_bytes(d[off:off+4], 'little')
        if ln < 16: break
        msg = d[off:off+ln]
        print(msg.hex())
        off += (ln + 3) & ~3
    print('--')
