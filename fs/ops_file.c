/* fs/ops_file.c — open-file ops: open, create, read, write, sync, fallocate.
 *
 * Invariants:
 *  - fi->fh is the backing fd + 1 of a regular file, owned by the handle
 *    and closed exactly once, in fs_release (whatever the verdict says).
 *    fi->fh == 0 means no handle (the kernel sends that after an open
 *    answered ENOSYS): such requests use a private fd (fs_file_fd()).
 *  - The backing fd never carries O_DIRECT: the daemon's buffers (and
 *    splice pipes) cannot honour its alignment rules, and the kernel side of
 *    the mount already bypasses the page cache for O_DIRECT callers.
 *  - Large reads are spliced, the rest copied through a per-thread buffer
 *    (see read_spliced()).
 *    Writes go from libfuse's buffer (or pipe, when it spliced) straight to
 *    the backing fd unless a verdict needs the bytes in memory: CORRUPT,
 *    or SHORT.
 *  - A corrupt write damages a private copy; the caller's data is never
 *    touched. A lying write reports the full count and writes nothing.
 */
#include "fs.h"
#include "inject_seam.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Flags for the backing open of a caller's open(2) flags. */
static int backing_flags(const struct fs_ctx *fs, int flags)
{
    flags &= ~(O_NOFOLLOW | O_DIRECT);
    if (fs->writeback) {
        /* The kernel may read to fill pages of a write-only file, and it
         * handles O_APPEND itself from its cached size. */
        if ((flags & O_ACCMODE) == O_WRONLY)
            flags = (flags & ~O_ACCMODE) | O_RDWR;
        flags &= ~O_APPEND;
    }
    if (fs->noatime)
        flags |= O_NOATIME;
    return flags | O_CLOEXEC;
}

/* open or openat, retrying without O_NOATIME where it is not permitted
 * (EPERM: caller is neither owner nor privileged). */
static int open_backing(int dirfd, const char *path, int flags, mode_t mode)
{
    int fd = openat(dirfd, path, flags, mode);
    if (fd < 0 && errno == EPERM && (flags & O_NOATIME))
        fd = openat(dirfd, path, flags & ~O_NOATIME, mode);
    return fd < 0 ? -errno : fd;
}

static void fill_fi(const struct fs_ctx *fs, struct fuse_file_info *fi, int fd)
{
    fi->fh = (uint64_t)fd + 1; /* 0 is "no handle", see fs_file_fd() */
    fi->direct_io = fs->direct_io;
    fi->keep_cache = fs->keep_cache;
}

int fs_file_fd(fuse_req_t req, fuse_ino_t ino, const struct fuse_file_info *fi,
               int *tmp)
{
    *tmp = -1;
    if (fi && fi->fh)
        return (int)(fi->fh - 1);
    /* No handle: the kernel stopped sending open after one answered
     * ENOSYS (an injected fault can do that). Serve the request from a
     * private fd on the node. */
    struct fs_inode *n = fs_node(req, ino);
    if (!n)
        return -ESTALE;
    if (n->type != S_IFREG)
        return -EBADF;
    char proc[64];
    fs_proc_path(proc, n->fd);
    int fd = open(proc, O_RDWR | O_CLOEXEC);
    if (fd < 0 && (errno == EROFS || errno == EPERM || errno == EACCES ||
                   errno == ETXTBSY))
        fd = open(proc, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    *tmp = fd;
    return fd;
}

void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct fs_ctx *fs = fs_ctx_of(req);
    struct inj_verdict v;
    char proc[64];
    struct fs_inode *n = fs_node(req, ino);
    if (!n) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam(req, INJ_OP_OPEN, n, NULL, FS_SEAM_NONE, FS_SEAM_NONE,
                     (uint32_t)fi->flags, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    fs_proc_path(proc, n->fd);
    int fd = open_backing(AT_FDCWD, proc, backing_flags(fs, fi->flags), 0);
    if (fd < 0) {
        fs_reply_status(req, fd);
        return;
    }
    /* FUSE_OPEN_KILL_SUIDGID: see fs_kill_suidgid() */
    rc = (fi->flags & O_TRUNC) ? fs_kill_suidgid(req, NULL, fd, false) : 0;
    if (rc < 0) {
        close(fd);
        fs_reply_status(req, rc);
        return;
    }
    fill_fi(fs, fi, fd);
    if (fuse_reply_open(req, fi) == -ENOENT)
        close(fd); /* interrupted: no release will come */
}

void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
               struct fuse_file_info *fi)
{
    struct fs_ctx *fs = fs_ctx_of(req);
    struct fuse_entry_param e;
    struct inj_verdict v;
    struct fs_creds c;
    struct fs_inode *p = fs_node(req, parent);
    if (!p) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam(req, INJ_OP_CREATE, p, name, FS_SEAM_NONE, FS_SEAM_NONE,
                     (uint32_t)fi->flags, &v);
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
    int fd =
        open_backing(p->fd, name, backing_flags(fs, fi->flags) | O_CREAT, mode);
    fs_creds_leave(fs, &c);
    if (fd < 0) {
        fs_reply_status(req, fd);
        return;
    }
    /* The kernel sends CREATE for a name it found negative: the file is
     * almost always new. */
    rc = fs_do_lookup_hinted(fs, p, name, true, &e);
    if (rc < 0) {
        close(fd);
        fs_reply_status(req, rc);
        return;
    }
    fill_fi(fs, fi, fd);
    if (fuse_reply_create(req, &e, fi) == -ENOENT)
        close(fd);
}

