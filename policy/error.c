/* policy/error.c — parse errors, token helpers and "did you mean" suggestions.
 *
 * Every field of struct pol_error is bounded; tokens and messages that do
 * not fit are truncated with "...", never overflowed. Nothing here
 * allocates, so reporting an error cannot itself fail.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pol_internal.h"

/* Copy src[0..len) into dst (size bytes), truncating with "...". */
static void copy_trunc(char *dst, size_t size, const char *src, size_t len)
{
    if (size == 0)
        return;
    if (len < size) {
        memcpy(dst, src, len);
        dst[len] = '\0';
        return;
    }
    if (size < 4) {
        dst[0] = '\0';
        return;
    }
    memcpy(dst, src, size - 4);
    memcpy(dst + size - 4, "...", 4);
}

int pol_fail(const struct pol_ctx *ctx, const struct pol_tok *tok,
             const char *fmt, ...)
{
    struct pol_error *err = ctx->err;
    va_list ap;
    int n;

    if (!err)
        return -EINVAL;
    memset(err, 0, sizeof(*err));
    copy_trunc(err->file, sizeof(err->file), ctx->file, strlen(ctx->file));
    err->line = ctx->line;
    err->col = tok ? tok->col : 0;
    if (tok)
        copy_trunc(err->token, sizeof(err->token), tok->s, tok->len);
    va_start(ap, fmt);
    n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(err->msg))
        memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
    return -EINVAL;
}

struct pol_tok pol_tok_sub(const struct pol_tok *tok, size_t off, size_t len)
{
    struct pol_tok t;

    if (off > tok->len)
        off = tok->len;
    if (len > tok->len - off)
        len = tok->len - off;
    t.s = tok->s + off;
    t.len = len;
    t.col = tok->col + (unsigned)off;
    return t;
}

bool pol_tok_eq(const struct pol_tok *tok, const char *word)
{
    return strlen(word) == tok->len && memcmp(tok->s, word, tok->len) == 0;
}

bool pol_tok_str(const struct pol_tok *tok, char *buf, size_t size)
{
    if (tok->len >= size)
        return false;
    memcpy(buf, tok->s, tok->len);
    buf[tok->len] = '\0';
    return true;
}

/* Optimal string alignment distance, case-insensitive, capped at 9. */
static unsigned edit_distance(const char *a, size_t la, const char *b)
{
    unsigned d[3][33];
    size_t lb = strlen(b);

    if (la > 32 || lb > 32)
        return 9;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned *cur = d[i % 3], *prev = d[(i - 1) % 3];
        unsigned *prev2 = d[(i + 1) % 3];

        cur[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]);
            int cb = tolower((unsigned char)b[j - 1]);
            unsigned best = prev[j - 1] + (ca != cb);

            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1; /* transposition */
            cur[j] = best;
        }
    }
    return d[la % 3][lb] > 9 ? 9 : d[la % 3][lb];
}

const char *pol_suggest(const struct pol_tok *word, const char *const *cands,
                        size_t n)
{
    const char *best = NULL;
    unsigned best_d = 9;
    /* One edit per three letters, at least one, at most three: "pth" →
     * "path", "ENOSCP" → "ENOSPC", but "x" suggests nothing. */
    unsigned limit = (unsigned)(word->len / 3);

    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    for (size_t i = 0; i < n; i++) {
        unsigned d = edit_distance(word->s, word->len, cands[i]);

        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    return best_d <= limit && best_d < word->len ? best : NULL;
}

const char *pol_error_format(const struct pol_error *err, char *buf,
                             size_t size)
{
    if (!buf || size == 0)
        return buf;
    if (err->line == 0)
        snprintf(buf, size, "%s: %s", err->file, err->msg);
    else if (err->token[0])
        snprintf(buf, size, "%s:%u:%u: %s (at '%s')", err->file, err->line,
                 err->col, err->msg, err->token);
    else
        snprintf(buf, size, "%s:%u:%u: %s", err->file, err->line, err->col,
                 err->msg);
    return buf;
}

char *pol_tok_dup(const struct pol_tok *tok)
{
    char *copy = malloc(tok->len + 1);

    if (!copy)
        return NULL;
    memcpy(copy, tok->s, tok->len);
    copy[tok->len] = '\0';
    return copy;
}
