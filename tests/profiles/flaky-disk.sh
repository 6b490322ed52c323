#!/usr/bin/env bash
# flaky-disk.sh — over 1000 block writes, fsyncs and reads: every read EIO,
# fsync EIO and silently corrupted block the program sees is one the rules
# fired, each corrupted block differs by exactly one bit, and with the fixed
# seed each kind happens at least once.
. "$(dirname "$0")/plib.sh"
pf_init flaky-disk

pf_mount -p flaky-disk
got=$(pf_py "
import hashlib
N = 1000; fd = os.open(M + '/disk', os.O_RDWR | os.O_CREAT, 0o644)
blocks = [hashlib.sha256(str(i).encode()).digest() * 128 for i in range(N)]
fsync_eio = 0
for i, b in enumerate(blocks):
    assert os.pwrite(fd, b, i * 4096) == 4096
    if i % 10 == 9:
        try: os.fsync(fd)
        except OSError as e:
            assert e.errno == errno.EIO; fsync_eio += 1
read_eio = 0; bad = 0; onebit = 0
for i, b in enumerate(blocks):
    while True:
        try: got = os.pread(fd, 4096, i * 4096); break
        except OSError as e:
            assert e.errno == errno.EIO; read_eio += 1
    if got != b:
        bad += 1
        onebit += sum(bin(x ^ y).count('1') for x, y in zip(got, b)) == 1
print(read_eio, fsync_eio, bad, onebit)")
read -r read_eio fsync_eio bad onebit <<<"$got"
sn_log "read EIO: $read_eio, fsync EIO: $fsync_eio, corrupted blocks: $bad"
sn_check "some reads failed with EIO ($read_eio)" test "${read_eio:-0}" -ge 1
sn_check "some fsyncs failed with EIO ($fsync_eio)" test "${fsync_eio:-0}" -ge 1
sn_check "some blocks came back corrupted ($bad)" test "${bad:-0}" -ge 1
sn_eq "every corrupted block differs by exactly one bit" "$bad" "$onebit"
pf_expect_fired flaky-read-eio "$read_eio" "read EIOs seen = fires ($read_eio)"
pf_expect_fired flaky-fsync-eio "$fsync_eio" "fsync EIOs seen = fires ($fsync_eio)"
pf_expect_fired flaky-bitrot "$bad" "corrupted blocks seen = fires ($bad)"
sn_umount
sn_done
