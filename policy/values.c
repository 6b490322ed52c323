/* policy/values.c — numbers, sizes, durations, ranges, when= and prob= values.
 *
 * Numbers are plain decimal ("0x10", "+5", "1e3" and blanks are errors), so
 * a value means the same in every locale. Sizes and durations may carry a
 * fraction ("1.5KiB", "0.25s") when the result is a whole number of bytes or
 * nanoseconds; arithmetic is exact (128-bit), and any overflow is an error,
 * never a wrap.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "pol_internal.h"

struct unit {
    const char *name;
    uint64_t mult;
};

#define KI(n) (UINT64_C(1) << (10 * (n))) /* 1024^n */

static const struct unit size_units[] = {
    {"B", 1},
    {"K", KI(1)},
    {"KiB", KI(1)},
    {"KB", UINT64_C(1000)},
    {"M", KI(2)},
    {"MiB", KI(2)},
    {"MB", UINT64_C(1000000)},
    {"G", KI(3)},
    {"GiB", KI(3)},
    {"GB", UINT64_C(1000000000)},
    {"T", KI(4)},
    {"TiB", KI(4)},
    {"TB", UINT64_C(1000000000000)},
    {"P", KI(5)},
    {"PiB", KI(5)},
    {"PB", UINT64_C(1000000000000000)},
    {"E", KI(6)},
    {"EiB", KI(6)},
    {"EB", UINT64_C(1000000000000000000)},
};

static const struct unit time_units[] = {
    {"ns", 1},
    {"us", UINT64_C(1000)},
    {"ms", UINT64_C(1000000)},
    {"s", UINT64_C(1000000000)},
    {"m", UINT64_C(60000000000)},
    {"h", UINT64_C(3600000000000)},
};

#define N_UNITS(a) (sizeof(a) / sizeof((a)[0]))

/* A decimal "digits[.digits]" at the start of a token. */
struct decimal {
    size_t len;     /* bytes used; 0 when there are no digits */
    uint64_t whole; /* integer part */
    uint64_t frac;  /* fraction digits as an integer */
    unsigned fdigits;
    bool overflow; /* more than fits in 64 bits or 18 fraction digits */
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void scan_decimal(const struct pol_tok *t, bool fraction,
                         struct decimal *d)
{
    size_t i = 0;

