/* tests/unit/inject/test_glob.c — path and comm glob tables (unit.inject.glob).
 *
 * Each row is one (pattern, subject, expected) triple; a failure names the
 * row. Includes the '**' edge cases (zero components, runs, backtracking)
 * and the patterns that must be refused at compile time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "glob.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_table),
        cmocka_unit_test(test_comm_table),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_literal_prefix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
