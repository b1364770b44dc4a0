/*
 * test_reader.c - reading a log back from C with filters, and the durability API.
 *
 * Two producers publish known records on both streams under FSYNC_BATCH; rtlog_flush makes
 * them durable (rtlog_producer_durable_count reaches the published count); after a restart
 * (a second epoch) the reader is opened with each filter of rtlog_reader_options in turn and
 * must return exactly the matching records, and rtlog_reader_stats must count what it saw.
 *
 * Usage: test_reader [base-scratch-dir]
 */
#include "test_util.h"

#include <inttypes.h>

#define PER_STREAM 50

struct payload {
    uint32_t producer;
    uint32_t stream;
    uint64_t seq;
};

static void run_epoch(const char *dir, uint32_t epoch)
{
    rtlog_config cfg;
    rtlog_config_init(&cfg, sizeof cfg);
    cfg.dir = dir;
    cfg.durability = RTLOG_DURABILITY_FSYNC_BATCH;
    rtlog_logger *lg = NULL;
    CHECK_STATUS(rtlog_init(&cfg, &lg), RTLOG_OK);
    rtlog_producer *p[2];
    CHECK_STATUS(rtlog_producer_create(lg, "left", &p[0]), RTLOG_OK);
    CHECK_STATUS(rtlog_producer_create(lg, "right", &p[1]), RTLOG_OK);
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    for (uint64_t seq = 0; seq < PER_STREAM; seq++) {
        for (uint32_t i = 0; i < 2; i++) {
            for (uint32_t s = 0; s < 2; s++) {
                struct payload pl = {i, s, seq};
                uint16_t type = (uint16_t)(10 * epoch + (seq % 3));
                CHECK_STATUS(rtlog_publish(p[i], (rtlog_stream)s, type, &pl, sizeof pl), RTLOG_OK);
            }
        }
    }
    CHECK(rtlog_producer_durable_count(p[0], RTLOG_STREAM_CRITICAL) <= PER_STREAM, "durable count");
    CHECK_STATUS(rtlog_flush(lg, 10000), RTLOG_OK);
    for (uint32_t i = 0; i < 2; i++)
        for (uint32_t s = 0; s < 2; s++)
            CHECK(rtlog_producer_durable_count(p[i], (rtlog_stream)s) == PER_STREAM,
                  "producer %u stream %u durable %" PRIu64, i, s,
                  rtlog_producer_durable_count(p[i], (rtlog_stream)s));
    CHECK(rtlog_producer_durable_count(p[0], (rtlog_stream)5) == 0, "unknown stream gives 0");
    CHECK(rtlog_producer_durable_count(NULL, RTLOG_STREAM_NORMAL) == 0, "NULL gives 0");
    rtlog_stats st;
    rtlog_stats_init(&st, sizeof st);
    CHECK_STATUS(rtlog_get_stats(lg, &st), RTLOG_OK);
    CHECK(st.epoch == epoch, "epoch %u", st.epoch);
    CHECK(st.syncs > 0 && st.sync_errors == 0 && st.last_errno == 0, "sync stats");
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);
}

