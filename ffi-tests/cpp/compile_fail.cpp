// compile_fail.cpp - misuses of rtlog.hpp that must not compile, each with the message that
// says why. cmake/cpp.cmake compiles this file once per case (-DCASE_<NAME>) with
// -fsyntax-only through cmake/CompileFail.cmake, which expects a failure whose output matches
// the case's pattern; CASE_NONE must compile (so a failure is the case's, not the setup's).
#include "rtlog.hpp"

#include <string>
#include <string_view>

struct NoId {
    int x;
};

struct WithId {
    static constexpr std::uint16_t rtlog_type_id = 1;
    int x;
};

void use(rtlog::Producer &p, rtlog::Config &cfg)
{
    (void)cfg;
#if defined(CASE_NONE)
    (void)p.publish(rtlog::Stream::normal, WithId{1});
    (void)p.publish(rtlog::Stream::normal, 2, NoId{1});
#elif defined(CASE_NOT_TRIVIAL) // pattern: trivially copyable
    (void)p.publish(rtlog::Stream::normal, 1, std::string("text"));
#elif defined(CASE_POINTER) // pattern: publishing a pointer
    const char *text = "text";
    (void)p.publish(rtlog::Stream::normal, 1, text);
#elif defined(CASE_STRING_VIEW) // pattern: string_view
    (void)p.publish(rtlog::Stream::normal, 1, std::string_view("text"));
#elif defined(CASE_NO_TYPE_ID) // pattern: rtlog_type_id
    (void)p.publish(rtlog::Stream::normal, NoId{1});
#elif defined(CASE_COPY_PRODUCER) // pattern: deleted
    rtlog::Producer copy = p;
    (void)copy;
#elif defined(CASE_THROWING_WITHOUT_EXCEPTIONS) // built with -fno-exceptions; pattern: Logger
    rtlog::Logger lg(cfg);
#else
#error "no CASE_ defined"
#endif
}

int main()
{
    return 0;
}
