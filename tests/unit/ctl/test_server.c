/* tests/unit/ctl/test_server.c — the control server end to end over a real socket and engine (unit.ctl.server).
 *
 * Each test starts a fresh engine and server on a temp socket and drives it
 * as snagctl would. Covers every command, atomic generations, wait (fires,
 * times out, rule removed), reload (command and SIGHUP path), stats in all
 * formats, and hostile clients: a 1 MiB line, binary junk, truncated
 * requests, a client that never writes, 100 clients at once, a peer of
 * another uid. After each hostile act the server must still answer.
 */
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

static long hook_release(void *ctx, const char *id)
{
    struct fx *f = ctx;
    if (strcmp(id, "nohang") == 0)
        return -ENOENT;
    return ++f->released;
}

static uint64_t hook_inflight(void *ctx)
{
    (void)ctx;
    return 7;
}

static void hook_log(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg; /* the tests check effects, not log text */
}

static int start(struct fx *f, unsigned max_clients, unsigned idle_ms)
{
    struct ctl_source src[] = {{CTL_SRC_FILE, f->rules},
                               {CTL_SRC_RULE, "fsync:error=EIO:id=cli"}};
    struct ctl_config cfg = {
        .socket_path = f->sock, .engine = f->e, .stats = f->st,
        .sources = src, .n_sources = 2, .mount_label = "/mnt/\"x\"",
        .allowed_uid = 0, .max_clients = max_clients, .idle_ms = idle_ms,
        .hooks = {.ctx = f, .release = hook_release,
                  .inflight = hook_inflight, .log = hook_log}};
    char err[256];
    int rc = ctl_server_start(&cfg, &f->srv, err, sizeof(err));
    if (rc)
        fprintf(stderr, "start: %s\n", err);
    return rc;
}

static int setup(void **state)
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

static int teardown(void **state)
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

static int cl_connect(const char *path)
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

static void cl_send(int fd, const void *p, size_t n)
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
static char *cl_read_line(int fd)
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

static char *cl_req(int fd, const char *line)
{
    cl_send(fd, line, strlen(line));
    cl_send(fd, "\n", 1);
    return cl_read_line(fd);
}

/* Connect, send one request, parse the answer into *o. */
static void req(struct fx *f, const char *line, struct ctl_json_obj *o)
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

static bool jok(const struct ctl_json_obj *o)
{
    const struct ctl_json_field *f = ctl_json_get(o, "ok");
    return f && f->type == CTL_JSON_BOOL && f->b;
}

static uint64_t jnum(const struct ctl_json_obj *o, const char *k)
{
    const struct ctl_json_field *f = ctl_json_get(o, k);
    if (!f || f->type != CTL_JSON_INT)
        fail_msg("no integer field %s", k);
    return f->u;
}

static const char *jstr(const struct ctl_json_obj *o, const char *k)
{
    const struct ctl_json_field *f = ctl_json_get(o, k);
    return f && f->type == CTL_JSON_STRING ? f->str : NULL;
}

