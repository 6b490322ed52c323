/* ctl/protocol.h — the snagctl/1 request grammar, parsed by one pure function.
 *
 * A request is one line: "snagctl/1 COMMAND [ARGS]" (the newline is not part
 * of what the parser sees). docs/control-protocol.md is the reference; this
 * header and that document must change together. The parser allocates
 * nothing, touches no global state and never reads past len, so it can be
 * fed arbitrary bytes (ctl/fuzz_protocol.c does).
 */
#ifndef SNAG_CTL_PROTOCOL_H
#define SNAG_CTL_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../inject/rule.h"

#define CTL_PROTO_NAME "snagctl/1"
#define CTL_PROTO_VERSION 1
#define CTL_LINE_MAX 65536 /* longest request line, newline excluded */

#define CTL_CMD_LIST(X)                                                        \
    X(VERSION, version)                                                        \
    X(HELP, help)                                                              \
    X(ADD, add)                                                                \
    X(DEL, del)                                                                \
    X(LIST, list)                                                              \
    X(CLEAR, clear)                                                            \
    X(STATS, stats)                                                            \
    X(RELOAD, reload)                                                          \
    X(WAIT, wait)                                                              \
    X(RELEASE, release)                                                        \
    X(GENERATION, generation)                                                  \
    X(TRACE, trace)

enum ctl_cmd {
#define CTL_CMD_ENUM(id, name) CTL_CMD_##id,
    CTL_CMD_LIST(CTL_CMD_ENUM)
#undef CTL_CMD_ENUM
        CTL_CMD_COUNT
};

enum ctl_stats_fmt {
    CTL_STATS_TEXT,
    CTL_STATS_JSON,
    CTL_STATS_PROMETHEUS,
};

struct ctl_request {
    enum ctl_cmd cmd;
    const char *rule; /* add: points into the parsed line (not terminated) */
    size_t rule_len;
    char id[INJ_ID_MAX]; /* del, wait, release */
    uint64_t count;      /* wait: fired count to reach */
    bool has_timeout;
    uint64_t timeout_ns; /* wait: give up after this long */
    enum ctl_stats_fmt fmt;
};

struct ctl_parse_error {
    int err;        /* positive errno: EINVAL, EPROTO, EPROTONOSUPPORT */
    size_t col;     /* 1-based byte column of the offending token */
    char token[64]; /* the offending token, truncated with "..." */
    char msg[192];
};

/* Parse one request line (line[0..len), no newline; one trailing '\r' is
 * tolerated). Returns 0 and fills *rq, or -err->err and fills *err. */
int ctl_request_parse(const char *line, size_t len, struct ctl_request *rq,
                      struct ctl_parse_error *err);

/* Command name ("add"), or "?" when out of range. */
const char *ctl_cmd_name(enum ctl_cmd cmd);

/* Parse a duration: an unsigned integer followed by ns, us, ms, s, m or h
 * (a bare number means seconds). Returns 0 or -EINVAL / -ERANGE. */
int ctl_parse_duration(const char *s, size_t len, uint64_t *ns);

/* Parse an unsigned decimal integer (no sign, no leading zeros but "0").
 * Returns 0 or -EINVAL / -ERANGE. */
int ctl_parse_u64(const char *s, size_t len, uint64_t *out);

#endif
