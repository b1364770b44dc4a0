# Which ctest entry runs which Rust test target (tests/*.rs, and cli/tests/*.rs of the
# rtlog-cli crate), so that each runs exactly once in `cmake --workflow --preset test`:
#
#   crash_rust    (label crash)    the kill / power-loss restart loop, 20 rounds
#   faults_rust   (label faults)   the Nth-I/O sweep, power cuts, durability under failures
#   hostile_rust  (label hostile)  truncated, flipped, zeroed, stale and misplaced files
#   fleet_rust    (label fleet)    rtlog ship / collect against real nats-server processes
#                                  (cmake/fleet.cmake; cli/tests/fleet.rs)
#   rt_proofs_rust, loom_models    (root CMakeLists.txt, labels rtproof and loom)
#   api_doc                        (cmake/cpp.cmake, label docs)
#   cargo_test    (label unit)     every other target of the library, its unit and doc
#                                  tests (with the test-hooks feature)
#   cargo_test_tools (label unit)  every other target of the CLI, the other crates' unit
#                                  and doc tests (the library without test-hooks)
#
# cargo_test's targets are what the lists below leave over, so a new tests/*.rs runs in
# cargo_test unless it is put in a list; configuring fails if a listed name has no file or a
# file is in two lists. The longer runs are commands in the README (200 crash rounds).
#
# Included from the root CMakeLists.txt, which sets CARGO_EXECUTABLE, RTLOG_CARGO_TARGET_DIR
# and RTLOG_CARGO_HOOKS_DIR.

set(RTLOG_RUST_TESTS_crash crash_kill)
set(RTLOG_RUST_TESTS_faults io_sweep power_loss durability)
set(RTLOG_RUST_TESTS_hostile hostile hostile_regions recovery)
# Run by fleet_rust in cmake/fleet.cmake (a test of the rtlog-cli crate).
set(RTLOG_RUST_TESTS_fleet fleet)
# Run by rt_proofs_rust and loom_models in the root CMakeLists.txt (loom_ring is empty
# without --cfg loom), and by api_doc in cmake/cpp.cmake.
set(RTLOG_RUST_TESTS_elsewhere rt_alloc rt_seccomp loom_ring api_doc)
set(_rust_lists crash faults hostile fleet elsewhere)

# Cargo's test targets: tests/<name>.rs and tests/<name>/main.rs.
file(GLOB _rust_test_files CONFIGURE_DEPENDS
     "${PROJECT_SOURCE_DIR}/tests/*.rs" "${PROJECT_SOURCE_DIR}/tests/*/main.rs")
# The CLI's, in its own crate: `cargo test --workspace --test <name>` runs a name in every
# crate that has it, so a name may be in only one of the two.
file(GLOB _cli_test_files CONFIGURE_DEPENDS
     "${PROJECT_SOURCE_DIR}/cli/tests/*.rs" "${PROJECT_SOURCE_DIR}/cli/tests/*/main.rs")
list(APPEND _rust_test_files ${_cli_test_files})
set(_rust_targets "")
foreach(_f IN LISTS _rust_test_files)
  get_filename_component(_name "${_f}" NAME_WE)
  if(_name STREQUAL "main")
    get_filename_component(_dir "${_f}" DIRECTORY)
    get_filename_component(_name "${_dir}" NAME)
  endif()
  if(_name IN_LIST _rust_targets)
    message(FATAL_ERROR "Rust test `${_name}` is both in tests/ and in cli/tests/")
  endif()
  list(APPEND _rust_targets ${_name})
endforeach()

# Every listed name is a target, in one list only; what no list names is a unit test. So
# every target is in exactly one list, and none is left out.
set(_rust_unit ${_rust_targets})
set(_rust_listed "")
foreach(_list IN LISTS _rust_lists)
  foreach(_name IN LISTS RTLOG_RUST_TESTS_${_list})
    if(NOT _name IN_LIST _rust_targets)
      message(FATAL_ERROR "cmake/reliability-rust.cmake lists Rust test `${_name}` (${_list}), "
                          "but there is no tests/${_name}.rs")
    endif()
    if(_name IN_LIST _rust_listed)
      message(FATAL_ERROR "cmake/reliability-rust.cmake lists Rust test `${_name}` twice")
    endif()
    list(APPEND _rust_listed ${_name})
    list(REMOVE_ITEM _rust_unit ${_name})
  endforeach()
