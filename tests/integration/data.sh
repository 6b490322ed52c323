# data.sh — file data through the mount equals the source: small, 64 MiB,
# sparse, appends, overwrite in the middle, truncate up/down.
# Usage: bash data.sh [--cache=strict|normal|writeback]
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/battery.sh"
cache=${1:-}
sn_init "data${cache:+.${cache#--cache=}}"
sn_mount ${cache:+"$cache"}
sn_battery_data d
sn_check "daemon alive after data battery" sn_daemon_alive
sn_umount
sn_check_inodes_left
sn_done
