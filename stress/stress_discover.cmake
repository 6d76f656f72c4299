# SPDX-License-Identifier: MIT
# Included by ctest (stress/CMakeLists.txt): one entry per applicable
# scenario x correct scheme (`stress/<scenario>/<scheme>`; in processes
# mode also `stress_threads/<scenario>/<scheme>`), and one
# negative control per broken twin (`stress_twin/<scheme>`), which must be
# caught by the detector it names, by message.
# Inputs: IPCTB_S_TOOL, IPCTB_S_MODE (processes | threads), IPCTB_S_RUN.

macro(_stress_props name)
  set_tests_properties("${name}" PROPERTIES
    LABELS stress TIMEOUT 60 FIXTURES_REQUIRED leakrun
    ENVIRONMENT "IPCTB_RUN_ID=${IPCTB_S_RUN}" ${ARGN})
endmacro()

if(NOT EXISTS "${IPCTB_S_TOOL}")
  add_test(stress_NOT_BUILT "${IPCTB_S_TOOL}")
  return()
endif()
execute_process(COMMAND "${IPCTB_S_TOOL}" stress --list-pairs
                OUTPUT_VARIABLE _pairs RESULT_VARIABLE _rc1)
execute_process(COMMAND "${IPCTB_S_TOOL}" stress --list-twins
                OUTPUT_VARIABLE _twins RESULT_VARIABLE _rc2)
if(NOT _rc1 EQUAL 0 OR NOT _rc2 EQUAL 0)
  add_test(stress_LIST_FAILED "${IPCTB_S_TOOL}" stress --list-pairs)
  return()
endif()

string(REGEX MATCHALL "[a-z0-9_]+/[a-z0-9_]+" _pairs "${_pairs}")
foreach(_p IN LISTS _pairs)
  string(REPLACE "/" ";" _sk "${_p}")
  list(GET _sk 0 _scn)
  list(GET _sk 1 _sch)
  add_test("stress/${_p}" "${IPCTB_S_TOOL}" stress --scenario "${_scn}" --scheme "${_sch}"
           --mode "${IPCTB_S_MODE}" --iters 2000 --procs 4 --seed 1)
  _stress_props("stress/${_p}")
  # Where processes are the main mode, the same pair as threads over one
  # mapping too: every correct scheme passes in both modes.
  if(IPCTB_S_MODE STREQUAL "processes")
    add_test("stress_threads/${_p}" "${IPCTB_S_TOOL}" stress --scenario "${_scn}"
             --scheme "${_sch}" --mode threads --iters 2000 --procs 4 --seed 1)
    _stress_props("stress_threads/${_p}")
  endif()
endforeach()

