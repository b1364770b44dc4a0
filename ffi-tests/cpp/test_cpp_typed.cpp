// test_cpp_typed.cpp - typed records from C++: RTLOG_DECLARE_TYPE (checked at compile time;
// AxisState by its members, Imu by a layout string),
// Logger::declare_type, publishing the structs, reading them back with Reader::schema and
// Record::format, and the errors for bad layouts and mismatched structs (Status::config, with
// a text that names the problem).
//
// It writes the "typed test log" to <base>/typed-log (kept after the test), the log that
// ffi-tests/c/test_typed.c writes from C and cli/tests/cli_typed.rs from Rust: ctest checks it
// field by field through `rtlog dump --json` (tests typed_dump_cpp*, cmake/typed-records.cmake).
// Keep the records in step with those two files.
//
// Built four times by cmake/cpp.cmake (C++17/20, with and without exceptions and RTTI).
//
// Usage: test_cpp_typed [base-scratch-dir]
#include "cpp_test_util.hpp"

#include <cstddef>
#include <string>

// ---- the three types: structs, layouts, and the compile-time check ---------------------

#define AXIS_LAYOUT "u32 axis; f64 position; f64 velocity; bool enabled; char[16] mode"
#define IMU_LAYOUT "i16[3] accel; f32[3] gyro; u64 t_ns; i8 temp_c"
#define EVENT_LAYOUT "u8 code; i64 value; u16 flags; char[5] tag; f64[2] limits; i32 delta"

struct AxisState {
    std::uint32_t axis;
    double position;
    double velocity;
    bool enabled;
    char mode[16];
};
RTLOG_DECLARE_TYPE(AxisState, 1, "axis_state", axis, position, velocity, enabled, mode);

struct Imu {
    std::int16_t accel[3];
    float gyro[3];
    std::uint64_t t_ns;
    std::int8_t temp_c;
};
RTLOG_DECLARE_TYPE(Imu, 2, "imu", IMU_LAYOUT); // the original form

// Declared at run time only (declare_type<Event>(id, name, layout)); its id is given to publish.
struct Event {
    std::uint8_t code;
    std::int64_t value;
    std::uint16_t flags;
    char tag[5];
    double limits[2];
    std::int32_t delta;
};
constexpr std::uint16_t T_EVENT = 300, T_UNTYPED = 9;
constexpr int N = 5;
static const char *const MODES[N] = {"idle", "homing", "run", "fault", "stop"};

// The constexpr layout parser agrees with the compiler on the three structs.
static_assert(rtlog::layout_size(EVENT_LAYOUT) == sizeof(Event), "event layout");
static_assert(rtlog::layout_info(AXIS_LAYOUT).align == alignof(AxisState) &&
                  rtlog::layout_info(IMU_LAYOUT).fields == 4,
              "layout_info gives the alignment and the field count");
static_assert(rtlog::record_type<AxisState>::id == 1 && rtlog::record_type<Imu>::id == 2,
              "RTLOG_DECLARE_TYPE gives publish(stream, value) its type id");
// The member form writes the layout from the members, in the canonical form (the test below
// also finds it in the log's schema).
static_assert(rtlog::detail::same_text(rtlog::record_type<AxisState>::layout, AXIS_LAYOUT),
              "the layout of the member form");
static_assert(!rtlog::layout_info("f64 pos[3]").ok() && rtlog::layout_size("char c") == 0,
              "invalid layouts have no size");

// ---- the constexpr parser against the library's ------------------------------------------

