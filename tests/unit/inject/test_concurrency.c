/* tests/unit/inject/test_concurrency.c — readers vs a replacing writer
 * (unit.inject.concurrency).
 *
 * Four threads hammer inj_decide() while a fifth publishes 1,000 new sets
 * (each with a fresh rule, so old sets and rules are really freed under the
 * readers' feet). Rules A and B are in every set, so their totals are exact:
 * A.matched equals the /a requests made, A fires on exactly match numbers
 * 1, 4, 7, ... (each seen once across all threads), B fires on every /b
 * request. Each thread sees generations never go backwards. Run under TSan
 * and ASan to prove the lock-free read side and the reclamation.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

#define W inj_op_bit(INJ_OP_WRITE)
enum { THREADS = 4, PER_THREAD = 100000, REPLACES = 1000 };
#define A_REQS ((uint64_t)THREADS * PER_THREAD / 2)

static struct inj_engine *eng;
static _Atomic unsigned char a_seen[A_REQS + 1];
/* cmocka's assertions longjmp: only the main thread may use them, so the
 * other threads count what went wrong and main asserts it is zero. */
static _Atomic unsigned bad_gen, bad_a, bad_writer;
static _Atomic uint64_t b_fired_seen, c_fired_seen;

static void *hammer(void *arg)
{
    uintptr_t id = (uintptr_t)arg;
    uint64_t last_gen = 0;
    struct inj_verdict v;
    struct treq t;

    for (unsigned i = 0; i < PER_THREAD; i++) {
        bool a = (i + id) % 2 == 0;

        treq_init(&t, INJ_OP_WRITE, a ? "/a/f" : "/b/f");
        if (!inj_engine_wants(eng, INJ_OP_WRITE)) {
            bad_a++; /* every set names write */
            continue;
        }
        if (inj_decide(eng, &t.rq, &v)) {
            if (v.generation < last_gen)
                bad_gen++;
            last_gen = v.generation;
            if (a) {
                if (strcmp(v.rule_id, "A") != 0 || v.match_no > A_REQS)
                    bad_a++;
                else
                    atomic_fetch_add(&a_seen[v.match_no], 1);
            } else {
                atomic_fetch_add(&b_fired_seen, 1);
            }
        }
        if (i % 64 == 0) { /* the fresh rule: named, never matched */
            treq_init(&t, INJ_OP_READ, "/c/f");
            c_fired_seen += inj_decide(eng, &t.rq, &v);
        }
    }
    return NULL;
}

static void *replacer(void *arg)
{
    struct inj_rule **base = arg;
    struct inj_rule_spec s;
    uint64_t gen = 0, last = 1;

    for (unsigned i = 0; i < REPLACES; i++) {
        struct inj_rule *c, *set[3];
        char id[16];

        snprintf(id, sizeof(id), "c%u", i);
        spec_err(&s, id, inj_op_bit(INJ_OP_READ) | W, EIO);
        s.path_glob = "/c/nomatch";
        if (inj_rule_new(eng, &s, &c) != 0) {
            bad_writer++;
            continue;
        }
        /* alternate the order: A and B never compete for one request */
        set[0] = i % 2 ? base[1] : base[0];
        set[1] = c;
        set[2] = i % 2 ? base[0] : base[1];
        if (inj_engine_replace(eng, set, 3, &gen) != 0 || gen != last + 1)
            bad_writer++;
        last = gen;
        inj_rule_put(c); /* the set holds the only reference now */
        if (i % 100 == 0) {
            struct inj_rule **snap;
            size_t n;

            if (inj_engine_snapshot(eng, &snap, &n, NULL) != 0 || n != 3)
                bad_writer++;
            for (size_t k = 0; k < n; k++)
                inj_rule_put(snap[k]);
            free(snap);
        }
    }
    return NULL;
}

static void test_hammer_while_replacing(void **state)
{
    struct inj_rule *base[2];
    struct inj_rule_spec s;
    struct inj_rule_stats st;
    pthread_t th[THREADS], wr;
    uint64_t want_fired = (A_REQS - 1) / 3 + 1;

    (void)state;
    eng = inj_engine_new(99);
    spec_err(&s, "A", W, EIO);
    s.path_glob = "/a/*";
    spec_when(&s, 1, INJ_WHEN_OPEN, 3);
    assert_int_equal(inj_rule_new(eng, &s, &base[0]), 0);
    spec_err(&s, "B", W, ENOSPC);
    s.path_glob = "/b/*";
    assert_int_equal(inj_rule_new(eng, &s, &base[1]), 0);
    assert_int_equal(inj_engine_replace(eng, base, 2, NULL), 0);

    assert_int_equal(pthread_create(&wr, NULL, replacer, base), 0);
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hammer, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_join(wr, NULL);

    assert_int_equal(bad_gen, 0);
    assert_int_equal(bad_a, 0);
    assert_int_equal(bad_writer, 0);
    assert_int_equal(inj_engine_generation(eng), REPLACES + 1);
    inj_rule_stats(base[0], &st);
    assert_int_equal(st.matched, A_REQS);
    assert_int_equal(st.fired, want_fired);
    for (uint64_t n = 1; n <= A_REQS; n++)
        if (a_seen[n] != ((n - 1) % 3 == 0))
            fail_msg("A match %llu seen %u times", (unsigned long long)n,
                     a_seen[n]);
    inj_rule_stats(base[1], &st);
    assert_int_equal(st.matched, A_REQS);
    assert_int_equal(st.fired, A_REQS);
    assert_int_equal(b_fired_seen, A_REQS);
    assert_int_equal(c_fired_seen, 0);
    inj_rule_put(base[0]);
    inj_rule_put(base[1]);
    inj_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hammer_while_replacing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
