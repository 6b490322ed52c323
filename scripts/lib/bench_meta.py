#!/usr/bin/env python3
"""bench_meta.py DIR N [PHASE]: create, stat and unlink N files in DIR, one
phase at a time; prints "create <ops/s>", "stat <ops/s>", "unlink <ops/s>".
With PHASE (create, stat, lookup, list or unlink) only that phase runs (they
expect the files of an earlier create; "lookup" is stat under another name,
for a caller that made the kernel forget the files first; "list" is `ls -l`:
one readdir of DIR and an lstat of every entry, N entries per second):
scripts/bench runs each phase as its
own process so it can read the daemon's CPU time between phases.  A phase
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


def list_dir(d, n):
    """The `ls -l` pattern: readdir, then lstat each entry by name."""
    t = time.perf_counter()
    seen = 0
    try:
        with os.scandir(d) as it:
            for e in it:
                e.stat(follow_symlinks=False)
                seen += 1
    except OSError as e:
        print("list ERR:%s@%d" % (errno.errorcode.get(e.errno, e.errno), seen))
        return False
    if seen != n:
        print("list ERR:COUNT@%d" % seen)
        return False
    print("list %.1f" % (n / (time.perf_counter() - t)))
    return True


def main():
    d, n = sys.argv[1], int(sys.argv[2])
    which = sys.argv[3:] or ["create", "stat", "unlink"]
    names = [os.path.join(d, "m%06d" % i) for i in range(n)]
    flags = os.O_CREAT | os.O_WRONLY | os.O_EXCL
    ops = {
        "create": lambda p: os.close(os.open(p, flags, 0o644)),
        "stat": os.stat,
        "lookup": os.stat,
        "unlink": os.unlink,
    }
    for name in which:
        if name == "list":
            if not list_dir(d, n):
                return
            continue
        if name not in ops:
            sys.exit("bench_meta.py: unknown phase %s" % name)
        if not phase(name, names, ops[name]):
            return


if __name__ == "__main__":
    main()
