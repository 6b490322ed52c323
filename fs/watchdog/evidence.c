/* fs/watchdog/evidence.c — a report's evidence from procfs, read on an
 * abandonable helper, and its text.
 *
 * The helper thread reads our own threads and the connection first and the
 * caller last (its procfs may block); it publishes each stage under the
 * job's mutex, so the waiting watchdog can take what is done when it gives
 * up. The job is refcounted: whoever drops the last reference frees it.
 */
#include "evidence.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct collect_job {
    _Atomic int refs;
    pthread_mutex_t mu; /* protects stage and the copy into rep */
    pthread_cond_t cv;
    int stage; /* 0 nothing, 1 threads + connection, 2 caller state, 3 all */
    /* inputs */
    pid_t caller;
    bool caller_is_ours;
    char mountpoint[PATH_MAX];
    char fusectl_dir[PATH_MAX];
    int mnt_id;
    bool have_conn;
    unsigned conn;
    pid_t busy[FS_WD_MAX_THREADS];
    size_t n_busy;
    /* output */
    struct fs_watchdog_report rep;
};

static void job_put(struct collect_job *j)
{
    if (atomic_fetch_sub(&j->refs, 1) == 1) {
        pthread_mutex_destroy(&j->mu);
        pthread_cond_destroy(&j->cv);
        free(j);
    }
}

static void read_thread(pid_t tid, const struct collect_job *j,
                        struct fs_wd_thread *t)
{
    memset(t, 0, sizeof(*t));
    t->tid = tid;
    t->role = fs_self_role(tid);
    for (size_t i = 0; i < j->n_busy; i++)
        if (j->busy[i] == tid)
            t->busy = true;
    /* A stuck thread can be caught between two sleeps of a throttle loop
     * (balance_dirty_pages wakes up every few ms to re-check), when its
     * wchan reads empty. Resample a busy thread until it is seen asleep
     * with a wchan (at most ~50 ms), so the report shows where it waits. */
    int attempts = t->busy ? 25 : 1;
    for (int attempt = 0; attempt < attempts; attempt++) {
        if (attempt)
            usleep(2000);
        t->state = '?';
        t->wchan[0] = '\0';
        fs_proc_task_state(0, tid, &t->state, t->comm, sizeof(t->comm));
        fs_proc_wchan(0, tid, t->wchan, sizeof(t->wchan));
        char again = '?';
        fs_proc_task_state(0, tid, &again, NULL, 0);
        if (t->state != 'R' && again == t->state && t->wchan[0])
            break;
    }
    if (fs_proc_syscall(0, tid, &t->sc) == 0) {
        t->have_syscall = true;
        t->sc_name = t->sc.state == FS_SC_BLOCKED
                         ? fs_syscall_info(t->sc.nr).name
                         : (t->sc.state == FS_SC_RUNNING ? "running" : "-");
        if (t->sc.state == FS_SC_BLOCKED)
            fs_syscall_target(&t->sc, j->mountpoint, j->mnt_id, &t->target);
    }
}

static void *collect_main(void *arg)
{
    struct collect_job *j = arg;
    fs_self_register_thread(FS_ROLE_HELPER);
    /* 1. our own threads and the connection: procfs of ourselves. */
    static __thread struct fs_wd_thread threads[FS_WD_MAX_THREADS];
    pid_t tids[FS_WD_MAX_THREADS];
    size_t n = 0;
    fs_proc_list_tasks(0, tids, FS_WD_MAX_THREADS, &n);
    pid_t me = fs_self_tid();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (tids[i] == me)
            continue;
        read_thread(tids[i], j, &threads[k++]);
    }
    long waiting = -1;
    if (j->have_conn)
        fs_fusectl_waiting(j->fusectl_dir, j->conn, &waiting);
    pthread_mutex_lock(&j->mu);
    memcpy(j->rep.threads, threads, k * sizeof(threads[0]));
    j->rep.n_threads = k;
    j->rep.waiting = waiting;
    j->stage = 1;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);

    /* 2. the caller, last: its procfs may block. */
    char state = '?', comm[FS_COMM_LEN] = "", wchan[FS_WCHAN_LEN] = "";
    static __thread char stack[FS_WD_STACK_LEN];
    stack[0] = '\0';
    if (j->caller > 0) {
        fs_proc_task_state(j->caller, j->caller, &state, comm, sizeof(comm));
        fs_proc_wchan(j->caller, j->caller, wchan, sizeof(wchan));
    }
    pthread_mutex_lock(&j->mu);
    j->rep.caller_state = state;
    memcpy(j->rep.caller_comm, comm, sizeof(comm));
    memcpy(j->rep.caller_wchan, wchan, sizeof(wchan));
    j->stage = 2;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);

    if (j->caller > 0 &&
        fs_proc_stack(j->caller, j->caller, stack, sizeof(stack)) < 0)
        stack[0] = '\0';
    pthread_mutex_lock(&j->mu);
    memcpy(j->rep.caller_stack, stack, sizeof(stack));
    j->stage = 3;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    job_put(j);
    return NULL;
}

