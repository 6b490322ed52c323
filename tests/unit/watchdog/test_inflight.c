/* tests/unit/watchdog/test_inflight.c — the in-flight table and the self-thread
 * registry.
 *
 * Everything here is deterministic: concurrency tests assert invariants that
 * hold under any interleaving, never timings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "inflight.h"

static void test_begin_snapshot_end(void **state)
{
    struct fs_inflight_table *t = fs_inflight_table_new(8);
    assert_non_null(t);
    struct fs_inflight_slot *a =
        fs_inflight_begin(t, 1, "lookup", 7, 100, 200, 0);
    struct fs_inflight_slot *b =
        fs_inflight_begin(t, 12, "read", 9, 101, 201, 5000);
    assert_non_null(a);
    assert_non_null(b);
    fs_inflight_set_comm(a, "cat");
    assert_int_equal(fs_inflight_count(t), 2);

    struct fs_inflight_entry e[8];
    size_t n = fs_inflight_snapshot(t, e, 8);
    assert_int_equal(n, 2);
    const struct fs_inflight_entry *ea = e[0].nodeid == 7 ? &e[0] : &e[1];
    const struct fs_inflight_entry *eb = e[0].nodeid == 7 ? &e[1] : &e[0];
    assert_string_equal(ea->op_name, "lookup");
    assert_int_equal(ea->pid, 100);
    assert_int_equal(ea->worker, 200);
    assert_string_equal(ea->comm, "cat");
    assert_int_equal(ea->extra_ns, 0);
    assert_int_equal(eb->op, 12);
    assert_int_equal(eb->extra_ns, 5000);
    assert_true(ea->start_ns > 0 && ea->start_ns <= fs_inflight_now_ns());

    fs_inflight_extend(b, 1000);
    fs_inflight_set_worker(b, 0); /* parked on the reactor */
    n = fs_inflight_snapshot(t, e, 8);
    eb = e[0].nodeid == 9 ? &e[0] : &e[1];
    assert_int_equal(eb->extra_ns, 6000);
    assert_int_equal(eb->worker, 0);

    /* a deliberate hang: saturates, never wraps */
    fs_inflight_extend(a, FS_INFLIGHT_NO_DEADLINE);
    fs_inflight_extend(a, FS_INFLIGHT_NO_DEADLINE);
    struct fs_inflight_entry ra;
    fs_inflight_read_slot(a, &ra);
    assert_int_equal(ra.extra_ns, FS_INFLIGHT_NO_DEADLINE);

    fs_inflight_end(a);
    n = fs_inflight_snapshot(t, e, 8);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].nodeid, 9);
    fs_inflight_end(b);
    assert_int_equal(fs_inflight_snapshot(t, e, 8), 0);
    assert_int_equal(fs_inflight_count(t), 0);
    fs_inflight_table_free(t);
}

static void test_full_table_and_null_slot(void **state)
{
    struct fs_inflight_table *t = fs_inflight_table_new(4);
    struct fs_inflight_slot *s[4];
    for (int i = 0; i < 4; i++)
        assert_non_null(s[i] = fs_inflight_begin(t, 0, "x", i, 1, 1, 0));
    assert_null(fs_inflight_begin(t, 0, "x", 9, 1, 1, 0));
    assert_int_equal(fs_inflight_overflows(t), 1);
    /* NULL slots are accepted everywhere. */
    fs_inflight_extend(NULL, 1);
    fs_inflight_set_worker(NULL, 1);
    fs_inflight_set_comm(NULL, "x");
    assert_false(fs_inflight_is_self(NULL));
    fs_inflight_end(NULL);
    fs_inflight_end(s[2]);
    assert_non_null(s[2] = fs_inflight_begin(t, 0, "x", 2, 1, 1, 0));
    for (int i = 0; i < 4; i++)
        fs_inflight_end(s[i]);
    fs_inflight_table_free(t);
}

static void test_mark_is_per_request(void **state)
{
    struct fs_inflight_table *t = fs_inflight_table_new(1);
    struct fs_inflight_slot *s = fs_inflight_begin(t, 0, "x", 1, 1, 1, 0);
    struct fs_inflight_entry e;
    assert_int_equal(fs_inflight_snapshot(t, &e, 1), 1);
    assert_true(fs_inflight_mark(t, &e, FS_INFLIGHT_REPORTED));
    assert_false(fs_inflight_mark(t, &e, FS_INFLIGHT_REPORTED));
    fs_inflight_end(s);
    /* Same slot, new request: the old entry must not mark it. */
    s = fs_inflight_begin(t, 0, "x", 2, 1, 1, 0);
    assert_false(fs_inflight_mark(t, &e, FS_INFLIGHT_ABORTED));
    struct fs_inflight_entry e2;
    assert_int_equal(fs_inflight_snapshot(t, &e2, 1), 1);
    assert_int_equal(e2.flags, 0);
    assert_int_not_equal(e2.gen, e.gen);
    fs_inflight_end(s);
    fs_inflight_table_free(t);
}

/* ---- concurrency: no torn entry, every slot returns ---- */

#define WORKERS 4
#define ROUNDS 20000
static struct fs_inflight_table *ct;
static atomic_bool stop_scan;
static atomic_ulong torn;

static void *churn(void *arg)
{
    uintptr_t id = (uintptr_t)arg;
    for (uint64_t i = 0; i < ROUNDS; i++) {
        /* Invariant a reader can check: nodeid == pid * 1000000 + extra. */
        pid_t pid = (pid_t)(id + 1);
        uint64_t extra = i % 1000;
        struct fs_inflight_slot *s =
            fs_inflight_begin(ct, (int)id, "churn",
                              (uint64_t)pid * 1000000 + extra, pid, pid, extra);
        /* hold a second one sometimes, like a parked request */
        struct fs_inflight_slot *s2 =
            (i & 7) == 0
                ? fs_inflight_begin(ct, (int)id, "churn",
                                    (uint64_t)pid * 1000000, pid, pid, 0)
                : NULL;
        fs_inflight_end(s);
        fs_inflight_end(s2);
    }
    return NULL;
}