/* pread until len bytes or end of file. */
static ssize_t pread_full(int fd, char *buf, size_t len, off_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, buf + got, len - got, off + (off_t)got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return got ? (ssize_t)got : -errno;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* This thread's buffer for read replies, at least size bytes (NULL when
 * out of memory); freed when the thread exits. Small reads are copied
 * through it (pread + writev costs what splicing them did, and saves the
 * malloc libfuse would do per reply). */
static pthread_key_t read_buffer_key;
static pthread_once_t read_buffer_once = PTHREAD_ONCE_INIT;
struct read_buffer {
    size_t size;
    char data[];
};

static void read_buffer_key_init(void)
{
    (void)pthread_key_create(&read_buffer_key, free);
}

static char *read_buffer(size_t size)
{
    pthread_once(&read_buffer_once, read_buffer_key_init);
    struct read_buffer *b = pthread_getspecific(read_buffer_key);
    if (b && b->size >= size)
        return b->data;
    size_t want = size < 64 * 1024 ? 64 * 1024 : size;
    struct read_buffer *nb = malloc(sizeof(*nb) + want);
    if (!nb)
        return NULL;
    nb->size = want;
    if (pthread_setspecific(read_buffer_key, nb) != 0) {
        free(nb);
        return NULL;
    }
    free(b);
    return nb->data;
}

/* Reads from FS_SPLICE_MIN up to fs->splice_max bytes are spliced from the
 * backing file into libfuse's pipe and on to /dev/fuse: one copy instead of
 * two (~40% less daemon CPU per MiB from 16 KiB up; equal below). libfuse
 * splices only when its pipe holds the whole reply, else it falls back to a
 * malloc per reply, which glibc serves for large sizes from a fresh mmap
 * (256 page faults, zeroing and a munmap per 1 MiB read: the daemon spent
 * ~60% of its time there). So the splice is asked for only when the pipe
 * can grow to the reply plus headers (fs_splice_limit()), and the length is
 * clamped to the end of the file, since a short splice takes the same
 * malloc path. Everything else is copied through read_buffer(). */
#define FS_SPLICE_MIN (16 * 1024)
#define FS_SPLICE_SLACK (16 * 1024) /* libfuse's pipe: header pages */

size_t fs_splice_limit(void)
{
    /* Root with CAP_SYS_RESOURCE may exceed fs.pipe-max-size. */
    const int big = 2 * 1024 * 1024;
    int p[2];
    long limit = 0;
    if (pipe2(p, O_CLOEXEC) < 0)
        return 0;
    if (fcntl(p[0], F_SETPIPE_SZ, big) >= 0) {
        limit = big;
    } else {
        FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
        if (f) {
            if (fscanf(f, "%ld", &limit) != 1)
                limit = 0;
            fclose(f);
        }
    }
    close(p[0]);
    close(p[1]);
    return limit > FS_SPLICE_SLACK + FS_SPLICE_MIN
               ? (size_t)(limit - FS_SPLICE_SLACK)
               : 0;
}

/* Answer the read by splicing, when that is the cheaper way (see above);
 * false: not done, copy instead. */
