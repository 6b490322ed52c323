#!/usr/bin/env bash
# cmocka.sh — examples/cmocka: the cmocka test binary runs under `snagfs run`,
# flips faults between its test cases with snagctl, and all six cases pass:
# each asserts the errno wal_append() reports (EIO from fsync, ENOSPC) or that
# its retry loops survived (142 short writes, 3 EINTRs), and `snagctl wait`
# proves each fault fired. A wal_append() that ignored fsync's result fails.
. "$(dirname "$0")/elib.sh"
ex_init cmocka
[ -n "${EX_CMOCKA_BIN:-}" ] && [ -x "$EX_CMOCKA_BIN" ] || sn_abort "EX_CMOCKA_BIN is not built (libcmocka-dev missing?)"

src=$(sn_tmpdir data)
out=$(ex_run 120 snagfs run "$src" -- "$EX_CMOCKA_BIN" 2>&1); rc=$?
printf '%s\n' "$out" | grep -E 'OK|FAIL|PASSED|ERROR' | sed 's/^/#   /'
sn_eq "test_wal exit status" 0 "$rc"
sn_check "all 6 cases passed" grep -q 'PASSED  \] 6 test(s)' <<<"$out"

# the same tests against a wal.c that drops fsync's error must fail
work=$(sn_tmpdir build)
sed 's/if (fsync(fd) < 0)/if (fsync(fd) < 0 \&\& 0)/' "$EX_EXAMPLES/cmocka/wal.c" >"$work/wal.c"
cp "$EX_EXAMPLES/cmocka/wal.h" "$EX_EXAMPLES/cmocka/test_wal.c" "$work/"
if gcc -O2 -w -o "$work/test_wal" "$work/test_wal.c" "$work/wal.c" -lcmocka; then
	src=$(sn_tmpdir data)
	out=$(ex_run 120 snagfs run "$src" -- "$work/test_wal" 2>&1); rc=$?
	sn_check "with fsync's error dropped, the suite fails (status $rc)" test "$rc" -ne 0
	sn_check "... in test_fsync_eio_is_reported" grep -qE 'FAILED +\] test_fsync_eio_is_reported' <<<"$out"
else
	sn_fail "cannot build the broken variant"
fi
sn_done
