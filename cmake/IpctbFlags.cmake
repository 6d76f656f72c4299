# SPDX-License-Identifier: MIT
# Warnings and sanitizer flags, applied per target (never globally) so that
# a fuzz harness can add -fsanitize=fuzzer to itself alone.

# The coverage preset: gcov instrumentation at -O0 in every target, and in
# every executable a wrapper of _exit() that writes the counts first (forked
# children leave through _exit; see cmake/coverage_exit.c). The wrapper can
# be turned off to measure what it adds.
option(IPCTB_COVERAGE "Build with gcov instrumentation (gcc)" OFF)
option(IPCTB_COVERAGE_EXIT "Coverage: count what processes run before _exit()" ON)
set(IPCTB_COVERAGE_EXIT_SRC "${CMAKE_CURRENT_LIST_DIR}/coverage_exit.c")

# Warnings are errors where the project's own checks run (every preset in
# CMakePresets.json that ci/test builds turns this on); a user's build with
# another compiler version should not stop at a new warning.
option(IPCTB_WERROR "Treat compiler warnings as errors" OFF)

function(ipctb_coverage_flags tgt)
  # Atomic counter updates: threads (tsan_ring, tsan_sync) would otherwise
  # race on them, and gcov then reports negative branch counts.
  target_compile_options(${tgt} PRIVATE --coverage -O0 -fprofile-update=atomic)
  target_link_options(${tgt} PRIVATE --coverage)
  get_target_property(_type ${tgt} TYPE)
  if(IPCTB_COVERAGE_EXIT AND _type STREQUAL "EXECUTABLE")
    target_sources(${tgt} PRIVATE ${IPCTB_COVERAGE_EXIT_SRC})
    target_link_options(${tgt} PRIVATE -Wl,--wrap=_exit)
  endif()
endfunction()

function(ipctb_target_flags tgt)
  if(IPCTB_COVERAGE)
    ipctb_coverage_flags(${tgt})
  endif()
  target_compile_options(${tgt} PRIVATE -Wall -Wextra -Wshadow
    -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter)
  if(IPCTB_WERROR)
    target_compile_options(${tgt} PRIVATE -Werror)
  endif()
  if(IPCTB_SANITIZE STREQUAL "asan-ubsan" OR IPCTB_SANITIZE STREQUAL "fuzz")
    set(_san -fsanitize=address,undefined -fno-sanitize-recover=all
             -fno-omit-frame-pointer)
  elseif(IPCTB_SANITIZE STREQUAL "tsan")
    set(_san -fsanitize=thread -fno-omit-frame-pointer)
  else()
    set(_san "")
  endif()
  if(IPCTB_SANITIZE STREQUAL "fuzz")
    # Coverage feedback for libFuzzer in every object; only the harnesses
    # link the fuzzer's main (fuzz/CMakeLists.txt adds -fsanitize=fuzzer).
    list(APPEND _san -fsanitize=fuzzer-no-link)
  endif()
  if(_san)
    target_compile_options(${tgt} PRIVATE ${_san})
    target_link_options(${tgt} PRIVATE ${_san})
  endif()
endfunction()
