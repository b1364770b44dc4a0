// test_cpp_rt.cpp - the RT contract of the C++ binding, allocation part: after start, the RT
// methods of rtlog.hpp (Producer::publish in every form, Logger::tick, Logger::state,
// Producer::durable_count, Producer::stats, Producer::id, to_string) never call the allocator,
// on the accepting path, the full-ring path and the refusals.
//
// The allocator is interposed by ../c/alloc_count.h, the instrument of test_rt_malloc.c (it
// also sees libstdc++'s operator new, which calls malloc). It is checked first: a new/delete
// in a control thread is counted there, and Logger::create is counted in the main thread.
//
// Each RT thread also logs a message after every record with the RTLOG_* macros
// (../c/messages_kit.h: every argument kind, std::string_view and std::string through rtlog.hpp,
// a NULL string, a string cut to fit, ERROR on the critical stream, DEBUG filtered); every
// accepted message is read back and its text compared with snprintf's.
//
// Three RT threads (std::thread) publish RTLOG_TEST_RECORDS records each (default 200,000)
// with nobody ticking until each has seen both rings refuse a record, then ticking themselves
// every 8th record while the main thread ticks too. Each thread's allocator calls during its
// loop must be 0, and the main thread's during its tick loop. Then the log is read back and
// every accepted record is found with the payload its publish form gave it.
//
// Built with and without exceptions and RTTI, as C++17 and C++20 (std::span publish).
// Usage: test_cpp_rt [base-scratch-dir]
#include "cpp_test_util.hpp"

#include <atomic>
#include <cinttypes>
#include <thread>

#if !defined(__GLIBC__)
int main()
{
    std::printf("test_cpp_rt: SKIP: the allocator interposition forwards to glibc's __libc_malloc family\n");
    return 0;
}
#else

#include "alloc_count.h"
#include "messages_kit.h"

namespace {

constexpr int NRT = 3;
constexpr std::uint32_t MAX_RECORD = 64;

// The payload forms: a member type id, a trait type id, an explicit id, raw bytes, a span.
struct Small {
    static constexpr std::uint16_t rtlog_type_id = 1;
    std::uint64_t value;
};
struct Medium {
    std::uint64_t value;
    double x, y;
};
struct Full {
    std::uint64_t value;
    unsigned char rest[MAX_RECORD - 8];
};
struct TooBig {
    unsigned char bytes[MAX_RECORD + 8];
};
constexpr std::uint16_t FULL_TYPE = 3, RAW_TYPE = 4, SPAN_TYPE = 5, FORMS = 5;

} // namespace

template <>
struct rtlog::record_type<Medium> {
    static constexpr std::uint16_t id = 2;
};

