/* fs/inject_seam.c — FUSE request to inj_request; verdict resolution.
 *
 * Invariants: nothing here blocks or takes a lock but the inode table's
 * shard locks (leaves); path and comm are computed at most once per request
 * and only when needed; the verdict is plain data owned by the caller's
 * stack. A request the engine has ruled out before (same op, same path, same
 * rule set: a mark on the node, see fs_itable_path_probe) passes after one
 * table probe, without asking it again.
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

/* Per request, on the worker's stack. Only the small fields are set up
 * front: the buffers are written when a getter runs (zeroing them cost
 * ~650 instructions per request, a third of a plain read's). */
struct seam_ctx {
    struct fs_ctx *fs;
    fuse_req_t req;
    struct fs_inode *node; /* pinned, or NULL: then nodeid */
    uint64_t nodeid;       /* the node's id; 0: no node */
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
        fs_inode_path_set(&fs->itable, node, gen, out, (size_t)len, 0);
    return len;
}

/* Append "/" + name to the directory path in c->path[0, len) ("/" + name
 * under the root), in place; false when it does not fit. Not snprintf,
 * which cost ~1,300 instructions here. */
static bool path_append_name(struct seam_ctx *c, ssize_t len)
{
    size_t dl = len == 1 ? 0 : (size_t)len;
    size_t nl = strlen(c->name);
    if (dl + 1 + nl >= sizeof(c->path))
        return false;
    c->path[dl] = '/';
    memcpy(c->path + dl + 1, c->name, nl + 1);
    return true;
}

/* The request's path: the node's, with the request's name appended for
 * ops on a name in a directory. */
static const char *seam_get_path(void *arg)
{
    struct seam_ctx *c = arg;
    if (c->path_done)
        return c->path_ret;
    c->path_done = true;
    fs_itable_want_paths(&c->fs->itable);

    ssize_t len = -1;
    if (!c->node) {
        /* By id: the kept path under one lock, no pin; the node is pinned
         * only to compute a path it does not have yet. */
        len = fs_itable_path_by_id(&c->fs->itable, c->nodeid,
                                   fs_itable_path_gen(&c->fs->itable), c->path,
                                   PATH_MAX);
        if (len < 0)
            c->node = fs_node(c->req, c->nodeid);
        if (len < 0 && !c->node)
            return NULL;
    }
    if (len < 0)
        len = node_path(c->fs, c->node, c->path);
    if (len < 0 || (c->name && !path_append_name(c, len)))
        return NULL;
    c->path_ret = c->path;
    return c->path_ret;
}

/* Rule-out marks (fs_itable_path_probe): the node's own; its directory's
 * (any name in it: for a request on a name, and for a request on a node
 * whose kept path was derived from its directory); and for a lookup, the
 * mark on the node the name leads to. The marks stand for the engine's
 * verdict, so they are bypassed while a trace is written (every request
 * counts toward the occurrence numbers replay uses) or replayed. */
struct seam_marks {
    bool on;
    uint64_t pgen, rgen, op_bit;
    uint64_t dir; /* the directory whose mark covers the request, or 0 */
};

/* The last node this thread found marked out, and for which ops: a run of
 * requests on one file (reads, writes) then skips even the table probe.
 * Valid while the rule set, the path generation and the set of nodeids
 * stay as they were (fs_itable_nodes_retired: a nodeid may come to name
 * another object, at another path). */
static _Thread_local struct {
    uint64_t nodeid, pgen, rgen, retired, op_bits;
} last_out;

/* True when the marks say no rule can match: the request passes. Else
 * primes c with the kept path when there is one. */
static bool seam_marked_out(struct seam_ctx *c, enum inj_op op, uint64_t child,
                            struct seam_marks *m)
{
    struct fs_ctx *fs = c->fs;
    struct fs_itable *t = &fs->itable;
    m->on = c->nodeid && fs->engine && !fs->obs.trace && !fs->obs.replay;
    if (!m->on)
        return false;
    m->pgen = fs_itable_path_gen(t);
    m->rgen = inj_engine_generation(fs->engine);
    m->op_bit = inj_op_bit(op);
    /* read before the table: a nodeid retired after it voids what we
     * learn below, and the next request sees the count moved */
    uint64_t retired = fs_itable_nodes_retired(t);
    bool same = !c->name && last_out.nodeid == c->nodeid &&
                last_out.pgen == m->pgen && last_out.rgen == m->rgen &&
                last_out.retired == retired;
    if (same && (last_out.op_bits & m->op_bit))
        return true;
    if (child && fs_itable_name_probe(t, child, c->nodeid, c->name, m->pgen,
                                      m->rgen, m->op_bit))
        return true;
    uint64_t parent;
    ssize_t len =
        fs_itable_path_probe(t, c->nodeid, m->pgen, m->rgen, m->op_bit,
                             c->name != NULL, c->path, PATH_MAX, &parent);
    m->dir = c->name ? c->nodeid : parent;
    bool out = len == FS_PATH_RULED_OUT ||
               (!c->name && parent &&
                fs_itable_path_probe(t, parent, m->pgen, m->rgen, m->op_bit,
                                     true, NULL, 0, NULL) == FS_PATH_RULED_OUT);
    if (out && !c->name) {
        if (!same) {
            last_out.nodeid = c->nodeid;
            last_out.pgen = m->pgen;
            last_out.rgen = m->rgen;
            last_out.retired = retired;
            last_out.op_bits = 0;
        }
        last_out.op_bits |= m->op_bit;
    }
    if (out)
        return true;
    if (len >= 0) {
        c->path_done = true;
        c->path_ret = !c->name || path_append_name(c, len) ? c->path : NULL;
    }
    return false;
}

