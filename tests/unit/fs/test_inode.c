/* tests/unit/fs/test_inode.c — inode table: nodeids, forget, ghosts.
 *
 * Each test works in a fresh temporary directory and checks, besides the
 * table's own counters, that no file descriptor leaks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "inode.h"

struct fixture {
    char dir[64];
    int root_fd;
    int fds_before;
    struct fs_itable t;
};

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static int setup_ghosts(void **state, size_t ghost_max)
{
    struct fixture *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/snagfs-inode-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->fds_before = count_fds();
    f->root_fd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (f->root_fd < 0 || fs_itable_init(&f->t, f->root_fd, ghost_max) < 0)
        return -1;
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_ghosts(state, 1000);
}

static int setup_noghosts(void **state)
{
    return setup_ghosts(state, 0);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    fs_itable_destroy(&f->t, NULL);
    assert_int_equal(count_fds(), f->fds_before);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void make_file(struct fixture *f, const char *name)
{
    int fd = openat(f->root_fd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    close(fd);
}

/* Publish name as a lookup would: O_PATH fd + stat. *rc gets what
 * fs_inode_publish returned (1: the node was live already). */
static struct fs_inode *publish(struct fixture *f, const char *name, int *rc)
{
    struct stat st;
    struct fs_inode *n = NULL;
    int fd = openat(f->root_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
    *rc = fs_inode_publish(&f->t, fd, &st, &n);
    assert_true(*rc >= 0);
    assert_non_null(n);
    return n;
}

static struct fs_inode *lookup(struct fixture *f, const char *name)
{
    int rc;
    return publish(f, name, &rc);
}

static void live_ghosts(struct fixture *f, size_t live, size_t ghosts)
{
    struct fs_itable_stats s;
    fs_itable_stats(&f->t, &s);
    assert_int_equal(s.live, live);
    assert_int_equal(s.ghosts, ghosts);
}

static void test_root_is_one(void **state)
{
    struct fixture *f = *state;
    assert_non_null(fs_inode_get(&f->t, FS_ROOT_NODEID));
    struct fs_inode *r = lookup(f, ".");
    assert_int_equal(r->nodeid, FS_ROOT_NODEID);
    fs_inode_forget(&f->t, FS_ROOT_NODEID, 100); /* the root never dies */
    assert_non_null(fs_inode_get(&f->t, FS_ROOT_NODEID));
    live_ghosts(f, 0, 0);
}

static void test_nodeid_is_stable(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    make_file(f, "a");
    assert_int_equal(fstatat(f->root_fd, "a", &st, 0), 0);
    struct fs_inode *n = lookup(f, "a");
    assert_int_equal(n->nodeid, ((uint64_t)1 << FS_INO_BITS) | st.st_ino);
    assert_int_equal(fs_itable_nodeid(&f->t, st.st_dev, st.st_ino), n->nodeid);
    /* A second lookup is the same node with one more reference. */
    assert_ptr_equal(lookup(f, "a"), n);
    assert_int_equal(n->nlookup, 2);
    live_ghosts(f, 1, 0);
    /* A hard link is the same node too. */
    assert_int_equal(linkat(f->root_fd, "a", f->root_fd, "b", 0), 0);
    assert_ptr_equal(lookup(f, "b"), n);
    fs_inode_forget(&f->t, n->nodeid, 3);
    live_ghosts(f, 0, 1);
}

/* What lookups use to learn whether names tend to be new: publish says
 * whether the kernel held the node already (the fresh fd then was a
 * duplicate and is closed; teardown checks no fd leaks). */
static void test_publish_says_live(void **state)
{
    struct fixture *f = *state;
    int rc;
    make_file(f, "a");
    struct fs_inode *n = publish(f, "a", &rc);
    assert_int_equal(rc, 0); /* new */
    /* A node new to the table expects its names to be new too. */
    assert_int_equal(n->new_names, FS_NEW_NAMES_START);
    atomic_store(&n->new_names, 0);
    assert_ptr_equal(publish(f, "a", &rc), n);
    assert_int_equal(n->new_names, 0); /* a live node keeps its count */
    fs_inode_forget(&f->t, n->nodeid, 1);
    assert_ptr_equal(publish(f, "a", &rc), n);
    assert_int_equal(rc, 1); /* live */
    assert_int_equal(linkat(f->root_fd, "a", f->root_fd, "b", 0), 0);
    assert_ptr_equal(publish(f, "b", &rc), n);
    assert_int_equal(rc, 1); /* another name, the same live node */
    uint64_t id = n->nodeid;
    fs_inode_forget(&f->t, id, 3); /* n is packed away as a ghost */
    live_ghosts(f, 0, 1);
    struct fs_inode *m = publish(f, "a", &rc);
    assert_int_equal(m->nodeid, id);
    assert_int_equal(rc, 0); /* revived from a ghost: the kernel held none */
    assert_int_equal(m->new_names, FS_NEW_NAMES_START);
    assert_int_equal(publish(f, ".", &rc)->nodeid, FS_ROOT_NODEID);
    assert_int_equal(rc, 1); /* the root is always held */
    assert_int_equal(fs_inode_get(&f->t, FS_ROOT_NODEID)->new_names,
                     FS_NEW_NAMES_START); /* and starts out "new" */
    fs_inode_forget(&f->t, id, 1);
}

static void test_forget_counts(void **state)
{
    struct fixture *f = *state;
    make_file(f, "a");
    struct fs_inode *n = lookup(f, "a");
    uint64_t id = n->nodeid;
    lookup(f, "a");
    lookup(f, "a");
    fs_inode_forget(&f->t, id, 2);
    assert_ptr_equal(fs_inode_get(&f->t, id), n);
    live_ghosts(f, 1, 0);
    fs_inode_forget(&f->t, id, 1);
    assert_null(fs_inode_get(&f->t, id));
    live_ghosts(f, 0, 1);
    /* Forgetting more than was looked up, or an unknown id, is harmless. */
    fs_inode_forget(&f->t, id, 5);
    fs_inode_forget(&f->t, 12345, 1);
    live_ghosts(f, 0, 1);
}

static void test_forget_frees_without_ghosts(void **state)
{
    struct fixture *f = *state;
    struct fs_inode *n;
    struct stat st;
    make_file(f, "a");
    uint64_t id = lookup(f, "a")->nodeid;
    fs_inode_forget(&f->t, id, 1);
    live_ghosts(f, 0, 0);
    assert_null(fs_inode_get(&f->t, id));
    assert_int_equal(fs_itable_resolve(&f->t, id, &n, &st), -ESTALE);
}

/* A FORGET racing a handler that pins the node (an export LOOKUP, say): the
 * fd must stay open and unchanged until the handler unpins, then the node
 * retires to a ghost. Closing it under the handler made it use a dead or,
 * worse, a reused fd number. */
static void test_forget_while_pinned(void **state)
{
    struct fixture *f = *state;
    make_file(f, "a");
    struct fs_inode *n = lookup(f, "a");
    uint64_t id = n->nodeid;
    struct fs_inode *p = fs_inode_pin(&f->t, id);
    assert_ptr_equal(p, n);
    int fd = p->fd;
    assert_true(fd >= 0);

    fs_inode_forget(&f->t, id, 1);
    assert_int_equal(p->fd, fd);
    assert_true(fcntl(fd, F_GETFD) >= 0);
    live_ghosts(f, 0, 0);

    fs_inode_unpin(&f->t, p);
    assert_null(fs_inode_get(&f->t, id));
    live_ghosts(f, 0, 1);

    /* Forgotten while pinned, then looked up again before the unpin: the
     * revived node keeps its fd and stays live. */
    n = lookup(f, "a");
    p = fs_inode_pin(&f->t, id);
    fd = p->fd;
    fs_inode_forget(&f->t, id, 1);
    assert_ptr_equal(lookup(f, "a"), n);
    assert_int_equal(n->fd, fd);
    fs_inode_unpin(&f->t, p);
    assert_ptr_equal(fs_inode_get(&f->t, id), n);
    assert_true(fcntl(n->fd, F_GETFD) >= 0);
    live_ghosts(f, 1, 0);

    /* Forgotten while pinned, then referenced by the pinning handler (an
     * export lookup of "." racing drop_caches): live again, counted once. */
    p = fs_inode_pin(&f->t, id);
    fs_inode_forget(&f->t, id, 1);
    live_ghosts(f, 0, 0);
    fs_inode_ref(&f->t, p);
    live_ghosts(f, 1, 0);
    fs_inode_unpin(&f->t, p);
    assert_ptr_equal(fs_inode_get(&f->t, id), p);
    fs_inode_forget(&f->t, id, 1);
    live_ghosts(f, 0, 1);
}

static void test_resolve_forgotten(void **state)
{
    struct fixture *f = *state;
    struct fs_inode *n;
    struct stat st, want;
    make_file(f, "a");
    assert_int_equal(fstatat(f->root_fd, "a", &want, 0), 0);
    uint64_t id = lookup(f, "a")->nodeid;
    fs_inode_forget(&f->t, id, 1);
    assert_null(fs_inode_get(&f->t, id));

    /* Renamed meanwhile: the handle still finds it. */
    assert_int_equal(renameat(f->root_fd, "a", f->root_fd, "moved"), 0);
    assert_int_equal(fs_itable_resolve(&f->t, id, &n, &st), 0);
    assert_int_equal(n->nodeid, id);
    assert_int_equal(st.st_ino, want.st_ino);
    assert_int_equal(n->nlookup, 1);
    live_ghosts(f, 1, 0);
    /* Resolving a live node just takes a reference. */
    assert_int_equal(fs_itable_resolve(&f->t, id, &n, &st), 0);
    assert_int_equal(n->nlookup, 2);
    fs_inode_forget(&f->t, id, 2);
    live_ghosts(f, 0, 1);

    /* Deleted: stale. */
    assert_int_equal(unlinkat(f->root_fd, "moved", 0), 0);
    assert_int_equal(fs_itable_resolve(&f->t, id, &n, &st), -ESTALE);
    /* Never seen: stale. */
    assert_int_equal(fs_itable_resolve(&f->t,
                                       ((uint64_t)1 << FS_INO_BITS) | 99999999,
                                       &n, &st),
                     -ESTALE);
    assert_int_equal(fs_itable_resolve(&f->t, FS_ROOT_NODEID, &n, &st), 0);
}

static void test_deleted_leaves_no_ghost(void **state)
{
    struct fixture *f = *state;
    make_file(f, "a");
    uint64_t id = lookup(f, "a")->nodeid;
    assert_int_equal(unlinkat(f->root_fd, "a", 0), 0);
    fs_inode_forget(&f->t, id, 1);
    live_ghosts(f, 0, 0);
    assert_null(fs_inode_get(&f->t, id));
}

static void test_fd_budget_evicts_and_reopens(void **state)
{
    struct fixture *f = *state;
    char name[32];
    enum { N = 200, BUDGET = 16 };
    static uint64_t ids[N];
    fs_itable_set_fd_budget(&f->t, BUDGET);
    int before = count_fds();
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "e%d", i);
        make_file(f, name);
        ids[i] = lookup(f, name)->nodeid;
    }
    /* At most BUDGET node fds stay open (plus per-device mount fds). */
    assert_true(count_fds() - before <= BUDGET + 2);
    live_ghosts(f, N, 0);
    for (int i = 0; i < N; i++) {
        struct stat st, want;
        snprintf(name, sizeof(name), "e%d", i);
        struct fs_inode *n = fs_inode_pin(&f->t, ids[i]);
        assert_non_null(n);
        assert_true(n->fd >= 0);
        assert_int_equal(fstatat(n->fd, "", &st, AT_EMPTY_PATH), 0);
        assert_int_equal(fstatat(f->root_fd, name, &want, 0), 0);
        assert_int_equal(st.st_ino, want.st_ino);
        fs_inode_unpin(&f->t, n);
    }
    assert_true(count_fds() - before <= BUDGET + 2);
    /* A pinned node is never evicted. */
    struct fs_inode *held = fs_inode_pin(&f->t, ids[0]);
    int held_fd = held->fd;
    for (int i = 1; i < N; i++)
        fs_inode_unpin(&f->t, fs_inode_pin(&f->t, ids[i]));
    assert_int_equal(held->fd, held_fd);
    fs_inode_unpin(&f->t, held);
    for (int i = 0; i < N; i++)
        fs_inode_forget(&f->t, ids[i], 1);
    live_ghosts(f, 0, N);
}

