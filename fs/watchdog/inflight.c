/* fs/watchdog/inflight.c — lock-free in-flight request table and self-thread
 * registry.
 *
 * Slot control word: bits 0..7 state, 8..23 flags, 32..63 generation. A slot
 * goes FREE → CLAIMED (gen+1, fields being written) → LIVE → FREE. Fields are
 * individually atomic (relaxed); a reader accepts a copy only if the control
 * word was LIVE with the same generation before and after reading them.
 */
#include "inflight.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { SLOT_FREE = 0, SLOT_CLAIMED = 1, SLOT_LIVE = 2 };

#define CTL_STATE(c) ((unsigned)((c)&0xffu))
#define CTL_FLAGS(c) ((unsigned)(((c) >> 8) & 0xffffu))
#define CTL_GEN(c) ((uint32_t)((c) >> 32))
#define CTL_MAKE(gen, flags, state)                                            \
    (((uint64_t)(gen) << 32) | ((uint64_t)((flags)&0xffffu) << 8) |            \
     (uint64_t)(state))

struct fs_inflight_slot {
    _Atomic uint64_t ctl;
    _Atomic int op;
    _Atomic(const char *) op_name;
    _Atomic uint64_t nodeid;
    _Atomic pid_t pid;
    _Atomic pid_t worker;
    _Atomic uint64_t start_ns;
    _Atomic uint64_t extra_ns;
    _Atomic uint64_t comm[2]; /* 16 bytes of comm, word-atomic */
    struct fs_inflight_table *table;
} __attribute__((aligned(128)));

struct fs_inflight_table {
    size_t cap;
    _Atomic size_t cursor; /* fallback start point for a free-slot search */
    _Atomic size_t live;
    _Atomic uint64_t overflows;
    struct fs_inflight_slot *slots;
};

static __thread size_t tls_hint = SIZE_MAX;

uint64_t fs_inflight_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

pid_t fs_self_tid(void)
{
    static __thread pid_t tid;
    if (!tid)
        tid = (pid_t)syscall(SYS_gettid);
    return tid;
}

struct fs_inflight_table *fs_inflight_table_new(size_t cap)
{
    struct fs_inflight_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cap = cap ? cap : FS_INFLIGHT_DEFAULT_CAP;
    t->slots = aligned_alloc(128, t->cap * sizeof(*t->slots));
    if (!t->slots) {
        free(t);
        return NULL;
    }
    memset(t->slots, 0, t->cap * sizeof(*t->slots));
    for (size_t i = 0; i < t->cap; i++)
        t->slots[i].table = t;
    return t;
}

void fs_inflight_table_free(struct fs_inflight_table *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t);
}

size_t fs_inflight_capacity(const struct fs_inflight_table *t)
{
    return t->cap;
}

static bool slot_try_claim(struct fs_inflight_slot *s, uint32_t *gen)
{
    uint64_t c = atomic_load_explicit(&s->ctl, memory_order_relaxed);
    if (CTL_STATE(c) != SLOT_FREE)
        return false;
    uint64_t n = CTL_MAKE(CTL_GEN(c) + 1, 0, SLOT_CLAIMED);
    if (!atomic_compare_exchange_strong_explicit(
            &s->ctl, &c, n, memory_order_acquire, memory_order_relaxed))
        return false;
    *gen = CTL_GEN(c) + 1;
    return true;
}

