// rtlog message peer for rtlog-bench, C++17: the same RTLOG_INFO call site as
// rtlog_msg_shim.c, through the header's C++ path (templates, format checked by static_assert),
// compiled like the Quill and spdlog shims.
//
// C ABI used by bench/src/peers/messages.rs. `p` is a producer of a running logger, used by the
// calling thread only.

#include "rtlog.h"

extern "C" int bench_rtlog_msg_cpp(rtlog_producer *p, uint32_t joint, double pos, double vel,
                                   uint64_t cycle) {
    return static_cast<int>(
        RTLOG_INFO(p, "joint %u pos %.3f vel %.3f cycle %lu", joint, pos, vel, cycle));
}