    memset(d, 0, sizeof(*d));
    for (; i < t->len && is_digit(t->s[i]); i++) {
        unsigned v = (unsigned)(t->s[i] - '0');

        if (d->whole > (UINT64_MAX - v) / 10)
            d->overflow = true;
        else
            d->whole = d->whole * 10 + v;
    }
    if (i == 0)
        return;
    /* '.' is a decimal point only when a digit follows: "1..2" is a range */
    if (fraction && i + 1 < t->len && t->s[i] == '.' && is_digit(t->s[i + 1])) {
        for (i++; i < t->len && is_digit(t->s[i]); i++) {
            if (d->fdigits == 18) {
                d->overflow = true;
                continue;
            }
            d->frac = d->frac * 10 + (uint64_t)(t->s[i] - '0');
            d->fdigits++;
        }
    }
    d->len = i;
}

int pol_parse_uint(const struct pol_ctx *ctx, const struct pol_tok *t,
                   uint64_t max, uint64_t *out)
{
    struct decimal d;

    scan_decimal(t, false, &d);
    if (d.len == 0 || d.len != t->len)
        return pol_fail(ctx, t, "bad number; expected a decimal integer");
    if (d.overflow)
        return pol_fail(ctx, t, "number too large; the maximum is %" PRIu64,
                        max);
    if (d.whole > max)
        return pol_fail(ctx, t, "out of range; expected 0..%" PRIu64, max);
    *out = d.whole;
    return 0;
}

/* A number with a unit from units[]; a bare number is allowed (unit 1)
 * only when !unit_required. */
static int parse_scaled(const struct pol_ctx *ctx, const struct pol_tok *t,
                        const struct unit *units, size_t n_units,
                        bool unit_required, const char *what, uint64_t *out)
{
    static const char *const time_names[] = {"ns", "us", "ms", "s", "m", "h"};
    static const char *const size_names[] = {
        "B", "K",   "KiB", "KB", "M",   "MiB", "MB", "G",   "GiB", "GB",
        "T", "TiB", "TB",  "P",  "PiB", "PB",  "E",  "EiB", "EB"};
    struct decimal d;
    struct pol_tok unit;
    uint64_t mult = 0;
    unsigned __int128 v, f, p10 = 1;

    scan_decimal(t, true, &d);
    if (d.len == 0)
        return pol_fail(ctx, t, "bad number; expected a decimal %s", what);
    if (d.overflow)
        return pol_fail(ctx, t, "number too large");
    unit = pol_tok_sub(t, d.len, t->len);
    if (unit.len == 0) {
        if (unit_required)
            return pol_fail(ctx, t,
                            "missing unit; write e.g. 100ms or 1.5s (units: "
                            "ns, us, ms, s, m, h)");
        mult = 1;
    }
    for (size_t i = 0; i < n_units && !mult; i++)
        if (pol_tok_eq(&unit, units[i].name))
            mult = units[i].mult;
    if (!mult) {
        const char *hint =
            units == time_units
                ? pol_suggest(&unit, time_names, N_UNITS(time_names))
                : pol_suggest(&unit, size_names, N_UNITS(size_names));

        if (hint)
            return pol_fail(ctx, &unit, "unknown unit; did you mean '%s'?",
                            hint);
        return pol_fail(ctx, &unit, "unknown unit; expected %s",
                        units == time_units
                            ? "ns, us, ms, s, m or h"
                            : "B, K, KiB, KB, M, MiB, MB, G, GiB, GB, T, ...");
    }
    for (unsigned i = 0; i < d.fdigits; i++)
        p10 *= 10;
    v = (unsigned __int128)d.whole * mult;
    f = (unsigned __int128)d.frac * mult;
    if (f % p10 != 0)
        return pol_fail(ctx, t, "not a whole number of %s",
                        units == time_units ? "nanoseconds" : "bytes");
    v += f / p10;
    if (v > UINT64_MAX)
        return pol_fail(ctx, t, "number too large");
    *out = (uint64_t)v;
    return 0;
}

int pol_parse_size(const struct pol_ctx *ctx, const struct pol_tok *t,
                   uint64_t *out)
{
    return parse_scaled(ctx, t, size_units, N_UNITS(size_units), false,
                        "size (e.g. 4096, 10MiB)", out);
}

int pol_parse_duration(const struct pol_ctx *ctx, const struct pol_tok *t,
                       uint64_t *ns)
{
    return parse_scaled(ctx, t, time_units, N_UNITS(time_units), true,
                        "duration (e.g. 100ms, 1.5s)", ns);
}

long pol_find_dotdot(const struct pol_tok *t)
{
    for (size_t i = 0; i + 1 < t->len; i++)
        if (t->s[i] == '.' && t->s[i + 1] == '.')
            return (long)i;
    return -1;
}

int pol_parse_range(const struct pol_ctx *ctx, const struct pol_tok *t,
                    bool durations, bool open_ok, struct inj_range *r)
{
    long dd = pol_find_dotdot(t);
    struct pol_tok a, b;
    int rc;

    if (dd < 0) {
        rc = durations ? pol_parse_duration(ctx, t, &r->lo)
                       : pol_parse_size(ctx, t, &r->lo);
        r->hi = r->lo;
        return rc;
    }
    a = pol_tok_sub(t, 0, (size_t)dd);
    b = pol_tok_sub(t, (size_t)dd + 2, t->len);
    if (a.len == 0)
        return pol_fail(ctx, t, "missing lower bound; expected A..B");
    rc = durations ? pol_parse_duration(ctx, &a, &r->lo)
                   : pol_parse_size(ctx, &a, &r->lo);
    if (rc < 0)
        return rc;
    if (b.len == 0) {
        if (!open_ok)
            return pol_fail(ctx, t, "missing upper bound; expected MIN..MAX");
        r->hi = UINT64_MAX;
        return 0;
    }
    rc = durations ? pol_parse_duration(ctx, &b, &r->hi)
                   : pol_parse_size(ctx, &b, &r->hi);
    if (rc < 0)
        return rc;
    if (r->hi < r->lo)
        return pol_fail(ctx, t,
                        "empty range: the upper bound is below the "
                        "lower one");
    return 0;
}

/* The run of digits at t[*pos...] as a when= count in 1..INJ_WHEN_OPEN-1. */
static int when_count(const struct pol_ctx *ctx, const struct pol_tok *t,
                      size_t *pos, const char *what, uint64_t *out)
{
    size_t start = *pos;
    struct pol_tok num;
    int rc;

    while (*pos < t->len && is_digit(t->s[*pos]))
        (*pos)++;
    num = pol_tok_sub(t, start, *pos - start);
    if (num.len == 0) {
        struct pol_tok rest = pol_tok_sub(t, start, t->len);

        return pol_fail(ctx, rest.len ? &rest : t,
                        "expected %s; when= is FIRST[..LAST][+[STEP]]", what);
    }
    rc = pol_parse_uint(ctx, &num, INJ_WHEN_OPEN - 1, out);
    if (rc < 0)
        return rc;
    if (*out == 0)
        return pol_fail(ctx, &num,
                        "%s must be at least 1 (matches count "
                        "from 1)",
                        what);
    return 0;
}

int pol_parse_when(const struct pol_ctx *ctx, const struct pol_tok *t,
                   struct inj_rule_spec *spec)
{
    size_t pos = 0;
    int rc = when_count(ctx, t, &pos, "FIRST", &spec->when_first);

