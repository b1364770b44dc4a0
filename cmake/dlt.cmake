# The DLT sink's integration test (ctest label `dlt`, docs/DLT.md): Debian's dlt-daemon with
# a private configuration, rtlog's DLT sink, and a real DLT client built against libdlt.
#
#   ctest --test-dir build -L dlt
#
# Needs the packages dlt-daemon (the daemon) and libdlt-dev (the client's headers and
# library; .ci/run installs both). Where either is missing, test_dlt and test_dlt_messages
# are still listed and report themselves skipped with the reason.

find_program(RTLOG_DLT_DAEMON dlt-daemon PATHS /usr/bin /usr/sbin)
find_path(RTLOG_DLT_INCLUDE dlt/dlt_client.h)
find_library(RTLOG_DLT_LIBRARY dlt)

set(_dlt_missing "")
if(NOT RTLOG_DLT_DAEMON)
  list(APPEND _dlt_missing "dlt-daemon")
endif()
if(NOT RTLOG_DLT_INCLUDE OR NOT RTLOG_DLT_LIBRARY)
  list(APPEND _dlt_missing "libdlt-dev")
endif()

if(_dlt_missing)
  list(JOIN _dlt_missing " " _dlt_missing_text)
  foreach(_t test_dlt test_dlt_messages)
    add_test(NAME ${_t}
             COMMAND sh -c "echo 'SKIP ${_t}: not installed: ${_dlt_missing_text} (apt-get install ${_dlt_missing_text})'; exit 77")
    set_tests_properties(${_t} PROPERTIES LABELS dlt SKIP_RETURN_CODE 77)
  endforeach()
  message(STATUS "DLT test skipped: not installed: ${_dlt_missing_text}")
  return()
endif()

# The client: libdlt's client API, in a process of its own (libdlt keeps global state).
add_executable(dlt_client_dump ffi-tests/dlt/dlt_client_dump.c)
target_compile_options(dlt_client_dump PRIVATE -std=c11 -Wall -Wextra)
target_include_directories(dlt_client_dump PRIVATE "${RTLOG_DLT_INCLUDE}")
target_link_libraries(dlt_client_dump PRIVATE "${RTLOG_DLT_LIBRARY}" Threads::Threads)

# The tests: rtlog's C API only; they never link libdlt (ffi-tests/dlt/dlt_harness.h runs the
# daemon and the client). test_dlt: records, outage, reconnection; test_dlt_messages: log
# messages as verbose DLT messages (-Werror: the message macros' format checks stay quiet).
foreach(_t test_dlt test_dlt_messages)
  add_executable(${_t} ffi-tests/dlt/${_t}.c)
  target_compile_options(${_t} PRIVATE -std=c11 -Wall -Wextra)
  target_link_libraries(${_t} PRIVATE rtlog::rtlog Threads::Threads)
  add_dependencies(${_t} dlt_client_dump)
  add_test(NAME ${_t}
           COMMAND ${_t} "${RTLOG_SCRATCH}/${_t}" "${RTLOG_DLT_DAEMON}"
                   $<TARGET_FILE:dlt_client_dump>)
  set_tests_properties(${_t} PROPERTIES LABELS dlt TIMEOUT 300)
endforeach()
target_compile_options(test_dlt_messages PRIVATE -Werror)
