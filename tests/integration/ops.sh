# ops.sh — every namespace, xattr, ACL, allocation, copy, seek, lock and statfs
# operation through the mount has the source's effect and result.
# Usage: bash ops.sh [--cache=strict|normal|writeback]
. "$(dirname "$0")/lib.sh"
cache=${1:-}
sn_init "ops${cache:+.${cache#--cache=}}"
sn_mount ${cache:+"$cache"}
M=$SN_MNT S=$SN_SRC

same_stat() {
	local s m
	s=$(sn_stat "$2" "$S/$3" 2>&1); m=$(sn_stat "$2" "$M/$3" 2>&1)
	if [ "$s" = "$m" ]; then sn_pass "$1 ($m)"; else sn_fail "$1: source '$s' vs mount '$m'"; fi
}

# --- special files
sn_check "mkfifo" mkfifo "$M/fifo"
sn_eq "fifo in source" "fifo" "$(sn_stat %F "$S/fifo")"
same_stat "fifo stat" '%F %a' fifo
sn_expect_errno ok mknod-sock "$M/sock"
sn_eq "socket in source" "socket" "$(sn_stat %F "$S/sock")"
sn_check "mknod char 1:3" mknod "$M/null" c 1 3
sn_eq "char device in source" "character special file 1 3" "$(sn_stat '%F %t %T' "$S/null")"
same_stat "char device stat" '%F %t %T %a' null
# FUSE mounts are nodev: opening the node through the mount is refused.
sn_expect_errno EACCES open "$M/null"
sn_eq "fifo passes data" "through fifo" "$(sn_run sh -c '(echo "through fifo" >"$1" &) ; cat "$1"' _ "$M/fifo")"

# --- symlinks
sn_check "symlink" ln -s target/of/link "$M/sl"
sn_eq "readlink via mount" "target/of/link" "$(sn_run readlink "$M/sl")"
sn_eq "readlink in source" "target/of/link" "$(readlink "$S/sl")"
same_stat "symlink lstat" '%F %s' sl
sn_run sh -c 'echo via-link >"$1"' _ "$M/real"
sn_check "symlink to file" ln -s real "$M/sl2"
sn_eq "read through symlink" "via-link" "$(sn_run cat "$M/sl2")"
long=$(printf 'x%.0s' $(seq 1 4000))
sn_expect_errno ok symlink "$M/longsl" "$long"
sn_expect_errno "ok 4000" readlink "$M/longsl"

# --- hard links
sn_check "hard link" ln "$M/real" "$M/real.hl"
sn_eq "hard link same inode" "$(sn_stat %i "$M/real")" "$(sn_stat %i "$M/real.hl")"
sn_eq "hard link nlink via mount" 2 "$(sn_stat %h "$M/real")"
same_stat "hard link in source" '%h %i' real.hl
sn_expect_errno EEXIST link "$M/real" "$M/real.hl"

# --- rename
sn_run sh -c 'echo A >"$1"; echo B >"$2"' _ "$M/ra" "$M/rb"
sn_expect_errno EEXIST renameat2-noreplace "$M/ra" "$M/rb"
sn_eq "noreplace left target alone" "B" "$(sn_run cat "$S/rb")"
sn_expect_errno "ok 0" renameat2-exchange "$M/ra" "$M/rb"
sn_eq "exchange swapped (mount)" "B A" "$(sn_run cat "$M/ra" "$M/rb" | tr '\n' ' ' | sed 's/ $//')"
sn_eq "exchange swapped (source)" "B A" "$(cat "$S/ra" "$S/rb" | tr '\n' ' ' | sed 's/ $//')"
sn_expect_errno "ok 0" renameat2-noreplace "$M/ra" "$M/rc"
sn_eq "noreplace onto free name" "B" "$(cat "$S/rc")"
sn_expect_errno "ok 0" rename "$M/rc" "$M/rb"
sn_eq "rename replaces" "B" "$(sn_run cat "$M/rb")"
sn_expect_errno ENOENT stat "$M/rc"
sn_run mkdir -p "$M/dir1/deep" "$M/dir2"
sn_expect_errno "ok 0" rename "$M/dir1" "$M/dir2/moved"
sn_expect_errno ok stat "$S/dir2/moved/deep"
sn_expect_errno ok stat "$M/dir2/moved/deep"
sn_expect_errno ENOENT stat "$M/dir1/deep"
sn_run mkdir "$M/xa" "$M/xb"; sn_run touch "$M/xa/in-a"
sn_expect_errno "ok 0" renameat2-exchange "$M/xa" "$M/xb"
sn_expect_errno ok stat "$M/xb/in-a"
sn_expect_errno ok stat "$S/xb/in-a"

