/* tests/unit/inject/test_prob.c — seeded probability and determinism
 * (unit.inject.prob).
 *
 * Proves: prob=0 never fires and prob=1 always fires over 100,000 matches;
 * prob=P fires within 6 sigma of the binomial mean for several P; the same
 * seed reproduces every verdict, another seed does not; and one rule's fire
 * sequence does not move when other rules (before or after it, sharing the
 * op, with their own matches interleaved) are added, even mid-stream.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

#define W inj_op_bit(INJ_OP_WRITE)
#define DRAWS 100000

static unsigned count_fires(uint64_t seed, bool has_prob, double p)
{
    struct inj_engine *e = inj_engine_new(seed);
    struct inj_rule_spec s;
    struct inj_rule_stats st;
    struct inj_verdict v;
    struct treq t;
    unsigned fired = 0;

    spec_err(&s, "p", W, EIO);
    s.has_prob = has_prob;
    s.prob = p;
    assert_int_equal(load_specs(e, &s, 1, NULL), 0);
    treq_init(&t, INJ_OP_WRITE, "/x");
    for (int i = 0; i < DRAWS; i++)
        fired += inj_decide(e, &t.rq, &v);
    assert_int_equal(stats_of(e, "p", &st), 0);
    assert_int_equal(st.matched, DRAWS);
    assert_int_equal(st.fired, fired);
    inj_engine_free(e);
    return fired;
}

static void test_prob_zero_one(void **state)
{
    (void)state;
    for (uint64_t seed = 0; seed < 3; seed++) {
        assert_int_equal(count_fires(seed, true, 0.0), 0);
        assert_int_equal(count_fires(seed, true, -0.5), 0);
        assert_int_equal(count_fires(seed, true, 1.0), DRAWS);
        assert_int_equal(count_fires(seed, true, 2.0), DRAWS);
        assert_int_equal(count_fires(seed, false, 0.0), DRAWS); /* no prob= */
    }
}

static void test_prob_binomial(void **state)
{
    static const double ps[] = {1e-4, 0.001, 0.01,  0.05,       0.25,
                                0.5,  0.9,   0.999, 1.0 - 1e-12};

    (void)state;
    for (size_t i = 0; i < sizeof(ps) / sizeof(*ps); i++) {
        double mean = DRAWS * ps[i];
        double sd = sqrt(DRAWS * ps[i] * (1 - ps[i]));
        unsigned got = count_fires(1234, true, ps[i]);

        if (fabs(got - mean) > 6 * sd + 1)
            fail_msg("prob=%g: %u fires, want %.1f +- %.1f", ps[i], got, mean,
                     6 * sd + 1);
    }
}

struct draw {
    bool fired;
    int err;
    uint64_t delay, stream, match_no;
};

/* n verdicts of a prob=0.5, 3-errno, ranged-delay rule "A" on /a/x. */
static void run_a(uint64_t seed, struct draw *out, size_t n)
{
    struct inj_engine *e = inj_engine_new(seed);
    struct inj_rule_spec s;
    struct inj_verdict v;
    struct treq t;

    spec_err(&s, "A", W, EIO);
    s.errnos[1] = ENOSPC;
    s.errnos[2] = EDQUOT;
    s.n_errnos = 3;
    s.actions |= INJ_ACT_DELAY;
    s.delay_min_ns = 0;
    s.delay_max_ns = 1000000;
    s.has_prob = true;
    s.prob = 0.5;
    s.path_glob = "/a/*";
    assert_int_equal(load_specs(e, &s, 1, NULL), 0);
    treq_init(&t, INJ_OP_WRITE, "/a/x");
    for (size_t i = 0; i < n; i++) {
        out[i].fired = inj_decide(e, &t.rq, &v);
        out[i].err = v.err;
        out[i].delay = v.delay_ns;
        out[i].stream = v.stream;
        out[i].match_no = v.match_no;
    }
    inj_engine_free(e);
}