static void *scan(void *arg)
{
    static struct fs_inflight_entry e[64];
    while (!atomic_load(&stop_scan)) {
        size_t n = fs_inflight_snapshot(ct, e, 64);
        for (size_t i = 0; i < n; i++)
            if (e[i].nodeid != (uint64_t)e[i].pid * 1000000 + e[i].extra_ns ||
                e[i].pid != e[i].worker || e[i].op != e[i].pid - 1)
                atomic_fetch_add(&torn, 1);
    }
    return NULL;
}

static void test_concurrent_no_torn_entries(void **state)
{
    ct = fs_inflight_table_new(64);
    pthread_t w[WORKERS], r;
    atomic_store(&stop_scan, false);
    pthread_create(&r, NULL, scan, NULL);
    for (uintptr_t i = 0; i < WORKERS; i++)
        pthread_create(&w[i], NULL, churn, (void *)i);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(w[i], NULL);
    atomic_store(&stop_scan, true);
    pthread_join(r, NULL);
    assert_int_equal(atomic_load(&torn), 0);
    assert_int_equal(fs_inflight_count(ct), 0);
    assert_int_equal(fs_inflight_overflows(ct), 0);
    struct fs_inflight_entry e[64];
    assert_int_equal(fs_inflight_snapshot(ct, e, 64), 0);
    fs_inflight_table_free(ct);
}

/* ---- self-thread registry ---- */

static atomic_int child_tid;
static void *register_and_exit(void *arg)
{
    fs_self_register_thread(FS_ROLE_WORKER);
    fs_self_register_thread(FS_ROLE_WORKER); /* idempotent */
    atomic_store(&child_tid, fs_self_tid());
    return NULL;
}

static void test_self_registry(void **state)
{
    pid_t me = fs_self_tid();
    assert_false(fs_self_is_own_thread(me));
    assert_false(fs_self_is_own_thread(0)); /* writeback: never ours */
    assert_int_equal(fs_self_register_thread(FS_ROLE_MAIN), 0);
    assert_true(fs_self_is_own_thread(me));
    assert_int_equal(fs_self_role(me), FS_ROLE_MAIN);
    assert_int_equal(fs_self_count(FS_ROLE_MAIN), 1);

    /* A request from our own thread is flagged at begin. */
    struct fs_inflight_table *t = fs_inflight_table_new(4);
    struct fs_inflight_slot *s =
        fs_inflight_begin(t, 0, "lookup", 1, me, me, 0);
    assert_true(fs_inflight_is_self(s));
    struct fs_inflight_slot *o = fs_inflight_begin(t, 0, "lookup", 1, 1, me, 0);
    assert_false(fs_inflight_is_self(o));
    fs_inflight_end(s);
    fs_inflight_end(o);
    fs_inflight_table_free(t);

    /* Threads leave the registry when they exit. */
    pthread_t th;
    pthread_create(&th, NULL, register_and_exit, NULL);
    pthread_join(th, NULL);
    assert_false(fs_self_is_own_thread(atomic_load(&child_tid)));
    assert_int_equal(fs_self_count(FS_ROLE_WORKER), 0);

    fs_self_unregister_thread();
    assert_false(fs_self_is_own_thread(me));
    assert_int_equal(fs_self_role(me), -1);
}

/* Threads that came and went leave the filter as it was, so a long-lived
 * daemon (libfuse retires idle workers, the watchdog starts helpers) does
 * not end up scanning the registry for every client's request; and one
 * that shared a bucket with a thread still registered leaves that thread
 * recognised (a bucket is a count, not a bit). */
static void test_self_filter_forgets_exited_threads(void **state)
{
    (void)state;
    pid_t me = fs_self_tid();
    fs_self_unregister_thread(); /* whatever an earlier test left */
    size_t before = fs_self_filter_used();
    assert_int_equal(fs_self_register_thread(FS_ROLE_MAIN), 0);
    assert_int_equal(fs_self_filter_used(), before + 1);

    /* Thread ids are handed out in sequence, so a little more than a
     * filter's worth of threads puts some in this thread's bucket. */
    int shared = 0;
    for (int i = 0; i < 8 * FS_SELF_FILTER_SIZE; i++) {
        if (i >= FS_SELF_FILTER_SIZE + 100 && shared)
            break;
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, register_and_exit, NULL), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
        pid_t t = atomic_load(&child_tid);
        if (t != me && t % FS_SELF_FILTER_SIZE == me % FS_SELF_FILTER_SIZE)
            shared++;
        assert_false(fs_self_is_own_thread(t));
        assert_true(fs_self_is_own_thread(me));
    }
    assert_true(shared > 0);
    assert_int_equal(fs_self_filter_used(), before + 1);
    /* A tid in a registered thread's bucket is still not ours: the filter
     * only says "maybe", the registry decides. */
    assert_false(fs_self_is_own_thread(me + FS_SELF_FILTER_SIZE));

    fs_self_unregister_thread();
    assert_int_equal(fs_self_filter_used(), before);
    assert_false(fs_self_is_own_thread(me));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_begin_snapshot_end),
        cmocka_unit_test(test_full_table_and_null_slot),
        cmocka_unit_test(test_mark_is_per_request),
        cmocka_unit_test(test_concurrent_no_torn_entries),
        cmocka_unit_test(test_self_registry),
        cmocka_unit_test(test_self_filter_forgets_exited_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
