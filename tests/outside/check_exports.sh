#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ctest lib_exports: libipctb.so exports exactly the public API. Its
# dynamic symbols (nm -D --defined-only) must contain no internal ipctb__
# name and nothing outside the ipctb_ namespace, must contain the names a
# user cannot do without, and must equal the public (ipctb_ and a letter)
# globals of the static library built from the same objects, so a public
# function the version script forgot is caught as well as an internal one
# it let through. Prints "exports: ok (N symbols)" or each problem.
#   check_exports.sh <nm> <libipctb.so> <libipctb.a>
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: check_exports.sh <nm> <libipctb.so> <libipctb.a>" >&2
	exit 2
fi

nm=$1 so=$2 ar=$3
[ -f "$so" ] || { echo "exports: no library $so"; exit 1; }
[ -f "$ar" ] || { echo "exports: no library $ar"; exit 1; }
# Defined dynamic symbols of any type but the version-node absolutes.
dyn=$("$nm" -D --defined-only "$so" | awk 'NF == 3 && $2 != "A" {print $3}' | sort -u)
public=$("$nm" -g --defined-only "$ar" | awk 'NF == 3 && $3 ~ /^ipctb_[^_]/ {print $3}' |
	sort -u)

bad=0
while read -r s; do
	[ -n "$s" ] || continue
	case $s in
	ipctb__*) echo "exports: exports internal symbol $s" ;;
	ipctb_*) continue ;;
	*) echo "exports: exports symbol outside the ipctb_ namespace: $s" ;;
	esac
	bad=1
done <<<"$dyn"
for s in ipctb_chan_create ipctb_chan_send ipctb_chan_recv ipctb_chan_destroy \
	ipctb_strerror ipctb_errdetail; do
	grep -qx "$s" <<<"$dyn" || { echo "exports: missing public symbol $s"; bad=1; }
done
while read -r s; do
	echo "exports: public symbol $s of the static library is not exported"
	bad=1
done < <(comm -23 <(echo "$public") <(echo "$dyn") | grep .)
[ -n "$dyn" ] || { echo "exports: no dynamic symbols in $so"; bad=1; }
if [ "$bad" != 0 ]; then
	echo "exports: FAILED for $so"
	exit 1
fi
echo "exports: ok ($(wc -l <<<"$dyn") symbols)"
