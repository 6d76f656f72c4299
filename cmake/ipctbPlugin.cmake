# SPDX-License-Identifier: MIT
# ipctb_add_plugin(): what an outside project calls, after find_package(ipctb),
# to have its plug-in (ipctb/plugin.h) proved by the installed `ipctb` tool
# under ctest. Installed beside ipctbConfig.cmake, which includes it.
#
#   add_library(mine MODULE mine.c)
#   target_link_libraries(mine PRIVATE ipctb::plugin)   # headers only
#   ipctb_add_plugin(TARGET mine
#                    [LOCKS a b]           correct sync schemes
#                    [BROKEN_LOCKS c]      schemes that must be caught
#                    [TRANSPORTS d]        channels
#                    [DECODERS e]          frame decoders
#                    [BROKEN_DECODERS f]
#                    [SEEDS dir]           seed files (*.seed) to replay
#                    [CRASHES dir]         saved inputs that crash a broken
#                                          decoder (fuzz replay)
#                    [PREFIX name])        of the test names (default: TARGET)
#
# It builds nothing: it adds ctest entries that run ipctb::tool (the
# installed tool) with --plugin $<TARGET_FILE:mine>:
#   NAME/conform/T         the conformance suite over each transport
#   NAME/stress/L          each lock, every scenario, processes mode
#   NAME/threads/L         each lock, every scenario, threads mode
#   NAME/explore/L         200 controlled PCT schedules, must be clean
#   NAME/caught/L          each broken lock: a controlled exploration (up
#                          to 1000 PCT schedules) that must find the
#                          violation (the entry passes then)
#   NAME/decoder/D         each decoder (broken ones too) is registered; a
#                          decoder's own harness is the fuzz target, not
#                          the tool
#   NAME/replay/FILE       each seed replays its saved outcome
#   NAME/fuzz_caught/D     each broken decoder over the CRASHES files,
#                          replayed by `ipctb fuzz` in the installed
#                          decoder fuzz target (ipctb::fuzz_decoder):
#                          must crash or hang (the tool's "crash: ...;
#                          replay: ...")
#   NAME/fuzz_replay/D     each correct decoder over the same files: clean
#
# A saved seed names its plug-in by the absolute path it was loaded from
# (key `plugin`), which is not where this build puts it: every seed is
# copied into the build tree with that line pointing at $<TARGET_FILE>,
# and the copy is replayed.
#
# The loader refuses a plug-in file that its group or others may write:
# the target is left writable by its owner only after each link.
include_guard(GLOBAL)

