#!/usr/bin/env bash
# control.sh — every snagctl command through a real mount: add (the very
# next operation sees the rule), del, list, clear, generation, stats (text,
# --json, --prometheus, with per-rule and per-op numbers that match what the
# test did), reload (snagctl reload and SIGHUP after editing the rules
# file), wait (fires → 0, times out → 1), release, trace; `snagfs run`
# exports SNAGFS_CONTROL; hostile clients while verified I/O keeps flowing.
. "$(dirname "$0")/../integration/lib.sh"
sn_init control
: "${SNAGCTL:?}"

src=$(sn_tmpdir src)
head -c 65536 /dev/urandom >"$src/data"
head -c 8192 /dev/urandom >"$src/hung"
echo hello >"$src/x"
rules="$SN_TMP/ctl.rules"
echo 'getxattr:path=/nothing:error=EIO:id=base' >"$rules"
trace="$SN_TMP/ctl.trace"
sock="$SN_TMP/ctl.sock"
sn_mount --src "$src" -R "$rules" --seed 3 --trace "$trace" --control "$sock"
ctl() { sn_run_t 20 "$SNAGCTL" -S "$sock" "$@"; }
gen() { ctl generation; }

# --- add: the very next operation sees the rule; the generation moves.
g0=$(gen)
id=$(ctl add 'read:path=/x:error=EIO:id=xio')
sn_eq "add prints the rule id" xio "$id"
g1=$(gen)
[ "$g1" -gt "$g0" ] && sn_pass "generation moved $g0 -> $g1 on add" || sn_fail "generation $g0 -> $g1"
sn_expect_errno EIO read "$SN_MNT/x" 4 0
id2=$(ctl add 'write:path=/x:error=ENOSPC')
[[ $id2 == r* ]] && sn_pass "add without id= gets an r<N> id ($id2)" || sn_fail "add printed '$id2'"
sn_expect_errno ENOSPC write "$SN_MNT/x" 10

# --- list, del, clear
out=$(ctl list)
grep -q xio <<<"$out" && grep -q "$id2" <<<"$out" && grep -q base <<<"$out" \
	&& sn_pass "list shows base, xio and $id2" || sn_fail "list: $out"
ctl del xio >/dev/null && sn_pass "del xio" || sn_fail "del xio failed"
sn_expect_errno "ok 4" read "$SN_MNT/x" 4 0
ctl del xio >/dev/null 2>&1; rc=$?
sn_eq "del of a missing id exits 1" 1 "$rc"
out=$(ctl --json clear)
sn_eq "clear removed the 2 remaining rules" 2 "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["removed"])' "$out")"
sn_expect_errno "ok 10" write "$SN_MNT/x" 10

# --- wait: fires → 0; times out → 1
ctl add 'read:path=/data:offset=0..0:error=EIO:id=w' >/dev/null
( sleep 0.2; "$SN_PROBE" read "$SN_MNT/data" 4096 0 >/dev/null 2>&1 ) &
bg=$!
ctl wait w 1 --timeout 5s >/dev/null; rc=$?
sn_eq "wait w 1 returns 0 once the rule fired" 0 "$rc"
wait $bg
ctl wait w 5 --timeout 200ms >/dev/null 2>&1; rc=$?
sn_eq "wait w 5 --timeout 200ms exits 1" 1 "$rc"

# --- release (the reactor's hook)
ctl add 'read:path=/hung:hang:id=h' >/dev/null
sn_probe read "$SN_MNT/hung" 4096 0 >"$SN_TMP/hung.out" &
p=$!
ctl wait h 1 --timeout 5s >/dev/null
sn_eq "release h" "released 1" "$(ctl release h)"
wait $p
sn_eq "released read completes" "ok 4096" "$(cat "$SN_TMP/hung.out")"

