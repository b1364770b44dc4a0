/*
 * test_dlt.c - rtlog's DLT sink against Debian's real dlt-daemon (ctest label `dlt`).
 *
 *   test_dlt SCRATCH DLT_DAEMON DLT_CLIENT_DUMP
 *
 * Starts a private dlt-daemon (its own dlt.conf, FIFO directory and control socket under
 * SCRATCH, TCP on 127.0.0.1 only, on a free port), and a real DLT client (dlt_client_dump,
 * libdlt's client API) that writes every message it receives to a file. Then, with two
 * producers publishing through the C API:
 *
 *   1. records reach the client: application id, context ids, log levels, message ids and
 *      payload bytes are compared one by one, in order; the daemon's registration report and
 *      its context registrations (SendContextRegistration) name our ids;
 *   2. the daemon is stopped: every publish still returns RTLOG_OK, rtlog_flush still makes
 *      everything durable in the log files, the sink reports the connection lost, queues
 *      exactly dlt_queue_records records and counts exactly the rest lost;
 *   3. the daemon is restarted: the sink reconnects and re-registers by itself, the queued
 *      records arrive, followed by one loss marker per stream naming the lost seqs, and then
 *      the records published afterwards; the final counters add up.
 *
 * Bounded waits only (generous deadlines, no timing assertions).
 */
#include "dlt_harness.h"

#define QUEUE 50       /* dlt_queue_records */
#define PHASE1 150     /* records per producer before the outage */
#define OUTAGE 130     /* records (both producers) while the daemon is away */
#define PHASE3 150     /* records per producer after the restart */

/* ---- what we expect ------------------------------------------------------ */

typedef struct {
    char ctid[5];
    unsigned msin;
    unsigned noar;
    uint8_t payload[300];
    size_t len;
} expect_t;

static expect_t expected[MAX_EXPECTED];
static size_t n_expected;

static const char *CTID[2] = {"SENS", "SEN1"}; /* "sensor_a", "sensor_b" (docs/DLT.md) */
static const unsigned LEVEL[2] = {1, 5};        /* critical → FATAL, normal → DEBUG (config) */

static void expect_record(int producer, int stream, uint16_t type, const uint8_t *p, size_t n) {
    CHECK(n_expected < MAX_EXPECTED, "too many expected messages");
    expect_t *e = &expected[n_expected++];
    strcpy(e->ctid, CTID[producer]);
    e->msin = LEVEL[stream] << 4; /* log, non-verbose */
    e->noar = 0;
    uint32_t id = type;
    memcpy(e->payload, &id, 4); /* message id, little-endian like the payload (x86) */
    memcpy(e->payload + 4, p, n);
    e->len = 4 + n;
}

static void put_u64_arg(uint8_t *p, size_t *at, uint64_t v) {
    uint32_t type = 0x44; /* DLT_TYPE_INFO_UINT | DLT_TYLE_64BIT */
    memcpy(p + *at, &type, 4);
    memcpy(p + *at + 4, &v, 8);
    *at += 12;
}

static void expect_loss(int producer, uint64_t count, uint64_t first, uint64_t last) {
    CHECK(n_expected < MAX_EXPECTED, "too many expected messages");
    expect_t *e = &expected[n_expected++];
    strcpy(e->ctid, CTID[producer]);
    e->msin = (3 << 4) | 1; /* log, WARN, verbose */
    e->noar = 4;
    const char *text = "rtlog records lost: dlt queue full";
    uint32_t type = 0x200; /* DLT_TYPE_INFO_STRG, ASCII */
    uint16_t n = (uint16_t)(strlen(text) + 1);
    size_t at = 0;
    memcpy(e->payload, &type, 4);
    memcpy(e->payload + 4, &n, 2);
    memcpy(e->payload + 6, text, n);
    at = 6 + n;
    put_u64_arg(e->payload, &at, count);
    put_u64_arg(e->payload, &at, first);
    put_u64_arg(e->payload, &at, last);
    e->len = at;
}