/* After a pass: keep what the engine ruled out, for the next request (for
 * a lookup's own name, through nm: the node is known only after it). */
static void seam_mark(struct seam_ctx *c, const struct seam_marks *m,
                      const struct inj_verdict *v, struct fs_seam_name_mark *nm)
{
    if (!m->on || v->generation != m->rgen)
        return;
    struct fs_itable *t = &c->fs->itable;
    if (!c->name && (v->ruled_out & INJ_RULED_OUT_PATH))
        fs_itable_path_rule_out(t, c->nodeid, m->pgen, m->rgen, m->op_bit,
                                false);
    if (m->dir && (v->ruled_out & INJ_RULED_OUT_DIR))
        fs_itable_path_rule_out(t, m->dir, m->pgen, m->rgen, m->op_bit, true);
    if (nm && (v->ruled_out & INJ_RULED_OUT_PATH)) {
        nm->want = true;
        nm->pgen = m->pgen;
        nm->rgen = m->rgen;
        nm->op_bit = m->op_bit;
    }
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
        fs_selfio_run(fs, v, c->nodeid ? seam_get_path(c) : NULL);
    if (v->actions & INJ_ACT_ERROR)
        return v->err > 0 ? -v->err : -EIO;
    return 0;
}

/* fs_seam() on node, or (node NULL) on nodeid, which may be 0: no node;
 * child and nm: see fs_seam_lookup() (0 and NULL for other requests). */
static int seam_run(fuse_req_t req, enum inj_op op, struct fs_inode *node,
                    uint64_t nodeid, const char *name, int64_t off,
                    int64_t size, int64_t flags, uint64_t child,
                    struct fs_seam_name_mark *nm, struct inj_verdict *v)
{
    if (nm)
        nm->want = false;
    struct fs_ctx *fs = fs_ctx_of(req);
    v->actions = 0;
#ifdef SNAG_HAVE_INJECT
    /* No rule names the op (and no saved verdict waits): the common case,
     * answered before anything is set up. */
    if (!fs_seam_wanted(fs, op))
        return 0;
    const struct fuse_ctx *fc = fuse_req_ctx(req);
    struct seam_ctx c;
    c.fs = fs;
    c.req = req;
    c.node = node;
    c.nodeid = node ? node->nodeid : nodeid;
    c.name = name;
    c.pid = fc->pid;
    c.path_done = c.comm_done = false;
    c.path_ret = c.comm_ret = NULL;
    if (fs_call_take_resume(v))
        return seam_apply(fs, &c, v);
    /* Our own threads' requests (the watchdog let them through) match no
     * rule: a selfio= rule must not feed on its own I/O. */
    struct fs_call *call = fs_call_current();
    if (call && call->self)
        return 0;
    struct seam_marks marks;
    if (seam_marked_out(&c, op, child, &marks)) {
        ctl_stats_ruled_out(fs->obs.stats, op);
        return 0;
    }

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
        .name_in_dir = marks.on && marks.dir != 0,
        .get_path = c.nodeid ? seam_get_path : NULL,
        .get_comm = seam_get_comm,
        .ctx = &c,
    };
    if (!ctl_decide(&fs->obs, fs->engine, &rq, c.nodeid, v)) {
        seam_mark(&c, &marks, v, nm);
        return 0;
    }
    if (v->actions & (INJ_ACT_DELAY | INJ_ACT_HANG))
        return fs_defer(req, v);
    return seam_apply(fs, &c, v);
#else
    (void)req, (void)op, (void)node, (void)nodeid, (void)name, (void)off;
    (void)size, (void)flags, (void)fs, (void)child;
#endif
    return 0;
}

int fs_seam(fuse_req_t req, enum inj_op op, struct fs_inode *node,
            const char *name, int64_t off, int64_t size, int64_t flags,
            struct inj_verdict *v)
{
    return seam_run(req, op, node, 0, name, off, size, flags, 0, NULL, v);
}

int fs_seam_lookup(fuse_req_t req, struct fs_inode *parent, const char *name,
                   uint64_t child, struct inj_verdict *v,
                   struct fs_seam_name_mark *mark)
{
    return seam_run(req, INJ_OP_LOOKUP, parent, 0, name, FS_SEAM_NONE,
                    FS_SEAM_NONE, FS_SEAM_NONE, child, mark, v);
}

void fs_seam_lookup_found(fuse_req_t req, const struct fs_seam_name_mark *mark,
                          struct fs_inode *parent, const char *name,
                          uint64_t found)
{
    if (mark->want)
        fs_itable_name_rule_out(&fs_ctx_of(req)->itable, found, parent->nodeid,
                                name, mark->pgen, mark->rgen, mark->op_bit);
}

int fs_seam_id(fuse_req_t req, enum inj_op op, fuse_ino_t ino, int64_t off,
               int64_t size, struct inj_verdict *v)
{
    return seam_run(req, op, NULL, ino, NULL, off, size, FS_SEAM_NONE, 0, NULL,
                    v);
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
