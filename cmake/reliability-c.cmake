# Reliability of the C side (issue 6), included by the root CMakeLists.txt
# after its TSan block (it uses _c_tests, RTLOG_TSAN_TESTS and _scratch_tests
# from there). Labels:
#
#   misuse    the C API used wrongly: test_misuse, and misuse_covers_the_header
#             (test_misuse calls every function of include/rtlog.h and
#             include/rtlog_testing.h)
#   sanitize  every C test built with -fsanitize=address (<name>_asan) and
#             with -fsanitize=undefined (<name>_ubsan), and the TSan tests
#   faults    the demo, the C tests and ffi-tests/faults/fault_workload.c on
#             failing storage: libfiu's fiu-run -x (random write, fsync, open,
#             read... failures), RLIMIT_FSIZE, a full tmpfs
#
#   ctest --test-dir build -L misuse|sanitize|faults
#   RTLOG_FAULT_ROUNDS=20 ctest --test-dir build -L faults     (the long run)

# ---- misuse -----------------------------------------------------------------
if(TEST test_misuse)
  set_tests_properties(test_misuse PROPERTIES LABELS "integration;misuse")
endif()
if(TEST test_fault_stats)
  set_tests_properties(test_fault_stats PROPERTIES LABELS "integration;faults")
endif()
add_test(NAME misuse_covers_the_header
         COMMAND "${CMAKE_COMMAND}"
                 "-DHEADER=${PROJECT_SOURCE_DIR}/include/rtlog.h,${PROJECT_SOURCE_DIR}/include/rtlog_testing.h"
                 "-DSOURCE=${PROJECT_SOURCE_DIR}/ffi-tests/c/test_misuse.c"
                 -P "${CMAKE_CURRENT_LIST_DIR}/CheckCallsEveryFunction.cmake")
set_tests_properties(misuse_covers_the_header PROPERTIES LABELS misuse TIMEOUT 60)

# ---- AddressSanitizer and UndefinedBehaviorSanitizer --------------------------
# The executables are instrumented; librtlog.so (Rust) is not, but ASan's
# allocator and LeakSanitizer see every malloc it makes, so a leak or a
# double free of C-visible memory across the boundary is still reported.
# test_rt_malloc replaces malloc (as ASan does) and test_rt_cost runs under
# valgrind: neither is built here; nor is test_stall, a timing test (its
# slowest publish is bounded) whose C side the TSan build checks.
# RTLOG_TEST_RECORDS shortens the long loops (test_roundtrip, test_misuse) as
# for TSan.
set(RTLOG_SANITIZE_SKIP test_rt_malloc test_rt_cost test_stall)
set(_san_asan_flags -fsanitize=address -fno-omit-frame-pointer)
set(_san_ubsan_flags -fsanitize=undefined -fno-sanitize-recover=all)
set(_san_asan_env "ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1")
set(_san_ubsan_env "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")

foreach(_kind asan ubsan)
  string(TOUPPER "${_kind}" _KIND)
  set(CMAKE_REQUIRED_FLAGS ${_san_${_kind}_flags})
  set(CMAKE_REQUIRED_LINK_OPTIONS ${_san_${_kind}_flags})
  check_c_source_compiles("int main(void) { return 0; }" RTLOG_HAVE_${_KIND})
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(NOT RTLOG_HAVE_${_KIND})
    message(WARNING "the C compiler cannot build with ${_san_${_kind}_flags}: the ${_kind} tests are skipped")
    continue()
  endif()
  foreach(_src IN LISTS _c_tests)
    get_filename_component(_base "${_src}" NAME_WE)
    if(_base IN_LIST RTLOG_SANITIZE_SKIP)
      continue()
    endif()
    set(_name ${_base}_${_kind})
    add_executable(${_name} "${_src}")
    target_compile_options(${_name} PRIVATE -std=c11 -Wall -Wextra -g -O1 ${_san_${_kind}_flags})
    target_link_options(${_name} PRIVATE ${_san_${_kind}_flags})
    target_link_libraries(${_name} PRIVATE rtlog::rtlog Threads::Threads)
    add_test(NAME ${_name} COMMAND ${_name} "${RTLOG_SCRATCH}/${_name}")
    set_tests_properties(${_name} PROPERTIES
      LABELS "sanitize;${_kind}" TIMEOUT 600
      WORKING_DIRECTORY "${RTLOG_SCRATCH}/${_name}"
      ENVIRONMENT "RTLOG_TEST_RECORDS=200000;${_san_${_kind}_env}")
    list(APPEND _scratch_tests ${_name})
  endforeach()
endforeach()

