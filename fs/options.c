/* fs/options.c — command-line parsing for snagfs and snagfs run.
 *
 * Invariants: every option is either consumed into struct fs_options or
 * appended verbatim to fuse_opts for libfuse to judge; none is silently
 * dropped. default_permissions is added by the session only with
 * allow_other or when asked for (-o default_permissions); otherwise the
 * kernel sends FUSE_ACCESS and the backing filesystem judges permissions.
 * The snagfs options also have -o KEY=VALUE spellings (rules=, profile=,
 * seed=, cache=, control=, trace=, replay=, watchdog=, watchdog_action=) so
 * that fstab lines through mount.fuse3 work; those never reach the kernel.
 */
#include "options.h"

#include "watchdog/watchdog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int push(const char ***v, size_t *n, const char *s)
{
    const char **nv = realloc(*v, (*n + 1) * sizeof(**v));
    if (!nv)
        return -ENOMEM;
    nv[(*n)++] = s;
    *v = nv;
    return 0;
}

/* Append opt to the comma list *list, escaping commas and backslashes. */
static int opt_append(char **list, const char *opt, bool escape)
{
    size_t old = *list ? strlen(*list) : 0;
    char *n = realloc(*list, old + 2 * strlen(opt) + 2);
    if (!n)
        return -ENOMEM;
    char *p = n + old;
    if (old)
        *p++ = ',';
    for (const char *s = opt; *s; s++) {
        if (escape && (*s == ',' || *s == '\\'))
            *p++ = '\\';
        *p++ = *s;
    }
    *p = '\0';
    *list = n;
    return 0;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int fs_parse_duration(const char *s, uint64_t *ns)
{
    static const struct {
        const char *unit;
        uint64_t mul;
    } units[] = {
        {"", 1000000000ull},
        {"ns", 1},
        {"us", 1000},
        {"ms", 1000000},
        {"s", 1000000000ull},
        {"m", 60000000000ull},
        {"h", 3600000000000ull},
    };
    char *end;
    if (!s || !*s || *s == '-' || *s == '+')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            if (v > UINT64_MAX / units[i].mul)
                return -EINVAL;
            *ns = v * units[i].mul;
            return 0;
        }
    }
    return -EINVAL;
}

enum opt_id {
    OPT_RULE,
    OPT_RULES,
    OPT_PROFILE,
    OPT_SEED,
    OPT_TRACE,
    OPT_REPLAY,
    OPT_CONTROL,
    OPT_WATCHDOG,
    OPT_WD_ACTION,
    OPT_CACHE,
    OPT_MAX_THREADS,
    OPT_HANDLE_CACHE,
    OPT_TIMEOUT,
    OPT_O,
};

static int apply_value(struct fs_options *o, enum opt_id id, const char *arg,
                       const char *val, char *err, size_t errsz);

/* -o KEY=VALUE spellings of the long options (fstab through mount.fuse3). */
static const struct {
    const char *key;
    enum opt_id id;
} fstab_opts[] = {
    {"rules", OPT_RULES},
    {"rule", OPT_RULE},
    {"profile", OPT_PROFILE},
    {"seed", OPT_SEED},
    {"cache", OPT_CACHE},
    {"control", OPT_CONTROL},
    {"trace", OPT_TRACE},
    {"replay", OPT_REPLAY},
    {"watchdog", OPT_WATCHDOG},
    {"watchdog_action", OPT_WD_ACTION},
    {"handle_cache", OPT_HANDLE_CACHE},
    {"timeout", OPT_TIMEOUT},
};

/* Keep an unescaped copy of an -o value: the fields point at it until
 * fs_options_free(). */
static const char *own(struct fs_options *o, const char *s)
{
    char **nv = realloc(o->owned, (o->n_owned + 1) * sizeof(*nv));
    if (!nv)
        return NULL;
    o->owned = nv;
    char *c = malloc(strlen(s) + 1);
    if (!c)
        return NULL;
    /* "\," is how an -o value holds a comma (rule=read\,write:...). */
    char *d = c;
    for (; *s; s++) {
        if (*s == '\\' && s[1])
            s++;
        *d++ = *s;
    }
    *d = '\0';
    o->owned[o->n_owned++] = c;
    return c;
}

/* An -o item that spells a snagfs option: 1 if taken, 0 if not one, or
 * -errno. */
static int take_fstab_opt(struct fs_options *o, const char *item, char *err,
                          size_t errsz)
{
    const char *eq = strchr(item, '=');
    if (!eq)
        return 0;
    for (size_t k = 0; k < sizeof(fstab_opts) / sizeof(fstab_opts[0]); k++) {
        size_t n = strlen(fstab_opts[k].key);
        if ((size_t)(eq - item) != n || strncmp(item, fstab_opts[k].key, n))
            continue;
        const char *val = own(o, eq + 1);
        if (!val)
            return -ENOMEM;
        int rc = apply_value(o, fstab_opts[k].id, item, val, err, errsz);
        return rc < 0 ? rc : 1;
    }
    return 0;
}

