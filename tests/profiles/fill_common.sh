# fill_common.sh — shared body of disk-full.sh and xfs-quota.sh: fill the
# budget with 1,000,000-byte writes, then check what fails and what still
# works. Needs PROFILE, LIMIT (bytes), ERR (errno name), RULE (rule id).
pf_init "$PROFILE"
src=$(sn_tmpdir src)
mkdir "$src/d"; echo keep >"$src/d/old"
pf_mount --src "$src" -p "$PROFILE"

# The writes that fit return 1000000, the one that crosses the limit returns
# exactly what was left (a real filling disk's short write), the next fails.
full=$((LIMIT / 1000000)) rest=$((LIMIT % 1000000))
want=$(for i in $(seq "$full"); do printf '1000000,'; done; echo "$rest,$ERR")
got=$(pf_py "
fd = os.open(M + '/d/big', os.O_WRONLY | os.O_CREAT, 0o644); out = []
while True:
    try: n = os.write(fd, b'x' * 1000000); out.append(str(n))
    except OSError as e: out.append(ename(e)); break
    if len(out) > 1000: break
os.close(fd)
print(','.join(out))")
sn_eq "writes: $full full, one short of $rest bytes, then $ERR" "$want" "$got"
sn_eq "the file holds exactly the budget" "$LIMIT" "$(stat -c %s "$src/d/big")"

# everything that needs new space fails
sn_expect_errno "$ERR" write "$SN_MNT/d/big2" 1
sn_expect_errno "$ERR" creat "$SN_MNT/d/new"
sn_expect_errno "$ERR" mkdir "$SN_MNT/d/newdir"
sn_expect_errno "$ERR" symlink "$SN_MNT/d/ln" old
sn_expect_errno "$ERR" link "$SN_MNT/d/old" "$SN_MNT/d/hard"
sn_expect_errno "$ERR" fallocate "$SN_MNT/d/old" default 0 1048576
sn_expect_errno "$ERR" setxattr "$SN_MNT/d/old" user.k v
sn_expect_errno "$ERR" append "$SN_MNT/d/old" 10
nf=$(pf_fired "$RULE")
sn_eq "fires: the short write + the error of the loop + 8 refused calls" 10 "$nf"

# cleanup paths keep working
sn_expect_errno "ok 4096" read "$SN_MNT/d/big" 4096 0
sn_expect_errno ok stat "$SN_MNT/d/big"
sn_expect_errno ok truncate "$SN_MNT/d/big" 1048576
sn_eq "truncate took effect" 1048576 "$(stat -c %s "$src/d/big")"
sn_expect_errno ok rename "$SN_MNT/d/big" "$SN_MNT/d/big.old"
sn_expect_errno ok fsync "$SN_MNT/d/old"
sn_expect_errno ok unlink "$SN_MNT/d/big.old"

# the model's budget never refills (documented in the profile)
sn_expect_errno "$ERR" write "$SN_MNT/d/after-delete" 1
sn_eq "old file intact" keep "$(sn_run cat "$SN_MNT/d/old")"
sn_umount
sn_done
