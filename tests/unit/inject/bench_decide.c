/* tests/unit/inject/bench_decide.c — ns per inj_engine_wants()+inj_decide() for
 * a request no rule matches.
 *
 * Not a test: prints a table. Each configuration loads rules that do not
 * match the request and times the hot path, once with the rule index
 * disabled (linear scan) and once enabled. `--only NAME --mode
 * scan|index` runs one measurement, for instruction counts with
 *   valgrind --tool=callgrind --toggle-collect=inj_decide \
 *            --toggle-collect=inj_engine_wants bench_decide --only ...
 * (then Ir / iterations is the cost of one call pair).
 *
 *   bench_decide [--iterations N] [--only NAME] [--mode scan|index]
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"

static const char *bench_path(void *ctx)
{
    return ctx;
}

static const char *bench_comm(void *ctx)
{
    (void)ctx;
    return "bench";
}

enum kind {
    NONE,
    OTHER_OP,
    FIRST_COMP,
    SHARED_PREFIX,
    LEADING_WILD,
    OTHER_FILES
};

struct config {
    const char *name, *what;
    size_t n;
    enum kind kind;
    const char *path; /* the request's */
};

#define WAL "/data/x/y.wal"

static const struct config configs[] = {
    {"empty", "no rules", 0, NONE, WAL},
    {"other1", "1 rule, other op", 1, OTHER_OP, WAL},
    {"glob1", "1 rule, same op, path /d0/**", 1, FIRST_COMP, WAL},
    {"other10k", "10k rules, other ops", 10000, OTHER_OP, WAL},
    {"first10k", "10k rules, same op, /d<i>/**", 10000, FIRST_COMP, WAL},
    {"shared10k", "10k rules, same op, /data/t<i>/*.wal", 10000, SHARED_PREFIX,
     WAL},
    {"wild10k", "10k rules, same op, /**/*.tmp<i>", 10000, LEADING_WILD, WAL},
    /* scripts/bench's glob100 rules (all ops), on files they do not name */
    {"glob100", "100 rules, all ops, /**/other<i>-*.dat", 100, OTHER_FILES,
     WAL},
    {"glob100f", "100 rules, all ops, /**/other<i>-*.dat", 100, OTHER_FILES,
     "/f"},
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int load(struct inj_engine *e, const struct config *c)
{
    struct inj_rule **rules = calloc(c->n + 1, sizeof(*rules));
    char glob[64];
    int rc = 0;

    if (!rules)
        return -1;
    for (size_t i = 0; i < c->n && !rc; i++) {
        struct inj_rule_spec s;

        memset(&s, 0, sizeof(s));
        s.ops = inj_op_bit(INJ_OP_READ);
        s.actions = INJ_ACT_ERROR;
        s.errnos[0] = 5;
        s.n_errnos = 1;
        switch (c->kind) {
        case OTHER_OP:
            s.ops = inj_op_bit((enum inj_op)(INJ_OP_WRITE + 1 + i % 10));
            snprintf(glob, sizeof(glob), "/d%zu/**", i);
            break;
        case FIRST_COMP:
            snprintf(glob, sizeof(glob), "/d%zu/**", i);
            break;
        case SHARED_PREFIX:
            snprintf(glob, sizeof(glob), "/data/t%zu/*.wal", i);
            break;
        case LEADING_WILD:
            snprintf(glob, sizeof(glob), "/**/*.tmp%zu", i);
            break;
        case OTHER_FILES:
            s.ops = INJ_OP_MASK_ALL;
            snprintf(glob, sizeof(glob), "/**/other%zu-*.dat", i + 1);
            break;
        case NONE:
            break;
        }
        s.path_glob = glob;
        rc = inj_rule_new(e, &s, &rules[i]);
    }
    if (!rc)
        rc = inj_engine_replace(e, rules, c->n, NULL);
    for (size_t i = 0; i < c->n; i++)
        inj_rule_put(rules[i]);
    free(rules);
    return rc;
}

/* ns per call, or a negative number on a setup failure. */
static double run(const struct config *c, unsigned index_min, long iters)
{
    struct inj_engine *e = inj_engine_new(1);
    struct inj_request rq = {
        .op = INJ_OP_READ,
        .has_offset = true,
        .has_size = true,
        .size = 4096,
        .get_path = bench_path,
        .get_comm = bench_comm,
        .ctx = (void *)c->path,
    };
    struct inj_verdict v;
    uint64_t t0, t1;
    long fired = 0;

    if (!e)
        return -1;
    inj_engine_set_index_min(e, index_min);
    if (load(e, c)) {
        inj_engine_free(e);
        return -1;
    }
    t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        if (inj_engine_wants(e, rq.op))
            fired += inj_decide(e, &rq, &v);
    }
    t1 = now_ns();
    inj_engine_free(e);
    if (fired)
        return -1; /* the request must never match */
    return (double)(t1 - t0) / (double)iters;
}

int main(int argc, char **argv)
{
    long iters = 2000000;
    const char *only = NULL, *mode = NULL;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
            iters = atol(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
            mode = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--iterations N] [--only NAME]\n",
                    argv[0]);
            return 2;
        }
    }
    if (iters <= 0)
        iters = 1;
    printf("%-10s %-40s %-14s %12s %12s\n", "config", "rules", "read of",
           "scan ns/op", "index ns/op");
    for (size_t i = 0; i < sizeof(configs) / sizeof(*configs); i++) {
        const struct config *c = &configs[i];
        long it = iters;
        double scan = 0, idx = 0;

        if (only && strcmp(only, c->name))
            continue;
        /* a linear scan of 10k globs is ~10^4x slower: fewer rounds */
        if (c->n > 1000 && c->kind != OTHER_OP)
            it = iters / 1000 > 0 ? iters / 1000 : 1;
        if (!mode || !strcmp(mode, "scan"))
            scan = run(c, UINT_MAX, it);
        if (!mode || !strcmp(mode, "index"))
            idx = run(c, INJ_INDEX_MIN_BUCKETED, iters);
        if (scan < 0 || idx < 0) {
            fprintf(stderr, "%s: setup failed or a rule matched\n", c->name);
            return 1;
        }
        printf("%-10s %-40s %-14s %12.1f %12.1f\n", c->name, c->what, c->path,
               scan, idx);
    }
    return 0;
}
