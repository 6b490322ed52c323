#!/usr/bin/env bash
# apparmor-denied.sh — creating under the denied tree gives ENOENT (though the
# directory exists); opening an existing file gives EACCES.
. "$(dirname "$0")/plib.sh"
pf_init apparmor-denied

src=$(sn_tmpdir src)
mkdir "$src/d"; echo data >"$src/d/f"; echo x >"$src/d/junk"
pf_mount --src "$src" -p apparmor-denied

sn_expect_errno ENOENT creat "$SN_MNT/d/new"
sn_expect_errno ENOENT open "$SN_MNT/d/new2" 'wronly|creat'
sn_expect_errno ENOENT mkdir "$SN_MNT/d/sub"
sn_expect_errno ENOENT symlink "$SN_MNT/d/ln" f
sn_expect_errno ENOENT link "$SN_MNT/d/f" "$SN_MNT/d/hard"
sn_expect_errno ok stat "$SN_MNT/d"
pf_expect_fired apparmor-create 5 "create-style calls: 5 fires of apparmor-create"
sn_expect_errno EACCES open "$SN_MNT/d/f"
sn_expect_errno EACCES open "$SN_MNT/d/f" 'wronly|creat'
sn_expect_errno EACCES readdir "$SN_MNT/d"
pf_expect_fired apparmor-open 3 "opens of existing names: 3 fires of apparmor-open"
sn_expect_errno ok stat "$SN_MNT/d/f"
sn_expect_errno ok unlink "$SN_MNT/d/junk"
sn_eq "nothing was created in the source" "f" "$(ls "$src/d")"
sn_umount
sn_done
