# Consumer tests (label consumer), included by the root CMakeLists.txt (it sets
# _run_expect, _fresh_dirs and _scratch_tests; the C++ program's run,
# consumer_run_cpp, is in cmake/cpp.cmake):
#
#   consumer_install ... consumer_pkgconfig
#       install into a prefix inside the build tree, then build
#       examples-c/consumer against it as an outside project would, with
#       CMake (find_package) and with pkg-config
#   consumer_fetchcontent_*
#       examples-c/consumer with rtlog as a subproject (FetchContent from this
#       source tree), as a project that vendors rtlog would build it
#
# Chained with fixtures, so e.g. `ctest -R consumer_run` brings in install,
# configure and build.
#
#   ctest --test-dir build -L consumer
set(RTLOG_CONSUMER_PREFIX "${PROJECT_BINARY_DIR}/consumer-prefix")
set(RTLOG_CONSUMER_BUILD "${PROJECT_BINARY_DIR}/consumer-build")
set(RTLOG_FETCHCONTENT_BUILD "${PROJECT_BINARY_DIR}/consumer-fetchcontent-build")
list(APPEND _fresh_dirs "${RTLOG_CONSUMER_PREFIX}" "${RTLOG_CONSUMER_BUILD}")
set(_consumer_ok "consumer ok: 200 records")

# How the tests configure examples-c/consumer: with this build's compilers, build type and
# generator; each adds where rtlog comes from.
set(_consumer_configure "${CMAKE_COMMAND}" -S "${PROJECT_SOURCE_DIR}/examples-c/consumer"
    -G "${CMAKE_GENERATOR}" "-DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}"
    "-DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}" "-DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}")

# _rtlog_consumer_run(<test> <program> <fixture>): runs a consumer program on its scratch
# directory, once <fixture> has built it; it must exit 0 and print _consumer_ok.
function(_rtlog_consumer_run name program fixture)
  add_test(NAME ${name}
           COMMAND "${CMAKE_COMMAND}" "-DEXPECT=${_consumer_ok}" -P "${_run_expect}"
                   -- "${program}" "${RTLOG_SCRATCH}/${name}")
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED ${fixture})
  set(_scratch_tests ${_scratch_tests} ${name} PARENT_SCOPE)
endfunction()

add_test(NAME consumer_install
         COMMAND "${CMAKE_COMMAND}" --install "${PROJECT_BINARY_DIR}"
                 --prefix "${RTLOG_CONSUMER_PREFIX}")
set_tests_properties(consumer_install PROPERTIES
  FIXTURES_SETUP consumer_installed)

add_test(NAME consumer_configure
         COMMAND ${_consumer_configure} -B "${RTLOG_CONSUMER_BUILD}"
                 "-DCMAKE_PREFIX_PATH=${RTLOG_CONSUMER_PREFIX}")
set_tests_properties(consumer_configure PROPERTIES
  FIXTURES_REQUIRED consumer_installed FIXTURES_SETUP consumer_configured)

add_test(NAME consumer_build
         COMMAND "${CMAKE_COMMAND}" --build "${RTLOG_CONSUMER_BUILD}")
set_tests_properties(consumer_build PROPERTIES
  FIXTURES_REQUIRED consumer_configured FIXTURES_SETUP consumer_built)

_rtlog_consumer_run(consumer_run "${RTLOG_CONSUMER_BUILD}/app" consumer_built)
_rtlog_consumer_run(consumer_run_static "${RTLOG_CONSUMER_BUILD}/app_static" consumer_built)

# Run as the README shows it, without a log directory: the program makes a temporary one
# (under TMPDIR, here its scratch directory), says so, and removes it, leaving nothing behind.
foreach(_app IN ITEMS app app_cpp)
  set(_name consumer_${_app}_temporary_dir)
  add_test(NAME ${_name}
           COMMAND "${CMAKE_COMMAND}"
                   "-DEXPECT=log directory [^\n]*/rtlog-consumer-[A-Za-z0-9]+ \\(temporary\\)\nconsumer ok: 200 records\n$"
                   -P "${_run_expect}"
                   -- sh -ec "TMPDIR=\"$2\" \"$1\"; if [ -n \"$(ls -A \"$2\")\" ]; then echo \"left behind in $2:\"; ls -A \"$2\"; exit 1; fi"
                      ${_name} "${RTLOG_CONSUMER_BUILD}/${_app}" "${RTLOG_SCRATCH}/${_name}")
  set_tests_properties(${_name} PROPERTIES FIXTURES_REQUIRED consumer_built)
  list(APPEND _scratch_tests ${_name})
endforeach()

# The installed libraries have no DWARF, and the .so's debug link leads to its debug info
# (checked with readelf, and with gdb where installed); the runs above use them.
find_program(GDB_EXECUTABLE gdb)
set(_gdb_arg "")
if(GDB_EXECUTABLE)
  set(_gdb_arg "-DGDB=${GDB_EXECUTABLE}")
endif()
add_test(NAME consumer_stripped
         COMMAND "${CMAKE_COMMAND}" "-DLIBDIR=${RTLOG_CONSUMER_PREFIX}/${CMAKE_INSTALL_LIBDIR}"
                 "-DSO=${_so_real}" "-DREADELF=${CMAKE_READELF}" ${_gdb_arg}
                 -P "${PROJECT_SOURCE_DIR}/cmake/CheckStripped.cmake")