struct fs_inflight_slot *fs_inflight_begin(struct fs_inflight_table *t, int op,
                                           const char *op_name, uint64_t nodeid,
                                           pid_t pid, pid_t worker,
                                           uint64_t extra_deadline_ns)
{
    if (!t)
        return NULL;
    struct fs_inflight_slot *s = NULL;
    uint32_t gen = 0;
    /* The slot this thread used last is almost always free again. */
    if (tls_hint < t->cap && slot_try_claim(&t->slots[tls_hint], &gen)) {
        s = &t->slots[tls_hint];
    } else {
        size_t start =
            atomic_fetch_add_explicit(&t->cursor, 1, memory_order_relaxed);
        for (size_t i = 0; i < t->cap; i++) {
            size_t idx = (start + i) % t->cap;
            if (slot_try_claim(&t->slots[idx], &gen)) {
                s = &t->slots[idx];
                tls_hint = idx;
                break;
            }
        }
    }
    if (!s) {
        atomic_fetch_add_explicit(&t->overflows, 1, memory_order_relaxed);
        return NULL;
    }
    atomic_store_explicit(&s->op, op, memory_order_relaxed);
    atomic_store_explicit(&s->op_name, op_name, memory_order_relaxed);
    atomic_store_explicit(&s->nodeid, nodeid, memory_order_relaxed);
    atomic_store_explicit(&s->pid, pid, memory_order_relaxed);
    atomic_store_explicit(&s->worker, worker, memory_order_relaxed);
    atomic_store_explicit(&s->start_ns, fs_inflight_now_ns(),
                          memory_order_relaxed);
    atomic_store_explicit(&s->extra_ns, extra_deadline_ns,
                          memory_order_relaxed);
    atomic_store_explicit(&s->comm[0], 0, memory_order_relaxed);
    atomic_store_explicit(&s->comm[1], 0, memory_order_relaxed);
    unsigned flags = fs_self_is_own_thread(pid) ? FS_INFLIGHT_SELF : 0;
    atomic_store_explicit(&s->ctl, CTL_MAKE(gen, flags, SLOT_LIVE),
                          memory_order_release);
    atomic_fetch_add_explicit(&t->live, 1, memory_order_relaxed);
    return s;
}

void fs_inflight_set_comm(struct fs_inflight_slot *s, const char *comm)
{
    if (!s || !comm)
        return;
    uint64_t w[2] = {0, 0};
    strncpy((char *)w, comm, sizeof(w) - 1);
    atomic_store_explicit(&s->comm[0], w[0], memory_order_relaxed);
    atomic_store_explicit(&s->comm[1], w[1], memory_order_relaxed);
}

void fs_inflight_extend(struct fs_inflight_slot *s, uint64_t ns)
{
    if (!s)
        return;
    /* Saturate at FS_INFLIGHT_NO_DEADLINE so repeated hangs cannot wrap. */
    uint64_t cur = atomic_load_explicit(&s->extra_ns, memory_order_relaxed);
    uint64_t next;
    do {
        next = ns >= FS_INFLIGHT_NO_DEADLINE - cur ? FS_INFLIGHT_NO_DEADLINE
                                                   : cur + ns;
    } while (!atomic_compare_exchange_weak_explicit(
        &s->extra_ns, &cur, next, memory_order_relaxed, memory_order_relaxed));
}

void fs_inflight_set_worker(struct fs_inflight_slot *s, pid_t worker)
{
    if (s)
        atomic_store_explicit(&s->worker, worker, memory_order_relaxed);
}

bool fs_inflight_is_self(const struct fs_inflight_slot *s)
{
    if (!s)
        return false;
    uint64_t c = atomic_load_explicit(&((struct fs_inflight_slot *)s)->ctl,
                                      memory_order_relaxed);
    return CTL_FLAGS(c) & FS_INFLIGHT_SELF;
}

void fs_inflight_read_slot(const struct fs_inflight_slot *cs,
                           struct fs_inflight_entry *e)
{
    struct fs_inflight_slot *s = (struct fs_inflight_slot *)cs;
    memset(e, 0, sizeof(*e));
    e->op_name = "?";
    if (!s)
        return;
    uint64_t c = atomic_load_explicit(&s->ctl, memory_order_acquire);
    e->index = (uint32_t)(s - s->table->slots);
    e->gen = CTL_GEN(c);
    e->flags = CTL_FLAGS(c);
    e->op = atomic_load_explicit(&s->op, memory_order_relaxed);
    e->op_name = atomic_load_explicit(&s->op_name, memory_order_relaxed);
    if (!e->op_name)
        e->op_name = "?";
    e->nodeid = atomic_load_explicit(&s->nodeid, memory_order_relaxed);
    e->pid = atomic_load_explicit(&s->pid, memory_order_relaxed);
    e->worker = atomic_load_explicit(&s->worker, memory_order_relaxed);
    e->start_ns = atomic_load_explicit(&s->start_ns, memory_order_relaxed);
    e->extra_ns = atomic_load_explicit(&s->extra_ns, memory_order_relaxed);
    uint64_t w[2];
    w[0] = atomic_load_explicit(&s->comm[0], memory_order_relaxed);
    w[1] = atomic_load_explicit(&s->comm[1], memory_order_relaxed);
    memcpy(e->comm, w, sizeof(e->comm));
    e->comm[FS_COMM_LEN - 1] = '\0';
}