endforeach()
# The unit tests, in two commands by the library build they need:
#
# - cargo_test: the library's own (its unit tests, examples, the tests/*.rs no list names, its
#   doc tests), built with the `test-hooks` feature that its dev-dependency on itself turns on;
# - cargo_test_tools: the other crates' (the CLI's cli/tests/*.rs no list names, the unit
#   tests of rtlog-cli, rtlog-fleet and rtlog-bench), against the library as the build step
#   built it, without the hooks. rtlog-ffi-tests runs in ffi_abi.
#
# The hooks builds (cargo_test, crash/faults/hostile, rt_proofs_rust, api_doc) have a target
# directory of their own, ${RTLOG_CARGO_HOOKS_DIR}, with its lock cargo_hooks_dir; the rest
# use the build's, with cargo_target_dir. Cargo runs one build per directory at a time, so
# this lets ctest run a hooks test and a tools test side by side (the fleet tests mostly wait
# for their servers), for the price of compiling the library's own dependencies twice.
set(_cli_targets "")
foreach(_f IN LISTS _cli_test_files)
  get_filename_component(_name "${_f}" NAME_WE)
  if(_name STREQUAL "main")
    get_filename_component(_dir "${_f}" DIRECTORY)
    get_filename_component(_name "${_dir}" NAME)
  endif()
  list(APPEND _cli_targets ${_name})
endforeach()
set(_unit_args "")
set(_tools_args "")
foreach(_name IN LISTS _rust_unit)
  if(_name IN_LIST _cli_targets)
    list(APPEND _tools_args --test ${_name})
  else()
    list(APPEND _unit_args --test ${_name})
  endif()
endforeach()
list(JOIN _unit_args " " _unit_args)
list(JOIN _tools_args " " _tools_args)
add_test(NAME cargo_test
         COMMAND sh -ec "\"$1\" test -p rtlog --release --lib --examples ${_unit_args} && \"$1\" test -p rtlog --release --doc"
                 cargo_test "${CARGO_EXECUTABLE}"
         WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
# Cargo serialises on a target dir anyway, so RESOURCE_LOCK keeps ctest from parking a second
# cargo on the lock and lets C tests use the other job slot. COST makes the long ones start
# first.
set_tests_properties(cargo_test PROPERTIES
  LABELS unit TIMEOUT 1200 COST 1000 RESOURCE_LOCK cargo_hooks_dir
  ENVIRONMENT "CARGO_TARGET_DIR=${RTLOG_CARGO_HOOKS_DIR}")

set(_tools_packages --workspace --exclude rtlog --exclude rtlog-ffi-tests)
list(JOIN _tools_packages " " _tools_packages)
add_test(NAME cargo_test_tools
         COMMAND sh -ec "\"$1\" test ${_tools_packages} --release --lib --bins --examples ${_tools_args} && \"$1\" test ${_tools_packages} --release --doc"
                 cargo_test_tools "${CARGO_EXECUTABLE}"
         WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(cargo_test_tools PROPERTIES
  LABELS unit TIMEOUT 1200 COST 900 RESOURCE_LOCK cargo_target_dir
  ENVIRONMENT "CARGO_TARGET_DIR=${RTLOG_CARGO_TARGET_DIR}")

foreach(_label IN ITEMS crash faults hostile)
  set(_args "")
  foreach(_name IN LISTS RTLOG_RUST_TESTS_${_label})
    list(APPEND _args --test ${_name})
  endforeach()
  add_test(NAME ${_label}_rust
           COMMAND "${CARGO_EXECUTABLE}" test -p rtlog --release ${_args}
           WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
  set_tests_properties(${_label}_rust PROPERTIES
    LABELS ${_label} TIMEOUT 900 COST 400 RESOURCE_LOCK cargo_hooks_dir
    ENVIRONMENT "CARGO_TARGET_DIR=${RTLOG_CARGO_HOOKS_DIR}")
endforeach()
