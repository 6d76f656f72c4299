# SPDX-License-Identifier: MIT
# One ctest entry per Criterion test (and, for the conformance suite, per
# transport x case), discovered when ctest runs: the generated include file
# asks the built binaries for their lists, as gtest_discover_tests does in
# PRE_TEST mode. Tests report a skip by printing "IPCTB-SKIP".

set(IPCTB_DISCOVER_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/ipctb_discover.cmake")

# The include file that ctest reads to discover one binary's tests.
function(_ipctb_discovery inc mode prefix bin labels timeout)
  file(GENERATE OUTPUT "${inc}" CONTENT
"set(IPCTB_D_MODE \"${mode}\")
set(IPCTB_D_PREFIX \"${prefix}\")
set(IPCTB_D_BIN \"${bin}\")
set(IPCTB_D_TOOL \"$<TARGET_FILE:ipctb_tool>\")
set(IPCTB_D_LABELS \"${labels}\")
set(IPCTB_D_TIMEOUT \"${timeout}\")
set(IPCTB_D_RUN \"${IPCTB_RUN_ID_FOR_TESTS}\")
include(\"${IPCTB_DISCOVER_SCRIPT}\")
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${inc}")
endfunction()

# ipctb_criterion_tests(<target> LABELS <l...> TIMEOUT <s> [PER_TRANSPORT])
function(ipctb_criterion_tests tgt)
  cmake_parse_arguments(A "PER_TRANSPORT" "TIMEOUT" "LABELS" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 60)
  endif()
  set(mode "criterion")
  if(A_PER_TRANSPORT)
    set(mode "criterion-per-transport")
  endif()
  _ipctb_discovery("${CMAKE_CURRENT_BINARY_DIR}/${tgt}_tests.cmake" "${mode}" "${tgt}"
                   "$<TARGET_FILE:${tgt}>" "${A_LABELS}" "${A_TIMEOUT}")
endfunction()

# Plain conformance runner for presets without Criterion (tsan): one entry
# per transport x case, each `ipctb conform --transport T --case C`.
function(ipctb_tool_conform_tests)
  cmake_parse_arguments(A "" "TIMEOUT" "LABELS" ${ARGN})
  _ipctb_discovery("${CMAKE_CURRENT_BINARY_DIR}/ipctb_conform_tests.cmake" "tool" "conform"
                   "$<TARGET_FILE:ipctb_tool>" "${A_LABELS}" "${A_TIMEOUT}")
endfunction()

# Every test added with add_test() in the calling directory joins the
# per-run leak fixture and carries the run id. Call at the end of each
# CMakeLists.txt that adds tests.
function(ipctb_leak_fixture_for_dir)
  get_property(_tests DIRECTORY PROPERTY TESTS)
  foreach(_t IN LISTS _tests)
    if(_t STREQUAL "leak_run_setup" OR _t STREQUAL "leak_run_check")
      continue()
    endif()
    set_property(TEST ${_t} APPEND PROPERTY FIXTURES_REQUIRED leakrun)
    set_property(TEST ${_t} APPEND PROPERTY ENVIRONMENT IPCTB_RUN_ID=${IPCTB_RUN_ID})
  endforeach()
endfunction()
