/* fs/reactor/reactor.h — parks delayed and hung requests; wakes each exactly
 * once.
 *
 * One reactor thread owns a min-heap of parked entries ordered by deadline
 * (then by arrival) and one io_uring ring, created on that thread, that it
 * waits on: an eventfd read SQE carries cross-thread kicks, the wait itself
 * is bounded by the earliest deadline, and the backend read/write/fsync of
 * entries parked with fs_reactor_park_io() are submitted to the same ring once
 * their delay is over. When io_uring_setup() fails (seccomp, sysctl
 * kernel.io_uring_disabled, old kernel) the same thread runs the same heap
 * with a condition variable instead, performs io entries' syscalls itself,
 * and says so once on stderr. Thousands of parked entries cost one thread.
 *
 * Nothing here knows FUSE: fs/ parks closures and decides how to reply.
 *
 * Threading and locking:
 *  - Every function may be called from any thread, including from inside a
 *    parked callback, except fs_reactor_stop() (never from a callback).
 *  - The reactor thread blocks every signal, so SIGINT/SIGTERM reach
 *    libfuse's loop thread (its exit handler), never the ring wait.
 *  - Callbacks run on the reactor thread, one at a time, with no reactor
 *    lock held; a slow callback delays the others, so a callback does its
 *    reply and returns (io entries let the ring do the slow syscall).
 *  - Each armed entry's callback runs exactly once: woken by its deadline
 *    (FS_WAKE_TIMER), by fs_reactor_release() (FS_WAKE_RELEASED), by
 *    fs_reactor_interrupt() (FS_WAKE_INTERRUPTED) or by fs_reactor_stop()
 *    (FS_WAKE_SHUTDOWN); whichever decides first under the reactor lock wins.
 *
 * Ownership: a struct fs_parked is refcounted. The reactor holds a reference
 * from arming until its callback has returned; the caller holds the one that
 * fs_parked_new*() returned (or that park handed back in *handle) until it
 * calls fs_parked_put(). A handle may therefore be interrupted at any time
 * before the caller puts it, even after its callback ran (then it is a no-op).
 */
#ifndef SNAG_FS_REACTOR_H
#define SNAG_FS_REACTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fs_reactor;
struct fs_parked;

enum fs_wake {
    FS_WAKE_TIMER,       /* the delay (or a hang's for= bound) elapsed */
    FS_WAKE_RELEASED,    /* fs_reactor_release() of its rule id */
    FS_WAKE_INTERRUPTED, /* fs_reactor_interrupt(): the kernel's INTERRUPT */
    FS_WAKE_SHUTDOWN,    /* fs_reactor_stop() with the entry still parked */
};

/* Printable name of a wake reason ("timer", "released", ...). */
const char *fs_wake_name(enum fs_wake why);

#define FS_PARK_FOREVER UINT64_MAX /* delay_ns of a hang without a bound */
/* Rule id bytes kept, NUL included (= INJ_ID_MAX). */
#define FS_REACTOR_ID_MAX 64

/* fs_reactor_start() flags. */
#define FS_REACTOR_NO_URING 0x1u /* force the timer-thread backend */

/* Runs exactly once, on the reactor thread, no lock held. */
typedef void (*fs_parked_fn)(void *arg, enum fs_wake why);

/* For io entries. why is TIMER or RELEASED when the operation ran, and res is
 * its result (bytes transferred, 0 for fsync, or -errno). why is INTERRUPTED
 * or SHUTDOWN when it did not run; then res is -EINTR or -ESHUTDOWN. */
typedef void (*fs_io_fn)(void *arg, enum fs_wake why, ssize_t res);

enum fs_io_op { FS_IO_PREAD, FS_IO_PWRITE, FS_IO_FSYNC, FS_IO_FDATASYNC };

/* A backend operation to run once the delay is over. buf must stay valid and
 * untouched until the callback runs: for a write, copy FUSE's data first
 * (libfuse reuses its buffer once the handler returns). */
struct fs_io {
    enum fs_io_op op;
    int fd;
    void *buf; /* PREAD: destination; PWRITE: source */
    size_t len;
    off_t off;
};

