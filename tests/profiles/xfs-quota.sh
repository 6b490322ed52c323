#!/usr/bin/env bash
# xfs-quota.sh — as disk-full with EDQUOT after 32 MiB.
. "$(dirname "$0")/plib.sh"
PROFILE=xfs-quota LIMIT=$((32 << 20)) ERR=EDQUOT RULE=xfs-quota
. "$PF_HERE/fill_common.sh"
