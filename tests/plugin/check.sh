#!/bin/sh
# SPDX-License-Identifier: MIT
# The ctest entries plugin/<case> (tests/plugin/CMakeLists.txt): the tool
# over the test plug-in. Writes only under WORK (emptied first).
#   check.sh CASE TOOL PLUGIN WRONG_ABI_PLUGIN LIBIPCTB_SO WORK [LEAK_PLUGIN]
set -u
[ $# -eq 6 ] || [ $# -eq 7 ] ||
	{ echo "usage: check.sh CASE TOOL PLUGIN WRONG_ABI LIBIPCTB_SO WORK [LEAK_PLUGIN]" >&2; exit 2; }
case=$1 tool=$2 plug=$3 wrong=$4 so=$5 work=$6 leak=${7:-}
rm -rf "$work" && mkdir -p "$work" || exit 1

# fail, run, has, lacks
. "$(dirname "$0")/../checklib.sh"

case $case in
list)
	run 0 "$tool" list --plugin "$plug"
	for t in plug_dgram plug_tas plug_tas_broken plug_crash plug_hang plug_frame plug_frame_broken; do
		grep -q "^$t .*\[plugin testplug 1.0\]" "$work/out" || fail "$t not listed as the plug-in's"
	done
	grep -q '^pipe .*\[plugin' "$work/out" && fail "a built-in table marked as a plug-in's"
	run 0 "$tool" list --kind scheme --names --plugin "$plug"
	has '^plug_tas$'
	run 0 "$tool" list --json --plugin "$plug"
	has '"plugin": {"name": "testplug", "version": "1.0", "path": "/'
	has '"plugin": null'
	# the same file twice is one load; --plugin= spelling too
	run 0 "$tool" list --names --plugin "$plug" --plugin="$plug"
	has '^plug_dgram$'
	# without the plug-in, its names are unknown
	run 2 "$tool" stress --scheme plug_tas
	has "unknown scheme"
	;;
stress_good)
	# free-running processes, every scenario, then a controlled exploration
	run 0 "$tool" stress --plugin "$plug" --scheme plug_tas --iters 500 --seed 1
	has 'summary: 5 runs, 5 clean, 0 failed'
	run 0 "$tool" stress --scheme plug_tas --plugin "$plug" --scenario counter \
		--strategy pct --explore --schedules 200 --budget 60s --seed 1
	has 'no failure in 200 schedules'
	;;
stress_bad)
	run 1 "$tool" stress --plugin "$plug" --scheme plug_tas_broken --scenario counter \
		--strategy pct --explore --budget 60s --seed 1 --save-seed "$work"
	has 'violation (invariant)'
	seed=$(ls "$work"/counter-plug_tas_broken-pct-*.seed 2>/dev/null | head -n1)
	[ -n "$seed" ] || fail "no seed file saved"
	grep -q "^plugin /.*$(basename "$plug")\$" "$seed" || fail "the seed names no plug-in"
	# replay loads the plug-in the seed names: no --plugin given
	run 0 "$tool" replay "$seed" --repeat 20 --quiet
	has '20 of 20 runs reproduced outcome and hash'
	;;
wrong_abi)
	run 2 "$tool" stress --plugin "$wrong" --scheme plug_tas
	has "plugin $wrong: built for ipctb ABI version 99, this ipctb has version 1"
	;;
unsafe_path)
	cp "$plug" "$work/copy.so" && chmod 0775 "$work/copy.so" || fail "cp"
	run 2 "$tool" list --plugin "$work/copy.so"
	has "group-writable (mode 0775): refused"
	chmod 0757 "$work/copy.so"
	run 2 "$tool" conform --plugin "$work/copy.so" --transport plug_dgram
	has "world-writable"
	ln -s "$plug" "$work/link.so"
	run 2 "$tool" replay --plugin "$work/link.so" "$work/none.seed"
	has "a symbolic link (not followed)"
	run 2 "$tool" leaks --plugin "$work"
	has "not a regular file"
	# the safe copy loads
	chmod 0755 "$work/copy.so"
	run 0 "$tool" leaks --plugin "$work/copy.so" --run pluginnone
	;;
crash)
	run 1 "$tool" stress --plugin "$plug" --scheme plug_crash --scenario counter --seed 1
	has 'violation (crash): participant [0-9]* \(died of signal\|exited with status\)'
	has 'summary: 1 runs, 0 clean, 1 failed'
	;;
hang)
	# A lock that never returns: the watchdog ends the run (processes
	# mode: the participants' group is killed) and says so.
	run 1 "$tool" stress --plugin "$plug" --scheme plug_hang --scenario counter --seed 1 \
		--iters 10
	has 'stuck (watchdog): no progress for'
	has 'summary: 1 runs, 0 clean, 1 failed'
	;;
