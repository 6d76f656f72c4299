# SPDX-License-Identifier: MIT
# ctest driver for the fuzz harnesses (cmake -P). MODE:
#   replay             run every file of CORPUS and REGRESS through BIN once
#                      (and, with MUTATE=n, n custom-mutator mutants of each)
#   fuzz               copy CORPUS and REGRESS into WORK/corpus, fuzz it for
#                      SECONDS with artifacts in WORK; fail on any crash
#   expect-crash       like fuzz, but pass only if the output matches EXPECT
#   expect-crash-replay  replay CORPUS (MUTATE as for replay); pass only if
#                      the output matches EXPECT
#   oss-fuzz           run SCRIPT with OSS-Fuzz variables, OUT as output dir,
#                      check what it made and run one target briefly
# Inputs are globbed here, when the test runs, so a freshly promoted crash
# is replayed without re-running cmake.

function(_inputs out)
  set(files "")
  foreach(d IN LISTS ARGN)
    if(d AND IS_DIRECTORY "${d}")
      file(GLOB f LIST_DIRECTORIES false "${d}/*")
      list(FILTER f EXCLUDE REGEX "/\\.[^/]*$")
      list(SORT f)
      list(APPEND files ${f})
    endif()
  endforeach()
  set(${out} "${files}" PARENT_SCOPE)
endfunction()

function(_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o
                  ERROR_VARIABLE e)
  set(_rc "${rc}" PARENT_SCOPE)
  set(_out "${o}${e}" PARENT_SCOPE)
endfunction()

function(_fresh_corpus dir)
  file(REMOVE_RECURSE "${dir}")
  file(MAKE_DIRECTORY "${dir}")
  _inputs(files "${CORPUS}" "${REGRESS}")
  foreach(f IN LISTS files)
    file(COPY "${f}" DESTINATION "${dir}")
  endforeach()
endfunction()

if(MODE STREQUAL "replay")
  _inputs(files "${CORPUS}" "${REGRESS}")
  list(LENGTH files n)
  if(n EQUAL 0)
    message(FATAL_ERROR "no input in ${CORPUS} or ${REGRESS}")
  endif()
  # -runs=1 is ignored by the replay main; libFuzzer runs each file once.
  # MUTATE=<n>: the replay main also runs the custom mutator n times over
  # each input and feeds every mutant back.
  set(extra "")
  if(MUTATE)
    set(extra -mutate=${MUTATE})
  endif()
  _run("${BIN}" -runs=1 ${extra} ${files})
  message("${_out}")
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "replay of ${n} input(s) failed (status ${_rc})")
  endif()
  message("replayed ${n} input(s)")

elseif(MODE STREQUAL "fuzz" OR MODE STREQUAL "expect-crash")
  _fresh_corpus("${WORK}/corpus")
  set(args -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048
           -print_final_stats=1 -artifact_prefix=${WORK}/)
  if(DICT)
    list(APPEND args -dict=${DICT})
  endif()
  if(MAX_LEN)
    list(APPEND args -max_len=${MAX_LEN})
  endif()
  file(GLOB old "${WORK}/crash-*" "${WORK}/leak-*" "${WORK}/timeout-*"
                "${WORK}/oom-*")
  if(old)
    file(REMOVE ${old})
  endif()
  _run("${BIN}" ${args} "${WORK}/corpus")
  message("${_out}")
  if(MODE STREQUAL "fuzz")
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "fuzzing found a problem (status ${_rc}); "
                          "the input is in ${WORK}")
    endif()
  else()
    string(REGEX MATCH "${EXPECT}" hit "${_out}")
    file(GLOB art "${WORK}/crash-*")
    if(_rc EQUAL 0 OR NOT hit OR NOT art)
      message(FATAL_ERROR "negative control: the deliberate bug was NOT "
                          "found (status ${_rc}, wanted /${EXPECT}/)")
    endif()
    message("negative control: found as expected: ${art}")
  endif()

elseif(MODE STREQUAL "expect-crash-replay")
  _inputs(files "${CORPUS}")
  if(NOT files)
    message(FATAL_ERROR "no input in ${CORPUS}")
  endif()
  set(extra "")
  if(MUTATE)
    set(extra -mutate=${MUTATE})
  endif()
  _run("${BIN}" ${extra} ${files})
  message("${_out}")
  string(REGEX MATCH "${EXPECT}" hit "${_out}")
  if(_rc EQUAL 0 OR NOT hit)
    message(FATAL_ERROR "negative control: no /${EXPECT}/ (status ${_rc})")
  endif()
  message("negative control: detected as expected")

elseif(MODE STREQUAL "oss-fuzz")
  file(REMOVE_RECURSE "${OUT}" "${WORK}")
  file(MAKE_DIRECTORY "${OUT}" "${WORK}")
  _run(${CMAKE_COMMAND} -E env "CC=${CC}"
       "CFLAGS=-fsanitize=address,fuzzer-no-link"
       "LIB_FUZZING_ENGINE=-fsanitize=fuzzer" "OUT=${OUT}" "SRC=${SRC}"
       "WORK=${WORK}" bash "${SCRIPT}")
  message("${_out}")
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${SCRIPT} failed (status ${_rc})")
  endif()
  file(GLOB zips "${OUT}/*_seed_corpus.zip")
  if(NOT zips)
    message(FATAL_ERROR "no seed corpus zip in ${OUT}")
  endif()
  foreach(z IN LISTS zips)
    string(REGEX REPLACE "_seed_corpus\\.zip$" "" t "${z}")
    if(NOT EXISTS "${t}")
      message(FATAL_ERROR "${z} has no target ${t}")
    endif()
  endforeach()
  if(NOT EXISTS "${OUT}/fuzz_frame_decode" OR
     NOT EXISTS "${OUT}/fuzz_frame_decode.dict")
    message(FATAL_ERROR "fuzz_frame_decode or its dictionary missing in ${OUT}")
  endif()
  file(MAKE_DIRECTORY "${WORK}/run")
  _run("${OUT}/fuzz_frame_decode" -runs=100 -artifact_prefix=${WORK}/run/
       -dict=${OUT}/fuzz_frame_decode.dict "${WORK}/run")
  message("${_out}")
  if(NOT _rc EQUAL 0 OR NOT _out MATCHES "Done 100 runs")
    message(FATAL_ERROR "fuzz_frame_decode from ${OUT} did not run 100 runs")
  endif()
  message("oss-fuzz layout OK: ${zips}")
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
