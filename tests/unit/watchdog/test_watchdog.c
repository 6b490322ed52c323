/* tests/unit/watchdog/test_watchdog.c — stall detection, injected-delay
 * allowance, actions.
 *
 * The watchdog runs in manual mode: each test drives fs_watchdog_tick with a
 * chosen clock, so "older than the threshold" is exact, not a race.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "watchdog.h"

#define MS 1000000ull
#define THRESH (200 * MS)

struct seen {
    enum fs_wd_event ev;
    char action[64];
    char caller_state;
    char caller_wchan[FS_WCHAN_LEN];
    char text[8192];
};
static struct seen seen[32];
static int n_seen;
/* the threaded test polls count() while the watchdog thread calls sink() */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;

static void sink(void *arg, const struct fs_watchdog_report *r)
{
    pthread_mutex_lock(&seen_mu);
    if (n_seen >= 32) {
        pthread_mutex_unlock(&seen_mu);
        return;
    }
    struct seen *s = &seen[n_seen++];
    s->ev = r->event;
    snprintf(s->action, sizeof(s->action), "%s", r->action);
    s->caller_state = r->caller_read ? r->caller_state : '?';
    memcpy(s->caller_wchan, r->caller_wchan, sizeof(s->caller_wchan));
    snprintf(s->text, sizeof(s->text), "%s", r->text);
    pthread_mutex_unlock(&seen_mu);
}

static int count(enum fs_wd_event ev)
{
    int n = 0;
    pthread_mutex_lock(&seen_mu);
    for (int i = 0; i < n_seen; i++)
        n += seen[i].ev == ev;
    pthread_mutex_unlock(&seen_mu);
    return n;
}

static struct fs_inflight_table *table;
static char fake_ctl[64];

