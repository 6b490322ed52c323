#!/usr/bin/env bash
# cgroup-io-throttle.sh — small writes take 10..80 ms, large writes 50..800 ms,
# fsync 100 ms..2 s; nothing fails, every byte arrives. Lower bounds are
# strict (the delay is the floor), upper bounds loose (a loaded 2-core CI
# machine adds its own latency): band max + 1.5 s.
. "$(dirname "$0")/plib.sh"
pf_init cgroup-io-throttle

pf_mount -p cgroup-io-throttle
got=$(pf_py "
fd = os.open(M + '/f', os.O_WRONLY | os.O_CREAT, 0o644); out = []
def timed(f, *a):
    t = time.monotonic(); r = f(*a); return r, (time.monotonic() - t) * 1000
for i in range(5):
    n, ms = timed(os.write, fd, b's' * 4096); out.append('small %d %.1f' % (n, ms))
for i in range(2):
    n, ms = timed(os.write, fd, b'L' * 65536); out.append('large %d %.1f' % (n, ms))
r, ms = timed(os.fsync, fd); out.append('fsync 0 %.1f' % ms)
os.close(fd); print('\n'.join(out))")
sn_log "$(tr '\n' ';' <<<"$got")"
check_band() { # KIND MIN_MS MAX_MS COUNT BYTES
	local lines; lines=$(grep "^$1 " <<<"$got")
	sn_eq "$1: $4 calls, each returned $5" "$4" "$(awk -v b="$5" '$2 == b' <<<"$lines" | wc -l)"
	sn_eq "$1: every call took $2..$3 ms (+1.5 s slack)" "$4" \
		"$(awk -v lo="$2" -v hi="$3" '$3 >= lo && $3 <= hi + 1500' <<<"$lines" | wc -l)"
}
check_band small 10 80 5 4096
check_band large 50 800 2 65536
check_band fsync 100 2000 1 0
sn_eq "every byte arrived" $((5 * 4096 + 2 * 65536)) "$(stat -c %s "$SN_SRC/f")"
pf_expect_fired cgio-write 5
pf_expect_fired cgio-write-large 2
pf_expect_fired cgio-fsync 1
sn_umount
sn_done
