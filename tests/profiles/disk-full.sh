#!/usr/bin/env bash
# disk-full.sh — 64 MiB fit, the crossing write is short, then ENOSPC on every
# allocating call while read, stat, truncate, rename, fsync and unlink work.
. "$(dirname "$0")/plib.sh"
PROFILE=disk-full LIMIT=$((64 << 20)) ERR=ENOSPC RULE=disk-full
. "$PF_HERE/fill_common.sh"
