# ownership.sh — with -o allow_other, what an unprivileged user creates is
# owned by that user in SOURCE, and permission checks refuse what the source
# directory itself would refuse (same errno); non-owner writes clear setuid.
# Usage: bash ownership.sh [--cache=strict|normal|writeback]
. "$(dirname "$0")/lib.sh"
cache=${1:-}
sn_init "ownership${cache:+.${cache#--cache=}}"
sn_mount -o allow_other ${cache:+"$cache"}
M=$SN_MNT S=$SN_SRC
as_nobody() { sn_run setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
probe_nobody() {
	local out rc
	out=$(as_nobody "$SN_PROBE" "$@" 2>/dev/null); rc=$?
	case $rc in 0|1) echo "$out" ;; *) echo "crash $rc $out" ;; esac
}
expect_nobody() {  # expect_nobody WANT OP PATH-RELATIVE-TO-ROOT [ARGS]
	local want=$1 op=$2 rel=$3; shift 3
	local m s
	m=$(probe_nobody "$op" "$M/$rel" "$@")
	case $want in ok) [[ $m == ok* ]] ;; *) [ "$m" = "err $want" ] ;; esac \
		&& sn_pass "as 65534: $op $rel -> $m" || sn_fail "as 65534: $op $rel: expected $want, got '$m'"
}
same_nobody() {    # same_nobody OP REL [ARGS]: as 65534, mount and source agree
	local op=$1 rel=$2; shift 2
	local m s
	m=$(probe_nobody "$op" "$M/$rel" "$@"); s=$(probe_nobody "$op" "$S/$rel" "$@")
	[ "$m" = "$s" ] && sn_pass "as 65534: $op $rel -> $m (same as source)" \
		|| sn_fail "as 65534: $op $rel: source '$s', mount '$m'"
}

sn_run mkdir "$M/public"; sn_run chmod 1777 "$M/public"
sn_eq "1777 dir in source" "1777 0:0" "$(stat -c '%a %u:%g' "$S/public")"
sn_check "nobody creates a file" as_nobody sh -c 'echo mine >"$1"' _ "$M/public/file"
sn_check "nobody creates a directory" as_nobody mkdir "$M/public/dir"
sn_check "nobody creates a fifo" as_nobody mkfifo "$M/public/fifo"
sn_check "nobody creates a symlink" as_nobody ln -s file "$M/public/link"
sn_check "nobody creates a hard link" as_nobody ln "$M/public/file" "$M/public/hard"
sn_check "nobody creates a file in its dir" as_nobody touch "$M/public/dir/inner"
for f in file dir fifo link dir/inner; do
	sn_eq "$f owned by 65534:65534 in source" "65534:65534" "$(stat -c %u:%g "$S/public/$f" 2>&1)"
	sn_eq "$f owned by 65534:65534 via mount" "65534:65534" "$(sn_run stat -c %u:%g "$M/public/$f" 2>&1)"
done
sn_eq "mode of nobody's file follows umask" "$(stat -c %a "$S/public/file")" "$(sn_stat %a "$M/public/file")"
# setgid directory: new entries inherit the group
sn_run mkdir "$M/sgid"; sn_run chown 0:4242 "$M/sgid"; sn_run chmod 2777 "$M/sgid"
sn_check "nobody creates in a setgid dir" as_nobody touch "$M/sgid/f"
sn_eq "setgid dir: group inherited in source" "65534:4242" "$(stat -c %u:%g "$S/sgid/f" 2>&1)"

