/* tests/unit/policy/test_parse.c — the rule parser, table-driven.
 *
 * Every good row states the whole spec it must produce (fields a row does
 * not name must be zero, and flags_accmode -1 unless flags= is given), and
 * is re-parsed from the spec's own text to the same spec (round trip).
 * Every bad row states the line, column, token and a substring of the
 * message; single-line bad rows are checked through pol_parse_rule too.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/policy.h"

#define OP(x) (UINT64_C(1) << INJ_OP_##x)
#define ERR INJ_ACT_ERROR
#define DELAY INJ_ACT_DELAY
#define SHORT INJ_ACT_SHORT
#define CORRUPT INJ_ACT_CORRUPT
#define HANG INJ_ACT_HANG
#define LIE INJ_ACT_LIE
#define SELFIO INJ_ACT_SELFIO
#define OPEN_END INJ_WHEN_OPEN
#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

#define DATA (OP(READ) | OP(WRITE) | OP(FALLOCATE) | OP(COPY_FILE_RANGE))
#define SYNC (OP(FSYNC) | OP(FSYNCDIR) | OP(FLUSH))
#define NAMESPACE                                                              \
    (OP(LOOKUP) | OP(MKNOD) | OP(MKDIR) | OP(UNLINK) | OP(RMDIR) |             \
     OP(SYMLINK) | OP(RENAME) | OP(LINK) | OP(CREATE))
#define ATTR (OP(GETATTR) | OP(SETATTR) | OP(ACCESS))
#define XATTR (OP(SETXATTR) | OP(GETXATTR) | OP(LISTXATTR) | OP(REMOVEXATTR))
#define DIR                                                                    \
    (OP(OPENDIR) | OP(READDIR) | OP(RELEASEDIR) | OP(FSYNCDIR) | OP(MKDIR) |   \
     OP(RMDIR))

struct good_row {
    const char *text;
    struct inj_rule_spec want;
};

#define GOOD(txt, ...)                                                         \
    {                                                                          \
        txt,                                                                   \
        {                                                                      \
            __VA_ARGS__                                                        \
        }                                                                      \
    }
#define WHEN(a, b, c)                                                          \
    .has_when = true, .when_first = a, .when_last = b, .when_step = c
#define ERRNOS(...)                                                            \
    .actions = ERR, .errnos = {__VA_ARGS__},                                   \
    .n_errnos = sizeof((int[]){__VA_ARGS__}) / sizeof(int)
#define FLAGS(all, acc)                                                        \
    .has_flags = true, .flags_all = all, .flags_accmode = acc
#define RANGE(a, b)                                                            \
    {                                                                          \
        a, b                                                                   \
    }

static const struct good_row good[] = {
    /* the examples of DESIGN.md */
    GOOD("write,create,mkdir,fallocate:path=/db/**:after=10MiB:error=ENOSPC",
         .ops = OP(WRITE) | OP(CREATE) | OP(MKDIR) | OP(FALLOCATE),
         .path_glob = "/db/**", .has_after = true, .after_bytes = 10u << 20,
         ERRNOS(ENOSPC)),
    GOOD("fsync:path=/db/*.wal:when=3+3:error=EIO", .ops = OP(FSYNC),
         .path_glob = "/db/*.wal", WHEN(3, OPEN_END, 3), ERRNOS(EIO)),
    GOOD("read:comm=postgres:prob=5%:delay=50ms..200ms", .ops = OP(READ),
         .comm_glob = "postgres", .has_prob = true, .prob = 0.05,
         .actions = DELAY, .delay_min_ns = 50 * MS, .delay_max_ns = 200 * MS),
    /* ops and groups */
    GOOD("read:error=EIO", .ops = OP(READ), ERRNOS(EIO)),
    GOOD("all:error=EIO", .ops = INJ_OP_MASK_ALL, ERRNOS(EIO)),
    GOOD("all:error=EINTR", .ops = INJ_OP_MASK_ALL, ERRNOS(EINTR)),
    GOOD("all:error=ESTALE", .ops = INJ_OP_MASK_ALL, ERRNOS(ESTALE)),
    GOOD("data:delay=10ms", .ops = DATA, .actions = DELAY,
         .delay_min_ns = 10 * MS, .delay_max_ns = 10 * MS),
    GOOD("sync:error=EIO", .ops = SYNC, ERRNOS(EIO)),
    GOOD("sync:error=ENOSPC", .ops = SYNC, ERRNOS(ENOSPC)),
    GOOD("namespace:error=EACCES", .ops = NAMESPACE, ERRNOS(EACCES)),
    GOOD("attr:error=EACCES", .ops = ATTR, ERRNOS(EACCES)),
    GOOD("xattr:error=EOPNOTSUPP", .ops = XATTR, ERRNOS(EOPNOTSUPP)),
    GOOD("dir:hang", .ops = DIR, .actions = HANG),
    GOOD("sync,dir:hang", .ops = SYNC | DIR, .actions = HANG),
    GOOD("data,read:hang", .ops = DATA, .actions = HANG),
    GOOD("read,write:error=EIO,EINTR", .ops = OP(READ) | OP(WRITE),
         ERRNOS(EIO, EINTR)),
    GOOD("lookup,getattr,setattr,readlink:error=ENOENT",
         .ops = OP(LOOKUP) | OP(GETATTR) | OP(SETATTR) | OP(READLINK),
         ERRNOS(ENOENT)),
    GOOD("flock:error=EINTR", .ops = OP(FLOCK), ERRNOS(EINTR)),
    GOOD("release,releasedir:error=EIO", .ops = OP(RELEASE) | OP(RELEASEDIR),
         ERRNOS(EIO)),
    /* filters */
    GOOD("create:flags=O_CREAT|O_TRUNC|O_WRONLY:error=EDQUOT",
         .ops = OP(CREATE), FLAGS(O_CREAT | O_TRUNC, O_WRONLY), ERRNOS(EDQUOT)),
    GOOD("open:flags=O_RDONLY:error=EPERM", .ops = OP(OPEN), FLAGS(0, O_RDONLY),
         ERRNOS(EPERM)),
    GOOD("opendir:flags=O_DIRECTORY|O_NOFOLLOW:error=EACCES",
         .ops = OP(OPENDIR), FLAGS(O_DIRECTORY | O_NOFOLLOW, -1),
         ERRNOS(EACCES)),
    GOOD("open,create:flags=O_RDWR|O_APPEND:delay=1ms",
         .ops = OP(OPEN) | OP(CREATE), FLAGS(O_APPEND, O_RDWR),
         .actions = DELAY, .delay_min_ns = MS, .delay_max_ns = MS),
    GOOD("open:flags=O_SYNC|O_DIRECT|O_NOATIME|O_CLOEXEC:hang", .ops = OP(OPEN),
         FLAGS(O_SYNC | O_DIRECT | O_NOATIME | O_CLOEXEC, -1), .actions = HANG),
    GOOD("read:offset=4096..8191:error=EIO", .ops = OP(READ),
         .has_offset = true, .offset = RANGE(4096, 8191), ERRNOS(EIO)),
    GOOD("read:offset=1M..:error=EIO", .ops = OP(READ), .has_offset = true,
         .offset = RANGE(1u << 20, UINT64_MAX), ERRNOS(EIO)),
    GOOD("write:size=4K:short=100", .ops = OP(WRITE), .has_size = true,
         .size = RANGE(4096, 4096), .actions = SHORT, .short_bytes = 100),
    GOOD("read:size=0..511:error=EIO", .ops = OP(READ), .has_size = true,
         .size = RANGE(0, 511), ERRNOS(EIO)),
    GOOD("write:size=1..:error=EIO", .ops = OP(WRITE), .has_size = true,
         .size = RANGE(1, UINT64_MAX), ERRNOS(EIO)),
    GOOD("lseek:offset=0..1G:error=ENXIO", .ops = OP(LSEEK), .has_offset = true,
         .offset = RANGE(0, 1u << 30), ERRNOS(ENXIO)),
    GOOD("copy_file_range:offset=0..4K:size=1..1M:error=EXDEV",
         .ops = OP(COPY_FILE_RANGE), .has_offset = true,
         .offset = RANGE(0, 4096), .has_size = true, .size = RANGE(1, 1u << 20),
         ERRNOS(EXDEV)),
    GOOD("read:size=1.5KiB..2MB:hang", .ops = OP(READ), .has_size = true,
         .size = RANGE(1536, 2000000), .actions = HANG),
    GOOD("read:offset=1T..1P:hang", .ops = OP(READ), .has_offset = true,
         .offset = RANGE(UINT64_C(1) << 40, UINT64_C(1) << 50),
         .actions = HANG),
    GOOD("read:offset=15EiB:hang", .ops = OP(READ), .has_offset = true,
         .offset = RANGE(UINT64_C(15) << 60, UINT64_C(15) << 60),
         .actions = HANG),
    GOOD("read:size=18446744073709551615:hang", .ops = OP(READ),
         .has_size = true, .size = RANGE(UINT64_MAX, UINT64_MAX),
         .actions = HANG),
    GOOD("read:pid=1234:error=EIO", .ops = OP(READ), .has_pid = true,
         .pid = 1234, ERRNOS(EIO)),
    GOOD("read:uid=0:gid=0:error=EIO", .ops = OP(READ), .has_uid = true,
         .has_gid = true, ERRNOS(EIO)),
    GOOD("read:uid=4294967294:gid=1000:error=EIO", .ops = OP(READ),
         .has_uid = true, .uid = 4294967294u, .has_gid = true, .gid = 1000,
         ERRNOS(EIO)),
    GOOD("read:pid=4194304:hang", .ops = OP(READ), .has_pid = true,
         .pid = 4194304, .actions = HANG),
    GOOD("read:pid=0:hang", .ops = OP(READ), .has_pid = true, .pid = 0,
         .actions = HANG),
    GOOD("read:path=/:error=EIO", .ops = OP(READ), .path_glob = "/",
         ERRNOS(EIO)),
    GOOD("read:path=/a/[!.]*/b?c:error=EIO", .ops = OP(READ),
         .path_glob = "/a/[!.]*/b?c", ERRNOS(EIO)),
    GOOD("read:path=/**/x.log:error=EIO", .ops = OP(READ),
         .path_glob = "/**/x.log", ERRNOS(EIO)),
    GOOD("read:path=/a/[]]x:error=EIO", .ops = OP(READ), .path_glob = "/a/[]]x",
         ERRNOS(EIO)),
    GOOD("read:path=/a\\#b:error=EIO", .ops = OP(READ), .path_glob = "/a\\#b",
         ERRNOS(EIO)),
    GOOD("read:path=/my\\ dir/*:error=EIO", .ops = OP(READ),
         .path_glob = "/my\\ dir/*", ERRNOS(EIO)),
    GOOD("read:path=/a\\:b=c:error=EIO", .ops = OP(READ),
         .path_glob = "/a\\:b=c", ERRNOS(EIO)),
    GOOD("read:path=/a...b/.x/..y:error=EIO", .ops = OP(READ),
         .path_glob = "/a...b/.x/..y", ERRNOS(EIO)),
    GOOD("read:comm=post*:error=EIO", .ops = OP(READ), .comm_glob = "post*",
         ERRNOS(EIO)),
    GOOD("read:comm=kworker/0\\:1:hang", .ops = OP(READ),
         .comm_glob = "kworker/0\\:1", .actions = HANG),
    GOOD("read:comm=abcdefghijklmno:hang", .ops = OP(READ),
         .comm_glob = "abcdefghijklmno", .actions = HANG),
    GOOD("read:comm=*abcdefghijklmno*:hang", .ops = OP(READ),
         .comm_glob = "*abcdefghijklmno*", .actions = HANG),
    GOOD("read:comm=[a-z]?????????????\\x:hang", .ops = OP(READ),
         .comm_glob = "[a-z]?????????????\\x", .actions = HANG),
    /* triggers */
    GOOD("fsync:when=1:error=EIO", .ops = OP(FSYNC), WHEN(1, 1, 1),
         ERRNOS(EIO)),
    GOOD("fsync:when=2+:error=EIO", .ops = OP(FSYNC), WHEN(2, OPEN_END, 1),
         ERRNOS(EIO)),
    GOOD("fsync:when=3+5:error=EIO", .ops = OP(FSYNC), WHEN(3, OPEN_END, 5),
         ERRNOS(EIO)),
    GOOD("fsync:when=2..4:error=EIO", .ops = OP(FSYNC), WHEN(2, 4, 1),
         ERRNOS(EIO)),
    GOOD("fsync:when=2..10+3:error=EIO", .ops = OP(FSYNC), WHEN(2, 10, 3),
         ERRNOS(EIO)),
    GOOD("fsync:when=5..5:error=EIO", .ops = OP(FSYNC), WHEN(5, 5, 1),
         ERRNOS(EIO)),
    GOOD("fsync:when=5..5+2:error=EIO", .ops = OP(FSYNC), WHEN(5, 5, 2),
         ERRNOS(EIO)),
    GOOD("fsync:when=1..3+:error=EIO", .ops = OP(FSYNC), WHEN(1, 3, 1),
         ERRNOS(EIO)),
    GOOD("fsync:when=007:error=EIO", .ops = OP(FSYNC), WHEN(7, 7, 1),
         ERRNOS(EIO)),
    GOOD("fsync:when=18446744073709551614:error=EIO", .ops = OP(FSYNC),
         WHEN(UINT64_MAX - 1, UINT64_MAX - 1, 1), ERRNOS(EIO)),
    GOOD("read:prob=0:error=EIO", .ops = OP(READ), .has_prob = true,
         .prob = 0.0, ERRNOS(EIO)),
    GOOD("read:prob=1:error=EIO", .ops = OP(READ), .has_prob = true,
         .prob = 1.0, ERRNOS(EIO)),
    GOOD("read:prob=1.000:error=EIO", .ops = OP(READ), .has_prob = true,
         .prob = 1.0, ERRNOS(EIO)),
    GOOD("read:prob=0.25:error=EIO", .ops = OP(READ), .has_prob = true,
         .prob = 0.25, ERRNOS(EIO)),
    GOOD("read:prob=0.1:error=EIO", .ops = OP(READ), .has_prob = true,
         .prob = 0.1, ERRNOS(EIO)),
    GOOD("read:prob=100%:error=EIO", .ops = OP(READ), .has_prob = true,
         .prob = 1.0, ERRNOS(EIO)),
    GOOD("read:prob=0.5%:error=EIO", .ops = OP(READ), .has_prob = true,
         .prob = 0.005, ERRNOS(EIO)),
    GOOD("read:prob=0%:error=EIO", .ops = OP(READ), .has_prob = true,
         .prob = 0.0, ERRNOS(EIO)),
    GOOD("read:prob=0.000000000000001:error=EIO", .ops = OP(READ),
         .has_prob = true, .prob = 1e-15, ERRNOS(EIO)),
    GOOD("write:after=0:error=ENOSPC", .ops = OP(WRITE), .has_after = true,
         .after_bytes = 0, ERRNOS(ENOSPC)),
    GOOD("write:after=1.5KiB:error=ENOSPC", .ops = OP(WRITE), .has_after = true,
         .after_bytes = 1536, ERRNOS(ENOSPC)),
    GOOD("write:after=1KB:error=ENOSPC", .ops = OP(WRITE), .has_after = true,
         .after_bytes = 1000, ERRNOS(ENOSPC)),
    GOOD("write:after=2G:error=EDQUOT", .ops = OP(WRITE), .has_after = true,
         .after_bytes = UINT64_C(1) << 31, ERRNOS(EDQUOT)),
    GOOD("write,create:after=1MB:error=ENOSPC", .ops = OP(WRITE) | OP(CREATE),
         .has_after = true, .after_bytes = 1000000, ERRNOS(ENOSPC)),
    GOOD("mkdir:after=1:error=ENOSPC", .ops = OP(MKDIR), .has_after = true,
         .after_bytes = 1, ERRNOS(ENOSPC)),
    GOOD("write,fsync:after=100B:error=EIO", .ops = OP(WRITE) | OP(FSYNC),
         .has_after = true, .after_bytes = 100, ERRNOS(EIO)),
    GOOD("read:for=30s:error=EIO", .ops = OP(READ), .has_for = true,
         .for_ns = 30 * SEC, ERRNOS(EIO)),
    GOOD("read:for=1.5m:delay=1ms", .ops = OP(READ), .has_for = true,
         .for_ns = 90 * SEC, .actions = DELAY, .delay_min_ns = MS,
         .delay_max_ns = MS),
    GOOD("read:for=2h:hang", .ops = OP(READ), .has_for = true,
         .for_ns = 7200 * SEC, .actions = HANG),
    GOOD("read:error=EIO:when=2:prob=50%:for=1s", .ops = OP(READ),
         WHEN(2, 2, 1), .has_prob = true, .prob = 0.5, .has_for = true,
         .for_ns = SEC, ERRNOS(EIO)),
    /* actions */
    GOOD("read:delay=1ns", .ops = OP(READ), .actions = DELAY, .delay_min_ns = 1,
         .delay_max_ns = 1),
    GOOD("read:delay=0ms..5ms", .ops = OP(READ), .actions = DELAY,
         .delay_min_ns = 0, .delay_max_ns = 5 * MS),
    GOOD("read:delay=100us..1ms", .ops = OP(READ), .actions = DELAY,
         .delay_min_ns = 100000, .delay_max_ns = MS),
    GOOD("read:delay=1h", .ops = OP(READ), .actions = DELAY,
         .delay_min_ns = 3600 * SEC, .delay_max_ns = 3600 * SEC),
    GOOD("read:delay=0.25s", .ops = OP(READ), .actions = DELAY,
         .delay_min_ns = 250 * MS, .delay_max_ns = 250 * MS),
    GOOD("read:short=0", .ops = OP(READ), .actions = SHORT, .short_bytes = 0),
    GOOD("read:short=1", .ops = OP(READ), .actions = SHORT, .short_bytes = 1),
    GOOD("read:short=4KiB", .ops = OP(READ), .actions = SHORT,
         .short_bytes = 4096),
    GOOD("write:short=50%", .ops = OP(WRITE), .actions = SHORT,
         .short_is_pct = true, .short_pct = 50),
    GOOD("copy_file_range:short=0%", .ops = OP(COPY_FILE_RANGE),
         .actions = SHORT, .short_is_pct = true, .short_pct = 0),
    GOOD("read:short=99%", .ops = OP(READ), .actions = SHORT,
         .short_is_pct = true, .short_pct = 99),
    GOOD("read:corrupt=flip", .ops = OP(READ), .actions = CORRUPT,
         .corrupt = INJ_CORRUPT_FLIP),
    GOOD("write:corrupt=zero", .ops = OP(WRITE), .actions = CORRUPT,
         .corrupt = INJ_CORRUPT_ZERO),
    GOOD("read:corrupt=random:prob=1%", .ops = OP(READ), .has_prob = true,
         .prob = 0.01, .actions = CORRUPT, .corrupt = INJ_CORRUPT_RANDOM),
    GOOD("read:short=10:corrupt=flip", .ops = OP(READ),
         .actions = SHORT | CORRUPT, .short_bytes = 10,
         .corrupt = INJ_CORRUPT_FLIP),
    GOOD("write:lie", .ops = OP(WRITE), .actions = LIE),
    GOOD("fsync,fsyncdir,flush:lie", .ops = SYNC, .actions = LIE),
    GOOD("fallocate:lie:delay=1ms", .ops = OP(FALLOCATE),
         .actions = LIE | DELAY, .delay_min_ns = MS, .delay_max_ns = MS),
    GOOD("getattr:hang", .ops = OP(GETATTR), .actions = HANG),
    GOOD("read:hang:for=5s", .ops = OP(READ), .actions = HANG, .has_for = true,
         .for_ns = 5 * SEC),
    GOOD("read:hang:error=EIO", .ops = OP(READ), .actions = HANG | ERR,
         .errnos = {EIO}, .n_errnos = 1),
    GOOD("read:delay=1ms:error=EIO", .ops = OP(READ), .actions = DELAY | ERR,
         .delay_min_ns = MS, .delay_max_ns = MS, .errnos = {EIO},
         .n_errnos = 1),
    GOOD("read:error=EIO:id=my-rule_1.x", .id = "my-rule_1.x", .ops = OP(READ),
         ERRNOS(EIO)),
    GOOD("read:error=EIO:id=r", .id = "r", .ops = OP(READ), ERRNOS(EIO)),
    GOOD("read:error=EIO:id=r1x", .id = "r1x", .ops = OP(READ), ERRNOS(EIO)),
    GOOD("read:error=EIO:id=R1", .id = "R1", .ops = OP(READ), ERRNOS(EIO)),
    GOOD("read:hang:id=a23456789012345678901234567890123456789012345678901"
         "234567890123",
         .id = "a23456789012345678901234567890123456789012345678901234567890"
               "123",
         .ops = OP(READ), .actions = HANG),
    /* errnos */
    GOOD("read:error=5", .ops = OP(READ), ERRNOS(EIO)),
    GOOD("read:error=ENOTEMPTY:force", .ops = OP(READ), ERRNOS(ENOTEMPTY),
         .errno_forced = true),
    GOOD("read:force:error=ENOENT", .ops = OP(READ), ERRNOS(ENOENT),
         .errno_forced = true),
    GOOD("read:error=4095:force", .ops = OP(READ), ERRNOS(4095),
         .errno_forced = true),
    GOOD("read:error=EWOULDBLOCK", .ops = OP(READ), ERRNOS(EAGAIN)),
    GOOD("flock:error=EWOULDBLOCK", .ops = OP(FLOCK), ERRNOS(EAGAIN)),
    GOOD("read:error=EDEADLOCK:force", .ops = OP(READ), ERRNOS(EDEADLK),
         .errno_forced = true),
    GOOD("getxattr:error=ENOTSUP", .ops = OP(GETXATTR), ERRNOS(EOPNOTSUPP)),
    GOOD("write:error=EIO,ENOSPC,EDQUOT,EFBIG", .ops = OP(WRITE),
         ERRNOS(EIO, ENOSPC, EDQUOT, EFBIG)),
    GOOD("read:error=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16:force",
         .ops = OP(READ),
         ERRNOS(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
         .errno_forced = true),
    GOOD("rmdir:error=ENOTEMPTY", .ops = OP(RMDIR), ERRNOS(ENOTEMPTY)),
    GOOD("rmdir:error=EEXIST", .ops = OP(RMDIR), ERRNOS(EEXIST)),
    GOOD("rename:error=EXDEV,ENOTEMPTY,EEXIST,EBUSY", .ops = OP(RENAME),
         ERRNOS(EXDEV, ENOTEMPTY, EEXIST, EBUSY)),
    GOOD("create:error=EEXIST", .ops = OP(CREATE), ERRNOS(EEXIST)),
    GOOD("setxattr:error=EEXIST,ENOSPC,EDQUOT", .ops = OP(SETXATTR),
         ERRNOS(EEXIST, ENOSPC, EDQUOT)),
    GOOD("setattr:error=ENOSPC,EPERM,EROFS", .ops = OP(SETATTR),
         ERRNOS(ENOSPC, EPERM, EROFS)),
    GOOD("flush:error=EDQUOT", .ops = OP(FLUSH), ERRNOS(EDQUOT)),
    GOOD("unlink:error=EBUSY", .ops = OP(UNLINK), ERRNOS(EBUSY)),
    GOOD("statfs:error=EIO", .ops = OP(STATFS), ERRNOS(EIO)),
    GOOD("open:error=EBUSY,EAGAIN,EPERM,EROFS,ENOENT", .ops = OP(OPEN),
         ERRNOS(EBUSY, EAGAIN, EPERM, EROFS, ENOENT)),
    GOOD("flock:error=EAGAIN,EINTR", .ops = OP(FLOCK), ERRNOS(EAGAIN, EINTR)),
    /* selfio= (docs/watchdog.md) */
    GOOD("lookup,getattr:path=/trigger:selfio=stat",
         .ops = OP(LOOKUP) | OP(GETATTR), .path_glob = "/trigger",
         .actions = SELFIO, .selfio = INJ_SELFIO_STAT),
    GOOD("lookup:selfio=lookup", .ops = OP(LOOKUP), .actions = SELFIO,
         .selfio = INJ_SELFIO_LOOKUP),
    GOOD("open:path=/data/x:selfio=open", .ops = OP(OPEN),
         .path_glob = "/data/x", .actions = SELFIO, .selfio = INJ_SELFIO_OPEN),
    GOOD("write:path=/db/*.wal:selfio=write:selfio_size=8MiB", .ops = OP(WRITE),
         .path_glob = "/db/*.wal", .actions = SELFIO,
         .selfio = INJ_SELFIO_WRITE, .selfio_size = 8u << 20),
    GOOD("fsync:selfio=fsync:when=2", .ops = OP(FSYNC), .actions = SELFIO,
         .selfio = INJ_SELFIO_FSYNC, WHEN(2, 2, 1)),
    GOOD("write:selfio=stat:delay=10ms", .ops = OP(WRITE),
         .actions = SELFIO | DELAY, .selfio = INJ_SELFIO_STAT,
         .delay_min_ns = 10 * MS, .delay_max_ns = 10 * MS),
    GOOD("open:selfio=stat:error=EIO", .ops = OP(OPEN),
         .selfio = INJ_SELFIO_STAT, .actions = ERR | SELFIO, .errnos = {EIO},
         .n_errnos = 1),
    /* lexical */
    GOOD("  read:error=EIO  ", .ops = OP(READ), ERRNOS(EIO)),
    GOOD("\tread:error=EIO\r", .ops = OP(READ), ERRNOS(EIO)),
    GOOD("read:error=EIO # trailing comment", .ops = OP(READ), ERRNOS(EIO)),
    GOOD("read:error=EIO#comment:error=EINTR", .ops = OP(READ), ERRNOS(EIO)),
    GOOD("read:path=/x\\ :hang", .ops = OP(READ), .path_glob = "/x\\ ",
         .actions = HANG),
};

