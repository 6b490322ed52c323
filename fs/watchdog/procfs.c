/* fs/watchdog/procfs.c — readers of /proc, /proc/self/mountinfo and fusectl.
 *
 * Nothing here stats, opens or reads a path on a FUSE mount: only /proc,
 * /sys and our own memory. Buffers are the caller's.
 */
#include "procfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define FUSECTL_SUPER_MAGIC 0x65735543

static void task_path(char *buf, size_t len, pid_t pid, pid_t tid,
                      const char *leaf)
{
    if (tid > 0 && pid > 0)
        snprintf(buf, len, "/proc/%d/task/%d/%s", (int)pid, (int)tid, leaf);
    else if (tid > 0)
        snprintf(buf, len, "/proc/self/task/%d/%s", (int)tid, leaf);
    else if (pid > 0)
        snprintf(buf, len, "/proc/%d/%s", (int)pid, leaf);
    else
        snprintf(buf, len, "/proc/self/%s", leaf);
}

/* Read a small file into buf (NUL-terminated). Returns bytes or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t off = 0;
    while (off + 1 < len) {
        ssize_t r = read(fd, buf + off, len - 1 - off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return -e;
        }
        if (r == 0)
            break;
        off += (size_t)r;
    }
    buf[off] = '\0';
    close(fd);
    return (ssize_t)off;
}

int fs_proc_task_state(pid_t pid, pid_t tid, char *state, char *comm,
                       size_t comm_len)
{
    char path[96], buf[1024];
    task_path(path, sizeof(path), pid, tid, "stat");
    ssize_t r = read_small(path, buf, sizeof(buf));
    if (r < 0)
        return (int)r;
    /* "pid (comm) S ...": comm may hold spaces and ')' — use the last ')'. */
    char *open_p = strchr(buf, '(');
    char *close_p = strrchr(buf, ')');
    if (!open_p || !close_p || close_p < open_p || close_p[1] != ' ')
        return -EPROTO;
    if (comm && comm_len) {
        size_t n = (size_t)(close_p - open_p - 1);
        if (n >= comm_len)
            n = comm_len - 1;
        memcpy(comm, open_p + 1, n);
        comm[n] = '\0';
    }
    *state = close_p[2];
    return 0;
}

int fs_proc_wchan(pid_t pid, pid_t tid, char *buf, size_t len)
{
    char path[96];
    task_path(path, sizeof(path), pid, tid, "wchan");
    ssize_t r = read_small(path, buf, len);
    if (r < 0)
        return (int)r;
    if (strcmp(buf, "0") == 0)
        buf[0] = '\0';
    return 0;
}

int fs_proc_stack(pid_t pid, pid_t tid, char *buf, size_t len)
{
    char path[96];
    task_path(path, sizeof(path), pid, tid, "stack");
    ssize_t r = read_small(path, buf, len);
    return r < 0 ? (int)r : 0;
}

int fs_proc_list_tasks(pid_t pid, pid_t *tids, size_t max, size_t *n)
{
    char path[64];
    if (pid > 0)
        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    else
        snprintf(path, sizeof(path), "/proc/self/task");
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    size_t k = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        if (k < max)
            tids[k] = (pid_t)atoi(de->d_name);
        k++;
    }
    closedir(d);
    *n = k < max ? k : max;
    return 0;
}

int fs_proc_syscall_parse(const char *text, struct fs_proc_syscall *sc)
{
    memset(sc, 0, sizeof(*sc));
    if (strncmp(text, "running", 7) == 0) {
        sc->state = FS_SC_RUNNING;
        sc->nr = -1;
        return 0;
    }
    char *end;
    errno = 0;
    long nr = strtol(text, &end, 10);
    if (end == text || errno)
        return -EPROTO;
    sc->nr = nr;
    if (nr < 0) {
        /* "-1 SP PC": blocked, but not in a syscall */
        sc->state = FS_SC_USER;
        const char *p = end;
        sc->sp = strtoul(p, &end, 16);
        p = end;
        sc->pc = strtoul(p, &end, 16);
        return 0;
    }
    sc->state = FS_SC_BLOCKED;
    const char *p = end;
    for (int i = 0; i < 6; i++) {
        sc->args[i] = strtoul(p, &end, 16);
        if (end == p)
            return -EPROTO;
        p = end;
    }
    sc->sp = strtoul(p, &end, 16);
    p = end;
    sc->pc = strtoul(p, &end, 16);
    return 0;
}

