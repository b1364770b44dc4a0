/* rtlog record peer for rtlog-bench, C: one rtlog_publish call as a C control loop writes it
 * (normal stream, record type 1, the payload's bytes), so the control-loop scenario measures
 * rtlog through its C API, each peer behind one call into a C or C++ shim.
 *
 * C ABI used by bench/src/cycle/peers.rs. `p` is a producer of a running logger, used by the
 * calling thread only. */

#include "rtlog.h"

int bench_rtlog_record(rtlog_producer *p, const void *payload, uint32_t len) {
    return (int)rtlog_publish(p, RTLOG_STREAM_NORMAL, 1, payload, len);
}