# --- stats: numbers match what happened.
for i in 1 2 3; do "$SN_PROBE" read "$SN_MNT/data" 100 4096 >/dev/null; done
json=$(ctl stats --json)
python3 - "$json" <<'PY' && sn_pass "stats --json: per-rule and per-op counters" || sn_fail "stats --json: $json"
import json, sys
s = json.loads(sys.argv[1])
rules = {r["id"]: r for r in s["rules"]}
assert rules["w"]["fired"] == 1 and rules["w"]["matched"] >= 1, rules
assert rules["h"]["fired"] == 1, rules
ops = {o["op"]: o for o in s["ops"]}
r = ops["read"]
assert r["requests"] >= 6 and r["faults"] >= 2 and r["errors"] >= 1, r
assert r["latency_sum_ns"] > 0 and sum(r["buckets"]) == r["requests"], r
assert len(s["latency_bounds_ns"]) + 1 == len(r["buckets"])
assert ops["getxattr"]["requests"] == 0
PY
prom=$(ctl stats --prometheus)
for m in 'snagfs_rule_fired_total{.*rule="w".*} 1' 'snagfs_op_requests_total{.*op="read".*}' \
	'snagfs_op_latency_seconds_bucket{.*op="read".*le="\+Inf".*}' snagfs_inflight_requests snagfs_rules_generation; do
	grep -Eq "$m" <<<"$prom" && sn_pass "prometheus has $m" || sn_fail "prometheus lacks $m"
done
ctl stats | grep -q '^read ' && sn_pass "stats (text) has a read row" || sn_fail "stats text"

# --- trace command
out=$(ctl --json trace)
python3 - "$out" "$trace" <<'PY' && sn_pass "trace reports the file and its events" || sn_fail "trace: $out"
import json, sys
t = json.loads(sys.argv[1])
assert t["trace"] == sys.argv[2] and t["events"] >= 3, t
PY

# --- reload: the file changes, `snagctl reload` and SIGHUP publish it.
ctl clear >/dev/null
echo 'read:path=/x:error=EROFS:force:id=rl' >"$rules"
g=$(gen)
ctl reload >/dev/null && sn_pass "snagctl reload" || sn_fail "snagctl reload failed"
sn_expect_errno EROFS read "$SN_MNT/x" 4 0
echo 'read:path=/x:error=EACCES:force:id=rl2' >"$rules"
g=$(gen)
kill -HUP "$SN_PID"
for i in $(seq 1 100); do [ "$(gen)" != "$g" ] && break; sleep 0.05; done
[ "$(gen)" != "$g" ] && sn_pass "SIGHUP reloaded (generation $g -> $(gen))" || sn_fail "SIGHUP did not reload"
sn_expect_errno EACCES read "$SN_MNT/x" 4 0
sn_daemon_alive && sn_pass "daemon alive after SIGHUP" || sn_fail "SIGHUP killed the daemon"
echo 'read:path=/x:error=EBOGUS' >"$rules"
ctl reload >/dev/null 2>"$SN_TMP/reload.err"; rc=$?
sn_eq "reload of a bad file exits 1" 1 "$rc"
grep -q "ctl.rules:1:" "$SN_TMP/reload.err" && sn_pass "bad reload names file:line:col" || sn_fail "reload error: $(cat "$SN_TMP/reload.err")"
sn_expect_errno EACCES read "$SN_MNT/x" 4 0
ctl clear >/dev/null

# --- hostile clients while verified I/O keeps flowing.
[ -S "$sock" ] && [ "$(stat -c %a "$sock")" = 600 ] && sn_pass "--control socket made, mode 0600" || sn_fail "no socket at --control $sock"
( for i in $(seq 1 200); do cmp -s "$src/data" "$SN_MNT/data" || { echo BAD; break; }; done; echo done ) >"$SN_TMP/io.out" &
io=$!
python3 - "$sock" <<'PY' >"$SN_TMP/hostile.out" 2>&1
import socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(path); s.settimeout(5); return s
def send(s, data):
    # a refused client (EBUSY) or an over-long line is closed by the server
    # while we may still be sending: that is an answer, not a test failure
    try: s.sendall(data)
    except (BrokenPipeError, ConnectionResetError): pass
