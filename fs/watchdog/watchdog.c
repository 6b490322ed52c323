/* fs/watchdog/watchdog.c — the watchdog thread, its procfs helper and the
 * rescue thread.
 *
 * Invariants: the watchdog thread never opens, stats or reads anything on our
 * mount; procfs evidence is read on a detached helper (struct collect_job,
 * refcounted: the watchdog may give up waiting and drop its reference first);
 * wd->mu protects the self-origin queue and the rescue state only, and is
 * never held across a syscall that can block.
 */
#include "watchdog.h"

#include "evidence.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SELF_QUEUE_LEN 64
#define MAX_SCAN 8192
#define MS 1000000ull
/* Full evidence (a procfs sweep, up to the collect timeout each) for at most
 * this many reports per scan; a burst of stalls or self-origin requests gets
 * one-line reports beyond it, so the watchdog keeps up. */
#define EVIDENCE_PER_TICK 4

struct fs_watchdog {
    struct fs_watchdog_config cfg;
    char mountpoint[PATH_MAX];
    char fusectl_dir[PATH_MAX];

    _Atomic bool have_conn;
    unsigned conn;
    int mnt_id;
    _Atomic bool aborted;

    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu; /* protects: stop, self_q*, rescue_* below */
    pthread_cond_t cv;  /* watchdog thread: self queue or stop */
    bool stop;
    struct fs_inflight_entry self_q[SELF_QUEUE_LEN];
    bool self_q_fail[SELF_QUEUE_LEN];
    size_t self_q_len;

    pthread_t rescue_thread;
    bool rescue_started;
    bool rescue_want;
    _Atomic bool rescue_done; /* the rescue thread has returned */
    pthread_cond_t rescue_cv;

    uint64_t seq;
    struct fs_inflight_entry *scan; /* watchdog thread only */
    unsigned evidence_budget;       /* watchdog thread only: per tick */

    _Atomic uint64_t n_self, n_self_failed, n_stalls, n_aborts, n_rescues,
        n_rescued, n_collect_timeouts, n_dropped;
};

static __thread bool tls_in_rescue;

/* Breaks a rescue thread out of a blocking read() on /dev/fuse (EINTR):
 * installed without SA_RESTART, does nothing else. */
#define RESCUE_WAKE_SIGNAL SIGURG
static void rescue_wake(int sig)
{
    (void)sig;
}

static void rescue_wake_install(void)
{
    struct sigaction old;
    if (sigaction(RESCUE_WAKE_SIGNAL, NULL, &old) < 0)
        return;
    if ((old.sa_flags & SA_SIGINFO) ||
        (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN))
        return; /* a handler already (ours, or the daemon's): leave it */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = rescue_wake;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the read must fail with EINTR */
    sigaction(RESCUE_WAKE_SIGNAL, &sa, NULL);
}

int fs_watchdog_action_parse(const char *text, unsigned *actions)
{
    unsigned m = FS_WD_LOG;
    const char *p = text;
    if (!p || !*p)
        return -EINVAL;
    while (*p) {
        size_t n = strcspn(p, ",|");
        if (n == 3 && strncmp(p, "log", 3) == 0)
            m |= FS_WD_LOG;
        else if (n == 4 && strncmp(p, "fail", 4) == 0)
            m |= FS_WD_FAIL;
        else if (n == 6 && strncmp(p, "rescue", 6) == 0)
            m |= FS_WD_RESCUE;
        else if (n == 5 && strncmp(p, "abort", 5) == 0)
            m |= FS_WD_ABORT;
        else
            return -EINVAL;
        p += n;
        if (*p) {
            p++;
            if (!*p)
                return -EINVAL; /* trailing comma */
        }
    }
    *actions = m;
    return 0;
}

const char *fs_watchdog_event_name(enum fs_wd_event ev)
{
    switch (ev) {
    case FS_WD_EV_SELF:
        return "self-origin";
    case FS_WD_EV_STALL:
        return "stall";
    case FS_WD_EV_ABORT:
        return "abort";
    case FS_WD_EV_RESCUE:
        return "rescue";
    }
    return "?";
}

bool fs_watchdog_in_rescue(void)
{
    return tls_in_rescue;
}

/* ---- reporting ---- */

