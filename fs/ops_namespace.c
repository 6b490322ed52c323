/* fs/ops_namespace.c — name ops: lookup, forget, create nodes, remove, rename.
 *
 * Invariants:
 *  - Every path component the daemon resolves is one name relative to a
 *    node's O_PATH fd, opened with O_NOFOLLOW: no '..' or symlink walk can
 *    leave SOURCE. The only '..' ever resolved is the export lookup, and
 *    the root answers it with itself.
 *  - A successful entry reply carries exactly one new kernel reference
 *    (fs_inode_publish / fs_inode_ref); an error reply carries none.
 *  - Creating ops run under the caller's fsuid/fsgid/umask (creds.c).
 */
#include "fs.h"
#include "inject_seam.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void fs_proc_path(char buf[64], int fd)
{
    snprintf(buf, 64, "/proc/self/fd/%d", fd);
}

int fs_entry_from_fd(struct fs_ctx *fs, int fd, struct fuse_entry_param *e,
                     struct fs_inode **out)
{
    struct fs_inode *n;
    memset(e, 0, sizeof(*e));
    if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    int rc = fs_inode_publish(&fs->itable, fd, &e->attr, &n);
    if (rc < 0)
        return rc;
    if (out)
        *out = n;
    e->ino = n->nodeid;
    e->generation = 0;
    e->attr_timeout = fs->timeout;
    e->entry_timeout = fs->timeout;
    return rc; /* 1: the node was live already */
}

