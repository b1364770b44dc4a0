// test_cpp_api.cpp - the C++ binding (include/rtlog.hpp) end to end: Config, Logger, Producer,
// Reader, Result, and rtlog::Error where exceptions exist.
//
// Built four times by cmake/cpp.cmake: C++17 and C++20, each with exceptions and RTTI and with
// -fno-exceptions -fno-rtti. The try_ forms are checked in every build; the throwing forms
// where RTLOG_HPP_EXCEPTIONS is 1; that they are absent (a compile error, not an abort) where
// it is 0; the std::span overloads where RTLOG_HPP_HAS_SPAN is 1.
//
// Usage: test_cpp_api [base-scratch-dir]
#include "cpp_test_util.hpp"

#include <atomic>
#include <string>
#include <vector>

// ---- record types ----------------------------------------------------------------------

struct Joint {
    static constexpr std::uint16_t rtlog_type_id = 10; // the type id publish(stream, value) uses
    std::uint32_t axis;
    float _pad;
    double position;
    double velocity;
};

struct Mode { // its type id comes from a specialization of rtlog::record_type
    char name[16];
};
template <>
struct rtlog::record_type<Mode> {
    static constexpr std::uint16_t id = 11;
};

struct Big {
    unsigned char bytes[200]; // larger than max_record_size below
};

constexpr std::uint16_t RAW_TYPE = 12;
constexpr std::uint32_t MAX_RECORD = 64;

// ---- what the build mode must and must not declare -------------------------------------

template <class L, class = void>
struct has_throwing_start : std::false_type {};
template <class L>
struct has_throwing_start<L, std::void_t<decltype(std::declval<L &>().start())>> : std::true_type {};

static_assert(std::is_constructible<rtlog::Logger, const rtlog::Config &>::value == (RTLOG_HPP_EXCEPTIONS == 1),
              "Logger(const Config&) exists exactly when exceptions are on");
static_assert(has_throwing_start<rtlog::Logger>::value == (RTLOG_HPP_EXCEPTIONS == 1),
              "Logger::start() exists exactly when exceptions are on");
static_assert(!std::is_copy_constructible<rtlog::Producer>::value &&
                  std::is_nothrow_move_constructible<rtlog::Producer>::value,
              "Producer is move-only");
static_assert(!std::is_copy_constructible<rtlog::Logger>::value &&
                  std::is_nothrow_move_constructible<rtlog::Logger>::value,
              "Logger is move-only");
static_assert(noexcept(std::declval<rtlog::Producer &>().publish(rtlog::Stream::normal, std::declval<const Joint &>())) &&
                  noexcept(std::declval<rtlog::Producer &>().publish(rtlog::Stream::normal, 1, nullptr, 0)) &&
                  noexcept(std::declval<rtlog::Logger &>().tick()) &&
                  noexcept(std::declval<const rtlog::Logger &>().state()),
              "RT methods are noexcept");
static_assert(sizeof(rtlog::Producer) == sizeof(void *), "a Producer is just the C handle");

// ---- helpers ---------------------------------------------------------------------------

static rtlog::Config small_config(const char *dir)
{
    rtlog::Config cfg(dir);
    cfg.max_producers(2).max_record_size(MAX_RECORD).critical_depth(16).normal_depth(16);
    return cfg;
}

// ---- the checks --------------------------------------------------------------------------

