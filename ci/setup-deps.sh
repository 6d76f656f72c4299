#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what ipctb needs on a fresh Debian machine, skipping what is
# present: compilers with the sanitizer and libFuzzer runtimes, CMake,
# Criterion, SPIN, gcovr. Idempotent; runs apt-get update at most once.
set -euo pipefail

PKGS=(
  build-essential   # gcc, make
  cmake             # >= 3.25 (Debian 12 ships 3.25.1)
  gcovr             # coverage report of the coverage preset
  clang             # clang 14 on Debian 12
  clang-format      # ci/format-check
  libclang-rt-14-dev # ASan, UBSan, TSan, MSan, libFuzzer runtimes
  libcriterion-dev  # test framework
  pkg-config        # the pkg-config command (pkgconf): ctest install_outside
  python3           # fuzz campaign runner, small tools
  spin              # Promela model checker
  util-linux        # unshare, for IPC namespaces
  procps            # sysctl
  gnuplot-nox       # ipctb bench --plot (PNG terminals, no X)
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup-deps: all packages present"
fi

# POSIX message queues are visible under /dev/mqueue only when the mqueue
# file system is mounted there; the leak checks read it. Mount it when we
# can (root); where we cannot, the checks that need it report a skip.
if ! mountpoint -q /dev/mqueue 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue 2>/dev/null \
      && echo "setup-deps: mounted mqueue on /dev/mqueue" \
      || echo "setup-deps: could not mount /dev/mqueue (mqueue leak checks will skip)"
  fi
fi
