/* fs/main.c — the snagfs executable: parse, load rules, mount or run.
 *
 * Invariants: only main() exits. Exit status: 0 after a clean unmount, 2 for
 * bad usage or bad rules (nothing mounted), 1 for any other failure; in run
 * mode, the command's status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "services.h"

#ifndef SNAG_VERSION
#define SNAG_VERSION "0.0.0"
#endif

static int mount_main(const struct fs_options *o, struct fs_services *sv)
{
    struct fs_mount m;
    if (fs_mount_setup(&m, o, o->mountpoint, sv->engine, true) < 0)
        return 1;
    /* Services start threads: after the fork of fuse_daemonize(). */
    if (fuse_daemonize(o->foreground) < 0) {
        fprintf(stderr, "snagfs: cannot daemonize\n");
        fs_mount_teardown(&m);
        return 1;
    }
    if (fs_services_start(sv, &m, true) < 0) {
        fs_mount_teardown(&m);
        return 1;
    }
    int rc = fs_mount_loop(&m);
    /* Parked requests are answered while the channel still works. */
    fs_services_stop(sv);
    fs_mount_teardown(&m);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct fs_options o;
    struct fs_services sv;
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
    if (o.list_profiles) {
        status = fs_services_list_profiles();
        fs_options_free(&o);
        return status;
    }
    status = fs_services_load(&sv, &o);
    if (status == 0)
        status = o.run ? fs_run(&o, &sv) : mount_main(&o, &sv);
    /* Every FUSE thread has been joined by now. */
    fs_services_close(&sv);
    fs_options_free(&o);
    return status;
}
