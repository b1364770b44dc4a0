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
#   cargo_test    (label unit)     every other target (the CLI's too), the library's,
#                                  binaries' and doc tests
#
# cargo_test's targets are what the lists below leave over, so a new tests/*.rs runs in
# cargo_test unless it is put in a list; configuring fails if a listed name has no file or a
# file is in two lists. The longer runs are commands in the README (200 crash rounds).
#
# Included from the root CMakeLists.txt, which sets CARGO_EXECUTABLE and
# RTLOG_CARGO_TARGET_DIR.

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
# `cargo test --workspace` without tests/*.rs: the library's and binaries' unit tests, the
# examples built, the remaining test targets, then the doc tests (cargo runs --doc alone).
set(_unit_args "")
foreach(_name IN LISTS _rust_unit)
  list(APPEND _unit_args --test ${_name})
endforeach()
list(JOIN _unit_args " " _unit_args)
add_test(NAME cargo_test
         COMMAND sh -ec "\"$1\" test --workspace --release --lib --bins --examples ${_unit_args} && \"$1\" test --workspace --release --doc"
                 cargo_test "${CARGO_EXECUTABLE}"
         WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
# They share the build's cargo target dir so that dependencies are compiled once; cargo
# serialises on that dir anyway, so RESOURCE_LOCK keeps ctest from parking a second cargo on
# the lock and lets C tests use the other job slot. COST makes the long ones start first.
set_tests_properties(cargo_test PROPERTIES
  LABELS unit TIMEOUT 1200 COST 1000 RESOURCE_LOCK cargo_target_dir
  ENVIRONMENT "CARGO_TARGET_DIR=${RTLOG_CARGO_TARGET_DIR}")

foreach(_label IN ITEMS crash faults hostile)
  set(_args "")
  foreach(_name IN LISTS RTLOG_RUST_TESTS_${_label})
    list(APPEND _args --test ${_name})
  endforeach()
  add_test(NAME ${_label}_rust
           COMMAND "${CARGO_EXECUTABLE}" test --release ${_args}
           WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
  set_tests_properties(${_label}_rust PROPERTIES
    LABELS ${_label} TIMEOUT 900 COST 400 RESOURCE_LOCK cargo_target_dir
    ENVIRONMENT "CARGO_TARGET_DIR=${RTLOG_CARGO_TARGET_DIR}")
endforeach()
