# lib.sh — the mount harness every integration test sources.
#
# A test does:
#     . "$(dirname "$0")/lib.sh"
#     sn_init data                 # root + /dev/fuse or exit 77; temp dir; traps
#     sn_mount                     # fresh SOURCE and MOUNTPOINT; sets SN_SRC SN_MNT SN_PID
#     sn_run cp "$SN_SRC/x" "$SN_MNT/y"   # EVERY client command under a timeout
#     sn_expect_errno ENOENT stat "$SN_MNT/nope"
#     sn_done                      # prints "NAME: N passed, N failed", exits 0/1
#
# More helpers (each documented where it is defined; overview in
# docs/testing.md): sn_expect_same, sn_check, sn_eq, sn_cc (one-off C helper),
# sn_umount, sn_check_inodes_left, sn_on_cleanup, sn_start_expect_fail,
# sn_adopt_mount, sn_forget_mount, sn_tmpdir, sn_mounts_under, sn_fuse_conn.
# The daemon runs with SNAGFS_DEBUG_INODES=1 and the hard open-files limit.
#
# Environment: SNAGFS (the daemon; required), SN_PROBE (sn_probe; required for
# sn_probe/sn_expect_*), SN_CMD_TIMEOUT (seconds per client command, 120),
# SN_TEST_TIMEOUT (whole script, 270; keep it under ctest's TIMEOUT so our own
# trap runs before ctest kills us), SN_KEEP=1 keeps the temp dir for debugging.
# SN_IMPL=pll (or a SNAGFS whose name contains passthrough_ll / pll) drives
# libfuse's passthrough_ll instead: `-o source=SRC MNT`, snagfs-only options
# translated or dropped; SN_IS_REF=1 is then set so tests can note known gaps.
#
# Hang-safety invariants (see docs/testing.md):
#  - the daemon runs in the foreground as OUR child (`"$SNAGFS" -f ... &`); we
#    record its pid and never kill anything by name;
#  - mounts are recognised only through /proc/self/mountinfo; the mountpoint is
#    never stat()ed by the harness (a wedged daemon would hang that stat);
#  - every client command runs under `timeout -k`;
#  - the EXIT/INT/TERM trap unmounts every mount we made, newest first:
#    fusermount3 -u, then umount -l; waits for the daemon with a timeout; as a
#    last resort aborts THAT mount's connection (/sys/fs/fuse/connections/N/abort,
#    N = minor of field 3 of its mountinfo line, recorded at mount time) and
#    kills only the recorded pid;
#  - a watchdog sends us SIGTERM after SN_TEST_TIMEOUT so the trap still runs;
#  - the temp dir is removed only when nothing is mounted beneath it.

set -u
set -o pipefail

SN_CMD_TIMEOUT=${SN_CMD_TIMEOUT:-120}
SN_TEST_TIMEOUT=${SN_TEST_TIMEOUT:-270}
SN_MOUNT_WAIT=${SN_MOUNT_WAIT:-15}
SN_UMOUNT_WAIT=${SN_UMOUNT_WAIT:-15}
SN_NAME=${SN_NAME:-$(basename "$0" .sh)}
SN_PASSES=0
SN_FAILS=0
SN_SKIPS=0
SN_TMP=""
SN_SRC="" SN_MNT="" SN_PID="" SN_LOG="" SN_CONN=""
SN_DAEMON_STATUS=""
SN_IS_REF=0
_SN_MNTS=() _SN_PIDS=() _SN_LOGS=() _SN_CONNS=()
_SN_CLEANUPS=()
_SN_WATCHDOG=""
_SN_CLEANED=0

# ---------------------------------------------------------------- reporting

