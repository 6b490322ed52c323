/* policy/pol_internal.h — what the parser's files share; not part of the API.
 *
 * A token is a slice of the line being parsed (never NUL-terminated) with
 * its 1-based byte column. Every error goes through pol_fail(), which
 * copies the token into the caller's struct pol_error, so no error path
 * allocates and every message carries line, column and token.
 */
#ifndef SNAG_POLICY_INTERNAL_H
#define SNAG_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct pol_tok {
    const char *s;
    size_t len;
    unsigned col;
};

/* Where errors go: the caller's error, the file name and the line. */
struct pol_ctx {
    struct pol_error *err;
    const char *file;
    unsigned line;
};

/* Fill ctx->err from tok and a printf-style message; returns -EINVAL. */
int pol_fail(const struct pol_ctx *ctx, const struct pol_tok *tok,
             const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The slice tok[off, off + len), clamped to tok. */
struct pol_tok pol_tok_sub(const struct pol_tok *tok, size_t off, size_t len);

/* True when tok spells exactly word. */
bool pol_tok_eq(const struct pol_tok *tok, const char *word);

/* A malloc'd NUL-terminated copy of tok (the caller frees it), or NULL on
 * ENOMEM. Reads exactly tok->len bytes: the text need not be terminated. */
char *pol_tok_dup(const struct pol_tok *tok);

/* Copy tok into buf (size bytes) NUL-terminated; false when it does not fit. */
bool pol_tok_str(const struct pol_tok *tok, char *buf, size_t size);

/* The candidate closest to word by edit distance when it is close enough to
 * be a plausible typo (case is ignored), else NULL. */
const char *pol_suggest(const struct pol_tok *word, const char *const *cands,
                        size_t n);

/* ---- lexer.c: one line of rule text into OPS and KEY[=VALUE] fields ---- */

struct pol_field {
    struct pol_tok all; /* "key=value" */
    struct pol_tok key;
    struct pol_tok val; /* empty when !has_eq */
    bool has_eq;
};

struct pol_lexer {
    const struct pol_ctx *ctx;
    struct pol_tok rule; /* the rule text: comment and outer blanks removed */
    size_t pos;          /* next byte of rule.s to look at */
    bool colon;          /* the last segment ended with a ':' */
};

/* Start on line (len bytes, no '\n'). Returns 0 with lx->rule empty for a
 * blank or comment-only line, or -EINVAL. */
int pol_lex_start(struct pol_lexer *lx, const struct pol_ctx *ctx,
                  const char *line, size_t len);

/* The OPS token (first thing on the line). 0 or -EINVAL. */
int pol_lex_ops(struct pol_lexer *lx, struct pol_tok *ops);

/* The next field: 1 and *f, 0 at the end of the rule, or -EINVAL. */
int pol_lex_field(struct pol_lexer *lx, struct pol_field *f);

/* ---- values.c: numbers, sizes, durations, ranges, probabilities ---- */

int pol_parse_uint(const struct pol_ctx *ctx, const struct pol_tok *t,
                   uint64_t max, uint64_t *out);
int pol_parse_size(const struct pol_ctx *ctx, const struct pol_tok *t,
                   uint64_t *out);
int pol_parse_duration(const struct pol_ctx *ctx, const struct pol_tok *t,
                       uint64_t *ns);
/* A..B, A.. (B = UINT64_MAX when open_ok) or A, in bytes or nanoseconds. */
int pol_parse_range(const struct pol_ctx *ctx, const struct pol_tok *t,
                    bool durations, bool open_ok, struct inj_range *r);
int pol_parse_when(const struct pol_ctx *ctx, const struct pol_tok *t,
                   struct inj_rule_spec *spec);
int pol_parse_prob(const struct pol_ctx *ctx, const struct pol_tok *t,
                   double *p);
/* Offset of the first ".." in t, or -1. */
long pol_find_dotdot(const struct pol_tok *t);

/* ---- glob.c ---- */

/* Check a path (starts with '/') or comm glob as inject/glob.c accepts it,
 * plus what can never match. 0 or -EINVAL. */
int pol_check_glob(const struct pol_ctx *ctx, const struct pol_tok *t,
                   bool is_path);

/* ---- errno_names.c, errno_ops.c ---- */

/* The errno name closest to word, for "did you mean", or NULL. */
const char *pol_errno_suggest(const struct pol_tok *word);

/* "fsync(2)": the man page(s) the op's errno table comes from. */
const char *pol_op_manref(enum inj_op op);

/* ---- keys.c: one field's value into the spec ---- */

enum pol_key {
    POL_KEY_PATH,
    POL_KEY_PID,
    POL_KEY_UID,
    POL_KEY_GID,
    POL_KEY_COMM,
    POL_KEY_OFFSET,
    POL_KEY_SIZE,
    POL_KEY_FLAGS,
    POL_KEY_WHEN,
    POL_KEY_PROB,
    POL_KEY_AFTER,
    POL_KEY_FOR,
    POL_KEY_ERROR,
    POL_KEY_DELAY,
    POL_KEY_SHORT,
    POL_KEY_CORRUPT,
    POL_KEY_HANG,
    POL_KEY_LIE,
    POL_KEY_ID,
    POL_KEY_FORCE,
    POL_KEY_SELFIO,
    POL_KEY_SELFIO_SIZE,
    POL_KEY_COUNT
};

/* One rule while it is being parsed: the spec plus where each part was,
 * so that checks made after all fields are read can still point at them. */
struct pol_rule_state {
    const struct pol_ctx *ctx;
    struct inj_rule_spec *spec;
    struct pol_tok rule;
    struct pol_tok ops_tok;
    bool seen[POL_KEY_COUNT];
    struct pol_field fields[POL_KEY_COUNT]; /* valid where seen[] */
    unsigned order[POL_KEY_COUNT];          /* keys in text order */
    unsigned n_order;
    struct pol_tok errno_tok[INJ_MAX_ERRNOS];
};

extern const char *const pol_key_names[POL_KEY_COUNT];

/* -1 when name is no key. */
int pol_key_lookup(const struct pol_tok *name);
bool pol_key_takes_value(enum pol_key key);
int pol_key_parse(struct pol_rule_state *st, enum pol_key key,
                  const struct pol_field *f);

/* ---- check.c: what needs the whole rule ---- */

int pol_check_rule(struct pol_rule_state *st);

#endif