static bool read_spliced(fuse_req_t req, int fd, size_t size, off_t off)
{
    struct stat st;
    if (size < FS_SPLICE_MIN || size > fs_ctx_of(req)->splice_max ||
        fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return false;
    if (st.st_size - off < (off_t)size) {
        if (st.st_size - off < FS_SPLICE_MIN)
            return false;
        size = (size_t)(st.st_size - off);
    }
    struct fuse_bufvec b = FUSE_BUFVEC_INIT(size);
    b.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
    b.buf[0].fd = fd;
    b.buf[0].pos = off;
    fuse_reply_data(req, &b, 0);
    return true;
}

void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
             struct fuse_file_info *fi)
{
    struct inj_verdict v;
    int tmp;
    int rc = fs_seam_ino(req, INJ_OP_READ, ino, off, (int64_t)size, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    int fd = fs_file_fd(req, ino, fi, &tmp);
    if (fd < 0) {
        fs_reply_status(req, fd);
        return;
    }
    size = fs_seam_len(&v, size);
    if (!fs_seam_corrupts(&v) && read_spliced(req, fd, size, off)) {
        fs_file_done(tmp);
        return;
    }
    char *buf = read_buffer(size);
    ssize_t got = buf ? pread_full(fd, buf, size, off) : -ENOMEM;
    fs_file_done(tmp);
    if (got < 0) {
        fs_reply_status(req, (int)got);
        return;
    }
    if (fs_seam_corrupts(&v))
        fs_seam_corrupt(&v, buf, (size_t)got);
    fuse_reply_buf(req, buf, (size_t)got);
}

/* Pull the whole request payload into memory, then write len bytes of it
 * (damaged first when the verdict says so). */
static ssize_t write_via_memory(int fd, struct fuse_bufvec *in, size_t size,
                                size_t len, off_t off,
                                const struct inj_verdict *v)
{
    char *mem = malloc(size ? size : 1);
    if (!mem)
        return -ENOMEM;
    struct fuse_bufvec mb = FUSE_BUFVEC_INIT(size);
    mb.buf[0].mem = mem;
    ssize_t got = fuse_buf_copy(&mb, in, FUSE_BUF_NO_SPLICE);
    if (got < 0)
        goto out_free;
    if ((size_t)got < len)
        len = (size_t)got;
    if (fs_seam_corrupts(v))
        fs_seam_corrupt(v, mem, len);
    size_t done = 0;
    while (done < len) {
        ssize_t w = pwrite(fd, mem + done, len - done, off + (off_t)done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            got = done ? (ssize_t)done : -errno;
            goto out_free;
        }
        done += (size_t)w;
    }
    got = (ssize_t)done;
out_free:
    free(mem);
    return got;
}

void fs_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv,
                  off_t off, struct fuse_file_info *fi)
{
    struct inj_verdict v;
    int tmp;
    size_t size = fuse_buf_size(bufv);
    int rc = fs_seam_ino(req, INJ_OP_WRITE, ino, off, (int64_t)size, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    if (fs_seam_lie(&v)) {
        fuse_reply_write(req, size);
        return;
    }
    int fd = fs_file_fd(req, ino, fi, &tmp);
    if (fd < 0) {
        fs_reply_status(req, fd);
        return;
    }
    size_t len = fs_seam_len(&v, size);
    /* FUSE_WRITE_KILL_SUIDGID: see fs_kill_suidgid() */
    ssize_t res = fs_kill_suidgid(req, NULL, fd, false);
    if (res < 0) {
        /* nothing written */
    } else if (len < size || fs_seam_corrupts(&v)) {
        res = write_via_memory(fd, bufv, size, len, off, &v);
    } else {
        struct fuse_bufvec out = FUSE_BUFVEC_INIT(size);
        out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
        out.buf[0].fd = fd;
        out.buf[0].pos = off;
        res = fuse_buf_copy(&out, bufv, 0);
    }
    fs_file_done(tmp);
    if (res < 0)
        fs_reply_status(req, (int)res);
    else
        fuse_reply_write(req, (size_t)res);
}

void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct inj_verdict v;
    int rc =
        fs_seam_ino(req, INJ_OP_FLUSH, ino, FS_SEAM_NONE, FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0 && !fs_seam_lie(&v) && fi->fh) {
        /* Closing a duplicate drops POSIX locks and makes network
         * filesystems report delayed write errors, as close(2) would. */
        int dfd = dup((int)(fi->fh - 1));
        rc = dfd < 0 ? -errno : (close(dfd) < 0 ? -errno : 0);
    }
    fs_reply_status(req, rc);
}