static void test_seed_agreement(void **state)
{
    enum { N = 10000 };
    static struct draw a[N], b[N], c[N];
    unsigned disagree = 0, fired = 0;

    (void)state;
    run_a(42, a, N);
    run_a(42, b, N);
    run_a(43, c, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(a[i].fired, b[i].fired);
        assert_int_equal(a[i].err, b[i].err);
        assert_int_equal(a[i].delay, b[i].delay);
        assert_int_equal(a[i].stream, b[i].stream);
        if (a[i].fired)
            assert_int_equal(a[i].match_no, i + 1);
        disagree += a[i].fired != c[i].fired;
        fired += a[i].fired;
    }
    /* independent fair coins disagree half the time (sd 50) */
    assert_in_range(disagree, 5000 - 300, 5000 + 300);
    assert_in_range(fired, 5000 - 300, 5000 + 300);
}

/* Rule A's verdicts with B before it and C after it, all on write, their
 * requests interleaved with A's in a seeded pattern; B is added only after
 * `b_from` of A's requests (a mid-stream replace that keeps A). */
static void run_a_with_others(uint64_t seed, struct draw *out, size_t n,
                              size_t b_from)
{
    struct inj_engine *e = inj_engine_new(seed);
    struct inj_rule_spec s[3];
    struct inj_rule *a, *b, *c;
    struct inj_verdict v;
    struct treq t;
    uint64_t pattern = 0x1234567;

    spec_err(&s[0], "B", W, EPERM);
    s[0].path_glob = "/b/**";
    s[0].has_prob = true;
    s[0].prob = 0.5;
    spec_err(&s[1], "A", W, EIO);
    s[1].errnos[1] = ENOSPC;
    s[1].errnos[2] = EDQUOT;
    s[1].n_errnos = 3;
    s[1].actions |= INJ_ACT_DELAY;
    s[1].delay_max_ns = 1000000;
    s[1].has_prob = true;
    s[1].prob = 0.5;
    s[1].path_glob = "/a/*";
    spec_err(&s[2], "C", W, EROFS);
    s[2].has_prob = true;
    s[2].prob = 0.3;
    assert_int_equal(inj_rule_new(e, &s[0], &b), 0);
    assert_int_equal(inj_rule_new(e, &s[1], &a), 0);
    assert_int_equal(inj_rule_new(e, &s[2], &c), 0);
    struct inj_rule *ac[] = {a, c}, *bac[] = {b, a, c};
    assert_int_equal(inj_engine_replace(e, ac, 2, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        if (i == b_from)
            assert_int_equal(inj_engine_replace(e, bac, 3, NULL), 0);
        /* 0-3 requests for B and C before each of A's */
        pattern = pattern * 6364136223846793005u + 1442695040888963407u;
        for (unsigned k = 0; k < (pattern >> 62); k++) {
            treq_init(&t, INJ_OP_WRITE,
                      (pattern >> (40 + k)) & 1 ? "/b/q/r" : "/c");
            inj_decide(e, &t.rq, &v);
        }
        treq_init(&t, INJ_OP_WRITE, "/a/x");
        out[i].fired = inj_decide(e, &t.rq, &v);
        if (out[i].fired)
            assert_string_equal(v.rule_id, "A");
        out[i].err = v.err;
        out[i].delay = v.delay_ns;
        out[i].stream = v.stream;
        out[i].match_no = v.match_no;
    }
    inj_rule_put(a);
    inj_rule_put(b);
    inj_rule_put(c);
    inj_engine_free(e);
}

static void test_determinism_under_other_rules(void **state)
{
    enum { N = 10000 };
    static struct draw alone[N], with[N], late[N];

    (void)state;
    run_a(77, alone, N);
    run_a_with_others(77, with, N, 0);
    run_a_with_others(77, late, N, N / 2);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(alone[i].fired, with[i].fired);
        assert_int_equal(alone[i].err, with[i].err);
        assert_int_equal(alone[i].delay, with[i].delay);
        assert_int_equal(alone[i].match_no, with[i].match_no);
        assert_int_equal(alone[i].fired, late[i].fired);
        assert_int_equal(alone[i].err, late[i].err);
        assert_int_equal(alone[i].stream, late[i].stream);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prob_zero_one),
        cmocka_unit_test(test_prob_binomial),
        cmocka_unit_test(test_seed_agreement),
        cmocka_unit_test(test_determinism_under_other_rules),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
