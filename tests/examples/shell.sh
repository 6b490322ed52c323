#!/usr/bin/env bash
# shell.sh — examples/shell: `snagfs run --profile disk-full ./data -- make
# test` makes the application's test fail with ENOSPC's message and the
# cleanup path leaves no partial file; the same test passes without the
# profile (so the failure is the profile's doing).
. "$(dirname "$0")/elib.sh"
ex_init shell

work=$(sn_tmpdir shell)
cp -r "$EX_EXAMPLES/shell/." "$work/"
rm -rf "$work/data"

out=$(cd "$work" && ex_run 120 ./run.sh 2>&1); rc=$?
sn_log "$(tail -3 <<<"$out" | tr '\n' '|')"
sn_check "make test fails on the full disk (status $rc)" test "$rc" -ne 0
sn_check "the failure is ENOSPC" grep -q 'No space left on device' <<<"$out"
sn_check "the application reported it" grep -q 'save-records: saving .* failed' <<<"$out"
sn_eq "no partial or final file left in ./data" "" "$(ls -A "$work/data")"

out=$(cd "$work" && ex_run 120 snagfs run ./data -- make test 2>&1); rc=$?
sn_eq "without the profile make test passes" 0 "$rc"
sn_eq "and saved 80 MiB" $((80 << 20)) "$(stat -c %s "$work/data/records.bin" 2>&1)"
sn_done
