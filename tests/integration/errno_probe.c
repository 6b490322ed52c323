/* errno_probe.c — sn_probe: perform ONE named syscall on a path, print the
 * result.
 *
 * Usage: sn_probe OP PATH [ARGS...]
 *
 * Prints exactly one line on stdout: "ok <retval>" or "err <ERRNO_NAME>" (e.g.
 * "err ENOSPC"), and exits 0 for ok, 1 for err, 2 for a usage error.  Details
 * useful when debugging (a readlink target, statfs numbers) go to stderr as
 * lines starting with "# ".  The op is the syscall under test; any set-up
 * syscall it needs (the open before a read) that fails is reported the same
 * way, prefixed on stderr with which call failed, so a test asserting an
 * injected errno sees the first error the application would have seen.
 *
 * Ops that take two paths take PATH first: rename OLD NEW, link OLD NEW,
 * symlink LINKPATH TARGET, copy_file_range SRC DST [LEN].  Run with no
 * arguments for the full list.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *const usage_text =
    "usage: sn_probe OP PATH [ARGS...]\n"
    "prints 'ok <retval>' or 'err <ERRNO_NAME>'; exit 0 ok, 1 err, 2 usage\n"
    "ops:\n"
    "  open PATH [FLAGS]           FLAGS: |-list of rdonly wronly rdwr creat "
    "excl\n"
    "                              trunc append direct sync dsync nofollow\n"
    "                              directory noatime tmpfile path (default "
    "rdonly)\n"
    "  creat PATH [MODE]           creat(2), MODE octal (default 0644)\n"
    "  read PATH [LEN [OFF]]       one pread of LEN (default 4096) at OFF\n"
    "  read-all PATH [BS]          read to EOF retrying short reads; ok "
    "<total>\n"
    "  read-loop-naive PATH [BS]   reads BS chunks, stops at the first short\n"
    "                              count (a buggy reader); ok <total>\n"
    "  write PATH [LEN]            open(O_WRONLY|O_CREAT), one write of LEN "
    "(4096)\n"
    "  pwrite PATH LEN OFF         open(O_WRONLY|O_CREAT), one pwrite\n"
    "  append PATH [LEN]           open(O_WRONLY|O_CREAT|O_APPEND), one write\n"
    "  fill PATH [BS]              write BS chunks (1 MiB) until a write "
    "fails;\n"
    "                              prints that errno (ok <total> if none); "
    "total\n"
    "                              on stderr\n"
    "  direct-rw PATH [LEN]        O_DIRECT write then read back of LEN "
    "(4096)\n"
    "                              aligned bytes, compares; ok <LEN>\n"
    "  fsync PATH | fdatasync PATH | syncfs PATH\n"
    "  stat PATH | lstat PATH      ok 0; size/mode/ids on stderr\n"
    "  access PATH MODE            MODE: f or any of rwx\n"
    "  chmod PATH MODE | chown PATH UID GID (-1 allowed) | lchown PATH UID "
    "GID\n"
    "  utimens PATH SEC NSEC       sets atime and mtime\n"
    "  truncate PATH LEN | ftruncate PATH LEN\n"
    "  rename OLD NEW | renameat2-noreplace OLD NEW | renameat2-exchange OLD "
    "NEW\n"
    "  unlink PATH | mkdir PATH [MODE] | rmdir PATH\n"
    "  readdir PATH                ok <number of entries, . and .. included>\n"
    "  link OLD NEW | symlink LINKPATH TARGET | readlink PATH (target on "
    "stderr)\n"
    "  statfs PATH                 numbers on stderr\n"
    "  setxattr PATH NAME VALUE [create|replace] | getxattr PATH NAME\n"
    "  listxattr PATH | removexattr PATH NAME\n"
    "  fallocate PATH MODE OFF LEN MODE: default keep-size punch-hole "
    "zero-range\n"
    "  copy_file_range SRC DST [LEN]   one call from offset 0 to 0; ok "
    "<copied>\n"
    "  lseek-data PATH OFF | lseek-hole PATH OFF   ok <resulting offset>\n"
    "  mknod-fifo PATH | mknod-sock PATH | mknod-char PATH MAJOR MINOR\n"
    "  flock PATH [ex|sh]          LOCK_NB lock on a fresh open\n"
    "  flock-conflict PATH         LOCK_EX on one open, then LOCK_EX|LOCK_NB "
    "on a\n"
    "                              second open (expect err EAGAIN)\n"
    "  setlk PATH                  fcntl F_SETLK write lock on the whole file\n"
    "  handle PATH [MOUNTDIR]      name_to_handle_at, drop caches (echo 3 >\n"
    "                              /proc/sys/vm/drop_caches), "
    "open_by_handle_at\n"
    "                              via an fd on MOUNTDIR (default: dirname),\n"
    "                              read, compare inode; ok <bytes read>\n";

static const char *errno_name(int e)
{
    const char *name = strerrorname_np(e);
    static char buf[32];

    if (name)
        return name;
    snprintf(buf, sizeof(buf), "E%d", e);
    return buf;
}

static int report_err(const char *what, int e)
{
    fprintf(stderr, "# %s: %s\n", what, strerror(e));
    printf("err %s\n", errno_name(e));
    return 1;
}

static int report_ok(long long ret)
{
    printf("ok %lld\n", ret);
    return 0;
}

static _Noreturn void usage_die(const char *why)
{
    fprintf(stderr, "sn_probe: %s\n%s", why, usage_text);
    exit(2);
}

static long long parse_num(const char *s, const char *what)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 0);
    if (errno || end == s)
        usage_die(what);
    switch (*end) {
    case 'k':
    case 'K':
        v <<= 10;
        end++;
        break;
    case 'm':
    case 'M':
        v <<= 20;
        end++;
        break;
    case 'g':
    case 'G':
        v <<= 30;
        end++;
        break;
    }
    if (*end)
        usage_die(what);
    return v;
}

static mode_t parse_mode(const char *s)
{
    char *end;
    unsigned long m = strtoul(s, &end, 8);

    if (*end || m > 07777)
        usage_die("bad octal mode");
    return (mode_t)m;
}

static int parse_flags(const char *s)
{
    static const struct {
        const char *name;
        int flag;
    } tab[] = {
        {"rdonly", O_RDONLY},     {"wronly", O_WRONLY},
        {"rdwr", O_RDWR},         {"creat", O_CREAT},
        {"excl", O_EXCL},         {"trunc", O_TRUNC},
        {"append", O_APPEND},     {"direct", O_DIRECT},
        {"sync", O_SYNC},         {"dsync", O_DSYNC},
        {"nofollow", O_NOFOLLOW}, {"directory", O_DIRECTORY},
        {"noatime", O_NOATIME},   {"tmpfile", O_TMPFILE},
        {"path", O_PATH},
    };
    char *copy = strdup(s), *save = NULL, *tok;
    int flags = 0;

    for (tok = strtok_r(copy, "|,", &save); tok;
         tok = strtok_r(NULL, "|,", &save)) {
        size_t i;

        for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
            if (strcasecmp(tok, tab[i].name) == 0 ||
                (strncasecmp(tok, "O_", 2) == 0 &&
                 strcasecmp(tok + 2, tab[i].name) == 0))
                break;
        if (i == sizeof(tab) / sizeof(tab[0]))
            usage_die("unknown open flag");
        flags |= tab[i].flag;
    }
    free(copy);
    return flags;
}

static char *pattern_buf(size_t len)
{
    char *buf = NULL;

    if (posix_memalign((void **)&buf, 4096, len ? len : 1))
        return NULL;
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + i % 26);
    return buf;
}

/* Open PATH for an op that needs an fd; directories get O_RDONLY|O_DIRECTORY.
 */