leak_stress | leak_conform)
	# A plug-in that makes objects with raw system calls and never removes
	# them: the census after each run (each case) names them. It is exact
	# only in the private IPC namespace the tool enters for plug-ins; where
	# the machine refuses one the check cannot be made: a skip.
	[ -n "$leak" ] || fail "no leaking plug-in given"
	if [ "$case" = leak_stress ]; then
		run 1 "$tool" stress --plugin "$leak" --scheme plug_leak --scenario counter \
			--iters 100 --seed 1
		grep -q "no private IPC namespace" "$work/out" && exit 77
		has 'counter/plug_leak: violation (leak): left behind 2 objects: sysv-sem id=[0-9]* key=0x0 creator=-1, posix-shm /plugleak-lock\.'
		has 'summary: 1 runs, 0 clean, 1 failed'
		run 1 "$tool" stress --plugin "$leak" --scheme plug_leak --scenario counter \
			--iters 100 --seed 1 --mode threads
		has 'violation (leak): left behind 2 objects: '
	else
		run 1 "$tool" conform --plugin "$leak" --transport plug_leaky --case roundtrip \
			--case peer_died
		grep -q "no private IPC namespace" "$work/out" && exit 77
		has 'plug_leaky/roundtrip: left behind 2 objects: sysv-sem id=[0-9]* key=0x0 creator=-1, posix-shm /plugleak-chan\.'
		has 'plug_leaky/peer_died: left behind [0-9]* objects: '
		has '0 passed, 2 failed'
	fi
	# What it left went with the namespace: nothing of it on the machine.
	ls /dev/shm | grep -q '^plugleak-' && fail "a leaked object is left in /dev/shm"
	;;
liar)
	# A lock that claims the kernel frees it when its holder dies, and
	# does not: a run that kills the holder shows the broken promise. The
	# controlled scheduler makes the kill land in the lock for this seed
	# every time (free-running, the others may have finished before it).
	[ -n "$leak" ] || fail "no misbehaving plug-in given"
	run 1 "$tool" stress --plugin "$leak" --scheme plug_liar --scenario counter --kill \
		--iters 20 --strategy pct --seed 1
	has 'killed p[0-9]* at plugin_release, in_lock'
	has 'counter/plug_liar: stuck (watchdog): no progress for'
	has 'broken promise: plug_liar declares recovery "release" after its holder dies, yet the survivors made no progress after p[0-9]* died'
	# The same lock without the claim is not run with a kill at all
	# (plug_tas: no recovery, and its runs here have no --kill): clean.
	run 0 "$tool" stress --plugin "$plug" --scheme plug_tas --scenario counter --iters 200 \
		--seed 1
	;;
chan_bad)
	# Channels that lie, crash and hang: each is the failing case's, by
	# its message, and the suite goes on to the next case.
	[ -n "$leak" ] || fail "no misbehaving plug-in given"
	run 1 "$tool" conform --plugin "$leak" --transport plug_chan_liar --case empty \
		--case roundtrip
	has 'plug_chan_liar/empty: message 2 of 3: got 16 bytes, expected 0'
	has '1 passed, 1 failed'
	run 1 "$tool" conform --plugin "$leak" --transport plug_chan_crash --case roundtrip \
		--case ordering --case mode_0600
	# (under ASan, without abort_on_error, the process exits with 1)
	has 'plug_chan_crash/roundtrip: \(killed by signal\|case process exited with status 1\)'
	has 'plug_chan_crash/ordering: receiver: recv of message 2: Broken pipe; sender process \(killed by signal\|exited with status 1\)'
	has '1 passed, 2 failed'
	run 1 "$tool" conform --plugin "$leak" --transport plug_chan_hang --case roundtrip \
		--case mode_0600 --timeout 2000
	has 'plug_chan_hang/roundtrip: timed out after 2000 ms'
	has '1 passed, 1 failed'
	;;
exports)
	# Every library name the plug-in needs is one the tool exports and
	# one libipctb.so exports (the public API, nothing internal).
	need=$(nm -u "$plug" | awk '$2 ~ /^ipctb_/ {print $2}' | sort -u)
	[ -n "$need" ] || fail "the plug-in uses no ipctb_ name?"
	nm -D --defined-only "$tool" | awk '{print $3}' >"$work/tool.syms"
	nm -D --defined-only "$so" | awk '{print $3}' >"$work/so.syms"
	for n in $need; do
		case $n in ipctb__*) fail "the plug-in needs internal $n" ;; esac
		grep -qx "$n" "$work/tool.syms" || fail "the tool does not export $n"
		grep -qx "$n" "$work/so.syms" || fail "libipctb.so does not export $n"
	done
	grep -q '^ipctb__' "$work/tool.syms" && fail "the tool exports internal names"
	ldd "$plug" | grep -q libipctb && fail "the plug-in links libipctb"
	echo "exports: $(echo $need | wc -w) names, all exported by the tool and libipctb.so"
	;;
*)
	echo "check.sh: unknown case $case" >&2
	exit 2
	;;
esac
echo "plugin/$case: ok"
