/* tests/unit/inject/test_decide.c — matching, when=, verdicts, sets
 * (unit.inject.decide).
 *
 * Proves: the when= table fires on exactly the strace match numbers; the
 * first matching rule wins even when it does not fire; each filter; the lazy
 * getters run at most once and only when needed; errno picks are seeded and
 * cover the list; delay/short/lie/hang verdicts; the for= window on an
 * injected clock; inj_engine_wants(); generations, duplicate ids, snapshots;
 * and counters surviving a replace that keeps the rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <fcntl.h>
#include <cmocka.h>

#include "engine_internal.h"
#include "helpers.h"

#define W inj_op_bit(INJ_OP_WRITE)
#define R inj_op_bit(INJ_OP_READ)

static void test_when_table(void **state)
{
    static const struct {
        const char *name;
        uint64_t first, last, step;
        const char *fires; /* match 1..20: 'x' fires */
    } rows[] = {
        {"3", 3, 3, 0, "..x................."},
        {"1", 1, 1, 1, "x..................."},
        {"3+", 3, INJ_WHEN_OPEN, 1, "..xxxxxxxxxxxxxxxxxx"},
        {"1+", 1, INJ_WHEN_OPEN, 1, "xxxxxxxxxxxxxxxxxxxx"},
        {"3+3", 3, INJ_WHEN_OPEN, 3, "..x..x..x..x..x..x.."},
        {"2+5", 2, INJ_WHEN_OPEN, 5, ".x....x....x....x..."},
        {"3..6", 3, 6, 0, "..xxxx.............."},
        {"3..6+1", 3, 6, 1, "..xxxx.............."},
        {"2..11+3", 2, 11, 3, ".x..x..x..x........."},
        {"2..12+3", 2, 12, 3, ".x..x..x..x........."},
        {"5..5+2", 5, 5, 2, "....x..............."},
        {"21+", 21, INJ_WHEN_OPEN, 1, "...................."},
        {"none", 0, 0, 0, "xxxxxxxxxxxxxxxxxxxx"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
        struct inj_engine *e = inj_engine_new(7);
        struct inj_rule_spec s;
        struct inj_rule_stats st;
        struct treq t;
        struct inj_verdict v;
        char got[21] = {0};
        unsigned want_fired = 0;

        spec_err(&s, "w", W, EIO);
        if (rows[i].first)
            spec_when(&s, rows[i].first, rows[i].last, rows[i].step);
        assert_int_equal(load_specs(e, &s, 1, NULL), 0);
        treq_init(&t, INJ_OP_WRITE, "/f");
        for (int n = 1; n <= 20; n++) {
            bool f = inj_decide(e, &t.rq, &v);

            got[n - 1] = f ? 'x' : '.';
            if (f) {
                assert_int_equal(v.match_no, n);
                assert_int_equal(v.err, EIO);
                assert_int_equal(v.actions, INJ_ACT_ERROR);
            } else {
                assert_int_equal(v.actions, 0);
            }
            want_fired += rows[i].fires[n - 1] == 'x';
        }
        if (strcmp(got, rows[i].fires) != 0)
            fail_msg("when=%s: got %s want %s", rows[i].name, got,
                     rows[i].fires);
        assert_int_equal(stats_of(e, "w", &st), 0);
        assert_int_equal(st.matched, 20);
        assert_int_equal(st.fired, want_fired);
        inj_engine_free(e);
    }
}

static void test_first_match_wins(void **state)
{
    struct inj_engine *e = inj_engine_new(1);
    struct inj_rule_spec s[2];
    struct inj_rule_stats st;
    struct inj_verdict v;
    struct treq t;

    (void)state;
    spec_err(&s[0], "A", W, EIO);
    s[0].path_glob = "/a/*";
    spec_when(&s[0], 2, 2, 1);
    spec_err(&s[1], "B", W, ENOSPC); /* matches everything */
    assert_int_equal(load_specs(e, s, 2, NULL), 0);

    treq_init(&t, INJ_OP_WRITE, "/a/x");
    /* A matches but does not fire: B is not consulted */
    assert_false(inj_decide(e, &t.rq, &v));
    assert_true(inj_decide(e, &t.rq, &v));
    assert_string_equal(v.rule_id, "A");
    assert_int_equal(v.err, EIO);
    assert_false(inj_decide(e, &t.rq, &v));
    t.path = "/b/x";
    assert_true(inj_decide(e, &t.rq, &v));
    assert_string_equal(v.rule_id, "B");
    assert_int_equal(v.err, ENOSPC);
    assert_int_equal(v.match_no, 1);
    assert_int_equal(stats_of(e, "A", &st), 0);
    assert_int_equal(st.matched, 3);
    assert_int_equal(st.fired, 1);
    assert_int_equal(stats_of(e, "B", &st), 0);
    assert_int_equal(st.matched, 1);
    assert_int_equal(st.fired, 1);
    /* a read is named by neither rule */
    t.rq.op = INJ_OP_READ;
    assert_false(inj_decide(e, &t.rq, &v));
    inj_engine_free(e);
}

