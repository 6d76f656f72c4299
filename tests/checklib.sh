# SPDX-License-Identifier: MIT
# Shell helpers of the ctest scripts that drive the tool and check what it
# prints (tests/plugin/check.sh, fuzz/fuzz_cli.sh). Sourced, after the
# script has set $work (its own directory of the build tree).
#   run RC CMD...  run CMD, its output into $work/out (and the log); fail
#                  unless it exits RC
#   has RE         fail unless the last output matches RE (grep basic RE)
#   lacks RE       fail if it does
fail() { echo "FAIL: $*"; exit 1; }
run() {
	want=$1
	shift
	echo "+ $*"
	"$@" >"$work/out" 2>&1
	rc=$?
	cat "$work/out"
	[ "$rc" -eq "$want" ] || fail "exit $rc, expected $want"
}
has() { grep -q -- "$1" "$work/out" || fail "output lacks: $1"; }
lacks() { ! grep -q -- "$1" "$work/out" || fail "output has: $1"; }
