# atime.sh — -o noatime is honoured (reading leaves the source's atime
# alone), while the default mount follows relatime like the source.
. "$(dirname "$0")/lib.sh"
sn_init atime
check_atime() {   # check_atime LABEL EXPECT(changed|unchanged) MOUNTARGS...
	local label=$1 want=$2; shift 2
	sn_mount "$@"
	echo content >"$SN_SRC/f"
	touch -m -d '2020-01-01 00:00:00' "$SN_SRC/f"
	touch -a -d '2019-01-01 00:00:00' "$SN_SRC/f"     # older than mtime: relatime updates
	local before; before=$(stat -c %X.%x "$SN_SRC/f")
	sn_run cat "$SN_MNT/f" >/dev/null
	sn_run dd if="$SN_MNT/f" of=/dev/null iflag=direct bs=4k status=none 2>/dev/null
	local after; after=$(stat -c %X.%x "$SN_SRC/f")
	local got=unchanged; [ "$before" != "$after" ] && got=changed
	sn_eq "$label: source atime after reading through the mount" "$want" "$got"
	sn_eq "$label: mount shows the source's atime" "$(stat -c %X "$SN_SRC/f")" "$(sn_stat %X "$SN_MNT/f")"
	sn_run ls "$SN_MNT" >/dev/null
	sn_umount
}
check_atime "default (relatime)" changed
check_atime "-o noatime" unchanged -o noatime
check_atime "-o noatime --cache=strict" unchanged -o noatime --cache=strict
sn_done
