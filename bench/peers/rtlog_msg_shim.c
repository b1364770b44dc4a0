/* rtlog message peer for rtlog-bench, C: one RTLOG_INFO call site with the benchmark's four
 * arguments (u32, double, double, u64), exactly as a C control loop writes it. The macro builds
 * the static call site at compile time and passes the arguments in registers to
 * rtlog_publish_message_words; nothing is formatted here.
 *
 * C ABI used by bench/src/peers/messages.rs. `p` is a producer of a running logger, used by
 * the calling thread only. */

#include "rtlog.h"

int bench_rtlog_msg_c(rtlog_producer *p, uint32_t joint, double pos, double vel, uint64_t cycle) {
    return (int)RTLOG_INFO(p, "joint %u pos %.3f vel %.3f cycle %lu", joint, pos, vel, cycle);
}