/* Fill r with evidence, waiting at most the collect timeout. */
bool fs_wd_collect(const struct fs_wd_collect_in *in,
                   struct fs_watchdog_report *r,
                   const struct fs_inflight_entry *all, size_t n_all)
{
    r->waiting = -1;
    struct collect_job *j = calloc(1, sizeof(*j));
    if (!j)
        return false;
    atomic_init(&j->refs, 2);
    pthread_mutex_init(&j->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cv, &ca);
    pthread_condattr_destroy(&ca);
    j->caller = r->req.pid;
    snprintf(j->mountpoint, sizeof(j->mountpoint), "%s", in->mountpoint);
    snprintf(j->fusectl_dir, sizeof(j->fusectl_dir), "%s", in->fusectl_dir);
    j->mnt_id = in->mnt_id;
    j->have_conn = in->have_conn;
    j->conn = in->conn;
    for (size_t i = 0; i < n_all && j->n_busy < FS_WD_MAX_THREADS; i++)
        if (all[i].worker)
            j->busy[j->n_busy++] = all[i].worker;

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    if (pthread_create(&th, &attr, collect_main, j) != 0) {
        pthread_attr_destroy(&attr);
        job_put(j);
        job_put(j);
        return false;
    }
    pthread_attr_destroy(&attr);

    uint64_t to = in->timeout_ns;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    uint64_t t = (uint64_t)dl.tv_nsec + to;
    dl.tv_sec += (time_t)(t / 1000000000u);
    dl.tv_nsec = (long)(t % 1000000000u);
    pthread_mutex_lock(&j->mu);
    while (j->stage < 3) {
        if (pthread_cond_timedwait(&j->cv, &j->mu, &dl) == ETIMEDOUT)
            break;
    }
    int stage = j->stage;
    if (stage >= 1) {
        memcpy(r->threads, j->rep.threads,
               j->rep.n_threads * sizeof(r->threads[0]));
        r->n_threads = j->rep.n_threads;
        r->waiting = j->rep.waiting;
    }
    if (stage >= 2) {
        r->caller_read = true;
        r->caller_state = j->rep.caller_state;
        memcpy(r->caller_comm, j->rep.caller_comm, sizeof(r->caller_comm));
        memcpy(r->caller_wchan, j->rep.caller_wchan, sizeof(r->caller_wchan));
    }
    if (stage >= 3)
        memcpy(r->caller_stack, j->rep.caller_stack, sizeof(r->caller_stack));
    pthread_mutex_unlock(&j->mu);
    if (stage < 3)
        r->caller_timed_out = true;
    job_put(j);
    return stage < 3;
}

/* ---- formatting ---- */

struct out {
    char *buf;
    size_t len, pos;
};

static void outf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->pos < o->len ? o->len - o->pos : 0;
    int n = vsnprintf(room ? o->buf + o->pos : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->pos += (size_t)n;
}

static double secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

size_t fs_watchdog_format(const struct fs_watchdog_report *r, char *buf,
                          size_t len)
{
    struct out o = {buf, len, 0};
    if (len)
        buf[0] = '\0';
    const struct fs_inflight_entry *q = &r->req;
    const char *comm = q->comm[0] ? q->comm : r->caller_comm;
    outf(&o,
         "snagfs watchdog: %s: op=%s node=%" PRIu64 " caller=%d (%s)%s "
         "worker=%d age=%.3fs limit=%.3fs (injected %.3fs) action=%s\n",
         fs_watchdog_event_name(r->event), q->op_name ? q->op_name : "?",
         q->nodeid, (int)q->pid, comm[0] ? comm : "?",
         (q->flags & FS_INFLIGHT_SELF) ? " [our own thread]" : "",
         (int)q->worker, secs(r->age_ns), secs(r->limit_ns), secs(q->extra_ns),
         r->action ? r->action : "reported");
    if (r->evidence_skipped) {
        outf(&o, "  (evidence skipped: more reports in this scan than the "
                 "watchdog sweeps procfs for)\n");
        return o.pos;
    }
    if (r->caller_read)
        outf(&o, "  caller %d: state=%c wchan=%s\n", (int)q->pid,
             r->caller_state, r->caller_wchan[0] ? r->caller_wchan : "-");
    else if (q->pid > 0)
        outf(&o, "  caller %d: procfs unreadable%s\n", (int)q->pid,
             r->caller_timed_out ? " (timed out, reader abandoned)" : "");
    else
        outf(&o, "  caller: kernel (pid 0: writeback or another kernel "
                 "context)\n");
    if (r->caller_stack[0]) {
        outf(&o, "  caller stack:\n");
        const char *p = r->caller_stack;
        while (*p) {
            size_t n = strcspn(p, "\n");
            outf(&o, "    %.*s\n", (int)n, p);
            p += n;
            if (*p)
                p++;
        }
    }
    if (r->have_conn) {
        outf(&o, "  connection %u (mnt_id %d): waiting=%ld in_flight=%zu",
             r->conn, r->mnt_id, r->waiting, r->in_flight);
        if (r->waiting >= 0 && (size_t)r->waiting > r->in_flight)
            outf(&o, " -- %zu request(s) queued that no thread is reading",
                 (size_t)r->waiting - r->in_flight);
        outf(&o, "\n");
    } else {
        outf(&o,
             "  connection: unknown (mount not in /proc/self/mountinfo)"
             " in_flight=%zu\n",
             r->in_flight);
    }
    for (size_t i = 0; i < r->n_threads; i++) {
        const struct fs_wd_thread *t = &r->threads[i];
        outf(&o, "  thread %d (%s, %s%s): state=%c wchan=%s", (int)t->tid,
             t->comm, fs_thread_role_name(t->role), t->busy ? ", busy" : "",
             t->state, t->wchan[0] ? t->wchan : "-");
        if (t->have_syscall && t->sc.state == FS_SC_BLOCKED) {
            outf(&o, " syscall=%s(%ld) target=%s", t->sc_name, t->sc.nr,
                 t->target.desc);
            if (t->target.known && t->target.ours)
                outf(&o, " ON OUR OWN MOUNT");
        }
        outf(&o, "\n");
    }
    return o.pos;
}