static void config_mirrors_the_c_struct()
{
    rtlog_config c;
    rtlog_config_init(&c, sizeof c);
    rtlog::Config cfg;
    const rtlog_config &d = cfg.raw();
    // Field by field: rtlog_config_init writes the struct whole, padding bytes included.
#define SAME(f) CHECK(d.f == c.f, "Config(): field " #f " differs from rtlog_config_init")
    SAME(struct_size); SAME(dir); SAME(max_producers); SAME(max_record_size); SAME(critical_depth);
    SAME(normal_depth); SAME(dispatch_budget); SAME(dispatch_period_us); SAME(durability);
    SAME(batch_records); SAME(batch_interval_us); SAME(segment_bytes); SAME(retention_segments);
    SAME(retention_bytes); SAME(retention_age_s); SAME(preallocate); SAME(backend);
    SAME(normal_overflow); SAME(sample_high_water_pct); SAME(sample_one_in); SAME(manual);
    SAME(supervisor_period_us); SAME(degraded_quiet_ms); SAME(degraded_lag_records);
    SAME(safe_on_critical); SAME(on_state_change); SAME(on_state_change_user); SAME(direct_io);
#undef SAME
    CHECK(cfg.c_config().dir == nullptr, "no dir yet");

    cfg.dir("/some/dir").max_producers(3).durability(rtlog::Durability::fsync).segment_bytes(1u << 20);
    cfg.normal_overflow(rtlog::Overflow::sample).sample_one_in(4).preallocate(true).manual(true);
    rtlog_config out = cfg.c_config();
    CHECK(std::string(out.dir) == "/some/dir", "dir: %s", out.dir);
    CHECK(out.max_producers == 3 && out.durability == RTLOG_DURABILITY_FSYNC &&
              out.segment_bytes == (1u << 20) && out.normal_overflow == RTLOG_OVERFLOW_SAMPLE &&
              out.sample_one_in == 4 && out.preallocate == 1 && out.manual == 1,
          "setters did not reach the C struct");
    CHECK(out.struct_size == sizeof(rtlog_config), "struct_size %u", static_cast<unsigned>(out.struct_size));

    rtlog::Config copy = cfg; // owns its own dir string
    cfg.dir("/elsewhere");
    CHECK(std::string(copy.c_config().dir) == "/some/dir", "a copy shares the dir string");
}

static void bad_configs_fail_with_a_named_field(const char *base)
{
    rtlog::Config cfg = small_config(base);
    cfg.max_producers(0);
    rtlog::Result<rtlog::Logger> r = rtlog::Logger::create(cfg);
    CHECK(!r && r.status() == rtlog::Status::config, "max_producers = 0: %s", rtlog::to_string(r.status()));
    CHECK(std::strstr(rtlog::last_error(), "max_producers") != nullptr, "last_error: %s", rtlog::last_error());

    rtlog::Config no_dir;
    CHECK_ST(rtlog::Logger::create(no_dir).status(), rtlog::Status::config);
#if RTLOG_HPP_EXCEPTIONS
    std::string what;
    CHECK_THROWS(rtlog::Logger lg(cfg), rtlog::Status::config, what);
    CHECK(what.find("rtlog_init: ") == 0 && what.find("max_producers") != std::string::npos,
          "Error::what() should name the call and the field: %s", what.c_str());
    CHECK_THROWS((void)rtlog::Logger::create(cfg).value(), rtlog::Status::config, what);
#endif
}

struct Seen {
    std::vector<rtlog::State> to;
    std::string cause;
};

