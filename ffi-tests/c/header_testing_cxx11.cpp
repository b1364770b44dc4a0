// header_testing_cxx11.cpp - the generated rtlog_testing.h is valid C++11
// under -std=c++11 -Wall -Wextra -Werror -pedantic: it includes rtlog.h
// itself, can be included twice, and declares its functions extern "C"
// (this file links against librtlog).
#include "rtlog_testing.h"
#include "rtlog_testing.h" // include guard

#include <cstdio>

int main()
{
    rtlog_logger *lg = nullptr;
    rtlog_record rec = rtlog_record();
    rtlog_record_init(&rec, sizeof rec);
    uint8_t buf[16];
    bool bad = rtlog_dummy_fail_write(lg, 1, 5) != RTLOG_ERR_INVALID_ARGUMENT ||
               rtlog_dummy_fail_sync(lg, 1, 5) != RTLOG_ERR_INVALID_ARGUMENT ||
               rtlog_dummy_set_latency(lg, 0) != RTLOG_ERR_INVALID_ARGUMENT ||
               rtlog_dummy_stall(lg, 0) != RTLOG_ERR_INVALID_ARGUMENT ||
               rtlog_dummy_disk_full_at(lg, UINT64_MAX) != RTLOG_ERR_INVALID_ARGUMENT ||
               rtlog_dummy_frame_count(lg) != 0 ||
               rtlog_dummy_frame(lg, 0, &rec, buf, sizeof buf) != RTLOG_ERR_INVALID_ARGUMENT;
    if (bad) {
        std::fprintf(stderr, "an rtlog_dummy_* function accepted a NULL logger\n");
        return 1;
    }
    std::printf("rtlog_testing.h: 7 functions, backend %d\n", static_cast<int>(RTLOG_BACKEND_DUMMY));
    return 0;
}
