#!/usr/bin/env bash
# manpages.sh — snagfs(1), snagctl(1) and snagfs-rules(5) are clean under
# `mandoc -T lint -W warning` and `groff -ww`, render a NAME section, and
# snagfs(1) lists every shipped profile.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
snagctl_page=$root/man/snagctl.1
[ -f "$snagctl_page" ] || snagctl_page=$root/docs/snagctl.1
pages=("$root/man/snagfs.1" "$snagctl_page" "$root/man/snagfs-rules.5")
command -v mandoc >/dev/null || { echo "SKIP: mandoc not installed"; exit 77; }
for p in "${pages[@]}"; do
	n=$(basename "$p")
	[ -f "$p" ] || { bad "$n exists"; continue; }
	out=$(mandoc -T lint -W warning "$p" 2>&1)
	[ -z "$out" ] && ok "$n: mandoc -T lint clean" || bad "$n: mandoc -T lint: $out"
	if command -v groff >/dev/null; then
		out=$(groff -man -ww -z "$p" 2>&1)
		[ -z "$out" ] && ok "$n: groff -ww clean" || bad "$n: groff: $out"
	fi
	mandoc -T ascii "$p" | sed 's/.\x08//g' | grep -q '^NAME' && ok "$n: renders a NAME section" || bad "$n: no NAME section"
done
for f in "$root"/policy/profiles/*.rules; do
	prof=$(basename "$f" .rules)
	grep -q "^\.BR\? ${prof//-/\\\\-}\b" "$root/man/snagfs.1" && ok "snagfs.1 lists $prof" || bad "snagfs.1 does not list profile $prof"
done
echo "manpages: $pass passed, $fail failed"
[ "$fail" = 0 ]
