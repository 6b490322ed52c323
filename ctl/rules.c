/* ctl/rules.c — load rule sources (-r, -R, -p) into the engine, at startup and
 * on reload.
 *
 * Invariants: a load is all or nothing (one bad rule → the set is left as
 * it was); a rule whose id, origin and text did not change keeps its
 * compiled instance, so its counters (and any `wait` on it) survive a reload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy/policy.h"
#include "ctl.h"

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool is_control_rule(const struct inj_rule *r)
{
    const char *o = inj_rule_spec(r)->origin;
    return o && strncmp(o, "<control>", 9) == 0;
}

/* An existing rule this spec would compile to, or NULL. */
static struct inj_rule *find_same(struct inj_rule **old, size_t n_old,
                                  bool *taken, const struct inj_rule_spec *sp)
{
    for (size_t i = 0; i < n_old; i++) {
        const struct inj_rule_spec *o = inj_rule_spec(old[i]);
        if (taken[i] || !str_eq(o->origin, sp->origin) ||
            !str_eq(o->text, sp->text))
            continue;
        if (sp->id[0] && strcmp(sp->id, inj_rule_id(old[i])) != 0)
            continue;
        taken[i] = true;
        return old[i];
    }
    return NULL;
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
    size_t n_old = 0, k = 0;
    uint64_t gen;
    bool *taken = NULL;
    if ((rc = inj_engine_snapshot(e, &old, &n_old, &gen))) {
        snprintf(msg, msgsize, "cannot read the rule set: %s", strerror(-rc));
        goto out_specs;
    }
    rc = -ENOMEM;
    taken = calloc(n_old + 1, sizeof(*taken));
    rules = calloc(all.n + n_old + 1, sizeof(*rules));
    if (!taken || !rules) {
        snprintf(msg, msgsize, "out of memory");
        goto out_rules;
    }
    for (size_t i = 0; i < all.n; i++) {
        struct inj_rule *same = find_same(old, n_old, taken, &all.specs[i]);
        if (same) {
            inj_rule_get(same);
            rules[k++] = same;
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
            if (!taken[i] && is_control_rule(old[i])) {
                inj_rule_get(old[i]);
                rules[k++] = old[i];
            }
        }
    }
    /* Name the clash here: the engine only says -EEXIST. */
    for (size_t i = 0; i < k; i++) {
        for (size_t j = i + 1; j < k; j++) {
            if (strcmp(inj_rule_id(rules[i]), inj_rule_id(rules[j])) == 0) {
                const char *oi = inj_rule_spec(rules[i])->origin;
                const char *oj = inj_rule_spec(rules[j])->origin;
                snprintf(msg, msgsize,
                         "%s: rule id '%s' is already used "
                         "at %s",
                         oj ? oj : "?", inj_rule_id(rules[j]), oi ? oi : "?");
                rc = -EEXIST;
                goto out_rules;
            }
        }
    }
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
    free(taken);
    for (size_t i = 0; i < n_old; i++)
        inj_rule_put(old[i]);
    free(old);
out_specs:
    pol_rules_clear(&all);
    return rc;
}
