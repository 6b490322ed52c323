/* fs/slab.c — fixed-size records packed in page-aligned chunks (slab.h).
 *
 * Invariants: every record lies in one of chunks[]; a record is either
 * handed out, on the free list, or in [next, end) of the newest chunk.
 */
#include "slab.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define FS_SLAB_CHUNK (1u << 20) /* touched page by page: RSS grows as used */

void fs_slab_init(struct fs_slab *s, size_t record_size)
{
    const size_t align = alignof(max_align_t);
    *s = (struct fs_slab){.size = (record_size + align - 1) / align * align};
    if (s->size < sizeof(void *))
        s->size = sizeof(void *);
    pthread_mutex_init(&s->lock, NULL);
}

/* Map one more chunk. Caller holds s->lock. */
static int slab_grow(struct fs_slab *s)
{
    void **chunks = realloc(s->chunks, (s->nchunks + 1) * sizeof(*chunks));
    if (!chunks)
        return -1;
    s->chunks = chunks;
    void *c = mmap(NULL, FS_SLAB_CHUNK, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED)
        return -1;
    s->chunks[s->nchunks++] = c;
    s->next = c;
    s->end = (char *)c + FS_SLAB_CHUNK / s->size * s->size;
    return 0;
}

void *fs_slab_get(struct fs_slab *s)
{
    void *r = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->free) {
        r = s->free;
        s->free = *(void **)r;
    } else if (s->next < s->end || slab_grow(s) == 0) {
        r = s->next;
        s->next += s->size;
    }
    if (r)
        s->in_use++;
    pthread_mutex_unlock(&s->lock);
    return r;
}

void fs_slab_put(struct fs_slab *s, void *record)
{
    pthread_mutex_lock(&s->lock);
    *(void **)record = s->free;
    s->free = record;
    s->in_use--;
    pthread_mutex_unlock(&s->lock);
}

void fs_slab_destroy(struct fs_slab *s)
{
    for (size_t i = 0; i < s->nchunks; i++)
        munmap(s->chunks[i], FS_SLAB_CHUNK);
    free(s->chunks);
    pthread_mutex_destroy(&s->lock);
    *s = (struct fs_slab){0};
}
