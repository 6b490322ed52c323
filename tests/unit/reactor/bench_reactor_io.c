/* tests/unit/reactor/bench_reactor_io.c — delayed preads: pread in the callback
 * vs through the ring.
 *
 *   bench_reactor_io [-n N] [-s SIZE] [-d] [-t] FILE
 *     N delayed 4 KiB preads (default 10000, 20 ms delay), spread over FILE;
 *     -d opens FILE with O_DIRECT (every read hits the device), -t uses the
 *     timer backend. Every 10th entry is a plain timer with no I/O: its
 *     lateness shows how much the reads hold up other parked requests.
 *     Prints, per mode, the time from the deadline to the last completion
 *     and the timers' worst lateness.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reactor.h"

#define DELAY_NS 20000000ull

struct ent {
    int fd;
    void *buf;
    size_t len;
    off_t off;
    uint64_t deadline;
};

static atomic_uint g_done;
static uint64_t g_last_done, g_timer_late;
static unsigned g_errors;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void done(struct ent *e, ssize_t res)
{
    if (res < 0 || (size_t)res != e->len)
        g_errors++;
    g_last_done = now_ns();
    atomic_fetch_add(&g_done, 1);
}

static void on_timer_read(void *arg, enum fs_wake why)
{
    struct ent *e = arg;
    ssize_t n = pread(e->fd, e->buf, e->len, e->off);

    done(e, n < 0 ? -errno : n);
}

static void on_ring_read(void *arg, enum fs_wake why, ssize_t res)
{
    done(arg, res);
}

static void on_plain(void *arg, enum fs_wake why)
{
    struct ent *e = arg;
    uint64_t late = now_ns() - e->deadline;

    if (late > g_timer_late)
        g_timer_late = late;
    atomic_fetch_add(&g_done, 1);
}

static void run(const char *mode, bool ring, unsigned flags, int fd,
                off_t fsize, unsigned n, size_t size)
{
    struct fs_reactor *r;
    struct ent *e = calloc(n, sizeof(*e));
    char *bufs;
    uint64_t t0, t_parked, first_deadline = UINT64_MAX;

    if (posix_memalign((void **)&bufs, 4096, (size_t)n * size) != 0 || !e)
        exit(2);
    atomic_store(&g_done, 0);
    g_timer_late = 0;
    g_errors = 0;
    if (fs_reactor_start(flags, &r) != 0)
        exit(2);
    t0 = now_ns();
    for (unsigned i = 0; i < n; i++) {
        struct fs_parked *h;
        e[i] = (struct ent){
            fd, bufs + (size_t)i * size, size,
            (off_t)(((uint64_t)i * 7919 * size) % (uint64_t)fsize) &
                ~(off_t)4095,
            0};
        int err;
        if (i % 10 == 9) {
            err = fs_reactor_park(r, DELAY_NS, "b", on_plain, &e[i], &h);
        } else if (ring) {
            struct fs_io io = {FS_IO_PREAD, fd, e[i].buf, size, e[i].off};
            err = fs_reactor_park_io(r, DELAY_NS, "b", &io, on_ring_read, &e[i],
                                     &h);
        } else {
            err = fs_reactor_park(r, DELAY_NS, "b", on_timer_read, &e[i], &h);
        }
        if (err)
            exit(2);
        e[i].deadline = fs_parked_deadline(h);
        if (e[i].deadline < first_deadline)
            first_deadline = e[i].deadline;
        fs_parked_put(h);
    }
    t_parked = now_ns();
    while (atomic_load(&g_done) < n) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    printf("%-34s backend=%-12s park %6.1f ms  drain %7.2f ms  timers late max "
           "%7.2f ms  errors %u\n",
           mode, fs_reactor_backend(r), (t_parked - t0) / 1e6,
           (g_last_done - first_deadline) / 1e6, g_timer_late / 1e6, g_errors);
    fs_reactor_stop(r);
    free(bufs);
    free(e);
}

int main(int argc, char **argv)
{
    unsigned n = 10000, flags = 0;
    size_t size = 4096;
    int opt, oflags = O_RDONLY;
    struct stat st;

    while ((opt = getopt(argc, argv, "n:s:dt")) != -1) {
        switch (opt) {
        case 'n':
            n = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 's':
            size = strtoul(optarg, NULL, 0);
            break;
        case 'd':
            oflags |= O_DIRECT;
            break;
        case 't':
            flags |= FS_REACTOR_NO_URING;
            break;
        default:
            return 2;
        }
    }
    if (optind + 1 != argc)
        return 2;
    int fd = open(argv[optind], oflags);
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < (off_t)size) {
        fprintf(stderr, "bench_reactor_io: %s: %s\n", argv[optind],
                strerror(errno));
        return 2;
    }
    /* Baseline: the same preads back to back on this thread, no reactor. */
    {
        char *b;
        uint64_t t0 = now_ns();
        if (posix_memalign((void **)&b, 4096, size) != 0)
            return 2;
        for (unsigned i = 0; i < n - n / 10; i++)
            if (pread(fd, b, size,
                      (off_t)(((uint64_t)i * 7919 * size) %
                              (uint64_t)st.st_size) &
                          ~(off_t)4095) < 0)
                return 2;
        printf("%-34s %u preads back to back: %.2f ms\n", "baseline",
               n - n / 10, (now_ns() - t0) / 1e6);
        free(b);
    }
    run(oflags & O_DIRECT ? "pread in callback (O_DIRECT)"
                          : "pread in callback",
        false, flags, fd, st.st_size, n, size);
    run(oflags & O_DIRECT ? "pread through ring (O_DIRECT)"
                          : "pread through ring",
        true, flags, fd, st.st_size, n, size);
    close(fd);
    return 0;
}
