#!/usr/bin/env bash
# fsync-eio.sh — fsyncgate: four writes succeed, the fsync reports EIO once,
# the next fsync succeeds, and the four writes' data is gone (zeros); writes
# after the error are kept.
. "$(dirname "$0")/plib.sh"
pf_init fsync-eio

pf_mount -p fsync-eio
got=$(pf_py "
fd = os.open(M + '/wal', os.O_RDWR | os.O_CREAT, 0o644); out = []
for i in range(4): out.append(str(os.write(fd, bytes([65 + i]) * 4096)))
for i in range(2):
    try: os.fsync(fd); out.append('fsync=0')
    except OSError as e: out.append('fsync=' + ename(e))
back = os.pread(fd, 16384, 0)
out.append('zeros' if back == bytes(16384) else 'data:' + repr(back[:8]))
out.append(str(os.write(fd, b'E' * 4096)))
os.fsync(fd)
out.append('kept' if os.pread(fd, 4096, 16384) == b'E' * 4096 else 'lost')
os.close(fd); print(' '.join(out))")
sn_eq "4 writes ok, fsync EIO then 0, data zeros, later write kept" \
	"4096 4096 4096 4096 fsync=EIO fsync=0 zeros 4096 kept" "$got"
pf_expect_fired fsync-eio-lost 4 "four writes lost"
pf_expect_fired fsync-eio 1 "the error reported once"
sn_eq "the backing file holds zeros where the lost writes were" 1 \
	"$(cmp -s <(head -c 16384 "$SN_SRC/wal") <(head -c 16384 /dev/zero) && echo 1 || echo 0)"
sn_umount
sn_done
