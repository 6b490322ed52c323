/* ctl/buf.c — growable buffer and JSON string escaping.
 *
 * Invariant: after any append, either data[len] == '\0' or oom is set; a
 * buffer never shrinks while in use so pointers from ctl_buf_str() stay valid
 * until the next append.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctl_buf_free(struct ctl_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void ctl_buf_reset(struct ctl_buf *b)
{
    b->len = 0;
    b->oom = false;
    if (b->data)
        b->data[0] = '\0';
}

static bool buf_reserve(struct ctl_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void ctl_buf_append(struct ctl_buf *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ctl_buf_puts(struct ctl_buf *b, const char *s)
{
    ctl_buf_append(b, s, strlen(s));
}

void ctl_buf_printf(struct ctl_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        ctl_buf_append(b, small, (size_t)n);
        return;
    }
    if (!buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *ctl_buf_str(struct ctl_buf *b)
{
    /* After an OOM the contents are a truncated but terminated prefix. */
    return b->data ? b->data : "";
}

size_t ctl_utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void ctl_buf_json_str(struct ctl_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    ctl_buf_append(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        size_t run = 0;
        /* Copy the longest run of bytes that need no escaping in one go. */
        while (i + run < n) {
            unsigned d = u[i + run];
            if (d < 0x20 || d == 0x7f || d == '"' || d == '\\')
                break;
            if (d < 0x80) {
                run++;
                continue;
            }
            size_t l = ctl_utf8_seq_len(u + i + run, n - i - run);
            if (!l)
                break;
            run += l;
        }
        if (run) {
            ctl_buf_append(b, u + i, run);
            i += run;
            continue;
        }
        c = u[i++];
        switch (c) {
        case '"':
            ctl_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            ctl_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            ctl_buf_append(b, "\\n", 2);
            break;
        case '\t':
            ctl_buf_append(b, "\\t", 2);
            break;
        case '\r':
            ctl_buf_append(b, "\\r", 2);
            break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ctl_buf_append(b, esc, 6);
        }
        }
    }
    ctl_buf_append(b, "\"", 1);
}

void ctl_buf_json_cstr(struct ctl_buf *b, const char *s)
{
    if (!s)
        ctl_buf_puts(b, "null");
    else
        ctl_buf_json_str(b, s, strlen(s));
}