static void expect_err(struct fx *f, const char *line, const char *errname,
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
static void still_serving(struct fx *f)
{
    struct ctl_json_obj o;
    req(f, "snagctl/1 version", &o);
    assert_true(jok(&o));
    assert_string_equal(jstr(&o, "protocol"), "snagctl/1");
    ctl_json_free(&o);
}

static const char *get_none(void *ctx)
{
    (void)ctx;
    return "/f";
}

static bool fire(struct fx *f, enum inj_op op)
{
    struct inj_request rq = {.op = op, .get_path = get_none,
                             .get_comm = get_none};
    struct inj_verdict v;
    return inj_decide(f->e, &rq, &v);
}

static void test_socket_mode_and_basics(void **state)
{
    struct fx *f = *state;
    struct stat st;
    assert_int_equal(stat(f->sock, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    still_serving(f);
    struct ctl_json_obj o;
    req(f, "snagctl/1 help", &o);
    assert_true(jok(&o));
    assert_non_null(strstr(jstr(&o, "text"), "wait ID N"));
    ctl_json_free(&o);
    req(f, "snagctl/1 generation", &o);
    assert_true(jok(&o));
    uint64_t g0 = jnum(&o, "gen");
    ctl_json_free(&o);
    req(f, "snagctl/1 trace", &o);
    assert_true(jok(&o));
    assert_int_equal(ctl_json_get(&o, "trace")->type, CTL_JSON_NULL);
    ctl_json_free(&o);
    expect_err(f, "snagctl/2 list", "EPROTONOSUPPORT", "column 1");
    expect_err(f, "list", "EPROTO", "must start with");
    expect_err(f, "snagctl/1 frob", "EINVAL", "column 11: unknown command");
    req(f, "snagctl/1 generation", &o);
    assert_int_equal(jnum(&o, "gen"), g0); /* errors change nothing */
    ctl_json_free(&o);
}

static void test_add_list_del_clear(void **state)
{
    struct fx *f = *state;
    struct ctl_json_obj o;
    req(f, "snagctl/1 generation", &o);
    uint64_t g = jnum(&o, "gen");
    ctl_json_free(&o);

    req(f, "snagctl/1 add read:path=/my\\ dir/*:error=EIO", &o);
    if (!jok(&o))
        fail_msg("add: %s", jstr(&o, "error"));
    assert_int_equal(jnum(&o, "gen"), g + 1);
    char id1[64];
    snprintf(id1, sizeof(id1), "%s", jstr(&o, "id"));
    ctl_json_free(&o);
    req(f, "snagctl/1 add write:error=ENOSPC:id=full", &o);
    assert_true(jok(&o));
    assert_string_equal(jstr(&o, "id"), "full");
    assert_int_equal(jnum(&o, "gen"), g + 2);
    ctl_json_free(&o);
    /* Duplicate id: refused, generation unchanged. */
    expect_err(f, "snagctl/1 add read:error=EIO:id=full", "EEXIST", "full");
    /* A bad rule: file, line, column and token come back. */
    req(f, "snagctl/1 add read:pth=/x:error=EIO", &o);
    assert_false(jok(&o));
    assert_string_equal(jstr(&o, "errno"), "EINVAL");
    assert_non_null(strstr(jstr(&o, "error"), "<control>:1:6:"));
    assert_int_equal(jnum(&o, "col"), 6);
    assert_int_equal(jnum(&o, "line"), 1);
    assert_string_equal(jstr(&o, "token"), "pth");
    assert_int_equal(jnum(&o, "gen"), g + 2);
    ctl_json_free(&o);

    req(f, "snagctl/1 list", &o);
    assert_true(jok(&o));
    const struct ctl_json_field *rules = ctl_json_get(&o, "rules");
    assert_int_equal(rules->type, CTL_JSON_RAW);
    assert_non_null(strstr(rules->str, id1));
    assert_non_null(strstr(rules->str, "\"text\":\"read:path=/my\\\\ dir/*:error=EIO\""));
    assert_non_null(strstr(rules->str, "\"origin\":\"<control>:1\""));
    assert_non_null(strstr(jstr(&o, "text"), "full"));
    ctl_json_free(&o);

    char line[128];
    snprintf(line, sizeof(line), "snagctl/1 del %s", id1);
    req(f, line, &o);
    assert_true(jok(&o));
    assert_int_equal(jnum(&o, "gen"), g + 3);
    ctl_json_free(&o);
    expect_err(f, line, "ENOENT", "no rule with id");
    req(f, "snagctl/1 clear", &o);
    assert_true(jok(&o));
    assert_int_equal(jnum(&o, "gen"), g + 4);
    assert_int_equal(jnum(&o, "removed"), 1);
    ctl_json_free(&o);
    req(f, "snagctl/1 list", &o);
    assert_string_equal(ctl_json_get(&o, "rules")->str, "[]");
    ctl_json_free(&o);
}

static void test_wait(void **state)
{
    struct fx *f = *state;
    struct ctl_json_obj o;
    req(f, "snagctl/1 add read:error=EIO:id=rd", &o);
    assert_true(jok(&o));
    ctl_json_free(&o);
    /* Not yet fired: the wait is pending while the server keeps serving. */
    int fd = cl_connect(f->sock);
    cl_send(fd, "snagctl/1 wait rd 2 timeout=20s\n", 32);
    usleep(50000);
    still_serving(f);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    assert_true(fire(f, INJ_OP_READ));
    assert_false(fire(f, INJ_OP_GETATTR));
    assert_true(fire(f, INJ_OP_READ));
    char *r = cl_read_line(fd);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"ok\":true"));
    assert_non_null(strstr(r, "\"fired\":2"));
    free(r);
    /* The same connection takes the next request after a wait. */
    r = cl_req(fd, "snagctl/1 wait rd 1");
    assert_non_null(strstr(r, "\"ok\":true"));
    free(r);
    close(fd);

    /* Times out: exit path of `snagctl wait`. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    req(f, "snagctl/1 wait rd 5 timeout=150ms", &o);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_false(jok(&o));
    assert_string_equal(jstr(&o, "errno"), "ETIMEDOUT");
    assert_int_equal(jnum(&o, "fired"), 2);
    double el = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(el >= 0.14 && el < 2.0);
    ctl_json_free(&o);
    /* Unknown rule: at once. */
    expect_err(f, "snagctl/1 wait nope 1", "ENOENT", "nope");
    /* Rule deleted while waited on. */
    fd = cl_connect(f->sock);
    cl_send(fd, "snagctl/1 wait rd 9\n", 20);
    usleep(30000);
    req(f, "snagctl/1 del rd", &o);
    assert_true(jok(&o));
    ctl_json_free(&o);
    r = cl_read_line(fd);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"errno\":\"ENOENT\""));
    assert_non_null(strstr(r, "removed after firing 2 of 9"));
    free(r);
    close(fd);
    /* A waiter that hangs up is dropped, and the server lives on. */
    fd = cl_connect(f->sock);
    req(f, "snagctl/1 add read:error=EIO:id=rd2", &o);
    ctl_json_free(&o);
    cl_send(fd, "snagctl/1 wait rd2 1000\n", 24);
    usleep(20000);
    close(fd);
    usleep(50000);
    still_serving(f);
}

