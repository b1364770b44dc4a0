/*
 * old_header.c - a program built for rtlog 0.2.0 keeps working with the current library.
 *
 * Compiled against the frozen copy of the 0.2.0 header in ffi-tests/abi/v0.2.0/ (never against
 * include/), linked against the library just built: it does what a 0.2.0 user does — a logger
 * writing to a directory, two producers, both streams, a flush, the logger's and the
 * producers' statistics, then a reader with and without filters, its records field by field
 * and its counts — with the structs as the 0.2.0 header lays them out. When include/ moves on
 * (fields appended, functions added), this program must still pass: that is the promise of the
 * SONAME (docs/API.md, "Versioning and ABI stability").
 *
 * Usage: abi_old_header <scratch-dir>   (the log goes to <scratch-dir>/log, which must not exist)
 */
#define _POSIX_C_SOURCE 200809L
#include "rtlog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if RTLOG_VERSION_MAJOR != 0 || RTLOG_VERSION_MINOR != 2 || RTLOG_VERSION_PATCH != 0
#error "old_header.c must be compiled against the frozen 0.2.0 header (ffi-tests/abi/v0.2.0)"
#endif

#define CHECK(cond, ...)                                                                        \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);             \
            fprintf(stderr, __VA_ARGS__);                                                       \
            fprintf(stderr, " (rtlog_last_error: \"%s\")\n", rtlog_last_error());               \
            exit(1);                                                                            \
        }                                                                                       \
    } while (0)
