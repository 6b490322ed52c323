/* policy/groups.c — op groups usable in a rule's op list.
 *
 * Groups overlap on purpose (fsyncdir is both sync and dir; mkdir is both
 * namespace and dir): a group names the ops a user thinks of together, not
 * a partition. The op list of a rule is the union of what it names.
 */
#include <string.h>

#include "pol_internal.h"

#define B(op) (UINT64_C(1) << INJ_OP_##op)

struct group {
    const char *name;
    uint64_t mask;
};

static const struct group groups[] = {
    {"all", INJ_OP_MASK_ALL},
    /* Ops that move file contents; lseek moves no bytes, so it is not here. */
    {"data", B(READ) | B(WRITE) | B(FALLOCATE) | B(COPY_FILE_RANGE)},
    /* Ops through which data reaches stable storage or close reports it. */
    {"sync", B(FSYNC) | B(FSYNCDIR) | B(FLUSH)},
    /* Ops that look up, create, remove or rename names. */
    {"namespace", B(LOOKUP) | B(MKNOD) | B(MKDIR) | B(UNLINK) | B(RMDIR) |
                      B(SYMLINK) | B(RENAME) | B(LINK) | B(CREATE)},
    /* Inode attributes; statfs is about the filesystem, not an inode. */
    {"attr", B(GETATTR) | B(SETATTR) | B(ACCESS)},
    {"xattr", B(SETXATTR) | B(GETXATTR) | B(LISTXATTR) | B(REMOVEXATTR)},
    {"dir", B(OPENDIR) | B(READDIR) | B(RELEASEDIR) | B(FSYNCDIR) | B(MKDIR) |
                B(RMDIR)},
};

#undef B

uint64_t pol_group_mask(const char *name)
{
    if (!name)
        return 0;
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (strcmp(groups[i].name, name) == 0)
            return groups[i].mask;
    return 0;
}