static void test_reload(void **state)
{
    struct fx *f = *state;
    struct ctl_json_obj o;
    req(f, "snagctl/1 add read:error=EIO:id=mine", &o);
    ctl_json_free(&o);
    req(f, "snagctl/1 reload", &o);
    assert_true(jok(&o));
    uint64_t g = jnum(&o, "gen");
    ctl_json_free(&o);
    req(f, "snagctl/1 list", &o);
    const char *rules = ctl_json_get(&o, "rules")->str;
    /* File rule first, then -r rule, then the control-added one kept. */
    const char *a = strstr(rules, "\"disk\""), *b = strstr(rules, "\"cli\""),
               *c = strstr(rules, "\"mine\"");
    assert_true(a && b && c && a < b && b < c);
    ctl_json_free(&o);
    /* Counters survive a reload of an unchanged rule. */
    assert_true(fire(f, INJ_OP_WRITE));
    req(f, "snagctl/1 reload", &o);
    ctl_json_free(&o);
    req(f, "snagctl/1 wait disk 1 timeout=1s", &o);
    assert_true(jok(&o));
    ctl_json_free(&o);
    /* A broken file: error with file:line:col, rules untouched. */
    FILE *r = fopen(f->rules, "w");
    fputs("write:error=ENOSPC:id=disk\nread:eror=EIO\n", r);
    fclose(r);
    req(f, "snagctl/1 reload", &o);
    assert_false(jok(&o));
    char want[160];
    snprintf(want, sizeof(want), "%s:2:", f->rules);
    assert_non_null(strstr(jstr(&o, "error"), want));
    assert_int_equal(jnum(&o, "gen"), g + 1);
    ctl_json_free(&o);
    /* SIGHUP path: async request, applied by the server thread. */
    r = fopen(f->rules, "w");
    fputs("write:error=ENOSPC:id=disk2\n", r);
    fclose(r);
    ctl_server_request_reload(f->srv);
    for (int i = 0; i < 200 && inj_engine_generation(f->e) == g + 1; i++)
        usleep(5000);
    assert_int_equal(inj_engine_generation(f->e), g + 2);
    req(f, "snagctl/1 list", &o);
    assert_non_null(strstr(ctl_json_get(&o, "rules")->str, "disk2"));
    assert_null(strstr(ctl_json_get(&o, "rules")->str, "\"disk\""));
    ctl_json_free(&o);
    /* A file rule taking the id of a control-added one: named clash. */
    r = fopen(f->rules, "w");
    fputs("read:error=EIO:id=mine\n", r);
    fclose(r);
    req(f, "snagctl/1 reload", &o);
    assert_false(jok(&o));
    assert_string_equal(jstr(&o, "errno"), "EEXIST");
    assert_non_null(strstr(jstr(&o, "error"), "rule id 'mine' is already used"));
    ctl_json_free(&o);
    assert_string_equal(ctl_server_socket_path(f->srv), f->sock);
}

