#!/bin/sh
# SPDX-License-Identifier: MIT
# The ctest entries fuzz_cli/<case> (fuzz/CMakeLists.txt): `ipctb fuzz`
# over the test plug-in's decoders and the built-in one. Writes only
# under WORK (emptied first).
#   fuzz_cli.sh CASE TOOL PLUGIN WRONG_ABI_PLUGIN SRC WORK
set -u
[ $# -eq 6 ] || { echo "usage: fuzz_cli.sh CASE TOOL PLUGIN WRONG_ABI SRC WORK" >&2; exit 2; }
case=$1 tool=$2 plug=$3 wrong=$4 src=$5 work=$6
rm -rf "$work" && mkdir -p "$work" || exit 1
crash="$src/fuzz/negative/fuzz_frame_plugin/crash"
corpus="$src/fuzz/corpus/fuzz_frame_decode"
check='FUZZ CHECK FAILED: (size_t)r <= size - off'

# fail, run, has, lacks
. "$(dirname "$0")/../tests/checklib.sh"
# The one command of the last "replay: " line, run again: it must
# reproduce the crash (exit 1, the check's message).
replays() {
	cmd=$(sed -n 's/^crash: .*; replay: //p' "$work/out" | tail -n 1)
	[ -n "$cmd" ] || fail "no replay command"
	run 1 sh -c "$cmd"
	has "$check"
}

case $case in
usage/flags)
	run 0 "$tool" fuzz --help
	has 'usage: ipctb fuzz'
	run 2 "$tool" fuzz --decoder frame --bogus
	has "unknown option '--bogus'"
	run 2 "$tool" fuzz --decoder frame --bogus=1 --seconds 5
	has 'unknown option'
	run 2 "$tool" fuzz --decoder frame --sec 5
	has 'spelled out in full'
	for v in 0 x 5x -1 604801; do
		run 2 "$tool" fuzz --decoder frame --seconds "$v"
		has '--seconds wants a whole number from 1 to 604800'
	done
	run 2 "$tool" fuzz --decoder frame --seed 0
	has '--seed wants a whole number from 1 to 4294967295'
	run 2 "$tool" fuzz --decoder frame --runs 2147483648
	has '--runs wants'
	run 2 "$tool" fuzz --decoder frame --seconds 5 --runs 5
	has 'exclude each other'
	run 2 "$tool" fuzz --seconds 5
	has '--decoder NAME is required'
	run 2 "$tool" fuzz --list --decoder frame
	has '--list goes with --plugin only'
	run 2 "$tool" fuzz --decoder frame --seed 3 "$crash"
	has 'INPUT files are replayed'
	run 2 "$tool" fuzz --decoder frame "$work/none"
	has "input $work/none: No such file or directory"
	mkdir "$work/empty"
	run 2 "$tool" fuzz --decoder frame "$work/empty"
	has 'no input file'
	run 0 "$tool" fuzz --list --plugin "$plug"
	has '^plug_frame_broken \[plugin testplug\] \[broken twin\]'
	;;
usage/unknown_decoder)
	run 2 "$tool" fuzz --decoder plug_frame
	has "unknown decoder 'plug_frame'; registered:"
	has '^  frame$'
	run 2 "$tool" fuzz --plugin "$plug" --decoder nope "$crash"
	has '^  plug_frame \[plugin testplug\]'
	lacks 'replaying'
	;;
usage/unsafe_plugin)
	# The plug-in is refused before anything else: the target named
	# (which does not exist) is never looked at.
	cp "$plug" "$work/copy.so" && chmod 0775 "$work/copy.so" || fail "cp"
	run 2 "$tool" fuzz --plugin "$work/copy.so" --decoder plug_frame --target "$work/no-target"
	has "plugin $work/copy.so: group-writable (mode 0775): refused"
	lacks 'no-target'
	chmod 0757 "$work/copy.so"
	run 2 "$tool" fuzz --decoder plug_frame --plugin "$work/copy.so" "$crash"
	has 'world-writable'
	ln -s "$plug" "$work/link.so"
	run 2 "$tool" fuzz --plugin "$work/link.so" --decoder plug_frame "$crash"
	has 'a symbolic link (not followed)'
	run 2 "$tool" fuzz --plugin "$wrong" --decoder plug_frame "$crash"
	has "plugin $wrong: built for ipctb ABI version 99, this ipctb has version 1"
	lacks 'replaying'
	;;