#define CHECK_OK(expr)                                                                          \
    do {                                                                                        \
        rtlog_status s_ = (expr);                                                               \
        CHECK(s_ == RTLOG_OK, "%s gave %s", #expr, rtlog_status_str(s_));                       \
    } while (0)

enum { PER_STREAM = 100, TYPE = 42 };

struct sample {
    uint32_t producer;
    uint32_t stream;
    uint64_t seq;
};

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: abi_old_header <scratch-dir>");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/log", argv[1]);

    /* The library is 0.x (same SONAME), and at least this header's version. */
    unsigned major = 0, minor = 0, patch = 0;
    CHECK(sscanf(rtlog_version(), "%u.%u.%u", &major, &minor, &patch) == 3, "rtlog_version() = %s",
          rtlog_version());
    CHECK(major == RTLOG_VERSION_MAJOR && minor >= RTLOG_VERSION_MINOR, "library %s, header %d.%d.%d",
          rtlog_version(), RTLOG_VERSION_MAJOR, RTLOG_VERSION_MINOR, RTLOG_VERSION_PATCH);

    rtlog_config cfg;
    rtlog_config_init(&cfg, sizeof cfg);
    cfg.dir = dir;
    cfg.durability = RTLOG_DURABILITY_FSYNC;
    cfg.dispatch_period_us = 500;
    rtlog_logger *lg = NULL;
    CHECK_OK(rtlog_init(&cfg, &lg));
    rtlog_producer *p[2];
    CHECK_OK(rtlog_producer_create(lg, "old-0", &p[0]));
    CHECK_OK(rtlog_producer_create(lg, "old-1", &p[1]));
    CHECK_OK(rtlog_start(lg));
    for (uint64_t seq = 0; seq < PER_STREAM; seq++)
        for (uint32_t i = 0; i < 2; i++)
            for (uint32_t s = 0; s < 2; s++) {
                struct sample v = {i, s, seq};
                CHECK_OK(rtlog_publish(p[i], (rtlog_stream)s, TYPE, &v, sizeof v));
            }
    CHECK_OK(rtlog_flush(lg, 10000));

    rtlog_stats st;
    rtlog_stats_init(&st, sizeof st);
    CHECK_OK(rtlog_get_stats(lg, &st));
    CHECK(st.struct_size == sizeof st, "struct_size changed to %u", (unsigned)st.struct_size);
    CHECK(st.published[0] == 2 * PER_STREAM && st.published[1] == 2 * PER_STREAM && st.dropped[0] == 0 &&
              st.dropped[1] == 0,
          "published %" PRIu64 "/%" PRIu64, st.published[0], st.published[1]);
    CHECK(st.persisted >= 4 * PER_STREAM && st.epoch == 1 && st.state == RTLOG_STATE_NORMAL && st.lost == 0,
          "persisted %" PRIu64 " epoch %u state %d", st.persisted, (unsigned)st.epoch, (int)st.state);
    for (uint32_t i = 0; i < 2; i++) {
        rtlog_producer_stats ps;
        rtlog_producer_stats_init(&ps, sizeof ps);
        CHECK_OK(rtlog_producer_get_stats(p[i], &ps));
        CHECK(ps.id == i && ps.published[0] == PER_STREAM && ps.published[1] == PER_STREAM &&
                  ps.durable[0] == PER_STREAM && ps.durable[1] == PER_STREAM,
              "producer %u: id %u published %" PRIu64 " durable %" PRIu64, (unsigned)i, (unsigned)ps.id,
              ps.published[0], ps.durable[0]);
    }
    CHECK_OK(rtlog_shutdown(lg));
    rtlog_destroy(lg);

    /* Every record back, in LSN order, each producer's and stream's seqs in order. */
    rtlog_reader *r = NULL;
    CHECK_OK(rtlog_reader_open(dir, &r));
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    uint64_t next[2][2] = {{0, 0}, {0, 0}}, last_lsn = 0, n = 0;
    rtlog_status s;
    while ((s = rtlog_reader_next(r, &rec)) == RTLOG_OK) {
        struct sample v;
        CHECK(rec.struct_size == sizeof rec && rec.kind == RTLOG_FRAME_DATA && rec.type == TYPE &&
                  rec.len == sizeof v && rec.payload != NULL && rec.epoch == 1 && rec.lsn > last_lsn,
              "record %" PRIu64 ": kind %u type %u len %u lsn %" PRIu64, n, (unsigned)rec.kind,
              (unsigned)rec.type, (unsigned)rec.len, rec.lsn);
        memcpy(&v, rec.payload, sizeof v);
        CHECK(v.producer == rec.producer && v.stream == rec.stream && v.producer < 2 && v.stream < 2 &&
                  v.seq == rec.seq && rec.seq == next[v.producer][v.stream],
              "record %" PRIu64 ": producer %u stream %u seq %" PRIu64 ", payload says %u %u %" PRIu64, n,
              (unsigned)rec.producer, (unsigned)rec.stream, rec.seq, (unsigned)v.producer,
              (unsigned)v.stream, v.seq);
        next[v.producer][v.stream]++;
        last_lsn = rec.lsn;
        n++;
    }
    CHECK(s == RTLOG_END, "rtlog_reader_next gave %s", rtlog_status_str(s));
    CHECK(n == 4 * PER_STREAM, "%" PRIu64 " records read back", n);
    rtlog_reader_counts c;
    rtlog_reader_counts_init(&c, sizeof c);
    CHECK_OK(rtlog_reader_stats(r, &c));
    CHECK(c.records == n && c.matched == n && c.epochs == 1 && c.crashed_epochs == 0 && c.corrupt_regions == 0 &&
              c.torn_bytes == 0 && c.bad_segments == 0,
          "counts: records %" PRIu64 " matched %" PRIu64 " epochs %" PRIu64 " crashed %" PRIu64, c.records,
          c.matched, c.epochs, c.crashed_epochs);
    rtlog_reader_close(r);

    /* A filtered reader: one producer's critical stream. */
    rtlog_reader_options o;
    rtlog_reader_options_init(&o, sizeof o);
    o.producer = "old-1";
    o.stream = RTLOG_STREAM_CRITICAL;
    CHECK_OK(rtlog_reader_open_opts(dir, &o, &r));
    n = 0;
    while ((s = rtlog_reader_next(r, &rec)) == RTLOG_OK) {
        CHECK(rec.producer == 1 && rec.stream == RTLOG_STREAM_CRITICAL && rec.seq == n, "filtered record %" PRIu64,
              n);
        n++;
    }
    CHECK(s == RTLOG_END && n == PER_STREAM, "filtered: %" PRIu64 " records, then %s", n, rtlog_status_str(s));
    rtlog_reader_counts_init(&c, sizeof c);
    CHECK_OK(rtlog_reader_stats(r, &c));
    CHECK(c.records == 4 * PER_STREAM && c.matched == PER_STREAM, "filtered counts: records %" PRIu64
          " matched %" PRIu64, c.records, c.matched);
    rtlog_reader_close(r);

    printf("abi_old_header: built against rtlog.h %d.%d.%d, ran against librtlog %s: ok\n",
           RTLOG_VERSION_MAJOR, RTLOG_VERSION_MINOR, RTLOG_VERSION_PATCH, rtlog_version());
    return 0;
}
