/* tests/unit/ctl/test_replay.c — trace loading errors and (op, path,
 * occurrence) lookup (unit.ctl.replay).
 *
 * Proves a trace written by ctl_trace_record() loads back to the same
 * verdicts at the same occurrences, that other occurrences and other
 * (op, path) pairs pass, that unused faults are reported, and that bad
 * traces are refused with file:line:col and a precise message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "replay.h"
#include "trace.h"

#define L(op, path, occ, rest)                                                 \
    "{\"op\":\"" op "\",\"path\":" path ",\"occurrence\":" #occ rest "}\n"
#define EIO_REST ",\"action\":\"error\",\"err\":5"

static void test_round_trip(void **state)
{
    (void)state;
    char path[] = "/tmp/ctl_replay_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ctl_trace *t;
    assert_int_equal(ctl_trace_open(path, &t), 0);
    /* Record: fsync of /a fails on occurrences 2 and 4; read of a weird
     * path gets a short+corrupt verdict on its 1st. */
    const char *weird = "/d\xff/\"q\"\n";
    for (int i = 1; i <= 5; i++) {
        uint64_t occ = ctl_trace_occurrence(t, INJ_OP_FSYNC, "/a");
        assert_int_equal(occ, (uint64_t)i);
        if (i % 2)
            continue;
        struct inj_verdict v = {.actions = INJ_ACT_ERROR,
                                .err = EIO,
                                .match_no = (uint64_t)i / 2,
                                .generation = 3};
        snprintf(v.rule_id, sizeof(v.rule_id), "r1");
        struct ctl_trace_event ev = {
            .op = INJ_OP_FSYNC, .path = "/a", .occurrence = occ, .v = &v};
        assert_int_equal(ctl_trace_record(t, &ev), 0);
    }
    struct inj_verdict v2 = {.actions = INJ_ACT_SHORT | INJ_ACT_CORRUPT,
                             .short_len = 10,
                             .corrupt = INJ_CORRUPT_FLIP,
                             .stream = 99,
                             .match_no = 1};
    struct ctl_trace_event ev2 = {
        .op = INJ_OP_READ,
        .path = weird,
        .occurrence = ctl_trace_occurrence(t, INJ_OP_READ, weird),
        .v = &v2};
    assert_int_equal(ctl_trace_record(t, &ev2), 0);
    ctl_trace_close(t);

    struct ctl_replay *r;
    char err[256];
    assert_int_equal(ctl_replay_load(path, &r, err, sizeof(err)), 0);
    assert_int_equal(ctl_replay_size(r), 3);
    assert_true(ctl_replay_wants(r, INJ_OP_FSYNC));
    assert_true(ctl_replay_wants(r, INJ_OP_READ));
    assert_false(ctl_replay_wants(r, INJ_OP_WRITE));
    assert_false(ctl_replay_wants(NULL, INJ_OP_READ));
    struct inj_verdict got;
    assert_false(ctl_replay_lookup(r, INJ_OP_FSYNC, "/a", &got)); /* 1 */
    assert_true(ctl_replay_lookup(r, INJ_OP_FSYNC, "/a", &got));  /* 2 */
    assert_int_equal(got.actions, INJ_ACT_ERROR);
    assert_int_equal(got.err, EIO);
    assert_string_equal(got.rule_id, "r1");
    assert_int_equal(got.generation, 3);
    assert_false(ctl_replay_lookup(r, INJ_OP_FSYNC, "/b", &got));
    assert_false(ctl_replay_lookup(r, INJ_OP_READ, "/a", &got));
    assert_false(ctl_replay_lookup(r, INJ_OP_FSYNC, "/a", &got)); /* 3 */
    assert_int_equal(ctl_replay_unused(r), 2);
    assert_true(ctl_replay_lookup(r, INJ_OP_READ, weird, &got));
    assert_int_equal(got.actions, INJ_ACT_SHORT | INJ_ACT_CORRUPT);
    assert_int_equal(got.short_len, 10);
    assert_int_equal(got.corrupt, INJ_CORRUPT_FLIP);
    assert_int_equal(got.stream, 99);
    assert_false(ctl_replay_lookup(r, INJ_OP_READ, weird, &got));

    /* Occurrence 4 of fsync /a never came. */
    char *report = NULL;
    size_t rlen = 0;
    FILE *mem = open_memstream(&report, &rlen);
    assert_int_equal(ctl_replay_report_unused(r, mem), 1);
    fclose(mem);
    assert_non_null(strstr(report, ":2: fsync \"/a\" occurrence 4 was never "
                                   "reached (saw 3)"));
    free(report);
    ctl_replay_free(r);
    unlink(path);
}

struct bad_trace {
    const char *text;
    const char *err; /* expected prefix of the message */
};