static int open_for(const char *path, int flags)
{
    struct stat st;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return open(path, O_RDONLY | O_DIRECTORY);
    return open(path, flags, 0644);
}

static int op_read_loop(const char *path, size_t bs, bool naive)
{
    char *buf = pattern_buf(bs);
    long long total = 0;
    int fd = open(path, O_RDONLY);

    if (fd < 0)
        return report_err("open", errno);
    for (;;) {
        ssize_t n = read(fd, buf, bs);

        if (n < 0)
            return report_err("read", errno);
        total += n;
        if (n == 0 || (naive && (size_t)n < bs))
            break;
    }
    close(fd);
    free(buf);
    return report_ok(total);
}

static int op_fill(const char *path, size_t bs)
{
    char *buf = pattern_buf(bs);
    long long total = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);

    if (fd < 0)
        return report_err("open", errno);
    for (;;) {
        ssize_t n = write(fd, buf, bs);

        if (n < 0) {
            int e = errno;

            fprintf(stderr, "# written %lld\n", total);
            close(fd);
            return report_err("write", e);
        }
        total += n;
    }
}

static int op_direct_rw(const char *path, size_t len)
{
    char *w = pattern_buf(len), *r = pattern_buf(len);
    int fd = open(path, O_RDWR | O_CREAT | O_DIRECT, 0644);
    ssize_t n;

    if (fd < 0)
        return report_err("open(O_DIRECT)", errno);
    n = pwrite(fd, w, len, 0);
    if (n < 0)
        return report_err("pwrite(O_DIRECT)", errno);
    if ((size_t)n != len) {
        fprintf(stderr, "# short direct write %zd of %zu\n", n, len);
        return report_err("pwrite(O_DIRECT)", EIO);
    }
    memset(r, 0, len);
    n = pread(fd, r, len, 0);
    if (n < 0)
        return report_err("pread(O_DIRECT)", errno);
    if ((size_t)n != len || memcmp(r, w, len) != 0) {
        fprintf(stderr, "# direct read back differs (%zd bytes)\n", n);
        return report_err("pread(O_DIRECT)", EIO);
    }
    close(fd);
    return report_ok(n);
}

