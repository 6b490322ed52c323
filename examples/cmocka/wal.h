/* wal.h — the "application" under test: append records to a log durably. */
#ifndef WAL_H
#define WAL_H
#include <stddef.h>

/* Append len bytes at rec to the file at path (created if missing), retrying
 * short writes and EINTR, then fsync. Returns 0 or -errno. */
int wal_append(const char *path, const void *rec, size_t len);

#endif
