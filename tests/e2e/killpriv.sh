#!/usr/bin/env bash
# killpriv.sh — the daemon negotiates FUSE_HANDLE_KILLPRIV_V2 (fs/devio.c),
# so in the cached modes the kernel no longer asks
# getxattr("security.capability") through the mount before every write(2):
# that probe was one extra round trip per buffered write in normal mode and
# the only one in writeback mode. Proven by counting the requests the daemon
# serves for 500 appends by one process, in every cache mode, and by the
# daemon saying so under -d. Clearing setuid/setgid/capabilities, which the
# daemon does in exchange, is tested in tests/integration/ownership.sh.
. "$(dirname "$0")/../integration/lib.sh"
sn_init killpriv
: "${SNAGCTL:?}"

writes=500
for mode in strict normal writeback; do
	src=$(sn_tmpdir "src-$mode")
	sn_mount --src "$src" --cache=$mode -d
	sn_run python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
for _ in range(int(sys.argv[2])):
    assert os.write(fd, b"x" * 64) == 64
os.close(fd)' "$SN_MNT/f" $writes
	json=$(sn_run "$SNAGCTL" -m "$SN_MNT" stats --json)
	sn_umount
	sn_eq "$mode: $writes appends reached the file" $((writes * 64)) "$(stat -c %s "$src/f")"
	python3 - "$json" "$mode" $writes <<'PY' && sn_pass "$mode: no getxattr per write" || sn_fail "$mode: getxattr per write: $json"
import json, sys
s, mode, writes = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ops = {o["op"]: o["requests"] for o in s["ops"]}
# without killpriv v2: one getxattr per write(2) in normal and writeback
# mode; with it, one at most per attribute refresh of the inode
assert ops.get("getxattr", 0) <= 5, (mode, ops)
if mode != "writeback":
    assert ops["write"] >= writes, (mode, ops)
PY
	grep -q 'snagfs: INIT reply: + FUSE_HANDLE_KILLPRIV_V2' "$SN_LOG" &&
		sn_pass "$mode: -d says killpriv v2 was negotiated" ||
		sn_fail "$mode: no killpriv v2 line in the log"
done
sn_done
