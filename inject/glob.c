/* inject/glob.c — compile path/comm globs once; match them without allocating.
 *
 * Invariants: a compiled path glob is a list of components, each LIT (plain
 * text, stored unescaped, matched by memcmp), WILD (raw pattern text, matched
 * character by character) or DSTAR ('**', zero or more components; runs of
 * them are collapsed at compile time). Every class in a WILD component was
 * checked to be terminated at compile time, so the matcher never checks.
 * Both levels use the classic greedy wildcard walk with a single backtrack
 * point, which is exact because every other token consumes exactly one item.
 * Before that walk, a WILD component is screened by conditions derived at
 * compile time that every subject it matches meets (length bounds, literal
 * head and tail), so most non-matching subjects cost a compare or two.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"

enum comp_kind { COMP_LIT, COMP_WILD, COMP_DSTAR };

/* For WILD, head and tail are the plain characters before the first and
 * after the last wildcard, escape or class; each token but '*' consumes one
 * character, so a match has at least min characters (exactly min without a
 * '*'), and min >= head + tail whenever there is a '*' to separate them. */
struct comp {
    const char *s; /* into g->text; not NUL-terminated */
    size_t len;
    size_t head, tail, min; /* WILD only */
    bool star;              /* WILD only */
    enum comp_kind kind;
};

struct inj_glob {
    enum inj_glob_kind kind;
    size_t n;
    struct comp *comps;
    char *text;   /* component texts, back to back */
    char *prefix; /* "/c1/c2": the leading LIT components */
    size_t prefix_len;
    unsigned depth;
};

/* The ']' closing a class whose body starts at p, or NULL. */
static const char *class_end(const char *p, const char *pe)
{
    if (p < pe && (*p == '!' || *p == '^'))
        p++;
    if (p < pe && *p == ']') /* a leading ']' is a member, not the end */
        p++;
    while (p < pe && *p != ']') {
        if (*p == '\\' && ++p >= pe)
            return NULL;
        p++;
    }
    return p < pe ? p : NULL;
}

static bool class_has(const char *p, const char *close, unsigned char c)
{
    bool neg = false, hit = false;

    if (*p == '!' || *p == '^') {
        neg = true;
        p++;
    }
    while (p < close) {
        unsigned char lo, hi;

        if (*p == '\\')
            p++;
        lo = hi = (unsigned char)*p++;
        if (p + 1 < close && *p == '-') {
            p++;
            if (*p == '\\')
                p++;
            hi = (unsigned char)*p++;
        }
        if (lo <= c && c <= hi)
            hit = true;
    }
    return hit != neg;
}

/* Match one non-star token at *pp against c; advance *pp past it on success. */
static bool token_match(const char **pp, const char *pe, unsigned char c)
{
    const char *p = *pp, *close;

    switch (*p) {
    case '?':
        *pp = p + 1;
        return true;
    case '[':
        close = class_end(p + 1, pe);
        if (!class_has(p + 1, close, c))
            return false;
        *pp = close + 1;
        return true;
    case '\\':
        if ((unsigned char)p[1] != c)
            return false;
        *pp = p + 2;
        return true;
    default:
        if ((unsigned char)*p != c)
            return false;
        *pp = p + 1;
        return true;
    }
}

/* Pattern [p, pe) against subject [s, se): '*' is any run, '**' is '*'.
 * Out of line so that comp_match() stays a leaf for plain text, the common
 * case, instead of saving registers for this loop on every call. */
__attribute__((noinline)) static bool wild_match(const char *p, const char *pe,
                                                 const char *s, const char *se)
{
    const char *star_p = NULL, *star_s = NULL;

    while (s < se) {
        if (p < pe && *p == '*') {
            while (p < pe && *p == '*')
                p++;
            star_p = p;
            star_s = s;
            continue;
        }
        if (p < pe && token_match(&p, pe, (unsigned char)*s)) {
            s++;
            continue;
        }
        if (!star_p)
            return false;
        p = star_p; /* let the last star swallow one more character */
        s = ++star_s;
    }
    while (p < pe && *p == '*')
        p++;
    return p == pe;
}

