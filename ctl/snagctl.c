/* ctl/snagctl.c — snagctl: send one snagctl/1 request to a mount's control
 * socket, print the answer.
 *
 * Invariant: snagctl never stats or opens anything inside the mountpoint
 * (that would hang on a wedged mount); -m only resolves the mountpoint's
 * parent to derive the socket path. Exit status: 0 ok, 1 the command
 * failed (including a wait that timed out), 2 usage, connection or
 * protocol error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "json.h"
#include "protocol.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

static void usage(FILE *f)
{
    fprintf(f, "usage: snagctl [-m MOUNTPOINT | -S SOCKET] [--json] COMMAND\n"
               "commands:\n"
               "  add RULE             add a rule; prints its id\n"
               "  del ID               remove a rule\n"
               "  list                 rules with matched/fired counts\n"
               "  clear                remove every rule\n"
               "  stats [--json | --prometheus]\n"
               "  reload               re-read the rules files (as SIGHUP)\n"
               "  wait ID N [--timeout D]\n"
               "                       until rule ID has fired N times; exit 1 "
               "on timeout\n"
               "  release ID           free requests hung by rule ID\n"
               "  generation           the rule-set generation\n"
               "  trace                the --trace file and its line count\n"
               "  version | help\n"
               "Without -m or -S: $SNAGFS_CONTROL, else $SNAGFS_MOUNT.\n"
               "Exit status: 0 ok, 1 command failed, 2 usage or connection "
               "error.\n");
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "snagctl: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr, "snagctl: cannot connect to %s: %s\n", path,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Send line, read one response line into resp. 0 or -1 (reported). */
static int transact(int fd, const struct ctl_buf *line, struct ctl_buf *resp)
{
    size_t off = 0;
    while (off < line->len) {
        ssize_t n = send(fd, line->data + off, line->len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "snagctl: send: %s\n", strerror(errno));
            return -1;
        }
        off += (size_t)n;
    }
    char chunk[4096];
    for (;;) {
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "snagctl: receive: %s\n",
                    errno == EAGAIN ? "timed out" : strerror(errno));
            return -1;
        }
        if (n == 0) {
            fprintf(stderr, "snagctl: the daemon closed the connection "
                            "without answering\n");
            return -1;
        }
        char *nl = memchr(chunk, '\n', (size_t)n);
        ctl_buf_append(resp, chunk, nl ? (size_t)(nl - chunk) : (size_t)n);
        if (resp->oom) {
            fprintf(stderr, "snagctl: out of memory\n");
            return -1;
        }
        if (nl)
            return 0;
    }
}

static const char *jstr(const struct ctl_json_obj *o, const char *key)
{
    const struct ctl_json_field *f = ctl_json_get(o, key);
    return f && f->type == CTL_JSON_STRING ? f->str : NULL;
}

static unsigned long long jnum(const struct ctl_json_obj *o, const char *key)
{
    const struct ctl_json_field *f = ctl_json_get(o, key);
    return f && f->type == CTL_JSON_INT && !f->neg ? f->u : 0;
}

/* Build the request for argv[0..argc) (command and its arguments). */
static int build_request(int argc, char **argv, struct ctl_buf *req,
                         bool *raw_json, uint64_t *wait_ns, bool *has_wait)
{
    const char *cmd = argv[0];
    ctl_buf_puts(req, CTL_PROTO_NAME " ");
    if (strcmp(cmd, "add") == 0) {
        if (argc < 2)
            return -1;
        ctl_buf_puts(req, "add");
        for (int i = 1; i < argc; i++) {
            ctl_buf_puts(req, " ");
            ctl_buf_puts(req, argv[i]);
        }
    } else if (strcmp(cmd, "stats") == 0) {
        ctl_buf_puts(req, "stats");
        if (*raw_json && argc == 1)
            ctl_buf_puts(req, " json");
        for (int i = 1; i < argc; i++) {
            if (*raw_json) {
                return -1; /* --json and --prometheus exclude each other */
            } else if (strcmp(argv[i], "--prometheus") == 0) {
                ctl_buf_puts(req, " prometheus");
            } else {
                return -1;
            }
        }
    } else if (strcmp(cmd, "wait") == 0) {
        if (argc != 3 && argc != 5)
            return -1;
        ctl_buf_printf(req, "wait %s %s", argv[1], argv[2]);
        if (argc == 5) {
            if (strcmp(argv[3], "--timeout") != 0 ||
                ctl_parse_duration(argv[4], strlen(argv[4]), wait_ns) != 0) {
                fprintf(stderr, "snagctl: --timeout wants a duration such "
                                "as 500ms, 10s or 2m\n");
                return -1;
            }
            *has_wait = true;
            ctl_buf_printf(req, " timeout=%s", argv[4]);
        }
    } else if (strcmp(cmd, "del") == 0 || strcmp(cmd, "release") == 0) {
        if (argc != 2)
            return -1;
        ctl_buf_printf(req, "%s %s", cmd, argv[1]);
    } else {
        static const char *const bare[] = {"list",       "clear", "reload",
                                           "generation", "trace", "version",
                                           "help"};
        bool known = false;
        for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++)
            known |= strcmp(cmd, bare[i]) == 0;
        if (!known || argc != 1)
            return -1;
        ctl_buf_puts(req, cmd);
    }
    for (size_t i = 0; i < req->len; i++) {
        if ((unsigned char)req->data[i] < 0x20 && req->data[i] != '\t') {
            fprintf(stderr, "snagctl: arguments must not contain newlines "
                            "or control characters\n");
            return -1;
        }
    }
    ctl_buf_puts(req, "\n");
    return req->oom ? -1 : 0;
}

