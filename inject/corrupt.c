/* inject/corrupt.c — damage a transfer buffer as a verdict says.
 *
 * Invariant: the damage is a pure function of (v->corrupt, v->stream, len),
 * so a replayed fault damages the same bytes the same way.
 */
#include <string.h>

#include "engine.h"
#include "rng.h"

void inj_corrupt_apply(const struct inj_verdict *v, void *buf, size_t len)
{
    unsigned char *p = buf;

    if (!len || !buf)
        return;
    switch (v->corrupt) {
    case INJ_CORRUPT_FLIP: {
        /* Bit positions beyond 2^64 cannot be drawn; buffers never get
         * near that, so cap rather than overflow. */
        uint64_t bits = len > UINT64_MAX / 8 ? UINT64_MAX : (uint64_t)len * 8;
        uint64_t pos = inj_rng_below(v->stream, bits);

        p[pos / 8] ^= (unsigned char)(1u << (pos % 8));
        break;
    }
    case INJ_CORRUPT_ZERO:
        memset(p, 0, len);
        break;
    case INJ_CORRUPT_RANDOM:
        for (size_t i = 0; i < len; i += 8) {
            /* word j of the stream: SplitMix64 seeded with v->stream */
            uint64_t w = inj_mix64(v->stream + (i / 8 + 1) * INJ_RNG_GAMMA);
            size_t k = len - i < 8 ? len - i : 8;

            for (size_t b = 0; b < k; b++)
                p[i + b] = (unsigned char)(w >> (8 * b));
        }
        break;
    case INJ_CORRUPT_NONE:
        break;
    }
}
