/* tests/unit/ctl/test_trace.c — JSON escaping, the JSON reader and the trace
 * writer (unit.ctl.trace).
 *
 * Proves paths and comms with quotes, control bytes and invalid UTF-8 are
 * escaped so the line stays one valid JSON object, that the reader decodes
 * them back to the same bytes, that the reader refuses malformed input with
 * a column, and that concurrent writers produce whole, unique lines.
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

#include "buf.h"
#include "json.h"
#include "trace.h"

static void esc_is(const char *in, size_t n, const char *want)
{
    struct ctl_buf b = {0};
    ctl_buf_json_str(&b, in, n);
    assert_false(b.oom);
    assert_string_equal(ctl_buf_str(&b), want);
    /* Round trip through the reader gives the same bytes back. */
    struct ctl_buf obj = {0};
    ctl_buf_printf(&obj, "{\"s\":%s}", ctl_buf_str(&b));
    struct ctl_json_obj o;
    size_t col;
    const char *msg;
    assert_int_equal(ctl_json_parse(obj.data, obj.len, &o, &col, &msg), 0);
    const struct ctl_json_field *f = ctl_json_get(&o, "s");
    assert_non_null(f);
    assert_int_equal(f->len, n);
    assert_memory_equal(f->str, in, n);
    ctl_json_free(&o);
    ctl_buf_free(&obj);
    ctl_buf_free(&b);
}

