/* fs/inode_internal.h — what inode.c and inode_path.c share: the shard
 * hash and the kept-path record.
 *
 * Invariants: every function here expects the caller to hold the shard
 * lock where it says so; nothing here takes a lock itself.
 */
#ifndef SNAG_FS_INODE_INTERNAL_H
#define SNAG_FS_INODE_INTERNAL_H

#include "inode.h"

/* A node's kept path (n->path; its shard lock): the text, the path
 * generation it is valid in, and the rule-out marks (inode_path.c). */
struct fs_node_path {
    uint64_t gen;
    size_t len;
    /* Ops no rule of rule-set generation rules_gen can match, on this
     * path (out_self) or on any name in it (out_dir): inj_op bits. */
    uint64_t rules_gen, out_self, out_dir;
    uint64_t parent; /* nodeid text was derived from (+ last component),
                        0: read from the kernel */
    char text[];
};

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static inline struct fs_shard *shard_of(struct fs_itable *t, uint64_t nodeid,
                                        uint64_t *hash)
{
    *hash = mix64(nodeid);
    return &t->shards[*hash % FS_SHARDS];
}

static inline struct fs_inode **chain_of(struct fs_shard *s, uint64_t hash)
{
    return &s->buckets[(hash / FS_SHARDS) & (s->nbuckets - 1)];
}

/* Caller holds s->lock. */
static inline struct fs_inode *shard_find(struct fs_shard *s, uint64_t hash,
                                          uint64_t nodeid)
{
    for (struct fs_inode *n = *chain_of(s, hash); n; n = n->next)
        if (n->nodeid == nodeid)
            return n;
    return NULL;
}

#define FS_SHARD_MIN_BUCKETS 64

#endif
