#!/usr/bin/env python3
"""bench_meta.py DIR N: create, stat and unlink N files in DIR, one phase at a
time; prints "create <ops/s>", "stat <ops/s>", "unlink <ops/s>".  A phase
that fails prints "<phase> ERR:<ERRNO_NAME>@<files done>" and ends the run
(the caller removes DIR)."""
import errno
import os
import sys
import time


def phase(name, names, op):
    t = time.perf_counter()
    for i, p in enumerate(names):
        try:
            op(p)
        except OSError as e:
            print("%s ERR:%s@%d" % (name, errno.errorcode.get(e.errno, e.errno), i))
            return False
    print("%s %.1f" % (name, len(names) / (time.perf_counter() - t)))
    return True


def main():
    d, n = sys.argv[1], int(sys.argv[2])
    names = [os.path.join(d, "m%06d" % i) for i in range(n)]
    flags = os.O_CREAT | os.O_WRONLY | os.O_EXCL
    if not phase("create", names, lambda p: os.close(os.open(p, flags, 0o644))):
        return
    if not phase("stat", names, os.stat):
        return
    phase("unlink", names, os.unlink)


if __name__ == "__main__":
    main()
