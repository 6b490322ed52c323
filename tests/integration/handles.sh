# handles.sh — file handles (name_to_handle_at / open_by_handle_at) through
# the mount survive dropping the kernel's caches (NFS-export style access).
. "$(dirname "$0")/lib.sh"
sn_init handles
sn_mount
mkdir -p "$SN_SRC/a/b/c"
echo top >"$SN_SRC/top"; echo deep >"$SN_SRC/a/b/c/deep"
sn_run stat "$SN_MNT/top" "$SN_MNT/a/b/c/deep" >/dev/null
sn_expect_errno "ok 4" handle "$SN_MNT/top" "$SN_MNT"
sn_expect_errno "ok 5" handle "$SN_MNT/a/b/c/deep" "$SN_MNT"
sn_expect_errno "ok 0" handle "$SN_MNT/a/b" "$SN_MNT"
sn_run sh -c 'echo new >"$1"' _ "$SN_MNT/created-via-mount"
sn_expect_errno "ok 4" handle "$SN_MNT/created-via-mount" "$SN_MNT"
# a handle to a deleted file must not open something else
h=$(sn_cc stale <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
int main(int c, char **v) {
	struct file_handle *fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ);
	int mid, mfd, fd;
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, v[1], fh, &mid, 0)) { printf("err name_to_handle_at %s\n", strerrorname_np(errno)); return 1; }
	if (unlink(v[1])) { printf("err unlink\n"); return 1; }
	mfd = open(v[2], O_RDONLY | O_DIRECTORY);
	syncfs(mfd);
	int dc = open("/proc/sys/vm/drop_caches", O_WRONLY); write(dc, "3\n", 2); close(dc);
	fd = open_by_handle_at(mfd, fh, O_RDONLY);
	if (fd >= 0) { printf("ok %d\n", fd); return 0; }
	printf("err %s\n", strerrorname_np(errno));
	return 1;
}
C
)
echo gone >"$SN_SRC/gone"
out=$(sn_run "$h" "$SN_MNT/gone" "$SN_MNT")
if [ "$out" = "err ESTALE" ]; then sn_pass "handle of an unlinked file -> ESTALE"
else sn_fail "handle of an unlinked file: expected 'err ESTALE', got '$out'"; fi
sn_check "daemon alive" sn_daemon_alive
sn_umount
sn_check_inodes_left

# --handle-cache N bounds the forgotten inodes kept resolvable: with 0 the
# daemon keeps none, and a handle whose inode the kernel forgot is stale
# (what libfuse's passthrough examples always answer).
# The FORGET is queued by drop_caches and may be served after an immediate
# open_by_handle_at (which then still finds the live node), so this probe
# waits a second between the two.
late=$(sn_cc late <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
int main(int c, char **v) {
	struct file_handle *fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ);
	int mid, mfd, fd;
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, v[1], fh, &mid, 0)) { printf("err name_to_handle_at %s\n", strerrorname_np(errno)); return 1; }
	mfd = open(v[2], O_RDONLY | O_DIRECTORY);
	int dc = open("/proc/sys/vm/drop_caches", O_WRONLY); write(dc, "2\n", 2); close(dc);
	sleep(1);
	fd = open_by_handle_at(mfd, fh, O_RDONLY);
	if (fd >= 0) { printf("ok\n"); return 0; }
	printf("err %s\n", strerrorname_np(errno));
	return 1;
}
C
)
sn_mount --handle-cache 0
echo top >"$SN_SRC/top"
sn_eq "--handle-cache 0: a handle whose inode was forgotten -> ESTALE" "err ESTALE" \
	"$(sn_run "$late" "$SN_MNT/top" "$SN_MNT")"
sn_umount
sn_eq "--handle-cache 0: no forgotten handle kept" "forgotten handles kept: 0" \
	"$(grep -ao 'forgotten handles kept: [0-9]*' "$SN_LOG" | tail -1)"
sn_done
