/* ctl/occur.h — counts requests per (op, path): the occurrence numbers traces
 * and replays key on.
 *
 * Recording a trace and replaying it must number requests identically, so
 * both sides count every request of an op on a path from 1, in arrival
 * order. Counting is thread-safe (mutex-striped hash; a stripe is held only
 * for the hash probe, never across I/O).
 */
#ifndef SNAG_CTL_OCCUR_H
#define SNAG_CTL_OCCUR_H

#include <stddef.h>
#include <stdint.h>

#include "../inject/ops.h"

struct ctl_occur;

struct ctl_occur *ctl_occur_new(void); /* NULL on ENOMEM */
void ctl_occur_free(struct ctl_occur *o);

/* Count one more request of op on path (NULL counts as ""); returns its
 * occurrence number from 1, or 0 when memory ran out. */
uint64_t ctl_occur_next(struct ctl_occur *o, enum inj_op op, const char *path);

/* FNV-1a over op and path, shared with replay's index. */
uint64_t ctl_occur_hash(enum inj_op op, const char *path, size_t len);

#endif