struct bad_row {
    const char *text;
    size_t len; /* 0: strlen(text) */
    unsigned line, col;
    const char *token;
    const char *msg;
};

#define BAD(txt, l, c, tok, m)                                                 \
    {                                                                          \
        txt, 0, l, c, tok, m                                                   \
    }

static const struct bad_row bad[] = {
    /* lexical */
    BAD("read: error=EIO", 1, 6, " error=EIO", "blank inside a rule"),
    BAD("read :error=EIO", 1, 1, "read ", "blank inside a rule"),
    BAD("read:path=/a\tb:hang", 1, 6, "path=/a\tb", "blank inside a rule"),
    BAD("read:error=EIO:", 1, 15, ":", "trailing ':'"),
    BAD("read:", 1, 5, ":", "trailing ':'"),
    BAD("read::error=EIO", 1, 6, ":", "empty field"),
    BAD(":error=EIO", 1, 1, ":", "missing op list"),
    BAD("read:error=E\001IO", 1, 13, "\\x01", "control character 0x01"),
    BAD("read:error=EIO\177", 1, 15, "\\x7f", "control character 0x7f"),
    BAD("read:path=/a#b:hang", 1, 1, "read:path=/a", "rule has no action"),
    BAD("read:error=E#IO", 1, 12, "E", "unknown errno"),
    BAD("read:error=EIO:trailing# c", 1, 16, "trailing", "unknown key"),
    /* an escaped blank before a comment is kept: the path is "/x\ " */
    BAD("read:path=/x\\ #c", 1, 1, "read:path=/x\\ ", "rule has no action"),
    /* op list */
    BAD("reed:error=EIO", 1, 1, "reed", "did you mean 'read'?"),
    BAD("read,wirte:error=EIO", 1, 6, "wirte", "did you mean 'write'?"),
    BAD("READ:error=EIO", 1, 1, "READ", "did you mean 'read'?"),
    BAD("al:hang", 1, 1, "al", "did you mean 'all'?"),
    /* getlk/setlk never reach the daemon (POSIX locks stay in the kernel) */
    BAD("getlk:error=EIO", 1, 1, "getlk", "rules on 'getlk' can never fire"),
    BAD("setlk:error=EAGAIN", 1, 1, "setlk",
        "leaves POSIX locks to the kernel"),
    BAD("flock,setlk:hang", 1, 7, "setlk", "rules on 'setlk' can never fire"),
    /* selfio= */
    BAD("lookup:selfio=stats", 1, 15, "stats", "did you mean 'stat'?"),
    BAD("lookup:selfio=mkdir", 1, 15, "mkdir",
        "expected stat, lookup, open, write or fsync"),
    BAD("lookup:selfio", 1, 8, "selfio", "selfio=stat|lookup|open|write|fsync"),
    BAD("write:selfio=stat:selfio_size=1MiB", 1, 19, "selfio_size=1MiB",
        "this rule has no selfio=write"),
    BAD("write:selfio_size=1MiB", 1, 1, "write:selfio_size=1MiB",
        "rule has no action"),
    BAD("write:selfio=write:selfio_size=0", 1, 32, "0",
        "selfio_size must be larger than 0"),
    BAD("write:selfio=write:selfio_size=1Q", 1, 33, "Q", "unknown unit"),
    BAD("write:selfio=stat:selfio=open", 1, 19, "selfio", "duplicate key"),
    BAD("read,xatr:hang", 1, 6, "xatr", "did you mean 'xattr'?"),
    BAD("frobnicate:error=EIO", 1, 1, "frobnicate",
        "unknown op or group; expected an op name"),
    BAD("read,read:error=EIO", 1, 6, "read",
        "duplicate op in the op list (first at column 1)"),
    BAD("data,data:hang", 1, 6, "data", "duplicate op"),
    BAD("read,write,read:hang", 1, 12, "read", "duplicate op"),
    BAD("read,,write:error=EIO", 1, 6, ",", "empty op name"),
    BAD("read,:error=EIO", 1, 5, ",", "empty op name"),
    BAD(",read:error=EIO", 1, 1, ",", "empty op name"),
    BAD("error=EIO", 1, 1, "error=EIO", "expected an op list before"),
    /* keys */
    BAD("read:pth=/a:error=EIO", 1, 6, "pth", "did you mean 'path'?"),
    BAD("read:Error=EIO", 1, 6, "Error", "did you mean 'error'?"),
    BAD("read:erorr=EIO", 1, 6, "erorr", "did you mean 'error'?"),
    BAD("read:bogus=1:error=EIO", 1, 6, "bogus",
        "unknown key; expected a filter"),
    BAD("read:write:error=EIO", 1, 6, "write", "is an op, not a key"),
    BAD("read:data:error=EIO", 1, 6, "data", "is an op, not a key"),
    BAD("read:error=EIO:error=EINTR", 1, 16, "error",
        "duplicate key (first at column 6)"),
    BAD("read:hang:hang", 1, 11, "hang", "duplicate key"),
    BAD("read:path=/a:hang:path=/b", 1, 19, "path", "duplicate key"),
    BAD("read:error", 1, 6, "error", "missing '='; expected error=ERRNO"),
    BAD("read:delay", 1, 6, "delay", "missing '='; expected delay=DURATION"),
    BAD("read:error=", 1, 6, "error=", "empty value; expected error="),
    BAD("read:path=:hang", 1, 6, "path=", "empty value; expected path=/GLOB"),
    BAD("read:hang=1", 1, 6, "hang=1", "'hang' takes no value"),
    BAD("write:lie=yes", 1, 7, "lie=yes", "'lie' takes no value"),
    BAD("read:error=EIO:force=1", 1, 16, "force=1", "'force' takes no value"),
    BAD("read:=EIO", 1, 6, "=EIO", "missing key before '='"),
    /* errnos */
    BAD("read:error=ENOSPC", 1, 12, "ENOSPC",
        "ENOSPC is not an errno op 'read' can return"),
    BAD("read:error=ENOTEMPTY", 1, 12, "ENOTEMPTY", "add ':force'"),
    BAD("fsync:error=EISDIR", 1, 13, "EISDIR",
        "EISDIR is not an errno op 'fsync' can return (see fsync(2)"),
    BAD("read:error=EIO,ENOENT", 1, 16, "ENOENT", "op 'read'"),
    BAD("read,unlink:error=EBUSY", 1, 19, "EBUSY", "op 'read'"),
    BAD("all:error=ENOSPC", 1, 11, "ENOSPC", "op 'lookup'"),
    BAD("getattr:error=ENOTEMPTY", 1, 15, "ENOTEMPTY", "op 'getattr'"),
    BAD("read:error=ENOSYS", 1, 12, "ENOSYS", "not an errno op"),
    BAD("read:error=41", 1, 12, "41", "41 is not an errno op 'read'"),
    BAD("read:error=enospc", 1, 12, "enospc", "did you mean 'ENOSPC'?"),
    BAD("read:error=ENOSCP", 1, 12, "ENOSCP", "did you mean 'ENOSPC'?"),
    BAD("read:error=EFOOBAR", 1, 12, "EFOOBAR", "unknown errno; expected"),
    BAD("read:error=0", 1, 12, "0", "errno 0 is success"),
    BAD("read:error=4096", 1, 12, "4096", "out of range; expected 0..4095"),
    BAD("read:error=-5", 1, 12, "-5", "unknown errno"),
    BAD("read:error=5x", 1, 12, "5x", "bad number"),
    BAD("read:error=99999999999999999999", 1, 12, "99999999999999999999",
        "number too large"),
    BAD("read:error=EIO,EIO", 1, 16, "EIO", "duplicate errno"),
    BAD("read:error=EAGAIN,EWOULDBLOCK", 1, 19, "EWOULDBLOCK",
        "duplicate errno"),
    BAD("read:error=EIO,", 1, 15, ",", "empty errno"),
    BAD("read:error=,EIO", 1, 12, ",", "empty errno"),
    BAD("read:error=EIO,,EINTR", 1, 16, ",", "empty errno"),
    BAD("read:error=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17:force", 1, 51,
        "17", "too many errnos; at most 16"),
    BAD("read:hang:force", 1, 11, "force", "'force' only skips"),
    /* actions */
    BAD("read:prob=0.1", 1, 1, "read:prob=0.1", "rule has no action"),
    BAD("read", 1, 1, "read", "rule has no action"),
    BAD("read:path=/a:id=x", 1, 1, "read:path=/a:id=x", "no action"),
    BAD("write:lie:error=EIO", 1, 11, "error=EIO",
        "'error' conflicts with 'lie'"),
    BAD("write:error=EIO:lie", 1, 17, "lie", "'lie' conflicts with 'error'"),
    BAD("write:lie:short=10", 1, 11, "short=10",
        "'short' conflicts with 'lie'"),
    BAD("write:corrupt=flip:lie", 1, 20, "lie",
        "'lie' conflicts with 'corrupt'"),
    BAD("write:hang:lie", 1, 12, "lie", "'lie' conflicts with 'hang'"),
    BAD("read:error=EIO:short=10", 1, 16, "short=10",
        "'short' conflicts with 'error'"),
    BAD("read:corrupt=zero:error=EIO", 1, 19, "error=EIO",
        "'error' conflicts with 'corrupt'"),
    BAD("fsync:short=10", 1, 7, "short=10",
        "'short' does not apply to op 'fsync'"),
    BAD("data:short=50%", 1, 6, "short=50%",
        "'short' does not apply to op 'fallocate'; it applies only to read, "
        "write, copy_file_range"),
    BAD("copy_file_range:corrupt=flip", 1, 17, "corrupt=flip",
        "'corrupt' does not apply to op 'copy_file_range'"),
    BAD("all:corrupt=flip", 1, 5, "corrupt=flip", "op 'lookup'"),
    BAD("read:lie", 1, 6, "lie", "'lie' does not apply to op 'read'"),
    BAD("setattr:lie", 1, 9, "lie", "'lie' does not apply to op 'setattr'"),
    BAD("read:flags=O_RDONLY:error=EIO", 1, 6, "flags=O_RDONLY",
        "'flags' does not apply to op 'read'"),
    BAD("open,read:flags=O_RDONLY:error=EIO", 1, 11, "flags=O_RDONLY",
        "op 'read'"),
    BAD("getattr:offset=0..10:error=EIO", 1, 9, "offset=0..10",
        "'offset' does not apply to op 'getattr'"),
    BAD("lseek:size=1..2:error=ENXIO", 1, 7, "size=1..2",
        "'size' does not apply to op 'lseek'"),
    BAD("read:after=1M:error=EIO", 1, 6, "after=1M",
        "'after' needs an op that writes bytes"),
    BAD("fsync:after=0:error=EIO", 1, 7, "after=0", "'after' needs an op"),
    /* path and comm */
    BAD("read:path=db/*:hang", 1, 11, "db/*", "path must start with '/'"),
    BAD("read:path=/a[b:hang", 1, 13, "[", "unbalanced '['"),
    BAD("read:path=/a[!:hang", 1, 13, "[", "unbalanced '['"),
    BAD("read:path=/a[]:hang", 1, 13, "[", "unbalanced '['"),
    BAD("read:path=/a[a/b]:hang", 1, 13, "[a/b]", "a class cannot contain"),
    BAD("read:hang:path=/a\\", 1, 18, "\\", "trailing '\\' escapes nothing"),
    BAD("read:path=/a/../b:hang", 1, 14, "..", "can never match"),
    BAD("read:path=/./a:hang", 1, 12, ".", "can never match"),
    BAD("read:path=/a/.:hang", 1, 14, ".", "can never match"),
    BAD("read:path=/a\\/b:hang", 1, 13, "\\/", "'/' cannot be escaped"),
    BAD("read:comm=abcdefghijklmnop:hang", 1, 11, "abcdefghijklmnop",
        "comm glob needs 16 bytes"),
    BAD("read:comm=a*bcdefghijklmnop*:hang", 1, 11, "a*bcdefghijklmnop*",
        "can never match"),
    BAD("read:comm=a[bc:hang", 1, 12, "[", "unbalanced '['"),
    /* numbers */
    BAD("read:pid=abc:hang", 1, 10, "abc", "bad number"),
    BAD("read:pid=-1:hang", 1, 10, "-1", "bad number"),
    BAD("read:pid=+5:hang", 1, 10, "+5", "bad number"),
    BAD("read:pid=4194305:hang", 1, 10, "4194305", "out of range"),
    BAD("read:uid=4294967295:hang", 1, 10, "4294967295", "out of range"),
    BAD("read:uid=99999999999999999999999:hang", 1, 10,
        "99999999999999999999999", "number too large"),
    BAD("read:gid=0x10:hang", 1, 10, "0x10", "bad number"),
    BAD("read:gid=1.5:hang", 1, 10, "1.5", "bad number"),
    BAD("read:offset=10..5:hang", 1, 13, "10..5", "empty range"),
    BAD("read:offset=..5:hang", 1, 13, "..5", "missing lower bound"),
    BAD("read:offset=1X:hang", 1, 14, "X", "unknown unit"),
    BAD("read:size=1..2..3:hang", 1, 15, "..3", "unknown unit"),
    BAD("read:size=1.5:hang", 1, 11, "1.5", "not a whole number of bytes"),
    BAD("read:size=20EiB:hang", 1, 11, "20EiB", "number too large"),
    BAD("read:size=18446744073709551616:hang", 1, 11, "18446744073709551616",
        "number too large"),
    BAD("read:size=Kb:hang", 1, 11, "Kb", "bad number"),
    BAD("read:size=10Kb:hang", 1, 13, "Kb", "did you mean 'KB'?"),
    BAD("read:size=1.:hang", 1, 12, ".", "unknown unit"),
    BAD("read:size=1.0000000000000000001K:hang", 1, 11,
        "1.0000000000000000001K", "number too large"),
    /* flags */
    BAD("open:flags=O_CREATE:error=EACCES", 1, 12, "O_CREATE",
        "did you mean 'O_CREAT'?"),
    BAD("open:flags=O_RDONLY|O_WRONLY:error=EACCES", 1, 21, "O_WRONLY",
        "more than one access mode"),
    BAD("open:flags=O_TRUNC|O_TRUNC:error=EACCES", 1, 20, "O_TRUNC",
        "duplicate open flag"),
    BAD("open:flags=O_RDWR|O_RDWR:error=EACCES", 1, 19, "O_RDWR",
        "duplicate open flag"),
    BAD("open:flags=O_TRUNC|:error=EACCES", 1, 19, "|", "empty flag name"),
    BAD("open:flags=|O_TRUNC:error=EACCES", 1, 12, "|", "empty flag name"),
    BAD("open:flags=O_NONBLOCK|O_NDELAY:error=EAGAIN", 1, 23, "O_NDELAY",
        "duplicate open flag"),
    BAD("open:flags=0x200:error=EACCES", 1, 12, "0x200", "unknown open flag"),
    /* when */
    BAD("fsync:when=0:error=EIO", 1, 12, "0", "FIRST must be at least 1"),
    BAD("fsync:when=5..3:error=EIO", 1, 15, "3", "LAST is below FIRST"),
    BAD("fsync:when=2+0:error=EIO", 1, 14, "0", "STEP must be at least 1"),
    BAD("fsync:when=x:error=EIO", 1, 12, "x", "expected FIRST"),
    BAD("fsync:when=3-5:error=EIO", 1, 13, "-5", "unexpected text"),
    BAD("fsync:when=3..:error=EIO", 1, 12, "3..", "expected LAST"),
    BAD("fsync:when=3..x:error=EIO", 1, 15, "x", "expected LAST"),
    BAD("fsync:when=18446744073709551615:error=EIO", 1, 12,
        "18446744073709551615", "out of range"),
    BAD("fsync:when=1+2+3:error=EIO", 1, 15, "+3", "unexpected text"),
    BAD("fsync:when=..3:error=EIO", 1, 12, "..3", "expected FIRST"),
    BAD("fsync:when=1.5:error=EIO", 1, 13, ".5", "unexpected text"),
    /* prob */
    BAD("read:prob=1.5:error=EIO", 1, 11, "1.5", "probability out of range"),
    BAD("read:prob=101%:error=EIO", 1, 11, "101%", "out of range"),
    BAD("read:prob=2:error=EIO", 1, 11, "2", "out of range"),
    BAD("read:prob=-0.1:error=EIO", 1, 11, "-0.1", "bad probability"),
    BAD("read:prob=.5:error=EIO", 1, 11, ".5", "bad probability"),
    BAD("read:prob=1e-3:error=EIO", 1, 11, "1e-3", "bad probability"),
    BAD("read:prob=5%%:error=EIO", 1, 11, "5%%", "bad probability"),
    BAD("read:prob=%:error=EIO", 1, 11, "%", "bad probability"),
    BAD("read:prob=0.0000000000000001:error=EIO", 1, 11, "0.0000000000000001",
        "too many digits"),
    /* after, for */
    BAD("write:after=-1:error=ENOSPC", 1, 13, "-1", "bad number"),
    BAD("write:after=1.1B:error=ENOSPC", 1, 13, "1.1B",
        "not a whole number of bytes"),
    BAD("read:for=10:error=EIO", 1, 10, "10", "missing unit"),
    BAD("read:for=0s:error=EIO", 1, 10, "0s", "must be longer than 0"),
    BAD("read:for=5sec:error=EIO", 1, 11, "sec", "unknown unit; expected ns"),
    BAD("read:for=1.5ns:error=EIO", 1, 10, "1.5ns",
        "not a whole number of nanoseconds"),
    BAD("read:for=6000000h:error=EIO", 1, 10, "6000000h", "number too large"),
    /* delay, short, corrupt, id */
    BAD("read:delay=100", 1, 12, "100", "missing unit"),
    BAD("read:delay=0ms", 1, 12, "0ms", "a delay of 0 does nothing"),
    BAD("read:delay=0ms..0ms", 1, 12, "0ms..0ms", "a delay of 0"),
    BAD("read:delay=5ms..1ms", 1, 12, "5ms..1ms", "empty range"),
    BAD("read:delay=5ms..", 1, 12, "5ms..", "missing upper bound"),
    BAD("read:delay=10MS", 1, 14, "MS", "did you mean 'ms'?"),
    BAD("read:delay=1ms..2", 1, 17, "2", "missing unit"),
    BAD("read:short=100%", 1, 12, "100%", "short percentage out of range"),
    BAD("read:short=12.5%", 1, 12, "12.5", "bad number"),
    BAD("read:short=-1", 1, 12, "-1", "bad number"),
    BAD("read:short=4Q", 1, 13, "Q", "unknown unit"),
    BAD("read:corrupt=flipp", 1, 14, "flipp", "did you mean 'flip'?"),
    BAD("read:corrupt=bits", 1, 14, "bits", "expected flip, zero or random"),
    BAD("read:hang:id=a/b", 1, 14, "a/b", "bad id"),
    BAD("read:hang:id=r12", 1, 14, "r12", "reserved"),
    BAD("read:hang:id=a234567890123456789012345678901234567890123456789012345"
        "67890123x",
        1, 14,
        "a23456789012345678901234567890123456789012345678901234567890123x",
        "id longer than 63"),
    /* several lines: the line of the bad rule, comments and blanks count */
    BAD("read:hang:id=x\nwrite:hang:id=x", 2, 15, "x",
        "duplicate id 'x' (first at line 1)"),
    BAD("read:hang:id=a\nread:hang:id=b\nread:hang:id=a", 3, 14, "a",
        "duplicate id 'a' (first at line 1)"),
    BAD("# header\n\nread:error=EIO\nreed:error=EIO", 4, 1, "reed",
        "did you mean 'read'?"),
    BAD("read:error=EIO\n  # c\n\twrite:error=EISDIR", 3, 14, "EISDIR",
        "op 'write'"),
    BAD("read:error=EIO\r\nwrite:hang:\r\n", 2, 11, ":", "trailing ':'"),
    BAD("\n\n\nread:hang:when=0", 4, 16, "0", "FIRST must be at least 1"),
    BAD("read:hang\nread:hang\nread:hang:prob=2", 3, 16, "2", "out of range"),
    BAD("read:error=EIO # ok\nread:error=EIO:x# c", 2, 16, "x", "unknown key"),
    {"read:error=EIO\0write:hang", 25, 1, 15, "\\x00",
     "control character 0x00"},
    {"read:hang\nread:hang\0", 20, 2, 10, "\\x00", "control character"},
};

