/* discard_status.c - the status of rtlog_publish must not be ignored: rtlog.h marks the function
 * RTLOG_MUST_USE, which is __attribute__((warn_unused_result)) in C with GCC and Clang, so that
 * a record dropped on a full ring (RTLOG_ERR_FULL) cannot go unnoticed by accident.
 *
 * cmake/cpp.cmake compiles this file with -Werror=unused-result once per case: CASE_USED must
 * compile (so that the other case fails for its own reason), CASE_DISCARDED must fail with the
 * compiler's "warn_unused_result" message. Nothing is linked or run. */
#include "rtlog.h"

rtlog_status publish_once(rtlog_producer *p);

rtlog_status publish_once(rtlog_producer *p)
{
    static const unsigned char byte = 1;
#if defined(CASE_USED)
    return rtlog_publish(p, RTLOG_STREAM_NORMAL, 1, &byte, 1);
#elif defined(CASE_DISCARDED) /* pattern: warn_unused_result */
    rtlog_publish(p, RTLOG_STREAM_NORMAL, 1, &byte, 1);
    return RTLOG_OK;
#else
#error "no CASE_ defined"
#endif
}