/* Evidence for r, within this scan's budget (watchdog thread only). */
static void collect(struct fs_watchdog *wd, struct fs_watchdog_report *r,
                    const struct fs_inflight_entry *all, size_t n_all)
{
    r->waiting = -1;
    if (!wd->evidence_budget) {
        r->evidence_skipped = true;
        return;
    }
    wd->evidence_budget--;
    struct fs_wd_collect_in in = {
        .mountpoint = wd->mountpoint,
        .fusectl_dir = wd->fusectl_dir,
        .mnt_id = wd->mnt_id,
        .have_conn = atomic_load(&wd->have_conn),
        .conn = wd->conn,
        .timeout_ns =
            wd->cfg.collect_timeout_ns ? wd->cfg.collect_timeout_ns : 500 * MS,
    };
    if (fs_wd_collect(&in, r, all, n_all))
        atomic_fetch_add(&wd->n_collect_timeouts, 1);
}

static void emit(struct fs_watchdog *wd, struct fs_watchdog_report *r)
{
    size_t cap = 16384;
    char *text = malloc(cap);
    if (text) {
        size_t need = fs_watchdog_format(r, text, cap);
        if (need >= cap) {
            char *bigger = realloc(text, need + 1);
            if (bigger) {
                text = bigger;
                fs_watchdog_format(r, text, need + 1);
            }
        }
    }
    r->text = text ? text : "snagfs watchdog: (out of memory)\n";
    r->seq = ++wd->seq;
    if (wd->cfg.sink) {
        wd->cfg.sink(wd->cfg.sink_arg, r);
    } else {
        fputs(r->text, stderr);
        fflush(stderr);
    }
    free(text);
    r->text = NULL;
}

static void fill_common(struct fs_watchdog *wd, struct fs_watchdog_report *r,
                        const struct fs_inflight_entry *e, uint64_t now,
                        size_t in_flight)
{
    r->req = *e;
    r->age_ns = now > e->start_ns ? now - e->start_ns : 0;
    r->limit_ns = wd->cfg.threshold_ns + e->extra_ns;
    r->have_conn = atomic_load(&wd->have_conn);
    r->conn = wd->conn;
    r->mnt_id = wd->mnt_id;
    r->in_flight = in_flight;
}

static void try_resolve_conn(struct fs_watchdog *wd)
{
    if (atomic_load(&wd->have_conn) || !wd->mountpoint[0])
        return;
    struct fs_mount_id m;
    if (fs_mountinfo_find(NULL, wd->mountpoint, true, &m) < 0)
        return;
    wd->mnt_id = m.mnt_id;
    if (!wd->cfg.has_conn) {
        if (m.major != 0)
            return; /* fuseblk: no fusectl entry by minor */
        wd->conn = m.minor;
    }
    atomic_store(&wd->have_conn, true);
}

int fs_watchdog_self_origin(struct fs_watchdog *wd,
                            struct fs_inflight_slot *slot)
{
    if (!wd)
        return 0;
    atomic_fetch_add(&wd->n_self, 1);
    bool fail = (wd->cfg.actions & FS_WD_FAIL) && !tls_in_rescue;
    struct fs_inflight_entry e;
    fs_inflight_read_slot(slot, &e);
    e.flags |= FS_INFLIGHT_SELF | (tls_in_rescue ? FS_INFLIGHT_RESCUED : 0);
    pthread_mutex_lock(&wd->mu);
    if (wd->self_q_len < SELF_QUEUE_LEN) {
        wd->self_q_fail[wd->self_q_len] = fail;
        wd->self_q[wd->self_q_len++] = e;
        pthread_cond_signal(&wd->cv);
    } else {
        atomic_fetch_add(&wd->n_dropped, 1);
    }
    pthread_mutex_unlock(&wd->mu);
    if (fail) {
        atomic_fetch_add(&wd->n_self_failed, 1);
        return -EDEADLK;
    }
    return 0;
}

static void report_self(struct fs_watchdog *wd,
                        const struct fs_inflight_entry *e, bool failed,
                        const struct fs_inflight_entry *all, size_t n_all)
{
    struct fs_watchdog_report *r = calloc(1, sizeof(*r));
    if (!r)
        return;
    r->event = FS_WD_EV_SELF;
    fill_common(wd, r, e, fs_inflight_now_ns(), n_all);
    r->limit_ns = 0;
    r->action = failed                             ? "EDEADLK"
                : (e->flags & FS_INFLIGHT_RESCUED) ? "served (rescue thread)"
                                                   : "served";
    collect(wd, r, all, n_all);
    emit(wd, r);
    free(r);
}