# The TSan builds of the root CMakeLists.txt belong to `sanitize` too.
foreach(_base IN LISTS RTLOG_TSAN_TESTS)
  foreach(_name ${_base}_tsan ${_base}_tsan_rust)
    if(TEST ${_name})
      set_property(TEST ${_name} APPEND PROPERTY LABELS sanitize)
    endif()
  endforeach()
endforeach()

# ---- faults -------------------------------------------------------------------
# ffi-tests/faults/fault_run.sh runs each program, kills it after a timeout
# (a hang fails), fails on death by a signal, and then reads back the logs it
# left (log_check). fault_workload checks its own log: nothing reported
# durable missing, nothing damaged, twice or misattributed. The fiu tests
# inject with p = RTLOG_FIU_PROBABILITY into every write, fsync, open, read...
# of the process and print how many faults they injected.
set(_fault_run "${PROJECT_SOURCE_DIR}/ffi-tests/faults/fault_run.sh")
find_program(FIU_RUN_EXECUTABLE fiu-run)
find_library(FIU_LIBRARY fiu)
find_path(FIU_INCLUDE_DIR fiu-control.h)

add_library(rtlog_fiu_counter OBJECT ffi-tests/faults/fiu_counter.c)
target_compile_options(rtlog_fiu_counter PRIVATE -std=c11 -Wall -Wextra)
set(_fiu_libs "")
if(FIU_RUN_EXECUTABLE AND FIU_LIBRARY AND FIU_INCLUDE_DIR)
  target_compile_definitions(rtlog_fiu_counter PRIVATE RTLOG_WITH_FIU)
  target_include_directories(rtlog_fiu_counter PRIVATE "${FIU_INCLUDE_DIR}")
  set(_fiu_libs "${FIU_LIBRARY}")
  set(RTLOG_HAVE_FIU ON)
else()
  message(WARNING "libfiu (Debian: fiu-utils, libfiu-dev) not found: the faults_fiu_* tests are skipped")
  set(RTLOG_HAVE_FIU OFF)
endif()

add_executable(fault_workload ffi-tests/faults/fault_workload.c $<TARGET_OBJECTS:rtlog_fiu_counter>)
add_executable(log_check ffi-tests/faults/log_check.c)
foreach(_t fault_workload log_check)
  target_compile_options(${_t} PRIVATE -std=c11 -Wall -Wextra)
  target_link_libraries(${_t} PRIVATE rtlog::rtlog Threads::Threads ${_fiu_libs})
endforeach()

# rtlog_fault_test(NAME <name> [TIMEOUT s] ARGS <fault_run.sh arguments...>)
# The test's scratch directory is <scratch>/<name>; @DIR@ in ARGS stands for it.
function(rtlog_fault_test)
  cmake_parse_arguments(F "" "NAME;TIMEOUT" "ARGS;ENV" ${ARGN})
  if(NOT F_TIMEOUT)
    set(F_TIMEOUT 300)
  endif()
  set(_dir "${RTLOG_SCRATCH}/${F_NAME}")
  list(TRANSFORM F_ARGS REPLACE "@DIR@" "${_dir}")
  add_test(NAME ${F_NAME} COMMAND bash "${_fault_run}"
           --timeout ${F_TIMEOUT} --report "${_dir}/fiu-report.txt"
           --log-check $<TARGET_FILE:log_check> ${F_ARGS})
  # ctest's own timeout is a backstop; fault_run.sh kills a hang first and
  # says so. Each round may take the whole per-round timeout.
  set_tests_properties(${F_NAME} PROPERTIES
    LABELS faults TIMEOUT 3600 SKIP_RETURN_CODE 77
    WORKING_DIRECTORY "${_dir}"
    ENVIRONMENT "${F_ENV}")
  set(_scratch_tests ${_scratch_tests} ${F_NAME} PARENT_SCOPE)
endfunction()

# The workload: 4 RT threads, 2 x 10000 records each per epoch, 3 epochs (the
# later ones recover what the faults left).
set(_workload $<TARGET_FILE:fault_workload> @DIR@/log --fresh --epochs 3 --records 10000)