# --- xattrs
sn_run sh -c 'echo x >"$1"' _ "$M/xf"
sn_check "setfattr user.*" setfattr -n user.color -v blue "$M/xf"
sn_eq "getfattr via mount" "blue" "$(sn_run getfattr --absolute-names --only-values -n user.color "$M/xf")"
sn_eq "getfattr in source" "blue" "$(getfattr --absolute-names --only-values -n user.color "$S/xf")"
sn_expect_errno EEXIST setxattr "$M/xf" user.color red create
sn_expect_errno ENODATA setxattr "$M/xf" user.none red replace
sn_expect_errno "ok 0" setxattr "$M/xf" user.color red replace
sn_eq "replaced value" "red" "$(getfattr --absolute-names --only-values -n user.color "$S/xf")"
big=$(head -c 3000 /dev/zero | tr '\0' v)
sn_expect_errno "ok 0" setxattr "$M/xf" user.big "$big"
sn_expect_errno "ok 3000" getxattr "$M/xf" user.big
sn_eq "listxattr same" "$(getfattr -d --absolute-names "$S/xf" 2>/dev/null | sed 1d)" \
	"$(sn_run getfattr -d --absolute-names "$M/xf" 2>/dev/null | sed 1d)"
sn_expect_same listxattr @/xf
sn_expect_errno "ok 0" removexattr "$M/xf" user.color
sn_expect_same getxattr @/xf user.color
sn_expect_same removexattr @/xf user.color
sn_run mkdir "$M/xd"
sn_check "xattr on a directory" setfattr -n user.d -v 1 "$M/xd"
sn_eq "dir xattr in source" "1" "$(getfattr --absolute-names --only-values -n user.d "$S/xd")"
sn_expect_same getxattr @/xf trusted.nothing

# --- POSIX ACLs
sn_check "setfacl -m" setfacl -m u:65534:rw,g:65534:r "$M/xf"
sn_eq "getfacl source == mount" "$(cd "$S" && getfacl -n xf 2>/dev/null)" "$(cd "$M" && sn_run getfacl -n xf 2>/dev/null)"
if getfacl -n "$S/xf" 2>/dev/null | grep -q '^user:65534:rw-'; then sn_pass "ACL stored in source"
else sn_fail "ACL not stored in source"; fi
sn_check "default ACL on dir" setfacl -d -m u:65534:rwx "$M/xd"
sn_run touch "$M/xd/inherits"
if getfacl -n "$S/xd/inherits" 2>/dev/null | grep -q '^user:65534:'; then sn_pass "default ACL inherited by a file created through mount"
else sn_fail "default ACL not inherited by file created through mount: $(getfacl -n "$S/xd/inherits" 2>&1 | tr '\n' ' ')"; fi
sn_check "setfacl -b" setfacl -b "$M/xf"
sn_eq "ACL removed in source" "" "$(getfacl -n --skip-base "$S/xf" 2>/dev/null)"

# --- fallocate, punch hole, seek data/hole
sn_run dd if=/dev/urandom of="$M/fa" bs=1M count=4 status=none
sn_expect_errno "ok 0" fallocate "$M/fa" punch-hole $((1024 * 1024)) $((1024 * 1024))
same_stat "punch-hole: size and blocks" '%s %b' fa
sn_eq "punch-hole: size kept" 4194304 "$(sn_stat %s "$S/fa")"
sn_eq "punched range reads zeros" "$(head -c 1048576 /dev/zero | md5sum)" \
	"$(sn_run dd if="$M/fa" bs=1M skip=1 count=1 status=none | md5sum)"
if [ "$cache" = --cache=writeback ]; then
	# Documented (fs/README.md): with the writeback cache the kernel answers
	# SEEK_DATA/SEEK_HOLE itself, treating the whole file as data.
	sn_expect_errno "ok 0" lseek-data "$M/fa" 0
	sn_expect_errno "ok 1048576" lseek-data "$M/fa" 1048576
	sn_expect_errno "ok 4194304" lseek-hole "$M/fa" 0
else
	sn_expect_same lseek-data @/fa 0
	sn_expect_same lseek-hole @/fa 0
	sn_expect_errno "ok 2097152" lseek-data "$M/fa" 1048576
	sn_expect_errno "ok 1048576" lseek-hole "$M/fa" 0