int fs_proc_syscall(pid_t pid, pid_t tid, struct fs_proc_syscall *sc)
{
    char path[96], buf[256];
    task_path(path, sizeof(path), pid, tid, "syscall");
    ssize_t r = read_small(path, buf, sizeof(buf));
    if (r < 0)
        return (int)r;
    return fs_proc_syscall_parse(buf, sc);
}

int fs_proc_fd_mnt_id(pid_t pid, int fd, int *mnt_id)
{
    char path[96], buf[1024];
    if (pid > 0)
        snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
    else
        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    ssize_t r = read_small(path, buf, sizeof(buf));
    if (r < 0)
        return (int)r;
    const char *p = strstr(buf, "mnt_id:");
    if (!p)
        return -EPROTO;
    *mnt_id = atoi(p + 7);
    return 0;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo. */
static void unescape_octal(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' &&
            r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) |
                          (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static bool is_fuse_type(const char *t)
{
    return strcmp(t, "fuse") == 0 || strcmp(t, "fuseblk") == 0 ||
           strncmp(t, "fuse.", 5) == 0;
}

int fs_mountinfo_find(const char *path, const char *mountpoint, bool fuse_only,
                      struct fs_mount_id *out)
{
    FILE *f = fopen(path ? path : "/proc/self/mountinfo", "re");
    if (!f)
        return -errno;
    char *line = NULL;
    size_t cap = 0;
    int found = -ENOENT;
    while (getline(&line, &cap, f) > 0) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - TYPE SRC
         * SUPEROPTS */
        int id, parent;
        unsigned maj, min;
        char mp[PATH_MAX + 1];
        if (sscanf(line, "%d %d %u:%u %*s %4096s", &id, &parent, &maj, &min,
                   mp) != 5)
            continue;
        unescape_octal(mp);
        if (strcmp(mp, mountpoint) != 0)
            continue;
        char *sep = strstr(line, " - ");
        char fstype[64] = "";
        if (sep)
            sscanf(sep + 3, "%63s", fstype);
        unescape_octal(fstype);
        if (fuse_only && !is_fuse_type(fstype))
            continue;
        out->mnt_id = id;
        out->major = maj;
        out->minor = min;
        snprintf(out->fstype, sizeof(out->fstype), "%s", fstype);
        found = 0;
    }
    free(line);
    fclose(f);
    return found;
}

static bool dir_is_fusectl(const char *dir)
{
    struct statfs sfs;
    return statfs(dir, &sfs) == 0 && sfs.f_type == FUSECTL_SUPER_MAGIC;
}

int fs_fusectl_ensure(const char *dir)
{
    if (!dir)
        dir = FS_FUSECTL_DIR;
    if (dir_is_fusectl(dir))
        return 0;
    if (mount("fusectl", dir, "fusectl", 0, NULL) < 0) {
        if (errno == EBUSY && dir_is_fusectl(dir))
            return 0; /* someone else mounted it meanwhile */
        return -errno;
    }
    return 0;
}

int fs_fusectl_waiting(const char *dir, unsigned conn, long *waiting)
{
    char path[PATH_MAX], buf[64];
    snprintf(path, sizeof(path), "%s/%u/waiting", dir ? dir : FS_FUSECTL_DIR,
             conn);
    ssize_t r = read_small(path, buf, sizeof(buf));
    if (r < 0)
        return (int)r;
    *waiting = strtol(buf, NULL, 10);
    return 0;
}

int fs_fusectl_abort(const char *dir, unsigned conn)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%u/abort", dir ? dir : FS_FUSECTL_DIR,
             conn);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t w = write(fd, "1", 1);
    int e = w == 1 ? 0 : (w < 0 ? -errno : -EIO);
    close(fd);
    return e;
}

/* ---- syscall classification ---- */

struct sc_row {
    long nr;
    struct fs_sc_info info;
};

