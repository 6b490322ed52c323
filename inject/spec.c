/* inject/spec.c — ownership helpers for struct inj_rule_spec (rule.h).
 *
 * Invariant: a spec owns exactly four heap strings (path_glob, comm_glob,
 * origin, text), each NULL or malloc'd; everything else is plain data, so a
 * deep copy is a struct copy plus four strdup()s.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

void inj_rule_spec_clear(struct inj_rule_spec *spec)
{
    if (!spec)
        return;
    free(spec->path_glob);
    free(spec->comm_glob);
    free(spec->origin);
    free(spec->text);
    memset(spec, 0, sizeof(*spec));
}

/* strdup that keeps NULL as NULL; false only on ENOMEM. */
static bool dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return true;
    *dst = strdup(src);
    return *dst != NULL;
}

int inj_rule_spec_copy(struct inj_rule_spec *dst,
                       const struct inj_rule_spec *src)
{
    struct inj_rule_spec tmp = *src;

    /* Build into tmp so a failure leaves nothing half-owned in dst. */
    if (!dup_opt(&tmp.path_glob, src->path_glob) ||
        !dup_opt(&tmp.comm_glob, src->comm_glob) ||
        !dup_opt(&tmp.origin, src->origin) || !dup_opt(&tmp.text, src->text))
        goto out_free;
    *dst = tmp;
    return 0;

out_free:
    /* dup_opt() NULLs the field it failed on, and the ones after it still
     * point at src's strings: clear only what we allocated. */
    if (tmp.path_glob == src->path_glob)
        tmp.path_glob = NULL;
    if (tmp.comm_glob == src->comm_glob)
        tmp.comm_glob = NULL;
    if (tmp.origin == src->origin)
        tmp.origin = NULL;
    if (tmp.text == src->text)
        tmp.text = NULL;
    inj_rule_spec_clear(&tmp);
    memset(dst, 0, sizeof(*dst));
    return -ENOMEM;
}
