/* tests/unit/reactor/sig_read.c — one read() hit by a signal: does it return
 * EINTR or restart?
 *
 *   sig_read [-r] [-k MS] [-n BYTES] FILE
 *     installs a SIGALRM handler (with SA_RESTART when -r), arms a one-shot
 *     timer at MS (default 50), reads BYTES (default 4096) and prints
 *     "result=<n|-1> errno=<name> ms=<elapsed> signals=<handled>".
 *     Exit 0 if the read succeeded, 3 on EINTR, 1 on other errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_signals;

static void on_alarm(int sig)
{
    (void)sig;
    g_signals++;
}

int main(int argc, char **argv)
{
    int opt, restart = 0, fd;
    long ms = 50;
    size_t n = 4096;
    struct sigaction sa;
    struct itimerval it = {0};
    struct timespec t0, t1;
    char *buf;
    ssize_t got;
    int err;

    while ((opt = getopt(argc, argv, "rk:n:")) != -1) {
        switch (opt) {
        case 'r':
            restart = 1;
            break;
        case 'k':
            ms = strtol(optarg, NULL, 0);
            break;
        case 'n':
            n = strtoul(optarg, NULL, 0);
            break;
        default:
            goto usage;
        }
    }
    if (optind + 1 != argc)
        goto usage;
    fd = open(argv[optind], O_RDONLY);
    buf = malloc(n);
    if (fd < 0 || !buf) {
        perror("sig_read");
        return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    setitimer(ITIMER_REAL, &it, NULL);
    got = read(fd, buf, n);
    err = errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("result=%zd errno=%s ms=%.1f signals=%d sa_restart=%d\n", got,
           got < 0 ? strerrorname_np(err) : "0",
           (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
           (int)g_signals, restart);
    return got >= 0 ? 0 : err == EINTR ? 3 : 1;

usage:
    fprintf(stderr, "usage: sig_read [-r] [-k MS] [-n BYTES] FILE\n");
    return 2;
}