#define FD0 FS_SCT_FD, 0, -1
#define P0 FS_SCT_PATH, -1, 0
#define AT01 FS_SCT_AT, 0, 1
static const struct sc_row sc_table[] = {
#if defined(__x86_64__)
    {0, {"read", FD0}},
    {1, {"write", FD0}},
    {2, {"open", P0}},
    {3, {"close", FD0}},
    {4, {"stat", P0}},
    {5, {"fstat", FD0}},
    {6, {"lstat", P0}},
    {8, {"lseek", FD0}},
    {9, {"mmap", FS_SCT_FD, 4, -1}},
    {17, {"pread64", FD0}},
    {18, {"pwrite64", FD0}},
    {19, {"readv", FD0}},
    {20, {"writev", FD0}},
    {21, {"access", P0}},
    {40, {"sendfile", FS_SCT_FD, 1, -1}},
    {72, {"fcntl", FD0}},
    {73, {"flock", FD0}},
    {74, {"fsync", FD0}},
    {75, {"fdatasync", FD0}},
    {76, {"truncate", P0}},
    {77, {"ftruncate", FD0}},
    {78, {"getdents", FD0}},
    {80, {"chdir", P0}},
    {82, {"rename", P0}},
    {83, {"mkdir", P0}},
    {84, {"rmdir", P0}},
    {85, {"creat", P0}},
    {86, {"link", P0}},
    {87, {"unlink", P0}},
    {88, {"symlink", FS_SCT_PATH, -1, 1}},
    {89, {"readlink", P0}},
    {90, {"chmod", P0}},
    {92, {"chown", P0}},
    {94, {"lchown", P0}},
    {137, {"statfs", P0}},
    {138, {"fstatfs", FD0}},
    {162, {"sync", FS_SCT_NONE, -1, -1}},
    {188, {"setxattr", P0}},
    {189, {"lsetxattr", P0}},
    {190, {"fsetxattr", FD0}},
    {191, {"getxattr", P0}},
    {192, {"lgetxattr", P0}},
    {193, {"fgetxattr", FD0}},
    {194, {"listxattr", P0}},
    {196, {"flistxattr", FD0}},
    {197, {"removexattr", P0}},
    {217, {"getdents64", FD0}},
    {257, {"openat", AT01}},
    {258, {"mkdirat", AT01}},
    {259, {"mknodat", AT01}},
    {260, {"fchownat", AT01}},
    {262, {"newfstatat", AT01}},
    {263, {"unlinkat", AT01}},
    {264, {"renameat", AT01}},
    {265, {"linkat", AT01}},
    {266, {"symlinkat", FS_SCT_AT, 1, 2}},
    {267, {"readlinkat", AT01}},
    {268, {"fchmodat", AT01}},
    {269, {"faccessat", AT01}},
    {277, {"sync_file_range", FD0}},
    {280, {"utimensat", AT01}},
    {285, {"fallocate", FD0}},
    {295, {"preadv", FD0}},
    {296, {"pwritev", FD0}},
    {306, {"syncfs", FD0}},
    {316, {"renameat2", AT01}},
    {326, {"copy_file_range", FD0}},
    {327, {"preadv2", FD0}},
    {328, {"pwritev2", FD0}},
    {332, {"statx", AT01}},
    {437, {"openat2", AT01}},
    {439, {"faccessat2", AT01}},
    /* common waits: named, no file target */
    {7, {"poll", FS_SCT_NONE, -1, -1}},
    {23, {"select", FS_SCT_NONE, -1, -1}},
    {35, {"nanosleep", FS_SCT_NONE, -1, -1}},
    {61, {"wait4", FS_SCT_NONE, -1, -1}},
    {165, {"mount", FS_SCT_NONE, -1, -1}},
    {166, {"umount2", FS_SCT_NONE, -1, -1}},
    {202, {"futex", FS_SCT_NONE, -1, -1}},
    {230, {"clock_nanosleep", FS_SCT_NONE, -1, -1}},
    {232, {"epoll_wait", FS_SCT_NONE, -1, -1}},
    {270, {"pselect6", FS_SCT_NONE, -1, -1}},
    {271, {"ppoll", FS_SCT_NONE, -1, -1}},
    {281, {"epoll_pwait", FS_SCT_NONE, -1, -1}},
    {426, {"io_uring_enter", FS_SCT_NONE, -1, -1}},
#endif
    {-1, {NULL, FS_SCT_NONE, -1, -1}},
};

struct fs_sc_info fs_syscall_info(long nr)
{
    for (const struct sc_row *r = sc_table; r->info.name; r++)
        if (r->nr == nr)
            return r->info;
    return (struct fs_sc_info){"?", FS_SCT_NONE, -1, -1};
}