static void test_revive_ghost_by_lookup(void **state)
{
    struct fixture *f = *state;
    make_file(f, "a");
    struct fs_inode *n = lookup(f, "a");
    uint64_t id = n->nodeid;
    fs_inode_forget(&f->t, id, 1);
    live_ghosts(f, 0, 1);
    struct fs_inode *m = lookup(f, "a"); /* n itself was packed away */
    assert_int_equal(m->nodeid, id);
    assert_true(m->pooled);
    assert_true(m->fd >= 0);
    live_ghosts(f, 1, 0);
    fs_inode_forget(&f->t, id, 1); /* a pooled node becomes a ghost in place */
    live_ghosts(f, 0, 1);
    assert_ptr_equal(lookup(f, "a"), m);
    fs_inode_forget(&f->t, id, 1);
}

/* The path cache: a hit only in the generation it was stored in; a newer
 * store wins over an older one; forgetting the node drops it (a revived
 * ghost may be another object). */
static void test_path_cache(void **state)
{
    struct fixture *f = *state;
    char buf[64];
    make_file(f, "a");
    struct fs_inode *n = lookup(f, "a");
    uint64_t gen = fs_itable_path_gen(&f->t);

    assert_int_equal(fs_inode_path_get(&f->t, n, gen, buf, sizeof(buf)), -1);
    fs_inode_path_set(&f->t, n, gen, "/a", 2, 0);
    assert_int_equal(fs_inode_path_get(&f->t, n, gen, buf, sizeof(buf)), 2);
    assert_string_equal(buf, "/a");
    assert_int_equal(fs_inode_path_get(&f->t, n, gen, buf, 2),
                     -1); /* no room */

    fs_itable_paths_moved(&f->t);
    uint64_t gen2 = fs_itable_path_gen(&f->t);
    assert_true(gen2 > gen);
    assert_int_equal(fs_inode_path_get(&f->t, n, gen2, buf, sizeof(buf)), -1);
    fs_inode_path_set(&f->t, n, gen2, "/b", 2, 0);
    fs_inode_path_set(&f->t, n, gen, "/stale", 6, 0); /* raced a rename: lost */
    assert_int_equal(fs_inode_path_get(&f->t, n, gen2, buf, sizeof(buf)), 2);
    assert_string_equal(buf, "/b");

    fs_inode_forget(&f->t, n->nodeid, 1);
    live_ghosts(f, 0, 1);
    struct fs_inode *m = lookup(f, "a");
    assert_int_equal(fs_inode_path_get(&f->t, m, gen2, buf, sizeof(buf)), -1);
    fs_inode_path_set(&f->t, m, gen2, "/a", 2, 0);
    fs_inode_forget(&f->t, m->nodeid, 1); /* teardown: no leak (ASan) */
}