static int setup(void **state)
{
    n_seen = 0;
    table = fs_inflight_table_new(64);
    snprintf(fake_ctl, sizeof(fake_ctl), "/tmp/wd-ctl-XXXXXX");
    if (!mkdtemp(fake_ctl))
        return -1;
    char p[128];
    snprintf(p, sizeof(p), "%s/9", fake_ctl);
    mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/9/waiting", fake_ctl);
    FILE *f = fopen(p, "w");
    fputs("2\n", f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/9/abort", fake_ctl);
    close(open(p, O_CREAT | O_WRONLY, 0600));
    return 0;
}

static int teardown(void **state)
{
    fs_inflight_table_free(table);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", fake_ctl);
    return system(cmd) == 0 ? 0 : -1;
}

static struct fs_watchdog *start(unsigned actions, fs_watchdog_rescue_fn rescue)
{
    struct fs_watchdog_config cfg = {
        .table = table,
        .threshold_ns = THRESH,
        .hard_deadline_ns = 3 * THRESH,
        .actions = actions,
        .fusectl_dir = fake_ctl,
        .no_mount_fusectl = true,
        .has_conn = true,
        .conn = 9,
        .sink = sink,
        .rescue = rescue,
        .manual = true,
    };
    struct fs_watchdog *wd = NULL;
    assert_int_equal(fs_watchdog_start(&cfg, &wd), 0);
    return wd;
}

static void test_action_parse(void **state)
{
    static const struct {
        const char *text;
        int rc;
        unsigned mask;
    } cases[] = {
        {"log", 0, FS_WD_LOG},
        {"fail", 0, FS_WD_LOG | FS_WD_FAIL},
        {"rescue", 0, FS_WD_LOG | FS_WD_RESCUE},
        {"abort", 0, FS_WD_LOG | FS_WD_ABORT},
        {"fail,abort", 0, FS_WD_LOG | FS_WD_FAIL | FS_WD_ABORT},
        {"rescue|abort", 0, FS_WD_LOG | FS_WD_RESCUE | FS_WD_ABORT},
        {"", -EINVAL, 0},
        {"kill", -EINVAL, 0},
        {"fail,", -EINVAL, 0},
        {",fail", -EINVAL, 0},
        {"Fail", -EINVAL, 0},
        {"aborts", -EINVAL, 0},
        {"log fail", -EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned m = 0;
        int rc = fs_watchdog_action_parse(cases[i].text, &m);
        if (rc != cases[i].rc || (rc == 0 && m != cases[i].mask))
            fail_msg("\"%s\": rc %d mask %#x", cases[i].text, rc, m);
    }
}

static void test_stall_reported_once_after_threshold(void **state)
{
    struct fs_watchdog *wd = start(FS_WD_LOG, NULL);
    struct fs_inflight_slot *s =
        fs_inflight_begin(table, 0, "lookup", 1, 999999, 0, 0);
    struct fs_inflight_entry e;
    fs_inflight_read_slot(s, &e);
    fs_watchdog_tick(wd, e.start_ns + THRESH);
    assert_int_equal(n_seen, 0);
    fs_watchdog_tick(wd, e.start_ns + THRESH + 1);
    assert_int_equal(count(FS_WD_EV_STALL), 1);
    assert_non_null(strstr(seen[0].text, "stall: op=lookup"));
    assert_non_null(strstr(seen[0].text, "connection 9"));
    assert_non_null(strstr(seen[0].text, "waiting=2 in_flight=1"));
    assert_non_null(strstr(seen[0].text, "1 request(s) queued"));
    fs_watchdog_tick(wd, e.start_ns + 10 * THRESH);
    assert_int_equal(count(FS_WD_EV_STALL), 1); /* once per request */
    assert_int_equal(count(FS_WD_EV_ABORT), 0); /* abort not configured */
    struct fs_watchdog_stats st;
    fs_watchdog_get_stats(wd, &st);
    assert_int_equal(st.stalls, 1);
    fs_inflight_end(s);
    fs_watchdog_stop(wd);
}

static void test_burst_gets_bounded_evidence(void **state)
{
    /* 10 stalls in one scan: all reported, only the first 4 with a procfs
     * sweep, so one scan stays bounded. */
    struct fs_watchdog *wd = start(FS_WD_LOG, NULL);
    struct fs_inflight_slot *s[10];
    for (int i = 0; i < 10; i++)
        s[i] = fs_inflight_begin(table, 0, "read", (uint64_t)i, 999999, 0, 0);
    struct fs_inflight_entry e;
    fs_inflight_read_slot(s[9], &e);
    fs_watchdog_tick(wd, e.start_ns + THRESH + 1);
    assert_int_equal(count(FS_WD_EV_STALL), 10);
    int skipped = 0;
    for (int i = 0; i < n_seen; i++)
        skipped += strstr(seen[i].text, "evidence skipped") != NULL;
    assert_int_equal(skipped, 6);
    for (int i = 0; i < 10; i++)
        fs_inflight_end(s[i]);
    fs_watchdog_stop(wd);
}

static void test_injected_delay_is_no_stall(void **state)
{
    struct fs_watchdog *wd = start(FS_WD_LOG | FS_WD_ABORT, NULL);
    /* delay decided before begin, and a hang extended after it */
    struct fs_inflight_slot *a =
        fs_inflight_begin(table, 0, "read", 2, 1, 0, 5 * THRESH);
    struct fs_inflight_slot *b =
        fs_inflight_begin(table, 0, "write", 3, 1, 0, 0);
    fs_inflight_extend(b, 5 * THRESH);
    fs_inflight_set_worker(b, 0);
    struct fs_inflight_entry ea, eb;
    fs_inflight_read_slot(a, &ea);
    fs_inflight_read_slot(b, &eb);
    uint64_t t0 = ea.start_ns > eb.start_ns ? ea.start_ns : eb.start_ns;
    /* past the threshold and past the hard deadline: still nothing */
    fs_watchdog_tick(wd, t0 + 4 * THRESH);
    fs_watchdog_tick(wd, ea.start_ns + 6 * THRESH);
    assert_int_equal(count(FS_WD_EV_STALL), 0);
    assert_int_equal(count(FS_WD_EV_ABORT), 0);
    /* beyond threshold + injected delay, it is a stall */
    fs_watchdog_tick(wd, t0 + 6 * THRESH + 1);
    assert_int_equal(count(FS_WD_EV_STALL), 2);
    assert_int_equal(count(FS_WD_EV_ABORT), 0);
    fs_inflight_end(a);
    fs_inflight_end(b);
    fs_watchdog_stop(wd);
}

static void test_self_origin_fail_and_log(void **state)
{
    pid_t me = fs_self_tid();
    fs_self_register_thread(FS_ROLE_WORKER);
    struct fs_watchdog *wd = start(FS_WD_LOG | FS_WD_FAIL, NULL);
    struct fs_inflight_slot *s =
        fs_inflight_begin(table, 0, "lookup", 1, me, me, 0);
    assert_true(fs_inflight_is_self(s));
    assert_int_equal(fs_watchdog_self_origin(wd, s), -EDEADLK);
    fs_inflight_end(s); /* answered at once: gone before the scan */
    struct fs_inflight_entry e;
    fs_watchdog_tick(wd, fs_inflight_now_ns());
    assert_int_equal(count(FS_WD_EV_SELF), 1);
    assert_string_equal(seen[0].action, "EDEADLK");
    assert_non_null(strstr(seen[0].text, "[our own thread]"));
    /* the report lists our threads, this one among them */
    char needle[32];
    snprintf(needle, sizeof(needle), "thread %d ", (int)me);
    (void)needle;
    (void)e;
    struct fs_watchdog_stats st;
    fs_watchdog_get_stats(wd, &st);
    assert_int_equal(st.self_origin, 1);
    assert_int_equal(st.self_failed, 1);
    fs_watchdog_stop(wd);

    n_seen = 0;
    wd = start(FS_WD_LOG, NULL);
    s = fs_inflight_begin(table, 0, "lookup", 1, me, me, 0);
    assert_int_equal(fs_watchdog_self_origin(wd, s), 0); /* log only */
    fs_watchdog_tick(wd, fs_inflight_now_ns());
    assert_int_equal(count(FS_WD_EV_SELF), 1);
    assert_string_equal(seen[0].action, "served");
    fs_inflight_end(s);
    fs_watchdog_stop(wd);
    fs_self_unregister_thread();
}

static void test_abort_after_hard_deadline_once(void **state)
{
    struct fs_watchdog *wd = start(FS_WD_LOG | FS_WD_ABORT, NULL);
    struct fs_inflight_slot *s =
        fs_inflight_begin(table, 0, "write", 5, 1, 0, 0);
    struct fs_inflight_entry e;
    fs_inflight_read_slot(s, &e);
    char p[128], b[8] = "";
    snprintf(p, sizeof(p), "%s/9/abort", fake_ctl);
    fs_watchdog_tick(wd, e.start_ns + 3 * THRESH);
    assert_int_equal(count(FS_WD_EV_STALL), 1);
    assert_int_equal(count(FS_WD_EV_ABORT), 0);
    FILE *f = fopen(p, "r");
    assert_null(fgets(b, sizeof(b), f)); /* not written yet */
    fclose(f);
    fs_watchdog_tick(wd, e.start_ns + 3 * THRESH + 1);
    fs_watchdog_tick(wd, e.start_ns + 9 * THRESH);
    assert_int_equal(count(FS_WD_EV_ABORT), 1);
    f = fopen(p, "r");
    assert_non_null(fgets(b, sizeof(b), f));
    fclose(f);
    assert_string_equal(b, "1");
    unsigned conn = 0;
    assert_true(fs_watchdog_conn(wd, &conn));
    assert_int_equal(conn, 9);
    fs_inflight_end(s);
    fs_watchdog_stop(wd);
}

/* ---- rescue ---- */

static sem_t rescue_called;
static atomic_bool rescue_saw_flag;
static atomic_int rescue_self_verdict;
static struct fs_watchdog *rescue_wd;
static struct fs_inflight_slot *rescue_self_slot;

static int fake_rescue(void *arg, int timeout_ms)
{
    rescue_saw_flag = fs_watchdog_in_rescue();
    /* a self-originated request dispatched here is served, not failed */
    rescue_self_verdict = fs_watchdog_self_origin(rescue_wd, rescue_self_slot);
    sem_post(&rescue_called);
    usleep(1000);
    return 0;
}

static _Atomic pid_t worker_tid;
static sem_t worker_go;
static void *fake_worker(void *arg)
{
    fs_self_register_thread(FS_ROLE_WORKER);
    worker_tid = fs_self_tid();
    sem_wait(&worker_go);
    return NULL;
}

static void test_rescue_when_every_worker_is_stuck(void **state)
{
    sem_init(&rescue_called, 0, 0);
    sem_init(&worker_go, 0, 0);
    pthread_t w;
    worker_tid = 0;
    pthread_create(&w, NULL, fake_worker, NULL);
    while (!worker_tid)
        usleep(100);
    rescue_wd = start(FS_WD_LOG | FS_WD_FAIL | FS_WD_RESCUE, fake_rescue);
    struct fs_inflight_slot *s =
        fs_inflight_begin(table, 0, "lookup", 1, 12345678, worker_tid, 0);
    rescue_self_slot =
        fs_inflight_begin(table, 0, "lookup", 1, worker_tid, fs_self_tid(), 0);
    struct fs_inflight_entry e;
    fs_inflight_read_slot(s, &e);
    fs_watchdog_tick(rescue_wd, e.start_ns + THRESH); /* not yet */
    assert_int_equal(count(FS_WD_EV_RESCUE), 0);
    fs_watchdog_tick(rescue_wd, e.start_ns + THRESH + 1);
    assert_int_equal(count(FS_WD_EV_RESCUE), 1);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 5;
    assert_int_equal(sem_timedwait(&rescue_called, &dl), 0);
    assert_true(rescue_saw_flag);
    assert_int_equal(rescue_self_verdict, 0);
    assert_false(fs_watchdog_in_rescue()); /* not on this thread */
    /* the worker's request ends: rescue stops wanting to run */
    fs_inflight_end(s);
    fs_inflight_end(rescue_self_slot);
    fs_watchdog_tick(rescue_wd, e.start_ns + 2 * THRESH);
    fs_watchdog_stop(rescue_wd);
    struct fs_watchdog_stats st = {0};
    (void)st;
    sem_post(&worker_go);
    pthread_join(w, NULL);
}

/* ---- evidence from a real blocked caller ---- */

static void test_stall_evidence_from_blocked_caller(void **state)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t c = fork();
    if (c == 0) {
        char b;
        close(p[1]);
        (void)read(p[0], &b, 1);
        _exit(0);
    }
    close(p[0]);
    for (int i = 0; i < 5000; i++) {
        char st = '?', wchan[64] = "";
        fs_proc_task_state(c, c, &st, NULL, 0);
        fs_proc_wchan(c, c, wchan, sizeof(wchan));
        if (st == 'S' && strstr(wchan, "pipe_read"))
            break;
        usleep(1000);
    }
    struct fs_watchdog *wd = start(FS_WD_LOG, NULL);
    struct fs_inflight_slot *s =
        fs_inflight_begin(table, 0, "read", 4, c, 0, 0);
    struct fs_inflight_entry e;
    fs_inflight_read_slot(s, &e);
    fs_watchdog_tick(wd, e.start_ns + THRESH + 1);
    assert_int_equal(count(FS_WD_EV_STALL), 1);
    assert_int_equal(seen[0].caller_state, 'S');
    assert_non_null(strstr(seen[0].caller_wchan, "pipe_read"));
    assert_non_null(strstr(seen[0].text, "state=S wchan="));
    if (geteuid() == 0)
        assert_non_null(strstr(seen[0].text, "caller stack:"));
    fs_inflight_end(s);
    fs_watchdog_stop(wd);
    close(p[1]);
    waitpid(c, NULL, 0);
}

static void test_threaded_watchdog_reports_self_at_once(void **state)
{
    /* The real thread: a self-origin report arrives without waiting for a
     * period (the queue wakes the thread). Bounded wait, generous period. */
    pid_t me = fs_self_tid();
    fs_self_register_thread(FS_ROLE_WORKER);
    struct fs_watchdog_config cfg = {
        .table = table,
        .threshold_ns = 60000 * MS,
        .period_ns = 60000 * MS,
        .fusectl_dir = fake_ctl,
        .no_mount_fusectl = true,
        .has_conn = true,
        .conn = 9,
        .sink = sink,
    };
    struct fs_watchdog *wd = NULL;
    assert_int_equal(fs_watchdog_start(&cfg, &wd), 0);
    usleep(1000);
    struct fs_inflight_slot *s =
        fs_inflight_begin(table, 0, "getattr", 1, me, me, 0);
    assert_int_equal(fs_watchdog_self_origin(wd, s), -EDEADLK); /* default */
    fs_inflight_end(s);
    for (int i = 0; i < 5000 && count(FS_WD_EV_SELF) == 0; i++)
        usleep(1000);
    fs_watchdog_stop(wd);
    assert_int_equal(count(FS_WD_EV_SELF), 1);
    fs_self_unregister_thread();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_action_parse),
        cmocka_unit_test_setup_teardown(
            test_stall_reported_once_after_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst_gets_bounded_evidence, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_injected_delay_is_no_stall, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_self_origin_fail_and_log, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_abort_after_hard_deadline_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rescue_when_every_worker_is_stuck,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_evidence_from_blocked_caller,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_threaded_watchdog_reports_self_at_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