namespace {

std::atomic<int> filled{0};

struct Ctx {
    rtlog::Producer producer;
    rtlog::Logger *lg = nullptr;
    std::uint64_t records = 0;
    std::uint64_t calls = 0; // allocator calls during the loop: must be 0
    std::uint64_t ok[2] = {0, 0}, full[2] = {0, 0}, refused = 0, other = 0, tick_errors = 0;
    std::uint64_t ok_form[FORMS + 1] = {};
    std::uint64_t sink = 0;
    mk_counts mk{};
};

// The value in a record's first 8 bytes: producer, form and index, so the reader can check it.
std::uint64_t stamp(std::uint16_t producer, std::uint16_t form, std::uint64_t i)
{
    return (std::uint64_t{producer} << 56) | (std::uint64_t{form} << 48) | i;
}

rtlog::Status publish_one(Ctx &c, rtlog::Stream s, std::uint64_t i)
{
    std::uint16_t id = c.producer.id();
    switch (i % FORMS) {
    case 0: return c.producer.publish(s, Small{stamp(id, 1, i)});
    case 1: return c.producer.publish(s, Medium{stamp(id, 2, i), 1.0, 2.0});
    case 2: {
        Full f{};
        f.value = stamp(id, FULL_TYPE, i);
        return c.producer.publish(s, FULL_TYPE, f);
    }
    case 3: {
        unsigned char raw[MAX_RECORD];
        std::uint64_t v = stamp(id, RAW_TYPE, i);
        std::memcpy(raw, &v, sizeof v);
        return c.producer.publish(s, RAW_TYPE, raw, 8 + i % (MAX_RECORD - 7));
    }
    default: {
        std::uint64_t words[4] = {stamp(id, SPAN_TYPE, i), 1, 2, 3};
#if RTLOG_HPP_HAS_SPAN
        return c.producer.publish(s, SPAN_TYPE, std::span<const std::uint64_t>(words));
#else
        return c.producer.publish(s, SPAN_TYPE, words);
#endif
    }
    }
}

void rt_main(Ctx &c)
{
    bool reported = false;
    const TooBig too_big{};
    std::uint64_t before = ac_thread_calls();
    for (std::uint64_t i = 0; i < c.records; i++) {
        rtlog::Stream s = (i % 4 == 0) ? rtlog::Stream::critical : rtlog::Stream::normal;
        int si = static_cast<int>(s);
        rtlog::Status st = publish_one(c, s, i);
        mk_publish(c.producer.get(), i, &c.mk);
        if (st == rtlog::Status::ok) {
            c.ok[si]++;
            c.ok_form[i % FORMS + 1]++;
        } else if (st == rtlog::Status::full) {
            c.full[si]++;
        } else {
            c.other++;
        }
        if (!reported && c.full[0] > 0 && c.full[1] > 0) {
            reported = true;
            filled.fetch_add(1);
        }
        if (i % 1000 == 500) {
            // Refusals and the other RT methods.
            c.refused += c.producer.publish(rtlog::Stream::normal, 9, too_big) == rtlog::Status::too_large;
            c.refused += c.producer.publish(static_cast<rtlog::Stream>(7), 9, i) == rtlog::Status::invalid_argument;
            c.refused += c.producer.publish(rtlog::Stream::critical, 9, nullptr, 4) == rtlog::Status::invalid_argument;
            c.sink += static_cast<std::uint64_t>(c.lg->state());
            c.sink += c.producer.durable_count(rtlog::Stream::critical);
            c.sink += c.producer.stats().published[0];
            c.sink += std::strlen(rtlog::to_string(st));
        }
        if (filled.load(std::memory_order_relaxed) == NRT && i % 8 == 0) {
            std::uint32_t n = 0;
            if (c.lg->tick(n) != rtlog::Status::ok)
                c.tick_errors++;
        }
    }
    c.calls = ac_thread_calls() - before;
    if (!reported)
        filled.fetch_add(1); // do not keep the others waiting; checked below
}

// Every accepted record is in the log, with the payload its form gave it.
void read_back(const char *dir, const Ctx *ctx)
{
    std::uint64_t seen[NRT][FORMS + 1] = {};
    rtlog::Result<rtlog::Reader> opened = rtlog::Reader::open(dir);
    CHECK_OK(opened.status());
    rtlog::Reader rd = std::move(*opened);
    for (const rtlog::Record &r : rd) {
        if (static_cast<int>(r.kind()) == RTLOG_FRAME_MESSAGE)
            continue; // checked by mk_check_log
        CHECK(r.producer() < NRT && r.type() >= 1 && r.type() <= FORMS && r.size() >= 8,
              "record producer %u type %u size %zu", r.producer(), r.type(), r.size());
        std::uint64_t v;
        std::memcpy(&v, r.data(), sizeof v);
        CHECK(v >> 56 == r.producer() && ((v >> 48) & 0xff) == r.type(), "payload stamp %" PRIx64, v);
        std::uint64_t i = v & ((std::uint64_t{1} << 48) - 1);
        CHECK(i % FORMS + 1 == r.type(), "index %" PRIu64 " published with form %u", i, r.type());
        std::size_t want = r.type() == 1 ? sizeof(Small)
                         : r.type() == 2 ? sizeof(Medium)
                         : r.type() == FULL_TYPE ? sizeof(Full)
                         : r.type() == RAW_TYPE ? 8 + i % (MAX_RECORD - 7)
                                                : 4 * sizeof(std::uint64_t);
        CHECK(r.size() == want, "type %u: %zu bytes, expected %zu", r.type(), r.size(), want);
        if (r.type() == 2) {
            std::optional<Medium> m = r.as<Medium>();
            CHECK(m && m->x == 1.0 && m->y == 2.0, "Medium payload");
        }
        seen[r.producer()][r.type()]++;
    }
    CHECK_OK(rd.error());
    for (int p = 0; p < NRT; p++)
        for (int f = 1; f <= FORMS; f++)
            CHECK(seen[p][f] == ctx[p].ok_form[f], "producer %d form %d: read %" PRIu64 ", accepted %" PRIu64, p, f,
                  seen[p][f], ctx[p].ok_form[f]);
}

} // namespace

