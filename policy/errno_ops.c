/* policy/errno_ops.c — which errnos an application can really get from each op.
 *
 * The rule for every row: the union of the ERRORS sections of the man pages
 * (man-pages 6.03) of the syscalls whose work reaches that FUSE op, plus
 * COMMON (below), minus errors whose man-page condition cannot arise at
 * that op (EEXIST on a plain open, which never creates: a creating open
 * arrives as create) and errors about objects a FUSE file is never (EPIPE,
 * EDESTADDRREQ: pipes and sockets). Each exception is commented at its row.
 *
 * ENOSYS is in no row: a FUSE daemon answering ENOSYS tells the kernel the
 * op is unimplemented, and for most ops the kernel then stops sending it
 * for the whole mount (and fakes success or falls back), so an application
 * would not see it and later rules would silently stop matching.
 *
 * release and releasedir get only COMMON: the kernel sends them after the
 * last close and reports their answer to no one, so an injected errno there
 * only tests the daemon's own cleanup; COMMON keeps "all:error=EIO" valid.
 *
 * A rule can inject anything else with :force; this table exists to catch
 * nonsense such as ENOTEMPTY on read or EISDIR on fsync.
 */
#include <errno.h>

#include "pol_internal.h"

/* Any request can fail in the backing store (EIO), be interrupted by a
 * signal while it waits (EINTR: the kernel aborts interruptible FUSE
 * requests), or, on a network backing store, find its handle stale. */
#define COMMON EIO, EINTR, ESTALE

/* The path errors stat(2) lists, which the xattr man pages inherit
 * ("the errors documented in stat(2) can also occur"). */
#define STAT_ERRS                                                              \
    EACCES, EBADF, EFAULT, ELOOP, ENAMETOOLONG, ENOENT, ENOMEM, ENOTDIR

/* open(2) without the O_CREAT-only errors (EEXIST, ENOSPC, EDQUOT). */
#define OPEN_ERRS                                                              \
    EACCES, EAGAIN, EBADF, EBUSY, EFAULT, EFBIG, EINVAL, EISDIR, ELOOP,        \
        EMFILE, ENAMETOOLONG, ENFILE, ENODEV, ENOENT, ENOMEM, ENOTDIR, ENXIO,  \
        EOPNOTSUPP, EOVERFLOW, EPERM, EROFS, ETXTBSY

struct op_errnos {
    const char *manref;
    const int *errs; /* 0-terminated */
};

#define ROW(op, man, ...) [INJ_OP_##op] = {man, (const int[]){__VA_ARGS__, 0}}

