/* bench_openclose.c — open+close latency of one existing file, for
 * scripts/bench.
 *
 * Usage: bench_openclose FILE N
 * Times N open(O_RDONLY)+close pairs one by one (CLOCK_MONOTONIC) after 100
 * untimed warm-up pairs and prints "openclose <median µs> <p99 µs>".  On an
 * error prints "openclose ERR:<errno>@<i>" and exits 1. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_openclose FILE N\n");
        return 2;
    }
    long n = atol(argv[2]);
    if (n < 1)
        return 2;
    double *t = malloc(sizeof(*t) * n);
    if (!t)
        return 1;
    for (long i = -100; i < n; i++) {
        double t0 = now_us();
        int fd = open(argv[1], O_RDONLY);
        if (fd < 0) {
            printf("openclose ERR:%s@%ld\n", strerrorname_np(errno), i);
            return 1;
        }
        close(fd);
        if (i >= 0)
            t[i] = now_us() - t0;
    }
    qsort(t, n, sizeof(*t), cmp_double);
    double med = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    printf("openclose %.2f %.2f\n", med, t[(long)(n * 0.99)]);
    free(t);
    return 0;
}
