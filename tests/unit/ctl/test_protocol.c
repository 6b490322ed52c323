/* tests/unit/ctl/test_protocol.c — the snagctl/1 request parser, as a table
 * (unit.ctl.protocol).
 *
 * Good rows check every field the parser fills; bad rows check the errno,
 * the 1-based column and a fragment of the message, so an error that moves
 * or loses its precision fails here. Also: durations and integers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "protocol.h"

struct good {
    const char *line;
    enum ctl_cmd cmd;
    const char *rule; /* add */
    const char *id;   /* del, wait, release */
    uint64_t count;
    int has_timeout;
    uint64_t timeout_ns;
    enum ctl_stats_fmt fmt;
};

#define P "snagctl/1 "
static const struct good goods[] = {
    {.line = P "version", .cmd = CTL_CMD_VERSION},
    {.line = P "help", .cmd = CTL_CMD_HELP},
    {.line = P "list", .cmd = CTL_CMD_LIST},
    {.line = P "clear", .cmd = CTL_CMD_CLEAR},
    {.line = P "reload", .cmd = CTL_CMD_RELOAD},
    {.line = P "generation", .cmd = CTL_CMD_GENERATION},
    {.line = P "trace", .cmd = CTL_CMD_TRACE},
    {.line = P "list\r", .cmd = CTL_CMD_LIST},
    {.line = "  snagctl/1   list  ", .cmd = CTL_CMD_LIST},
    {.line = "snagctl/1\tlist", .cmd = CTL_CMD_LIST},
    {.line = P "stats", .cmd = CTL_CMD_STATS, .fmt = CTL_STATS_TEXT},
    {.line = P "stats text", .cmd = CTL_CMD_STATS, .fmt = CTL_STATS_TEXT},
    {.line = P "stats json", .cmd = CTL_CMD_STATS, .fmt = CTL_STATS_JSON},
    {.line = P "stats prometheus",
     .cmd = CTL_CMD_STATS,
     .fmt = CTL_STATS_PROMETHEUS},
    {.line = P "stats  prometheus ",
     .cmd = CTL_CMD_STATS,
     .fmt = CTL_STATS_PROMETHEUS},
    {.line = P "add read:error=EIO",
     .cmd = CTL_CMD_ADD,
     .rule = "read:error=EIO"},
    {.line = P "add   read:error=EIO  ",
     .cmd = CTL_CMD_ADD,
     .rule = "read:error=EIO"},
    {.line = P "add write:path=/my dir/*:error=ENOSPC",
     .cmd = CTL_CMD_ADD,
     .rule = "write:path=/my dir/*:error=ENOSPC"},
    {.line = P "add x", .cmd = CTL_CMD_ADD, .rule = "x"},
    {.line = P "add \xc3\xa9t\xc3\xa9",
     .cmd = CTL_CMD_ADD,
     .rule = "\xc3\xa9t\xc3\xa9"},
    {.line = P "add \xff\xfe", .cmd = CTL_CMD_ADD, .rule = "\xff\xfe"},
    {.line = P "add read:error=EIO\r",
     .cmd = CTL_CMD_ADD,
     .rule = "read:error=EIO"},
    {.line = P "del r1", .cmd = CTL_CMD_DEL, .id = "r1"},
    {.line = P "del  wal-fsync ", .cmd = CTL_CMD_DEL, .id = "wal-fsync"},
    {.line = P "release r7", .cmd = CTL_CMD_RELEASE, .id = "r7"},
    {.line = P "wait r1 3", .cmd = CTL_CMD_WAIT, .id = "r1", .count = 3},
    {.line = P "wait r1 0", .cmd = CTL_CMD_WAIT, .id = "r1", .count = 0},
    {.line = P "wait r1 18446744073709551615",
     .cmd = CTL_CMD_WAIT,
     .id = "r1",
     .count = UINT64_MAX},
    {.line = P "wait r1 3 timeout=5s",
     .cmd = CTL_CMD_WAIT,
     .id = "r1",
     .count = 3,
     .has_timeout = 1,
     .timeout_ns = 5000000000ull},
    {.line = P "wait r1 3 timeout=250ms",
     .cmd = CTL_CMD_WAIT,
     .id = "r1",
     .count = 3,
     .has_timeout = 1,
     .timeout_ns = 250000000ull},
    {.line = P "wait r1 3 timeout=7",
     .cmd = CTL_CMD_WAIT,
     .id = "r1",
     .count = 3,
     .has_timeout = 1,
     .timeout_ns = 7000000000ull},
    {.line = P "wait r1 3 timeout=2m",
     .cmd = CTL_CMD_WAIT,
     .id = "r1",
     .count = 3,
     .has_timeout = 1,
     .timeout_ns = 120000000000ull},
    {.line = P "wait r1 3 timeout=1h",
     .cmd = CTL_CMD_WAIT,
     .id = "r1",
     .count = 3,
     .has_timeout = 1,
     .timeout_ns = 3600000000000ull},
    {.line = P "wait r1 3 timeout=10us",
     .cmd = CTL_CMD_WAIT,
     .id = "r1",
     .count = 3,
     .has_timeout = 1,
     .timeout_ns = 10000ull},
    {.line = P "wait r1 3 timeout=0",
     .cmd = CTL_CMD_WAIT,
     .id = "r1",
     .count = 3,
     .has_timeout = 1,
     .timeout_ns = 0},
    {.line = P "wait r1 3 timeout=9ns",
     .cmd = CTL_CMD_WAIT,
     .id = "r1",
     .count = 3,
     .has_timeout = 1,
     .timeout_ns = 9},
    {.line = P
     "del 012345678901234567890123456789012345678901234567890123456789012",
     .cmd = CTL_CMD_DEL,
     .id = "012345678901234567890123456789012345678901234567890"
           "123456789012"},
};

