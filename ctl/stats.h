/* ctl/stats.h — per-op request, error and latency counters that fs/ records
 * lock-free.
 *
 * fs/ owns one struct ctl_stats per mount and records every reply on it;
 * the control server reads snapshots. Recording is a handful of relaxed
 * atomic adds on the op's own cache lines: no lock, no allocation, safe from
 * any thread. A snapshot is not a consistent cut across ops (counters move
 * while it is taken), but each counter is monotonic.
 */
#ifndef SNAG_CTL_STATS_H
#define SNAG_CTL_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "../inject/ops.h"

/* Latency histogram upper bounds in ns (inclusive, Prometheus "le"); a last
 * implicit bucket holds everything slower (+Inf). */
/* clang-format off */
#define CTL_LAT_BOUNDS(X)                                                      \
    X(10000) X(50000) X(100000) X(250000) X(500000)                            \
    X(1000000) X(2500000) X(5000000) X(10000000) X(25000000)                   \
    X(50000000) X(100000000) X(250000000) X(500000000)                         \
    X(1000000000) X(2500000000) X(5000000000) X(10000000000)
/* clang-format on */
#define CTL_LAT_COUNT_ONE(ns) +1
#define CTL_LAT_NBOUNDS (0 CTL_LAT_BOUNDS(CTL_LAT_COUNT_ONE))
#define CTL_LAT_NBUCKETS (CTL_LAT_NBOUNDS + 1)

extern const uint64_t ctl_lat_bounds_ns[CTL_LAT_NBOUNDS];

struct ctl_stats;

/* Plain snapshot of one op. buckets[] are per bucket, not cumulative. */
struct ctl_op_stats {
    uint64_t requests;
    uint64_t errors;    /* replies with a nonzero errno */
    uint64_t faults;    /* requests a rule (or a replay) injected into */
    uint64_t ruled_out; /* passed without asking the engine: a mark said
                           no rule could match (fs/inject_seam.c) */
    uint64_t latency_sum_ns;
    uint64_t buckets[CTL_LAT_NBUCKETS];
};

struct ctl_stats_snapshot {
    struct ctl_op_stats op[INJ_OP_COUNT];
    uint64_t inflight;
    uint64_t uptime_ns;
};

/* Returns NULL on ENOMEM. The start time (for uptime) is taken here. */
struct ctl_stats *ctl_stats_new(void);
void ctl_stats_free(struct ctl_stats *st);

/* Record one finished request: its latency and the errno it was answered
 * with (0, positive or negative: only "nonzero" matters). */
void ctl_stats_record(struct ctl_stats *st, enum inj_op op, uint64_t ns,
                      int err);

/* The same split around a request, also keeping the in-flight gauge. begin
 * counts the request at once (before any reply can reach the client, so a
 * client that asks for stats right after its syscall returns sees it) and
 * returns the start time (CLOCK_MONOTONIC ns) to hand to end, which adds the
 * latency and the error. begin and end must name the same op. */
uint64_t ctl_stats_begin(struct ctl_stats *st, enum inj_op op);
void ctl_stats_end(struct ctl_stats *st, enum inj_op op, uint64_t start_ns,
                   int err);

/* Count one injected fault on op (call once per fired verdict). */
void ctl_stats_fault(struct ctl_stats *st, enum inj_op op);

/* Count one request on op that a rule-out mark let pass unasked. */
void ctl_stats_ruled_out(struct ctl_stats *st, enum inj_op op);

void ctl_stats_snapshot(const struct ctl_stats *st,
                        struct ctl_stats_snapshot *out);

/* Bucket index for a latency (exposed for tests). */
unsigned ctl_stats_bucket(uint64_t ns);

/* CLOCK_MONOTONIC in ns. */
uint64_t ctl_now_ns(void);

/* The rule-language op name (same table as inj_op_name, kept here so
 * ctl's pure modules link without the engine). "?" when out of range. */
const char *ctl_op_name(enum inj_op op);
int ctl_op_from_name(const char *name, size_t len);

#endif
