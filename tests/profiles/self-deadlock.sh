#!/usr/bin/env bash
# self-deadlock.sh — the profile makes the daemon fsync its own file through
# the mount while serving the application's first fsync (the writeback
# cache's self-deadlock). With the watchdog's default action (fail) the
# self-originated requests get EDEADLK, the application's fsync succeeds and
# the log has the self-origin report; with one worker and action abort the
# cycle really closes, and the application's fsync fails with ECONNABORTED
# once the watchdog aborts the connection (3 x the 1 s threshold).
. "$(dirname "$0")/plib.sh"
pf_init self-deadlock

fsync_twice() { # prints the result of two fsyncs and the first one's duration
	pf_py "
fd = os.open(M + '/db/x', os.O_WRONLY | os.O_CREAT, 0o644); os.write(fd, b'x' * 100000)
out = []
for i in range(2):
    t = time.monotonic()
    try: os.fsync(fd); out.append('ok')
    except OSError as e: out.append(ename(e))
    out.append('%.1f' % (time.monotonic() - t))
print(' '.join(out))"
}

src=$(sn_tmpdir src); mkdir "$src/db"
pf_mount --src "$src" -p self-deadlock --cache=writeback --watchdog 1s --watchdog-action fail
read -r r1 t1 r2 t2 <<<"$(fsync_twice)"
sn_eq "the application's fsyncs succeed (the cycle never closes)" "ok ok" "$r1 $r2"
sn_check "and do not wait for the stall threshold ($t1 s)" test "${t1%.*}" -lt 1
pf_expect_fired self-deadlock 1 "fired on the first fsync only (when=1)"
sn_check "the daemon's own fsync got EDEADLK" grep -q 'rule self-deadlock: selfio=fsync .*/db/x: EDEADLK' "$SN_LOG"
sn_check "the watchdog reported the self-originated request" grep -q 'snagfs watchdog: self-origin: .*\[our own thread\].*action=EDEADLK' "$SN_LOG"
sn_umount

src=$(sn_tmpdir src); mkdir "$src/db"
pf_mount --src "$src" -p self-deadlock -s --cache=writeback --watchdog 1s --watchdog-action abort
read -r r1 t1 r2 t2 <<<"$(fsync_twice)"
sn_eq "one worker: the application's fsync fails when the connection is aborted" ECONNABORTED "$r1"
sn_check "after the abort deadline, 3 s (took $t1 s)" test "${t1%.*}" -ge 2 -a "${t1%.*}" -lt 30
sn_check "the watchdog reported the stall" grep -q 'snagfs watchdog: stall: op=fsync' "$SN_LOG"
sn_check "and aborted the connection" grep -q 'snagfs watchdog: abort: op=fsync' "$SN_LOG"
sn_check "the daemon's own fsync was caught in the cycle" grep -q 'rule self-deadlock: selfio=fsync .*/db/x: ECONNABORTED' "$SN_LOG"
sn_umount
sn_done
