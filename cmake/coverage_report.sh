#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Coverage report of the library (ipc/sources.txt: core, sys, engine,
# transport, scheme and the registry; not the
# harness, the tool, tests, fuzz targets or stress scenarios, which are the
# measuring instruments) from the counts a coverage-preset test run left.
#   cmake/coverage_report.sh [build dir]     (default build/coverage)
# Writes <build>/report/index.html (per-file pages) and coverage.txt, and
# prints the per-file table and the lines/branches summary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build/coverage}
command -v gcovr >/dev/null || { echo "coverage: gcovr is not installed (ci/setup-deps.sh)" >&2; exit 1; }
out="$build/report"
mkdir -p "$out"
# Branches the compiler adds and no source line can reach are not counted.
# Negative controls (targets named *_broken) compile their own twin of a
# library file; what the twin runs does not count for the library.
# A library twin (ipc/scheme/*_broken_*.c) compiles its base file again
# under a switch: its counts are the twin's, not the library's, and gcovr
# cannot merge the same file's functions from two objects.
find "$build" -path '*ipctb_obj.dir*' -name '*_broken_*.c.gc*' -delete
gcovr --root "$root" --object-directory "$build" \
  --filter "$root/ipc/((core|sys|engine|transport|scheme)/[^/]*|registry)\.c$" \
  --exclude-directories '.*_broken\.dir' \
  --exclude-unreachable-branches \
  --html-details "$out/index.html" \
  --txt "$out/coverage.txt" \
  --print-summary \
  -j "$(nproc)" "$build" | tee "$out/summary.txt"
echo "coverage: report in $out/index.html and $out/coverage.txt"