// Manual mode: nothing runs unless this thread steps it, so each transition is deterministic.
static void lifecycle_publish_and_callback(const char *dir)
{
    Seen seen;
    rtlog::Config cfg = small_config(dir);
    cfg.manual(true).on_state_change([&seen](rtlog::State, rtlog::State to, const char *cause) {
        seen.to.push_back(to);
        seen.cause = cause ? cause : "";
    });
    rtlog::Result<rtlog::Logger> created = rtlog::Logger::create(cfg);
    CHECK_OK(created.status());
    rtlog::Logger lg = std::move(created).value();
    CHECK(lg.state() == rtlog::State::init, "state %s", rtlog::to_string(lg.state()));

    rtlog::Result<rtlog::Producer> pa = lg.try_create_producer("a");
    CHECK_OK(pa.status());
    rtlog::Producer a = std::move(*pa);
    CHECK(!pa->get(), "a moved-from Producer is empty");
    CHECK_ST(lg.try_create_producer("a").status(), rtlog::Status::invalid_argument); // duplicate
    CHECK_ST(lg.try_create_producer("").status(), rtlog::Status::invalid_argument);
    rtlog::Producer b = lg.try_create_producer(std::string("b")).value();
    CHECK_ST(lg.try_create_producer("c").status(), rtlog::Status::full); // max_producers = 2
    CHECK(a.id() == 0 && b.id() == 1, "ids %u %u", a.id(), b.id());

    Joint j{2, 0.0f, 0.125, -1.5};
    CHECK_ST(a.publish(rtlog::Stream::critical, j), rtlog::Status::invalid_state); // before start
    CHECK_ST(lg.tick(), rtlog::Status::invalid_state);
    CHECK_OK(lg.try_start());
    CHECK_ST(lg.try_start(), rtlog::Status::invalid_state);
    CHECK_ST(lg.try_create_producer("late").status(), rtlog::Status::invalid_state);
    CHECK(lg.state() == rtlog::State::normal, "state %s", rtlog::to_string(lg.state()));

    // a: Joint records (type from the member), critical; b: Mode (type from the trait), raw
    // bytes and an empty record, normal.
    for (std::uint32_t i = 0; i < 5; i++) {
        j.axis = i;
        CHECK_OK(a.publish(rtlog::Stream::critical, j));
    }
    Mode m{};
    std::memcpy(m.name, "homing", 7);
    CHECK_OK(b.publish(rtlog::Stream::normal, m));
    const unsigned char raw[3] = {1, 2, 3};
    CHECK_OK(b.publish(rtlog::Stream::normal, RAW_TYPE, raw, sizeof raw));
    CHECK_OK(b.publish(rtlog::Stream::normal, RAW_TYPE, raw)); // an array by value: 3 bytes
    CHECK_OK(b.publish(rtlog::Stream::normal, RAW_TYPE, nullptr, 0));
#if RTLOG_HPP_HAS_SPAN
    const float samples[4] = {0.5f, 1.5f, 2.5f, 3.5f};
    CHECK_OK(b.publish(rtlog::Stream::normal, RAW_TYPE, std::span<const float>(samples)));
    const std::uint32_t n_b = 5;
#else
    const std::uint32_t n_b = 4;
#endif
    Big big{};
    CHECK_ST(b.publish(rtlog::Stream::normal, 1, big), rtlog::Status::too_large);
    CHECK_ST(b.publish(static_cast<rtlog::Stream>(7), 1, raw), rtlog::Status::invalid_argument);
    CHECK_ST(b.publish(rtlog::Stream::normal, 1, nullptr, 4), rtlog::Status::invalid_argument);
    CHECK_ST(b.publish(rtlog::Stream::normal, 1, raw, std::size_t{1} << 33), rtlog::Status::too_large);

    // The normal ring holds 16: the 17th record is refused and counted.
    rtlog::Producer &full = b;
    std::uint32_t accepted = 0;
    rtlog::Status st = rtlog::Status::ok;
    while ((st = full.publish(rtlog::Stream::normal, RAW_TYPE, raw)) == rtlog::Status::ok)
        accepted++;
    CHECK_ST(st, rtlog::Status::full);
    CHECK(accepted + n_b == 16, "ring of 16 took %u + %u", accepted, n_b);
    rtlog::ProducerStats ps = b.stats();
    CHECK(ps.published[RTLOG_STREAM_NORMAL] == 16 && ps.dropped[RTLOG_STREAM_NORMAL] == 1 && ps.id == 1,
          "producer stats: published %llu dropped %llu id %u",
          static_cast<unsigned long long>(ps.published[1]), static_cast<unsigned long long>(ps.dropped[1]), ps.id);

    std::uint32_t moved = 0, total = 0;
    do {
        CHECK_OK(lg.tick(moved));
        total += moved;
    } while (moved > 0);
    CHECK(total == 5 + 16, "ticks moved %u", total);
    std::uint32_t taken = 0;
    CHECK_OK(lg.try_step_writer(&taken));
    CHECK(taken == 21, "writer took %u", taken);
    CHECK(a.durable_count(rtlog::Stream::critical) <= 5, "durable count beyond what was published");
    rtlog::Stats s = lg.stats();
    CHECK(s.published[0] == 5 && s.published[1] == 16 && s.dropped[1] == 1 && s.dispatched[0] == 5,
          "logger stats");

    // The state machine through the C++ callable, on this thread.
    CHECK_OK(lg.try_enter_safe_mode("operator request"));
    CHECK_OK(lg.try_step_supervisor(1000));
    CHECK(lg.state() == rtlog::State::safe, "state %s", rtlog::to_string(lg.state()));
    CHECK(!seen.to.empty() && seen.to.back() == rtlog::State::safe, "callback did not see SAFE");
    CHECK(seen.cause.find("operator request") != std::string::npos, "cause: %s", seen.cause.c_str());
    CHECK_ST(a.publish(rtlog::Stream::normal, j), rtlog::Status::full); // SAFE refuses normal
    CHECK_OK(a.publish(rtlog::Stream::critical, j));                   // ... not critical
#if RTLOG_HPP_EXCEPTIONS
    lg.clear_fault();
    lg.step_supervisor(1000);
    std::string what;
    CHECK_THROWS(lg.start(), rtlog::Status::invalid_state, what);
    CHECK(what.find("rtlog_start") != std::string::npos, "what(): %s", what.c_str());
#else
    CHECK_OK(lg.try_clear_fault());
    CHECK_OK(lg.try_step_supervisor(1000));
#endif
    CHECK(lg.state() == rtlog::State::normal && seen.to.back() == rtlog::State::normal, "state %s",
          rtlog::to_string(lg.state()));

    CHECK_OK(lg.try_shutdown());
    CHECK(lg.state() == rtlog::State::stopped, "state %s", rtlog::to_string(lg.state()));
    CHECK_ST(a.publish(rtlog::Stream::critical, j), rtlog::Status::invalid_state);
    CHECK_ST(lg.try_shutdown(), rtlog::Status::invalid_state);
    CHECK(lg.stats().persisted == 22, "persisted %llu", static_cast<unsigned long long>(lg.stats().persisted));

    // A moved-from logger is empty; the moved-to one still owns the C logger.
    rtlog::Logger other = std::move(lg);
    CHECK(!lg && other, "move");
    CHECK(lg.state() == rtlog::State::stopped, "empty logger state");
    CHECK_ST(lg.tick(), rtlog::Status::invalid_argument);
}

