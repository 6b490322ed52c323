/* policy/profiles.c — find a shipped scenario profile by name.
 *
 * A profile name is [a-z0-9-]+ so that it can never name a path outside
 * the profile directories. Directories are searched in order:
 * $SNAGFS_PROFILE_DIR (tests, local overrides), the installed SNAG_PROFILE_DIR,
 * then the source tree's policy/profiles (running from a build tree).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pol_internal.h"

#ifndef SNAG_PROFILE_DIR
#define SNAG_PROFILE_DIR "/usr/local/share/snagfs/profiles"
#endif
#ifndef SNAG_SOURCE_PROFILE_DIR
#define SNAG_SOURCE_PROFILE_DIR ""
#endif

#define PROFILE_NAME_MAX 64

static bool valid_profile_name(const char *name)
{
    size_t n = 0;

    for (; name[n]; n++) {
        char c = name[n];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return n > 0 && n <= PROFILE_NAME_MAX;
}

int pol_profile_path(const char *name, char *buf, size_t size)
{
    const char *dirs[] = {getenv("SNAGFS_PROFILE_DIR"), SNAG_PROFILE_DIR,
                          SNAG_SOURCE_PROFILE_DIR};
    bool truncated = false;

    if (!name || !buf || size == 0 || !valid_profile_name(name))
        return -EINVAL;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        struct stat st;
        int n;

        if (!dirs[i] || !dirs[i][0])
            continue;
        n = snprintf(buf, size, "%s/%s.rules", dirs[i], name);
        if (n < 0 || (size_t)n >= size) {
            truncated = true;
            continue;
        }
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
            return 0;
    }
    buf[0] = '\0';
    return truncated ? -ENAMETOOLONG : -ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int pol_profile_list(void (*fn)(void *arg, const char *name, const char *path),
                     void *arg)
{
    const char *dirs[] = {getenv("SNAGFS_PROFILE_DIR"), SNAG_PROFILE_DIR,
                          SNAG_SOURCE_PROFILE_DIR};
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        DIR *d = dirs[i] && dirs[i][0] ? opendir(dirs[i]) : NULL;
        struct dirent *e;

        while (d && (e = readdir(d))) {
            size_t len = strlen(e->d_name);

            if (len <= 6 || strcmp(e->d_name + len - 6, ".rules") != 0)
                continue;
            if (n == cap) {
                char **nn =
                    realloc(names, (cap = cap ? 2 * cap : 32) * sizeof(*nn));
                if (!nn) {
                    rc = -ENOMEM;
                    break;
                }
                names = nn;
            }
            names[n] = strndup(e->d_name, len - 6);
            if (!names[n]) {
                rc = -ENOMEM;
                break;
            }
            n++;
        }
        if (d)
            closedir(d);
        if (rc < 0)
            goto out;
    }
    qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096];

        if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
            continue;
        if (pol_profile_path(names[i], path, sizeof(path)) < 0)
            continue; /* not a valid profile name */
        fn(arg, names[i], path);
        rc++;
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}