/* A necessary condition for WILD c to match [s, se), in a few compares. */
static bool wild_screen(const struct comp *c, const char *s, const char *se)
{
    size_t n = (size_t)(se - s);

    if (n < c->min || (!c->star && n != c->min))
        return false;
    /* n >= min >= head, tail: both compares stay inside the subject */
    if (c->head && memcmp(c->s, s, c->head) != 0)
        return false;
    return !c->tail ||
           memcmp(c->s + c->len - c->tail, se - c->tail, c->tail) == 0;
}

static bool comp_match(const struct comp *c, const char *s, const char *se)
{
    if (c->kind == COMP_LIT)
        return c->len == (size_t)(se - s) && memcmp(c->s, s, c->len) == 0;
    return wild_screen(c, s, se) && wild_match(c->s, c->s + c->len, s, se);
}

static const char *skip_slashes(const char *s)
{
    while (*s == '/')
        s++;
    return s;
}

static const char *comp_end(const char *s)
{
    while (*s && *s != '/')
        s++;
    return s;
}

/* A last pattern component other than '**' must match the subject's last
 * component. Checking that first rejects most non-matching subjects of
 * "**" globs (which the index cannot bucket) at the cost of one strlen. */
static bool last_comp_ok(const struct inj_glob *g, const char *s)
{
    const struct comp *c = &g->comps[g->n - 1];
    const char *e = s + strlen(s), *b;

    while (e > s && e[-1] == '/')
        e--;
    for (b = e; b > s && b[-1] != '/'; b--)
        ;
    return b < e && comp_match(c, b, e);
}

static bool path_match(const struct inj_glob *g, const char *s)
{
    size_t pi = 0, star_pi = SIZE_MAX;
    const char *star_s = NULL;

    if (g->n && g->comps[g->n - 1].kind != COMP_DSTAR && !last_comp_ok(g, s))
        return false;
    for (;;) {
        const char *e;

        s = skip_slashes(s);
        if (!*s)
            break;
        e = comp_end(s);
        if (pi < g->n && g->comps[pi].kind == COMP_DSTAR) {
            star_pi = pi++; /* try '**' as zero components first */
            star_s = s;
            continue;
        }
        if (pi < g->n && comp_match(&g->comps[pi], s, e)) {
            pi++;
            s = e;
            continue;
        }
        if (star_pi == SIZE_MAX)
            return false;
        pi = star_pi + 1; /* let '**' swallow one more component */
        star_s = comp_end(skip_slashes(star_s));
        s = star_s;
    }
    while (pi < g->n && g->comps[pi].kind == COMP_DSTAR)
        pi++;
    return pi == g->n;
}

bool inj_glob_match(const struct inj_glob *g, const char *s)
{
    if (!s)
        return false;
    if (g->kind == INJ_GLOB_COMM) /* its one LIT or WILD component */
        return comp_match(&g->comps[0], s, s + strlen(s));
    return path_match(g, s);
}

/* Check [p, pe) is a well-formed component; say whether it has wildcards. */
static int comp_check(const char *p, const char *pe, bool *wild)
{
    *wild = false;
    for (; p < pe; p++) {
        switch (*p) {
        case '\\':
            if (++p >= pe)
                return -EINVAL;
            break;
        case '*':
        case '?':
            *wild = true;
            break;
        case '[':
            p = class_end(p + 1, pe);
            if (!p)
                return -EINVAL;
            *wild = true;
            break;
        }
    }
    return 0;
}

/* Fill the screening fields of WILD c from its pattern text. */
static void wild_measure(struct comp *c)
{
    const char *p = c->s, *pe = c->s + c->len, *q = pe;

    while (c->head < c->len && !strchr("*?[\\", p[c->head]))
        c->head++;
    /* Trailing ordinary characters are literal whatever precedes them (a
     * class ends in ']', an escape only makes a character literal), so
     * every match ends with them. */
    while (q > p && !strchr("*?[]\\", q[-1]))
        q--;
    c->tail = (size_t)(pe - q);
    while (p < pe) {
        if (*p == '*') {
            c->star = true;
            p++;
            continue;
        }
        if (*p == '[')
            p = class_end(p + 1, pe);
        else if (*p == '\\')
            p++;
        p++;
        c->min++;
    }
}

