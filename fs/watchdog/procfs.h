/* fs/watchdog/procfs.h — small FUSE-free readers of /proc, mountinfo and
 * fusectl.
 *
 * Every function returns 0 or -errno and writes only to caller-owned buffers.
 * None of them touches a FUSE mount: targets are identified by mnt_id (from
 * fdinfo) or by path prefix, never by stat(). Reading another process's procfs
 * can block (e.g. on its mmap_lock); the watchdog therefore calls these from a
 * helper thread it may abandon (watchdog.c), never from a request path.
 */
#ifndef SNAG_FS_PROCFS_H
#define SNAG_FS_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FS_FUSECTL_DIR "/sys/fs/fuse/connections"
#define FS_WCHAN_LEN 64

/* State letter (R, S, D, T, Z, ...) and comm of a thread, from
 * /proc/PID/task/TID/stat (tid 0 → /proc/PID/stat). comm may be NULL. */
int fs_proc_task_state(pid_t pid, pid_t tid, char *state, char *comm,
                       size_t comm_len);

/* /proc/PID/task/TID/wchan ("0" when running is returned as ""). */
int fs_proc_wchan(pid_t pid, pid_t tid, char *buf, size_t len);

/* /proc/PID/task/TID/stack (root only). Truncated to len-1 bytes. */
int fs_proc_stack(pid_t pid, pid_t tid, char *buf, size_t len);

/* Thread ids of PID (0 = self) from /proc/PID/task; *n gets the count
 * (at most max are stored). */
int fs_proc_list_tasks(pid_t pid, pid_t *tids, size_t max, size_t *n);

/* /proc/PID/task/TID/syscall. */
enum fs_syscall_state {
    FS_SC_BLOCKED = 0, /* in syscall nr with args */
    FS_SC_RUNNING,     /* "running": on a CPU, nothing to say */
    FS_SC_USER,        /* "-1 ...": blocked outside a syscall (page fault) */
};
struct fs_proc_syscall {
    enum fs_syscall_state state;
    long nr;
    unsigned long args[6];
    unsigned long sp, pc;
};
int fs_proc_syscall(pid_t pid, pid_t tid, struct fs_proc_syscall *sc);
int fs_proc_syscall_parse(const char *text, struct fs_proc_syscall *sc);

/* mnt_id of PID's fd (from /proc/PID/fdinfo/FD). */
int fs_proc_fd_mnt_id(pid_t pid, int fd, int *mnt_id);

/* One line of a mountinfo file. */
struct fs_mount_id {
    int mnt_id;
    unsigned major, minor; /* st_dev of the mount: a FUSE connection is 0:N,
                              N is its fusectl directory name */
    char fstype[64];
};

/* Find the mount at mountpoint (exact path, as mountinfo spells it after
 * unescaping \040 etc.) in the mountinfo file at path (NULL →
 * /proc/self/mountinfo). With fuse_only, only fstype fuse / fuse.* / fuseblk
 * count. The last matching line wins (the top of a stack of mounts).
 * Returns -ENOENT if none. */
int fs_mountinfo_find(const char *path, const char *mountpoint, bool fuse_only,
                      struct fs_mount_id *out);

/* Make sure fusectl is mounted at dir (NULL → FS_FUSECTL_DIR): if dir is not
 * a fusectl mount, mount it. Returns 0 if it is mounted now. */
int fs_fusectl_ensure(const char *dir);

/* Read dir/N/waiting (the requests the connection waits on: queued plus
 * being served). */
int fs_fusectl_waiting(const char *dir, unsigned conn, long *waiting);

/* Write 1 to dir/N/abort: every request of this connection fails with
 * ECONNABORTED and the mount stays dead until unmounted. */
int fs_fusectl_abort(const char *dir, unsigned conn);

/* ---- syscall classification (for a stuck daemon thread) ---- */

enum fs_sc_target_kind {
    FS_SCT_NONE = 0, /* not an fs syscall we can attribute */
    FS_SCT_FD,       /* args[fd_arg] is an fd */
    FS_SCT_PATH,     /* args[path_arg] is a path (cwd-relative if relative) */
    FS_SCT_AT,       /* args[fd_arg] is a dirfd, args[path_arg] a path */
};
struct fs_sc_info {
    const char *name;
    enum fs_sc_target_kind kind;
    int fd_arg, path_arg;
};
/* Name and target of syscall nr on this architecture (name "?" if unknown). */
struct fs_sc_info fs_syscall_info(long nr);

/* Where a blocked syscall of one of OUR threads points. */
struct fs_sc_target {
    bool known;     /* we could tell */
    bool ours;      /* the target is on our mount */
    int mnt_id;     /* for fd targets, -1 otherwise */
    char desc[256]; /* "fd 5 -> /mnt/x" or "path /mnt/x" */
};
/* Resolve sc's target for thread tid of this process. The path argument is
 * read from our own memory with process_vm_readv (never dereferenced), an fd
 * by its fdinfo mnt_id compared to our_mnt_id, a relative path by the cwd or
 * dirfd link, compared as a prefix of mountpoint. */
int fs_syscall_target(const struct fs_proc_syscall *sc, const char *mountpoint,
                      int our_mnt_id, struct fs_sc_target *out);

/* Is path equal to mountpoint or below it (string comparison only)? */
bool fs_path_under(const char *path, const char *mountpoint);

#endif