/* Start the reactor thread. The io_uring ring is created on that thread;
 * if that fails the thread runs the timer backend instead (logged once per
 * process: "snagfs: io_uring unavailable (<strerror>); using timer thread").
 * Returns 0 and *out (owned by the caller, freed by fs_reactor_stop()), or
 * -errno (-ENOMEM, or the pthread/eventfd error). */
int fs_reactor_start(unsigned flags, struct fs_reactor **out);

/* Wake every parked entry with FS_WAKE_SHUTDOWN, let io operations already
 * submitted complete (their callbacks get the real result), join the thread
 * and free the reactor. From then on, arming fails with -ESHUTDOWN while stop
 * runs, and no function may be called with r after it returns. Call it after
 * the FUSE session loop has returned and before fuse_session_destroy(), so
 * the callbacks can still reply. Handles the caller holds stay valid. */
void fs_reactor_stop(struct fs_reactor *r);

/* Two-step parking, for callers that must publish the handle before the
 * entry can fire (fs/ registers it with fuse_req_interrupt_func() first).
 * fs_parked_new*() allocates an unarmed entry and returns the caller's
 * reference (-ENOMEM otherwise). io is copied. */
int fs_parked_new(struct fs_reactor *r, fs_parked_fn fn, void *arg,
                  struct fs_parked **out);
int fs_parked_new_io(struct fs_reactor *r, const struct fs_io *io, fs_io_fn fn,
                     void *arg, struct fs_parked **out);

/* Arm p: its callback runs once delay_ns has passed (FS_PARK_FOREVER: never by
 * time alone), or earlier on release/interrupt/stop. rule_id (may be NULL or
 * "") is what fs_reactor_release() matches; it is copied, truncated to
 * FS_REACTOR_ID_MAX - 1 bytes. If p was interrupted before being armed, it
 * fires FS_WAKE_INTERRUPTED at once. Returns 0; -EINVAL if p was armed
 * already; -ESHUTDOWN if the reactor is stopping (the callback will not run:
 * the caller answers the request itself). Never blocks. */
int fs_reactor_arm(struct fs_reactor *r, struct fs_parked *p, uint64_t delay_ns,
                   const char *rule_id);

/* One-step: new + arm. With handle, *handle gets the caller's reference
 * (put it when done); with handle NULL the caller keeps none. Returns as
 * fs_reactor_arm() (and -ENOMEM); on error *handle is NULL and fn never runs.
 */
int fs_reactor_park(struct fs_reactor *r, uint64_t delay_ns,
                    const char *rule_id, fs_parked_fn fn, void *arg,
                    struct fs_parked **handle);
int fs_reactor_park_io(struct fs_reactor *r, uint64_t delay_ns,
                       const char *rule_id, const struct fs_io *io, fs_io_fn fn,
                       void *arg, struct fs_parked **handle);

/* Wake p with FS_WAKE_INTERRUPTED unless it was woken already (then nothing
 * happens: an io entry whose operation is running completes normally). On a
 * not yet armed p, remembers it so that arming fires at once. Any thread;
 * the caller must hold a reference to p. Never blocks on a callback. */
void fs_reactor_interrupt(struct fs_reactor *r, struct fs_parked *p);

/* The absolute CLOCK_MONOTONIC deadline (ns) p was armed with, UINT64_MAX
 * for a hang; valid once fs_reactor_arm() returned. For stats and tests. */
uint64_t fs_parked_deadline(const struct fs_parked *p);

/* Reference counting of handles. */
void fs_parked_get(struct fs_parked *p);
void fs_parked_put(struct fs_parked *p);

/* Wake every entry parked under rule_id (hangs and delays alike) with
 * FS_WAKE_RELEASED. Returns how many were woken; entries armed afterwards
 * are not affected. */
unsigned fs_reactor_release(struct fs_reactor *r, const char *rule_id);

/* Entries armed whose callback has not returned yet (stats). */
size_t fs_reactor_parked(const struct fs_reactor *r);

/* "io_uring" or "timer-thread": the backend in use (fixed at start). */
const char *fs_reactor_backend(const struct fs_reactor *r);

#endif
