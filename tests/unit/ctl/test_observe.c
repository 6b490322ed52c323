/* tests/unit/ctl/test_observe.c — trace then replay gives the same faults at
 * the same points (unit.ctl.observe).
 *
 * Records a run under seeded rules (when=, prob=, path filters) with
 * --trace, then replays the trace into an engine whose own rules would fire
 * on everything: exactly the recorded faults come back, at the same
 * (op, path, occurrence), even with requests interleaved differently; and
 * a shortened run reports the faults it never reached.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl.h"

#define N 600
static const char *const paths[] = {"/a", "/b", "/dir/c \xff"};
static const enum inj_op ops[] = {INJ_OP_READ, INJ_OP_WRITE, INJ_OP_FSYNC};

struct rec {
    bool fired;
    struct inj_verdict v;
};

static const char *get_path(void *ctx)
{
    return ctx;
}

static const char *get_comm(void *ctx)
{
    (void)ctx;
    return "tester";
}

static void request_of(int i, enum inj_op *op, const char **path)
{
    *op = ops[i % 3];
    *path = paths[(i / 3) % 3];
}

static bool run_one(const struct ctl_observe *o, struct inj_engine *e, int i,
                    struct inj_verdict *v)
{
    enum inj_op op;
    const char *path;
    request_of(i, &op, &path);
    struct inj_request rq = {.op = op,
                             .pid = 42,
                             .has_size = true,
                             .size = 4096,
                             .get_path = get_path,
                             .get_comm = get_comm,
                             .ctx = (void *)path};
    if (!ctl_observe_wants(o, e, op))
        return false;
    return ctl_decide(o, e, &rq, (uint64_t)i, v);
}

static struct inj_engine *engine_with(const char *const *rules, size_t n)
{
    struct inj_engine *e = inj_engine_new(7);
    struct ctl_source src[8];
    for (size_t i = 0; i < n; i++)
        src[i] = (struct ctl_source){CTL_SRC_RULE, rules[i]};
    uint64_t gen;
    size_t nr;
    char msg[512];
    if (ctl_rules_load(e, src, n, false, &gen, &nr, msg, sizeof(msg)) != 0)
        fail_msg("rules: %s", msg);
    return e;
}

static void test_replay_equivalence(void **state)
{
    (void)state;
    char trace_path[] = "/tmp/ctl_obs_XXXXXX";
    int fd = mkstemp(trace_path);
    close(fd);
    static struct rec first[N];
    static const char *const rules[] = {
        "read:when=2+3:error=EIO",
        "write:path=/b:prob=0.3:error=ENOSPC",
        "fsync:when=1..5:delay=1ms",
        "write:path=/dir/**:short=10",
    };
    struct inj_engine *e = engine_with(rules, 4);
    struct ctl_observe o = {.stats = ctl_stats_new()};
    assert_int_equal(ctl_trace_open(trace_path, &o.trace), 0);
    int faults = 0;
    for (int i = 0; i < N; i++) {
        first[i].fired = run_one(&o, e, i, &first[i].v);
        faults += first[i].fired;
    }
    assert_true(faults > 50);
    assert_int_equal(ctl_trace_count(o.trace), (uint64_t)faults);
    struct ctl_stats_snapshot ss;
    ctl_stats_snapshot(o.stats, &ss);
    assert_int_equal(ss.op[INJ_OP_READ].faults + ss.op[INJ_OP_WRITE].faults +
                         ss.op[INJ_OP_FSYNC].faults,
                     (uint64_t)faults);
    ctl_trace_close(o.trace);
    ctl_stats_free(o.stats);
    inj_engine_free(e);

    /* Replay into an engine whose rules would fail everything: ignored. */
    static const char *const loud[] = {"all:error=EIO:force"};
    e = engine_with(loud, 1);
    struct ctl_observe r = {0};
    char err[256];
    assert_int_equal(ctl_replay_load(trace_path, &r.replay, err, sizeof(err)),
                     0);
    assert_int_equal(ctl_replay_size(r.replay), (size_t)faults);
    /* Different interleaving: all of path 2, then path 0, then path 1;
     * each (op, path) still sees its requests in the same order. */
    int order[N], k = 0;
    for (int p = 2; p >= 0; p = p == 2 ? 0 : (p == 0 ? 1 : -1))
        for (int i = 0; i < N; i++)
            if ((i / 3) % 3 == p)
                order[k++] = i;
    assert_int_equal(k, N);
    for (int j = 0; j < N; j++) {
        int i = order[j];
        struct inj_verdict v;
        bool fired = run_one(&r, e, i, &v);
        if (fired != first[i].fired)
            fail_msg("request %d: fired %d, recorded %d", i, fired,
                     first[i].fired);
        if (!fired)
            continue;
        assert_int_equal(v.actions, first[i].v.actions);
        assert_int_equal(v.err, first[i].v.err);
        assert_int_equal(v.delay_ns, first[i].v.delay_ns);
        assert_int_equal(v.short_len, first[i].v.short_len);
        assert_int_equal(v.stream, first[i].v.stream);
        assert_int_equal(v.match_no, first[i].v.match_no);
        assert_string_equal(v.rule_id, first[i].v.rule_id);
    }
    assert_int_equal(ctl_replay_report_unused(r.replay, NULL), 0);
    ctl_replay_free(r.replay);

    /* A shorter run leaves recorded faults unreached, and says which. */
    assert_int_equal(ctl_replay_load(trace_path, &r.replay, err, sizeof(err)),
                     0);
    for (int i = 0; i < N / 2; i++) {
        struct inj_verdict v;
        run_one(&r, e, i, &v);
    }
    char *report = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&report, &len);
    size_t unused = ctl_replay_report_unused(r.replay, mem);
    fclose(mem);
    assert_true(unused > 0 && unused < (size_t)faults);
    assert_int_equal(unused, ctl_replay_unused(r.replay));
    assert_non_null(strstr(report, "was never reached"));
    assert_non_null(strstr(report, "\"/dir/c \\u00ff\""));
    free(report);
    ctl_replay_free(r.replay);
    inj_engine_free(e);
    unlink(trace_path);
}

static void test_no_observers(void **state)
{
    (void)state;
    static const char *const rules[] = {"read:error=EIO"};
    struct inj_engine *e = engine_with(rules, 1);
    struct inj_verdict v;
    /* Without trace or replay it is the engine, plus fault counting. */
    struct ctl_observe o = {.stats = ctl_stats_new()};
    assert_false(ctl_observe_wants(&o, e, INJ_OP_WRITE));
    assert_true(ctl_observe_wants(&o, e, INJ_OP_READ));
    assert_true(run_one(&o, e, 0, &v)); /* i = 0: read /a */
    assert_int_equal(v.err, EIO);
    struct ctl_stats_snapshot ss;
    ctl_stats_snapshot(o.stats, &ss);
    assert_int_equal(ss.op[INJ_OP_READ].faults, 1);
    assert_true(run_one(NULL, e, 0, &v));
    ctl_stats_free(o.stats);
    inj_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_equivalence),
        cmocka_unit_test(test_no_observers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