    if (rc < 0)
        return rc;
    spec->when_last = spec->when_first;
    spec->when_step = 1;
    if (pos + 1 < t->len && t->s[pos] == '.' && t->s[pos + 1] == '.') {
        size_t at = pos + 2;

        pos += 2;
        rc = when_count(ctx, t, &pos, "LAST", &spec->when_last);
        if (rc < 0)
            return rc;
        if (spec->when_last < spec->when_first) {
            struct pol_tok last = pol_tok_sub(t, at, pos - at);

            return pol_fail(ctx, &last,
                            "LAST is below FIRST; when= is "
                            "FIRST[..LAST][+[STEP]]");
        }
    }
    if (pos < t->len && t->s[pos] == '+') {
        bool ranged =
            spec->when_last != spec->when_first || pol_find_dotdot(t) >= 0;

        pos++;
        if (!ranged)
            spec->when_last = INJ_WHEN_OPEN;
        if (pos < t->len) {
            rc = when_count(ctx, t, &pos, "STEP", &spec->when_step);
            if (rc < 0)
                return rc;
        }
    }
    if (pos < t->len) {
        struct pol_tok rest = pol_tok_sub(t, pos, t->len);

        return pol_fail(ctx, &rest,
                        "unexpected text; when= is FIRST[..LAST][+[STEP]]");
    }
    spec->has_when = true;
    return 0;
}

int pol_parse_prob(const struct pol_ctx *ctx, const struct pol_tok *t,
                   double *p)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,
                                   1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17};
    bool pct = t->len > 0 && t->s[t->len - 1] == '%';
    struct pol_tok num = pol_tok_sub(t, 0, t->len - (pct ? 1 : 0));
    struct decimal d;
    uint64_t one = pct ? 100 : 1, mant;
    unsigned scale;

    scan_decimal(&num, true, &d);
    if (d.len == 0 || d.len != num.len)
        return pol_fail(ctx, t,
                        "bad probability; expected 0..1 (e.g. 0.05) "
                        "or a percentage (e.g. 5%%)");
    /* Exact as long as mantissa and power of ten are exact doubles: then
     * one division rounds once, as strtod would. */
    if (d.overflow || d.fdigits > 15)
        return pol_fail(ctx, t, "too many digits in a probability");
    if (d.whole > 100)
        goto out_range;
    for (unsigned i = 0; i < d.fdigits; i++)
        one *= 10;
    mant = d.whole;
    for (unsigned i = 0; i < d.fdigits; i++)
        mant *= 10;
    mant += d.frac;
    if (mant > one)
        goto out_range;
    if (mant > (UINT64_C(1) << 53))
        return pol_fail(ctx, t, "too many digits in a probability");
    scale = d.fdigits + (pct ? 2 : 0);
    *p = (double)mant / pow10[scale];
    return 0;

out_range:
    return pol_fail(ctx, t,
                    "probability out of range; expected 0..1 or "
                    "0%%..100%%");
}
