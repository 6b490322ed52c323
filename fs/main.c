/* fs/main.c — the snagfs executable: parse, load rules, mount or run.
 *
 * Invariants: only main() exits. Exit status: 0 after a clean unmount, 2 for
 * bad usage or bad rules (nothing mounted), 1 for any other failure; in run
 * mode, the command's status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../inject/engine.h"
#include "run.h"
#include "session.h"

#ifndef SNAG_VERSION
#define SNAG_VERSION "0.0.0"
#endif

static int mount_main(const struct fs_options *o, struct inj_engine *engine)
{
    struct fs_mount m;
    if (fs_mount_setup(&m, o, o->mountpoint, engine, true) < 0)
        return 1;
    if (fuse_daemonize(o->foreground) < 0) {
        fprintf(stderr, "snagfs: cannot daemonize\n");
        fs_mount_teardown(&m);
        return 1;
    }
    int rc = fs_mount_serve(&m);
    fs_mount_teardown(&m);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct fs_options o;
    struct inj_engine *engine = NULL;
    char err[512];
    int status;

    if (fs_options_parse(argc, argv, &o, err, sizeof(err)) < 0) {
        fprintf(stderr, "snagfs: %s\n", err[0] ? err : "out of memory");
        return 2;
    }
    if (o.help) {
        fputs(fs_options_usage(), stdout);
        printf("\nlibfuse options accepted with -o:\n");
        fflush(stdout);
        fuse_lowlevel_help();
        fs_options_free(&o);
        return 0;
    }
    if (o.version) {
        printf("snagfs %s\n", SNAG_VERSION);
        fflush(stdout);
        fuse_lowlevel_version();
        fs_options_free(&o);
        return 0;
    }
    status = fs_rules_load(&o, &engine);
    if (status != 0) {
        fs_options_free(&o);
        return status;
    }
    status = o.run ? fs_run(&o, engine) : mount_main(&o, engine);
    /* Every FUSE thread has been joined by now. */
    if (engine)
        inj_engine_free(engine);
    fs_options_free(&o);
    return status;
}
