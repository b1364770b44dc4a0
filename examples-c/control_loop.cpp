// control_loop.cpp - rtlog from C++ (include/rtlog.hpp) in a 1 kHz control loop.
//
// Four joint-controller threads wake on absolute CLOCK_MONOTONIC deadlines (clock_nanosleep
// with TIMER_ABSTIME, so lateness never accumulates) and publish two structs per cycle with
// the template publish:
//   CRITICAL  JointState: the joint state it computed (cycle, position, velocity)
//   NORMAL    WakeupLatency: how late the thread woke up
// Both are typed records: RTLOG_DECLARE_TYPE binds each struct to a type id, a name and its
// members, from whose types and offsets it writes the field layout at compile time; creating
// the Logger stores every declared type in the log, and publish(stream, value) takes the id
// from it. So `rtlog dump` shows the records
// by field (`joint_state{cycle=0 position_rad=0.1 ...}`) and `rtlog dump --type joint_state`
// selects them, without this program. Publishing is RT-safe: noexcept, no allocation, no lock,
// no system call; a full ring is a status (Status::full, counted), never a wait.
//
// The threads also log messages, printf-style with a level (RTLOG_INFO ... from rtlog.h; the
// format is checked against the arguments at compile time, and nothing is formatted on the RT
// thread: the reader formats, e.g. `rtlog dump --level warn LOGDIR`):
//   INFO   the controller starts
//   WARN   the joint's speed goes over its limit (once per excursion)
//   ERROR  a simulated encoder fault (joint 2, cycle 250); ERROR goes on the critical stream
//   DEBUG  the state every 100 cycles: filtered (counted, not published) unless the third
//          argument lowers the level to debug
//
// The threads ask for SCHED_FIFO; where that is not permitted (no CAP_SYS_NICE, no
// `ulimit -r`), the program says so and runs with normal scheduling. The logger's own ticker
// thread (dispatch_period_us = 1000) moves records to the writer; the main thread watches the
// logger's state. After a clean shutdown every accepted record is persisted, which the program
// checks, and it reads the first record of each type back decoded (Reader, Record::format)
// before it prints "control_loop_cpp ok".
//
// Build: the CMake build makes bin/control_loop_cpp. By hand, after `cargo build --release`:
//   c++ -std=c++17 -O2 -Iinclude examples-c/control_loop.cpp target/release/librtlog.a -lpthread -ldl -lm -o control_loop_cpp
// Run: control_loop_cpp [seconds, default 5] [log dir, default ./rtlog-demo-cpp-log]
//                       [level: trace|debug|info|warn|error|fatal, default info]
#include "rtlog.hpp"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

constexpr int NUM_JOINTS = 4;
constexpr long PERIOD_NS = 1000000; // 1 kHz
constexpr int RT_PRIORITY = 80;     // SCHED_FIFO priority of the joint threads
constexpr double SPEED_LIMIT = 2.0; // rad/s: above it a joint is too fast (a WARN)
constexpr int FAULT_JOINT = 2;      // the simulated encoder fault: this joint...
constexpr std::uint64_t FAULT_CYCLE = 250; // ...at this cycle

// Payloads are plain structs, copied byte for byte into the log; their record types are below.
struct JointState {
    std::uint64_t cycle;
    double position_rad;
    double velocity_rad_s;
};

struct WakeupLatency {
    std::uint64_t cycle;
    std::int64_t late_ns; // woke up this long after the deadline
};

void add_ns(timespec &t, long ns) // ns < 1 s
{
    t.tv_nsec += ns;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_nsec -= 1000000000L;
        t.tv_sec++;
    }
}

struct Joint {
    rtlog::Producer producer; // one producer per RT thread
    int index = 0;
    std::uint64_t cycles = 0;
    timespec first_deadline{};
    rtlog::Status error = rtlog::Status::ok; // first unexpected status
};

// The status of a message (an rtlog_status, as the macros return it): like a publish's,
// Status::full is a drop and not an error; anything else stops the thread.
bool logged(Joint &j, rtlog_status st)
{
    const rtlog::Status s = static_cast<rtlog::Status>(st);
    if (s != rtlog::Status::ok && s != rtlog::Status::full && j.error == rtlog::Status::ok)
        j.error = s;
    return j.error == rtlog::Status::ok;
}

