/* tests/unit/ctl/test_stats.c — histogram math, concurrent recording, default
 * socket paths (unit.ctl.stats).
 *
 * Proves each latency lands in the first bucket whose bound is >= it, that
 * counters from many threads add up exactly, and that the default control
 * socket path is derived from the mountpoint string without touching it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl.h"

static void test_buckets(void **state)
{
    (void)state;
    assert_int_equal(CTL_LAT_NBOUNDS, 18);
    assert_int_equal(ctl_stats_bucket(0), 0);
    assert_int_equal(ctl_stats_bucket(10000), 0); /* le is inclusive */
    assert_int_equal(ctl_stats_bucket(10001), 1);
    assert_int_equal(ctl_stats_bucket(50000), 1);
    assert_int_equal(ctl_stats_bucket(1000000), 5); /* 1 ms */
    assert_int_equal(ctl_stats_bucket(1000001), 6);
    assert_int_equal(ctl_stats_bucket(10000000000ull), CTL_LAT_NBOUNDS - 1);
    assert_int_equal(ctl_stats_bucket(10000000001ull), CTL_LAT_NBOUNDS);
    assert_int_equal(ctl_stats_bucket(UINT64_MAX), CTL_LAT_NBOUNDS);
    for (unsigned i = 1; i < CTL_LAT_NBOUNDS; i++)
        assert_true(ctl_lat_bounds_ns[i] > ctl_lat_bounds_ns[i - 1]);
    for (unsigned i = 0; i < CTL_LAT_NBOUNDS; i++) {
        assert_int_equal(ctl_stats_bucket(ctl_lat_bounds_ns[i]), i);
        assert_int_equal(ctl_stats_bucket(ctl_lat_bounds_ns[i] + 1), i + 1);
    }
}

static void test_record(void **state)
{
    (void)state;
    struct ctl_stats *st = ctl_stats_new();
    assert_non_null(st);
    ctl_stats_record(st, INJ_OP_READ, 5000, 0);
    ctl_stats_record(st, INJ_OP_READ, 20000, EIO);
    ctl_stats_record(st, INJ_OP_READ, 20000000000ull, -EIO);
    ctl_stats_record(st, INJ_OP_COUNT, 1, 0); /* ignored, not a crash */
    ctl_stats_record(NULL, INJ_OP_READ, 1, 0);
    ctl_stats_fault(st, INJ_OP_READ);
    uint64_t t0 = ctl_stats_begin(st, INJ_OP_WRITE);
    struct ctl_stats_snapshot ss;
    ctl_stats_snapshot(st, &ss);
    assert_int_equal(ss.inflight, 1);
    ctl_stats_end(st, INJ_OP_WRITE, t0, 0);
    ctl_stats_snapshot(st, &ss);
    assert_int_equal(ss.inflight, 0);
    assert_int_equal(ss.op[INJ_OP_READ].requests, 3);
    assert_int_equal(ss.op[INJ_OP_READ].errors, 2);
    assert_int_equal(ss.op[INJ_OP_READ].faults, 1);
    assert_int_equal(ss.op[INJ_OP_READ].latency_sum_ns, 20000025000ull);
    assert_int_equal(ss.op[INJ_OP_READ].buckets[0], 1);
    assert_int_equal(ss.op[INJ_OP_READ].buckets[1], 1);
    assert_int_equal(ss.op[INJ_OP_READ].buckets[CTL_LAT_NBOUNDS], 1);
    assert_int_equal(ss.op[INJ_OP_WRITE].requests, 1);
    assert_int_equal(ss.op[INJ_OP_FSYNC].requests, 0);
    assert_true(ss.uptime_ns > 0);
    ctl_stats_free(st);
    assert_string_equal(ctl_op_name(INJ_OP_COPY_FILE_RANGE), "copy_file_range");
    assert_int_equal(ctl_op_from_name("lseek", 5), INJ_OP_LSEEK);
    assert_int_equal(ctl_op_from_name("lsee", 4), -1);
}

static struct ctl_stats *shared;

