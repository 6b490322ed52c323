# metadata.sh — modes, owners, nanosecond atime/mtime, link counts and the
# ctime update of chown(-1,-1) through the mount equal the source's.
# Usage: bash metadata.sh [--cache=strict|normal|writeback]
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/battery.sh"
cache=${1:-}
sn_init "metadata${cache:+.${cache#--cache=}}"
sn_mount ${cache:+"$cache"}
sn_battery_meta m
sn_umount
sn_check_inodes_left
sn_done
