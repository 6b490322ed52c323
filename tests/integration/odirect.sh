# odirect.sh — O_DIRECT writes and reads (4 KiB aligned) through the mount.
# Usage: bash odirect.sh [--cache=strict|normal|writeback]
. "$(dirname "$0")/lib.sh"
cache=${1:-}
sn_init "odirect${cache:+.${cache#--cache=}}"
sn_mount ${cache:+"$cache"}
ref=$(sn_tmpdir ref)
dd if=/dev/urandom of="$ref/data" bs=1M count=8 status=none
sn_check "dd oflag=direct bs=4k" dd if="$ref/data" of="$SN_MNT/d4k" bs=4k oflag=direct status=none
sn_check "source equals written data (4k)" cmp "$ref/data" "$SN_SRC/d4k"
sn_check "dd iflag=direct bs=4k reads back" sh -c 'dd if="$1" bs=4k iflag=direct status=none | cmp - "$2"' _ "$SN_MNT/d4k" "$ref/data"
sn_check "dd oflag=direct bs=1M" dd if="$ref/data" of="$SN_MNT/d1m" bs=1M oflag=direct status=none
sn_check "source equals written data (1M)" cmp "$ref/data" "$SN_SRC/d1m"
sn_check "dd iflag=direct bs=1M reads back" sh -c 'dd if="$1" bs=1M iflag=direct status=none | cmp - "$2"' _ "$SN_MNT/d1m" "$ref/data"
sn_check "dd oflag=direct overwrite in place (conv=notrunc, seek)" \
	dd if=/dev/zero of="$SN_MNT/d1m" bs=4k count=3 seek=5 oflag=direct conv=notrunc status=none
dd if=/dev/zero of="$ref/data" bs=4k count=3 seek=5 conv=notrunc status=none
sn_check "overwrite visible in source" cmp "$ref/data" "$SN_SRC/d1m"
sn_expect_errno "ok 4096" direct-rw "$SN_MNT/probe" 4096
sn_expect_errno "ok 1048576" direct-rw "$SN_MNT/probe" 1048576
sn_expect_errno ok open "$SN_MNT/probe" "rdwr|direct"
# mixing buffered and direct I/O on one file stays coherent
sn_run sh -c 'echo buffered >"$1"' _ "$SN_MNT/mixed"
sn_expect_errno "ok 4096" direct-rw "$SN_MNT/mixed" 4096
sn_eq "buffered read after direct write" "$(head -c 26 "$SN_SRC/mixed")" "$(sn_run head -c 26 "$SN_MNT/mixed")"
sn_check "daemon alive" sn_daemon_alive
sn_umount
sn_check_inodes_left
sn_done
