#!/usr/bin/env python3
"""bench_meta.py DIR N: create, stat and unlink N files in DIR, one phase at a
time; prints "create <ops/s>", "stat <ops/s>", "unlink <ops/s>"."""
import os
import sys
import time


def main():
    d, n = sys.argv[1], int(sys.argv[2])
    names = [os.path.join(d, "m%06d" % i) for i in range(n)]
    flags = os.O_CREAT | os.O_WRONLY | os.O_EXCL
    t = time.perf_counter()
    for p in names:
        os.close(os.open(p, flags, 0o644))
    create = time.perf_counter() - t
    t = time.perf_counter()
    for p in names:
        os.stat(p)
    stat = time.perf_counter() - t
    t = time.perf_counter()
    for p in names:
        os.unlink(p)
    unlink = time.perf_counter() - t
    print("create %.1f" % (n / create))
    print("stat %.1f" % (n / stat))
    print("unlink %.1f" % (n / unlink))


if __name__ == "__main__":
    main()
