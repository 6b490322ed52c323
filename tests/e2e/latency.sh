#!/usr/bin/env bash
# latency.sh — delay= through the reactor: 1,000 concurrent delayed reads
# need no 1,000 threads and finish together; an undelayed file on the same
# mount stays fast meanwhile; the same with -s; delays drawn from a range
# are a function of the seed (compared in the trace, not by wall time);
# delay composes with error, short and corrupt exactly like those alone.
# Lower bounds are strict (a delayed read never returns early), upper bounds
# generous (shared 2-core CI machines).
. "$(dirname "$0")/../integration/lib.sh"
sn_init latency
: "${SN_CONC_READS:?}" "${SNAGCTL:?}"

src=$(sn_tmpdir src)
head -c $((4096 * 1000)) /dev/urandom >"$src/slow"
head -c $((4096 * 100)) /dev/urandom >"$src/fast"
head -c 65536 /dev/urandom >"$src/err"
head -c 65536 /dev/urandom >"$src/short"
head -c 4096 /dev/urandom >"$src/zero"

# kv KEY LINE: the value of KEY=... in conc_reads -q output.
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
# ms_since T0: milliseconds since T0 (date +%s%N).
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# load_test LABEL: 1,000 concurrent 4 KiB reads of the delayed file while
# 100 concurrent reads of the undelayed one run.
load_test() {
	local label=$1 slow fast
	"$SN_CONC_READS" -q -n 100 "$SN_MNT/fast" >"$SN_TMP/warm.out" 2>&1
	sn_run "$SN_CONC_READS" -q -n 1000 "$SN_MNT/slow" >"$SN_TMP/slow.out" 2>&1 &
	local pid=$!
	sleep 0.03
	fast=$(sn_run "$SN_CONC_READS" -q -n 100 "$SN_MNT/fast" 2>&1)
	wait $pid
	slow=$(cat "$SN_TMP/slow.out")
	sn_log "$label slow: $slow"
	sn_log "$label fast: $fast"
	sn_eq "$label: 1000 delayed reads, none failed" "1000 0" "$(kv reads "$slow") $(kv failed "$slow")"
	awk -v m="$(kv min_ms "$slow")" 'BEGIN { exit !(m >= 100.0) }' \
		&& sn_pass "$label: every delayed read took >= 100 ms (min $(kv min_ms "$slow") ms)" \
		|| sn_fail "$label: a delayed read returned early: min $(kv min_ms "$slow") ms"
	awk -v w="$(kv wall_ms "$slow")" 'BEGIN { exit !(w < 1500.0) }' \
		&& sn_pass "$label: all 1000 done in $(kv wall_ms "$slow") ms (< 1500)" \
		|| sn_fail "$label: 1000 delayed reads took $(kv wall_ms "$slow") ms (>= 1500)"
	awk -v m="$(kv max_ms "$fast")" 'BEGIN { exit !(m < 100.0) }' \
		&& sn_pass "$label: undelayed file answers during the load (max $(kv max_ms "$fast") ms)" \
		|| sn_fail "$label: undelayed reads slowed down: max $(kv max_ms "$fast") ms"
}

rules="$SN_TMP/lat.rules"
cat >"$rules" <<'RULES'
read:path=/slow:delay=100ms:id=slow
read:path=/err:delay=100ms:error=EIO:id=derr
read:path=/short:delay=100ms:short=100:id=dshort
read:path=/zero:delay=100ms:corrupt=zero:id=dzero
RULES

for mode in mt st; do
	args=(); [ $mode = st ] && args=(-s)
	sn_mount --src "$src" "${args[@]}" -R "$rules" --seed 7
	threads_before=$(ls "/proc/$SN_PID/task" | wc -l)
	load_test "$mode"
	threads_after=$(ls "/proc/$SN_PID/task" | wc -l)
	sn_log "$mode: daemon threads before $threads_before, after $threads_after"
	[ "$threads_after" -lt 100 ] && sn_pass "$mode: no thread per delayed request ($threads_after threads)" \
		|| sn_fail "$mode: $threads_after daemon threads after 1000 delayed reads"

	# delay + error / short / corrupt: the second action, only later.
	t0=$(date +%s%N)
	sn_expect_errno EIO read "$SN_MNT/err" 4096 0
	ms=$(ms_since "$t0"); [ "$ms" -ge 100 ] && sn_pass "$mode: delay+error took $ms ms" || sn_fail "$mode: delay+error after $ms ms"
	t0=$(date +%s%N)
	sn_expect_errno "ok 100" read "$SN_MNT/short" 4096 0
	ms=$(ms_since "$t0"); [ "$ms" -ge 100 ] && sn_pass "$mode: delay+short took $ms ms" || sn_fail "$mode: delay+short after $ms ms"
	sn_run dd if="$SN_MNT/zero" of="$SN_TMP/zero.out" bs=4096 count=1 status=none
	cmp -s "$SN_TMP/zero.out" <(head -c 4096 /dev/zero) && sn_pass "$mode: delay+corrupt=zero returned zeros" \
		|| sn_fail "$mode: delay+corrupt=zero returned other data"
	sn_umount
	grep -q "snagfs: rule derr matched [1-9][0-9]* fired [1-9]" "$SN_LOG" \
		&& sn_pass "$mode: exit counters name rule derr" || sn_fail "$mode: no counters for derr in the log"