static const struct op_errnos op_table[INJ_OP_COUNT] = {
    /* Every path walk: only the resolution errors (path_resolution(7)),
     * plus EOVERFLOW for the attributes a lookup returns. */
    ROW(LOOKUP, "path_resolution(7), stat(2)", COMMON, EACCES, ELOOP,
        ENAMETOOLONG, ENOENT, ENOMEM, ENOTDIR, EOVERFLOW),
    ROW(GETATTR, "stat(2), statx(2)", COMMON, STAT_ERRS, EINVAL, EOVERFLOW),
    /* chmod, chown, truncate, utimensat all arrive as setattr. A truncate
     * that grows a file, or a chown that moves quota, can run out of space
     * on filesystems that allocate eagerly: ENOSPC, EDQUOT. */
    ROW(SETATTR, "chmod(2), chown(2), truncate(2), utimensat(2)", COMMON,
        STAT_ERRS, EFBIG, EINVAL, EISDIR, EOPNOTSUPP, EPERM, EROFS, ETXTBSY,
        ENOSPC, EDQUOT),
    ROW(READLINK, "readlink(2)", COMMON, STAT_ERRS, EINVAL),
    ROW(MKNOD, "mknod(2)", COMMON, STAT_ERRS, EDQUOT, EEXIST, EINVAL, ENOSPC,
        EPERM, EROFS),
    ROW(MKDIR, "mkdir(2)", COMMON, STAT_ERRS, EDQUOT, EEXIST, EINVAL, EMLINK,
        ENOSPC, EPERM, EROFS),
    ROW(UNLINK, "unlink(2)", COMMON, STAT_ERRS, EBUSY, EINVAL, EISDIR, EPERM,
        EROFS),
    /* rmdir(2): "POSIX.1 also allows EEXIST" for a non-empty directory. */
    ROW(RMDIR, "rmdir(2)", COMMON, STAT_ERRS, EBUSY, EEXIST, EINVAL, ENOTEMPTY,
        EPERM, EROFS),
    ROW(SYMLINK, "symlink(2)", COMMON, STAT_ERRS, EDQUOT, EEXIST, ENOSPC, EPERM,
        EROFS),
    /* rename(2) and renameat2(2): EEXIST for RENAME_NOREPLACE. */
    ROW(RENAME, "rename(2)", COMMON, STAT_ERRS, EBUSY, EDQUOT, EEXIST, EINVAL,
        EISDIR, EMLINK, ENOSPC, ENOTEMPTY, EPERM, EROFS, EXDEV),
    ROW(LINK, "link(2)", COMMON, STAT_ERRS, EDQUOT, EEXIST, EINVAL, EMLINK,
        ENOSPC, EPERM, EROFS, EXDEV),
    ROW(OPEN, "open(2)", COMMON, OPEN_ERRS),
    /* read(2), pread(2) (which adds lseek(2)'s errors), readv(2),
     * preadv2(2); EPERM is what a fanotify(7) permission event that denies
     * FAN_ACCESS_PERM returns. */
    ROW(READ, "read(2), pread(2), readv(2), fanotify(7)", COMMON, EAGAIN, EBADF,
        EFAULT, EINVAL, EISDIR, ENXIO, EOPNOTSUPP, EOVERFLOW, EPERM, ESPIPE),
    /* write(2), pwrite(2), writev(2), pwritev2(2), less EPIPE and
     * EDESTADDRREQ (pipes, sockets). EROFS: a filesystem that remounts
     * itself read-only after an error (ext4 errors=remount-ro) fails the
     * writes that follow with EROFS. */
    ROW(WRITE, "write(2), pwrite(2), writev(2)", COMMON, EAGAIN, EBADF, EDQUOT,
        EFAULT, EFBIG, EINVAL, ENOSPC, ENXIO, EOPNOTSUPP, EOVERFLOW, EPERM,
        EROFS, ESPIPE),
    /* close(2): "on NFS, ENOSPC and EDQUOT are reported against ... close". */
    ROW(FLUSH, "close(2)", COMMON, EBADF, ENOSPC, EDQUOT),
    ROW(RELEASE, "close(2) (the kernel ignores release's answer)", COMMON),
    /* fsync(2), fdatasync(2), sync_file_range(2). */
    ROW(FSYNC, "fsync(2), fdatasync(2), sync_file_range(2)", COMMON, EBADF,
        EDQUOT, EINVAL, ENOMEM, ENOSPC, EROFS, ESPIPE),
    ROW(OPENDIR, "opendir(3), open(2)", COMMON, EACCES, EBADF, EMFILE, ENFILE,
        ENOENT, ENOMEM, ENOTDIR, EPERM),
    ROW(READDIR, "getdents(2), readdir(3)", COMMON, EBADF, EFAULT, EINVAL,
        ENOENT, ENOTDIR),
    ROW(RELEASEDIR, "closedir(3) (the kernel ignores releasedir's answer)",
        COMMON),
    ROW(FSYNCDIR, "fsync(2) on a directory", COMMON, EBADF, EDQUOT, EINVAL,
        ENOSPC, EROFS),
    ROW(STATFS, "statfs(2), fstatfs(2)", COMMON, STAT_ERRS, EOVERFLOW),
    /* setxattr(2) + stat(2). E2BIG: the VFS limit on a value's size;
     * EINVAL: bad flags; EROFS: every modifying call on a read-only mount. */
    ROW(SETXATTR, "setxattr(2)", COMMON, STAT_ERRS, E2BIG, EDQUOT, EEXIST,
        EINVAL, ENODATA, ENOSPC, EOPNOTSUPP, EPERM, ERANGE, EROFS),
    ROW(GETXATTR, "getxattr(2)", COMMON, STAT_ERRS, E2BIG, ENODATA, EOPNOTSUPP,
        ERANGE),
    ROW(LISTXATTR, "listxattr(2)", COMMON, STAT_ERRS, E2BIG, EOPNOTSUPP,
        ERANGE),
    ROW(REMOVEXATTR, "removexattr(2)", COMMON, STAT_ERRS, ENODATA, EOPNOTSUPP,
        EPERM, EROFS),
    ROW(ACCESS, "access(2), faccessat(2)", COMMON, STAT_ERRS, EINVAL, EPERM,
        EROFS, ETXTBSY),
    /* A creating open: all of open(2). */
    ROW(CREATE, "open(2) with O_CREAT, creat(2)", COMMON, OPEN_ERRS, EDQUOT,
        EEXIST, ENOSPC),
    ROW(GETLK, "fcntl(2) F_GETLK", COMMON, EBADF, EFAULT, EINVAL, ENOLCK),
    ROW(SETLK, "fcntl(2) F_SETLK/F_SETLKW, lockf(3)", COMMON, EACCES, EAGAIN,
        EBADF, EDEADLK, EFAULT, EINVAL, ENOLCK),
    ROW(FLOCK, "flock(2)", COMMON, EBADF, EINVAL, ENOLCK, EWOULDBLOCK),
    /* fallocate(2), posix_fallocate(3); EDQUOT: allocation is charged to
     * quota like any write. */
    ROW(FALLOCATE, "fallocate(2), posix_fallocate(3)", COMMON, EBADF, EDQUOT,
        EFBIG, EINVAL, ENODEV, ENOSPC, EOPNOTSUPP, EPERM, ESPIPE, ETXTBSY),
    ROW(COPY_FILE_RANGE, "copy_file_range(2)", COMMON, EBADF, EDQUOT, EFBIG,
        EINVAL, EISDIR, ENOMEM, ENOSPC, EOPNOTSUPP, EOVERFLOW, EPERM, ETXTBSY,
        EXDEV),
    ROW(LSEEK, "lseek(2)", COMMON, EBADF, EINVAL, ENXIO, EOVERFLOW, ESPIPE),
};

#undef ROW

bool pol_errno_valid_for_op(enum inj_op op, int err)
{
    if ((unsigned)op >= INJ_OP_COUNT || err <= 0)
        return false;
    for (const int *e = op_table[op].errs; *e; e++)
        if (*e == err)
            return true;
    return false;
}

const char *pol_op_manref(enum inj_op op)
{
    if ((unsigned)op >= INJ_OP_COUNT)
        return "?";
    return op_table[op].manref;
}
