#!/bin/bash
# tests/unit/watchdog/e2e.sh — end-to-end watchdog cases against wd_testfs on a real mount.
#
#   e2e.sh CASE WD_TESTFS WD_CLIENT
#
# Hang-safety: every client runs under `timeout`, in the background, and is
# waited for at most 10 s; the EXIT trap aborts THIS connection through
# fusectl (N from /proc/self/mountinfo, never a stat of the mountpoint) —
# which unblocks anything still waiting on it —, lazily unmounts, and kills
# only the pids it started.
set -u
case_name=$1 testfs=$2 client=$3

fail() { echo "FAIL($case_name): $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -c /dev/fuse ] || { echo "SKIP: no /dev/fuse"; exit 77; }

tmp=$(mktemp -d /tmp/wd-e2e.XXXXXX)
mnt=$tmp/mnt
log=$tmp/daemon.log
mkdir "$mnt"
daemon_pid=
client_pid=
ctl=/sys/fs/fuse/connections

conn_of_mnt() {
    awk -v m="$mnt" '$5 == m { for (i = 6; i <= NF; i++) if ($i == "-") { t = $(i+1); break }
                        if (t ~ /^fuse/) { split($3, d, ":"); if (d[1] == 0) n = d[2] } }
                     END { if (n != "") print n }' /proc/self/mountinfo
}

cleanup() {
    local rc=$?
    local n
    n=$(conn_of_mnt)
    if [ -n "$n" ] && [ -e "$ctl/$n/abort" ]; then
        echo 1 > "$ctl/$n/abort" 2>/dev/null
    fi
    if [ -n "$n" ]; then umount -l "$mnt" 2>/dev/null; fi
    if [ -n "$client_pid" ]; then
        kill -9 "$client_pid" 2>/dev/null
        wait "$client_pid" 2>/dev/null
    fi
    if [ -n "$daemon_pid" ]; then
        kill "$daemon_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$daemon_pid" 2>/dev/null
        wait "$daemon_pid" 2>/dev/null
    fi
    if [ "$rc" != 0 ] || [ -n "${WD_E2E_VERBOSE:-}" ]; then
        echo "---- daemon log ($case_name) ----" >&2
        cat "$log" >&2 2>/dev/null
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# fusectl must be there for the cleanup abort (the daemon mounts it too).
if ! grep -q ' - fusectl ' /proc/self/mountinfo; then
    mount -t fusectl fusectl "$ctl" 2>/dev/null
fi

start_daemon() {
    "$testfs" "$@" "$mnt" 2>"$log" &
    daemon_pid=$!
    for _ in $(seq 100); do
        [ -n "$(conn_of_mnt)" ] && grep -q "mounted" "$log" && return 0
        kill -0 "$daemon_pid" 2>/dev/null || fail "daemon died"
        sleep 0.05
    done
    fail "mount did not appear"
}

# Stop the daemon (SIGTERM ends the session loop) and wait for its stats.
stop_daemon() {
    kill "$daemon_pid" 2>/dev/null
    for _ in $(seq 100); do
        kill -0 "$daemon_pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$daemon_pid" 2>/dev/null && fail "daemon did not exit on SIGTERM"
    wait "$daemon_pid" 2>/dev/null
    daemon_pid=
}

# A line the daemon must write: wait for it (bounded), since the daemon may
# write it just after the client has returned. Never a fixed sleep.
expect_log() {
    for _ in $(seq 250); do
        grep -qE -- "$1" "$log" && return 0
        sleep 0.02
    done
    fail "log lacks /$1/"
}
# Only after stop_daemon (or the daemon's own exit): every report is out.
expect_no_log() { ! grep -qE -- "$1" "$log" || fail "log has /$1/"; }

run_client() { # OP PATH EXPECTED
    local out
    timeout -s KILL 10 "$client" "$1" "$2" > "$tmp/client.out" &
    client_pid=$!
    for _ in $(seq 550); do
        kill -0 "$client_pid" 2>/dev/null || break
        sleep 0.02
    done
    kill -0 "$client_pid" 2>/dev/null && fail "client $1 $2 still blocked after 11 s"
    wait "$client_pid" 2>/dev/null
    client_pid=
    out=$(cat "$tmp/client.out")
    [ "$out" = "$3" ] || fail "client $1 $2: got '${out:-<killed by timeout>}', want '$3'"
}

case $case_name in
single_abort)
    # One worker stats a missing name on its own mount while serving the
    # client's write: the classic single-threaded self-deadlock. The
    # self-lookup is queued where no thread will ever read it.
    start_daemon -s --selfio stat --trigger write --threshold-ms 200 --hard-ms 600 --action abort
    run_client write "$mnt/trigger" "error ECONNABORTED"
    expect_log "stall: op=write node=3 caller=[0-9]+ \(wd_client\)"
    expect_log "caller [0-9]+: state=S wchan=request_wait_answer"
    # waiting=2 (the write, the self-lookup); a loaded machine can queue one
    # more (a background request) before the watchdog looks.
    expect_log "connection [0-9]+ \(mnt_id [0-9]+\): waiting=[23] in_flight=1 -- [12] request\(s\) queued that no thread is reading"
    expect_log "thread [0-9]+ \(wd_testfs, worker, busy\): state=S wchan=request_wait_answer syscall=(newfstatat|statx|stat)\([0-9]+\) target=path $mnt/\.snag-selfio-0 ON OUR OWN MOUNT"
    expect_log "abort: op=write .*action=aborting connection"
    expect_log "selfio stat -> (ECONNABORTED|ENOTCONN)"
    ;;
