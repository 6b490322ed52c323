/* fs/devio.c — /dev/fuse I/O hooks: negotiate what libfuse 3.14 cannot.
 *
 * Invariants:
 *  - The hooks are plain pass-throughs to read/writev/splice except for the
 *    one INIT exchange: the INIT request's unique id and the kernel's
 *    offered flags are noted on the way in, and the INIT reply gets two
 *    flags libfuse 3.14 predates added on the way out, each only when the
 *    kernel offered it:
 *      FUSE_DIRECT_IO_ALLOW_MMAP (kernel 6.6, bit 36; strict mode only):
 *        without it FOPEN_DIRECT_IO makes every shared mmap fail (ENODEV).
 *      FUSE_HANDLE_KILLPRIV_V2 (kernel 5.11, bit 28; every mode): the
 *        kernel then leaves clearing setuid/setgid and file capabilities
 *        to us and sets SB_NOSEC. Without it every buffered write first
 *        asks getxattr("security.capability") through the mount: one more
 *        round trip per write(2) in normal mode, and in writeback mode the
 *        only round trip (the data itself is cached). See fs_kill_suidgid.
 *  - The reply is patched in a private copy; libfuse's buffers are never
 *    written.
 */
#include "devio.h"

#include "workers.h"

#include <errno.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef FUSE_DIRECT_IO_ALLOW_MMAP
#define FUSE_DIRECT_IO_ALLOW_MMAP (1ULL << 36)
#endif
#define DIO_MMAP_FLAGS2 ((uint32_t)(FUSE_DIRECT_IO_ALLOW_MMAP >> 32))
#ifndef FUSE_HANDLE_KILLPRIV_V2
#define FUSE_HANDLE_KILLPRIV_V2 (1U << 28)
#endif

static struct fs_devio *devio_of(void *userdata)
{
    return &((struct fs_ctx *)userdata)->devio;
}

static ssize_t devio_read(int fd, void *buf, size_t len, void *userdata)
{
    ssize_t n = read(fd, buf, len);
    const size_t need = sizeof(struct fuse_in_header) +
                        offsetof(struct fuse_init_in, flags2) +
                        sizeof(uint32_t);
    if (n >= (ssize_t)need) {
        const struct fuse_in_header *in = buf;
        if (in->opcode == FUSE_INIT) {
            const char *arg = (const char *)buf + sizeof(*in);
            uint32_t flags, flags2;
            memcpy(&flags, arg + offsetof(struct fuse_init_in, flags),
                   sizeof(flags));
            memcpy(&flags2, arg + offsetof(struct fuse_init_in, flags2),
                   sizeof(flags2));
            struct fs_devio *d = devio_of(userdata);
            atomic_store(&d->kernel_flags, flags);
            atomic_store(&d->kernel_flags2,
                         (flags & FUSE_INIT_EXT) ? flags2 : 0);
            atomic_store(&d->init_unique, in->unique);
        }
    }
    return n;
}

static ssize_t devio_writev_init(int fd, struct iovec *iov, int count,
                                 void *userdata)
{
    struct fs_devio *d = devio_of(userdata);
    uint64_t unique = atomic_load(&d->init_unique);
    if (unique == 0 || count < 2 || count > 8 ||
        iov[0].iov_len < sizeof(struct fuse_out_header))
        return writev(fd, iov, count);
    const struct fuse_out_header *out = iov[0].iov_base;
    if (out->unique != unique)
        return writev(fd, iov, count);
    atomic_store(&d->init_unique, 0);

    union {
        struct fuse_init_out s;
        char bytes[256];
    } reply;
    size_t len = iov[1].iov_len;
    if (out->error != 0 || len > sizeof(reply) ||
        len < offsetof(struct fuse_init_out, flags2) + sizeof(uint32_t))
        return writev(fd, iov, count);
    memcpy(reply.bytes, iov[1].iov_base, len);
    bool debug = ((struct fs_ctx *)userdata)->opt->debug;
    if ((reply.s.flags & FUSE_INIT_EXT) &&
        (atomic_load(&d->kernel_flags2) & DIO_MMAP_FLAGS2) &&
        d->want_dio_mmap) {
        reply.s.flags2 |= DIO_MMAP_FLAGS2;
        d->dio_mmap = true;
        if (debug)
            fprintf(stderr,
                    "snagfs: INIT reply: + FUSE_DIRECT_IO_ALLOW_MMAP "
                    "(flags2=%#x)\n",
                    reply.s.flags2);
    }
    if ((atomic_load(&d->kernel_flags) & FUSE_HANDLE_KILLPRIV_V2) &&
        !(reply.s.flags & FUSE_HANDLE_KILLPRIV)) {
        reply.s.flags |= FUSE_HANDLE_KILLPRIV_V2;
        d->killpriv_v2 = true;
        if (debug)
            fprintf(stderr, "snagfs: INIT reply: + FUSE_HANDLE_KILLPRIV_V2\n");
    }
    struct iovec copy[8];
    memcpy(copy, iov, (size_t)count * sizeof(*iov));
    copy[1].iov_base = reply.bytes;
    return writev(fd, copy, count);
}

/* Every message to the kernel goes past the worker pool: the reply to the
 * request a worker is serving frees that worker for the next one
 * (workers.c matches the unique id; notifications have none). It is
 * counted free before the write: writing the reply wakes the client,
 * which on the same CPU preempts the worker inside writev(), and the
 * client's next request must not find the worker still counted busy. */
static ssize_t devio_writev(int fd, struct iovec *iov, int count,
                            void *userdata)
{
    if (count >= 1 && iov[0].iov_len >= sizeof(struct fuse_out_header))
        fs_workers_replied(
            ((const struct fuse_out_header *)iov[0].iov_base)->unique);
    return devio_writev_init(fd, iov, count, userdata);
}

static ssize_t devio_splice(int fdin, off_t *offin, int fdout, off_t *offout,
                            size_t len, unsigned int flags, void *userdata)
{
    (void)userdata;
    return splice(fdin, offin, fdout, offout, len, flags);
}

static const struct fuse_custom_io devio_ops = {
    .writev = devio_writev,
    .read = devio_read,
    .splice_receive = devio_splice,
    .splice_send = devio_splice,
};

int fs_devio_install(struct fs_ctx *fs, struct fuse_session *se)
{
    fs->devio.want_dio_mmap = fs->direct_io;
    int rc = fuse_session_custom_io(se, &devio_ops, fuse_session_fd(se));
    return rc < 0 ? rc : 0;
}