static int entry_of_node(struct fs_ctx *fs, struct fs_inode *n,
                         struct fuse_entry_param *e)
{
    memset(e, 0, sizeof(*e));
    if (fstatat(n->fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    fs_inode_ref(&fs->itable, n);
    e->ino = n->nodeid;
    e->attr_timeout = fs->timeout;
    e->entry_timeout = fs->timeout;
    return 0;
}

/* n, just given a kernel reference for name in parent, inherits its path.
 * ".." (an export's parent lookup) names no path below parent. */
static void lookup_found(struct fs_ctx *fs, struct fs_inode *parent,
                         const char *name, struct fs_inode *n)
{
    if (strcmp(name, "..") != 0)
        fs_inode_path_inherit(&fs->itable, parent, n, name);
}

/* The open-first lookup of a name (not "." nor the root's ".."): openat
 * and fstat of the fresh fd, two syscalls. *known (may be NULL) says
 * whether the node was live already (the fresh fd was then a duplicate,
 * closed by fs_inode_publish). */
static int lookup_opened(struct fs_ctx *fs, struct fs_inode *parent,
                         const char *name, struct fuse_entry_param *e,
                         bool *known)
{
    int fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct fs_inode *n;
    int rc = fs_entry_from_fd(fs, fd, e, &n);
    if (rc < 0)
        return rc;
    if (known)
        *known = rc > 0;
    lookup_found(fs, parent, name, n);
    return 0;
}

/* The stat-first lookup, once the caller has done the fstatat of name: st.
 * A live node with its fd open is that very object (its fd keeps the inode
 * alive): no further syscall. Anything else is opened. */
static int lookup_stated(struct fs_ctx *fs, struct fs_inode *parent,
                         const char *name, const struct stat *st,
                         struct fuse_entry_param *e, bool *known)
{
    struct fs_inode *n = fs_inode_ref_open(&fs->itable, st);
    if (!n)
        return lookup_opened(fs, parent, name, e, known);
    memset(e, 0, sizeof(*e));
    e->attr = *st;
    e->ino = n->nodeid;
    e->attr_timeout = fs->timeout;
    e->entry_timeout = fs->timeout;
    if (known)
        *known = true;
    lookup_found(fs, parent, name, n);
    return 0;
}

static bool is_self_name(const struct fs_inode *parent, const char *name)
{
    return strcmp(name, ".") == 0 || (strcmp(name, "..") == 0 && parent->root);
}

/* Which syscall a lookup makes first, per directory: by the count of its
 * recent lookups that found names new to the table (up) or nodes the
 * kernel holds (down). A held node (a path walk in strict mode, a
 * revalidation after the entry timeout) costs one fstatat stat-first and
 * three syscalls open-first; a new one (a cold walk after mounting or
 * drop_caches) three stat-first and two open-first. A directory new to the
 * table starts open-first; two held names in a row switch it to
 * stat-first, two new ones back. Per directory, not per thread: in a
 * strict-mode walk the parents are held and the leaves new. */
enum { NEW_NAMES_MAX = 3, OPEN_FIRST_AT = FS_NEW_NAMES_START };

static bool lookup_expects_new(const struct fs_inode *dir)
{
    return atomic_load_explicit(&dir->new_names, memory_order_relaxed) >=
           OPEN_FIRST_AT;
}

static void lookup_learn(struct fs_inode *dir, bool known)
{
    uint8_t c = atomic_load_explicit(&dir->new_names, memory_order_relaxed);
    if (known && c > 0)
        c--;
    else if (!known && c < NEW_NAMES_MAX)
        c++;
    atomic_store_explicit(&dir->new_names, c, memory_order_relaxed);
}

static int lookup_first(struct fs_ctx *fs, struct fs_inode *parent,
                        const char *name, bool open_first,
                        struct fuse_entry_param *e, bool *known)
{
    if (open_first)
        return lookup_opened(fs, parent, name, e, known);
    struct stat st;
    if (fstatat(parent->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    return lookup_stated(fs, parent, name, &st, e, known);
}

int fs_do_lookup(struct fs_ctx *fs, struct fs_inode *parent, const char *name,
                 struct fuse_entry_param *e)
{
    if (is_self_name(parent, name))
        return entry_of_node(fs, parent, e);
    bool known = false;
    int rc =
        lookup_first(fs, parent, name, lookup_expects_new(parent), e, &known);
    if (rc == 0)
        lookup_learn(parent, known);
    return rc;
}

int fs_do_lookup_hinted(struct fs_ctx *fs, struct fs_inode *parent,
                        const char *name, bool likely_new,
                        struct fuse_entry_param *e)
{
    if (is_self_name(parent, name))
        return entry_of_node(fs, parent, e);
    return lookup_first(fs, parent, name, likely_new, e, NULL);
}

void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fs_ctx *fs = fs_ctx_of(req);
    struct fuse_entry_param e;
    struct inj_verdict v;
    int rc;

    struct fs_inode *p = fs_node(req, parent);
    if (!p && strcmp(name, ".") == 0) {
        /* Export: the kernel asks again for a node it has forgotten. */
        memset(&e, 0, sizeof(e));
        rc = fs_itable_resolve(&fs->itable, parent, &p, &e.attr);
        if (rc < 0) {
            fs_reply_status(req, rc);
            return;
        }
        e.ino = p->nodeid;
        e.attr_timeout = e.entry_timeout = fs->timeout;
        p = fs_node(req, e.ino); /* pinned for the seam's path lookup */
        rc = fs_seam_op(req, INJ_OP_LOOKUP, p, NULL, &v);
        if (rc < 0 || rc == FS_SEAM_DEFERRED) {
            /* the resumed lookup resolves (and references) it again */
            fs_inode_forget(&fs->itable, e.ino, 1);
            if (rc == FS_SEAM_DEFERRED)
                return;
            fs_reply_status(req, rc);
            return;
        }
        fuse_reply_entry(req, &e);
        return;
    }
    if (!p) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    /* With lookup rules loaded, stat the name first: the node it names
     * may carry a mark saying no rule can match this lookup (a name in the
     * root, or in a directory rules descend through, gets no directory
     * mark). The stat is the lookup's own, not an extra one. */
    struct stat st;
    int serr = -1; /* not stat'ed yet */
    uint64_t child = 0;
    if (fs_seam_wanted(fs, INJ_OP_LOOKUP) && strcmp(name, ".") != 0 &&
        !(strcmp(name, "..") == 0 && p->root)) {
        serr = fstatat(p->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
        if (serr == 0)
            child = fs_itable_nodeid(&fs->itable, st.st_dev, st.st_ino);
    }
    struct fs_seam_name_mark mark;
    rc = fs_seam_lookup(req, p, name, child, &v, &mark);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0)
        rc = serr < 0 ? fs_do_lookup(fs, p, name, &e)
             : serr   ? -serr
                      : lookup_stated(fs, p, name, &st, &e, NULL);
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    fs_seam_lookup_found(req, &mark, p, name, e.ino);
    fuse_reply_entry(req, &e);
}

void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    fs_inode_forget(&fs_ctx_of(req)->itable, ino, nlookup);
    fuse_reply_none(req);
}

void fs_forget_multi(fuse_req_t req, size_t count,
                     struct fuse_forget_data *forgets)
{
    struct fs_ctx *fs = fs_ctx_of(req);
    for (size_t i = 0; i < count; i++)
        fs_inode_forget(&fs->itable, forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
}

enum mk_kind { MK_NOD, MK_DIR, MK_SYMLINK };

/* Create name in parent as the caller, then look it up. */
static void make_node(fuse_req_t req, fuse_ino_t parent, const char *name,
                      enum mk_kind kind, mode_t mode, dev_t rdev,
                      const char *link, enum inj_op op)
{
    struct fs_ctx *fs = fs_ctx_of(req);
    struct fuse_entry_param e;
    struct inj_verdict v;
    struct fs_creds c;
    int rc;

    struct fs_inode *p = fs_node(req, parent);
    if (!p) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    rc = fs_seam_op(req, op, p, name, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    rc = fs_creds_enter(fs, req, &c);
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    switch (kind) {
    case MK_NOD:
        rc = mknodat(p->fd, name, mode, rdev);
        break;
    case MK_DIR:
        rc = mkdirat(p->fd, name, mode);
        break;
    case MK_SYMLINK:
        rc = symlinkat(link, p->fd, name);
        break;
    }
    rc = rc < 0 ? -errno : 0;
    fs_creds_leave(fs, &c);
    if (rc == 0)
        rc = fs_do_lookup_hinted(fs, p, name, true, &e);
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    fuse_reply_entry(req, &e);
}

void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
              dev_t rdev)
{
    make_node(req, parent, name, MK_NOD, mode, rdev, NULL, INJ_OP_MKNOD);
}

void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
    make_node(req, parent, name, MK_DIR, mode, 0, NULL, INJ_OP_MKDIR);
}

void fs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
                const char *name)
{
    make_node(req, parent, name, MK_SYMLINK, 0, 0, link, INJ_OP_SYMLINK);
}

void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
             const char *newname)
{
    struct fs_ctx *fs = fs_ctx_of(req);
    struct fuse_entry_param e;
    struct inj_verdict v;
    int rc;

    struct fs_inode *n = fs_node(req, ino);
    struct fs_inode *np = fs_node(req, newparent);
    if (!n || !np) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    rc = fs_seam_op(req, INJ_OP_LINK, np, newname, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    if (linkat(n->fd, "", np->fd, newname, AT_EMPTY_PATH) < 0) {
        /* Without CAP_DAC_READ_SEARCH, go through the proc magic link. */
        char proc[64];
        fs_proc_path(proc, n->fd);
        if (errno != ENOENT ||
            linkat(AT_FDCWD, proc, np->fd, newname, AT_SYMLINK_FOLLOW) < 0) {
            fs_reply_status(req, -errno);
            return;
        }
    }
    rc = entry_of_node(fs, n, &e);
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    fuse_reply_entry(req, &e);
}

static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name,
                        int flags, enum inj_op op)
{
    struct inj_verdict v;
    struct fs_inode *p = fs_node(req, parent);
    if (!p) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam_op(req, op, p, name, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0 && !fs_seam_lie(&v))
        rc = unlinkat(p->fd, name, flags) < 0 ? -errno : 0;
    fs_reply_status(req, rc);
}

void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    remove_name(req, parent, name, 0, INJ_OP_UNLINK);
}

void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    remove_name(req, parent, name, AT_REMOVEDIR, INJ_OP_RMDIR);
}

void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
               fuse_ino_t newparent, const char *newname, unsigned int flags)
{
    struct inj_verdict v;
    struct fs_inode *p = fs_node(req, parent);
    struct fs_inode *np = fs_node(req, newparent);
    if (!p || !np) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam_op(req, INJ_OP_RENAME, p, name, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0 && !fs_seam_lie(&v)) {
        rc = renameat2(p->fd, name, np->fd, newname, flags) < 0 ? -errno : 0;
        /* Every cached path below the moved name is now wrong (and one
         * failing half-way may still have moved something): start a new
         * path generation either way. */
        fs_itable_paths_moved(&fs_ctx_of(req)->itable);
    }
    fs_reply_status(req, rc);
}
