# SPDX-License-Identifier: MIT
# Warnings and sanitizer flags, applied per target (never globally) so that
# a fuzz harness can add -fsanitize=fuzzer to itself alone.

function(ipctb_target_flags tgt)
  target_compile_options(${tgt} PRIVATE -Wall -Wextra -Werror -Wshadow
    -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter)
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
