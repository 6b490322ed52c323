"""store — the "application" under test: saves a file durably.

save() is written the careful way (write to a temp file, loop on short
writes, fsync, rename). save_naive() is the common buggy version: one
os.write() whose count is ignored and no fsync. The tests show which of
the two survives the faults.
"""
import os


def save(path, data):
    tmp = str(path) + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        off = 0
        while off < len(data):
            off += os.write(fd, data[off:])
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    os.rename(tmp, path)


def save_naive(path, data):
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, data)          # BUG: a short count is silently ignored
    os.close(fd)
