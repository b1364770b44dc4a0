/*
 * header_c99.c - the generated rtlog.h is valid C99 under
 * -std=c99 -Wall -Wextra -Werror -pedantic: it can be included twice, every
 * type is usable, the enum values are the contract's, and a few calls link.
 */
#include "rtlog.h"
#include "rtlog.h" /* include guard */

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* C99 has no _Static_assert: a negative array size fails the build. */
#define HEADER_ASSERT(name, cond) typedef char header_assert_##name[(cond) ? 1 : -1]

HEADER_ASSERT(status_values, RTLOG_OK == 0 && RTLOG_END == 1 && RTLOG_ERR_INVALID_ARGUMENT == 2 &&
                                 RTLOG_ERR_INVALID_STATE == 3 && RTLOG_ERR_FULL == 4 && RTLOG_ERR_TOO_LARGE == 5 &&
                                 RTLOG_ERR_CONFIG == 6 && RTLOG_ERR_IO == 7 && RTLOG_ERR_CORRUPT == 8 &&
                                 RTLOG_ERR_TIMEOUT == 9 && RTLOG_ERR_INTERNAL == 10);
HEADER_ASSERT(stream_values, RTLOG_STREAM_CRITICAL == 0 && RTLOG_STREAM_NORMAL == 1);
HEADER_ASSERT(durability_values, RTLOG_DURABILITY_NONE == 0 && RTLOG_DURABILITY_FLUSH == 1 &&
                                     RTLOG_DURABILITY_FSYNC == 2 && RTLOG_DURABILITY_FSYNC_BATCH == 3);
HEADER_ASSERT(state_values, RTLOG_STATE_INIT == 0 && RTLOG_STATE_NORMAL == 1 && RTLOG_STATE_DEGRADED == 2 &&
                                RTLOG_STATE_CRITICAL == 3 && RTLOG_STATE_SAFE == 4 && RTLOG_STATE_STOPPED == 5);
HEADER_ASSERT(struct_size_first, offsetof(rtlog_config, struct_size) == 0);

int main(void)
{
    rtlog_logger *lg = NULL;
    rtlog_producer *prod = NULL;
    rtlog_reader *rd = NULL;
    rtlog_status status = RTLOG_OK;
    rtlog_stream stream = RTLOG_STREAM_NORMAL;
    rtlog_durability durability = RTLOG_DURABILITY_FSYNC_BATCH;
    rtlog_state state = RTLOG_STATE_INIT;
    rtlog_config cfg;
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    rtlog_stats stats;
    rtlog_stats_init(&stats, sizeof stats);
    char want[64];
    const char *version;

    rtlog_config_init(&cfg, sizeof cfg);
    if (cfg.struct_size != sizeof cfg || cfg.durability != durability) {
        fprintf(stderr, "rtlog_config_init: struct_size %u (sizeof %u), durability %d\n",
                (unsigned)cfg.struct_size, (unsigned)sizeof cfg, (int)cfg.durability);
        return 1;
    }
    state = rtlog_get_state(lg);
    status = rd ? rtlog_reader_next(rd, &rec) : RTLOG_END; /* rd is NULL: not called */
    printf("rtlog %s; NULL logger state %d; status %s; producer_id(NULL) %u; "
           "stream %d; sizes config %u record %u stats %u\n",
           rtlog_version(), (int)state, rtlog_status_str(status), (unsigned)rtlog_producer_id(prod),
           (int)stream, (unsigned)sizeof cfg, (unsigned)sizeof rec, (unsigned)sizeof stats);

    version = rtlog_version();
    snprintf(want, sizeof want, "%d.%d.%d", (int)RTLOG_VERSION_MAJOR, (int)RTLOG_VERSION_MINOR, (int)RTLOG_VERSION_PATCH);
    if (version == NULL || strcmp(version, want) != 0) {
        fprintf(stderr, "rtlog_version() = \"%s\", RTLOG_VERSION_* macros say \"%s\"\n",
                version ? version : "(NULL)", want);
        return 1;
    }
    return 0;
}
