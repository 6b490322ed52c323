#!/usr/bin/env bash
# ebusy.sh — rename, rmdir and open of names in the tree fail with EBUSY; the
# rest works.
. "$(dirname "$0")/plib.sh"
pf_init ebusy

src=$(sn_tmpdir src)
mkdir "$src/d" "$src/d/empty"; echo data >"$src/d/f"
pf_mount --src "$src" -p ebusy

sn_expect_errno EBUSY rename "$SN_MNT/d/f" "$SN_MNT/d/g"
sn_expect_errno EBUSY rmdir "$SN_MNT/d/empty"
sn_expect_errno EBUSY open "$SN_MNT/d/f"
sn_expect_errno EBUSY open "$SN_MNT/d/f" rdwr
pf_expect_fired ebusy 4 "one fire per busy call (4)"
sn_eq "source unchanged" "empty f" "$(ls "$src/d" | tr '\n' ' ' | sed 's/ $//')"
sn_expect_errno ok stat "$SN_MNT/d/f"
sn_expect_errno "ok 10" write "$SN_MNT/d/new" 10
sn_expect_errno ok mkdir "$SN_MNT/d/sub"
sn_expect_errno ok unlink "$SN_MNT/d/new"
sn_expect_errno ok readdir "$SN_MNT/d"
pf_expect_fired ebusy 4 "calls outside the rule did not fire"
sn_umount
sn_done
