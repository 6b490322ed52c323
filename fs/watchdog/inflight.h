/* fs/watchdog/inflight.h — the in-flight request table and the self-thread
 * registry.
 *
 * Both are FUSE-free so they can be unit-tested alone.
 *
 * In-flight table: a fixed slab of cache-line-sized slots. A request claims a
 * slot with one compare-and-swap (fs_inflight_begin), may extend its deadline
 * while parked (fs_inflight_extend) and releases the slot (fs_inflight_end).
 * No lock is taken on that path; the slot's 64-bit control word packs
 * (generation, flags, state), so the watchdog can take consistent snapshots
 * (fs_inflight_snapshot) and mark a request (fs_inflight_mark) without ever
 * touching a request that has since been replaced by another one.
 *
 * Ownership: the table is created once by the daemon and outlives every
 * request and the watchdog. A slot pointer returned by fs_inflight_begin is
 * owned by the request until fs_inflight_end; any thread may pass it on (the
 * reactor ends requests parked by a worker). All slot functions accept NULL
 * (the table was full: the request simply is not tracked).
 *
 * Self-thread registry: a process-wide set of the daemon's thread ids, so that
 * a request whose caller (fuse_req_ctx()->pid, a thread id) is one of our own
 * threads is recognised on the request path with a few loads.
 */
#ifndef SNAG_FS_INFLIGHT_H
#define SNAG_FS_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FS_INFLIGHT_DEFAULT_CAP 4096
/* Extra deadline for a deliberate `hang`: never a stall, and no overflow
 * when the watchdog adds its threshold. */
#define FS_INFLIGHT_NO_DEADLINE (UINT64_MAX / 4)
#define FS_COMM_LEN 16

/* Flags of an in-flight request (fs_inflight_entry.flags). */
enum fs_inflight_flag {
    FS_INFLIGHT_SELF = 1u << 0,     /* the caller is one of our threads */
    FS_INFLIGHT_REPORTED = 1u << 1, /* the watchdog reported it stalled */
    FS_INFLIGHT_ABORTED = 1u << 2,  /* the watchdog aborted over it */
    FS_INFLIGHT_RESCUED = 1u << 3,  /* dispatched by the rescue thread */
};

struct fs_inflight_table;
struct fs_inflight_slot;

/* A consistent copy of one in-flight request, as the watchdog sees it. */
struct fs_inflight_entry {
    uint32_t index;      /* slot index in the table */
    uint32_t gen;        /* generation: identifies this request in its slot */
    int op;              /* enum inj_op or any id the caller chose */
    const char *op_name; /* static string given to begin, never freed */
    uint64_t nodeid;
    pid_t pid;              /* caller thread id (0 for kernel writeback) */
    pid_t worker;           /* thread serving it now, 0 while parked */
    uint64_t start_ns;      /* CLOCK_MONOTONIC */
    uint64_t extra_ns;      /* allowance for injected delays */
    unsigned flags;         /* enum fs_inflight_flag */
    char comm[FS_COMM_LEN]; /* caller comm if the fs side gave it, else "" */
};

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t fs_inflight_now_ns(void);

/* Create a table of cap slots (0 → FS_INFLIGHT_DEFAULT_CAP). Returns NULL on
 * ENOMEM. The caller owns it; free with fs_inflight_table_free() once no
 * request and no watchdog uses it. */
struct fs_inflight_table *fs_inflight_table_new(size_t cap);
void fs_inflight_table_free(struct fs_inflight_table *t);
size_t fs_inflight_capacity(const struct fs_inflight_table *t);

/* Track a request. op_name must be a static string (inj_op_name()). pid is
 * the caller's thread id from fuse_req_ctx(); worker the serving thread
 * (gettid()); extra_deadline_ns any injected delay already decided, so that
 * our own latency faults are not taken for stalls. If pid is one of our own
 * threads (fs_self_is_own_thread), FS_INFLIGHT_SELF is set.
 * O(1) expected, lock-free. Returns NULL when the table is full (counted). */