// The real-time thread: nothing in the loop allocates, locks or does I/O.
void joint_main(Joint &j)
{
    timespec deadline = j.first_deadline, now{};
    // A simulated joint: a damped oscillator, one Euler step per cycle.
    const double dt = PERIOD_NS / 1e9, stiffness = 40.0 * (j.index + 1), damping = 0.5;
    double pos = 0.1 * (j.index + 1), vel = 0.0;
    bool too_fast = false, encoder_ok = true;
    rtlog_producer *const p = j.producer.get();

    if (!logged(j, RTLOG_INFO(p, "joint %d controller started: period %ld us, stiffness %.1f", j.index,
                              PERIOD_NS / 1000, stiffness)))
        return;
    for (std::uint64_t cycle = 0; cycle < j.cycles; cycle++) {
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (encoder_ok) { // after the fault, the joint holds its last position
            vel += (-stiffness * pos - damping * vel) * dt;
            pos += vel * dt;
        }
        if (j.index == FAULT_JOINT && cycle == FAULT_CYCLE) {
            encoder_ok = false;
            vel = 0.0;
            if (!logged(j, RTLOG_ERROR(p, "joint %d encoder fault at cycle %lu: %s, holding %.4f rad", j.index,
                                       static_cast<unsigned long>(cycle), "no reply from encoder", pos)))
                return;
        }
        const bool over = std::fabs(vel) > SPEED_LIMIT;
        if (over && !too_fast &&
            !logged(j, RTLOG_WARN(p, "joint %d over speed limit: %.3f rad/s > %.1f at cycle %lu", j.index,
                                  std::fabs(vel), SPEED_LIMIT, static_cast<unsigned long>(cycle))))
            return;
        too_fast = over;
        if (cycle % 100 == 0 && !logged(j, RTLOG_DEBUG(p, "joint %d cycle %lu pos %.4f vel %.4f", j.index,
                                                       static_cast<unsigned long>(cycle), pos, vel)))
            return;

        const JointState state{cycle, pos, vel};
        const WakeupLatency late{cycle, (now.tv_sec - deadline.tv_sec) * 1000000000LL + (now.tv_nsec - deadline.tv_nsec)};
        // Status::full is not an error for a control loop, which must never wait for logging:
        // the record is dropped and counted in the statistics. Anything else stops the thread.
        for (rtlog::Status st : {j.producer.publish(rtlog::Stream::critical, state),
                                 j.producer.publish(rtlog::Stream::normal, late)}) {
            if (st != rtlog::Status::ok && st != rtlog::Status::full && j.error == rtlog::Status::ok)
                j.error = st;
        }
        if (j.error != rtlog::Status::ok)
            return;
        add_ns(deadline, PERIOD_NS);
    }
}

// Moves a started thread to SCHED_FIFO; false (and a note, once) when not permitted.
bool make_fifo(std::thread &t, bool &noted)
{
    sched_param param{};
    param.sched_priority = RT_PRIORITY;
    int rc = pthread_setschedparam(t.native_handle(), SCHED_FIFO, &param);
    if (rc == 0)
        return true;
    if (!noted) {
        std::printf("note: SCHED_FIFO not permitted (%s; needs CAP_SYS_NICE or `ulimit -r %d`): "
                    "running with normal scheduling, so wake-up latencies are not real-time\n",
                    rc == EPERM ? "EPERM" : "error", RT_PRIORITY);
        noted = true;
    }
    return false;
}

} // namespace

// Record types: id, name and the members, all of them in order; the layout (docs/FORMAT.md
// "Record layouts") comes from their types: "u64 cycle; f64 position_rad; f64 velocity_rad_s".
RTLOG_DECLARE_TYPE(JointState, 1, "joint_state", cycle, position_rad, velocity_rad_s);
RTLOG_DECLARE_TYPE(WakeupLatency, 2, "wakeup_latency", cycle, late_ns);