if(RTLOG_HAVE_FIU)
  # fiu-run -x with the counter: p = 1% and 5% of every I/O call fails;
  # 5 runs each (seeds differ), RTLOG_FAULT_ROUNDS in the long run.
  rtlog_fault_test(NAME faults_fiu_workload
    ARGS --rounds 5 fiu -- ${_workload} --segment-bytes 65536
    ENV "RTLOG_FIU_PROBABILITY=0.01")
  rtlog_fault_test(NAME faults_fiu_workload_fsync
    ARGS --rounds 5 fiu -- ${_workload} --segment-bytes 65536 --durability fsync
    ENV "RTLOG_FIU_PROBABILITY=0.05")

  # rtlog_init (recovery) and rtlog_start with their Nth open, read, fsync...
  # failing, for every N: see ffi-tests/faults/fiu_init_sweep.c.
  add_executable(fiu_init_sweep ffi-tests/faults/fiu_init_sweep.c)
  target_compile_options(fiu_init_sweep PRIVATE -std=c11 -Wall -Wextra)
  target_include_directories(fiu_init_sweep PRIVATE "${FIU_INCLUDE_DIR}")
  target_link_libraries(fiu_init_sweep PRIVATE rtlog::rtlog Threads::Threads ${_fiu_libs})
  rtlog_fault_test(NAME faults_fiu_init_sweep
    ARGS --once fiu -- $<TARGET_FILE:fiu_init_sweep> @DIR@)

  # The demo and the C tests that write log files (the others use the dummy
  # backend), built again with the counter. Their checks expect no loss, so
  # under faults one may fail (exit 1); it must still end by itself, and what
  # it logged must read back clean.
  set(RTLOG_FIU_TESTS test_errors test_misuse test_reader test_roundtrip)
  add_executable(control_loop_fiu examples-c/control_loop.c $<TARGET_OBJECTS:rtlog_fiu_counter>)
  target_link_libraries(control_loop_fiu PRIVATE rtlog::rtlog Threads::Threads ${_fiu_libs})
  rtlog_fault_test(NAME faults_fiu_demo
    ARGS --allow-exit "0 1" --check-logs @DIR@ fiu -- $<TARGET_FILE:control_loop_fiu> 1 @DIR@/log
    ENV "RTLOG_FIU_PROBABILITY=0.01")
  foreach(_base IN LISTS RTLOG_FIU_TESTS)
    set(_src "${PROJECT_SOURCE_DIR}/ffi-tests/c/${_base}.c")
    add_executable(${_base}_fiu "${_src}" $<TARGET_OBJECTS:rtlog_fiu_counter>)
    target_compile_options(${_base}_fiu PRIVATE -std=c11 -Wall -Wextra)
    target_link_libraries(${_base}_fiu PRIVATE rtlog::rtlog Threads::Threads ${_fiu_libs})
    rtlog_fault_test(NAME faults_fiu_${_base}
      ARGS --allow-exit "0 1" --check-logs @DIR@ fiu -- $<TARGET_FILE:${_base}_fiu> @DIR@
      ENV "RTLOG_FIU_PROBABILITY=0.01;RTLOG_TEST_RECORDS=100000")
  endforeach()

  # fiu-run's own random mode, as its manual shows it (uncounted: the demo
  # prints the write and sync errors rtlog saw).
  rtlog_fault_test(NAME faults_fiu_random_demo
    ARGS --allow-exit "0 1" --check-logs @DIR@ fiu-random 0.01 -- $<TARGET_FILE:control_loop> 1 @DIR@/log)
else()
  add_test(NAME faults_fiu_missing COMMAND "${CMAKE_COMMAND}" -E echo
           "SKIP: install fiu-utils and libfiu-dev and re-run cmake for the fiu tests")
  set_tests_properties(faults_fiu_missing PROPERTIES LABELS faults)
endif()

# Out of space, per file: RLIMIT_FSIZE below the segment size. SIGXFSZ keeps
# its default action (ending the process) in both programs; rtlog's threads
# block it, so their write fails with EFBIG instead.
rtlog_fault_test(NAME faults_fsize_workload
  ARGS fsize 300000 -- ${_workload} --segment-bytes 1048576 --expect-errors EFBIG)
rtlog_fault_test(NAME faults_fsize_demo
  ARGS --allow-exit "0 1" --check-logs @DIR@ fsize 200000 -- $<TARGET_FILE:control_loop> 1 @DIR@/log)

# Out of space, for the whole file system: a small tmpfs (private mount
# namespace; skipped where none can be made). Full from the start; full with
# preallocated segments; full, then space freed midway (the logger must
# write again).
rtlog_fault_test(NAME faults_fulldisk_workload
  ARGS fulldisk 2m -- $<TARGET_FILE:fault_workload> @MNT@/log --epochs 3 --records 4000
       --segment-bytes 131072 --expect-errors ENOSPC)
rtlog_fault_test(NAME faults_fulldisk_preallocate
  ARGS fulldisk 2m -- $<TARGET_FILE:fault_workload> @MNT@/log --epochs 2 --records 4000
       --segment-bytes 524288 --preallocate --expect-errors ENOSPC)
rtlog_fault_test(NAME faults_fulldisk_space_returns
  ARGS fulldisk 8m -- $<TARGET_FILE:fault_workload> @MNT@/log --epochs 1 --records 8000
       --segment-bytes 131072 --filler @FILLER@ --expect-errors ENOSPC)
