/* policy/glob.c — check path= and comm= globs before the engine compiles them.
 *
 * The syntax is the engine's (inject/glob.h): '*', '?', classes [..] with
 * '!' or '^' negation, '\x' escapes, and '**' as a whole path component.
 * Here we reject what the engine would refuse (an unterminated class, a
 * trailing '\', '/' inside a class or escaped) with a precise column, and
 * what could never match: a path that does not start with '/', "." or ".."
 * components (snagfs sees normalised paths), and a comm glob that needs more
 * than 15 bytes (the kernel keeps at most 15 of a process name).
 */
#include <errno.h>

#include "pol_internal.h"

#define COMM_MAX 15   /* TASK_COMM_LEN - 1 */
#define GLOB_MAX 4096 /* PATH_MAX */

/* Offset of the ']' closing the class opened at t->s[open], or 0. */
static size_t class_close(const struct pol_tok *t, size_t open)
{
    size_t i = open + 1;

    if (i < t->len && (t->s[i] == '!' || t->s[i] == '^'))
        i++;
    if (i < t->len && t->s[i] == ']') /* leading ']' is a member */
        i++;
    for (; i < t->len; i++) {
        if (t->s[i] == ']')
            return i;
        if (t->s[i] == '\\')
            i++;
    }
    return 0;
}

/* "." or ".." as the component starting at t->s[i] (just after a '/'). */
static size_t dot_component(const struct pol_tok *t, size_t i)
{
    size_t n = 0;

    while (i + n < t->len && t->s[i + n] == '.' && n < 3)
        n++;
    if ((n == 1 || n == 2) && (i + n == t->len || t->s[i + n] == '/'))
        return n;
    return 0;
}

int pol_check_glob(const struct pol_ctx *ctx, const struct pol_tok *t,
                   bool is_path)
{
    size_t min_len = 0;

    if (t->len > GLOB_MAX)
        return pol_fail(ctx, t, "glob longer than %d bytes", GLOB_MAX);
    if (is_path && t->s[0] != '/')
        return pol_fail(ctx, t,
                        "path must start with '/' (it is relative "
                        "to the mount root, e.g. /db/**)");
    for (size_t i = 0; i < t->len; i++) {
        char c = t->s[i];

        if (is_path && c == '/' && dot_component(t, i + 1)) {
            struct pol_tok d = pol_tok_sub(t, i + 1, dot_component(t, i + 1));

            return pol_fail(ctx, &d,
                            "'%.*s' component can never match: "
                            "snagfs matches normalised paths",
                            (int)d.len, d.s);
        }
        if (c == '\\') {
            struct pol_tok e = pol_tok_sub(t, i, 2);

            if (i + 1 == t->len)
                return pol_fail(ctx, &e, "trailing '\\' escapes nothing");
            if (is_path && t->s[i + 1] == '/')
                return pol_fail(ctx, &e,
                                "'/' cannot be escaped: it always "
                                "separates components");
            i++;
            min_len++;
        } else if (c == '[') {
            size_t close = class_close(t, i);
            struct pol_tok cls = pol_tok_sub(t, i, close ? close - i + 1 : 1);

            if (!close)
                return pol_fail(ctx, &cls,
                                "unbalanced '['; expected a class like "
                                "[abc] or [!a-z] closed by ']'");
            for (size_t j = i + 1; is_path && j < close; j++)
                if (t->s[j] == '/')
                    return pol_fail(ctx, &cls,
                                    "a class cannot contain '/': it never "
                                    "matches across components");
            i = close;
            min_len++;
        } else if (c != '*') {
            min_len++;
        }
    }
    if (!is_path && min_len > COMM_MAX)
        return pol_fail(ctx, t,
                        "comm glob needs %zu bytes but the kernel keeps at "
                        "most %d of a process name, so it can never match",
                        min_len, COMM_MAX);
    return 0;
}
