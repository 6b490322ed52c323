/* tests/fuzz/fuzz_rules.c — fuzz pol_parse_text() and check what it returns.
 *
 * Built two ways: with clang and -fsanitize=fuzzer as the libFuzzer target
 * fuzz_rules, and with any compiler plus replay.c as a plain program that
 * replays the corpus (ctest unit.policy.fuzz_corpus). Beyond "no crash",
 * every input checks the parser's contract: a parsed spec is valid and
 * re-parses from its own text to the same spec; an error has a line, a
 * column, a bounded token and a message; a one-line input gives the same
 * answer through pol_parse_rule().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Not assert(): release builds define NDEBUG. */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            abort();                                                           \
        }                                                                      \
    } while (0)

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_spec(const struct inj_rule_spec *s)
{
    CHECK(s->ops != 0 && (s->ops & ~INJ_OP_MASK_ALL) == 0);
    CHECK(s->actions != 0 && (s->actions & ~0x3fu) == 0);
    CHECK(!!(s->actions & INJ_ACT_ERROR) == (s->n_errnos > 0));
    CHECK(s->n_errnos <= INJ_MAX_ERRNOS);
    for (unsigned i = 0; i < s->n_errnos; i++)
        CHECK(s->errnos[i] >= 1 && s->errnos[i] <= 4095);
    if (s->has_when)
        CHECK(s->when_first >= 1 && s->when_last >= s->when_first &&
              s->when_step >= 1);
    if (s->has_prob)
        CHECK(s->prob >= 0.0 && s->prob <= 1.0);
    if (s->has_offset)
        CHECK(s->offset.lo <= s->offset.hi);
    if (s->has_size)
        CHECK(s->size.lo <= s->size.hi);
    if (s->actions & INJ_ACT_DELAY)
        CHECK(s->delay_min_ns <= s->delay_max_ns && s->delay_max_ns > 0);
    if (s->short_is_pct)
        CHECK(s->short_pct < 100);
    CHECK(!!(s->actions & INJ_ACT_CORRUPT) == (s->corrupt != INJ_CORRUPT_NONE));
    CHECK(!(s->actions & INJ_ACT_LIE) ||
          !(s->actions &
            (INJ_ACT_ERROR | INJ_ACT_SHORT | INJ_ACT_CORRUPT | INJ_ACT_HANG)));
    CHECK(!s->has_flags || s->flags_accmode >= -1);
    CHECK(!s->path_glob || s->path_glob[0] == '/');
    CHECK(memchr(s->id, '\0', sizeof(s->id)) != NULL);
    CHECK(s->origin && s->text && s->text[0]);
}

/* The spec parsed again from its own text is the same spec. */
static void check_round_trip(const struct inj_rule_spec *s)
{
    struct inj_rule_spec again, a, b;
    struct pol_error err;

    CHECK(pol_parse_rule(s->text, "<rt>", 1, &again, &err) == 0);
    CHECK(str_eq(s->path_glob, again.path_glob));
    CHECK(str_eq(s->comm_glob, again.comm_glob));
    CHECK(str_eq(s->text, again.text));
    a = *s;
    b = again;
    a.path_glob = a.comm_glob = a.origin = a.text = NULL;
    b.path_glob = b.comm_glob = b.origin = b.text = NULL;
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    inj_rule_spec_clear(&again);
}

static void check_error(const struct pol_error *err, size_t size)
{
    char buf[700];

    CHECK(err->line >= 1 && err->col >= 1);
    CHECK(err->col <= size + 1);
    CHECK(memchr(err->file, '\0', sizeof(err->file)) != NULL);
    CHECK(memchr(err->token, '\0', sizeof(err->token)) != NULL);
    CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL && err->msg[0]);
    pol_error_format(err, buf, sizeof(buf));
    CHECK(strlen(buf) < sizeof(buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct pol_rules rules;
    struct pol_error err;
    int rc;

    rc = pol_parse_text(text, size, "<fuzz>", &rules, &err);
    CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
    if (rc == 0) {
        for (size_t i = 0; i < rules.n; i++) {
            check_spec(&rules.specs[i]);
            check_round_trip(&rules.specs[i]);
            for (size_t j = 0; j < i; j++)
                CHECK(!rules.specs[i].id[0] ||
                      strcmp(rules.specs[i].id, rules.specs[j].id) != 0);
        }
    } else if (rc == -EINVAL) {
        CHECK(rules.specs == NULL && rules.n == 0);
        check_error(&err, size);
    }

    /* one line without NULs: pol_parse_rule() agrees */
    if (size < 4096 && !memchr(data, '\n', size) && !memchr(data, '\0', size)) {
        char *line = malloc(size + 1);
        struct inj_rule_spec spec;
        struct pol_error err1;
        int rc1;

        if (!line)
            goto out;
        memcpy(line, data, size);
        line[size] = '\0';
        rc1 = pol_parse_rule(line, "<fuzz>", 1, &spec, &err1);
        if (rc == 0 && rules.n == 1) {
            CHECK(rc1 == 0);
            check_round_trip(&spec);
            inj_rule_spec_clear(&spec);
        } else if (rc == -EINVAL) {
            CHECK(rc1 == -EINVAL);
            CHECK(err1.line == err.line && err1.col == err.col);
            CHECK(strcmp(err1.token, err.token) == 0);
            CHECK(strcmp(err1.msg, err.msg) == 0);
        } else if (rc == 0 && rules.n == 0) {
            CHECK(rc1 == -EINVAL); /* blank: "empty rule" */
        }
        free(line);
    }
out:
    pol_rules_clear(&rules);
    return 0;
}
