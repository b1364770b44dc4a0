// Quill as a record peer for rtlog-bench (header-only, C++17; from QUILL_ROOT, see
// bench/build.rs): the record latency, burst and control-loop scenarios, where every other peer
// stores an opaque payload of 64 or 256 bytes.
//
// The payload goes through Quill's own codec for binary data (quill::BinaryData with
// BinaryDataDeferredFormatCodec): on the caller, a 4-byte length and a memcpy of the bytes into
// the thread's queue, nothing formatted. That is the cheapest way Quill offers to log the same
// bytes rtlog's record holds (a string_view costs the same copy; a list of integer arguments
// cannot hold 256 bytes). The backend writes the bytes as they are, as rtlog and spdlog store
// them: Quill's documented hex formatting (utility::to_hex, a std::string per record) made its
// backend the bottleneck, dropping a fifth of the paced records on a null sink.
//
// The queue is BoundedDropping, sized to hold about as many records as rtlog's 4096-record ring:
// 512 KiB for payloads up to 64 B, 2 MiB above (one queue type per capacity; Quill's capacity
// is a compile-time option). The sink is a null sink (like rtlog's NULL backend) or a file sink
// (the control loop: Quill's defaults, no fsync). Drops are counted from the backend's
// "Dropped N events" notifications.
//
// C ABI used by bench/src/peers/quill.rs. Not thread-safe for init/shutdown; bench_quill_record
// may be called from any thread (each thread gets its own queue on its first call).

#include "quill/Backend.h"
#include "quill/BinaryDataDeferredFormatCodec.h"
#include "quill/Frontend.h"
#include "quill/LogMacros.h"
#include "quill/Logger.h"
#include "quill/sinks/FileSink.h"
#include "quill/sinks/NullSink.h"
#include "quill_drops.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace {
struct RecordTag {};
}  // namespace
using RecordBytes = quill::BinaryData<RecordTag>;

template <>
struct fmtquill::formatter<RecordBytes> {
    constexpr auto parse(format_parse_context &ctx) { return ctx.begin(); }
    auto format(RecordBytes const &r, format_context &ctx) const {
        auto bytes = reinterpret_cast<char const *>(r.data());
        return std::copy(bytes, bytes + r.size(), ctx.out());
    }
};

template <>
struct quill::Codec<RecordBytes> : quill::BinaryDataDeferredFormatCodec<RecordBytes> {};

namespace {

template <size_t Capacity>
struct RecordOptions : quill::FrontendOptions {
    static constexpr quill::QueueType queue_type = quill::QueueType::BoundedDropping;
    static constexpr size_t initial_queue_capacity = Capacity;
};
using Small = RecordOptions<512u * 1024u>;
using Large = RecordOptions<2u * 1024u * 1024u>;

quill::LoggerImpl<Small> *g_small = nullptr;
quill::LoggerImpl<Large> *g_large = nullptr;

template <typename Options>
quill::LoggerImpl<Options> *make_logger(char const *file) {
    using Frontend = quill::FrontendImpl<Options>;
    if (file == nullptr) {
        return Frontend::create_or_get_logger("bench",
                                              Frontend::template create_or_get_sink<quill::NullSink>("null"));
    }
    quill::FileSinkConfig config;
    config.set_open_mode('w');
    auto sink = Frontend::template create_or_get_sink<quill::FileSink>(file, config);
    return Frontend::create_or_get_logger("bench", std::move(sink));
}

}  // namespace

// Starts the backend (pinned to backend_cpu when >= 0; sleeping sleep_us when idle, or Quill's
// default when sleep_us < 0) and the logger for payloads up to max_payload bytes, writing to
// `file` (NULL: a null sink).
extern "C" int bench_quill_record_init(size_t max_payload, int backend_cpu, long sleep_us,
                                       char const *file) {
    try {
        quill::BackendOptions options;
        if (sleep_us >= 0) {
            options.sleep_duration = std::chrono::microseconds{sleep_us};
        }
        if (backend_cpu >= 0) {
            options.cpu_affinity = {static_cast<uint16_t>(backend_cpu)};
        }
        options.error_notifier = bench_quill_count_drops;
        quill::Backend::start(options);
        if (max_payload <= 64) {
            g_small = make_logger<Small>(file);
        } else {
            g_large = make_logger<Large>(file);
        }
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" void bench_quill_record(void const *payload, size_t len) {
    RecordBytes bytes{static_cast<unsigned char const *>(payload), len};
    if (g_small != nullptr) {
        LOG_INFO(g_small, "{}", bytes);
    } else {
        LOG_INFO(g_large, "{}", bytes);
    }
}

// Stops the backend after it drained every queue; returns the records dropped.
extern "C" uint64_t bench_quill_record_shutdown(void) {
    quill::Backend::stop();
    return g_bench_quill_dropped.load(std::memory_order_relaxed);
}
