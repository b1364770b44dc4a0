/*
 * header_testing_c99.c - the generated rtlog_testing.h is valid C99 under
 * -std=c99 -Wall -Wextra -Werror -pedantic: it includes rtlog.h itself (so it
 * comes first here), it can be included twice, and its functions link and
 * refuse a NULL logger.
 */
#include "rtlog_testing.h"
#include "rtlog_testing.h" /* include guard */
#include "rtlog.h"         /* already included: its guard holds */

#include <stdio.h>

int main(void)
{
    rtlog_logger *lg = NULL;
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    unsigned char buf[16];
    int bad = 0;

    bad |= rtlog_dummy_fail_write(lg, 1, 5) != RTLOG_ERR_INVALID_ARGUMENT;
    bad |= rtlog_dummy_fail_sync(lg, 1, 5) != RTLOG_ERR_INVALID_ARGUMENT;
    bad |= rtlog_dummy_set_latency(lg, 0) != RTLOG_ERR_INVALID_ARGUMENT;
    bad |= rtlog_dummy_stall(lg, 0) != RTLOG_ERR_INVALID_ARGUMENT;
    bad |= rtlog_dummy_disk_full_at(lg, UINT64_MAX) != RTLOG_ERR_INVALID_ARGUMENT;
    bad |= rtlog_dummy_frame_count(lg) != 0;
    bad |= rtlog_dummy_frame(lg, 0, &rec, buf, sizeof buf) != RTLOG_ERR_INVALID_ARGUMENT;
    if (bad) {
        fprintf(stderr, "an rtlog_dummy_* function accepted a NULL logger\n");
        return 1;
    }
    printf("rtlog_testing.h: 7 functions, backend %d\n", (int)RTLOG_BACKEND_DUMMY);
    return 0;
}