sn_log() { printf '# %s\n' "$*"; }
sn_pass() { SN_PASSES=$((SN_PASSES + 1)); printf 'ok %d - %s\n' $((SN_PASSES + SN_FAILS)) "$*"; }
# sn_fail MSG: record a failure and go on (the script exits 1 at sn_done).
sn_fail() { SN_FAILS=$((SN_FAILS + 1)); printf 'not ok %d - %s\n' $((SN_PASSES + SN_FAILS)) "$*"; }
# sn_skip MSG: a check that cannot run here (counted, not a failure).
sn_skip() { SN_SKIPS=$((SN_SKIPS + 1)); printf 'ok - # SKIP %s\n' "$*"; }
# sn_abort MSG: a failure after which the rest of the test makes no sense.
sn_abort() { sn_fail "$*"; sn_done; }
# sn_check DESC CMD...: pass if CMD succeeds (external commands run under the
# timeout; shell functions are called directly).
sn_check() {
	local desc=$1; shift
	if declare -F "$1" >/dev/null; then "$@"; else sn_run "$@"; fi
	if [ $? -eq 0 ]; then sn_pass "$desc"; else sn_fail "$desc (command failed: $*)"; fi
}
# sn_eq DESC EXPECTED ACTUAL
sn_eq() {
	if [ "$2" = "$3" ]; then sn_pass "$1"
	else sn_fail "$1: expected '$2', got '$3'"; fi
}
# sn_done: print the summary and exit (77 if everything was skipped).
sn_done() {
	printf '%s: %d passed, %d failed, %d skipped\n' "$SN_NAME" "$SN_PASSES" "$SN_FAILS" "$SN_SKIPS"
	if [ "$SN_FAILS" -gt 0 ]; then exit 1; fi
	if [ "$SN_PASSES" -eq 0 ] && [ "$SN_SKIPS" -gt 0 ]; then exit 77; fi
	exit 0
}

# --------------------------------------------------------------- running

# sn_run CMD...: run a client command under a timeout (SIGKILL 5 s after TERM).
sn_run() { timeout -k 5 "$SN_CMD_TIMEOUT" "$@"; }
# sn_run_t SECONDS CMD...: same with an explicit timeout.
sn_run_t() { local t=$1; shift; timeout -k 5 "$t" "$@"; }

# sn_probe OP PATH [ARGS...]: run sn_probe, print its result line ("ok N" or
# "err ENAME", or "timeout"/"crash N" if it did not finish).
sn_probe() {
	local out rc
	out=$(sn_run "$SN_PROBE" "$@" 2>>"$SN_TMP/probe.stderr"); rc=$?
	case $rc in
	0|1) printf '%s\n' "$out" ;;
	124|137) printf 'timeout\n' ;;
	*) printf 'crash %d %s\n' "$rc" "$out" ;;
	esac
}

# sn_expect_errno EXPECTED OP PATH [ARGS...]: EXPECTED is an errno name
# (ENOENT), "ok" (any success) or "ok N" (exact return value).
sn_expect_errno() {
	local want=$1; shift
	local got; got=$(sn_probe "$@")
	case $want in
	ok) [[ $got == ok* ]] && { sn_pass "$* -> $got"; return 0; } ;;
	ok\ *) [ "$got" = "$want" ] && { sn_pass "$* -> $got"; return 0; } ;;
	*) [ "$got" = "err $want" ] && { sn_pass "$* -> $got"; return 0; } ;;
	esac
	sn_fail "$*: expected '$want', got '$got'"
	return 1
}

