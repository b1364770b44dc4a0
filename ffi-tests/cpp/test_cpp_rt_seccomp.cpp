// test_cpp_rt_seccomp.cpp - ../c/test_rt_seccomp.c built as C++ (every C++ variant: C++17 and
// C++20, with and without exceptions): the RTLOG_* macros' C++ packing (templates, the
// constexpr format check, rtlog.hpp's std::string_view and std::string) on an RT thread under
// a seccomp filter that kills the process on any system call. See that file.
#include "cpp_test_util.hpp"

#include "test_rt_seccomp.c"
