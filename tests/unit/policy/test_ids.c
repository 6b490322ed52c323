/* tests/unit/policy/test_ids.c — rule ids in long texts: every duplicate is
 * refused with the line of the first use, however far apart, and a text of
 * 10,000 rules parses whole.
 *
 * Texts are built here: rule i (1-based line) reads
 *   all:path=/nomatch/d<i>/<two stars>:error=EIO:id=<id of line i>
 * so the id token always starts at a column the row can compute.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/policy.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A growing text buffer; tests abort on ENOMEM. */
struct text {
    char *s;
    size_t len, cap;
};

static void text_addf(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void text_addf(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->cap - t->len < 256) {
        t->cap = t->cap ? 2 * t->cap : 4096;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    va_start(ap, fmt);
    n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < t->cap - t->len);
    t->len += (size_t)n;
}

/* One rule line; returns the 1-based column of the id (0 without one). */
static unsigned add_rule(struct text *t, unsigned i, const char *id)
{
    size_t start = t->len;

    text_addf(t, "all:path=/nomatch/d%u/**:error=EIO", i);
    if (!id) {
        text_addf(t, "\n");
        return 0;
    }
    text_addf(t, ":id=");
    unsigned col = (unsigned)(t->len - start) + 1;
    text_addf(t, "%s\n", id);
    return col;
}

static void test_10000_rules(void **state)
{
    struct text t = {0};
    struct pol_rules rules;
    struct pol_error err;
    char id[32], buf[600];

    for (unsigned i = 1; i <= 10000; i++) {
        snprintf(id, sizeof(id), "n%u", i);
        add_rule(&t, i, id);
    }
    if (pol_parse_text(t.s, t.len, "big.rules", &rules, &err) != 0)
        fail_msg("%s", pol_error_format(&err, buf, sizeof(buf)));
    assert_int_equal(rules.n, 10000);
    static const unsigned probe[] = {1, 2, 999, 5000, 8191, 8192, 9999, 10000};
    for (size_t k = 0; k < N(probe); k++) {
        const struct inj_rule_spec *s = &rules.specs[probe[k] - 1];
        char want[64];

        snprintf(want, sizeof(want), "n%u", probe[k]);
        assert_string_equal(s->id, want);
        snprintf(want, sizeof(want), "big.rules:%u", probe[k]);
        assert_string_equal(s->origin, want);
        snprintf(want, sizeof(want), "/nomatch/d%u/**", probe[k]);
        assert_string_equal(s->path_glob, want);
        assert_int_equal(s->ops, INJ_OP_MASK_ALL);
    }
    pol_rules_clear(&rules);

    /* without ids nothing can clash: the engine numbers them later */
    t.len = 0;
    for (unsigned i = 1; i <= 10000; i++)
        add_rule(&t, 1, NULL);
    assert_int_equal(pol_parse_text(t.s, t.len, "big.rules", &rules, &err), 0);
    assert_int_equal(rules.n, 10000);
    assert_string_equal(rules.specs[9999].id, "");
    pol_rules_clear(&rules);
    free(t.s);
}

/* A text of n rules where rule i has id "<prefix><i>", except that rule
 * dup reuses the id of rule first; a "# c" comment and a blank line come
 * before rule skip (0: none), so from there on rule i is not on line i. */
struct dup_row {
    unsigned n, first, dup, skip;
    const char *prefix;
};

static const struct dup_row dup_rows[] = {
    {2, 1, 2, 0, "x"},         /* adjacent */
    {10000, 1, 10000, 0, "n"}, /* far apart, across many table growths */
    {10000, 9999, 10000, 0, "n"},
    {10000, 5000, 5001, 0, "n"},
    {40, 32, 33, 0, "n"}, /* around the first growth of the id set */
    {40, 1, 34, 0, "n"},
    {10000, 1, 33, 0, ""},       /* numeric-looking ids */
    {10000, 7, 9000, 4000, "n"}, /* comment lines count */
    {300, 150, 151, 0, "a-very-long-prefix-that-shares-most-bytes-"},
};

/* Where the error must point. */
struct dup_want {
    unsigned line, col, first_line;
    char id[96];
};

static void build_dup(const struct dup_row *row, struct text *t,
                      struct dup_want *w)
{
    unsigned line = 0;