/* One -o item: keep what snagfs handles, pass the rest to libfuse. */
static int take_fuse_opt(struct fs_options *o, const char *item, char *err,
                         size_t errsz)
{
    uint64_t v;
    int rc = take_fstab_opt(o, item, err, errsz);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (strcmp(item, "clone_fd") == 0) {
        o->clone_fd = true;
        return 0;
    }
    if (strncmp(item, "max_threads=", 12) == 0) {
        if (parse_uint(item + 12, 100000, &v) || v == 0)
            return fail(err, errsz, "bad value in -o %s", item);
        o->max_threads = (unsigned)v;
        return 0;
    }
    if (strncmp(item, "max_idle_threads=", 17) == 0) {
        if (parse_uint(item + 17, 100000, &v))
            return fail(err, errsz, "bad value in -o %s", item);
        o->max_idle_threads = (unsigned)v;
        return 0;
    }
    if (strcmp(item, "default_permissions") == 0) {
        o->default_permissions = true; /* the session adds it */
        return 0;
    }
    if (strcmp(item, "allow_other") == 0)
        o->allow_other = true;
    if (strcmp(item, "noatime") == 0)
        o->noatime = true;
    if (!*item)
        return 0;
    return opt_append(&o->fuse_opts, item, false);
}

/* Split an -o argument on unescaped commas. */
static int take_fuse_opts(struct fs_options *o, const char *arg, char *err,
                          size_t errsz)
{
    char *buf = malloc(strlen(arg) + 1);
    if (!buf)
        return -ENOMEM;
    int rc = 0;
    const char *s = arg;
    while (rc == 0) {
        char *d = buf;
        while (*s && *s != ',') {
            if (*s == '\\' && s[1]) {
                *d++ = *s++; /* keep the escape for libfuse */
            }
            *d++ = *s++;
        }
        *d = '\0';
        rc = take_fuse_opt(o, buf, err, errsz);
        if (!*s)
            break;
        s++;
    }
    free(buf);
    return rc;
}

/* Matches "--name", "--name=VALUE" or (short) "-x" / "-xVALUE". Sets *val
 * to the inline value or the next argument (advancing *i). */
static int want_value(int argc, char **argv, int *i, const char *arg,
                      const char *inline_val, const char **val, char *err,
                      size_t errsz)
{
    if (inline_val) {
        *val = inline_val;
        return 0;
    }
    if (*i + 1 >= argc)
        return fail(err, errsz, "option %s needs a value", arg);
    *val = argv[++*i];
    return 0;
}

static const struct {
    const char *lng;
    char shrt;
    enum opt_id id;
} value_opts[] = {
    {"rule", 'r', OPT_RULE},
    {"rules", 'R', OPT_RULES},
    {"profile", 'p', OPT_PROFILE},
    {"seed", 0, OPT_SEED},
    {"trace", 0, OPT_TRACE},
    {"replay", 0, OPT_REPLAY},
    {"control", 0, OPT_CONTROL},
    {"watchdog", 0, OPT_WATCHDOG},
    {"watchdog-action", 0, OPT_WD_ACTION},
    {"cache", 0, OPT_CACHE},
    {"max-threads", 0, OPT_MAX_THREADS},
    {"handle-cache", 0, OPT_HANDLE_CACHE},
    {"timeout", 0, OPT_TIMEOUT},
    {NULL, 'o', OPT_O},
};

/* Parse val, the value of option arg, as a duration into *ns; examples
 * name accepted spellings for the error. */
static int duration_value(const char *val, const char *arg,
                          const char *examples, uint64_t *ns, char *err,
                          size_t errsz)
{
    if (fs_parse_duration(val, ns))
        return fail(err, errsz, "bad duration '%s' for %s: expected e.g. %s",
                    val, arg, examples);
    return 0;
}