int main(int argc, char **argv)
{
    tu_init(argc, argv);
    mk_init();
    std::uint64_t records = 200000;
    if (const char *env = std::getenv("RTLOG_TEST_RECORDS"); env && *env)
        records = std::strtoull(env, nullptr, 10);
    CHECK(records >= 1000, "RTLOG_TEST_RECORDS must be >= 1000");

    // The instrument sees C++ allocations, per thread.
    std::uint64_t control_calls = 0;
    std::thread control([&control_calls] {
        std::uint64_t before = ac_thread_calls();
        int *volatile p = new int(7);
        delete p;
        control_calls = ac_thread_calls() - before;
    });
    control.join();
    CHECK(control_calls == 2, "control thread: %" PRIu64 " allocator calls counted for new + delete, "
          "expected 2: the interposition does not see operator new", control_calls);

    char *dir = tu_fresh_dir("cpp_rt");
    rtlog::Config cfg(dir);
    cfg.max_producers(NRT).max_record_size(MAX_RECORD).critical_depth(64).normal_depth(256);
    cfg.dispatch_budget(64).durability(rtlog::Durability::none);
    std::uint64_t init_before = ac_thread_calls();
    rtlog::Result<rtlog::Logger> created = rtlog::Logger::create(cfg);
    CHECK_OK(created.status());
    rtlog::Logger lg = std::move(*created);
    CHECK(ac_thread_calls() - init_before > 0, "Logger::create made no allocator call that this program "
          "saw: the interposition does not reach librtlog.so");

    Ctx ctx[NRT];
    for (int i = 0; i < NRT; i++) {
        char name[16];
        std::snprintf(name, sizeof name, "rt-%d", i);
        rtlog::Result<rtlog::Producer> p = lg.try_create_producer(name);
        CHECK_OK(p.status());
        ctx[i].producer = std::move(*p);
        ctx[i].lg = &lg;
        ctx[i].records = records;
    }
    CHECK_OK(lg.try_start());
    std::thread threads[NRT];
    for (int i = 0; i < NRT; i++)
        threads[i] = std::thread(rt_main, std::ref(ctx[i]));

    // Nobody ticks until every RT thread has seen both of its rings full.
    const std::uint64_t timeout_ns = 120ull * 1000000000ull, t0 = tu_now_ns();
    while (filled.load() < NRT) {
        CHECK(tu_now_ns() - t0 < timeout_ns, "the rings did not fill");
        std::this_thread::yield();
    }
    // The main thread ticks until the RT threads are done (joinable() does not allocate, and
    // thread::join is called only after the loop).
    std::atomic<int> done{0};
    std::thread watcher; // joins the RT threads so the main loop can poll one flag
    watcher = std::thread([&threads, &done] {
        for (auto &t : threads)
            t.join();
        done.store(1);
    });
    std::uint64_t ticks = 0, moved = 0, tick_errors = 0;
    std::uint64_t tick_before = ac_thread_calls();
    while (done.load() == 0) {
        std::uint32_t n = 0;
        if (lg.tick(n) != rtlog::Status::ok)
            tick_errors++;
        ticks++;
        moved += n;
        if (n == 0)
            std::this_thread::yield();
        CHECK(tu_now_ns() - t0 < timeout_ns, "the RT threads did not finish");
    }
    std::uint64_t tick_calls = ac_thread_calls() - tick_before;
    watcher.join();
    CHECK_OK(lg.try_shutdown());

    rtlog::Stats st = lg.stats();
    std::uint64_t ok[2] = {0, 0}, full[2] = {0, 0}, msg_ok = 0, filtered = 0;
    for (int i = 0; i < NRT; i++) {
        const Ctx &c = ctx[i];
        const mk_counts &m = c.mk;
        CHECK(m.published == records && m.other == 0 && m.filtered == mk_filtered_of(records),
              "RT thread %d: messages: %" PRIu64 " published, %" PRIu64 " filtered, %" PRIu64
              " unexpected statuses", i, m.published, m.filtered, m.other);
        CHECK(m.ok_critical > 0 && m.ok > m.ok_critical && m.full_critical > 0 && m.full > m.full_critical,
              "RT thread %d: messages accepted %" PRIu64 " (%" PRIu64 " critical), refused %" PRIu64 " (%" PRIu64
              " critical): a path did not run", i, m.ok, m.ok_critical, m.full, m.full_critical);
        ok[0] += m.ok_critical;
        ok[1] += m.ok - m.ok_critical;
        full[0] += m.full_critical;
        full[1] += m.full - m.full_critical;
        msg_ok += m.ok;
        filtered += m.filtered;
        std::printf("rt-%d: %" PRIu64 " allocator calls in %" PRIu64 " publishes (critical ok %" PRIu64 " full %" PRIu64
                    ", normal ok %" PRIu64 " full %" PRIu64 ")\n",
                    i, c.calls, records, c.ok[0], c.full[0], c.ok[1], c.full[1]);
        CHECK(c.calls == 0, "RT thread %d made %" PRIu64 " allocator calls while publishing and ticking", i, c.calls);
        CHECK(c.other == 0, "RT thread %d: %" PRIu64 " unexpected statuses", i, c.other);
        CHECK(c.tick_errors == 0, "RT thread %d: %" PRIu64 " failed ticks", i, c.tick_errors);
        CHECK(c.refused == 3 * (records / 1000), "RT thread %d: %" PRIu64 " refusals", i, c.refused);
        CHECK(c.full[0] > 0 && c.full[1] > 0 && c.ok[0] > 0 && c.ok[1] > 0, "RT thread %d: a ring never filled "
              "or nothing was accepted", i);
        for (int s = 0; s < 2; s++) {
            ok[s] += c.ok[s];
            full[s] += c.full[s];
        }
    }
    CHECK(tick_calls == 0, "the main thread made %" PRIu64 " allocator calls in %" PRIu64 " ticks", tick_calls, ticks);
    CHECK(tick_errors == 0, "%" PRIu64 " failed ticks", tick_errors);
    for (int s = 0; s < 2; s++)
        CHECK(st.published[s] == ok[s] && st.dropped[s] == full[s], "stats stream %d: published %" PRIu64
              " dropped %" PRIu64 ", counted %" PRIu64 " / %" PRIu64, s, st.published[s], st.dropped[s], ok[s], full[s]);
    CHECK(st.persisted == ok[0] + ok[1], "persisted %" PRIu64 ", accepted %" PRIu64, st.persisted, ok[0] + ok[1]);
    CHECK(st.filtered == filtered, "filtered %" PRIu64 ", counted %" PRIu64, st.filtered, filtered);
    read_back(dir, ctx);
    std::uint64_t msg_read = mk_check_log(dir);
    CHECK(msg_read == msg_ok, "%" PRIu64 " messages read back, %" PRIu64 " accepted", msg_read, msg_ok);

    std::printf("test_cpp_rt: %d RT threads x %" PRIu64 " publishes (5 publish forms), main thread %" PRIu64
                " ticks (%" PRIu64 " records): 0 allocator calls on the RT path; %" PRIu64
                " records read back and checked, %" PRIu64 " of them messages (every argument kind)\n",
                NRT, records, ticks, moved, ok[0] + ok[1], msg_read);
    std::printf("  instrument: control thread 2/2 calls seen (new + delete); process total malloc %" PRIu64
                ", calloc %" PRIu64 ", realloc %" PRIu64 ", free %" PRIu64 ", aligned %" PRIu64 "\n",
                ac_total(AC_MALLOC), ac_total(AC_CALLOC), ac_total(AC_REALLOC), ac_total(AC_FREE),
                ac_total(AC_MEMALIGN));
    tu_cleanup();
    return 0;
}

#endif // __GLIBC__
