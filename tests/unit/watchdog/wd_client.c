/* tests/unit/watchdog/wd_client.c — a test client that prints what one file
 * operation returned.
 *
 *   wd_client write PATH   open(O_WRONLY) + write 5 bytes + close
 *   wd_client stat PATH    stat
 * Prints "ok" or "error ENAME" and exits 0 or 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int report(int err)
{
    if (!err) {
        printf("ok\n");
        return 0;
    }
    const char *n = strerrorname_np(err);
    printf("error %s\n", n ? n : "?");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: wd_client write|stat PATH\n");
        return 2;
    }
    if (strcmp(argv[1], "stat") == 0) {
        struct stat st;
        return report(stat(argv[2], &st) < 0 ? errno : 0);
    }
    if (strcmp(argv[1], "write") == 0) {
        int fd = open(argv[2], O_WRONLY);
        if (fd < 0)
            return report(errno);
        int err = write(fd, "hello", 5) == 5 ? 0 : errno ? errno : EIO;
        if (close(fd) < 0 && !err)
            err = errno;
        return report(err);
    }
    return 2;
}
