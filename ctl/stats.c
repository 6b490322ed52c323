/* ctl/stats.c — lock-free per-op counters and latency histograms.
 *
 * Invariant: every field is only ever incremented (except the in-flight
 * gauge, decremented by exactly the ctl_stats_end matching a begin), with
 * relaxed atomics: readers want monotonic totals, not ordering.
 */
#include "stats.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTL_LAT_ELEM(ns) UINT64_C(ns),
const uint64_t ctl_lat_bounds_ns[CTL_LAT_NBOUNDS] = {
    CTL_LAT_BOUNDS(CTL_LAT_ELEM)};

struct op_counters {
    /* Each op on its own cache lines so ops recorded by different worker
     * threads do not bounce one line between cores. */
    alignas(64) _Atomic uint64_t requests;
    _Atomic uint64_t errors;
    _Atomic uint64_t faults;
    _Atomic uint64_t ruled_out;
    _Atomic uint64_t latency_sum_ns;
    _Atomic uint64_t buckets[CTL_LAT_NBUCKETS];
};

struct ctl_stats {
    struct op_counters op[INJ_OP_COUNT];
    alignas(64) _Atomic uint64_t inflight;
    uint64_t start_ns;
};

static const char *const op_names[] = {
#define CTL_OP_NAME(id, name) #name,
    INJ_OP_LIST(CTL_OP_NAME)
#undef CTL_OP_NAME
};

const char *ctl_op_name(enum inj_op op)
{
    return (unsigned)op < INJ_OP_COUNT ? op_names[op] : "?";
}

int ctl_op_from_name(const char *name, size_t len)
{
    for (int i = 0; i < INJ_OP_COUNT; i++)
        if (strlen(op_names[i]) == len && memcmp(op_names[i], name, len) == 0)
            return i;
    return -1;
}

uint64_t ctl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct ctl_stats *ctl_stats_new(void)
{
    struct ctl_stats *st = aligned_alloc(64, sizeof(*st));
    if (!st)
        return NULL;
    memset(st, 0, sizeof(*st));
    st->start_ns = ctl_now_ns();
    return st;
}

void ctl_stats_free(struct ctl_stats *st)
{
    free(st);
}

unsigned ctl_stats_bucket(uint64_t ns)
{
    /* Binary search for the first bound >= ns; NBOUNDS means +Inf. */
    unsigned lo = 0, hi = CTL_LAT_NBOUNDS;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (ns <= ctl_lat_bounds_ns[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Latency and error of one finished request (its arrival is counted apart). */
static void record_done(struct ctl_stats *st, enum inj_op op, uint64_t ns,
                        int err)
{
    if (!st || (unsigned)op >= INJ_OP_COUNT)
        return;
    struct op_counters *c = &st->op[op];
    if (err)
        atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->latency_sum_ns, ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->buckets[ctl_stats_bucket(ns)], 1,
                              memory_order_relaxed);
}

void ctl_stats_record(struct ctl_stats *st, enum inj_op op, uint64_t ns,
                      int err)
{
    if (!st || (unsigned)op >= INJ_OP_COUNT)
        return;
    atomic_fetch_add_explicit(&st->op[op].requests, 1, memory_order_relaxed);
    record_done(st, op, ns, err);
}

uint64_t ctl_stats_begin(struct ctl_stats *st, enum inj_op op)
{
    if (st) {
        atomic_fetch_add_explicit(&st->inflight, 1, memory_order_relaxed);
        if ((unsigned)op < INJ_OP_COUNT)
            atomic_fetch_add_explicit(&st->op[op].requests, 1,
                                      memory_order_relaxed);
    }
    return ctl_now_ns();
}

void ctl_stats_end(struct ctl_stats *st, enum inj_op op, uint64_t start_ns,
                   int err)
{
    if (!st)
        return;
    uint64_t now = ctl_now_ns();
    record_done(st, op, now > start_ns ? now - start_ns : 0, err);
    atomic_fetch_sub_explicit(&st->inflight, 1, memory_order_relaxed);
}

void ctl_stats_fault(struct ctl_stats *st, enum inj_op op)
{
    if (st && (unsigned)op < INJ_OP_COUNT)
        atomic_fetch_add_explicit(&st->op[op].faults, 1, memory_order_relaxed);
}

void ctl_stats_ruled_out(struct ctl_stats *st, enum inj_op op)
{
    if (st && (unsigned)op < INJ_OP_COUNT)
        atomic_fetch_add_explicit(&st->op[op].ruled_out, 1,
                                  memory_order_relaxed);
}

void ctl_stats_snapshot(const struct ctl_stats *st,
                        struct ctl_stats_snapshot *out)
{
    memset(out, 0, sizeof(*out));
    if (!st)
        return;
    /* The atomics are only read; casting away const is confined here. */
    struct ctl_stats *s = (struct ctl_stats *)st;
    for (unsigned i = 0; i < INJ_OP_COUNT; i++) {
        struct op_counters *c = &s->op[i];
        struct ctl_op_stats *o = &out->op[i];
        o->requests = atomic_load_explicit(&c->requests, memory_order_relaxed);
        o->errors = atomic_load_explicit(&c->errors, memory_order_relaxed);
        o->faults = atomic_load_explicit(&c->faults, memory_order_relaxed);
        o->ruled_out =
            atomic_load_explicit(&c->ruled_out, memory_order_relaxed);
        o->latency_sum_ns =
            atomic_load_explicit(&c->latency_sum_ns, memory_order_relaxed);
        for (unsigned b = 0; b < CTL_LAT_NBUCKETS; b++)
            o->buckets[b] =
                atomic_load_explicit(&c->buckets[b], memory_order_relaxed);
    }
    out->inflight = atomic_load_explicit(&s->inflight, memory_order_relaxed);
    uint64_t now = ctl_now_ns();
    out->uptime_ns = now > st->start_ns ? now - st->start_ns : 0;
}
