/* fs/services.c — start and stop what runs beside the FUSE session.
 *
 * Invariants:
 *  - Order at start: reactor, watchdog, control server, SIGHUP handler;
 *    at stop the reverse of what could still reach into the others: the
 *    control server first (its `release` calls the reactor), then the
 *    watchdog (before the session fd closes: its rescue thread dispatches),
 *    then the reactor, whose parked requests are answered EIO while the
 *    channel still works.
 *  - Rules are loaded through ctl_rules_load(), the same code `snagctl
 *    reload` and SIGHUP use, from the same list of sources.
 *  - The SIGHUP handler only calls the async-signal-safe
 *    ctl_server_request_reload(); the control thread does the work.
 */
#include "services.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../policy/policy.h"
#include "reactor/reactor.h"
#include "rescue.h"
#include "watchdog/watchdog.h"

static struct ctl_server *volatile hup_server;

static void on_sighup(int sig)
{
    (void)sig;
    struct ctl_server *s = hup_server;
    if (s)
        ctl_server_request_reload(s);
}

static int add_source(struct fs_services *sv, enum ctl_source_kind kind,
                      const char *text)
{
    struct ctl_source *n =
        realloc(sv->sources, (sv->n_sources + 1) * sizeof(*n));
    if (!n)
        return -ENOMEM;
    n[sv->n_sources++] = (struct ctl_source){kind, text};
    sv->sources = n;
    return 0;
}

/* Profiles, then rules files, then --rule, each in command-line order. */
static int build_sources(struct fs_services *sv, const struct fs_options *o)
{
    char path[PATH_MAX];
    sv->profile_paths = calloc(o->n_profiles + 1, sizeof(char *));
    if (!sv->profile_paths)
        return -ENOMEM;
    for (size_t i = 0; i < o->n_profiles; i++) {
        int rc = pol_profile_path(o->profiles[i], path, sizeof(path));
        if (rc < 0) {
            fprintf(stderr, "snagfs: profile '%s': %s\n", o->profiles[i],
                    rc == -EINVAL ? "invalid name" : "not found");
            return -EINVAL;
        }
        sv->profile_paths[i] = strdup(path);
        if (!sv->profile_paths[i])
            return -ENOMEM;
        sv->n_profiles++;
        if (add_source(sv, CTL_SRC_FILE, sv->profile_paths[i]) < 0)
            return -ENOMEM;
    }
    for (size_t i = 0; i < o->n_rule_files; i++)
        if (add_source(sv, CTL_SRC_FILE, o->rule_files[i]) < 0)
            return -ENOMEM;
    for (size_t i = 0; i < o->n_rules; i++)
        if (add_source(sv, CTL_SRC_RULE, o->rules[i]) < 0)
            return -ENOMEM;
    return 0;
}

int fs_services_load(struct fs_services *sv, const struct fs_options *o)
{
    char msg[1024];
    memset(sv, 0, sizeof(*sv));
    sv->o = o;
    uint64_t seed = o->seed;
    if (!o->has_seed) {
        if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
            seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        seed &= (UINT64_C(1) << 53) - 1; /* readable, and exact in JSON */
    }
    sv->engine = inj_engine_new(seed);
    sv->stats = ctl_stats_new();
    if (!sv->engine || !sv->stats)
        goto out_nomem;
    int rc = build_sources(sv, o);
    if (rc == -EINVAL)
        return 2;
    if (rc < 0)
        goto out_nomem;
    uint64_t gen;
    size_t n;
    rc = ctl_rules_load(sv->engine, sv->sources, sv->n_sources, false, &gen, &n,
                        msg, sizeof(msg));
    if (rc < 0) {
        fprintf(stderr, "snagfs: %s\n", msg);
        return rc == -ENOMEM ? 1 : 2;
    }
    if (o->replay) {
        rc = ctl_replay_load(o->replay, &sv->replay, msg, sizeof(msg));
        if (rc < 0) {
            fprintf(stderr, "snagfs: replay: %s\n", msg);
            return 2;
        }
    }
    if (o->trace) {
        rc = ctl_trace_open(o->trace, &sv->trace);
        if (rc < 0) {
            fprintf(stderr, "snagfs: trace '%s': %s\n", o->trace,
                    strerror(-rc));
            return 1;
        }
    }
    if (!o->has_seed)
        fprintf(stderr, "snagfs: seed %" PRIu64 "\n", seed);
    return 0;

out_nomem:
    fprintf(stderr, "snagfs: out of memory\n");
    return 1;
}

static long hook_release(void *ctx, const char *rule_id)
{
    struct fs_services *sv = ctx;
    return sv->reactor ? (long)fs_reactor_release(sv->reactor, rule_id)
                       : -ENOSYS;
}

