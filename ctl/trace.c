/* ctl/trace.c — --trace writer.
 *
 * Invariants: seq comes from one atomic counter, so every line's seq is
 * unique (file order may differ from seq order under concurrency); a line is
 * formatted completely in memory and handed to one write(2).
 */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "occur.h"
#include "stats.h"

struct ctl_trace {
    int fd;
    char *path;
    _Atomic uint64_t seq;
    _Atomic uint64_t written;
    struct ctl_occur *occur;
};

static const struct {
    unsigned bit;
    const char *name;
} action_names[] = {
    {INJ_ACT_ERROR, "error"},   {INJ_ACT_DELAY, "delay"},
    {INJ_ACT_SHORT, "short"},   {INJ_ACT_CORRUPT, "corrupt"},
    {INJ_ACT_HANG, "hang"},     {INJ_ACT_LIE, "lie"},
    {INJ_ACT_SELFIO, "selfio"},
};
#define N_ACTIONS (sizeof(action_names) / sizeof(action_names[0]))

static const char *const corrupt_names[] = {"none", "flip", "zero", "random"};

const char *ctl_action_names(unsigned actions, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_ACTIONS; i++) {
        if (!(actions & action_names[i].bit))
            continue;
        int n = snprintf(buf + o, size - o, "%s%s", o ? "," : "",
                         action_names[i].name);
        if (n < 0 || (size_t)n >= size - o)
            break;
        o += (size_t)n;
    }
    if (!o)
        snprintf(buf, size, "pass");
    return buf;
}

int ctl_action_parse(const char *s, size_t len, unsigned *actions)
{
    unsigned m = 0;
    size_t i = 0;
    if (len == 4 && memcmp(s, "pass", 4) == 0) {
        *actions = 0;
        return 0;
    }
    while (i <= len) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        unsigned bit = 0;
        for (size_t k = 0; k < N_ACTIONS; k++)
            if (strlen(action_names[k].name) == j - i &&
                memcmp(action_names[k].name, s + i, j - i) == 0)
                bit = action_names[k].bit;
        if (!bit || (m & bit))
            return -EINVAL;
        m |= bit;
        i = j + 1;
    }
    *actions = m;
    return 0;
}

int ctl_trace_open(const char *path, struct ctl_trace **out)
{
    struct ctl_trace *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    int rc = -ENOMEM;
    t->path = strdup(path);
    t->occur = ctl_occur_new();
    if (!t->path || !t->occur)
        goto out_free;
    t->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (t->fd < 0) {
        rc = -errno;
        goto out_free;
    }
    *out = t;
    return 0;
out_free:
    ctl_occur_free(t->occur);
    free(t->path);
    free(t);
    return rc;
}

void ctl_trace_close(struct ctl_trace *t)
{
    if (!t)
        return;
    close(t->fd);
    ctl_occur_free(t->occur);
    free(t->path);
    free(t);
}

uint64_t ctl_trace_occurrence(struct ctl_trace *t, enum inj_op op,
                              const char *path)
{
    return t ? ctl_occur_next(t->occur, op, path) : 0;
}

uint64_t ctl_trace_count(const struct ctl_trace *t)
{
    return t ? atomic_load(&((struct ctl_trace *)t)->written) : 0;
}

const char *ctl_trace_path(const struct ctl_trace *t)
{
    return t ? t->path : NULL;
}

