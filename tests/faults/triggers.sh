#!/usr/bin/env bash
# triggers.sh — when/prob/after/for and the filters, end to end, with exact counts.
. "$(dirname "$0")/../integration/lib.sh"
sn_init triggers

src=$(sn_tmpdir src)
mkdir -p "$src/db" "$src/deep/a/b"
head -c 65536 /dev/urandom >"$src/data.bin"
for f in wal p0 p1 ph seq1 seq2 seq3 comm uidf off size trunc first; do head -c 8192 /dev/urandom >"$src/$f"; done
head -c 8192 /dev/urandom >"$src/deep/a/b/x.log"
chmod 666 "$src/uidf"; chmod 777 "$src"

rules="$SN_TMP/triggers.rules"
cat >"$rules" <<'RULES'
fsync:path=/wal:when=3+3:error=EIO:id=every3
read:path=/p0:prob=0:error=EIO:id=never
read:path=/p1:prob=1:error=EIO:id=always
read:path=/ph:prob=50%:error=EIO:id=half
write:path=/db/**:after=64KiB:error=ENOSPC:id=full
write:path=/seq1:error=EIO,ENOSPC,EDQUOT:id=pick
read:path=/deep/**/*.log:error=ESTALE:id=globstar
read:path=/comm:comm=python3:error=EIO:id=comm
read:path=/uidf:uid=65534:error=EIO:id=uid
read:path=/off:offset=4096..8191:error=EIO:id=offset
read:path=/size:size=1..100:error=EIO:id=size
open:path=/trunc:flags=O_TRUNC:error=EPERM:id=flags
read:path=/first:error=EIO:id=first-wins
read:path=/first:error=ENOSPC:force:id=second
RULES

# pyloop CODE: run a python snippet with M set to the mount.
pyloop() { sn_run python3 -c "import os, errno; M='$SN_MNT'; $1"; }
reads() { # FILE N → the pattern of N one-byte preads: . for ok, E for EIO
	pyloop "
fd = os.open(M + '/$1', os.O_RDONLY); out = ''
for i in range($2):
    try: os.pread(fd, 1, 0); out += '.'
    except OSError as e: out += 'E' if e.errno == errno.EIO else '?'
print(out)"
}

sn_mount --src "$src" -R "$rules" --seed 42 -o allow_other

# when=3+3: fsyncs 3, 6 and 9 fail, the others succeed.
sn_eq "when=3+3 fires on exactly 3, 6, 9" "..E..E..E." "$(pyloop "
fd = os.open(M + '/wal', os.O_WRONLY); out = ''
for i in range(10):
    try: os.fsync(fd); out += '.'
    except OSError as e: out += 'E' if e.errno == errno.EIO else '?'
print(out)")"

# prob=0 never fires, prob=1 always does, 50% is within binomial bounds.
sn_eq "prob=0 fires 0 of 2000" 0 "$(reads p0 2000 | tr -cd E | wc -c)"
sn_eq "prob=1 fires 2000 of 2000" 2000 "$(reads p1 2000 | tr -cd E | wc -c)"
half1=$(reads ph 2000)
n=$(echo -n "$half1" | tr -cd E | wc -c)
# 2000 draws at p=0.5: sd 22.4; 6 sd is 134.
sn_check "prob=50% fires within 6 sigma of 1000 (got $n)" test "$n" -ge 866 -a "$n" -le 1134

# after=64KiB: 10,000-byte writes: 6 fit, the 7th is cut short at the limit,
# the 8th fails with ENOSPC.
sn_eq "after=64KiB: six full writes, a short one, then ENOSPC" "10000,10000,10000,10000,10000,10000,5536,ENOSPC" "$(pyloop "
fd = os.open(M + '/db/log', os.O_WRONLY | os.O_CREAT, 0o644); out = []
for i in range(8):
    try: out.append(str(os.write(fd, b'x' * 10000)))
    except OSError as e: out.append(errno.errorcode[e.errno])
print(','.join(out))")"
sn_eq "after=: the file holds exactly 64 KiB" 65536 "$(stat -c %s "$src/db/log")"

# error=A,B,C: one pick per hit from the seeded stream.
picks() {
	pyloop "
fd = os.open(M + '/seq1', os.O_WRONLY); out = []
for i in range(30):
    try: os.write(fd, b'x'); out.append('ok')
    except OSError as e: out.append(errno.errorcode[e.errno])
print(' '.join(out))"
}
seq_a=$(picks)
for e in EIO ENOSPC EDQUOT; do
	sn_check "error list picks $e at least once" grep -qw "$e" <<<"$seq_a"
