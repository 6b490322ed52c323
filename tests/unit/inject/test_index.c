/* tests/unit/inject/test_index.c — the literal-prefix index
 * (unit.inject.index).
 *
 * Proves the index is invisible: two engines with the same seed and rules,
 * one always bucketing path rules and one never, pick the same rule with the
 * same match number for 20,000 generated requests over 300 generated rules
 * (literal, '*', '**', classes, deep prefixes, non-path rules in between),
 * and the path getter still runs at most once per request.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "engine_internal.h"
#include "helpers.h"

#define W inj_op_bit(INJ_OP_WRITE)

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return *s >> 33;
}

static const char *const names[] = {"a", "b", "db", "x.wal", "t1", "t2"};
#define NNAMES (sizeof(names) / sizeof(*names))

static void gen_glob(uint64_t *rs, char *buf, size_t size)
{
    static const char *const wild[] = {"*", "**", "*.wal", "t?", "[ab]"};
    unsigned depth = (unsigned)(lcg(rs) % 11); /* past INJ_INDEX_MAX_DEPTH */
    size_t o = 0;

    buf[0] = '\0';
    for (unsigned d = 0; d < depth; d++) {
        const char *c =
            lcg(rs) % 4 ? names[lcg(rs) % NNAMES] : wild[lcg(rs) % 5];

        o += (size_t)snprintf(buf + o, size - o, "/%s", c);
    }
    if (!depth)
        snprintf(buf, size, "/");
}

static void gen_path(uint64_t *rs, char *buf, size_t size)
{
    unsigned depth = (unsigned)(lcg(rs) % 11);
    size_t o = 0;

    buf[0] = '\0';
    for (unsigned d = 0; d < depth; d++)
        o +=
            (size_t)snprintf(buf + o, size - o, "%s%s",
                             lcg(rs) % 8 ? "/" : "//", names[lcg(rs) % NNAMES]);
    if (!depth)
        snprintf(buf, size, "/");
}

enum { NRULES = 300, NREQ = 20000 };

static void test_index_equals_scan(void **state)
{
    struct inj_engine *idx = inj_engine_new(5), *lin = inj_engine_new(5);
    static struct inj_rule_spec specs[NRULES];
    static char globs[NRULES][128];
    uint64_t rs = 2024;
    unsigned fired = 0;

    (void)state;
    inj_engine_set_index_min(idx, 1);
    inj_engine_set_index_min(lin, UINT_MAX);
    for (int i = 0; i < NRULES; i++) {
        char id[16];

        snprintf(id, sizeof(id), "g%d", i);
        spec_err(&specs[i], id, W, EIO);
        if (lcg(&rs) % 10) {
            gen_glob(&rs, globs[i], sizeof(globs[i]));
            specs[i].path_glob = globs[i];
        }
        /* a cheap filter that often fails, always on rules that would
         * otherwise match nearly everything */
        if (!specs[i].path_glob || globs[i][1] == '*' || lcg(&rs) % 3 == 0) {
            specs[i].has_pid = true;
            specs[i].pid = (uint32_t)(lcg(&rs) % 3);
        }
    }
    assert_int_equal(load_specs(idx, specs, NRULES, NULL), 0);
    assert_int_equal(load_specs(lin, specs, NRULES, NULL), 0);
    for (int i = 0; i < NREQ; i++) {
        struct inj_verdict va, vb;
        struct treq ta, tb;
        char path[256];
        bool fa, fb;

        gen_path(&rs, path, sizeof(path));
        treq_init(&ta, INJ_OP_WRITE, path);
        treq_init(&tb, INJ_OP_WRITE, path);
        ta.rq.pid = tb.rq.pid = (uint32_t)(lcg(&rs) % 5);
        fa = inj_decide(idx, &ta.rq, &va);
        fb = inj_decide(lin, &tb.rq, &vb);
        if (fa != fb || strcmp(va.rule_id, vb.rule_id) != 0)
            fail_msg("%s pid %u: indexed %s, scan %s", path, ta.rq.pid,
                     fa ? va.rule_id : "-", fb ? vb.rule_id : "-");
        assert_int_equal(va.match_no, vb.match_no);
        assert_in_range(ta.path_calls, 0, 1);
        assert_in_range(tb.path_calls, 0, 1);
        fired += fa;
    }
    /* the generated mix must exercise both outcomes */
    assert_in_range(fired, NREQ / 10, NREQ - NREQ / 10);
    inj_engine_free(idx);
    inj_engine_free(lin);
}

static void test_index_order_across_buckets(void **state)
{
    struct inj_engine *e = inj_engine_new(1);
    struct inj_rule_spec s[12];
    struct inj_verdict v;
    struct treq t;

    (void)state;
    inj_engine_set_index_min(e, 1);
    /* deeper-prefix rules first, shallower later, a wildcard in between:
     * the merge must still return the earliest matching rule */
    spec_err(&s[0], "deep", W, EIO);
    s[0].path_glob = "/a/b/c/*";
    spec_err(&s[1], "wild", W, EIO);
    s[1].path_glob = "/*/b/zz";
    spec_err(&s[2], "mid", W, EIO);
    s[2].path_glob = "/a/b/**";
    spec_err(&s[3], "top", W, EIO);
    s[3].path_glob = "/a/**";
    spec_err(&s[4], "any", W, EIO);
    assert_int_equal(load_specs(e, s, 5, NULL), 0);
    static const struct {
        const char *path, *want;
    } rows[] = {
        {"/a/b/c/d", "deep"}, {"/a/b/zz", "wild"}, {"/a/b/c", "mid"},
        {"/a/b", "mid"},      {"/a", "top"},       {"/a/x/y", "top"},
        {"/q", "any"},        {"/", "any"},        {"//a//b//c//d", "deep"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
        treq_init(&t, INJ_OP_WRITE, rows[i].path);
        assert_true(inj_decide(e, &t.rq, &v));
        if (strcmp(v.rule_id, rows[i].want) != 0)
            fail_msg("%s: got %s want %s", rows[i].path, v.rule_id,
                     rows[i].want);
    }
    inj_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_equals_scan),
        cmocka_unit_test(test_index_order_across_buckets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
