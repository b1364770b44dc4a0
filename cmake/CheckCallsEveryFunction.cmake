# cmake -DHEADER=include/rtlog.h,include/rtlog_testing.h -DSOURCE=ffi-tests/c/test_misuse.c
#       -P CheckCallsEveryFunction.cmake
#
# Fails unless SOURCE calls every function that HEADER declares (several
# headers separated by commas), so that a function added to the C API cannot
# miss its misuse cases (NULL for each pointer, values out of range, wrong
# phase). A declaration is a line that starts a prototype: a return type at
# column 0, then `rtlog_name(`.
string(REPLACE "," ";" _headers "${HEADER}")
set(_decls "")
foreach(_header IN LISTS _headers)
  file(STRINGS "${_header}" _header_decls REGEX "^[a-z][a-z0-9_ ]*[ *]rtlog_[a-z0-9_]+\\(")
  list(APPEND _decls ${_header_decls})
endforeach()
file(READ "${SOURCE}" _source)
set(_missing "")
set(_count 0)
foreach(_line IN LISTS _decls)
  if(_line MATCHES "^typedef")
    continue()
  endif()
  string(REGEX MATCH "rtlog_[a-z0-9_]+\\(" _call "${_line}")
  # A name ending in `_` (rtlog_arg_i_) is a static inline helper of the header's macros,
  # not an API function: the macros call it, a program does not.
  if(_call MATCHES "_\\($")
    continue()
  endif()
  math(EXPR _count "${_count} + 1")
  string(FIND "${_source}" "${_call}" _at)
  if(_at EQUAL -1)
    list(APPEND _missing "${_call})")
  endif()
endforeach()
if(_count LESS 30)
  message(FATAL_ERROR "found only ${_count} functions in ${HEADER}: has its layout changed?")
endif()
if(_missing)
  list(JOIN _missing ", " _list)
  message(FATAL_ERROR "${SOURCE} does not call: ${_list}")
endif()
message(STATUS "${SOURCE} calls all ${_count} functions of ${HEADER}")