struct bad {
    const char *line;
    size_t len; /* 0: strlen(line) */
    int err;
    size_t col;
    const char *msg; /* a fragment */
};

static const struct bad bads[] = {
    {"", 0, EINVAL, 1, "empty request"},
    {"   ", 0, EINVAL, 1, "empty request"},
    {"list", 0, EPROTO, 1, "must start with 'snagctl/1'"},
    {"SNAGCTL/1 list", 0, EPROTO, 1, "must start"},
    {"snagctl/1x list", 0, EPROTO, 1, "must start"},
    {"snagctl/2 list", 0, EPROTONOSUPPORT, 1, "unsupported protocol version"},
    {"snagctl/10 list", 0, EPROTONOSUPPORT, 1, "unsupported"},
    {"snagctl/ list", 0, EPROTO, 1, "must start"},
    {"snagctl/1", 0, EINVAL, 10, "missing command"},
    {"snagctl/1 ", 0, EINVAL, 11, "missing command"},
    {P "lst", 0, EINVAL, 11, "unknown command"},
    {P "LIST", 0, EINVAL, 11, "unknown command"},
    {P "list extra", 0, EINVAL, 16, "unexpected argument for 'list'"},
    {P "clear all", 0, EINVAL, 17, "unexpected argument for 'clear'"},
    {P "version 2", 0, EINVAL, 19, "unexpected argument"},
    {P "generation x", 0, EINVAL, 22, "unexpected argument"},
    {P "reload now", 0, EINVAL, 18, "unexpected argument"},
    {P "trace on", 0, EINVAL, 17, "unexpected argument"},
    {P "help me", 0, EINVAL, 16, "unexpected argument"},
    {P "add", 0, EINVAL, 14, "needs a rule"},
    {P "add   ", 0, EINVAL, 17, "needs a rule"},
    {P "del", 0, EINVAL, 14, "'del' needs a rule id"},
    {P "del r1 r2", 0, EINVAL, 18, "unexpected argument for 'del'"},
    {P "release", 0, EINVAL, 18, "'release' needs a rule id"},
    {P "release a b", 0, EINVAL, 21, "unexpected argument"},
    {P "del 0123456789012345678901234567890123456789012345678901234567890123",
     0, EINVAL, 15, "longer than 63"},
    {P "wait", 0, EINVAL, 15, "needs a rule id and a count"},
    {P "wait r1", 0, EINVAL, 18, "needs a count"},
    {P "wait r1 x", 0, EINVAL, 19, "decimal integer"},
    {P "wait r1 -1", 0, EINVAL, 19, "decimal integer"},
    {P "wait r1 +1", 0, EINVAL, 19, "decimal integer"},
    {P "wait r1 01", 0, EINVAL, 19, "decimal integer"},
    {P "wait r1 1.5", 0, EINVAL, 19, "decimal integer"},
    {P "wait r1 18446744073709551616", 0, EINVAL, 19, "out of range"},
    {P "wait r1 3 5s", 0, EINVAL, 21, "expected timeout=DURATION"},
    {P "wait r1 3 --timeout", 0, EINVAL, 21, "expected timeout="},
    {P "wait r1 3 timeout=", 0, EINVAL, 21, "bad duration"},
    {P "wait r1 3 timeout=5x", 0, EINVAL, 21, "bad duration"},
    {P "wait r1 3 timeout=s", 0, EINVAL, 21, "bad duration"},
    {P "wait r1 3 timeout=-5s", 0, EINVAL, 21, "bad duration"},
    {P "wait r1 3 timeout=1.5s", 0, EINVAL, 21, "bad duration"},
    {P "wait r1 3 timeout=99999999999999999999s", 0, EINVAL, 21,
     "bad duration"},
    {P "wait r1 3 timeout=9999999999h", 0, EINVAL, 21, "bad duration"},
    {P "wait r1 3 timeout=5s extra", 0, EINVAL, 32, "unexpected argument"},
    {P "stats xml", 0, EINVAL, 17, "unknown stats format"},
    {P "stats --json", 0, EINVAL, 17, "unknown stats format"},
    {P "stats json json", 0, EINVAL, 22, "unexpected argument"},
    {P "list\n", 0, EINVAL, 15, "control byte 0x0a"},
    {P "li\x01st", 0, EINVAL, 13, "control byte 0x01"},
    {P "add read:error=EIO\x7f", 0, EINVAL, 29, "control byte 0x7f"},
    {"\x1b[1msnagctl/1 list", 0, EINVAL, 1, "control byte 0x1b"},
    {P "li\0st", 15, EINVAL, 13, "control byte 0x00"},
    {"\0", 1, EINVAL, 1, "control byte 0x00"},
    {P "list\r\r", 0, EINVAL, 15, "control byte 0x0d"},
    {"\r", 0, EINVAL, 1, "empty request"},
    {"\xff\xfe\xfd", 0, EPROTO, 1, "must start"},
    {P "\xc3\xa9", 0, EINVAL, 11, "unknown command"},
    {P "add\x0bx", 0, EINVAL, 14, "control byte 0x0b"},
};

