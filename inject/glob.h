/* inject/glob.h — path and comm globs, compiled once when a rule is made.
 *
 * Invariants: a compiled glob is immutable and matched without allocation or
 * locks, so any number of threads may match one glob at once. Matching is
 * bounded by O(pattern × subject) steps (greedy star with one backtrack
 * point per level), never exponential.
 *
 * Path globs (relative to the mount root; a missing leading '/' is implied;
 * empty components, as in "a//b" or a trailing '/', are ignored on both sides):
 *   '*'   any run of characters within one component (not '/')
 *   '?'   one character (not '/')
 *   [abc] [a-z] [!abc] [^abc]  one character of (or not of) a class;
 *         ']' first in the class is literal; a class may not contain '/'
 *   '\x'  the character x literally
 *   '**'  as a whole component: zero or more components, so "/db" followed
 *         by a last component "**" matches "/db", "/db/a" and "/db/a/b";
 *         "**" inside a component (as in "a**b") is just '*'.
 * Comm globs: the whole name is one component ('*' also crosses '/', which
 * kernel thread names contain), same '?', classes and escapes.
 */
#ifndef SNAG_INJECT_GLOB_H
#define SNAG_INJECT_GLOB_H

#include <stdbool.h>
#include <stddef.h>

enum inj_glob_kind {
    INJ_GLOB_PATH,
    INJ_GLOB_COMM,
};

struct inj_glob;

/* Compile pattern. Returns 0 and a glob the caller owns (inj_glob_free()),
 * -EINVAL for a malformed pattern (unterminated class, trailing '\', '/' in
 * a class) or -ENOMEM. */
int inj_glob_compile(const char *pattern, enum inj_glob_kind kind,
                     struct inj_glob **out);
void inj_glob_free(struct inj_glob *g);

/* True when s matches. s == NULL never matches. */
bool inj_glob_match(const struct inj_glob *g, const char *s);

/* The leading run of literal components of a path glob, normalised as
 * "/c1/c2" (unescaped), and how many components it has (0: the glob starts
 * with a wildcard, prefix ""). Any path the glob matches has exactly these
 * first components; the rule index buckets rules by it. The string is owned
 * by the glob. */
const char *inj_glob_literal_prefix(const struct inj_glob *g, size_t *len,
                                    unsigned *depth);

/* A run of literal text, owned by a glob; not NUL-terminated. */
struct inj_glob_lit {
    const char *s;
    size_t len;
};

/* When the last component of path glob g is not '**', true and the literal
 * text (unescaped, possibly empty) that the last component of any path g
 * matches must start with (*head) and end with (*tail): the whole component
 * for plain text, else what precedes the first and follows the last
 * wildcard, escape or class. False for a comm glob, "/" and a last '**'.
 * The rule index buckets wildcard-led rules by one of them. */
bool inj_glob_last_literals(const struct inj_glob *g, struct inj_glob_lit *head,
                            struct inj_glob_lit *tail);

#endif
