# The C++ binding (include/rtlog.hpp), its tests, the C++ and reader examples, and the check
# of docs/API.md against include/rtlog.h and rtlog_testing.h. Included from the root
# CMakeLists.txt before its fresh_dirs fixture, so that the tests here can add their scratch
# directories to _scratch_tests.
#
# Labels: cpp (the binding's tests), examples (the examples, run briefly), docs (API.md); the
# C++ allocation test also has rtproof, the header and compile-fail checks abi, the C++
# consumer consumer.
#
#   ctest --test-dir build -L cpp

include(CheckCXXCompilerFlag)

# ---------------------------------------------------------------------------
# Build variants of every C++ test: the language standard and whether exceptions and RTTI are
# on. The binding promises C++17, C++20 (std::span) and -fno-exceptions -fno-rtti builds.
# ---------------------------------------------------------------------------
set(_cpp_variants cxx17 cxx17_noexc)
check_cxx_compiler_flag(-std=c++20 RTLOG_HAVE_CXX20)
if(RTLOG_HAVE_CXX20)
  list(APPEND _cpp_variants cxx20 cxx20_noexc)
else()
  message(WARNING "the C++ compiler has no -std=c++20: the C++20 builds of the C++ tests are skipped")
endif()

# _rtlog_cpp_variant_flags(<variant> <out-var>): compile flags of a variant.
function(_rtlog_cpp_variant_flags variant out)
  string(REGEX MATCH "cxx[0-9]+" _std "${variant}")
  string(REPLACE "cxx" "-std=c++" _flags "${_std}")
  if(variant MATCHES "_noexc$")
    list(APPEND _flags -fno-exceptions -fno-rtti)
  endif()
  set(${out} ${_flags} PARENT_SCOPE)
endfunction()

# Warnings for the tests; the header check adds the stricter set a user's build might use.
set(_cpp_warnings -Wall -Wextra -Werror -pedantic)
set(_cpp_strict_warnings ${_cpp_warnings} -Wconversion -Wsign-conversion -Wshadow
    -Wold-style-cast -Wnon-virtual-dtor -Woverloaded-virtual -Wcast-qual -Wundef)