static void test_stats_release(void **state)
{
    struct fx *f = *state;
    ctl_stats_record(f->st, INJ_OP_READ, 30000, 0);
    ctl_stats_record(f->st, INJ_OP_READ, 2000000, EIO);
    struct ctl_json_obj o;
    req(f, "snagctl/1 add read:error=EIO:id=rd", &o);
    ctl_json_free(&o);
    assert_true(fire(f, INJ_OP_READ));
    req(f, "snagctl/1 stats prometheus", &o);
    assert_true(jok(&o));
    const char *t = jstr(&o, "text");
    assert_non_null(strstr(t, "# TYPE snagfs_op_latency_seconds histogram\n"));
    assert_non_null(strstr(t, "snagfs_op_requests_total{mount=\"/mnt/\\\"x\\\"\","
                              "op=\"read\"} 2\n"));
    assert_non_null(strstr(t, "snagfs_op_errors_total{mount=\"/mnt/\\\"x\\\"\","
                              "op=\"read\"} 1\n"));
    assert_non_null(strstr(t, "op=\"read\",le=\"5e-05\"} 1\n"));
    assert_non_null(strstr(t, "op=\"read\",le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(t, "snagfs_rule_fired_total{mount=\"/mnt/\\\"x\\\"\","
                              "rule=\"rd\"} 1\n"));
    assert_non_null(strstr(t, "snagfs_inflight_requests{mount=\"/mnt/\\\"x\\\"\"} 7\n"));
    assert_non_null(strstr(t, "snagfs_uptime_seconds"));
    ctl_json_free(&o);
    req(f, "snagctl/1 stats json", &o);
    assert_true(jok(&o));
    assert_int_equal(jnum(&o, "inflight"), 7);
    assert_non_null(strstr(ctl_json_get(&o, "ops")->str,
                           "{\"op\":\"read\",\"requests\":2,\"errors\":1,"));
    ctl_json_free(&o);
    req(f, "snagctl/1 stats", &o);
    assert_non_null(strstr(jstr(&o, "text"), "7 in flight"));
    ctl_json_free(&o);
    req(f, "snagctl/1 release rd", &o);
    assert_true(jok(&o));
    assert_int_equal(jnum(&o, "released"), 1);
    ctl_json_free(&o);
    expect_err(f, "snagctl/1 release nohang", "ENOENT", "release failed");
}

/* --- hostile clients --- */

static void test_oversized_line(void **state)
{
    struct fx *f = *state;
    int fd = cl_connect(f->sock);
    size_t n = 1u << 20;
    char *big = malloc(n);
    memcpy(big, "snagctl/1 add ", 14);
    memset(big + 14, 'a', n - 14);
    cl_send(fd, big, n); /* the server closes midway: EPIPE is fine */
    free(big);
    char *r = cl_read_line(fd);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"errno\":\"E2BIG\""));
    assert_non_null(strstr(r, "longer than 65536 bytes"));
    free(r);
    char c;
    assert_true(recv(fd, &c, 1, 0) <= 0); /* and closed */
    close(fd);
    /* Exactly at the limit is fine (and is a bad rule, not a bad line). */
    fd = cl_connect(f->sock);
    big = malloc(CTL_LINE_MAX + 2);
    memcpy(big, "snagctl/1 add ", 14);
    memset(big + 14, 'a', CTL_LINE_MAX - 14);
    memcpy(big + CTL_LINE_MAX, "\r\n", 2);
    cl_send(fd, big, CTL_LINE_MAX + 2);
    free(big);
    r = cl_read_line(fd);
    assert_non_null(r);
    assert_null(strstr(r, "E2BIG"));
    assert_non_null(strstr(r, "\"errno\":\"EINVAL\""));
    free(r);
    close(fd);
    still_serving(f);
}

