/* tests/unit/inject/glob_ref.h — a reference glob matcher and a generator of
 * random globs with paths they match, for the inject property tests.
 *
 * Invariants: the matcher is a direct recursive reading of the grammar in
 * glob.h and shares no code with glob.c, so the two can check each other;
 * it backtracks without bounds, so it is only for the short inputs the
 * generator makes. Generated globs never put '/' in a class or an escape
 * (glob.c refuses those), which lets the matcher split on every '/'.
 * Everything is static inline and test-only; all randomness comes from the
 * caller's seed.
 */
#ifndef SNAG_TEST_INJECT_GLOB_REF_H
#define SNAG_TEST_INJECT_GLOB_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t ref_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return *s >> 33;
}

/* Does the class whose body starts at *pp hold c? Leaves *pp past its ']'. */
static inline bool ref_class(const char **pp, unsigned char c)
{
    const char *p = *pp;
    bool neg = false, hit = false, first = true;

    if (*p == '!' || *p == '^') {
        neg = true;
        p++;
    }
    while (first || *p != ']') {
        unsigned char lo, hi;

        first = false;
        if (*p == '\\')
            p++;
        lo = hi = (unsigned char)*p++;
        if (p[0] == '-' && p[1] && p[1] != ']') {
            p++;
            if (*p == '\\')
                p++;
            hi = (unsigned char)*p++;
        }
        hit |= lo <= c && c <= hi;
    }
    *pp = p + 1;
    return hit != neg;
}

/* One component (or a whole comm name): pattern [p, pe) vs [s, se). */
static inline bool ref_comp(const char *p, const char *pe, const char *s,
                            const char *se)
{
    if (p == pe)
        return s == se;
    if (*p == '*')
        return ref_comp(p + 1, pe, s, se) ||
               (s < se && ref_comp(p, pe, s + 1, se));
    if (s == se)
        return false;
    switch (*p) {
    case '?':
        return ref_comp(p + 1, pe, s + 1, se);
    case '[':
        p++;
        return ref_class(&p, (unsigned char)*s) && ref_comp(p, pe, s + 1, se);
    case '\\':
        return p[1] == *s && ref_comp(p + 2, pe, s + 1, se);
    default:
        return *p == *s && ref_comp(p + 1, pe, s + 1, se);
    }
}

#define REF_MAX_COMPS 32

/* Split s on '/' into its non-empty components; returns how many. */
static inline size_t ref_split(const char *s, const char *b[], const char *e[])
{
    size_t n = 0;

    while (*s && n < REF_MAX_COMPS) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        b[n] = s;
        while (*s && *s != '/')
            s++;
        e[n++] = s;
    }
    return n;
}

static inline bool ref_dstar(const char *b, const char *e)
{
    return e - b == 2 && b[0] == '*' && b[1] == '*';
}

static inline bool ref_path_at(const char *const pb[], const char *const pe[],
                               size_t np, const char *const sb[],
                               const char *const se[], size_t ns)
{
    if (!np)
        return !ns;
    if (ref_dstar(pb[0], pe[0]))
        return ref_path_at(pb + 1, pe + 1, np - 1, sb, se, ns) ||
               (ns && ref_path_at(pb, pe, np, sb + 1, se + 1, ns - 1));
    return ns && ref_comp(pb[0], pe[0], sb[0], se[0]) &&
           ref_path_at(pb + 1, pe + 1, np - 1, sb + 1, se + 1, ns - 1);
}

static inline bool ref_path_match(const char *pat, const char *path)
{
    const char *pb[REF_MAX_COMPS], *pe[REF_MAX_COMPS];
    const char *sb[REF_MAX_COMPS], *se[REF_MAX_COMPS];
    size_t np = ref_split(pat, pb, pe), ns = ref_split(path, sb, se);

    return ref_path_at(pb, pe, np, sb, se, ns);
}

static inline bool ref_comm_match(const char *pat, const char *name)
{
    return ref_comp(pat, pat + strlen(pat), name, name + strlen(name));
}