/* Compares our received log messages with `expected`, one by one, in order. */
static void compare_all(void) {
    size_t k = 0, i = 0;
    for (line_t *l; (l = next_ours(&i)) != NULL;) {
        CHECK(k < n_expected, "message %zu: more messages than expected (%zu)", k, n_expected);
        expect_t *e = &expected[k];
        CHECK(!strcmp(l->ecu, ECU_ID), "message %zu: ECU id %s, expected the daemon's %s", k, l->ecu,
              ECU_ID);
        CHECK(!strcmp(l->ctid, e->ctid), "message %zu: context %s, expected %s", k, l->ctid, e->ctid);
        CHECK(l->msin == e->msin, "message %zu (%s): msin %02x, expected %02x", k, e->ctid, l->msin,
              e->msin);
        CHECK(l->noar_or_service == e->noar, "message %zu: noar %u, expected %u", k,
              l->noar_or_service, e->noar);
        CHECK(l->len == e->len && !memcmp(l->payload, e->payload, e->len),
              "message %zu (%s): payload of %zu bytes differs from the expected %zu bytes", k,
              e->ctid, l->len, e->len);
        k++;
    }
    CHECK(k == n_expected, "received %zu of our messages, expected %zu", k, n_expected);
}

/* Whether a control message (service `service`) holds all of `needles` (4-byte ids). */
static int control_mentions(unsigned service, const char *a, const char *b) {
    for (size_t i = 0; i < n_lines; i++) {
        line_t *l = &lines[i];
        if (l->kind != 'C' || l->noar_or_service != service) continue;
        int has_a = 0, has_b = 0;
        for (size_t j = 0; j + 4 <= l->len; j++) {
            has_a |= !memcmp(l->payload + j, a, 4);
            has_b |= !memcmp(l->payload + j, b, 4);
        }
        if (has_a && has_b) return 1;
    }
    return 0;
}

/* How many daemon-internal log messages announce our application's registration. */
static int registrations_seen(void) {
    int n = 0;
    for (size_t i = 0; i < n_lines; i++) {
        line_t *l = &lines[i];
        if (l->kind != 'L' || !strcmp(l->apid, APP_ID)) continue;
        const char *needle = "ApplicationID '" APP_ID "' registered";
        size_t m = strlen(needle);
        for (size_t j = 0; j + m <= l->len; j++)
            if (!memcmp(l->payload + j, needle, m)) {
                n++;
                break;
            }
    }
    return n;
}

/* ---- rtlog side ---------------------------------------------------------- */

static rtlog_producer *prod[2];
static uint64_t seq[2][2];     /* next seq per producer and stream */
static uint64_t published;
static uint32_t rng = 12345;