struct fs_inflight_slot *fs_inflight_begin(struct fs_inflight_table *t, int op,
                                           const char *op_name, uint64_t nodeid,
                                           pid_t pid, pid_t worker,
                                           uint64_t extra_deadline_ns);

/* Record the caller's comm (optional; the watchdog reads /proc otherwise). */
void fs_inflight_set_comm(struct fs_inflight_slot *s, const char *comm);

/* Allow ns more before this request counts as stalled (an injected delay or
 * hang decided after begin). */
void fs_inflight_extend(struct fs_inflight_slot *s, uint64_t ns);

/* The request changes hands: worker = 0 when it is parked on the reactor
 * (it then blocks no thread), or the tid that resumes it. */
void fs_inflight_set_worker(struct fs_inflight_slot *s, pid_t worker);

/* True if the request was flagged self-originated at begin. */
bool fs_inflight_is_self(const struct fs_inflight_slot *s);

/* Copy the request's own slot (for its owner: fields are stable). A NULL
 * slot gives a zeroed entry with op_name "?". */
void fs_inflight_read_slot(const struct fs_inflight_slot *s,
                           struct fs_inflight_entry *out);

/* Stop tracking the request. The slot may be reused at once. */
void fs_inflight_end(struct fs_inflight_slot *s);

/* Copy every live request into out (at most max), returns how many. Never
 * blocks the request path; a request that begins or ends during the scan
 * may or may not be included, but no entry is ever torn. */
size_t fs_inflight_snapshot(struct fs_inflight_table *t,
                            struct fs_inflight_entry *out, size_t max);

/* Number of live requests (approximate under concurrency). */
size_t fs_inflight_count(struct fs_inflight_table *t);

/* Set flag bits on the request e was taken from, if it is still the same
 * request. Returns true if the bits were newly set by this call. */
bool fs_inflight_mark(struct fs_inflight_table *t,
                      const struct fs_inflight_entry *e, unsigned flags);

/* Requests that found the table full (not tracked). */
uint64_t fs_inflight_overflows(const struct fs_inflight_table *t);

/* ---- self-thread registry (process-wide) ---- */

enum fs_thread_role {
    FS_ROLE_OTHER = 0,
    FS_ROLE_WORKER, /* a libfuse worker serving requests */
    FS_ROLE_MAIN,
    FS_ROLE_REACTOR,
    FS_ROLE_CONTROL,
    FS_ROLE_WATCHDOG,
    FS_ROLE_RESCUE,
    FS_ROLE_HELPER, /* the watchdog's procfs reader */
};

#define FS_SELF_MAX_THREADS 1024
#define FS_SELF_FILTER_SIZE 1024 /* buckets of the "is it ours" filter */

/* Register the calling thread (idempotent: a __thread flag makes repeat calls
 * one load, so a worker may call it on every request). The thread is removed
 * automatically when it exits. Returns 0, or -ENOSPC when the registry is
 * full (the thread then is not recognised as ours). */
int fs_self_register_thread(enum fs_thread_role role);

/* Remove the calling thread now (it is also removed at thread exit). */
void fs_self_unregister_thread(void);

/* Is tid one of our registered threads? tid 0 (kernel writeback) is never
 * ours. Lock-free; a filter of registered tids by bucket answers almost
 * every "no" with one load, however many threads have come and gone. */
bool fs_self_is_own_thread(pid_t tid);

/* Buckets of that filter holding a registered thread (for tests: it
 * returns to where it was when the threads registered since are gone). */
size_t fs_self_filter_used(void);

/* The role of a registered thread, or -1 if tid is not registered. */
int fs_self_role(pid_t tid);

/* Number of registered threads with this role. */
size_t fs_self_count(enum fs_thread_role role);

/* The calling thread's id (gettid()). */
pid_t fs_self_tid(void);

const char *fs_thread_role_name(int role);

#endif
