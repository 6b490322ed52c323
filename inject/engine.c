/* inject/engine.c — engine lifetime, rule-set publication and reclamation.
 *
 * Invariants:
 *  - Readers (inj_decide) take no lock: they bump their slot's counter for
 *    the current epoch (epoch & 1), load e->cur, work, and drop the count.
 *    A writer (serialised by wlock) swaps e->cur, then flips the epoch and
 *    waits for every slot's counter of the epoch new readers no longer use to
 *    drain — twice, once per epoch, as SRCU does — and only then frees the
 *    old set. A reader that loaded the old pointer incremented one counter
 *    before the swap (the increment, the pointer load, the swap and the
 *    writer's counter loads are all seq_cst), so seeing every counter at zero
 *    after the swap means it has left; the flips keep a steady stream of new
 *    readers from starving the writer.
 *  - Sets hold one reference on each of their rules; a rule carried from one
 *    set to the next keeps its counters because it is the same object.
 *  - The generation is bumped once per successful replace, under wlock.
 *
 * Decision semantics are in decide.c and docs/rules-semantics.md.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"

static uint64_t monotonic_ns(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct inj_engine *inj_engine_new(uint64_t seed)
{
    struct inj_engine *e = calloc(1, sizeof(*e));

    if (!e)
        return NULL;
    if (pthread_mutex_init(&e->wlock, NULL) != 0) {
        free(e);
        return NULL;
    }
    e->seed = seed;
    e->clock = monotonic_ns;
    e->index_min = INJ_INDEX_MIN_BUCKETED;
    atomic_init(&e->cur, NULL);
    return e;
}

static void set_free(struct inj_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        inj_rule_put(s->rules[i]);
    inj_index_free(s);
    free(s->rules);
    free(s);
}

void inj_engine_free(struct inj_engine *e)
{
    if (!e)
        return;
    set_free(atomic_load(&e->cur));
    pthread_mutex_destroy(&e->wlock);
    free(e);
}

uint64_t inj_engine_seed(const struct inj_engine *e)
{
    return e->seed;
}

uint64_t inj_engine_generation(const struct inj_engine *e)
{
    return atomic_load_explicit(&((struct inj_engine *)e)->generation,
                                memory_order_acquire);
}

bool inj_engine_wants(const struct inj_engine *e, enum inj_op op)
{
    uint64_t mask = atomic_load_explicit(&((struct inj_engine *)e)->op_mask,
                                         memory_order_relaxed);

    return (unsigned)op < INJ_OP_COUNT && (mask & inj_op_bit(op));
}

static unsigned reader_slot(void)
{
    static _Atomic unsigned next;
    static _Thread_local unsigned slot = UINT_MAX;

    if (slot == UINT_MAX)
        slot = atomic_fetch_add_explicit(&next, 1, memory_order_relaxed) %
               INJ_READER_SLOTS;
    return slot;
}

unsigned inj_engine_read_lock(struct inj_engine *e)
{
    unsigned slot = reader_slot();
    unsigned idx = atomic_load_explicit(&e->epoch, memory_order_relaxed) & 1;

    atomic_fetch_add_explicit(&e->readers[slot].n[idx], 1,
                              memory_order_seq_cst);
    return slot << 1 | idx;
}

void inj_engine_read_unlock(struct inj_engine *e, unsigned token)
{
    /* release: the writer's seq_cst load that sees this drop also sees
     * everything this reader did with the set. */
    atomic_fetch_sub_explicit(&e->readers[token >> 1].n[token & 1], 1,
                              memory_order_release);
}

static void wait_drained(struct inj_engine *e, unsigned idx)
{
    const struct timespec nap = {.tv_nsec = 20000};

    /* Each slot on its own: a reader counted in one slot is gone once that
     * slot has been seen at zero after the swap. Readers hold a set for a
     * few hundred ns: yield first, then nap so a preempted reader can run
     * even on one core. */
    for (unsigned s = 0; s < INJ_READER_SLOTS; s++) {
        for (unsigned spins = 0; atomic_load(&e->readers[s].n[idx]) != 0;
             spins++) {
            if (spins < 64)
                sched_yield();
            else
                nanosleep(&nap, NULL);
        }
    }
}