static bool fires_once(const struct inj_rule_spec *s, struct treq *t)
{
    struct inj_engine *e = inj_engine_new(1);
    struct inj_verdict v;
    bool f;

    assert_int_equal(load_specs(e, s, 1, NULL), 0);
    f = inj_decide(e, &t->rq, &v);
    inj_engine_free(e);
    return f;
}

static void test_filters(void **state)
{
    struct inj_rule_spec s;
    struct treq t;

    (void)state;
    treq_init(&t, INJ_OP_WRITE, "/x");
    t.rq.pid = 10;
    t.rq.uid = 20;
    t.rq.gid = 30;
    spec_err(&s, "f", W, EIO);
    s.has_pid = true;
    s.pid = 10;
    assert_true(fires_once(&s, &t));
    s.pid = 11;
    assert_false(fires_once(&s, &t));
    spec_err(&s, "f", W, EIO);
    s.has_uid = true;
    s.uid = 21;
    assert_false(fires_once(&s, &t));
    s.uid = 20;
    assert_true(fires_once(&s, &t));
    s.has_gid = true;
    s.gid = 31;
    assert_false(fires_once(&s, &t));

    /* offset/size: inclusive range; a request without one never matches */
    spec_err(&s, "f", W, EIO);
    s.has_offset = true;
    s.offset = (struct inj_range){100, 200};
    assert_false(fires_once(&s, &t));
    treq_size(&t, 100, 4096);
    assert_true(fires_once(&s, &t));
    t.rq.offset = 200;
    assert_true(fires_once(&s, &t));
    t.rq.offset = 201;
    assert_false(fires_once(&s, &t));
    t.rq.offset = 99;
    assert_false(fires_once(&s, &t));
    spec_err(&s, "f", W, EIO);
    s.has_size = true;
    s.size = (struct inj_range){4096, 4096};
    assert_true(fires_once(&s, &t));
    t.rq.size = 4095;
    assert_false(fires_once(&s, &t));
    t.rq.has_size = false;
    t.rq.size = 4096;
    assert_false(fires_once(&s, &t));

    /* flags: all of flags_all, and the access mode when asked */
    treq_init(&t, INJ_OP_OPEN, "/x");
    spec_err(&s, "f", inj_op_bit(INJ_OP_OPEN), EACCES);
    s.has_flags = true;
    s.flags_all = O_CREAT | O_EXCL;
    s.flags_accmode = -1;
    assert_false(fires_once(&s, &t)); /* no flags in the request */
    t.rq.has_flags = true;
    t.rq.open_flags = O_CREAT | O_RDWR;
    assert_false(fires_once(&s, &t));
    t.rq.open_flags = O_CREAT | O_EXCL | O_RDWR;
    assert_true(fires_once(&s, &t));
    s.flags_accmode = O_WRONLY;
    assert_false(fires_once(&s, &t));
    t.rq.open_flags = O_CREAT | O_EXCL | O_WRONLY | O_TRUNC;
    assert_true(fires_once(&s, &t));
    s.flags_all = 0;
    s.flags_accmode = O_RDONLY;
    t.rq.open_flags = O_RDONLY | O_NOFOLLOW;
    assert_true(fires_once(&s, &t));

    /* comm glob; a getter that cannot tell (NULL) never matches */
    treq_init(&t, INJ_OP_WRITE, "/x");
    spec_err(&s, "f", W, EIO);
    s.comm_glob = "post*";
    t.comm = "postgres";
    assert_true(fires_once(&s, &t));
    t.comm = "pg_dump";
    assert_false(fires_once(&s, &t));
    t.comm = NULL;
    assert_false(fires_once(&s, &t));
    spec_err(&s, "f", W, EIO);
    s.path_glob = "/**";
    t.path = NULL;
    assert_false(fires_once(&s, &t));
    t.rq.get_path = NULL;
    assert_false(fires_once(&s, &t));
}

