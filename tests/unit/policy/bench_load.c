/* tests/unit/policy/bench_load.c — ms to parse and load N rules, the way
 * snagfs does at mount time and on `snagctl reload`.
 *
 * Not a test: prints a table. Rule i (1..N) of the file reads
 *   all:path=/nomatch/d<i>/<two stars>:error=EIO:id=n<i>
 * and the file is a temporary one. Phases, each timed on its own (wall and
 * CPU time: the CPU time is steadier on a busy machine):
 *   parse    pol_parse_text() of the text in memory;
 *   load     ctl_rules_load() of the file into an empty engine (startup);
 *   publish  inj_engine_snapshot() + inj_engine_replace() of that set as
 *            it is: the engine's share of a load (its per-op index);
 *   reload   ctl_rules_load() again, nothing changed (every rule is kept
 *            with its counters);
 *   relabel  a reload where every rule's text changed (":prob=1" added):
 *            every rule is compiled again and the old ones dropped.
 * `--mode PHASE` runs only PHASE (and the phases it needs first) for a
 * profiler, e.g.
 *   perf record --call-graph dwarf bench_load --rules 10000 --mode load
 *
 *   bench_load [--rules N] [--mode parse|load|publish|reload|relabel]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "policy/policy.h"

enum phase { PARSE, LOAD, PUBLISH, RELOAD, RELABEL, N_PHASES };

static const char *const phase_names[N_PHASES] = {"parse", "load", "publish",
                                                  "reload", "relabel"};

struct bench {
    size_t n;
    char path[64];
    struct inj_engine *e;
    double wall_ms[N_PHASES], cpu_ms[N_PHASES];
    bool ran[N_PHASES];
};

static double clock_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The rules text; variant changes every rule's text (not its id). */
static char *make_text(size_t n, int variant, size_t *len)
{
    size_t cap = n * 64 + 1, off = 0;
    char *buf = malloc(cap);

    if (!buf)
        return NULL;
    for (size_t i = 1; i <= n; i++)
        off +=
            (size_t)snprintf(buf + off, cap - off,
                             "all:path=/nomatch/d%zu/**:error=EIO:id=n%zu%s\n",
                             i, i, variant ? ":prob=1" : "");
    *len = off;
    return buf;
}

static int write_rules(const char *path, size_t n, int variant)
{
    size_t len;
    char *text = make_text(n, variant, &len);
    FILE *f = fopen(path, "w");
    int rc = text && f ? 0 : -1;

    if (f && text && fwrite(text, 1, len, f) != len)
        rc = -1;
    if (f && fclose(f) != 0)
        rc = -1;
    free(text);
    return rc;
}

static int do_parse(struct bench *b)
{
    size_t len;
    char *text = make_text(b->n, 0, &len);
    struct pol_rules rules = {0};
    struct pol_error perr = {0};
    double w, c;
    int rc;

    if (!text)
        return -1;
    w = clock_ms(CLOCK_MONOTONIC);
    c = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    rc = pol_parse_text(text, len, b->path, &rules, &perr);
    b->wall_ms[PARSE] = clock_ms(CLOCK_MONOTONIC) - w;
    b->cpu_ms[PARSE] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c;
    if (rc == 0 && rules.n != b->n)
        rc = -1;
    if (rc)
        fprintf(stderr, "parse: %s\n", perr.msg);
    pol_rules_clear(&rules);
    free(text);
    return rc;
}

/* ctl_rules_load() of the file as phase p. */
static int do_load(struct bench *b, enum phase p)
{
    struct ctl_source src = {CTL_SRC_FILE, b->path};
    char msg[1024];
    uint64_t gen;
    size_t n = 0;
    double w, c;
    int rc;

    if (write_rules(b->path, b->n, p == RELABEL))
        return -1;
    w = clock_ms(CLOCK_MONOTONIC);
    c = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    rc = ctl_rules_load(b->e, &src, 1, p != LOAD, &gen, &n, msg, sizeof(msg));
    b->wall_ms[p] = clock_ms(CLOCK_MONOTONIC) - w;
    b->cpu_ms[p] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c;
    if (rc || n != b->n) {
        fprintf(stderr, "%s: %s\n", phase_names[p], msg);
        return -1;
    }
    return 0;
}

static int do_publish(struct bench *b)
{
    struct inj_rule **rules = NULL;
    size_t n = 0;
    double w, c;
    int rc;

    w = clock_ms(CLOCK_MONOTONIC);
    c = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    rc = inj_engine_snapshot(b->e, &rules, &n, NULL);
    if (rc == 0)
        rc = inj_engine_replace(b->e, rules, n, NULL);
    b->wall_ms[PUBLISH] = clock_ms(CLOCK_MONOTONIC) - w;
    b->cpu_ms[PUBLISH] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c;
    for (size_t i = 0; i < n; i++)
        inj_rule_put(rules[i]);
    free(rules);
    return rc || n != b->n ? -1 : 0;
}

static int run(struct bench *b, int only)
{
    for (int p = 0; p < N_PHASES; p++) {
        int rc = 0;

        /* load is the setup of every later phase */
        if (only >= 0 && p != only && !(p == LOAD && only > LOAD))
            continue;
        if (p == PARSE)
            rc = do_parse(b);
        else if (p == PUBLISH)
            rc = do_publish(b);
        else
            rc = do_load(b, (enum phase)p);
        if (rc) {
            fprintf(stderr, "%s failed\n", phase_names[p]);
            return -1;
        }
        b->ran[p] = true;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct bench b = {.n = 10000, .path = "/tmp/snag-bench-load-XXXXXX"};
    int only = -1, fd, rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rules") && i + 1 < argc) {
            b.n = strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            for (only = 0; only < N_PHASES; only++)
                if (!strcmp(argv[i + 1], phase_names[only]))
                    break;
            if (only == N_PHASES)
                goto usage;
            i++;
        } else {
            goto usage;
        }
    }
    fd = mkstemp(b.path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    b.e = inj_engine_new(1);
    rc = b.e ? run(&b, only) : -1;
    if (rc == 0) {
        printf("%-8s %10s %10s   (%zu rules)\n", "phase", "wall ms", "cpu ms",
               b.n);
        for (int p = 0; p < N_PHASES; p++)
            if (b.ran[p])
                printf("%-8s %10.1f %10.1f\n", phase_names[p], b.wall_ms[p],
                       b.cpu_ms[p]);
    }
    inj_engine_free(b.e);
    unlink(b.path);
    return rc ? 1 : 0;

usage:
    fprintf(stderr,
            "usage: %s [--rules N] "
            "[--mode parse|load|publish|reload|relabel]\n",
            argv[0]);
    return 2;
}
