// Quill's drop count for rtlog-bench's two Quill shims (quill_shim.cpp, quill_rec_shim.cpp):
// Quill counts what a BoundedDropping queue refused only in the backend's notifications
// ("... Quill INFO: Dropped N events from thread T"), so the shims pass this as the backend's
// error_notifier and sum the N.

#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

// Records dropped so far in this process.
inline std::atomic<uint64_t> g_bench_quill_dropped{0};

inline void bench_quill_count_drops(std::string const &text) {
    char const *at = std::strstr(text.c_str(), "Dropped ");
    unsigned long long n = 0;
    if (at != nullptr && std::sscanf(at, "Dropped %llu", &n) == 1) {
        g_bench_quill_dropped.fetch_add(n, std::memory_order_relaxed);
    }
}
