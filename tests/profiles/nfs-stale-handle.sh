#!/usr/bin/env bash
# nfs-stale-handle.sh — ESTALE reaches the program from stat, open and read
# although the kernel retries a path walk once on ESTALE: the profile's rule
# fires twice per stat/open by name (the retry fails too) and once per read
# on an open fd. The contrast: a rule firing once (when=1) is absorbed by the
# retry and the program sees success.
. "$(dirname "$0")/plib.sh"
pf_init nfs-stale-handle

src=$(sn_tmpdir src)
mkdir "$src/d"; echo data >"$src/d/f"; echo top >"$src/top"
pf_mount --src "$src" -p nfs-stale-handle

sn_expect_errno ESTALE stat "$SN_MNT/d/f"
pf_expect_fired nfs-stale 2 "stat by name: fired twice (walk + LOOKUP_REVAL retry)"
sn_expect_errno ESTALE open "$SN_MNT/top"
pf_expect_fired nfs-stale 4 "open by name: two more fires"
sn_expect_errno ok readdir "$SN_MNT"
sn_umount

# read on an fd opened before the handle went stale: the profile's rules are
# added over the control socket between the open and the read.
pf_mount --src "$src"
rules=$(pf_rules nfs-stale-handle)
got=$(SNAGCTL=$SNAGCTL pf_py "
fd = os.open(M + '/d/f', os.O_RDONLY)
for r in '''$rules'''.splitlines():
    subprocess.run([SNAGCTL, '-S', CTL, 'add', r], check=True, stdout=subprocess.DEVNULL)
out = []
for i in range(2):
    try: os.pread(fd, 10, 0); out.append('ok')
    except OSError as e: out.append(ename(e))
try: os.fstat(fd); out.append('fstat=ok')
except OSError as e: out.append('fstat=' + ename(e))
print(' '.join(out))")
sn_eq "reads and fstat on the open fd fail with ESTALE" "ESTALE ESTALE fstat=ESTALE" "$got"
pf_expect_fired nfs-stale 3 "one fire per fd call (no retry without a path walk)"
sn_umount

# why the profile fires on every match: a when=1 rule is eaten by the retry
pf_mount --src "$src" -r 'getattr:path=/d/f:when=1:error=ESTALE:id=once'
sn_expect_errno ok stat "$SN_MNT/d/f"
pf_expect_fired once 1 "when=1: it fired, the retry succeeded, the program saw success"
sn_umount
sn_done
