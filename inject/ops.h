/* inject/ops.h — the one list of FUSE operations snagfs can match, by id and
 * name.
 *
 * Every place that names an op (the parser, the engine, fs/ handlers, stats,
 * traces) uses this X-macro so that ids and names can never drift apart.
 * Ids are dense from 0 and fit in a uint64_t bit mask (see inj_op_bit()).
 */
#ifndef SNAG_INJECT_OPS_H
#define SNAG_INJECT_OPS_H

#include <stdint.h>

/* X(ID, name): ID is the enum suffix, name is the rule-language spelling. */
#define INJ_OP_LIST(X)                                                         \
    X(LOOKUP, lookup)                                                          \
    X(GETATTR, getattr)                                                        \
    X(SETATTR, setattr)                                                        \
    X(READLINK, readlink)                                                      \
    X(MKNOD, mknod)                                                            \
    X(MKDIR, mkdir)                                                            \
    X(UNLINK, unlink)                                                          \
    X(RMDIR, rmdir)                                                            \
    X(SYMLINK, symlink)                                                        \
    X(RENAME, rename)                                                          \
    X(LINK, link)                                                              \
    X(OPEN, open)                                                              \
    X(READ, read)                                                              \
    X(WRITE, write)                                                            \
    X(FLUSH, flush)                                                            \
    X(RELEASE, release)                                                        \
    X(FSYNC, fsync)                                                            \
    X(OPENDIR, opendir)                                                        \
    X(READDIR, readdir)                                                        \
    X(RELEASEDIR, releasedir)                                                  \
    X(FSYNCDIR, fsyncdir)                                                      \
    X(STATFS, statfs)                                                          \
    X(SETXATTR, setxattr)                                                      \
    X(GETXATTR, getxattr)                                                      \
    X(LISTXATTR, listxattr)                                                    \
    X(REMOVEXATTR, removexattr)                                                \
    X(ACCESS, access)                                                          \
    X(CREATE, create)                                                          \
    X(GETLK, getlk)                                                            \
    X(SETLK, setlk)                                                            \
    X(FLOCK, flock)                                                            \
    X(FALLOCATE, fallocate)                                                    \
    X(COPY_FILE_RANGE, copy_file_range)                                        \
    X(LSEEK, lseek)

enum inj_op {
#define INJ_OP_ENUM(id, name) INJ_OP_##id,
    INJ_OP_LIST(INJ_OP_ENUM)
#undef INJ_OP_ENUM
        INJ_OP_COUNT
};

_Static_assert(INJ_OP_COUNT <= 64, "op ids must fit a uint64_t mask");

static inline uint64_t inj_op_bit(enum inj_op op)
{
    return UINT64_C(1) << (unsigned)op;
}

#define INJ_OP_MASK_ALL ((UINT64_C(1) << INJ_OP_COUNT) - 1)

/* The rule-language name of op ("read"), or "?" for an id out of range.
 * Returns a static string. */
const char *inj_op_name(enum inj_op op);

/* The op named name (exact, lower case), or -1 when there is none. */
int inj_op_from_name(const char *name);

#endif
