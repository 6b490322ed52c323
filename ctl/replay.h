/* ctl/replay.h — --replay: inject exactly the faults of a recorded trace again.
 *
 * The trace is loaded once into an immutable index keyed by (op, path); each
 * key holds its recorded faults sorted by occurrence number and an atomic
 * count of the requests seen so far. Lookups are lock-free and may run on
 * any thread; rules and timing are ignored: only the n-th request of op on
 * path gets the n-th occurrence's recorded verdict.
 */
#ifndef SNAG_CTL_REPLAY_H
#define SNAG_CTL_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../inject/engine.h"

struct ctl_replay;

/* Load a trace file. Returns 0, or -errno with "file:line:col: message"
 * in errbuf (e.g. a malformed or truncated line, an unknown op, a fault
 * recorded twice). */
int ctl_replay_load(const char *file, struct ctl_replay **out, char *errbuf,
                    size_t errsize);

/* Same from memory; name is used in error messages. */
int ctl_replay_load_text(const char *text, size_t len, const char *name,
                         struct ctl_replay **out, char *errbuf, size_t errsize);

void ctl_replay_free(struct ctl_replay *r);

/* Call for EVERY request that could carry a fault (not only faulted ones):
 * it counts the occurrence of (op, path) and returns true with the recorded
 * verdict when this occurrence had one. path NULL counts as "". */
bool ctl_replay_lookup(struct ctl_replay *r, enum inj_op op, const char *path,
                       struct inj_verdict *out);

/* False when the trace holds no fault for op: fs/ may then skip the lookup
 * (and building the path) for that op entirely. One load, no lock. */
bool ctl_replay_wants(const struct ctl_replay *r, enum inj_op op);

size_t ctl_replay_size(const struct ctl_replay *r);   /* faults loaded */
size_t ctl_replay_unused(const struct ctl_replay *r); /* not yet injected */

/* Write one line per recorded fault that never found its moment:
 * "snagfs: replay: FILE:LINE: op PATH occurrence N was never reached
 * (saw M)". Returns the number of such faults. */
size_t ctl_replay_report_unused(const struct ctl_replay *r, FILE *out);

#endif
