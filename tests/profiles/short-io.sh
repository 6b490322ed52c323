#!/usr/bin/env bash
# short-io.sh — every read and write over 4000 bytes transfers exactly 4000:
# a naive loop loses data, a correct loop gets all of it.
. "$(dirname "$0")/plib.sh"
pf_init short-io

src=$(sn_tmpdir src)
head -c 65536 /dev/urandom >"$src/in"
head -c 10000 /dev/urandom >"$SN_TMP/payload"
pf_mount --src "$src" -p short-io

sn_expect_errno "ok 4000" read "$SN_MNT/in" 65536 0
sn_expect_errno "ok 4000" read "$SN_MNT/in" 4096 0
sn_expect_errno "ok 100" read "$SN_MNT/in" 100 0
pf_expect_fired short-read 2 "reads over 4000 bytes shortened, the small one not"
# read-loop-naive stops at the first short count; read-all retries
sn_expect_errno "ok 4000" read-loop-naive "$SN_MNT/in" 8192
sn_expect_errno "ok 65536" read-all "$SN_MNT/in" 8192
sn_run cat "$SN_MNT/in" >"$SN_TMP/out"
sn_check "cat (a correct loop) reads the whole file intact" cmp "$src/in" "$SN_TMP/out"

sn_expect_errno "ok 4000" write "$SN_MNT/w1" 8192
sn_eq "the short write stored exactly 4000 bytes" 4000 "$(stat -c %s "$src/w1")"
pf_expect_fired short-write 1
# a write loop that honours the count stores everything
sn_eq "write-all loop: 3 calls (4000+4000+2000)" "4000,4000,2000" "$(pf_py "
data = open('$SN_TMP/payload', 'rb').read(); fd = os.open(M + '/w2', os.O_WRONLY | os.O_CREAT, 0o644)
out = []; off = 0
while off < len(data):
    n = os.write(fd, data[off:]); out.append(str(n)); off += n
os.close(fd); print(','.join(out))")"
sn_check "the loop's file is intact" cmp "$SN_TMP/payload" "$src/w2"
sn_umount
sn_done