/* Drops clean caches.  syncfs() of the file's own filesystem first, not a
 * global sync(), which could block on somebody else's hung FUSE mount. */
static int drop_caches(int fs_fd)
{
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

    if (fs_fd >= 0)
        syncfs(fs_fd);
    if (fd < 0 || write(fd, "3\n", 2) != 2) {
        fprintf(stderr, "# cannot drop caches: %s\n", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static int op_handle(const char *path, const char *mountdir)
{
    struct file_handle *fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ);
    char *copy = strdup(path);
    const char *dir = mountdir ? mountdir : dirname(copy);
    struct stat before, after;
    int mount_id, mfd, fd;
    char buf[4096];
    ssize_t n;

    fh->handle_bytes = MAX_HANDLE_SZ;
    if (stat(path, &before) < 0)
        return report_err("stat", errno);
    if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0) < 0)
        return report_err("name_to_handle_at", errno);
    fprintf(stderr, "# handle type %d, %u bytes\n", fh->handle_type,
            fh->handle_bytes);
    mfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (mfd < 0)
        return report_err("open(mountdir)", errno);
    drop_caches(mfd);
    fd = open_by_handle_at(mfd, fh, O_RDONLY);
    if (fd < 0)
        return report_err("open_by_handle_at", errno);
    if (fstat(fd, &after) < 0)
        return report_err("fstat", errno);
    if (after.st_ino != before.st_ino || after.st_dev != before.st_dev) {
        fprintf(stderr, "# handle opened another inode (%ju, was %ju)\n",
                (uintmax_t)after.st_ino, (uintmax_t)before.st_ino);
        return report_err("open_by_handle_at", ESTALE);
    }
    n = S_ISREG(after.st_mode) ? read(fd, buf, sizeof(buf)) : 0;
    if (n < 0)
        return report_err("read", errno);
    close(fd);
    close(mfd);
    return report_ok(n);
}

/* The I/O buffer of a one-shot op lives until exit. */
static char *buf;

