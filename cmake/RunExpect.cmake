# Runs a command and fails unless it exits with 0 AND its output (stdout and
# stderr) matches the regular expression EXPECT. ctest alone cannot ask for
# both: with PASS_REGULAR_EXPRESSION it ignores the exit code, so a program
# that prints its success line and then crashes on exit would pass.
#
#   cmake -DEXPECT=<regex> -P RunExpect.cmake -- <command> [<arg>...]
#
# With -DEXPECT_FAIL=ON the command must instead exit with a non-zero code and
# its output match EXPECT (a compile-fail test: the compiler must refuse the
# code, with the message that says why).
cmake_minimum_required(VERSION 3.25)

set(_cmd "")
set(_seen_sep FALSE)
math(EXPR _last "${CMAKE_ARGC} - 1")
foreach(_i RANGE ${_last})
  if(_seen_sep)
    # escape `;` so that an argument such as a shell script stays one argument
    string(REPLACE ";" "\\;" _arg "${CMAKE_ARGV${_i}}")
    list(APPEND _cmd "${_arg}")
  elseif(CMAKE_ARGV${_i} STREQUAL "--")
    set(_seen_sep TRUE)
  endif()
endforeach()
if(NOT _cmd OR NOT DEFINED EXPECT)
  message(FATAL_ERROR "usage: cmake -DEXPECT=<regex> -P RunExpect.cmake -- <command> [<arg>...]")
endif()

list(JOIN _cmd " " _shown)
execute_process(COMMAND ${_cmd}
                RESULT_VARIABLE _rc
                OUTPUT_VARIABLE _out ERROR_VARIABLE _out
                ECHO_OUTPUT_VARIABLE ECHO_ERROR_VARIABLE)
if(EXPECT_FAIL)
  if(_rc STREQUAL "0")
    message(FATAL_ERROR "command succeeded, expected it to fail: ${_shown}")
  endif()
  if(NOT _out MATCHES "${EXPECT}")
    message(FATAL_ERROR "command failed (${_rc}) but its output does not match \"${EXPECT}\": ${_shown}")
  endif()
  return()
endif()
if(NOT _rc STREQUAL "0")
  message(FATAL_ERROR "command failed (${_rc}): ${_shown}")
endif()
if(NOT _out MATCHES "${EXPECT}")
  message(FATAL_ERROR "command exited 0 but its output does not match \"${EXPECT}\": ${_shown}")
endif()
