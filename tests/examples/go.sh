#!/usr/bin/env bash
# go.sh — examples/go: under `snagfs run`, `go test` passes on the fixed code
# and `go test -tags buggy` fails, each of the three tests failing for the
# bug it targets; three iterations per run (-count=3) and two runs each, all
# with the same outcome (the faults are when=/offset= rules: deterministic).
. "$(dirname "$0")/elib.sh"
ex_init go
command -v go >/dev/null || sn_abort "go is not installed (golang-go; scripts/setup-deps)"

work=$(sn_tmpdir go)
cp -r "$EX_EXAMPLES/go/." "$work/"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
[ -n "${HOME:-}" ] && [ -d "$HOME" ] || export GOCACHE=$SN_TMP/gocache
tests=(TestWriteRecordsReportsFlushError TestReadSegmentKeepsBytesReturnedWithError TestSaveReportsCloseError)

# compile once outside the mount so the timed runs below only run tests
(cd "$work" && sn_run go test -count=1 -run XXX ./... >/dev/null 2>&1) || sn_fail "go test does not build"
(cd "$work" && sn_run go vet -tags buggy ./... >/dev/null 2>&1) || sn_fail "the buggy build does not vet"

for round in 1 2; do
	src=$(sn_tmpdir data)
	out=$(cd "$work" && ex_run 240 snagfs run "$src" -- go test -count=3 -v ./... 2>&1); rc=$?
	sn_eq "round $round: fixed code passes under snagfs" 0 "$rc"
	for t in "${tests[@]}"; do
		sn_eq "round $round: $t passed 3 of 3" 3 "$(grep -c -- "--- PASS: $t " <<<"$out")"
	done
	[ $rc = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /' | tail -30

	src=$(sn_tmpdir data)
	out=$(cd "$work" && ex_run 240 snagfs run "$src" -- go test -tags buggy -count=3 -v ./... 2>&1); rc=$?
	sn_check "round $round: buggy code fails under snagfs (status $rc)" test "$rc" -ne 0
	for t in "${tests[@]}"; do
		sn_eq "round $round: $t failed 3 of 3 on the buggy code" 3 "$(grep -c -- "--- FAIL: $t " <<<"$out")"
	done
	sn_check "round $round: flush bug: success reported on a full disk" grep -q 'WriteRecords on a full disk returned <nil>' <<<"$out"
	sn_check "round $round: read bug: the 1000 bytes returned with EIO were dropped" grep -q 'ReadSegment returned 4096 bytes' <<<"$out"
	sn_check "round $round: close bug: Save returned nil" grep -q 'Save returned <nil>' <<<"$out"
done

# without snagfs the tests skip rather than pass vacuously
out=$(unset SNAGFS_MOUNT SNAGFS_CONTROL; cd "$work" && sn_run go test -count=1 -v ./... 2>&1)
sn_eq "outside snagfs every test skips" 3 "$(grep -c -- '--- SKIP' <<<"$out")"
sn_done