/* A one-shot probe frees nothing on its early-return paths, by design: keep
 * AddressSanitizer's memory-error checks in sanitizer builds, without leak
 * reports that would turn every result into a crash. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

int main(int argc, char **argv)
{
    const char *op, *path;
    int fd, ret;
    long long len, off;
    struct stat st;

    if (argc < 3)
        usage_die(argc == 2 && strcmp(argv[1], "--help") == 0 ? "help"
                                                              : "need OP PATH");
    op = argv[1];
    path = argv[2];
    setvbuf(stdout, NULL, _IOLBF, 0);
#define ARG(i) (argc > (i) ? argv[i] : NULL)
#define NEED(n)                                                                \
    do {                                                                       \
        if (argc < (n) + 3)                                                    \
            usage_die("missing argument");                                     \
    } while (0)

    if (!strcmp(op, "open")) {
        fd = open(path, ARG(3) ? parse_flags(ARG(3)) : O_RDONLY, 0644);
        return fd < 0 ? report_err("open", errno) : report_ok(fd);
    }
    if (!strcmp(op, "creat")) {
        fd = creat(path, ARG(3) ? parse_mode(ARG(3)) : 0644);
        return fd < 0 ? report_err("creat", errno) : report_ok(fd);
    }
    if (!strcmp(op, "read")) {
        len = ARG(3) ? parse_num(ARG(3), "bad LEN") : 4096;
        off = ARG(4) ? parse_num(ARG(4), "bad OFF") : 0;
        buf = pattern_buf(len);
        fd = open(path, O_RDONLY);
        if (fd < 0)
            return report_err("open", errno);
        ssize_t n = pread(fd, buf, len, off);
        return n < 0 ? report_err("pread", errno) : report_ok(n);
    }
    if (!strcmp(op, "read-all") || !strcmp(op, "read-loop-naive"))
        return op_read_loop(path, ARG(3) ? parse_num(ARG(3), "bad BS") : 4096,
                            op[5] == 'l');
    if (!strcmp(op, "write") || !strcmp(op, "pwrite") ||
        !strcmp(op, "append")) {
        int flags = O_WRONLY | O_CREAT | (op[0] == 'a' ? O_APPEND : 0);

        if (op[0] == 'p')
            NEED(2);
        len = ARG(3) ? parse_num(ARG(3), "bad LEN") : 4096;
        off = op[0] == 'p' ? parse_num(ARG(4), "bad OFF") : -1;
        buf = pattern_buf(len);
        fd = open(path, flags, 0644);
        if (fd < 0)
            return report_err("open", errno);
        ssize_t n = off < 0 ? write(fd, buf, len) : pwrite(fd, buf, len, off);
        if (n < 0)
            return report_err("write", errno);
        if (close(fd) < 0)
            return report_err("close", errno);
        return report_ok(n);
    }
    if (!strcmp(op, "fill"))
        return op_fill(path, ARG(3) ? parse_num(ARG(3), "bad BS") : 1 << 20);
    if (!strcmp(op, "direct-rw"))
        return op_direct_rw(path, ARG(3) ? parse_num(ARG(3), "bad LEN") : 4096);
    if (!strcmp(op, "fsync") || !strcmp(op, "fdatasync") ||
        !strcmp(op, "syncfs")) {
        fd = open_for(path, O_RDWR);
        if (fd < 0)
            return report_err("open", errno);
        ret = op[1] == 'y'   ? syncfs(fd)
              : op[1] == 's' ? fsync(fd)
                             : fdatasync(fd);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "stat") || !strcmp(op, "lstat")) {
        ret = op[0] == 's' ? stat(path, &st) : lstat(path, &st);
        if (ret < 0)
            return report_err(op, errno);
        fprintf(
            stderr,
            "# mode %o uid %u gid %u size %lld blocks %lld nlink %lu ino %lu\n",
            st.st_mode, st.st_uid, st.st_gid, (long long)st.st_size,
            (long long)st.st_blocks, (unsigned long)st.st_nlink,
            (unsigned long)st.st_ino);
        return report_ok(ret);
    }
    if (!strcmp(op, "access")) {
        int mode = 0;

        NEED(1);
        for (const char *p = argv[3]; *p; p++)
            mode |= *p == 'r'   ? R_OK
                    : *p == 'w' ? W_OK
                    : *p == 'x' ? X_OK
                                : F_OK;
        ret = access(path, mode);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "chmod")) {
        NEED(1);
        ret = chmod(path, parse_mode(argv[3]));
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "chown") || !strcmp(op, "lchown")) {
        NEED(2);
        uid_t u = (uid_t)parse_num(argv[3], "bad UID");
        gid_t g = (gid_t)parse_num(argv[4], "bad GID");

        ret = op[0] == 'c' ? chown(path, u, g) : lchown(path, u, g);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "utimens")) {
        NEED(2);
        struct timespec ts[2];

        ts[0].tv_sec = ts[1].tv_sec = parse_num(argv[3], "bad SEC");
        ts[0].tv_nsec = ts[1].tv_nsec = parse_num(argv[4], "bad NSEC");
        ret = utimensat(AT_FDCWD, path, ts, 0);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "truncate")) {
        NEED(1);
        ret = truncate(path, parse_num(argv[3], "bad LEN"));
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "ftruncate")) {
        NEED(1);
        fd = open(path, O_WRONLY);
        if (fd < 0)
            return report_err("open", errno);
        ret = ftruncate(fd, parse_num(argv[3], "bad LEN"));
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "rename") || !strncmp(op, "renameat2-", 10)) {
        unsigned flags = 0;

        NEED(1);
        if (!strcmp(op, "renameat2-noreplace"))
            flags = RENAME_NOREPLACE;
        else if (!strcmp(op, "renameat2-exchange"))
            flags = RENAME_EXCHANGE;
        else if (strcmp(op, "rename"))
            usage_die("unknown renameat2 flag");
        ret = renameat2(AT_FDCWD, path, AT_FDCWD, argv[3], flags);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "unlink")) {
        ret = unlink(path);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "mkdir")) {
        ret = mkdir(path, ARG(3) ? parse_mode(ARG(3)) : 0755);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "rmdir")) {
        ret = rmdir(path);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "readdir")) {
        DIR *d = opendir(path);
        long long count = 0;

        if (!d)
            return report_err("opendir", errno);
        errno = 0;
        while (readdir(d))
            count++;
        if (errno)
            return report_err("readdir", errno);
        closedir(d);
        return report_ok(count);
    }
    if (!strcmp(op, "link") || !strcmp(op, "symlink")) {
        NEED(1);
        ret = op[0] == 'l' ? link(path, argv[3]) : symlink(argv[3], path);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "readlink")) {
        char target[PATH_MAX + 1];
        ssize_t n = readlink(path, target, PATH_MAX);

        if (n < 0)
            return report_err(op, errno);
        target[n] = 0;
        fprintf(stderr, "# %s\n", target);
        return report_ok(n);
    }
    if (!strcmp(op, "statfs")) {
        struct statfs sf;

        if (statfs(path, &sf) < 0)
            return report_err(op, errno);
        fprintf(stderr,
                "# bsize %ld blocks %llu bfree %llu bavail %llu files %llu "
                "ffree %llu namelen %ld\n",
                (long)sf.f_bsize, (unsigned long long)sf.f_blocks,
                (unsigned long long)sf.f_bfree, (unsigned long long)sf.f_bavail,
                (unsigned long long)sf.f_files, (unsigned long long)sf.f_ffree,
                (long)sf.f_namelen);
        return report_ok(0);
    }
    if (!strcmp(op, "setxattr")) {
        int flags = 0;

        NEED(2);
        const char *how = ARG(5);

        if (how && !strcmp(how, "create"))
            flags = XATTR_CREATE;
        else if (how && !strcmp(how, "replace"))
            flags = XATTR_REPLACE;
        else if (how)
            usage_die("bad xattr flag");
        ret = setxattr(path, argv[3], argv[4], strlen(argv[4]), flags);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "getxattr")) {
        char val[65536];
        ssize_t n;

        NEED(1);
        n = getxattr(path, argv[3], val, sizeof(val) - 1);
        if (n < 0)
            return report_err(op, errno);
        val[n] = 0;
        fprintf(stderr, "# %s\n", val);
        return report_ok(n);
    }
    if (!strcmp(op, "listxattr")) {
        char list[65536];
        ssize_t n = listxattr(path, list, sizeof(list));

        if (n < 0)
            return report_err(op, errno);
        for (ssize_t i = 0; i < n; i += strlen(list + i) + 1)
            fprintf(stderr, "# %s\n", list + i);
        return report_ok(n);
    }
    if (!strcmp(op, "removexattr")) {
        NEED(1);
        ret = removexattr(path, argv[3]);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "fallocate")) {
        int mode;

        NEED(3);
        if (!strcmp(argv[3], "default"))
            mode = 0;
        else if (!strcmp(argv[3], "keep-size"))
            mode = FALLOC_FL_KEEP_SIZE;
        else if (!strcmp(argv[3], "punch-hole"))
            mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
        else if (!strcmp(argv[3], "zero-range"))
            mode = FALLOC_FL_ZERO_RANGE;
        else
            usage_die("bad fallocate mode");
        fd = open(path, O_WRONLY | O_CREAT, 0644);
        if (fd < 0)
            return report_err("open", errno);
        ret = fallocate(fd, mode, parse_num(argv[4], "bad OFF"),
                        parse_num(argv[5], "bad LEN"));
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "copy_file_range")) {
        int in, out;
        loff_t ioff = 0, ooff = 0;
        ssize_t n;

        NEED(1);
        in = open(path, O_RDONLY);
        if (in < 0)
            return report_err("open(src)", errno);
        out = open(argv[3], O_WRONLY | O_CREAT, 0644);
        if (out < 0)
            return report_err("open(dst)", errno);
        if (fstat(in, &st) < 0)
            return report_err("fstat", errno);
        len = ARG(4) ? parse_num(ARG(4), "bad LEN") : st.st_size;
        n = copy_file_range(in, &ioff, out, &ooff, len, 0);
        if (n < 0)
            return report_err(op, errno);
        if (close(out) < 0)
            return report_err("close", errno);
        return report_ok(n);
    }
    if (!strcmp(op, "lseek-data") || !strcmp(op, "lseek-hole")) {
        NEED(1);
        fd = open(path, O_RDONLY);
        if (fd < 0)
            return report_err("open", errno);
        off = lseek(fd, parse_num(argv[3], "bad OFF"),
                    op[6] == 'd' ? SEEK_DATA : SEEK_HOLE);
        return off < 0 ? report_err(op, errno) : report_ok(off);
    }
    if (!strncmp(op, "mknod-", 6)) {
        mode_t mode;
        dev_t dev = 0;

        if (!strcmp(op, "mknod-fifo"))
            mode = S_IFIFO | 0644;
        else if (!strcmp(op, "mknod-sock"))
            mode = S_IFSOCK | 0644;
        else if (!strcmp(op, "mknod-char")) {
            NEED(2);
            mode = S_IFCHR | 0644;
            dev = makedev(parse_num(argv[3], "bad MAJOR"),
                          parse_num(argv[4], "bad MINOR"));
        } else
            usage_die("bad mknod type");
        ret = mknod(path, mode, dev);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "flock") || !strcmp(op, "flock-conflict")) {
        const char *kind = ARG(3);
        int how = kind && !strcmp(kind, "sh") ? LOCK_SH : LOCK_EX;

        fd = open_for(path, O_RDONLY);
        if (fd < 0)
            return report_err("open", errno);
        if (op[5] == '-') {
            int fd2 = open_for(path, O_RDONLY);

            if (fd2 < 0)
                return report_err("open", errno);
            if (flock(fd2, LOCK_EX) < 0)
                return report_err("flock(first)", errno);
        }
        ret = flock(fd, how | LOCK_NB);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "setlk")) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

        fd = open(path, O_RDWR);
        if (fd < 0)
            return report_err("open", errno);
        ret = fcntl(fd, F_SETLK, &fl);
        return ret < 0 ? report_err(op, errno) : report_ok(ret);
    }
    if (!strcmp(op, "handle"))
        return op_handle(path, ARG(3));
    usage_die("unknown op");
    return 2;
}
