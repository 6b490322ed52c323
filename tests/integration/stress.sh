# stress.sh — concurrency and integrity: fio with crc32c verification and
# stress-ng filesystem stressors on the mount; zero errors, zero verify
# failures; the daemon survives and unmounts cleanly with no inode leaked.
# Usage: bash stress.sh [--cache=strict|normal|writeback]
. "$(dirname "$0")/lib.sh"
cache=${1:-}
sn_init "stress${cache:+.${cache#--cache=}}"
sn_mount ${cache:+"$cache"}
M=$SN_MNT
FIO_SIZE=${SN_FIO_SIZE:-48M}
STRESS_SECS=${SN_STRESS_SECS:-4}

mkdir "$SN_SRC/fio"
cat >"$SN_TMP/verify.fio" <<FIO
[global]
directory=$M/fio
ioengine=psync
size=$FIO_SIZE
numjobs=4
verify=crc32c
verify_fatal=1
verify_dump=0
do_verify=1
group_reporting=0
[seqwrite]
rw=write
bs=256k
[randwrite]
stonewall
rw=randwrite
bs=4k
[randrw-verify-async]
stonewall
rw=randwrite
bs=64k
fsync=16
verify_backlog=64
[direct-randwrite]
stonewall
rw=randwrite
bs=4k
direct=1
size=8M
FIO
t0=$SECONDS
out=$(cd "$SN_TMP" && sn_run_t 240 fio --output-format=terse --terse-version=3 "$SN_TMP/verify.fio" 2>&1); rc=$?
sn_log "fio took $((SECONDS - t0)) s"
if [ $rc -eq 0 ]; then sn_pass "fio verify jobs exit 0"
else sn_fail "fio exit $rc: $(echo "$out" | grep -vi '^3;' | head -5 | tr '\n' ' ')"; fi
# terse v3: field 5 = error code of each job
errs=$(echo "$out" | awk -F';' '$1 == 3 && $5 != 0 { print $3 ": error " $5 }')
sn_eq "fio: no job reported an error" "" "$errs"
if echo "$out" | grep -qi 'verify.*fail\|bad magic\|crc32c.*mismatch'; then
	sn_fail "fio reported verify failures: $(echo "$out" | grep -i 'verify\|crc' | head -3)"
else sn_pass "fio: no verify failures"; fi
sn_eq "fio ran 16 jobs" 16 "$(echo "$out" | grep -c '^3;')"
rm -rf "$SN_SRC/fio"

stress() {  # stress NAME ARGS...: one stressor, STRESS_SECS seconds, --verify
	local name=$1; shift
	mkdir -p "$SN_SRC/st-$name"
	local o rc
	o=$(cd "$M/st-$name" && sn_run_t 60 stress-ng --temp-path "$M/st-$name" --timeout "$STRESS_SECS" \
		--verify --metrics-brief "$@" 2>&1); rc=$?
	if [ $rc -eq 0 ] && ! echo "$o" | grep -qiE 'fail(ed|ure)|error'; then
		sn_pass "stress-ng $* (exit 0, $(echo "$o" | grep -oE 'successful run completed.*' | head -1))"
	else
		sn_fail "stress-ng $*: exit $rc: $(echo "$o" | grep -iE 'fail|error|info' | head -6 | tr '\n' '|')"
	fi
	rm -rf "$SN_SRC/st-$name"
}
stress hdd --hdd 2 --hdd-bytes 32M --hdd-opts wr-seq,rd-rnd
stress hdd-rnd --hdd 2 --hdd-bytes 16M --hdd-opts wr-rnd,rd-seq,fsync
stress dir --dir 2 --dir-dirs 256
stress link --link 2 --symlink 1
stress rename --rename 2
stress dentry --dentry 2 --dentries 512
stress fallocate --fallocate 2 --fallocate-bytes 16M
stress seek --seek 2 --seek-size 16M
stress flock --flock 2 --lockf 2
stress xattr --xattr 2
stress copy --copy-file 1 --copy-file-bytes 128M
stress chmod --chmod 2 --utime 1
stress open --open 1 --open-max 2000 --mknod 1 --getdent 1

# clients killed mid-request (SIGKILL during big reads and writes): the
# daemon carries on and the files stay readable.  dd runs unwrapped, so
# the SIGKILL reaches it (a `timeout` wrapper would survive as an orphan
# parent and dd would finish its I/O unkilled); SIGKILL needs no timeout.
dd if=/dev/urandom of="$SN_SRC/big" bs=1M count=64 status=none
killed=0
for i in $(seq 1 12); do
	# odd rounds bypass the page cache, so the kill lands mid-request
	if [ $((i % 2)) = 1 ]; then rflag=iflag=direct wflag=oflag=direct; else rflag= wflag=; fi
	dd if="$M/big" of=/dev/null bs=4k $rflag status=none &
	r=$!
	dd if=/dev/zero of="$M/w$i" bs=64k count=16384 $wflag status=none &
	w=$!
	sleep 0.$((RANDOM % 3 + 1))
	kill -KILL $r $w 2>/dev/null
	wait $r; [ $? -eq 137 ] && killed=$((killed + 1))
	wait $w; [ $? -eq 137 ] && killed=$((killed + 1))
	rm -f "$SN_SRC/w$i"
done
sn_log "$killed of 24 clients were killed mid-transfer (the rest had finished)"
awk -v k=$killed 'BEGIN { exit !(k >= 12) }' \
	&& sn_pass "clients really killed mid-transfer ($killed of 24)" \
	|| sn_fail "only $killed of 24 clients were still running when killed"
sn_check "big file intact after killed readers" cmp "$SN_SRC/big" "$M/big"
sn_check "mount serves after killed clients" sh -c 'echo ok >"$1" && [ "$(cat "$1")" = ok ]' _ "$M/after-kill"
rm -f "$SN_SRC"/big "$SN_SRC"/w* "$SN_SRC/after-kill"
sn_check "daemon alive after fio and stress-ng" sn_daemon_alive
sn_eq "nothing left behind in source" "" "$(ls -A "$SN_SRC")"
sn_umount
sn_check_inodes_left
sn_done