static int apply_value(struct fs_options *o, enum opt_id id, const char *arg,
                       const char *val, char *err, size_t errsz)
{
    uint64_t v;
    switch (id) {
    case OPT_RULE:
        return push(&o->rules, &o->n_rules, val);
    case OPT_RULES:
        return push(&o->rule_files, &o->n_rule_files, val);
    case OPT_PROFILE:
        return push(&o->profiles, &o->n_profiles, val);
    case OPT_SEED:
        if (parse_uint(val, UINT64_MAX, &o->seed))
            return fail(err, errsz, "bad seed '%s': expected a number", val);
        o->has_seed = true;
        return 0;
    case OPT_TRACE:
        o->trace = val;
        return 0;
    case OPT_REPLAY:
        o->replay = val;
        return 0;
    case OPT_CONTROL:
        o->control = val;
        return 0;
    case OPT_WATCHDOG:
        /* 0 or off: no watchdog (docs/watchdog.md). */
        o->has_watchdog = true;
        if (strcmp(val, "off") == 0) {
            o->watchdog_ns = 0;
            return 0;
        }
        return duration_value(val, arg, "10s, 500ms, or 0/off", &o->watchdog_ns,
                              err, errsz);
    case OPT_WD_ACTION:
        if (fs_watchdog_action_parse(val, &o->watchdog_actions) < 0)
            return fail(err, errsz,
                        "bad watchdog action '%s': expected log, fail, "
                        "abort, rescue or a comma list of them",
                        val);
        return 0;
    case OPT_CACHE:
        if (strcmp(val, "strict") == 0)
            o->cache = FS_CACHE_STRICT;
        else if (strcmp(val, "normal") == 0)
            o->cache = FS_CACHE_NORMAL;
        else if (strcmp(val, "writeback") == 0)
            o->cache = FS_CACHE_WRITEBACK;
        else
            return fail(err, errsz,
                        "bad cache mode '%s': expected strict, normal or "
                        "writeback",
                        val);
        return 0;
    case OPT_MAX_THREADS:
        if (parse_uint(val, 100000, &v) || v == 0)
            return fail(err, errsz, "bad thread count '%s'", val);
        o->max_threads = (unsigned)v;
        return 0;
    case OPT_HANDLE_CACHE:
        if (parse_uint(val, 1ull << 32, &o->handle_cache))
            return fail(err, errsz,
                        "bad handle cache size '%s': expected a count of "
                        "inodes (0: none)",
                        val);
        o->has_handle_cache = true;
        return 0;
    case OPT_TIMEOUT:
        o->has_timeout = true;
        return duration_value(val, arg, "1s, 500ms, 1h", &o->timeout_ns, err,
                              errsz);
    case OPT_O:
        return take_fuse_opts(o, val, err, errsz);
    }
    return -EINVAL;
}

/* Handle one option argument at argv[*i]. */
static int parse_option(int argc, char **argv, int *i, struct fs_options *o,
                        char *err, size_t errsz)
{
    const char *arg = argv[*i];
    const char *val = NULL;
    int rc;

    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        o->help = true;
        return 0;
    }
    if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
        o->version = true;
        return 0;
    }
    if (strcmp(arg, "-f") == 0 || strcmp(arg, "--foreground") == 0) {
        o->foreground = true;
        return 0;
    }
    if (strcmp(arg, "-s") == 0 || strcmp(arg, "--single-thread") == 0) {
        o->single_thread = true;
        return 0;
    }
    if (strcmp(arg, "-d") == 0 || strcmp(arg, "--debug") == 0) {
        o->debug = true;
        o->foreground = true;
        return 0;
    }
    if (strcmp(arg, "--list-profiles") == 0) {
        o->list_profiles = true;
        return 0;
    }
    if (strcmp(arg, "--clone-fd") == 0 || strcmp(arg, "--no-clone-fd") == 0) {
        o->clone_fd = arg[2] == 'c';
        return 0;
    }
    for (size_t k = 0; k < sizeof(value_opts) / sizeof(value_opts[0]); k++) {
        const char *inl = NULL;
        if (arg[1] == '-' && value_opts[k].lng) {
            size_t n = strlen(value_opts[k].lng);
            if (strncmp(arg + 2, value_opts[k].lng, n) != 0)
                continue;
            if (arg[2 + n] == '=')
                inl = arg + 3 + n;
            else if (arg[2 + n] != '\0')
                continue;
        } else if (arg[1] != '-' && value_opts[k].shrt &&
                   arg[1] == value_opts[k].shrt) {
            if (arg[2])
                inl = arg + 2;
        } else {
            continue;
        }
        rc = want_value(argc, argv, i, arg, inl, &val, err, errsz);
        if (rc)
            return rc;
        return apply_value(o, value_opts[k].id, arg, val, err, errsz);
    }
    return fail(err, errsz, "unknown option '%s' (see --help)", arg);
}

