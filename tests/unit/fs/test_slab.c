/* tests/unit/fs/test_slab.c — fixed-size records in page-aligned chunks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "slab.h"

/* Records are aligned, distinct, writable over their whole size, and
 * outnumber one chunk (so a second chunk is mapped). */
static void test_many_records(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct fs_slab s;
    fs_slab_init(&s, 100);
    assert_true(s.size >= 100 && s.size % alignof(max_align_t) == 0);
    unsigned char **r = calloc(N, sizeof(*r));
    for (int i = 0; i < N; i++) {
        r[i] = fs_slab_get(&s);
        assert_non_null(r[i]);
        assert_int_equal((uintptr_t)r[i] % alignof(max_align_t), 0);
        memset(r[i], i & 0xff, s.size);
    }
    assert_true(s.nchunks >= 2);
    assert_int_equal(s.in_use, N);
    for (int i = 0; i < N; i++)
        for (size_t b = 0; b < s.size; b += 37)
            assert_int_equal(r[i][b], i & 0xff); /* nothing overlaps */
    free(r);
    fs_slab_destroy(&s);
}

/* A freed record is handed out again before the slab grows. */
static void test_reuse(void **state)
{
    (void)state;
    struct fs_slab s;
    fs_slab_init(&s, 24);
    void *a = fs_slab_get(&s), *b = fs_slab_get(&s);
    assert_ptr_not_equal(a, b);
    fs_slab_put(&s, a);
    assert_int_equal(s.in_use, 1);
    assert_ptr_equal(fs_slab_get(&s), a);
    size_t chunks = s.nchunks;
    for (int i = 0; i < 100; i++)
        fs_slab_put(&s, fs_slab_get(&s));
    assert_int_equal(s.nchunks, chunks);
    fs_slab_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_records),
        cmocka_unit_test(test_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