static void test_binary_and_truncated(void **state)
{
    struct fx *f = *state;
    /* Binary junk with newlines: one error per line, connection kept. */
    int fd = cl_connect(f->sock);
    unsigned char junk[512];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)(i * 37 + 11) == '\n'
                      ? 0
                      : (unsigned char)(i * 37 + 11);
    junk[100] = '\n';
    junk[sizeof(junk) - 1] = '\n';
    cl_send(fd, junk, sizeof(junk));
    for (int i = 0; i < 2; i++) {
        char *r = cl_read_line(fd);
        assert_non_null(r);
        assert_non_null(strstr(r, "\"ok\":false"));
        struct ctl_json_obj o;
        size_t col;
        const char *msg;
        assert_int_equal(ctl_json_parse(r, strlen(r), &o, &col, &msg), 0);
        ctl_json_free(&o);
        free(r);
    }
    char *r = cl_req(fd, "snagctl/1 version");
    assert_non_null(strstr(r, "\"ok\":true"));
    free(r);
    close(fd);
    /* Truncated: no newline, then the write side closes. */
    fd = cl_connect(f->sock);
    cl_send(fd, "snagctl/1 li", 12);
    shutdown(fd, SHUT_WR);
    r = cl_read_line(fd);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"errno\":\"EPROTO\""));
    assert_non_null(strstr(r, "truncated request"));
    free(r);
    close(fd);
    /* Pipelined requests in one write, and a half-closed sender. */
    fd = cl_connect(f->sock);
    const char *three = "snagctl/1 generation\nsnagctl/1 version\n"
                        "snagctl/1 generation\n";
    cl_send(fd, three, strlen(three));
    shutdown(fd, SHUT_WR);
    for (int i = 0; i < 3; i++) {
        r = cl_read_line(fd);
        assert_non_null(r);
        assert_non_null(strstr(r, "\"ok\":true"));
        free(r);
    }
    assert_null(cl_read_line(fd));
    close(fd);
    /* Connect and vanish at once. */
    for (int i = 0; i < 20; i++)
        close(cl_connect(f->sock));
    usleep(50000); /* beyond max_clients they are refused until reaped */
    still_serving(f);
}

static void test_idle_client(void **state)
{
    struct fx *f = *state;
    int fd = cl_connect(f->sock);
    int slow = cl_connect(f->sock);
    cl_send(slow, "snagctl/1 ver", 13); /* a partial request never finished */
    still_serving(f);                    /* others are served meanwhile */
    char *r = cl_read_line(fd);          /* idle_ms = 500 */
    assert_non_null(r);
    assert_non_null(strstr(r, "\"errno\":\"ETIMEDOUT\""));
    free(r);
    assert_null(cl_read_line(fd));
    r = cl_read_line(slow);
    assert_non_null(strstr(r, "ETIMEDOUT"));
    free(r);
    close(fd);
    close(slow);
    still_serving(f);
}

