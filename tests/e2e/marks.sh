#!/usr/bin/env bash
# marks.sh — the rule-out marks (fs/inject_seam.c: a request the engine
# has ruled out before passes after one table probe) never hide a rule:
# after the marks are warm on a file and on its directory, a rule added
# through snagctl fires on the very next request (new rule-set generation),
# a rename moves a file in or out of a rule (new path generation), and a
# deleted rule stops firing. Run with 20 rules on other paths, so the ops
# are indexed and the marks are really taken (checked: after the warm-up,
# most read, open, lookup, create and unlink requests are counted as
# ruled_out in snagctl stats, and no rule matched).
. "$(dirname "$0")/../integration/lib.sh"
sn_init marks
: "${SNAGCTL:?}"

src=$(sn_tmpdir src)
mkdir "$src/d"
echo data >"$src/d/f"
echo data >"$src/d/g"
rules=$SN_TMP/idle.rules
for i in $(seq 1 20); do echo "all:path=/nomatch/d$i/**:error=EIO:id=idle$i"; done >"$rules"
sn_mount --src "$src" -R "$rules"
M=$SN_MNT
ctl() { sn_run "$SNAGCTL" -m "$M" "$@"; }

warm() { # every op below, 30 times, on the paths the rules will name
	local i
	for i in $(seq 30); do
		"$SN_PROBE" read "$M/d/f" 4 >/dev/null
		"$SN_PROBE" open "$M/d/g" >/dev/null
		"$SN_PROBE" stat "$M/d/x$i" >/dev/null 2>&1 # lookups of absent names
		: >"$M/d/y$i" && rm "$M/d/y$i"          # create, unlink
	done
}
# Hold d, d/f and d/g open across the warm-up: a drop_caches from a test
# running in parallel would otherwise let the kernel forget their nodes,
# and a new node asks the engine again (its marks are gone), which the
# shares below would count against the marks.
exec 7<"$M/d" 8<"$M/d/f" 9<"$M/d/g"
warm
sn_expect_errno "ok 4" read "$M/d/f" 4
out=$(ctl stats --json)
exec 7<&- 8<&- 9<&-
python3 - "$out" <<'PY' && sn_pass "warm-up matched no rule" || sn_fail "warm-up matched a rule: $out"
import json, sys
s = json.loads(sys.argv[1])
assert all(r["matched"] == 0 for r in s["rules"])
ops = {o["op"]: o for o in s["ops"]}
# each op asked the engine once per path (per directory for lookup,
# create and unlink), then the marks answered; lookups of "d" itself are
# names in the root, which no mark covers (every rule starts there)
for op, share in (("read", 0.9), ("open", 0.9), ("create", 0.9),
                  ("unlink", 0.9), ("lookup", 0.4)):
    o = ops[op]
    assert o["ruled_out"] >= share * o["requests"], (op, o)
PY

# a rule added now fires on the next request: node marks (read, open) and
# directory marks (lookup, unlink) are of the old generation
ctl add 'read:path=/d/f:error=EIO:id=rd1' >/dev/null
sn_expect_errno EIO read "$M/d/f" 4
ctl add 'open:path=/d/g:error=EACCES:id=o1' >/dev/null
sn_expect_errno EACCES open "$M/d/g"
ctl add 'lookup:path=/d/x7:error=ENOTDIR:id=l1' >/dev/null
sn_expect_errno ENOTDIR stat "$M/d/x7"
ctl add 'unlink:path=/d/y*:error=EPERM:id=u1' >/dev/null
: >"$M/d/y1"
sn_expect_errno EPERM unlink "$M/d/y1"
sn_eq "unlink rule kept the file" yes "$([ -e "$src/d/y1" ] && echo yes)"

# renames: the rule follows the name, warm marks or not
warm >/dev/null 2>&1
sn_run mv "$M/d/f" "$M/d/f2"
sn_expect_errno "ok 4" read "$M/d/f2" 4
sn_run mv "$M/d/f2" "$M/d/f"
sn_expect_errno EIO read "$M/d/f" 4
sn_run mv "$M/d" "$M/e"
sn_expect_errno "ok 4" read "$M/e/f" 4
sn_expect_errno ok open "$M/e/g"
sn_run mv "$M/e" "$M/d"
sn_expect_errno EIO read "$M/d/f" 4

# deleting the rules: the requests pass again
for id in rd1 o1 l1 u1; do ctl del $id >/dev/null; done
sn_expect_errno "ok 4" read "$M/d/f" 4
sn_expect_errno ok open "$M/d/g"
sn_expect_errno ENOENT stat "$M/d/x7"
sn_expect_errno ok unlink "$M/d/y1"
sn_check "daemon alive" sn_daemon_alive
sn_umount
sn_done
