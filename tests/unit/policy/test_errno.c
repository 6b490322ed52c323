/* tests/unit/policy/test_errno.c — errno names, per-op errno tables, groups.
 *
 * Names are checked against <errno.h> for every number Linux defines; the
 * per-op table is spot-checked against the man pages it cites and against
 * the errno matrix the integration tests inject.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy/policy.h"

#define OP(x) (UINT64_C(1) << INJ_OP_##x)
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *name;
    int num;
} names[] = {
#define E(n)                                                                   \
    {                                                                          \
#n, n                                                                  \
    }
    E(EPERM),      E(ENOENT),     E(ESRCH),           E(EINTR),
    E(EIO),        E(ENXIO),      E(E2BIG),           E(ENOEXEC),
    E(EBADF),      E(ECHILD),     E(EAGAIN),          E(ENOMEM),
    E(EACCES),     E(EFAULT),     E(ENOTBLK),         E(EBUSY),
    E(EEXIST),     E(EXDEV),      E(ENODEV),          E(ENOTDIR),
    E(EISDIR),     E(EINVAL),     E(ENFILE),          E(EMFILE),
    E(ENOTTY),     E(ETXTBSY),    E(EFBIG),           E(ENOSPC),
    E(ESPIPE),     E(EROFS),      E(EMLINK),          E(EPIPE),
    E(EDOM),       E(ERANGE),     E(EDEADLK),         E(ENAMETOOLONG),
    E(ENOLCK),     E(ENOSYS),     E(ENOTEMPTY),       E(ELOOP),
    E(ENOMSG),     E(EIDRM),      E(ENODATA),         E(EOVERFLOW),
    E(EBADMSG),    E(EILSEQ),     E(ENOTSOCK),        E(EOPNOTSUPP),
    E(ECONNRESET), E(ETIMEDOUT),  E(ESTALE),          E(EUCLEAN),
    E(EREMOTEIO),  E(EDQUOT),     E(ENOMEDIUM),       E(ECANCELED),
    E(ENOKEY),     E(EOWNERDEAD), E(ENOTRECOVERABLE), E(ERFKILL),
    E(EHWPOISON),
#undef E
};

static void test_names_known(void **state)
{
    for (size_t i = 0; i < N(names); i++) {
        assert_int_equal(pol_errno_from_name(names[i].name), names[i].num);
        assert_string_equal(pol_errno_name(names[i].num), names[i].name);
    }
}

static void test_names_all_numbers(void **state)
{
    unsigned defined = 0;

    /* Linux numbers errnos densely from 1 to EHWPOISON, except 41 and 58 */
    for (int e = 1; e <= EHWPOISON; e++) {
        const char *name = pol_errno_name(e);

        if (e == 41 || e == 58) {
            assert_null(name);
            continue;
        }
        assert_non_null(name);
        assert_int_equal(pol_errno_from_name(name), e);
        assert_true(name[0] == 'E');
        defined++;
    }
    assert_int_equal(defined, EHWPOISON - 2);
    assert_null(pol_errno_name(0));
    assert_null(pol_errno_name(-5));
    assert_null(pol_errno_name(EHWPOISON + 1));
    assert_null(pol_errno_name(4095));
}

static void test_names_aliases(void **state)
{
    assert_int_equal(pol_errno_from_name("EWOULDBLOCK"), EAGAIN);
    assert_int_equal(pol_errno_from_name("EDEADLOCK"), EDEADLK);
    assert_int_equal(pol_errno_from_name("ENOTSUP"), EOPNOTSUPP);
    /* numbers map back to the primary name */
    assert_string_equal(pol_errno_name(EAGAIN), "EAGAIN");
    assert_string_equal(pol_errno_name(EDEADLK), "EDEADLK");
    assert_string_equal(pol_errno_name(EOPNOTSUPP), "EOPNOTSUPP");
    assert_int_equal(pol_errno_from_name("eio"), -1);
    assert_int_equal(pol_errno_from_name(""), -1);
    assert_int_equal(pol_errno_from_name("EIO "), -1);
    assert_int_equal(pol_errno_from_name(NULL), -1);
}