# One executable and one test per ffi-tests/cpp/test_*.cpp and variant: <name> for C++17 with
# exceptions, <name>_<variant> for the others. Run as `<exe> <build>/test-scratch/<test>`.
file(GLOB _cpp_tests CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/ffi-tests/cpp/test_*.cpp")
set(_cpp_sources ${_cpp_tests} "${PROJECT_SOURCE_DIR}/ffi-tests/cpp/header_hpp.cpp")
foreach(_src IN LISTS _cpp_sources)
  get_filename_component(_base "${_src}" NAME_WE)
  foreach(_variant IN LISTS _cpp_variants)
    if(_variant STREQUAL "cxx17")
      set(_name ${_base})
    else()
      set(_name ${_base}_${_variant})
    endif()
    _rtlog_cpp_variant_flags(${_variant} _flags)
    add_executable(${_name} "${_src}")
    target_include_directories(${_name} PRIVATE "${PROJECT_SOURCE_DIR}/ffi-tests/c"
                                                "${PROJECT_SOURCE_DIR}/ffi-tests/cpp")
    target_link_libraries(${_name} PRIVATE rtlog::rtlog Threads::Threads)
    if(_base STREQUAL "header_hpp")
      target_compile_options(${_name} PRIVATE ${_flags} ${_cpp_strict_warnings})
      add_test(NAME ${_name} COMMAND ${_name})
      set_tests_properties(${_name} PROPERTIES LABELS "cpp;abi" TIMEOUT 60)
      continue()
    endif()
    target_compile_options(${_name} PRIVATE ${_flags} ${_cpp_warnings})
    add_test(NAME ${_name} COMMAND ${_name} "${RTLOG_SCRATCH}/${_name}")
    set(_labels "cpp;integration")
    if(_base STREQUAL "test_cpp_rt" OR _base STREQUAL "test_cpp_rt_seccomp")
      set(_labels "cpp;integration;rtproof")
    endif()
    set_tests_properties(${_name} PROPERTIES
      LABELS "${_labels}" TIMEOUT 300
      WORKING_DIRECTORY "${RTLOG_SCRATCH}/${_name}")
    list(APPEND _scratch_tests ${_name})
  endforeach()
endforeach()

# ---------------------------------------------------------------------------
# Misuses that must not compile, each refused with the message that says why
# (ffi-tests/cpp/compile_fail.cpp). compile_fail_none must compile: it shows that the others
# fail for their own reason.
# ---------------------------------------------------------------------------
set(_cf_src "${PROJECT_SOURCE_DIR}/ffi-tests/cpp/compile_fail.cpp")
set(_cf_cmd "${CMAKE_CXX_COMPILER}" -std=c++17 -fsyntax-only "-I${PROJECT_SOURCE_DIR}/include")
add_test(NAME compile_fail_none COMMAND ${_cf_cmd} -DCASE_NONE "${_cf_src}")
set(_cf_tests compile_fail_none)
foreach(_case IN ITEMS
    "NOT_TRIVIAL|trivially copyable|"
    "POINTER|publishing a pointer|"
    "STRING_VIEW|publishing a string_view|"
    "MESSAGE_STRING_VIEW_AS_INT|the format does not match the arguments' types or count|"
    "MESSAGE_STRING_MISSING_ARG|the format does not match the arguments' types or count|"
    "NO_TYPE_ID|rtlog_type_id|"
    "COPY_PRODUCER|deleted|"
    "THROWING_WITHOUT_EXCEPTIONS|no matching|-fno-exceptions"
    "DECLARE_SIZE_MISMATCH|sizes_agree<16, 12>|"
    "DECLARE_BAD_LAYOUT|the layout of Axis is not valid|"
    "DECLARE_NOT_TRIVIAL|must be trivially copyable|"
    "DECLARE_UNDECLARED|takes the id, name and layout from RTLOG_DECLARE_TYPE|"
    "DECLARE_MEMBER_WRONG_TYPE|offsets_agree<4, 0>.*Stamp::gain is not at the offset its layout gives it|"
    "DECLARE_MEMBER_ORDER|offsets_agree<8, 0>.*Axis::position is not at the offset its layout gives it|"
    "DECLARE_MEMBER_SWAPPED|offsets_agree<16, 8>.*Cycle::vel is not at the offset its layout gives it|"
    "DECLARE_MEMBER_ALIGNAS|offsets_agree<2, 1>.*Spaced::b is not at the offset its layout gives it|"
    "DECLARE_MEMBER_UNSUPPORTED|Labeled::label has a type that no layout type describes|"
    "DISCARDED_PUBLISH|ignoring return value.*nodiscard|-Werror=unused-result")
  string(REPLACE "|" ";" _parts "${_case}")
  list(GET _parts 0 _what)
  list(GET _parts 1 _pattern)
  list(GET _parts 2 _extra)
  string(TOLOWER "compile_fail_${_what}" _name)
  add_test(NAME ${_name}
           COMMAND "${CMAKE_COMMAND}" -DEXPECT_FAIL=ON "-DEXPECT=${_pattern}" -P "${_run_expect}"
                   -- ${_cf_cmd} ${_extra} -DCASE_${_what} "${_cf_src}")
  list(APPEND _cf_tests ${_name})
endforeach()
set_tests_properties(${_cf_tests} PROPERTIES LABELS "cpp;abi" TIMEOUT 120)

# rtlog_publish's status, ignored in C: rtlog.h marks it RTLOG_MUST_USE (warn_unused_result).
# The warning comes after parsing, so these compile to an object (thrown away), not
# -fsyntax-only. discard_status_used must compile: the discarded case fails for its own reason.
set(_ds_cmd "${CMAKE_C_COMPILER}" -std=c99 -Wall -Wextra -pedantic -Werror=unused-result -c
    -o "${CMAKE_CURRENT_BINARY_DIR}/discard_status.o" "-I${PROJECT_SOURCE_DIR}/include"
    "${PROJECT_SOURCE_DIR}/ffi-tests/c/discard_status.c")
add_test(NAME discard_status_used COMMAND ${_ds_cmd} -DCASE_USED)
add_test(NAME discard_status_discarded
         COMMAND "${CMAKE_COMMAND}" -DEXPECT_FAIL=ON "-DEXPECT=ignoring return value.*warn_unused_result"
                 -P "${_run_expect}" -- ${_ds_cmd} -DCASE_DISCARDED)
set_tests_properties(discard_status_used discard_status_discarded PROPERTIES
  LABELS abi TIMEOUT 120 RESOURCE_LOCK discard_status_o)

# ---------------------------------------------------------------------------
# Examples: the C++ control loop, and read_log (the C reader API) on the log it writes (both
# built in the root CMakeLists.txt).
# ---------------------------------------------------------------------------
set(_cpp_demo_log "${RTLOG_SCRATCH}/control_loop_cpp_short/log")
add_test(NAME control_loop_cpp_short
         COMMAND "${CMAKE_COMMAND}"
                 "-DEXPECT=first joint_state{cycle=0 position_rad=[-0-9.e]+ velocity_rad_s=[-0-9.e]+}.*first wakeup_latency{cycle=0 late_ns=[0-9]+}.*control_loop_cpp ok"
                 -P "${_run_expect}"
                 -- $<TARGET_FILE:control_loop_cpp> 1 "${_cpp_demo_log}")
set_tests_properties(control_loop_cpp_short PROPERTIES
  FIXTURES_SETUP cpp_demo_log
  WORKING_DIRECTORY "${RTLOG_SCRATCH}/control_loop_cpp_short")
list(APPEND _scratch_tests control_loop_cpp_short)

# 1 s at 1 kHz: up to 4000 records per stream (no count asserted: a stalled machine may drop).
# The records are typed: read_log prints each type from the log's schema, then the fields.
add_test(NAME read_log_records
         COMMAND "${CMAKE_COMMAND}"
                 "-DEXPECT=type [12] [a-z_]+, (24|16) bytes: cycle u64 @0, [a-z_]+ [fi]64 @8[^\n]*\n[^\n]* len=(24|16) [a-z_]+{cycle=[0-9]+ .*read_log: [1-9][0-9]* records \\(segments 1, epochs 1 of which crashed or open 0, damaged regions 0"
                 -P "${_run_expect}" -- $<TARGET_FILE:read_log> "${_cpp_demo_log}" --limit 5)
add_test(NAME read_log_frames
         COMMAND "${CMAKE_COMMAND}" "-DEXPECT=epoch-begin pid=.*clean-close records=[1-9]"
                 -P "${_run_expect}" -- $<TARGET_FILE:read_log> "${_cpp_demo_log}" --frames)
add_test(NAME read_log_filtered
         COMMAND "${CMAKE_COMMAND}" "-DEXPECT=producer=2 stream=critical type=1 seq=0 .* len=24 joint_state{cycle=0 .*read_log: [1-9][0-9]* records"
                 -P "${_run_expect}"
                 -- $<TARGET_FILE:read_log> "${_cpp_demo_log}" --producer joint-2 --stream critical --limit 1)
# The other type, and its schema line in full (the first record may be any joint's).
add_test(NAME read_log_typed
         COMMAND "${CMAKE_COMMAND}"
                 "-DEXPECT=^type 2 wakeup_latency, 16 bytes: cycle u64 @0, late_ns i64 @8\n[^\n]* type=2 seq=[0-9]+ [^\n]* len=16 wakeup_latency{cycle=[0-9]+ late_ns=-?[0-9]+}\nread_log: [1-9][0-9]* records"
                 -P "${_run_expect}" -- $<TARGET_FILE:read_log> "${_cpp_demo_log}" --type 2 --limit 1)
set_tests_properties(read_log_records read_log_frames read_log_filtered read_log_typed PROPERTIES
  FIXTURES_REQUIRED cpp_demo_log)
set_tests_properties(control_loop_cpp_short read_log_records read_log_frames read_log_filtered read_log_typed PROPERTIES
  LABELS "examples;integration" TIMEOUT 120)

# The consumer project's C++ program (examples-c/consumer/main.cpp) against the installed
# package, like consumer_run for main.c.
add_test(NAME consumer_run_cpp
         COMMAND "${CMAKE_COMMAND}" "-DEXPECT=${_consumer_ok}" -P "${_run_expect}"
                 -- "${RTLOG_CONSUMER_BUILD}/app_cpp" "${RTLOG_SCRATCH}/consumer_run_cpp")
set_tests_properties(consumer_run_cpp PROPERTIES
  FIXTURES_REQUIRED consumer_built LABELS consumer TIMEOUT 300)
list(APPEND _scratch_tests consumer_run_cpp)

# The same example where SCHED_FIFO is not permitted: it must say so and still work. Needs
# setpriv to drop CAP_SYS_NICE (allowed where the build runs as root, as in CI); elsewhere the
# test above already runs without the permission.
find_program(SETPRIV_EXECUTABLE setpriv)
if(SETPRIV_EXECUTABLE)
  execute_process(COMMAND "${SETPRIV_EXECUTABLE}" --inh-caps=-sys_nice --bounding-set=-sys_nice true
                  RESULT_VARIABLE _setpriv_rc OUTPUT_QUIET ERROR_QUIET)
  if(_setpriv_rc EQUAL 0)
    add_test(NAME control_loop_cpp_no_fifo
             COMMAND "${CMAKE_COMMAND}"
                     "-DEXPECT=note: SCHED_FIFO not permitted.*normal scheduling.*control_loop_cpp ok"
                     -P "${_run_expect}"
                     -- sh -c "ulimit -r 0 && exec \"$0\" --inh-caps=-sys_nice --bounding-set=-sys_nice \"$1\" 0.2 \"$2\""
                        "${SETPRIV_EXECUTABLE}" $<TARGET_FILE:control_loop_cpp>
                        "${RTLOG_SCRATCH}/control_loop_cpp_no_fifo/log")
    set_tests_properties(control_loop_cpp_no_fifo PROPERTIES
      LABELS "examples;integration" TIMEOUT 120
      WORKING_DIRECTORY "${RTLOG_SCRATCH}/control_loop_cpp_no_fifo")
    list(APPEND _scratch_tests control_loop_cpp_no_fifo)
  endif()
endif()

# ---------------------------------------------------------------------------
# docs/API.md covers every function of include/rtlog.h and include/rtlog_testing.h, with the
# statuses the headers list (tests/api_doc.rs; cmake/reliability-rust.cmake keeps it out of
# cargo_test).
# ---------------------------------------------------------------------------
add_test(NAME api_doc
         COMMAND "${CARGO_EXECUTABLE}" test -p rtlog --release --test api_doc
         WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(api_doc PROPERTIES
  LABELS docs TIMEOUT 600 RESOURCE_LOCK cargo_hooks_dir
  ENVIRONMENT "CARGO_TARGET_DIR=${RTLOG_CARGO_HOOKS_DIR}")

