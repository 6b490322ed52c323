# battery.sh — data and metadata checks shared by data.sh, metadata.sh and
# xfs.sh.  Source after lib.sh; each function works on the current mount
# (SN_SRC, SN_MNT) inside a subdirectory it creates, so several can run on
# one mount.  Writes go through the mount; the source and a private reference
# copy (made with the same commands outside any mount) must agree with it.

# _sn_same_stat DESC FMT REL: stat FMT of SOURCE/REL and MOUNT/REL agree.
_sn_same_stat() {
	local s m
	s=$(sn_stat "$2" "$SN_SRC/$3" 2>&1); m=$(sn_stat "$2" "$SN_MNT/$3" 2>&1)
	if [ "$s" = "$m" ]; then sn_pass "$1: stat '$2' equal ($m)"
	else sn_fail "$1: stat '$2' source '$s' vs mount '$m'"; fi
}

# _sn_same_data DESC REL REF: mount file, source file and reference agree
# (cmp), and so do size and allocated blocks.
_sn_same_data() {
	local desc=$1 rel=$2 ref=$3
	sn_run sync "$SN_MNT/$rel" 2>/dev/null
	if sn_run cmp "$ref" "$SN_MNT/$rel" && sn_run cmp "$ref" "$SN_SRC/$rel"; then
		sn_pass "$desc: data equal (mount, source, reference)"
	else
		sn_fail "$desc: data differ"
	fi
	_sn_same_stat "$desc" '%s %b' "$rel"
	local rs ms
	rs=$(stat -c %s "$ref"); ms=$(sn_stat %s "$SN_MNT/$rel")
	sn_eq "$desc: size equals reference" "$rs" "$ms"
}

