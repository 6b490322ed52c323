# bench_refs.sh — builds the reference daemons scripts/bench compares against.
# Sourced by scripts/bench; never vendors libfuse code.
#
#   bench_build_pll OUT   libfuse's passthrough_ll from the libfuse3-dev examples
#   bench_build_hp OUT    libfuse's passthrough_hp.cc from Debian's fuse3 source
#                         package (apt-get source fuse3 into a temp dir), built
#                         with g++ -O2 -std=c++17 against pkg-config fuse3
#
# bench_build_hp needs a deb-src entry for bookworm main.  When none exists it
# adds /etc/apt/sources.list.d/snagfs-bench-src.sources, mirroring the URI and
# suite of the existing `deb` entry (deb822 or one-line format), then runs
# apt-get update.  Idempotent: an existing deb-src for main is left alone, and
# the file is only written once.

bench_build_pll() {
	local out=$1 src=/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c
	[ -f "$src" ] || { echo "bench: $src missing (libfuse3-dev)" >&2; return 1; }
	gcc -O2 -o "$out" "$src" $(pkg-config --cflags --libs fuse3)
}

# _bench_has_debsrc: some enabled apt source already offers deb-src for main.
_bench_has_debsrc() {
	grep -hsE '^[[:space:]]*deb-src[[:space:]].*[[:space:]]main([[:space:]]|$)' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
	# deb822: a stanza whose Types include deb-src and Components include main
	awk 'BEGIN { RS = ""; f = 1 }
		/(^|\n)Types:[^\n]*deb-src/ && /(^|\n)Components:[^\n]*main/ &&
		!/(^|\n)Enabled:[[:space:]]*no/ { f = 0 } END { exit f }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null
}

# _bench_debian_uri: the URI and first suite of the `deb` entry for Debian main.
_bench_debian_uri() {
	local line
	line=$(grep -hsE '^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[a-z]+://[^ ]*/debian/?[[:space:]]' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list | head -1)
	if [ -n "$line" ]; then
		echo "$line" | sed -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | awk '{ print $1, $2 }'
		return 0
	fi
	awk 'BEGIN { RS = "" } /(^|\n)Types:[^\n]*deb/ && /(^|\n)URIs:[^\n]*\/debian\/?(\n|[[:space:]]|$)/ {
		u = ""; s = ""; n = split($0, l, "\n")
		for (i = 1; i <= n; i++) {
			if (l[i] ~ /^URIs:/) { split(l[i], a, /[[:space:]]+/); u = a[2] }
			if (l[i] ~ /^Suites:/) { split(l[i], a, /[[:space:]]+/); s = a[2] }
		}
		if (u != "" && s != "") { print u, s; exit }
	}' /etc/apt/sources.list.d/*.sources 2>/dev/null
}

bench_ensure_debsrc() {
	local f=/etc/apt/sources.list.d/snagfs-bench-src.sources uri suite
	_bench_has_debsrc && return 0
	read -r uri suite < <(_bench_debian_uri)
	[ -n "${uri:-}" ] || uri=http://deb.debian.org/debian
	[ -n "${suite:-}" ] || suite=bookworm
	echo "# bench: adding deb-src $uri $suite main ($f) and running apt-get update" >&2
	printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" "$suite" >"$f" || return 1
	apt-get update -qq >&2 || { echo "bench: apt-get update failed" >&2; return 1; }
}

bench_build_hp() {
	local out=$1 tmp ex rc=0
	command -v g++ >/dev/null || { echo "bench: g++ missing (apt-get install g++)" >&2; return 1; }
	bench_ensure_debsrc || return 1
	tmp=$(mktemp -d /tmp/snagfs-bench-fuse3src.XXXXXX)
	# the version matching the installed libfuse3-dev, if apt still knows it
	local ver; ver=$(dpkg-query -W -f '${source:Version}' libfuse3-dev 2>/dev/null)
	if ! (cd "$tmp" && { apt-get source -qq --download-only "fuse3${ver:+=$ver}" >/dev/null 2>&1 ||
		apt-get source -qq --download-only fuse3 >/dev/null 2>&1; } &&
		dpkg-source -x --no-check fuse3_*.dsc src >/dev/null 2>&1); then
		echo "bench: apt-get source fuse3 failed" >&2; rm -rf "$tmp"; return 1
	fi
	ex=$tmp/src/example
	if [ ! -f "$ex/passthrough_hp.cc" ] || [ ! -f "$ex/cxxopts.hpp" ]; then
		echo "bench: fuse3 source has no example/passthrough_hp.cc + cxxopts.hpp" >&2; rc=1
	else
		g++ -O2 -std=c++17 -I"$ex" -o "$out" "$ex/passthrough_hp.cc" \
			$(pkg-config --cflags --libs fuse3) -lpthread || rc=1
	fi
	rm -rf "$tmp"
	return $rc
}
