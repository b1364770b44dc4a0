# Fails when the library built for installation contains the internal fault injector, which
# only the library's own tests may compile in (cargo feature `test-hooks`, see Cargo.toml).
#   cmake -DNM=<nm> -DLIB=<librtlog.a> -P NoTestHooks.cmake
execute_process(COMMAND "${NM}" -C "${LIB}" OUTPUT_VARIABLE _symbols RESULT_VARIABLE _rc
                ERROR_QUIET)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${NM} could not read ${LIB}")
endif()
string(REGEX MATCHALL "[^\n]*(FaultInjector|simulate_power_loss)[^\n]*" _hooks "${_symbols}")
list(LENGTH _hooks _count)
if(_count GREATER 0)
  list(GET _hooks 0 _first)
  message(FATAL_ERROR "${LIB} contains the test-only fault injector (${_count} symbols, e.g. "
                      "${_first}): it was built with the test-hooks feature")
endif()
string(REGEX MATCHALL "[^\n]* T [^\n]*rtlog::[^\n]*" _ours "${_symbols}")
list(LENGTH _ours _ours_count)
if(_ours_count EQUAL 0)
  message(FATAL_ERROR "${LIB} has no rtlog symbols at all: is it the library?")
endif()
message(STATUS "${LIB}: ${_ours_count} rtlog symbols, no fault injector")