# sn_battery_data DIR: small/large/sparse/append/overwrite/truncate.
sn_battery_data() {
	local d=$1 ref; ref=$(sn_tmpdir ref)
	sn_run mkdir -p "$SN_MNT/$d" || { sn_fail "mkdir $d"; return; }

	printf 'hello, snagfs\n' >"$ref/small"
	sn_run sh -c 'printf "hello, snagfs\n" >"$1"' _ "$SN_MNT/$d/small"
	_sn_same_data "small file" "$d/small" "$ref/small"
	sn_eq "small file read back" "hello, snagfs" "$(sn_run cat "$SN_MNT/$d/small")"

	sn_run dd if=/dev/urandom of="$ref/large" bs=1M count=64 status=none
	sn_run dd if="$ref/large" of="$SN_MNT/$d/large" bs=1M status=none
	_sn_same_data "64 MiB file (dd 1M)" "$d/large" "$ref/large"
	sn_run cp "$ref/large" "$SN_MNT/$d/large.cp"
	_sn_same_data "64 MiB file (cp)" "$d/large.cp" "$ref/large"
	sn_run rm "$SN_MNT/$d/large.cp"
	local h1 h2
	h1=$(sn_run sha256sum <"$SN_MNT/$d/large" | cut -c1-64); h2=$(sha256sum <"$ref/large" | cut -c1-64)
	sn_eq "64 MiB sha256 through the mount" "$h2" "$h1"

	# reads of every size around the copy/splice boundaries (16 KiB, the
	# pipe limit near 1 MiB), from everywhere including across and past EOF
	sn_run dd if=/dev/urandom of="$SN_MNT/$d/odd" bs=12345 count=256 status=none
	if sn_run python3 - "$SN_MNT/$d/odd" "$SN_SRC/$d/odd" <<'PY'; then
import os, sys
m, s = (os.open(p, os.O_RDONLY) for p in sys.argv[1:3])
size = os.fstat(s).st_size
bad = []
for n in (1, 4095, 4096, 16383, 16384, 16385, 65536, 200000, 1032192, 1036288,
          1048575, 1048576, 1048577, 2 * 1048576, 4 * 1048576):
    for off in (0, 1, 4096, size - n, size - 5000, size - 1, size, size + 10):
        if off < 0:
            continue
        if os.pread(m, n, off) != os.pread(s, n, off):
            bad.append((n, off))
print("mismatched (size, offset):", bad[:10]) if bad else None
sys.exit(1 if bad else 0)
PY
		sn_pass "pread of 15 sizes x 8 offsets (across and past EOF) equals the source"
	else
		sn_fail "pread through the mount differs from the source"
	fi
	sn_run rm "$SN_MNT/$d/odd"

	# sparse: 100 MiB apparent, two 1 MiB islands
	local f
	for f in "$ref/sparse" "$SN_MNT/$d/sparse"; do
		sn_run truncate -s 100M "$f"
		sn_run dd if="$ref/large" of="$f" bs=1M count=1 seek=10 conv=notrunc status=none
		sn_run dd if="$ref/large" of="$f" bs=1M count=1 skip=5 seek=70 conv=notrunc status=none
	done
	_sn_same_data "sparse file" "$d/sparse" "$ref/sparse"
	local blocks; blocks=$(sn_stat %b "$SN_MNT/$d/sparse")
	if [ "$blocks" -lt 20000 ]; then sn_pass "sparse file stays sparse ($blocks blocks)"
	else sn_fail "sparse file allocated $blocks blocks"; fi

	# appends
	: >"$ref/append"; sn_run sh -c ': >"$1"' _ "$SN_MNT/$d/append"
	local i
	for i in $(seq 1 50); do
		echo "line $i $(printf '%*s' $((i * 37)) x)" >>"$ref/append"
		sn_run sh -c 'echo "$2" >>"$1"' _ "$SN_MNT/$d/append" "line $i $(printf '%*s' $((i * 37)) x)"
	done
	_sn_same_data "50 appends (O_APPEND)" "$d/append" "$ref/append"

	# overwrite in the middle, unaligned
	sn_run cp "$ref/large" "$ref/mid"; sn_run cp "$ref/large" "$SN_MNT/$d/mid"
	for f in "$ref/mid" "$SN_MNT/$d/mid"; do
		sn_run dd if=/dev/zero of="$f" bs=1 count=12345 seek=$((32 * 1024 * 1024 + 777)) conv=notrunc status=none
		printf 'MIDDLE' | sn_run dd of="$f" bs=1 seek=4097 conv=notrunc status=none
	done
	_sn_same_data "overwrite in the middle" "$d/mid" "$ref/mid"
	sn_run rm "$SN_MNT/$d/mid"; rm "$ref/mid"

	# truncate down and up (ftruncate via truncate(1), truncate(2) via probe)
	for f in "$ref/trunc" "$SN_MNT/$d/trunc"; do
		sn_run cp "$ref/large" "$f"
		sn_run truncate -s 1000001 "$f"
	done
	_sn_same_data "truncate down to 1000001" "$d/trunc" "$ref/trunc"
	for f in "$ref/trunc" "$SN_MNT/$d/trunc"; do sn_run truncate -s 5000000 "$f"; done
	_sn_same_data "truncate up to 5000000" "$d/trunc" "$ref/trunc"
	sn_expect_errno "ok 0" truncate "$SN_MNT/$d/trunc" 4096
	sn_expect_errno "ok 0" ftruncate "$SN_MNT/$d/trunc" 0
	sn_eq "truncate to 0" "0 0" "$(sn_stat '%s %b' "$SN_SRC/$d/trunc")"

	# shared writable mmap: stores reach the source after msync and munmap
	local mm
	mm=$(sn_run python3 -c '
import mmap, os, sys
p, ref = sys.argv[1], sys.argv[2]
with open(ref, "wb") as f:
    f.truncate(1 << 20)
    for off in range(0, 1 << 20, 4096): f.seek(off); f.write(b"%08d" % off)
with open(p, "wb") as f: f.truncate(1 << 20)
fd = os.open(p, os.O_RDWR)
m = mmap.mmap(fd, 1 << 20, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
for off in range(0, 1 << 20, 4096): m[off:off + 8] = b"%08d" % off
m.flush(); m.close(); os.close(fd)
print("ok")' "$SN_MNT/$d/mmap" "$ref/mmap" 2>&1 | tail -1)
	if [ "$mm" = ok ]; then sn_pass "MAP_SHARED mmap write through the mount"
	else sn_fail "MAP_SHARED mmap through the mount: $mm"; fi
	_sn_same_data "mmap-written file" "$d/mmap" "$ref/mmap"
	sn_eq "mmap read sees the data" "00004096" "$(sn_run python3 -c '
import mmap, sys
with open(sys.argv[1], "rb") as f:
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ); print(m[4096:4104].decode())' "$SN_MNT/$d/mmap" 2>&1 | tail -1)"
	# executing a binary stored on the mount (private mmap of text)
	sn_run cp /bin/true "$SN_MNT/$d/true"
	sn_check "exec a binary from the mount" "$SN_MNT/$d/true"

	# read what was written in the source (fresh file, never seen by the mount)
	sn_run cp "$ref/large" "$SN_SRC/$d/from-source"
	if sn_run cmp "$ref/large" "$SN_MNT/$d/from-source"; then sn_pass "file written in source reads back through mount"
	else sn_fail "file written in source differs through mount"; fi
	sn_run rm "$SN_MNT/$d/from-source"
	rm -rf "$ref"
}

# sn_battery_meta DIR: modes, owners, ns timestamps, link counts, ctime.
sn_battery_meta() {
	local d=$1 f
	sn_run mkdir -p "$SN_MNT/$d" || { sn_fail "mkdir $d"; return; }
	sn_run sh -c 'echo data >"$1"' _ "$SN_MNT/$d/f"
	sn_run mkdir "$SN_MNT/$d/sub"

	local m
	for m in 0600 0644 0755 4755 2711 1777 0000; do
		sn_run chmod "$m" "$SN_MNT/$d/f"
		_sn_same_stat "chmod $m" '%a %A' "$d/f"
		sn_eq "chmod $m visible in source" "$(printf '%o' $((8#$m)))" "$(sn_stat %a "$SN_SRC/$d/f")"
	done
	sn_run chmod 0700 "$SN_MNT/$d/sub"
	_sn_same_stat "chmod dir 0700" '%a %F' "$d/sub"
	sn_run chmod 0644 "$SN_MNT/$d/f"

	sn_run chown 1234:5678 "$SN_MNT/$d/f"
	sn_eq "chown 1234:5678 in source" "1234:5678" "$(sn_stat %u:%g "$SN_SRC/$d/f")"
	_sn_same_stat "chown" '%u:%g' "$d/f"
	sn_run chown :4321 "$SN_MNT/$d/f"
	sn_eq "chgrp 4321 in source" "1234:4321" "$(sn_stat %u:%g "$SN_SRC/$d/f")"
	sn_run chown 0:0 "$SN_MNT/$d/f"

	# nanosecond timestamps
	sn_run touch -d '2021-03-04 05:06:07.123456789 UTC' "$SN_MNT/$d/f"
	_sn_same_stat "touch -d ns" '%x|%y' "$d/f"
	sn_eq "mtime ns in source" "2021-03-04 05:06:07.123456789" "$(TZ=UTC sn_stat %y "$SN_SRC/$d/f" | cut -c1-29)"
	sn_run touch -a -d '2001-02-03 04:05:06.000000001 UTC' "$SN_MNT/$d/f"
	sn_eq "atime ns (touch -a) in source" "2001-02-03 04:05:06.000000001" "$(TZ=UTC sn_stat %x "$SN_SRC/$d/f" | cut -c1-29)"
	sn_eq "mtime kept by touch -a" "2021-03-04 05:06:07.123456789" "$(TZ=UTC sn_stat %y "$SN_MNT/$d/f" | cut -c1-29)"
	sn_run touch -m -d '2022-12-31 23:59:59.999999999 UTC' "$SN_MNT/$d/f"
	_sn_same_stat "touch -m ns" '%X.%x|%Y.%y' "$d/f"
	sn_run touch -h -d '2020-01-01 00:00:00.5 UTC' "$SN_MNT/$d/sub"
	_sn_same_stat "dir mtime" '%y' "$d/sub"
	# utimensat(UTIME_NOW) via plain touch: mount and source agree
	sn_run touch "$SN_MNT/$d/f"
	_sn_same_stat "touch (now)" '%x|%y' "$d/f"

	# link counts
	sn_run ln "$SN_MNT/$d/f" "$SN_MNT/$d/f.link"
	_sn_same_stat "hard link nlink" '%h %i' "$d/f"
	sn_eq "link count 2 via mount" 2 "$(sn_stat %h "$SN_MNT/$d/f")"
	sn_eq "both names same inode via mount" "$(sn_stat %i "$SN_MNT/$d/f")" "$(sn_stat %i "$SN_MNT/$d/f.link")"
	sn_run rm "$SN_MNT/$d/f.link"
	sn_eq "link count 1 after unlink" 1 "$(sn_stat %h "$SN_MNT/$d/f")"
	sn_run mkdir "$SN_MNT/$d/sub/a" "$SN_MNT/$d/sub/b"
	_sn_same_stat "dir nlink with 2 subdirs" '%h' "$d/sub"

	# size/blocks/type of a few kinds
	_sn_same_stat "file stat" '%s %b %F %a %u %g %h' "$d/f"
	_sn_same_stat "dir stat" '%F %a %u %g %h' "$d/sub"
	_sn_same_stat "root stat" '%F %a %u %g' "."

	# ctime changes on chown(-1, -1) (a no-op chown still updates ctime)
	local cs0 cm0 cs1 cm1
	cs0=$(sn_stat %Z.%z "$SN_SRC/$d/f"); cm0=$(sn_stat %Z.%z "$SN_MNT/$d/f")
	sleep 0.05
	sn_run python3 -c 'import os,sys; os.chown(sys.argv[1], -1, -1)' "$SN_MNT/$d/f"
	cs1=$(sn_stat %Z.%z "$SN_SRC/$d/f"); cm1=$(sn_stat %Z.%z "$SN_MNT/$d/f")
	if [ "$cs0" != "$cs1" ]; then sn_pass "chown(-1,-1) via mount changes source ctime"
	else sn_fail "chown(-1,-1) via mount left source ctime unchanged ($cs1)"; fi
	if [ "$cm0" != "$cm1" ]; then sn_pass "chown(-1,-1) changes ctime seen through mount"
	else sn_fail "chown(-1,-1): ctime through mount unchanged ($cm1)"; fi
	# chmod to the same mode also updates ctime
	cs0=$(sn_stat %Z.%z "$SN_SRC/$d/f"); sleep 0.05
	sn_run chmod 0644 "$SN_MNT/$d/f"
	cs1=$(sn_stat %Z.%z "$SN_SRC/$d/f")
	if [ "$cs0" != "$cs1" ]; then sn_pass "same-mode chmod via mount changes source ctime"
	else sn_fail "same-mode chmod via mount left source ctime unchanged"; fi
}
