#!/bin/sh
# save-records.sh FILE MIB — the "application": save MIB MiB of records to
# FILE atomically (write FILE.tmp, fsync, rename). On any error: say why,
# remove the partial file, exit 1. The disk-full profile tests this path.
set -u
file=$1 mib=$2
tmp=$file.tmp
if ! dd if=/dev/zero of="$tmp" bs=1M count="$mib" conv=fsync status=none; then
	echo "save-records: saving $file failed; removing the partial file" >&2
	rm -f "$tmp"
	exit 1
fi
mv "$tmp" "$file"
