#!/usr/bin/env bash
# clang_format.sh — every C source and header is formatted as .clang-format
# says (STYLE.md: "a checked-in .clang-format; CI checks it"). Lists the
# files that are not, with the first differences; exit 1 then.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v clang-format >/dev/null || { echo "clang-format not installed (scripts/setup-deps)"; exit 77; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files '*.c' '*.h')
else
	mapfile -t files < <(find . -path ./build -prune -o \( -name '*.c' -o -name '*.h' \) -print)
fi
bad=0
for f in "${files[@]}"; do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (clang-format -i $f)"
		clang-format "$f" | diff -u "$f" - | head -20
		bad=1
	fi
done
echo "${#files[@]} files checked"
exit $bad
