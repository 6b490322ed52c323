/* policy/profiles.c — find a shipped scenario profile by name.
 *
 * A profile name is [a-z0-9-]+ so that it can never name a path outside
 * the profile directories. Directories are searched in order:
 * $SNAGFS_PROFILE_DIR (tests, local overrides), the installed SNAG_PROFILE_DIR,
 * then the source tree's policy/profiles (running from a build tree).
 */
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