usage/unsafe_target)
	run 0 "$tool" fuzz --decoder frame "$crash"
	target=$(sed -n 's/^decoder frame (built in), target \(.*\) (.*)$/\1/p' "$work/out")
	[ -f "$target" ] || fail "the target found is not named"
	ln -s "$target" "$work/link"
	run 2 "$tool" fuzz --decoder frame --target "$work/link" "$crash"
	has 'a symbolic link (not followed)'
	cp "$target" "$work/copy" && chmod 0775 "$work/copy" || fail "cp"
	run 2 "$tool" fuzz --decoder frame --target "$work/copy" "$crash"
	has "target $work/copy (from --target): group-writable (mode 0775)"
	chmod 0644 "$work/copy"
	run 2 "$tool" fuzz --decoder frame --target "$work/copy" "$crash"
	has 'not executable'
	run 2 "$tool" fuzz --decoder frame --target "$work" "$crash"
	has 'not a regular file'
	# an executable that is not the decoder target does not pass for one
	true=/usr/bin/true
	[ -x $true ] || true=/bin/true
	run 2 "$tool" fuzz --decoder frame --target $true "$crash"
	has 'is not ipctb.s decoder fuzz target'
	run 2 env IPCTB_FUZZ_TARGET="$work/none" "$tool" fuzz --decoder frame "$crash"
	has "target $work/none (from IPCTB_FUZZ_TARGET): No such file"
	# the safe copy is taken
	chmod 0755 "$work/copy"
	run 0 env IPCTB_FUZZ_TARGET="$work/copy" "$tool" fuzz --decoder frame "$crash"
	has "target $work/copy ("
	;;
usage/unsafe_dirs)
	mkdir "$work/d" "$work/open" && chmod 0777 "$work/open" || fail mkdir
	ln -s "$work/d" "$work/link"
	: >"$work/file"
	run 2 "$tool" fuzz --decoder frame --corpus "$work/link"
	has "--corpus $work/link: a symbolic link (not followed)"
	run 2 "$tool" fuzz --decoder frame --crashes "$work/link" "$crash"
	has "--crashes $work/link: a symbolic link (not followed)"
	# "link/" would name the directory the link points to
	run 2 "$tool" fuzz --decoder frame --crashes "$work/link/" "$crash"
	has "--crashes $work/link: a symbolic link (not followed)"
	run 2 "$tool" fuzz --decoder frame --corpus "$work/open"
	has 'world-writable (mode 0777)'
	run 2 "$tool" fuzz --decoder frame --crashes "$work/file" "$crash"
	has 'not a directory'
	if [ "$(id -u)" -eq 0 ]; then
		mkdir "$work/theirs" && chown 65534 "$work/theirs" || fail chown
		run 2 "$tool" fuzz --decoder frame --crashes "$work/theirs" "$crash"
		has 'owned by uid 65534, neither root nor you'
	fi
	# a missing one is made, private
	run 0 "$tool" fuzz --decoder frame --crashes "$work/new" "$crash"
	[ "$(stat -c %a "$work/new")" = 700 ] || fail "--crashes made with mode $(stat -c %a "$work/new")"
	;;
usage/no_libfuzzer)
	run 2 "$tool" fuzz --plugin "$plug" --decoder plug_frame_broken --seconds 5
	has 'this build has no libFuzzer: build the fuzz preset'
	lacks '^seed:'
	;;
replay_plugin)
	run 1 "$tool" fuzz --plugin "$plug" --decoder plug_frame_broken --crashes "$work" "$crash"
	has "^crash: $check"
	has "; input $crash/short-frame-len16; replay: "
	has 'crash in 1 of 1 input'
	replays
	run 0 "$tool" fuzz --plugin "$plug" --decoder plug_frame --crashes "$work" "$crash" "$corpus"
	has "^ok: $crash/short-frame-len16"
	has 'no crash in [1-9][0-9]* runs'
	run 0 "$tool" fuzz --decoder frame --crashes "$work" "$crash" "$corpus"
	has 'no crash in [1-9][0-9]* runs'
	;;
plugin_broken)
	# The fuzzer must find the broken decoder's over-read itself, within
	# the bound: from an empty corpus (the decode target's holds inputs
	# that it fails on already), which the tool creates.
	run 1 "$tool" fuzz --plugin "$plug" --decoder plug_frame_broken --seconds 60 --seed 1 \
		--corpus "$work/corpus" --crashes "$work/crashes"
	has '^seed: 1$'
	has '^fuzzing for 60 s$'
	has "^crash: $check"
	has "; input saved as $work/crashes/crash-"
	has "; replay: .* --crashes $work/crashes $work/crashes/crash-"
	saved=$(sed -n 's/^crash: .*; input saved as \(.*\); replay: .*/\1/p' "$work/out")
	[ -f "$saved" ] || fail "no file $saved"
	replays
	;;
plugin_good)
	mkdir "$work/corpus" && cp "$corpus"/* "$work/corpus/" || fail cp
	run 0 "$tool" fuzz --plugin "$plug" --decoder plug_frame --seconds 5 --seed 1 \
		--corpus "$work/corpus" --crashes "$work/crashes"
	has '^seed: 1$'
	has '^fuzzing for 5 s$'
	has '^no crash in [1-9][0-9]* runs$'
	;;
builtin)
	# --runs, and a seed of the tool's choosing, printed
	run 0 "$tool" fuzz --decoder frame --runs 20000 --crashes "$work"
	has '^seed: [1-9][0-9]*$'
	has '^fuzzing for 20000 runs (at most 3600 s)$'
	has '^no crash in [1-9][0-9]* runs$'
	;;
*)
	echo "fuzz_cli.sh: unknown case $case" >&2
	exit 2
	;;
esac
echo "fuzz_cli/$case: ok"
