// header_hpp.cpp - rtlog.hpp compiles first in a translation unit (self-contained) and
// warning-free under strict flags (-Wall -Wextra -Werror -pedantic -Wconversion
// -Wsign-conversion -Wshadow -Wold-style-cast ...; see cmake/cpp.cmake), as C++17 and C++20,
// with and without exceptions and RTTI; every template is instantiated here. At run time,
// every method on empty objects (no logger, no producer, no reader) returns its documented
// status and does not crash.
#include "rtlog.hpp"
#include "rtlog.hpp" // include guard

#include <array>
#include <cstdio>

namespace {

struct Rec {
    static constexpr std::uint16_t rtlog_type_id = 3;
    std::int32_t a;
    float b;
};

struct Typed {
    std::uint32_t axis;
    double position;
    char mode[8];
};

// The member form, with every kind of member type it maps (and an enum).
enum class Mode : std::uint8_t { idle, run };
struct Members {
    std::int8_t i8;
    std::uint8_t u8;
    std::int16_t i16;
    std::uint16_t u16;
    std::int32_t i32;
    std::uint32_t u32;
    std::int64_t i64;
    std::uint64_t u64;
    float f32;
    double f64;
    bool flag;
    char text[5];
    Mode mode;
    std::uint16_t arr[3];
    double vec[2];
};
struct OneMember {
    std::uint32_t name; // named as record_type's own member: looked up in the struct first
};
struct TypeMember {
    std::uint8_t type; // a common name, also one the one-member form's probe could have used
};

int failures = 0;

void expect(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "header_hpp: FAILED: %s\n", what);
        failures++;
    }
}

} // namespace

RTLOG_DECLARE_TYPE(Typed, 5, "typed", "u32 axis; f64 position; char[8] mode"); // the original form
RTLOG_DECLARE_TYPE(Members, 6, "members", i8, u8, i16, u16, i32, u32, i64, u64, f32, f64, flag, text, mode, arr, vec);
RTLOG_DECLARE_TYPE(OneMember, 7, "one", name);
RTLOG_DECLARE_TYPE(TypeMember, 8, "type_member", type);
static_assert(rtlog::detail::same_text(rtlog::record_type<Members>::layout,
                                       "i8 i8; u8 u8; i16 i16; u16 u16; i32 i32; u32 u32; i64 i64; u64 u64; "
                                       "f32 f32; f64 f64; bool flag; char[5] text; u8 mode; u16[3] arr; "
                                       "f64[2] vec"),
              "the member form's layout, in the canonical form");
static_assert(rtlog::detail::same_text(rtlog::record_type<OneMember>::layout, "u32 name") &&
                  rtlog::detail::same_text(rtlog::record_type<TypeMember>::layout, "u8 type") &&
                  rtlog::detail::same_text(rtlog::record_type<Typed>::layout, "u32 axis; f64 position; char[8] mode"),
              "one member, and a layout string");

