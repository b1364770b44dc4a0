// header_cxx11.cpp - the generated rtlog.h is valid C++11 under
// -std=c++11 -Wall -Wextra -Werror -pedantic: it can be included twice,
// declares the functions extern "C" (this file links against librtlog),
// every type is usable and the enum values are the contract's.
#include "rtlog.h"
#include "rtlog.h" // include guard

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <type_traits>

static_assert(RTLOG_OK == 0 && RTLOG_END == 1 && RTLOG_ERR_INVALID_ARGUMENT == 2 &&
                  RTLOG_ERR_INVALID_STATE == 3 && RTLOG_ERR_FULL == 4 && RTLOG_ERR_TOO_LARGE == 5 &&
                  RTLOG_ERR_CONFIG == 6 && RTLOG_ERR_IO == 7 && RTLOG_ERR_CORRUPT == 8 &&
                  RTLOG_ERR_TIMEOUT == 9 && RTLOG_ERR_INTERNAL == 10,
              "rtlog_status values");
static_assert(RTLOG_STREAM_CRITICAL == 0 && RTLOG_STREAM_NORMAL == 1, "rtlog_stream values");
static_assert(RTLOG_DURABILITY_NONE == 0 && RTLOG_DURABILITY_FLUSH == 1 && RTLOG_DURABILITY_FSYNC == 2 &&
                  RTLOG_DURABILITY_FSYNC_BATCH == 3,
              "rtlog_durability values");
static_assert(RTLOG_STATE_INIT == 0 && RTLOG_STATE_NORMAL == 1 && RTLOG_STATE_DEGRADED == 2 &&
                  RTLOG_STATE_CRITICAL == 3 && RTLOG_STATE_SAFE == 4 && RTLOG_STATE_STOPPED == 5,
              "rtlog_state values");
static_assert(std::is_standard_layout<rtlog_config>::value && offsetof(rtlog_config, struct_size) == 0,
              "rtlog_config starts with struct_size");
static_assert(std::is_trivial<rtlog_record>::value && std::is_trivial<rtlog_stats>::value,
              "plain C structs");

int main()
{
    rtlog_logger *lg = nullptr;
    rtlog_producer *prod = nullptr;
    rtlog_reader *rd = nullptr;
    rtlog_stream stream = RTLOG_STREAM_CRITICAL;
    rtlog_durability durability = RTLOG_DURABILITY_FSYNC_BATCH;
    rtlog_config cfg;
    rtlog_record rec = rtlog_record();
    rtlog_record_init(&rec, sizeof rec);
    rtlog_stats stats = rtlog_stats();
    rtlog_stats_init(&stats, sizeof stats);

    rtlog_config_init(&cfg, sizeof cfg);
    if (cfg.struct_size != sizeof cfg || cfg.durability != durability) {
        std::fprintf(stderr, "rtlog_config_init: struct_size %u (sizeof %u), durability %d\n",
                     static_cast<unsigned>(cfg.struct_size), static_cast<unsigned>(sizeof cfg),
                     static_cast<int>(cfg.durability));
        return 1;
    }
    rtlog_state state = rtlog_get_state(lg);
    rtlog_status status = rd ? rtlog_reader_next(rd, &rec) : RTLOG_END; // rd is NULL: not called
    std::printf("rtlog %s; NULL logger state %d; status %s; producer_id(NULL) %u; "
                "stream %d; sizes config %u record %u stats %u\n",
                rtlog_version(), static_cast<int>(state), rtlog_status_str(status),
                static_cast<unsigned>(rtlog_producer_id(prod)), static_cast<int>(stream),
                static_cast<unsigned>(sizeof cfg), static_cast<unsigned>(sizeof rec),
                static_cast<unsigned>(sizeof stats));

    char want[64];
    std::snprintf(want, sizeof want, "%d.%d.%d", static_cast<int>(RTLOG_VERSION_MAJOR),
                  static_cast<int>(RTLOG_VERSION_MINOR), static_cast<int>(RTLOG_VERSION_PATCH));
    const char *version = rtlog_version();
    if (version == nullptr || std::strcmp(version, want) != 0) {
        std::fprintf(stderr, "rtlog_version() = \"%s\", RTLOG_VERSION_* macros say \"%s\"\n",
                     version ? version : "(NULL)", want);
        return 1;
    }
    return 0;
}