/* `snagctl stats` counters: the watchdog's and the reactor's. */
static size_t hook_counters(void *ctx, struct ctl_counter *out, size_t max)
{
    struct fs_services *sv = ctx;
    struct fs_watchdog_stats w;
    size_t n = 0;
#define PUT(nm, v)                                                             \
    do {                                                                       \
        if (n < max)                                                           \
            out[n++] = (struct ctl_counter){nm, (v)};                          \
    } while (0)
    if (sv->reactor)
        PUT("reactor_parked", fs_reactor_parked(sv->reactor));
    if (sv->wd) {
        fs_watchdog_get_stats(sv->wd, &w);
        PUT("watchdog_self_origin", w.self_origin);
        PUT("watchdog_self_failed", w.self_failed);
        PUT("watchdog_stalls", w.stalls);
        PUT("watchdog_aborts", w.aborts);
        PUT("watchdog_rescues", w.rescues);
        PUT("watchdog_rescued", w.rescued);
        PUT("watchdog_reports_dropped", w.reports_dropped);
        PUT("inflight_overflows", fs_inflight_overflows(sv->inflight));
    }
#undef PUT
    return n;
}

static void hook_thread_start(void *ctx)
{
    (void)ctx;
    fs_self_register_thread(FS_ROLE_CONTROL);
}

/* Runs once on the reactor thread: register it as ours (its resumed
 * handlers then count as the daemon's own I/O) and give it the workers'
 * securebits for fsuid switches. */
static void reactor_thread_start(void *arg, enum fs_wake why)
{
    (void)arg, (void)why;
    fs_creds_thread_setup();
    fs_self_register_thread(FS_ROLE_REACTOR);
}

static void watchdog_sink(void *arg, const struct fs_watchdog_report *r)
{
    struct fs_services *sv = arg;
    fputs(r->text, stderr);
    fflush(stderr);
    if (sv->trace)
        ctl_trace_watchdog(sv->trace, fs_watchdog_event_name(r->event),
                           r->req.op_name, r->req.nodeid, (uint32_t)r->req.pid,
                           r->caller_comm[0] ? r->caller_comm : r->req.comm,
                           r->age_ns, r->action);
}

static int start_watchdog(struct fs_services *sv, struct fs_mount *m)
{
    const struct fs_options *o = sv->o;
    if (o->has_watchdog && o->watchdog_ns == 0)
        return 0; /* --watchdog 0 */
    sv->inflight = fs_inflight_table_new(0);
    if (!sv->inflight)
        return -ENOMEM;
    struct fs_watchdog_config cfg = {
        .table = sv->inflight,
        .threshold_ns = o->watchdog_ns,
        .actions = o->watchdog_actions,
        .mountpoint = m->mountpoint,
        .has_conn = m->conn != 0,
        .conn = m->conn,
        .sink = watchdog_sink,
        .sink_arg = sv,
        .rescue = fs_rescue_one,
        .rescue_arg = m->se,
        .rescue_exit = fs_rescue_exit,
    };
    int rc = fs_watchdog_start(&cfg, &sv->wd);
    if (rc < 0) {
        fprintf(stderr, "snagfs: watchdog: %s\n", strerror(-rc));
        fs_inflight_table_free(sv->inflight);
        sv->inflight = NULL;
        return rc;
    }
    m->fs.inflight = sv->inflight;
    m->fs.wd = sv->wd;
    return 0;
}

static int start_control(struct fs_services *sv, struct fs_mount *m)
{
    char sock[108], err[512];
    const char *path = sv->o->control;
    if (!path) {
        int rc = ctl_sockpath_default(m->mountpoint, sock, sizeof(sock));
        if (rc < 0) {
            fprintf(stderr, "snagfs: control socket path: %s\n", strerror(-rc));
            return rc;
        }
        path = sock;
    }
    struct ctl_config cfg = {
        .socket_path = path,
        .engine = sv->engine,
        .stats = sv->stats,
        .trace = sv->trace,
        .replay = sv->replay,
        .sources = sv->sources,
        .n_sources = sv->n_sources,
        .mount_label = m->mountpoint,
        .allowed_uid = getuid(),
        .hooks = {.ctx = sv,
                  .release = hook_release,
                  .thread_start = hook_thread_start,
                  .counters = hook_counters},
    };
    int rc = ctl_server_start(&cfg, &sv->ctl, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "snagfs: control socket: %s\n", err);
        return rc;
    }
    setenv("SNAGFS_CONTROL", ctl_server_socket_path(sv->ctl), 1);
    return 0;
}

