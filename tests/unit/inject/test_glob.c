/* tests/unit/inject/test_glob.c — path and comm glob tables (unit.inject.glob).
 *
 * Each row is one (pattern, subject, expected) triple; a failure names the
 * row. Includes the '**' edge cases (zero components, runs, backtracking),
 * the edges of the compile-time screens (length bounds, literal head and
 * tail, escapes, classes, a literal ']') and the patterns that must be
 * refused at compile time. Two property tests hold the matcher, screens
 * included, to the independent reference in glob_ref.h over thousands of
 * generated globs, and check what inj_glob_last_literals() promises about
 * every path a glob matches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "glob.h"
#include "glob_ref.h"

struct row {
    const char *pat, *subj;
    bool want;
};

static const struct row path_rows[] = {
    {"/a", "/a", true},
    {"/a", "/b", false},
    {"/a", "/a/b", false},
    {"/a/*", "/a/b", true},
    {"/a/*", "/a", false},
    {"/a/*", "/a/b/c", false},
    {"/a/*.wal", "/a/x.wal", true},
    {"/a/*.wal", "/a/.wal", true},
    {"/a/*.wal", "/a/x.wa", false},
    {"/a/*.wal", "/a/b/x.wal", false},
    {"/db/**", "/db", true}, /* '**' is zero or more components */
    {"/db/**", "/db/a", true},
    {"/db/**", "/db/a/b", true},
    {"/db/**", "/dbx/a", false},
    {"/db/**", "/d", false},
    {"/db/**", "/", false},
    {"/**", "/", true},
    {"/**", "/anything/at/all", true},
    {"**", "/x", true},
    {"/**/x", "/x", true},
    {"/**/x", "/a/b/x", true},
    {"/**/x", "/a/b/x/y", false},
    {"/**/x", "/a/bx", false},
    {"/a/**/b", "/a/b", true},
    {"/a/**/b", "/a/x/y/b", true},
    {"/a/**/b", "/a/x/y/c", false},
    {"/a/**/b/**/c", "/a/b/c", true},
    {"/a/**/b/**/c", "/a/q/b/r/s/c", true},
    {"/a/**/b/**/c", "/a/q/c/b", false},
    {"/a/**/**/b", "/a/b", true},
    {"/a/**/*.wal", "/a/x/y/z.wal", true},
    {"/a/**/*.wal", "/a/x/y/z.wall", false},
    {"/a/**/b", "/a/b/b/b", true},
    {"/a/**/b/c", "/a/b/b/c", true}, /* needs the '**' backtrack */
    {"/a/**/b/c", "/a/b/x/b/c", true},
    {"/a/**/b/c", "/a/b/x/b/d", false},
    {"/a/**", "/ab", false},
    {"/d?", "/db", true},
    {"/d?", "/d", false},
    {"/d?", "/d/b", false},   /* '?' never matches '/' */
    {"/a*b", "/a/b", false},  /* '*' stays within a component */
    {"/a**b", "/axxb", true}, /* '**' inside a component is '*' */
    {"/a**b", "/a/b", false},
    {"/[abc]x", "/bx", true},
    {"/[abc]x", "/dx", false},
    {"/[a-c]x", "/cx", true},
    {"/[!a-c]x", "/dx", true},
    {"/[!a-c]x", "/ax", false},
    {"/[^a]x", "/bx", true},
    {"/[]]x", "/]x", true},
    {"/[]a]x", "/ax", true},
    {"/[a-]x", "/-x", true},
    {"/x[0-9][0-9]", "/x42", true},
    {"/x[0-9][0-9]", "/x4a", false},
    {"/\\*", "/*", true},
    {"/\\*", "/a", false},
    {"/a//b/", "/a/b", true}, /* empty components are ignored */
    {"/a/b", "//a///b/", true},
    {"a/b", "/a/b", true}, /* a missing leading '/' is implied */
    {"/*/*/c", "/a/b/c", true},
    {"/*", "/", false},
    {"/", "/", true},
    {"/", "/a", false},
    {"/a*", "/abc", true},
    {"/*c", "/abc", true},
    {"/*b*", "/abc", true},
    {"/a*b*c*d", "/aXbXcXd", true},
    {"/a*b*c*d", "/aXbXcX", false},
    {"/*.tar.gz", "/x.tar.gz", true},
    {"/**/.git/**", "/r/.git/objects/ab", true},
    {"/**/.git/**", "/r/git/objects", false},
    {"/*a*a*a*b", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
    {"/*.tmp1", "/a.tmp1", true},
    {"/*.tmp1", "/a.tmp12", false},
    {"/*.tmp1", "/.tmp1", true},
    {"/*.tmp1", "/tmp1", false},
    {"/**/*.tmp1", "/data/x/y.wal", false},
    {"/**/*.tmp1", "/d/x.tmp1", true},
    {"/**/*.tmp1", "/x.tmp1/y", false},
    {"/a/*/", "/a/b", true},
    {"/*\\*", "/a*", true},
    {"/*\\*", "/ab", false},
    {"/*[0-9]x", "/a5x", true},
    {"/t?[ab]c", "/t1bc", true},
    {"/t?[ab]c", "/t1bd", false},
    {"/**/x/**", "/x", true},
    {"/**/x/**", "/a/x/b/c", true},
    {"/**/x/**", "/a/y/b/c", false},
    {"/**/a*", "/b/", false},
    /* the screens: a match has >= min chars (== min without a '*'), starts
     * with the head and ends with the tail */
    {"/ab*b", "/ab", false}, /* head and tail overlap only without a '*' */
    {"/ab*b", "/abb", true},
    {"/ab*ab", "/aba", false},
    {"/ab*ab", "/abab", true},
    {"/a*a", "/a", false},
    {"/a?c", "/abc", true},
    {"/a?c", "/abcc", false}, /* no '*': exactly min chars */
    {"/a?c", "/ac", false},
    {"/[ab]x", "/abx", false},
    {"/a**b", "/ab", true},
    {"/x\\*y*", "/x*yz", true}, /* the head stops at an escape */
    {"/x\\*y*", "/xay", false},
    {"/*\\?", "/a?", true}, /* the tail stops at an escape */
    {"/*\\?", "/ab", false},
    {"/*\\\\", "/a\\", true},
    {"/*.da[tx]", "/a.dax", true}, /* ... and at a class */
    {"/*.da[tx]", "/a.day", false},
    {"/*[.]dat", "/a.dat", true},
    {"/*]", "/a]", true}, /* ']' outside a class is plain text */
    {"/]*", "/]a", true},
    {"/[]]*", "/]a", true},
    {"/*[!]]", "/a]", false},
    {"/**/other1-*.dat", "/data/x/other1-.dat", true},
    {"/**/other1-*.dat", "/other1-.dat", true},
    {"/**/other1-*.dat", "/other1.dat", false},
    {"/**/other1-*.dat", "/other1-x.dat/", true}, /* trailing '/' */
    {"/**/other1-*.dat", "//a//other1-x.dat//", true},
    {"/**/other1-*.dat", "/other1-x.dat/y", false},
    {"/**/other1-*.dat", "/data/x/y.wal", false},
    {"/**/other1-*.dat", "/f", false},
    {"/**/other1-*.dat", "/", false},
    {"/**/*.tmp1", "/", false},
    {"/**/*.tmp1", "", false},
    {"/*", "//", false},
    {"/**/a", "/a/", true},
    {"/**/a", "a", true},
    {"/**/a\\*b", "/x/a*b", true}, /* a plain last component */
    {"/**/a\\*b", "/x/axb", false},
    {"/**/\\**", "/*x", true},
    {"/**/\\**", "/x*", false},
    {"/*/exact.name", "/d/exact.name", true},
    {"/*/exact.name", "/d/exact.names", false},
    {"/*/exact.name", "/d/xexact.name", false},
};

