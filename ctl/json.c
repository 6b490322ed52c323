/* ctl/json.c — strict one-object JSON reader (see json.h for the accepted
 * subset).
 *
 * Invariant: the arena is sized up front (input length + one NUL per field),
 * and every decoded key or string is no longer than its quoted source, so
 * decoding never reallocates and pointers into the arena stay valid.
 */
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct jp {
    const char *s;
    size_t len, pos;
    char *arena;
    size_t used;
    const char *msg;
    int depth;
};

static int jp_fail(struct jp *p, const char *msg)
{
    p->msg = msg;
    return -EINVAL;
}

static void jp_ws(struct jp *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void put_utf8(char *d, size_t *o, unsigned cp)
{
    if (cp < 0x800) {
        d[(*o)++] = (char)(0xc0 | (cp >> 6));
    } else if (cp < 0x10000) {
        d[(*o)++] = (char)(0xe0 | (cp >> 12));
        d[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    } else {
        d[(*o)++] = (char)(0xf0 | (cp >> 18));
        d[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        d[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    }
    d[(*o)++] = (char)(0x80 | (cp & 0x3f));
}

/* Decode the string at p->pos (on its opening quote) into the arena. */
static int jp_string(struct jp *p, char **out, size_t *out_len)
{
    char *d = p->arena + p->used;
    size_t o = 0;
    p->pos++;
    for (;;) {
        if (p->pos >= p->len)
            return jp_fail(p, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20 || c == 0x7f)
            return jp_fail(p, "raw control byte in string");
        if (c >= 0x80) {
            size_t l = ctl_utf8_seq_len((const unsigned char *)p->s + p->pos,
                                        p->len - p->pos);
            if (!l)
                return jp_fail(p, "invalid UTF-8 in string");
            memcpy(d + o, p->s + p->pos, l);
            o += l;
            p->pos += l;
            continue;
        }
        if (c != '\\') {
            d[o++] = (char)c;
            p->pos++;
            continue;
        }
        if (p->pos + 1 >= p->len)
            return jp_fail(p, "unterminated escape");
        char e = p->s[p->pos + 1];
        p->pos += 2;
        switch (e) {
        case '"':
            d[o++] = '"';
            continue;
        case '\\':
            d[o++] = '\\';
            continue;
        case '/':
            d[o++] = '/';
            continue;
        case 'b':
            d[o++] = '\b';
            continue;
        case 'f':
            d[o++] = '\f';
            continue;
        case 'n':
            d[o++] = '\n';
            continue;
        case 'r':
            d[o++] = '\r';
            continue;
        case 't':
            d[o++] = '\t';
            continue;
        case 'u':
            break;
        default:
            p->pos -= 2;
            return jp_fail(p, "unknown escape");
        }
        unsigned cp;
        if (p->pos + 4 > p->len || hex4(p->s + p->pos, &cp)) {
            p->pos -= 2;
            return jp_fail(p, "bad \\u escape");
        }
        p->pos += 4;
        if (cp < 0x80 || (cp >= 0x80 && cp <= 0xff)) {
            /* 0x80..0xff: a raw byte, see json.h. */
            d[o++] = (char)cp;
            continue;
        }
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return jp_fail(p, "unpaired surrogate");
        if (cp >= 0xd800 && cp <= 0xdbff) {
            unsigned lo;
            if (p->pos + 6 > p->len || p->s[p->pos] != '\\' ||
                p->s[p->pos + 1] != 'u' || hex4(p->s + p->pos + 2, &lo) ||
                lo < 0xdc00 || lo > 0xdfff)
                return jp_fail(p, "unpaired surrogate");
            p->pos += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        put_utf8(d, &o, cp);
    }
    d[o] = '\0';
    *out = d;
    *out_len = o;
    p->used += o + 1;
    return 0;
}

static int jp_int(struct jp *p, struct ctl_json_field *f)
{
    f->neg = false;
    if (p->s[p->pos] == '-') {
        f->neg = true;
        p->pos++;
    }
    size_t start = p->pos;
    uint64_t v = 0;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        unsigned d = (unsigned)(p->s[p->pos] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return jp_fail(p, "integer out of range");
        v = v * 10 + d;
        p->pos++;
    }
    if (p->pos == start)
        return jp_fail(p, "expected a digit");
    if (p->s[start] == '0' && p->pos - start > 1) {
        p->pos = start;
        return jp_fail(p, "leading zero");
    }
    if (p->pos < p->len &&
        (p->s[p->pos] == '.' || p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
        return jp_fail(p, "only integers are accepted");
    if (f->neg && v > (uint64_t)INT64_MAX + 1)
        return jp_fail(p, "integer out of range");
    f->type = CTL_JSON_INT;
    f->u = v;
    return 0;
}

static int jp_skip_value(struct jp *p);

/* Skip a nested array or object, validating it. */
static int jp_skip_nested(struct jp *p)
{
    char open = p->s[p->pos], close = open == '[' ? ']' : '}';
    if (++p->depth > 32)
        return jp_fail(p, "nesting too deep");
    p->pos++;
    jp_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        p->depth--;
        return 0;
    }
    for (;;) {
        jp_ws(p);
        if (open == '{') {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return jp_fail(p, "expected a key string");
            char *k;
            size_t kl, save = p->used;
            int rc = jp_string(p, &k, &kl);
            p->used = save; /* nested keys are not kept */
            if (rc)
                return rc;
            jp_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return jp_fail(p, "expected ':'");
            p->pos++;
            jp_ws(p);
        }
        int rc = jp_skip_value(p);
        if (rc)
            return rc;
        jp_ws(p);
        if (p->pos >= p->len)
            return jp_fail(p, "unterminated array or object");
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] == close) {
            p->pos++;
            p->depth--;
            return 0;
        }
        return jp_fail(p, "expected ',' or a closing bracket");
    }
}

static int jp_literal(struct jp *p, const char *lit)
{
    size_t l = strlen(lit);
    if (p->len - p->pos < l || memcmp(p->s + p->pos, lit, l) != 0)
        return jp_fail(p, "unexpected token");
    p->pos += l;
    return 0;
}

static int jp_skip_value(struct jp *p)
{
    if (p->pos >= p->len)
        return jp_fail(p, "expected a value");
    char c = p->s[p->pos];
    struct ctl_json_field tmp;
    if (c == '"') {
        char *s;
        size_t l, save = p->used;
        int rc = jp_string(p, &s, &l);
        p->used = save;
        return rc;
    }
    if (c == '[' || c == '{')
        return jp_skip_nested(p);
    if (c == '-' || (c >= '0' && c <= '9'))
        return jp_int(p, &tmp);
    if (c == 't')
        return jp_literal(p, "true");
    if (c == 'f')
        return jp_literal(p, "false");
    if (c == 'n')
        return jp_literal(p, "null");
    return jp_fail(p, "expected a value");
}

static int jp_value(struct jp *p, struct ctl_json_field *f)
{
    if (p->pos >= p->len)
        return jp_fail(p, "expected a value");
    char c = p->s[p->pos];
    f->col = p->pos + 1;
    if (c == '"') {
        f->type = CTL_JSON_STRING;
        return jp_string(p, &f->str, &f->len);
    }
    if (c == '[' || c == '{') {
        size_t start = p->pos;
        int rc = jp_skip_nested(p);
        if (rc)
            return rc;
        f->type = CTL_JSON_RAW;
        f->len = p->pos - start;
        f->str = p->arena + p->used;
        memcpy(f->str, p->s + start, f->len);
        f->str[f->len] = '\0';
        p->used += f->len + 1;
        return 0;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return jp_int(p, f);
    if (c == 't' || c == 'f') {
        f->type = CTL_JSON_BOOL;
        f->b = c == 't';
        return jp_literal(p, f->b ? "true" : "false");
    }
    if (c == 'n') {
        f->type = CTL_JSON_NULL;
        return jp_literal(p, "null");
    }
    return jp_fail(p, "expected a value");
}

int ctl_json_parse(const char *s, size_t len, struct ctl_json_obj *obj,
                   size_t *col, const char **msg)
{
    memset(obj, 0, sizeof(*obj));
    struct jp p = {.s = s, .len = len};
    p.arena = malloc(len + CTL_JSON_MAX_FIELDS * 2 + 1);
    if (!p.arena)
        return -ENOMEM;
    int rc;
    jp_ws(&p);
    if (p.pos >= len || s[p.pos] != '{') {
        rc = jp_fail(&p, "expected '{'");
        goto out_fail;
    }
    p.pos++;
    jp_ws(&p);
    if (p.pos < len && s[p.pos] == '}') {
        p.pos++;
        goto out_end;
    }
    for (;;) {
        jp_ws(&p);
        if (p.pos >= len || s[p.pos] != '"') {
            rc = jp_fail(&p, "expected a key string");
            goto out_fail;
        }
        if (obj->n == CTL_JSON_MAX_FIELDS) {
            rc = jp_fail(&p, "too many members");
            goto out_fail;
        }
        struct ctl_json_field *f = &obj->f[obj->n];
        size_t key_pos = p.pos, kl;
        if ((rc = jp_string(&p, &f->key, &kl)))
            goto out_fail;
        if (strlen(f->key) != kl) {
            p.pos = key_pos;
            rc = jp_fail(&p, "NUL in key");
            goto out_fail;
        }
        for (size_t i = 0; i < obj->n; i++) {
            if (strcmp(obj->f[i].key, f->key) == 0) {
                p.pos = key_pos;
                rc = jp_fail(&p, "duplicate key");
                goto out_fail;
            }
        }
        jp_ws(&p);
        if (p.pos >= len || s[p.pos] != ':') {
            rc = jp_fail(&p, "expected ':'");
            goto out_fail;
        }
        p.pos++;
        jp_ws(&p);
        if ((rc = jp_value(&p, f)))
            goto out_fail;
        obj->n++;
        jp_ws(&p);
        if (p.pos < len && s[p.pos] == ',') {
            p.pos++;
            continue;
        }
        if (p.pos < len && s[p.pos] == '}') {
            p.pos++;
            break;
        }
        rc = jp_fail(&p, p.pos >= len ? "unterminated object"
                                      : "expected ',' or '}'");
        goto out_fail;
    }
out_end:
    jp_ws(&p);
    if (p.pos != len) {
        rc = jp_fail(&p, "trailing bytes after the object");
        goto out_fail;
    }
    obj->arena = p.arena;
    return 0;
out_fail:
    if (col)
        *col = p.pos + 1;
    if (msg)
        *msg = p.msg;
    free(p.arena);
    memset(obj, 0, sizeof(*obj));
    return rc;
}

void ctl_json_free(struct ctl_json_obj *obj)
{
    free(obj->arena);
    memset(obj, 0, sizeof(*obj));
}

const struct ctl_json_field *ctl_json_get(const struct ctl_json_obj *obj,
                                          const char *key)
{
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->f[i].key, key) == 0)
            return &obj->f[i];
    return NULL;
}
