# Install rules, included by the root CMakeLists.txt after the library's
# targets (it uses RTLOG_LIB_DIR, _so_real and _so_soname from there):
#
#   lib/librtlog.so.X.Y.Z (+ the .so.0 and .so links), lib/librtlog.a
#   lib/.debug/librtlog.so.X.Y.Z.debug
#   include/rtlog.h, include/rtlog_testing.h, include/rtlog.hpp
#   lib/cmake/rtlog/ (the CMake package), lib/pkgconfig/rtlog.pc
#   bin/rtlog (the log tool, with RTLOG_BUILD_CLI: its rule is in the root
#   CMakeLists.txt, beside the target that builds it)
#
# Release builds keep full debug info (Cargo.toml: debug = "full"), for
# profiling, debugging and the ABI check (abi/abi.sh reads the struct layouts
# from it); the libraries are installed without it (librtlog.so 10.7 MB ->
# 0.9 MB, librtlog.a 37.9 MB -> 14.3 MB) and the .so's debug info goes to the .debug file that
# gdb and perf find by themselves: see cmake/InstallStripped.cmake.

if(CMAKE_OBJCOPY)
  install(CODE "set(_rtlog_objcopy \"${CMAKE_OBJCOPY}\")
    set(_rtlog_lib_dir \"${RTLOG_LIB_DIR}\")
    set(_rtlog_so \"${_so_real}\")
    set(_rtlog_libdir \"${CMAKE_INSTALL_LIBDIR}\")")
  install(SCRIPT cmake/InstallStripped.cmake)
else()
  message(WARNING "objcopy not found: librtlog is installed with its debug info")
  install(FILES "${RTLOG_LIB_DIR}/${_so_real}"
          DESTINATION "${CMAKE_INSTALL_LIBDIR}"
          PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
                      GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  install(FILES "${RTLOG_LIB_DIR}/librtlog.a" DESTINATION "${CMAKE_INSTALL_LIBDIR}")
endif()
install(FILES "${RTLOG_LIB_DIR}/${_so_soname}" "${RTLOG_LIB_DIR}/librtlog.so"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(FILES include/rtlog.h DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(FILES include/rtlog_testing.h DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(FILES include/rtlog.hpp DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" OPTIONAL)

set(RTLOG_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/rtlog")
configure_package_config_file(cmake/rtlogConfig.cmake.in
  "${PROJECT_BINARY_DIR}/rtlogConfig.cmake"
  INSTALL_DESTINATION "${RTLOG_INSTALL_CMAKEDIR}"
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR)
# Before 1.0, a minor release may break the API (Cargo's rule for 0.x too),
# so 0.x consumers need the same minor version.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_compat SameMinorVersion)
else()
  set(_compat SameMajorVersion)
endif()
write_basic_package_version_file("${PROJECT_BINARY_DIR}/rtlogConfigVersion.cmake"
  COMPATIBILITY ${_compat})
install(FILES "${PROJECT_BINARY_DIR}/rtlogConfig.cmake"
              "${PROJECT_BINARY_DIR}/rtlogConfigVersion.cmake"
        DESTINATION "${RTLOG_INSTALL_CMAKEDIR}")

# rtlog.pc finds its prefix from its own location (${pcfiledir}), so the
# installed tree can be moved, as the CMake package can.
file(RELATIVE_PATH RTLOG_PC_PREFIX_FROM_PCFILEDIR
     "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" RTLOG_PC_PREFIX_FROM_PCFILEDIR
       "${RTLOG_PC_PREFIX_FROM_PCFILEDIR}")
list(TRANSFORM RTLOG_NATIVE_STATIC_LIBS PREPEND "-l" OUTPUT_VARIABLE _pc_libs_private)
list(JOIN _pc_libs_private " " RTLOG_PC_LIBS_PRIVATE)
configure_file(cmake/rtlog.pc.in "${PROJECT_BINARY_DIR}/rtlog.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/rtlog.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
