/* tests/unit/inject/test_ops.c — op names and spec ownership (unit.inject.ops).
 *
 * Proves every op id round-trips through its name, out-of-range ids and
 * unknown names are refused, and spec copy/clear deep-copy and free the
 * owned strings (ASan/LSan catch a leak or double free).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

static void test_names_round_trip(void **state)
{
    (void)state;
    assert_int_equal(INJ_OP_COUNT, 34);
    for (int i = 0; i < INJ_OP_COUNT; i++) {
        const char *n = inj_op_name((enum inj_op)i);

        assert_string_not_equal(n, "?");
        assert_int_equal(inj_op_from_name(n), i);
    }
    assert_string_equal(inj_op_name(INJ_OP_READ), "read");
    assert_string_equal(inj_op_name(INJ_OP_COPY_FILE_RANGE), "copy_file_range");
    assert_string_equal(inj_op_name(INJ_OP_LSEEK), "lseek");
    assert_string_equal(inj_op_name(INJ_OP_COUNT), "?");
    assert_string_equal(inj_op_name((enum inj_op) - 1), "?");
    assert_int_equal(inj_op_from_name("READ"), -1);
    assert_int_equal(inj_op_from_name("rea"), -1);
    assert_int_equal(inj_op_from_name(""), -1);
    assert_int_equal(inj_op_from_name(NULL), -1);
    assert_int_equal(inj_op_from_name("fsync"), INJ_OP_FSYNC);
}

static void test_spec_copy_clear(void **state)
{
    struct inj_rule_spec a, b;

    (void)state;
    spec_err(&a, "x", inj_op_bit(INJ_OP_WRITE), ENOSPC);
    a.path_glob = strdup("/db/**");
    a.comm_glob = strdup("pg*");
    a.origin = strdup("f.rules:3");
    a.text = NULL;
    assert_int_equal(inj_rule_spec_copy(&b, &a), 0);
    assert_ptr_not_equal(b.path_glob, a.path_glob);
    assert_string_equal(b.path_glob, "/db/**");
    assert_string_equal(b.comm_glob, "pg*");
    assert_string_equal(b.origin, "f.rules:3");
    assert_null(b.text);
    assert_string_equal(b.id, "x");
    assert_int_equal(b.errnos[0], ENOSPC);
    inj_rule_spec_clear(&a);
    assert_null(a.path_glob);
    assert_int_equal(a.ops, 0);
    assert_string_equal(b.path_glob, "/db/**"); /* b owns its own copy */
    inj_rule_spec_clear(&b);
    inj_rule_spec_clear(&b); /* safe on a zeroed spec */
    inj_rule_spec_clear(NULL);
}

static void test_rule_new_rejects(void **state)
{
    struct inj_engine *e = inj_engine_new(1);
    struct inj_rule_spec s;
    struct inj_rule *r = (struct inj_rule *)&r;

    (void)state;
    spec_err(&s, "", 0, EIO); /* no ops */
    assert_int_equal(inj_rule_new(e, &s, &r), -EINVAL);
    assert_null(r);
    spec_err(&s, "", inj_op_bit(INJ_OP_READ), EIO);
    s.actions = 0; /* no action */
    assert_int_equal(inj_rule_new(e, &s, &r), -EINVAL);
    spec_err(&s, "", inj_op_bit(INJ_OP_READ), EIO);
    s.n_errnos = 0; /* error without errno */
    assert_int_equal(inj_rule_new(e, &s, &r), -EINVAL);
    spec_err(&s, "", inj_op_bit(INJ_OP_READ), EIO);
    spec_when(&s, 0, 5, 1); /* match numbers start at 1 */
    assert_int_equal(inj_rule_new(e, &s, &r), -EINVAL);
    spec_when(&s, 5, 4, 1);
    assert_int_equal(inj_rule_new(e, &s, &r), -EINVAL);
    spec_err(&s, "", inj_op_bit(INJ_OP_READ), EIO);
    s.path_glob = "/[oops"; /* bad glob */
    assert_int_equal(inj_rule_new(e, &s, &r), -EINVAL);
    spec_err(&s, "", inj_op_bit(INJ_OP_READ), EIO);
    s.actions |= INJ_ACT_DELAY;
    s.delay_min_ns = 2;
    s.delay_max_ns = 1;
    assert_int_equal(inj_rule_new(e, &s, &r), -EINVAL);
    spec_err(&s, "", inj_op_bit(INJ_OP_READ), EIO);
    s.actions = INJ_ACT_CORRUPT; /* corrupt=none */
    assert_int_equal(inj_rule_new(e, &s, &r), -EINVAL);

    /* auto ids in load order */
    spec_err(&s, "", inj_op_bit(INJ_OP_READ), EIO);
    assert_int_equal(inj_rule_new(e, &s, &r), 0);
    assert_string_equal(inj_rule_id(r), "r1");
    assert_string_equal(inj_rule_spec(r)->id, "r1");
    inj_rule_put(r);
    assert_int_equal(inj_rule_new(e, &s, &r), 0);
    assert_string_equal(inj_rule_id(r), "r2");
    inj_rule_put(r);
    inj_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_spec_copy_clear),
        cmocka_unit_test(test_rule_new_rejects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