struct crowd {
    struct fx *f;
    int ok, busy, other;
};

static void *crowd_member(void *p)
{
    struct crowd *c = p;
    int fd = cl_connect(c->f->sock);
    if (fd < 0) {
        c->other = 1;
        return NULL;
    }
    usleep(100000); /* all 100 connected at once */
    char *r = cl_req(fd, "snagctl/1 version");
    close(fd);
    if (r && strstr(r, "\"ok\":true"))
        c->ok = 1;
    else if (r && strstr(r, "\"errno\":\"EBUSY\""))
        c->busy = 1;
    else if (!r)
        c->busy = 1; /* refused before our request was read: the refusal
                        line may be lost when we sent into a closed socket */
    else
        c->other = 1;
    free(r);
    return NULL;
}

static void test_hundred_clients(void **state)
{
    struct fx *f = *state;
    /* The fixture allows 8 clients: 92 of 100 must be refused cleanly. */
    static struct crowd c[100];
    pthread_t th[100];
    for (int i = 0; i < 100; i++) {
        c[i] = (struct crowd){.f = f};
        pthread_create(&th[i], NULL, crowd_member, &c[i]);
    }
    int ok = 0, busy = 0, other = 0;
    for (int i = 0; i < 100; i++) {
        pthread_join(th[i], NULL);
        ok += c[i].ok;
        busy += c[i].busy;
        other += c[i].other;
    }
    assert_int_equal(other, 0);
    assert_int_equal(ok + busy, 100);
    assert_true(ok >= 8);
    assert_true(busy >= 1);
    still_serving(f);
}

static void test_other_uid(void **state)
{
    struct fx *f = *state;
    if (geteuid() != 0)
        skip();
    /* 1: the 0600 socket keeps uid 65534 from connecting at all. */
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) || setuid(65534))
            _exit(10);
        int fd = cl_connect(f->sock);
        _exit(fd == -EACCES ? 0 : 11);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* 2: even when the mode lets it connect, SO_PEERCRED refuses it. */
    char dir[160];
    snprintf(dir, sizeof(dir), "%s/sub", f->dir);
    chmod(f->dir, 0755);
    chmod(dir, 0755);
    chmod(f->sock, 0666);
    pid = fork();
    if (pid == 0) {
        if (setgid(65534) || setuid(65534))
            _exit(10);
        int fd = cl_connect(f->sock);
        if (fd < 0)
            _exit(12);
        char *r = cl_req(fd, "snagctl/1 clear");
        if (!r || !strstr(r, "\"errno\":\"EACCES\"") ||
            !strstr(r, "uid 65534 may not control"))
            _exit(13);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    chmod(f->sock, 0600);
    still_serving(f);
}

