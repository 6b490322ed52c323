/* ctl/rules.c — load rule sources (-r, -R, -p) into the engine, at startup and
 * on reload.
 *
 * Invariants: a load is all or nothing (one bad rule → the set is left as
 * it was); a rule whose id, origin and text did not change keeps its
 * compiled instance, so its counters (and any `wait` on it) survive a reload.
 * Matching the new rules to the current ones and checking ids go through
 * hash tables, never a scan per rule: a load of 100,000 rules stays linear.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy/policy.h"
#include "ctl.h"

#define FNV_OFF UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)
#define NONE SIZE_MAX

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* FNV-1a of s and its terminator, continuing from h; NULL hashes as one
 * 0xff byte (a clash with the string "\xff" only costs a compare). */
static uint64_t hash_str(uint64_t h, const char *s)
{
    if (!s)
        return (h ^ 0xff) * FNV_PRIME;
    do {
        h ^= (unsigned char)*s;
        h *= FNV_PRIME;
    } while (*s++);
    return h;
}

/* Slots for an open-addressed table of n entries kept at most half full. */
static size_t table_slots(size_t n)
{
    size_t slots = 16;

    while (slots < 2 * n)
        slots <<= 1;
    return slots;
}

static bool is_control_rule(const struct inj_rule *r)
{
    const char *o = inj_rule_spec(r)->origin;
    return o && strncmp(o, "<control>", 9) == 0;
}

/* The current rules by (origin, text), so that each spec finds the rule it
 * would compile to in constant time (a reload may carry 100,000 rules):
 * the first rule in set order, not yet taken, with the spec's origin and
 * text, and its id when the spec names one. Rules sharing origin and text
 * (one id-less file given twice, one rule added twice by `snagctl add`)
 * form a group chained in set order; the group's cursor moves past the
 * rules already taken, so they are not looked at again. */
struct same_slot {
    size_t first;  /* 1 + index in old of the group's first rule; 0: empty */
    size_t cursor; /* the group's first rule that may not be taken, or NONE */
};

struct same_index {
    struct inj_rule **old;
    bool *taken;    /* per old rule: carried into the new set */
    size_t *next;   /* per old rule: the next of its group, or NONE */
    uint64_t *hash; /* per old rule: hash of its origin and text */
    struct same_slot *slot;
    size_t mask; /* slots - 1 */
};

static uint64_t same_hash(const struct inj_rule_spec *sp)
{
    return hash_str(hash_str(FNV_OFF, sp->origin), sp->text);
}

/* The slot of sp's group, or the empty slot where it would go. */
static struct same_slot *same_group(const struct same_index *ix,
                                    const struct inj_rule_spec *sp, uint64_t h)
{
    for (size_t i = (size_t)h & ix->mask;; i = (i + 1) & ix->mask) {
        struct same_slot *g = &ix->slot[i];
        const struct inj_rule_spec *o;

        if (!g->first)
            return g;
        o = inj_rule_spec(ix->old[g->first - 1]);
        if (ix->hash[g->first - 1] == h && str_eq(o->origin, sp->origin) &&
            str_eq(o->text, sp->text))
            return g;
    }
}

static void same_index_free(struct same_index *ix)
{
    free(ix->taken);
    free(ix->next);
    free(ix->hash);
    free(ix->slot);
}

/* 0 or -ENOMEM (then same_index_free() is still needed). */
static int same_index_build(struct same_index *ix, struct inj_rule **old,
                            size_t n_old)
{
    size_t slots = table_slots(n_old);

    memset(ix, 0, sizeof(*ix));
    ix->old = old;
    ix->mask = slots - 1;
    ix->taken = calloc(n_old + 1, sizeof(*ix->taken));
    ix->next = malloc((n_old + 1) * sizeof(*ix->next));
    ix->hash = malloc((n_old + 1) * sizeof(*ix->hash));
    ix->slot = calloc(slots, sizeof(*ix->slot));
    if (!ix->taken || !ix->next || !ix->hash || !ix->slot)
        return -ENOMEM;
    /* Last to first, each rule put at the head of its group: the chains
     * end up in set order. */
    for (size_t i = n_old; i-- > 0;) {
        const struct inj_rule_spec *o = inj_rule_spec(old[i]);
        struct same_slot *g;

        ix->hash[i] = same_hash(o);
        g = same_group(ix, o, ix->hash[i]);
        ix->next[i] = g->first ? g->first - 1 : NONE;
        g->first = i + 1;
        g->cursor = i;
    }
    return 0;
}

/* The rule sp would compile to, now taken, or NULL. */
static struct inj_rule *same_take(struct same_index *ix,
                                  const struct inj_rule_spec *sp)
{
    struct same_slot *g = same_group(ix, sp, same_hash(sp));

    if (!g->first)
        return NULL;
    while (g->cursor != NONE && ix->taken[g->cursor])
        g->cursor = ix->next[g->cursor];
    for (size_t i = g->cursor; i != NONE; i = ix->next[i]) {
        if (ix->taken[i] ||
            (sp->id[0] && strcmp(sp->id, inj_rule_id(ix->old[i])) != 0))
            continue;
        ix->taken[i] = true;
        return ix->old[i];
    }
    return NULL;
}

/* Name the clash here: the engine only says -EEXIST. Of all pairs i < j of
 * rules sharing an id, the message names the one with the smallest i, then
 * the smallest j. One pass with a hash of ids to the first rule using each
 * finds it: the first clash met on an id pairs its first two rules. Returns
 * 0, -EEXIST with msg, or -ENOMEM. */