single_rescue)
    # Same deadlock; the watchdog sees every worker stuck and dispatches the
    # queued self-lookup itself (served normally, ENOENT), which unwedges
    # the worker and the client's write succeeds.
    start_daemon -s --selfio stat --trigger write --threshold-ms 200 --action rescue
    run_client write "$mnt/trigger" "ok"
    expect_log "stall: op=write"
    expect_log "rescue: op=write .*action=rescue: dispatching queued requests"
    expect_log "self-origin: op=lookup .*\[our own thread\].*action=served \(rescue thread\)"
    expect_log "selfio stat -> ENOENT"
    stop_daemon
    expect_log "stats self_origin=1 self_failed=0 stalls=1 aborts=0 rescues=1 rescued=[1-9]"
    ;;
mt_edeadlk)
    # Multi-threaded: a second worker receives the self-lookup, sees our own
    # thread as the caller and answers EDEADLK; the client's write succeeds.
    start_daemon --selfio stat --trigger write --threshold-ms 5000
    run_client write "$mnt/trigger" "ok"
    expect_log "selfio stat -> EDEADLK"
    expect_log "self-origin: op=lookup node=1 caller=[0-9]+ .*\[our own thread\].*action=EDEADLK"
    stop_daemon
    expect_no_log "stall:"
    expect_log "stats self_origin=1 self_failed=1 stalls=0 aborts=0"
    ;;
mt_dirlock_abort)
    # A self-lookup in the directory being served: the kernel's per-directory
    # mutex (no parallel dirops in libfuse 3.14) is held by the client's
    # lookup, so the self-request never reaches us, multi-threaded or not.
    # The stall report names the worker's syscall on our own mount and the
    # hard deadline aborts the connection.
    start_daemon --selfio stat --trigger lookup --threshold-ms 200 --hard-ms 600 --action fail,abort
    run_client write "$mnt/trigger" "error ECONNABORTED"
    expect_log "stall: op=lookup node=1"
    expect_log "state=D wchan=fuse_lock_inode syscall=(newfstatat|statx|stat)\([0-9]+\) target=path $mnt/\.snag-selfio-0 ON OUR OWN MOUNT"
    expect_log "abort: op=lookup .*action=aborting connection"
    stop_daemon
    expect_no_log "self-origin"
    ;;
mt_samefile_fail)
    # The daemon opens and writes the very file the client is writing (its
    # folios are locked by the client's write in flight). With
    # action fail its self-lookup of that file is refused at once (EDEADLK)
    # and the client's write succeeds.
    start_daemon --selfio writesame --trigger write --threshold-ms 5000
    run_client write "$mnt/trigger" "ok"
    expect_log "selfio writesame -> EDEADLK"
    stop_daemon
    # the kernel may send the refused lookup twice (revalidate, then lookup)
    expect_log "stats self_origin=([1-9]) self_failed=\\1 stalls=0 aborts=0"
    ;;
mt_samefile_abort)
    # Same, with fail off: the self-requests are served (and reported); the
    # kernel's fuse_open then waits in D for a folio the client's write
    # holds locked while it waits for us -- no request is ever sent. The
    # stall report shows the worker's openat() on our own file; abort frees
    # both.
    start_daemon --selfio writesame --trigger write --threshold-ms 200 --hard-ms 600 --action abort
    run_client write "$mnt/trigger" "error ECONNABORTED"
    expect_log "self-origin: op=lookup .*\[our own thread\].*action=served"
    expect_log "stall: op=write node=3"
    expect_log "state=D wchan=[a-z_]*folio[a-z_]* syscall=openat\(257\) target=path $mnt/trigger ON OUR OWN MOUNT"
    expect_log "abort: op=write"
    ;;
