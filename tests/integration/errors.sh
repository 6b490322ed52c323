# errors.sh — errors come back unchanged: ENOENT, EEXIST, ENOTEMPTY, ENOTDIR,
# EISDIR, EXDEV, ENAMETOOLONG (255 ok, 256 not), ELOOP, EINVAL; same as the
# source gives for the same call.
. "$(dirname "$0")/lib.sh"
sn_init errors
sn_mount
M=$SN_MNT S=$SN_SRC
mkdir -p "$S/dir/sub" "$S/empty"; echo x >"$S/dir/file"; echo y >"$S/file"
ln -s loop2 "$S/loop1"; ln -s loop1 "$S/loop2"; ln -s nowhere "$S/dangling"

# long names
n255=$(printf 'n%.0s' $(seq 1 255)); n256=${n255}n
sn_expect_errno ok creat "$M/$n255"
sn_expect_errno ok stat "$S/$n255"
sn_expect_errno ok mkdir "$M/d$(printf 'n%.0s' $(seq 1 254))"
sn_expect_same creat @/$n256
sn_expect_errno ENAMETOOLONG creat "$M/$n256"
sn_expect_errno ENAMETOOLONG stat "$M/$n256"
sn_expect_errno ENAMETOOLONG mkdir "$M/$n256"
sn_expect_errno ENAMETOOLONG rename "$M/file" "$M/$n256"
sn_expect_errno ENAMETOOLONG symlink "$M/$n256" x
# the VFS answers ERANGE for an xattr name over 255 bytes
sn_expect_errno ERANGE setxattr "$M/file" "user.$(printf 'a%.0s' $(seq 1 300))" v
sn_expect_errno ok unlink "$M/$n255"

# ENOENT
for op in stat lstat open unlink rmdir readlink readdir getxattr listxattr chmod truncate; do
	case $op in getxattr) a=(user.x) ;; chmod) a=(0644) ;; truncate) a=(0) ;; *) a=() ;; esac
	sn_expect_same $op @/missing "${a[@]}"
	sn_expect_errno ENOENT $op "$M/missing" "${a[@]}"
done
sn_expect_errno ENOENT stat "$M/missing/deeper"
sn_expect_errno ENOENT rename "$M/missing" "$M/other"
sn_expect_errno ENOENT link "$M/missing" "$M/other"
sn_expect_errno ENOENT creat "$M/missing/file"
sn_expect_errno ENOENT stat "$M/dangling"
sn_expect_same stat @/dangling

# EEXIST
sn_expect_errno EEXIST mkdir "$M/dir"
sn_expect_errno EEXIST open "$M/file" "wronly|creat|excl"
sn_expect_errno EEXIST link "$M/file" "$M/dir/file"
sn_expect_errno EEXIST symlink "$M/file" target
sn_expect_errno EEXIST mknod-fifo "$M/file"
sn_expect_same mkdir @/dir

# ENOTEMPTY / ENOTDIR / EISDIR
sn_expect_errno ENOTEMPTY rmdir "$M/dir"
sn_expect_same rmdir @/dir
sn_expect_errno ENOTEMPTY rename "$M/empty" "$M/dir"
sn_expect_same rename @/empty @/dir
sn_expect_errno ENOTDIR stat "$M/file/x"
sn_expect_errno ENOTDIR rmdir "$M/file"
sn_expect_errno ENOTDIR rename "$M/dir" "$M/file"
sn_expect_errno ENOTDIR open "$M/file" directory
sn_expect_errno EISDIR open "$M/dir" wronly
sn_expect_errno EISDIR rename "$M/file" "$M/dir"
sn_expect_errno EISDIR unlink "$M/dir"
sn_expect_same unlink @/dir
sn_expect_errno EINVAL rename "$M/dir" "$M/dir/sub/into-itself"
sn_expect_same rename @/dir @/dir/sub/into-itself
sn_expect_errno EINVAL readlink "$M/file"

# ELOOP
sn_expect_errno ELOOP stat "$M/loop1"
sn_expect_same stat @/loop1
sn_expect_errno ELOOP open "$M/loop1"
sn_expect_errno ELOOP open "$M/dangling" "rdonly|nofollow"
sn_expect_same open @/dangling "rdonly|nofollow"

# EXDEV: across the mount boundary, and between two mounts of one source
sn_expect_errno EXDEV rename "$M/file" "$SN_TMP/moved"
sn_expect_errno EXDEV link "$M/file" "$SN_TMP/linked"
sn_expect_errno EXDEV rename "$SN_TMP" "$M/x" 2>/dev/null
first=$M
sn_mount --src "$S"
sn_expect_errno EXDEV rename "$first/file" "$SN_MNT/file2"
sn_expect_errno EXDEV link "$first/file" "$SN_MNT/file2"
sn_expect_errno ok stat "$first/file"
sn_umount "$SN_MNT"
sn_check_inodes_left
sn_check "daemon alive" kill -0 "${_SN_PIDS[0]}"
sn_umount "$first"
sn_check_inodes_left

# a read-only mount (-o ro): every modification is EROFS, reads work
sn_mount --src "$S" -o ro
M=$SN_MNT
sn_eq "ro: reads work" y "$(sn_run cat "$M/file")"
sn_expect_errno EROFS creat "$M/new"
sn_expect_errno EROFS open "$M/file" wronly
sn_expect_errno EROFS mkdir "$M/newdir"
sn_expect_errno EROFS unlink "$M/file"
sn_expect_errno EROFS rmdir "$M/empty"
sn_expect_errno EROFS rename "$M/file" "$M/file2"
sn_expect_errno EROFS chmod "$M/file" 0600
sn_expect_errno EROFS truncate "$M/file" 0
sn_expect_errno EROFS setxattr "$M/file" user.x v
sn_expect_errno EROFS symlink "$M/sl" target
sn_eq "ro: source untouched" "y" "$(cat "$S/file")"
sn_umount
sn_check_inodes_left
sn_done
