# lookups.sh — how the daemon finds nodes, proved by the syscalls it makes
# (strace -c of the daemon) and by what the client sees.
#  - cold lookups (names the daemon has never looked up) cost one openat and
#    one fstatat each, as in libfuse's passthrough_hp (stat-first would cost
#    a second fstatat): a directory new to the daemon is looked into
#    open-first, also in a strict-mode walk where its parent is held;
#  - lookups of nodes the kernel holds (strict mode, every stat walks the
#    path; the files kept open) open nothing: the directory's count
#    switches to stat-first;
#  - `ls -l` of a cold directory (READDIRPLUS) costs one openat and one
#    fstatat per entry, and a create one O_PATH openat and one fstatat;
#  - every answer matches the source: inode numbers, sizes, hard links.
. "$(dirname "$0")/lib.sh"
sn_init lookups
[ "$SN_IS_REF" = 1 ] && { sn_skip "syscall counts are snagfs's"; sn_done; }
command -v strace >/dev/null || sn_abort "strace is not installed (scripts/setup-deps)"

N=300
STRACE_PID=""
stop_strace() {
	[ -n "$STRACE_PID" ] || return 0
	kill -INT "$STRACE_PID" 2>/dev/null
	timeout 10 tail --pid="$STRACE_PID" -f /dev/null
	kill -KILL "$STRACE_PID" 2>/dev/null
	wait "$STRACE_PID" 2>/dev/null
	STRACE_PID=""
}
sn_on_cleanup stop_strace

# trace_start OUT: strace -c every thread of the daemon into OUT; returns
# once strace has attached (it says so after attaching to every thread).
trace_start() {
	local out=$1
	strace -f -c -e trace=openat,newfstatat,statx,close -p "$SN_PID" -o "$out" 2>"$out.err" &
	STRACE_PID=$!
	local deadline=$((SECONDS + 10))
	until grep -q attached "$out.err" 2>/dev/null; do
		if [ $SECONDS -ge $deadline ] || ! kill -0 "$STRACE_PID" 2>/dev/null; then
			cat "$out.err" >&2
			sn_abort "strace did not attach"
		fi
		sleep 0.05
	done
}
# between V LO HI: LO <= V <= HI
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
# calls OUT SYSCALL: calls of SYSCALL in strace -c output OUT (0 when absent)
calls() { awk -v s="$2" '$NF == s { n = $4 } END { print n + 0 }' "$1"; }
# traced NAME CMD...: run CMD with the daemon traced; sets o (openat calls)
# and s (fstatat calls: newfstatat, or statx where libc uses it) the daemon
# made meanwhile. A failing CMD fails the test (its counts would be short).
traced() {
	local name=$1 t=$SN_TMP/$1.strace rc=0; shift
	trace_start "$t"
	"$@" || rc=$?
	stop_strace
	[ $rc = 0 ] || sn_fail "$name: the traced command failed ($rc)"
	o=$(calls "$t" openat) s=$(($(calls "$t" newfstatat) + $(calls "$t" statx)))
}

