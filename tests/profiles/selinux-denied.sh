#!/usr/bin/env bash
# selinux-denied.sh — the profile denies open/create/exec/opendir/access with EACCES;
# stat, unlink and rename still work; one fire per denied syscall.
. "$(dirname "$0")/plib.sh"
pf_init selinux-denied

src=$(sn_tmpdir src)
mkdir "$src/d" "$src/gone"
echo data >"$src/d/f"; echo x >"$src/d/junk"
printf '#!/bin/sh\necho ran\n' >"$src/d/prog"; chmod 755 "$src/d/prog"
pf_mount --src "$src" -p selinux-denied

sn_expect_errno EACCES open "$SN_MNT/d/f"
sn_expect_errno EACCES open "$SN_MNT/d/f" wronly
sn_expect_errno EACCES creat "$SN_MNT/d/new"
sn_expect_errno EACCES mkdir "$SN_MNT/d/newdir"
sn_expect_errno EACCES symlink "$SN_MNT/d/ln" f
sn_expect_errno EACCES mknod-fifo "$SN_MNT/d/fifo"
sn_expect_errno EACCES readdir "$SN_MNT/d"
sn_expect_errno EACCES access "$SN_MNT/d/f" r
sn_eq "execve of a program in the tree fails with EACCES" EACCES "$(pf_py "
try: os.execv(M + '/d/prog', ['prog']); print('ran')
except OSError as e: print(ename(e))")"
pf_expect_fired selinux-denied 9 "one fire per denied syscall (9)"

# what stays allowed: stat, unlink, rename, rmdir (cleanup paths)
sn_expect_errno ok stat "$SN_MNT/d/f"
sn_expect_errno ok rename "$SN_MNT/d/f" "$SN_MNT/d/f2"
sn_expect_errno ok unlink "$SN_MNT/d/junk"
sn_expect_errno ok rmdir "$SN_MNT/gone"
sn_eq "nothing was created in the source" "f2 prog" "$(ls "$src/d" | tr '\n' ' ' | sed 's/ $//')"
pf_expect_fired selinux-denied 9 "allowed calls did not fire"
sn_umount
sn_done
