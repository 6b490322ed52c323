/* fs/rules.c — the starting engine: --seed, --rule, --rules, --profile.
 *
 * Invariants: all rules are parsed before any is compiled, and all are
 * compiled before the set is published, so a bad rule anywhere means no
 * engine and no mount (exit status 2), or, on reload (SIGHUP), that the
 * previous set stays in force. Rule order is load order: profiles,
 * then rules files, then --rule, each in command-line order.
 */
#include "session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../inject/engine.h"
#include "../policy/policy.h"

static void print_pol_error(const struct pol_error *err)
{
    char buf[1024];
    fprintf(stderr, "snagfs: %s\n", pol_error_format(err, buf, sizeof(buf)));
}

static int append(struct pol_rules *all, struct pol_rules *more)
{
    struct inj_rule_spec *n =
        realloc(all->specs, (all->n + more->n) * sizeof(*n) + 1);
    if (!n)
        return -ENOMEM;
    memcpy(n + all->n, more->specs, more->n * sizeof(*n));
    all->specs = n;
    all->n += more->n;
    free(more->specs); /* the strings moved into all */
    more->specs = NULL;
    more->n = 0;
    return 0;
}

static int parse_all(const struct fs_options *o, struct pol_rules *all)
{
    struct pol_error err;
    struct pol_rules more = {0};
    char path[4096];
    int rc;

    for (size_t i = 0; i < o->n_profiles; i++) {
        rc = pol_profile_path(o->profiles[i], path, sizeof(path));
        if (rc < 0) {
            fprintf(stderr, "snagfs: profile '%s': %s\n", o->profiles[i],
                    rc == -EINVAL ? "invalid name" : "not found");
            return rc;
        }
        rc = pol_parse_file(path, &more, &err);
        if (rc < 0)
            goto out_err;
        if (append(all, &more) < 0)
            goto out_nomem;
    }
    for (size_t i = 0; i < o->n_rule_files; i++) {
        rc = pol_parse_file(o->rule_files[i], &more, &err);
        if (rc < 0)
            goto out_err;
        if (append(all, &more) < 0)
            goto out_nomem;
    }
    for (size_t i = 0; i < o->n_rules; i++) {
        struct inj_rule_spec spec;
        rc = pol_parse_rule(o->rules[i], "<rule>", (unsigned)(i + 1), &spec,
                            &err);
        if (rc < 0)
            goto out_err;
        more.specs = malloc(sizeof(spec));
        if (!more.specs) {
            inj_rule_spec_clear(&spec);
            goto out_nomem;
        }
        more.specs[0] = spec;
        more.n = 1;
        if (append(all, &more) < 0)
            goto out_nomem;
    }
    return 0;

out_err:
    print_pol_error(&err);
    return rc;
out_nomem:
    pol_rules_clear(&more);
    fprintf(stderr, "snagfs: out of memory loading rules\n");
    return -ENOMEM;
}

/* Parse every rule source of o and publish them in e. Returns 0, or 2
 * (bad rules: e keeps its current set), or 1 (out of memory). */
static int load_into(const struct fs_options *o, struct inj_engine *e)
{
    struct pol_rules all = {0};
    struct inj_rule **rules = NULL;
    size_t made = 0;
    int status = 2;

    if (parse_all(o, &all) < 0)
        goto out_free;
    rules = calloc(all.n + 1, sizeof(*rules));
    if (!rules) {
        fprintf(stderr, "snagfs: out of memory\n");
        status = 1;
        goto out_free;
    }
    for (; made < all.n; made++) {
        int rc = inj_rule_new(e, &all.specs[made], &rules[made]);
        if (rc < 0) {
            const struct inj_rule_spec *s = &all.specs[made];
            fprintf(stderr, "snagfs: %s: invalid rule '%s': %s\n",
                    s->origin ? s->origin : "<rule>", s->text ? s->text : "",
                    strerror(-rc));
            goto out_free;
        }
    }
    uint64_t gen;
    int rc = inj_engine_replace(e, rules, made, &gen);
    if (rc < 0) {
        fprintf(stderr, "snagfs: cannot load rules: %s\n",
                rc == -EEXIST ? "two rules share an id" : strerror(-rc));
        goto out_free;
    }
    status = 0;

out_free:
    for (size_t i = 0; i < made; i++)
        inj_rule_put(rules[i]);
    free(rules);
    pol_rules_clear(&all);
    return status;
}

int fs_rules_load(const struct fs_options *o, struct inj_engine **out)
{
    *out = NULL;
    uint64_t seed = o->seed;
    if (!o->has_seed) {
        if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
            seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        seed &= (UINT64_C(1) << 53) - 1; /* readable, and exact in JSON */
    }
    struct inj_engine *e = inj_engine_new(seed);
    if (!e) {
        fprintf(stderr, "snagfs: out of memory\n");
        return 1;
    }
    int status = load_into(o, e);
    if (status != 0) {
        inj_engine_free(e);
        return status;
    }
    if (!o->has_seed)
        fprintf(stderr, "snagfs: seed %" PRIu64 "\n", seed);
    *out = e;
    return 0;
}

int fs_rules_reload(const struct fs_options *o, struct inj_engine *e)
{
    int status = load_into(o, e);
    if (status == 0)
        fprintf(stderr, "snagfs: rules reloaded (generation %" PRIu64 ")\n",
                inj_engine_generation(e));
    else
        fprintf(stderr, "snagfs: reload failed; the previous rules stay\n");
    return status == 0 ? 0 : -EINVAL;
}