static void test_escape(void **state)
{
    (void)state;
    esc_is("plain/path.txt", 14, "\"plain/path.txt\"");
    esc_is("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    esc_is("\n\t\r", 3, "\"\\n\\t\\r\"");
    esc_is("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
    esc_is("", 0, "\"\"");
    esc_is("nul\0in", 6, "\"nul\\u0000in\"");
    /* Valid UTF-8 passes through untouched. */
    esc_is("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
           "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* Invalid UTF-8: each bad byte becomes \u00XX. */
    esc_is("\xff", 1, "\"\\u00ff\"");
    esc_is("a\xc3", 2, "\"a\\u00c3\"");          /* truncated sequence */
    esc_is("\xc0\xaf", 2, "\"\\u00c0\\u00af\""); /* overlong '/' */
    esc_is("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\""); /* surrogate */
    esc_is("\xf4\x90\x80\x80", 4,
           "\"\\u00f4\\u0090\\u0080\\u0080\""); /* > U+10FFFF */
    esc_is("\x80x", 2, "\"\\u0080x\"");         /* lone continuation */
    /* NULL is null. */
    struct ctl_buf b = {0};
    ctl_buf_json_cstr(&b, NULL);
    assert_string_equal(ctl_buf_str(&b), "null");
    ctl_buf_free(&b);
}

struct jbad {
    const char *in;
    size_t col;
    const char *msg;
};

static void test_json_reader(void **state)
{
    (void)state;
    const char *good = "{\"a\":1,\"b\":-2,\"c\":\"x\",\"d\":true,\"e\":null,"
                       "\"f\":[1,{\"g\":[]}],\"h\":\"\\u00e9\\ud83d\\ude00\"}";
    struct ctl_json_obj o;
    size_t col;
    const char *msg;
    assert_int_equal(ctl_json_parse(good, strlen(good), &o, &col, &msg), 0);
    assert_int_equal(o.n, 7);
    assert_int_equal(ctl_json_get(&o, "a")->u, 1);
    assert_true(ctl_json_get(&o, "b")->neg);
    assert_int_equal(ctl_json_get(&o, "f")->type, CTL_JSON_RAW);
    assert_string_equal(ctl_json_get(&o, "f")->str, "[1,{\"g\":[]}]");
    /* \u00e9 is the raw byte 0xe9 (see json.h); the pair is U+1F600. */
    assert_string_equal(ctl_json_get(&o, "h")->str, "\xe9\xf0\x9f\x98\x80");
    assert_null(ctl_json_get(&o, "zz"));
    ctl_json_free(&o);

    static const struct jbad bad[] = {
        {"", 1, "expected '{'"},
        {"[]", 1, "expected '{'"},
        {"{", 2, "expected a key"},
        {"{\"a\"}", 5, "expected ':'"},
        {"{\"a\":}", 6, "expected a value"},
        {"{\"a\":1,}", 8, "expected a key"},
        {"{\"a\":1 \"b\":2}", 8, "expected ','"},
        {"{\"a\":1}x", 8, "trailing bytes"},
        {"{\"a\":01}", 6, "leading zero"},
        {"{\"a\":1.5}", 7, "only integers"},
        {"{\"a\":1e3}", 7, "only integers"},
        {"{\"a\":-}", 7, "expected a digit"},
        {"{\"a\":99999999999999999999}", 25, "out of range"},
        {"{\"a\":-9223372036854775809}", 26, "out of range"},
        {"{\"a\":\"x}", 9, "unterminated string"},
        {"{\"a\":\"\x01\"}", 7, "raw control byte"},
        {"{\"a\":\"\\q\"}", 7, "unknown escape"},
        {"{\"a\":\"\\u12\"}", 7, "bad \\u escape"},
        {"{\"a\":\"\\udc00\"}", 13, "unpaired surrogate"},
        {"{\"a\":\"\\ud800x\"}", 13, "unpaired surrogate"},
        {"{\"a\":\"\xff\"}", 7, "invalid UTF-8"},
        {"{\"a\":1,\"a\":2}", 8, "duplicate key"},
        {"{\"a\":tru}", 6, "unexpected token"},
        {"{\"a\":[1,]}", 9, "expected a value"},
        {"{\"a\":[1}", 8, "expected ','"},
        {"{\"\\u0000\":1}", 2, "NUL in key"},
        {"{\"a\":1", 7, "unterminated object"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        col = 0;
        msg = NULL;
        int rc = ctl_json_parse(bad[i].in, strlen(bad[i].in), &o, &col, &msg);
        if (rc != -EINVAL || col != bad[i].col || !msg ||
            !strstr(msg, bad[i].msg))
            fail_msg("row %zu '%s': rc %d col %zu '%s'", i, bad[i].in, rc, col,
                     msg ? msg : "");
    }
    /* Deep nesting is refused, not recursed into without bound. */
    char deep[200];
    memset(deep, '[', sizeof(deep));
    memcpy(deep, "{\"a\":", 5);
    assert_int_equal(ctl_json_parse(deep, sizeof(deep), &o, &col, &msg),
                     -EINVAL);
    assert_string_equal(msg, "nesting too deep");
}

static struct inj_verdict test_verdict(void)
{
    struct inj_verdict v = {0};
    v.actions = INJ_ACT_ERROR | INJ_ACT_DELAY;
    v.err = EIO;
    v.delay_ns = 5000000;
    v.match_no = 3;
    v.generation = 7;
    v.stream = 42;
    snprintf(v.rule_id, sizeof(v.rule_id), "wal");
    return v;
}

static void test_format(void **state)
{
    (void)state;
    struct inj_verdict v = test_verdict();
    struct ctl_trace_event ev = {.op = INJ_OP_FSYNC,
                                 .path = "/db/a\"b\n\xff.wal",
                                 .node = 12,
                                 .pid = 100,
                                 .uid = 1000,
                                 .gid = 1000,
                                 .comm = "pg\twriter",
                                 .occurrence = 9,
                                 .has_offset = false,
                                 .has_size = true,
                                 .size = 4096,
                                 .v = &v};
    struct ctl_buf b = {0};
    ctl_trace_format(&b, &ev, 5, 123, 1700000000123456789ull);
    assert_string_equal(
        ctl_buf_str(&b),
        "{\"v\":1,\"seq\":5,\"mono_ns\":123,\"wall_ns\":1700000000123456789,"
        "\"time\":\"2023-11-14T22:13:20.123456Z\",\"op\":\"fsync\","
        "\"path\":\"/db/a\\\"b\\n\\u00ff.wal\",\"node\":12,\"pid\":100,"
        "\"comm\":\"pg\\twriter\",\"uid\":1000,\"gid\":1000,"
        "\"occurrence\":9,\"rule\":\"wal\",\"match\":3,\"gen\":7,"
        "\"action\":\"error,delay\",\"errno\":\"EIO\",\"err\":5,"
        "\"offset\":null,\"size\":4096,\"delay_ns\":5000000,\"short\":0,"
        "\"corrupt\":\"none\",\"hang_ns\":0,\"stream\":42}\n");
    ctl_buf_free(&b);

    char names[64];
    assert_string_equal(ctl_action_names(0, names, sizeof(names)), "pass");
    assert_string_equal(ctl_action_names(INJ_ACT_HANG | INJ_ACT_LIE |
                                             INJ_ACT_SHORT | INJ_ACT_CORRUPT,
                                         names, sizeof(names)),
                        "short,corrupt,hang,lie");
    unsigned a;
    assert_int_equal(ctl_action_parse("error,delay", 11, &a), 0);
    assert_int_equal(a, INJ_ACT_ERROR | INJ_ACT_DELAY);
    assert_int_equal(ctl_action_parse("error,error", 11, &a), -EINVAL);
    assert_int_equal(ctl_action_parse("error,", 6, &a), -EINVAL);
    assert_int_equal(ctl_action_parse("boom", 4, &a), -EINVAL);
}

struct writer_arg {
    struct ctl_trace *t;
    int id;
};

static void *writer(void *p)
{
    struct writer_arg *a = p;
    struct inj_verdict v = test_verdict();
    char path[64];
    for (int i = 0; i < 500; i++) {
        snprintf(path, sizeof(path), "/t%d/f%d", a->id, i);
        struct ctl_trace_event ev = {
            .op = INJ_OP_WRITE, .path = path, .comm = "w", .v = &v};
        ev.occurrence = ctl_trace_occurrence(a->t, INJ_OP_WRITE, "/same");
        assert_int_equal(ctl_trace_record(a->t, &ev), 0);
    }
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    (void)state;
    char path[] = "/tmp/ctl_trace_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ctl_trace *t;
    assert_int_equal(ctl_trace_open(path, &t), 0);
    assert_string_equal(ctl_trace_path(t), path);
    pthread_t th[4];
    struct writer_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct writer_arg){t, i};
        pthread_create(&th[i], NULL, writer, &args[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(ctl_trace_count(t), 2000);
    /* The shared (op, path) counter handed out 1..2000 exactly once. */
    assert_int_equal(ctl_trace_occurrence(t, INJ_OP_WRITE, "/same"), 2001);
    assert_int_equal(ctl_trace_occurrence(t, INJ_OP_READ, "/same"), 1);
    ctl_trace_close(t);

    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[2048];
    int n = 0;
    static char seen[2001];
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        assert_true(len > 0 && line[len - 1] == '\n');
        struct ctl_json_obj o;
        size_t col;
        const char *msg;
        assert_int_equal(ctl_json_parse(line, len - 1, &o, &col, &msg), 0);
        uint64_t seq = ctl_json_get(&o, "seq")->u;
        assert_true(seq >= 1 && seq <= 2000);
        assert_false(seen[seq]);
        seen[seq] = 1;
        ctl_json_free(&o);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 2000);
    unlink(path);
    assert_int_equal(ctl_trace_open("/nonexistent/dir/trace", &t), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_json_reader),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_concurrent_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
