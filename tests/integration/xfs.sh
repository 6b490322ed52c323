# xfs.sh — a loop-mounted XFS image as SOURCE: the data and metadata battery,
# then fill it through the mount: the application sees ENOSPC unchanged and
# the files written before are intact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/battery.sh"
sn_init xfs
command -v mkfs.xfs >/dev/null || { sn_skip "mkfs.xfs not installed"; sn_done; }
img=$SN_TMP/xfs.img
xfsdir=$(sn_tmpdir xfs)
truncate -s 300M "$img"
mkfs.xfs -q "$img" || sn_abort "mkfs.xfs failed"
loopdev=$(losetup --find --show "$img") || sn_abort "losetup failed"
# Cleanups run newest first, after the FUSE mounts are gone: umount, detach.
sn_on_cleanup "losetup -d '$loopdev'"
mount -t xfs "$loopdev" "$xfsdir" || sn_abort "cannot mount XFS image"
sn_on_cleanup "timeout -k 2 20 umount '$xfsdir' || timeout 10 umount -l '$xfsdir'"
chmod 755 "$xfsdir"
sn_mount --src "$xfsdir"
M=$SN_MNT

sn_battery_data data
sn_battery_meta meta
sn_run rm -rf "$M/data" "$M/meta"

# files written before the disk fills
mkdir -p "$SN_TMP/keep"
for i in 1 2 3 4 5; do
	dd if=/dev/urandom of="$SN_TMP/keep/k$i" bs=1M count=4 status=none
	sn_run cp "$SN_TMP/keep/k$i" "$M/k$i"
done
sn_run sh -c 'echo small >"$1"' _ "$M/small"
sums=$(cd "$SN_TMP/keep" && sha256sum k*)

# fill it: dd must fail with ENOSPC's message
out=$(sn_run_t 120 dd if=/dev/zero of="$M/filler" bs=1M 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q 'No space left on device'; then
	sn_pass "dd until full fails with 'No space left on device'"
else sn_fail "dd until full: exit $rc, output: $(echo "$out" | head -3 | tr '\n' ' ')"; fi
sn_expect_errno ENOSPC write "$M/more" 1048576
sn_expect_errno ENOSPC fill "$M/filler2"
sn_expect_errno ENOSPC pwrite "$M/filler" 1048576 $((400 * 1024 * 1024))
sn_expect_errno ENOSPC fallocate "$M/prealloc" default 0 $((64 * 1024 * 1024))
sn_expect_same fallocate @/prealloc2 default 0 $((64 * 1024 * 1024))
# metadata while full: small creates may still fit; whatever the source says, the mount says
sn_expect_same statfs @
sn_eq "df through the mount equals df of the XFS" "$(stat -f -c '%b %f %a' "$xfsdir")" "$(sn_run stat -f -c '%b %f %a' "$M")"

sn_eq "earlier files intact through the mount" "$sums" "$(cd "$M" && sn_run sha256sum k1 k2 k3 k4 k5)"
sn_eq "earlier files intact in the XFS" "$sums" "$(cd "$xfsdir" && sha256sum k1 k2 k3 k4 k5)"
sn_eq "small file intact" "small" "$(sn_run cat "$M/small")"
sn_check "fsync of an earlier file while full" "$SN_PROBE" fsync "$M/k1"

# free space again: writes work
sn_run rm -f "$M/filler" "$M/filler2" "$M/more" "$M/prealloc" "$M/prealloc2"
sn_expect_errno "ok 1048576" write "$M/after" 1048576
sn_check "daemon alive" sn_daemon_alive
sn_umount
sn_check_inodes_left
sn_done
