# SPDX-License-Identifier: MIT
# A check of test discovery (ipctb_discover.cmake), run as a ctest in the C
# locale: discovery must find every test of a Criterion binary, as many as
# the binary's own count ("suite: N tests" lines of --list, which do not
# depend on the locale; the tree glyphs under them do).
#   cmake -DIPCTB_D_BIN=<criterion test binary> [-DIPCTB_CHECK_SCRIPT=<twin>]
#         -P ipctb_discover_check.cmake
# IPCTB_CHECK_SCRIPT replaces the discovery script (its negative control
# passes cmake/broken/ipctb_discover_glyph.cmake).

if(NOT IPCTB_D_BIN)
  message(FATAL_ERROR "usage: cmake -DIPCTB_D_BIN=<binary> -P ${CMAKE_CURRENT_LIST_FILE}")
endif()

# What discovery would register, instead of registering it.
function(add_test name)
  set_property(GLOBAL APPEND PROPERTY IPCTB_CHECK_FOUND "${name}")
endfunction()
function(set_tests_properties)
endfunction()

set(IPCTB_D_MODE "criterion")
set(IPCTB_D_PREFIX "check")
set(IPCTB_D_TOOL "")
set(IPCTB_D_LABELS "")
set(IPCTB_D_TIMEOUT 60)
set(IPCTB_D_RUN "")
if(NOT IPCTB_CHECK_SCRIPT)
  set(IPCTB_CHECK_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/ipctb_discover.cmake")
endif()
include("${IPCTB_CHECK_SCRIPT}")
get_property(_found GLOBAL PROPERTY IPCTB_CHECK_FOUND)
list(LENGTH _found _nfound)

execute_process(COMMAND "${IPCTB_D_BIN}" --list OUTPUT_VARIABLE _out RESULT_VARIABLE _rc)
string(REGEX MATCHALL "[A-Za-z0-9_]+: [0-9]+ tests?" _heads "${_out}")
set(_want 0)
foreach(_h IN LISTS _heads)
  string(REGEX REPLACE "^.*: ([0-9]+) tests?$" "\\1" _n "${_h}")
  math(EXPR _want "${_want} + ${_n}")
endforeach()

message("discovery found ${_nfound} tests; ${IPCTB_D_BIN} --list counts ${_want} "
        "(LC_ALL=$ENV{LC_ALL})")
if(NOT _rc EQUAL 0 OR _want EQUAL 0 OR NOT _nfound EQUAL _want)
  message(FATAL_ERROR "test discovery missed tests: found ${_nfound} of ${_want}: ${_found}")
endif()