set_tests_properties(consumer_stripped PROPERTIES FIXTURES_REQUIRED consumer_installed)

# The same main.c built by hand the way a Makefile user would, against the
# installed rtlog.pc; LD_LIBRARY_PATH because pkg-config adds no rpath.
find_program(PKG_CONFIG_EXECUTABLE pkg-config)
if(PKG_CONFIG_EXECUTABLE)
  set(_pc_exe "${RTLOG_SCRATCH}/consumer_pkgconfig/app")
  add_test(NAME consumer_pkgconfig
           COMMAND "${CMAKE_COMMAND}" "-DEXPECT=${_consumer_ok}" -P "${_run_expect}"
                   -- sh -ec "\"$1\" \"$2\" -o \"$3\" $(pkg-config --cflags --libs rtlog) && LD_LIBRARY_PATH=\"$4\" \"$3\" \"$5\""
                   consumer_pkgconfig
                   "${CMAKE_C_COMPILER}"
                   "${PROJECT_SOURCE_DIR}/examples-c/consumer/main.c"
                   "${_pc_exe}"
                   "${RTLOG_CONSUMER_PREFIX}/${CMAKE_INSTALL_LIBDIR}"
                   "${RTLOG_SCRATCH}/consumer_pkgconfig/log")
  set_tests_properties(consumer_pkgconfig PROPERTIES
    FIXTURES_REQUIRED consumer_installed
    ENVIRONMENT "PKG_CONFIG_PATH=${RTLOG_CONSUMER_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  list(APPEND _scratch_tests consumer_pkgconfig)
else()
  message(WARNING "pkg-config not found: test consumer_pkgconfig is skipped")
endif()

# With FetchContent: a fresh configure (into an emptied directory) of the
# project with rtlog as a subproject, from this source tree. It shares this
# build's cargo target dir (RTLOG_CARGO_TARGET_DIR), where cargo finds the
# library up to date, so the test costs a configure and the C and C++
# compiles, not a Rust build. That holds until the cargo tests build the
# library with other features (--workspace), so these two come first: the
# highest COST, and the cargo tests' lock from the start.
add_test(NAME consumer_fetchcontent_configure
         COMMAND sh -ec "rm -rf \"$1\"; shift; exec \"$@\""
                 consumer_fetchcontent_configure "${RTLOG_FETCHCONTENT_BUILD}"
                 ${_consumer_configure} -B "${RTLOG_FETCHCONTENT_BUILD}"
                 "-DRTLOG_SOURCE=${PROJECT_SOURCE_DIR}"
                 "-DRTLOG_CARGO_TARGET_DIR=${RTLOG_CARGO_TARGET_DIR}")
set_tests_properties(consumer_fetchcontent_configure PROPERTIES
  FIXTURES_SETUP consumer_fetchcontent_configured)

add_test(NAME consumer_fetchcontent_build
         COMMAND "${CMAKE_COMMAND}" --build "${RTLOG_FETCHCONTENT_BUILD}")
set_tests_properties(consumer_fetchcontent_build PROPERTIES
  FIXTURES_REQUIRED consumer_fetchcontent_configured
  FIXTURES_SETUP consumer_fetchcontent_built)
set_tests_properties(consumer_fetchcontent_configure consumer_fetchcontent_build PROPERTIES
  COST 2000 RESOURCE_LOCK cargo_target_dir)

foreach(_app IN ITEMS app app_static app_cpp)
  _rtlog_consumer_run(consumer_fetchcontent_${_app} "${RTLOG_FETCHCONTENT_BUILD}/${_app}"
                      consumer_fetchcontent_built)
endforeach()

# The installed tool (RTLOG_BUILD_CLI): <prefix>/bin/rtlog runs and says it is this version
# of rtlog (the library's version, not the CLI crate's).
if(TARGET rtlog_cli)
  string(REPLACE "." "[.]" _version_re "${PROJECT_VERSION}")
  add_test(NAME consumer_cli_version
           COMMAND "${CMAKE_COMMAND}" "-DEXPECT=^rtlog ${_version_re}[^0-9]" -P "${_run_expect}"
                   -- "${RTLOG_CONSUMER_PREFIX}/${CMAKE_INSTALL_BINDIR}/rtlog" --version)
  set_tests_properties(consumer_cli_version PROPERTIES FIXTURES_REQUIRED consumer_installed)
endif()

foreach(_name IN ITEMS consumer_install consumer_configure consumer_build consumer_cli_version
                       consumer_run consumer_run_static consumer_app_temporary_dir
                       consumer_app_cpp_temporary_dir consumer_stripped consumer_pkgconfig
                       consumer_fetchcontent_configure consumer_fetchcontent_build
                       consumer_fetchcontent_app consumer_fetchcontent_app_static
                       consumer_fetchcontent_app_cpp)
  if(TEST ${_name})
    set_tests_properties(${_name} PROPERTIES LABELS consumer TIMEOUT 300)
  endif()
endforeach()

