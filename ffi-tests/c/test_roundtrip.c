/*
 * test_roundtrip.c - 4 threads x 1,000,000 records each (critical and normal
 * mixed, payload sizes 0..max), clean shutdown, then rtlog_reader_* returns
 * every record exactly once, per producer and stream in sequence order,
 * payload bytes identical.
 *
 * Setup: max_record_size 256 (payload length cycles 0..256 inclusive),
 * durability RTLOG_DURABILITY_FLUSH (write(2) per batch, no fsync: fast, and
 * still every accepted record must reach the file), dispatch_period_us 0: the
 * main thread calls rtlog_tick in a loop while the producers publish. A
 * producer retries on RTLOG_ERR_FULL with sched_yield() and counts the
 * retries; each such refusal is counted in stats.dropped by the contract, so
 * the test checks dropped == refusals (0 when the rings never fill).
 *
 * Payload, length and type are pure functions of (producer index, stream,
 * seq), so the reader side verifies bytes without storing anything.
 * Producer record i goes to CRITICAL when i % 4 == 3, otherwise NORMAL.
 *
 * Usage: test_roundtrip [base-scratch-dir]
 * RTLOG_TEST_RECORDS=<n> overrides the records per producer (for slow
 * sanitizer builds); the default is 1,000,000.
 */
#include "test_util.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define NPROD 4
#define MAX_RECORD 256u
#define TIMEOUT_NS (120ull * 1000000000ull)

static uint64_t per_producer = 1000000;

/* ---- the deterministic record content ---------------------------------- */

static uint64_t mix64(uint64_t z) /* splitmix64 finaliser */
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static rtlog_stream stream_of(uint64_t i)
{
    return (i % 4 == 3) ? RTLOG_STREAM_CRITICAL : RTLOG_STREAM_NORMAL;
}

static uint64_t rec_key(unsigned p, unsigned s, uint64_t seq)
{
    return mix64(((uint64_t)(p + 1) << 48) ^ ((uint64_t)(s + 1) << 40) ^ seq);
}

static uint32_t rec_len(unsigned p, unsigned s, uint64_t seq)
{
    return (uint32_t)((seq + 37u * p + 101u * s) % (MAX_RECORD + 1));
}

static uint16_t rec_type(uint64_t key)
{
    return (uint16_t)(key >> 48);
}

static void rec_fill(uint8_t *buf, uint32_t len, uint64_t key)
{
    uint64_t x = key;
    for (uint32_t off = 0; off < len; off += 8) {
        x += 0x9E3779B97F4A7C15ull;
        uint64_t w = mix64(x);
        memcpy(buf + off, &w, len - off < 8 ? len - off : 8);
    }
}

/* ---- producers ----------------------------------------------------------- */

struct producer_ctx {
    pthread_t thread;
    rtlog_producer *prod;
    unsigned index;
    uint64_t sent[2];         /* accepted records per stream */
    uint64_t refused_full[2]; /* RTLOG_ERR_FULL answers per stream */
    uint64_t payload_bytes;
    rtlog_status failure;     /* first status other than OK/FULL */
    uint64_t failed_at;
};

static atomic_int producers_done;

static void *producer_main(void *arg)
{
    struct producer_ctx *c = arg;
    uint8_t buf[MAX_RECORD];

    for (uint64_t i = 0; i < per_producer; i++) {
        unsigned s = (unsigned)stream_of(i);
        uint64_t seq = c->sent[s];
        uint64_t key = rec_key(c->index, s, seq);
        uint32_t len = rec_len(c->index, s, seq);
        rec_fill(buf, len, key);
        for (;;) {
            rtlog_status st = rtlog_publish(c->prod, (rtlog_stream)s, rec_type(key), buf, len);
            if (st == RTLOG_OK)
                break;
            if (st != RTLOG_ERR_FULL) {
                c->failure = st;
                c->failed_at = i;
                atomic_fetch_add(&producers_done, 1);
                return NULL;
            }
            c->refused_full[s]++;
            sched_yield();
        }
        c->sent[s]++;
        c->payload_bytes += len;
    }
    atomic_fetch_add(&producers_done, 1);
    return NULL;
}

/* ---- read back and verify ------------------------------------------------ */

static int16_t index_of_id[65536]; /* rtlog_record.producer -> producer index */

