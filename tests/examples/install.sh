#!/usr/bin/env bash
# install.sh — `cmake --install` (into a DESTDIR) installs snagfs and snagctl,
# every shipped profile, and the three man pages; the installed snagfs finds
# an installed profile by name with no source tree to fall back on.
set -u
build=${EX_BUILD_DIR:?EX_BUILD_DIR must name the build directory}
prefix=${EX_PREFIX:?EX_PREFIX must be the configured install prefix}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dest=$(mktemp -d /tmp/snagfs-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }

if DESTDIR=$dest timeout 120 cmake --install "$build" >"$dest.log" 2>&1; then ok "cmake --install"
else bad "cmake --install: $(tail -3 "$dest.log")"; fi
rm -f "$dest.log"
p=$dest$prefix
check "bin/snagfs installed" test -x "$p/bin/snagfs"
check "bin/snagctl installed" test -x "$p/bin/snagctl"
for f in "$root"/policy/profiles/*.rules; do
	check "profile $(basename "$f") installed" cmp -s "$f" "$p/share/snagfs/profiles/$(basename "$f")"
done
check "man1/snagfs.1 installed" test -f "$p/share/man/man1/snagfs.1"
check "man1/snagctl.1 installed" test -f "$p/share/man/man1/snagctl.1"
check "man5/snagfs-rules.5 installed" test -f "$p/share/man/man5/snagfs-rules.5"
if [ -x "$p/bin/snagfs" ]; then
	out=$(env -u SNAGFS_PROFILE_DIR timeout 10 "$p/bin/snagfs" --list-profiles 2>&1)
	check "installed snagfs --list-profiles lists disk-full" grep -qw disk-full <<<"$out"
fi
echo "install: $pass passed, $fail failed"
[ "$fail" = 0 ]
