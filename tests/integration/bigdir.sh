# bigdir.sh — a directory of 10,000 entries lists identically through the
# mount (getdents and readdirplus paths), created either side.
. "$(dirname "$0")/lib.sh"
sn_init bigdir
sn_mount
N=10000
mk='import os, sys
d = sys.argv[1]
for i in range(int(sys.argv[2])):
    with open(os.path.join(d, "entry-%05d-%s" % (i, "x" * (i % 200))), "w") as f:
        if i % 7 == 0: f.write("y" * i)'
# One directory at a time: 20,000 inodes looked up at once would exceed the
# 20,000 open-files hard limit of an fd-per-inode daemon.
for d in via-mount via-source; do
	if [ $d = via-mount ]; then
		sn_run mkdir "$SN_MNT/$d"
		sn_check "create $N files through the mount" python3 -c "$mk" "$SN_MNT/$d" $N
	else
		mkdir "$SN_SRC/$d"
		python3 -c "$mk" "$SN_SRC/$d" $N
	fi
	s=$(cd "$SN_SRC/$d" && ls -f | sort | md5sum)
	m=$(cd "$SN_MNT/$d" && sn_run ls -f | sort | md5sum)
	sn_eq "$d: ls -f | sort equal" "$s" "$m"
	sn_eq "$d: entry count" "$((N + 2))" "$(sn_run ls -fa "$SN_MNT/$d" | wc -l)"
	sn_expect_errno "ok $((N + 2))" readdir "$SN_MNT/$d"
	# ls -l stats every entry (readdirplus where the kernel uses it)
	s=$(cd "$SN_SRC/$d" && ls -ln --time-style=+%s.%N | md5sum)
	m=$(cd "$SN_MNT/$d" && sn_run ls -ln --time-style=+%s.%N | md5sum)
	sn_eq "$d: ls -ln (names, modes, sizes, mtimes) equal" "$s" "$m"
	s=$(cd "$SN_SRC/$d" && find . -printf '%P %s %i %n\n' | sort | md5sum)
	m=$(cd "$SN_MNT/$d" && sn_run find . -printf '%P %s %i %n\n' | sort | md5sum)
	sn_eq "$d: find -printf (sizes, inode numbers, nlink) equal" "$s" "$m"
	# entries removed while being listed: readdir keeps going, no errors
	sn_check "$d: rm half while listing" sh -c 'ls -f "$1" >/dev/null & find "$1" -name "entry-*[02468]-*" -delete; wait' _ "$SN_MNT/$d"
	sn_eq "$d: half left in source" "$((N / 2 + 2))" "$(ls -fa "$SN_SRC/$d" | wc -l)"
	sn_eq "$d: half left via mount" "$((N / 2 + 2))" "$(sn_run ls -fa "$SN_MNT/$d" | wc -l)"
	sn_check "$d: rm -rf through the mount" rm -rf "$SN_MNT/$d"
done
sn_eq "source empty after rm -rf" "" "$(ls -A "$SN_SRC")"
sn_check "daemon alive" sn_daemon_alive
sn_umount
sn_check_inodes_left
sn_done
