/* policy/lexer.c — split one line of rule text into OPS and KEY[=VALUE] fields.
 *
 * Lexical rules (docs/rules.md, "Lexical structure"):
 *  - '#' starts a comment that runs to the end of the line, wherever it is,
 *    unless escaped as "\#".
 *  - Blanks (space, tab, CR) around the rule are ignored; a blank inside a
 *    rule is an error unless escaped ("\ "), which only a glob can use.
 *  - ':' separates fields unless escaped ("\:"); the first '=' in a field
 *    separates the key from the value.
 *  - A backslash escapes the next byte for this splitting; the backslash
 *    itself stays in the token (globs give it meaning, other values reject it).
 *  - Control bytes (NUL included) are errors anywhere in a rule.
 * The lexer yields fields one at a time so that the leftmost error on a line
 * is the one reported.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pol_internal.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_control(unsigned char c)
{
    return (c < 0x20 && !is_blank((char)c)) || c == 0x7f;
}

/* True when s[i] is escaped: an odd run of backslashes precedes it. */
static bool is_escaped(const char *s, size_t start, size_t i)
{
    size_t n = 0;

    while (i > start && s[i - 1] == '\\') {
        n++;
        i--;
    }
    return n % 2 == 1;
}

int pol_lex_start(struct pol_lexer *lx, const struct pol_ctx *ctx,
                  const char *line, size_t len)
{
    size_t start = 0, end = len;

    lx->ctx = ctx;
    lx->pos = 0;
    lx->colon = false;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\\' && i + 1 < len && line[i + 1] != '\n') {
            i++;
        } else if (line[i] == '#') {
            end = i;
            break;
        }
    }
    while (start < end && is_blank(line[start]))
        start++;
    while (end > start && is_blank(line[end - 1]) &&
           !is_escaped(line, start, end - 1))
        end--;
    lx->rule.s = line + start;
    lx->rule.len = end - start;
    lx->rule.col = (unsigned)start + 1;

    for (size_t i = 0; i < lx->rule.len; i++) {
        unsigned char c = (unsigned char)lx->rule.s[i];

        if (is_control(c)) {
            char shown[8];
            struct pol_tok t = pol_tok_sub(&lx->rule, i, 1);

            snprintf(shown, sizeof(shown), "\\x%02x", c);
            t.s = shown;
            t.len = strlen(shown);
            return pol_fail(ctx, &t,
                            "control character 0x%02x in a rule; rules are "
                            "printable text",
                            c);
        }
    }
    return 0;
}

/* The segment from lx->pos to the next unescaped ':' (or the end). Fails
 * when it holds an unescaped blank. */
static int next_segment(struct pol_lexer *lx, struct pol_tok *seg)
{
    const char *s = lx->rule.s;
    size_t i = lx->pos, n = lx->rule.len;
    bool blank = false;

    for (; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n)
            i++;
        else if (s[i] == ':')
            break;
        else if (is_blank(s[i]))
            blank = true;
    }
    *seg = pol_tok_sub(&lx->rule, lx->pos, i - lx->pos);
    lx->colon = i < n;
    lx->pos = lx->colon ? i + 1 : n;
    if (blank)
        return pol_fail(lx->ctx, seg,
                        "blank inside a rule; fields are written "
                        "OPS:KEY=VALUE with no spaces (escape a space in a "
                        "glob as '\\ ')");
    return 0;
}

int pol_lex_ops(struct pol_lexer *lx, struct pol_tok *ops)
{
    int rc = next_segment(lx, ops);

    if (rc < 0)
        return rc;
    if (ops->len == 0) {
        struct pol_tok t = pol_tok_sub(&lx->rule, 0, 1);

        return pol_fail(lx->ctx, &t,
                        "missing op list; a rule starts with OPS, e.g. "
                        "'read:error=EIO'");
    }
    return 0;
}

int pol_lex_field(struct pol_lexer *lx, struct pol_field *f)
{
    const char *eq;
    int rc;

    if (lx->pos >= lx->rule.len) {
        struct pol_tok t = pol_tok_sub(&lx->rule, lx->rule.len - 1, 1);

        if (!lx->colon)
            return 0;
        return pol_fail(lx->ctx, &t,
                        "trailing ':'; expected KEY=VALUE after it");
    }
    rc = next_segment(lx, &f->all);
    if (rc < 0)
        return rc;
    if (f->all.len == 0) {
        /* "a::b": point at the second ':' */
        struct pol_tok t = pol_tok_sub(&lx->rule, lx->pos - 1, 1);

        return pol_fail(lx->ctx, &t,
                        "empty field between two ':'; expected KEY=VALUE");
    }
    eq = memchr(f->all.s, '=', f->all.len);
    f->has_eq = eq != NULL;
    f->key = pol_tok_sub(&f->all, 0, eq ? (size_t)(eq - f->all.s) : f->all.len);
    f->val = eq ? pol_tok_sub(&f->all, f->key.len + 1, f->all.len)
                : pol_tok_sub(&f->all, f->all.len, 0);
    return 1;
}
