// cpp_test_util.hpp - the C tests' helpers (ffi-tests/c/test_util.h: CHECK, scratch
// directories, tu_now_ns) plus status checks for rtlog::Status. Include it first.
#ifndef RTLOG_CPP_TEST_UTIL_HPP
#define RTLOG_CPP_TEST_UTIL_HPP

#include "test_util.h"

#include "rtlog.hpp"

// CHECK_ST(expr, want): evaluate expr (an rtlog::Status) once; on mismatch print both statuses
// and rtlog::last_error(), exit(1).
#define CHECK_ST(expr, want)                                                                   \
    do {                                                                                       \
        rtlog::Status ct_got_ = (expr);                                                        \
        rtlog::Status ct_want_ = (want);                                                       \
        if (ct_got_ != ct_want_)                                                               \
            tu_fail(__FILE__, __LINE__, #expr, "expected %d (%s), got %d (%s); last error: \"%s\"", \
                    static_cast<int>(ct_want_), rtlog::to_string(ct_want_),                    \
                    static_cast<int>(ct_got_), rtlog::to_string(ct_got_), rtlog::last_error()); \
    } while (0)

#define CHECK_OK(expr) CHECK_ST(expr, rtlog::Status::ok)

// CHECK_THROWS(stmt, want): stmt must throw rtlog::Error with status `want`; binds the
// error's what() text to `ct_what` (a std::string declared before the macro) for more checks.
#if RTLOG_HPP_EXCEPTIONS
#define CHECK_THROWS(stmt, want, ct_what)                                                      \
    do {                                                                                       \
        bool ct_thrown_ = false;                                                               \
        try {                                                                                  \
            stmt;                                                                              \
        } catch (const rtlog::Error &e) {                                                      \
            ct_thrown_ = true;                                                                 \
            ct_what = e.what();                                                                \
            CHECK(e.status() == (want), "%s threw %s, expected %s", #stmt,                     \
                  rtlog::to_string(e.status()), rtlog::to_string(want));                       \
        }                                                                                      \
        CHECK(ct_thrown_, "%s did not throw", #stmt);                                          \
    } while (0)
#endif

#endif // RTLOG_CPP_TEST_UTIL_HPP
