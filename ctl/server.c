/* ctl/server.c — control socket: bind, accept, peer check, per-client line
 * buffers, one poll loop.
 *
 * Invariants: one thread owns every client and every socket; sockets are
 * non-blocking, so no client can stall another or the loop. A client has at
 * most one request in progress: while its response is unsent or its `wait`
 * is pending, its further bytes stay in the kernel (backpressure). Nothing a
 * client sends can make the server exit: every failure closes that client.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server_int.h"

#define TICK_NS 10000000u /* waiters are checked this often */

void ctl_server_log(struct ctl_server *s, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (s->cfg.hooks.log)
        s->cfg.hooks.log(s->cfg.hooks.ctx, msg);
    else
        fprintf(stderr, "snagfs: control: %s\n", msg);
}

static void client_close(struct ctl_server *s, unsigned i)
{
    struct ctl_client *c = s->clients[i];
    ctl_wait_disarm(c);
    close(c->fd);
    free(c->in);
    ctl_buf_free(&c->out);
    free(c);
    s->clients[i] = NULL;
    s->nclients--;
}

/* Send what we can; false when the client is gone. Any progress restarts
 * the client's idle clock: a slow reader of a large answer is not idle. */
static bool client_flush(struct ctl_server *s, struct ctl_client *c)
{
    size_t start = c->out_off;
    while (c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out_off,
                         c->out.len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (c->out_off != start) {
                c->deadline_ns =
                    ctl_now_ns() + (uint64_t)s->cfg.idle_ms * 1000000u;
                c->unread = 0;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        c->out_off += (size_t)n;
    }
    if (c->out_off != start) {
        c->deadline_ns = ctl_now_ns() + (uint64_t)s->cfg.idle_ms * 1000000u;
        c->unread = 0;
    }
    ctl_buf_reset(&c->out);
    c->out_off = 0;
    return true;
}

/* True (and the idle clock restarted) when the client consumed some of our
 * answer bytes since the last check: reading a large answer slowly is not
 * being idle. For AF_UNIX, SIOCOUTQ counts bytes we sent that the peer has
 * not read yet. c->unread is reset whenever new answer bytes go out. */
static bool client_consuming(struct ctl_server *s, struct ctl_client *c,
                             uint64_t now)
{
    int q = 0;
    if (ioctl(c->fd, SIOCOUTQ, &q) != 0 || q < 0)
        q = 0;
    bool progress = (size_t)q < c->unread || (q > 0 && c->unread == 0);
    c->unread = (size_t)q;
    if (progress)
        c->deadline_ns = now + (uint64_t)s->cfg.idle_ms * 1000000u;
    return progress;
}

/* One-shot answer to a connection we will not serve. Best effort: the
 * socket buffer of a fresh connection always has room for one line. */
static void refuse(int fd, int err, const char *msg)
{
    struct ctl_buf b = {0};
    ctl_resp_err(&b, false, 0, err, msg);
    if (!b.oom)
        (void)send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    ctl_buf_free(&b);
    close(fd);
}

static void accept_all(struct ctl_server *s, uint64_t now)
{
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            /* Out of descriptors: the pending connection stays readable,
             * so stop polling the listener a while instead of spinning. */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM)
                s->accept_pause_until = now + 100000000u;
            return;
        }
        struct ucred cr;
        socklen_t len = sizeof(cr);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
            refuse(fd, EACCES, "cannot read peer credentials");
            continue;
        }
        if (cr.uid != 0 && cr.uid != s->cfg.allowed_uid) {
            char msg[128];
            snprintf(msg, sizeof(msg),
                     "uid %u may not control this mount (root and uid %u "
                     "may)",
                     (unsigned)cr.uid, (unsigned)s->cfg.allowed_uid);
            ctl_server_log(s, "refused pid %d: %s", (int)cr.pid, msg);
            refuse(fd, EACCES, msg);
            continue;
        }
        if (s->nclients >= s->cfg.max_clients) {
            char msg[96];
            snprintf(msg, sizeof(msg),
                     "too many control clients (%u); "
                     "try again later",
                     s->cfg.max_clients);
            refuse(fd, EBUSY, msg);
            continue;
        }
        struct ctl_client *c = calloc(1, sizeof(*c));
        char *in = malloc(s->cfg.max_line + 2);
        if (!c || !in) {
            free(c);
            free(in);
            refuse(fd, ENOMEM, "out of memory");
            continue;
        }
        c->fd = fd;
        c->uid = cr.uid;
        c->pid = cr.pid;
        c->in = in;
        c->deadline_ns = now + (uint64_t)s->cfg.idle_ms * 1000000u;
        for (unsigned i = 0; i < s->cfg.max_clients; i++) {
            if (!s->clients[i]) {
                s->clients[i] = c;
                break;
            }
        }
        s->nclients++;
    }
}

