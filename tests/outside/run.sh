#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ctest install_outside: install the build into a prefix under <work>, then
# build tests/outside/main.c against that prefix alone, twice (CMake's
# find_package, and pkg-config with a plain compiler command), and run
# each program, which must print "ok". Everything it writes stays in
# <work> (inside the build tree): the prefix, the outside build, and the
# TMPDIR and ledger directory of every program it runs.
#   run.sh <build dir> <work dir> <version> <C compiler> <cmake> <libdir> <nm>
# where <libdir> is CMAKE_INSTALL_LIBDIR (relative to the prefix).
set -euo pipefail

if [ $# -ne 7 ]; then
	echo "usage: run.sh <build dir> <work dir> <version> <C compiler> <cmake> <libdir> <nm>" >&2
	exit 2
fi

build=$1 work=$2 version=$3 cc=$4 cmake=$5 libdir=$6 nm=$7
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=$work/prefix

step() { echo "install_outside: $*"; }
die() {
	echo "install_outside: FAILED: $*" >&2
	exit 1
}

case $work in /*) ;; *) die "work dir must be absolute: $work" ;; esac
rm -rf "$work"
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp IPCTB_LEDGER_DIR=$work/ledger

step "cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" ||
	{ cat "$work/install.log"; die "cmake --install"; }

case $libdir in /*) die "an absolute libdir ($libdir) is outside the prefix" ;; esac
"$src/check_headers.sh" "$cc" "$nm" "$prefix/include" "$prefix/$libdir/libipctb.so" \
	"$work/headers" || die "installed headers"

# The installed tool runs and lists the transports.
names=$("$prefix/bin/ipctb" list --names) || die "$prefix/bin/ipctb list --names"
grep -qx pipe <<<"$names" || die "installed ipctb list --names lacks pipe: $names"
step "$prefix/bin/ipctb list --names: ${names//$'\n'/ }"

# The program must run against the library in the prefix and nowhere else.
check_run() { # check_run <program> [env...]
	local prog=$1 out
	shift
	if ! out=$(env "$@" "$prog" 2>&1); then
		die "$prog: $out"
	fi
	[ "$out" = ok ] || die "$prog printed '$out', not 'ok'"
	step "$prog: ok"
}
check_loads_prefix() { # check_loads_prefix <program> [env...]
	local prog=$1 lib
	shift
	lib=$(env "$@" ldd "$prog" | awk '$1 ~ /^libipctb\.so/ {print $3}')
	case $lib in
	"$prefix"/*) step "$prog loads $lib" ;;
	*) die "$prog loads libipctb from '${lib:-nowhere}', not from $prefix" ;;
	esac
}

step "find_package: configure and build tests/outside"
"$cmake" -S "$src" -B "$work/b" -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
	-DIPCTB_WANT_VERSION="$version" >"$work/configure.log" 2>&1 ||
	{ cat "$work/configure.log"; die "configure with find_package"; }
grep "ipctb $version from" "$work/configure.log" || die "find_package did not report ipctb $version"
"$cmake" --build "$work/b" >"$work/build.log" 2>&1 ||
	{ cat "$work/build.log"; die "build with find_package"; }
check_loads_prefix "$work/b/outside"
check_run "$work/b/outside"
check_run "$work/b/outside_static"

step "pkg-config: compile with a plain $cc command"
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
[ -f "$PKG_CONFIG_PATH/ipctb.pc" ] || die "no $PKG_CONFIG_PATH/ipctb.pc"
flags=$(pkg-config --cflags --libs ipctb) || die "pkg-config --cflags --libs ipctb"
step "pkg-config --cflags --libs ipctb: $flags"
[ "$(pkg-config --modversion ipctb)" = "$version" ] || die "ipctb.pc is not version $version"
# shellcheck disable=SC2086 # the flags are words
"$cc" -Wall -Werror -o "$work/outside_pc" "$src/main.c" $flags ||
	die "$cc with pkg-config's flags"
pclib=$(pkg-config --variable=libdir ipctb)
check_loads_prefix "$work/outside_pc" LD_LIBRARY_PATH="$pclib"
check_run "$work/outside_pc" LD_LIBRARY_PATH="$pclib"
step "all steps passed"