static void reader_reads_it_back(const char *dir)
{
    CHECK_ST(rtlog::Reader::open(std::string(dir) + "/missing").status(), rtlog::Status::io);

    rtlog::Result<rtlog::Reader> opened = rtlog::Reader::open(dir);
    CHECK_OK(opened.status());
    rtlog::Reader rd = std::move(*opened);
    rtlog::Record rec;
    std::uint32_t joints = 0, modes = 0, raws = 0;
    std::uint64_t last_lsn = 0;
    rtlog::Status st;
    while ((st = rd.try_next(rec)) == rtlog::Status::ok) {
        CHECK(rec.kind() == rtlog::FrameKind::data && rec.lsn() > last_lsn, "kind/lsn order");
        last_lsn = rec.lsn();
        CHECK(rec.epoch() == 1, "epoch %u", rec.epoch());
        if (rec.type() == Joint::rtlog_type_id) {
            std::optional<Joint> j = rec.as<Joint>();
            CHECK(j && rec.producer() == 0 && rec.stream() == rtlog::Stream::critical, "joint record");
            CHECK(j->axis == (joints < 5 ? joints : 4) && j->position == 0.125 && j->velocity == -1.5,
                  "joint %u: axis %u position %g", joints, j->axis, j->position);
            CHECK(rec.seq() == joints, "seq %llu", static_cast<unsigned long long>(rec.seq()));
            CHECK(!rec.as<Mode>(), "as<T> with the wrong size must fail");
            joints++;
        } else if (rec.type() == rtlog::record_type<Mode>::id) {
            std::optional<Mode> m = rec.as<Mode>();
            CHECK(m && std::string(m->name) == "homing" && rec.producer() == 1, "mode record");
            modes++;
        } else {
            CHECK(rec.type() == RAW_TYPE && rec.stream() == rtlog::Stream::normal, "type %u", rec.type());
            if (raws < 2)
                CHECK(rec.size() == 3 && rec.data()[2] == 3, "raw record %u: %zu bytes", raws, rec.size());
            else if (raws == 2)
                CHECK(rec.size() == 0, "empty record: %zu bytes", rec.size());
#if RTLOG_HPP_HAS_SPAN
            else if (raws == 3) {
                std::span<const std::byte> bytes = rec.bytes();
                float f[4];
                CHECK(bytes.size() == sizeof f, "span record: %zu bytes", bytes.size());
                std::memcpy(f, bytes.data(), sizeof f);
                CHECK(f[0] == 0.5f && f[3] == 3.5f, "span record values");
            }
#endif
            raws++;
        }
    }
    CHECK_ST(st, rtlog::Status::end);
    CHECK(joints == 6 && modes == 1 && raws == 15, "read %u joints, %u modes, %u raw", joints, modes, raws);
    rtlog::ReaderCounts c = rd.counts();
    CHECK(c.matched == 22 && c.epochs == 1 && c.crashed_epochs == 0 && c.corrupt_regions == 0, "reader counts");

    // Filters, and the range-for loop.
    rtlog::ReaderOptions only_b;
    only_b.producer("b").type(RAW_TYPE);
    rtlog::Reader rb = rtlog::Reader::open(dir, only_b).value();
    std::uint32_t n = 0;
    for (const rtlog::Record &r : rb) {
        CHECK(r.producer() == 1 && r.type() == RAW_TYPE, "filter let through %u/%u", r.producer(), r.type());
        n++;
    }
    CHECK(n == 15 && rb.error() == rtlog::Status::ok, "filtered loop: %u records", n);

    rtlog::ReaderOptions critical;
    critical.stream(rtlog::Stream::critical).lsn(2);
    rtlog::Reader rc = rtlog::Reader::open(dir, critical).value();
    n = 0;
    for (const rtlog::Record &r : rc) {
        CHECK(r.stream() == rtlog::Stream::critical && r.lsn() >= 2, "stream/lsn filter");
        n++;
    }
    CHECK(n >= 1 && n <= 6, "critical records from lsn 2: %u", n);

    // Every frame: the epoch begins, a state change or two, and closes cleanly.
    rtlog::Reader rf = rtlog::Reader::open(dir).value();
    bool begin = false, close = false, state = false;
    std::uint32_t frames = 0;
    while ((st = rf.try_next_frame(rec)) == rtlog::Status::ok) {
        frames++;
        begin |= rec.kind() == rtlog::FrameKind::epoch_begin;
        close |= rec.kind() == rtlog::FrameKind::clean_close;
        state |= rec.kind() == rtlog::FrameKind::state;
    }
    CHECK_ST(st, rtlog::Status::end);
    CHECK(begin && close && state && frames > 22, "frames: %u (begin %d close %d state %d)", frames, begin,
          close, state);

#if RTLOG_HPP_EXCEPTIONS
    std::string what;
    CHECK_THROWS(rtlog::Reader bad(std::string(dir) + "/missing"), rtlog::Status::io, what);
    rtlog::Reader thrown(dir);
    n = 0;
    while (thrown.next(rec))
        n++;
    CHECK(n == 22, "next(): %u records", n);
#endif
}