static void *recorder(void *p)
{
    unsigned id = (unsigned)(uintptr_t)p;
    for (unsigned i = 0; i < 100000; i++) {
        enum inj_op op = (enum inj_op)((id + i) % INJ_OP_COUNT);
        uint64_t t = ctl_stats_begin(shared, op);
        ctl_stats_end(shared, op, t, (int)(i & 1));
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    shared = ctl_stats_new();
    pthread_t th[4];
    for (uintptr_t i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, recorder, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    struct ctl_stats_snapshot ss;
    ctl_stats_snapshot(shared, &ss);
    uint64_t req = 0, err = 0, bsum = 0;
    for (unsigned op = 0; op < INJ_OP_COUNT; op++) {
        req += ss.op[op].requests;
        err += ss.op[op].errors;
        for (unsigned b = 0; b < CTL_LAT_NBUCKETS; b++)
            bsum += ss.op[op].buckets[b];
    }
    assert_int_equal(req, 400000);
    assert_int_equal(err, 200000);
    assert_int_equal(bsum, 400000);
    assert_int_equal(ss.inflight, 0);
    ctl_stats_free(shared);
}

static void test_escape(void **state)
{
    (void)state;
    char b[256];
    assert_int_equal(ctl_path_escape("/mnt/test-data", b, sizeof(b)), 0);
    assert_string_equal(b, "mnt-test\\x2ddata");
    assert_int_equal(ctl_path_escape("/", b, sizeof(b)), 0);
    assert_string_equal(b, "-");
    assert_int_equal(ctl_path_escape("//a//b/", b, sizeof(b)), 0);
    assert_string_equal(b, "a-b");
    assert_int_equal(ctl_path_escape("/.hidden/x.y z", b, sizeof(b)), 0);
    assert_string_equal(b, "\\x2ehidden-x.y\\x20z");
    assert_int_equal(ctl_path_escape("/ab", b, 2), -ENAMETOOLONG);
}

static void test_default_path(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/ctl_mnt_XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char real_parent[PATH_MAX], canon[PATH_MAX], want[PATH_MAX * 2];
    assert_non_null(realpath(tmpl, real_parent));
    /* The mountpoint need not exist (and is never stat'ed). */
    char mnt[PATH_MAX];
    snprintf(mnt, sizeof(mnt), "%s/mnt//", tmpl);
    assert_int_equal(ctl_mountpoint_canon(mnt, canon, sizeof(canon)), 0);
    snprintf(want, sizeof(want), "%s/mnt", real_parent);
    assert_string_equal(canon, want);
    /* A symlinked parent resolves; a relative path resolves from cwd. */
    char link[PATH_MAX + 8];
    snprintf(link, sizeof(link), "%s/ln", tmpl);
    assert_int_equal(symlink(real_parent, link), 0);
    snprintf(mnt, sizeof(mnt), "%s/ln/mnt", tmpl);
    assert_int_equal(ctl_mountpoint_canon(mnt, canon, sizeof(canon)), 0);
    assert_string_equal(canon, want);
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(tmpl), 0);
    assert_int_equal(ctl_mountpoint_canon("mnt", canon, sizeof(canon)), 0);
    assert_string_equal(canon, want);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(
        ctl_mountpoint_canon("/no/such/dir/mnt", canon, sizeof(canon)),
        -ENOENT);
    assert_int_equal(ctl_mountpoint_canon("", canon, sizeof(canon)), -EINVAL);

    char sock[PATH_MAX];
    assert_int_equal(ctl_sockpath_default("/", sock, sizeof(sock)), 0);
    if (geteuid() == 0)
        assert_string_equal(sock, "/run/snagfs/-.sock");
    /* Too long for sun_path: a stable hash name instead. */
    char deep[PATH_MAX];
    int n = snprintf(deep, sizeof(deep), "%s/", tmpl);
    memset(deep + n, 'x', 200);
    deep[n + 200] = '\0';
    assert_int_equal(ctl_sockpath_default(deep, sock, sizeof(sock)), 0);
    assert_true(strlen(sock) < sizeof(((struct sockaddr_un *)0)->sun_path));
    assert_non_null(strstr(sock, "/h-"));
    char again[PATH_MAX];
    assert_int_equal(ctl_sockpath_default(deep, again, sizeof(again)), 0);
    assert_string_equal(sock, again);
    unlink(link);
    rmdir(tmpl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),      cmocka_unit_test(test_record),
        cmocka_unit_test(test_concurrent),   cmocka_unit_test(test_escape),
        cmocka_unit_test(test_default_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