void fs_inflight_end(struct fs_inflight_slot *s)
{
    if (!s)
        return;
    uint64_t c = atomic_load_explicit(&s->ctl, memory_order_relaxed);
    /* The watchdog may be setting flags concurrently: CAS, keep the gen. */
    while (!atomic_compare_exchange_weak_explicit(
        &s->ctl, &c, CTL_MAKE(CTL_GEN(c), 0, SLOT_FREE), memory_order_release,
        memory_order_relaxed))
        ;
    atomic_fetch_sub_explicit(&s->table->live, 1, memory_order_relaxed);
}

size_t fs_inflight_snapshot(struct fs_inflight_table *t,
                            struct fs_inflight_entry *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->cap && n < max; i++) {
        struct fs_inflight_slot *s = &t->slots[i];
        uint64_t c1 = atomic_load_explicit(&s->ctl, memory_order_acquire);
        if (CTL_STATE(c1) != SLOT_LIVE)
            continue;
        struct fs_inflight_entry *e = &out[n];
        e->index = (uint32_t)i;
        e->gen = CTL_GEN(c1);
        e->op = atomic_load_explicit(&s->op, memory_order_relaxed);
        e->op_name = atomic_load_explicit(&s->op_name, memory_order_relaxed);
        e->nodeid = atomic_load_explicit(&s->nodeid, memory_order_relaxed);
        e->pid = atomic_load_explicit(&s->pid, memory_order_relaxed);
        e->worker = atomic_load_explicit(&s->worker, memory_order_relaxed);
        e->start_ns = atomic_load_explicit(&s->start_ns, memory_order_relaxed);
        e->extra_ns = atomic_load_explicit(&s->extra_ns, memory_order_relaxed);
        uint64_t w[2];
        w[0] = atomic_load_explicit(&s->comm[0], memory_order_relaxed);
        w[1] = atomic_load_explicit(&s->comm[1], memory_order_relaxed);
        memcpy(e->comm, w, sizeof(e->comm));
        e->comm[FS_COMM_LEN - 1] = '\0';
        atomic_thread_fence(memory_order_acquire);
        uint64_t c2 = atomic_load_explicit(&s->ctl, memory_order_relaxed);
        if (CTL_STATE(c2) != SLOT_LIVE || CTL_GEN(c2) != e->gen)
            continue; /* ended or replaced while we read: skip it */
        e->flags = CTL_FLAGS(c2);
        if (!e->op_name)
            e->op_name = "?";
        n++;
    }
    return n;
}

size_t fs_inflight_count(struct fs_inflight_table *t)
{
    return atomic_load_explicit(&t->live, memory_order_relaxed);
}

bool fs_inflight_mark(struct fs_inflight_table *t,
                      const struct fs_inflight_entry *e, unsigned flags)
{
    if (e->index >= t->cap)
        return false;
    struct fs_inflight_slot *s = &t->slots[e->index];
    uint64_t c = atomic_load_explicit(&s->ctl, memory_order_relaxed);
    for (;;) {
        if (CTL_STATE(c) != SLOT_LIVE || CTL_GEN(c) != e->gen)
            return false;
        if ((CTL_FLAGS(c) & flags) == flags)
            return false;
        uint64_t n = CTL_MAKE(CTL_GEN(c), CTL_FLAGS(c) | flags, SLOT_LIVE);
        if (atomic_compare_exchange_weak_explicit(
                &s->ctl, &c, n, memory_order_acq_rel, memory_order_relaxed))
            return true;
    }
}

uint64_t fs_inflight_overflows(const struct fs_inflight_table *t)
{
    return atomic_load_explicit(&((struct fs_inflight_table *)t)->overflows,
                                memory_order_relaxed);
}

/* ---- self-thread registry ---- */