static void report_stall(struct fs_watchdog *wd, enum fs_wd_event ev,
                         const struct fs_inflight_entry *e, uint64_t now,
                         const char *action,
                         const struct fs_inflight_entry *all, size_t n_all)
{
    struct fs_watchdog_report *r = calloc(1, sizeof(*r));
    if (!r)
        return;
    r->event = ev;
    fill_common(wd, r, e, now, n_all);
    r->action = action;
    collect(wd, r, all, n_all);
    emit(wd, r);
    free(r);
}

static void *rescue_main(void *arg)
{
    struct fs_watchdog *wd = arg;
    fs_self_register_thread(FS_ROLE_RESCUE);
    tls_in_rescue = true;
    sigset_t wake;
    sigemptyset(&wake);
    sigaddset(&wake, RESCUE_WAKE_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
    pthread_mutex_lock(&wd->mu);
    while (!wd->stop) {
        if (!wd->rescue_want) {
            pthread_cond_wait(&wd->rescue_cv, &wd->mu);
            continue;
        }
        pthread_mutex_unlock(&wd->mu);
        int r = wd->cfg.rescue(wd->cfg.rescue_arg, 100);
        pthread_mutex_lock(&wd->mu);
        if (r > 0)
            atomic_fetch_add(&wd->n_rescued, (uint64_t)r);
        else if (r < 0)
            break; /* the session is gone */
    }
    pthread_mutex_unlock(&wd->mu);
    if (wd->cfg.rescue_exit)
        wd->cfg.rescue_exit(wd->cfg.rescue_arg);
    atomic_store(&wd->rescue_done, true);
    return NULL;
}

/* Start or stop rescue dispatch. Returns true if it was newly started. */
static bool rescue_set(struct fs_watchdog *wd, bool want)
{
    bool started = false;
    pthread_mutex_lock(&wd->mu);
    if (want && !wd->rescue_want)
        started = true;
    wd->rescue_want = want;
    if (want && !wd->rescue_started) {
        if (pthread_create(&wd->rescue_thread, NULL, rescue_main, wd) == 0)
            wd->rescue_started = true;
        else
            started = false;
    }
    pthread_cond_broadcast(&wd->rescue_cv);
    pthread_mutex_unlock(&wd->mu);
    return started;
}

static bool has_tid(const pid_t *v, size_t n, pid_t t)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == t)
            return true;
    return false;
}

/* Report the queued self-originated requests (n: live entries in scan). */
static void drain_self(struct fs_watchdog *wd, size_t n)
{
    struct fs_inflight_entry self[SELF_QUEUE_LEN];
    bool self_fail[SELF_QUEUE_LEN];
    pthread_mutex_lock(&wd->mu);
    size_t ns = wd->self_q_len;
    memcpy(self, wd->self_q, ns * sizeof(self[0]));
    memcpy(self_fail, wd->self_q_fail, ns * sizeof(self_fail[0]));
    wd->self_q_len = 0;
    pthread_mutex_unlock(&wd->mu);
    for (size_t i = 0; i < ns; i++)
        report_self(wd, &self[i], self_fail[i], wd->scan, n);
}

