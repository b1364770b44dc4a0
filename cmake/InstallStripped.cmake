# The install-time half of cmake/install.cmake, run by `cmake --install`: installs
# librtlog.so.X.Y.Z and librtlog.a without their debug info, and the shared library's debug
# info beside it as .debug/librtlog.so.X.Y.Z.debug. cmake/install.cmake sets before it:
#
#   _rtlog_objcopy   objcopy (CMAKE_OBJCOPY)
#   _rtlog_lib_dir   the build's lib/ (the libraries as cargo built them, with debug info)
#   _rtlog_so        librtlog.so.X.Y.Z
#   _rtlog_libdir    CMAKE_INSTALL_LIBDIR (relative to the install prefix, or absolute)
#
# objcopy --strip-debug removes the DWARF sections and keeps the symbol tables, so profilers
# and backtraces still name functions without the .debug file. The stripped .so carries a
# .gnu_debuglink (the .debug file's name and CRC), and gdb and perf look for that file in a
# .debug directory beside the library by themselves, at any prefix. librtlog.a keeps no
# debug info anywhere: a program that needs it links the build's lib/librtlog.a.
if(IS_ABSOLUTE "${_rtlog_libdir}")
  set(_dest "$ENV{DESTDIR}${_rtlog_libdir}")
else()
  set(_dest "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${_rtlog_libdir}")
endif()
set(_debug "${_dest}/.debug/${_rtlog_so}.debug")
file(MAKE_DIRECTORY "${_dest}/.debug")

# _rtlog_objcopy_to(<output> <objcopy arguments>...)
function(_rtlog_objcopy_to out)
  message(STATUS "Installing: ${out}")
  execute_process(COMMAND "${_rtlog_objcopy}" ${ARGN} "${out}"
                  RESULT_VARIABLE _rc ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${_rtlog_objcopy} ${ARGN} ${out} failed (${_rc}): ${_err}")
  endif()
endfunction()

# The .debug file first: --add-gnu-debuglink reads it for its CRC.
_rtlog_objcopy_to("${_debug}" --only-keep-debug "${_rtlog_lib_dir}/${_rtlog_so}")
file(CHMOD "${_debug}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
_rtlog_objcopy_to("${_dest}/${_rtlog_so}" --strip-debug "--add-gnu-debuglink=${_debug}"
                  "${_rtlog_lib_dir}/${_rtlog_so}")
file(CHMOD "${_dest}/${_rtlog_so}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
     GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
_rtlog_objcopy_to("${_dest}/librtlog.a" --strip-debug "${_rtlog_lib_dir}/librtlog.a")
file(CHMOD "${_dest}/librtlog.a" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# install_manifest.txt lists what file(INSTALL) installed; these are installed by hand.
list(APPEND CMAKE_INSTALL_MANIFEST_FILES
     "${_debug}" "${_dest}/${_rtlog_so}" "${_dest}/librtlog.a")
