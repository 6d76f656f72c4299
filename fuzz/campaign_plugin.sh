#!/bin/sh
# SPDX-License-Identifier: MIT
# ctest fuzz/campaign_plugin: the campaign runner over a plug-in's broken
# decoder finds, de-duplicates and minimizes its crash, exits 1 for it, and
# promotes it into the plug-in's crash directory, where ipctb_add_plugin()
# replays it. Usage: campaign_plugin.sh SRC BUILD PLUGIN.so WORKDIR
src=$1 build=$2 so=$3 work=$4
rm -rf "$work" && mkdir -p "$work" || exit 1
out=$(python3 "$src/ci/fuzz-campaign" run --build "$build" --plugin "$so" \
  --decoder plug_frame_broken --duration 10s --jobs 1 --minimize-secs 5 --no-merge \
  --report "$work/report" --corpus "$work/corpus" --crashes "$work/crashes" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 1 ] || { echo "campaign exit $rc, want 1 (a crash found)"; exit 1; }
printf '%s\n' "$out" | grep -q 'fuzz_frame_plugin: .* crashes 1$' ||
  { echo "no 'crashes 1' line"; exit 1; }
min=$(ls "$work"/report/fuzz_frame_plugin/crashes/*.min 2>/dev/null | head -1)
[ -n "$min" ] || { echo "no minimized crash"; exit 1; }
grep -q 'deadly check:(size_t)r <= size - off' "${min%.min}.txt" ||
  { echo "the crash is not the broken decoder's"; exit 1; }
python3 "$src/ci/fuzz-campaign" promote --to "$work/crashes" "$min" trusts-the-length || exit 1
[ -f "$work/crashes/trusts-the-length" ] || { echo "not promoted"; exit 1; }
echo "campaign_plugin: ok"
