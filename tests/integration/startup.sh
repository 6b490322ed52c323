# startup.sh — bad SOURCE/MOUNTPOINT combinations are refused at start:
# non-zero exit, a message naming the offending path, nothing mounted.
. "$(dirname "$0")/lib.sh"
sn_init startup
T=$(sn_tmpdir cases)

refuse() {   # refuse DESC SRC MNT [MENTION...]
	local desc=$1 src=$2 mnt=$3; shift 3
	local before after argv=()
	before=$(sn_mounts_under "$SN_TMP" | sort)
	mapfile -d '' argv < <(_sn_daemon_args "$src" "$mnt")
	sn_start_expect_fail "${argv[@]}"
	after=$(sn_mounts_under "$SN_TMP" | sort)
	if [ "$SN_START_STATUS" != running ] && [ "$SN_START_STATUS" -ne 0 ]; then
		sn_pass "$desc: refused (exit $SN_START_STATUS)"
	else
		sn_fail "$desc: not refused (status: $SN_START_STATUS) — $SNAGFS ${argv[*]}"
	fi
	sn_eq "$desc: nothing mounted" "$before" "$after"
	local p found=""
	for p in "$@"; do [[ $SN_START_ERR == *"$p"* ]] && found=$p; done
	if [ -n "$SN_START_ERR" ] && { [ $# -eq 0 ] || [ -n "$found" ]; }; then
		sn_pass "$desc: message: $(echo "$SN_START_ERR" | grep -v '^$' | head -2 | tr '\n' ' ')"
	else
		sn_fail "$desc: message should name ${*:-the problem}; got: '$(echo "$SN_START_ERR" | head -3 | tr '\n' ' ')'"
	fi
}

mkdir -p "$T/src" "$T/mnt" "$T/s2/inner" "$T/m2/inner"
echo f >"$T/file"
refuse "SOURCE missing" "$T/nonexistent" "$T/mnt" "$T/nonexistent"
refuse "SOURCE not a directory" "$T/file" "$T/mnt" "$T/file"
refuse "MOUNTPOINT missing" "$T/src" "$T/nomnt" "$T/nomnt"
refuse "MOUNTPOINT is a file" "$T/src" "$T/file" "$T/file"
refuse "SOURCE equal to MOUNTPOINT" "$T/src" "$T/src" "$T/src"
refuse "SOURCE equal to MOUNTPOINT (other spelling)" "$T/src" "$T/src/." "$T/src"
refuse "SOURCE inside MOUNTPOINT" "$T/m2/inner" "$T/m2" "$T/m2"
refuse "MOUNTPOINT inside SOURCE" "$T/s2" "$T/s2/inner" "$T/s2"

# MOUNTPOINT already a mount: a bind mount, then one of our own mounts
mkdir "$T/bound"
mount --bind "$T/bound" "$T/bound" && sn_on_cleanup "umount '$T/bound' || umount -l '$T/bound'"
refuse "MOUNTPOINT already a mount (bind)" "$T/src" "$T/bound" "$T/bound"
sn_mount --src "$T/src" --mnt "$T/mnt"
refuse "MOUNTPOINT already a snagfs mount" "$T/s2" "$T/mnt" "$T/mnt"
sn_eq "first mount still serves" "" "$(sn_run ls -A "$T/mnt" 2>&1)"
sn_umount "$T/mnt"

# awkward paths: commas (libfuse option syntax), spaces, a backslash
asrc="$T/src, with comma,and=equals"; amnt="$T/mnt with space\\and backslash"
mkdir -p "$asrc" "$amnt"; echo awkward >"$asrc/f"
sn_mount --src "$asrc" --mnt "$amnt"
sn_eq "SOURCE with commas and spaces, MOUNTPOINT with space and backslash" awkward "$(sn_run cat "$amnt/f" 2>&1)"
sn_run sh -c 'echo back >"$1"' _ "$amnt/g"
sn_eq "write lands in the awkward SOURCE" back "$(cat "$asrc/g" 2>&1)"
sn_umount "$amnt"

# usage errors
if [ "$SN_IS_REF" = 0 ]; then
	sn_start_expect_fail
	[ "$SN_START_STATUS" != running ] && [ "$SN_START_STATUS" -ne 0 ] && [ -n "$SN_START_ERR" ] \
		&& sn_pass "no arguments: usage error (exit $SN_START_STATUS)" \
		|| sn_fail "no arguments: expected non-zero exit and usage, got $SN_START_STATUS '$SN_START_ERR'"
	sn_start_expect_fail -f --no-such-option "$T/src" "$T/mnt"
	[ "$SN_START_STATUS" != running ] && [ "$SN_START_STATUS" -ne 0 ] \
		&& sn_pass "unknown option refused (exit $SN_START_STATUS): $(echo "$SN_START_ERR" | head -1)" \
		|| sn_fail "unknown option: expected refusal, got $SN_START_STATUS"
	sn_start_expect_fail -f --cache=bogus "$T/src" "$T/mnt"
	[ "$SN_START_STATUS" != running ] && [ "$SN_START_STATUS" -ne 0 ] \
		&& sn_pass "--cache=bogus refused (exit $SN_START_STATUS): $(echo "$SN_START_ERR" | head -1)" \
		|| sn_fail "--cache=bogus: expected refusal, got $SN_START_STATUS"
	sn_start_expect_fail -f -r 'write:error=NOTANERRNO' "$T/src" "$T/mnt"
	[ "$SN_START_STATUS" != running ] && [ "$SN_START_STATUS" -ne 0 ] \
		&& sn_pass "bad rule refused (exit $SN_START_STATUS): $(echo "$SN_START_ERR" | head -1)" \
		|| sn_fail "bad rule -r 'write:error=NOTANERRNO': expected refusal, got $SN_START_STATUS"
	sn_eq "nothing mounted after usage errors" "" "$(sn_mounts_under "$T/mnt")"
fi
sn_done