static void test_load_errors(void **state)
{
    (void)state;
    static const struct bad_trace bad[] = {
        {L("read", "\"/a\"", 1, EIO_REST) "{\"op\":\"read\"",
         "t:2:13: truncated line (no newline at end of file)"},
        {"{\"op\":\"read\",\"path\":\"/a\"\n",
         "t:1:25: malformed JSON: unterminated object"},
        {"not json\n", "t:1:1: malformed JSON: expected '{'"},
        {"\n{\"op\":\"read\",\"path\":\"/a\",,}\n",
         "t:2:26: malformed JSON: expected a key string"},
        {L("reed", "\"/a\"", 1, EIO_REST), "t:1:7: unknown op reed"},
        {"{\"path\":\"/a\",\"occurrence\":1}\n",
         "t:1:1: expected a string field \"op\""},
        {"{\"op\":1,\"path\":\"/a\"}\n", "t:1:7: expected a string field"},
        {"{\"op\":\"read\",\"occurrence\":1}\n",
         "t:1:1: expected a string or null field \"path\""},
        {"{\"op\":\"read\",\"path\":7,\"occurrence\":1}\n",
         "t:1:21: expected a string or null field \"path\""},
        {"{\"op\":\"read\",\"path\":\"/a\",\"action\":\"error\",\"err\":5}\n",
         "t:1:1: missing field \"occurrence\""},
        {L("read", "\"/a\"", 0, EIO_REST),
         "t:1:39: occurrence numbers start at 1"},
        {"{\"op\":\"read\",\"path\":\"/a\",\"occurrence\":-1}\n",
         "t:1:39: expected an unsigned integer for \"occurrence\""},
        {L("read", "\"/a\"", 1, ""), "t:1:1: expected \"action\""},
        {L("read", "\"/a\"", 1, ",\"action\":\"boom\",\"err\":5"),
         "t:1:50: expected \"action\""},
        {L("read", "\"/a\"", 1, ",\"action\":\"pass\""),
         "t:1:50: expected \"action\""},
        {L("read", "\"/a\"", 1, ",\"action\":\"error\""),
         "t:1:50: action error needs a positive \"err\""},
        {L("read", "\"/a\"", 1, ",\"action\":\"error\",\"err\":99999"),
         "t:1:64: errno out of range"},
        {L("read", "\"/a\"", 1, EIO_REST ",\"corrupt\":\"melt\""),
         "t:1:76: expected \"corrupt\""},
        {L("read", "\"/a\"", 1, EIO_REST ",\"delay_ns\":\"5\""),
         "t:1:77: expected an unsigned integer for \"delay_ns\""},
        {L("read", "\"/a\"", 1, EIO_REST ",\"rule\":5"),
         "t:1:73: expected a string for \"rule\""},
        {L("read", "\"/a\\u0000b\"", 1, EIO_REST), "t:1:21: NUL byte in"},
        {L("read", "\"/a\"", 2, EIO_REST) "\n" L("read", "\"/a\"", 2, EIO_REST),
         "t:3:1: fault recorded twice for occurrence 2 of read"},
        {"{\"op\":\"read\",\"op\":\"write\"}\n",
         "t:1:14: malformed JSON: duplicate key"},
        {"\x00\x01\n", "t:1:1: malformed JSON: expected '{'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ctl_replay *r = NULL;
        char err[256] = "";
        size_t len = strlen(bad[i].text);
        if (bad[i].text[0] == '\0')
            len = 3; /* the binary row */
        int rc =
            ctl_replay_load_text(bad[i].text, len, "t", &r, err, sizeof(err));
        if (rc != -EINVAL || strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
            fail_msg("row %zu: rc %d '%s', want '%s'", i, rc, err, bad[i].err);
        assert_null(r);
    }
    /* Empty file and blank lines are fine; null path keys as "". */
    struct ctl_replay *r;
    char err[256];
    const char *ok = "\n" L("getattr", "null", 1, EIO_REST);
    assert_int_equal(
        ctl_replay_load_text(ok, strlen(ok), "t", &r, err, sizeof(err)), 0);
    struct inj_verdict v;
    assert_true(ctl_replay_lookup(r, INJ_OP_GETATTR, NULL, &v));
    ctl_replay_free(r);
    assert_int_equal(ctl_replay_load_text("", 0, "t", &r, err, sizeof(err)), 0);
    assert_int_equal(ctl_replay_size(r), 0);
    ctl_replay_free(r);
    assert_int_equal(ctl_replay_load("/nonexistent", &r, err, sizeof(err)),
                     -ENOENT);
    assert_non_null(strstr(err, "/nonexistent: No such file"));
}

static struct ctl_replay *shared;

static void *looker(void *p)
{
    (void)p;
    struct inj_verdict v;
    int hits = 0;
    for (int i = 0; i < 1000; i++)
        hits += ctl_replay_lookup(shared, INJ_OP_WRITE, "/w", &v);
    return (void *)(intptr_t)hits;
}

static void test_concurrent_lookup(void **state)
{
    (void)state;
    /* Faults at occurrences 1..100 of write /w; 4 threads × 1000 lookups
     * must hand each out exactly once. */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    for (int i = 1; i <= 100; i++)
        fprintf(mem,
                "{\"op\":\"write\",\"path\":\"/w\",\"occurrence\":%d,"
                "\"action\":\"error\",\"err\":28}\n",
                i * 7);
    fclose(mem);
    char err[256];
    assert_int_equal(
        ctl_replay_load_text(text, len, "t", &shared, err, sizeof(err)), 0);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, looker, NULL);
    intptr_t total = 0;
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        total += (intptr_t)ret;
    }
    assert_int_equal(total, 100);
    assert_int_equal(ctl_replay_unused(shared), 0);
    assert_int_equal(ctl_replay_report_unused(shared, NULL), 0);
    ctl_replay_free(shared);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_concurrent_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
