#!/usr/bin/env bash
# missing-capability.sh — chown, chmod, mknod of a device and privileged
# xattrs fail with EPERM; ordinary file I/O works.
. "$(dirname "$0")/plib.sh"
pf_init missing-capability

src=$(sn_tmpdir src)
echo data >"$src/f"
setfattr -n trusted.k -v v "$src/f"
pf_mount --src "$src" -p missing-capability

sn_expect_errno EPERM chown "$SN_MNT/f" 65534 65534
sn_expect_errno EPERM chmod "$SN_MNT/f" 0600
sn_expect_errno EPERM mknod-char "$SN_MNT/null2" 1 3
sn_expect_errno EPERM setxattr "$SN_MNT/f" trusted.x v
sn_expect_errno EPERM removexattr "$SN_MNT/f" trusted.k
pf_expect_fired missing-capability 5 "one fire per privileged call (5)"
sn_eq "owner unchanged in the source" "0:0" "$(stat -c %u:%g "$src/f")"
sn_eq "no device node created" "" "$(ls "$src" | grep null2)"

sn_expect_errno "ok 100" write "$SN_MNT/g" 100
sn_expect_errno "ok 5" read "$SN_MNT/f" 100 0
sn_expect_errno ok mkdir "$SN_MNT/dir"
sn_expect_errno ok rename "$SN_MNT/g" "$SN_MNT/g2"
sn_expect_errno ok unlink "$SN_MNT/g2"
sn_expect_errno ok getxattr "$SN_MNT/f" trusted.k
pf_expect_fired missing-capability 5 "unprivileged calls did not fire"
sn_umount
sn_done
