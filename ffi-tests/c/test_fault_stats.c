/*
 * test_fault_stats.c - what rtlog_stats says after a failed write or sync
 * (dummy backend, manual mode: every step is the test's own).
 *
 * Records lost by a failed fdatasync had been written: stats.persisted
 * counts them and so does stats.lost. stats.lag (accepted, neither persisted
 * nor lost) must count each record once all the same: the fault runs of
 * cmake/reliability-c.cmake found it 0 while records were still waiting,
 * because those records were subtracted twice.
 *
 * Usage: test_fault_stats [base-scratch-dir]
 */
#include "test_util.h"
#include "rtlog_testing.h" /* rtlog_dummy_* */

static rtlog_logger *manual_dummy(rtlog_durability durability, rtlog_producer **p)
{
    rtlog_config cfg;
    rtlog_config_init(&cfg, sizeof cfg);
    cfg.backend = RTLOG_BACKEND_DUMMY;
    cfg.manual = 1;
    cfg.durability = durability;
    rtlog_logger *lg = tu_logger_new(&cfg);
    *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    return lg;
}

static void publish(rtlog_producer *p, int n)
{
    for (int i = 0; i < n; i++)
        CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, &i, sizeof i), RTLOG_OK);
}

static void dispatch_all(rtlog_logger *lg)
{
    uint32_t n;
    do
        CHECK_STATUS(rtlog_tick(lg, &n), RTLOG_OK);
    while (n > 0);
}

#define CHECK_STATS(st, persisted_, lost_, lag_)                                                          \
    CHECK((st).persisted == (persisted_) && (st).lost == (lost_) && (st).lag == (lag_),                   \
          "persisted %llu lost %llu lag %llu, expected %llu %llu %llu", (unsigned long long)(st).persisted, \
          (unsigned long long)(st).lost, (unsigned long long)(st).lag, (unsigned long long)(persisted_),   \
          (unsigned long long)(lost_), (unsigned long long)(lag_))

/* Written, then the sync fails: lost, and persisted too; lag counts only
 * the records still waiting. */
static void lag_after_a_failed_sync(void)
{
    rtlog_producer *p;
    rtlog_logger *lg = manual_dummy(RTLOG_DURABILITY_FSYNC, &p);
    /* the next fdatasync: start made the first segment's (stats.syncs counts them) */
    CHECK_STATUS(rtlog_dummy_fail_sync(lg, tu_stats(lg).syncs + 1, 5 /* EIO */), RTLOG_OK);
    publish(p, 10);
    dispatch_all(lg);
    CHECK_STATUS(rtlog_step_writer(lg, NULL), RTLOG_OK); /* write 10, sync fails */
    rtlog_stats st = tu_stats(lg);
    CHECK(st.sync_errors == 1, "sync_errors %llu", (unsigned long long)st.sync_errors);
    CHECK_STATS(st, 10, 10, 0);
    publish(p, 5);
    dispatch_all(lg);
    CHECK_STATS(tu_stats(lg), 10, 10, 5); /* 5 waiting for the writer */
    CHECK_STATUS(rtlog_step_writer(lg, NULL), RTLOG_OK);
    CHECK_STATS(tu_stats(lg), 15, 10, 0);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_ERR_IO);
    CHECK_STATS(tu_stats(lg), 15, 10, 0);
    rtlog_destroy(lg);
}

/* The write itself fails: lost, not persisted. */
static void lag_after_a_failed_write(void)
{
    rtlog_producer *p;
    rtlog_logger *lg = manual_dummy(RTLOG_DURABILITY_FLUSH, &p);
    /* write 1 is the first segment's header and epoch frame; 2 is the first batch */
    CHECK_STATUS(rtlog_dummy_fail_write(lg, 2, 28 /* ENOSPC */), RTLOG_OK);
    publish(p, 10);
    dispatch_all(lg);
    CHECK_STATUS(rtlog_step_writer(lg, NULL), RTLOG_OK);
    rtlog_stats st = tu_stats(lg);
    CHECK(st.write_errors == 1 && st.last_errno == 28, "write_errors %llu errno %d",
          (unsigned long long)st.write_errors, (int)st.last_errno);
    CHECK_STATS(st, 0, 10, 0);
    publish(p, 4);
    dispatch_all(lg);
    CHECK_STATS(tu_stats(lg), 0, 10, 4);
    for (int i = 0; i < 10 && tu_stats(lg).persisted < 4; i++)
        CHECK_STATUS(rtlog_step_writer(lg, NULL), RTLOG_OK); /* a new segment, then the 4 */
    CHECK_STATS(tu_stats(lg), 4, 10, 0);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_ERR_IO);
    rtlog_destroy(lg);
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);
    TU_RUN(lag_after_a_failed_sync);
    TU_RUN(lag_after_a_failed_write);
    printf("test_fault_stats: %d passed, 0 failed\n", tu_cases_run);
    tu_cleanup();
    return 0;
}