/* Rule-out marks ride on the kept path: they answer only for the path
 * generation and rule-set generation they were made in, per op bit, for
 * the node itself or for the names in it; a name mark only for the very
 * (directory, name) the path was derived from (a hard link reached by
 * another name is not covered). */
static void test_path_marks(void **state)
{
    struct fixture *f = *state;
    char buf[64];
    const uint64_t R = 1u << 3, W = 1u << 4, RG = 7;
    make_file(f, "a");
    struct fs_inode *n = lookup(f, "a");
    uint64_t id = n->nodeid, pg = fs_itable_path_gen(&f->t);

    /* no kept path: nothing to mark, nothing marked */
    fs_itable_path_rule_out(&f->t, id, pg, RG, R, false);
    assert_int_equal(fs_itable_path_probe(&f->t, id, pg, RG, R, false, buf,
                                          sizeof(buf), NULL),
                     -1);
    fs_inode_path_set(&f->t, n, pg, "/d/a", 4, 77);
    assert_int_equal(fs_itable_path_probe(&f->t, id, pg, RG, R, false, buf,
                                          sizeof(buf), NULL),
                     4);
    assert_string_equal(buf, "/d/a");
    fs_itable_path_rule_out(&f->t, id, pg, RG, R, false);
    assert_int_equal(fs_itable_path_probe(&f->t, id, pg, RG, R, false, buf,
                                          sizeof(buf), NULL),
                     FS_PATH_RULED_OUT);
    /* another op, the names in it, another rule set: not marked */
    assert_int_equal(fs_itable_path_probe(&f->t, id, pg, RG, W, false, buf,
                                          sizeof(buf), NULL),
                     4);
    assert_int_equal(fs_itable_path_probe(&f->t, id, pg, RG, R, true, buf,
                                          sizeof(buf), NULL),
                     4);
    assert_int_equal(fs_itable_path_probe(&f->t, id, pg, RG + 1, R, false, buf,
                                          sizeof(buf), NULL),
                     4);
    fs_itable_path_rule_out(&f->t, id, pg, RG, W, true);
    assert_int_equal(fs_itable_path_probe(&f->t, id, pg, RG, W, true, buf,
                                          sizeof(buf), NULL),
                     FS_PATH_RULED_OUT);
    /* a mark for a newer rule set drops the older ones */
    fs_itable_path_rule_out(&f->t, id, pg, RG + 1, W, false);
    assert_int_equal(fs_itable_path_probe(&f->t, id, pg, RG, R, false, buf,
                                          sizeof(buf), NULL),
                     4);
    assert_int_equal(fs_itable_path_probe(&f->t, id, pg, RG + 1, W, false, buf,
                                          sizeof(buf), NULL),
                     FS_PATH_RULED_OUT);

    /* name marks: only for the directory and name the path came from */
    fs_itable_name_rule_out(&f->t, id, 77, "a", pg, RG, R);
    assert_true(fs_itable_name_probe(&f->t, id, 77, "a", pg, RG, R));
    assert_false(fs_itable_name_probe(&f->t, id, 78, "a", pg, RG, R));
    assert_false(fs_itable_name_probe(&f->t, id, 77, "b", pg, RG, R));
    assert_false(fs_itable_name_probe(&f->t, id, 77, "/a", pg, RG, R));
    assert_false(fs_itable_name_probe(&f->t, id, 77, "a", pg, RG + 1, R));
    fs_itable_name_rule_out(&f->t, id, 77, "hardlink", pg, RG, W);
    assert_false(fs_itable_name_probe(&f->t, id, 77, "hardlink", pg, RG, W));

    /* a rename starts a new path generation: every mark is gone */
    fs_itable_paths_moved(&f->t);
    uint64_t pg2 = fs_itable_path_gen(&f->t);
    assert_int_equal(fs_itable_path_probe(&f->t, id, pg2, RG, R, false, buf,
                                          sizeof(buf), NULL),
                     -1);
    assert_false(fs_itable_name_probe(&f->t, id, 77, "a", pg2, RG, R));
    fs_itable_path_rule_out(&f->t, id, pg2, RG, R, false); /* no path: no-op */
    fs_inode_path_set(&f->t, n, pg2, "/e/a", 4, 0);
    assert_int_equal(fs_itable_path_probe(&f->t, id, pg2, RG, R, false, buf,
                                          sizeof(buf), NULL),
                     4);
    /* a path read from the kernel (parent 0) takes no name marks */
    fs_itable_name_rule_out(&f->t, id, 0, "a", pg2, RG, R);
    assert_false(fs_itable_name_probe(&f->t, id, 0, "a", pg2, RG, R));
    fs_inode_forget(&f->t, id, 1);
}