static const struct row comm_rows[] = {
    {"post*", "postgres", true},
    {"post*", "pgbouncer", false},
    {"*", "", true},
    {"", "", true},
    {"", "a", false},
    {"kworker/*", "kworker/0:1", true},
    {"?sh", "zsh", true},
    {"?sh", "bash", false},
    {"[bz]ash", "bash", true},
    {"*sql*", "mysqld", true},
    {"postgres", "postgres", true},
    {"postgres", "postgres2", false},
    {"[/]x", "/x", true},
    /* escapes in a name with no wildcard are plain text, not a pattern */
    {"a\\*", "a*", true},
    {"a\\*", "abc", false},
    {"a\\?c", "a?c", true},
    {"a\\?c", "abc", false},
    {"x\\[y", "x[y", true},
    {"post*ql", "postgresql", true}, /* the screens apply to comm too */
    {"post*ql", "postgres", false},
    {"p?g", "pg", false},
};

static void run_rows(const struct row *rows, size_t n, enum inj_glob_kind k)
{
    for (size_t i = 0; i < n; i++) {
        struct inj_glob *g = NULL;

        assert_int_equal(inj_glob_compile(rows[i].pat, k, &g), 0);
        if (inj_glob_match(g, rows[i].subj) != rows[i].want)
            fail_msg("row %zu: '%s' vs '%s' should be %s", i, rows[i].pat,
                     rows[i].subj, rows[i].want ? "true" : "false");
        assert_false(inj_glob_match(g, NULL));
        inj_glob_free(g);
    }
}

