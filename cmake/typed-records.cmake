# Typed records (rtlog_type_register): test_typed (a C test of the glob in the root
# CMakeLists.txt) writes the "typed test log" with C structs under its scratch directory, and
# typed_dump_c checks `rtlog dump --json` of that log field by field, with the same Rust check
# that tests/cli_typed.rs runs on the log it writes with the Rust API. --workspace builds with
# the features cargo_test builds with, so the two share one build.
if(TEST test_typed)
  set_tests_properties(test_typed PROPERTIES FIXTURES_SETUP typed_log_c)
  add_test(NAME typed_dump_c
           COMMAND "${CARGO_EXECUTABLE}" test --workspace --release --test cli_typed --
                   --ignored --exact typed_dump_of_an_external_log
           WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")
  set_tests_properties(typed_dump_c PROPERTIES
    LABELS integration TIMEOUT 900 RESOURCE_LOCK cargo_target_dir
    FIXTURES_REQUIRED typed_log_c
    ENVIRONMENT "CARGO_TARGET_DIR=${RTLOG_CARGO_TARGET_DIR};RTLOG_TYPED_LOG=${RTLOG_SCRATCH}/test_typed/typed-log")
endif()