bool fs_path_under(const char *path, const char *mountpoint)
{
    size_t n = strlen(mountpoint);
    while (n > 1 && mountpoint[n - 1] == '/')
        n--;
    if (n == 1 && mountpoint[0] == '/')
        return path[0] == '/';
    return strncmp(path, mountpoint, n) == 0 &&
           (path[n] == '\0' || path[n] == '/');
}

/* Copy a NUL-terminated string from our own address space without trusting
 * the pointer: process_vm_readv fails with EFAULT instead of crashing. */
static int read_own_string(unsigned long addr, char *buf, size_t len)
{
    size_t got = 0;
    while (got + 1 < len) {
        /* Read up to the next page boundary so a short string at the end of
         * a mapping does not fail the whole read. */
        unsigned long a = addr + got;
        size_t chunk = 4096 - (a & 4095);
        if (chunk > len - 1 - got)
            chunk = len - 1 - got;
        struct iovec local = {buf + got, chunk};
        struct iovec remote = {(void *)a, chunk};
        ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        if (r <= 0)
            return got ? 0 : -errno;
        if (memchr(buf + got, '\0', (size_t)r))
            return 0;
        got += (size_t)r;
    }
    buf[len - 1] = '\0';
    return 0;
}

static int fd_link(int fd, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t r = readlink(path, buf, len - 1);
    if (r < 0)
        return -errno;
    buf[r] = '\0';
    return 0;
}

int fs_syscall_target(const struct fs_proc_syscall *sc, const char *mountpoint,
                      int our_mnt_id, struct fs_sc_target *out)
{
    memset(out, 0, sizeof(*out));
    out->mnt_id = -1;
    if (sc->state != FS_SC_BLOCKED) {
        snprintf(out->desc, sizeof(out->desc), "%s",
                 sc->state == FS_SC_RUNNING ? "running" : "not in a syscall");
        return 0;
    }
    struct fs_sc_info info = fs_syscall_info(sc->nr);
    int fd = info.fd_arg >= 0 ? (int)sc->args[info.fd_arg] : -1;
    char path[PATH_MAX] = "", base[PATH_MAX] = "";
    switch (info.kind) {
    case FS_SCT_NONE:
        snprintf(out->desc, sizeof(out->desc), "no file target");
        return 0;
    case FS_SCT_FD: {
        int mnt;
        if (fs_proc_fd_mnt_id(0, fd, &mnt) < 0) {
            snprintf(out->desc, sizeof(out->desc), "fd %d (closed)", fd);
            return 0;
        }
        fd_link(fd, path, sizeof(path));
        out->known = true;
        out->mnt_id = mnt;
        out->ours = mnt == our_mnt_id;
        snprintf(out->desc, sizeof(out->desc), "fd %d -> %.200s (mnt_id %d)",
                 fd, path, mnt);
        return 0;
    }
    case FS_SCT_PATH:
    case FS_SCT_AT:
        break;
    }
    if (read_own_string(sc->args[info.path_arg], path, sizeof(path)) < 0) {
        snprintf(out->desc, sizeof(out->desc), "path unreadable");
        return 0;
    }
    if (path[0] == '/') {
        out->known = true;
        out->ours = fs_path_under(path, mountpoint);
        snprintf(out->desc, sizeof(out->desc), "path %.240s", path);
        return 0;
    }
    /* Relative: to the dirfd or to our cwd. A dirfd is judged by mnt_id. */
    if (info.kind == FS_SCT_AT && fd != AT_FDCWD) {
        int mnt;
        if (fs_proc_fd_mnt_id(0, fd, &mnt) == 0) {
            fd_link(fd, base, sizeof(base));
            out->known = true;
            out->mnt_id = mnt;
            out->ours = mnt == our_mnt_id;
        }
        snprintf(out->desc, sizeof(out->desc), "dirfd %d (%.100s) path %.120s",
                 fd, base, path);
        return 0;
    }
    ssize_t r = readlink("/proc/self/cwd", base, sizeof(base) - 1);
    if (r > 0) {
        base[r] = '\0';
        out->known = true;
        out->ours = fs_path_under(base, mountpoint);
    }
    snprintf(out->desc, sizeof(out->desc), "path %.120s (cwd %.100s)", path,
             base);
    return 0;
}
