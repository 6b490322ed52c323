/* inject/rule.h — a rule as plain data: what it matches, when it fires, what it
 * does.
 *
 * struct inj_rule_spec is what policy/ produces from rule text and what the
 * engine compiles into a struct inj_rule (engine.h). The spec owns its heap
 * strings; inj_rule_spec_clear() frees them. A spec carries no state: match
 * and fire counters live in the compiled rule.
 *
 * All has_* flags default to false (a zeroed spec matches every op in `ops`,
 * always fires, and does nothing until an action bit is set).
 */
#ifndef SNAG_INJECT_RULE_H
#define SNAG_INJECT_RULE_H

#include <stdbool.h>
#include <stdint.h>

#include "ops.h"

#define INJ_ID_MAX 64            /* rule id, NUL included */
#define INJ_MAX_ERRNOS 16        /* error=A,B,C picks one per hit */
#define INJ_WHEN_OPEN UINT64_MAX /* when_last for "N+" / "N+S" */

enum inj_action {
    INJ_ACT_ERROR = 1u << 0,   /* fail with one of errnos[] */
    INJ_ACT_DELAY = 1u << 1,   /* answer after delay_min_ns..delay_max_ns */
    INJ_ACT_SHORT = 1u << 2,   /* transfer fewer bytes than asked */
    INJ_ACT_CORRUPT = 1u << 3, /* damage the data read or written */
    INJ_ACT_HANG = 1u << 4,    /* park until released or interrupted */
    INJ_ACT_LIE = 1u << 5,     /* report success, skip the work */
    INJ_ACT_SELFIO = 1u << 6,  /* the daemon first does I/O on its own mount
                                  (provokes the self-deadlock the watchdog
                                  must catch; docs/watchdog.md) */
};

/* What selfio= makes the daemon do on its own mountpoint. */
enum inj_selfio {
    INJ_SELFIO_NONE = 0,
    INJ_SELFIO_STAT,   /* stat a name that never exists, at the mount root */
    INJ_SELFIO_LOOKUP, /* the same in the matched path's parent directory */
    INJ_SELFIO_OPEN,   /* open + close the matched path */
    INJ_SELFIO_WRITE,  /* write selfio_size bytes to the matched path */
    INJ_SELFIO_FSYNC,  /* fsync the matched path */
};
#define INJ_SELFIO_DEFAULT_SIZE (4u << 20) /* selfio=write without a size */

enum inj_corrupt {
    INJ_CORRUPT_NONE = 0,
    INJ_CORRUPT_FLIP,   /* exactly one bit of the transfer is flipped */
    INJ_CORRUPT_ZERO,   /* the whole transfer becomes zero bytes */
    INJ_CORRUPT_RANDOM, /* the whole transfer becomes seeded random bytes */
};

struct inj_range {
    uint64_t lo, hi; /* inclusive on both ends */
};

struct inj_rule_spec {
    char id[INJ_ID_MAX]; /* "" → the engine assigns "r<N>" in load order */
    uint64_t ops;        /* mask of inj_op_bit(); never 0 in a valid spec */

    /* Filters. A filter that is not set matches everything. */
    char *path_glob; /* owned; relative to the mount root, starts with '/';
                        '*' within a component, '**' across components */
    char *comm_glob; /* owned; matched against the caller's comm */
    bool has_pid, has_uid, has_gid;
    uint32_t pid, uid, gid;
    bool has_offset, has_size;
    struct inj_range offset, size;
    bool has_flags;
    uint32_t flags_all; /* open flags that must all be set (O_CREAT...) */
    int flags_accmode;  /* O_RDONLY/O_WRONLY/O_RDWR required, or -1 */

    /* Triggers. Match numbers count this rule's matches from 1. */
    bool has_when;
    uint64_t when_first, when_last, when_step; /* strace semantics */
    bool has_prob;
    double prob; /* 0 never fires, 1 always fires */
    bool has_after;
    uint64_t after_bytes; /* fires once bytes through matches exceed this */
    bool has_for;
    uint64_t for_ns; /* active window, opened by the first fire */

    /* Actions: a mask of enum inj_action, never 0 in a valid spec. */
    unsigned actions;
    int errnos[INJ_MAX_ERRNOS]; /* positive errno values */
    unsigned n_errnos;
    bool errno_forced; /* error=...:force skipped the per-op errno check */
    uint64_t delay_min_ns, delay_max_ns; /* equal for a fixed delay */
    bool short_is_pct;
    uint64_t short_bytes; /* short=N: transfer at most N bytes */
    uint32_t short_pct;   /* short=P%: transfer P% of the bytes asked */
    enum inj_corrupt corrupt;
    enum inj_selfio selfio; /* set with INJ_ACT_SELFIO */
    uint64_t selfio_size;   /* selfio=write: bytes; 0 = the default */

    /* Where it came from (owned, may be NULL): "file:line" and the text. */
    char *origin;
    char *text;
};

/* Free the spec's owned strings and zero it. Safe on a zeroed spec. */
void inj_rule_spec_clear(struct inj_rule_spec *spec);

/* Deep-copy src into *dst (dst is overwritten, not cleared first).
 * Returns 0 or -ENOMEM (then *dst is zeroed). */
int inj_rule_spec_copy(struct inj_rule_spec *dst,
                       const struct inj_rule_spec *src);

#endif
