/* tests/unit/reactor/test_reactor.c — the reactor's semantics, run once per
 * backend.
 *
 * argv[1] picks the backend: "uring" (default; the test fails if io_uring is
 * not what start picked) or "timer" (FS_REACTOR_NO_URING). Timing asserts
 * are strict lower bounds (never before the deadline) and generous upper
 * bounds; ordering is checked against the deadlines the reactor computed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "reactor.h"

#define MS 1000000ull
#define SLACK_NS (3000 * MS) /* upper bounds: generous, sanitizers are slow */

static unsigned g_flags;
static const char *g_backend = "io_uring";

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                          .tv_nsec = (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* One parked closure's record. Written by its callback (reactor thread),
 * read by the test after g_fired says the callback returned. */
struct rec {
    atomic_int calls;
    enum fs_wake why;
    uint64_t fired_ns;
    ssize_t res;
    pthread_t thread;
    unsigned order;
    struct fs_parked *h;
};

static atomic_uint g_fired;
static atomic_uint g_order;

static void rec_note(struct rec *c, enum fs_wake why)
{
    c->why = why;
    c->fired_ns = now_ns();
    c->thread = pthread_self();
    c->order = atomic_fetch_add(&g_order, 1);
    atomic_fetch_add(&c->calls, 1);
    atomic_fetch_add(&g_fired, 1);
}

static void on_wake(void *arg, enum fs_wake why)
{
    rec_note(arg, why);
}

static void on_io(void *arg, enum fs_wake why, ssize_t res)
{
    struct rec *c = arg;

    c->res = res;
    rec_note(c, why);
}

/* Wait (generously) until n callbacks in total have returned. */
static bool wait_fired(unsigned n)
{
    uint64_t until = now_ns() + 20000 * MS;

    while (atomic_load(&g_fired) < n) {
        if (now_ns() > until)
            return false;
        sleep_ns(MS / 2);
    }
    return true;
}

/* fs_reactor_parked() drops after the callback returned: poll for it. */
static bool wait_parked(struct fs_reactor *r, size_t n)
{
    uint64_t until = now_ns() + 20000 * MS;

    while (fs_reactor_parked(r) != n) {
        if (now_ns() > until)
            return false;
        sleep_ns(MS / 10);
    }
    return true;
}

static int setup(void **state)
{
    struct fs_reactor *r;

    atomic_store(&g_fired, 0);
    atomic_store(&g_order, 0);
    if (fs_reactor_start(g_flags, &r) != 0)
        return -1;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    fs_reactor_stop(*state);
    return 0;
}

static void test_backend(void **state)
{
    assert_string_equal(fs_reactor_backend(*state), g_backend);
}

static void test_delay_fires_once_after_deadline(void **state)
{
    struct fs_reactor *r = *state;
    struct rec c = {0};
    uint64_t t0 = now_ns();

    assert_int_equal(fs_reactor_park(r, 30 * MS, "d", on_wake, &c, NULL), 0);
    assert_true(wait_fired(1));
    assert_int_equal(atomic_load(&c.calls), 1);
    assert_int_equal(c.why, FS_WAKE_TIMER);
    assert_true(c.fired_ns - t0 >= 30 * MS);
    assert_true(c.fired_ns - t0 < 30 * MS + SLACK_NS);
    assert_true(!pthread_equal(c.thread, pthread_self()));
    assert_true(wait_parked(r, 0));
}

static atomic_int g_sigterm_blocked = -1;

static void on_check_mask(void *arg, enum fs_wake why)
{
    sigset_t cur;

    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    atomic_store(&g_sigterm_blocked,
                 sigismember(&cur, SIGTERM) && sigismember(&cur, SIGINT));
    atomic_fetch_add(&g_fired, 1);
}

/* Process signals are for libfuse's threads: the reactor blocks them all,
 * whatever the starting thread's mask. */
static void test_reactor_blocks_signals(void **state)
{
    assert_int_equal(
        fs_reactor_park(*state, 0, NULL, on_check_mask, NULL, NULL), 0);
    assert_true(wait_fired(1));
    assert_int_equal(atomic_load(&g_sigterm_blocked), 1);
}

static void test_zero_delay(void **state)
{
    struct rec c = {0};

    assert_int_equal(fs_reactor_park(*state, 0, NULL, on_wake, &c, NULL), 0);
    assert_true(wait_fired(1));
    assert_int_equal(c.why, FS_WAKE_TIMER);
}

/* Blocks the reactor thread inside a callback until the test lets it go. */
struct blocker {
    pthread_mutex_t m;
    pthread_cond_t cv;
    bool entered, go;
};

static void on_block(void *arg, enum fs_wake why)
{
    struct blocker *b = arg;

    pthread_mutex_lock(&b->m);
    b->entered = true;
    pthread_cond_broadcast(&b->cv);
    while (!b->go)
        pthread_cond_wait(&b->cv, &b->m);
    pthread_mutex_unlock(&b->m);
    atomic_fetch_add(&g_fired, 1);
}

static void block_reactor(struct fs_reactor *r, struct blocker *b)
{
    pthread_mutex_init(&b->m, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->entered = b->go = false;
    assert_int_equal(fs_reactor_park(r, 0, NULL, on_block, b, NULL), 0);
    pthread_mutex_lock(&b->m);
    while (!b->entered)
        pthread_cond_wait(&b->cv, &b->m);
    pthread_mutex_unlock(&b->m);
}

static void unblock_reactor(struct blocker *b)
{
    pthread_mutex_lock(&b->m);
    b->go = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->m);
}

/* Entries parked out of order while the reactor is busy come out sorted
 * by deadline (the reactor's own, read back from the handle). */
static void test_order_by_deadline(void **state)
{
    enum { N = 500 };
    struct fs_reactor *r = *state;
    static struct rec c[N];
    struct blocker b;
    struct rec *by_order[N];

    memset(c, 0, sizeof(c));
    block_reactor(r, &b);
    for (int i = 0; i < N; i++) {
        uint64_t d =
            (uint64_t)((i * 7919) % N) * 20000; /* 0..10 ms, shuffled */
        assert_int_equal(fs_reactor_park(r, d, "o", on_wake, &c[i], &c[i].h),
                         0);
    }
    sleep_ns(20 * MS); /* every deadline is past: one collection pops all */
    unblock_reactor(&b);
    assert_true(wait_fired(N + 1));
    for (int i = 0; i < N; i++) {
        assert_int_equal(atomic_load(&c[i].calls), 1);
        assert_int_equal(c[i].why, FS_WAKE_TIMER);
        assert_true(c[i].order < N); /* the blocker takes no number */
        by_order[c[i].order] = &c[i];
    }
    for (int i = 1; i < N; i++)
        assert_true(fs_parked_deadline(by_order[i - 1]->h) <=
                    fs_parked_deadline(by_order[i]->h));
    for (int i = 0; i < N; i++)
        fs_parked_put(c[i].h);
}

static void test_hang_release_by_rule(void **state)
{
    struct fs_reactor *r = *state;
    static struct rec a[10], b[5], d[3];

    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    memset(d, 0, sizeof(d));
    for (int i = 0; i < 10; i++)
        assert_int_equal(
            fs_reactor_park(r, FS_PARK_FOREVER, "a", on_wake, &a[i], NULL), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(
            fs_reactor_park(r, FS_PARK_FOREVER, "b", on_wake, &b[i], NULL), 0);
    for (int i = 0; i < 3; i++) /* a delay of rule a: released early too */
        assert_int_equal(
            fs_reactor_park(r, 3600000 * MS, "a", on_wake, &d[i], NULL), 0);
    assert_int_equal(fs_reactor_parked(r), 18);
    assert_int_equal(fs_reactor_release(r, "nope"), 0);
    assert_int_equal(fs_reactor_release(r, "a"), 13);
    assert_true(wait_fired(13));
    for (int i = 0; i < 10; i++)
        assert_int_equal(a[i].why, FS_WAKE_RELEASED);
    for (int i = 0; i < 3; i++)
        assert_int_equal(d[i].why, FS_WAKE_RELEASED);
    for (int i = 0; i < 5; i++)
        assert_int_equal(atomic_load(&b[i].calls), 0);
    assert_int_equal(fs_reactor_release(r, "a"), 0);
    assert_true(wait_parked(r, 5));
    assert_int_equal(fs_reactor_release(r, "b"), 5);
    assert_true(wait_fired(18));
    for (int i = 0; i < 5; i++) {
        assert_int_equal(atomic_load(&b[i].calls), 1);
        assert_int_equal(b[i].why, FS_WAKE_RELEASED);
    }
}

static void test_hang_bounded(void **state)
{
    struct rec c = {0};
    uint64_t t0 = now_ns();

    /* hang with for=20ms: the bound is just a deadline */
    assert_int_equal(fs_reactor_park(*state, 20 * MS, "h", on_wake, &c, NULL),
                     0);
    assert_true(wait_fired(1));
    assert_int_equal(c.why, FS_WAKE_TIMER);
    assert_true(c.fired_ns - t0 >= 20 * MS);
}

static void test_interrupt(void **state)
{
    struct fs_reactor *r = *state;
    struct rec c = {0};
    struct fs_parked *h;

    assert_int_equal(fs_reactor_park(r, FS_PARK_FOREVER, "h", on_wake, &c, &h),
                     0);
    assert_non_null(h);
    fs_reactor_interrupt(r, h);
    assert_true(wait_fired(1));
    assert_int_equal(c.why, FS_WAKE_INTERRUPTED);
    fs_reactor_interrupt(r, h); /* after the wake: a no-op */
    assert_int_equal(fs_reactor_release(r, "h"), 0);
    sleep_ns(5 * MS);
    assert_int_equal(atomic_load(&c.calls), 1);
    fs_parked_put(h);
}

/* fuse_req_interrupt_func() may call the interrupt callback before the
 * handler parks: an interrupt on an unarmed handle fires on arming. */
static void test_interrupt_before_arm(void **state)
{
    struct fs_reactor *r = *state;
    struct rec c = {0};
    struct fs_parked *h;

    assert_int_equal(fs_parked_new(r, on_wake, &c, &h), 0);
    fs_reactor_interrupt(r, h);
    sleep_ns(2 * MS);
    assert_int_equal(atomic_load(&c.calls), 0);
    assert_int_equal(fs_reactor_arm(r, h, FS_PARK_FOREVER, "h"), 0);
    assert_int_equal(fs_reactor_arm(r, h, 0, "h"), -EINVAL);
    assert_true(wait_fired(1));
    assert_int_equal(c.why, FS_WAKE_INTERRUPTED);
    fs_parked_put(h);
}

static void test_unarmed_put(void **state)
{
    struct rec c = {0};
    struct fs_parked *h;

    assert_int_equal(fs_parked_new(*state, on_wake, &c, &h), 0);
    fs_parked_put(h); /* never armed: freed, the callback never runs */
    assert_int_equal(fs_parked_new(*state, NULL, &c, &h), -EINVAL);
    assert_null(h);
    sleep_ns(MS);
    assert_int_equal(atomic_load(&c.calls), 0);
}

/* Interrupts and releases from other threads race the deadlines: every
 * callback still runs exactly once. */
struct hammer {
    struct fs_reactor *r;
    struct rec *c;
    int n, stride;
};

static void *hammer_main(void *arg)
{
    struct hammer *hm = arg;

    for (int k = 0; k < hm->n; k++) {
        int i = (int)(((long)k * hm->stride) % hm->n);
        fs_reactor_interrupt(hm->r, hm->c[i].h);
        if (k % 64 == 0)
            sched_yield();
    }
    return NULL;
}

static void test_exactly_once_hammer(void **state)
{
    enum { N = 3000, ROUNDS = 4 };
    struct fs_reactor *r = *state;
    static struct rec c[N];
    unsigned counts[4];

    for (int round = 0; round < ROUNDS; round++) {
        pthread_t t[3];
        struct hammer hm[3];

        memset(c, 0, sizeof(c));
        atomic_store(&g_fired, 0);
        for (int i = 0; i < N; i++) {
            uint64_t d = (uint64_t)(i % 7) * 250000; /* 0..1.5 ms */
            if (i % 11 == 0)
                d = FS_PARK_FOREVER;
            assert_int_equal(fs_reactor_park(r, d, i % 2 ? "odd" : "even",
                                             on_wake, &c[i], &c[i].h),
                             0);
        }
        for (int k = 0; k < 3; k++) {
            hm[k] = (struct hammer){r, c, N, 1 + 2 * k + (k == 2 ? 1000 : 0)};
            assert_int_equal(pthread_create(&t[k], NULL, hammer_main, &hm[k]),
                             0);
        }
        sleep_ns(MS / 2);
        fs_reactor_release(r, "odd");
        for (int k = 0; k < 3; k++)
            pthread_join(t[k], NULL);
        fs_reactor_release(r, "even");
        assert_true(wait_fired(N));
        sleep_ns(2 * MS); /* a double fire would show up by now */
        memset(counts, 0, sizeof(counts));
        for (int i = 0; i < N; i++) {
            assert_int_equal(atomic_load(&c[i].calls), 1);
            assert_true(c[i].why != FS_WAKE_SHUTDOWN);
            counts[c[i].why]++;
            fs_parked_put(c[i].h);
        }
        assert_true(wait_parked(r, 0));
    }
    print_message("  last round: timer %u released %u interrupted %u\n",
                  counts[FS_WAKE_TIMER], counts[FS_WAKE_RELEASED],
                  counts[FS_WAKE_INTERRUPTED]);
}

/* 10,000 entries with a 100 ms delay: one thread fires them all, none early,
 * all soon after their deadline. */
static void test_10000_delayed(void **state)
{
    enum { N = 10000 };
    struct fs_reactor *r = *state;
    static struct rec c[N];
    static uint64_t armed[N];
    uint64_t t0 = now_ns(), t_last, late_max = 0, done;

    memset(c, 0, sizeof(c));
    for (int i = 0; i < N; i++) {
        armed[i] = now_ns();
        assert_int_equal(
            fs_reactor_park(r, 100 * MS, "d", on_wake, &c[i], NULL), 0);
    }
    t_last = now_ns();
    assert_true(wait_fired(N));
    done = now_ns();
    for (int i = 0; i < N; i++) {
        assert_int_equal(atomic_load(&c[i].calls), 1);
        assert_int_equal(c[i].why, FS_WAKE_TIMER);
        assert_true(c[i].fired_ns >= armed[i] + 100 * MS);
        assert_true(pthread_equal(c[i].thread, c[0].thread));
        if (c[i].fired_ns - armed[i] - 100 * MS > late_max)
            late_max = c[i].fired_ns - armed[i] - 100 * MS;
    }
    assert_true(done - t_last < 100 * MS + SLACK_NS);
    print_message("  10000 x 100ms: parked in %.1f ms, all done %.1f ms after "
                  "the first park, max lateness %.2f ms\n",
                  (t_last - t0) / 1e6, (done - t0) / 1e6, late_max / 1e6);
}

struct shut {
    struct fs_reactor *r;
    atomic_int calls;
    atomic_int repark_err;
    enum fs_wake why;
};

static atomic_int g_shut_total;

static void on_shut(void *arg, enum fs_wake why)
{
    struct shut *s = arg;

    s->why = why;
    /* parking from a callback during stop is refused */
    if (s->r)
        atomic_store(&s->repark_err,
                     fs_reactor_park(s->r, 0, NULL, on_shut, s, NULL));
    atomic_fetch_add(&s->calls, 1);
    atomic_fetch_add(&g_shut_total, 1);
    free(s);
}

/* Stop with 10,000 parked: each gets SHUTDOWN once and frees its closure
 * (ASan/LSan would report a leak otherwise). */
static void test_shutdown_10000(void **state)
{
    enum { N = 10000 };
    struct fs_reactor *r;
    int err = 0;

    (void)state;
    atomic_store(&g_shut_total, 0);
    assert_int_equal(fs_reactor_start(g_flags, &r), 0);
    for (int i = 0; i < N; i++) {
        struct shut *s = calloc(1, sizeof(*s));
        assert_non_null(s);
        uint64_t d = i % 2 ? FS_PARK_FOREVER : 3600000 * MS;
        err |= fs_reactor_park(r, d, "s", on_shut, s, NULL);
    }
    assert_int_equal(err, 0);
    assert_int_equal(fs_reactor_parked(r), N);
    fs_reactor_stop(r);
    assert_int_equal(atomic_load(&g_shut_total), N);
}

struct shut_check {
    struct fs_reactor *r;
    enum fs_wake why;
    int repark;
};

static void on_shut_check(void *arg, enum fs_wake why)
{
    struct shut_check *s = arg;

    s->why = why;
    s->repark = fs_reactor_park(s->r, 0, NULL, on_wake, NULL, NULL);
}

static void test_shutdown_refuses_repark(void **state)
{
    struct fs_reactor *r;
    struct shut_check s = {0};

    (void)state;
    assert_int_equal(fs_reactor_start(g_flags, &r), 0);
    s.r = r;
    assert_int_equal(
        fs_reactor_park(r, FS_PARK_FOREVER, "x", on_shut_check, &s, NULL), 0);
    fs_reactor_stop(r);
    assert_int_equal(s.why, FS_WAKE_SHUTDOWN);
    assert_int_equal(s.repark, -ESHUTDOWN);
}

/* A callback may park again (a hang released into a delay, say). */
struct chain {
    struct fs_reactor *r;
    int step;
    enum fs_wake whys[2];
};

static void on_chain(void *arg, enum fs_wake why)
{
    struct chain *ch = arg;

    ch->whys[ch->step++] = why;
    if (ch->step == 1)
        fs_reactor_park(ch->r, 5 * MS, "c2", on_chain, ch, NULL);
    atomic_fetch_add(&g_fired, 1);
}

static void test_repark_from_callback(void **state)
{
    struct chain ch = {.r = *state};

    assert_int_equal(
        fs_reactor_park(*state, FS_PARK_FOREVER, "c1", on_chain, &ch, NULL), 0);
    assert_int_equal(fs_reactor_release(*state, "c1"), 1);
    assert_true(wait_fired(2));
    assert_int_equal(ch.step, 2);
    assert_int_equal(ch.whys[0], FS_WAKE_RELEASED);
    assert_int_equal(ch.whys[1], FS_WAKE_TIMER);
}

static int tmpfile_with(const char *data)
{
    char path[] = "/tmp/snag-reactor-XXXXXX";
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(pwrite(fd, data, strlen(data), 0), (ssize_t)strlen(data));
    return fd;
}

static void test_io_pread_pwrite_fsync(void **state)
{
    struct fs_reactor *r = *state;
    int fd = tmpfile_with("hello, reactor");
    char buf[32] = {0};
    struct rec c[3] = {0};
    uint64_t t0 = now_ns();
    struct fs_io rd = {FS_IO_PREAD, fd, buf, 5, 7};
    struct fs_io wr = {FS_IO_PWRITE, fd, "HELLO", 5, 0};
    struct fs_io sy = {FS_IO_FSYNC, fd, NULL, 0, 0};

    assert_int_equal(
        fs_reactor_park_io(r, 10 * MS, "io", &rd, on_io, &c[0], NULL), 0);
    assert_true(wait_fired(1));
    assert_int_equal(c[0].why, FS_WAKE_TIMER);
    assert_int_equal(c[0].res, 5);
    assert_memory_equal(buf, "react", 5);
    assert_true(c[0].fired_ns - t0 >= 10 * MS);

    assert_int_equal(
        fs_reactor_park_io(r, FS_PARK_FOREVER, "io", &wr, on_io, &c[1], NULL),
        0);
    assert_int_equal(
        fs_reactor_park_io(r, 1 * MS, "io2", &sy, on_io, &c[2], NULL), 0);
    assert_int_equal(fs_reactor_release(r, "io"), 1);
    assert_true(wait_fired(3));
    assert_int_equal(c[1].why, FS_WAKE_RELEASED);
    assert_int_equal(c[1].res, 5);
    assert_int_equal(c[2].res, 0);
    assert_int_equal(pread(fd, buf, 14, 0), 14);
    assert_memory_equal(buf, "HELLO, reactor", 14);

    struct fs_io bad = {FS_IO_PREAD, -1, buf, 5, 0};
    assert_int_equal(fs_reactor_park_io(r, 0, NULL, &bad, on_io, &c[0], NULL),
                     0);
    assert_true(wait_fired(4));
    assert_int_equal(c[0].res, -EBADF);
    close(fd);
}

/* An interrupted or shut-down io entry does not perform its operation. */
static void test_io_interrupt_skips_op(void **state)
{
    struct fs_reactor *r = *state;
    int fd = tmpfile_with("0123456789");
    char buf[16];
    struct rec c = {0}, s = {0};
    struct fs_parked *h;
    struct fs_io wr = {FS_IO_PWRITE, fd, "XXXX", 4, 0};

    assert_int_equal(
        fs_reactor_park_io(r, FS_PARK_FOREVER, "w", &wr, on_io, &c, &h), 0);
    fs_reactor_interrupt(r, h);
    assert_true(wait_fired(1));
    assert_int_equal(c.why, FS_WAKE_INTERRUPTED);
    assert_int_equal(c.res, -EINTR);
    fs_parked_put(h);

    struct fs_reactor *r2;
    assert_int_equal(fs_reactor_start(g_flags, &r2), 0);
    assert_int_equal(
        fs_reactor_park_io(r2, FS_PARK_FOREVER, "w", &wr, on_io, &s, NULL), 0);
    fs_reactor_stop(r2);
    assert_int_equal(s.why, FS_WAKE_SHUTDOWN);
    assert_int_equal(s.res, -ESHUTDOWN);
    assert_int_equal(pread(fd, buf, 10, 0), 10);
    assert_memory_equal(buf, "0123456789", 10);
    close(fd);
}

/* Mixed stress: several threads park delays, hangs and io entries, others
 * interrupt and release, and the reactor is stopped in the middle. Every
 * closure is freed exactly once by its callback (ASan double-free/leak,
 * TSan races). */
struct mix_closure {
    struct fs_parked *self; /* handle, put by whoever finishes last */
    char buf[64];
    int fd;
};

static atomic_uint g_mix_done;

static void on_mix(void *arg, enum fs_wake why)
{
    free(arg);
    atomic_fetch_add(&g_mix_done, 1);
}

static void on_mix_io(void *arg, enum fs_wake why, ssize_t res)
{
    free(arg);
    atomic_fetch_add(&g_mix_done, 1);
}

struct mixer {
    struct fs_reactor *r;
    int fd, id;
    atomic_bool *stop;
    unsigned parked;
};

static void *mixer_main(void *arg)
{
    struct mixer *m = arg;

    for (unsigned k = 0; !atomic_load(m->stop); k++) {
        struct mix_closure *c = calloc(1, sizeof(*c));
        struct fs_parked *h = NULL;
        int err;

        if (k % 3 == 0) {
            struct fs_io io = {FS_IO_PREAD, m->fd, c->buf, sizeof(c->buf), 0};
            err = fs_reactor_park_io(m->r, (k % 5) * 100000, "mix", &io,
                                     on_mix_io, c, &h);
        } else {
            uint64_t d = k % 4 == 0 ? FS_PARK_FOREVER : (k % 7) * 100000;
            err = fs_reactor_park(m->r, d, m->id % 2 ? "mix" : "mox", on_mix, c,
                                  &h);
        }
        if (err) {
            free(c);
            continue;
        }
        m->parked++;
        if (k % 2 == 0)
            fs_reactor_interrupt(m->r, h);
        fs_parked_put(h);
        if (k % 50 == 0)
            fs_reactor_release(m->r, "mox");
        if (m->parked >= 4000)
            break;
    }
    return NULL;
}

static void test_stress_mixed_with_stop(void **state)
{
    enum { T = 3 };
    struct fs_reactor *r;
    pthread_t t[T];
    struct mixer m[T];
    atomic_bool stop = false;
    int fd = tmpfile_with("stress data for the io entries");
    unsigned parked = 0;

    (void)state;
    atomic_store(&g_mix_done, 0);
    assert_int_equal(fs_reactor_start(g_flags, &r), 0);
    for (int i = 0; i < T; i++) {
        m[i] = (struct mixer){.r = r, .fd = fd, .id = i, .stop = &stop};
        assert_int_equal(pthread_create(&t[i], NULL, mixer_main, &m[i]), 0);
    }
    sleep_ns(30 * MS);
    atomic_store(&stop, true);
    for (int i = 0; i < T; i++) {
        pthread_join(t[i], NULL);
        parked += m[i].parked;
    }
    fs_reactor_stop(r);
    assert_int_equal(atomic_load(&g_mix_done), parked);
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "timer") == 0) {
        g_flags = FS_REACTOR_NO_URING;
        g_backend = "timer-thread";
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_fires_once_after_deadline,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reactor_blocks_signals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_order_by_deadline, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hang_release_by_rule, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hang_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_before_arm, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unarmed_put, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exactly_once_hammer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_10000_delayed, setup, teardown),
        cmocka_unit_test(test_shutdown_10000),
        cmocka_unit_test(test_shutdown_refuses_repark),
        cmocka_unit_test_setup_teardown(test_repark_from_callback, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_io_pread_pwrite_fsync, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_io_interrupt_skips_op, setup,
                                        teardown),
        cmocka_unit_test(test_stress_mixed_with_stop),
    };
    return cmocka_run_group_tests_name(g_backend, tests, NULL, NULL);
}
