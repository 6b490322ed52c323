/* ctl/trace.h — the --trace writer: one JSON line per injected fault.
 *
 * Each line is written with a single write(2) on an O_APPEND descriptor, so
 * lines from concurrent threads never interleave and a daemon crash loses
 * nothing that was already recorded (the data is in the page cache; a power
 * loss is another matter: we do not fsync per fault). The line format is
 * documented in docs/control-protocol.md ("Trace format") and read back by
 * ctl/replay.c. Thread-safe: every function may be called from any thread.
 */
#ifndef SNAG_CTL_TRACE_H
#define SNAG_CTL_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "../inject/engine.h"
#include "buf.h"

#define CTL_TRACE_VERSION 1

struct ctl_trace;

/* One injected fault, as fs/ knows it. Strings are borrowed for the call. */
struct ctl_trace_event {
    enum inj_op op;
    const char *path; /* relative to the mount root, "/a/b"; NULL if unknown */
    uint64_t node;    /* FUSE node id */
    uint32_t pid, uid, gid;
    const char *comm;    /* NULL if unknown */
    uint64_t occurrence; /* of (op, path), from ctl_trace_occurrence() */
    bool has_offset, has_size;
    uint64_t offset, size;
    const struct inj_verdict *v; /* what fired; required */
};

/* Open (create 0600, append) path. Returns 0 or -errno. */
int ctl_trace_open(const char *path, struct ctl_trace **out);
void ctl_trace_close(struct ctl_trace *t);

/* Count one request of op on path and return its occurrence number. fs/
 * calls this for EVERY request while tracing, faulted or not, so the
 * numbers match what --replay counts. */
uint64_t ctl_trace_occurrence(struct ctl_trace *t, enum inj_op op,
                              const char *path);

/* Append one line for ev. Returns 0, or -errno when the write failed or
 * was short (the line is then not in the file, or torn at its end; replay
 * reports a torn last line precisely). */
int ctl_trace_record(struct ctl_trace *t, const struct ctl_trace_event *ev);

/* Append one watchdog event line (docs/control-protocol.md, "Trace
 * format"): {"v":1,"seq":..,"event":"watchdog","kind":KIND,"op":..,
 * "node":..,"pid":..,"comm":..,"age_ns":..,"action":..}. Replay skips
 * lines with an "event" field. Returns 0 or -errno. */
int ctl_trace_watchdog(struct ctl_trace *t, const char *kind, const char *op,
                       uint64_t node, uint32_t pid, const char *comm,
                       uint64_t age_ns, const char *action);

uint64_t ctl_trace_count(const struct ctl_trace *t); /* lines written */
const char *ctl_trace_path(const struct ctl_trace *t);

/* Format ev as one line (newline included) into b, with the given seq and
 * times. Exposed so tests can check the exact text. */
void ctl_trace_format(struct ctl_buf *b, const struct ctl_trace_event *ev,
                      uint64_t seq, uint64_t mono_ns, uint64_t wall_ns);

/* "error,delay" for an action mask ("pass" for 0) into buf. */
const char *ctl_action_names(unsigned actions, char *buf, size_t size);
/* Parse such a list back; -EINVAL on an unknown name. */
int ctl_action_parse(const char *s, size_t len, unsigned *actions);

#endif
