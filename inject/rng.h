/* inject/rng.h — the counter-based generator behind every seeded decision.
 *
 * Invariants: a draw is a pure function u64 = inj_rng(seed, key, n, lane) —
 * no state is kept or advanced anywhere, so one rule's draws can never be
 * perturbed by another rule, another lane or thread timing. key is
 * inj_rng_key(rule id); n is the rule's match number; lanes separate the
 * independent decisions taken on one match. The mixer is the SplitMix64
 * finaliser (Stafford variant 13), a bijection on u64 that passes BigCrush
 * when fed a Weyl sequence, applied in a chain so that seed, key and lane
 * each select an unrelated Weyl stream.
 */
#ifndef SNAG_INJECT_RNG_H
#define SNAG_INJECT_RNG_H

#include <stdint.h>

enum inj_lane {
    INJ_LANE_PROB = 1, /* the prob= draw */
    INJ_LANE_ERRNO,    /* which of error=A,B,C */
    INJ_LANE_DELAY,    /* where in delay=MIN..MAX */
    INJ_LANE_CORRUPT,  /* the corrupt stream (bit position, random bytes) */
};

#define INJ_RNG_GAMMA UINT64_C(0x9e3779b97f4a7c15)

static inline uint64_t inj_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Stable 64-bit key of a string (FNV-1a, then mixed so that ids differing
 * in one trailing character land far apart). Same input, same key, on every
 * platform and run. */
static inline uint64_t inj_rng_key(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return inj_mix64(h);
}

static inline uint64_t inj_rng(uint64_t seed, uint64_t key, uint64_t n,
                               unsigned lane)
{
    uint64_t h = inj_mix64(seed + INJ_RNG_GAMMA);

    h = inj_mix64(h ^ key);
    h = inj_mix64(h ^ ((uint64_t)lane * UINT64_C(0xd1b54a32d192ed03)));
    /* The final double mix keeps streams whose start points h happen to be
     * close from being shifted copies of each other. */
    return inj_mix64(inj_mix64(h + n * INJ_RNG_GAMMA) + h);
}

/* Uniform in [0, n) for n > 0 (Lemire's multiply-shift; the bias is at most
 * n / 2^64, far below anything a test can see). */
static inline uint64_t inj_rng_below(uint64_t draw, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)draw * n) >> 64);
}

#endif
