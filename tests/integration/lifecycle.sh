# lifecycle.sh — the daemon's life: SIGTERM and SIGINT unmount cleanly (exit
# 0), SIGHUP does not take the mount down, a daemonized mount (no -f) is
# usable the moment the command returns and goes away on fusermount3 -u, and
# a busy unmount (EBUSY) leaves the mount serving.
. "$(dirname "$0")/lib.sh"
sn_init lifecycle

for sig in TERM INT; do
	sn_mount
	echo data >"$SN_SRC/f"
	sn_run cat "$SN_MNT/f" >/dev/null
	_sn_drain "$SN_MNT"
	kill -$sig "$SN_PID"
	if _sn_wait_pid "$SN_PID" 15; then
		# a clean shutdown on request: 0 (or 128+signal), not the 1 of a failed start
		case $SN_DAEMON_STATUS in
		0|$((128 + $(kill -l $sig)))) sn_pass "SIG$sig: daemon exit status $SN_DAEMON_STATUS" ;;
		*) sn_fail "SIG$sig: daemon exit status $SN_DAEMON_STATUS (want 0 or $((128 + $(kill -l $sig))))" ;;
		esac
	else sn_fail "SIG$sig: daemon still running after 15 s"; fi
	if _sn_conn_mounted "$SN_MNT" "$SN_CONN"; then sn_fail "SIG$sig: still mounted"
	else sn_pass "SIG$sig: unmounted"; fi
	sn_check_inodes_left "$SN_LOG"
	_sn_conn_mounted "$SN_MNT" "$SN_CONN" || sn_forget_mount "$SN_MNT"
done

if [ "$SN_IS_REF" = 0 ]; then
	sn_mount
	# DESIGN.md: SIGHUP reloads the rules files; it must not end the mount
	kill -HUP "$SN_PID"; sleep 0.5
	sn_check "SIGHUP: daemon still running" sn_daemon_alive
	echo served >"$SN_SRC/f"
	sn_eq "SIGHUP: still serving" served "$(sn_run cat "$SN_MNT/f" 2>&1)"
	sn_daemon_alive && sn_umount
fi

# busy unmount: fusermount3 -u fails with EBUSY, the mount keeps serving
sn_mount
echo busy >"$SN_SRC/f"
sn_run_t 30 sh -c 'cd "$1" && sleep 3' _ "$SN_MNT" &
busy=$!
sleep 0.5
if fusermount3 -u "$SN_MNT" 2>/dev/null; then sn_fail "fusermount3 -u of a busy mount succeeded"
else sn_pass "fusermount3 -u of a busy mount refused"; fi
sn_eq "busy mount still serves" busy "$(sn_run cat "$SN_MNT/f")"
wait $busy
sn_umount

# daemonized (no -f): the mount is usable as soon as the command returns
src=$(sn_tmpdir src) mnt=$(sn_tmpdir mnt)
echo ready >"$src/f"
mapfile -d '' argv < <(_sn_daemon_args "$src" "$mnt")
argv=("${argv[@]:1}")     # drop -f
sn_run "$SNAGFS" "${argv[@]}" >"$SN_TMP/bg.log" 2>&1; rc=$?
[ -n "$(sn_fuse_conn "$mnt")" ] && sn_adopt_mount "$mnt"
sn_eq "daemonizing start exits 0" 0 "$rc"
sn_eq "mount usable right after the command returns" ready "$(sn_run cat "$mnt/f" 2>&1)"
conn=$(sn_fuse_conn "$mnt")
sn_check "fusermount3 -u" fusermount3 -u "$mnt"
deadline=$((SECONDS + 10))
while [ -d "/sys/fs/fuse/connections/$conn" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
if [ -d "/sys/fs/fuse/connections/$conn" ]; then sn_fail "connection $conn still exists 10 s after unmount (daemon not gone?)"
else sn_pass "daemonized instance gone after unmount"; fi
sn_done
