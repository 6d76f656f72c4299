#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ctest plugin_example: install the build into a prefix under WORK, then
# configure, build and test tests/plugin_example/ (an outside project with
# its own plug-in) against that prefix alone, as a user would, and require
# its ctest entries from ipctb_add_plugin(): each present, each passing
# (the broken lock's entry passes when the tool catches it; the saved
# seed replays). Everything it writes stays in WORK.
#   example.sh <build dir> <work dir> <C compiler> <cmake> <ctest>
set -euo pipefail

if [ $# -ne 5 ]; then
	echo "usage: example.sh <build dir> <work dir> <C compiler> <cmake> <ctest>" >&2
	exit 2
fi
build=$1 work=$2 cc=$3 cmake=$4 ctest=$5
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../plugin_example" && pwd)
prefix=$work/prefix

step() { echo "plugin_example: $*"; }
die() {
	echo "plugin_example: FAILED: $*" >&2
	exit 1
}

case $work in /*) ;; *) die "work dir must be absolute: $work" ;; esac
rm -rf "$work"
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp IPCTB_LEDGER_DIR=$work/ledger

step "cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" ||
	{ cat "$work/install.log"; die "cmake --install"; }

step "configure and build $src against $prefix"
"$cmake" -S "$src" -B "$work/b" -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
	>"$work/configure.log" 2>&1 || { cat "$work/configure.log"; die "configure"; }
"$cmake" --build "$work/b" >"$work/build.log" 2>&1 || { cat "$work/build.log"; die "build"; }
plugs=("$work"/b/*example.so)
plug=${plugs[0]}
[ -f "$plug" ] || die "no plug-in built in $work/b"
ldd "$plug" | grep -q libipctb && die "the plug-in links libipctb"

# The entries the function must have added, and which tool they run.
"$ctest" --test-dir "$work/b" -N >"$work/list.log" 2>&1 || { cat "$work/list.log"; die "ctest -N"; }
for t in example/conform/ex_dgram example/stress/ex_tas example/threads/ex_tas \
	example/explore/ex_tas example/caught/ex_tas_broken example/decoder/ex_frame \
	example/decoder/ex_frame_broken example/replay/counter-ex_tas_broken-pct-4.seed \
	example/fuzz_caught/ex_frame_broken example/fuzz_replay/ex_frame; do
	grep -q " $t\$" "$work/list.log" || { cat "$work/list.log"; die "no ctest entry $t"; }
done
step "$(grep -c 'Test *#' "$work/list.log") entries"
"$ctest" --test-dir "$work/b" -V -R replay >"$work/replay.log" 2>&1 || true
grep -qF "$prefix/bin/ipctb \"replay\" \"$work/b/ipctb-seeds/example/" "$work/replay.log" ||
	{ cat "$work/replay.log"; die "the replay entry does not run the installed tool on the build's seed copy"; }
grep -q "^plugin $plug\$" "$work/b/ipctb-seeds/example/counter-ex_tas_broken-pct-4.seed" ||
	die "the seed copy does not name $plug"

step "ctest in $work/b"
"$ctest" --test-dir "$work/b" --output-on-failure -j1 >"$work/ctest.log" 2>&1 ||
	{ cat "$work/ctest.log"; die "the example's ctest"; }
cat "$work/ctest.log"
grep -q "100% tests passed" "$work/ctest.log" || die "not every entry passed"

# `ipctb fuzz` of the installed tool, with no --target, takes the decoder
# fuzz target installed beside it, and catches the broken decoder on the
# saved crash.
step "$prefix/bin/ipctb fuzz over the saved crash"
rc=0
"$prefix/bin/ipctb" fuzz --plugin "$plug" --decoder ex_frame_broken --crashes "$work/crashes" \
	"$src/crashes" >"$work/fuzz.log" 2>&1 || rc=$?
cat "$work/fuzz.log"
[ "$rc" -eq 1 ] || die "ipctb fuzz exited $rc, not 1"
grep -q "target $prefix/bin/ipctb-fuzz-decoder (" "$work/fuzz.log" ||
	die "ipctb fuzz did not take the target installed beside it"
grep -q '^crash: .*; replay: ' "$work/fuzz.log" || die "ipctb fuzz reported no crash"

# The walk of README "Plug-ins", command for command: from an empty
# directory (the example's CMakeLists.txt and sources, no seed, no saved
# crash), configure, build and test; let the tool catch the broken lock
# and save its seed; replay it; build again, which finds the new seed,
# and test again, with its replay entry.
step "the README's walk, in $work/walk"
ipctb=$prefix/bin/ipctb
mkdir "$work/walk"
cd "$work/walk"
cp "$src/CMakeLists.txt" "$src"/*.c "$src"/*.h .
"$cmake" -S . -B build -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
	>"$work/walk-configure.log" 2>&1 || { cat "$work/walk-configure.log"; die "walk: configure"; }
"$cmake" --build build >"$work/walk-build.log" 2>&1 || { cat "$work/walk-build.log"; die "walk: build"; }
"$ctest" --test-dir build >"$work/walk-ctest1.log" 2>&1 || { cat "$work/walk-ctest1.log"; die "walk: ctest"; }
grep -q "/replay/" "$work/walk-ctest1.log" && die "walk: a replay entry before any seed"
mkdir seeds
rc=0
"$ipctb" stress --plugin build/libexample.so --scheme ex_tas_broken --scenario counter \
	--strategy pct --explore --budget 60s --save-seed seeds >"$work/walk-stress.log" 2>&1 || rc=$?
cat "$work/walk-stress.log"
[ "$rc" -eq 1 ] || die "walk: ipctb stress exited $rc, not 1"
grep -q 'violation (invariant)' "$work/walk-stress.log" || die "walk: no violation reported"
seeds=(seeds/counter-ex_tas_broken-pct-*.seed)
[ -f "${seeds[0]}" ] || die "walk: no seed saved"
"$ipctb" replay "${seeds[0]}" >"$work/walk-replay.log" 2>&1 || { cat "$work/walk-replay.log"; die "walk: replay"; }
cat "$work/walk-replay.log"
"$cmake" --build build >>"$work/walk-build.log" 2>&1 || { cat "$work/walk-build.log"; die "walk: rebuild"; }
"$ctest" --test-dir build >"$work/walk-ctest2.log" 2>&1 || { cat "$work/walk-ctest2.log"; die "walk: ctest with the seed"; }
grep -q "example/replay/${seeds[0]#seeds/} .*Passed" "$work/walk-ctest2.log" ||
	{ cat "$work/walk-ctest2.log"; die "walk: the saved seed has no passing replay entry"; }
step "walk: $(grep 'tests passed' "$work/walk-ctest2.log")"
cd "$work"

# Negative control: the same sources with the roles swapped (a second
# project, written here, as the example's would be): the function's
# exploration of a "correct" lock must fail on the broken one, and its
# "caught" entry must fail on the correct one.
step "negative control: roles swapped"
mkdir -p "$work/neg"
cat >"$work/neg/CMakeLists.txt" <<NEG
cmake_minimum_required(VERSION 3.16)
project(ipctb_plugin_example_neg LANGUAGES C)
find_package(ipctb REQUIRED)
enable_testing()
add_library(example MODULE $src/plugin.c $src/lock_tas.c $src/chan_dgram.c $src/decoder.c)
target_link_libraries(example PRIVATE ipctb::plugin)
ipctb_add_plugin(TARGET example LOCKS ex_tas_broken BROKEN_LOCKS ex_tas DECODERS no_such
                 BROKEN_DECODERS ex_frame CRASHES $src/crashes)
NEG
"$cmake" -S "$work/neg" -B "$work/nb" -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
	>"$work/neg-configure.log" 2>&1 || { cat "$work/neg-configure.log"; die "configure (neg)"; }
"$cmake" --build "$work/nb" >"$work/neg-build.log" 2>&1 || { cat "$work/neg-build.log"; die "build (neg)"; }
if "$ctest" --test-dir "$work/nb" -R 'explore|caught|decoder' -j1 >"$work/neg-ctest.log" 2>&1; then
	cat "$work/neg-ctest.log"
	die "the swapped roles passed"
fi
for t in example/explore/ex_tas_broken example/caught/ex_tas example/decoder/no_such \
	example/fuzz_caught/ex_frame; do
	grep -q "Test *#[0-9]*: $t \.*\*\*\*Failed" "$work/neg-ctest.log" ||
		{ cat "$work/neg-ctest.log"; die "$t did not fail"; }
	step "negative control: $t failed, as it must"
done
step "all steps passed"
