/* fs/ops_dir.c — directory ops: opendir, readdir(plus), releasedir, fsyncdir.
 *
 * Invariants:
 *  - fi->fh is a struct fs_dir owned by the open directory and freed in
 *    fs_releasedir; 0 (no handle, after opendir answered ENOSYS) makes each
 *    readdir use a private stream positioned by the offset cookie. Its stream
 * position is protected by d->lock (two threads may read the same open
 * directory).
 *  - readdirplus takes one kernel reference for every entry it returns
 *    except "." and ".." (sent without a nodeid, so the kernel takes none);
 *    an entry that does not fit is not looked up.
 *  - Once an entry is in the reply buffer, a later error ends the reply
 *    early instead of replacing it: the references must reach the kernel.
 */
#include "fs.h"
#include "inject_seam.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fs_dir {
    pthread_mutex_t lock;
    DIR *dp;
    off_t offset;         /* position of entry, as the kernel knows it */
    struct dirent *entry; /* read but not yet returned, or NULL */
};

static struct fs_dir *dir_of(struct fuse_file_info *fi)
{
    return (struct fs_dir *)(uintptr_t)fi->fh;
}

/* Open a directory stream on node n. Returns 0 and *out, or -errno. */
static int dir_open(struct fs_ctx *fs, struct fs_inode *n, struct fs_dir **out)
{
    struct fs_dir *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    int fd = openat(n->fd, ".", flags | (fs->noatime ? O_NOATIME : 0));
    if (fd < 0 && errno == EPERM && fs->noatime)
        fd = openat(n->fd, ".", flags);
    if (fd < 0)
        goto out_free;
    d->dp = fdopendir(fd);
    if (!d->dp)
        goto out_close;
    pthread_mutex_init(&d->lock, NULL);
    *out = d;
    return 0;

out_close:
    close(fd);
out_free:
    free(d);
    return -errno;
}

static void dir_close(struct fs_dir *d)
{
    closedir(d->dp);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct fs_ctx *fs = fs_ctx_of(req);
    struct inj_verdict v;
    struct fs_dir *d;
    struct fs_inode *n = fs_node(req, ino);
    if (!n) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam(req, INJ_OP_OPENDIR, n, NULL, FS_SEAM_NONE, FS_SEAM_NONE,
                     (uint32_t)fi->flags, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0)
        rc = dir_open(fs, n, &d);
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    fi->fh = (uint64_t)(uintptr_t)d;
    if (fs->keep_cache)
        fi->cache_readdir = 1;
    if (fuse_reply_open(req, fi) == -ENOENT)
        dir_close(d); /* interrupted: no releasedir will come */
}

/* Whether the kernel already holds the node a directory entry names, by
 * its d_ino on the directory's device (a guess: a mount point's d_ino is
 * the covered directory's; the lookup is right either way). */
static bool entry_is_live(struct fs_ctx *fs, const struct fs_inode *dir,
                          const struct dirent *ent)
{
    uint64_t id = fs_itable_nodeid(&fs->itable, dir->dev, ent->d_ino);
    return id != 0 && fs_inode_get(&fs->itable, id) != NULL;
}

static bool is_dot(const char *name)
{
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi, bool plus)
{
    struct fs_ctx *fs = fs_ctx_of(req);
    struct fs_dir *d = dir_of(fi);
    struct inj_verdict v;
    struct fs_inode *n = fs_node(req, ino);
    if (!n) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam(req, INJ_OP_READDIR, n, NULL, off, (int64_t)size,
                     FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    /* No handle (opendir answered ENOSYS once): a private stream,
     * positioned by the offset cookie, for this request only. */
    struct fs_dir *tmp = NULL;
    if (!d) {
        rc = dir_open(fs, n, &tmp);
        if (rc < 0) {
            fs_reply_status(req, rc);
            return;
        }
        d = tmp;
        d->offset = -1;
    }
    char *buf = malloc(size);
    if (!buf) {
        if (tmp)
            dir_close(tmp);
        fs_reply_status(req, -ENOMEM);
        return;
    }
    size_t rem = size;
    char *p = buf;

    pthread_mutex_lock(&d->lock);
    if (off != d->offset) {
        seekdir(d->dp, off);
        d->entry = NULL;
        d->offset = off;
    }
    for (;;) {
        if (!d->entry) {
            errno = 0;
            d->entry = readdir(d->dp);
            if (!d->entry) {
                rc = errno ? -errno : 0;
                break;
            }
        }
        const char *name = d->entry->d_name;
        off_t next = d->entry->d_off;
        size_t used;
        if (plus) {
            /* An entry that will not fit ends the reply before its lookup
             * (the next READDIRPLUS looks it up), so every reference taken
             * reaches the kernel. */
            if (fuse_add_direntry_plus(req, NULL, 0, name, NULL, 0) > rem)
                break;
            struct fuse_entry_param e;
            if (is_dot(name)) {
                memset(&e, 0, sizeof(e));
                e.attr.st_ino = d->entry->d_ino;
                e.attr.st_mode = (mode_t)d->entry->d_type << 12;
            } else {
                rc = fs_do_lookup_hinted(fs, n, name,
                                         !entry_is_live(fs, n, d->entry), &e);
                if (rc == -ENOENT) { /* gone since readdir saw it */
                    d->entry = NULL;
                    d->offset = next;
                    rc = 0;
                    continue;
                }
                if (rc < 0)
                    break;
            }
            used = fuse_add_direntry_plus(req, p, rem, name, &e, next);
        } else {
            struct stat st = {
                .st_ino = d->entry->d_ino,
                .st_mode = (mode_t)d->entry->d_type << 12,
            };
            used = fuse_add_direntry(req, p, rem, name, &st, next);
            if (used > rem)
                break;
        }
        p += used;
        rem -= used;
        d->entry = NULL;
        d->offset = next;
    }
    pthread_mutex_unlock(&d->lock);
    if (tmp)
        dir_close(tmp);

    if (rc < 0 && rem == size)
        fs_reply_status(req, rc);
    else
        fuse_reply_buf(req, buf, size - rem);
    free(buf);
}

void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                struct fuse_file_info *fi)
{
    do_readdir(req, ino, size, off, fi, false);
}

void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    do_readdir(req, ino, size, off, fi, true);
}

void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct inj_verdict v;
    struct fs_dir *d = dir_of(fi);
    int rc = fs_seam_ino(req, INJ_OP_RELEASEDIR, ino, FS_SEAM_NONE,
                         FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (d)
        dir_close(d);
    fs_reply_status(req, rc);
}

void fs_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
                 struct fuse_file_info *fi)
{
    struct inj_verdict v;
    struct fs_dir *d = dir_of(fi);
    int rc =
        fs_seam_ino(req, INJ_OP_FSYNCDIR, ino, FS_SEAM_NONE, FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0 && !fs_seam_lie(&v)) {
        struct fs_inode *n = d ? NULL : fs_node(req, ino);
        int fd = d ? dirfd(d->dp)
                   : (n ? openat(n->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                        : -1);
        if (fd < 0)
            rc = n || d ? -errno : -ESTALE;
        else
            rc = (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
        if (!d && fd >= 0)
            close(fd);
    }
    fs_reply_status(req, rc);
}
