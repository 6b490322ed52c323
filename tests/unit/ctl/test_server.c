/* tests/unit/ctl/test_server.c — the control server end to end over a real
 * socket and engine (unit.ctl.server).
 *
 * Each test starts a fresh engine and server on a temp socket and drives it
 * as snagctl would: every command, atomic generations, wait (fires, times
 * out, rule removed, waiter hangs up), reload (command and SIGHUP path),
 * stats in all formats, and 10,000 mixed commands while requests are being
 * decided. Hostile clients are in test_hostile.c.
 */
#include "server_fixture.h"

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
    assert_non_null(
        strstr(rules->str, "\"text\":\"read:path=/my\\\\ dir/*:error=EIO\""));
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
    double el =
        (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
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

static struct ctl_server *hup_target;

static void on_hup(int sig)
{
    (void)sig;
    ctl_server_request_reload(hup_target); /* async-signal-safe */
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
    /* SIGHUP path: a real signal handler pokes the server thread. */
    r = fopen(f->rules, "w");
    fputs("write:error=ENOSPC:id=disk2\n", r);
    fclose(r);
    hup_target = f->srv;
    struct sigaction sa = {.sa_handler = on_hup}, old;
    sigaction(SIGHUP, &sa, &old);
    raise(SIGHUP);
    sigaction(SIGHUP, &old, NULL);
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
    assert_non_null(
        strstr(jstr(&o, "error"), "rule id 'mine' is already used"));
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
    assert_non_null(strstr(t,
                           "snagfs_op_requests_total{mount=\"/mnt/\\\"x\\\"\","
                           "op=\"read\"} 2\n"));
    assert_non_null(strstr(t, "snagfs_op_errors_total{mount=\"/mnt/\\\"x\\\"\","
                              "op=\"read\"} 1\n"));
    assert_non_null(strstr(t, "op=\"read\",le=\"5e-05\"} 1\n"));
    assert_non_null(strstr(t, "op=\"read\",le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(t,
                           "snagfs_rule_fired_total{mount=\"/mnt/\\\"x\\\"\","
                           "rule=\"rd\"} 1\n"));
    assert_non_null(
        strstr(t, "snagfs_inflight_requests{mount=\"/mnt/\\\"x\\\"\"} 7\n"));
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
                     "snagctl/1 add write:error=EIO:when=1000000:id=m%d",
                     m->id);
            break;
        case 1:
            snprintf(line, sizeof(line), "snagctl/1 list");
            break;
        case 2:
            snprintf(line, sizeof(line), "snagctl/1 stats prometheus");
            break;
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
        cmocka_unit_test_setup_teardown(test_socket_mode_and_basics, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_add_list_del_clear, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutations_under_load, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ten_thousand_commands, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
