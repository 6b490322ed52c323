# bench_instr.sh — `scripts/bench --instructions`: the daemon's own
# instructions per operation, counted by valgrind --tool=callgrind, for snagfs
# strict with no rules, with 10,000 rules that never match (idle10k) and with
# 100 path globs that match other files (glob100).
#
# Why: what a loaded rule set costs per request is a few hundred
# instructions against a request whose daemon CPU time is mostly the
# kernel's (the /dev/fuse round trip, the backing syscall); timed runs on a
# shared 2-vCPU VM spread by 5-20%, so a "<= 3%" claim cannot be read off
# them. Instruction counts are exact and repeatable: the same binary, rules
# and workload give the same count whatever else the machine does. They
# cover user space only (callgrind does not see the kernel), and the rules
# add no syscall (strace -c gives the same counts with and without them,
# docs/performance.md), so the difference between two columns is the whole
# cost of the rules; as a percentage of the user-space count it overstates
# the relative cost, the kernel's share of every request being larger.
#
# Sourced by scripts/bench after the harness (tests/integration/lib.sh) is
# set up; uses $snagfs, $work, $quick.  Every mount goes through sn_mount
# (trap-driven unmount, connection abort as the last resort).
#
# The daemon runs with SNAGFS_REACTOR=timer: valgrind does not know that an
# io_uring wait blocks, and would stop every thread behind it.  Collection
# is switched on only around each workload (callgrind_control -i on), dumped
# (-d) and zeroed (-z), so start-up and rule loading are not counted.

bench_instructions() {
	command -v valgrind >/dev/null && command -v callgrind_control >/dev/null ||
		{ echo "bench: --instructions needs valgrind (scripts/setup-deps)" >&2; return 2; }
	local n_oc=2000 n_rd=4096 n_meta=1000 t
	[ "$quick" = 1 ] && n_oc=400 n_rd=1024 n_meta=200
	cc_helper bench_openclose
	for ((i = 1; i <= 10000; i++)); do echo "all:path=/nomatch/d$i/**:error=EIO:id=n$i"; done >"$work/idle10k.rules"
	for ((i = 1; i <= 100; i++)); do echo "all:path=/**/other$i-*.dat:error=EIO:id=g$i"; done >"$work/glob100.rules"
	local out=$work/cg
	mkdir -p "$out"
	cat >"$work/snagfs-cg.sh" <<EOF
#!/bin/sh
SNAGFS_REACTOR=timer exec valgrind -q --tool=callgrind --instr-atstart=no \\
	--callgrind-out-file=$out/cg.%p.out $(printf %q "$snagfs") "\$@"
EOF
	chmod +x "$work/snagfs-cg.sh"
	declare -gA instr
	local workloads=(openclose read4k create stat unlink)
	for t in strict idle10k glob100; do
		local rules=()
		[ $t = strict ] || rules=(-R "$work/$t.rules")
		echo "# instructions: $t" >&2
		SNAGFS=$work/snagfs-cg.sh SN_IS_REF=0 SN_MOUNT_WAIT=180 sn_mount --cache=strict "${rules[@]}" ||
			{ echo "bench: cannot mount $t under valgrind" >&2; return 1; }
		local d=$SN_MNT pid=$SN_PID
		mkdir "$d/meta"; : >"$d/oc"
		sn_run dd if=/dev/zero of="$d/rd" bs=1M count=4 status=none
		_instr_one "$t" openclose $n_oc "$pid" "$work/bench_openclose" "$d/oc" $((n_oc - 100))
		_instr_one "$t" read4k $n_rd "$pid" fio --name=r --filename="$d/rd" --rw=randread \
			--bs=4k --size=4M --ioengine=psync --loops=$((n_rd / 1024)) --randrepeat=1
		for phase in create stat unlink; do
			_instr_one "$t" $phase $n_meta "$pid" python3 -S "$root/scripts/lib/bench_meta.py" \
				"$d/meta" $n_meta $phase
		done
		sn_umount "$d" >/dev/null || echo "bench: unmount of $t was not clean" >&2
		rm -f "$out"/cg.*
	done
	printf '%-12s %-6s %12s %12s %12s %10s %10s\n' workload per strict idle10k glob100 idle10k glob100
	local w
	for w in "${workloads[@]}"; do
		awk -v w="$w" -v per="$([ $w = openclose ] && echo pair || { [ $w = read4k ] && echo read || echo file; })" \
			-v s="${instr[strict,$w]:-0}" -v i="${instr[idle10k,$w]:-0}" -v g="${instr[glob100,$w]:-0}" 'BEGIN {
			printf "%-12s %-6s %12d %12d %12d %+9.1f%% %+9.1f%%\n", w, per, s, i, g,
				(s > 0 ? (i / s - 1) * 100 : 0), (s > 0 ? (g / s - 1) * 100 : 0) }'
	done
	printf '\ninstructions of the daemon (user space, every thread) per operation, callgrind;\n'
	printf 'the %% columns: idle10k and glob100 against strict.  An operation is several\n'
	printf 'requests: open+close = lookup, open, flush, release; stat = lookup, getattr;\n'
	printf 'create = lookup, create, flush, release (and getattr); unlink = lookup, unlink.\n'
	printf 'snagfs: %s; %s\n' "$snagfs" "$(valgrind --version)"
}

# _instr_one TARGET WORKLOAD OPS PID CMD...: count CMD's instructions in the
# daemon, per operation, into instr[TARGET,WORKLOAD].
_instr_one() {
	local t=$1 w=$2 n=$3 pid=$4 f before i ir; shift 4
	callgrind_control -i on "$pid" >/dev/null 2>&1
	sn_run "$@" >/dev/null 2>&1 || echo "bench: $t $w: the workload failed" >&2
	before=$(ls "$work/cg/" | wc -l)
	callgrind_control -d "$pid" >/dev/null 2>&1
	for i in $(seq 100); do
		[ "$(ls "$work/cg/" | wc -l)" -gt "$before" ] && break
		sleep 0.1
	done
	sleep 0.2 # the dump is complete once its totals line is written
	f=$(ls -t "$work/cg/"cg.$pid.out.* 2>/dev/null | head -1)
	ir=$(grep -m1 '^totals:' "$f" 2>/dev/null | awk '{ print $2 }')
	callgrind_control -i off "$pid" >/dev/null 2>&1
	callgrind_control -z "$pid" >/dev/null 2>&1
	instr[$t,$w]=$(awk -v ir="${ir:-0}" -v n="$n" 'BEGIN { printf "%.0f", ir / n }')
}
