/* ctl/observe.h — one call per request that ties the engine to --trace,
 * --replay and the fault stats.
 *
 * fs/ replaces its inj_engine_wants()/inj_decide() pair with
 * ctl_observe_wants()/ctl_decide(): with neither --trace nor --replay they
 * cost what the engine calls cost; with --trace every request of every op
 * is counted per (op, path) so traces carry occurrence numbers; with
 * --replay the recorded verdicts replace the rules.
 */
#ifndef SNAG_CTL_OBSERVE_H
#define SNAG_CTL_OBSERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "../inject/engine.h"
#include "replay.h"
#include "stats.h"
#include "trace.h"

/* All borrowed; any may be NULL. Set once before the mount serves. */
struct ctl_observe {
    struct ctl_stats *stats;
    struct ctl_trace *trace;
    struct ctl_replay *replay;
};

/* Must fs/ build an inj_request for op and call ctl_decide()? True when a
 * trace is being written (every request counts toward occurrences), when
 * replaying a trace that has faults for op, or (not replaying) when the
 * engine has a rule naming op. */
bool ctl_observe_wants(const struct ctl_observe *o, const struct inj_engine *e,
                       enum inj_op op);

/* Decide one request: the replayed verdict when replaying, else
 * inj_decide(). On a fault: ctl_stats_fault() and, when tracing, one trace
 * line (node is the FUSE node id, for the trace only). rq->get_path and
 * rq->get_comm are still called at most once each. Returns true and fills
 * *v when a fault fires; false (v->actions == 0) when the request passes. */
bool ctl_decide(const struct ctl_observe *o, struct inj_engine *e,
                const struct inj_request *rq, uint64_t node,
                struct inj_verdict *v);

#endif
