# inodes.sh — the daemon's inode table drains: after a workload of lookups,
# hard links, renames, unlinks of open files and a deep tree, unmount leaves
# "snagfs: inodes left: 0" (and the daemon exits 0).
. "$(dirname "$0")/lib.sh"
sn_init inodes
sn_mount
M=$SN_MNT
sn_run mkdir -p "$M/a/b/c/d/e/f"
for i in $(seq 1 200); do echo $i >"$SN_SRC/a/f$i"; done
sn_run find "$M" -type f -exec cat {} + >/dev/null
sn_run ln "$M/a/f1" "$M/a/b/hard1"
sn_run mv "$M/a/f2" "$M/a/b/c/moved"
sn_run mv "$M/a/b/c" "$M/c-moved"
sn_run rm "$M/a/f3"
# unlink while open, then close
sn_run sh -c 'exec 3<"$1"; rm "$1"; cat <&3 >/dev/null' _ "$M/a/f4"
sn_run python3 -c '
import os, sys
d = sys.argv[1]
for i in range(2000):
    p = os.path.join(d, "t%d" % i)
    open(p, "w").close(); os.stat(p); os.rename(p, p + ".r"); os.unlink(p + ".r")' "$M"
sn_run ls -lR "$M" >/dev/null
sn_probe handle "$M/a/f5" "$M" >/dev/null   # exercise export lookups, result not asserted here
sn_check "daemon alive" sn_daemon_alive
sn_umount
sn_eq "daemon exit status" 0 "$SN_DAEMON_STATUS"
sn_check_inodes_left
# the same after the kernel forgot everything first
sn_mount --src "$SN_SRC"
sn_run find "$SN_MNT" >/dev/null
echo 3 >/proc/sys/vm/drop_caches
sn_umount
sn_check_inodes_left
sn_done