static uint32_t next_rand(void) {
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Publishes one record and ticks it to the writer at once, so that the writer (and the DLT
 * queue) sees records in publish order. Returns the stream used. */
static int publish_one(int producer, uint64_t i, int expect_it) {
    int stream = (i % 5 == 0) ? RTLOG_STREAM_CRITICAL : RTLOG_STREAM_NORMAL;
    uint16_t type = (uint16_t)(100 + 1000 * producer + i % 7);
    uint8_t payload[200];
    size_t n = (size_t)((i * 37 + (uint64_t)producer * 11) % 120);
    for (size_t k = 0; k < n; k++) payload[k] = (uint8_t)next_rand();
    CHECK_STATUS(rtlog_publish(prod[producer], (rtlog_stream)stream, type, payload, (uint32_t)n),
                 RTLOG_OK);
    uint32_t moved = 0;
    CHECK_STATUS(rtlog_tick(lg, &moved), RTLOG_OK);
    CHECK(moved == 1, "tick moved %u records, expected 1", moved);
    if (expect_it) expect_record(producer, stream, type, payload, n);
    seq[producer][stream]++;
    published++;
    return stream;
}

static void wait_connected(uint32_t want, uint64_t connects) {
    rtlog_dlt_stats s = dlt_stats();
    for (int i = 0; i < WAIT_S * 100; i++) {
        s = dlt_stats();
        if (s.connected == want && s.connects >= connects) return;
        sleep_ms(10);
    }
    CHECK(0, "the DLT sink did not report connected = %u (connects >= %llu) within %d s: "
             "connected = %u, connects = %llu, last_errno = %d",
          want, (unsigned long long)connects, WAIT_S, s.connected, (unsigned long long)s.connects,
          s.last_errno);
}

/* Waits until the sink has sent everything offered so far: the queue is only QUEUE records
 * deep, so the connected phases publish in bursts smaller than it. */
static void drain_dlt(void) {
    CHECK_STATUS(rtlog_flush(lg, 20000), RTLOG_OK); /* the writer has offered everything */
    rtlog_dlt_stats s = dlt_stats();
    for (int i = 0; i < WAIT_S * 1000 && s.queued > 0; i++) {
        sleep_ms(1);
        s = dlt_stats();
    }
    CHECK(s.queued == 0 && s.lost == 0, "the sink did not drain: queued %llu, lost %llu",
          (unsigned long long)s.queued, (unsigned long long)s.lost);
}

int main(int argc, char **argv) {
    harness_start(argc, argv);

    rtlog_config cfg;
    harness_config(&cfg);
    cfg.dlt_queue_records = QUEUE;
    cfg.dlt_level_critical = RTLOG_DLT_LEVEL_FATAL;
    cfg.dlt_level_normal = RTLOG_DLT_LEVEL_DEBUG;
    CHECK_STATUS(rtlog_init(&cfg, &lg), RTLOG_OK);
    CHECK_STATUS(rtlog_producer_create(lg, "sensor_a", &prod[0]), RTLOG_OK);
    CHECK_STATUS(rtlog_producer_create(lg, "sensor_b", &prod[1]), RTLOG_OK);
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    /* rtlog_start connected and registered: the daemon was there. */
    rtlog_dlt_stats s = dlt_stats();
    CHECK(s.enabled == 1 && s.connected == 1 && s.connects == 1,
          "after rtlog_start: enabled %u connected %u connects %llu", s.enabled, s.connected,
          (unsigned long long)s.connects);

    /* 1. Both producers, both streams, through the daemon to the client. */
    for (uint64_t i = 0; i < PHASE1; i++) {
        for (int p = 0; p < 2; p++) publish_one(p, i, 1);
        if (i % 10 == 9) drain_dlt();
    }
    wait_for_messages(n_expected, "phase 1");
    compare_all();
    CHECK(registrations_seen() >= 1, "the daemon did not report registering %s", APP_ID);
    CHECK(control_mentions(3, APP_ID, CTID[0]) && control_mentions(3, APP_ID, CTID[1]),
          "the daemon's GET_LOG_INFO reports do not name both contexts");
    printf("phase 1: %zu messages received and compared\n", n_expected);

    /* 2. The daemon goes away. */
    stop_process(&daemon_pid, SIGTERM);
    wait_connected(0, 1);
    uint64_t before_outage[2][2];
    memcpy(before_outage, seq, sizeof seq);
    int outage_stream[OUTAGE];
    for (uint64_t i = 0; i < OUTAGE; i++) {
        int p = (int)(i % 2);
        /* The first QUEUE records wait in the DLT queue; the rest are lost to DLT. */
        outage_stream[i] = publish_one(p, PHASE1 + i / 2, i < QUEUE);
    }
    /* The log files get everything while DLT is down. */
    CHECK_STATUS(rtlog_flush(lg, 20000), RTLOG_OK);
    rtlog_stats st;
    rtlog_stats_init(&st, sizeof st);
    CHECK_STATUS(rtlog_get_stats(lg, &st), RTLOG_OK);
    CHECK(st.persisted == published, "persisted %llu of %llu records during the outage",
          (unsigned long long)st.persisted, (unsigned long long)published);
    s = dlt_stats();
    CHECK(s.connected == 0, "connected during the outage");
    CHECK(s.queued == QUEUE, "queued %llu, expected %d", (unsigned long long)s.queued, QUEUE);
    CHECK(s.lost_queue_full == OUTAGE - QUEUE && s.lost == OUTAGE - QUEUE,
          "lost %llu (queue full %llu), expected exactly the overflow %d",
          (unsigned long long)s.lost, (unsigned long long)s.lost_queue_full, OUTAGE - QUEUE);
    CHECK(s.offered == published && s.offered == s.sent + s.queued + s.lost,
          "offered %llu, sent %llu, queued %llu, lost %llu, published %llu",
          (unsigned long long)s.offered, (unsigned long long)s.sent, (unsigned long long)s.queued,
          (unsigned long long)s.lost, (unsigned long long)published);
    printf("phase 2: daemon stopped; %d records published (all RTLOG_OK, all persisted), %llu "
           "queued, %llu lost to DLT\n",
           OUTAGE, (unsigned long long)s.queued, (unsigned long long)s.lost);

    /* The lost records, per producer and stream: outage records QUEUE.. in publish order. */
    uint64_t lost_first[2][2], lost_count[2][2];
    memset(lost_count, 0, sizeof lost_count);
    {
        uint64_t next[2][2];
        memcpy(next, before_outage, sizeof next);
        for (int i = 0; i < OUTAGE; i++) {
            int p = i % 2, st_ = outage_stream[i];
            if (i >= QUEUE && lost_count[p][st_]++ == 0) lost_first[p][st_] = next[p][st_];
            next[p][st_]++;
        }
    }

    /* 3. The daemon comes back (same port, same FIFO directory). */
    start_daemon();
    wait_connected(1, 2);
    int pending_marker[2][2];
    for (int p = 0; p < 2; p++)
        for (int t = 0; t < 2; t++) pending_marker[p][t] = lost_count[p][t] > 0;
    for (uint64_t i = 0; i < PHASE3; i++) {
        for (int p = 0; p < 2; p++) {
            /* A stream's loss marker goes just before its next record. */
            int t = ((PHASE1 + OUTAGE / 2 + i) % 5 == 0) ? 0 : 1;
            if (pending_marker[p][t]) {
                uint64_t first = lost_first[p][t], n = lost_count[p][t];
                expect_loss(p, n, first, first + n - 1);
                pending_marker[p][t] = 0;
            }
            publish_one(p, PHASE1 + OUTAGE / 2 + i, 1);
        }
        if (i % 10 == 9) {
            /* Waits for the queue only: the loss count stays that of the outage. */
            CHECK_STATUS(rtlog_flush(lg, 20000), RTLOG_OK);
            rtlog_dlt_stats q = dlt_stats();
            for (int w = 0; w < WAIT_S * 1000 && q.queued > 0; w++) {
                sleep_ms(1);
                q = dlt_stats();
            }
            CHECK(q.queued == 0, "the sink did not drain after the restart");
        }
    }
    wait_for_messages(n_expected, "phase 3");
    compare_all();
    CHECK(registrations_seen() >= 2, "the daemon did not report the re-registration");
    printf("phase 3: daemon restarted, sink reconnected; %zu messages received and compared\n",
           n_expected);

    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    s = dlt_stats();
    uint64_t markers = 0;
    for (int p = 0; p < 2; p++)
        for (int t = 0; t < 2; t++) markers += lost_count[p][t] > 0;
    CHECK(s.sent == published - (OUTAGE - QUEUE), "sent %llu", (unsigned long long)s.sent);
    CHECK(s.lost == OUTAGE - QUEUE && s.lost_queue_full == OUTAGE - QUEUE && s.lost_too_large == 0 &&
              s.lost_at_shutdown == 0,
          "lost %llu", (unsigned long long)s.lost);
    CHECK(s.queued == 0 && s.offered == s.sent + s.lost, "queued %llu", (unsigned long long)s.queued);
    CHECK(s.loss_markers == markers, "loss markers %llu, expected %llu",
          (unsigned long long)s.loss_markers, (unsigned long long)markers);
    CHECK(s.connects == 2 && s.reconnects == 1 && s.disconnects == 1,
          "connects %llu reconnects %llu disconnects %llu", (unsigned long long)s.connects,
          (unsigned long long)s.reconnects, (unsigned long long)s.disconnects);
    rtlog_destroy(lg);
    harness_end();
    printf("test_dlt: ok: %llu records published, %llu sent to DLT, %llu lost to DLT (exactly the "
           "queue overflow), %llu loss markers, 1 reconnection\n",
           (unsigned long long)published, (unsigned long long)s.sent, (unsigned long long)s.lost,
           (unsigned long long)s.loss_markers);
    return 0;
}