void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct inj_verdict v;
    int rc =
        fs_seam_ino(req, INJ_OP_RELEASE, ino, FS_SEAM_NONE, FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (fi->fh)
        close((int)(fi->fh - 1)); /* always: the handle is gone either way */
    fs_reply_status(req, rc);
}

void fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
              struct fuse_file_info *fi)
{
    struct inj_verdict v;
    int tmp;
    int rc =
        fs_seam_ino(req, INJ_OP_FSYNC, ino, FS_SEAM_NONE, FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0 && !fs_seam_lie(&v)) {
        int fd = fs_file_fd(req, ino, fi, &tmp);
        if (fd < 0)
            rc = fd;
        else
            rc = (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
        fs_file_done(tmp);
    }
    fs_reply_status(req, rc);
}

void fs_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
    struct inj_verdict v;
    int rc =
        fs_seam_ino(req, INJ_OP_FLOCK, ino, FS_SEAM_NONE, FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0 && !fs_seam_lie(&v)) {
        /* A lock on a private fd would vanish with it, so without a
         * handle (see fs_file_fd()) flock is refused. */
        if (!fi->fh)
            rc = -ENOSYS;
        else
            rc = flock((int)(fi->fh - 1), op) < 0 ? -errno : 0;
    }
    fs_reply_status(req, rc);
}

void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
                  off_t length, struct fuse_file_info *fi)
{
    struct inj_verdict v;
    int tmp;
    int rc = fs_seam_ino(req, INJ_OP_FALLOCATE, ino, offset, length, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0 && !fs_seam_lie(&v)) {
        int fd = fs_file_fd(req, ino, fi, &tmp);
        if (fd < 0)
            rc = fd;
        else
            rc = fallocate(fd, mode, offset, length) < 0 ? -errno : 0;
        fs_file_done(tmp);
    }
    fs_reply_status(req, rc);
}

void fs_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                        struct fuse_file_info *fi_in, fuse_ino_t ino_out,
                        off_t off_out, struct fuse_file_info *fi_out,
                        size_t len, int flags)
{
    struct inj_verdict v;
    int tmp_in = -1, tmp_out = -1;
    int rc = fs_seam_ino(req, INJ_OP_COPY_FILE_RANGE, ino_out, off_out,
                         (int64_t)len, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    if (fs_seam_lie(&v)) {
        fuse_reply_write(req, len);
        return;
    }
    len = fs_seam_len(&v, len);
    ssize_t res;
    int in = fs_file_fd(req, ino_in, fi_in, &tmp_in);
    int out = in < 0 ? -1 : fs_file_fd(req, ino_out, fi_out, &tmp_out);
    if (in < 0)
        res = in;
    else if (out < 0)
        res = out;
    else if ((res = copy_file_range(in, &off_in, out, &off_out, len,
                                    (unsigned)flags)) < 0)
        res = -errno;
    fs_file_done(tmp_in);
    fs_file_done(tmp_out);
    if (res < 0)
        fs_reply_status(req, (int)res);
    else
        fuse_reply_write(req, (size_t)res);
}

void fs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
              struct fuse_file_info *fi)
{
    struct inj_verdict v;
    int tmp;
    if (fs_ctx_of(req)->writeback) {
        /* Dirty pages the kernel has not flushed yet are invisible here,
         * so SEEK_DATA/SEEK_HOLE would miss fresh data (the kernel does
         * not flush before FUSE_LSEEK). ENOSYS makes it answer from its
         * own size for the rest of the mount: all data, one hole at EOF. */
        fs_reply_status(req, -ENOSYS);
        return;
    }
    int rc = fs_seam_ino(req, INJ_OP_LSEEK, ino, off, FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    int fd = fs_file_fd(req, ino, fi, &tmp);
    if (fd < 0) {
        fs_reply_status(req, fd);
        return;
    }
    off_t res = lseek(fd, off, whence);
    int err = errno;
    fs_file_done(tmp);
    if (res < 0)
        fs_reply_status(req, -err);
    else
        fuse_reply_lseek(req, res);
}
