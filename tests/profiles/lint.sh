#!/usr/bin/env bash
# lint.sh — every shipped profile: the comment block the docs promise (what
# it models, what the application sees, the knobs, the approximations), an
# id= on every rule, a test script of its own, an entry in docs/profiles.md,
# and the daemon accepts it (`snagfs -p NAME` mounts); `snagfs
# --list-profiles` lists exactly the shipped set.
. "$(dirname "$0")/plib.sh"
pf_init lint

docs=$PF_HERE/../../docs/profiles.md
names=()
for f in "$PF_PROFILES"/*.rules; do
	n=$(basename "$f" .rules); names+=("$n")
	sn_eq "$n: first line names the profile" "# $n —" "$(head -1 "$f" | cut -d' ' -f1-3)"
	for section in "Models:" "The application sees" "Knobs" "Approximations" "Assert it fired:"; do
		grep -q "^# .*$section" "$f" && sn_pass "$n: has '$section'" || sn_fail "$n: no '$section' in the comment block"
	done
	bad=$(pf_rules "$n" | grep -v ':id=' || true)
	sn_eq "$n: every rule has an id=" "" "$bad"
	[ -f "$PF_HERE/$n.sh" ] && sn_pass "$n: has tests/profiles/$n.sh" || sn_fail "$n: no tests/profiles/$n.sh"
	grep -q "^## $n\$" "$docs" && sn_pass "$n: documented in docs/profiles.md" || sn_fail "$n: no '## $n' section in docs/profiles.md"
	pf_mount -p "$n"
	sn_check "$n: the daemon loaded it (daemon alive)" sn_daemon_alive
	sn_umount
done

want=$(printf '%s\n' "${names[@]}" | sort)
out=$(sn_run "$SNAGFS" --list-profiles 2>&1); rc=$?
sn_eq "snagfs --list-profiles exits 0" 0 "$rc"
sn_eq "snagfs --list-profiles lists the shipped profiles" "$want" "$(awk '{print $1}' <<<"$out" | sort)"
sn_done
