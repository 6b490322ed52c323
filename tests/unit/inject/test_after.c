/* tests/unit/inject/test_after.c — the after= byte trigger (unit.inject.after).
 *
 * Proves: writes under the limit pass and are counted; the write that
 * crosses it becomes a short write of exactly the bytes left, and the next
 * write gets the error (the full-disk model); an exact landing on the limit
 * goes straight to the error; sizeless ops (create, fsync) fire once the
 * count reaches the limit; fallocate and rules with more than an error do
 * not turn into short transfers; a trigger that blocks the fire (prob=0)
 * still lets bytes accrue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

#define OPS                                                                    \
    (inj_op_bit(INJ_OP_WRITE) | inj_op_bit(INJ_OP_CREATE) |                    \
     inj_op_bit(INJ_OP_FALLOCATE) | inj_op_bit(INJ_OP_MKDIR))

static struct inj_engine *after_engine(uint64_t limit, unsigned extra)
{
    struct inj_engine *e = inj_engine_new(3);
    struct inj_rule_spec s;

    spec_err(&s, "full", OPS, ENOSPC);
    s.path_glob = "/db/**";
    s.has_after = true;
    s.after_bytes = limit;
    s.actions |= extra;
    s.delay_min_ns = s.delay_max_ns = 500;
    s.corrupt = INJ_CORRUPT_ZERO;
    assert_int_equal(load_specs(e, &s, 1, NULL), 0);
    return e;
}

static bool do_op(struct inj_engine *e, enum inj_op op, uint64_t size,
                  struct inj_verdict *v)
{
    struct treq t;

    treq_init(&t, op, "/db/data/file");
    if (op == INJ_OP_WRITE || op == INJ_OP_FALLOCATE)
        treq_size(&t, 0, size);
    return inj_decide(e, &t.rq, v);
}

static void test_short_then_error(void **state)
{
    struct inj_engine *e = after_engine(100, 0);
    struct inj_rule_stats st;
    struct inj_verdict v;

    (void)state;
    assert_false(do_op(e, INJ_OP_CREATE, 0, &v)); /* 0 bytes < 100 */
    assert_false(do_op(e, INJ_OP_WRITE, 30, &v)); /* 30 */
    assert_false(do_op(e, INJ_OP_WRITE, 30, &v)); /* 60 */
    assert_false(do_op(e, INJ_OP_WRITE, 30, &v)); /* 90 */
    assert_false(do_op(e, INJ_OP_MKDIR, 0, &v));  /* 90 < 100 */
    assert_int_equal(stats_of(e, "full", &st), 0);
    assert_int_equal(st.bytes, 90);
    assert_int_equal(st.fired, 0);

    assert_true(do_op(e, INJ_OP_WRITE, 30, &v)); /* crosses: short 10 */
    assert_int_equal(v.actions, INJ_ACT_SHORT);
    assert_int_equal(v.short_len, 10);
    assert_int_equal(v.err, 0);
    assert_int_equal(v.match_no, 6);
    assert_true(do_op(e, INJ_OP_WRITE, 30, &v)); /* full: error */
    assert_int_equal(v.actions, INJ_ACT_ERROR);
    assert_int_equal(v.err, ENOSPC);
    assert_true(do_op(e, INJ_OP_WRITE, 1, &v));
    assert_int_equal(v.err, ENOSPC);
    assert_true(do_op(e, INJ_OP_CREATE, 0, &v)); /* 100 >= 100 */
    assert_int_equal(v.err, ENOSPC);
    assert_int_equal(stats_of(e, "full", &st), 0);
    assert_int_equal(st.bytes, 100);
    assert_int_equal(st.matched, 9);
    assert_int_equal(st.fired, 4);
    inj_engine_free(e);
}

static void test_exact_landing(void **state)
{
    struct inj_engine *e = after_engine(90, 0);
    struct inj_verdict v;

    (void)state;
    for (int i = 0; i < 3; i++)
        assert_false(do_op(e, INJ_OP_WRITE, 30, &v)); /* 90 is not > 90 */
    assert_false(do_op(e, INJ_OP_WRITE, 0, &v));
    assert_true(do_op(e, INJ_OP_WRITE, 1, &v)); /* nothing left: error */
    assert_int_equal(v.actions, INJ_ACT_ERROR);
    assert_int_equal(v.err, ENOSPC);
    inj_engine_free(e);
}

static void test_first_write_too_big(void **state)
{
    struct inj_engine *e = after_engine(4096, INJ_ACT_DELAY);
    struct inj_rule_stats st;
    struct inj_verdict v;

    (void)state;
    /* a single write larger than the limit: short, delay kept */
    assert_true(do_op(e, INJ_OP_WRITE, 1 << 20, &v));
    assert_int_equal(v.actions, INJ_ACT_SHORT | INJ_ACT_DELAY);
    assert_int_equal(v.short_len, 4096);
    assert_int_equal(v.delay_ns, 500);
    assert_true(do_op(e, INJ_OP_WRITE, 1 << 20, &v));
    assert_int_equal(v.actions, INJ_ACT_ERROR | INJ_ACT_DELAY);
    assert_int_equal(stats_of(e, "full", &st), 0);
    assert_int_equal(st.bytes, 4096);
    inj_engine_free(e);
}

static void test_no_short_conversion(void **state)
{
    struct inj_engine *e;
    struct inj_verdict v;

    (void)state;
    /* fallocate crossing: plain error (a fallocate cannot be short) */
    e = after_engine(100, 0);
    assert_false(do_op(e, INJ_OP_FALLOCATE, 60, &v));
    assert_true(do_op(e, INJ_OP_FALLOCATE, 60, &v));
    assert_int_equal(v.actions, INJ_ACT_ERROR);
    assert_false(do_op(e, INJ_OP_WRITE, 0, &v)); /* 60 + 0 is not > 100 */
    inj_engine_free(e);

    /* error + corrupt is not error-only: the crossing write errors */
    e = after_engine(100, INJ_ACT_CORRUPT);
    assert_false(do_op(e, INJ_OP_WRITE, 60, &v));
    assert_true(do_op(e, INJ_OP_WRITE, 60, &v));
    assert_int_equal(v.actions, INJ_ACT_ERROR | INJ_ACT_CORRUPT);
    assert_int_equal(v.corrupt, INJ_CORRUPT_ZERO);
    inj_engine_free(e);
}

static void test_blocked_fire_still_counts(void **state)
{
    struct inj_engine *e = inj_engine_new(3);
    struct inj_rule_spec s;
    struct inj_rule_stats st;
    struct inj_verdict v;

    (void)state;
    spec_err(&s, "full", OPS, ENOSPC);
    s.has_after = true;
    s.after_bytes = 10;
    s.has_prob = true;
    s.prob = 0;
    assert_int_equal(load_specs(e, &s, 1, NULL), 0);
    for (int i = 0; i < 5; i++)
        assert_false(do_op(e, INJ_OP_WRITE, 7, &v));
    assert_int_equal(stats_of(e, "full", &st), 0);
    assert_int_equal(st.bytes, 35); /* every unfired write went through */
    assert_int_equal(st.fired, 0);
    inj_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_then_error),
        cmocka_unit_test(test_exact_landing),
        cmocka_unit_test(test_first_write_too_big),
        cmocka_unit_test(test_no_short_conversion),
        cmocka_unit_test(test_blocked_fire_still_counts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