static void assert_spec_equal(const struct inj_rule_spec *want,
                              const struct inj_rule_spec *got)
{
    assert_string_equal(want->id, got->id);
    assert_int_equal(want->ops, got->ops);
    if (want->path_glob)
        assert_string_equal(want->path_glob, got->path_glob);
    else
        assert_null(got->path_glob);
    if (want->comm_glob)
        assert_string_equal(want->comm_glob, got->comm_glob);
    else
        assert_null(got->comm_glob);
    assert_int_equal(want->has_pid, got->has_pid);
    assert_int_equal(want->pid, got->pid);
    assert_int_equal(want->has_uid, got->has_uid);
    assert_int_equal(want->uid, got->uid);
    assert_int_equal(want->has_gid, got->has_gid);
    assert_int_equal(want->gid, got->gid);
    assert_int_equal(want->has_offset, got->has_offset);
    assert_int_equal(want->offset.lo, got->offset.lo);
    assert_int_equal(want->offset.hi, got->offset.hi);
    assert_int_equal(want->has_size, got->has_size);
    assert_int_equal(want->size.lo, got->size.lo);
    assert_int_equal(want->size.hi, got->size.hi);
    assert_int_equal(want->has_flags, got->has_flags);
    assert_int_equal(want->flags_all, got->flags_all);
    assert_int_equal(want->has_flags ? want->flags_accmode : -1,
                     got->flags_accmode);
    assert_int_equal(want->has_when, got->has_when);
    assert_int_equal(want->when_first, got->when_first);
    assert_int_equal(want->when_last, got->when_last);
    assert_int_equal(want->when_step, got->when_step);
    assert_int_equal(want->has_prob, got->has_prob);
    assert_true(want->prob == got->prob); /* exact, as strtod would give */
    assert_int_equal(want->has_after, got->has_after);
    assert_int_equal(want->after_bytes, got->after_bytes);
    assert_int_equal(want->has_for, got->has_for);
    assert_int_equal(want->for_ns, got->for_ns);
    assert_int_equal(want->actions, got->actions);
    assert_int_equal(want->n_errnos, got->n_errnos);
    for (unsigned i = 0; i < INJ_MAX_ERRNOS; i++)
        assert_int_equal(want->errnos[i], got->errnos[i]);
    assert_int_equal(want->errno_forced, got->errno_forced);
    assert_int_equal(want->delay_min_ns, got->delay_min_ns);
    assert_int_equal(want->delay_max_ns, got->delay_max_ns);
    assert_int_equal(want->short_is_pct, got->short_is_pct);
    assert_int_equal(want->short_bytes, got->short_bytes);
    assert_int_equal(want->short_pct, got->short_pct);
    assert_int_equal(want->corrupt, got->corrupt);
    assert_int_equal(want->selfio, got->selfio);
    assert_int_equal(want->selfio_size, got->selfio_size);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_good_rows(void **state)
{
    unsigned n_good = 0;

    for (size_t i = 0; i < N(good); i++) {
        const struct good_row *row = &good[i];
        struct pol_rules rules;
        struct pol_error err;
        struct inj_rule_spec again;
        char buf[600];
        int rc;

        n_good++;
        rc = pol_parse_text(row->text, strlen(row->text), "<t>", &rules, &err);
        if (rc != 0)
            fail_msg("row %zu '%s': %s", i, row->text,
                     pol_error_format(&err, buf, sizeof(buf)));
        assert_int_equal(rules.n, 1);
        assert_spec_equal(&row->want, &rules.specs[0]);
        assert_string_equal(rules.specs[0].origin, "<t>:1");
        assert_non_null(rules.specs[0].text);

        /* the single-rule entry point agrees */
        rc = pol_parse_rule(row->text, "<r>", 7, &again, &err);
        assert_int_equal(rc, 0);
        assert_spec_equal(&row->want, &again);
        assert_string_equal(again.origin, "<r>:7");
        inj_rule_spec_clear(&again);

        /* round trip: the stored text parses to the same spec */
        rc = pol_parse_rule(rules.specs[0].text, "<rt>", 1, &again, &err);
        if (rc != 0)
            fail_msg("round trip of '%s': %s", rules.specs[0].text,
                     pol_error_format(&err, buf, sizeof(buf)));
        assert_spec_equal(&row->want, &again);
        assert_string_equal(again.text, rules.specs[0].text);
        inj_rule_spec_clear(&again);
        pol_rules_clear(&rules);
    }
    print_message("good rows: %u\n", n_good);
    assert_true(n_good >= 80);
}

/* Reports every mismatching row before failing, to fix a table at once. */
static bool check_bad(const struct bad_row *row, size_t i, int rc,
                      const struct pol_error *err)
{
    char buf[600];

    if (rc != -EINVAL) {
        print_error("row %zu '%s': rc %d, wanted -EINVAL\n", i, row->text, rc);
        return false;
    }
    if (err->line != row->line || err->col != row->col ||
        strcmp(err->token, row->token) != 0 || !strstr(err->msg, row->msg)) {
        print_error("row %zu '%s':\n  got  %u:%u '%s' %s\n  want %u:%u '%s' "
                    "...%s...\n",
                    i, row->text, err->line, err->col, err->token, err->msg,
                    row->line, row->col, row->token, row->msg);
        return false;
    }
    assert_string_equal(err->file, "<t>");
    pol_error_format(err, buf, sizeof(buf));
    assert_non_null(strstr(buf, row->msg));
    return true;
}

static void test_bad_rows(void **state)
{
    unsigned failed = 0;

    for (size_t i = 0; i < N(bad); i++) {
        const struct bad_row *row = &bad[i];
        size_t len = row->len ? row->len : strlen(row->text);
        struct pol_rules rules = {(struct inj_rule_spec *)1, 99};
        struct pol_error err;
        int rc;

        rc = pol_parse_text(row->text, len, "<t>", &rules, &err);
        if (!check_bad(row, i, rc, &err)) {
            failed++;
            continue;
        }
        assert_null(rules.specs);
        assert_int_equal(rules.n, 0);

        if (row->line == 1 && !memchr(row->text, '\n', len) &&
            strlen(row->text) == len) {
            struct inj_rule_spec spec;

            memset(&err, 0, sizeof(err));
            rc = pol_parse_rule(row->text, "<t>", 1, &spec, &err);
            if (!check_bad(row, i, rc, &err))
                failed++;
            assert_int_equal(spec.ops, 0);
            assert_null(spec.text);
        }
    }
    print_message("bad rows: %zu\n", N(bad));
    assert_int_equal(failed, 0);
    assert_true(N(bad) >= N(good));
}

static void test_multi_line_good(void **state)
{
    static const char text[] =
        "# the disk fills after 10 MiB of writes under /db\n"
        "write,create,mkdir,fallocate:path=/db/**:after=10MiB:error=ENOSPC\n"
        "\n"
        "   # every third fsync of a WAL fails\n"
        "fsync:path=/db/*.wal:when=3+3:error=EIO:id=wal\n"
        "read:comm=postgres:prob=5%:delay=50ms..200ms   # slow reads\n"
        "\r\n"
        "write:lie"; /* no final newline */
    struct pol_rules rules;
    struct pol_error err;

    assert_int_equal(
        pol_parse_text(text, strlen(text), "db.rules", &rules, &err), 0);
    assert_int_equal(rules.n, 4);
    assert_string_equal(rules.specs[0].origin, "db.rules:2");
    assert_string_equal(rules.specs[1].origin, "db.rules:5");
    assert_string_equal(rules.specs[1].id, "wal");
    assert_string_equal(rules.specs[2].origin, "db.rules:6");
    assert_string_equal(rules.specs[2].text,
                        "read:comm=postgres:prob=5%:delay=50ms..200ms");
    assert_string_equal(rules.specs[3].origin, "db.rules:8");
    assert_int_equal(rules.specs[3].actions, INJ_ACT_LIE);
    pol_rules_clear(&rules);
    assert_null(rules.specs);
    assert_int_equal(rules.n, 0);
    pol_rules_clear(&rules); /* twice is fine */
}

static void test_empty_texts(void **state)
{
    struct pol_rules rules;
    struct pol_error err;

    assert_int_equal(pol_parse_text("", 0, "<t>", &rules, &err), 0);
    assert_int_equal(rules.n, 0);
    assert_int_equal(pol_parse_text(NULL, 0, "<t>", &rules, &err), 0);
    assert_int_equal(pol_parse_text("\n\n# x\n  \n", 9, "<t>", &rules, &err),
                     0);
    assert_int_equal(rules.n, 0);
    /* only len bytes are read: the rest of the string is not parsed */
    assert_int_equal(
        pol_parse_text("read:hang\nbogus", 10, "<t>", &rules, &err), 0);
    assert_int_equal(rules.n, 1);
    pol_rules_clear(&rules);
    /* many rules grow the array */
    {
        char text[64 * 20];
        size_t n = 0;

        for (int i = 0; i < 64; i++)
            n += (size_t)snprintf(text + n, sizeof(text) - n,
                                  "read:hang:id=x%d\n", i);
        assert_int_equal(pol_parse_text(text, n, "<t>", &rules, &err), 0);
        assert_int_equal(rules.n, 64);
        assert_string_equal(rules.specs[63].id, "x63");
        pol_rules_clear(&rules);
    }
}

static void test_parse_rule_only(void **state)
{
    struct inj_rule_spec spec;
    struct pol_error err;
    char buf[600];

    assert_int_equal(
        pol_parse_rule("read:hang\nwrite:hang", NULL, 0, &spec, &err), -EINVAL);
    assert_string_equal(err.file, "<rule>");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.col, 10);
    assert_string_equal(err.token, "\\n");
    assert_non_null(strstr(err.msg, "newline"));

    assert_int_equal(pol_parse_rule("", "<control>", 3, &spec, &err), -EINVAL);
    assert_string_equal(err.file, "<control>");
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.msg, "empty rule"));
    assert_string_equal(pol_error_format(&err, buf, sizeof(buf)),
                        "<control>:3:1: empty rule; expected "
                        "OPS[:KEY=VALUE]...");

    assert_int_equal(
        pol_parse_rule("  # only a comment", "<r>", 1, &spec, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "empty rule"));
    assert_int_equal(pol_parse_rule("read:hang", "<r>", 1, &spec, &err), 0);
    inj_rule_spec_clear(&spec);
}