static void test_every_op_allows_common(void **state)
{
    for (int op = 0; op < INJ_OP_COUNT; op++) {
        assert_true(pol_errno_valid_for_op((enum inj_op)op, EIO));
        assert_true(pol_errno_valid_for_op((enum inj_op)op, EINTR));
        assert_true(pol_errno_valid_for_op((enum inj_op)op, ESTALE));
        /* FUSE turns ENOSYS into "op unimplemented" for the mount */
        assert_false(pol_errno_valid_for_op((enum inj_op)op, ENOSYS));
        assert_false(pol_errno_valid_for_op((enum inj_op)op, 0));
        assert_false(pol_errno_valid_for_op((enum inj_op)op, -EIO));
        assert_false(pol_errno_valid_for_op((enum inj_op)op, 4095));
    }
    assert_false(pol_errno_valid_for_op(INJ_OP_COUNT, EIO));
    assert_false(pol_errno_valid_for_op((enum inj_op) - 1, EIO));
}

/* Which ops accept err: exactly mask. */
static void assert_ops_for(int err, uint64_t mask)
{
    for (int op = 0; op < INJ_OP_COUNT; op++) {
        bool want = (mask >> op) & 1;

        if (pol_errno_valid_for_op((enum inj_op)op, err) != want)
            fail_msg("%s on %s: got %d, want %d", pol_errno_name(err),
                     inj_op_name((enum inj_op)op), !want, want);
    }
}

static void test_matrix(void **state)
{
    /* Only rmdir and rename can find a directory not empty. */
    assert_ops_for(ENOTEMPTY, OP(RMDIR) | OP(RENAME));
    /* Space runs out where something is allocated, and close/fsync report
     * it for filesystems that allocate late (close(2), fsync(2)). */
    uint64_t alloc = OP(WRITE) | OP(CREATE) | OP(MKDIR) | OP(MKNOD) |
                     OP(SYMLINK) | OP(LINK) | OP(RENAME) | OP(SETXATTR) |
                     OP(FALLOCATE) | OP(COPY_FILE_RANGE) | OP(SETATTR) |
                     OP(FLUSH) | OP(FSYNC) | OP(FSYNCDIR);
    assert_ops_for(ENOSPC, alloc);
    assert_ops_for(EDQUOT, alloc);
    /* Names come into being at create, mkdir, mknod, symlink, link and
     * rename; setxattr(XATTR_CREATE); rmdir per POSIX. */
    assert_ops_for(EEXIST, OP(CREATE) | OP(MKDIR) | OP(MKNOD) | OP(SYMLINK) |
                               OP(LINK) | OP(RENAME) | OP(SETXATTR) |
                               OP(RMDIR));
    assert_ops_for(EBUSY,
                   OP(OPEN) | OP(CREATE) | OP(UNLINK) | OP(RMDIR) | OP(RENAME));
    assert_ops_for(EXDEV, OP(RENAME) | OP(LINK) | OP(COPY_FILE_RANGE));
    assert_ops_for(EMLINK, OP(MKDIR) | OP(RENAME) | OP(LINK));
    assert_ops_for(ENODATA, OP(SETXATTR) | OP(GETXATTR) | OP(REMOVEXATTR));
    assert_ops_for(ERANGE, OP(SETXATTR) | OP(GETXATTR) | OP(LISTXATTR));
    assert_ops_for(ENOLCK, OP(GETLK) | OP(SETLK) | OP(FLOCK));
    assert_ops_for(EDEADLK, OP(SETLK));
    assert_ops_for(ENXIO,
                   OP(OPEN) | OP(CREATE) | OP(READ) | OP(WRITE) | OP(LSEEK));
    assert_ops_for(ESPIPE, OP(READ) | OP(WRITE) | OP(FSYNC) | OP(FALLOCATE) |
                               OP(LSEEK));
    assert_ops_for(EMFILE, OP(OPEN) | OP(CREATE) | OP(OPENDIR));
}