/* Append comp [p, pe) to g; LIT text is stored unescaped. */
static void comp_add(struct inj_glob *g, char **tp, const char *p,
                     const char *pe, bool wild)
{
    struct comp *c = &g->comps[g->n];
    char *t = *tp;

    if (pe - p == 2 && p[0] == '*' && p[1] == '*' && g->kind == INJ_GLOB_PATH) {
        if (g->n && g->comps[g->n - 1].kind == COMP_DSTAR)
            return; /* a '**' run is one '**' */
        c->kind = COMP_DSTAR;
        c->s = t;
        c->len = 0;
        g->n++;
        return;
    }
    c->kind = wild ? COMP_WILD : COMP_LIT;
    c->s = t;
    for (; p < pe; p++) {
        if (!wild && *p == '\\')
            p++;
        *t++ = *p;
    }
    c->len = (size_t)(t - c->s);
    if (wild)
        wild_measure(c);
    *tp = t;
    g->n++;
}

static int build_prefix(struct inj_glob *g)
{
    size_t len = 0;
    char *w;

    while (g->depth < g->n && g->comps[g->depth].kind == COMP_LIT)
        len += 1 + g->comps[g->depth++].len;
    g->prefix = malloc(len + 1);
    if (!g->prefix)
        return -ENOMEM;
    w = g->prefix;
    for (unsigned i = 0; i < g->depth; i++) {
        *w++ = '/';
        memcpy(w, g->comps[i].s, g->comps[i].len);
        w += g->comps[i].len;
    }
    *w = '\0';
    g->prefix_len = len;
    return 0;
}

int inj_glob_compile(const char *pattern, enum inj_glob_kind kind,
                     struct inj_glob **out)
{
    size_t plen = strlen(pattern);
    struct inj_glob *g;
    const char *p = pattern, *end = pattern + plen;
    char *t;
    bool wild;
    int rc = -ENOMEM;

    *out = NULL;
    g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    g->kind = kind;
    /* Components number at most plen/2 + 1; text never grows on copy. */
    g->comps = calloc(plen / 2 + 1, sizeof(*g->comps));
    g->text = malloc(plen + 1);
    if (!g->comps || !g->text)
        goto out_free;
    t = g->text;
    if (kind == INJ_GLOB_COMM) {
        rc = comp_check(p, end, &wild);
        if (rc)
            goto out_free;
        comp_add(g, &t, p, end, wild);
    } else {
        while (p < end) {
            const char *e = p;

            while (e < end && *e != '/') {
                if (*e == '\\' && e + 1 < end)
                    e++; /* an escaped '/' is caught by comp_check below */
                else if (*e == '[' && class_end(e + 1, end))
                    e = class_end(e + 1, end);
                e++;
            }
            if (e > p) {
                rc = comp_check(p, e, &wild);
                if (rc)
                    goto out_free;
                /* a class or escape reaching past this component's '/'
                 * made the split above see no '/' inside it: refuse */
                if (memchr(p, '/', (size_t)(e - p))) {
                    rc = -EINVAL;
                    goto out_free;
                }
                comp_add(g, &t, p, e, wild);
            }
            p = e < end ? e + 1 : e;
        }
        rc = build_prefix(g);
        if (rc)
            goto out_free;
    }
    *out = g;
    return 0;

out_free:
    inj_glob_free(g);
    return rc;
}

void inj_glob_free(struct inj_glob *g)
{
    if (!g)
        return;
    free(g->comps);
    free(g->text);
    free(g->prefix);
    free(g);
}

bool inj_glob_last_literals(const struct inj_glob *g, struct inj_glob_lit *head,
                            struct inj_glob_lit *tail)
{
    const struct comp *c;

    if (g->kind != INJ_GLOB_PATH || !g->n ||
        g->comps[g->n - 1].kind == COMP_DSTAR)
        return false;
    c = &g->comps[g->n - 1];
    head->s = c->s;
    tail->s = c->s + c->len;
    head->len = tail->len = c->len;
    if (c->kind == COMP_WILD) {
        head->len = c->head;
        tail->len = c->tail;
    }
    tail->s -= tail->len;
    return true;
}

const char *inj_glob_literal_prefix(const struct inj_glob *g, size_t *len,
                                    unsigned *depth)
{
    if (len)
        *len = g->prefix_len;
    if (depth)
        *depth = g->depth;
    return g->prefix ? g->prefix : "";
}