# permission checks
sn_run mkdir "$M/rootonly"; sn_run chmod 0755 "$M/rootonly"
sn_run sh -c 'echo secret >"$1"; chmod 0600 "$1"; echo pub >"$2"; chmod 0644 "$2"' _ "$M/rootonly/secret" "$M/rootonly/pub"
expect_nobody EACCES creat rootonly/new
same_nobody creat rootonly/new2
expect_nobody EACCES mkdir rootonly/newdir
same_nobody mkdir rootonly/newdir
expect_nobody EACCES mknod-fifo rootonly/fifo
expect_nobody EACCES symlink rootonly/sl target
expect_nobody EACCES unlink rootonly/pub
same_nobody unlink rootonly/pub
expect_nobody EACCES rename rootonly/pub "$M/public/stolen"
expect_nobody EACCES open rootonly/secret
same_nobody open rootonly/secret
expect_nobody EACCES open rootonly/pub wronly
same_nobody open rootonly/pub wronly
expect_nobody ok open rootonly/pub
expect_nobody EPERM chmod rootonly/pub 0777
same_nobody chmod rootonly/pub 0777
expect_nobody EPERM chown rootonly/pub 65534 65534
expect_nobody EPERM utimens rootonly/pub 1 0
expect_nobody EACCES truncate rootonly/pub 0
sn_eq "nothing created by the refused calls" "pub secret" "$(ls "$S/rootonly" | tr '\n' ' ' | sed 's/ $//')"
# sticky /public: nobody cannot remove root's file there
sn_run touch "$M/public/roots"
expect_nobody EPERM unlink public/roots
same_nobody unlink public/roots
sn_run chmod 0700 "$M/rootonly"
expect_nobody EACCES stat rootonly/pub
same_nobody stat rootonly/pub
# writes by a non-owner clear setuid/setgid (the daemon writes as root,
# which would keep them unless it handles killpriv); 2666: setgid without
# group execute, cleared only because nobody is not in the file's group
nobody_changes() { # HOW FILE: a write, truncate or open(O_TRUNC) as 65534
	case $1 in
	write) as_nobody sh -c 'echo more >>"$1"' _ "$2" ;;
	truncate) as_nobody truncate -s 1 "$2" ;;
	opentrunc) as_nobody sh -c 'echo new >"$1"' _ "$2" ;;
	esac
}
for mode in 6777 2666; do
	for how in write truncate opentrunc; do
		f=suid-$mode-$how
		sn_run sh -c 'echo x >"$1"; chmod "$2" "$1"' _ "$M/public/$f" $mode
		sn_run sh -c 'echo x >"$1"; chmod "$2" "$1"' _ "$S/public/$f-src" $mode
		nobody_changes $how "$M/public/$f"
		nobody_changes $how "$S/public/$f-src"
		sn_eq "$mode: non-owner $how clears setuid/setgid as on the source" \
			"$(stat -c %a "$S/public/$f-src")" "$(stat -c %a "$S/public/$f")"
	done
done
# and drop file capabilities (security.capability; cap_net_bind_service+p)
cap=0x0000000200040000000000000000000000000000
for how in write truncate opentrunc; do
	f=cap-$how
	sn_run sh -c 'echo x >"$1"; chmod 0666 "$1"' _ "$M/public/$f"
	sn_run sh -c 'echo x >"$1"; chmod 0666 "$1"' _ "$S/public/$f-src"
	sn_run setfattr -n security.capability -v $cap "$S/public/$f"
	sn_run setfattr -n security.capability -v $cap "$S/public/$f-src"
	sn_eq "capability set through the mount is visible" "security.capability=$cap" \
		"$(getfattr -e hex -n security.capability --absolute-names "$M/public/$f" 2>&1 | grep =)"
	nobody_changes $how "$M/public/$f"
	nobody_changes $how "$S/public/$f-src"
	sn_eq "non-owner $how drops security.capability as on the source" \
		"$(getfattr -e hex -n security.capability --absolute-names "$S/public/$f-src" 2>&1 | grep -c =)" \
		"$(getfattr -e hex -n security.capability --absolute-names "$S/public/$f" 2>&1 | grep -c =)"
done
sn_run sh -c 'echo x >"$1"; chown 65534:65534 "$1"; chmod 6755 "$1"' _ "$M/public/suid-chown"
sn_run chown 0:0 "$M/public/suid-chown"
sn_eq "chown clears setuid" "755" "$(stat -c %a "$S/public/suid-chown")"
# supplementary groups are honoured: a group-writable dir of group 4343
sn_run mkdir "$M/grpdir"; sn_run chown 0:4343 "$M/grpdir"; sn_run chmod 0770 "$M/grpdir"
sn_check "supplementary group grants access" \
	setpriv --reuid 65534 --regid 65534 --groups 4343 touch "$M/grpdir/f"
sn_eq "file made via supplementary group owned by 65534:65534" "65534:65534" "$(stat -c %u:%g "$S/grpdir/f" 2>&1)"
expect_nobody EACCES creat grpdir/g
# nobody's own file: chmod allowed, chown to root refused
expect_nobody ok chmod public/file 0600
expect_nobody EPERM chown public/file 0 0
expect_nobody ok utimens public/file 1000 5
sn_eq "nobody's utimens reached the source" "1000" "$(stat -c %Y "$S/public/file")"
sn_check "daemon alive" sn_daemon_alive
sn_umount
sn_check_inodes_left
sn_done