int fs_options_parse(int argc, char **argv, struct fs_options *o, char *err,
                     size_t errsz)
{
    const char *pos[2];
    int npos = 0, rc = 0, i = 1;

    memset(o, 0, sizeof(*o));
    if (errsz)
        err[0] = '\0';
    if (argc > 1 && strcmp(argv[1], "run") == 0) {
        o->run = true;
        i = 2;
    }
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            if (o->run) {
                o->command = &argv[i + 1];
                break;
            }
            for (i++; i < argc; i++) {
                if (npos == 2) {
                    rc = fail(err, errsz, "unexpected argument '%s'", argv[i]);
                    goto out_err;
                }
                pos[npos++] = argv[i];
            }
            break;
        }
        if (arg[0] == '-' && arg[1]) {
            rc = parse_option(argc, argv, &i, o, err, errsz);
            if (rc)
                goto out_err;
            continue;
        }
        if (npos == (o->run ? 1 : 2)) {
            rc = fail(err, errsz, "unexpected argument '%s'%s", arg,
                      o->run ? " (put the command after --)" : "");
            goto out_err;
        }
        pos[npos++] = arg;
    }
    if (o->help || o->version || o->list_profiles)
        return 0;
    if (o->has_timeout && o->cache == FS_CACHE_STRICT) {
        rc = fail(err, errsz,
                  "--timeout needs --cache=normal or --cache=writeback: in "
                  "strict mode the kernel caches nothing");
        goto out_err;
    }
    if (o->run) {
        if (npos < 1) {
            rc = fail(err, errsz,
                      "usage: snagfs run [OPTIONS] SOURCE -- "
                      "COMMAND [ARGS...]");
            goto out_err;
        }
        if (!o->command || !o->command[0]) {
            rc = fail(err, errsz, "missing COMMAND after --");
            goto out_err;
        }
        o->source = pos[0];
    } else {
        if (npos < 2) {
            rc = fail(err, errsz, "usage: snagfs [OPTIONS] SOURCE MOUNTPOINT");
            goto out_err;
        }
        o->source = pos[0];
        o->mountpoint = pos[1];
    }
    return 0;

out_err:
    fs_options_free(o);
    return rc;
}

void fs_options_free(struct fs_options *o)
{
    free(o->rules);
    free(o->rule_files);
    free(o->profiles);
    free(o->fuse_opts);
    for (size_t i = 0; i < o->n_owned; i++)
        free(o->owned[i]);
    free(o->owned);
    memset(o, 0, sizeof(*o));
}

const char *fs_options_usage(void)
{
    return "usage: snagfs [OPTIONS] SOURCE MOUNTPOINT\n"
           "       snagfs run [OPTIONS] SOURCE -- COMMAND [ARGS...]\n"
           "\n"
           "Mount SOURCE at MOUNTPOINT as a passthrough that injects I/O "
           "faults.\n"
           "\n"
           "Fault injection:\n"
           "  -r, --rule RULE         add one rule (repeatable)\n"
           "  -R, --rules FILE        load a rules file (repeatable)\n"
           "  -p, --profile NAME      load a shipped scenario profile\n"
           "      --seed N            seed for probabilistic decisions\n"
           "      --trace FILE        append a JSON line per injected fault\n"
           "      --replay FILE       reproduce the faults of a trace\n"
           "      --control PATH      control socket path\n"
           "      --watchdog DURATION stall threshold (default 5s; 0/off: "
           "none)\n"
           "      --watchdog-action log|fail|abort|rescue (comma list; "
           "default fail)\n"
           "      --list-profiles     list the shipped scenario profiles\n"
           "  -o rules=FILE,profile=NAME,seed=N,cache=MODE,control=PATH,\n"
           "     trace=FILE,replay=FILE,watchdog=D,watchdog_action=LIST,\n"
           "     handle_cache=N,timeout=D\n"
           "                          the same, for fstab (mount.fuse3)\n"
           "\n"
           "Caching:\n"
           "      --cache=strict      every operation reaches the daemon "
           "(default)\n"
           "      --cache=normal      attribute/entry timeouts, keep_cache\n"
           "      --cache=writeback   normal + kernel writeback cache\n"
           "      --timeout D         entry and attribute timeout in the "
           "cached modes\n"
           "                          (default 1s; passthrough_hp uses 1 day)\n"
           "\n"
           "FUSE:\n"
           "  -f, --foreground        do not daemonize\n"
           "  -s, --single-thread     single-threaded loop\n"
           "  -d, --debug             debug output (implies -f)\n"
           "  -o OPT[,OPT...]         mount options (allow_other, noatime,\n"
           "                          ro, clone_fd, max_threads=N, ...)\n"
           "      --max-threads N     most worker threads\n"
           "      --clone-fd          a /dev/fuse fd per thread (default: one\n"
           "                          shared; --no-clone-fd)\n"
           "      --handle-cache N    forgotten inodes whose file handle is "
           "kept so\n"
           "                          export handles still open them "
           "(default 65536)\n"
           "  -h, --help              this text\n"
           "  -V, --version           print the version\n"
           "\n"
           "Environment: SNAGFS_DEBUG_INODES=1 prints the inode count at "
           "exit.\n";
}
