#!/usr/bin/env bash
# fixes.sh — regression tests for the fs fixes found by the wiring:
#  (a) after opendir/open answered ENOSYS the kernel sends READDIR,
#      RELEASEDIR, READ, WRITE, FLUSH, RELEASE with no handle (fh 0): served
#      correctly, no crash;
#  (b) default_permissions only with allow_other or when asked: an access
#      rule fires, and access() answers as on the directory itself;
#  (c) -o rules=,profile=,seed=,cache=,control=,trace=,watchdog= work like
#      the long options and never reach the kernel; --timeout / -o timeout=
#      set the cached modes' entry and attribute timeout;
#  (d) --list-profiles; (e) getlk/setlk rules are refused, saying why.
. "$(dirname "$0")/../integration/lib.sh"
sn_init fixes
: "${SNAGCTL:?}"

src=$(sn_tmpdir src)
mkdir "$src/d"; for i in 1 2 3 4 5; do echo "$i" >"$src/d/f$i"; done
head -c 20000 /dev/urandom >"$src/data"
echo hello >"$src/f"; chmod 0644 "$src/f"
echo run >"$src/x"; chmod 0755 "$src/x"

# --- (a) no handle after ENOSYS
sn_mount --src "$src" -r 'opendir:error=ENOSYS:force:id=nodir' -r 'open:error=ENOSYS:force:id=nofile'
for i in 1 2 3; do
	sn_eq "ls after opendir ENOSYS (round $i)" "f1 f2 f3 f4 f5" "$(sn_run ls "$SN_MNT/d" | tr '\n' ' ' | sed 's/ $//')"
done
sn_expect_same readdir @/d
cmp -s "$src/data" <(sn_run cat "$SN_MNT/data") && sn_pass "read without a handle returns the data" \
	|| sn_fail "read after open ENOSYS returned other data"
sn_run sh -c "echo changed >'$SN_MNT/f'"
sn_eq "write without a handle reached the file" changed "$(cat "$src/f")"
sn_expect_errno "ok 0" fsync "$SN_MNT/f"
sn_daemon_alive && sn_pass "daemon alive after handle-less requests" || sn_fail "daemon died (handle-less request)"
sn_umount
grep -q "rule nodir matched 1 fired 1" "$SN_LOG" && sn_pass "opendir ENOSYS sent once, then never again" \
	|| sn_fail "opendir rule counters: $(grep 'rule nodir' "$SN_LOG")"
echo hello >"$src/f"

# --- (b) default_permissions and access
mopts() { awk -v m="$1" '$5 == m { for (i = 7; i <= NF; i++) if ($i == "-") print $(i+2) " " $(i+3) }' /proc/self/mountinfo; }
sn_mount --src "$src" -r 'access:path=/f:error=EACCES:id=acc'
grep -q default_permissions <<<"$(mopts "$SN_MNT")" && sn_fail "default_permissions without allow_other" \
	|| sn_pass "no default_permissions without allow_other"
sn_expect_errno EACCES access "$SN_MNT/f" r
sn_run "$SNAGCTL" -m "$SN_MNT" clear >/dev/null
for mode in f r w x rw rwx; do sn_expect_same access @/f "$mode"; sn_expect_same access @/x "$mode"; done
sn_expect_same access @/nothing f
sn_umount
sn_mount --src "$src" -o allow_other
grep -q default_permissions <<<"$(mopts "$SN_MNT")" && sn_pass "allow_other brings default_permissions" \
	|| sn_fail "allow_other without default_permissions: $(mopts "$SN_MNT")"
sn_umount
sn_mount --src "$src" -o default_permissions
grep -q default_permissions <<<"$(mopts "$SN_MNT")" && sn_pass "-o default_permissions honoured" \
	|| sn_fail "-o default_permissions dropped"
sn_umount