static void synchronize(struct inj_engine *e)
{
    for (int pass = 0; pass < 2; pass++) {
        unsigned old = atomic_fetch_add(&e->epoch, 1) & 1;

        wait_drained(e, old);
    }
}

static int cmp_rule_id(const void *a, const void *b)
{
    const struct inj_rule *ra = *(struct inj_rule *const *)a;
    const struct inj_rule *rb = *(struct inj_rule *const *)b;

    return strcmp(ra->spec.id, rb->spec.id);
}

/* -EEXIST when two rules share an id (or one rule is listed twice). */
static int check_unique(struct inj_rule *const *rules, size_t n)
{
    struct inj_rule **sorted;
    int rc = 0;

    if (n < 2)
        return 0;
    sorted = malloc(n * sizeof(*sorted));
    if (!sorted)
        return -ENOMEM;
    memcpy(sorted, rules, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_rule_id);
    for (size_t i = 1; i < n && !rc; i++)
        if (strcmp(sorted[i - 1]->spec.id, sorted[i]->spec.id) == 0)
            rc = -EEXIST;
    free(sorted);
    return rc;
}

int inj_engine_replace(struct inj_engine *e, struct inj_rule *const *rules,
                       size_t n, uint64_t *generation)
{
    struct inj_set *s, *old;
    int rc;

    if (n > UINT32_MAX)
        return -ENOMEM; /* index lists hold uint32_t rule numbers */
    rc = check_unique(rules, n);
    if (rc)
        return rc;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->rules = malloc((n ? n : 1) * sizeof(*s->rules));
    if (!s->rules) {
        free(s);
        return -ENOMEM;
    }
    if (n) /* rules may be NULL when n == 0 */
        memcpy(s->rules, rules, n * sizeof(*s->rules));
    s->n = n;
    pthread_mutex_lock(&e->wlock);
    rc = inj_index_build(s, e->index_min);
    if (rc) {
        pthread_mutex_unlock(&e->wlock);
        s->n = 0; /* no reference taken yet: put none */
        set_free(s);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        inj_rule_get(s->rules[i]);
    s->generation = atomic_load(&e->generation) + 1;
    old = atomic_exchange(&e->cur, s);
    atomic_store(&e->op_mask, s->op_mask);
    atomic_store(&e->generation, s->generation);
    if (generation)
        *generation = s->generation;
    synchronize(e);
    pthread_mutex_unlock(&e->wlock);
    set_free(old);
    return 0;
}

int inj_engine_snapshot(struct inj_engine *e, struct inj_rule ***rules,
                        size_t *n, uint64_t *generation)
{
    struct inj_set *s;
    struct inj_rule **out = NULL;
    size_t cnt;

    /* Only writers free sets, and they hold wlock while they do. */
    pthread_mutex_lock(&e->wlock);
    s = atomic_load(&e->cur);
    cnt = s ? s->n : 0;
    if (cnt) {
        out = malloc(cnt * sizeof(*out));
        if (!out) {
            pthread_mutex_unlock(&e->wlock);
            return -ENOMEM;
        }
        for (size_t i = 0; i < cnt; i++) {
            out[i] = s->rules[i];
            inj_rule_get(out[i]);
        }
    }
    if (generation)
        *generation = s ? s->generation : 0;
    pthread_mutex_unlock(&e->wlock);
    *rules = out;
    *n = cnt;
    return 0;
}

void inj_engine_set_clock(struct inj_engine *e, inj_clock_fn fn, void *ctx)
{
    e->clock = fn ? fn : monotonic_ns;
    e->clock_ctx = fn ? ctx : NULL;
}

uint64_t inj_engine_now(struct inj_engine *e)
{
    return e->clock(e->clock_ctx);
}

void inj_engine_set_index_min(struct inj_engine *e, unsigned min_bucketed)
{
    pthread_mutex_lock(&e->wlock);
    e->index_min = min_bucketed;
    pthread_mutex_unlock(&e->wlock);
}
