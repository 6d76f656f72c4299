#!/bin/sh
# SPDX-License-Identifier: MIT
# One usage error of `ipctb replay` (ctest replay_usage/CASE): the tool
# must exit 2 and say what is wrong. Usage: replay_usage.sh TOOL CASE
tool=$1
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
good='ipctb-seed 1\nscheme none\nmode processes\nregion memfd\nprocs 2\niters 3\nstrategy random\nseed 1\ndepth 3\nsteps 48\nkill none\nhash 0000000000000000\nexpect ok\ndetector -\nwhy\n'
case $2 in
missing)   set -- "$d/does-not-exist.seed"; want="No such file" ;;
malformed) printf 'ipctb-seed 1\nscenario counter\nprocs 1\n' >"$d/f"
           set -- "$d/f"; want="line 3: procs '1': not a number in 2..16" ;;
unknown)   printf "${good}scenario no_such\n" >"$d/f"
           set -- "$d/f"; want="unknown scenario 'no_such'" ;;
noarg)     set --; want="no seed file given" ;;
repeat)    printf "${good}scenario counter\n" >"$d/f"
           set -- --repeat=0 "$d/f"; want="repeat: 1..100000" ;;
listsite)  printf "${good}scenario counter\nlist 0:spin_acquire 1:no_such_site\n" | sed 's/strategy random/strategy list/' >"$d/f"
           set -- "$d/f"; want="list: 'no_such_site' is not a site name or flush" ;;
listid)    printf "${good}scenario counter\nlist 0:spin_acquire 5:spin_acquire\n" | sed 's/strategy random/strategy list/' >"$d/f"
           set -- "$d/f"; want="list: step 2 names participant 5 of 2" ;;
listalone) printf "${good}scenario counter\nlist 0:spin_acquire\n" >"$d/f"
           set -- "$d/f"; want="list: steps go with strategy list" ;;
*)         echo "unknown case $2"; exit 1 ;;
esac
out=$("$tool" replay "$@" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 2 ] || { echo "exit $rc, want 2"; exit 1; }
printf '%s\n' "$out" | grep -qF "$want" || { echo "no '$want' in the message"; exit 1; }
