/* fs/watchdog/watchdog.h — the watchdog: self-origin detection, stall reports,
 * actions.
 *
 * The watchdog owns one thread that scans the in-flight table (inflight.h)
 * every period and never touches the mount. Evidence (thread states, wchans,
 * syscalls, the connection's waiting count, the caller's procfs) is read by a
 * detached helper thread the watchdog waits on with a timeout and abandons if
 * procfs blocks. Reports go to a sink function; actions are:
 *
 *   log     every self-originated request and every stall is reported
 *           (always on);
 *   fail    a self-originated request gets EDEADLK (fs_watchdog_self_origin
 *           tells the request path), so the cycle never closes;
 *   rescue  when every registered worker is stuck in a stalled request, a
 *           rescue thread reads and dispatches queued requests itself through
 *           the rescue hook; self-originated requests it dispatches are served
 *           normally (fs_watchdog_self_origin returns 0 on that thread);
 *   abort   a request older than the hard deadline (plus its injected delay)
 *           makes the watchdog write 1 to /sys/fs/fuse/connections/N/abort
 *           for our own connection, once.
 *
 * Threading: fs_watchdog_start/stop from the daemon's main thread; stop
 * BEFORE fuse_session_unmount, so that no rescue thread still dispatches a
 * request when the session fd is closed. With action rescue, start installs
 * a no-op SIGURG handler (unless the process has one) that stop uses to
 * interrupt the rescue thread's read() on /dev/fuse. fs_watchdog_self_origin
 * and fs_watchdog_in_rescue are called from any request thread; they take no
 * lock on the common path. The sink is called on the watchdog thread only,
 * never concurrently with itself; the report it gets is valid only during the
 * call.
 */
#ifndef SNAG_FS_WATCHDOG_H
#define SNAG_FS_WATCHDOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inflight.h"
#include "procfs.h"

enum fs_watchdog_action {
    FS_WD_LOG = 1u << 0,
    FS_WD_FAIL = 1u << 1,
    FS_WD_RESCUE = 1u << 2,
    FS_WD_ABORT = 1u << 3,
};
#define FS_WD_DEFAULT_ACTIONS (FS_WD_LOG | FS_WD_FAIL)
#define FS_WD_DEFAULT_THRESHOLD_NS (5ull * 1000000000ull)

/* Parse "log", "fail", "rescue", "abort" or a comma list of them ("fail,abort")
 * into a mask (log is always added). Returns 0 or -EINVAL. */
int fs_watchdog_action_parse(const char *text, unsigned *actions);

enum fs_wd_event {
    FS_WD_EV_SELF = 0, /* a request from one of our own threads */
    FS_WD_EV_STALL,    /* a request older than its deadline */
    FS_WD_EV_ABORT,    /* we aborted the connection */
    FS_WD_EV_RESCUE,   /* every worker stuck: rescue dispatch started */
};
const char *fs_watchdog_event_name(enum fs_wd_event ev);

#define FS_WD_MAX_THREADS 64
#define FS_WD_STACK_LEN 2048

struct fs_wd_thread {
    pid_t tid;
    int role; /* enum fs_thread_role, -1 if not registered */
    char state;
    char comm[FS_COMM_LEN];
    char wchan[FS_WCHAN_LEN];
    bool have_syscall;
    struct fs_proc_syscall sc;
    const char *sc_name;
    struct fs_sc_target target;
    bool busy; /* serving an in-flight request */
};

struct fs_watchdog_report {
    enum fs_wd_event event;
    uint64_t seq;
    struct fs_inflight_entry req;
    uint64_t age_ns, limit_ns;
    const char *action;    /* what the watchdog did: "reported", "EDEADLK",
                              "aborted connection", "rescue" */
    bool evidence_skipped; /* burst: summary only, no procfs sweep */
    /* the caller (read last; may time out) */
    bool caller_read;
    bool caller_timed_out;
    char caller_state;
    char caller_comm[FS_COMM_LEN];
    char caller_wchan[FS_WCHAN_LEN];
    char caller_stack[FS_WD_STACK_LEN];
    /* the connection */
    bool have_conn;
    unsigned conn;
    int mnt_id;
    long waiting; /* -1 unknown */
    size_t in_flight;
    /* our threads */
    size_t n_threads;
    struct fs_wd_thread threads[FS_WD_MAX_THREADS];
    /* everything above as text, multi-line, first line a summary */
    const char *text;
};