int fs_services_start(struct fs_services *sv, struct fs_mount *m, bool sighup)
{
    sv->m = m;
    m->fs.engine = sv->engine;
    m->fs.obs = (struct ctl_observe){sv->stats, sv->trace, sv->replay};
    m->fs.mountpoint = m->mountpoint;
    fs_self_register_thread(m->fs.opt->single_thread ? FS_ROLE_WORKER
                                                     : FS_ROLE_MAIN);

    /* SNAGFS_REACTOR=timer: the timer-thread backend. Under valgrind an
     * io_uring wait blocks every thread (it does not know the syscall
     * blocks), so profiling the daemon needs this. */
    const char *backend = getenv("SNAGFS_REACTOR");
    unsigned flags =
        backend && strcmp(backend, "timer") == 0 ? FS_REACTOR_NO_URING : 0;
    int rc = fs_reactor_start(flags, &sv->reactor);
    if (rc < 0) {
        fprintf(stderr, "snagfs: reactor: %s\n", strerror(-rc));
        return rc;
    }
    m->fs.reactor = sv->reactor;
    fs_reactor_park(sv->reactor, 0, NULL, reactor_thread_start, NULL, NULL);
    if (m->fs.opt->debug)
        fprintf(stderr, "snagfs: reactor backend: %s\n",
                fs_reactor_backend(sv->reactor));
    rc = start_watchdog(sv, m);
    if (rc == 0)
        rc = start_control(sv, m);
    if (rc < 0) {
        fs_services_stop(sv);
        return rc;
    }
    if (sighup) {
        /* After fuse_set_signal_handlers(): libfuse's SIGHUP would end
         * the session. */
        hup_server = sv->ctl;
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_sighup;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        sigaction(SIGHUP, &sa, NULL);
    }
    return 0;
}

void fs_services_stop(struct fs_services *sv)
{
    if (hup_server) {
        signal(SIGHUP, SIG_IGN);
        hup_server = NULL;
    }
    ctl_server_stop(sv->ctl);
    sv->ctl = NULL;
    if (sv->wd)
        fs_watchdog_stop(sv->wd);
    sv->wd = NULL;
    if (sv->reactor)
        fs_reactor_stop(sv->reactor);
    sv->reactor = NULL;
    if (sv->m) {
        sv->m->fs.reactor = NULL;
        sv->m->fs.wd = NULL;
    }
}

/* "snagfs: rule ID matched M fired F" for every rule of the final set:
 * what a test without a control socket can assert on. */
static void print_rule_counters(struct inj_engine *e)
{
    struct inj_rule **rules;
    size_t n;
    uint64_t gen;
    if (inj_engine_snapshot(e, &rules, &n, &gen) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        struct inj_rule_stats st;
        inj_rule_stats(rules[i], &st);
        fprintf(stderr,
                "snagfs: rule %s matched %" PRIu64 " fired %" PRIu64 "\n",
                inj_rule_id(rules[i]), st.matched, st.fired);
        inj_rule_put(rules[i]);
    }
    free(rules);
}

void fs_services_close(struct fs_services *sv)
{
    if (sv->m)
        sv->m->fs.inflight = NULL;
    if (sv->engine)
        print_rule_counters(sv->engine);
    if (sv->replay)
        ctl_replay_report_unused(sv->replay, stderr);
    fs_inflight_table_free(sv->inflight);
    ctl_replay_free(sv->replay);
    ctl_trace_close(sv->trace);
    ctl_stats_free(sv->stats);
    if (sv->engine)
        inj_engine_free(sv->engine);
    for (size_t i = 0; i < sv->n_profiles; i++)
        free(sv->profile_paths[i]);
    free(sv->profile_paths);
    free(sv->sources);
    memset(sv, 0, sizeof(*sv));
}

/* The first "# ..." line of a profile, without the "# ". */
static void first_comment(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (line[0] != '#')
            continue;
        char *s = line + 1;
        while (*s == ' ')
            s++;
        s[strcspn(s, "\n")] = '\0';
        snprintf(buf, size, "%.*s", (int)(size - 1), s);
        break;
    }
    fclose(f);
}

static void list_one(void *arg, const char *name, const char *path)
{
    char desc[256];
    (void)arg;
    first_comment(path, desc, sizeof(desc));
    printf("%-24s %s\n", name, desc);
}

int fs_services_list_profiles(void)
{
    int n = pol_profile_list(list_one, NULL);
    if (n < 0) {
        fprintf(stderr, "snagfs: cannot list profiles: %s\n", strerror(-n));
        return 1;
    }
    if (n == 0)
        fprintf(stderr, "snagfs: no profiles found\n");
    return 0;
}
