#!/usr/bin/env bash
# eintr-storm.sh — about 10% of reads and writes fail with EINTR, exactly as
# many as the rule fired, the same ones for the same seed; a loop that
# retries EINTR gets all its data, one that does not fails.
. "$(dirname "$0")/plib.sh"
pf_init eintr-storm

# storm FILE N: N one-byte preads then N one-byte pwrites; prints two strings
# of . (ok) and I (EINTR), ? for anything else. Then a read loop retrying
# EINTR over the whole file: prints its byte count. C, because Python and
# Go retry EINTR themselves.
storm=$(sn_cc storm <<'C'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int n = atoi(argv[2]), fd = open(argv[1], O_RDWR);
	char c = 'x', buf[4096], *out = malloc(n + 1);
	long total = 0;
	int nintr = 0;
	ssize_t r;
	if (fd < 0) { perror("open"); return 2; }
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			r = pass ? pwrite(fd, &c, 1, i) : pread(fd, &c, 1, i);
			out[i] = r == 1 ? '.' : (r < 0 && errno == EINTR) ? 'I' : '?';
		}
		out[n] = 0;
		printf("%s\n", out);
	}
	lseek(fd, 0, SEEK_SET);
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR) { nintr++; continue; }
		if (r <= 0) break;
		total += r;
	}
	printf("%ld %d\n", total, nintr);
	return 0;
}
C
)
src=$(sn_tmpdir src)
head -c 100000 /dev/urandom >"$src/f"
N=1000

run_storm() {
	pf_mount --src "$src" -p eintr-storm
	mapfile -t lines < <(sn_run "$storm" "$SN_MNT/f" $N)
	reads=${lines[0]:-} writes=${lines[1]:-}
	read -r total nloop <<<"${lines[2]:-x 0}"
	nr=$(tr -cd I <<<"$reads" | wc -c); nw=$(tr -cd I <<<"$writes" | wc -c)
	sn_eq "no other outcome than ok or EINTR" "" "$(tr -d '.I' <<<"$reads$writes")"
	# 2000 draws at p=0.1, plus the loop's reads: sd 13.4; 6 sd = 80
	sn_check "EINTR on ~10% of 2000 calls (got $((nr + nw)))" test $((nr + nw)) -ge 120 -a $((nr + nw)) -le 280
	sn_eq "the retrying loop read the whole file" 100000 "$total"
	pf_expect_fired eintr-storm $((nr + nw + nloop)) "one fire per EINTR the program saw ($((nr + nw + nloop)))"
	sn_umount
}
run_storm
first="$reads $writes"
run_storm
sn_eq "same seed, same calls interrupted" "$first" "$reads $writes"
sn_done