typedef void (*fs_watchdog_sink_fn)(void *arg,
                                    const struct fs_watchdog_report *r);

/* Receive and dispatch at most one request, waiting at most timeout_ms for
 * one. Returns 1 if one was dispatched, 0 if none came, -errno when the
 * session is gone (the rescue thread then stops). */
typedef int (*fs_watchdog_rescue_fn)(void *arg, int timeout_ms);

struct fs_watchdog_config {
    struct fs_inflight_table *table; /* required; not owned */
    uint64_t threshold_ns;           /* 0 → FS_WD_DEFAULT_THRESHOLD_NS */
    uint64_t hard_deadline_ns; /* abort after this; 0 → 3 × threshold */
    unsigned actions;          /* 0 → FS_WD_DEFAULT_ACTIONS */
    const char *mountpoint;    /* canonical, resolved before mounting; copied */
    const char *fusectl_dir;   /* NULL → /sys/fs/fuse/connections */
    bool no_mount_fusectl;     /* do not mount fusectl when missing */
    bool has_conn;             /* conn given: skip mountinfo lookup */
    unsigned conn;
    fs_watchdog_sink_fn sink; /* NULL → text to stderr */
    void *sink_arg;
    fs_watchdog_rescue_fn rescue; /* needed for FS_WD_RESCUE */
    void *rescue_arg;
    /* Optional: called on the rescue thread as it exits, to free what the
     * hook keeps per thread (its struct fuse_buf). */
    void (*rescue_exit)(void *arg);
    uint64_t collect_timeout_ns; /* procfs helper; 0 → 500 ms */
    uint64_t period_ns;          /* 0 → threshold/4 within [10 ms, 250 ms] */
    bool manual;                 /* no thread: the caller drives
                                    fs_watchdog_tick (tests) */
};

struct fs_watchdog;

struct fs_watchdog_stats {
    uint64_t self_origin;      /* self-originated requests seen */
    uint64_t self_failed;      /* ... answered EDEADLK */
    uint64_t stalls;           /* stall reports */
    uint64_t aborts;           /* connection aborts */
    uint64_t rescues;          /* rescue episodes started */
    uint64_t rescued;          /* requests dispatched by the rescue thread */
    uint64_t collect_timeouts; /* helper abandoned */
    uint64_t reports_dropped;  /* self-origin queue overflow */
};

/* Start the watchdog (and its thread unless cfg->manual). Resolves the
 * connection id from /proc/self/mountinfo (retried on each scan until the
 * mount appears) and mounts fusectl if needed. *out is owned by the caller
 * until fs_watchdog_stop. Returns 0 or -errno. */
int fs_watchdog_start(const struct fs_watchdog_config *cfg,
                      struct fs_watchdog **out);

/* Stop the thread(s) and free wd; call before fuse_session_unmount. Queued
 * self-origin reports are emitted first. A helper thread still blocked in
 * procfs is abandoned (it frees its own state when it returns); a rescue
 * thread stuck in a handler for more than a second is detached and wd is
 * then leaked on purpose. */
void fs_watchdog_stop(struct fs_watchdog *wd);

/* Call on the request path when fs_inflight_is_self(slot): queues a report
 * and returns -EDEADLK if the request must fail (action fail, and not on the
 * rescue thread), 0 if it must be served normally. Never blocks. */
int fs_watchdog_self_origin(struct fs_watchdog *wd,
                            struct fs_inflight_slot *slot);

/* True on the rescue thread (while it dispatches requests). */
bool fs_watchdog_in_rescue(void);

/* One scan at time now_ns: report new stalls, take actions. The watchdog
 * thread calls it; tests with cfg->manual call it with a chosen clock. */
void fs_watchdog_tick(struct fs_watchdog *wd, uint64_t now_ns);

void fs_watchdog_get_stats(struct fs_watchdog *wd,
                           struct fs_watchdog_stats *st);

/* The connection id (fusectl directory) once known. */
bool fs_watchdog_conn(struct fs_watchdog *wd, unsigned *conn);

/* Render r as text into buf (always NUL-terminated). Returns the length it
 * needed. */
size_t fs_watchdog_format(const struct fs_watchdog_report *r, char *buf,
                          size_t len);

#endif
