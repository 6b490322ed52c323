/* tests/unit/reactor/conc_reads.c — N concurrent preads from N threads; wall
 * time and latency percentiles.
 *
 * For the benchmark "1,000 concurrent reads under read:delay=100ms": all
 * threads open nothing themselves, they share one fd, wait on a barrier and
 * pread at once; the tool prints the total wall time and per-read latency
 * percentiles. Exit status 1 if any read failed (the errno is counted).
 *
 *   conc_reads [-n THREADS] [-s SIZE] [-q] FILE
 *     -n  concurrent readers (default 1000)
 *     -s  bytes per read (default 4096); reader i reads at offset
 *         (i * SIZE) mod file size, so distinct pages when the file is big
 *     -q  one line of key=value output instead of the table
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct reader {
    pthread_t t;
    int fd;
    size_t size;
    off_t off;
    uint64_t lat_ns;
    int err;
};

static pthread_barrier_t g_barrier;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    char *buf = malloc(rd->size);
    uint64_t t0;
    ssize_t n;

    if (!buf) {
        rd->err = ENOMEM;
        return NULL;
    }
    pthread_barrier_wait(&g_barrier);
    t0 = now_ns();
    n = pread(rd->fd, buf, rd->size, rd->off);
    rd->lat_ns = now_ns() - t0;
    if (n < 0)
        rd->err = errno;
    free(buf);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double p)
{
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return (double)v[i] / 1e6;
}

int main(int argc, char **argv)
{
    size_t n = 1000, size = 4096, failed = 0;
    int opt, quiet = 0, fd;
    struct reader *rd;
    uint64_t *lat, t0, wall;
    pthread_attr_t attr;
    struct stat st;

    while ((opt = getopt(argc, argv, "n:s:q")) != -1) {
        switch (opt) {
        case 'n':
            n = strtoul(optarg, NULL, 0);
            break;
        case 's':
            size = strtoul(optarg, NULL, 0);
            break;
        case 'q':
            quiet = 1;
            break;
        default:
            goto usage;
        }
    }
    if (optind + 1 != argc || n == 0 || size == 0)
        goto usage;
    fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "conc_reads: %s: %s\n", argv[optind], strerror(errno));
        return 2;
    }
    rd = calloc(n, sizeof(*rd));
    lat = calloc(n, sizeof(*lat));
    if (!rd || !lat)
        return 2;
    pthread_barrier_init(&g_barrier, NULL, (unsigned)n + 1);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    for (size_t i = 0; i < n; i++) {
        rd[i].fd = fd;
        rd[i].size = size;
        rd[i].off =
            st.st_size > 0 ? (off_t)((i * size) % (size_t)st.st_size) : 0;
        if (pthread_create(&rd[i].t, &attr, reader_main, &rd[i]) != 0) {
            fprintf(stderr, "conc_reads: cannot start thread %zu\n", i);
            return 2;
        }
    }
    t0 = now_ns();
    pthread_barrier_wait(&g_barrier);
    for (size_t i = 0; i < n; i++)
        pthread_join(rd[i].t, NULL);
    wall = now_ns() - t0;

    for (size_t i = 0; i < n; i++) {
        lat[i] = rd[i].lat_ns;
        if (rd[i].err) {
            if (!failed)
                fprintf(stderr, "conc_reads: read %zu: %s\n", i,
                        strerror(rd[i].err));
            failed++;
        }
    }
    qsort(lat, n, sizeof(*lat), cmp_u64);
    if (quiet)
        printf("reads=%zu failed=%zu wall_ms=%.1f p50_ms=%.2f p90_ms=%.2f "
               "p99_ms=%.2f max_ms=%.2f min_ms=%.2f\n",
               n, failed, wall / 1e6, pct(lat, n, 50), pct(lat, n, 90),
               pct(lat, n, 99), lat[n - 1] / 1e6, lat[0] / 1e6);
    else
        printf(
            "%zu concurrent preads of %zu bytes: %zu failed\n"
            "wall time  %10.1f ms\n"
            "latency    min %.2f  p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms\n",
            n, size, failed, wall / 1e6, lat[0] / 1e6, pct(lat, n, 50),
            pct(lat, n, 90), pct(lat, n, 99), lat[n - 1] / 1e6);
    free(rd);
    free(lat);
    close(fd);
    return failed ? 1 : 0;

usage:
    fprintf(stderr, "usage: conc_reads [-n THREADS] [-s SIZE] [-q] FILE\n");
    return 2;
}
