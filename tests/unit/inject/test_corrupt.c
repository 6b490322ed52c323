/* tests/unit/inject/test_corrupt.c — inj_corrupt_apply() (unit.inject.corrupt).
 *
 * Proves: flip changes exactly one bit, at a position fixed by the stream
 * and spread over the whole buffer; zero zeroes all of it; random is a pure
 * function of the stream; len 0 and corrupt=none touch nothing; and the
 * verdict's stream from inj_decide() is reproducible under the same seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

static unsigned bits_differ(const unsigned char *a, const unsigned char *b,
                            size_t n)
{
    unsigned d = 0;

    for (size_t i = 0; i < n; i++)
        d += (unsigned)__builtin_popcount(a[i] ^ b[i]);
    return d;
}

static void test_flip(void **state)
{
    unsigned char orig[64], buf[64], again[64];
    static const size_t lens[] = {1, 2, 7, 8, 9, 63, 64};
    bool hit[64 * 8] = {false};
    unsigned hits = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(orig); i++)
        orig[i] = (unsigned char)(i * 37);
    for (size_t l = 0; l < sizeof(lens) / sizeof(*lens); l++) {
        for (uint64_t s = 0; s < 200; s++) {
            struct inj_verdict v = {.corrupt = INJ_CORRUPT_FLIP,
                                    .stream = s * 0x9e3779b97f4a7c15u};

            memcpy(buf, orig, sizeof(buf));
            memcpy(again, orig, sizeof(again));
            inj_corrupt_apply(&v, buf, lens[l]);
            inj_corrupt_apply(&v, again, lens[l]);
            assert_int_equal(bits_differ(buf, orig, lens[l]), 1);
            assert_memory_equal(buf, again, sizeof(buf));
            /* nothing past len is touched */
            assert_memory_equal(buf + lens[l], orig + lens[l],
                                sizeof(buf) - lens[l]);
        }
    }
    /* 5000 streams over a 64-byte buffer reach nearly every one of the
     * 512 bits (expect ~512*(1-e^-9.8), i.e. all but a fraction of one) */
    for (uint64_t s = 1; s <= 5000; s++) {
        struct inj_verdict v = {.corrupt = INJ_CORRUPT_FLIP,
                                .stream = s * 0xd1b54a32d192ed03u};

        memset(buf, 0, sizeof(buf));
        inj_corrupt_apply(&v, buf, sizeof(buf));
        for (size_t b = 0; b < sizeof(buf) * 8; b++)
            if ((buf[b / 8] >> (b % 8)) & 1 && !hit[b]) {
                hit[b] = true;
                hits++;
            }
    }
    assert_in_range(hits, 505, 512);
}

static void test_zero_random_none(void **state)
{
    unsigned char buf[100], a[100], b[100], zero[100] = {0};
    struct inj_verdict v = {.corrupt = INJ_CORRUPT_ZERO, .stream = 1};

    (void)state;
    memset(buf, 0xa5, sizeof(buf));
    inj_corrupt_apply(&v, buf, sizeof(buf));
    assert_memory_equal(buf, zero, sizeof(buf));

    v.corrupt = INJ_CORRUPT_RANDOM;
    v.stream = 99;
    memset(a, 0, sizeof(a));
    memset(b, 0xff, sizeof(b));
    inj_corrupt_apply(&v, a, sizeof(a));
    inj_corrupt_apply(&v, b, sizeof(b));
    assert_memory_equal(a, b, sizeof(a)); /* independent of the old data */
    assert_memory_not_equal(a, zero, sizeof(a));
    v.stream = 100;
    inj_corrupt_apply(&v, b, sizeof(b));
    assert_memory_not_equal(a, b, sizeof(a));
    /* a prefix of the stream is the same for a shorter buffer */
    memset(b, 0, sizeof(b));
    v.stream = 99;
    inj_corrupt_apply(&v, b, 13);
    assert_memory_equal(a, b, 13);
    assert_memory_equal(b + 13, zero, sizeof(b) - 13);

    /* len 0 and corrupt=none are no-ops */
    memset(a, 0x5a, sizeof(a));
    memcpy(b, a, sizeof(b));
    for (int c = INJ_CORRUPT_NONE; c <= INJ_CORRUPT_RANDOM; c++) {
        v.corrupt = (enum inj_corrupt)c;
        inj_corrupt_apply(&v, a, 0);
        assert_memory_equal(a, b, sizeof(a));
    }
    v.corrupt = INJ_CORRUPT_NONE;
    inj_corrupt_apply(&v, a, sizeof(a));
    assert_memory_equal(a, b, sizeof(a));
    inj_corrupt_apply(&v, NULL, 10);
}

static void verdict_streams(uint64_t seed, uint64_t *out, size_t n)
{
    struct inj_engine *e = inj_engine_new(seed);
    struct inj_rule_spec s;
    struct inj_verdict v;
    struct treq t;

    memset(&s, 0, sizeof(s));
    strcpy(s.id, "c");
    s.ops = inj_op_bit(INJ_OP_READ);
    s.actions = INJ_ACT_CORRUPT;
    s.corrupt = INJ_CORRUPT_FLIP;
    assert_int_equal(load_specs(e, &s, 1, NULL), 0);
    treq_init(&t, INJ_OP_READ, "/x");
    for (size_t i = 0; i < n; i++) {
        assert_true(inj_decide(e, &t.rq, &v));
        assert_int_equal(v.corrupt, INJ_CORRUPT_FLIP);
        assert_int_equal(v.actions, INJ_ACT_CORRUPT);
        out[i] = v.stream;
    }
    inj_engine_free(e);
}

static void test_decide_streams(void **state)
{
    uint64_t a[100], b[100], c[100];

    (void)state;
    verdict_streams(11, a, 100);
    verdict_streams(11, b, 100);
    verdict_streams(12, c, 100);
    assert_memory_equal(a, b, sizeof(a));
    for (size_t i = 0; i < 100; i++) {
        assert_int_not_equal(a[i], c[i]);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(a[i], a[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flip),
        cmocka_unit_test(test_zero_random_none),
        cmocka_unit_test(test_decide_streams),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