static void test_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
        const struct good *g = &goods[i];
        struct ctl_request rq;
        struct ctl_parse_error err;
        int rc = ctl_request_parse(g->line, strlen(g->line), &rq, &err);
        if (rc != 0)
            fail_msg("row %zu '%s': %d col %zu %s", i, g->line, rc, err.col,
                     err.msg);
        assert_int_equal(rq.cmd, g->cmd);
        if (g->rule) {
            assert_int_equal(rq.rule_len, strlen(g->rule));
            assert_memory_equal(rq.rule, g->rule, rq.rule_len);
        } else {
            assert_null(rq.rule);
        }
        assert_string_equal(rq.id, g->id ? g->id : "");
        assert_int_equal(rq.count, g->count);
        assert_int_equal(rq.has_timeout, g->has_timeout);
        assert_int_equal(rq.timeout_ns, g->timeout_ns);
        if (g->cmd == CTL_CMD_STATS)
            assert_int_equal(rq.fmt, g->fmt);
    }
}

static void test_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        const struct bad *b = &bads[i];
        size_t len = b->len ? b->len : strlen(b->line);
        struct ctl_request rq;
        struct ctl_parse_error err;
        int rc = ctl_request_parse(b->line, len, &rq, &err);
        if (rc != -b->err || err.err != b->err || err.col != b->col ||
            !strstr(err.msg, b->msg))
            fail_msg("row %zu: got %d col %zu '%s' (token '%s'); want %d col "
                     "%zu '%s'",
                     i, rc, err.col, err.msg, err.token, -b->err, b->col,
                     b->msg);
    }
}

static void test_table_size(void **state)
{
    (void)state;
    /* The brief asks for at least 60 rows, with as many bad as good. */
    size_t ng = sizeof(goods) / sizeof(goods[0]);
    size_t nb = sizeof(bads) / sizeof(bads[0]);
    assert_true(ng + nb >= 60);
    assert_true(nb >= ng);
}

static void test_token_and_oversize(void **state)
{
    (void)state;
    struct ctl_request rq;
    struct ctl_parse_error err;
    const char *line = P "frobnicate now";
    assert_int_equal(ctl_request_parse(line, strlen(line), &rq, &err), -EINVAL);
    assert_string_equal(err.token, "frobnicate");
    /* A long token is cut with "..." and stays terminated. */
    char big[300];
    memset(big, 'x', sizeof(big));
    memcpy(big, P, strlen(P));
    assert_int_equal(ctl_request_parse(big, sizeof(big), &rq, &err), -EINVAL);
    assert_int_equal(strlen(err.token), sizeof(err.token) - 1);
    assert_string_equal(err.token + sizeof(err.token) - 4, "...");
    /* Over the line limit: E2BIG without scanning further. */
    static char huge[CTL_LINE_MAX + 10];
    memset(huge, 'a', sizeof(huge));
    assert_int_equal(ctl_request_parse(huge, sizeof(huge), &rq, &err), -E2BIG);
    assert_int_equal(err.err, E2BIG);
}

static void test_durations(void **state)
{
    (void)state;
    uint64_t ns;
    assert_int_equal(ctl_parse_duration("15ms", 4, &ns), 0);
    assert_int_equal(ns, 15000000u);
    assert_int_equal(ctl_parse_duration("3", 1, &ns), 0);
    assert_int_equal(ns, 3000000000u);
    assert_int_equal(ctl_parse_duration("", 0, &ns), -EINVAL);
    assert_int_equal(ctl_parse_duration("ms", 2, &ns), -EINVAL);
    assert_int_equal(ctl_parse_duration("5 s", 3, &ns), -EINVAL);
    assert_int_equal(ctl_parse_duration("5S", 2, &ns), -EINVAL);
    assert_int_equal(ctl_parse_duration("18446744073709551615ns", 22, &ns), 0);
    assert_int_equal(ns, UINT64_MAX);
    assert_int_equal(ctl_parse_duration("18446744073709551615us", 22, &ns),
                     -ERANGE);
    uint64_t v;
    assert_int_equal(ctl_parse_u64("0", 1, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(ctl_parse_u64("00", 2, &v), -EINVAL);
    assert_string_equal(ctl_cmd_name(CTL_CMD_WAIT), "wait");
    assert_string_equal(ctl_cmd_name(CTL_CMD_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_table_size),
        cmocka_unit_test(test_token_and_oversize),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
