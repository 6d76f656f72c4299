#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The installed headers as a user meets them (called by run.sh; and by the
# negative control install_headers_negative_control on a planted header):
#  - each <ipctb/X.h> compiles on its own with only <include dir> on the
#    path, so none needs a header that is not installed;
#  - every function they declare is exported by libipctb.so, so a program
#    that calls it links: a declaration of an internal ipctb__ function, or
#    of one the version script leaves out, is reported. The declarations
#    come from gcc's -aux-info (comments and macros cannot fool it); with
#    another compiler this half is skipped, saying so.
# Writes only into <scratch dir>. Prints "headers: ok (...)" or each problem.
#   check_headers.sh <cc> <nm> <include dir> <libipctb.so> <scratch dir>
set -euo pipefail

if [ $# -ne 5 ]; then
	echo "usage: check_headers.sh <cc> <nm> <include dir> <libipctb.so> <scratch dir>" >&2
	exit 2
fi

cc=$1 nm=$2 inc=$3 so=$4 tmp=$5
mkdir -p "$tmp"
mapfile -t hdrs < <(cd "$inc/ipctb" && ls -- *.h)
[ ${#hdrs[@]} -gt 0 ] || { echo "headers: no header in $inc/ipctb"; exit 1; }

bad=0
# In the compiler's default mode and in strict ISO C11, where glibc
# declares fewer names (key_t only through <sys/ipc.h> there).
for h in "${hdrs[@]}"; do
	printf '#include <ipctb/%s>\n' "$h" >"$tmp/one.c"
	for std in "" -std=c11; do
		if ! "$cc" $std -fsyntax-only -Wall -Werror -I"$inc" "$tmp/one.c" >"$tmp/one.log" 2>&1; then
			echo "headers: ipctb/$h does not compile on its own (${std:-default mode}):"
			sed 's/^/  /' "$tmp/one.log"
			bad=1
		fi
	done
done

declared=0
if "$cc" --version 2>/dev/null | grep -q '^gcc\|GCC'; then
	printf '#include <ipctb/%s>\n' "${hdrs[@]}" >"$tmp/all.c"
	"$cc" -fsyntax-only -I"$inc" -aux-info "$tmp/aux.txt" "$tmp/all.c"
	dyn=$("$nm" -D --defined-only "$so" | awk 'NF == 3 {print $3}')
	# Lines: /* <file>:<line>:NC */ extern int ipctb_x (int);  Only
	# extern declarations of our headers; static inline ones need no export.
	while IFS= read -r line; do
		where=${line%% \*/*}
		where=${where#/\* }
		where=${where%:*} # <file>:<line>
		name=$(grep -o '[A-Za-z_][A-Za-z0-9_]* (' <<<"${line#*\*/}" | head -n1)
		name=${name% (}
		declared=$((declared + 1))
		if ! grep -qx -- "$name" <<<"$dyn"; then
			echo "headers: ${where#"$inc"/} declares $name, which $(basename "$so") does not export"
			bad=1
		fi
	done < <(grep -F "/* $inc/ipctb/" "$tmp/aux.txt" | grep '\*/ extern ')
else
	echo "headers: $cc is not gcc (no -aux-info): declared functions not checked"
fi

if [ "$bad" != 0 ]; then
	echo "headers: FAILED"
	exit 1
fi
echo "headers: ok (${#hdrs[@]} headers compile alone; $declared declared functions, all exported)"
