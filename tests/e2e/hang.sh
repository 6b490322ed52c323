#!/usr/bin/env bash
# hang.sh — hang through the reactor: `snagctl release ID` lets a hung read
# finish with its data; a signal interrupts it with EINTR, with or without
# SA_RESTART (docs/reactor.md: the kernel cannot restart a FUSE request the
# daemon answered EINTR); for= bounds a hang; SIGTERM with requests parked
# answers them EIO and the daemon exits 0 with the mount gone.
. "$(dirname "$0")/../integration/lib.sh"
sn_init hang
: "${SNAGCTL:?}" "${SN_SIG_READ:?}"

src=$(sn_tmpdir src)
for f in rel sig sigr bounded term1 term2 term3 slow; do head -c 8192 /dev/urandom >"$src/$f"; done

rules="$SN_TMP/hang.rules"
cat >"$rules" <<'RULES'
read:path=/rel:hang:id=rel
read:path=/sig:hang:id=sig
read:path=/sigr:hang:id=sigr
read:path=/bounded:hang:for=300ms:id=bounded
read:path=/term*:hang:id=term
read:path=/slow:delay=60s:id=slow
RULES
sn_mount --src "$src" -R "$rules" --seed 1
ctl() { sn_run_t 20 "$SNAGCTL" -m "$SN_MNT" "$@"; }

# --- release: the hung read proceeds and returns the file's data.
sn_probe read "$SN_MNT/rel" 4096 0 >"$SN_TMP/rel.out" &
p=$!
ctl wait rel 1 --timeout 5s >/dev/null && sn_pass "hung read reached the daemon (wait rel 1)" || sn_fail "wait rel 1 timed out"
sleep 0.2
kill -0 $p 2>/dev/null && sn_pass "reader still blocked before release" || sn_fail "reader returned before release: $(cat "$SN_TMP/rel.out")"
out=$(ctl release rel)
sn_eq "snagctl release rel woke one request" "released 1" "$(grep -o 'released [0-9]*' <<<"$out")"
wait $p
sn_eq "released read returns its data" "ok 4096" "$(cat "$SN_TMP/rel.out")"

# --- interrupts: EINTR without and with SA_RESTART.
out=$(ASAN_OPTIONS=detect_leaks=0 sn_run_t 20 "$SN_SIG_READ" -k 100 "$SN_MNT/sig"); rc=$?
sn_log "$out"
sn_eq "hung read + SIGALRM (no SA_RESTART): EINTR" "3 EINTR" "$rc $(sed -n 's/.*errno=\([A-Z]*\).*/\1/p' <<<"$out")"
out=$(ASAN_OPTIONS=detect_leaks=0 sn_run_t 20 "$SN_SIG_READ" -r -k 100 "$SN_MNT/sigr"); rc=$?
sn_log "$out"
sn_eq "hung read + SIGALRM with SA_RESTART: EINTR too (kernel cannot restart)" "3 EINTR" "$rc $(sed -n 's/.*errno=\([A-Z]*\).*/\1/p' <<<"$out")"

# --- for= bounds a hang.
t0=$(date +%s%N)
sn_expect_errno "ok 4096" read "$SN_MNT/bounded" 4096 0
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -ge 300 ] && [ "$ms" -lt 5000 ] && sn_pass "hang:for=300ms returned after $ms ms" \
	|| sn_fail "hang:for=300ms returned after $ms ms"

# --- SIGTERM with requests parked: EIO for them, exit 0, mount gone.
for f in term1 term2 term3 slow; do
	sn_probe read "$SN_MNT/$f" 4096 0 >"$SN_TMP/$f.out" &
	eval "pid_$f=\$!"
done
ctl wait term 3 --timeout 5s >/dev/null && ctl wait slow 1 --timeout 5s >/dev/null \
	&& sn_pass "3 hung + 1 delayed read parked" || sn_fail "requests did not park"
kill -TERM "$SN_PID"
if _sn_wait_pid "$SN_PID" 15; then
	sn_eq "daemon exit status after SIGTERM with parked requests" 0 "$SN_DAEMON_STATUS"
else
	sn_fail "daemon still running 15 s after SIGTERM"
fi
for f in term1 term2 term3 slow; do
	eval "wait \$pid_$f"
	sn_eq "parked read of $f answered at shutdown" "err EIO" "$(cat "$SN_TMP/$f.out")"
done
sn_is_mounted "$SN_MNT" && sn_fail "mount still there after SIGTERM" || sn_pass "mount gone after SIGTERM"
grep -q "snagfs: rule term matched 3 fired 3" "$SN_LOG" && sn_pass "exit counters: term fired 3" \
	|| sn_fail "no 'rule term matched 3 fired 3' in the log"
sn_forget_mount "$SN_MNT"
sn_done