    for (unsigned i = 1; i <= row->n; i++) {
        char id[96];
        unsigned col;

        if (i == row->skip) {
            text_addf(t, "# c\n\n");
            line += 2;
        }
        line++;
        if (i == row->first)
            w->first_line = line;
        snprintf(id, sizeof(id), "%s%u", row->prefix,
                 i == row->dup ? row->first : i);
        col = add_rule(t, i, id);
        if (i == row->dup) {
            w->line = line;
            w->col = col;
            snprintf(w->id, sizeof(w->id), "%s", id);
        }
    }
}

static void test_duplicate_ids(void **state)
{
    for (size_t r = 0; r < N(dup_rows); r++) {
        struct text t = {0};
        struct pol_rules rules = {(struct inj_rule_spec *)1, 99};
        struct pol_error err;
        struct dup_want w = {0};
        char msg[160];

        build_dup(&dup_rows[r], &t, &w);
        assert_int_equal(pol_parse_text(t.s, t.len, "d.rules", &rules, &err),
                         -EINVAL);
        snprintf(msg, sizeof(msg), "duplicate id '%s' (first at line %u)", w.id,
                 w.first_line);
        if (err.line != w.line || err.col != w.col ||
            strcmp(err.token, w.id) != 0 || strcmp(err.msg, msg) != 0)
            fail_msg("row %zu: got %u:%u '%s' %s\nwant %u:%u '%s' %s", r,
                     err.line, err.col, err.token, err.msg, w.line, w.col, w.id,
                     msg);
        assert_string_equal(err.file, "d.rules");
        assert_null(rules.specs);
        assert_int_equal(rules.n, 0);
        free(t.s);
    }
}

/* Three uses: the second is refused and names the first. */
static void test_duplicate_names_first_use(void **state)
{
    static const char text[] = "read:hang:id=a\n"
                               "read:hang:id=b\n"
                               "read:hang\n"
                               "read:hang:id=b\n"
                               "read:hang:id=b\n";
    struct pol_rules rules;
    struct pol_error err;
    char buf[600];

    assert_int_equal(pol_parse_text(text, strlen(text), "t", &rules, &err),
                     -EINVAL);
    assert_string_equal(pol_error_format(&err, buf, sizeof(buf)),
                        "t:4:14: duplicate id 'b' (first at line 2) (at 'b')");
}

/* Ids are compared whole: prefixes and case do not clash. */
static void test_similar_ids_differ(void **state)
{
    static const char text[] = "read:hang:id=a\n"
                               "read:hang:id=aa\n"
                               "read:hang:id=A\n"
                               "read:hang:id=a_\n"
                               "read:hang:id=ab\n"
                               "read:hang:id=ba\n";
    struct pol_rules rules;
    struct pol_error err;

    assert_int_equal(pol_parse_text(text, strlen(text), "t", &rules, &err), 0);
    assert_int_equal(rules.n, 6);
    pol_rules_clear(&rules);
}

/* Through a file: the file's path names both places. */
static void test_duplicate_in_file(void **state)
{
    char path[] = "/tmp/snag-test-ids-XXXXXX";
    int fd = mkstemp(path);
    struct text t = {0};
    struct pol_rules rules;
    struct pol_error err;
    char id[16], want[600], buf[600];
    unsigned col = 0;

    assert_true(fd >= 0);
    for (unsigned i = 1; i <= 2000; i++) {
        snprintf(id, sizeof(id), "n%u", i == 1500 ? 12 : i);
        unsigned c = add_rule(&t, i, id);
        if (i == 1500)
            col = c;
    }
    assert_int_equal(write(fd, t.s, t.len), (ssize_t)t.len);
    close(fd);
    assert_int_equal(pol_parse_file(path, &rules, &err), -EINVAL);
    snprintf(want, sizeof(want),
             "%s:1500:%u: duplicate id 'n12' (first at line 12) (at 'n12')",
             path, col);
    assert_string_equal(pol_error_format(&err, buf, sizeof(buf)), want);
    assert_null(rules.specs);
    unlink(path);
    free(t.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_10000_rules),
        cmocka_unit_test(test_duplicate_ids),
        cmocka_unit_test(test_duplicate_names_first_use),
        cmocka_unit_test(test_similar_ids_differ),
        cmocka_unit_test(test_duplicate_in_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