# listing DIR: "name ino size nlink mode" of each entry, by name
listing() { sn_run python3 -c '
import os, sys
for e in sorted(os.scandir(sys.argv[1]), key=lambda e: e.name):
    s = e.stat(follow_symlinks=False)
    print(e.name, s.st_ino, s.st_size, s.st_nlink, oct(s.st_mode))' "$1"; }
stat_all() { sn_run python3 -c '
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    os.stat(os.path.join(d, "f%04d" % i))' "$1" "$2"; }

populate() {
	mkdir -p "$1/d"
	for ((i = 0; i < N; i++)); do printf '%d' "$i" >"$1/d/$(printf f%04d $i)"; done
	ln "$1/d/f0000" "$1/d/hard0000"
}

# --- cold LOOKUPs: the kernel and the daemon have never seen these names
sn_mount --cache=normal --timeout 1h
populate "$SN_SRC"
sn_run ls -d "$SN_MNT/d" >/dev/null
traced cold stat_all "$SN_MNT/d" $N
sn_log "cold lookups of $N names: openat $o, newfstatat $s"
sn_check "cold: one openat per name ($o for $N)" between "$o" $N $((N + 5))
sn_check "cold: one fstatat per name, not two ($s for $N)" between "$s" $N $((N + 10))
listing "$SN_SRC/d" >"$SN_TMP/cold.src"; listing "$SN_MNT/d" >"$SN_TMP/cold.mnt"
sn_check "cold: listing matches the source" cmp -s "$SN_TMP/cold.src" "$SN_TMP/cold.mnt"
sn_eq "cold: a hard link is the same node" "$(sn_stat %i "$SN_MNT/d/f0000")" "$(sn_stat %i "$SN_MNT/d/hard0000")"
sn_umount
sn_check_inodes_left

# --- strict mode looks every component up on every stat: LOOKUP d (held
# after the first), LOOKUP of the name, GETATTR
sn_mount --src "$SN_SRC" --cache=strict
traced strict-cold stat_all "$SN_MNT/d" $N
sn_log "strict, $N cold names: openat $o, newfstatat $s"
# open-first for the new names in d (stat-first would make it 4 per stat);
# the root starts open-first too, and needs two held "d"s to switch
sn_check "strict cold: one openat per name ($o for $N)" between "$o" $N $((N + 5))
sn_check "strict cold: three fstatat per stat, not four ($s for $N)" [ "$s" -le $((3 * N + 10)) ]
# Held nodes: a holder keeps every file open (the kernel may otherwise
# forget a node between two walks as soon as its dentry expires, and then
# open-first is right). Each lookup now finds a live node: after two, d's
# count says stat-first again.
HOLDER=""
sn_on_cleanup '[ -z "$HOLDER" ] || kill "$HOLDER" 2>/dev/null'
python3 -c '
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
fds = [os.open(os.path.join(d, "f%04d" % i), os.O_RDONLY) for i in range(n)]
print("held", flush=True)
time.sleep(300)' "$SN_MNT/d" $N >"$SN_TMP/holder.out" 2>&1 &
HOLDER=$!
deadline=$((SECONDS + 60))
until grep -q held "$SN_TMP/holder.out"; do
	[ $SECONDS -lt $deadline ] && kill -0 "$HOLDER" 2>/dev/null || sn_abort "the holder did not open the files"
	sleep 0.05
done
traced strict-held stat_all "$SN_MNT/d" $N
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null; HOLDER=""
sn_log "strict, $N held names: openat $o, newfstatat $s"
sn_check "strict held: d switched to stat-first ($o openat for $N)" [ "$o" -le 5 ]
sn_check "strict held: a fstatat for each request ($s for $N)" between "$s" $((3 * N)) $((3 * N + 10))
sn_umount
sn_check_inodes_left

# --- READDIRPLUS of a cold directory
sn_mount --src "$SN_SRC" --cache=normal --timeout 1h
sn_run ls -d "$SN_MNT/d" >/dev/null
traced list eval 'listing "$SN_MNT/d" >"$SN_TMP/list.mnt"'
sn_log "ls -l of $N cold entries: openat $o, newfstatat $s"
# one hard link pair: the second name finds the node live (one fstatat)
# (an entry that does not fit a reply is not looked up for it)
sn_check "readdirplus: one openat per entry ($o for $((N + 1)))" between "$o" $N $((N + 5))
sn_check "readdirplus: one fstatat per entry ($s for $((N + 1)))" between "$s" $N $((N + 10))
listing "$SN_SRC/d" >"$SN_TMP/list.src"
sn_check "readdirplus: listing matches the source" cmp -s "$SN_TMP/list.src" "$SN_TMP/list.mnt"

# --- creates: the new file's O_PATH fd is opened, then stat'ed, once
sn_run mkdir "$SN_MNT/new"
traced create sn_run python3 -c '
import os, sys
for i in range(int(sys.argv[2])):
    os.close(os.open(os.path.join(sys.argv[1], "c%04d" % i), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))' "$SN_MNT/new" $N
sn_log "$N creates: openat $o, newfstatat $s"
# per file: the kernel's negative LOOKUP (a failing openat: "new" is a new
# directory's guess), the O_CREAT open, then open-first: the O_PATH openat
# and one fstatat; stat-first would add a second fstatat
sn_check "create: four name syscalls per file ($((o + s)) for $N)" between $((o + s)) $((4 * N)) $((4 * N + 10))
sn_eq "create: every file is there" "$N" "$(ls "$SN_SRC/new" | wc -l)"
listing "$SN_SRC/new" >"$SN_TMP/new.src"; listing "$SN_MNT/new" >"$SN_TMP/new.mnt"
sn_check "create: listing matches the source" cmp -s "$SN_TMP/new.src" "$SN_TMP/new.mnt"
sn_umount
sn_check_inodes_left
sn_done
