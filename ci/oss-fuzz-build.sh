#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the fuzz targets the way OSS-Fuzz and ClusterFuzzLite expect
# (their build.sh calls this). Honours:
#   CC, CFLAGS            compiler and flags (sanitizers, coverage) to use
#   CXX, CXXFLAGS         linker for LIB_FUZZING_ENGINE when set (libFuzzer is C++)
#   LIB_FUZZING_ENGINE    the engine to link, e.g. -fsanitize=fuzzer
#   OUT                   where <target>, <target>_seed_corpus.zip,
#                         <target>.dict and <target>.options go
#   SRC                   the ipctb checkout (default: this script's repo)
#   WORK                  scratch dir for objects (default: a mktemp dir)
# Targets come from fuzz/targets.txt. Local check (what ctest runs):
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out ci/oss-fuzz-build.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC=${SRC:-$here}
[ -f "$SRC/fuzz/targets.txt" ] || SRC=$here
: "${CC:?set CC}" "${OUT:?set OUT}" "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE}"
CFLAGS=${CFLAGS:-}
LINK=${CXX:-$CC}
LINKFLAGS=${CXXFLAGS:-$CFLAGS}
own_work=0
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d)
	own_work=1
fi
cleanup() { if [ "$own_work" = 1 ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT
mkdir -p "$OUT" "$WORK/obj"

# shellcheck disable=SC2206 # CFLAGS is a list of words by convention
cflags=($CFLAGS -std=gnu11 -g -I"$SRC/ipc/include" -I"$SRC/ipc" -I"$SRC/fuzz")
# Leave the CRC loop out of comparison tracing where the compiler can.
ign="$SRC/fuzz/cov_ignore.txt"
if echo 'int x;' | "$CC" -x c -c -o /dev/null - \
	"-fsanitize-coverage-ignorelist=$ign" 2>/dev/null; then
	cflags+=("-fsanitize-coverage-ignorelist=$ign")
fi

# The library's sources come from the one list CMake reads as well.
echo "oss-fuzz-build: library (ipc/sources.txt) with $CC ${cflags[*]}"
objs=()
while IFS= read -r rel; do
	case $rel in '' | '#'*) continue ;; esac
	f="$SRC/ipc/$rel"
	[ -f "$f" ] || { echo "oss-fuzz-build: $f listed in ipc/sources.txt is missing" >&2; exit 1; }
	o="$WORK/obj/lib_$(echo "${rel%.c}" | tr / _).o"
	"$CC" "${cflags[@]}" -c "$f" -o "$o"
	objs+=("$o")
done <"$SRC/ipc/sources.txt"
[ ${#objs[@]} -gt 0 ] || { echo "oss-fuzz-build: no sources in ipc/sources.txt" >&2; exit 1; }
rm -f "$WORK/libipctb.a"
ar rcs "$WORK/libipctb.a" "${objs[@]}"

zipdir() { # zipdir <zip> <dir>...: flat archive of the regular files
	local zipf=$1
	shift
	rm -f "$zipf"
	if command -v zip >/dev/null; then
		local files=()
		for d in "$@"; do
			[ -d "$d" ] || continue
			while IFS= read -r -d '' x; do files+=("$x"); done \
				< <(find "$d" -maxdepth 1 -type f ! -name '.*' -print0 | sort -z)
		done
		if [ "${#files[@]}" -gt 0 ]; then
			zip -q -j "$zipf" "${files[@]}"
		fi
	else
		python3 - "$zipf" "$@" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for d in sys.argv[2:]:
        if os.path.isdir(d):
            for n in sorted(os.listdir(d)):
                p = os.path.join(d, n)
                if os.path.isfile(p) and not n.startswith("."):
                    z.write(p, n)
PY
	fi
}

n=0
while read -r name dict maxlen extra; do
	case "$name" in '' | '#'*) continue ;; esac
	srcs=("$SRC/fuzz/$name.c")
	for e in $extra; do srcs+=("$SRC/fuzz/$e"); done
	tobjs=()
	for s in "${srcs[@]}"; do
		o="$WORK/obj/${name}_$(basename "${s%.c}").o"
		"$CC" "${cflags[@]}" -c "$s" -o "$o"
		tobjs+=("$o")
	done
	# shellcheck disable=SC2086 # both are word lists by convention
	"$LINK" $LINKFLAGS "${tobjs[@]}" "$WORK/libipctb.a" $LIB_FUZZING_ENGINE \
		-lrt -lpthread -o "$OUT/$name"
	zipdir "$OUT/${name}_seed_corpus.zip" "$SRC/fuzz/corpus/$name" \
		"$SRC/fuzz/regress/$name"
	{
		echo "[libfuzzer]"
		echo "max_len = $maxlen"
	} >"$OUT/$name.options"
	if [ "$dict" != "-" ]; then
		cp "$SRC/fuzz/dict/$dict" "$OUT/$name.dict"
	fi
	echo "oss-fuzz-build: $OUT/$name"
	n=$((n + 1))
done <"$SRC/fuzz/targets.txt"
[ "$n" -gt 0 ] || { echo "oss-fuzz-build: no targets" >&2; exit 1; }
echo "oss-fuzz-build: $n target(s) in $OUT"