res = []
s = conn(); s.sendall(b"\x00\xff garbage\n"); res.append(("garbage", s.recv(4096))); s.close()
s = conn(); send(s, b"snagctl/1 add " + b"a" * 70000 + b"\n"); res.append(("long", s.recv(4096))); s.close()
s = conn(); s.sendall(b"snagctl/9 list\n"); res.append(("version", s.recv(4096))); s.close()
s = conn(); s.sendall(b"snagctl/1 add read:path=/../../etc:error=EIO\n"); res.append(("escape", s.recv(4096))); s.close()
s = conn(); s.sendall(b"snagctl/1 wait nosuch 1\n"); res.append(("wait", s.recv(4096))); s.close()
loris = conn(); loris.sendall(b"snagctl/1 li")
many = []
for i in range(80):
    try: many.append(conn())
    except OSError: break
busy = 0
time.sleep(0.3)
for c in many:
    try:
        c.setblocking(False); d = c.recv(4096)
        if b"EBUSY" in d: busy += 1
    except OSError: pass
res.append(("busy", busy))
w = conn(); send(w, b"snagctl/1 wait nothing 1\n"); w.close()
for c in many: c.close()
loris.close()
# the server notices the 80 closes at its own pace: retry while EBUSY
for i in range(100):
    s = conn(); send(s, b"snagctl/1 generation\n")
    try: d = s.recv(4096)
    except ConnectionResetError: d = b"EBUSY"
    s.close()
    if b"EBUSY" not in d: break
    time.sleep(0.05)
res.append(("after", d))
for k, v in res: print(k, v if isinstance(v, int) else v.decode(errors="replace").strip())
PY
while read -r l; do sn_log "${l:0:160}"; done <"$SN_TMP/hostile.out"
grep -q '^garbage .*"ok":false' "$SN_TMP/hostile.out" && sn_pass "garbage request refused" || sn_fail "garbage"
grep -q '^long .*E2BIG' "$SN_TMP/hostile.out" && sn_pass "over-long line: E2BIG" || sn_fail "long line"
grep -q '^version .*EPROTONOSUPPORT' "$SN_TMP/hostile.out" && sn_pass "protocol version mismatch refused" || sn_fail "version"
grep -q '^escape .*"ok":false' "$SN_TMP/hostile.out" && sn_pass "path with .. refused" || sn_fail "escape"
grep -q '^wait .*ENOENT' "$SN_TMP/hostile.out" && sn_pass "wait on a missing rule: ENOENT" || sn_fail "wait missing"
busy=$(sed -n 's/^busy //p' "$SN_TMP/hostile.out")
[ "${busy:-0}" -ge 1 ] && sn_pass "clients beyond the limit get EBUSY ($busy)" || sn_fail "no EBUSY among 80 clients"
grep -q '^after .*"ok":true' "$SN_TMP/hostile.out" && sn_pass "server still answers after the hostile clients" || sn_fail "server dead"
wait $io
sn_eq "200 verified reads during the hostile clients" done "$(cat "$SN_TMP/io.out")"
sn_umount

# --- snagfs run exports SNAGFS_CONTROL and SNAGFS_MOUNT to the command.
out=$(sn_run "$SNAGFS" run -r 'read:path=/x:error=EIO:id=runr' "$src" -- sh -c \
	'"$0" generation && "$0" list | grep -c runr && test -S "$SNAGFS_CONTROL" && echo sock-ok' "$SNAGCTL" 2>&1)
grep -q sock-ok <<<"$out" && sn_pass "snagfs run: snagctl reaches the daemon via SNAGFS_CONTROL" || sn_fail "run: $out"
sn_done
