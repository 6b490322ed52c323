/* ctl/json.h — a minimal strict JSON reader for the one-line objects ctl
 * writes.
 *
 * It reads exactly one object per call: top-level members may be strings,
 * integers, true/false/null, or nested arrays/objects (kept as raw text, for
 * callers that only pass them through). Anything else — trailing bytes,
 * duplicate keys, leading zeros, fractions, unpaired surrogates, raw control
 * bytes — is an error with a 1-based column. \u0080..\u00ff decode to that
 * single raw byte (the inverse of ctl_buf_json_str's invalid-UTF-8 escape).
 */
#ifndef SNAG_CTL_JSON_H
#define SNAG_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_JSON_MAX_FIELDS 64

enum ctl_json_type {
    CTL_JSON_STRING,
    CTL_JSON_INT, /* fits int64 (neg) or uint64 */
    CTL_JSON_BOOL,
    CTL_JSON_NULL,
    CTL_JSON_RAW, /* nested array/object: raw text in str */
};

struct ctl_json_field {
    char *key; /* decoded, NUL-terminated, points into the object's arena */
    enum ctl_json_type type;
    char *str;  /* STRING (decoded, may hold NULs: see len) or RAW */
    size_t len; /* bytes in str */
    bool neg;   /* INT: value is -(u) */
    uint64_t u; /* INT magnitude */
    bool b;     /* BOOL */
    size_t col; /* 1-based column where the value starts */
};

struct ctl_json_obj {
    struct ctl_json_field f[CTL_JSON_MAX_FIELDS];
    size_t n;
    char *arena; /* owned: keys and strings */
};

/* Parse s[0..len) as one object. Returns 0, -EINVAL (then *col and *msg say
 * where and what; msg is static) or -ENOMEM. On error obj is left empty. */
int ctl_json_parse(const char *s, size_t len, struct ctl_json_obj *obj,
                   size_t *col, const char **msg);
void ctl_json_free(struct ctl_json_obj *obj);

/* The field named key, or NULL. */
const struct ctl_json_field *ctl_json_get(const struct ctl_json_obj *obj,
                                          const char *key);

#endif