# --- (c) -o spellings of the long options (fstab through mount.fuse3)
echo 'read:path=/f:error=EIO:id=orule' >"$SN_TMP/o.rules"
sock="$SN_TMP/o.sock" tr="$SN_TMP/o.trace"
sn_mount --src "$src" -o "rules=$SN_TMP/o.rules,profile=fsync-eio,seed=5,cache=normal,control=$sock,trace=$tr,watchdog=2s,watchdog_action=fail"
sn_expect_errno EIO read "$SN_MNT/f" 4 0
[ -S "$sock" ] && sn_pass "-o control= made the socket" || sn_fail "no socket at -o control=$sock"
out=$(sn_run "$SNAGCTL" -S "$sock" list)
grep -q orule <<<"$out" && grep -q fsync-eio.rules <<<"$out" && sn_pass "-o rules= and -o profile= loaded" || sn_fail "list: $out"
[ -s "$tr" ] && sn_pass "-o trace= recorded the fault" || sn_fail "-o trace= wrote nothing"
o=$(mopts "$SN_MNT")
grep -Eq "rules=|profile=|seed=|cache=|control=|trace=|watchdog" <<<"$o" && sn_fail "snagfs options reached the kernel: $o" \
	|| sn_pass "snagfs -o options stripped from the kernel's ($o)"
sn_umount
mnt=$(sn_tmpdir mnt)
sn_start_expect_fail -f -o cache=fast "$src" "$mnt"
sn_eq "-o cache=fast refused like --cache=fast" 2 "$SN_START_STATUS"
sn_start_expect_fail -f --timeout 5s "$src" "$mnt"
sn_eq "--timeout refused in strict mode" 2 "$SN_START_STATUS"

# --timeout / -o timeout=: how long the kernel keeps entries and attributes
# in the cached modes (default 1 s): a stat 1.5 s after the first is
# answered by the kernel with timeout=1h, reaches the daemon without it.
# The file is held open meanwhile: other tests' drop_caches (they run in
# parallel) cannot evict a dentry in use, only its timeout can expire it.
lookups() { sn_run "$SNAGCTL" -m "$SN_MNT" stats --json |
	python3 -c 'import json,sys; print(sum(o["requests"] for o in json.load(sys.stdin)["ops"] if o["op"] in ("lookup", "getattr")))'; }
for t in "" 1h; do
	sn_mount --src "$src" --cache=normal ${t:+-o timeout=$t}
	exec 7<"$SN_MNT/d/f1"
	sn_run stat "$SN_MNT/d/f1" >/dev/null
	a=$(lookups); sleep 1.5
	sn_run stat "$SN_MNT/d/f1" >/dev/null
	b=$(lookups)
	exec 7<&-
	if [ -n "$t" ]; then
		sn_eq "timeout=$t: the second stat came from the kernel's cache" "$a" "$b"
	else
		[ "$b" -gt "$a" ] && sn_pass "default timeout: the second stat reached the daemon ($a -> $b)" \
			|| sn_fail "default timeout: no request for a 1.5 s old entry ($a -> $b)"
	fi
	sn_umount
done

# --- (d) --list-profiles
out=$("$SNAGFS" --list-profiles); rc=$?
sn_eq "--list-profiles exits 0" 0 "$rc"
want=$(ls "$(dirname "$0")/../../policy/profiles/"*.rules | wc -l)
sn_eq "--list-profiles lists every shipped profile" "$want" "$(wc -l <<<"$out")"
grep -Eq '^fsync-eio +fsync-eio — "fsyncgate"' <<<"$out" && sn_pass "name + first comment line" || sn_fail "fsync-eio line: $(grep fsync-eio <<<"$out")"

# --- (e) getlk/setlk never reach the daemon: refused with the reason
mnt=$(sn_tmpdir mnt)
sn_start_expect_fail -f -r 'setlk:error=EAGAIN' "$src" "$mnt"
sn_eq "setlk rule refused at start (exit 2)" 2 "$SN_START_STATUS"
grep -q "can never fire.*POSIX locks" <<<"$SN_START_ERR" && sn_pass "message says why ($SN_START_ERR)" \
	|| sn_fail "message: $SN_START_ERR"
sn_done