static void test_lazy_getters(void **state)
{
    struct inj_engine *e = inj_engine_new(1);
    struct inj_rule_spec s[4];
    struct inj_verdict v;
    struct treq t;

    (void)state;
    /* Four rules filtering on path and comm; none matches: each getter must
     * still be called exactly once. */
    for (int i = 0; i < 4; i++) {
        char id[8];

        snprintf(id, sizeof(id), "p%d", i);
        spec_err(&s[i], id, W, EIO);
        s[i].path_glob = i % 2 ? "/**" : "/nope/*";
        s[i].comm_glob = "zzz";
    }
    assert_int_equal(load_specs(e, s, 4, NULL), 0);
    treq_init(&t, INJ_OP_WRITE, "/a/b");
    assert_false(inj_decide(e, &t.rq, &v));
    assert_int_equal(t.path_calls, 1);
    assert_int_equal(t.comm_calls, 1);
    /* a rule that filters on neither: no getter runs */
    spec_err(&s[0], "plain", W, EIO);
    s[0].has_pid = true;
    s[0].pid = 99;
    assert_int_equal(load_specs(e, s, 1, NULL), 0);
    treq_init(&t, INJ_OP_WRITE, "/a/b");
    assert_false(inj_decide(e, &t.rq, &v));
    assert_int_equal(t.path_calls, 0);
    assert_int_equal(t.comm_calls, 0);
    /* an op no rule names: nothing runs */
    t.rq.op = INJ_OP_READ;
    assert_false(inj_decide(e, &t.rq, &v));
    assert_int_equal(t.path_calls, 0);
    inj_engine_free(e);
}

static void errno_sequence(uint64_t seed, int *out, size_t n)
{
    struct inj_engine *e = inj_engine_new(seed);
    struct inj_rule_spec s;
    struct inj_verdict v;
    struct treq t;

    spec_err(&s, "errs", W, EIO);
    s.errnos[1] = ENOSPC;
    s.errnos[2] = EDQUOT;
    s.errnos[3] = EROFS;
    s.n_errnos = 4;
    assert_int_equal(load_specs(e, &s, 1, NULL), 0);
    treq_init(&t, INJ_OP_WRITE, "/x");
    for (size_t i = 0; i < n; i++) {
        assert_true(inj_decide(e, &t.rq, &v));
        out[i] = v.err;
    }
    inj_engine_free(e);
}

static void test_errno_picks(void **state)
{
    enum { N = 4000 };
    static int a[N], b[N], c[N];
    unsigned seen[4] = {0};
    const int list[4] = {EIO, ENOSPC, EDQUOT, EROFS};
    size_t diff = 0;

    (void)state;
    errno_sequence(42, a, N);
    errno_sequence(42, b, N);
    errno_sequence(43, c, N);
    assert_memory_equal(a, b, sizeof(a));
    for (size_t i = 0; i < N; i++) {
        bool ok = false;

        for (int k = 0; k < 4; k++)
            if (a[i] == list[k]) {
                seen[k]++;
                ok = true;
            }
        assert_true(ok);
        diff += a[i] != c[i];
    }
    /* every member is picked, roughly uniformly (expect 1000, sd ~27) */
    for (int k = 0; k < 4; k++)
        assert_in_range(seen[k], 1000 - 165, 1000 + 165);
    /* another seed picks differently about 3/4 of the time (sd ~27) */
    assert_in_range(diff, 3000 - 165, 3000 + 165);
}

