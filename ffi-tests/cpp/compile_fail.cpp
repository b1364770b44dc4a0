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

// Typed records: the struct and its layout are checked where they are declared.
struct Axis {
    std::uint32_t axis;
    double position;
};
// The member form: the layout comes from the members' types and offsets.
struct Cycle {
    std::uint64_t cycle;
    double pos;
    double vel;
};
struct Spaced { // same size as if placed naturally, but b and c are not where C would put them
    std::uint8_t a;
    alignas(2) std::uint8_t b;
    std::uint8_t c;
    std::uint64_t d;
};
struct Stamp {
    std::uint32_t seq;
    float gain;
    double pos;
};
struct Labeled {
    std::uint32_t id;
    const char *label;
};
#if defined(CASE_NONE)
RTLOG_DECLARE_TYPE(Axis, 3, "axis", "u32 axis; f64 position"); // the original form
RTLOG_DECLARE_TYPE(Cycle, 4, "cycle", cycle, pos, vel);
static_assert(rtlog::detail::same_text(rtlog::record_type<Cycle>::layout, "u64 cycle; f64 pos; f64 vel"),
              "the member form's layout");
#elif defined(CASE_DECLARE_MEMBER_WRONG_TYPE) // pattern: Stamp::gain is not at the offset
// The member form takes each type from the member, so a type can only be wrong by place: with
// seq left out the layout ("f32 gain; f64 pos", 16 bytes like the struct) would decode the u32
// seq as the f32 gain, as "f64 cycle" decoded a u64 as 5e-324 in issue 19.
RTLOG_DECLARE_TYPE(Stamp, 7, "stamp", gain, pos);
#elif defined(CASE_DECLARE_MEMBER_ORDER) // pattern: Axis::position is not at the offset
RTLOG_DECLARE_TYPE(Axis, 3, "axis", position, axis);
#elif defined(CASE_DECLARE_MEMBER_SWAPPED) // pattern: Cycle::vel is not at the offset
RTLOG_DECLARE_TYPE(Cycle, 4, "cycle", cycle, vel, pos); // same types and size, labels swapped
#elif defined(CASE_DECLARE_MEMBER_ALIGNAS) // pattern: Spaced::b is not at the offset
RTLOG_DECLARE_TYPE(Spaced, 5, "spaced", a, b, c, d);
#elif defined(CASE_DECLARE_MEMBER_UNSUPPORTED) // pattern: Labeled::label has a type that no layout type describes
RTLOG_DECLARE_TYPE(Labeled, 6, "labeled", id, label);
#elif defined(CASE_DECLARE_SIZE_MISMATCH) // pattern: sizes_agree<16, 12>
RTLOG_DECLARE_TYPE(Axis, 3, "axis", "u32 axis; f32 position; u32 more");
#elif defined(CASE_DECLARE_BAD_LAYOUT) // pattern: the layout of Axis is not valid
RTLOG_DECLARE_TYPE(Axis, 3, "axis", "u32 axis; double position");
#elif defined(CASE_DECLARE_NOT_TRIVIAL) // pattern: must be trivially copyable
RTLOG_DECLARE_TYPE(std::string, 3, "text", "char[32] s");
#endif

void use(rtlog::Producer &p, rtlog::Config &cfg, rtlog::Logger &lg)
{
    (void)cfg;
    (void)lg;
#if defined(CASE_NONE)
    (void)p.publish(rtlog::Stream::normal, WithId{1});
    (void)p.publish(rtlog::Stream::normal, 2, NoId{1});
    (void)p.publish(rtlog::Stream::normal, Axis{1, 0.5}); // the id of RTLOG_DECLARE_TYPE
    (void)lg.try_declare_type<Axis>();
    static_assert(rtlog::layout_size("u32 axis; f64 position") == sizeof(Axis), "constexpr");
    // Messages: std::string_view and std::string are %s arguments (rtlog.hpp).
    const std::string s("text");
    (void)RTLOG_INFO(p.get(), "%s %s %.3s", std::string_view("view"), s, std::string_view(s));
#elif defined(CASE_DECLARE_SIZE_MISMATCH) || defined(CASE_DECLARE_BAD_LAYOUT) || \
    defined(CASE_DECLARE_NOT_TRIVIAL) || defined(CASE_DECLARE_MEMBER_WRONG_TYPE) ||        \
    defined(CASE_DECLARE_MEMBER_ORDER) || defined(CASE_DECLARE_MEMBER_SWAPPED) ||           \
    defined(CASE_DECLARE_MEMBER_ALIGNAS) || defined(CASE_DECLARE_MEMBER_UNSUPPORTED)
#elif defined(CASE_DECLARE_UNDECLARED) // pattern: takes the id, name and layout from RTLOG_DECLARE_TYPE
    (void)lg.try_declare_type<NoId>();
#elif defined(CASE_NOT_TRIVIAL) // pattern: trivially copyable
    (void)p.publish(rtlog::Stream::normal, 1, std::string("text"));
#elif defined(CASE_POINTER) // pattern: publishing a pointer
    const char *text = "text";
    (void)p.publish(rtlog::Stream::normal, 1, text);
#elif defined(CASE_STRING_VIEW) // pattern: string_view
    (void)p.publish(rtlog::Stream::normal, 1, std::string_view("text"));
#elif defined(CASE_MESSAGE_STRING_VIEW_AS_INT) // pattern: the format does not match
    // A view is a %s argument: %d with it is refused at compile time, as printf's -Wformat would.
    (void)RTLOG_INFO(p.get(), "count %d", std::string_view("text"));
#elif defined(CASE_MESSAGE_STRING_MISSING_ARG) // pattern: the format does not match
    const std::string s("text");
    (void)RTLOG_WARN(p.get(), "%s and %s", s);
#elif defined(CASE_NO_TYPE_ID) // pattern: rtlog_type_id
    (void)p.publish(rtlog::Stream::normal, NoId{1});
#elif defined(CASE_COPY_PRODUCER) // pattern: deleted
    rtlog::Producer copy = p;
    (void)copy;
#elif defined(CASE_THROWING_WITHOUT_EXCEPTIONS) // built with -fno-exceptions; pattern: Logger
    rtlog::Logger lg(cfg);
#elif defined(CASE_DISCARDED_PUBLISH) // built with -Werror=unused-result; pattern: nodiscard
    // Every publish overload is [[nodiscard]]: a dropped record must not go unnoticed.
    p.publish(rtlog::Stream::normal, WithId{1});
#else
#error "no CASE_ defined"
#endif
}

int main()
{
    return 0;
}
