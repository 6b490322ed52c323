#!/usr/bin/env bash
# fsync-lies.sh — the lie is proven by a crash. SOURCE is a loop-mounted XFS
# image; one snagfs mount runs the profile, a second one has no rules. The
# same data is written and fsync'ed through both (both fsyncs return 0), then
# XFS is shut down without flushing (xfs_io -x -c shutdown: what a power cut
# leaves) and mounted again: the file synced for real is intact, the file
# whose fsync lied is not.
. "$(dirname "$0")/plib.sh"
pf_init fsync-lies
command -v mkfs.xfs >/dev/null && command -v xfs_io >/dev/null ||
	{ sn_skip "xfsprogs not installed"; sn_done; }

img=$SN_TMP/xfs.img
x=$(sn_tmpdir xfs)
truncate -s 300M "$img"
mkfs.xfs -q "$img" || sn_abort "mkfs.xfs failed"
loopdev=$(losetup --find --show "$img") || sn_abort "losetup failed"
sn_on_cleanup "losetup -d '$loopdev'"
mount -t xfs "$loopdev" "$x" || sn_abort "cannot mount the XFS image"
sn_on_cleanup "mountpoint -q '$x' && { timeout -k 2 20 umount '$x' || timeout 10 umount -l '$x'; }"
mkdir "$x/lie" "$x/real"; chmod 755 "$x/lie" "$x/real"
head -c 1048576 /dev/urandom >"$SN_TMP/payload"
sync

# write_sync MNT: write the payload to MNT/f and fsync it; prints the fsync's
# result and its duration class.
write_sync() {
	pf_py "
data = open('$SN_TMP/payload', 'rb').read()
fd = os.open('$1/f', os.O_WRONLY | os.O_CREAT, 0o644)
off = 0
while off < len(data): off += os.pwrite(fd, data[off:], off)
try: os.fsync(fd); r = 'fsync=0'
except OSError as e: r = 'fsync=' + ename(e)
os.fdatasync(fd); os.close(fd); print(r)"
}

pf_mount --src "$x/lie" -p fsync-lies
lie_mnt=$SN_MNT lie_ctl=$PF_CTL
sn_eq "fsync through the lying mount returns 0" "fsync=0" "$(write_sync "$lie_mnt")"
pf_expect_fired fsync-lies 2 "fsync and fdatasync both lied (2 fires)"
sn_umount "$lie_mnt"
pf_mount --src "$x/real"
sn_eq "fsync through the plain mount returns 0" "fsync=0" "$(write_sync "$SN_MNT")"
sn_umount

# the power cut: shut XFS down without flushing its log, then recover
sn_check "XFS shut down without a log flush" xfs_io -x -c shutdown "$x"
sn_run umount "$x" || sn_abort "cannot unmount the shut-down XFS"
mount -t xfs "$loopdev" "$x" || sn_abort "cannot remount the XFS image (log recovery)"
sn_check "really synced data survived the crash" cmp "$SN_TMP/payload" "$x/real/f"
if [ -e "$x/lie/f" ] && cmp -s "$SN_TMP/payload" "$x/lie/f"; then
	sn_fail "data behind the lying fsync survived the crash (was it written back early?)"
else
	sn_pass "data behind the lying fsync is lost ($( [ -e "$x/lie/f" ] && echo "file has $(stat -c %s "$x/lie/f") bytes" || echo "file missing"))"
fi
sn_done