static uint64_t verify_log(const char *dir, const struct producer_ctx *ctx)
{
    rtlog_reader *r = NULL;
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    uint64_t next_seq[NPROD][2] = {{0}};
    uint64_t count = 0, last_lsn = 0;
    uint32_t epoch = 0;
    uint8_t want[MAX_RECORD];

    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    CHECK(r != NULL, "rtlog_reader_open returned OK but no reader");
    for (;;) {
        rtlog_record_init(&rec, sizeof rec);
        rtlog_status st = rtlog_reader_next(r, &rec);
        if (st == RTLOG_END)
            break;
        CHECK(st == RTLOG_OK, "record #%" PRIu64 ": rtlog_reader_next returned %d (%s): %s",
              count, (int)st, tu_status_name(st), tu_last_error());

        int p = index_of_id[rec.producer];
        CHECK(p >= 0, "record #%" PRIu64 " (lsn %" PRIu64 "): unknown producer id %u",
              count, rec.lsn, (unsigned)rec.producer);
        CHECK(rec.stream <= 1, "record #%" PRIu64 ": bad stream %u", count, (unsigned)rec.stream);
        unsigned s = rec.stream;
        CHECK(rec.seq == next_seq[p][s],
              "record #%" PRIu64 " (lsn %" PRIu64 "): producer %d stream %u: seq %" PRIu64
              ", expected %" PRIu64 " (%s)",
              count, rec.lsn, p, s, rec.seq, next_seq[p][s],
              rec.seq < next_seq[p][s] ? "duplicate or reordered" : "records missing");
        if (count > 0) {
            CHECK(rec.lsn > last_lsn, "record #%" PRIu64 ": lsn %" PRIu64 " not above previous %" PRIu64,
                  count, rec.lsn, last_lsn);
            CHECK(rec.epoch == epoch, "record #%" PRIu64 ": epoch %u, first record had %u",
                  count, (unsigned)rec.epoch, (unsigned)epoch);
        } else {
            epoch = rec.epoch;
        }
        last_lsn = rec.lsn;

        uint64_t key = rec_key((unsigned)p, s, rec.seq);
        uint32_t len = rec_len((unsigned)p, s, rec.seq);
        CHECK(rec.len == len, "producer %d stream %u seq %" PRIu64 ": len %u, expected %u",
              p, s, rec.seq, (unsigned)rec.len, (unsigned)len);
        CHECK(rec.type == rec_type(key), "producer %d stream %u seq %" PRIu64 ": type %u, expected %u",
              p, s, rec.seq, (unsigned)rec.type, (unsigned)rec_type(key));
        if (len > 0) {
            CHECK(rec.payload != NULL, "producer %d stream %u seq %" PRIu64 ": NULL payload, len %u",
                  p, s, rec.seq, (unsigned)len);
            rec_fill(want, len, key);
            if (memcmp(rec.payload, want, len) != 0) {
                uint32_t at = 0;
                while (rec.payload[at] == want[at])
                    at++;
                CHECK(0, "producer %d stream %u seq %" PRIu64 ": payload differs at byte %u of %u "
                      "(got 0x%02x, expected 0x%02x)",
                      p, s, rec.seq, (unsigned)at, (unsigned)len, rec.payload[at], want[at]);
            }
        }
        next_seq[p][s]++;
        count++;
    }
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_END); /* END stays END */
    rtlog_reader_close(r);

    for (int p = 0; p < NPROD; p++)
        for (unsigned s = 0; s < 2; s++)
            CHECK(next_seq[p][s] == ctx[p].sent[s],
                  "producer %d stream %u: reader returned %" PRIu64 " records, %" PRIu64 " were accepted",
                  p, s, next_seq[p][s], ctx[p].sent[s]);
    return count;
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct producer_ctx ctx[NPROD];
    rtlog_logger *lg = NULL;
    rtlog_config cfg;
    rtlog_stats st;
    rtlog_stats_init(&st, sizeof st);
    const char *env = getenv("RTLOG_TEST_RECORDS");

    tu_init(argc, argv);
    if (env && *env)
        per_producer = strtoull(env, NULL, 10);
    CHECK(per_producer > 0, "RTLOG_TEST_RECORDS must be > 0");
    char *dir = tu_fresh_dir("roundtrip");

    rtlog_config_init(&cfg, sizeof cfg);
    cfg.dir = dir;
    cfg.max_producers = NPROD;
    cfg.max_record_size = MAX_RECORD;
    cfg.critical_depth = 8192;
    cfg.normal_depth = 32768;
    cfg.dispatch_budget = 65536;
    cfg.dispatch_period_us = 0; /* we tick */
    cfg.durability = RTLOG_DURABILITY_FLUSH;
    CHECK_STATUS(rtlog_init(&cfg, &lg), RTLOG_OK);
    CHECK(lg != NULL, "rtlog_init returned OK but no logger");

    memset(ctx, 0, sizeof ctx);
    memset(index_of_id, 0xff, sizeof index_of_id); /* all -1 */
    for (int p = 0; p < NPROD; p++) {
        char name[32];
        snprintf(name, sizeof name, "producer-%d", p);
        ctx[p].index = (unsigned)p;
        CHECK_STATUS(rtlog_producer_create(lg, name, &ctx[p].prod), RTLOG_OK);
        uint16_t id = rtlog_producer_id(ctx[p].prod);
        CHECK(id != 0xFFFF, "producer %d has id 0xFFFF", p);
        CHECK(index_of_id[id] == -1, "producers %d and %d share id %u", index_of_id[id], p, (unsigned)id);
        index_of_id[id] = (int16_t)p;
    }
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);

    uint64_t t0 = tu_now_ns();
    for (int p = 0; p < NPROD; p++)
        CHECK(pthread_create(&ctx[p].thread, NULL, producer_main, &ctx[p]) == 0, "pthread_create");

    uint64_t ticks = 0, idle_ticks = 0;
    while (atomic_load(&producers_done) < NPROD) {
        uint32_t n = 0;
        CHECK_STATUS(rtlog_tick(lg, &n), RTLOG_OK);
        ticks++;
        if (n == 0) {
            idle_ticks++;
            sched_yield();
        }
        CHECK(tu_now_ns() - t0 < TIMEOUT_NS, "producers not done after %llu s",
              (unsigned long long)(TIMEOUT_NS / 1000000000ull));
    }
    for (int p = 0; p < NPROD; p++) {
        CHECK(pthread_join(ctx[p].thread, NULL) == 0, "pthread_join");
        CHECK(ctx[p].failure == RTLOG_OK, "producer %d: record %" PRIu64 ": rtlog_publish returned %d (%s)",
              p, ctx[p].failed_at, (int)ctx[p].failure, tu_status_name(ctx[p].failure));
    }
    uint64_t t1 = tu_now_ns();
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK); /* drains the rings, closes the log */
    uint64_t t2 = tu_now_ns();

    uint64_t sent[2] = {0, 0}, refused[2] = {0, 0}, payload_bytes = 0;
    for (int p = 0; p < NPROD; p++) {
        CHECK(ctx[p].sent[0] + ctx[p].sent[1] == per_producer, "producer %d sent too few", p);
        for (int s = 0; s < 2; s++) {
            sent[s] += ctx[p].sent[s];
            refused[s] += ctx[p].refused_full[s];
        }
        payload_bytes += ctx[p].payload_bytes;
    }
    uint64_t total = sent[0] + sent[1];

    CHECK_STATUS(rtlog_get_stats(lg, &st), RTLOG_OK);
    for (int s = 0; s < 2; s++) {
        CHECK(st.published[s] == sent[s], "stats.published[%d] = %" PRIu64 ", accepted %" PRIu64,
              s, st.published[s], sent[s]);
        CHECK(st.dropped[s] == refused[s], "stats.dropped[%d] = %" PRIu64 ", FULL refusals %" PRIu64,
              s, st.dropped[s], refused[s]);
        CHECK(st.dispatched[s] == st.published[s], "stats.dispatched[%d] = %" PRIu64 ", published %" PRIu64,
              s, st.dispatched[s], st.published[s]);
    }
    CHECK(st.persisted == total, "stats.persisted = %" PRIu64 ", expected %" PRIu64, st.persisted, total);
    CHECK(st.bytes_written >= payload_bytes, "stats.bytes_written = %" PRIu64 " < payload bytes %" PRIu64,
          st.bytes_written, payload_bytes);
    CHECK(st.state == RTLOG_STATE_STOPPED, "stats.state = %d after shutdown", (int)st.state);
    CHECK(rtlog_get_state(lg) == RTLOG_STATE_STOPPED, "rtlog_get_state = %d after shutdown",
          (int)rtlog_get_state(lg));
    rtlog_destroy(lg);

    uint64_t read = verify_log(dir, ctx);
    uint64_t t3 = tu_now_ns();
    CHECK(read == total, "reader returned %" PRIu64 " records, expected %" PRIu64, read, total);

    printf("test_roundtrip: %d producers x %" PRIu64 " records (%" PRIu64 " critical, %" PRIu64
           " normal, %" PRIu64 " payload bytes), durability FLUSH\n",
           NPROD, per_producer, sent[0], sent[1], payload_bytes);
    printf("  publish %.2f s (%" PRIu64 " ticks, %" PRIu64 " idle; FULL retries %" PRIu64 "/%" PRIu64 "), "
           "shutdown %.2f s, read+verify %.2f s\n",
           (double)(t1 - t0) / 1e9, ticks, idle_ticks, refused[0], refused[1],
           (double)(t2 - t1) / 1e9, (double)(t3 - t2) / 1e9);
    printf("test_roundtrip: all %" PRIu64 " records read back exactly once, in order, bytes identical\n", read);
    tu_cleanup();
    return 0;
}