int main(int argc, char **argv)
{
    const double seconds = argc > 1 ? std::strtod(argv[1], nullptr) : 5.0;
    const std::string dir = argc > 2 ? argv[2] : "./rtlog-demo-cpp-log";
    const std::string level = argc > 3 ? argv[3] : "info";
    static const char *const level_names[] = {"trace", "debug", "info", "warn", "error", "fatal"};
    int min_level = -1;
    for (int i = 0; i < 6; i++)
        if (level == level_names[i])
            min_level = i; // RTLOG_LEVEL_TRACE + i
    if (!(seconds > 0.0 && seconds <= 86400.0) || min_level < 0) {
        std::fprintf(stderr,
                     "usage: %s [seconds > 0, default 5] [log dir, default ./rtlog-demo-cpp-log] "
                     "[level: trace|debug|info|warn|error|fatal, default info]\n",
                     argv[0]);
        return 2;
    }
    const std::uint64_t cycles = seconds < 0.001 ? 1 : static_cast<std::uint64_t>(seconds * 1000.0 + 0.5);

    try {
        // INIT: configuration, the directory, the memory, the producers. Everything that can
        // fail here throws rtlog::Error with the reason.
        rtlog::Config cfg(dir);
        cfg.max_producers(NUM_JOINTS)
            .max_record_size(64)                 // records 24 bytes, messages up to ~50
            .dispatch_period_us(1000);           // the logger's ticker thread, every 1 ms
        rtlog::Logger lg(cfg); // also stores JointState's and WakeupLatency's layouts in the log
        // Messages below this level are filtered: counted, not published.
        if (rtlog_set_level(lg.get(), static_cast<rtlog_level>(min_level)) != RTLOG_OK)
            throw rtlog::Error(rtlog::Status::invalid_argument, "rtlog_set_level");

        std::array<Joint, NUM_JOINTS> joints;
        for (int i = 0; i < NUM_JOINTS; i++) {
            joints[i].producer = lg.create_producer("joint-" + std::to_string(i));
            joints[i].index = i;
            joints[i].cycles = cycles;
        }
        lg.start(); // INIT -> RUN

        // All joints share one time base, starting 10 ms from now.
        timespec start{};
        clock_gettime(CLOCK_MONOTONIC, &start);
        add_ns(start, 10 * PERIOD_NS);
        std::array<std::thread, NUM_JOINTS> threads;
        bool fifo = true, noted = false;
        for (int i = 0; i < NUM_JOINTS; i++) {
            joints[i].first_deadline = start;
            threads[i] = std::thread(joint_main, std::ref(joints[i]));
            fifo = make_fifo(threads[i], noted) && fifo;
        }

        // The main thread only watches the state (an atomic load) and reports changes.
        rtlog::State last = lg.state();
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < end) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            if (lg.state() != last) {
                std::printf("state: %s -> %s\n", rtlog::to_string(last), rtlog::to_string(lg.state()));
                last = lg.state();
            }
        }
        int rc = 0;
        for (int i = 0; i < NUM_JOINTS; i++) {
            threads[i].join();
            if (joints[i].error != rtlog::Status::ok) {
                std::fprintf(stderr, "control_loop_cpp: joint %d: publish: %s\n", i, rtlog::to_string(joints[i].error));
                rc = 1;
            }
        }

        lg.shutdown(); // dispatches what is still in the rings and makes it durable
        const rtlog::Stats st = lg.stats();
        const std::uint64_t published = st.published[0] + st.published[1];
        std::printf("%d threads x %" PRIu64 " cycles at 1 kHz (%s)\n", NUM_JOINTS, cycles,
                    fifo ? "SCHED_FIFO" : "normal scheduling");
        std::printf("published: %" PRIu64 " critical, %" PRIu64 " normal\n", st.published[0], st.published[1]);
        std::printf("dropped:   %" PRIu64 " critical, %" PRIu64 " normal (ring full)\n", st.dropped[0], st.dropped[1]);
        std::printf("filtered:  %" PRIu64 " messages below %s\n", st.filtered, level.c_str());
        std::printf("persisted: %" PRIu64 " records, %" PRIu64 " bytes written\n", st.persisted, st.bytes_written);
        std::printf("log directory: %s\n", dir.c_str());
        if (st.persisted != published) {
            std::fprintf(stderr, "control_loop_cpp: %" PRIu64 " records accepted but %" PRIu64 " persisted\n",
                         published, st.persisted);
            rc = 1;
        }
        // Read back: the first record of each type, decoded by the layout stored in the log.
        bool shown[3] = {false, false, false};
        for (const rtlog::Record &r : rtlog::Reader(dir)) {
            if (r.type() < 1 || r.type() > 2 || shown[r.type()])
                continue;
            shown[r.type()] = true;
            const std::optional<std::string> text = r.format();
            std::printf("first %s\n", text ? text->c_str() : "record: not decoded");
            if (shown[1] && shown[2])
                break;
        }
        if (rc == 0)
            std::printf("control_loop_cpp ok\n");
        return rc;
    } catch (const rtlog::Error &e) {
        std::fprintf(stderr, "control_loop_cpp: %s\n", e.what());
        return 1;
    }
}
