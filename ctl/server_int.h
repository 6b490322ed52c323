/* ctl/server_int.h — internals shared by the control server's files (not
 * installed, not for fs/).
 *
 * Lock order: ctl_server.mu (rule-set mutations) is the only server lock
 * and is never held across a socket write or a hook call that may block.
 * Everything in struct ctl_client is owned by the server thread.
 */
#ifndef SNAG_CTL_SERVER_INT_H
#define SNAG_CTL_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "buf.h"
#include "ctl.h"
#include "protocol.h"

struct ctl_client {
    int fd;
    uid_t uid;
    pid_t pid;
    char *in; /* request bytes not yet consumed; capacity max_line + 2 */
    size_t in_len;
    struct ctl_buf out; /* response bytes not yet sent, from out_off */
    size_t out_off;
    uint64_t deadline_ns; /* a complete request must arrive before this */
    size_t unread;        /* answer bytes the peer had not read at the
                             last idle check (SIOCOUTQ) */
    bool eof;             /* peer shut its write side */
    bool closing;         /* close once out is flushed */
    /* A pending `wait` (at most one; no further request is read meanwhile). */
    bool waiting;
    struct inj_rule *wait_rule; /* our reference */
    char wait_id[INJ_ID_MAX];
    uint64_t wait_count, wait_deadline_ns, wait_gen;
};

struct ctl_server {
    struct ctl_config cfg; /* strings and sources deep-copied */
    struct ctl_source *sources;
    char *socket_path, *mount_label;
    int lfd, evfd;
    dev_t sock_dev;
    ino_t sock_ino;
    pthread_t thread;
    atomic_bool stop, reload;
    pthread_mutex_t mu;          /* serialises rule-set mutations */
    struct ctl_client **clients; /* cfg.max_clients slots, NULL when free */
    unsigned nclients;
    uint64_t accept_pause_until; /* server thread only: EMFILE back-off */
};

/* Execute one parsed request for c, appending its response line to c->out,
 * or arming c's waiter (then nothing is appended yet). */
void ctl_exec(struct ctl_server *s, struct ctl_client *c,
              const struct ctl_request *rq);

/* Check c's waiter: append a response and disarm it when it is done. */
void ctl_wait_check(struct ctl_server *s, struct ctl_client *c, uint64_t now,
                    bool gen_changed);
void ctl_wait_disarm(struct ctl_client *c);

/* Response lines: {"v":1,"ok":...,"gen":G ... }\n */
void ctl_resp_ok(struct ctl_buf *b, uint64_t gen); /* opens */
void ctl_resp_end(struct ctl_buf *b);              /* closes + \n */
void ctl_resp_err(struct ctl_buf *b, bool with_gen, uint64_t gen, int err,
                  const char *msg); /* complete */
const char *ctl_errno_name(int err);

/* Renderers for list and stats (render.c), appending fields to an open
 * response object. */
void ctl_render_list(struct ctl_buf *b, struct inj_rule *const *rules,
                     size_t n);
void ctl_render_stats(struct ctl_server *s, struct ctl_buf *b,
                      enum ctl_stats_fmt fmt);

void ctl_server_log(struct ctl_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
