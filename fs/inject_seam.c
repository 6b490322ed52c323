/* fs/inject_seam.c — FUSE request to inj_request; verdict resolution.
 *
 * Invariants: nothing here blocks or takes a lock; path and comm are
 * computed at most once per request and only when the engine calls the
 * getters; the verdict is plain data owned by the caller's stack.
 */
#include "inject_seam.h"

#include "call.h"
#include "defer.h"
#include "selfio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct seam_ctx {
    struct fs_ctx *fs;
    struct fs_inode *node;
    const char *name;
    pid_t pid;
    bool path_done, comm_done;
    const char *path_ret, *comm_ret;
    char path[PATH_MAX + 256];
    char comm[32];
};

/* The kernel's name for the node's O_PATH fd, relative to SOURCE, into
 * out[PATH_MAX]: its length, or -1 (moved out of SOURCE behind our back).
 * An unlinked node keeps its last name: the kernel's " (deleted)" suffix
 * is dropped when the object really has no links left. */
static ssize_t node_path_from_kernel(const struct fs_ctx *fs,
                                     const struct fs_inode *node, char *out)
{
    static const char deleted[] = " (deleted)";
    const size_t dl = sizeof(deleted) - 1;
    char proc[64], abs[PATH_MAX];
    struct stat st;

    fs_proc_path(proc, node->fd);
    ssize_t n = readlink(proc, abs, sizeof(abs) - 1);
    if (n < 0)
        return -1;
    abs[n] = '\0';
    if ((size_t)n > dl && strcmp(abs + n - dl, deleted) == 0 &&
        fstatat(node->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 &&
        st.st_nlink == 0)
        abs[n -= (ssize_t)dl] = '\0';

    const char *rel = abs;
    size_t sl = fs->source_len;
    if (strcmp(fs->source, "/") != 0) {
        if (strncmp(abs, fs->source, sl) != 0 ||
            (abs[sl] != '/' && abs[sl] != '\0'))
            return -1;
        rel = abs + sl;
    }
    if (!*rel)
        rel = "/";
    size_t len = strlen(rel);
    memcpy(out, rel, len + 1);
    return (ssize_t)len;
}

/* The node's path relative to SOURCE: "/" for the root; otherwise the
 * cached one (fs_inode_path_get) or, on a miss, the kernel's view of its
 * O_PATH fd — correct under renames through the mount; for hard links it
 * names one of the links (the one the node was first reached through). */
static ssize_t node_path(struct fs_ctx *fs, struct fs_inode *node, char *out)
{
    if (node->root) {
        memcpy(out, "/", 2);
        return 1;
    }
    uint64_t gen = fs_itable_path_gen(&fs->itable);
    ssize_t len = fs_inode_path_get(&fs->itable, node, gen, out, PATH_MAX);
    if (len >= 0)
        return len;
    len = node_path_from_kernel(fs, node, out);
    if (len >= 0)
        fs_inode_path_set(&fs->itable, node, gen, out, (size_t)len);
    return len;
}

/* The request's path: the node's, with the request's name appended for
 * ops on a name in a directory. */
static const char *seam_get_path(void *arg)
{
    struct seam_ctx *c = arg;
    if (c->path_done)
        return c->path_ret;
    c->path_done = true;

    char dir[PATH_MAX];
    ssize_t len = node_path(c->fs, c->node, c->name ? dir : c->path);
    if (len < 0)
        return NULL;
    if (c->name) {
        int w = snprintf(c->path, sizeof(c->path), "%s%s%s", dir,
                         len == 1 ? "" : "/", c->name);
        if (w < 0 || (size_t)w >= sizeof(c->path))
            return NULL;
    }
    c->path_ret = c->path;
    return c->path_ret;
}

static const char *seam_get_comm(void *arg)
{
    struct seam_ctx *c = arg;
    if (c->comm_done)
        return c->comm_ret;
    c->comm_done = true;

    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/%d/comm", (int)c->pid);
    int fd = open(proc, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, c->comm, sizeof(c->comm) - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    c->comm[n] = '\0';
    char *nl = strchr(c->comm, '\n');
    if (nl)
        *nl = '\0';
    c->comm_ret = c->comm;
    return c->comm_ret;
}

bool fs_seam_wanted(struct fs_ctx *fs, enum inj_op op)
{
#ifdef SNAG_HAVE_INJECT
    /* A resumed call must get its saved verdict even if its rule is gone. */
    if (fs_call_resuming())
        return true;
    return fs->engine && ctl_observe_wants(&fs->obs, fs->engine, op);
#else
    (void)fs, (void)op;
    return false;
#endif
}

/* The verdict's immediate part: selfio (before any backend work), then the
 * error. */
static int seam_apply(struct fs_ctx *fs, struct seam_ctx *c,
                      const struct inj_verdict *v)
{
    if (v->actions & INJ_ACT_SELFIO)
        fs_selfio_run(fs, v, c->node ? seam_get_path(c) : NULL);
    if (v->actions & INJ_ACT_ERROR)
        return v->err > 0 ? -v->err : -EIO;
    return 0;
}

int fs_seam(fuse_req_t req, enum inj_op op, struct fs_inode *node,
            const char *name, int64_t off, int64_t size, int64_t flags,
            struct inj_verdict *v)
{
    struct fs_ctx *fs = fs_ctx_of(req);
    v->actions = 0;
#ifdef SNAG_HAVE_INJECT
    const struct fuse_ctx *fc = fuse_req_ctx(req);
    struct seam_ctx c = {
        .fs = fs,
        .node = node,
        .name = name,
        .pid = fc->pid,
    };
    if (fs_call_take_resume(v))
        return seam_apply(fs, &c, v);
    if (!fs_seam_wanted(fs, op))
        return 0;
    /* Our own threads' requests (the watchdog let them through) match no
     * rule: a selfio= rule must not feed on its own I/O. */
    struct fs_call *call = fs_call_current();
    if (call && call->self)
        return 0;

    struct inj_request rq = {
        .op = op,
        .pid = (uint32_t)fc->pid,
        .uid = (uint32_t)fc->uid,
        .gid = (uint32_t)fc->gid,
        .has_offset = off != FS_SEAM_NONE,
        .has_size = size != FS_SEAM_NONE,
        .has_flags = flags != FS_SEAM_NONE,
        .offset = off == FS_SEAM_NONE ? 0 : (uint64_t)off,
        .size = size == FS_SEAM_NONE ? 0 : (uint64_t)size,
        .open_flags = flags == FS_SEAM_NONE ? 0 : (uint32_t)flags,
        .get_path = node ? seam_get_path : NULL,
        .get_comm = seam_get_comm,
        .ctx = &c,
    };
    if (!ctl_decide(&fs->obs, fs->engine, &rq, node ? node->nodeid : 0, v))
        return 0;
    if (v->actions & (INJ_ACT_DELAY | INJ_ACT_HANG))
        return fs_defer(req, v);
    return seam_apply(fs, &c, v);
#else
    (void)req, (void)op, (void)node, (void)name, (void)off, (void)size;
    (void)flags, (void)fs;
#endif
    return 0;
}

void fs_seam_corrupt(const struct inj_verdict *v, void *buf, size_t len)
{
#ifdef SNAG_HAVE_INJECT
    inj_corrupt_apply(v, buf, len);
#else
    (void)v, (void)buf, (void)len;
#endif
}

void fs_seam_set_engine(struct fs_ctx *fs, struct inj_engine *e)
{
    fs->engine = e;
}