int main()
{
    rtlog::Logger lg;
    rtlog::Producer p;
    rtlog::Reader rd;
    rtlog::Record rec;
    const Rec r{1, 2.0f};
    const std::array<std::uint8_t, 4> arr{{1, 2, 3, 4}};
    std::uint32_t n = 7;

    expect(!lg && !p && !rd, "default-constructed objects are empty");
    expect(lg.state() == rtlog::State::stopped, "empty logger: state stopped");
    expect(lg.tick() == rtlog::Status::invalid_argument, "empty logger: tick");
    expect(lg.tick(n) == rtlog::Status::invalid_argument && n == 0, "empty logger: tick(n)");
    expect(lg.try_start() == rtlog::Status::invalid_argument, "empty logger: try_start");
    expect(lg.try_flush(1) == rtlog::Status::invalid_argument, "empty logger: try_flush");
    expect(lg.try_shutdown() == rtlog::Status::invalid_argument, "empty logger: try_shutdown");
    expect(lg.try_enter_safe_mode("x") == rtlog::Status::invalid_argument, "empty logger: safe mode");
    expect(lg.try_clear_fault() == rtlog::Status::invalid_argument, "empty logger: clear fault");
    expect(lg.try_step_writer() == rtlog::Status::invalid_argument, "empty logger: step writer");
    expect(lg.try_step_supervisor(1) == rtlog::Status::invalid_argument, "empty logger: step supervisor");
    expect(lg.try_create_producer("x").status() == rtlog::Status::invalid_argument, "empty logger: producer");
    expect(lg.stats().published[0] == 0, "empty logger: zeroed stats");
    expect(lg.try_declare_type<Typed>() == rtlog::Status::invalid_argument, "empty logger: declare_type");
    expect(lg.try_declare_type<Members>() == rtlog::Status::invalid_argument &&
               lg.try_declare_type<OneMember>() == rtlog::Status::invalid_argument,
           "empty logger: declare_type of the member form");
    expect(lg.try_declare_type<Rec>(3, "rec", "i32 a; f32 b") == rtlog::Status::invalid_argument,
           "empty logger: declare_type(id, name, layout)");
    expect(lg.try_declare_type<Rec>(3, "rec", "i32 a") == rtlog::Status::config &&
               std::string(rtlog::last_error()).find("is 4 bytes") != std::string::npos,
           "declare_type: size mismatch");
    expect(lg.type_size(5) == 0, "empty logger: type_size");
    static_assert(rtlog::layout_info("u32 axis; f64 position; char[8] mode").size == sizeof(Typed),
                  "constexpr layout_info");

    expect(p.publish(rtlog::Stream::normal, r) == rtlog::Status::invalid_argument, "empty producer: publish(T)");
    expect(p.publish(rtlog::Stream::normal, 4, arr) == rtlog::Status::invalid_argument,
           "empty producer: publish(type, T)");
    expect(p.publish(rtlog::Stream::critical, 4, arr.data(), arr.size()) == rtlog::Status::invalid_argument,
           "empty producer: publish(bytes)");
#if RTLOG_HPP_HAS_SPAN
    expect(p.publish(rtlog::Stream::critical, 4, std::span<const std::uint8_t>(arr)) == rtlog::Status::invalid_argument,
           "empty producer: publish(span)");
    expect(rec.bytes().empty(), "empty record: no bytes");
#endif
    expect(p.id() == 0xFFFF && p.durable_count(rtlog::Stream::normal) == 0 && p.stats().id == 0,
           "empty producer: id, durable count, stats");

    expect(rd.try_next(rec) == rtlog::Status::invalid_argument, "empty reader: try_next");
    expect(rd.try_next_frame(rec) == rtlog::Status::invalid_argument, "empty reader: try_next_frame");
    expect(rd.counts().records == 0, "empty reader: counts");
    expect(rd.schema(1) == nullptr, "empty reader: schema");
    std::string text;
    expect(rec.try_format(text, true) == rtlog::Status::invalid_argument && !rec.format(),
           "empty record: format");
    expect(!rec.as<Rec>() && rec.size() == 0 && rec.data() == nullptr, "empty record");
    expect(rtlog::Reader::open(static_cast<const char *>(nullptr)).status() == rtlog::Status::invalid_argument,
           "Reader::open(NULL)");

    rtlog::Config cfg;
    cfg.dir("/nonexistent/x").durability(rtlog::Durability::none).backend(rtlog::Backend::file);
    cfg.on_state_change([](rtlog::State, rtlog::State, const char *) {});
    rtlog::ReaderOptions opts;
    opts.stream(rtlog::Stream::critical).type(1).producer("a").lsn(1, 2).wall_time_ns(0);
    expect(opts.c_options().type == 1 && opts.c_options().stream == 0, "reader options");

    expect(std::string(rtlog::to_string(rtlog::Status::full)).size() > 0, "to_string(Status)");
    expect(std::string(rtlog::to_string(rtlog::State::degraded)) == "DEGRADED", "to_string(State)");
    expect(rtlog::version() != nullptr, "version");
    std::printf("header_hpp: C++%ld, exceptions %d, span %d: %s\n", static_cast<long>(__cplusplus),
                RTLOG_HPP_EXCEPTIONS, RTLOG_HPP_HAS_SPAN, failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}