static void test_delay_short_lie(void **state)
{
    struct inj_engine *e = inj_engine_new(5);
    struct inj_rule_spec s[3];
    struct inj_rule_stats st;
    struct inj_verdict v;
    struct treq t;
    uint64_t lo = UINT64_MAX, hi = 0;

    (void)state;
    memset(s, 0, sizeof(s));
    strcpy(s[0].id, "d");
    s[0].ops = R;
    s[0].actions = INJ_ACT_DELAY;
    s[0].delay_min_ns = 1000;
    s[0].delay_max_ns = 1009;
    assert_int_equal(load_specs(e, s, 1, NULL), 0);
    treq_init(&t, INJ_OP_READ, "/x");
    for (int i = 0; i < 1000; i++) {
        assert_true(inj_decide(e, &t.rq, &v));
        assert_int_equal(v.actions, INJ_ACT_DELAY);
        lo = v.delay_ns < lo ? v.delay_ns : lo;
        hi = v.delay_ns > hi ? v.delay_ns : hi;
    }
    assert_int_equal(lo, 1000); /* both ends reachable, nothing outside */
    assert_int_equal(hi, 1009);

    /* short=N, short=P%; a short not below the size does not apply */
    memset(s, 0, sizeof(s));
    strcpy(s[0].id, "sn");
    s[0].ops = R;
    s[0].actions = INJ_ACT_SHORT;
    s[0].short_bytes = 100;
    s[0].has_size = true;
    s[0].size = (struct inj_range){0, 4095};
    strcpy(s[1].id, "sp");
    s[1].ops = R;
    s[1].actions = INJ_ACT_SHORT | INJ_ACT_LIE;
    s[1].short_is_pct = true;
    s[1].short_pct = 33;
    assert_int_equal(load_specs(e, s, 2, NULL), 0);
    treq_size(&t, 0, 1000);
    assert_true(inj_decide(e, &t.rq, &v));
    assert_string_equal(v.rule_id, "sn");
    assert_int_equal(v.short_len, 100);
    t.rq.size = 100; /* short=100 of 100: no action left, no fire */
    assert_false(inj_decide(e, &t.rq, &v));
    assert_int_equal(stats_of(e, "sn", &st), 0);
    assert_int_equal(st.matched, 2);
    assert_int_equal(st.fired, 1);
    t.rq.size = 10000; /* goes to "sp": 33% of 10000 */
    assert_true(inj_decide(e, &t.rq, &v));
    assert_string_equal(v.rule_id, "sp");
    assert_int_equal(v.actions, INJ_ACT_SHORT | INJ_ACT_LIE);
    assert_int_equal(v.short_len, 3300);
    t.rq.size = 10001;
    assert_true(inj_decide(e, &t.rq, &v));
    assert_int_equal(v.short_len, 3300); /* floor(3300.33) */
    t.rq.size = UINT64_MAX;              /* no overflow in size * pct */
    assert_true(inj_decide(e, &t.rq, &v));
    assert_int_equal(v.short_len,
                     (uint64_t)((unsigned __int128)UINT64_MAX * 33 / 100));
    t.rq.has_size = false; /* no size: SHORT drops, LIE stays */
    assert_true(inj_decide(e, &t.rq, &v));
    assert_int_equal(v.actions, INJ_ACT_LIE);
    assert_int_equal(v.short_len, 0);
    inj_engine_free(e);
}

struct fake_clock {
    uint64_t now;
};

static uint64_t fake_now(void *ctx)
{
    return ((struct fake_clock *)ctx)->now;
}

static void test_for_window_and_hang(void **state)
{
    struct inj_engine *e = inj_engine_new(5);
    struct fake_clock clk = {.now = 5000};
    struct inj_rule_spec s;
    struct inj_rule_stats st;
    struct inj_verdict v;
    struct treq t;

    (void)state;
    inj_engine_set_clock(e, fake_now, &clk);
    memset(&s, 0, sizeof(s));
    strcpy(s.id, "h");
    s.ops = inj_op_bit(INJ_OP_FSYNC);
    s.actions = INJ_ACT_HANG;
    s.has_for = true;
    s.for_ns = 100;
    spec_when(&s, 2, INJ_WHEN_OPEN, 1); /* the window opens at match 2 */
    assert_int_equal(load_specs(e, &s, 1, NULL), 0);
    treq_init(&t, INJ_OP_FSYNC, "/x");
    assert_false(inj_decide(e, &t.rq, &v)); /* match 1: when= says no */
    clk.now = 10000;
    assert_true(inj_decide(e, &t.rq, &v)); /* opens the window at 10000 */
    assert_int_equal(v.hang_ns, 100);
    clk.now = 10060;
    assert_true(inj_decide(e, &t.rq, &v));
    assert_int_equal(v.hang_ns, 40);
    clk.now = 10099;
    assert_true(inj_decide(e, &t.rq, &v));
    assert_int_equal(v.hang_ns, 1);
    clk.now = 10100; /* closed: never fires again */
    assert_false(inj_decide(e, &t.rq, &v));
    clk.now = 99999999;
    assert_false(inj_decide(e, &t.rq, &v));
    assert_int_equal(stats_of(e, "h", &st), 0);
    assert_int_equal(st.matched, 6);
    assert_int_equal(st.fired, 3);

    /* hang without for=: unbounded (0); error+for carries no hang_ns */
    memset(&s, 0, sizeof(s));
    strcpy(s.id, "u");
    s.ops = inj_op_bit(INJ_OP_FSYNC);
    s.actions = INJ_ACT_HANG;
    assert_int_equal(load_specs(e, &s, 1, NULL), 0);
    assert_true(inj_decide(e, &t.rq, &v));
    assert_int_equal(v.actions, INJ_ACT_HANG);
    assert_int_equal(v.hang_ns, 0);
    spec_err(&s, "ef", inj_op_bit(INJ_OP_FSYNC), EIO);
    s.has_for = true;
    s.for_ns = 10;
    assert_int_equal(load_specs(e, &s, 1, NULL), 0);
    assert_true(inj_decide(e, &t.rq, &v));
    assert_int_equal(v.hang_ns, 0);
    inj_engine_free(e);
}

