/* tests/unit/ctl/test_rules.c — ctl_rules_load(): ids unique across every
 * source and the control-added rules, and which rules a reload keeps.
 *
 * Sources are temporary files and -r rules; a "control" rule is made as
 * cmd_add makes one (origin "<control>:1") and published directly.
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

#include "ctl.h"
#include "policy/policy.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_FILES 4

struct fx {
    struct inj_engine *e;
    char path[MAX_FILES][64];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->e = inj_engine_new(1);
    assert_non_null(f->e);
    for (int i = 0; i < MAX_FILES; i++) {
        snprintf(f->path[i], sizeof(f->path[i]), "/tmp/snag-test-rules-XXXXXX");
        int fd = mkstemp(f->path[i]);
        assert_true(fd >= 0);
        close(fd);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    for (int i = 0; i < MAX_FILES; i++)
        unlink(f->path[i]);
    inj_engine_free(f->e);
    free(f);
    return 0;
}

static void put_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* n_rules lines "read:path=/d<i>/x:error=EIO:id=<prefix><i>" (i from 1). */
static void put_many(const char *path, unsigned n_rules, const char *prefix)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    for (unsigned i = 1; i <= n_rules; i++)
        fprintf(fp, "read:path=/d%u/x:error=EIO:id=%s%u\n", i, prefix, i);
    assert_int_equal(fclose(fp), 0);
}

static int load(struct fx *f, const struct ctl_source *src, size_t n,
                bool keep_control, char *msg, size_t msgsize)
{
    uint64_t gen;
    size_t nr;

    return ctl_rules_load(f->e, src, n, keep_control, &gen, &nr, msg, msgsize);
}

/* The current set: the caller puts it with put_set(). */
static struct inj_rule **snap(struct fx *f, size_t *n)
{
    struct inj_rule **r = NULL;

    assert_int_equal(inj_engine_snapshot(f->e, &r, n, NULL), 0);
    return r;
}

static void put_set(struct inj_rule **r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        inj_rule_put(r[i]);
    free(r);
}

/* Publish the current set plus one rule parsed as `snagctl add` does. */
static void add_control(struct fx *f, const char *text)
{
    struct inj_rule_spec spec;
    struct pol_error perr;
    struct inj_rule *rule, **all;
    size_t n;

    assert_int_equal(pol_parse_rule(text, "<control>", 1, &spec, &perr), 0);
    assert_int_equal(inj_rule_new(f->e, &spec, &rule), 0);
    inj_rule_spec_clear(&spec);
    struct inj_rule **old = snap(f, &n);
    all = calloc(n + 1, sizeof(*all));
    assert_non_null(all);
    memcpy(all, old, n * sizeof(*all));
    all[n] = rule;
    assert_int_equal(inj_engine_replace(f->e, all, n + 1, NULL), 0);
    free(all);
    inj_rule_put(rule);
    put_set(old, n);
}

/* Ids clashing across sources: the message names both places, and the set
 * is left as it was. */
static void test_clash_across_sources(void **state)
{
    struct fx *f = *state;
    char msg[1024], want[1024];

    put_file(f->path[0], "read:error=EIO:id=a\nwrite:error=EIO:id=shared\n");
    put_file(f->path[1], "# other\nfsync:error=EIO:id=b\n"
                         "fsync:error=EIO:id=shared\n");
    const struct ctl_source two[] = {{CTL_SRC_FILE, f->path[0]},
                                     {CTL_SRC_FILE, f->path[1]}};
    assert_int_equal(load(f, two, 2, false, msg, sizeof(msg)), -EEXIST);
    snprintf(want, sizeof(want),
             "%s:3: rule id 'shared' is already used at %s:2", f->path[1],
             f->path[0]);
    assert_string_equal(msg, want);
    assert_int_equal(inj_engine_generation(f->e), 0);

    /* a -r rule against a file */
    const struct ctl_source rule_file[] = {{CTL_SRC_FILE, f->path[0]},
                                           {CTL_SRC_RULE, "read:hang:id=a"}};
    assert_int_equal(load(f, rule_file, 2, false, msg, sizeof(msg)), -EEXIST);
    snprintf(want, sizeof(want),
             "<rule>:2: rule id 'a' is already used at %s:1", f->path[0]);
    assert_string_equal(msg, want);

    /* the same file twice: its first id is the first clash */
    const struct ctl_source again[] = {{CTL_SRC_FILE, f->path[0]},
                                       {CTL_SRC_FILE, f->path[0]}};
    assert_int_equal(load(f, again, 2, false, msg, sizeof(msg)), -EEXIST);
    snprintf(want, sizeof(want), "%s:1: rule id 'a' is already used at %s:1",
             f->path[0], f->path[0]);
    assert_string_equal(msg, want);
    assert_int_equal(inj_engine_generation(f->e), 0);
}

/* Several clashes: named is the pair (i, j) with the earliest first rule i,
 * then the earliest j, whatever order the clashes are met in. */
static void test_clash_named_first_pair(void **state)
{
    struct fx *f = *state;
    char msg[1024];

    /* ids in load order: x y y x x */
    const struct ctl_source src[] = {{CTL_SRC_RULE, "read:hang:id=x"},
                                     {CTL_SRC_RULE, "read:hang:id=y"},
                                     {CTL_SRC_RULE, "write:hang:id=y"},
                                     {CTL_SRC_RULE, "write:hang:id=x"},
                                     {CTL_SRC_RULE, "fsync:hang:id=x"}};
    assert_int_equal(load(f, src, N(src), false, msg, sizeof(msg)), -EEXIST);
    assert_string_equal(msg, "<rule>:4: rule id 'x' is already used at "
                             "<rule>:1");
}

/* 10,000 rules in one file and 10,000 in another: loads; then one id of the
 * second file taken from the first is named. */