delay_no_alarm)
    # An injected delay (deadline extended by it) 3x the threshold raises no
    # alarm; the same sleep without the extension does (positive control).
    start_daemon -s --threshold-ms 300 --delay-ms 900
    run_client stat "$mnt/slow" "ok"
    run_client stat "$mnt/slowraw" "ok"
    expect_log "stall: op=lookup node=1 .*limit=0.300s \(injected 0.000s\)"
    stop_daemon
    # exactly one stall: the unannounced sleep, never the injected delay
    expect_log "stats self_origin=0 self_failed=0 stalls=1 aborts=0"
    [ "$(grep -c "stall: " "$log")" = 1 ] || fail "more than one stall report"
    ;;
writeback_abort)
    # Writeback cache: while serving the client's open, the daemon writes to
    # its own mount past its bdi's dirty limit and throttles in
    # balance_dirty_pages, waiting for writeback only it can serve.
    start_daemon -s --writeback --selfio write --trigger open --selfio-mib 16 --threshold-ms 300 --hard-ms 1000 --action abort
    for _ in $(seq 100); do grep -q "self fd" "$log" && break; sleep 0.05; done
    expect_log "self fd ready"
    n=$(conn_of_mnt)
    bdi=/sys/class/bdi/0:$n
    [ -w "$bdi/max_bytes" ] || { echo "SKIP: no $bdi/max_bytes"; exit 77; }
    echo 1048576 > "$bdi/max_bytes" || fail "cannot set max_bytes"
    run_client write "$mnt/trigger" "error ECONNABORTED"
    expect_log "stall: op=open"
    expect_log "syscall=write\(1\) target=fd [0-9]+ -> $mnt/file \(mnt_id [0-9]+\) ON OUR OWN MOUNT"
    expect_log "abort: op=open"
    ;;
writeback_rescue)
    # Same writeback stall; the rescue thread serves the queued writeback
    # WRITEs (pid 0: kernel, not self-originated), the daemon's write
    # finishes and the client's open and write succeed.
    start_daemon -s --writeback --selfio write --trigger open --selfio-mib 16 --threshold-ms 300 --action rescue
    for _ in $(seq 100); do grep -q "self fd" "$log" && break; sleep 0.05; done
    expect_log "self fd ready"
    n=$(conn_of_mnt)
    bdi=/sys/class/bdi/0:$n
    [ -w "$bdi/max_bytes" ] || { echo "SKIP: no $bdi/max_bytes"; exit 77; }
    echo 1048576 > "$bdi/max_bytes" || fail "cannot set max_bytes"
    run_client write "$mnt/trigger" "ok"
    expect_log "state=D wchan=balance_dirty_pages syscall=write\(1\) target=fd [0-9]+ -> $mnt/file .*ON OUR OWN MOUNT"
    expect_log "rescue: op=open"
    expect_log "selfio write -> ok"
    stop_daemon
    expect_log "stats self_origin=0 self_failed=0 stalls=1 aborts=0 rescues=1 rescued=[1-9]"
    ;;
writeback_fsync_rescue)
    # Writeback cache: while serving the client's open, the daemon fsyncs its
    # own dirty file and waits for writeback only it can serve. Rescue
    # serves the writeback and the daemon's own FSYNC (self-originated,
    # served normally on the rescue thread -- failing it would fail the
    # daemon's fsync); everything succeeds.
    start_daemon -s --writeback --selfio fsync --trigger open --threshold-ms 300 --action rescue
    expect_log "self fd ready"
    run_client write "$mnt/trigger" "ok"
    expect_log "stall: op=open"
    expect_log "thread [0-9]+ \(wd_testfs, worker, busy\): state=[DS] wchan=[a-z_]+ syscall=fsync\(74\) target=fd [0-9]+ -> $mnt/file .*ON OUR OWN MOUNT"
    expect_log "self-origin: op=fsync .*action=served \(rescue thread\)"
    expect_log "selfio fsync -> ok"
    stop_daemon
    expect_log "stats self_origin=([1-9]) self_failed=0 stalls=1 aborts=0 rescues=1"
    ;;
*)
    fail "unknown case"
    ;;
esac
echo "PASS($case_name)"