// The throwing forms, with the internal ticker and writer threads (exceptions builds only).
static void throwing_forms(const char *dir)
{
#if RTLOG_HPP_EXCEPTIONS
    rtlog::Config cfg = small_config(dir);
    cfg.dispatch_period_us(1000);
    rtlog::Logger lg(cfg);
    rtlog::Producer p = lg.create_producer("t");
    std::string what;
    CHECK_THROWS(lg.create_producer("t"), rtlog::Status::invalid_argument, what);
    lg.start();
    Joint j{1, 0.0f, 1.0, 2.0};
    for (int i = 0; i < 10; i++)
        CHECK_OK(p.publish(rtlog::Stream::critical, j));
    lg.flush(60000); // everything accepted is durable (FSYNC_BATCH, the default)
    CHECK(p.durable_count(rtlog::Stream::critical) == 10, "durable %llu",
          static_cast<unsigned long long>(p.durable_count(rtlog::Stream::critical)));
    lg.shutdown();
    CHECK_THROWS(lg.shutdown(), rtlog::Status::invalid_state, what);
    CHECK_THROWS(lg.flush(10), rtlog::Status::invalid_state, what);
#else
    (void)dir;
#endif
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);
    std::printf("rtlog %s; C++%ld; exceptions %d; span %d\n", rtlog::version(), static_cast<long>(__cplusplus),
                RTLOG_HPP_EXCEPTIONS, RTLOG_HPP_HAS_SPAN);
    config_mirrors_the_c_struct();
    bad_configs_fail_with_a_named_field(tu_path("bad"));
    char *dir = tu_fresh_dir("api");
    lifecycle_publish_and_callback(dir);
    reader_reads_it_back(dir);
    throwing_forms(tu_fresh_dir("throwing"));
    tu_cleanup();
    std::printf("test_cpp_api: ok\n");
    return 0;
}