done

# --- every op still works when delayed: each handler is re-entered with a
# deep copy of its arguments (names, setattr's stat, xattr values, write
# data). The same script on SOURCE and on the mount must print the same.
ops_script() { # DIR
	cd "$1" || return 1
	mkdir dd && cd dd || return 1
	head -c 70000 "$SN_TMP/payload" >w && cmp w "$SN_TMP/payload" >/dev/null && echo write-ok
	dd if="$SN_TMP/payload" of=w2 bs=4096 count=3 conv=fsync status=none && cmp -n 12288 w2 "$SN_TMP/payload" && echo dd-ok
	setfattr -n user.k -v somevalue w && getfattr --only-values -n user.k w; echo
	getfattr -d w | grep -c user.k
	setfattr -x user.k w; getfattr -d w | grep -c user.k
	ln -s w sl && readlink sl; ln w hl && stat -c %h w
	mv hl renamed && ls | sort | tr '\n' ' '; echo
	chmod 0600 w && stat -c %a w; truncate -s 100 w && stat -c %s w
	touch -d @1000000000 w && stat -c %Y w
	mknod fifo p && stat -c %F fifo
	rm sl renamed fifo w w2 && cd .. && rmdir dd && echo gone
}
head -c 70000 /dev/urandom >"$SN_TMP/payload"
command -v setfattr >/dev/null || sn_skip "setfattr missing: xattr steps print errors on both sides"
sn_mount --src "$src" -r 'all:path=/dd/**:delay=20ms:id=all' -r 'all:path=/dd:delay=20ms:id=dir'
want=$(ops_script "$src" 2>&1); got=$(ops_script "$SN_MNT" 2>&1)
sn_eq "every op on a delayed tree behaves as on SOURCE" "$want" "$got"
sn_log "$(tr '\n' '|' <<<"$got")"
n=$(sn_run "$SNAGCTL" -m "$SN_MNT" --json stats | python3 -c 'import json,sys; print(sum(r["fired"] for r in json.load(sys.stdin)["rules"]))')
[ "${n:-0}" -ge 30 ] && sn_pass "$n requests were delayed" || sn_fail "only ${n:-0} delayed requests"
sn_umount

# --- delays drawn from a range are the seed's: same seed, same delays.
# Sequential reads (direct_io: one READ each) with --trace; the delay_ns
# fields in match order must be identical for the same seed and differ for
# another seed.
cat >"$rules" <<'RULES'
read:path=/fast:delay=1ms..30ms:id=range
RULES
delays() { # SEED: the trace's delay_ns list
	local tr="$SN_TMP/trace.$1.$RANDOM"
	sn_mount --src "$src" -R "$rules" --seed "$1" --trace "$tr"
	local i
	for i in $(seq 0 19); do "$SN_PROBE" read "$SN_MNT/fast" 4096 $((i * 4096)) >/dev/null; done
	sn_umount
	python3 - "$tr" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join(str(r["delay_ns"]) for r in sorted(rows, key=lambda r: r["match"])))
PY
}
a=$(delays 42); b=$(delays 42); c=$(delays 43)
sn_log "seed 42: $a"
sn_log "seed 43: $c"
n=$(wc -w <<<"$a")
[ "$n" -eq 20 ] && sn_pass "20 delayed reads traced" || sn_fail "expected 20 traced delays, got $n"
sn_eq "same seed, same per-request delays" "$a" "$b"
[ "$a" != "$c" ] && sn_pass "another seed draws other delays" || sn_fail "seeds 42 and 43 drew the same delays"
python3 - "$a" <<'PY' && sn_pass "every drawn delay is within 1ms..30ms" || sn_fail "a delay outside 1ms..30ms: $a"
import sys
sys.exit(0 if all(1000000 <= int(x) <= 30000000 for x in sys.argv[1].split()) else 1)
PY
sn_done