// Valid and invalid layouts: rtlog::layout_info must accept exactly those rtlog_layout_size
// accepts, with the same size (the library's rules are the reference).
static const char *const LAYOUTS[] = {
    AXIS_LAYOUT, IMU_LAYOUT, EVENT_LAYOUT,
    "u8 a; char[3] b; bool c", "u32 a; u16 b", "  u32   axis;f64 [ 3 ]pos ;\n char[4] m;",
    "u8 x;", "i64 _; u8 z9", "u16[65535] big", "f32 a; f64 b; u8 c; i16[7] d; u64 e",
    "", "   ", " ; ", "u32 a;; u32 b", "double x", "int32_t x", "u128 x", "f64[0] x",
    "f64[70000] x", "f64[two] x", "f64[] x", "f64[-1] x", "f64[3 x", "f64[2][2] m",
    "char name", "f64 pos[3]", "u32", "u32 2fast", "u32 my-field", "u32 a, u32 b", "u32 a b",
    "u32 id; f64 x; u8 id", "[3] x", "u8[65535] a; u8[65535] b; f64[65535] c; f64[65535] d",
    "u8 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // 64 bytes: fine
    "u8 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // 65: too long
};

static void constexpr_parser_matches_the_library()
{
    int valid = 0;
    for (const char *layout : LAYOUTS) {
        std::uint32_t c_size = 0;
        const rtlog_status st = rtlog_layout_size(layout, &c_size);
        const rtlog::LayoutInfo info = rtlog::layout_info(layout);
        CHECK(info.ok() == (st == RTLOG_OK), "\"%s\": constexpr %s (%s), library %s (%s)", layout,
              info.ok() ? "valid" : "invalid", info.error ? info.error : "", tu_status_name(st),
              rtlog_last_error());
        CHECK(info.size == (st == RTLOG_OK ? c_size : 0u), "\"%s\": size %u, library %u", layout,
              info.size, c_size);
        valid += info.ok();
    }
    CHECK(valid == 11, "%d valid layouts in the list", valid);
}

// ---- bad layouts and mismatched structs through the C++ API ------------------------------

struct Small {
    std::uint32_t a;
};

static void bad_declarations(const char *dir)
{
    rtlog::Config cfg(dir);
    cfg.max_record_size(64);
    auto made = rtlog::Logger::create(cfg);
    CHECK(made.ok(), "create: %s", rtlog::last_error());
    rtlog::Logger &lg = *made;

    // A bad layout: Status::config, and the library's text naming the problem and the type.
    CHECK_ST(lg.try_declare_type<Small>(40, "bad", "double x"), rtlog::Status::config);
    CHECK(std::strstr(rtlog::last_error(), "type 40 \"bad\"") != nullptr &&
              std::strstr(rtlog::last_error(), "unknown type \"double\" (for double, write f64)") != nullptr,
          "%s", rtlog::last_error());
    // A valid layout of another size than the struct: refused before registering, both sizes named.
    CHECK_ST(lg.try_declare_type<Small>(41, "small", "u32 a; f64 b"), rtlog::Status::config);
    const char *mismatch =
        "type 41 \"small\": the struct is 4 bytes (sizeof) but its layout \"u32 a; f64 b\" is 16 bytes";
    CHECK(std::strstr(rtlog::last_error(), mismatch) != nullptr, "%s", rtlog::last_error());
    CHECK(lg.type_size(41) == 0, "nothing registered on a size mismatch");
    // A later failure of the library replaces that text, as any last error is replaced.
    CHECK_ST(lg.try_declare_type<Small>(42, "", "u32 a"), rtlog::Status::config);
    CHECK(std::strstr(rtlog::last_error(), "type name must be 1..=64 bytes") != nullptr, "%s",
          rtlog::last_error());
    CHECK_ST(lg.try_declare_type<Small>(42, "small", nullptr), rtlog::Status::invalid_argument);

#if RTLOG_HPP_EXCEPTIONS
    std::string what;
    CHECK_THROWS(lg.declare_type<Small>(43, "bad", "f64 pos[3]"), rtlog::Status::config, what);
    CHECK(what.find("rtlog::Logger::declare_type") != std::string::npos &&
              what.find("write the array length after the type: \"f64[3] pos\"") != std::string::npos,
          "%s", what.c_str());
    CHECK_THROWS(lg.declare_type<Small>(44, "small", "u8 a"), rtlog::Status::config, what);
    CHECK(what.find("the struct is 4 bytes (sizeof) but its layout \"u8 a\" is 1 bytes") != std::string::npos,
          "%s", what.c_str());
    lg.declare_type<AxisState>();
    CHECK_THROWS(lg.declare_type<Small>(1, "other", "u32 a"), rtlog::Status::config, what);
    CHECK(what.find("type id 1 is already registered (as \"axis_state\")") != std::string::npos, "%s",
          what.c_str());
#else
    CHECK_OK(lg.try_declare_type<AxisState>());
#endif
    CHECK(lg.type_size(1) == sizeof(AxisState), "type_size %u", lg.type_size(1));
    // Larger than max_record_size (64): the library refuses it.
    struct Wide {
        double v[9];
    };
    CHECK_ST(lg.try_declare_type<Wide>(45, "wide", "f64[9] v"), rtlog::Status::config);
    CHECK(std::strstr(rtlog::last_error(), "more than max_record_size = 64") != nullptr, "%s",
          rtlog::last_error());
    CHECK_OK(lg.try_start());
    CHECK_ST(lg.try_declare_type<Imu>(), rtlog::Status::invalid_state);
    CHECK_OK(lg.try_shutdown());
}

