# scale.sh — more inodes than the daemon may hold fds (the open-files hard
# limit, 20,000 here): a tree of 50,000 files looked up and stat'ed through
# the mount (find, ls -l) gives the source's answers and no errors.
. "$(dirname "$0")/lib.sh"
sn_init scale
sn_mount
N=${SN_SCALE_FILES:-50000}
sn_log "open-files hard limit $(ulimit -Hn); $N files"
python3 -c '
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for d in range(10):
    os.mkdir(os.path.join(root, "d%d" % d))
    for i in range(n // 10):
        with open(os.path.join(root, "d%d" % d, "f%06d" % i), "w") as f:
            if i % 1000 == 0: f.write("x" * i)' "$SN_SRC" "$N"
want=$(cd "$SN_SRC" && find . -printf '%p %s %n %i\n' | sort | md5sum)
got=$(cd "$SN_MNT" && sn_run find . -printf '%p %s %n %i\n' 2>"$SN_TMP/find.err" | sort | md5sum)
sn_eq "find -printf over $N files equals the source" "$want" "$got"
sn_eq "find: no errors" "" "$(head -3 "$SN_TMP/find.err")"
errs=$(cd "$SN_MNT" && sn_run ls -lR . 2>&1 >/dev/null | head -3)
sn_eq "ls -lR: no errors" "" "$errs"
sn_eq "stat of every file again (second pass)" "$N" "$(cd "$SN_MNT" && sn_run find . -type f -exec stat -c %s {} + 2>/dev/null | wc -l)"
sn_log "daemon open fds now: $(ls /proc/$SN_PID/fd 2>/dev/null | wc -l)"
sn_check "daemon alive" sn_daemon_alive
sn_umount
sn_check_inodes_left
sn_done
