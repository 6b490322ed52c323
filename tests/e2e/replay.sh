#!/usr/bin/env bash
# replay.sh — --trace records a deterministic workload run under
# probabilistic rules; --replay of that trace, with no rules and another
# seed, injects the same faults at the same (op, path, occurrence) points:
# the application sees the same results and the replay's own trace lists
# the same faults. A shortened workload reports the faults it never reached.
. "$(dirname "$0")/../integration/lib.sh"
sn_init replay

src=$(sn_tmpdir src)
head -c $((4096 * 40)) /dev/urandom >"$src/a"
echo b >"$src/b"
: >"$src/c"
rules="$SN_TMP/replay.rules"
cat >"$rules" <<'RULES'
read:path=/a:prob=30%:error=EIO:id=pa
getattr:path=/b:prob=40%:error=EACCES:force:id=pb
write:path=/c:prob=40%:short=10:id=pc
fsync:path=/c:prob=50%:error=EIO:id=pf
RULES

# workload N: N rounds of read / stat / write+fsync; one result per line.
workload() {
	local i
	for i in $(seq 0 $(($1 - 1))); do
		echo "read $i $("$SN_PROBE" read "$SN_MNT/a" 4096 $((i * 4096)) 2>/dev/null)"
		echo "stat $i $("$SN_PROBE" stat "$SN_MNT/b" 2>/dev/null)"
		echo "write $i $("$SN_PROBE" write "$SN_MNT/c" 100 2>/dev/null)"
		echo "fsync $i $("$SN_PROBE" fsync "$SN_MNT/c" 2>/dev/null)"
	done
}
# faults TRACE: "op path occurrence action errno" per fault, sorted.
faults() {
	python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"event"' not in l]
for r in sorted(rows, key=lambda r: (r["op"], r["path"], r["occurrence"])):
    print(r["op"], r["path"], r["occurrence"], r["action"], r["errno"], r["short"])
PY
}

t1="$SN_TMP/t1.trace" t2="$SN_TMP/t2.trace" t3="$SN_TMP/t3.trace"
sn_mount --src "$src" -R "$rules" --seed 11 --trace "$t1"
workload 30 >"$SN_TMP/r1"
sn_umount
n1=$(faults "$t1" | wc -l)
[ "$n1" -ge 10 ] && sn_pass "recorded $n1 faults under probabilistic rules" || sn_fail "only $n1 faults recorded"

: >"$src/c"
sn_mount --src "$src" --replay "$t1" --seed 99 --trace "$t2"
workload 30 >"$SN_TMP/r2"
sn_umount
if cmp -s "$SN_TMP/r1" "$SN_TMP/r2"; then
	sn_pass "replay: the application saw exactly the same results"
else
	sn_fail "replay results differ: $(diff "$SN_TMP/r1" "$SN_TMP/r2" | head -5 | tr '\n' ' ')"
fi
if [ "$(faults "$t1")" = "$(faults "$t2")" ]; then
	sn_pass "replay's trace has the same faults at the same (op, path, occurrence)"
else
	sn_fail "traces differ: $(diff <(faults "$t1") <(faults "$t2") | head -5 | tr '\n' ' ')"
fi
grep -q "was never reached" "$SN_LOG" && sn_fail "full replay reported unreached faults" \
	|| sn_pass "full replay: every recorded fault found its moment"

# --- shortened workload: the faults of rounds 10..29 are never reached.
: >"$src/c"
sn_mount --src "$src" --replay "$t1" --trace "$t3"
workload 10 >/dev/null
sn_umount
want=$(( n1 - $(faults "$t3" | wc -l) ))
got=$(grep -c "snagfs: replay: .* was never reached" "$SN_LOG")
sn_eq "shortened replay reports each unreached fault at exit" "$want" "$got"
grep -m1 "was never reached" "$SN_LOG" | sed 's/^/# /'
grep -q "t1.trace:[0-9]*: " "$SN_LOG" && sn_pass "unreached faults are named by trace file:line" \
	|| sn_fail "no FILE:LINE in the unreached report"

# --- a broken trace stops the mount with file:line:col.
printf '{"v":1,"op":"read"\n' >"$SN_TMP/bad.trace"
mnt=$(sn_tmpdir mnt)
sn_start_expect_fail -f --replay "$SN_TMP/bad.trace" "$src" "$mnt"
sn_eq "bad trace: exit status 2" 2 "$SN_START_STATUS"
grep -q "bad.trace:1:" <<<"$SN_START_ERR" && sn_pass "bad trace error names file:line" || sn_fail "error: $SN_START_ERR"
sn_done
