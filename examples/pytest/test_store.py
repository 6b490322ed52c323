"""Tests of store.py under injected faults, using the snagfs fixture."""
import errno
import os

import pytest

import store

DATA = bytes(range(256)) * 64   # 16 KiB


def test_fsync_error_is_reported_and_old_file_kept(snagfs):
    target = snagfs.mount / "config.json"
    store.save(target, b"old")
    snagfs.add_rule("fsync:path=/config.json.tmp:error=EIO:id=fsync-eio")
    with pytest.raises(OSError) as exc:
        store.save(target, DATA)
    assert exc.value.errno == errno.EIO
    assert snagfs.wait_fired("fsync-eio", 1) == 1
    assert target.read_bytes() == b"old"                 # not replaced
    assert not (snagfs.source / "config.json.tmp").exists()  # cleaned up


def test_short_writes_lose_data_only_in_the_naive_version(snagfs):
    snagfs.add_rule("write:short=1000:id=short")
    store.save(snagfs.mount / "careful", DATA)
    store.save_naive(snagfs.mount / "naive", DATA)
    assert (snagfs.source / "careful").read_bytes() == DATA
    assert len((snagfs.source / "naive").read_bytes()) == 1000   # the bug
    # the careful loop needed ceil(16384 / 1000) = 17 writes, all short
    # but the last; the naive one made 1
    assert snagfs.rules()["short"]["fired"] == 16 + 1


@pytest.mark.snagfs_args("-p", "disk-full")
def test_disk_full_profile(snagfs):
    big = b"x" * (1 << 20)
    with pytest.raises(OSError) as exc:
        for i in range(100):
            store.save(snagfs.mount / ("f%d" % i), big)
    assert exc.value.errno == errno.ENOSPC
    assert snagfs.wait_fired("disk-full", 1) >= 1
    assert not list(snagfs.source.glob("*.tmp"))          # cleanup worked


def test_stats_count_requests(snagfs):
    before = snagfs.op_stats("fsync")["requests"]
    store.save(snagfs.mount / "a", DATA)
    assert snagfs.op_stats("fsync")["requests"] == before + 1


def test_wait_times_out_when_the_fault_never_happens(snagfs):
    snagfs.add_rule("fsync:path=/never:error=EIO:id=never")
    with pytest.raises(Exception) as exc:
        snagfs.wait_fired("never", 1, timeout=0.2)
    assert getattr(exc.value, "errno_name", None) == "ETIMEDOUT"


@pytest.mark.xfail(strict=True, reason="shows the fixture unmounts after a failing test")
def test_failing_test_still_unmounts(snagfs):
    (snagfs.mount / "x").write_text("x")
    assert False