/* Pattern tokens and a character each one matches ('*': none needed). */
static const struct {
    const char *pat;
    char member;
} ref_tokens[] = {
    {"a", 'a'},    {"b", 'b'},    {".", '.'},     {"-", '-'},     {"*", 0},
    {"?", 'b'},    {"[ab]", 'b'}, {"[!a]", '-'},  {"[a-b]", 'a'}, {"[]a]", ']'},
    {"[.-]", '-'}, {"\\*", '*'},  {"\\.", '.'},   {"\\a", 'a'},   {"]", ']'},
    {"[^-]", '*'}, {"**", 0},     {"[\\]]", ']'},
};
#define REF_NTOKENS (sizeof(ref_tokens) / sizeof(*ref_tokens))

/* Name characters: the alphabet of the tokens, plus '*' as plain text. */
static const char ref_chars[] = "ab.-*]";

static inline void ref_put(char **w, const char *s)
{
    size_t n = strlen(s);

    memcpy(*w, s, n);
    *w += n;
}

static inline void ref_put_random_name(uint64_t *rs, char **w, unsigned max_len)
{
    unsigned n = 1 + (unsigned)(ref_rand(rs) % max_len);

    while (n--)
        *(*w)++ = ref_chars[ref_rand(rs) % (sizeof(ref_chars) - 1)];
}

/* Append a component of 1..4 tokens to the pattern at *pw and a name it
 * matches to the subject at *sw (never empty: a path has no empty
 * components, so a pattern component always needs some text). */
static inline void ref_gen_comp(uint64_t *rs, char **pw, char **sw)
{
    unsigned n = 1 + (unsigned)(ref_rand(rs) % 4);
    const char *start = *sw;

    for (unsigned t = 0; t < n; t++) {
        size_t k = ref_rand(rs) % REF_NTOKENS;

        ref_put(pw, ref_tokens[k].pat);
        if (ref_tokens[k].member)
            *(*sw)++ = ref_tokens[k].member;
        else if (ref_rand(rs) % 2)
            ref_put_random_name(rs, sw, 2);
    }
    if (*sw == start) /* only stars: any text will do */
        ref_put_random_name(rs, sw, 2);
}

/* A random path glob in pat and, seven times in eight, a path it matches in
 * path (else a random path). Both buffers must hold 256 bytes. */
static inline void ref_gen_pair(uint64_t *rs, char *pat, char *path)
{
    unsigned ncomp = (unsigned)(ref_rand(rs) % 5);
    bool matching = ref_rand(rs) % 8 != 0;
    char *pw = pat, *sw = path;

    if (ref_rand(rs) % 6)
        *pw++ = '/'; /* else the leading '/' is implied */
    *sw++ = '/';
    for (unsigned c = 0; c < ncomp; c++) {
        if (c)
            ref_put(&pw, ref_rand(rs) % 6 ? "/" : "//");
        if (ref_rand(rs) % 5 == 0) {
            ref_put(&pw, "**");
            for (unsigned k = (unsigned)(ref_rand(rs) % 3); k; k--) {
                ref_put_random_name(rs, &sw, 3);
                ref_put(&sw, ref_rand(rs) % 6 ? "/" : "//");
            }
            continue;
        }
        ref_gen_comp(rs, &pw, &sw);
        ref_put(&sw, ref_rand(rs) % 6 ? "/" : "//");
    }
    if (ref_rand(rs) % 5 == 0)
        *pw++ = '/';
    while (sw > path + 1 && sw[-1] == '/' && ref_rand(rs) % 3)
        sw--; /* usually no trailing '/' */
    *pw = '\0';
    *sw = '\0';
    if (!matching) {
        sw = path;
        for (unsigned c = (unsigned)(ref_rand(rs) % 4); c; c--) {
            *sw++ = '/';
            ref_put_random_name(rs, &sw, 4);
        }
        if (sw == path)
            *sw++ = '/';
        *sw = '\0';
    }
}

#endif
