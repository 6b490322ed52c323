/* tests/unit/inject/test_index.c — the rule index (unit.inject.index).
 *
 * Proves the index is invisible: two engines with the same seed and rules,
 * one always bucketing path rules and one never, pick the same rule with the
 * same match number for 20,000 generated requests over 300 generated rules
 * (literal, '*', '**', classes, deep prefixes, non-path rules in between),
 * and the path getter still runs at most once per request. A second such
 * run is weighted to wildcard-led globs (keyed by their last component's
 * head or tail) and also checks both engines against the reference matcher
 * of glob_ref.h. Table tests pin the merge order across key kinds and the
 * edges of last-component keys; one checks which key each rule shape is
 * bucketed by, so that the index cannot quietly stop indexing.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "engine_internal.h"
#include "glob_ref.h"
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

#define LONG40 "abcdefghijklmnopqrstuvwxyz0123456789ABCD"

static void test_index_name_order(void **state)
{
    struct inj_engine *e = inj_engine_new(1);
    struct inj_rule_spec s[10];
    struct inj_verdict v;
    struct treq t;

    (void)state;
    inj_engine_set_index_min(e, 1);
    /* HEAD, TAIL, DIR and unkeyed rules interleaved: the merge must
     * still return the earliest matching rule */
    spec_err(&s[0], "tmp7", W, EIO);
    s[0].path_glob = "/**/*.tmp7"; /* TAIL .tmp7 */
    spec_err(&s[1], "star9", W, EIO);
    s[1].path_glob = "/**/*"; /* no key: root[] */
    s[1].has_pid = true;
    s[1].pid = 9;
    spec_err(&s[2], "other1", W, EIO);
    s[2].path_glob = "/**/other1-*.dat"; /* HEAD: .dat is shared */
    spec_err(&s[3], "dat", W, EIO);
    s[3].path_glob = "/**/*.dat"; /* TAIL .dat */
    spec_err(&s[4], "exact", W, EIO);
    s[4].path_glob = "/*/exact.name"; /* plain last component */
    spec_err(&s[5], "longh", W, EIO);
    s[5].path_glob = "/**/" LONG40 "*"; /* HEAD cut to its first 32 */
    spec_err(&s[6], "longt", W, EIO);
    s[6].path_glob = "/**/*" LONG40; /* TAIL cut to its last 32 */
    spec_err(&s[7], "dirx", W, EIO);
    s[7].path_glob = "/x/**"; /* DIR */
    spec_err(&s[8], "any", W, EIO);
    assert_int_equal(load_specs(e, s, 9, NULL), 0);
    static const struct {
        const char *path;
        uint32_t pid;
        const char *want;
    } rows[] = {
        {"/a/b.tmp7", 0, "tmp7"},
        {"/a/b.tmp7", 9, "tmp7"},
        {"/a/b.tmp", 9, "star9"},
        {"/a/other1-q.dat", 0, "other1"},
        {"/a/other1-q.dat", 9, "star9"},
        {"/other1-.dat", 0, "other1"},
        {"/a/other2-q.dat", 0, "dat"},
        {"/a/other1.dat", 0, "dat"},
        {"/other1-q.tmp7", 0, "tmp7"},
        {"/a/b.tmp7x", 0, "any"},
        {"/d/exact.name", 0, "exact"},
        {"/d/exact.name/", 0, "exact"},
        {"//d//exact.name//", 0, "exact"},
        {"/x/exact.name", 0, "exact"},
        {"/exact.name", 0, "any"},
        {"/d/exact.names", 0, "any"},
        {"/x/y", 0, "dirx"},
        {"/x", 0, "dirx"},
        {"/q/" LONG40 "zz", 0, "longh"},
        {"/q/" LONG40, 0, "longh"},
        {"/q/abcdefghijklmnopqrstuvwxyz012345QQQQQQQQ", 0, "any"},
        {"/q/zz" LONG40, 0, "longt"},
        {"/q/QQQQQQQQghijklmnopqrstuvwxyz0123456789ABCD", 0, "any"},
        {"/", 0, "any"},
        {"/", 9, "any"},
        {"", 0, "any"},
        {NULL, 0, "any"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
        treq_init(&t, INJ_OP_WRITE, rows[i].path);
        t.rq.pid = rows[i].pid;
        assert_true(inj_decide(e, &t.rq, &v));
        if (strcmp(v.rule_id, rows[i].want) != 0)
            fail_msg("%s pid %u: got %s want %s",
                     rows[i].path ? rows[i].path : "(null)", rows[i].pid,
                     v.rule_id, rows[i].want);
        assert_int_equal(t.path_calls, 1);
    }
    inj_engine_free(e);
}