# sn_expect_same OP ARGS...: run the probe once on SOURCE and once on the
# mount and require the same result line; an argument "@/rel" is rewritten to
# "$SN_SRC/rel" and "$SN_MNT/rel" in turn.  Only for ops whose first run does
# not change what the second would see (failing ops, reads, stats).
sn_expect_same() {
	local a s_args=() m_args=() s m
	for a in "$@"; do
		case $a in
		@/*) s_args+=("$SN_SRC/${a#@/}"); m_args+=("$SN_MNT/${a#@/}") ;;
		@) s_args+=("$SN_SRC"); m_args+=("$SN_MNT") ;;
		*) s_args+=("$a"); m_args+=("$a") ;;
		esac
	done
	s=$(sn_probe "${s_args[@]}"); m=$(sn_probe "${m_args[@]}")
	if [ "$s" = "$m" ]; then sn_pass "$* -> $m (same as source)"
	else sn_fail "$*: source gives '$s', mount gives '$m'"; return 1; fi
}

# sn_cc NAME: compile C source from stdin into $SN_TMP/NAME; prints its path.
#     helper=$(sn_cc chown_noop <<'EOF' ... EOF)
sn_cc() {
	local name=$1 out="$SN_TMP/$1"
	cat >"$out.c"
	if ! gcc -std=gnu11 -D_GNU_SOURCE -O1 -w -o "$out" "$out.c" >"$out.cc.log" 2>&1; then
		cat "$out.cc.log" >&2
		sn_abort "cannot compile helper $name"
	fi
	printf '%s\n' "$out"
}

# sn_stat FMT PATH: stat -c FMT under the timeout (lstat semantics).
sn_stat() { sn_run stat -c "$1" -- "$2"; }

# ---------------------------------------------------------------- mountinfo

# _sn_mi_escape PATH: PATH as mountinfo spells it (octal escapes).
_sn_mi_escape() {
	local e=${1//\\/\\134}
	e=${e// /\\040}; e=${e//$'\t'/\\011}; e=${e//$'\n'/\\012}
	printf '%s' "$e"
}
# _sn_mi_line MNT: the newest /proc/self/mountinfo line whose mountpoint is MNT.
_sn_mi_line() {
	local m; m=$(_sn_mi_escape "$1")
	SN_M=$m awk '$5 == ENVIRON["SN_M"] { line = $0 } END { if (line != "") print line }' /proc/self/mountinfo
}
# sn_is_mounted MNT: true if some mount sits on MNT (mountinfo only, no stat).
sn_is_mounted() { [ -n "$(_sn_mi_line "$1")" ]; }
# sn_fuse_conn MNT: the FUSE connection number of the mount on MNT (minor of
# field 3), empty if MNT is not a fuse mount.
sn_fuse_conn() {
	_sn_mi_line "$1" | awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { t = $(i+1); break }
		if (t ~ /^fuse(\.|$)/ || t ~ /^fuseblk/) { split($3, d, ":"); print d[2] } }'
}
# _sn_conn_mounted MNT N: the FUSE mount with connection N is still on MNT
# (other mounts stacked on the same path do not count).
_sn_conn_mounted() {
	local m; m=$(_sn_mi_escape "$1")
	[ -n "$2" ] && SN_M=$m awk -v dev="0:$2" '$5 == ENVIRON["SN_M"] && $3 == dev { f = 1 } END { exit !f }' /proc/self/mountinfo
}
# sn_mounts_under DIR: mountpoints at or below DIR.
sn_mounts_under() {
	SN_D=$(_sn_mi_escape "$1") awk '{ d = ENVIRON["SN_D"] } $5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# ---------------------------------------------------------------- setup

# sn_init NAME: require root and /dev/fuse (else exit 77), make the temp dir,
# install the traps and the whole-test watchdog.
sn_init() {
	SN_NAME=${1:-$SN_NAME}
	if [ "$(id -u)" -ne 0 ]; then echo "$SN_NAME: SKIP: needs root"; exit 77; fi
	if [ ! -c /dev/fuse ]; then echo "$SN_NAME: SKIP: no /dev/fuse"; exit 77; fi
	if [ -z "${SNAGFS:-}" ] || [ ! -x "$SNAGFS" ]; then
		echo "$SN_NAME: SKIP: SNAGFS is not set to an executable"; exit 77
	fi
	case "${SN_IMPL:-}:$(basename "$SNAGFS")" in
	pll:*|*:passthrough_ll*|*:pll*) SN_IS_REF=1 ;;
	esac
	SN_TMP=$(mktemp -d "/tmp/snagfs-it.$SN_NAME.XXXXXX") || { echo "mktemp failed"; exit 1; }
	chmod 755 "$SN_TMP"
	trap '_sn_cleanup; exit 130' INT
	trap 'echo "# $SN_NAME: SIGTERM (test timeout ${SN_TEST_TIMEOUT}s?); cleaning up" >&2; _sn_cleanup; exit 143' TERM
	trap '_sn_on_exit' EXIT
	# The watchdog's TERM trap takes its sleep down with it (no orphan that
	# would hold ctest's output pipe open).
	( trap 'kill $sp 2>/dev/null; exit 0' TERM
	  sleep "$SN_TEST_TIMEOUT" & sp=$!
	  wait $sp && kill -TERM $$ ) </dev/null >/dev/null 2>&1 &
	_SN_WATCHDOG=$!
	sn_log "$SN_NAME: SNAGFS=$SNAGFS tmp=$SN_TMP$([ $SN_IS_REF = 1 ] && echo ' (reference passthrough_ll)')"
}

# sn_tmpdir [NAME]: a fresh directory under the test's temp dir.
# Mode 0755 so that tests dropping privileges can traverse it.
sn_tmpdir() { local d; d=$(mktemp -d "$SN_TMP/${1:-d}.XXXXXX") && chmod 755 "$d" && printf '%s\n' "$d"; }

# sn_on_cleanup CMD: run CMD (a string, eval'd) during cleanup, after all FUSE
# mounts are gone, newest registration first (e.g. unmount an XFS image).
sn_on_cleanup() { _SN_CLEANUPS+=("$1"); }

# _sn_daemon_args SRC MNT ARGS...: the daemon's argv (after the binary).
_sn_daemon_args() {
	local src=$1 mnt=$2; shift 2
	if [ "$SN_IS_REF" = 0 ]; then
		printf '%s\0' -f "$@" "$src" "$mnt"
		return
	fi
	# passthrough_ll: translate what has an equivalent, drop the rest.
	local opts="source=$src,xattr,flock" a
	local out=()
	while [ $# -gt 0 ]; do
		a=$1; shift
		case $a in
		--cache=strict) opts+=",cache=never" ;;
		--cache=normal) opts+=",cache=auto" ;;
		--cache=writeback) opts+=",writeback" ;;
		-o) opts+=",$1"; shift ;;
		-o*) opts+=",${a#-o}" ;;
		-s|-d) out+=("$a") ;;
		-r|--rule|-R|--rules|-p|--profile|--seed|--trace|--replay|--control|--watchdog|--watchdog-action)
			echo "# passthrough_ll: dropping $a $1" >&2; shift ;;
		*) echo "# passthrough_ll: dropping $a" >&2 ;;
		esac
	done
	printf '%s\0' -f "${out[@]}" -o "$opts" "$mnt"
}

# sn_mount [--src DIR] [--mnt DIR] [DAEMON ARGS...]: start the daemon in the
# foreground as our child and wait until the mount shows in mountinfo.  Fresh
# SOURCE and MOUNTPOINT dirs unless given.  Sets SN_SRC SN_MNT SN_PID SN_LOG
# SN_CONN.  Aborts the test (showing the daemon's stderr) if no mount appears.
sn_mount() {
	local src="" mnt=""
	while [ $# -gt 0 ]; do
		case $1 in
		--src) src=$2; shift 2 ;;
		--mnt) mnt=$2; shift 2 ;;
		*) break ;;
		esac
	done
	[ -n "$src" ] || src=$(sn_tmpdir src)
	[ -n "$mnt" ] || mnt=$(sn_tmpdir mnt)
	local log; log=$(mktemp "$SN_TMP/daemon.XXXXXX.log")
	local argv=() old_conn; old_conn=$(sn_fuse_conn "$mnt")
	mapfile -d '' argv < <(_sn_daemon_args "$src" "$mnt" "$@")
	echo "$SNAGFS ${argv[*]}" >"$log"
	# The daemon gets the hard open-files limit as its soft limit (an fd per
	# inode is the usual passthrough design; the reference needs it too).
	# SNAGFS_DEBUG_INODES=1: snagfs prints "snagfs: inodes left: N" at exit.
	( ulimit -n "$(ulimit -Hn)"; SNAGFS_DEBUG_INODES=1 exec "$SNAGFS" "${argv[@]}" ) </dev/null >>"$log" 2>&1 &
	local pid=$!
	_SN_MNTS+=("$mnt"); _SN_PIDS+=("$pid"); _SN_LOGS+=("$log"); _SN_CONNS+=("")
	local i=$(( ${#_SN_MNTS[@]} - 1 ))
	local deadline=$((SECONDS + SN_MOUNT_WAIT)) conn=""
	while :; do
		conn=$(sn_fuse_conn "$mnt")
		[ -n "$conn" ] && [ "$conn" != "$old_conn" ] && break
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"; SN_DAEMON_STATUS=$?
			sed 's/^/#   daemon: /' "$log"
			sn_abort "daemon exited (status $SN_DAEMON_STATUS) before mounting $mnt"
		fi
		if [ $SECONDS -ge $deadline ]; then
			sed 's/^/#   daemon: /' "$log"
			sn_abort "no mount on $mnt after ${SN_MOUNT_WAIT}s"
		fi
		sleep 0.05
	done
	_SN_CONNS[$i]=$conn
	SN_SRC=$src SN_MNT=$mnt SN_PID=$pid SN_LOG=$log SN_CONN=$conn
}

# sn_start_expect_fail ARGS...: run "$SNAGFS" ARGS (give -f yourself) as a
# child that is expected to refuse to start.  Waits up to 5 s for it to exit;
# sets SN_START_STATUS (exit status, or "running") and SN_START_ERR (its
# output).  If it is still running it is tracked like any mount (MOUNTPOINT =
# the last argument) so the cleanup takes it down.
sn_start_expect_fail() {
	local log; log=$(mktemp "$SN_TMP/start.XXXXXX.log")
	local before=""; [ $# -gt 0 ] && before=$(sn_fuse_conn "${!#}")
	"$SNAGFS" "$@" </dev/null >"$log" 2>&1 &
	local pid=$! deadline=$((SECONDS + 5)) mnt=${!#}
	SN_START_STATUS=running
	while [ $SECONDS -lt $deadline ]; do
		if ! _sn_pid_alive "$pid"; then
			wait "$pid"; SN_START_STATUS=$?
			break
		fi
		sleep 0.05
	done
	if [ "$SN_START_STATUS" = running ]; then
		local conn; conn=$(sn_fuse_conn "$mnt")
		[ "$conn" = "$before" ] && conn=""
		_SN_MNTS+=("$mnt"); _SN_PIDS+=("$pid"); _SN_LOGS+=("$log"); _SN_CONNS+=("$conn")
		_sn_unmount_index $(( ${#_SN_MNTS[@]} - 1 ))
	fi
	SN_START_ERR=$(cat "$log")
}

# sn_adopt_mount MNT: take a FUSE mount we did not start (e.g. one that
# `snagfs run` left behind) into the cleanup: unmount, abort its connection.
sn_adopt_mount() {
	_SN_MNTS+=("$1"); _SN_PIDS+=(""); _SN_LOGS+=(/dev/null); _SN_CONNS+=("$(sn_fuse_conn "$1")")
}

# _sn_pid_alive PID: alive and not a zombie.
_sn_pid_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# _sn_wait_pid PID SECONDS: wait for PID to exit; sets SN_DAEMON_STATUS.
_sn_wait_pid() {
	local pid=$1 deadline=$((SECONDS + $2))
	while _sn_pid_alive "$pid"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
	wait "$pid" 2>/dev/null; SN_DAEMON_STATUS=$?
	return 0
}

# _sn_abort_conn N: write to /sys/fs/fuse/connections/N/abort (mount fusectl
# first if needed).
_sn_abort_conn() {
	local n=$1 d=/sys/fs/fuse/connections
	[ -n "$n" ] || return 1
	if [ -z "$(ls -A "$d" 2>/dev/null)" ]; then
		mount -t fusectl fusectl "$d" 2>/dev/null
	fi
	if [ -e "$d/$n/abort" ]; then
		echo "# aborting FUSE connection $n" >&2
		echo 1 >"$d/$n/abort"
	fi
}

# _sn_unmount_index I: unmount mount I and reap its daemon, escalating as
# needed.  Returns 0 if the clean path (fusermount3 -u + daemon exit) worked.
_sn_unmount_index() {
	local i=$1 mnt=${_SN_MNTS[$1]} pid=${_SN_PIDS[$1]} conn=${_SN_CONNS[$1]} clean=0
	[ -n "$mnt" ] || return 0
	[ -n "$conn" ] || conn=$(sn_fuse_conn "$mnt")
	if _sn_conn_mounted "$mnt" "$conn"; then
		timeout -k 2 10 fusermount3 -u "$mnt" 2>/dev/null || clean=1
		if _sn_conn_mounted "$mnt" "$conn"; then
			clean=1
			echo "# fusermount3 -u $mnt failed; lazy unmount" >&2
			timeout -k 2 10 umount -l "$mnt" 2>/dev/null
		fi
	fi
	if [ -z "$pid" ] && [ "$clean" = 1 ]; then
		_sn_abort_conn "$conn"
	fi
	if [ -n "$pid" ] && ! _sn_wait_pid "$pid" "$SN_UMOUNT_WAIT"; then
		clean=1
		echo "# daemon $pid did not exit after unmount" >&2
		_sn_abort_conn "$conn"
		if ! _sn_wait_pid "$pid" 5; then
			kill -TERM "$pid" 2>/dev/null
			_sn_wait_pid "$pid" 5 || { kill -KILL "$pid" 2>/dev/null; _sn_wait_pid "$pid" 5; }
		fi
	fi
	_SN_MNTS[$i]=""; _SN_PIDS[$i]=""
	return $clean
}

# _sn_drain MNT: write MNT's dirty pages back, drop unused dentries and
# inodes, then wait (at most 15 s) until MNT's daemon has processed the
# FORGETs: drop_caches is repeated every 0.2 s until the daemon's count of
# open fds has stayed put for five rounds (1 s). One drop and a short wait
# was not enough under load (other tests running): the FORGET reached the
# daemon after the wait and a clean exit was reported as a leaked inode.
_sn_drain() {
	local i pid="" n prev=-1 quiet=0 deadline=$((SECONDS + 15))
	for i in "${!_SN_MNTS[@]}"; do [ "${_SN_MNTS[$i]}" = "$1" ] && pid=${_SN_PIDS[$i]}; done
	# Dirty pages pin an inode (writeback cache: a killed writer leaves
	# some), so write this mount's back first; syncfs of this mount only.
	timeout -k 2 15 sync -f "$1" 2>/dev/null
	if [ -z "$pid" ]; then
		timeout 20 sh -c 'echo 2 >/proc/sys/vm/drop_caches' 2>/dev/null
		sleep 0.5
		return
	fi
	while [ $SECONDS -lt $deadline ] && [ $quiet -lt 5 ]; do
		timeout 20 sh -c 'echo 2 >/proc/sys/vm/drop_caches' 2>/dev/null
		sleep 0.2
		n=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
		if [ "$n" = "$prev" ]; then quiet=$((quiet + 1)); else quiet=0; prev=$n; fi
	done
}

# sn_umount [MNT]: cleanly unmount MNT (default SN_MNT); fail the test if
# that needed escalation or the daemon exited non-zero.  Sets
# SN_DAEMON_STATUS and SN_LOG (that mount's daemon log).
# First it makes the kernel drop unused dentries and inodes (echo 2 >
# drop_caches), so every inode nobody holds gets its FORGET before the
# unmount: the kernel sends no FORGET at unmount itself, so only then does
# "inodes left: 0" prove the daemon's table drains.  (No global sync here:
# it could block on someone else's hung FUSE mount.)
sn_umount() {
	local mnt=${1:-$SN_MNT} i
	_sn_drain "$mnt"
	for i in "${!_SN_MNTS[@]}"; do
		[ "${_SN_MNTS[$i]}" = "$mnt" ] || continue
		SN_LOG=${_SN_LOGS[$i]}
		SN_DAEMON_STATUS=""
		local conn=${_SN_CONNS[$i]}
		if ! _sn_unmount_index "$i"; then
			sn_fail "clean unmount of $mnt (needed lazy unmount/abort/kill)"
			sed 's/^/#   daemon: /' "$SN_LOG" | tail -20
			return 1
		fi
		if [ "$SN_DAEMON_STATUS" != 0 ]; then
			sn_fail "daemon for $mnt exited with status $SN_DAEMON_STATUS"
			sed 's/^/#   daemon: /' "$SN_LOG" | tail -20
			return 1
		fi
		_sn_conn_mounted "$mnt" "$conn" && { sn_fail "$mnt still mounted after unmount"; return 1; }
		return 0
	done
	sn_fail "sn_umount: $mnt is not one of our mounts"
	return 1
}

# sn_forget_mount MNT: the test itself took MNT down and reaped its daemon
# (e.g. by signalling it); stop tracking it.
sn_forget_mount() {
	local i
	for i in "${!_SN_MNTS[@]}"; do
		[ "${_SN_MNTS[$i]}" = "$1" ] && { _SN_MNTS[$i]=""; _SN_PIDS[$i]=""; }
	done
}

# sn_daemon_alive: the current mount's daemon is still running.
sn_daemon_alive() { _sn_pid_alive "$SN_PID"; }

# sn_check_inodes_left [LOG]: after sn_umount, the daemon printed
# "snagfs: inodes left: 0".  Skipped against passthrough_ll.
sn_check_inodes_left() {
	local log=${1:-$SN_LOG} line
	if [ "$SN_IS_REF" = 1 ]; then sn_skip "inodes-left line (passthrough_ll has none)"; return 0; fi
	line=$(grep -a 'snagfs: inodes left:' "$log" | tail -1)
	if [ -z "$line" ]; then sn_fail "daemon printed no 'snagfs: inodes left: N' line"; return 1; fi
	sn_eq "inode table empty at exit" "snagfs: inodes left: 0" "$(echo "$line" | sed 's/.*\(snagfs: inodes left: [0-9]*\).*/\1/')"
}

