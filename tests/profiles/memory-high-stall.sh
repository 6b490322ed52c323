#!/usr/bin/env bash
# memory-high-stall.sh — a sequential writer of 64 KiB blocks runs free for
# 8 MiB, then the 16 writes of the next MiB each stall 20..200 ms (the first
# burst), then run free again up to 16 MiB where the second burst starts.
. "$(dirname "$0")/plib.sh"
pf_init memory-high-stall

pf_mount -p memory-high-stall
got=$(pf_py "
fd = os.open(M + '/f', os.O_WRONLY | os.O_CREAT, 0o644); out = []
blk = b'm' * 65536
for i in range(17 * 16):          # 17 MiB: the first burst and the whole second
    t = time.monotonic(); n = os.write(fd, blk); ms = (time.monotonic() - t) * 1000
    assert n == 65536
    out.append('%d %.1f' % (i * 65536 >> 20, ms))
os.close(fd); print('\n'.join(out))")
# each line: MiB-index latency-ms
stalled() { awk -v m="$1" '$1 == m && $2 >= 20 && $2 <= 200 + 1500' <<<"$got" | wc -l; }
sn_eq "all 16 writes of MiB 8 stalled 20..200 ms" 16 "$(stalled 8)"
sn_eq "all 16 writes of MiB 16 stalled 20..200 ms" 16 "$(stalled 16)"
pf_expect_fired memhigh-burst-1 16 "burst 1: exactly the 16 writes of MiB 8"
pf_expect_fired memhigh-burst-2 16 "burst 2: exactly the 16 writes of MiB 16"
pf_expect_fired memhigh-burst-3 0 "burst 3 (at 24 MiB) not reached"
sn_eq "burst writes matched nothing outside their MiB" 16 "$(pf_fired memhigh-burst-1 matched)"
sn_eq "every byte arrived" $((17 << 20)) "$(stat -c %s "$SN_SRC/f")"
sn_umount
sn_done
