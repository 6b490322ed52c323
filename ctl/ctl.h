/* ctl/ctl.h — the control server: the seam between the FUSE daemon and snagctl.
 *
 * The daemon (fs/) fills a struct ctl_config and calls ctl_server_start()
 * once the engine holds its initial rules; the server runs one thread that
 * serves the snagctl/1 protocol (docs/control-protocol.md) on a unix socket
 * and never blocks on a client. It mutates the rule set only through
 * inj_engine_replace(), serialised by its own mutex, so a request sees the
 * old set or the new one, never a mix, and I/O in flight is not disturbed.
 *
 * What the daemon calls, and where:
 *  - startup: ctl_rules_load() with the -r/-R/-p sources (exit 2 on an
 *    error), then ctl_server_start() (after fuse_daemonize: threads do not
 *    survive its fork); a SIGHUP handler calls ctl_server_request_reload().
 *  - per request: ctl_observe_wants() instead of inj_engine_wants() and
 *    ctl_decide() instead of inj_decide() (observe.h). They count
 *    occurrences for --trace, write trace lines, substitute the --replay
 *    verdicts and count faults.
 *  - per reply: ctl_stats_end() or ctl_stats_record() (stats.h).
 *  - shutdown: ctl_server_stop() before the engine is freed, then
 *    ctl_replay_report_unused(stderr).
 */
#ifndef SNAG_CTL_CTL_H
#define SNAG_CTL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../inject/engine.h"
#include "observe.h"
#include "replay.h"
#include "stats.h"
#include "trace.h"

/* Where the rules came from, in load order: what `reload` re-reads. */
enum ctl_source_kind {
    CTL_SRC_RULE, /* text is one rule (-r) */
    CTL_SRC_FILE, /* text is a rules file path (-R, or a resolved -p profile) */
};

struct ctl_source {
    enum ctl_source_kind kind;
    const char *text;
};

/* One daemon counter shown by `stats` (e.g. the watchdog's). name is a
 * static [a-z_]+ string. */
struct ctl_counter {
    const char *name;
    uint64_t value;
};
#define CTL_MAX_COUNTERS 16

/* Callbacks into the daemon. All optional; all called on the server thread
 * (or, for log, on the thread calling ctl_server_reload), never while the
 * server holds a lock a request path could need. */
struct ctl_hooks {
    void *ctx;
    /* Requests in flight now. NULL: the ctl_stats in-flight gauge. */
    uint64_t (*inflight)(void *ctx);
    /* Answer every request parked by a `hang` verdict of rule_id (as if the
     * hang ended: the request proceeds). Returns how many were released,
     * or -errno. Must not block. NULL: `release` answers ENOSYS. */
    long (*release)(void *ctx, const char *rule_id);
    /* A message for the daemon's log (SIGHUP reload results, refused
     * peers). NULL: written to stderr with a "snagfs: control: " prefix. */
    void (*log)(void *ctx, const char *msg);
    /* Called once on the server thread before it serves (the daemon
     * registers the thread as its own for the watchdog). */
    void (*thread_start)(void *ctx);
    /* Extra counters for `stats`: fills out (at most max), returns how
     * many. Must not block. NULL: none. */
    size_t (*counters)(void *ctx, struct ctl_counter *out, size_t max);
};

struct ctl_config {
    const char *socket_path;   /* required; see ctl_sockpath_default() */
    struct inj_engine *engine; /* required; borrowed, must outlive the server */
    struct ctl_stats *stats;   /* optional; borrowed */
    struct ctl_trace *trace;   /* optional; borrowed, for `trace` */
    struct ctl_replay *replay; /* optional; borrowed, for `trace` */
    const struct ctl_source *sources; /* copied; what `reload` re-reads */
    size_t n_sources;
    const char *mount_label; /* copied; Prometheus label mount="..." (opt.) */
    uid_t allowed_uid;       /* peers with this uid or uid 0 are served */
    unsigned max_clients;    /* 0: 64; one more is refused with EBUSY */
    unsigned idle_ms;        /* 0: 30000; a request must arrive this soon */
    size_t max_line;         /* 0: CTL_LINE_MAX; longer lines get E2BIG */
    struct ctl_hooks hooks;
};

struct ctl_server;

/* Bind the socket (mode 0600; a stale socket left by a dead daemon is
 * replaced, a live one is -EADDRINUSE; a missing last directory component
 * is created 0700) and start the server thread. Returns 0 or -errno with a
 * message in errbuf. */
int ctl_server_start(const struct ctl_config *cfg, struct ctl_server **out,
                     char *errbuf, size_t errsize);

/* Stop the thread, close every client (waiters get an error), unlink the
 * socket if it is still ours, free. NULL is a no-op. */
void ctl_server_stop(struct ctl_server *s);

/* The socket path the server listens on (for SNAGFS_CONTROL). */
const char *ctl_server_socket_path(const struct ctl_server *s);

/* Async-signal-safe: ask the server thread to reload (SIGHUP). The result
 * goes to hooks.log. libfuse's fuse_set_signal_handlers() makes SIGHUP end
 * the session, so the daemon must install its own SIGHUP handler after it. */
void ctl_server_request_reload(struct ctl_server *s);

/* Reload now from any thread (the server's `reload` command does this).
 * Returns 0 with the new generation, or -errno with a message. */
int ctl_server_reload(struct ctl_server *s, uint64_t *generation, char *msg,
                      size_t msgsize);

/* Parse and compile sources and publish them as the engine's rule set.
 * Rules whose id, origin and text are unchanged from the current set are
 * kept (with their counters); with keep_control, rules added through the
 * control socket ("<control>" origin) stay, after the sources' rules.
 * One bad rule rejects the whole load and leaves the set untouched.
 * Returns 0 with the generation and rule count, or -errno with
 * "file:line:col: message (at 'token')" in msg. Not thread-safe against
 * itself: the server serialises its own calls. */
int ctl_rules_load(struct inj_engine *e, const struct ctl_source *src, size_t n,
                   bool keep_control, uint64_t *generation, size_t *n_rules,
                   char *msg, size_t msgsize);

/* The default control socket of a mountpoint (see docs/control-protocol.md,
 * "Socket path"): DIR/ESCAPED.sock where DIR is /run/snagfs for root,
 * $XDG_RUNTIME_DIR/snagfs or /tmp/snagfs-UID otherwise, and ESCAPED is the
 * systemd-escape --path form of the canonical mountpoint (or h-HASH.sock
 * when that would not fit sun_path). Never stats or opens anything inside
 * the mountpoint: only its parent is resolved. Returns 0 or -errno. */
int ctl_sockpath_default(const char *mountpoint, char *buf, size_t size);

/* realpath() of the mountpoint's parent + "/" + its last component. */
int ctl_mountpoint_canon(const char *mountpoint, char *buf, size_t size);

/* systemd-escape --path of an absolute path into buf. */
int ctl_path_escape(const char *path, char *buf, size_t size);

#endif
