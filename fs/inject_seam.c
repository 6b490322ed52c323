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

/* The node's path relative to SOURCE, from the kernel's view of its O_PATH
 * fd: correct under renames, and for hard links it names one of the links
 * (the one the node was first reached through). */
static const char *seam_get_path(void *arg)
{
    struct seam_ctx *c = arg;
    if (c->path_done)
        return c->path_ret;
    c->path_done = true;

    char proc[64], abs[PATH_MAX];
    fs_proc_path(proc, c->node->fd);
    ssize_t n = readlink(proc, abs, sizeof(abs) - 1);
    if (n < 0)
        return NULL;
    abs[n] = '\0';
    const char *rel;
    size_t sl = c->fs->source_len;
    if (strcmp(c->fs->source, "/") == 0)
        rel = abs;
    else if (strncmp(abs, c->fs->source, sl) == 0 &&
             (abs[sl] == '/' || abs[sl] == '\0'))
        rel = abs + sl;
    else
        return NULL; /* moved out of SOURCE behind our back */
    if (!*rel)
        rel = "/";
    if (c->name) {
        int w = snprintf(c->path, sizeof(c->path), "%s%s%s", rel,
                         strcmp(rel, "/") == 0 ? "" : "/", c->name);
        if (w < 0 || (size_t)w >= sizeof(c->path))
            return NULL;
    } else {
        snprintf(c->path, sizeof(c->path), "%s", rel);
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