static _Atomic pid_t self_tids[FS_SELF_MAX_THREADS];
static _Atomic int self_roles[FS_SELF_MAX_THREADS];
static _Atomic size_t self_high; /* slots [0, self_high) may be in use */
/* How many registered threads have a tid in each bucket (tid mod the
 * size). Zero answers "not ours" with one load; unregistering decrements,
 * so threads that came and went leave nothing behind. Thread ids are
 * handed out in sequence, so the daemon's own threads rarely share a
 * bucket and a client's pid lands in a used one about once in
 * FS_SELF_FILTER_SIZE / (our thread count). */
static _Atomic uint16_t self_filter[FS_SELF_FILTER_SIZE];
static __thread int tls_self_index = -1;
static pthread_key_t self_key;
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

static _Atomic uint16_t *self_bucket(pid_t tid)
{
    return &self_filter[(uint32_t)tid % FS_SELF_FILTER_SIZE];
}

static void self_thread_exit(void *arg)
{
    (void)arg;
    fs_self_unregister_thread();
}

static void self_init(void)
{
    pthread_key_create(&self_key, self_thread_exit);
}

int fs_self_register_thread(enum fs_thread_role role)
{
    if (tls_self_index >= 0)
        return 0;
    pthread_once(&self_once, self_init);
    pid_t tid = fs_self_tid();
    for (size_t i = 0; i < FS_SELF_MAX_THREADS; i++) {
        pid_t expect = 0;
        if (!atomic_compare_exchange_strong(&self_tids[i], &expect, -1))
            continue;
        atomic_store(&self_roles[i], (int)role);
        atomic_fetch_add(self_bucket(tid), 1);
        atomic_store_explicit(&self_tids[i], tid, memory_order_release);
        size_t high = atomic_load(&self_high);
        while (high < i + 1 &&
               !atomic_compare_exchange_weak(&self_high, &high, i + 1))
            ;
        tls_self_index = (int)i;
        /* Any non-NULL value makes the destructor run at thread exit. */
        pthread_setspecific(self_key, (void *)1);
        return 0;
    }
    return -ENOSPC;
}

void fs_self_unregister_thread(void)
{
    if (tls_self_index < 0)
        return;
    pid_t tid = atomic_load(&self_tids[tls_self_index]);
    atomic_store_explicit(&self_tids[tls_self_index], 0, memory_order_release);
    atomic_fetch_sub(self_bucket(tid), 1);
    tls_self_index = -1;
    pthread_setspecific(self_key, NULL);
}

static int self_find(pid_t tid)
{
    if (tid <= 0)
        return -1;
    if (!atomic_load_explicit(self_bucket(tid), memory_order_relaxed))
        return -1;
    size_t high = atomic_load_explicit(&self_high, memory_order_acquire);
    for (size_t i = 0; i < high; i++)
        if (atomic_load_explicit(&self_tids[i], memory_order_relaxed) == tid)
            return (int)i;
    return -1;
}

size_t fs_self_filter_used(void)
{
    size_t n = 0;
    for (size_t i = 0; i < FS_SELF_FILTER_SIZE; i++)
        n += atomic_load_explicit(&self_filter[i], memory_order_relaxed) != 0;
    return n;
}

bool fs_self_is_own_thread(pid_t tid)
{
    return self_find(tid) >= 0;
}

int fs_self_role(pid_t tid)
{
    int i = self_find(tid);
    return i < 0 ? -1 : atomic_load(&self_roles[i]);
}

size_t fs_self_count(enum fs_thread_role role)
{
    size_t n = 0, high = atomic_load(&self_high);
    for (size_t i = 0; i < high; i++)
        if (atomic_load(&self_tids[i]) > 0 &&
            atomic_load(&self_roles[i]) == (int)role)
            n++;
    return n;
}

const char *fs_thread_role_name(int role)
{
    switch (role) {
    case FS_ROLE_WORKER:
        return "worker";
    case FS_ROLE_MAIN:
        return "main";
    case FS_ROLE_REACTOR:
        return "reactor";
    case FS_ROLE_CONTROL:
        return "control";
    case FS_ROLE_WATCHDOG:
        return "watchdog";
    case FS_ROLE_RESCUE:
        return "rescue";
    case FS_ROLE_HELPER:
        return "helper";
    case FS_ROLE_OTHER:
        return "other";
    default:
        return "unregistered";
    }
}