done

# Filters.
sn_expect_errno ESTALE read "$SN_MNT/deep/a/b/x.log" 1 0
sn_expect_errno "ok 1" read "$SN_MNT/data.bin" 1 0
sn_eq "comm=python3 fires for python3" E "$(reads comm 1)"
sn_expect_errno "ok 1" read "$SN_MNT/comm" 1 0
sn_expect_errno "ok 1" read "$SN_MNT/uidf" 1 0
sn_eq "uid=65534 fires for uid 65534" "err EIO" \
	"$(sn_run setpriv --reuid 65534 --regid 65534 --clear-groups "$SN_PROBE" read "$SN_MNT/uidf" 1 0 2>/dev/null)"
sn_expect_errno "ok 1" read "$SN_MNT/off" 1 0
sn_expect_errno EIO read "$SN_MNT/off" 1 4096
sn_expect_errno EIO read "$SN_MNT/size" 50 0
sn_expect_errno "ok 4096" read "$SN_MNT/size" 4096 0
sn_expect_errno EPERM open "$SN_MNT/trunc" wronly\|trunc
sn_expect_errno ok open "$SN_MNT/trunc" wronly
sn_expect_errno EIO read "$SN_MNT/first" 1 0
sn_umount

# path= follows the mount's namespace: after a rename through the mount (of
# a directory above the file, while the file is open) the open file is
# matched by its new path; an open file that is unlinked keeps its last
# name, whether its path was looked at before the unlink (cached) or only
# after it (the kernel then calls it "NAME (deleted)").
mkdir -p "$src/mv/a"
for f in mv/a/f mv/u mv/u2; do echo data >"$src/$f"; done
sn_mount --src "$src" -r 'read:path=/mv/a/f:error=EIO:id=old' \
	-r 'read:path=/mv/b/f:error=ESTALE:id=new' -r 'read:path=/mv/u*:error=EIO:id=unlinked'
pyreads() { # python CODE with M = the mount and r(fd) = '.' or the errno name of a 1-byte pread
	sn_run python3 -c "import os, errno, sys
M = sys.argv[1]
def r(fd):
    try: os.pread(fd, 1, 0); return '.'
    except OSError as e: return errno.errorcode[e.errno]
$1" "$SN_MNT"
}
sn_eq "open file, directory renamed through the mount: old path, then new" "EIO ESTALE" \
	"$(pyreads "fd = os.open(M + '/mv/a/f', os.O_RDONLY); a = r(fd)
os.rename(M + '/mv/a', M + '/mv/b'); print(a, r(fd))")"
sn_eq "open file unlinked after a read: keeps its last path" "EIO EIO" \
	"$(pyreads "fd = os.open(M + '/mv/u', os.O_RDONLY); a = r(fd)
os.unlink(M + '/mv/u'); print(a, r(fd))")"
sn_eq "open file unlinked before any read: its last path, not 'NAME (deleted)'" "EIO" \
	"$(pyreads "fd = os.open(M + '/mv/u2', os.O_RDONLY); os.unlink(M + '/mv/u2'); print(r(fd))")"
sn_expect_errno ESTALE read "$SN_MNT/mv/b/f" 1 0
sn_umount

# Determinism: the same seed gives the same picks and the same prob pattern;
# another seed gives another pattern.
sn_mount --src "$src" -R "$rules" --seed 42 -o allow_other
reads p0 0 >/dev/null
sn_eq "same seed, same error picks" "$seq_a" "$(picks)"
sn_eq "same seed, same prob=50% pattern" "$half1" "$(reads ph 2000)"
sn_umount
sn_mount --src "$src" -R "$rules" --seed 43 -o allow_other
sn_check "another seed, another prob=50% pattern" test "$half1" != "$(reads ph 2000)"
sn_umount

# for=DURATION: the window opens at the first fire and closes after it. The
# two in-window reads come from one process, back to back, so machine load
# cannot push the second one out of the window.
sn_mount --src "$src" -r 'read:path=/p0:for=2s:error=EIO:id=window' --seed 1
sn_eq "for=2s: fires at first and right after" EE "$(reads p0 2)"
sleep 2.5
sn_eq "for=2s: the window has closed" . "$(reads p0 1)"
sn_umount
sn_done
