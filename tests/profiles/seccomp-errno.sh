#!/usr/bin/env bash
# seccomp-errno.sh — every xattr syscall gets EPERM (an errno their man pages
# do not list, hence :force); data and namespace calls work.
. "$(dirname "$0")/plib.sh"
pf_init seccomp-errno

src=$(sn_tmpdir src)
echo data >"$src/f"
setfattr -n user.k -v v "$src/f"
pf_mount --src "$src" -p seccomp-errno

sn_expect_errno EPERM getxattr "$SN_MNT/f" user.k
sn_expect_errno EPERM setxattr "$SN_MNT/f" user.x v
sn_expect_errno EPERM listxattr "$SN_MNT/f"
sn_expect_errno EPERM removexattr "$SN_MNT/f" user.k
pf_expect_fired seccomp-errno 4 "one fire per xattr syscall (4)"
sn_eq "the xattr is untouched in the source" "v" "$(getfattr --only-values -n user.k "$src/f" 2>/dev/null)"

# everything else works (the kernel's own security.* lookups on write ignore
# the error)
sn_expect_errno "ok 4096" write "$SN_MNT/g" 4096
sn_expect_errno "ok 5" read "$SN_MNT/f" 100 0
sn_expect_errno ok mkdir "$SN_MNT/dir"
sn_expect_errno ok unlink "$SN_MNT/g"
sn_umount
sn_done