static void test_path_table(void **state)
{
    (void)state;
    assert_true(sizeof(path_rows) / sizeof(path_rows[0]) >= 40);
    run_rows(path_rows, sizeof(path_rows) / sizeof(path_rows[0]),
             INJ_GLOB_PATH);
}

static void test_comm_table(void **state)
{
    (void)state;
    run_rows(comm_rows, sizeof(comm_rows) / sizeof(comm_rows[0]),
             INJ_GLOB_COMM);
}

static void test_invalid(void **state)
{
    static const char *const bad_path[] = {"/[abc",  "/a\\", "/a[/]b",
                                           "/a\\/b", "/[",   "/x[!"};
    static const char *const bad_comm[] = {"[", "a\\", "[]"};
    struct inj_glob *g = (struct inj_glob *)&g;

    (void)state;
    for (size_t i = 0; i < sizeof(bad_path) / sizeof(*bad_path); i++) {
        if (inj_glob_compile(bad_path[i], INJ_GLOB_PATH, &g) != -EINVAL)
            fail_msg("path glob '%s' should be refused", bad_path[i]);
        assert_null(g);
    }
    for (size_t i = 0; i < sizeof(bad_comm) / sizeof(*bad_comm); i++) {
        if (inj_glob_compile(bad_comm[i], INJ_GLOB_COMM, &g) != -EINVAL)
            fail_msg("comm glob '%s' should be refused", bad_comm[i]);
        assert_null(g);
    }
}

