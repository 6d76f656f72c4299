# SPDX-License-Identifier: MIT
# Broken twin of ipctb_discover.cmake, Criterion mode only: it finds tests
# by the box-drawing glyph of --list, as discovery did before it read
# Criterion's JSON report. In the C locale Criterion draws "|--" instead,
# and this finds nothing: ipctb_discover_check.cmake must say so (the
# negative control discover_check_negative_control).
execute_process(COMMAND "${IPCTB_D_BIN}" --list OUTPUT_VARIABLE _out)
string(REPLACE "\n" ";" _lines "${_out}")
set(_suite "")
foreach(_l IN LISTS _lines)
  if(_l MATCHES "^([A-Za-z0-9_]+): [0-9]+ tests?$")
    set(_suite "${CMAKE_MATCH_1}")
  elseif(_l MATCHES "── ([A-Za-z0-9_]+)$")
    add_test("${IPCTB_D_PREFIX}/${_suite}/${CMAKE_MATCH_1}" "${IPCTB_D_BIN}")
  endif()
endforeach()