void fs_watchdog_tick(struct fs_watchdog *wd, uint64_t now)
{
    try_resolve_conn(wd);
    wd->evidence_budget = EVIDENCE_PER_TICK;
    size_t n = fs_inflight_snapshot(wd->cfg.table, wd->scan, MAX_SCAN);

    /* 1. self-originated requests, at once. */
    drain_self(wd, n);

    /* 2. stalls. */
    pid_t stuck[FS_WD_MAX_THREADS];
    size_t n_stuck = 0;
    for (size_t i = 0; i < n; i++) {
        const struct fs_inflight_entry *e = &wd->scan[i];
        uint64_t age = now > e->start_ns ? now - e->start_ns : 0;
        if (age <= wd->cfg.threshold_ns + e->extra_ns)
            continue;
        if (e->worker && fs_self_role(e->worker) == FS_ROLE_WORKER &&
            !has_tid(stuck, n_stuck, e->worker) && n_stuck < FS_WD_MAX_THREADS)
            stuck[n_stuck++] = e->worker;
        if (fs_inflight_mark(wd->cfg.table, e, FS_INFLIGHT_REPORTED)) {
            atomic_fetch_add(&wd->n_stalls, 1);
            report_stall(wd, FS_WD_EV_STALL, e, now, "reported", wd->scan, n);
        }
        if ((wd->cfg.actions & FS_WD_ABORT) &&
            age > wd->cfg.hard_deadline_ns + e->extra_ns &&
            atomic_load(&wd->have_conn) && !atomic_load(&wd->aborted)) {
            /* Report first: the evidence is the state that justified the
             * abort, and the log says so before any waiter wakes up. */
            atomic_store(&wd->aborted, true);
            wd->evidence_budget++; /* this report always gets evidence */
            report_stall(wd, FS_WD_EV_ABORT, e, now, "aborting connection",
                         wd->scan, n);
            int rc = fs_fusectl_abort(wd->fusectl_dir, wd->conn);
            if (rc == 0) {
                atomic_fetch_add(&wd->n_aborts, 1);
                fs_inflight_mark(wd->cfg.table, e, FS_INFLIGHT_ABORTED);
            } else {
                char why[96];
                snprintf(why, sizeof(why), "abort FAILED: %s", strerror(-rc));
                wd->evidence_budget = 0;
                report_stall(wd, FS_WD_EV_ABORT, e, now, why, wd->scan, n);
            }
        }
    }

    /* 3. rescue when every worker is stuck. */
    if ((wd->cfg.actions & FS_WD_RESCUE) && wd->cfg.rescue &&
        !atomic_load(&wd->aborted)) {
        size_t workers = fs_self_count(FS_ROLE_WORKER);
        bool all_stuck = workers > 0 && n_stuck >= workers;
        pthread_mutex_lock(&wd->mu);
        bool rescuing = wd->rescue_want;
        pthread_mutex_unlock(&wd->mu);
        if (all_stuck && !rescuing) {
            /* Report first, so the evidence shows the wedged state. */
            atomic_fetch_add(&wd->n_rescues, 1);
            for (size_t i = 0; i < n; i++) {
                if (wd->scan[i].worker == stuck[0]) {
                    report_stall(wd, FS_WD_EV_RESCUE, &wd->scan[i], now,
                                 "rescue: dispatching queued requests",
                                 wd->scan, n);
                    break;
                }
            }
        }
        (void)rescue_set(wd, all_stuck);
    }
}

static void *watchdog_main(void *arg)
{
    struct fs_watchdog *wd = arg;
    fs_self_register_thread(FS_ROLE_WATCHDOG);
    uint64_t period = wd->cfg.period_ns;
    pthread_mutex_lock(&wd->mu);
    while (!wd->stop) {
        pthread_mutex_unlock(&wd->mu);
        fs_watchdog_tick(wd, fs_inflight_now_ns());
        pthread_mutex_lock(&wd->mu);
        if (wd->stop || wd->self_q_len)
            continue;
        struct timespec dl;
        clock_gettime(CLOCK_MONOTONIC, &dl);
        uint64_t t = (uint64_t)dl.tv_nsec + period;
        dl.tv_sec += (time_t)(t / 1000000000u);
        dl.tv_nsec = (long)(t % 1000000000u);
        pthread_cond_timedwait(&wd->cv, &wd->mu, &dl);
    }
    pthread_mutex_unlock(&wd->mu);
    /* Requests answered EDEADLK just before stop still get their report. */
    wd->evidence_budget = EVIDENCE_PER_TICK;
    drain_self(wd, 0);
    return NULL;
}