static void test_literal_prefix(void **state)
{
    static const struct {
        const char *pat, *prefix;
        unsigned depth;
    } rows[] = {
        {"/db/t1/*.wal", "/db/t1", 2},
        {"/**", "", 0},
        {"/a/b", "/a/b", 2},
        {"/a\\*b/c*", "/a*b", 1},
        {"//x//y/*", "/x/y", 2},
        {"/*/x", "", 0},
        {"/", "", 0},
        {"/a/**/b", "/a", 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
        struct inj_glob *g;
        size_t len;
        unsigned depth;
        const char *p;

        assert_int_equal(inj_glob_compile(rows[i].pat, INJ_GLOB_PATH, &g), 0);
        p = inj_glob_literal_prefix(g, &len, &depth);
        assert_string_equal(p, rows[i].prefix);
        assert_int_equal(len, strlen(rows[i].prefix));
        assert_int_equal(depth, rows[i].depth);
        inj_glob_free(g);
    }
}

static void test_last_literals(void **state)
{
    static const struct {
        const char *pat;
        bool ok;
        const char *head, *tail;
    } rows[] = {
        {"/**/other1-*.dat", true, "other1-", ".dat"},
        {"/**/*.tmp12", true, "", ".tmp12"},
        {"/a/b.txt", true, "b.txt", "b.txt"},
        {"/x/", true, "x", "x"},
        {"//x//y//", true, "y", "y"},
        {"/**/a\\*b", true, "a*b", "a*b"}, /* plain text, unescaped */
        {"/**/x\\*y*z", true, "x", "z"},
        {"/**/[ab]c?d", true, "", "d"},
        {"/**/ab[cd]", true, "ab", ""},
        {"/**/a**b", true, "a", "b"},
        {"/**/*]", true, "", ""},
        {"/*", true, "", ""},
        {"/**", false, NULL, NULL},
        {"/a/**", false, NULL, NULL},
        {"/a/**/**", false, NULL, NULL},
        {"/", false, NULL, NULL},
        {"", false, NULL, NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
        struct inj_glob *g;
        struct inj_glob_lit head, tail;

        assert_int_equal(inj_glob_compile(rows[i].pat, INJ_GLOB_PATH, &g), 0);
        if (inj_glob_last_literals(g, &head, &tail) != rows[i].ok)
            fail_msg("'%s': should be %d", rows[i].pat, rows[i].ok);
        if (rows[i].ok && (head.len != strlen(rows[i].head) ||
                           memcmp(head.s, rows[i].head, head.len) != 0 ||
                           tail.len != strlen(rows[i].tail) ||
                           memcmp(tail.s, rows[i].tail, tail.len) != 0))
            fail_msg("'%s': head '%.*s' tail '%.*s', want '%s' '%s'",
                     rows[i].pat, (int)head.len, head.s, (int)tail.len, tail.s,
                     rows[i].head, rows[i].tail);
        inj_glob_free(g);
    }
}

static void test_last_literals_comm(void **state)
{
    struct inj_glob *g;
    struct inj_glob_lit head, tail;

    (void)state;
    assert_int_equal(inj_glob_compile("ab*cd", INJ_GLOB_COMM, &g), 0);
    assert_false(inj_glob_last_literals(g, &head, &tail));
    inj_glob_free(g);
}

/* Change path a little: replace, drop or add one character, so that it
 * lands just inside or just outside what a glob matches. */
static void mutate(uint64_t *rs, char *path)
{
    size_t n = strlen(path), i = ref_rand(rs) % (n + 1);
    char c = ref_chars[ref_rand(rs) % (sizeof(ref_chars) - 1)];

    switch (ref_rand(rs) % 3) {
    case 0:
        if (i < n && path[i] != '/')
            path[i] = c;
        break;
    case 1:
        if (i < n)
            memmove(path + i, path + i + 1, n - i);
        break;
    default:
        memmove(path + i + 1, path + i, n - i + 1);
        path[i] = c;
        break;
    }
}

/* The last component of path, [*b, *e); empty for "/". */
static void last_comp(const char *path, const char **b, const char **e)
{
    *e = path + strlen(path);
    while (*e > path && (*e)[-1] == '/')
        (*e)--;
    for (*b = *e; *b > path && (*b)[-1] != '/'; (*b)--)
        ;
}

/* What the index relies on: a path g matches has a last component that
 * starts with g's head and ends with its tail. */
static bool last_literals_hold(const struct inj_glob *g, const char *path)
{
    struct inj_glob_lit head, tail;
    const char *b, *e;

    if (!inj_glob_last_literals(g, &head, &tail))
        return true;
    last_comp(path, &b, &e);
    return (size_t)(e - b) >= head.len && (size_t)(e - b) >= tail.len &&
           memcmp(b, head.s, head.len) == 0 &&
           memcmp(e - tail.len, tail.s, tail.len) == 0;
}

/* per glob: its own path, NNEAR near misses and NOTHER pool paths */
enum { NGLOBS = 3000, NPOOL = 200, NNEAR = 6, NOTHER = 8 };
#define NSUBJ (1 + NNEAR + NOTHER)

/* Every generated glob against the path made to match it, near misses of
 * that path and a sample of other globs' paths: glob.c (screens and all)
 * agrees with the reference, so no screen rejects a path the glob matches,
 * and every match keeps the inj_glob_last_literals() promise. */
static void test_path_random(void **state)
{
    static char pool[NPOOL][256];
    uint64_t rs = 20240611;
    unsigned tried = 0, matched = 0, near_matched = 0;

    (void)state;
    for (int i = 0; i < NPOOL; i++) {
        char pat[256];

        ref_gen_pair(&rs, pat, pool[i]);
    }
    for (int i = 0; i < NGLOBS; i++) {
        char pat[256], subj[NSUBJ][300];
        struct inj_glob *g;

        ref_gen_pair(&rs, pat, subj[0]);
        if (inj_glob_compile(pat, INJ_GLOB_PATH, &g) != 0)
            fail_msg("generated glob '%s' refused", pat);
        for (int k = 1; k < 1 + NNEAR; k++) {
            strcpy(subj[k], subj[0]);
            mutate(&rs, subj[k]);
        }
        for (int k = 1 + NNEAR; k < NSUBJ; k++)
            strcpy(subj[k], pool[ref_rand(&rs) % NPOOL]);
        for (int k = 0; k < NSUBJ; k++) {
            bool want = ref_path_match(pat, subj[k]);

            if (inj_glob_match(g, subj[k]) != want)
                fail_msg("'%s' vs '%s': glob.c %d, reference %d", pat, subj[k],
                         !want, want);
            if (want && !last_literals_hold(g, subj[k]))
                fail_msg("'%s' matches '%s' but not its last literals", pat,
                         subj[k]);
            tried++;
            matched += want;
            near_matched += want && k >= 1 && k < 1 + NNEAR;
        }
        inj_glob_free(g);
    }
    /* both outcomes, for near misses too, or the test proves nothing */
    assert_in_range(matched, tried / 10, tried - tried / 10);
    assert_in_range(near_matched, NGLOBS * NNEAR / 10,
                    NGLOBS * NNEAR - NGLOBS * NNEAR / 10);
}

/* The same for comm globs, whose one component is the whole name. */
static void test_comm_random(void **state)
{
    uint64_t rs = 77;
    unsigned tried = 0, matched = 0;

    (void)state;
    for (int i = 0; i < NGLOBS; i++) {
        char pat[256], name[256], *pw = pat, *sw = name;
        struct inj_glob *g;

        ref_gen_comp(&rs, &pw, &sw);
        *pw = '\0';
        *sw = '\0';
        assert_int_equal(inj_glob_compile(pat, INJ_GLOB_COMM, &g), 0);
        for (int k = 0; k < 1 + NNEAR; k++) {
            bool want = ref_comm_match(pat, name);

            if (inj_glob_match(g, name) != want)
                fail_msg("comm '%s' vs '%s': glob.c %d, reference %d", pat,
                         name, !want, want);
            tried++;
            matched += want;
            mutate(&rs, name);
        }
        inj_glob_free(g);
    }
    assert_in_range(matched, tried / 10, tried - tried / 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_table),
        cmocka_unit_test(test_comm_table),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_literal_prefix),
        cmocka_unit_test(test_last_literals),
        cmocka_unit_test(test_last_literals_comm),
        cmocka_unit_test(test_path_random),
        cmocka_unit_test(test_comm_random),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
