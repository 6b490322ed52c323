# lookups.sh — how the daemon finds nodes, proved by the syscalls it makes
# (strace -c of the daemon) and by what the client sees.
#  - cold lookups (names the daemon has never looked up) cost one openat and
#    one fstatat each, as in libfuse's passthrough_hp (stat-first would cost
#    a second fstatat): the per-thread guess switches to open-first;
#  - lookups of nodes the kernel holds (strict mode: every stat walks the
#    path) open nothing: the guess switches back to stat-first;
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
		[ $SECONDS -lt $deadline ] || { cat "$out.err" >&2; sn_abort "strace did not attach"; }
		sleep 0.05
	done
}
# calls OUT SYSCALL: calls of SYSCALL in strace -c output OUT (0 when absent)
calls() { awk -v s="$2" '$NF == s { n = $4 } END { print n + 0 }' "$1"; }
# traced NAME CMD...: run CMD with the daemon traced; sets o (openat calls)
# and s (newfstatat calls) the daemon made meanwhile
traced() {
	local t=$SN_TMP/$1.strace; shift
	trace_start "$t"
	"$@"
	stop_strace
	o=$(calls "$t" openat) s=$(calls "$t" newfstatat)
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
sn_check "cold: at most one openat per name ($o for $N)" [ "$o" -le $((N + 5)) ]
sn_check "cold: about one fstatat per name, not two ($s for $N)" [ "$s" -le $((N + N / 10)) ]
listing "$SN_SRC/d" >"$SN_TMP/cold.src"; listing "$SN_MNT/d" >"$SN_TMP/cold.mnt"
sn_check "cold: listing matches the source" cmp -s "$SN_TMP/cold.src" "$SN_TMP/cold.mnt"
sn_eq "cold: a hard link is the same node" "$(sn_stat %i "$SN_MNT/d/f0000")" "$(sn_stat %i "$SN_MNT/d/hard0000")"
sn_umount
sn_check_inodes_left

# --- known nodes: strict mode looks every component up on every stat
sn_mount --src "$SN_SRC" --cache=strict
stat_all "$SN_MNT/d" $N # cold: trains the workers to open first
traced warm stat_all "$SN_MNT/d" $N
sn_log "strict, $N lookups of held nodes: openat $o, newfstatat $s"
# each worker may open first twice before it learns (a few workers)
sn_check "known: next to no openat ($o for $N)" [ "$o" -le $((N / 5)) ]
sn_check "known: a stat each for LOOKUP and GETATTR ($s for $N)" [ "$s" -ge "$N" ]
sn_umount
sn_check_inodes_left

# --- READDIRPLUS of a cold directory
sn_mount --src "$SN_SRC" --cache=normal --timeout 1h
sn_run ls -d "$SN_MNT/d" >/dev/null
traced list eval 'listing "$SN_MNT/d" >"$SN_TMP/list.mnt"'
sn_log "ls -l of $N cold entries: openat $o, newfstatat $s"
# one hard link pair: the second name finds the node live (one fstatat)
sn_check "readdirplus: one openat per entry ($o for $((N + 1)))" [ "$o" -le $((N + 5)) ]
sn_check "readdirplus: one fstatat per entry ($s for $((N + 1)))" [ "$s" -le $((N + 10)) ]
listing "$SN_SRC/d" >"$SN_TMP/list.src"
sn_check "readdirplus: listing matches the source" cmp -s "$SN_TMP/list.src" "$SN_TMP/list.mnt"

# --- creates: the new file's O_PATH fd is opened, then stat'ed, once
sn_run mkdir "$SN_MNT/new"
traced create sn_run python3 -c '
import os, sys
for i in range(int(sys.argv[2])):
    os.close(os.open(os.path.join(sys.argv[1], "c%04d" % i), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))' "$SN_MNT/new" $N
sn_log "$N creates: openat $o, newfstatat $s"
# per file: the kernel's negative LOOKUP (a failing openat or fstatat,
# whichever the thread's guess tries), the O_CREAT open, then open-first:
# the O_PATH openat and one fstatat; stat-first would add a second fstatat
sn_check "create: four name syscalls per file ($((o + s)) for $N)" [ $((o + s)) -le $((4 * N + 10)) ]
sn_eq "create: every file is there" "$N" "$(ls "$SN_SRC/new" | wc -l)"
listing "$SN_SRC/new" >"$SN_TMP/new.src"; listing "$SN_MNT/new" >"$SN_TMP/new.mnt"
sn_check "create: listing matches the source" cmp -s "$SN_TMP/new.src" "$SN_TMP/new.mnt"
sn_umount
sn_check_inodes_left
sn_done
