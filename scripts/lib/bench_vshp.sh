# bench_vshp.sh — `scripts/bench --vs-hp`: snagfs against passthrough_hp in
# the same cache mode, paired. hp (its default: writeback cache, a day's
# timeouts), snagfs writeback (its default 1 s timeout) and wb-24h (snagfs
# writeback with hp's timeouts) are mounted side by side; round after round
# each metadata phase (create, stat, lookup, list, unlink of N files) and
# open+close runs on each of them in turn (the order rotates per round).
# "lookup" and "list" start after every daemon's inodes were forgotten
# (drop_caches): "lookup" stats each file by name (a LOOKUP of a node the
# daemon no longer holds), "list" is `ls -l` of the directory (one readdir,
# served with READDIRPLUS, and an lstat per entry). Each round gives a
# throughput ratio and a daemon-CPU ratio per snagfs target against hp; the
# table shows their medians and quartiles.
#
# Why: the main table's cells spread by 5-30% between runs on this VM, so a
# 2-3% difference from hp cannot be read off it; paired rounds seconds apart
# can show it. Throughput here is latency-bound (one client thread, daemon
# and client on one CPU), so it also carries scheduling noise: judge small
# differences by the CPU ratio.
#
# With --against PATH the writeback column is "alt": PATH, another snagfs
# binary, with wb-24h's options, in the same rounds (an A/B of two builds).
#
# Sourced by scripts/bench once the targets hp, writeback (or alt) and
# wb-24h are mounted (path[], dpid[], list[]); uses meta_one, oc_one,
# cpu_snap, cpu_per_op, forget_inodes, $runs_arg, $quick, $meta_arg,
# $against, $vshp_other (writeback or alt).

bench_vs_hp() {
	local rounds=${runs_arg:-10} n=5000 pairs=2000 r k t w p b a out v ops
	[ "$quick" = 1 ] && { rounds=${runs_arg:-3}; n=500; pairs=500; }
	[ -n "$meta_arg" ] && n=${meta_arg%%,*}
	local raw=$work/vshp.raw nt=${#list[@]}
	: >"$raw"
	echo "# vs hp: $rounds rounds of $n files" >&2
	for ((r = 1; r <= rounds; r++)); do
		for t in "${list[@]}"; do mkdir -p "${path[$t]}/meta"; : >"${path[$t]}/oc"; done
		for w in create stat lookup list unlink openclose; do
			case $w in lookup | list) forget_inodes ;; esac
			for ((k = 0; k < nt; k++)); do
				t=${list[$(((k + r - 1) % nt))]} p=${dpid[$t]}
				b=$(cpu_snap "$p")
				if [ $w = openclose ]; then out=$(oc_one "${path[$t]}/oc" $pairs)
				else out=$(meta_one "${path[$t]}/meta" $n $w); fi
				a=$(cpu_snap "$p")
				read -r v ops <<<"$out"
				[[ $v == ERR* ]] || [ "${ops:-0}" -le 0 ] && { echo "bench: $t $w: $v" >&2; continue; }
				echo "$r $w $t $v $(cpu_per_op "$b" "$a" "$ops")" >>"$raw"
			done
		done
		for t in "${list[@]}"; do sn_run rm -rf "${path[$t]}/meta" "${path[$t]}/oc"; done
		forget_inodes
	done
	python3 - "$raw" "$rounds" "$n" "$vshp_other" <<'PY'
import collections, statistics, sys
cells = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    r, w, t, v, us = line.split()
    cells[(w, r)][t] = (float(v), float(us))
def quart(xs):
    xs = sorted(xs)
    return xs[len(xs) // 4], statistics.median(xs), xs[(3 * len(xs)) // 4]
others = (sys.argv[4], "wb-24h")
print("%-10s %-7s %9s %9s %9s   %-24s %-24s" % ("workload", "unit", "hp", others[0], "wb-24h",
      "speed vs hp: " + others[0], "wb-24h"))
for w in ("create", "stat", "lookup", "list", "unlink", "openclose"):
    rows = [c for (ww, _), c in cells.items() if ww == w and all(t in c for t in ("hp",) + others)]
    if not rows:
        continue
    lat = w == "openclose"
    def fmt(kind):
        med = {t: statistics.median(c[t][kind] for c in rows) for t in ("hp",) + others}
        cols = []
        for t in others:
            if kind == 0:  # speed: > 1 is faster than hp
                xs = [(c["hp"][0] / c[t][0]) if lat else (c[t][0] / c["hp"][0]) for c in rows if c[t][0] > 0 and c["hp"][0] > 0]
            else:          # daemon CPU: > 1 costs more than hp
                xs = [c[t][1] / c["hp"][1] for c in rows if c["hp"][1] > 0]
            q1, m, q3 = quart(xs)
            cols.append("%.3f (%.3f .. %.3f)" % (m, q1, q3))
        return med, cols
    med, cols = fmt(0)
    print("%-10s %-7s %9.1f %9.1f %9.1f   %-24s %-24s" % (w, "us" if lat else "ops/s", med["hp"],
          med[others[0]], med["wb-24h"], cols[0], cols[1]))
    med, cols = fmt(1)
    print("%-10s %-7s %9.2f %9.2f %9.2f   %-24s %-24s" % ("", "cpu us", med["hp"], med[others[0]],
          med["wb-24h"], cols[0], cols[1]))
if others[0] == "alt":
    # The A/B itself: alt against wb-24h round by round, without hp's noise.
    print("\nA/B, alt vs wb-24h in the same rounds: speed (> 1: alt faster), daemon CPU (> 1: alt costs more)")
    for w in ("create", "stat", "lookup", "list", "unlink", "openclose"):
        rows = [c for (ww, _), c in cells.items() if ww == w and "alt" in c and "wb-24h" in c]
        sp = [(c["wb-24h"][0] / c["alt"][0]) if w == "openclose" else (c["alt"][0] / c["wb-24h"][0])
              for c in rows if c["alt"][0] > 0 and c["wb-24h"][0] > 0]
        cp = [c["alt"][1] / c["wb-24h"][1] for c in rows if c["wb-24h"][1] > 0]
        if sp and cp:
            q1, m, q3 = quart(sp)
            c1, cm, c3 = quart(cp)
            print("%-10s speed %.3f (%.3f .. %.3f)   cpu %.3f (%.3f .. %.3f)" % (w, m, q1, q3, cm, c1, c3))
print("\n%s paired rounds of %s files (open+close: median latency of the pairs)." % (sys.argv[2], sys.argv[3]))
print("First line of each workload: throughput (open+close: latency), median over the")
print("rounds; the ratio columns are the median of the per-round speed ratios to hp")
print("(> 1: faster than hp) with their quartiles.  Second line: daemon CPU us per")
print("operation, and the per-round ratios to hp (> 1: more CPU than hp).")
PY
	printf 'placement: daemons on CPU %s, clients on CPU %s; snagfs: %s\n' "${d_cpus:-any}" "${c_cpus:-any}" "$snagfs"
	[ -n "$against" ] && printf 'alt (snagfs, wb-24h options): %s\n' "$against"
	printf 'passthrough_hp: %s\n' "$hp_bin"
	printf 'kernel %s, %d CPUs, load at end %s\n' "$(uname -r)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
