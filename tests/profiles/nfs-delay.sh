#!/usr/bin/env bash
# nfs-delay.sh — with a fixed seed, over 40 open/write/close cycles: every
# open the rule fired on took >= 200 ms, every delayed write >= 100 ms, every
# close the EIO rule fired on failed with EIO after >= 50 ms; the counts of
# slow calls and EIOs the program saw match the fire counts; and with this
# seed each kind happens at least once.
. "$(dirname "$0")/plib.sh"
pf_init nfs-delay

pf_mount -p nfs-delay
got=$(pf_py "
out = []
def timed(f, *a):
    t = time.monotonic()
    try: f(*a); r = 'ok'
    except OSError as e: r = ename(e)
    return r, (time.monotonic() - t) * 1000
for i in range(40):
    t = time.monotonic(); fd = os.open(M + '/f%d' % i, os.O_WRONLY | os.O_CREAT, 0o644)
    out.append('open ok %.1f' % ((time.monotonic() - t) * 1000))
    r, ms = timed(os.write, fd, b'n' * 4096); out.append('write %s %.1f' % (r, ms))
    r, ms = timed(os.close, fd); out.append('close %s %.1f' % (r, ms))
print('\n'.join(out))")
count() { awk -v k="$1" -v r="$2" -v lo="$3" '$1 == k && $2 == r && $3 >= lo' <<<"$got" | wc -l; }
slow_open=$(count open ok 200) slow_write=$(count write ok 100) eio=$(count close EIO 50)
sn_log "slow opens: $slow_open, slow writes: $slow_write, EIO at close: $eio"
sn_eq "no errors other than EIO at close" 0 "$(awk '$2 != "ok" && !($1 == "close" && $2 == "EIO")' <<<"$got" | wc -l)"
sn_eq "EIO only where the rule fired (after its delay)" "$(count close EIO 0)" "$eio"
f_open=$(pf_fired nfs-delay-open) f_write=$(pf_fired nfs-delay-write) f_eio=$(pf_fired nfs-delay-eio)
sn_check "the open rule fired ($f_open)" test "${f_open/none/0}" -ge 1
sn_check "the write rule fired ($f_write)" test "${f_write/none/0}" -ge 1
sn_check "the EIO rule fired ($f_eio)" test "${f_eio/none/0}" -ge 1
# every fired call is slow; an unfired call may be slow too on a loaded box
sn_check "opens >= 200 ms ($slow_open) >= fires ($f_open)" test "$slow_open" -ge "${f_open/none/999}"
sn_check "writes >= 100 ms ($slow_write) >= fires ($f_write)" test "$slow_write" -ge "${f_write/none/999}"
sn_eq "EIOs at close = fires of the EIO rule" "$f_eio" "$eio"
sn_check "opens fired about 25% of 40 (got $f_open)" test "${f_open/none/0}" -le 25
sn_umount
sn_done
