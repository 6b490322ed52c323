/* fs/options.h — the snagfs command line, parsed into plain data.
 *
 * Invariants: parsing never prints and never exits; errors come back as a
 * message. Strings in struct fs_options point into argv except fuse_opts,
 * which is owned (free with fs_options_free()). No FUSE types here, so the
 * parser is unit-testable without a mount.
 */
#ifndef SNAG_FS_OPTIONS_H
#define SNAG_FS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fs_cache_mode {
    FS_CACHE_STRICT = 0, /* every op reaches the daemon (default) */
    FS_CACHE_NORMAL,     /* timeouts and keep_cache */
    FS_CACHE_WRITEBACK,  /* normal + kernel writeback cache */
};

struct fs_options {
    bool run; /* `snagfs run ... SOURCE -- COMMAND` */
    const char *source;
    const char *mountpoint; /* NULL in run mode */
    char **command;         /* run mode: NULL-terminated, points into argv */

    bool help, version, list_profiles;
    bool foreground, single_thread, debug;
    bool clone_fd;             /* default false: one shared fd */
    unsigned max_threads;      /* 0: libfuse default */
    unsigned max_idle_threads; /* 0: libfuse default */
    bool has_timeout;          /* --timeout given (normal/writeback) */
    uint64_t timeout_ns;       /* entry and attribute timeout */
    bool has_handle_cache;     /* --handle-cache given */
    uint64_t handle_cache;     /* forgotten inodes kept resolvable */
    bool allow_other, noatime;
    bool default_permissions; /* -o default_permissions given */
    enum fs_cache_mode cache;

    bool has_seed;
    uint64_t seed;
    const char **rules; /* -r/--rule texts */
    size_t n_rules;
    const char **rule_files; /* -R/--rules */
    size_t n_rule_files;
    const char **profiles; /* -p/--profile */
    size_t n_profiles;

    const char *trace, *replay, *control;
    bool has_watchdog;         /* --watchdog given */
    uint64_t watchdog_ns;      /* 0 with has_watchdog: watchdog off */
    unsigned watchdog_actions; /* enum fs_watchdog_action mask; 0: default */

    char **owned; /* copies of -o KEY=VALUE values the fields above use */
    size_t n_owned;

    char *fuse_opts; /* owned: "-o" list handed to fuse_session_new() */
};

/* Parse argv (argv[0] is the program). Returns 0, or -EINVAL with a one-line
 * message in err, or -ENOMEM. On error *o is freed and zeroed. help/version
 * short-circuit the positional checks. */
int fs_options_parse(int argc, char **argv, struct fs_options *o, char *err,
                     size_t errsz);
void fs_options_free(struct fs_options *o);

/* "10s", "250ms", "1m", "5" (seconds) → nanoseconds. Returns 0 or -EINVAL. */
int fs_parse_duration(const char *s, uint64_t *ns);

/* The usage text (static). */
const char *fs_options_usage(void);

#endif
