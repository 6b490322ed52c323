/* tests/unit/ctl/test_hostile.c — hostile control clients never crash or wedge
 * the server (unit.ctl.hostile).
 *
 * A 1 MiB line, binary junk, truncated and pipelined requests, clients that
 * connect and vanish or never finish a request, 100 clients at once, a peer
 * of another uid, a second daemon on the same socket. After each act the
 * server must still answer.
 */
#include "server_fixture.h"

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
    still_serving(f);                   /* others are served meanwhile */
    char *r = cl_read_line(fd);         /* idle_ms = 500 */
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

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_oversized_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_and_truncated, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idle_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hundred_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_uid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_and_stale, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
