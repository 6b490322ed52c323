#!/usr/bin/env bash
# control_stress.sh — 10,000 control commands (add/del/list/stats mixed,
# from 4 concurrent clients) while fio writes and verifies (crc32c) on the
# mount: every command is answered, the rule set ends empty, fio sees zero
# verify errors, the daemon stays up and unmounts cleanly. Every rule the
# storm adds names the fio files' directory with a filter that cannot match
# (size=0..0 on writes of at least 4 KiB), so each request of fio goes
# through a rule set that is being swapped under it.
. "$(dirname "$0")/../integration/lib.sh"
sn_init control_stress
command -v fio >/dev/null || { echo "control_stress: SKIP: no fio"; exit 77; }

sock="$SN_TMP/stress.sock"
sn_mount --control "$sock"
mkdir "$SN_SRC/fio"
cat >"$SN_TMP/verify.fio" <<FIO
[global]
directory=$SN_MNT/fio
ioengine=psync
size=16M
numjobs=2
verify=crc32c
verify_fatal=1
verify_dump=0
verify_state_save=0
do_verify=1
[randwrite]
rw=randwrite
bs=4k
[seqwrite]
stonewall
rw=write
bs=128k
FIO
cd "$SN_TMP" || sn_abort "cd"
# fio runs, verified, again and again until the storm is over.
( rc=0 runs=0
  while [ ! -e "$SN_TMP/storm.done" ] && [ $rc = 0 ]; do
	sn_run_t 150 fio --output-format=terse --terse-version=3 "$SN_TMP/verify.fio" >>"$SN_TMP/fio.out" 2>&1; rc=$?
	runs=$((runs + 1))
  done
  echo "$rc $runs" >"$SN_TMP/fio.rc" ) &
fio_pid=$!

for i in $(seq 1 100); do [ -n "$(ls "$SN_SRC/fio")" ] && break; sleep 0.05; done
t0=$SECONDS
sn_run_t 150 python3 - "$sock" >"$SN_TMP/storm.out" 2>&1 <<'PY'
import json, socket, sys, threading
path = sys.argv[1]
N, T = 10000, 4
results = [None] * T

def client(t):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile("rwb")
    ok = bad = 0
    added = []
    for i in range(N // T):
        k = i % 5
        if k == 0 or (k == 3 and not added):
            rid = "s%d_%d" % (t, i)
            req = "add write:path=/fio/**:size=0..0:error=EIO:id=%s" % rid
            added.append(rid)
        elif k == 1 and added:
            req = "del " + added.pop(0)
        elif k == 2:
            req = "list"
        elif k == 3:
            req = "stats json"
        else:
            req = "generation"
        f.write(("snagctl/1 " + req + "\n").encode())
        f.flush()
        r = json.loads(f.readline())
        if r.get("ok"):
            ok += 1
        else:
            bad += 1
            print("error", req, r, file=sys.stderr)
    for rid in added:
        f.write(("snagctl/1 del " + rid + "\n").encode()); f.flush()
        r = json.loads(f.readline())
        ok += 1 if r.get("ok") else 0
    results[t] = (ok, bad)

th = [threading.Thread(target=client, args=(t,)) for t in range(T)]
for x in th: x.start()
for x in th: x.join()
print("answered", sum(r[0] + r[1] for r in results if r), "errors", sum(r[1] for r in results if r))
PY
touch "$SN_TMP/storm.done"
sn_log "control storm took $((SECONDS - t0)) s: $(tail -1 "$SN_TMP/storm.out")"
[ -e "$SN_TMP/fio.rc" ] && sn_fail "fio stopped before the storm was over" \
	|| sn_pass "the whole storm ran while fio was writing and verifying"
sn_run_t 150 bash -c "while kill -0 $fio_pid 2>/dev/null; do sleep 0.2; done"
n=$(sed -n 's/^answered \([0-9]*\) errors \([0-9]*\)$/\1 \2/p' "$SN_TMP/storm.out")
set -- $n
[ "${1:-0}" -ge 10000 ] && sn_pass "$1 control commands answered" || sn_fail "storm: $(tail -3 "$SN_TMP/storm.out")"
sn_eq "no control command failed" 0 "${2:-x}"
sn_eq "rule set empty after the storm" 0 "$(sn_run "${SNAGCTL:-snagctl}" -S "$sock" --json list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rules"]))')"
read -r frc fruns <"$SN_TMP/fio.rc"
sn_eq "fio exit status ($fruns verified runs)" 0 "$frc"
errs=$(awk -F';' '$1 == 3 && $5 != 0 { print $3 ": error " $5 }' "$SN_TMP/fio.out")
sn_eq "fio: no job reported an error" "" "$errs"
grep -qi 'verify.*fail\|bad magic\|crc32c.*mismatch' "$SN_TMP/fio.out" && sn_fail "fio verify failures" \
	|| sn_pass "fio: zero verify errors ($(grep -c '^3;' "$SN_TMP/fio.out") jobs)"
sn_check "daemon alive after the storm" sn_daemon_alive
rm -rf "$SN_SRC/fio"
sn_umount
sn_done
