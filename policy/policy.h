/* policy/policy.h — rule text to rule specs, and the op, group and errno
 * tables.
 *
 * The parser never exits and never prints: every problem comes back as a
 * struct pol_error naming the file, line, column (1-based, in bytes) and the
 * offending token, with a message that says what was expected. A text with
 * one bad rule yields no rules at all.
 */
#ifndef SNAG_POLICY_H
#define SNAG_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "../inject/rule.h"

struct pol_error {
    char file[256]; /* "<rule>" for --rule, "<control>" for snagctl add */
    unsigned line, col;
    char token[128]; /* the offending token, truncated with "..." */
    char msg[256];   /* e.g. "unknown key 'pth'; expected one of: path, ..." */
};

/* A parsed list of specs; owns them. */
struct pol_rules {
    struct inj_rule_spec *specs;
    size_t n;
};

void pol_rules_clear(struct pol_rules *rules);

/* Parse text (len bytes, need not be NUL-terminated): one rule per line,
 * '#' comments, blank lines ignored. file names the source in errors and in
 * each spec's origin. On success returns 0 and *out holds the rules (out is
 * overwritten). On a bad rule returns -EINVAL, fills *err and leaves *out
 * empty. -ENOMEM on allocation failure. */
int pol_parse_text(const char *text, size_t len, const char *file,
                   struct pol_rules *out, struct pol_error *err);

/* Parse exactly one rule (no newline allowed) from --rule or snagctl add. */
int pol_parse_rule(const char *text, const char *file, unsigned line,
                   struct inj_rule_spec *out, struct pol_error *err);

/* Read and parse a rules file. I/O errors come back as the -errno with
 * err->msg saying what failed. */
int pol_parse_file(const char *path, struct pol_rules *out,
                   struct pol_error *err);

/* "file:line:col: message (at 'token')" into buf; returns buf. */
const char *pol_error_format(const struct pol_error *err, char *buf,
                             size_t size);

/* errno tables: name ↔ number for every errno the platform defines. */
int pol_errno_from_name(const char *name); /* "ENOSPC" → 28, or -1 */
const char *pol_errno_name(int err);       /* 28 → "ENOSPC", or NULL */

/* True when some syscall behind op can return err (per the man pages). */
bool pol_errno_valid_for_op(enum inj_op op, int err);

/* Group name (all, data, sync, namespace, attr, xattr, dir) → op mask; 0 if
 * unknown. */
uint64_t pol_group_mask(const char *name);

/* Shipped profiles: the path of profile name's rules file, written to buf.
 * Looked up in the directory named by SNAGFS_PROFILE_DIR (when set), then
 * SNAG_PROFILE_DIR (installed), then the source tree's policy/profiles.
 * Returns 0, -ENOENT (no such profile), -EINVAL (name not [a-z0-9-]+) or
 * -ENAMETOOLONG (buf too small). */
int pol_profile_path(const char *name, char *buf, size_t size);

/* Call fn(arg, name, path) for every profile pol_profile_path() can find,
 * sorted by name; a name found in several directories is reported once,
 * with the path pol_profile_path() would pick. Returns how many, or
 * -ENOMEM. */
int pol_profile_list(void (*fn)(void *arg, const char *name, const char *path),
                     void *arg);

#endif
