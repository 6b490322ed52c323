#!/usr/bin/env bash
# actions.sh — short, corrupt and lie actions proven with real reads and writes,
# and the strict cache mode proven to keep every read visible to the rules.
. "$(dirname "$0")/../integration/lib.sh"
sn_init actions

src=$(sn_tmpdir src)
head -c 65536 /dev/urandom >"$src/short.bin"
head -c 4096 /dev/urandom >"$src/pct.bin"
head -c 4096 /dev/urandom >"$src/flip.bin"
head -c 4096 /dev/urandom >"$src/zero.bin"
head -c 8192 /dev/urandom >"$src/twice.bin"
head -c 4096 /dev/urandom >"$SN_TMP/payload"
: >"$src/cw.bin"; : >"$src/dropped.bin"; : >"$src/lie.bin"; : >"$src/shortw.bin"

rules="$SN_TMP/actions.rules"
cat >"$rules" <<'RULES'
read:path=/short.bin:short=1000:id=short
read:path=/pct.bin:short=25%:id=pct
read:path=/flip.bin:corrupt=flip:id=flip
read:path=/zero.bin:corrupt=zero:id=zero
write:path=/cw.bin:corrupt=flip:id=cwrite
write:path=/dropped.bin:lie:id=dropped
fsync:path=/lie.bin:lie:id=liefsync
write:path=/shortw.bin:short=100:id=shortw
read:path=/twice.bin:when=2:error=EIO:id=twice
RULES
sn_mount --src "$src" -R "$rules" --seed 1

# bits_differ A B: number of differing bits between two equally long files.
bits_differ() {
	python3 - "$1" "$2" <<'PY'
import sys
a = open(sys.argv[1], 'rb').read(); b = open(sys.argv[2], 'rb').read()
print(-1 if len(a) != len(b) else sum(bin(x ^ y).count('1') for x, y in zip(a, b)))
PY
}

# --- short reads: a loop that ignores short counts loses data visibly.
sn_expect_errno "ok 1000" read "$SN_MNT/short.bin" 4096 0
sn_expect_errno "ok 1000" read-loop-naive "$SN_MNT/short.bin" 4096
sn_expect_errno "ok 65536" read-all "$SN_MNT/short.bin" 4096
sn_expect_errno "ok 1024" read "$SN_MNT/pct.bin" 4096 0

# --- corrupt reads: flip changes exactly one bit; zero returns zeros.
sn_run cat "$SN_MNT/flip.bin" >"$SN_TMP/flip.out"
sn_eq "corrupt=flip read differs by exactly one bit" 1 "$(bits_differ "$src/flip.bin" "$SN_TMP/flip.out")"
sn_run cat "$SN_MNT/zero.bin" >"$SN_TMP/zero.out"
sn_eq "corrupt=zero read returns zeros" 1 "$(cmp -s "$SN_TMP/zero.out" <(head -c 4096 /dev/zero) && echo 1 || echo 0)"
sn_eq "corrupt read leaves the file intact" 1 "$(cmp -s "$src/flip.bin" <(head -c 4096 "$src/flip.bin") && echo 1)"

# --- corrupt writes: the damaged data is what lands on disk.
sn_run dd if="$SN_TMP/payload" of="$SN_MNT/cw.bin" bs=4096 count=1 status=none
sn_eq "corrupt=flip write stored with exactly one bit flipped" 1 "$(bits_differ "$SN_TMP/payload" "$src/cw.bin")"

# --- lies: a dropped write reports full success; a lied fsync returns 0.
sn_expect_errno "ok 4096" write "$SN_MNT/dropped.bin" 4096
sn_eq "lied write stored nothing" 0 "$(stat -c %s "$src/dropped.bin")"
sn_expect_errno "ok 0" fsync "$SN_MNT/lie.bin"

# --- short writes: the program sees the short count.
sn_expect_errno "ok 100" write "$SN_MNT/shortw.bin" 4096
sn_eq "short write stored exactly 100 bytes" 100 "$(stat -c %s "$src/shortw.bin")"

# --- strict cache mode: the second read of a file reaches the daemon and fails.
# (one pread each: a read-to-EOF loop would spend a READ on the EOF itself)
sn_expect_errno "ok 8192" read "$SN_MNT/twice.bin" 8192 0
sn_expect_errno EIO read "$SN_MNT/twice.bin" 8192 0
sn_umount

# --- normal cache mode absorbs it: the second read is served from the page
# cache, the rule never sees it (documented in README "Cache modes").
sn_mount --src "$src" -r 'read:path=/twice.bin:when=2:error=EIO:id=twice' --cache=normal --seed 1
sn_expect_errno "ok 8192" read "$SN_MNT/twice.bin" 8192 0
sn_expect_errno "ok 8192" read "$SN_MNT/twice.bin" 8192 0
sn_umount
sn_done