# Twins: "<scheme> <detector> <kill|->" per line. Every twin run waits long
# for a lock (a lost wake-up then sleeps past the others' end, and the
# watchdog sees the stall), and one that claims recovery has a participant
# killed, since that promise is what it breaks.
string(REGEX MATCHALL "[a-z0-9_]+ [a-z0-9_+]+ [a-z-]+" _twins "${_twins}")
foreach(_t IN LISTS _twins)
  string(REPLACE " " ";" _sd "${_t}")
  list(GET _sd 0 _sch)
  list(GET _sd 1 _det)
  list(GET _sd 2 _kill)
  set(_extra --scenario all --iters 20000 --procs 4 --jitter 50)
  set(_serial FALSE)
  if(_kill STREQUAL "kill")
    list(APPEND _extra "--kill")
  elseif(_kill STREQUAL "pair")
    # Two parties racing in hardware (Peterson without its fence): both
    # must run at once, so the run has the machine to itself for 8 s.
    set(_extra --scenario counter --duration 8)
    set(_serial TRUE)
  endif()
  if(_det MATCHES "^tsan") # free-running, only TSan sees it
    if(NOT IPCTB_S_MODE STREQUAL "threads")
      continue()
    endif()
    set(_re "WARNING: ThreadSanitizer: data race")
  elseif(_det MATCHES "address")
    # Broken only where each participant maps the region itself.
    if(IPCTB_S_MODE STREQUAL "threads")
      continue()
    endif()
    set(_re "violation [(](invariant|crash)[)]|stuck [(]watchdog[)]")
  elseif(_det STREQUAL "invariant")
    set(_re "violation [(]invariant[)]")
  elseif(_det STREQUAL "watchdog")
    set(_re "stuck [(]watchdog[)]")
  elseif(_det STREQUAL "crash")
    set(_re "violation [(]crash[)]")
  elseif(_det STREQUAL "scheduler")
    set(_re "") # only a schedule shows it: sched_twin/ below
  else()
    continue() # another harness's detector (a model checker)
  endif()
  if(_kill STREQUAL "pair" AND IPCTB_S_COVERAGE)
    # The coverage build counts every edge with a locked add, a full fence
    # on x86: the store-load reordering a fence-less Peterson needs cannot
    # happen there, so no detector can see it.
    continue()
  endif()
  if(IPCTB_S_MODE STREQUAL "threads")
    # Threads take no kill, and TSan cannot see a two-party race in
    # hardware: those twins are caught in processes mode. For the rest,
    # TSan's report counts as well as the scenario's own detector.
    if(_kill STREQUAL "kill" OR _kill STREQUAL "pair")
      continue()
    endif()
    set(_re "${_re}|WARNING: ThreadSanitizer: data race")
  endif()
  if(_re)
    add_test("stress_twin/${_sch}" "${IPCTB_S_TOOL}" stress --scheme "${_sch}"
             --mode "${IPCTB_S_MODE}" --seed 1 --lock-timeout 5000 ${_extra})
    _stress_props("stress_twin/${_sch}" PASS_REGULAR_EXPRESSION "${_re}")
    if(_serial)
      set_tests_properties("stress_twin/${_sch}" PROPERTIES RUN_SERIAL TRUE)
    endif()
  endif()
endforeach()

# The controlled scheduler's negative controls: exploring from seed 1 (PCT,
# processes), every twin whose bug an interleaving shows must fail within
# the budget, as the scheduler reports it: a deadlock where a free run
# only stalls. The fence-less Peterson lock fails through the scheduler's
# store buffers (ipctb/memory.h), the relaxed-unlock spin ("tsan+memory")
# through their C11 rule for a relaxed read-modify-write; a twin only TSan
# sees ("tsan") is covered by its threads-mode seed (stress/seeds/).
foreach(_t IN LISTS _twins)
  string(REPLACE " " ";" _sd "${_t}")
  list(GET _sd 0 _sch)
  list(GET _sd 1 _det)
  list(GET _sd 2 _kill)
  if(_det STREQUAL "tsan")
    continue()
  endif()
  set(_scn counter)
  if(_sch MATCHES "seqlock")
    set(_scn rw) # its readers are what the missing re-check breaks
  endif()
  set(_extra)
  if(_kill STREQUAL "kill")
    set(_extra --kill)
  endif()
  if(_det STREQUAL "watchdog" OR _det STREQUAL "scheduler")
    set(_re "deadlock [(]scheduler[)]")
  elseif(_det MATCHES "address")
    set(_re "violation [(](invariant|crash)[)]")
  else()
    set(_re "violation [(]invariant[)]")
  endif()
  add_test("sched_twin/${_sch}" "${IPCTB_S_TOOL}" stress --scheme "${_sch}" --scenario ${_scn}
           --explore --strategy pct --budget 60s --seed 1 ${_extra})
  _stress_props("sched_twin/${_sch}" PASS_REGULAR_EXPRESSION "failure in schedule.*${_re}")
  if(IPCTB_S_MODE STREQUAL "threads") # the tsan preset: see stress/CMakeLists.txt's seeds
    set_tests_properties("sched_twin/${_sch}" PROPERTIES ENVIRONMENT
      "IPCTB_RUN_ID=${IPCTB_S_RUN};TSAN_OPTIONS=halt_on_error=0:handle_segv=0")
  endif()
endforeach()