static int check_ids(struct inj_rule *const *rules, size_t k, char *msg,
                     size_t msgsize)
{
    size_t slots = table_slots(k), mask = slots - 1;
    size_t *slot = calloc(slots, sizeof(*slot)); /* 1 + index; 0: empty */
    size_t bi = NONE, bj = 0;

    if (!slot) {
        snprintf(msg, msgsize, "out of memory");
        return -ENOMEM;
    }
    for (size_t j = 0; j < k; j++) {
        const char *id = inj_rule_id(rules[j]);
        size_t p = (size_t)hash_str(FNV_OFF, id) & mask;

        while (slot[p] && strcmp(inj_rule_id(rules[slot[p] - 1]), id) != 0)
            p = (p + 1) & mask;
        if (!slot[p])
            slot[p] = j + 1;
        else if (slot[p] - 1 < bi) {
            bi = slot[p] - 1;
            bj = j;
        }
    }
    free(slot);
    if (bi == NONE)
        return 0;
    const char *oi = inj_rule_spec(rules[bi])->origin;
    const char *oj = inj_rule_spec(rules[bj])->origin;
    snprintf(msg, msgsize, "%s: rule id '%s' is already used at %s",
             oj ? oj : "?", inj_rule_id(rules[bj]), oi ? oi : "?");
    return -EEXIST;
}

static int parse_sources(const struct ctl_source *src, size_t n,
                         struct pol_rules *all, char *msg, size_t msgsize)
{
    memset(all, 0, sizeof(*all));
    for (size_t i = 0; i < n; i++) {
        struct pol_rules one = {0};
        struct inj_rule_spec spec = {0};
        struct pol_error perr = {0};
        int rc;
        if (src[i].kind == CTL_SRC_FILE) {
            rc = pol_parse_file(src[i].text, &one, &perr);
        } else {
            rc = pol_parse_rule(src[i].text, "<rule>", (unsigned)(i + 1), &spec,
                                &perr);
            if (rc == 0) {
                one.specs = malloc(sizeof(spec));
                if (!one.specs) {
                    inj_rule_spec_clear(&spec);
                    rc = -ENOMEM;
                } else {
                    one.specs[0] = spec;
                    one.n = 1;
                }
            }
        }
        if (rc) {
            if (rc == -ENOMEM)
                snprintf(msg, msgsize, "out of memory");
            else
                pol_error_format(&perr, msg, msgsize);
            pol_rules_clear(all);
            return rc;
        }
        struct inj_rule_spec *grown =
            realloc(all->specs, (all->n + one.n) * sizeof(*grown) + 1);
        if (!grown) {
            pol_rules_clear(&one);
            pol_rules_clear(all);
            snprintf(msg, msgsize, "out of memory");
            return -ENOMEM;
        }
        all->specs = grown;
        /* Move the specs (their strings) over; free only one's array. */
        memcpy(all->specs + all->n, one.specs, one.n * sizeof(*one.specs));
        all->n += one.n;
        free(one.specs);
    }
    return 0;
}

int ctl_rules_load(struct inj_engine *e, const struct ctl_source *src, size_t n,
                   bool keep_control, uint64_t *generation, size_t *n_rules,
                   char *msg, size_t msgsize)
{
    struct pol_rules all;
    int rc = parse_sources(src, n, &all, msg, msgsize);
    if (rc)
        return rc;
    struct inj_rule **old = NULL, **rules = NULL;
    struct same_index same = {0};
    size_t n_old = 0, k = 0;
    uint64_t gen;
    if ((rc = inj_engine_snapshot(e, &old, &n_old, &gen))) {
        snprintf(msg, msgsize, "cannot read the rule set: %s", strerror(-rc));
        goto out_specs;
    }
    rules = calloc(all.n + n_old + 1, sizeof(*rules));
    if ((rc = same_index_build(&same, old, n_old)) || !rules) {
        rc = -ENOMEM;
        snprintf(msg, msgsize, "out of memory");
        goto out_rules;
    }
    for (size_t i = 0; i < all.n; i++) {
        struct inj_rule *kept = same_take(&same, &all.specs[i]);
        if (kept) {
            inj_rule_get(kept);
            rules[k++] = kept;
            continue;
        }
        if ((rc = inj_rule_new(e, &all.specs[i], &rules[k]))) {
            snprintf(msg, msgsize, "%s: cannot compile rule: %s",
                     all.specs[i].origin ? all.specs[i].origin : "?",
                     strerror(-rc));
            goto out_rules;
        }
        k++;
    }
    if (keep_control) {
        for (size_t i = 0; i < n_old; i++) {
            if (!same.taken[i] && is_control_rule(old[i])) {
                inj_rule_get(old[i]);
                rules[k++] = old[i];
            }
        }
    }
    if ((rc = check_ids(rules, k, msg, msgsize)))
        goto out_rules;
    rc = inj_engine_replace(e, rules, k, generation);
    if (rc == -EEXIST)
        snprintf(msg, msgsize, "two rules share one id");
    else if (rc)
        snprintf(msg, msgsize, "cannot publish the rules: %s", strerror(-rc));
    else if (n_rules)
        *n_rules = k;
    if (rc == 0)
        snprintf(msg, msgsize, "%zu rules, generation %llu", k,
                 (unsigned long long)*generation);
out_rules:
    for (size_t i = 0; i < k; i++)
        inj_rule_put(rules[i]);
    free(rules);
    same_index_free(&same);
    for (size_t i = 0; i < n_old; i++)
        inj_rule_put(old[i]);
    free(old);
out_specs:
    pol_rules_clear(&all);
    return rc;
}
