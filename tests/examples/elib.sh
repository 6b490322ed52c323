# elib.sh — helpers for the example tests (tests/examples/*.sh), on top of the
# integration harness (../integration/lib.sh).
#
# Environment (from CMake): SNAGFS, SNAGCTL, SN_PROBE. Their directories are
# put first on PATH, so the examples call `snagfs` and `snagctl` by name as
# a user would; SNAGFS_PROFILE_DIR points at this tree's profiles.
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

EX_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EX_ROOT=$(cd "$EX_HERE/../.." && pwd)
EX_EXAMPLES=$EX_ROOT/examples
export SNAGFS_PROFILE_DIR=$EX_ROOT/policy/profiles

# ex_init NAME: sn_init, then PATH and a private TMPDIR for `snagfs run`
# mountpoints (so a mount left behind is under SN_TMP and gets cleaned up).
ex_init() {
	sn_init "$1"
	[ -n "${SNAGCTL:-}" ] && [ -x "$SNAGCTL" ] || sn_abort "SNAGCTL is not set to the snagctl executable"
	local bin=$SN_TMP/bin
	mkdir -p "$bin" "$SN_TMP/runtmp"
	ln -sf "$(readlink -f "$SNAGFS")" "$bin/snagfs"
	ln -sf "$(readlink -f "$SNAGCTL")" "$bin/snagctl"
	export PATH="$bin:$PATH"
	export TMPDIR=$SN_TMP/runtmp
}

# ex_adopt_leftovers: take any FUSE mount `snagfs run` left under TMPDIR into
# the cleanup (and fail: run must always unmount).
ex_adopt_leftovers() {
	local m
	for m in $(sn_mounts_under "$SN_TMP/runtmp"); do
		[ -n "$(sn_fuse_conn "$m")" ] || continue
		sn_adopt_mount "$m"
		sn_fail "snagfs run left $m mounted"
	done
}

# ex_run TIMEOUT CMD...: a client command that may mount (snagfs run, go
# test, pytest); afterwards adopt what it left mounted. Returns CMD's status.
ex_run() {
	local t=$1 rc; shift
	sn_run_t "$t" "$@"; rc=$?
	ex_adopt_leftovers
	return $rc
}
