/* fs/slab.h — fixed-size records packed in page-aligned chunks.
 *
 * For objects that outlive the ones around them: records from a slab never
 * share a page with malloc's objects, so freeing everything else really
 * hands memory back (malloc_trim) instead of leaving a page pinned by one
 * long-lived record. Chunks are mapped on demand and kept until
 * fs_slab_destroy(); freed records are reused first.
 *
 * Thread-safe; the slab's lock is a leaf (it may be taken under any other
 * lock, and nothing is taken under it).
 */
#ifndef SNAG_FS_SLAB_H
#define SNAG_FS_SLAB_H

#include <pthread.h>
#include <stddef.h>

struct fs_slab {
    pthread_mutex_t lock;
    size_t size;      /* bytes per record, a multiple of the alignment */
    void *free;       /* freed records, linked through their first word */
    char *next, *end; /* unused tail of the newest chunk */
    void **chunks;    /* every mapped chunk */
    size_t nchunks;
    size_t in_use; /* records handed out */
};

void fs_slab_init(struct fs_slab *s, size_t record_size);

/* A record (contents undefined), or NULL when out of memory. */
void *fs_slab_get(struct fs_slab *s);
void fs_slab_put(struct fs_slab *s, void *record);

/* Unmap every chunk; records still in use become invalid. */
void fs_slab_destroy(struct fs_slab *s);

#endif