static void print_ok(const char *cmd, const struct ctl_json_obj *o)
{
    const char *text = jstr(o, "text");
    unsigned long long gen = jnum(o, "gen");
    if (strcmp(cmd, "add") == 0) {
        printf("%s\n", jstr(o, "id") ? jstr(o, "id") : "?");
    } else if (strcmp(cmd, "generation") == 0) {
        printf("%llu\n", gen);
    } else if (strcmp(cmd, "wait") == 0) {
        printf("fired %llu\n", jnum(o, "fired"));
    } else if (strcmp(cmd, "release") == 0) {
        printf("released %llu\n", jnum(o, "released"));
    } else if (strcmp(cmd, "version") == 0) {
        printf("%s snagfs %s\n",
               jstr(o, "protocol") ? jstr(o, "protocol") : "?",
               jstr(o, "version") ? jstr(o, "version") : "?");
    } else if (strcmp(cmd, "trace") == 0) {
        const char *t = jstr(o, "trace");
        printf("%s %llu\n", t ? t : "(no trace)", jnum(o, "events"));
    } else if (strcmp(cmd, "reload") == 0 || strcmp(cmd, "del") == 0 ||
               strcmp(cmd, "clear") == 0) {
        printf("generation %llu\n", gen);
    } else if (text) {
        fputs(text, stdout);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"mount", required_argument, NULL, 'm'},
        {"socket", required_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *mount = NULL, *sock = NULL;
    bool raw_json = false;
    int c;
    /* '+': stop at the command so its own options (--timeout) stay put. */
    while ((c = getopt_long(argc, argv, "+m:S:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            mount = optarg;
            break;
        case 'S':
            sock = optarg;
            break;
        case 'j':
            raw_json = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc || (mount && sock)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    char path[PATH_MAX];
    if (!sock && !mount) {
        sock = getenv("SNAGFS_CONTROL");
        if (!sock || !*sock)
            mount = getenv("SNAGFS_MOUNT");
        if ((!sock || !*sock) && (!mount || !*mount)) {
            fprintf(stderr, "snagctl: no mount: give -m MOUNTPOINT or -S "
                            "SOCKET (or set SNAGFS_CONTROL)\n");
            return EXIT_USAGE;
        }
    }
    if (!sock || !*sock) {
        int rc = ctl_sockpath_default(mount, path, sizeof(path));
        if (rc) {
            fprintf(stderr, "snagctl: %s: %s\n", mount, strerror(-rc));
            return EXIT_USAGE;
        }
        sock = path;
    }

    /* --json may also follow the command ("snagctl list --json"). */
    int w = optind + 1;
    for (int r = optind + 1; r < argc; r++) {
        if (strcmp(argv[r], "--json") == 0 && strcmp(argv[optind], "add") != 0)
            raw_json = true;
        else
            argv[w++] = argv[r];
    }
    argc = w;

    struct ctl_buf req = {0}, resp = {0};
    uint64_t wait_ns = 0;
    bool has_wait = false;
    const char *cmd = argv[optind];
    int status = EXIT_USAGE;
    if (build_request(argc - optind, argv + optind, &req, &raw_json, &wait_ns,
                      &has_wait) != 0) {
        usage(stderr);
        goto out;
    }
    int fd = connect_to(sock);
    if (fd < 0)
        goto out;
    /* The server answers everything but wait promptly; a silent server is a
     * broken one, so do not hang a test script on it. */
    if (strcmp(cmd, "wait") != 0 || has_wait) {
        uint64_t ns =
            (strcmp(cmd, "wait") == 0 ? wait_ns : 0) + UINT64_C(30000000000);
        struct timeval tv = {.tv_sec = (time_t)(ns / 1000000000u)};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    int rc = transact(fd, &req, &resp);
    close(fd);
    if (rc)
        goto out;
    struct ctl_json_obj o;
    size_t col;
    const char *msg;
    if (ctl_json_parse(ctl_buf_str(&resp), resp.len, &o, &col, &msg) != 0) {
        fprintf(stderr, "snagctl: malformed response (column %zu: %s): %s\n",
                col, msg ? msg : "?", ctl_buf_str(&resp));
        goto out;
    }
    const struct ctl_json_field *ok = ctl_json_get(&o, "ok");
    if (!ok || ok->type != CTL_JSON_BOOL) {
        fprintf(stderr, "snagctl: response without \"ok\": %s\n",
                ctl_buf_str(&resp));
        ctl_json_free(&o);
        goto out;
    }
    if (raw_json)
        printf("%s\n", ctl_buf_str(&resp));
    if (ok->b) {
        if (!raw_json)
            print_ok(cmd, &o);
        status = EXIT_OK;
    } else {
        const char *e = jstr(&o, "errno"), *m = jstr(&o, "error");
        fprintf(stderr, "snagctl: %s: %s: %s\n", cmd, e ? e : "error",
                m ? m : "?");
        status = EXIT_FAILED;
    }
    ctl_json_free(&o);
out:
    ctl_buf_free(&req);
    ctl_buf_free(&resp);
    return status;
}
