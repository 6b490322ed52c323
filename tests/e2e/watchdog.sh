#!/usr/bin/env bash
# watchdog.sh — the watchdog inside the real daemon, provoked with selfio=:
#  - multi-threaded: a worker's stat of its own mount reaches another worker,
#    is recognised as self-originated and answered EDEADLK; the client's
#    write succeeds; the report is in the log and in the trace;
#  - single-threaded (-s): nobody reads the self-request; the stall report
#    shows the evidence; action abort unblocks the client with ECONNABORTED;
#  - rescue: the rescue thread serves the self-request, the write succeeds;
#  - an injected delay longer than the threshold raises no alarm.
# Lines the daemon must write are awaited (bounded), never slept for.
. "$(dirname "$0")/../integration/lib.sh"
sn_init watchdog
: "${SNAGCTL:?}"

src=$(sn_tmpdir src)
: >"$src/trigger"
head -c 4096 /dev/urandom >"$src/slow"

# await_log PATTERN [SECONDS]: the current daemon log matches PATTERN (ERE).
await_log() {
	local deadline=$((SECONDS + ${2:-5}))
	while ! grep -Eq "$1" "$SN_LOG"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
}
check_log() { # DESC PATTERN
	if await_log "$2"; then sn_pass "$1"; else sn_fail "$1 (no /$2/ in the log)"; sed 's/^/#   daemon: /' "$SN_LOG" | tail -15; fi
}

# --- multi-threaded: EDEADLK for the self-request, the client succeeds.
trace="$SN_TMP/wd.trace"
sn_mount --src "$src" -r 'write:path=/trigger:selfio=stat:id=self' --trace "$trace"
sn_expect_errno "ok 100" write "$SN_MNT/trigger" 100
check_log "self-originated request reported" "snagfs watchdog: self-origin: op=(lookup|getattr) .*\[our own thread\].*action=EDEADLK"
check_log "the daemon's own stat got EDEADLK" "rule self: selfio=stat .*/\.snagfs-selfio-[0-9]+: EDEADLK"
json=$(sn_run "$SNAGCTL" -m "$SN_MNT" stats --json)
python3 - "$json" <<'PY' && sn_pass "snagctl stats counts the self-origin and its EDEADLK" || sn_fail "stats counters: $json"
import json, sys
c = json.loads(sys.argv[1])["counters"]
assert c["watchdog_self_origin"] >= 1 and c["watchdog_self_failed"] >= 1 and c["watchdog_stalls"] == 0, c
PY
sn_run "$SNAGCTL" -m "$SN_MNT" stats --prometheus | grep -Eq '^snagfs_watchdog_self_origin_total\{mount="[^"]*"\} [1-9]' \
	&& sn_pass "prometheus: snagfs_watchdog_self_origin_total" || sn_fail "no snagfs_watchdog_self_origin_total"
sn_umount
grep -q '"event":"watchdog","kind":"self-origin"' "$trace" && sn_pass "self-origin event in the trace" \
	|| sn_fail "no watchdog event line in the trace"
grep -q '"rule":"self".*"action":"selfio"' "$trace" && sn_pass "selfio fault in the trace" \
	|| sn_fail "no selfio fault line in the trace"
grep -q "stall" "$SN_LOG" && sn_fail "multi-threaded self-request stalled" || sn_pass "no stall report (multi-threaded)"

# --- single-threaded: stall with evidence; abort → ECONNABORTED.
sn_mount --src "$src" -s --watchdog 300ms --watchdog-action abort -r 'write:path=/trigger:selfio=stat:id=self'
t0=$SECONDS
sn_expect_errno ECONNABORTED write "$SN_MNT/trigger" 100
[ $((SECONDS - t0)) -lt 10 ] && sn_pass "client unblocked in $((SECONDS - t0)) s" || sn_fail "client waited $((SECONDS - t0)) s"
check_log "stall report for the client's write" "snagfs watchdog: stall: op=write "
check_log "evidence: our worker stats its own mount" "\(snagfs, worker, busy\): state=S wchan=request_wait_answer syscall=(newfstatat|statx|stat)\([0-9]+\) target=path $SN_MNT/\.snagfs-selfio-[0-9]+ ON OUR OWN MOUNT"
check_log "evidence: queued request nobody reads" "request\(s\) queued that no thread is reading"
check_log "abort report" "snagfs watchdog: abort: .*action=abort"
_sn_wait_pid "$SN_PID" 10 && sn_pass "daemon exited after the abort" || sn_fail "daemon still running after abort"
sn_umount >/dev/null 2>&1; sn_forget_mount "$SN_MNT"

# --- single-threaded with rescue: the client's write succeeds.
sn_mount --src "$src" -s --watchdog 300ms --watchdog-action rescue -r 'write:path=/trigger:selfio=stat:id=self'
sn_expect_errno "ok 100" write "$SN_MNT/trigger" 100
check_log "rescue started" "snagfs watchdog: rescue: "
check_log "the rescued self-request was served (ENOENT), not failed" "rule self: selfio=stat .*: ENOENT"
sn_umount

# --- an injected delay longer than the threshold is not a stall.
sn_mount --src "$src" --watchdog 200ms -r 'read:path=/slow:delay=700ms:id=slow'
sn_expect_errno "ok 4096" read "$SN_MNT/slow" 4096 0
sn_umount
grep -q "snagfs watchdog: stall" "$SN_LOG" && sn_fail "a 700 ms injected delay was reported as a stall" \
	|| sn_pass "700 ms injected delay, 200 ms threshold: no stall report"
sn_done