function(ipctb_add_plugin)
  cmake_parse_arguments(PARSE_ARGV 0 _p "" "TARGET;SEEDS;CRASHES;PREFIX"
                        "LOCKS;BROKEN_LOCKS;TRANSPORTS;DECODERS;BROKEN_DECODERS")
  if(_p_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ipctb_add_plugin: unknown arguments: ${_p_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT _p_TARGET OR NOT TARGET ${_p_TARGET})
    message(FATAL_ERROR "ipctb_add_plugin: TARGET '${_p_TARGET}' is not a target")
  endif()
  if(NOT TARGET ipctb::tool)
    message(FATAL_ERROR "ipctb_add_plugin: no ipctb::tool (find_package(ipctb) first)")
  endif()
  set(_t ${_p_TARGET})
  set(_n ${_t})
  if(_p_PREFIX)
    set(_n ${_p_PREFIX})
  endif()
  set(_plug $<TARGET_FILE:${_t}>)
  set(_tool $<TARGET_FILE:ipctb::tool>)
  add_custom_command(TARGET ${_t} POST_BUILD COMMAND chmod go-w ${_plug} VERBATIM)

  foreach(_x IN LISTS _p_TRANSPORTS)
    add_test(NAME ${_n}/conform/${_x} COMMAND ${_tool} conform --plugin ${_plug} --transport ${_x})
    set_tests_properties(${_n}/conform/${_x} PROPERTIES LABELS "ipctb;conformance" TIMEOUT 300)
  endforeach()

  foreach(_x IN LISTS _p_LOCKS)
    foreach(_m processes threads)
      set(_name ${_n}/stress/${_x})
      if(_m STREQUAL "threads")
        set(_name ${_n}/threads/${_x})
      endif()
      add_test(NAME ${_name} COMMAND ${_tool} stress --plugin ${_plug} --scheme ${_x}
                                     --mode ${_m} --iters 500 --seed 1)
      set_tests_properties(${_name} PROPERTIES LABELS "ipctb;stress" TIMEOUT 300)
    endforeach()
    add_test(NAME ${_n}/explore/${_x}
             COMMAND ${_tool} stress --plugin ${_plug} --scheme ${_x} --scenario counter
                     --strategy pct --explore --schedules 200 --budget 60s --seed 1)
    set_tests_properties(${_n}/explore/${_x} PROPERTIES LABELS "ipctb;stress" TIMEOUT 180
                         PASS_REGULAR_EXPRESSION "no failure in 200 schedules")
  endforeach()

  # Caught: the entry passes on the tool's violation report (its exit
  # status, 1, is then the expected one), fails on a clean exploration or
  # on any other error.
  foreach(_x IN LISTS _p_BROKEN_LOCKS)
    add_test(NAME ${_n}/caught/${_x}
             COMMAND ${_tool} stress --plugin ${_plug} --scheme ${_x} --scenario counter
                     --strategy pct --explore --schedules 1000 --budget 60s --seed 1)
    set_tests_properties(${_n}/caught/${_x} PROPERTIES LABELS "ipctb;stress;broken" TIMEOUT 180
                         PASS_REGULAR_EXPRESSION "violation \\(")
  endforeach()

  foreach(_x IN LISTS _p_DECODERS _p_BROKEN_DECODERS)
    add_test(NAME ${_n}/decoder/${_x}
             COMMAND ${_tool} list --plugin ${_plug} --kind decoder --names)
    set_tests_properties(${_n}/decoder/${_x} PROPERTIES LABELS "ipctb;decoder" TIMEOUT 60
                         PASS_REGULAR_EXPRESSION "(^|\n)${_x}(\n|$)")
  endforeach()

  if(_p_SEEDS)
    get_filename_component(_dir "${_p_SEEDS}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    file(GLOB _seeds CONFIGURE_DEPENDS "${_dir}/*.seed")
    # None yet is not an error: the walk of README "Plug-ins" configures
    # before the tool has saved the first seed; the glob is checked again
    # at each build, and a seed saved then gets its entry.
    if(NOT _seeds)
      message(STATUS "ipctb_add_plugin(${_t}): no *.seed file in ${_dir} yet")
    endif()
    foreach(_s IN LISTS _seeds)
      get_filename_component(_base "${_s}" NAME)
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_s}")
      file(READ "${_s}" _text)
      # The plug-in line, whatever path it was saved with, names this
      # build's file; a seed of a built-in scheme has none and stays so.
      string(REGEX REPLACE "(^|\n)plugin [^\n]*" "\\1plugin ${_plug}" _text "${_text}")
      set(_out ${CMAKE_CURRENT_BINARY_DIR}/ipctb-seeds/${_n}/${_base})
      file(GENERATE OUTPUT ${_out} CONTENT "${_text}")
      add_test(NAME ${_n}/replay/${_base} COMMAND ${_tool} replay ${_out} --repeat 5 --quiet)
      set_tests_properties(${_n}/replay/${_base} PROPERTIES LABELS "ipctb;replay" TIMEOUT 120
                           PASS_REGULAR_EXPRESSION "5 of 5 runs reproduced")
    endforeach()
  endif()

  if(_p_CRASHES)
    if(NOT TARGET ipctb::fuzz_decoder)
      message(FATAL_ERROR "ipctb_add_plugin: CRASHES needs ipctb::fuzz_decoder, not installed")
    endif()
    get_filename_component(_dir "${_p_CRASHES}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    file(GLOB _crashes CONFIGURE_DEPENDS "${_dir}/*")
    list(FILTER _crashes EXCLUDE REGEX "/\\.[^/]*$")
    if(NOT _crashes)
      message(STATUS "ipctb_add_plugin(${_t}): no saved input in ${_dir} yet")
    else()
      # `ipctb fuzz` replays each file in the installed decoder fuzz
      # target and gives one verdict per file; a crash is exit 1 and a
      # line "crash: WHAT; input FILE; replay: COMMAND". libFuzzer (a
      # target from the fuzz preset) saves its copy of a crashing input
      # in --crashes.
      set(_fz ${_tool} fuzz --plugin ${_plug} --target $<TARGET_FILE:ipctb::fuzz_decoder>
              --crashes ${CMAKE_CURRENT_BINARY_DIR}/ipctb-crashes)
      foreach(_x IN LISTS _p_BROKEN_DECODERS)
        add_test(NAME ${_n}/fuzz_caught/${_x} COMMAND ${_fz} --decoder ${_x} ${_crashes})
        set_tests_properties(${_n}/fuzz_caught/${_x} PROPERTIES LABELS "ipctb;fuzz;broken"
          TIMEOUT 120 PASS_REGULAR_EXPRESSION "(^|\n)(crash|hang): [^\n]*; replay: ")
      endforeach()
      foreach(_x IN LISTS _p_DECODERS)
        add_test(NAME ${_n}/fuzz_replay/${_x} COMMAND ${_fz} --decoder ${_x} ${_crashes})
        set_tests_properties(${_n}/fuzz_replay/${_x} PROPERTIES LABELS "ipctb;fuzz" TIMEOUT 120)
      endforeach()
    endif()
  endif()
endfunction()