void ctl_trace_format(struct ctl_buf *b, const struct ctl_trace_event *ev,
                      uint64_t seq, uint64_t mono_ns, uint64_t wall_ns)
{
    const struct inj_verdict *v = ev->v;
    char tbuf[64], acts[64];
    time_t secs = (time_t)(wall_ns / 1000000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t tl = strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(tbuf + tl, sizeof(tbuf) - tl, ".%06uZ",
             (unsigned)(wall_ns % 1000000000u / 1000u));

    ctl_buf_printf(b,
                   "{\"v\":%d,\"seq\":%llu,\"mono_ns\":%llu,"
                   "\"wall_ns\":%llu,\"time\":\"%s\",\"op\":\"%s\",\"path\":",
                   CTL_TRACE_VERSION, (unsigned long long)seq,
                   (unsigned long long)mono_ns, (unsigned long long)wall_ns,
                   tbuf, ctl_op_name(ev->op));
    ctl_buf_json_cstr(b, ev->path);
    ctl_buf_printf(b, ",\"node\":%llu,\"pid\":%u,\"comm\":",
                   (unsigned long long)ev->node, ev->pid);
    ctl_buf_json_cstr(b, ev->comm);
    ctl_buf_printf(b, ",\"uid\":%u,\"gid\":%u,\"occurrence\":%llu,\"rule\":",
                   ev->uid, ev->gid, (unsigned long long)ev->occurrence);
    ctl_buf_json_cstr(b, v->rule_id);
    const char *ename = v->err ? strerrorname_np(v->err) : NULL;
    ctl_buf_printf(b,
                   ",\"match\":%llu,\"gen\":%llu,\"action\":\"%s\","
                   "\"errno\":",
                   (unsigned long long)v->match_no,
                   (unsigned long long)v->generation,
                   ctl_action_names(v->actions, acts, sizeof(acts)));
    ctl_buf_json_cstr(b, ename);
    ctl_buf_printf(b, ",\"err\":%d", v->err);
    if (ev->has_offset)
        ctl_buf_printf(b, ",\"offset\":%llu", (unsigned long long)ev->offset);
    else
        ctl_buf_puts(b, ",\"offset\":null");
    if (ev->has_size)
        ctl_buf_printf(b, ",\"size\":%llu", (unsigned long long)ev->size);
    else
        ctl_buf_puts(b, ",\"size\":null");
    unsigned c = (unsigned)v->corrupt < 4 ? (unsigned)v->corrupt : 0;
    ctl_buf_printf(b,
                   ",\"delay_ns\":%llu,\"short\":%llu,\"corrupt\":\"%s\","
                   "\"hang_ns\":%llu,\"stream\":%llu}\n",
                   (unsigned long long)v->delay_ns,
                   (unsigned long long)v->short_len, corrupt_names[c],
                   (unsigned long long)v->hang_ns,
                   (unsigned long long)v->stream);
}

static int trace_write(struct ctl_trace *t, struct ctl_buf *b)
{
    int rc = 0;
    if (b->oom)
        return -ENOMEM;
    ssize_t n;
    do {
        n = write(t->fd, b->data, b->len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        rc = -errno;
    else if ((size_t)n != b->len)
        rc = -EIO;
    else
        atomic_fetch_add(&t->written, 1);
    return rc;
}

int ctl_trace_watchdog(struct ctl_trace *t, const char *kind, const char *op,
                       uint64_t node, uint32_t pid, const char *comm,
                       uint64_t age_ns, const char *action)
{
    if (!t)
        return -EINVAL;
    uint64_t seq = atomic_fetch_add(&t->seq, 1) + 1;
    struct ctl_buf b = {0};
    ctl_buf_printf(&b,
                   "{\"v\":%d,\"seq\":%llu,\"mono_ns\":%llu,"
                   "\"event\":\"watchdog\",\"kind\":",
                   CTL_TRACE_VERSION, (unsigned long long)seq,
                   (unsigned long long)ctl_now_ns());
    ctl_buf_json_cstr(&b, kind ? kind : "?");
    ctl_buf_puts(&b, ",\"op\":");
    ctl_buf_json_cstr(&b, op ? op : "?");
    ctl_buf_printf(&b, ",\"node\":%llu,\"pid\":%u,\"comm\":",
                   (unsigned long long)node, pid);
    ctl_buf_json_cstr(&b, comm ? comm : "");
    ctl_buf_printf(&b,
                   ",\"age_ns\":%llu,\"action\":", (unsigned long long)age_ns);
    ctl_buf_json_cstr(&b, action ? action : "");
    ctl_buf_puts(&b, "}\n");
    int rc = trace_write(t, &b);
    ctl_buf_free(&b);
    return rc;
}

int ctl_trace_record(struct ctl_trace *t, const struct ctl_trace_event *ev)
{
    if (!t || !ev || !ev->v)
        return -EINVAL;
    uint64_t seq = atomic_fetch_add(&t->seq, 1) + 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t wall = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    struct ctl_buf b = {0};
    ctl_trace_format(&b, ev, seq, ctl_now_ns(), wall);
    int rc = 0;
    if (b.oom) {
        rc = -ENOMEM;
        goto out_free;
    }
    ssize_t n;
    do {
        n = write(t->fd, b.data, b.len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        rc = -errno;
    else if ((size_t)n != b.len)
        rc = -EIO; /* disk full mid-line: replay will flag the torn line */
    else
        atomic_fetch_add(&t->written, 1);
out_free:
    ctl_buf_free(&b);
    return rc;
}
