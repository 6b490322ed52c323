/* fs/reactor/reactor_heap.c — binary min-heap of armed entries keyed by
 * (deadline, seq).
 *
 * Every entry knows its index (heap_idx), so interrupt and release remove it
 * in O(log n). Ties break on arrival order, so equal deadlines fire FIFO.
 * The caller holds the reactor lock.
 */
#include <errno.h>
#include <stdlib.h>

#include "reactor_impl.h"

static bool heap_less(const struct fs_parked *a, const struct fs_parked *b)
{
    if (a->deadline != b->deadline)
        return a->deadline < b->deadline;
    return a->seq < b->seq;
}

static void heap_set(struct fs_heap *h, size_t i, struct fs_parked *p)
{
    h->v[i] = p;
    p->heap_idx = i;
}

static void sift_up(struct fs_heap *h, size_t i)
{
    struct fs_parked *p = h->v[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_less(p, h->v[parent]))
            break;
        heap_set(h, i, h->v[parent]);
        i = parent;
    }
    heap_set(h, i, p);
}

static void sift_down(struct fs_heap *h, size_t i)
{
    struct fs_parked *p = h->v[i];

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && heap_less(h->v[c + 1], h->v[c]))
            c++;
        if (!heap_less(h->v[c], p))
            break;
        heap_set(h, i, h->v[c]);
        i = c;
    }
    heap_set(h, i, p);
}

int fs_heap_push(struct fs_heap *h, struct fs_parked *p)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        struct fs_parked **v = realloc(h->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n] = p;
    p->heap_idx = h->n++;
    sift_up(h, p->heap_idx);
    return 0;
}

void fs_heap_remove(struct fs_heap *h, struct fs_parked *p)
{
    size_t i = p->heap_idx;
    struct fs_parked *last = h->v[--h->n];

    if (i == h->n)
        return;
    heap_set(h, i, last);
    if (i > 0 && heap_less(last, h->v[(i - 1) / 2]))
        sift_up(h, i);
    else
        sift_down(h, i);
}

struct fs_parked *fs_heap_pop(struct fs_heap *h)
{
    struct fs_parked *p = fs_heap_min(h);

    if (p)
        fs_heap_remove(h, p);
    return p;
}

/* Restore the heap property after the caller compacted v[0..n). O(n). */
void fs_heap_heapify(struct fs_heap *h)
{
    for (size_t i = 0; i < h->n; i++)
        h->v[i]->heap_idx = i;
    for (size_t i = h->n / 2; i-- > 0;)
        sift_down(h, i);
}

void fs_heap_free(struct fs_heap *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}
