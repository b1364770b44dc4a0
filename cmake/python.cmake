# The Python package (python/, python/README.md) and its test, label `python`:
#
#   ctest --test-dir build -L python
#
# python_package makes a virtual environment in the build tree (build/python-venv), installs
# maturin, numpy, pandas, polars, pytest and mcap from PyPI, `pip install`s ./python (cargo
# builds the native module into build/cargo-python), and runs python/tests/ against logs that
# the C test test_typed and the C++ demo write, comparing with the rtlog tool's output. Where
# Python cannot make a virtual environment (Debian without python3-venv, which .ci/run
# installs), the test is listed and reports itself skipped with the reason.

if(NOT TARGET rtlog_cli OR NOT TARGET test_typed OR NOT TARGET control_loop_cpp)
  return()
endif()

# Without a python3, the script reports the test skipped (it cannot make the environment).
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_FOUND)
  set(Python3_EXECUTABLE python3)
  message(STATUS "Python test will be skipped: no python3")
endif()

add_test(NAME python_package
         COMMAND sh "${PROJECT_SOURCE_DIR}/python/tests/ctest.sh"
                 "${PROJECT_BINARY_DIR}/python-venv" "${PROJECT_SOURCE_DIR}" "${Python3_EXECUTABLE}")
# RESOURCE_LOCK: the cargo tests may replace the rtlog tool while they run.
set_tests_properties(python_package PROPERTIES
  LABELS python TIMEOUT 900 SKIP_RETURN_CODE 77 RESOURCE_LOCK cargo_target_dir
  ENVIRONMENT "RTLOG_CLI=${RTLOG_CLI};RTLOG_TYPED_WRITER=$<TARGET_FILE:test_typed>;RTLOG_DEMO_PROGRAM=$<TARGET_FILE:control_loop_cpp>;RTLOG_HOSTILE_CORPUS=${PROJECT_SOURCE_DIR}/fuzz/corpus/reader;RTLOG_PYTEST_REQUIRE=1;CARGO_TARGET_DIR=${PROJECT_BINARY_DIR}/cargo-python")