# ---------------------------------------------------------------- cleanup

_sn_cleanup() {
	[ "$_SN_CLEANED" = 1 ] && return
	_SN_CLEANED=1
	trap '' INT TERM
	local i c leftover
	for ((i = ${#_SN_MNTS[@]} - 1; i >= 0; i--)); do
		[ -n "${_SN_MNTS[$i]}" ] && _sn_unmount_index "$i"
	done
	for ((i = ${#_SN_CLEANUPS[@]} - 1; i >= 0; i--)); do
		c=${_SN_CLEANUPS[$i]}
		eval "$c" || echo "# cleanup step failed: $c" >&2
	done
	[ -n "$_SN_WATCHDOG" ] && kill "$_SN_WATCHDOG" 2>/dev/null
	[ -n "$SN_TMP" ] || return
	leftover=$(sn_mounts_under "$SN_TMP")
	if [ -n "$leftover" ]; then
		echo "# NOT removing $SN_TMP: still mounted: $leftover" >&2
	elif [ "${SN_KEEP:-0}" = 1 ]; then
		echo "# keeping $SN_TMP" >&2
	else
		rm -rf --one-file-system "$SN_TMP"
	fi
}

_sn_on_exit() {
	local rc=$?
	_sn_cleanup
	exit $rc
}