static void test_spot_checks(void **state)
{
    /* read(2) */
    assert_true(pol_errno_valid_for_op(INJ_OP_READ, EAGAIN));
    assert_true(pol_errno_valid_for_op(INJ_OP_READ, EISDIR));
    assert_true(pol_errno_valid_for_op(INJ_OP_READ, EPERM)); /* fanotify */
    assert_false(pol_errno_valid_for_op(INJ_OP_READ, ENOENT));
    assert_false(pol_errno_valid_for_op(INJ_OP_READ, EACCES));
    assert_false(pol_errno_valid_for_op(INJ_OP_READ, EROFS));
    /* write(2): EROFS after remount-ro, never EPIPE on a file */
    assert_true(pol_errno_valid_for_op(INJ_OP_WRITE, EROFS));
    assert_true(pol_errno_valid_for_op(INJ_OP_WRITE, EFBIG));
    assert_false(pol_errno_valid_for_op(INJ_OP_WRITE, EPIPE));
    assert_false(pol_errno_valid_for_op(INJ_OP_WRITE, EISDIR));
    /* fsync(2) */
    assert_true(pol_errno_valid_for_op(INJ_OP_FSYNC, EROFS));
    assert_true(pol_errno_valid_for_op(INJ_OP_FSYNC, EINVAL));
    assert_false(pol_errno_valid_for_op(INJ_OP_FSYNC, EISDIR));
    assert_false(pol_errno_valid_for_op(INJ_OP_FSYNC, EACCES));
    /* open without O_CREAT never creates */
    assert_false(pol_errno_valid_for_op(INJ_OP_OPEN, EEXIST));
    assert_true(pol_errno_valid_for_op(INJ_OP_OPEN, ETXTBSY));
    assert_true(pol_errno_valid_for_op(INJ_OP_CREATE, EEXIST));
    /* path walks */
    assert_true(pol_errno_valid_for_op(INJ_OP_LOOKUP, ENOENT));
    assert_true(pol_errno_valid_for_op(INJ_OP_LOOKUP, EACCES));
    assert_false(pol_errno_valid_for_op(INJ_OP_LOOKUP, EPERM));
    assert_false(pol_errno_valid_for_op(INJ_OP_LOOKUP, EROFS));
    assert_true(pol_errno_valid_for_op(INJ_OP_UNLINK, EISDIR));
    assert_true(pol_errno_valid_for_op(INJ_OP_READLINK, EINVAL));
    assert_true(pol_errno_valid_for_op(INJ_OP_SETATTR, EPERM));
    assert_true(pol_errno_valid_for_op(INJ_OP_ACCESS, EROFS));
    assert_true(pol_errno_valid_for_op(INJ_OP_STATFS, EOVERFLOW));
    assert_true(pol_errno_valid_for_op(INJ_OP_GETXATTR, EOPNOTSUPP));
    assert_true(pol_errno_valid_for_op(INJ_OP_FLOCK, EWOULDBLOCK));
    assert_true(pol_errno_valid_for_op(INJ_OP_READDIR, ENOENT));
    assert_false(pol_errno_valid_for_op(INJ_OP_RELEASE, EACCES));
}

static void test_groups(void **state)
{
    assert_int_equal(pol_group_mask("all"), INJ_OP_MASK_ALL);
    assert_int_equal(pol_group_mask("data"), OP(READ) | OP(WRITE) |
                                                 OP(FALLOCATE) |
                                                 OP(COPY_FILE_RANGE));
    assert_int_equal(pol_group_mask("sync"),
                     OP(FSYNC) | OP(FSYNCDIR) | OP(FLUSH));
    assert_int_equal(pol_group_mask("namespace"),
                     OP(LOOKUP) | OP(MKNOD) | OP(MKDIR) | OP(UNLINK) |
                         OP(RMDIR) | OP(SYMLINK) | OP(RENAME) | OP(LINK) |
                         OP(CREATE));
    assert_int_equal(pol_group_mask("attr"),
                     OP(GETATTR) | OP(SETATTR) | OP(ACCESS));
    assert_int_equal(pol_group_mask("xattr"), OP(SETXATTR) | OP(GETXATTR) |
                                                  OP(LISTXATTR) |
                                                  OP(REMOVEXATTR));
    assert_int_equal(pol_group_mask("dir"), OP(OPENDIR) | OP(READDIR) |
                                                OP(RELEASEDIR) | OP(FSYNCDIR) |
                                                OP(MKDIR) | OP(RMDIR));
    assert_int_equal(pol_group_mask("read"), 0);
    assert_int_equal(pol_group_mask("ALL"), 0);
    assert_int_equal(pol_group_mask(""), 0);
    assert_int_equal(pol_group_mask(NULL), 0);
    /* no group shares a name with an op */
    for (int op = 0; op < INJ_OP_COUNT; op++)
        assert_int_equal(pol_group_mask(inj_op_name((enum inj_op)op)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_known),
        cmocka_unit_test(test_names_all_numbers),
        cmocka_unit_test(test_names_aliases),
        cmocka_unit_test(test_every_op_allows_common),
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_spot_checks),
        cmocka_unit_test(test_groups),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