// ---- the typed test log ------------------------------------------------------------------

static void write_typed_log(const char *dir)
{
    rtlog::Config cfg(dir);
    cfg.durability(rtlog::Durability::flush);
    auto made = rtlog::Logger::create(cfg);
    CHECK(made.ok(), "create: %s", rtlog::last_error());
    rtlog::Logger &lg = *made;
    auto made_p = lg.try_create_producer("ctl");
    CHECK(made_p.ok(), "producer: %s", rtlog::last_error());
    rtlog::Producer &p = *made_p;
#if RTLOG_HPP_EXCEPTIONS
    lg.declare_type<AxisState>();
    lg.declare_type<Imu>();
    lg.declare_type<Event>(T_EVENT, "event", EVENT_LAYOUT);
#else
    CHECK_OK(lg.try_declare_type<AxisState>());
    CHECK_OK(lg.try_declare_type<Imu>());
    CHECK_OK(lg.try_declare_type<Event>(T_EVENT, "event", EVENT_LAYOUT));
#endif
    CHECK(lg.type_size(T_EVENT) == sizeof(Event), "event: %u", lg.type_size(T_EVENT));
    CHECK_OK(lg.try_start());
    for (int i = 0; i < N; i++) {
        // Value-initialized, so padding bytes and string tails are zero.
        AxisState a{};
        a.axis = static_cast<std::uint32_t>(i);
        a.position = i * 0.125;
        a.velocity = 1.0 - i;
        a.enabled = i % 2 == 0;
        std::memcpy(a.mode, MODES[i], std::strlen(MODES[i]));
        CHECK_OK(p.publish(rtlog::Stream::normal, a)); // type id from RTLOG_DECLARE_TYPE

        Imu m{};
        m.accel[0] = static_cast<std::int16_t>(i);
        m.accel[1] = static_cast<std::int16_t>(-i);
        m.accel[2] = static_cast<std::int16_t>(1000 * i);
        m.gyro[0] = 0.5f * static_cast<float>(i);
        m.gyro[1] = -0.25f;
        m.gyro[2] = static_cast<float>(1u << i);
        m.t_ns = UINT64_C(1000000000000000000) + static_cast<std::uint64_t>(i);
        m.temp_c = static_cast<std::int8_t>(-40 + i);
        CHECK_OK(p.publish(rtlog::Stream::normal, m));

        Event e{};
        e.code = static_cast<std::uint8_t>(200 + i);
        e.value = -(INT64_C(1) << 40) * (i + 1);
        e.flags = static_cast<std::uint16_t>(0xffff - i);
        if (i % 2 == 0)
            std::memcpy(e.tag, "ABCDE", 5); // fills the array: no NUL
        else
            std::memcpy(e.tag, "ok", 3);
        e.limits[0] = -1.5 * i;
        e.limits[1] = 1e300;
        e.delta = -i;
        CHECK_OK(p.publish(rtlog::Stream::normal, T_EVENT, e));
    }
    static const std::uint8_t untyped[3] = {1, 2, 3};
    CHECK_OK(p.publish(rtlog::Stream::normal, T_UNTYPED, untyped, sizeof untyped));
    // Publishing does not check types: a wrong length is stored, and readers report it.
    static const std::uint8_t short_axis[4] = {0xaa, 0xaa, 0xaa, 0xaa};
    CHECK_OK(p.publish(rtlog::Stream::normal, 1, short_axis, sizeof short_axis));
    CHECK_OK(lg.try_shutdown());
}