/* Load n rules on op READ with the globs fmt % i (i from 1), indexed as
 * inj_engine_replace() does by default. */
static void load_fmt(struct inj_engine *e, const char *const *fmts, size_t nfmt,
                     size_t n)
{
    struct inj_rule_spec *s = calloc(n * nfmt, sizeof(*s));
    char(*globs)[80] = calloc(n * nfmt, sizeof(*globs));

    assert_non_null(s);
    assert_non_null(globs);
    for (size_t f = 0; f < nfmt; f++)
        for (size_t i = 0; i < n; i++) {
            size_t k = f * n + i;

            spec_err(&s[k], NULL, inj_op_bit(INJ_OP_READ), EIO);
            snprintf(globs[k], sizeof(globs[k]), fmts[f], i + 1);
            s[k].path_glob = globs[k];
        }
    assert_int_equal(load_specs(e, s, n * nfmt, NULL), 0);
    free(s);
    free(globs);
}

/* How many bucketed rules each key kind holds, and the largest bucket. */
static void bucket_census(struct inj_engine *e, uint32_t per_kind[4],
                          uint32_t *largest)
{
    const struct inj_op_index *ix = &atomic_load(&e->cur)->idx[INJ_OP_READ];

    memset(per_kind, 0, 4 * sizeof(*per_kind));
    *largest = 0;
    assert_non_null(ix->buckets);
    for (uint32_t i = 0; i <= ix->mask; i++) {
        const struct inj_bucket *b = &ix->buckets[i];

        if (!b->key)
            continue;
        per_kind[b->kind] += b->n;
        if (b->n > *largest)
            *largest = b->n;
    }
    per_kind[INJ_KEY_NONE] = ix->n_root;
}