static void test_error_format(void **state)
{
    struct inj_rule_spec spec;
    struct pol_error err;
    char buf[600], small[16];
    char text[400];

    assert_int_equal(
        pol_parse_rule("read:error=ENOSCP", "x.rules", 4, &spec, &err),
        -EINVAL);
    assert_string_equal(pol_error_format(&err, buf, sizeof(buf)),
                        "x.rules:4:12: unknown errno; did you mean 'ENOSPC'? "
                        "(at 'ENOSCP')");
    /* a short buffer truncates, never overflows */
    assert_string_equal(pol_error_format(&err, small, sizeof(small)),
                        "x.rules:4:12: u");

    /* a token longer than the field is cut with "..." */
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    memcpy(text, "read:hang:comm=", 15);
    assert_int_equal(pol_parse_rule(text, "<r>", 1, &spec, &err), -EINVAL);
    assert_int_equal(err.col, 16);
    assert_int_equal(strlen(err.token), sizeof(err.token) - 1);
    assert_string_equal(err.token + sizeof(err.token) - 4, "...");
    assert_non_null(strstr(err.msg, "can never match"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_rows),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_multi_line_good),
        cmocka_unit_test(test_empty_texts),
        cmocka_unit_test(test_parse_rule_only),
        cmocka_unit_test(test_error_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