static void test_wants(void **state)
{
    struct inj_engine *e = inj_engine_new(1);
    struct inj_rule_spec s;

    (void)state;
    for (int op = 0; op < INJ_OP_COUNT; op++)
        assert_false(inj_engine_wants(e, (enum inj_op)op));
    spec_err(&s, "rw", R | W, EIO);
    assert_int_equal(load_specs(e, &s, 1, NULL), 0);
    for (int op = 0; op < INJ_OP_COUNT; op++)
        assert_int_equal(inj_engine_wants(e, (enum inj_op)op),
                         op == INJ_OP_READ || op == INJ_OP_WRITE);
    assert_false(inj_engine_wants(e, INJ_OP_COUNT));
    assert_false(inj_engine_wants(e, (enum inj_op)64));
    assert_false(inj_engine_wants(e, (enum inj_op) - 1));
    assert_int_equal(inj_engine_replace(e, NULL, 0, NULL), 0);
    assert_false(inj_engine_wants(e, INJ_OP_READ));
    inj_engine_free(e);
}

static void test_generation_dup_snapshot(void **state)
{
    struct inj_engine *e = inj_engine_new(9);
    struct inj_rule *a, *b, *a2, **snap;
    struct inj_rule_spec s;
    struct inj_rule_stats st;
    struct inj_verdict v;
    struct treq t;
    uint64_t gen = 0;
    size_t n;

    (void)state;
    assert_int_equal(inj_engine_seed(e), 9);
    assert_int_equal(inj_engine_generation(e), 0);
    spec_err(&s, "a", W, EIO);
    assert_int_equal(inj_rule_new(e, &s, &a), 0);
    spec_err(&s, "b", W, EPERM);
    s.path_glob = "/b";
    assert_int_equal(inj_rule_new(e, &s, &b), 0);
    spec_err(&s, "a", R, EIO);
    assert_int_equal(inj_rule_new(e, &s, &a2), 0);

    assert_int_equal(inj_engine_replace(e, &a, 1, &gen), 0);
    assert_int_equal(gen, 1);
    treq_init(&t, INJ_OP_WRITE, "/b");
    assert_true(inj_decide(e, &t.rq, &v));
    assert_int_equal(v.generation, 1);
    assert_string_equal(v.rule_id, "a");

    /* duplicate ids (distinct rules, or one rule twice) change nothing */
    struct inj_rule *dup[] = {a, b, a2};
    struct inj_rule *twice[] = {b, b};
    assert_int_equal(inj_engine_replace(e, dup, 3, &gen), -EEXIST);
    assert_int_equal(inj_engine_replace(e, twice, 2, &gen), -EEXIST);
    assert_int_equal(gen, 1);
    assert_int_equal(inj_engine_generation(e), 1);

    /* b before a: a keeps its counters (same object in the new set) */
    struct inj_rule *ba[] = {b, a};
    assert_int_equal(inj_engine_replace(e, ba, 2, &gen), 0);
    assert_int_equal(gen, 2);
    assert_true(inj_decide(e, &t.rq, &v));
    assert_string_equal(v.rule_id, "b");
    assert_int_equal(v.generation, 2);
    t.path = "/c";
    assert_true(inj_decide(e, &t.rq, &v));
    assert_string_equal(v.rule_id, "a");
    assert_int_equal(v.match_no, 2);
    inj_rule_stats(a, &st);
    assert_int_equal(st.matched, 2);
    assert_int_equal(st.fired, 2);

    assert_int_equal(inj_engine_snapshot(e, &snap, &n, &gen), 0);
    assert_int_equal(n, 2);
    assert_int_equal(gen, 2);
    assert_ptr_equal(snap[0], b);
    assert_ptr_equal(snap[1], a);
    for (size_t i = 0; i < n; i++)
        inj_rule_put(snap[i]);
    free(snap);

    /* The caller's references outlive the engine's (LSan checks both). */
    inj_rule_put(a2);
    inj_engine_free(e);
    inj_rule_stats(a, &st);
    assert_int_equal(st.fired, 2);
    inj_rule_put(a);
    inj_rule_put(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_when_table),
        cmocka_unit_test(test_first_match_wins),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_lazy_getters),
        cmocka_unit_test(test_errno_picks),
        cmocka_unit_test(test_delay_short_lie),
        cmocka_unit_test(test_for_window_and_hang),
        cmocka_unit_test(test_wants),
        cmocka_unit_test(test_generation_dup_snapshot),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