static void test_clash_in_large_sets(void **state)
{
    struct fx *f = *state;
    char msg[1024], want[1024];
    uint64_t gen;
    size_t nr = 0;

    put_many(f->path[0], 10000, "a");
    put_many(f->path[1], 10000, "b");
    const struct ctl_source src[] = {{CTL_SRC_FILE, f->path[0]},
                                     {CTL_SRC_FILE, f->path[1]}};
    assert_int_equal(
        ctl_rules_load(f->e, src, 2, false, &gen, &nr, msg, sizeof(msg)), 0);
    assert_int_equal(nr, 20000);
    FILE *fp = fopen(f->path[1], "a");
    assert_non_null(fp);
    fputs("read:error=EIO:id=a7777\n", fp);
    fclose(fp);
    assert_int_equal(load(f, src, 2, true, msg, sizeof(msg)), -EEXIST);
    snprintf(want, sizeof(want),
             "%s:10001: rule id 'a7777' is already used at %s:7777", f->path[1],
             f->path[0]);
    assert_string_equal(msg, want);
    assert_int_equal(inj_engine_generation(f->e), gen);
}

/* A rule added through the control socket keeps its id on reload: a file
 * taking it is refused, the control rule named second (it comes last). */
static void test_clash_with_control_rule(void **state)
{
    struct fx *f = *state;
    char msg[1024], want[1024];

    put_file(f->path[0], "read:error=EIO:id=one\n");
    const struct ctl_source src[] = {{CTL_SRC_FILE, f->path[0]}};
    assert_int_equal(load(f, src, 1, false, msg, sizeof(msg)), 0);
    add_control(f, "write:error=EIO:id=mine");
    put_file(f->path[0], "read:error=EIO:id=one\nfsync:error=EIO:id=mine\n");
    assert_int_equal(load(f, src, 1, true, msg, sizeof(msg)), -EEXIST);
    snprintf(want, sizeof(want),
             "<control>:1: rule id 'mine' is already used at %s:2", f->path[0]);
    assert_string_equal(msg, want);
    /* without keep_control (startup) the control rule is gone: no clash */
    assert_int_equal(load(f, src, 1, false, msg, sizeof(msg)), 0);
}

/* Unchanged rules keep their compiled instance (and counters); changed
 * ones are compiled anew; control rules stay after the sources' rules. */
static void test_reload_keeps_unchanged(void **state)
{
    struct fx *f = *state;
    char msg[1024];
    size_t n0, n1;

    put_many(f->path[0], 3000, "k");
    const struct ctl_source src[] = {{CTL_SRC_FILE, f->path[0]}};
    assert_int_equal(load(f, src, 1, false, msg, sizeof(msg)), 0);
    add_control(f, "write:hang");
    add_control(f, "write:hang"); /* same text twice: ids r1, r2 */
    struct inj_rule **before = snap(f, &n0);
    assert_int_equal(n0, 3002);

    assert_int_equal(load(f, src, 1, true, msg, sizeof(msg)), 0);
    struct inj_rule **after = snap(f, &n1);
    assert_int_equal(n1, 3002);
    for (size_t i = 0; i < n1; i++)
        assert_ptr_equal(before[i], after[i]);
    put_set(after, n1);

    /* rewrite the file with rule 1500 changed */
    FILE *fp = fopen(f->path[0], "w");
    assert_non_null(fp);
    for (unsigned i = 1; i <= 3000; i++)
        fprintf(fp, "read:path=/d%u/x:error=EIO:id=k%u%s\n", i, i,
                i == 1500 ? ":prob=1" : "");
    fclose(fp);
    assert_int_equal(load(f, src, 1, true, msg, sizeof(msg)), 0);
    after = snap(f, &n1);
    assert_int_equal(n1, 3002);
    for (size_t i = 0; i < n1; i++) {
        if (i == 1499)
            assert_ptr_not_equal(before[i], after[i]);
        else
            assert_ptr_equal(before[i], after[i]);
    }
    assert_string_equal(inj_rule_id(after[1499]), "k1500");
    assert_string_equal(inj_rule_id(after[3000]), "r1");
    assert_string_equal(inj_rule_id(after[3001]), "r2");
    put_set(after, n1);
    put_set(before, n0);
}

/* One id-less file listed twice: both copies (same origin, same text) are
 * kept, each by its own instance, in order. */
static void test_reload_same_file_twice(void **state)
{
    struct fx *f = *state;
    char msg[1024];
    size_t n0, n1;

    put_file(f->path[0], "read:error=EIO\nwrite:error=EIO\n");
    const struct ctl_source src[] = {{CTL_SRC_FILE, f->path[0]},
                                     {CTL_SRC_FILE, f->path[0]}};
    assert_int_equal(load(f, src, 2, false, msg, sizeof(msg)), 0);
    struct inj_rule **before = snap(f, &n0);
    assert_int_equal(n0, 4);
    assert_int_equal(load(f, src, 2, true, msg, sizeof(msg)), 0);
    struct inj_rule **after = snap(f, &n1);
    assert_int_equal(n1, 4);
    for (size_t i = 0; i < n1; i++)
        assert_ptr_equal(before[i], after[i]);
    put_set(after, n1);

    /* one copy fewer: the first two are kept, the last two dropped */
    assert_int_equal(load(f, src, 1, true, msg, sizeof(msg)), 0);
    after = snap(f, &n1);
    assert_int_equal(n1, 2);
    assert_ptr_equal(before[0], after[0]);
    assert_ptr_equal(before[1], after[1]);
    put_set(after, n1);
    put_set(before, n0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_clash_across_sources, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_clash_named_first_pair, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_clash_in_large_sets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_clash_with_control_rule, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reload_keeps_unchanged, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reload_same_file_twice, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
