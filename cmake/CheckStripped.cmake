# cmake -DLIBDIR=<prefix>/lib -DSO=librtlog.so.X.Y.Z -DREADELF=readelf [-DGDB=gdb]
#       -P CheckStripped.cmake
#
# Fails unless the installed libraries are as cmake/InstallStripped.cmake promises: librtlog.so
# and librtlog.a without DWARF (.debug_info) but with their symbol tables; the .so with a
# .gnu_debuglink naming .debug/<SO>.debug, which exists, holds the DWARF and has the .so's
# build id. With GDB, also that gdb finds the debug info through the link (it checks the
# CRC) and gives a source line for rtlog_publish. Prints the sizes.

# _readelf(<out-var> <args>...): readelf's output; fails on a readelf error.
function(_readelf out)
  execute_process(COMMAND "${READELF}" ${ARGN} RESULT_VARIABLE _rc
                  OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "readelf ${ARGN} failed (${_rc}): ${_err}")
  endif()
  set(${out} "${_out}" PARENT_SCOPE)
endfunction()

set(_so "${LIBDIR}/${SO}")
set(_debug "${LIBDIR}/.debug/${SO}.debug")
set(_failures "")

foreach(_lib "${_so}" "${LIBDIR}/librtlog.a")
  _readelf(_sections -S -W "${_lib}")
  if(_sections MATCHES "\\.debug_info")
    list(APPEND _failures "${_lib} has a .debug_info section")
  endif()
  if(NOT _sections MATCHES "\\.symtab")
    list(APPEND _failures "${_lib} has no symbol table (.symtab)")
  endif()
endforeach()

_readelf(_link -W -p .gnu_debuglink "${_so}")
if(NOT _link MATCHES "\\] +${SO}\\.debug\n")
  list(APPEND _failures "${_so} has no .gnu_debuglink naming ${SO}.debug: ${_link}")
endif()

if(NOT EXISTS "${_debug}")
  list(APPEND _failures "${_debug} is missing")
else()
  _readelf(_sections -S -W "${_debug}")
  if(NOT _sections MATCHES "\\.debug_info")
    list(APPEND _failures "${_debug} has no .debug_info section")
  endif()
  _readelf(_so_notes -n "${_so}")
  _readelf(_debug_notes -n "${_debug}")
  string(REGEX MATCH "Build ID: [0-9a-f]+" _so_id "${_so_notes}")
  string(REGEX MATCH "Build ID: [0-9a-f]+" _debug_id "${_debug_notes}")
  if(NOT _so_id OR NOT _so_id STREQUAL _debug_id)
    list(APPEND _failures "build ids differ: ${SO} '${_so_id}', ${SO}.debug '${_debug_id}'")
  endif()
endif()

if(GDB AND NOT _failures)
  execute_process(COMMAND "${GDB}" -batch -nx -ex "info line rtlog_publish" "${_so}"
                  OUTPUT_VARIABLE _gdb ERROR_VARIABLE _gdb)
  if(NOT _gdb MATCHES "Line [0-9]+ of \"[^\"]+\\.rs\"")
    list(APPEND _failures "gdb finds no source line for rtlog_publish in ${_so}: ${_gdb}")
  else()
    string(REGEX MATCH "Line [0-9]+ of \"[^\"]+\"" _line "${_gdb}")
    message(STATUS "gdb, through the debug link: rtlog_publish is at ${_line}")
  endif()
endif()

if(_failures)
  list(JOIN _failures "\n  " _text)
  message(FATAL_ERROR "the installed libraries are not stripped as they should be:\n  ${_text}")
endif()
foreach(_f "${_so}" "${_debug}" "${LIBDIR}/librtlog.a")
  file(SIZE "${_f}" _size)
  message(STATUS "${_f}: ${_size} bytes")
endforeach()
message(STATUS "stripped, with the debug info in ${_debug}")