fi
sn_expect_same lseek-data @/fa 5000000
sn_expect_errno ENXIO lseek-data "$M/fa" 5000000
sn_expect_errno "ok 0" fallocate "$M/fa" keep-size 4194304 $((2 * 1024 * 1024))
same_stat "keep-size: size and blocks" '%s %b' fa
sn_eq "keep-size: size unchanged" 4194304 "$(sn_stat %s "$M/fa")"
sn_expect_errno "ok 0" fallocate "$M/fa2" default 0 $((3 * 1024 * 1024))
same_stat "fallocate default: size and blocks" '%s %b' fa2
sn_eq "fallocate default extends" 3145728 "$(sn_stat %s "$M/fa2")"
sn_expect_errno "ok 0" fallocate "$M/fa" zero-range 0 4096
sn_eq "zero-range reads zeros" "$(head -c 4096 /dev/zero | md5sum)" "$(sn_run head -c 4096 "$M/fa" | md5sum)"
# SEEK_DATA/SEEK_HOLE on data still dirty in the kernel (writeback cache):
# same fd, no fsync, no close in between
seek_dirty=$(sn_run python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"x" * 65536)
out = []
for wh in (os.SEEK_DATA, os.SEEK_HOLE):
    try: out.append(str(os.lseek(fd, 0, wh)))
    except OSError as e: out.append(os.strerror(e.errno))
print(" ".join(out))' "$M/seek-dirty" 2>&1)
sn_eq "SEEK_DATA/SEEK_HOLE right after an unflushed write" "0 65536" "$seek_dirty"
sn_run truncate -s 10M "$M/sparse"
if [ "$cache" = --cache=writeback ]; then
	sn_expect_errno "ok 10485760" lseek-hole "$M/sparse" 0
	sn_expect_errno "ok 0" lseek-data "$M/sparse" 0
else
	sn_expect_same lseek-hole @/sparse 0
	sn_expect_same lseek-data @/sparse 0
fi

# --- copy_file_range
sn_run dd if=/dev/urandom of="$M/cfr.src" bs=1M count=3 status=none
sn_expect_errno "ok 3145728" copy_file_range "$M/cfr.src" "$M/cfr.dst"
if sn_run cmp "$S/cfr.src" "$S/cfr.dst" && sn_run cmp "$M/cfr.src" "$M/cfr.dst"; then sn_pass "copy_file_range data"
else sn_fail "copy_file_range data differ"; fi
# across filesystems (mount -> /tmp) the kernel itself answers EXDEV
sn_expect_errno EXDEV copy_file_range "$M/cfr.src" "$SN_TMP/cfr.out"
sn_run cp --reflink=never "$M/cfr.src" "$M/cfr.cp"
sn_check "cp (copy_file_range path)" cmp "$S/cfr.src" "$S/cfr.cp"

# --- locks
sn_expect_errno "ok 0" flock "$M/real"
sn_expect_errno "ok 0" flock "$M/real" sh
sn_expect_errno EAGAIN flock-conflict "$M/real"
sn_expect_errno "ok 0" setlk "$M/real"
sn_check "flock(1) -w" flock -w 5 "$M/real" true

# --- statfs
s=$(stat -f -c '%S %b %c %l' "$S"); m=$(sn_run stat -f -c '%S %b %c %l' "$M")
sn_eq "statfs bsize/blocks/files/namelen" "$s" "$m"
read -r sf sa sff < <(stat -f -c '%f %a %d' "$S"); read -r mf ma mff < <(sn_run stat -f -c '%f %a %d' "$M")
tol=$(( sf / 100 + 1024 ))
if [ $(( sf > mf ? sf - mf : mf - sf )) -le $tol ] && [ $(( sa > ma ? sa - ma : ma - sa )) -le $tol ]; then
	sn_pass "statfs free/avail blocks equal within 1% ($sf/$mf $sa/$ma)"
else sn_fail "statfs free/avail differ: source $sf/$sa mount $mf/$ma"; fi
if [ $(( sff > mff ? sff - mff : mff - sff )) -le 1000 ]; then sn_pass "statfs free inodes ($sff/$mff)"
else sn_fail "statfs free inodes: source $sff mount $mff"; fi
sn_expect_same statfs @

# --- fsync family
sn_expect_errno "ok 0" fsync "$M/real"
sn_expect_errno "ok 0" fdatasync "$M/real"
sn_expect_errno "ok 0" fsync "$M/xd"
sn_expect_errno "ok 0" syncfs "$M/real"

sn_check "daemon alive" sn_daemon_alive
sn_umount
sn_check_inodes_left
sn_done
