// spdlog peer for rtlog-bench: an async logger (one worker thread, overrun_oldest) in front of
// a null sink, so the numbers are spdlog's front end and queue, not a disk (like rtlog's NULL
// backend); the control-loop scenario gives it a file sink instead (basic_file_sink_mt). The record benchmark logs its payload as a string_view (no format string is parsed);
// the message benchmark logs a formatted message (bench_spdlog_msg).
//
// C ABI used by bench/src/peers/spdlog.rs. Not thread-safe for init/shutdown; bench_spdlog_log
// may be called from any number of threads (the logger is spdlog's thread-safe one).

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <pthread.h>
#include <sched.h>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace {
std::shared_ptr<spdlog::details::thread_pool> g_pool;
std::shared_ptr<spdlog::async_logger> g_logger;
}  // namespace

// `file`: the log file (truncated), or NULL for the null sink.
extern "C" int bench_spdlog_init(size_t queue_items, int worker_cpu, const char *file) {
    try {
        auto on_start = [worker_cpu]() {
            if (worker_cpu >= 0) {
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(worker_cpu, &set);
                pthread_setaffinity_np(pthread_self(), sizeof set, &set);
            }
        };
        g_pool = std::make_shared<spdlog::details::thread_pool>(queue_items, 1, on_start);
        spdlog::sink_ptr sink;
        if (file != nullptr) {
            sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, true);
        } else {
            sink = std::make_shared<spdlog::sinks::null_sink_mt>();
        }
        g_logger = std::make_shared<spdlog::async_logger>(
            "bench", sink, g_pool, spdlog::async_overflow_policy::overrun_oldest);
        g_logger->set_level(spdlog::level::info);
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" void bench_spdlog_log(const char *payload, size_t len) {
    g_logger->log(spdlog::level::info, spdlog::string_view_t(payload, len));
}

// The message benchmark's call: the same four arguments as rtlog's RTLOG_INFO and Quill's
// LOG_INFO. spdlog formats on the calling thread (fmt), then queues the text.
extern "C" void bench_spdlog_msg(uint32_t joint, double pos, double vel, uint64_t cycle) {
    g_logger->info("joint {} pos {:.3f} vel {:.3f} cycle {}", joint, pos, vel, cycle);
}

extern "C" uint64_t bench_spdlog_overruns(void) {
    return g_pool ? g_pool->overrun_counter() : 0;
}

extern "C" void bench_spdlog_shutdown(void) {
    if (g_logger) {
        g_logger->flush();
    }
    g_logger.reset();
    g_pool.reset();  // joins the worker after it drained the queue
}
