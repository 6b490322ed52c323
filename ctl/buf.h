/* ctl/buf.h — a growable byte buffer and the JSON string escaping every ctl
 * writer uses.
 *
 * A buffer that failed to grow stays valid and remembers the failure in
 * `oom`; later appends are no-ops, so writers append freely and check once.
 * data is always NUL-terminated when len > 0 or after ctl_buf_str().
 */
#ifndef SNAG_CTL_BUF_H
#define SNAG_CTL_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct ctl_buf {
    char *data; /* owned; NULL until the first append */
    size_t len, cap;
    bool oom;
};

void ctl_buf_free(struct ctl_buf *b);
void ctl_buf_reset(struct ctl_buf *b); /* len = 0, keeps the storage */
void ctl_buf_append(struct ctl_buf *b, const void *p, size_t n);
void ctl_buf_puts(struct ctl_buf *b, const char *s);
void ctl_buf_printf(struct ctl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The contents as a C string ("" for an empty buffer). */
const char *ctl_buf_str(struct ctl_buf *b);

/* Append s[0..n) as a JSON string literal, quotes included. Valid UTF-8 is
 * copied as is; control bytes, DEL, '"' and '\\' are escaped; every byte of
 * an invalid UTF-8 sequence becomes \u00XX (XX >= 80), which ctl_json
 * decodes back to that raw byte, so arbitrary byte paths round-trip. */
void ctl_buf_json_str(struct ctl_buf *b, const char *s, size_t n);
/* Same for a NUL-terminated string; NULL is written as null. */
void ctl_buf_json_cstr(struct ctl_buf *b, const char *s);

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
size_t ctl_utf8_seq_len(const unsigned char *s, size_t n);

#endif