// ---- reading it back: Reader::schema, Record::format -------------------------------------

static void read_typed_log(const char *dir)
{
    auto opened = rtlog::Reader::open(dir);
    CHECK(opened.ok(), "open: %s", rtlog::last_error());
    rtlog::Reader &r = *opened;
    CHECK(r.schema(1) == nullptr, "no schema before the first record");
    rtlog::Record rec;
    for (int k = 0; k < 4; k++) // axis_state 0, imu 0, event 0, axis_state 1
        CHECK_OK(r.try_next(rec));
    const rtlog::TypeInfo *axis = r.schema(rec.type());
    CHECK(axis != nullptr && std::strcmp(axis->name, "axis_state") == 0, "axis schema");
    CHECK(axis->size == sizeof(AxisState) && axis->field_count == 5, "size %u", axis->size);
    CHECK(rtlog::field(*axis, 1)->offset == offsetof(AxisState, position) &&
              rtlog::field(*axis, 4)->offset == offsetof(AxisState, mode),
          "offsets %u %u", rtlog::field(*axis, 1)->offset, rtlog::field(*axis, 4)->offset);
    CHECK(std::strcmp(axis->layout, AXIS_LAYOUT) == 0, "layout %s", axis->layout);

    const std::optional<std::string> text = rec.format();
    CHECK(text && *text == "axis_state{axis=1 position=0.125 velocity=0 enabled=false mode=\"homing\"}",
          "text %s", text ? text->c_str() : "(none)");
    const std::optional<std::string> json = rec.format(true);
    CHECK(json && *json == "{\"axis\":1,\"position\":0.125,\"velocity\":0,\"enabled\":false,\"mode\":\"homing\"}",
          "json %s", json ? json->c_str() : "(none)");
    CHECK_OK(r.try_next(rec)); // imu 1
    CHECK_OK(r.try_next(rec)); // event 1
    std::string out;
    CHECK_OK(rec.try_format(out, true));
    CHECK(out == "{\"code\":201,\"value\":-2199023255552,\"flags\":65534,\"tag\":\"ok\",\"limits\":[-1.5,1e300],\"delta\":-1}",
          "event json %s", out.c_str());
    CHECK(r.schema(T_EVENT) != nullptr && r.schema(T_EVENT)->size == sizeof(Event), "event schema");

    // The untyped record: no schema, no text; the short one has the wrong size.
    while (r.try_next(rec) == rtlog::Status::ok && rec.type() != T_UNTYPED) {
    }
    CHECK(rec.type() == T_UNTYPED && rec.size() == 3, "the untyped record");
    CHECK(r.schema(T_UNTYPED) == nullptr && !rec.format(), "untyped: no schema, no text");
    CHECK_ST(rec.try_format(out), rtlog::Status::invalid_argument);
    CHECK(std::strstr(rtlog::last_error(), "record type 9 has no schema") != nullptr, "%s",
          rtlog::last_error());
    CHECK_OK(r.try_next(rec));
    CHECK_ST(rec.try_format(out, true), rtlog::Status::invalid_argument);
    CHECK(std::strstr(rtlog::last_error(), "the record is 4 bytes, but type 1 \"axis_state\" is 48") != nullptr,
          "%s", rtlog::last_error());
    CHECK_ST(r.try_next(rec), rtlog::Status::end);
    CHECK_ST(rtlog::Record().try_format(out), rtlog::Status::invalid_argument); // no reader

    // The range-for form decodes the same: every typed record of the right size has text.
    auto again = rtlog::Reader::open(dir);
    CHECK(again.ok(), "reopen");
    int decoded = 0, total = 0;
    for (const rtlog::Record &each : *again) {
        total++;
        if (auto t = each.format())
            decoded += t->find('{') != std::string::npos;
    }
    CHECK(total == 3 * N + 2 && decoded == 3 * N, "%d records, %d decoded", total, decoded);
}

