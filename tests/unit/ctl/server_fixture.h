/* tests/unit/ctl/server_fixture.h — shared fixture for the control-server
 * tests: a fresh engine and server per test, and a line client.
 *
 * Included by test_server.c and test_hostile.c only (static helpers, one
 * copy per test binary). Each test gets its own temp dir and socket.
 */
#ifndef SNAG_TEST_CTL_SERVER_FIXTURE_H
#define SNAG_TEST_CTL_SERVER_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl.h"
#include "json.h"
#include "protocol.h"

struct fx {
    char dir[64], sock[128], rules[128];
    struct inj_engine *e;
    struct ctl_stats *st;
    struct ctl_server *srv;
    _Atomic long released;
};

static __attribute__((unused)) long hook_release(void *ctx, const char *id)
{
    struct fx *f = ctx;
    if (strcmp(id, "nohang") == 0)
        return -ENOENT;
    return ++f->released;
}

static __attribute__((unused)) uint64_t hook_inflight(void *ctx)
{
    (void)ctx;
    return 7;
}

static __attribute__((unused)) void hook_log(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg; /* the tests check effects, not log text */
}

static __attribute__((unused)) int start(struct fx *f, unsigned max_clients,
                                         unsigned idle_ms)
{
    struct ctl_source src[] = {{CTL_SRC_FILE, f->rules},
                               {CTL_SRC_RULE, "fsync:error=EIO:id=cli"}};
    struct ctl_config cfg = {.socket_path = f->sock,
                             .engine = f->e,
                             .stats = f->st,
                             .sources = src,
                             .n_sources = 2,
                             .mount_label = "/mnt/\"x\"",
                             .allowed_uid = 0,
                             .max_clients = max_clients,
                             .idle_ms = idle_ms,
                             .hooks = {.ctx = f,
                                       .release = hook_release,
                                       .inflight = hook_inflight,
                                       .log = hook_log}};
    char err[256];
    int rc = ctl_server_start(&cfg, &f->srv, err, sizeof(err));
    if (rc)
        fprintf(stderr, "start: %s\n", err);
    return rc;
}

static __attribute__((unused)) int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/ctl_srv_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->sock, sizeof(f->sock), "%s/sub/ctl.sock", f->dir);
    snprintf(f->rules, sizeof(f->rules), "%s/a.rules", f->dir);
    FILE *r = fopen(f->rules, "w");
    fputs("# test rules\nwrite:error=ENOSPC:id=disk\n", r);
    fclose(r);
    f->e = inj_engine_new(42);
    f->st = ctl_stats_new();
    *state = f;
    return start(f, 8, 500);
}

static __attribute__((unused)) int teardown(void **state)
{
    struct fx *f = *state;
    ctl_server_stop(f->srv);
    inj_engine_free(f->e);
    ctl_stats_free(f->st);
    unlink(f->rules);
    char p[160];
    snprintf(p, sizeof(p), "%s/sub", f->dir);
    rmdir(p);
    rmdir(f->dir);
    free(f);
    return 0;
}

static __attribute__((unused)) int cl_connect(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static __attribute__((unused)) void cl_send(int fd, const void *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the server may close on us: that is what we test */
        p = (const char *)p + w;
        n -= (size_t)w;
    }
}

/* One response line (malloc'd, no newline), or NULL on EOF/timeout. Peeks
 * so bytes after the newline (a pipelined answer) stay in the socket. */
static __attribute__((unused)) char *cl_read_line(int fd)
{
    size_t cap = 65536, len = 0;
    char *b = malloc(cap + 1);
    for (;;) {
        if (len == cap)
            b = realloc(b, (cap *= 2) + 1);
        ssize_t n = recv(fd, b + len, cap - len, MSG_PEEK);
        if (n <= 0) {
            free(b);
            return NULL;
        }
        char *nl = memchr(b + len, '\n', (size_t)n);
        size_t take = nl ? (size_t)(nl - (b + len)) + 1 : (size_t)n;
        if (recv(fd, b + len, take, 0) != (ssize_t)take) {
            free(b);
            return NULL;
        }
        len += take;
        if (nl)
            break;
    }
    b[len - 1] = '\0';
    return b;
}

static __attribute__((unused)) char *cl_req(int fd, const char *line)
{
    cl_send(fd, line, strlen(line));
    cl_send(fd, "\n", 1);
    return cl_read_line(fd);
}

/* Connect, send one request, parse the answer into *o. */
static __attribute__((unused)) void req(struct fx *f, const char *line,
                                        struct ctl_json_obj *o)
{
    int fd = cl_connect(f->sock);
    assert_true(fd >= 0);
    char *r = cl_req(fd, line);
    close(fd);
    if (!r)
        fail_msg("no answer to '%s'", line);
    size_t col;
    const char *msg;
    if (ctl_json_parse(r, strlen(r), o, &col, &msg) != 0)
        fail_msg("bad JSON at %zu (%s): %s", col, msg, r);
    free(r);
}

static __attribute__((unused)) bool jok(const struct ctl_json_obj *o)
{
    const struct ctl_json_field *f = ctl_json_get(o, "ok");
    return f && f->type == CTL_JSON_BOOL && f->b;
}

static __attribute__((unused)) uint64_t jnum(const struct ctl_json_obj *o,
                                             const char *k)
{
    const struct ctl_json_field *f = ctl_json_get(o, k);
    if (!f || f->type != CTL_JSON_INT)
        fail_msg("no integer field %s", k);
    return f->u;
}

static __attribute__((unused)) const char *jstr(const struct ctl_json_obj *o,
                                                const char *k)
{
    const struct ctl_json_field *f = ctl_json_get(o, k);
    return f && f->type == CTL_JSON_STRING ? f->str : NULL;
}

static __attribute__((unused)) void expect_err(struct fx *f, const char *line,
                                               const char *errname,
                                               const char *fragment)
{
    struct ctl_json_obj o;
    req(f, line, &o);
    assert_false(jok(&o));
    assert_string_equal(jstr(&o, "errno"), errname);
    if (fragment && !strstr(jstr(&o, "error"), fragment))
        fail_msg("'%s': error '%s' lacks '%s'", line, jstr(&o, "error"),
                 fragment);
    ctl_json_free(&o);
}

/* The server still answers: the check after every hostile act. */
static __attribute__((unused)) void still_serving(struct fx *f)
{
    struct ctl_json_obj o;
    req(f, "snagctl/1 version", &o);
    assert_true(jok(&o));
    assert_string_equal(jstr(&o, "protocol"), "snagctl/1");
    ctl_json_free(&o);
}

static __attribute__((unused)) const char *get_none(void *ctx)
{
    (void)ctx;
    return "/f";
}

static __attribute__((unused)) bool fire(struct fx *f, enum inj_op op)
{
    struct inj_request rq = {
        .op = op, .get_path = get_none, .get_comm = get_none};
    struct inj_verdict v;
    return inj_decide(f->e, &rq, &v);
}

#endif
