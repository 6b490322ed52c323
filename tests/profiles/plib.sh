# plib.sh — helpers shared by the profile tests (tests/profiles/*.sh), on top
# of the integration harness (../integration/lib.sh: mounts, traps, timeouts).
#
#     . "$(dirname "$0")/plib.sh"
#     pf_init selinux-denied        # sn_init + checks SNAGCTL; SNAGFS_PROFILE_DIR
#     pf_mount -p selinux-denied    # sn_mount with --seed and a control socket
#     pf_fired selinux-denied       # the rule's fire count, from snagctl
#     pf_expect_fired ID N          # assert it
#
# Environment (from CMake): SNAGFS, SN_PROBE, SNAGCTL. The tests always use the
# profiles of this source tree (SNAGFS_PROFILE_DIR), never an installed copy.
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

PF_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PF_PROFILES=$(cd "$PF_HERE/../../policy/profiles" && pwd)
export SNAGFS_PROFILE_DIR=$PF_PROFILES
PF_CTL=""
PF_SEED=${PF_SEED:-1}
PF_PY=${PF_PY:-python3}

pf_init() {
	sn_init "$1"
	if [ -z "${SNAGCTL:-}" ] || [ ! -x "$SNAGCTL" ]; then
		sn_abort "SNAGCTL is not set to the snagctl executable"
	fi
}

# pf_mount [--src DIR] DAEMON ARGS...: mount with a fixed seed and a control
# socket of our own (PF_CTL).
pf_mount() {
	local pre=()
	if [ "${1:-}" = --src ]; then pre=(--src "$2"); shift 2; fi
	PF_CTL=$(mktemp -u "$SN_TMP/ctl.XXXXXX.sock")
	sn_mount "${pre[@]}" --seed "$PF_SEED" --control "$PF_CTL" "$@"
	# the socket appears a moment after the mount
	local i
	for i in $(seq 100); do [ -S "$PF_CTL" ] && return 0; sleep 0.05; done
	sn_fail "control socket $PF_CTL never appeared"
}

# pf_ctl ARGS...: snagctl on the current mount.
pf_ctl() { sn_run "$SNAGCTL" -S "$PF_CTL" "$@"; }

# pf_fired ID [matched]: the fire (or match) count of rule ID, "none" if the
# rule or the control socket is missing.
pf_fired() {
	local what=${2:-fired}
	pf_ctl --json list 2>/dev/null | "$PF_PY" -c '
import json, sys
try:
    r = json.loads(sys.stdin.readline())
    print(next((str(x[sys.argv[2]]) for x in r["rules"] if x["id"] == sys.argv[1]), "none"))
except Exception:
    print("none")' "$1" "$what"
}

# pf_expect_fired ID N [DESC]
pf_expect_fired() { sn_eq "${3:-rule $1 fired $2 times}" "$2" "$(pf_fired "$1")"; }

# pf_py CODE...: run a Python snippet under the timeout with M = the mount,
# S = the source, CTL = the socket, SNAGCTL = the client.
pf_py() {
	sn_run env M="$SN_MNT" S="$SN_SRC" CTL="$PF_CTL" "$PF_PY" -c "
import os, sys, errno, time, subprocess
M = os.environ['M']; S = os.environ['S']; CTL = os.environ['CTL']
SNAGCTL = os.environ.get('SNAGCTL', '')
def ename(e): return errno.errorcode.get(e.errno, str(e.errno))
$1"
}

# pf_rules PROFILE: the rule lines of a profile (comments and blanks dropped).
pf_rules() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d' "$PF_PROFILES/$1.rules"; }
