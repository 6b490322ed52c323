# workers.sh — the request loop (fs/workers.c):
#  - requests that block in the daemon (here: flock waiting for a lock held
#    outside the mount) do not stop the others: more workers start, and a
#    stat, a write and a read through the mount still answer at once;
#  - when the lock is let go, every blocked client finishes;
#  - afterwards a single client's requests are served by a small hot set
#    of workers (at most 3 threads do the serving), not by every worker the
#    burst left behind in turn, as with libfuse's loop;
#  - unmounting ends the daemon with its workers (sn_umount checks).
. "$(dirname "$0")/lib.sh"
sn_init workers
[ "$SN_IS_REF" = 1 ] && { sn_skip "the worker pool is snagfs's"; sn_done; }
command -v flock >/dev/null || sn_abort "flock (util-linux) is not installed"

BG=()
# The background clients and their children (timeout, flock), ours only.
stop_bg() {
	local p
	for p in "${BG[@]}"; do pkill -KILL -P "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
	BG=()
}
sn_on_cleanup stop_bg

sn_mount
threads() { ls "/proc/$SN_PID/task" | wc -l; }
: >"$SN_SRC/lk"
echo data >"$SN_SRC/f"
sn_run stat "$SN_MNT/lk" >/dev/null
before=$(threads)

# The holder keeps the lock for 4 s, outside the mount.
sn_run_t 30 flock -x "$SN_SRC/lk" -c "sleep 4" &
holder=$!
BG+=("$holder")
sleep 0.3
BLOCKED=5
for ((i = 0; i < BLOCKED; i++)); do
	sn_run_t 30 flock -x "$SN_MNT/lk" -c true &
	BG+=("$!")
done
sleep 1
during=$(threads)
# Each blocked request holds a worker and one more reads; the workers that
# were there before (two reading, perhaps one parked) are among them.
want=$((before + BLOCKED - 2))
if [ "$during" -ge "$want" ]; then
	sn_pass "blocked requests got workers of their own ($before -> $during threads)"
else
	sn_fail "blocked requests: $before -> $during threads, expected at least $want"
fi
t0=$(date +%s%N)
out=$(sn_run_t 5 sh -c 'stat -c %s "$1/f" && echo more >"$1/g" && cat "$1/g"' _ "$SN_MNT")
t1=$(date +%s%N)
sn_eq "stat, write and read answer while $BLOCKED requests block" "$(printf '5\nmore')" "$out"
ms=$(((t1 - t0) / 1000000))
if [ "$ms" -lt 2000 ]; then sn_pass "... within ${ms} ms"; else sn_fail "... took ${ms} ms (the holder has the lock for 4 s)"; fi

wait "$holder"
fails=0
for p in "${BG[@]:1}"; do wait "$p" || fails=$((fails + 1)); done
BG=()
sn_eq "every blocked flock got the lock once it was let go" 0 "$fails"

# slices PID: "TID TIMESLICES" for each thread (/proc/PID/task/*/schedstat).
slices() { for t in /proc/"$1"/task/*; do echo "${t##*/} $(cut -d' ' -f3 "$t/schedstat")"; done | LC_ALL=C sort; }
a=$(slices "$SN_PID")
sn_run python3 -S -c '
import os, sys
for i in range(4000):
    os.stat(sys.argv[1])
' "$SN_MNT/f" || sn_fail "stat loop failed"
b=$(slices "$SN_PID")
served=$(LC_ALL=C join <(echo "$a") <(echo "$b") | awk '$3 - $2 > 200 { n++ } END { print n + 0 }')
if [ "$served" -ge 1 ] && [ "$served" -le 3 ]; then
	sn_pass "one client is served by $served hot threads of $(threads)"
else
	sn_fail "one client was served by $served threads of $(threads) (expected 1..3)"
fi
sn_check "daemon alive" sn_daemon_alive
sn_umount
sn_done
