// Quill peer for rtlog-bench (header-only, C++17; from QUILL_ROOT, see bench/build.rs): one
// LOG_INFO call site with the benchmark's message, a logger with a null sink, and Quill's
// backend thread on the consumer CPU. Quill's front end copies the arguments into a per-thread
// SPSC queue and the backend formats them later: the same design as rtlog's messages.
//
// Configured like rtlog in the benchmark: a bounded queue that drops when full (256 KiB per
// thread, about 4096 messages of this size, as rtlog's ring holds 4096 records), the backend
// sleeping 50 us when idle (rtlog's ticker period), Quill's default TSC clock. Drops are counted
// from the backend's "Dropped N events" notifications (quill_drops.h).
//
// C ABI used by bench/src/peers/messages.rs. Not thread-safe for init/shutdown;
// bench_quill_msg may be called from any thread (each thread gets its own queue).

#include "quill/Backend.h"
#include "quill/Frontend.h"
#include "quill/LogMacros.h"
#include "quill/Logger.h"
#include "quill/sinks/NullSink.h"
#include "quill_drops.h"

#include <chrono>
#include <cstdint>

namespace {

struct BenchFrontendOptions : quill::FrontendOptions {
    static constexpr quill::QueueType queue_type = quill::QueueType::BoundedDropping;
    static constexpr size_t initial_queue_capacity = 256u * 1024u;
};
using BenchFrontend = quill::FrontendImpl<BenchFrontendOptions>;
using BenchLogger = quill::LoggerImpl<BenchFrontendOptions>;

BenchLogger *g_logger = nullptr;

}  // namespace

extern "C" int bench_quill_init(int backend_cpu) {
    try {
        quill::BackendOptions options;
        options.sleep_duration = std::chrono::microseconds{50};
        if (backend_cpu >= 0) {
            options.cpu_affinity = {static_cast<uint16_t>(backend_cpu)};
        }
        options.error_notifier = bench_quill_count_drops;
        quill::Backend::start(options);
        auto sink = BenchFrontend::create_or_get_sink<quill::NullSink>("null");
        g_logger = BenchFrontend::create_or_get_logger("bench", std::move(sink));
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" void bench_quill_msg(uint32_t joint, double pos, double vel, uint64_t cycle) {
    LOG_INFO(g_logger, "joint {} pos {:.3f} vel {:.3f} cycle {}", joint, pos, vel, cycle);
}

// Stops the backend after it drained every queue; returns the messages dropped.
extern "C" uint64_t bench_quill_shutdown(void) {
    quill::Backend::stop();
    return g_bench_quill_dropped.load(std::memory_order_relaxed);
}
