# Typed records (rtlog_type_register): test_typed (a C test of the glob in the root
# CMakeLists.txt) and test_cpp_typed (a C++ test of cmake/cpp.cmake, with its no-exceptions
# build) each write the "typed test log" under their scratch directory, and typed_dump_c /
# typed_dump_cpp / typed_dump_cpp_noexc check `rtlog dump --json` of that log field by field,
# with the same Rust check that cli/tests/cli_typed.rs runs on the log it writes with the Rust API.
# The packages of cargo_test_tools (cmake/reliability-rust.cmake), so they share its build.
foreach(_pair IN ITEMS "test_typed|typed_dump_c|integration"
                       "test_cpp_typed|typed_dump_cpp|integration;cpp"
                       "test_cpp_typed_cxx17_noexc|typed_dump_cpp_noexc|integration;cpp")
  string(REPLACE "|" ";" _parts "${_pair}")
  list(GET _parts 0 _writer)
  list(GET _parts 1 _check)
  list(SUBLIST _parts 2 -1 _labels)
  if(NOT TEST ${_writer})
    continue()
  endif()
  set_tests_properties(${_writer} PROPERTIES FIXTURES_SETUP ${_check}_log)
  add_test(NAME ${_check}
           COMMAND "${CARGO_EXECUTABLE}" test --workspace --exclude rtlog --exclude rtlog-ffi-tests
                   --release --test cli_typed --
                   --ignored --exact typed_dump_of_an_external_log
           WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
  set_tests_properties(${_check} PROPERTIES
    LABELS "${_labels}" TIMEOUT 900 RESOURCE_LOCK cargo_target_dir
    FIXTURES_REQUIRED ${_check}_log
    ENVIRONMENT "CARGO_TARGET_DIR=${RTLOG_CARGO_TARGET_DIR};RTLOG_TYPED_LOG=${RTLOG_SCRATCH}/${_writer}/typed-log")
endforeach()