/* Counts what a reader with `opts` returns, checking each record against the filter. */
static uint64_t count(const char *dir, const rtlog_reader_options *opts, rtlog_reader_counts *counts)
{
    rtlog_reader *r = NULL;
    CHECK_STATUS(rtlog_reader_open_opts(dir, opts, &r), RTLOG_OK);
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    uint64_t n = 0, last_lsn = 0;
    rtlog_status s;
    while ((s = rtlog_reader_next(r, &rec)) == RTLOG_OK) {
        CHECK(rec.lsn > last_lsn, "lsn order");
        last_lsn = rec.lsn;
        CHECK(rec.len == sizeof(struct payload), "len %u", rec.len);
        struct payload pl;
        memcpy(&pl, rec.payload, sizeof pl);
        CHECK(pl.stream == rec.stream && pl.seq == rec.seq, "payload matches the record");
        if (opts && opts->stream >= 0)
            CHECK(rec.stream == opts->stream, "stream filter");
        if (opts && opts->type >= 0)
            CHECK(rec.type == opts->type, "type filter");
        if (opts)
            CHECK(rec.lsn >= opts->lsn_from && rec.lsn <= opts->lsn_to, "lsn filter");
        n++;
    }
    CHECK_STATUS(s, RTLOG_END);
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_END);
    if (counts)
        CHECK_STATUS(rtlog_reader_stats(r, counts), RTLOG_OK);
    rtlog_reader_close(r);
    return n;
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);
    char *dir = tu_fresh_dir("reader");
    run_epoch(dir, 1);
    run_epoch(dir, 2);

    const uint64_t all = 2 * 2 * 2 * PER_STREAM;
    rtlog_reader_counts c;
    rtlog_reader_counts_init(&c, sizeof c);
    CHECK(count(dir, NULL, &c) == all, "no filter");
    CHECK(c.records == all && c.matched == all && c.epochs == 2 && c.crashed_epochs == 0, "counts");
    CHECK(c.corrupt_regions == 0 && c.torn_bytes == 0 && c.bad_segments == 0, "clean log");

    rtlog_reader_options o;
    rtlog_reader_options_init(&o, sizeof o);
    CHECK(count(dir, &o, NULL) == all, "default options match everything");

    o.stream = RTLOG_STREAM_CRITICAL;
    CHECK(count(dir, &o, NULL) == all / 2, "stream filter");
    rtlog_reader_options_init(&o, sizeof o);
    o.producer = "right";
    CHECK(count(dir, &o, &c) == all / 2, "producer filter");
    CHECK(c.records == all && c.matched == all / 2, "records counts all, matched the filtered");
    o.producer = "nobody";
    CHECK(count(dir, &o, NULL) == 0, "unknown producer");
    rtlog_reader_options_init(&o, sizeof o);
    o.type = 21; /* epoch 2, seq % 3 == 1 */
    uint64_t expect_type = 0;
    for (uint64_t seq = 0; seq < PER_STREAM; seq++)
        expect_type += (seq % 3 == 1) ? 4 : 0;
    CHECK(count(dir, &o, NULL) == expect_type, "type filter");
    rtlog_reader_options_init(&o, sizeof o);
    o.lsn_from = 10;
    o.lsn_to = 19;
    uint64_t in_range = count(dir, &o, NULL);
    CHECK(in_range > 0 && in_range <= 10, "lsn filter gave %" PRIu64, in_range);
    rtlog_reader_options_init(&o, sizeof o);
    o.to_wall_ns = 1; /* 1970: nothing */
    CHECK(count(dir, &o, NULL) == 0, "wall-clock upper bound");
    rtlog_reader_options_init(&o, sizeof o);
    o.from_wall_ns = 1;
    CHECK(count(dir, &o, NULL) == all, "wall-clock lower bound");

    /* Bad options are refused with a message. */
    rtlog_reader *r = (rtlog_reader *)&o;
    rtlog_reader_options_init(&o, sizeof o);
    o.stream = 2;
    CHECK_STATUS(rtlog_reader_open_opts(dir, &o, &r), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK(r == NULL, "out is NULL after a failure");
    CHECK(strstr(rtlog_last_error(), "stream") != NULL, "names the field: %s", rtlog_last_error());
    rtlog_reader_options_init(&o, sizeof o);
    o.type = 70000;
    CHECK_STATUS(rtlog_reader_open_opts(dir, &o, &r), RTLOG_ERR_INVALID_ARGUMENT);
    rtlog_reader_options_init(&o, sizeof o);
    o.struct_size = 3;
    CHECK_STATUS(rtlog_reader_open_opts(dir, &o, &r), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(rtlog_last_error(), "struct_size") != NULL, "%s", rtlog_last_error());
    CHECK_STATUS(rtlog_reader_open_opts(NULL, NULL, &r), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_open_opts(dir, NULL, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_stats(NULL, &c), RTLOG_ERR_INVALID_ARGUMENT);
    rtlog_reader_options_init(NULL, sizeof(rtlog_reader_options));

    tu_cleanup();
    printf("test_reader: ok\n");
    return 0;
}