static void test_index_name_buckets(void **state)
{
    static const struct {
        const char *fmt[2];
        size_t n;
        uint32_t none, dir, head, tail; /* rules bucketed by each kind */
    } rows[] = {
        /* the shared tail loses to the distinct head, and vice versa */
        {{"/**/other%zu-*.dat"}, 100, 0, 0, 100, 0},
        {{"/**/*.tmp%zu"}, 1000, 0, 0, 0, 1000},
        {{"/**/log-*.%zu"}, 50, 0, 0, 0, 50},
        /* a plain last component: head and tail tie, head wins */
        {{"/*/name%zu"}, 50, 0, 0, 50, 0},
        /* a distinct DIR key beats a shared tail ... */
        {{"/d%zu/*.wal"}, 50, 0, 50, 0, 0},
        /* ... but a shared DIR key loses to a distinct last component */
        {{"/data/**/x%zu.wal"}, 50, 0, 0, 50, 0},
        /* no key at all, next to keyed rules */
        {{"/**/*", "/**/*.tmp%zu"}, 20, 20, 0, 0, 20},
        {{"/d%zu/**", "/**/other%zu-*.dat"}, 20, 0, 20, 20, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
        struct inj_engine *e = inj_engine_new(1);
        size_t nfmt = rows[i].fmt[1] ? 2 : 1;
        uint32_t got[4], largest;

        load_fmt(e, rows[i].fmt, nfmt, rows[i].n);
        bucket_census(e, got, &largest);
        if (got[INJ_KEY_NONE] != rows[i].none ||
            got[INJ_KEY_DIR] != rows[i].dir ||
            got[INJ_KEY_HEAD] != rows[i].head ||
            got[INJ_KEY_TAIL] != rows[i].tail)
            fail_msg("row %zu (%s): root %u dir %u head %u tail %u", i,
                     rows[i].fmt[0], got[0], got[1], got[2], got[3]);
        /* every rule kept a key no other rule has */
        assert_int_equal(largest, 1);
        inj_engine_free(e);
    }
}

/* Rule shapes for the wildcard-led run: "%u" is a small number, so keys
 * are shared and overlap (".tmp1" and ".tmp12"); the rest of the rules
 * come from glob_ref.h's generator. Each has a path it matches. */
static const struct {
    const char *glob, *path;
} shapes[] = {
    {"/**/other%u-*.dat", "/x/other%u-y.dat"},
    {"/**/*.tmp%u", "/x/y/b.tmp%u"},
    {"/**/log-*.%u", "/log-a.%u"},
    {"/*/name%u", "/d/name%u"},
    {"/**/*.dat", "/a/b%u.dat"},
    {"/data/**/x%u.wal", "/data/a/b/x%u.wal"},
    {"/d%u/*.wal", "/d%u/a.wal"},
    {"/**/" LONG40 "%u*", "/q/" LONG40 "%u.z"},
    {"/**/*%u" LONG40, "/q/z%u" LONG40},
    {"/**/t%u?[ab]*", "/t%u-b.c"},
};
#define NSHAPES (sizeof(shapes) / sizeof(*shapes))

enum { NWRULES = 400, NWREQ = 20000 };

/* Does glob match nearly everything? 'q' is in no generated glob, so only
 * wildcards can match these. */
static bool matches_anything(const char *glob)
{
    static const char *const canaries[] = {"/q", "/qq", "/q/q", "/q/q/q"};

    for (size_t i = 0; i < sizeof(canaries) / sizeof(*canaries); i++)
        if (ref_path_match(glob, canaries[i]))
            return true;
    return false;
}

/* The first rule the reference says matches, as inj_decide() must pick. */
static int ref_first(const struct inj_rule_spec *s, int n, const char *path,
                     uint32_t pid)
{
    for (int i = 0; i < n; i++)
        if ((!s[i].has_pid || s[i].pid == pid) &&
            (!s[i].path_glob || (path && ref_path_match(s[i].path_glob, path))))
            return i;
    return -1;
}

static void test_index_wild_equals_scan(void **state)
{
    struct inj_engine *idx = inj_engine_new(5), *lin = inj_engine_new(5);
    static struct inj_rule_spec specs[NWRULES];
    static char globs[NWRULES][256], paths[NWRULES][256];
    uint64_t rs = 4242;
    unsigned fired = 0, by_path = 0;

    (void)state;
    inj_engine_set_index_min(idx, 1);
    inj_engine_set_index_min(lin, UINT_MAX);
    for (int i = 0; i < NWRULES; i++) {
        char id[16];
        unsigned k = (unsigned)(ref_rand(&rs) % 15);
        size_t sh = ref_rand(&rs) % NSHAPES;

        snprintf(id, sizeof(id), "w%d", i);
        spec_err(&specs[i], id, W, EIO);
        if (ref_rand(&rs) % 2) {
            snprintf(globs[i], sizeof(globs[i]), shapes[sh].glob, k);
            snprintf(paths[i], sizeof(paths[i]), shapes[sh].path, k);
        } else {
            ref_gen_pair(&rs, globs[i], paths[i]);
        }
        if (ref_rand(&rs) % 20)
            specs[i].path_glob = globs[i];
        /* a cheap filter that often fails, so later rules get their turn;
         * always on rules that would otherwise match (nearly) anything */
        if (!specs[i].path_glob || matches_anything(globs[i]) ||
            ref_rand(&rs) % 3 == 0) {
            specs[i].has_pid = true;
            specs[i].pid = (uint32_t)(ref_rand(&rs) % 3);
        }
    }
    assert_int_equal(load_specs(idx, specs, NWRULES, NULL), 0);
    assert_int_equal(load_specs(lin, specs, NWRULES, NULL), 0);
    /* most rules left the scan, or this proves nothing about the index */
    assert_in_range(atomic_load(&idx->cur)->idx[INJ_OP_WRITE].n_root, 0,
                    NWRULES / 2);
    for (int i = 0; i < NWREQ; i++) {
        struct inj_verdict va, vb;
        struct treq ta, tb;
        char path[300];
        uint32_t pid = (uint32_t)(ref_rand(&rs) % 8); /* filters use 0..2 */
        int want;
        bool fa, fb;

        if (ref_rand(&rs) % 4 == 0) {
            char junk[256];

            ref_gen_pair(&rs, junk, path); /* a path for no rule */
        } else {
            strcpy(path, paths[ref_rand(&rs) % NWRULES]);
            if (ref_rand(&rs) % 3 == 0) /* a near miss, or a near hit */
                path[ref_rand(&rs) % strlen(path)] =
                    ref_chars[ref_rand(&rs) % (sizeof(ref_chars) - 1)];
        }
        treq_init(&ta, INJ_OP_WRITE, path);
        treq_init(&tb, INJ_OP_WRITE, path);
        ta.rq.pid = tb.rq.pid = pid;
        fa = inj_decide(idx, &ta.rq, &va);
        fb = inj_decide(lin, &tb.rq, &vb);
        want = ref_first(specs, NWRULES, path, pid);
        if (fa != fb || strcmp(va.rule_id, vb.rule_id) != 0 ||
            fa != (want >= 0) || (fa && strcmp(va.rule_id, specs[want].id)))
            fail_msg("%s pid %u: indexed %s, scan %s, reference %s", path, pid,
                     fa ? va.rule_id : "-", fb ? vb.rule_id : "-",
                     want >= 0 ? specs[want].id : "-");
        assert_int_equal(va.match_no, vb.match_no);
        assert_in_range(ta.path_calls, 0, 1);
        assert_in_range(tb.path_calls, 0, 1);
        fired += fa;
        by_path += fa && specs[want].path_glob;
    }
    /* both outcomes, and mostly decided by a glob */
    assert_in_range(fired, NWREQ / 10, NWREQ - NWREQ / 10);
    assert_in_range(by_path, fired / 2, fired);
    inj_engine_free(idx);
    inj_engine_free(lin);
}

/* Does any rule's glob match path? (the pid filters aside: a mark must
 * hold whatever the request's other fields) */
static bool any_glob_matches(const struct inj_rule_spec *specs, int n,
                             const char *path)
{
    for (int i = 0; i < n; i++)
        if (!specs[i].path_glob || ref_path_match(specs[i].path_glob, path))
            return true;
    return false;
}

/* The ruled-out marks (INJ_RULED_OUT_PATH, _DIR) that fs/ caches per node
 * are sound: a path marked out is matched by no rule's glob, and no name
 * in a directory marked out is either: checked against the reference
 * matcher for every marked request, over directory rules (the idle10k
 * shape: /nomatch/dN/..., DIR keys of several depths) mixed with names and
 * wildcards; and the marks are common, or caching would gain nothing. */
enum { ORULES = 200, OREQ = 5000 };

/* One run of test_index_ruled_out_sound: dir_only keeps every rule's last
 * component "**" (DIR keys only, so directories can be marked out); else a
 * quarter of the rules end in generated names and wildcards (HEAD and TAIL
 * keys: no directory can be). Counts the marks into *n_path and *n_dir. */
static void ruled_out_run(bool dir_only, unsigned *n_path, unsigned *n_dir,
                          unsigned *n_req_dir)
{
    struct inj_engine *e = inj_engine_new(9);
    static struct inj_rule_spec specs[ORULES];
    static char globs[ORULES][160];
    static const char *const probe_names[] = {"a",       "b",  "db",   "x.wal",
                                              "t1",      "t2", "d3",   "d17",
                                              "nomatch", "zz", "q.tmp"};
    uint64_t rs = dir_only ? 77 : 78;

    *n_path = *n_dir = *n_req_dir = 0;
    inj_engine_set_index_min(e, 1);
    for (int i = 0; i < ORULES; i++) {
        char id[16];

        snprintf(id, sizeof(id), "o%d", i);
        spec_err(&specs[i], id, W, EIO);
        if (i % 4 == 3) { /* under a literal first component, or the
                           * rule would match anywhere: no marks then */
            char g[120];
            gen_glob(&rs, g, sizeof(g));
            snprintf(globs[i], sizeof(globs[i]), "/%s%s%s",
                     names[lcg(&rs) % NNAMES], strcmp(g, "/") ? g : "",
                     dir_only ? "/**" : "");
        } else if (i % 4 == 2) {
            snprintf(globs[i], sizeof(globs[i]), "/nomatch/d%d%s", i,
                     dir_only ? "/**" : "");
        } else {
            snprintf(globs[i], sizeof(globs[i]), "/nomatch/d%d/**", i);
        }
        specs[i].path_glob = globs[i];
        specs[i].has_pid = true;
        specs[i].pid = 1; /* requests use pid 0: nothing fires */
    }
    assert_int_equal(load_specs(e, specs, ORULES, NULL), 0);
    for (int i = 0; i < OREQ; i++) {
        struct inj_verdict v;
        struct treq t;
        char path[300];

        switch (lcg(&rs) % 3) {
        case 0:
            gen_path(&rs, path, sizeof(path));
            break;
        case 1: /* near the rules: /nomatch/dK/... */
            snprintf(path, sizeof(path), "/nomatch/d%u/%s",
                     (unsigned)(lcg(&rs) % (ORULES + 20)),
                     names[lcg(&rs) % NNAMES]);
            break;
        default:
            snprintf(path, sizeof(path), "/%s/%s/%s", names[lcg(&rs) % NNAMES],
                     names[lcg(&rs) % NNAMES], names[lcg(&rs) % NNAMES]);
        }
        treq_init(&t, INJ_OP_WRITE, path);
        t.rq.name_in_dir = lcg(&rs) % 2;
        *n_req_dir += t.rq.name_in_dir;
        assert_false(inj_decide(e, &t.rq, &v));
        if (v.ruled_out)
            assert_int_equal(v.generation, inj_engine_generation(e));
        if (v.ruled_out & INJ_RULED_OUT_PATH) {
            ++*n_path;
            if (any_glob_matches(specs, ORULES, path))
                fail_msg("%s marked out, but a rule matches it", path);
        }
        if (!(v.ruled_out & INJ_RULED_OUT_DIR))
            continue;
        assert_true(t.rq.name_in_dir);
        ++*n_dir;
        /* every name a rule could need, for one mark in 16; the probe
         * names and 8 sampled dK for the rest (the reference matcher is
         * slow under TSan) */
        int dl = (int)(strrchr(path, '/') - path);
        size_t n_probe = sizeof(probe_names) / sizeof(*probe_names);
        bool full = *n_dir % 16 == 1;
        for (size_t k = 0; k < n_probe + (full ? ORULES + 20 : 8); k++) {
            char sib[600];
            if (k < n_probe)
                snprintf(sib, sizeof(sib), "%.*s/%s", dl, path, probe_names[k]);
            else
                snprintf(sib, sizeof(sib), "%.*s/d%u", dl, path,
                         full ? (unsigned)(k - n_probe)
                              : (unsigned)(lcg(&rs) % (ORULES + 20)));
            if (any_glob_matches(specs, ORULES, sib))
                fail_msg("%s: directory marked out, but %s matches", path, sib);
        }
    }
    inj_engine_free(e);
}

static void test_index_ruled_out_sound(void **state)
{
    unsigned n_path, n_dir, n_req_dir;

    (void)state;
    ruled_out_run(true, &n_path, &n_dir, &n_req_dir);
    /* the marks must be common for what fs/ caches them for */
    assert_in_range(n_path, OREQ / 10, OREQ);
    assert_in_range(n_dir, n_req_dir / 10, n_req_dir);
    ruled_out_run(false, &n_path, &n_dir, &n_req_dir);
    assert_in_range(n_path, OREQ / 10, OREQ);
    assert_int_equal(n_dir, 0); /* HEAD/TAIL keys: any name may match */
}

/* Exact cases: which directories are marked out for idle10k-like rules. */
static void test_index_ruled_out_table(void **state)
{
    struct inj_engine *e = inj_engine_new(1);
    struct inj_rule_spec specs[3];
    static const struct {
        const char *path;
        bool name_in_dir;
        unsigned want;
    } cases[] = {
        {"/meta/m1", true, INJ_RULED_OUT_PATH | INJ_RULED_OUT_DIR},
        {"/meta/m1", false, INJ_RULED_OUT_PATH},
        {"/m1", true, INJ_RULED_OUT_PATH}, /* the root: "nomatch" is a name */
        {"/nomatch", true, INJ_RULED_OUT_PATH},   /* the root's name */
        {"/nomatch/x", true, INJ_RULED_OUT_PATH}, /* /nomatch/d1 is below */
        {"/nomatch/d1", true, 0},
        {"/nomatch/d1/f", true, 0},
        {"/nomatch/d22/f", true, INJ_RULED_OUT_PATH | INJ_RULED_OUT_DIR},
        {"//nomatch//x", true, INJ_RULED_OUT_PATH}, /* slashes ignored */
        {"/a/b/c/d/e/f/g/h/i/j", true, INJ_RULED_OUT_PATH | INJ_RULED_OUT_DIR},
        /* its directory is a key's prefix: /deep/1/2/3/4/5/6/7 */
        {"/deep/1/2/3/4/5/6/x", true, INJ_RULED_OUT_PATH},
        {"/deep/1/2/3/4/5/7/x", true, INJ_RULED_OUT_PATH | INJ_RULED_OUT_DIR},
    };

    (void)state;
    inj_engine_set_index_min(e, 1);
    spec_err(&specs[0], "n1", W, EIO);
    specs[0].path_glob = "/nomatch/d1/**";
    spec_err(&specs[1], "n2", W, EIO);
    specs[1].path_glob = "/nomatch/d2/**";
    spec_err(&specs[2], "deep", W, EIO);
    specs[2].path_glob = "/deep/1/2/3/4/5/6/7/8/9";
    assert_int_equal(load_specs(e, specs, 3, NULL), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct inj_verdict v;
        struct treq t;

        treq_init(&t, INJ_OP_WRITE, cases[i].path);
        t.rq.name_in_dir = cases[i].name_in_dir;
        t.rq.pid = 99;
        bool fired = inj_decide(e, &t.rq, &v);
        if (fired)
            continue; /* a fired rule marks nothing */
        if (v.ruled_out != cases[i].want)
            fail_msg("%s (name %d): ruled_out %#x, want %#x", cases[i].path,
                     cases[i].name_in_dir, v.ruled_out, cases[i].want);
    }
    inj_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_equals_scan),
        cmocka_unit_test(test_index_order_across_buckets),
        cmocka_unit_test(test_index_name_order),
        cmocka_unit_test(test_index_name_buckets),
        cmocka_unit_test(test_index_wild_equals_scan),
        cmocka_unit_test(test_index_ruled_out_sound),
        cmocka_unit_test(test_index_ruled_out_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