/* Consume complete lines from c->in while c can take a request, sending
 * each response before reading the next line. False when c is gone. */
static bool client_process(struct ctl_server *s, struct ctl_client *c,
                           uint64_t now)
{
    while (!c->closing && !c->waiting && c->out.len == 0) {
        char *nl = memchr(c->in, '\n', c->in_len);
        if (!nl) {
            /* +1: a line of exactly max_line bytes may still be followed
             * by "\r\n", which needs two more bytes to arrive. */
            if (c->in_len > s->cfg.max_line + 1) {
                char msg[96];
                snprintf(msg, sizeof(msg),
                         "request line longer than %zu bytes; closing",
                         s->cfg.max_line);
                ctl_resp_err(&c->out, true,
                             inj_engine_generation(s->cfg.engine), E2BIG, msg);
                c->closing = true;
            } else if (c->eof && c->in_len > 0) {
                ctl_resp_err(&c->out, true,
                             inj_engine_generation(s->cfg.engine), EPROTO,
                             "truncated request: no newline before end of "
                             "stream; closing");
                c->closing = true;
            } else if (c->eof) {
                c->closing = true;
            }
            break;
        }
        size_t len = (size_t)(nl - c->in);
        struct ctl_request rq;
        struct ctl_parse_error perr;
        if (len > s->cfg.max_line + (len && c->in[len - 1] == '\r')) {
            char msg[96];
            snprintf(msg, sizeof(msg), "request line longer than %zu bytes",
                     s->cfg.max_line);
            ctl_resp_err(&c->out, true, inj_engine_generation(s->cfg.engine),
                         E2BIG, msg);
        } else if (ctl_request_parse(c->in, len, &rq, &perr) != 0) {
            char msg[320];
            struct ctl_buf tok = {0};
            ctl_buf_json_str(&tok, perr.token, strlen(perr.token));
            snprintf(msg, sizeof(msg), "column %zu: %s%s%s", perr.col, perr.msg,
                     perr.token[0] ? " at " : "",
                     perr.token[0] ? ctl_buf_str(&tok) : "");
            ctl_buf_free(&tok);
            ctl_resp_err(&c->out, true, inj_engine_generation(s->cfg.engine),
                         perr.err, msg);
        } else {
            /* The request points into c->in: terminate the line for the
             * rule parser, and consume it only after ctl_exec returns. */
            *nl = '\0';
            ctl_exec(s, c, &rq);
            if (c->out.oom) {
                ctl_buf_reset(&c->out);
                ctl_resp_err(&c->out, true,
                             inj_engine_generation(s->cfg.engine), ENOMEM,
                             "out of memory");
            }
        }
        memmove(c->in, nl + 1, c->in_len - len - 1);
        c->in_len -= len + 1;
        c->deadline_ns = now + (uint64_t)s->cfg.idle_ms * 1000000u;
        if (c->out.len && !client_flush(s, c))
            return false;
    }
    return true;
}

