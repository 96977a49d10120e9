#!/bin/sh
# Regenerates the golden nf_tables messages used by tests/netfilter_golden.rs:
# runs `nft -f FILE` in a fresh network namespace under strace and dumps every message of the
# batch nft sends (one hex line per message, `--` between datagrams). The batch is captured
# whether or not the kernel accepts it (flowtables and queue need modules the host may lack).
# Usage: ./capture.sh FILE.nft > FILE.hex     (needs root, nft, strace, python3)
set -e
tmp=$(mktemp)
unshare -n strace -f -e trace=sendmsg -e write=3 -s 0 -o "$tmp" nft -f "$1" >/dev/null 2>&1 || true
python3 "$(dirname "$0")/strace_to_hex.py" "$tmp"
rm -f "$tmp"
