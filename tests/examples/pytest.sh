#!/usr/bin/env bash
# pytest.sh — examples/pytest: the fixture mounts, the handle adds rules,
# waits for fires and reads stats, and the tests assert the failures they
# demonstrate (EIO from fsync, data lost by a naive short-write loop,
# ENOSPC from the disk-full profile, a wait that times out); every mount is
# gone afterwards, including the one of a test that failed.
. "$(dirname "$0")/elib.sh"
ex_init pytest
PY=/usr/bin/python3
$PY -c 'import pytest' 2>/dev/null || sn_abort "python3-pytest is not installed (scripts/setup-deps)"

base=$SN_TMP/pytest
out=$(cd "$EX_EXAMPLES/pytest" && PYTHONDONTWRITEBYTECODE=1 SNAGFS=$SNAGFS \
	ex_run 240 $PY -m pytest -v --basetemp="$base" -p no:cacheprovider 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/#   /' | tail -25
sn_eq "pytest exit status" 0 "$rc"
for t in test_fsync_error_is_reported_and_old_file_kept \
	test_short_writes_lose_data_only_in_the_naive_version \
	test_disk_full_profile test_stats_count_requests \
	test_wait_times_out_when_the_fault_never_happens; do
	sn_check "$t passed" grep -q "::$t PASSED" <<<"$out"
done
sn_check "the failing test failed (xfail)" grep -q '::test_failing_test_still_unmounts XFAIL' <<<"$out"
sn_check "summary: 5 passed, 1 xfailed" grep -q '5 passed, 1 xfailed' <<<"$out"
left=$(sn_mounts_under "$base")
sn_eq "nothing left mounted by the fixture" "" "$left"
for m in $left; do sn_adopt_mount "$m"; done
sn_done