int fs_watchdog_start(const struct fs_watchdog_config *cfg,
                      struct fs_watchdog **out)
{
    if (!cfg || !cfg->table || !out)
        return -EINVAL;
    if ((cfg->actions & FS_WD_RESCUE) && !cfg->rescue)
        return -EINVAL;
    struct fs_watchdog *wd = calloc(1, sizeof(*wd));
    if (!wd)
        return -ENOMEM;
    wd->scan = calloc(MAX_SCAN, sizeof(*wd->scan));
    if (!wd->scan) {
        free(wd);
        return -ENOMEM;
    }
    wd->cfg = *cfg;
    if (!wd->cfg.threshold_ns)
        wd->cfg.threshold_ns = FS_WD_DEFAULT_THRESHOLD_NS;
    if (!wd->cfg.hard_deadline_ns)
        wd->cfg.hard_deadline_ns = 3 * wd->cfg.threshold_ns;
    if (!wd->cfg.actions)
        wd->cfg.actions = FS_WD_DEFAULT_ACTIONS;
    wd->cfg.actions |= FS_WD_LOG;
    if (!wd->cfg.period_ns) {
        uint64_t p = wd->cfg.threshold_ns / 4;
        wd->cfg.period_ns = p < 10 * MS ? 10 * MS : p > 250 * MS ? 250 * MS : p;
    }
    snprintf(wd->mountpoint, sizeof(wd->mountpoint), "%s",
             cfg->mountpoint ? cfg->mountpoint : "");
    wd->cfg.mountpoint = wd->mountpoint;
    snprintf(wd->fusectl_dir, sizeof(wd->fusectl_dir), "%s",
             cfg->fusectl_dir ? cfg->fusectl_dir : FS_FUSECTL_DIR);
    wd->cfg.fusectl_dir = wd->fusectl_dir;
    wd->mnt_id = -1;
    if (cfg->has_conn) {
        wd->conn = cfg->conn;
        atomic_store(&wd->have_conn, !wd->mountpoint[0]);
    }
    if (!cfg->no_mount_fusectl)
        fs_fusectl_ensure(wd->fusectl_dir); /* best effort: reports say
                                               waiting=-1 without it */
    try_resolve_conn(wd);

    pthread_mutex_init(&wd->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&wd->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&wd->rescue_cv, NULL);
    if (wd->cfg.actions & FS_WD_RESCUE)
        rescue_wake_install();
    if (!cfg->manual) {
        int rc = pthread_create(&wd->thread, NULL, watchdog_main, wd);
        if (rc != 0) {
            free(wd->scan);
            free(wd);
            return -rc;
        }
        wd->thread_started = true;
    }
    *out = wd;
    return 0;
}

void fs_watchdog_stop(struct fs_watchdog *wd)
{
    if (!wd)
        return;
    pthread_mutex_lock(&wd->mu);
    wd->stop = true;
    wd->rescue_want = false;
    pthread_cond_broadcast(&wd->cv);
    pthread_cond_broadcast(&wd->rescue_cv);
    pthread_mutex_unlock(&wd->mu);
    if (wd->thread_started)
        pthread_join(wd->thread, NULL);
    if (wd->rescue_started) {
        /* The hook may sit in read() on /dev/fuse (a worker took the
         * request it polled): interrupt it until it notices the stop. If it
         * is stuck inside a handler for a second, leave it (and wd). */
        for (int i = 0; i < 200 && !atomic_load(&wd->rescue_done); i++) {
            pthread_kill(wd->rescue_thread, RESCUE_WAKE_SIGNAL);
            usleep(5000);
        }
        if (!atomic_load(&wd->rescue_done)) {
            pthread_detach(wd->rescue_thread);
            return; /* leaks wd on purpose: the rescue thread still uses it */
        }
        pthread_join(wd->rescue_thread, NULL);
    }
    pthread_mutex_destroy(&wd->mu);
    pthread_cond_destroy(&wd->cv);
    pthread_cond_destroy(&wd->rescue_cv);
    free(wd->scan);
    free(wd);
}

void fs_watchdog_get_stats(struct fs_watchdog *wd, struct fs_watchdog_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (!wd)
        return;
    st->self_origin = atomic_load(&wd->n_self);
    st->self_failed = atomic_load(&wd->n_self_failed);
    st->stalls = atomic_load(&wd->n_stalls);
    st->aborts = atomic_load(&wd->n_aborts);
    st->rescues = atomic_load(&wd->n_rescues);
    st->rescued = atomic_load(&wd->n_rescued);
    st->collect_timeouts = atomic_load(&wd->n_collect_timeouts);
    st->reports_dropped = atomic_load(&wd->n_dropped);
}

bool fs_watchdog_conn(struct fs_watchdog *wd, unsigned *conn)
{
    if (!wd || !atomic_load(&wd->have_conn))
        return false;
    *conn = wd->conn;
    return true;
}