// ---- the declared types, registered by Logger::create -----------------------------------

// No declare_type call: the logger registered AxisState and Imu when it was created, so the
// records decode (forgetting declare_type used to leave them as bytes, silently).
static void without_declare_type(const char *dir)
{
    auto made = rtlog::Logger::create(rtlog::Config(dir));
    CHECK(made.ok(), "create: %s", rtlog::last_error());
    CHECK(made->type_size(1) == sizeof(AxisState) && made->type_size(2) == sizeof(Imu),
          "declared types registered by create: %u %u", made->type_size(1), made->type_size(2));
    auto p = made->try_create_producer("ctl");
    CHECK(p.ok(), "producer");
    CHECK_OK(made->try_start());
    AxisState a{};
    a.axis = 7;
    a.position = 0.5;
    std::memcpy(a.mode, "run", 3);
    CHECK_OK(p->publish(rtlog::Stream::normal, a));
    CHECK_OK(made->try_shutdown());

    auto r = rtlog::Reader::open(dir);
    CHECK(r.ok(), "open");
    rtlog::Record rec;
    CHECK_OK(r->try_next(rec));
    const std::optional<std::string> text = rec.format();
    CHECK(text && *text == "axis_state{axis=7 position=0.5 velocity=0 enabled=false mode=\"run\"}", "text %s",
          text ? text->c_str() : "(none)");
}

// A text longer than the stack buffer try_format tries first (256 bytes): it asks again with
// the length the library gave, and gets all of it.
static void long_text(const char *dir)
{
    struct Samples {
        std::uint8_t v[200];
    };
    auto made = rtlog::Logger::create(rtlog::Config(dir));
    CHECK(made.ok(), "create: %s", rtlog::last_error());
    auto p = made->try_create_producer("ctl");
    CHECK(p.ok(), "producer");
    CHECK_OK(made->try_declare_type<Samples>(7, "samples", "u8[200] v"));
    CHECK_OK(made->try_start());
    Samples s{};
    for (int i = 0; i < 200; i++)
        s.v[i] = static_cast<std::uint8_t>(100 + i % 100);
    CHECK_OK(p->publish(rtlog::Stream::normal, 7, s));
    CHECK_OK(made->try_shutdown());

    auto r = rtlog::Reader::open(dir);
    CHECK(r.ok(), "open");
    rtlog::Record rec;
    CHECK_OK(r->try_next(rec));
    std::string want = "samples{v=[";
    for (int i = 0; i < 200; i++)
        want += std::to_string(100 + i % 100) + (i < 199 ? "," : "]}");
    const std::optional<std::string> text = rec.format();
    CHECK(want.size() > 256 && text && *text == want, "%zu bytes: %s", text ? text->size() : 0,
          text ? text->c_str() : "(none)");
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);
    constexpr_parser_matches_the_library();
    bad_declarations(tu_fresh_dir("bad-declarations"));
    long_text(tu_fresh_dir("long-text"));
    without_declare_type(tu_fresh_dir("without-declare-type"));

    // A fixed name under the base, kept for the CLI check (tests typed_dump_cpp*).
    const char *log = tu_kept_path("typed-log");
    write_typed_log(log);
    read_typed_log(log);

    tu_cleanup();
    std::printf("test_cpp_typed ok\n");
    return 0;
}
