# run.sh — `snagfs run SOURCE -- COMMAND`: SNAGFS_MOUNT works inside, the
# exit status passes through (3 -> 3, SIGTERM -> 143), and afterwards nothing
# is mounted and the private mountpoint is gone.
. "$(dirname "$0")/lib.sh"
sn_init run
if [ "$SN_IS_REF" = 1 ]; then sn_skip "passthrough_ll has no run mode"; sn_done; fi
src=$(sn_tmpdir src)
echo "from source" >"$src/in"
where=$SN_TMP/where

# run_snagfs ARGS...: snagfs run under a timeout; adopts a mount left behind.
run_snagfs() {
	: >"$where"
	sn_run "$SNAGFS" run "$@"
	local rc=$?
	local m; m=$(cat "$where" 2>/dev/null)
	if [ -n "$m" ] && [ -n "$(sn_fuse_conn "$m")" ]; then
		sn_adopt_mount "$m"
		echo "# snagfs run left $m mounted" >&2
	fi
	return $rc
}
after_checks() {  # after_checks DESC
	local m; m=$(cat "$where" 2>/dev/null)
	if [ -z "$m" ]; then sn_fail "$1: command did not record SNAGFS_MOUNT"; return; fi
	sn_eq "$1: nothing mounted on $m afterwards" "" "$(sn_mounts_under "$m")"
	if [ -e "$m" ]; then sn_fail "$1: temp mountpoint $m not removed"; else sn_pass "$1: temp mountpoint removed"; fi
}

cmd='echo "$SNAGFS_MOUNT" >"$1"
	[ -n "$SNAGFS_MOUNT" ] || { echo "SNAGFS_MOUNT unset"; exit 90; }
	awk -v m="$SNAGFS_MOUNT" '\''$5 == m && $0 ~ / - fuse/ { f = 1 } END { exit !f }'\'' /proc/self/mountinfo || { echo "not a fuse mount"; exit 91; }
	[ "$(cat "$SNAGFS_MOUNT/in")" = "from source" ] || { echo "read failed"; exit 92; }
	echo written >"$SNAGFS_MOUNT/out" || exit 93
	mkdir "$SNAGFS_MOUNT/dir" || exit 94
	exit 0'
out=$(run_snagfs "$src" -- sh -c "$cmd" sh "$where" 2>&1); rc=$?
sn_eq "SNAGFS_MOUNT visible and working (exit status; output: $(echo "$out" | tail -2 | tr '\n' ' '))" 0 "$rc"
sn_eq "write inside run reached the source" "written" "$(cat "$src/out" 2>&1)"
after_checks "exit 0"

run_snagfs "$src" -- sh -c 'echo "$SNAGFS_MOUNT" >"$1"; exit 3' sh "$where" >/dev/null 2>&1
sn_eq "exit status 3 passes through" 3 $?
after_checks "exit 3"

run_snagfs "$src" -- sh -c 'echo "$SNAGFS_MOUNT" >"$1"; exit 0' sh "$where" >/dev/null 2>&1
sn_eq "exit status 0 passes through" 0 $?

run_snagfs "$src" -- sh -c 'echo "$SNAGFS_MOUNT" >"$1"; kill -TERM $$' sh "$where" >/dev/null 2>&1
sn_eq "command killed by SIGTERM -> 143" 143 $?
after_checks "SIGTERM"

run_snagfs "$src" -- sh -c 'echo "$SNAGFS_MOUNT" >"$1"; kill -KILL $$' sh "$where" >/dev/null 2>&1
sn_eq "command killed by SIGKILL -> 137" 137 $?
after_checks "SIGKILL"

# a command that leaves a file open in the background must not wedge unmount
run_snagfs "$src" -- sh -c 'echo "$SNAGFS_MOUNT" >"$1"; cd "$SNAGFS_MOUNT"; exit 5' sh "$where" >/dev/null 2>&1
sn_eq "cwd inside the mount, exit 5" 5 $?
after_checks "cwd inside"

run_snagfs "$src" -- /nonexistent/command >/dev/null 2>&1; rc=$?
if [ $rc -eq 127 ] || [ $rc -eq 126 ]; then sn_pass "missing command -> $rc"; else sn_fail "missing command: expected 127, got $rc"; fi
run_snagfs "$SN_TMP/no-such-source" -- true >/dev/null 2>&1; rc=$?
if [ $rc -ne 0 ]; then sn_pass "missing SOURCE -> exit $rc"; else sn_fail "run with missing SOURCE exited 0"; fi
run_snagfs "$src" >/dev/null 2>&1; rc=$?
if [ $rc -ne 0 ]; then sn_pass "run without -- COMMAND -> exit $rc"; else sn_fail "run without a command exited 0"; fi
sn_eq "no snagfs mount of our source left" "" "$(awk -v s="$src" '$0 ~ / - fuse/ && index($0, s) { print $5 }' /proc/self/mountinfo)"
sn_done