static bool client_read(struct ctl_server *s, struct ctl_client *c)
{
    size_t cap = s->cfg.max_line + 2;
    while (c->in_len < cap) {
        ssize_t n =
            recv(c->fd, c->in + c->in_len, cap - c->in_len, MSG_DONTWAIT);
        if (n > 0) {
            c->in_len += (size_t)n;
            continue;
        }
        if (n == 0) {
            c->eof = true;
            return true;
        }
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    return true;
}

static void do_reload(struct ctl_server *s)
{
    uint64_t gen;
    char msg[512];
    int rc = ctl_server_reload(s, &gen, msg, sizeof(msg));
    if (rc)
        ctl_server_log(s, "SIGHUP reload failed, rules unchanged: %s", msg);
    else
        ctl_server_log(s, "SIGHUP reload: %s", msg);
}

static void *server_main(void *arg)
{
    struct ctl_server *s = arg;
    if (s->cfg.hooks.thread_start)
        s->cfg.hooks.thread_start(s->cfg.hooks.ctx);
    unsigned cap = s->cfg.max_clients + 2;
    struct pollfd *pfd = calloc(cap, sizeof(*pfd));
    struct ctl_client **who = calloc(cap, sizeof(*who));
    unsigned *slot = calloc(cap, sizeof(*slot));
    uint64_t last_gen = inj_engine_generation(s->cfg.engine);
    if (!pfd || !who || !slot) {
        ctl_server_log(s, "out of memory; control socket disabled");
        goto out_free;
    }
    while (!atomic_load(&s->stop)) {
        uint64_t now = ctl_now_ns();
        unsigned n = 0;
        pfd[n++] = (struct pollfd){.fd = s->evfd, .events = POLLIN};
        bool paused = now < s->accept_pause_until;
        pfd[n++] = (struct pollfd){.fd = s->lfd, .events = paused ? 0 : POLLIN};
        int timeout = paused ? 100 : -1;
        bool any_wait = false;
        for (unsigned i = 0; i < s->cfg.max_clients; i++) {
            struct ctl_client *c = s->clients[i];
            if (!c)
                continue;
            short ev = 0;
            if (c->out.len)
                ev |= POLLOUT;
            else if (!c->eof && !c->closing && !c->waiting)
                ev |= POLLIN;
            any_wait |= c->waiting;
            if (!c->waiting) {
                uint64_t ms = c->deadline_ns > now
                                  ? (c->deadline_ns - now) / 1000000u + 1
                                  : 0;
                if (timeout < 0 || ms < (uint64_t)timeout)
                    timeout = ms > INT_MAX ? INT_MAX : (int)ms;
            }
            who[n] = c;
            slot[n] = i;
            pfd[n++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        if (any_wait && (timeout < 0 || timeout > (int)(TICK_NS / 1000000u)))
            timeout = TICK_NS / 1000000u;
        int rc = poll(pfd, n, timeout);
        if (rc < 0 && errno != EINTR) {
            ctl_server_log(s, "poll: %s", strerror(errno));
            break;
        }
        now = ctl_now_ns();
        if (rc > 0 && (pfd[0].revents & POLLIN)) {
            uint64_t v;
            (void)!read(s->evfd, &v, sizeof(v));
            if (atomic_exchange(&s->reload, false))
                do_reload(s);
        }
        if (rc > 0 && (pfd[1].revents & POLLIN))
            accept_all(s, now);
        uint64_t gen = inj_engine_generation(s->cfg.engine);
        bool gen_changed = gen != last_gen;
        last_gen = gen;
        for (unsigned k = 2; k < n; k++) {
            struct ctl_client *c = who[k];
            short re = rc > 0 ? pfd[k].revents : 0;
            bool alive = true;
            if (re & (POLLERR | POLLNVAL))
                alive = false;
            else if ((re & POLLHUP) && !(re & POLLIN))
                alive = false; /* peer gone: nobody to answer, drop a waiter */
            if (alive && (re & POLLIN))
                alive = client_read(s, c);
            if (alive)
                alive = client_process(s, c, now);
            if (alive && c->waiting) {
                ctl_wait_check(s, c, now, gen_changed);
                /* A finished wait frees c for its next pipelined request. */
                if (!c->waiting && c->out.len && (alive = client_flush(s, c)))
                    alive = client_process(s, c, now);
            }
            if (alive && !c->waiting && now >= c->deadline_ns &&
                client_consuming(s, c, now)) {
                /* still reading our last answer: not idle */
            } else if (alive && !c->waiting && now >= c->deadline_ns) {
                if (c->out.len) {
                    alive = false; /* it stopped reading its answers */
                } else if (!c->closing) {
                    ctl_resp_err(&c->out, true, gen, ETIMEDOUT,
                                 "no complete request within the idle "
                                 "timeout; closing");
                    c->closing = true;
                    alive = client_flush(s, c);
                }
            }
            if (alive && (re & POLLOUT) && c->out.len &&
                (alive = client_flush(s, c)) && !c->out.len)
                alive = client_process(s, c, now);
            if (!alive || (c->closing && c->out.len == 0))
                client_close(s, slot[k]);
        }
    }
out_free:
    free(pfd);
    free(who);
    free(slot);
    return NULL;
}

/* Bind path, replacing a stale socket but never a live one or a non-socket. */
static int bind_socket(struct ctl_server *s, char *errbuf, size_t errsize)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(s->socket_path);
    if (len >= sizeof(sa.sun_path)) {
        snprintf(errbuf, errsize,
                 "control socket path longer than %zu "
                 "bytes: %s",
                 sizeof(sa.sun_path) - 1, s->socket_path);
        return -ENAMETOOLONG;
    }
    memcpy(sa.sun_path, s->socket_path, len + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto out_errno;
    for (int attempt = 0; attempt < 3; attempt++) {
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            goto out_bound;
        if (errno == ENOENT && attempt == 0) {
            /* Create the last directory component only, owner-only. */
            char dir[sizeof(sa.sun_path)];
            memcpy(dir, sa.sun_path, len + 1);
            char *slash = strrchr(dir, '/');
            if (!slash || slash == dir)
                goto out_errno;
            *slash = '\0';
            if (mkdir(dir, 0700) != 0 && errno != EEXIST)
                goto out_errno;
            struct stat st;
            if (lstat(dir, &st) != 0)
                goto out_errno;
            if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
                (st.st_mode & 022)) {
                snprintf(errbuf, errsize,
                         "%s: not a directory owned by us "
                         "and closed to others; refusing to use it",
                         dir);
                close(fd);
                return -EPERM;
            }
            continue;
        }
        if (errno != EADDRINUSE)
            goto out_errno;
        struct stat st;
        if (lstat(s->socket_path, &st) != 0 || !S_ISSOCK(st.st_mode)) {
            snprintf(errbuf, errsize, "%s exists and is not a socket",
                     s->socket_path);
            close(fd);
            return -EEXIST;
        }
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0)
            goto out_errno;
        int live = connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
                   errno != ECONNREFUSED;
        close(probe);
        if (live) {
            snprintf(errbuf, errsize,
                     "%s: another daemon is serving this "
                     "control socket",
                     s->socket_path);
            close(fd);
            return -EADDRINUSE;
        }
        unlink(s->socket_path); /* stale: its daemon died */
    }
    errno = EADDRINUSE;
    goto out_errno;
out_bound:
    /* Peer credentials are the real guard; 0600 keeps others from even
     * connecting. The mode is set after bind, so a brief window exists in
     * a world-writable directory: SO_PEERCRED covers it. */
    if (chmod(s->socket_path, 0600) != 0 || listen(fd, 128) != 0)
        goto out_errno;
    struct stat st;
    if (stat(s->socket_path, &st) == 0) {
        s->sock_dev = st.st_dev;
        s->sock_ino = st.st_ino;
    }
    s->lfd = fd;
    return 0;
out_errno:;
    int e = errno;
    snprintf(errbuf, errsize, "control socket %s: %s", s->socket_path,
             strerror(e));
    if (fd >= 0)
        close(fd);
    return -e;
}

static void server_free(struct ctl_server *s)
{
    if (s->sources)
        for (size_t i = 0; i < s->cfg.n_sources; i++)
            free((char *)s->sources[i].text);
    free(s->sources);
    free(s->socket_path);
    free(s->mount_label);
    free(s->clients);
    if (s->evfd >= 0)
        close(s->evfd);
    if (s->lfd >= 0)
        close(s->lfd);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int ctl_server_start(const struct ctl_config *cfg, struct ctl_server **out,
                     char *errbuf, size_t errsize)
{
    if (!cfg || !cfg->socket_path || !cfg->engine) {
        snprintf(errbuf, errsize, "control: socket path and engine required");
        return -EINVAL;
    }
    struct ctl_server *s = calloc(1, sizeof(*s));
    if (!s)
        goto out_nomem;
    s->lfd = s->evfd = -1;
    pthread_mutex_init(&s->mu, NULL);
    s->cfg = *cfg;
    if (!s->cfg.max_clients)
        s->cfg.max_clients = 64;
    if (!s->cfg.idle_ms)
        s->cfg.idle_ms = 30000;
    if (!s->cfg.max_line || s->cfg.max_line > CTL_LINE_MAX)
        s->cfg.max_line = CTL_LINE_MAX;
    s->socket_path = strdup(cfg->socket_path);
    s->mount_label = cfg->mount_label ? strdup(cfg->mount_label) : NULL;
    s->clients = calloc(s->cfg.max_clients, sizeof(*s->clients));
    s->sources = calloc(cfg->n_sources + 1, sizeof(*s->sources));
    if (!s->socket_path || !s->clients || !s->sources ||
        (cfg->mount_label && !s->mount_label))
        goto out_nomem;
    for (size_t i = 0; i < cfg->n_sources; i++) {
        s->sources[i].kind = cfg->sources[i].kind;
        s->sources[i].text = strdup(cfg->sources[i].text);
        if (!s->sources[i].text) {
            s->cfg.n_sources = i;
            goto out_nomem;
        }
    }
    s->cfg.sources = s->sources;
    s->cfg.socket_path = s->socket_path;
    s->cfg.mount_label = s->mount_label;
    s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int rc;
    if (s->evfd < 0) {
        rc = -errno;
        snprintf(errbuf, errsize, "control: eventfd: %s", strerror(-rc));
        goto out_free;
    }
    if ((rc = bind_socket(s, errbuf, errsize)))
        goto out_free;
    /* The thread takes no async signals: SIGINT/SIGTERM must keep reaching
     * the FUSE threads (libfuse relies on interrupting their read), and a
     * SIGHUP handler may run anywhere since it only pokes the eventfd. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = -pthread_create(&s->thread, NULL, server_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        snprintf(errbuf, errsize, "control: thread: %s", strerror(-rc));
        unlink(s->socket_path);
        goto out_free;
    }
    *out = s;
    return 0;
out_nomem:
    snprintf(errbuf, errsize, "control: out of memory");
    rc = -ENOMEM;
    if (!s)
        return rc;
out_free:
    server_free(s);
    return rc;
}

const char *ctl_server_socket_path(const struct ctl_server *s)
{
    return s ? s->socket_path : NULL;
}

static void wake(struct ctl_server *s)
{
    uint64_t one = 1;
    (void)!write(s->evfd, &one, sizeof(one));
}

void ctl_server_request_reload(struct ctl_server *s)
{
    if (!s)
        return;
    atomic_store(&s->reload, true);
    wake(s);
}

void ctl_server_stop(struct ctl_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, true);
    wake(s);
    pthread_join(s->thread, NULL);
    for (unsigned i = 0; i < s->cfg.max_clients; i++) {
        struct ctl_client *c = s->clients[i];
        if (!c)
            continue;
        if (c->waiting) {
            ctl_wait_disarm(c);
            ctl_buf_reset(&c->out);
            ctl_resp_err(&c->out, true, inj_engine_generation(s->cfg.engine),
                         ESHUTDOWN, "snagfs is shutting down");
            (void)client_flush(s, c);
        }
        client_close(s, i);
    }
    /* Unlink only our own socket: a successor may already have replaced it. */
    struct stat st;
    if (stat(s->socket_path, &st) == 0 && st.st_dev == s->sock_dev &&
        st.st_ino == s->sock_ino)
        unlink(s->socket_path);
    server_free(s);
}

int ctl_server_reload(struct ctl_server *s, uint64_t *generation, char *msg,
                      size_t msgsize)
{
    size_t n = 0;
    pthread_mutex_lock(&s->mu);
    int rc = ctl_rules_load(s->cfg.engine, s->cfg.sources, s->cfg.n_sources,
                            true, generation, &n, msg, msgsize);
    pthread_mutex_unlock(&s->mu);
    if (rc == 0)
        snprintf(msg, msgsize, "%zu rules, generation %llu", n,
                 (unsigned long long)*generation);
    return rc;
}
