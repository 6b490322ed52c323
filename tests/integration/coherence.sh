# coherence.sh — in the default (strict) cache mode the kernel hides nothing:
# changes made directly in SOURCE are seen through the mount at once (data,
# size, attributes, new and removed names), and concurrent writers through
# the mount do not lose data (every mode).
# Usage: bash coherence.sh [--cache=strict|normal|writeback]
. "$(dirname "$0")/lib.sh"
cache=${1:-}
sn_init "coherence${cache:+.${cache#--cache=}}"
sn_mount ${cache:+"$cache"}
M=$SN_MNT S=$SN_SRC

if [ -z "$cache" ] || [ "$cache" = --cache=strict ]; then
	echo "version one" >"$S/f"
	sn_eq "first read" "version one" "$(sn_run cat "$M/f")"
	echo "VERSION TWO" >"$S/f"           # same size, new bytes
	sn_eq "source rewrite (same size) seen at once" "VERSION TWO" "$(sn_run cat "$M/f")"
	echo "and a third, longer version" >"$S/f"
	sn_eq "source rewrite (longer) seen at once" "and a third, longer version" "$(sn_run cat "$M/f")"
	echo "appended" >>"$S/f"
	sn_eq "source append: size seen at once" "$(stat -c %s "$S/f")" "$(sn_stat %s "$M/f")"
	chmod 0600 "$S/f"
	sn_eq "source chmod seen at once" 600 "$(sn_stat %a "$M/f")"
	touch -d '2011-11-11 11:11:11' "$S/f"
	sn_eq "source mtime seen at once" "$(stat -c %Y "$S/f")" "$(sn_stat %Y "$M/f")"
	sn_expect_errno ENOENT stat "$M/later"
	echo now >"$S/later"
	sn_expect_errno ok stat "$M/later"        # no negative dentry kept
	rm "$S/later"
	sn_expect_errno ENOENT stat "$M/later"    # no positive dentry kept
	mkdir "$S/d"; sn_run ls "$M/d" >/dev/null
	touch "$S/d/new"
	sn_eq "new source entry listed at once" "new" "$(sn_run ls "$M/d")"
	mv "$S/d/new" "$S/d/renamed"
	sn_eq "source rename seen at once" "renamed" "$(sn_run ls "$M/d")"
	sn_expect_errno ENOENT stat "$M/d/new"
	# an open fd keeps reading the current source data (no stale page cache)
	out=$(sn_run python3 -c '
import os, sys
p, s = sys.argv[1], sys.argv[2]
open(s, "w").write("A" * 8192)
fd = os.open(p, os.O_RDONLY)
first = os.pread(fd, 4, 0)
open(s, "r+").write("B" * 8192)
second = os.pread(fd, 4, 0)
print(first.decode(), second.decode())' "$M/open" "$S/open" 2>&1)
	sn_eq "pread on an open fd sees a source rewrite" "AAAA BBBB" "$out"
fi

# concurrent O_APPEND writers through the mount: nothing lost or torn
sn_run sh -c '
	for w in 1 2 3 4; do
		( i=0; while [ $i -lt 500 ]; do echo "writer $w line $i ................................" ; i=$((i+1)); done >>"$1" ) &
	done; wait' _ "$M/log"
sn_run sync "$M/log" 2>/dev/null
sn_eq "4 x 500 appended lines, none lost" 2000 "$(wc -l <"$S/log")"
sn_eq "no torn lines" 0 "$(grep -cv '^writer [1-4] line [0-9]* \.*$' "$S/log")"
# write through one hard link, read through the other at once
sn_run sh -c 'echo one >"$1"; ln "$1" "$2"; echo two >>"$1"; cat "$2"' _ "$M/h1" "$M/h2" >"$SN_TMP/hl.out"
sn_eq "write via one link visible via the other" "one two" "$(tr '\n' ' ' <"$SN_TMP/hl.out" | sed 's/ $//')"
# size right after an unflushed write, and after extending fallocate
out=$(sn_run python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.write(fd, b"z" * 10000)
a = os.stat(sys.argv[1]).st_size
os.posix_fallocate(fd, 0, 50000)
b = os.fstat(fd).st_size
os.ftruncate(fd, 123)
c = os.stat(sys.argv[1]).st_size
print(a, b, c)' "$M/sz" 2>&1)
sn_eq "sizes after write / fallocate / ftruncate" "10000 50000 123" "$out"
sn_eq "source size after close" 123 "$(stat -c %s "$S/sz")"
# names with awkward bytes
for n in "with space" $'new\nline' "back\\slash" "-leading-dash" "ünïcødé ☃" "*?[glob]" ".hidden" "trailing." ; do
	sn_run sh -c 'echo x >"$1"' _ "$M/$n" || sn_fail "create '$n'"
done
sn_eq "awkward names listed identically" "$(cd "$S" && ls -A | md5sum)" "$(cd "$M" && sn_run ls -A | md5sum)"
# deep path near PATH_MAX
deep=$(printf 'dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/%.0s' $(seq 1 38))
sn_check "mkdir -p of a ~3700-byte path" mkdir -p "$M/$deep"
sn_check "file at the bottom" sh -c 'echo bottom >"$1/f"' _ "$M/$deep"
sn_eq "deep file in source" bottom "$(cat "$S/$deep/f")"
sn_check "daemon alive" sn_daemon_alive
sn_umount
sn_check_inodes_left
sn_done
