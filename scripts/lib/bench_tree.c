/* bench_tree.c — a wide tree of empty files for scripts/bench --memory.
 *
 * Usage: bench_tree DIR N [DIRS]
 * Creates DIRS (default 1000) directories d0000.. under DIR and N empty files
 * spread evenly over them (f0000000..), with mkdirat/openat relative to
 * directory fds so it runs at the speed of the filesystem.  Prints the number
 * of files created; exits 1 on the first error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_tree DIR N [DIRS]\n");
        return 2;
    }
    long n = atol(argv[2]), ndirs = argc > 3 ? atol(argv[3]) : 1000, made = 0;
    if (n < 0 || ndirs < 1)
        return 2;
    int top = open(argv[1], O_RDONLY | O_DIRECTORY);
    if (top < 0) {
        perror(argv[1]);
        return 1;
    }
    for (long d = 0; d < ndirs; d++) {
        char name[32];
        snprintf(name, sizeof(name), "d%04ld", d);
        if (mkdirat(top, name, 0755) && errno != EEXIST) {
            perror(name);
            return 1;
        }
        int dfd = openat(top, name, O_RDONLY | O_DIRECTORY);
        if (dfd < 0) {
            perror(name);
            return 1;
        }
        long lo = n * d / ndirs, hi = n * (d + 1) / ndirs;
        for (long i = lo; i < hi; i++) {
            snprintf(name, sizeof(name), "f%07ld", i);
            int fd = openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
            if (fd < 0) {
                perror(name);
                return 1;
            }
            close(fd);
            made++;
        }
        close(dfd);
    }
    printf("%ld\n", made);
    return 0;
}
