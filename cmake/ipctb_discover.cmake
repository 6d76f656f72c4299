# SPDX-License-Identifier: MIT
# Included by ctest (see IpctbTests.cmake). Inputs: IPCTB_D_MODE,
# IPCTB_D_PREFIX, IPCTB_D_BIN, IPCTB_D_TOOL, IPCTB_D_LABELS, IPCTB_D_TIMEOUT.

# extra_env: more VAR=value entries (a ;-list) for the test's environment.
macro(_ipctb_props name extra_env)
  set_tests_properties("${name}" PROPERTIES
    LABELS "${IPCTB_D_LABELS}"
    TIMEOUT "${IPCTB_D_TIMEOUT}"
    SKIP_REGULAR_EXPRESSION "IPCTB-SKIP"
    SKIP_RETURN_CODE 77
    FIXTURES_REQUIRED leakrun
    ENVIRONMENT "IPCTB_RUN_ID=${IPCTB_D_RUN};${extra_env}")
endmacro()

if(NOT EXISTS "${IPCTB_D_BIN}")
  add_test("${IPCTB_D_PREFIX}_NOT_BUILT" "${IPCTB_D_BIN}")
  return()
endif()

set(_transports "")
if(NOT IPCTB_D_MODE STREQUAL "criterion")
  execute_process(COMMAND "${IPCTB_D_TOOL}" list --names
                  OUTPUT_VARIABLE _out RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    add_test("${IPCTB_D_PREFIX}_LIST_FAILED" "${IPCTB_D_TOOL}" list --names)
    return()
  endif()
  string(REGEX MATCHALL "[a-z0-9_]+" _transports "${_out}")
endif()

# Cases: "suite/test" pairs.
set(_cases "")
if(IPCTB_D_MODE STREQUAL "tool")
  execute_process(COMMAND "${IPCTB_D_BIN}" conform --list-cases
                  OUTPUT_VARIABLE _out RESULT_VARIABLE _rc)
  string(REGEX MATCHALL "[a-z0-9_]+" _cases "${_out}")
else()
  # The list comes from Criterion's JSON report (2.4.1: --json=FILE) of a
  # run whose filter matches no test: every test is reported, as skipped,
  # by suite and name, and none runs. JSON, unlike the tree that --list
  # draws, has no glyphs that change with the locale or the version.
  set(_json "${IPCTB_D_BIN}.tests.json")
  file(REMOVE "${_json}")
  execute_process(COMMAND "${IPCTB_D_BIN}" --filter "ipctb-discover/matches-nothing"
                          "--json=${_json}"
                  OUTPUT_QUIET ERROR_QUIET RESULT_VARIABLE _rc)
  set(_out "")
  if(_rc EQUAL 0 AND EXISTS "${_json}")
    file(READ "${_json}" _out)
  endif()
  string(JSON _nsuites ERROR_VARIABLE _err LENGTH "${_out}" test_suites)
  if(_err OR NOT _rc EQUAL 0)
    add_test("${IPCTB_D_PREFIX}_LIST_FAILED" "${IPCTB_D_BIN}" --filter
             "ipctb-discover/matches-nothing" "--json=${_json}")
    return()
  endif()
  if(_nsuites GREATER 0)
    math(EXPR _last_suite "${_nsuites} - 1")
    foreach(_i RANGE ${_last_suite})
      string(JSON _suite GET "${_out}" test_suites ${_i} name)
      string(JSON _ntests LENGTH "${_out}" test_suites ${_i} tests)
      if(_ntests EQUAL 0)
        continue()
      endif()
      math(EXPR _last_test "${_ntests} - 1")
      foreach(_j RANGE ${_last_test})
        string(JSON _test GET "${_out}" test_suites ${_i} tests ${_j} name)
        list(APPEND _cases "${_suite}/${_test}")
      endforeach()
    endforeach()
  endif()
endif()

foreach(_c IN LISTS _cases)
  if(IPCTB_D_MODE STREQUAL "criterion")
    set(_name "${IPCTB_D_PREFIX}/${_c}")
    add_test("${_name}" "${IPCTB_D_BIN}" --filter "${_c}" --verbose -j1)
    _ipctb_props("${_name}" "")
  else()
    foreach(_t IN LISTS _transports)
      string(REGEX REPLACE "^.*/" "" _case "${_c}")
      set(_name "conform/${_t}/${_case}")
      if(IPCTB_D_MODE STREQUAL "tool")
        # TSan slows the 100,000-message cases down about tenfold.
        add_test("${_name}" "${IPCTB_D_BIN}" conform --transport "${_t}" --case "${_case}"
                 --timeout 240000)
        _ipctb_props("${_name}" "")
      else()
        add_test("${_name}" "${IPCTB_D_BIN}" --filter "${_c}" --verbose -j1)
        _ipctb_props("${_name}" "IPCTB_TRANSPORT=${_t}")
      endif()
    endforeach()
  endif()
endforeach()
