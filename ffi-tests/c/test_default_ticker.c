/*
 * test_default_ticker.c - a program that publishes and never ticks loses nothing with the
 * default configuration (issue 19: a newcomer's loop of 5000 records kept 1024 of them).
 *
 * rtlog_config_init turns the internal ticker on (dispatch_period_us = 1000), so records move
 * from the producer's rings to the writer whether or not the program calls rtlog_tick. The
 * loop below publishes 5000 critical records, one every 200 us, and never ticks: the 1024-slot
 * critical ring would fill after ~0.2 s without a ticker. With the default, every record is
 * accepted and persisted; the same loop with dispatch_period_us = 0 refuses most of them,
 * which shows that the ticker is what keeps them.
 *
 * Pacing rather than a tight loop keeps this a test of the default, not of timing: the ticker
 * would have to be starved for 200 ms on end for a record to be refused.
 */
#include "test_util.h"

enum { RECORDS = 5000, PACE_NS = 200000 };

/* Publishes RECORDS critical records, paced, never ticking; gives the final stats. */
static rtlog_stats publish_without_ticking(const char *name, uint32_t dispatch_period_us)
{
    rtlog_config cfg;
    tu_config(&cfg, tu_fresh_dir(name));
    cfg.dispatch_period_us = dispatch_period_us;
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "loop");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    uint64_t next = tu_now_ns();
    for (uint32_t i = 0; i < RECORDS; i++) {
        rtlog_status s = rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, &i, sizeof i);
        CHECK(s == RTLOG_OK || s == RTLOG_ERR_FULL, "publish %u: %s", i, tu_status_name(s));
        next += PACE_NS;
        while (tu_now_ns() < next) {
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
        }
    }
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_stats st = tu_stats(lg);
    rtlog_destroy(lg);
    return st;
}

static void the_default_config_ticks(void)
{
    rtlog_config cfg;
    rtlog_config_init(&cfg);
    CHECK(cfg.dispatch_period_us == 1000, "default dispatch_period_us = %u, expected 1000",
          cfg.dispatch_period_us);
    rtlog_stats st = publish_without_ticking("default", cfg.dispatch_period_us);
    CHECK(st.dropped[RTLOG_STREAM_CRITICAL] == 0, "%llu records refused with the default ticker",
          (unsigned long long)st.dropped[RTLOG_STREAM_CRITICAL]);
    CHECK(st.persisted == RECORDS, "persisted %llu of %d", (unsigned long long)st.persisted,
          RECORDS);
}

static void without_the_ticker_the_loop_loses_records(void)
{
    rtlog_stats st = publish_without_ticking("no-ticker", 0);
    CHECK(st.dropped[RTLOG_STREAM_CRITICAL] > 0, "no record refused without a ticker: the "
          "first case proves nothing");
    CHECK(st.published[RTLOG_STREAM_CRITICAL] + st.dropped[RTLOG_STREAM_CRITICAL] == RECORDS,
          "published %llu + dropped %llu != %d",
          (unsigned long long)st.published[RTLOG_STREAM_CRITICAL],
          (unsigned long long)st.dropped[RTLOG_STREAM_CRITICAL], RECORDS);
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);
    TU_RUN(the_default_config_ticks);
    TU_RUN(without_the_ticker_the_loop_loses_records);
    printf("test_default_ticker: %d cases\n", tu_cases_run);
    tu_cleanup();
    printf("test_default_ticker: ok\n");
    return 0;
}