static void test_restart_and_stale(void **state)
{
    struct fx *f = *state;
    /* A second daemon on a live socket is refused. */
    struct ctl_config cfg = {.socket_path = f->sock, .engine = f->e};
    struct ctl_server *s2;
    char err[256];
    assert_int_equal(ctl_server_start(&cfg, &s2, err, sizeof(err)),
                     -EADDRINUSE);
    assert_non_null(strstr(err, "another daemon"));
    still_serving(f);
    /* Stop unlinks; a stale socket file (dead daemon) is replaced. */
    ctl_server_stop(f->srv);
    f->srv = NULL;
    struct stat st;
    assert_int_equal(stat(f->sock, &st), -1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", f->sock);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    assert_int_equal(start(f, 8, 500), 0);
    still_serving(f);
    /* A regular file in the way is never removed. */
    char path[100];
    snprintf(path, sizeof(path), "%.60s/plain", f->dir);
    close(open(path, O_CREAT | O_WRONLY, 0600));
    cfg.socket_path = path;
    assert_int_equal(ctl_server_start(&cfg, &s2, err, sizeof(err)), -EEXIST);
    assert_int_equal(stat(path, &st), 0);
    unlink(path);
}

struct churn {
    struct fx *f;
    _Atomic bool stop;
    _Atomic long decided;
};

static void *io_thread(void *p)
{
    struct churn *c = p;
    while (!c->stop) {
        fire(c->f, INJ_OP_WRITE);
        fire(c->f, INJ_OP_READ);
        c->decided++;
    }
    return NULL;
}

static void test_mutations_under_load(void **state)
{
    struct fx *f = *state;
    /* Requests decided while 1,000 add/del pairs go through the socket:
     * no crash, no torn set (TSan checks the races). */
    struct churn c = {.f = f};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, io_thread, &c);
    int fd = cl_connect(f->sock);
    uint64_t last = 0;
    for (int i = 0; i < 1000; i++) {
        char *r = cl_req(fd, "snagctl/1 add read:error=EIO:id=churn");
        assert_non_null(strstr(r, "\"ok\":true"));
        free(r);
        r = cl_req(fd, "snagctl/1 del churn");
        assert_non_null(r);
        struct ctl_json_obj o;
        size_t col;
        const char *msg;
        assert_int_equal(ctl_json_parse(r, strlen(r), &o, &col, &msg), 0);
        assert_true(jok(&o));
        assert_true(jnum(&o, "gen") > last);
        last = jnum(&o, "gen");
        ctl_json_free(&o);
        free(r);
    }
    close(fd);
    c.stop = true;
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_true(c.decided > 0);
    still_serving(f);
}

struct mixer {
    struct fx *f;
    int id, ok, failed;
};

static void *mixer(void *p)
{
    struct mixer *m = p;
    int fd = cl_connect(m->f->sock);
    if (fd < 0)
        return NULL;
    char line[128];
    for (int i = 0; i < 2500; i++) {
        switch (i % 5) {
        case 0:
            snprintf(line, sizeof(line),
                     "snagctl/1 add write:error=EIO:when=1000000:id=m%d", m->id);
            break;
        case 1: snprintf(line, sizeof(line), "snagctl/1 list"); break;
        case 2: snprintf(line, sizeof(line), "snagctl/1 stats prometheus"); break;
        case 3:
            snprintf(line, sizeof(line), "snagctl/1 wait m%d 0", m->id);
            break;
        default:
            snprintf(line, sizeof(line), "snagctl/1 del m%d", m->id);
        }
        char *r = cl_req(fd, line);
        if (r && strstr(r, "\"ok\":true")) {
            m->ok++;
        } else {
            if (!m->failed)
                fprintf(stderr, "client %d: '%s' -> %.200s\n", m->id, line,
                        r ? r : "(closed)");
            m->failed++;
        }
        free(r);
    }
    close(fd);
    return NULL;
}

static void test_ten_thousand_commands(void **state)
{
    struct fx *f = *state;
    /* Sanitizer builds are slow: give clients a generous idle timeout. */
    ctl_server_stop(f->srv);
    assert_int_equal(start(f, 8, 10000), 0);
    /* 4 clients × 2,500 commands (add, list, stats, wait, del) while two
     * threads keep deciding requests: every command answered, all ok. */
    struct churn c = {.f = f};
    pthread_t io[2], cl[4];
    struct mixer m[4];
    for (int i = 0; i < 2; i++)
        pthread_create(&io[i], NULL, io_thread, &c);
    for (int i = 0; i < 4; i++) {
        m[i] = (struct mixer){.f = f, .id = i};
        pthread_create(&cl[i], NULL, mixer, &m[i]);
    }
    int ok = 0, failed = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(cl[i], NULL);
        ok += m[i].ok;
        failed += m[i].failed;
    }
    c.stop = true;
    for (int i = 0; i < 2; i++)
        pthread_join(io[i], NULL);
    assert_int_equal(failed, 0);
    assert_int_equal(ok, 10000);
    still_serving(f);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_socket_mode_and_basics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_list_del_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_and_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hundred_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_uid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_and_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutations_under_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ten_thousand_commands, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