static void test_many_nodes(void **state)
{
    struct fixture *f = *state;
    char name[32];
    enum { N = 20000 };
    static uint64_t ids[N];
    size_t buckets = 0;
    fs_itable_set_fd_budget(&f->t, 2048); /* N fds would pass the limit */
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        make_file(f, name);
        ids[i] = lookup(f, name)->nodeid;
    }
    live_ghosts(f, N, 0);
    for (int i = 0; i < FS_SHARDS; i++)
        buckets += f->t.shards[i].nbuckets;
    assert_true(buckets >= N / 2); /* grew: chains stay short */
    for (int i = 0; i < N; i++)
        assert_non_null(fs_inode_get(&f->t, ids[i]));
    for (int i = 0; i < N; i++)
        fs_inode_forget(&f->t, ids[i], 1);
    /* ghost_max is 1000: the rest were freed outright, and the bucket
     * arrays shrank back (forgetting returns memory) */
    live_ghosts(f, 0, 1000);
    buckets = 0;
    for (int i = 0; i < FS_SHARDS; i++)
        buckets += f->t.shards[i].nbuckets;
    assert_int_equal(buckets, FS_SHARDS * 64);
    struct fs_inode *g; /* a ghost is still found after the shrink */
    struct stat st;
    assert_int_equal(fs_itable_resolve(&f->t, ids[0], &g, &st), 0);
    fs_inode_forget(&f->t, ids[0], 1);
}

struct worker_arg {
    struct fixture *f;
    int seed;
};

static void *worker(void *p)
{
    struct worker_arg *a = p;
    char name[32];
    unsigned s = (unsigned)a->seed;
    for (int i = 0; i < 20000; i++) {
        snprintf(name, sizeof(name), "c%u", rand_r(&s) % 64);
        struct fs_inode *n = lookup(a->f, name);
        fs_inode_forget(&a->f->t, n->nodeid, 1);
    }
    return NULL;
}

static void test_concurrent_lookup_forget(void **state)
{
    struct fixture *f = *state;
    char name[32];
    pthread_t th[4];
    struct worker_arg args[4];
    for (int i = 0; i < 64; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        make_file(f, name);
    }
    for (int i = 0; i < 4; i++) {
        args[i] = (struct worker_arg){f, i + 1};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    struct fs_itable_stats s;
    fs_itable_stats(&f->t, &s);
    assert_int_equal(s.live, 0);
    assert_true(s.ghosts <= 64);
}

static void test_destroy_reports_left(void **state)
{
    struct fixture *f = *state;
    struct fs_itable_stats left;
    make_file(f, "a");
    make_file(f, "b");
    lookup(f, "a");
    struct fs_inode *b = lookup(f, "b");
    fs_inode_forget(&f->t, b->nodeid, 1);
    fs_itable_destroy(&f->t, &left);
    assert_int_equal(left.live, 1);
    assert_int_equal(left.ghosts, 1);
    /* Re-init so teardown has a table to destroy (and checks fds). */
    f->root_fd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(fs_itable_init(&f->t, f->root_fd, 10), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_root_is_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nodeid_is_stable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_says_live, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_forget_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_frees_without_ghosts,
                                        setup_noghosts, teardown),
        cmocka_unit_test_setup_teardown(test_forget_while_pinned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_resolve_forgotten, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_deleted_leaves_no_ghost, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fd_budget_evicts_and_reopens,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_revive_ghost_by_lookup, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_path_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_marks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_lookup_forget, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_destroy_reports_left, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
